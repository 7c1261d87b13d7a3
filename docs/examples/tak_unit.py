"""A unit reporting where it is, as ATAK does, with pytak: Basira's CoT listener puts it on the map.

    .venv/bin/python docs/examples/tak_unit.py                        # the demo's listener, tcp://127.0.0.1:8087
    .venv/bin/python docs/examples/tak_unit.py udp://127.0.0.1:6969 --uid MY-UNIT-2 --type a-f-G-U-i-m

Every 5 seconds it sends a CoT event (a police unit, ``a-f-G-U-i-l``, by default) at the given point, each
one live for 30 seconds (its stale time). Stop it with Ctrl-C: half a minute later the map shows the unit
as Stale (docs/standards.md, "Cursor on Target (TAK)").
"""

from __future__ import annotations

import argparse
import asyncio
from configparser import ConfigParser

import pytak


class Unit(pytak.QueueWorker):
    """Puts the unit's report on pytak's queue every 5 s; pytak's own worker sends it."""

    def __init__(self, queue: asyncio.Queue, config: object, args: argparse.Namespace) -> None:
        super().__init__(queue, config)
        self.args = args

    async def handle_data(self, data: bytes) -> None:
        await self.put_queue(data)

    async def run(self, _: int = -1) -> None:
        a = self.args
        while True:
            await self.handle_data(pytak.gen_cot(lat=a.lat, lon=a.lon, ce=10, uid=a.uid, cot_type=a.type,
                                                 callsign=a.callsign, stale=30))
            print(f"sent {a.uid} ({a.type}) at {a.lat}, {a.lon}", flush=True)
            await asyncio.sleep(5)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="tcp://127.0.0.1:8087", help="where Basira listens")
    parser.add_argument("--uid", default="MY-UNIT-1")
    parser.add_argument("--callsign", default="Falcon 1")
    parser.add_argument("--type", default="a-f-G-U-i-l", help="CoT type (docs/standards.md: which agency)")
    parser.add_argument("--lat", type=float, default=21.4225, help="default: by the Grand Mosque, Makkah")
    parser.add_argument("--lon", type=float, default=39.8262)
    parser.add_argument("--proto", action="store_true", help="send TAK protobuf instead of XML")
    args = parser.parse_args()
    config = ConfigParser()
    config["unit"] = {"COT_URL": args.url, "TAK_PROTO": "1" if args.proto else "0", "PYTAK_NO_HELLO": "1"}
    tool = pytak.CLITool(config["unit"])
    await tool.setup()
    tool.add_tasks({Unit(tool.tx_queue, config["unit"], args)})
    await tool.run()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
