"""Scripted drills for a demo store (``python -m app drill spike|geofence``): situations the alert rules
must catch, written to the streams as a producer would, stamped as the simulator's.

* **spike** — a burst of incidents around a region's largest city: ``count`` of them over ``over_s``
  seconds (200 in 30 s by default: at the demo's volume Makkah's normal 15 minutes bring ~290, and
  a burst of 60 is often within chance — docs/alerts.md measures it), closed
  again ``close_after_s`` later so the demo's picture returns to normal;
* **geofence** — one unit driving straight through a guarded zone: from 300 m outside it, through its
  middle, to 300 m out the other side at 80 km/h, a position every 2 s (about a minute and a half
  through the Haram); it then parks there.

A drill refuses a store that is not a demo store (``app.__main__`` checks, as ``simulate`` does).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator

import redis

from ..contract import Stream
from .runner import write_entries
from .scenario import Entry
from .world import World

SPIKE_CATEGORIES = ("collision", "disturbance", "medical", "theft", "road_hazard", "suspicious")
SPIKE_AGENCIES = {"collision": "traffic", "road_hazard": "traffic", "medical": "red_crescent"}


def _now() -> int:
    return int(time.time() * 1000)


def spike_incidents(
    world: World, region: str, count: int, seed: int, now_ms: int, over_s: float, prefix: str = "DRILL"
) -> list[tuple[float, Entry]]:
    """(seconds from the start, entry) of ``count`` new incidents around ``region``'s largest city."""
    cities = [c for c in world.cities if c.region == region]
    if not cities:
        raise ValueError(f"no city of region {region} in the reference data")
    city = max(cities, key=lambda c: c.population)
    rng = random.Random(seed)
    out = []
    for n in range(count):
        at = over_s * n / max(1, count - 1)
        lat, lon, _region = world.near(rng, city, spread_km=4.0)
        category = rng.choice(SPIKE_CATEGORIES)
        out.append(
            (
                at,
                (
                    Stream.incidents,
                    {
                        "id": f"{prefix}-{region}-{seed}-{n}",
                        "status": "new",
                        "priority": str(rng.choice((2, 3, 3, 4))),
                        "agency": SPIKE_AGENCIES.get(category, "patrol"),
                        "category": category,
                        "lat": f"{lat:.5f}",
                        "lon": f"{lon:.5f}",
                        "ts": str(now_ms + int(at * 1000)),
                        "region": region,
                        "description": "Drill: scripted spike / تمرين: ارتفاع مفتعل",
                    },
                ),
            )
        )
    return out


def crossing(
    lon: float,
    lat: float,
    radius_m: float,
    unit_id: str,
    now_ms: int,
    step_s: float = 2.0,
    speed_kmh: float = 80.0,
    bearing_deg: float = 60.0,
    margin_m: float = 300.0,
) -> list[tuple[float, Entry]]:
    """(seconds from the start, entry) of a unit driving through the point (``lon``, ``lat``) along
    ``bearing_deg``, from ``radius_m`` + ``margin_m`` before it to as far past it, one position per
    ``step_s``."""
    reach = radius_m + margin_m
    step_m = speed_kmh / 3.6 * step_s
    steps = int(2 * reach / step_m) + 1
    dlat_m = 1 / 111_195.0
    dlon_m = dlat_m / math.cos(math.radians(lat))
    ux, uy = math.sin(math.radians(bearing_deg)), math.cos(math.radians(bearing_deg))
    out = []
    for n in range(steps + 1):
        d = -reach + n * step_m
        at = n * step_s
        out.append(
            (
                at,
                (
                    Stream.units,
                    {
                        "id": unit_id,
                        "agency": "patrol",
                        "status": "available",
                        "lat": f"{lat + d * uy * dlat_m:.6f}",
                        "lon": f"{lon + d * ux * dlon_m:.6f}",
                        "ts": str(now_ms + int(at * 1000)),
                        "heading": f"{bearing_deg:.0f}",
                        "speed": f"{speed_kmh:.0f}",
                    },
                ),
            )
        )
    return out


def play(
    client: redis.Redis,
    prefix: str,
    timeline: list[tuple[float, Entry]],
    stamp: str | None,
    stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[int]:
    """Write each entry of ``timeline`` when its second comes (its ``ts`` was set for then); yields how
    many have been written after each."""
    started = time.monotonic()
    written = 0
    for at, entry in sorted(timeline, key=lambda item: item[0]):
        if stop():
            return
        wait = at - (time.monotonic() - started)
        if wait > 0:
            sleep(wait)
        fields = dict(entry[1])
        fields["ts"] = str(_now())  # when it is written: the drill runs in real time
        write_entries(client, prefix, [(entry[0], fields)], stamp=stamp)
        written += 1
        yield written


def closing(timeline: list[tuple[float, Entry]], after_s: float) -> list[tuple[float, Entry]]:
    """The spike's incidents closed again, ``after_s`` after the last opened."""
    last = max((at for at, _ in timeline), default=0.0)
    return [
        (last + after_s + n * 0.05, (Stream.incidents, {**fields, "status": "closed"}))
        for n, (_at, (_stream, fields)) in enumerate(timeline)
    ]
