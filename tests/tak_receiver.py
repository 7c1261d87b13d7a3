"""A TAK receiver in a process of its own, for tests/test_cot.py: pytak hears what Basira sends to TAK.

    python tests/tak_receiver.py COT_URL [--proto]

pytak's own reader (``udp+ro://127.0.0.1:<port>``) takes each datagram; with ``--proto`` (``TAK_PROTO=1``)
pytak itself decodes the TAK protobuf (takproto). Each event is printed as one JSON line — its uid, type,
how, point and call sign — after ``READY`` once pytak listens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import warnings
from configparser import ConfigParser
from typing import Any

warnings.filterwarnings("ignore")  # pytak warns that it has no 'cryptography' (enrolment only)

import pytak  # noqa: E402
from defusedxml.ElementTree import fromstring  # noqa: E402


def described(data: Any) -> dict[str, Any]:
    if isinstance(data, bytes | bytearray):  # XML: pytak hands over the datagram as it came
        event = fromstring(bytes(data), forbid_dtd=True)
        point = event.find("point")
        contact = event.find("detail/contact")
        return {"uid": event.get("uid"), "type": event.get("type"), "how": event.get("how"),
                "lat": float(point.get("lat")), "lon": float(point.get("lon")),
                "callsign": contact.get("callsign") if contact is not None else None, "format": "xml"}
    cot = data.cotEvent  # a takproto TakMessage, decoded by pytak
    return {"uid": cot.uid, "type": cot.type, "how": cot.how, "lat": cot.lat, "lon": cot.lon,
            "callsign": cot.detail.contact.callsign or None, "format": "protobuf"}


class Printer(pytak.QueueWorker):
    async def handle_data(self, data: Any) -> None:
        print(json.dumps(described(data)), flush=True)

    async def run(self, _: int = -1) -> None:
        while True:
            await self.handle_data(await self.queue.get())


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--proto", action="store_true")
    args = parser.parse_args()
    config = ConfigParser()
    config["rx"] = {"COT_URL": args.url, "TAK_PROTO": "1" if args.proto else "0", "PYTAK_NO_HELLO": "1"}
    section = config["rx"]
    tool = pytak.CLITool(section)
    await tool.setup()
    tool.add_tasks({Printer(tool.rx_queue, section)})
    print("READY", flush=True)
    await tool.run()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
