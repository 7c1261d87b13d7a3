"""Synthetic operations for the benchmarks: a seeded picture, a loader at a fixed rate, probes.

:class:`Operations` holds a fixed-size picture — ``incidents`` open incidents near the Kingdom's
towns (weighted by population, on land) and ``units`` patrolling units — and makes changes to it:
units report positions, incidents move through their lives (a closed one is replaced by a new one,
so the count stays put), 911 calls end, ports count travellers. It is deterministic per seed, so
the loader process (``python -m benchmarks.load``) rebuilds exactly the picture the suite wrote.

The mix of changes follows the simulator's (position reports dominate): units 85 %, incidents
10 %, calls 4 %, ports 1 %. Every entry is valid by the contract, written as producers write it.

Probes are incidents the suite writes itself, one at a time, at spots far from every town, so
that each is drawn on its own at the national zoom (never hidden inside a cluster).
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Iterator

import numpy as np
import redis

from app.contract import (
    REGION_CODES,
    Agency,
    CallOutcome,
    Category,
    Direction,
    Stream,
    TravellerCategory,
)
from app.geo import load_cities, load_ports, region_index
from app.settings import Settings

Entry = tuple[Stream, dict[str, str]]

#: Share of each kind of change in the background load.
MIX = {"unit": 0.85, "incident": 0.10, "call": 0.04, "port": 0.01}
_KM_PER_DEG = 111.32
_NEXT_STATUS = {"new": "dispatched", "dispatched": "on_scene", "on_scene": "closed"}


def _fmt(value: float) -> str:
    return f"{value:.5f}"


def _points(rng: np.random.Generator, settings: Settings, n: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``n`` points on land near towns, weighted by population (vectorised), with their regions."""
    cities = load_cities(settings.cities_file)
    index = region_index(settings.regions_file)
    weights = np.array([c.population for c in cities], dtype=float)
    pick = rng.choice(len(cities), size=n, p=weights / weights.sum())
    base_lat = np.array([c.lat for c in cities])[pick]
    base_lon = np.array([c.lon for c in cities])[pick]
    spread = np.array([1.5 + 1.5 * max(0.0, math.log10(max(c.population, 1) / 30_000)) for c in cities])[pick]
    lat = base_lat + rng.normal(0, 1, n) * spread / _KM_PER_DEG
    lon = base_lon + rng.normal(0, 1, n) * spread / (_KM_PER_DEG * np.cos(np.radians(base_lat)))
    regions = np.asarray(index.assign(lon, lat), dtype=object)
    at_sea = np.asarray([r not in REGION_CODES for r in regions])
    lat[at_sea], lon[at_sea] = base_lat[at_sea], base_lon[at_sea]  # a coastal draw in the sea: the town
    regions[at_sea] = np.array([cities[i].region for i in pick[at_sea]], dtype=object)
    return lat, lon, list(regions)


