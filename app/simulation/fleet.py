"""The units: how many, where they are based, where they are now, and which one is nearest.

A fleet is split between the agencies (``FLEET_SHARES``) and, within an agency, between places by
population — every region's largest place gets at least one unit of every agency, so no region is
left without cover. Road-security units are based along the highways instead. A unit moves in a
straight line between two points at a road speed (a *leg*); where it is at any instant is an
interpolation, computed for the whole agency at once when a dispatcher looks for the nearest one.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np

from ..contract import Agency, UnitStatus
from .catalog import FLEET_SHARES, UNIT_CODES
from .world import World, spread_km

#: Average time a unit is tied to one incident (travel + on scene), simulated seconds.
MEAN_BUSY_S = 2100.0
MIN_FLEET, MAX_FLEET = 300, 5000
#: Road-security posts lie this far (on average) out of town along the highways.
ROAD_POST_KM = 20.0


def default_fleet_size(rate: float, time_scale: float) -> int:
    """A fleet that covers the demand of ``rate`` incident opens per second, with room for peaks.

    Units busy at once ≈ rate × busy time / time_scale (Little's law); two and a half times that plus a floor
    for coverage keeps most dispatches immediate even on a Thursday night.
    """
    busy = rate * MEAN_BUSY_S / time_scale
    return int(min(MAX_FLEET, max(MIN_FLEET, round(250 + 2.5 * busy))))


def apportion(total: int, weights: list[float], floor: list[int] | None = None) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainders), after the ``floor`` counts."""
    counts = list(floor) if floor else [0] * len(weights)
    left = total - sum(counts)
    if left <= 0 or not weights:
        return counts
    mass = sum(weights) or 1.0
    exact = [left * w / mass for w in weights]
    shares = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in order[: left - sum(shares)]:
        shares[i] += 1
    return [c + s for c, s in zip(counts, shares, strict=True)]


@dataclass(slots=True, eq=False)
class Unit:
    """One vehicle. Its position is the leg (lat0, lon0) → (lat1, lon1) between times t0 and t1."""

    id: str
    agency: Agency
    slot: int
    base_lat: float
    base_lon: float
    status: UnitStatus = UnitStatus.available
    lat0: float = 0.0
    lon0: float = 0.0
    lat1: float = 0.0
    lon1: float = 0.0
    t0: int = 0
    t1: int = 0
    speed: float = 0.0
    heading: float = 0.0
    incident: object | None = None  # the Incident it is assigned to
    gen: int = 0  # bumped on every change of plan, so stale timers are ignored

    def where(self, t: int) -> tuple[float, float]:
        """Position at ``t`` (epoch ms)."""
        if t >= self.t1 or self.t1 <= self.t0:
            return self.lat1, self.lon1
        f = max(0.0, (t - self.t0) / (self.t1 - self.t0))
        return self.lat0 + (self.lat1 - self.lat0) * f, self.lon0 + (self.lon1 - self.lon0) * f

    def moving(self, t: int) -> bool:
        return t < self.t1 and (self.lat0 != self.lat1 or self.lon0 != self.lon1)


@dataclass
class _Arrays:
    """One agency's legs as arrays, for a vectorised nearest-unit search."""

    units: list[Unit] = field(default_factory=list)
    legs: np.ndarray = field(default_factory=lambda: np.zeros((0, 6)))
    free: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


class Fleet:
    """All units, with the per-agency bookkeeping the dispatcher needs."""

    def __init__(self, units: list[Unit]) -> None:
        self.units = units
        self._by_agency: dict[Agency, _Arrays] = {}
        for agency in Agency:
            mine = [u for u in units if u.agency is agency]
            for slot, unit in enumerate(mine):
                unit.slot = slot
            self._by_agency[agency] = _Arrays(
                mine, np.zeros((len(mine), 6)), np.zeros(len(mine), dtype=bool)
            )
        for unit in units:
            self.set_leg(unit, unit.base_lat, unit.base_lon, unit.base_lat, unit.base_lon, 0, 0, 0.0)
            self.set_free(unit, unit.status is UnitStatus.available)

    def set_leg(
        self, unit: Unit, lat0: float, lon0: float, lat1: float, lon1: float, t0: int, t1: int, speed: float
    ) -> None:
        """Start a leg (a parked unit has a leg from its spot to the same spot)."""
        unit.lat0, unit.lon0, unit.lat1, unit.lon1, unit.t0, unit.t1 = lat0, lon0, lat1, lon1, t0, t1
        unit.speed = speed
        self._by_agency[unit.agency].legs[unit.slot] = (lat0, lon0, lat1, lon1, t0, t1)

    def set_free(self, unit: Unit, free: bool) -> None:
        """Whether the dispatcher may send this unit (available, parked or on its way back)."""
        self._by_agency[unit.agency].free[unit.slot] = free

    def nearest_free(self, agency: Agency, lat: float, lon: float, t: int) -> Unit | None:
        """The free unit of ``agency`` closest to (lat, lon) at ``t`` (straight line), if any."""
        table = self._by_agency[agency]
        if not table.free.any():
            return None
        legs = table.legs
        span = np.maximum(legs[:, 5] - legs[:, 4], 1.0)
        f = np.clip((t - legs[:, 4]) / span, 0.0, 1.0)
        ulat = legs[:, 0] + (legs[:, 2] - legs[:, 0]) * f
        ulon = legs[:, 1] + (legs[:, 3] - legs[:, 1]) * f
        d2 = (ulat - lat) ** 2 + ((ulon - lon) * math.cos(math.radians(lat))) ** 2
        d2[~table.free] = np.inf
        return table.units[int(np.argmin(d2))]

    def count_free(self) -> int:
        return int(sum(t.free.sum() for t in self._by_agency.values()))


def build_fleet(world: World, size: int, rng: random.Random) -> list[Unit]:
    """``size`` units split between agencies and based near places (or along highways)."""
    agencies = list(FLEET_SHARES)
    per_agency = apportion(size, [FLEET_SHARES[a] for a in agencies], [1] * len(agencies))
    units: list[Unit] = []
    for agency, count in zip(agencies, per_agency, strict=True):
        if agency is Agency.road_security and world.roads:
            bases = _road_bases(world, count, rng)
        else:
            bases = _city_bases(world, count, rng)
        numbers: dict[str, int] = {}
        for lat, lon, region in bases:
            numbers[region] = numbers.get(region, 0) + 1
            unit_id = f"{UNIT_CODES[agency]}-{region.replace('-', '')}-{numbers[region]:03d}"
            units.append(Unit(unit_id, agency, 0, round(lat, 5), round(lon, 5)))
    return units


def _city_bases(world: World, count: int, rng: random.Random) -> list[tuple[float, float, str]]:
    cities = world.cities
    floor = [0] * len(cities)
    if count >= len(world.regions):
        # Largest place of each region first (cities are sorted largest first).
        seen: set[str] = set()
        for i, city in enumerate(cities):
            if city.region not in seen:
                seen.add(city.region)
                floor[i] = 1
    # Population to the power 0.8: small places get a little more than their share, since a pool of
    # one or two units is more often all busy than a pool of fifty (square-root staffing, roughly).
    counts = apportion(count, [float(c.population) ** 0.8 for c in cities], floor)
    bases = []
    for city, n in zip(cities, counts, strict=True):
        for _ in range(n):
            bases.append(world.near(rng, city, spread_km(city) * 0.6))
    return bases


def _road_bases(world: World, count: int, rng: random.Random) -> list[tuple[float, float, str]]:
    roads = world.roads
    floor = [0] * len(roads)
    if count >= len(world.regions):
        best: dict[str, int] = {}
        for i, road in enumerate(roads):
            for region in {road.a.region, road.b.region}:
                if region not in best or road.weight > roads[best[region]].weight:
                    best[region] = i
        for i in set(best.values()):
            floor[i] = 1
    counts = apportion(count, [r.weight for r in roads], floor)
    bases = []
    for road, n in zip(roads, counts, strict=True):
        for _ in range(n):
            bases.append(world.on_road(rng, road, ROAD_POST_KM))
    return bases
