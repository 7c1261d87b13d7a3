"""The static geography the simulator draws from: places, roads between them, ports, land.

Everything here is read once from the reference files (the same ones the ingest worker uses) and
never changes while a scenario runs. Points are drawn near places and along roads, and a point that
falls in the sea or across a border (region ``outside``) is drawn again, so every incident and every
unit base is on the Kingdom's land.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING

import shapely

from ..contract import OUTSIDE
from ..geo import City, Port, RegionIndex
from ..reference import Reference

if TYPE_CHECKING:
    from ..settings import Settings

EARTH_RADIUS_KM = 6371.0
KM_PER_DEG = math.pi * EARTH_RADIUS_KM / 180.0  # ~111.2 km per degree of latitude
#: Roads link each place to this many nearest places (no further than ROAD_MAX_KM).
ROAD_NEIGHBOURS = 3
ROAD_MAX_KM = 450.0
#: Attempts to draw a point on land before falling back to the place itself.
LAND_ATTEMPTS = 25


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from the first point to the second, degrees clockwise from north (0–360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def offset(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    """The point ``north_km`` north and ``east_km`` east of (lat, lon) (flat-earth; fine for a few km)."""
    return lat + north_km / KM_PER_DEG, lon + east_km / (KM_PER_DEG * math.cos(math.radians(lat)))


@dataclass(frozen=True)
class Road:
    """A straight stand-in for the highway between two places."""

    a: City
    b: City
    km: float
    weight: float  # share of highway incidents and road-security units


def _roads(cities: tuple[City, ...]) -> tuple[Road, ...]:
    """Link every place to its nearest neighbours: a sparse, plausible highway network."""
    pairs: dict[tuple[int, int], float] = {}
    for i, city in enumerate(cities):
        nearest = sorted(
            (distance_km(city.lat, city.lon, other.lat, other.lon), j)
            for j, other in enumerate(cities)
            if j != i
        )
        for km, j in nearest[:ROAD_NEIGHBOURS]:
            if 15.0 < km <= ROAD_MAX_KM:
                pairs[(min(i, j), max(i, j))] = km
    roads = []
    for (i, j), km in sorted(pairs.items()):
        a, b = cities[i], cities[j]
        # Traffic between two places grows with both populations; longer roads see more of it.
        weight = math.sqrt(a.population * b.population) * math.sqrt(km) / 1e6
        roads.append(Road(a, b, km, weight))
    return tuple(roads)


class World:
    """Places, roads, ports and the land test, shared by every part of a scenario."""

    def __init__(self, cities: list[City], ports: dict[str, Port], index: RegionIndex) -> None:
        if not cities:
            raise ValueError("the simulator needs at least one populated place")
        self.cities: tuple[City, ...] = tuple(sorted(cities, key=lambda c: (-c.population, c.name_en)))
        self.ports: dict[str, Port] = dict(sorted(ports.items()))
        self.index = index
        self._geoms = dict(zip(index.codes.tolist(), index.geoms.tolist(), strict=True))
        self.roads: tuple[Road, ...] = _roads(self.cities)
        self.regions: tuple[str, ...] = tuple(sorted({c.region for c in self.cities}))

    @classmethod
    def from_settings(cls, settings: Settings) -> World:
        """The world described by the reference files named in ``settings``."""
        return cls.from_reference(Reference.from_settings(settings))

    @classmethod
    def from_reference(cls, reference: Reference) -> World:
        """The world of ``reference``'s populated places, ports and region polygons."""
        return cls(reference.cities, reference.ports, reference.region_index)

    def region_of(self, lat: float, lon: float, hint: str | None = None) -> str:
        """Region code of a point, or ``OUTSIDE``; ``hint`` (the likely region) is tested first."""
        geom = self._geoms.get(hint) if hint else None
        if geom is not None and shapely.intersects_xy(geom, lon, lat):
            return hint  # type: ignore[return-value]
        return self.index.assign_one(lon, lat)

    def near(self, rng: random.Random, city: City, spread_km: float) -> tuple[float, float, str]:
        """A point on land about ``spread_km`` (one standard deviation) from ``city``, with its region."""
        for _ in range(LAND_ATTEMPTS):
            lat, lon = offset(city.lat, city.lon, rng.gauss(0.0, spread_km), rng.gauss(0.0, spread_km))
            region = self.region_of(lat, lon, city.region)
            if region != OUTSIDE:
                return lat, lon, region
        return city.lat, city.lon, self.region_of(city.lat, city.lon, city.region)

    def on_road(self, rng: random.Random, road: Road, from_end_km: float) -> tuple[float, float, str]:
        """A point on land along ``road`` about ``from_end_km`` (exponentially distributed) from a
        random end — highway traffic, and so its crashes and its patrols, thins out away from the
        towns — with its region.
        """
        for _ in range(LAND_ATTEMPTS):
            f = min(0.5, (2.0 + rng.expovariate(1.0 / from_end_km)) / road.km)
            start, end = (road.a, road.b) if rng.random() < 0.5 else (road.b, road.a)
            lat = start.lat + (end.lat - start.lat) * f
            lon = start.lon + (end.lon - start.lon) * f
            lat, lon = offset(lat, lon, rng.gauss(0.0, 0.3), rng.gauss(0.0, 0.3))
            region = self.region_of(lat, lon, start.region)
            if region != OUTSIDE:
                return lat, lon, region
        return self.near(rng, road.a, 3.0)


def spread_km(city: City) -> float:
    """How far a place's incidents scatter: ~2 km around a town, ~6 km around a city of millions."""
    return 1.5 + 1.5 * max(0.0, math.log10(max(city.population, 1) / 30_000))


def cumulative(weights: list[float]) -> list[float]:
    """Cumulative weights for ``random.choices(..., cum_weights=...)`` (fast repeated draws)."""
    return list(accumulate(weights))