class Operations:
    """A picture of ``incidents`` open incidents and ``units`` units, and changes to it."""

    def __init__(self, incidents: int, units: int, seed: int = 11, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self.rng = random.Random(seed)
        nprng = np.random.default_rng(seed)
        self.ports = sorted(load_ports(settings.ports_file))
        lat, lon, regions = _points(nprng, settings, incidents + units)
        agencies, categories = list(Agency), list(Category)
        self.incidents: list[dict[str, str]] = []
        for n in range(incidents):
            self.incidents.append({
                "id": f"BI-{seed}-{n:06d}", "status": self.rng.choice(["new", "dispatched", "on_scene"]),
                "agency": self.rng.choice(agencies).value, "category": self.rng.choice(categories).value,
                "priority": str(self.rng.choices("1234", weights=(7, 28, 45, 20))[0]),
                "lat": _fmt(lat[n]), "lon": _fmt(lon[n]), "region": regions[n],
                "description": "synthetic load — حمل اصطناعي",
            })  # fmt: skip
        self.units: list[dict[str, str]] = []
        for n in range(units):
            k = incidents + n
            self.units.append({
                "id": f"BU-{seed}-{n:05d}", "agency": agencies[n % len(agencies)].value,
                "status": self.rng.choice(["available", "available", "dispatched", "on_scene"]),
                "lat": _fmt(lat[k]), "lon": _fmt(lon[k]), "heading": "0", "speed": "0",
            })  # fmt: skip
        self._positions = [(lat[n], lon[n], regions[n]) for n in range(incidents)]
        self._opened = incidents
        self._calls = 0
        self.seed = seed

    # -- the picture and its changes ---------------------------------------------------------------

    def initial(self, ts_ms: int) -> list[Entry]:
        """Every incident and unit as it stands, stamped ``ts_ms``."""
        ts = str(ts_ms)
        out: list[Entry] = [(Stream.incidents, {**f, "ts": ts}) for f in self.incidents]
        out += [(Stream.units, {**f, "ts": ts}) for f in self.units]
        return out

    def changes(self, n: int, ts_ms: int) -> list[Entry]:
        """About ``n`` entries of change stamped ``ts_ms`` (the mix of :data:`MIX`; a closing
        incident comes with its replacement, so the last change may add one more)."""
        out: list[Entry] = []
        while len(out) < n:
            kinds = self.rng.choices(list(MIX), weights=list(MIX.values()), k=n - len(out))
            for kind in kinds:
                out += getattr(self, f"_{kind}")(ts_ms)
        return out

    def _unit(self, ts_ms: int) -> list[Entry]:
        unit = self.rng.choice(self.units)
        heading = self.rng.uniform(0, 360)
        step = self.rng.uniform(0.0, 0.004)
        unit["lat"] = _fmt(float(unit["lat"]) + step * math.cos(math.radians(heading)))
        unit["lon"] = _fmt(float(unit["lon"]) + step * math.sin(math.radians(heading)))
        unit["heading"], unit["speed"] = f"{heading:.0f}", f"{self.rng.uniform(0, 120):.1f}"
        return [(Stream.units, {**unit, "ts": str(ts_ms)})]

    def _incident(self, ts_ms: int) -> list[Entry]:
        """The next step in one incident's life; a closed incident is replaced by a new one at once."""
        slot = self.rng.randrange(len(self.incidents))
        incident = self.incidents[slot]
        incident["status"] = _NEXT_STATUS[incident["status"]]
        out: list[Entry] = [(Stream.incidents, {**incident, "ts": str(ts_ms)})]
        if incident["status"] == "closed":
            lat, lon, region = self._positions[self.rng.randrange(len(self._positions))]
            self.incidents[slot] = {
                **incident, "id": f"BI-{self.seed}-{self._opened:06d}", "status": "new",
                "lat": _fmt(lat + self.rng.gauss(0, 0.01)), "lon": _fmt(lon + self.rng.gauss(0, 0.01)),
                "region": region,
            }  # fmt: skip
            self._opened += 1
            out.append((Stream.incidents, {**self.incidents[slot], "ts": str(ts_ms)}))
        return out

    def _call(self, ts_ms: int) -> list[Entry]:
        self._calls += 1
        lat, lon, region = self._positions[self.rng.randrange(len(self._positions))]
        received = ts_ms - self.rng.randrange(60_000, 240_000)
        return [(Stream.calls, {
            "id": f"BC-{self.seed}-{self._calls:07d}", "ts": str(received),
            "answered_ts": str(received + self.rng.randrange(2_000, 25_000)),
            "lat": _fmt(lat), "lon": _fmt(lon), "region": region,
            "outcome": self.rng.choice(list(CallOutcome)).value,
        })]  # fmt: skip

    def _port(self, ts_ms: int) -> list[Entry]:
        return [(Stream.ports, {
            "port": self.rng.choice(self.ports), "direction": self.rng.choice(list(Direction)).value,
            "travellers": str(self.rng.randrange(1, 40)),
            "category": self.rng.choice(list(TravellerCategory)).value,
            "wait_min": f"{self.rng.uniform(0, 60):.1f}", "ts": str(ts_ms),
        })]  # fmt: skip


# --- probes ------------------------------------------------------------------------------------------


def probe_spots(
    settings: Settings | None = None, count: int = 3, min_deg: float = 3.0
) -> list[tuple[float, float]]:
    """``count`` spots inside the regions, each at least ``min_deg`` from every town and from each other.

    At the national zoom a cluster gathers points within ~60 px, ~2.6°: a probe at such a spot is
    drawn on its own, wherever the synthetic incidents lie (always near towns).
    """
    settings = settings or Settings()
    towns = np.array([(c.lat, c.lon) for c in load_cities(settings.cities_file)])
    lats, lons = np.meshgrid(np.arange(16.5, 32.0, 0.25), np.arange(35.0, 56.0, 0.25), indexing="ij")
    lats, lons = lats.ravel(), lons.ravel()
    inside = np.isin(np.asarray(region_index(settings.regions_file).assign(lons, lats), dtype=object),
                     REGION_CODES)
    lats, lons = lats[inside], lons[inside]
    far = np.hypot(lats[:, None] - towns[None, :, 0], lons[:, None] - towns[None, :, 1]).min(axis=1)
    spots: list[tuple[float, float]] = []
    for n in np.argsort(-far):
        if far[n] < min_deg:
            break
        if all(math.hypot(lats[n] - a, lons[n] - b) >= min_deg for a, b in spots):
            spots.append((float(lats[n]), float(lons[n])))
            if len(spots) == count:
                return spots
    raise RuntimeError(f"found only {len(spots)} probe spots {min_deg}° from every town")


def probe(incident_id: str, spot: tuple[float, float], ts_ms: int, status: str = "new") -> dict[str, str]:
    """A priority-1 incident at ``spot`` (the entry a probe writes, and then closes)."""
    return {
        "id": incident_id, "status": status, "agency": Agency.civil_defense.value,
        "category": Category.fire.value, "priority": "1", "lat": _fmt(spot[0]), "lon": _fmt(spot[1]),
        "ts": str(ts_ms), "description": "benchmark probe",
    }  # fmt: skip


def probe_ids(prefix: str) -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"{prefix}-{n:04d}"


# --- writing -----------------------------------------------------------------------------------------


def xadd_all(client: redis.Redis, prefix: str, entries: list[Entry], chunk: int = 5_000) -> None:
    """``XADD`` every entry (auto ids), pipelined, in order."""
    for start in range(0, len(entries), chunk):
        pipe = client.pipeline(transaction=False)
        for stream, fields in entries[start : start + chunk]:
            pipe.xadd(stream.key(prefix), fields)  # type: ignore[arg-type]
        pipe.execute()


def run_loader(client: redis.Redis, prefix: str, ops: Operations, rate: float, tick_s: float = 0.05) -> None:
    """Write ``rate`` changes a second, in slices every ``tick_s``, until killed; never catches up in
    bursts (a slice late by more than a second is dropped, and the rate shows it)."""
    started = time.monotonic()
    sent = 0
    while True:
        due = int((time.monotonic() - started) * rate)
        if due - sent > rate:
            sent = due - int(rate * tick_s)
        if due > sent:
            xadd_all(client, prefix, ops.changes(due - sent, int(time.time() * 1000)))
            sent = due
        time.sleep(tick_s)


def main() -> None:
    parser = argparse.ArgumentParser(description="write benchmark load at a fixed rate until killed")
    parser.add_argument("--url", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--incidents", type=int, required=True)
    parser.add_argument("--units", type=int, required=True)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rate", type=float, required=True, help="entries per second")
    args = parser.parse_args()
    ops = Operations(args.incidents, args.units, seed=args.seed)
    client = redis.Redis.from_url(args.url, decode_responses=True)
    print(f"loader: {args.rate:g} entries/s on {args.prefix}:* over {args.incidents} incidents, "
          f"{args.units} units", flush=True)
    try:
        run_loader(client, args.prefix, ops, args.rate)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
