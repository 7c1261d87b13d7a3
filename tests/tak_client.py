"""A TAK client in a process of its own, for tests/test_cot.py: pytak sends CoT events to Basira.

    python tests/tak_client.py COT_URL [--proto] [--tls CERT KEY CA] EVENT...

Each EVENT is ``uid,type,lat,lon[,callsign[,stale_s]]``. The events are made by pytak (``gen_cot_xml``,
a team and a track added as ATAK adds them) and sent by pytak's own workers — over TCP, UDP or TLS as
``COT_URL`` says, as XML or, with ``--proto``, as TAK protobuf (``TAK_PROTO=1``). When pytak has taken
them all off its queue the script prints ``SENT <n>`` and stays connected until it is stopped: the test
decides when it has seen enough, never a sleep here.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import warnings
import xml.etree.ElementTree as ET
from configparser import ConfigParser

warnings.filterwarnings("ignore")  # pytak warns that it has no 'cryptography' (enrolment only)

import pytak  # noqa: E402


def event(spec: str) -> bytes:
    uid, kind, lat, lon, *rest = spec.split(",")
    callsign = rest[0] if rest else uid
    stale = float(rest[1]) if len(rest) > 1 else 120
    cot = pytak.gen_cot_xml(lat=float(lat), lon=float(lon), ce=8, le=9999999, uid=uid, cot_type=kind,
                            callsign=callsign, stale=stale)
    detail = cot.find("detail")
    assert detail is not None
    ET.SubElement(detail, "__group", {"name": "Cyan", "role": "Team Member"})
    ET.SubElement(detail, "track", {"course": "45.0", "speed": "12.5"})
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(cot)


class Sender(pytak.QueueWorker):
    """Puts the events on pytak's transmit queue, then says when pytak has taken them all."""

    def __init__(self, queue: asyncio.Queue, config: object, events: list[bytes]) -> None:
        super().__init__(queue, config)
        self.events = events

    async def handle_data(self, data: bytes) -> None:
        await self.put_queue(data)

    async def run(self, _: int = -1) -> None:
        for data in self.events:
            await self.handle_data(data)
        while not self.queue.empty():
            await asyncio.sleep(0.05)
        print(f"SENT {len(self.events)}", flush=True)
        while True:
            await asyncio.sleep(3600)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("events", nargs="+")
    parser.add_argument("--proto", action="store_true")
    parser.add_argument("--tls", nargs=3, metavar=("CERT", "KEY", "CA"))
    args = parser.parse_args()
    config = ConfigParser()
    config["tak"] = {"COT_URL": args.url, "TAK_PROTO": "1" if args.proto else "0", "PYTAK_NO_HELLO": "1"}
    if args.tls:
        cert, key, ca = args.tls
        config["tak"].update({
            "PYTAK_TLS_CLIENT_CERT": cert, "PYTAK_TLS_CLIENT_KEY": key, "PYTAK_TLS_CLIENT_CAFILE": ca,
            "PYTAK_TLS_SERVER_EXPECTED_HOSTNAME": "localhost",
        })
    section = config["tak"]
    tool = pytak.CLITool(section)
    await tool.setup()
    tool.add_tasks({Sender(tool.tx_queue, section, [event(spec) for spec in args.events])})
    await tool.run()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
