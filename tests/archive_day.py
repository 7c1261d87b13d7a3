"""A small synthetic archive with known answers, for the after-action tests (stats, timelines, brief).

One Riyadh day, :data:`DAY` (2026-03-10, 21 Ramadan 1447), written as real Parquet with
:func:`app.archive.layout.table` and :func:`~app.archive.layout.write_atomic`, one part per stream and
hour of receipt — the archiver's layout — plus the same window a week earlier and a Hijri year
earlier (21 Ramadan 1446, 2025-03-21), and an incident the next day (outside the window).

Times are offsets in seconds from the day's start ``S`` (00:00 Riyadh = 21:00 UTC the day before).
The figures each test expects are worked out by hand in the comments and in :data:`EXPECTED`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

from app.archive import layout
from app.archive.stats import DAY_MS, WEEK_MS, day_start_ms
from app.contract import Stream

DAY = date(2026, 3, 10)
S = day_start_ms(DAY)
#: The same window a Hijri year earlier: 21 Ramadan 1446 = 2025-03-21, 354 days before.
HIJRI_SHIFT_MS = -354 * DAY_MS
#: Where the incidents are (the region column is what the figures read).
PLACES = {"SA-01": (24.71, 46.67), "SA-02": (21.42, 39.82), "SA-03": (24.47, 39.61), "SA-04": (26.42, 50.09)}


def at(seconds: float, base: int = S) -> int:
    return base + round(seconds * 1000)


class Archive:
    """Rows by stream, each with its receipt time; :meth:`write` files them by hour of receipt."""

    def __init__(self) -> None:
        self.rows: dict[Stream, list[dict]] = defaultdict(list)
        self.seq = 0

    def add(self, stream: Stream, ts: int, received: int | None = None, **fields: object) -> None:
        self.seq += 1
        received = ts + 2_000 if received is None else received  # two seconds in transit
        self.rows[stream].append({"entry_ms": received, "entry_seq": self.seq % 7, "ts": ts,
                                  "archived_ms": received + 1_000, **fields})

    def incident(self, id: str, status: str, ts: int, region: str, agency: str, category: str,
                 priority: int, units: str | None = None, received: int | None = None,
                 description: str | None = None) -> None:
        lat, lon = PLACES[region]
        self.add(Stream.incidents, ts, received, id=id, status=status, region=region, agency=agency,
                 category=category, priority=priority, lat=lat, lon=lon, units=units,
                 description=description, future=False)

    def life(self, id: str, region: str, agency: str, category: str, priority: int, opened: int,
             dispatch_s: float | None, scene_s: float | None, closed_s: float | None,
             units: str | None = None) -> None:
        """A plain life: new, dispatched, on scene, closed (offsets in s from opening)."""
        self.incident(id, "new", opened, region, agency, category, priority)
        for status, offset in (("dispatched", dispatch_s), ("on_scene", scene_s), ("closed", closed_s)):
            if offset is not None:
                self.incident(id, status, at(offset, opened), region, agency, category, priority, units)

    def unit(self, id: str, ts: int, status: str, lat: float, lon: float, incident: str | None = None,
             agency: str = "civil_defense", region: str = "SA-01") -> None:
        self.add(Stream.units, ts, id=id, agency=agency, status=status, lat=lat, lon=lon, heading=90.0,
                 speed=50.0, incident=incident, region=region)

    def call(self, id: str, ts: int, answer_s: float | None, region: str, outcome: str = "incident",
             received: int | None = None) -> None:
        answered = None if answer_s is None else at(answer_s, ts)
        self.add(Stream.calls, ts, received if received is not None else ts + 120_000, id=id,
                 answered_ts=answered, lat=None, lon=None, outcome=outcome, incident=None, region=region)

    def port(self, port: str, region: str, ts: int, direction: str, travellers: int,
             wait_min: float | None = None) -> None:
        self.add(Stream.ports, ts, port=port, region=region, direction=direction, category="citizen",
                 travellers=travellers, vehicles=None, wait_min=wait_min)

    def write(self, root: Path) -> None:
        for stream, rows in self.rows.items():
            by_hour: dict[int, list[dict]] = defaultdict(list)
            for row in rows:
                by_hour[row["entry_ms"] // layout.HOUR_MS].append(row)
            for hour, part in by_hour.items():
                part.sort(key=lambda r: (r["entry_ms"], r["entry_seq"]))
                first, last = part[0], part[-1]
                name = layout.part_name((first["entry_ms"], first["entry_seq"]),
                                        (last["entry_ms"], last["entry_seq"]))
                layout.write_atomic(layout.partition(root, stream, hour) / name, layout.table(stream, part))


def build(root: Path) -> Path:
    """Write the synthetic archive under ``root`` and return it."""
    a = Archive()
    H = 3600
    # --- the day's incidents (durations in s: dispatch, scene) -----------------------------------
    # A: Riyadh fire, P1; units U1, U2 (U2 dropped at closing); U9 reports itself on A unlisted
    a.incident("A", "new", at(1 * H), "SA-01", "civil_defense", "fire", 1, description="Warehouse fire")
    a.incident("A", "dispatched", at(1 * H + 60), "SA-01", "civil_defense", "fire", 1, "U1,U2")
    a.incident("A", "on_scene", at(1 * H + 480), "SA-01", "civil_defense", "fire", 1, "U1,U2")
    a.incident("A", "closed", at(3 * H), "SA-01", "civil_defense", "fire", 1, "U1")
    a.life("B", "SA-02", "red_crescent", "medical", 2, at(2 * H), 120, 900, 3600, "U3")  # Makkah
    a.life("C", "SA-01", "traffic", "collision", 1, at(5 * H), 30, 300, 3 * H, "U4,U5,U6")
    a.life("D", "SA-04", "patrol", "theft", 3, at(10 * H), 45, 700, 1800, "U7")  # Eastern Province
    # E: opened 20 min before the day began; dispatched and on scene in it (1,500 s and 2,100 s)
    a.life("E", "SA-02", "civil_defense", "fire", 1, at(-1200), 1500, 2100, 2 * H + 1200, "U8")
    # F: a late entry (on scene, ts older than the dispatch held) is received after it: ignored
    a.incident("F", "new", at(12 * H), "SA-01", "patrol", "suspicious", 4)
    a.incident("F", "dispatched", at(12 * H + 90), "SA-01", "patrol", "suspicious", 4, "U10")
    a.incident("F", "on_scene", at(12 * H + 30), "SA-01", "patrol", "suspicious", 4, "U10",
               received=at(12 * H + 200))
    a.incident("F", "on_scene", at(12 * H + 600), "SA-01", "patrol", "suspicious", 4, "U10")
    a.incident("F", "closed", at(13 * H), "SA-01", "patrol", "suspicious", 4, "U10")
    a.incident("G", "new", at(23 * H), "SA-03", "road_security", "road_hazard", 2)  # still open at 24:00
    a.life("N", "SA-01", "patrol", "theft", 1, at(24 * H + 600), 10, 20, 30, "U1")  # the next day
    # --- units: U1's way to A, a position before it was assigned, U9 unlisted -------------------
    a.unit("U1", at(1 * H), "available", 24.60, 46.60)
    for k in range(7):  # +60 … +420 s, dispatched, moving east
        a.unit("U1", at(1 * H + 60 + 60 * k), "dispatched", 24.65, 46.60 + 0.01 * k, incident="A")
    a.unit("U1", at(1 * H + 480), "on_scene", 24.71, 46.67, incident="A")
    a.unit("U9", at(1 * H + 200), "dispatched", 24.68, 46.70, incident="A")
    a.unit("U9", at(1 * H + 350), "dispatched", 24.70, 46.68, incident="A")
    a.unit("U9", at(1 * H + 500), "on_scene", 24.71, 46.67, incident="A")
    a.unit("U4", at(5 * H + 60), "dispatched", 24.70, 46.60, incident="C", agency="traffic")
    # --- calls: 4 in the window (C1 sent twice), one the day before ------------------------------
    a.call("C1", at(1 * H - 30), 8, "SA-01")
    a.call("C1", at(1 * H - 30), 8, "SA-01", received=at(1 * H + 400))  # redelivered: counted once
    a.call("C2", at(5 * H - 20), 18, "SA-01")
    a.call("C3", at(7 * H), None, "SA-02", outcome="abandoned")
    a.call("C4", at(10 * H - 40), 25, "SA-04")
    a.call("C0", at(-2 * H), 5, "SA-01")
    # --- ports: the causeway peaks at 09:00 with a 70-minute wait (target 15) ---------------------
    a.port("land-king-fahd-causeway", "SA-04", at(8 * H + 1800), "arrival", 100, 30)
    a.port("land-king-fahd-causeway", "SA-04", at(8 * H + 2400), "departure", 50, 45)
    a.port("land-king-fahd-causeway", "SA-04", at(9 * H + 1200), "arrival", 300, 70)
    a.port("land-king-fahd-causeway", "SA-04", at(17 * H + 600), "arrival", 20, 5)
    a.port("air-jed", "SA-02", at(3 * H + 600), "arrival", 200)
    a.port("air-jed", "SA-02", at(4 * H + 600), "departure", 150, 10)
    # --- a week earlier: 3 incidents; a Hijri year earlier: 1 -------------------------------------
    week = S - WEEK_MS
    a.life("W1", "SA-01", "civil_defense", "fire", 1, at(1 * H, week), 100, 700, 3600, "U1")
    a.life("W2", "SA-01", "traffic", "collision", 2, at(2 * H, week), 50, 500, 3600, "U4")
    a.life("W3", "SA-02", "red_crescent", "medical", 2, at(3 * H, week), 80, 400, 3600, "U3")
    a.port("air-jed", "SA-02", at(3 * H + 600, week), "arrival", 100)
    hijri = S + HIJRI_SHIFT_MS
    a.life("Y1", "SA-02", "civil_defense", "fire", 1, at(6 * H, hijri), 200, 1000, 3600, "U8")
    a.write(root)
    return root


#: What the day's window holds (worked out by hand from :func:`build`).
EXPECTED = {
    "opened": 6,  # A B C D F G (E opened the day before; N the day after)
    "by_region": {"SA-01": 3, "SA-02": 1, "SA-03": 1, "SA-04": 1},
    # dispatch: A 60, B 120, C 30, D 45, E 1500, F 90 → sorted 30 45 60 90 120 1500
    "dispatch": {"n": 6, "p50_s": 75.0, "p90_s": 810.0, "within": 4 / 6, "state": "near"},
    # scene: A 480, B 900, C 300, D 700, E 2100, F 600 → sorted 300 480 600 700 900 2100
    "response": {"n": 6, "p50_s": 650.0, "p90_s": 1500.0, "within": 3 / 6, "state": "misses"},
    # priority 1 by units (C 3, A 2, E 1), then priority 2 by units (B 1, G 0)
    "serious": ["C", "A", "E", "B", "G"],
    "calls": {"total": 4, "answered": 3, "within_15s": 1, "within_20s": 2, "abandoned": 1},
    "travellers": 820,  # causeway 470, Jeddah airport 350
}
