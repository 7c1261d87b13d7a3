"""Reference geography: the region polygons, the ports table and the populated places; and the
geometry the map's data shares: a unit's trail as compact offsets (:func:`trail_offsets`), incidents
as arrays of points (:class:`Points`, what the store's history hands the heatmap).

Region assignment is vectorised: one call places a whole batch of points. With 13 polygons an
STRtree buys nothing; a bounding-box prefilter and ``shapely.intersects_xy`` on each prepared polygon
place ~3 million points/s here (the STRtree ``query`` managed ~43,000), so region assignment is
never what limits the ingest worker. The files are
settings, so an operator can drop in official boundaries without touching code.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import orjson
import shapely

from .contract import OUTSIDE, REGION_CODES, REGION_TOKENS


@dataclass(frozen=True)
class Region:
    code: str
    name_en: str
    name_ar: str
    population: int


@dataclass(frozen=True)
class Port:
    id: str
    name_en: str
    name_ar: str
    kind: str  # land | air | sea
    region: str
    neighbor: str
    lat: float
    lon: float


@dataclass(frozen=True)
class City:
    name_en: str
    name_ar: str
    region: str
    lat: float
    lon: float
    population: int


class RegionIndex:
    """Point → region code, for many points at once."""

    def __init__(self, geojson_path: Path) -> None:
        collection = orjson.loads(Path(geojson_path).read_bytes())
        codes, geoms = [], []
        for feature in collection["features"]:
            code = feature["properties"]["code"]
            if code not in REGION_CODES:
                raise ValueError(f"{geojson_path}: unknown region code {code!r}")
            codes.append(code)
            geoms.append(shapely.from_geojson(orjson.dumps(feature["geometry"])))
        missing = set(REGION_CODES) - set(codes)
        if missing:
            raise ValueError(f"{geojson_path}: regions missing: {sorted(missing)}")
        self.codes = np.array(codes, dtype=object)
        self.geoms = np.array(geoms, dtype=object)
        shapely.prepare(self.geoms)
        self._bounds = [g.bounds for g in self.geoms]

    def assign(self, lons: np.ndarray | list[float], lats: np.ndarray | list[float]) -> list[str]:
        """Region code of each point, or ``OUTSIDE`` for a point in no region."""
        x = np.asarray(lons, dtype=float)
        y = np.asarray(lats, dtype=float)
        result = np.full(len(x), OUTSIDE, dtype=object)
        todo = np.ones(len(x), dtype=bool)
        # A point on a shared border matches two regions; the first in code order wins.
        for code, geom, (x0, y0, x1, y1) in zip(self.codes, self.geoms, self._bounds, strict=True):
            candidates = np.nonzero(todo & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))[0]
            if not len(candidates):
                continue
            inside = candidates[shapely.intersects_xy(geom, x[candidates], y[candidates])]
            result[inside] = code
            todo[inside] = False
        return result.tolist()

    def assign_one(self, lon: float, lat: float) -> str:
        return self.assign([lon], [lat])[0]


def load_ports(path: Path) -> dict[str, Port]:
    """The ports table, by id."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        row["id"]: Port(
            id=row["id"],
            name_en=row["name_en"],
            name_ar=row["name_ar"],
            kind=row["kind"],
            region=row["region_code"],
            neighbor=row["neighbor"],
            lat=float(row["lat"]),
            lon=float(row["lon"]),
        )
        for row in rows
    }


def load_cities(path: Path) -> list[City]:
    """Populated places, largest first."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    cities = [
        City(
            name_en=row["name_en"],
            name_ar=row["name_ar"],
            region=row["region_code"],
            lat=float(row["lat"]),
            lon=float(row["lon"]),
            population=int(row["population"]),
        )
        for row in rows
    ]
    return sorted(cities, key=lambda c: -c.population)


def load_regions(regions_path: Path, cities_path: Path) -> dict[str, Region]:
    """Region names from the polygon file; population summed from the places in it."""
    collection = orjson.loads(Path(regions_path).read_bytes())
    population: dict[str, int] = {}
    for city in load_cities(cities_path):
        population[city.region] = population.get(city.region, 0) + city.population
    return {
        f["properties"]["code"]: Region(
            code=f["properties"]["code"],
            name_en=f["properties"]["name_en"],
            name_ar=f["properties"]["name_ar"],
            population=population.get(f["properties"]["code"], 0),
        )
        for f in sorted(collection["features"], key=lambda f: f["properties"]["code"])
    }


def region_bounds(regions_path: Path) -> dict[str, tuple[float, float, float, float]]:
    """Each region's bounding box, ``(west, south, east, north)``, from the polygon file, by code."""
    collection = orjson.loads(Path(regions_path).read_bytes())
    return {
        f["properties"]["code"]: tuple(shapely.from_geojson(orjson.dumps(f["geometry"])).bounds)
        for f in collection["features"]
        if (f.get("properties") or {}).get("code") in REGION_CODES
    }


@lru_cache(maxsize=4)
def region_index(path: Path) -> RegionIndex:
    """A shared, cached index per polygon file (building one takes ~0.1 s)."""
    return RegionIndex(path)


#: Trails: offsets in steps of 1e-4° (~11 m); a unit that moved less than STILL_STEPS stood still.
TRAIL_STEP = 1e-4
STILL_STEPS = 3
SIMPLIFY_STEPS = 1.5


def trail_offsets(trail: list[list[float]] | None, here: list[float]) -> list[int] | None:
    """``[dlon, dlat, …]`` of the trail's earlier points from ``here`` (the newest), in TRAIL_STEPs,
    oldest first; ``None`` when there is none or the unit stood still.

    Points the line would pass anyway are dropped (repeats, and points within ~1.5 steps of the
    straight line between their neighbours), so a unit driving straight sends one offset, not nine.
    """
    if not trail or len(trail) < 2:
        return None
    lon0, lat0 = here[:2]
    points: list[tuple[int, int]] = []
    for lon, lat, *_ in trail[:-1]:
        step = (round((lon - lon0) / TRAIL_STEP), round((lat - lat0) / TRAIL_STEP))
        if not points or points[-1] != step:
            points.append(step)
    kept = _simplify([*points, (0, 0)], SIMPLIFY_STEPS)[:-1]
    if not kept or max(max(abs(x), abs(y)) for x, y in kept) < STILL_STEPS:
        return None
    return [v for xy in kept for v in xy]


def _simplify(points: list[tuple[int, int]], tolerance: float) -> list[tuple[int, int]]:
    """Ramer–Douglas–Peucker: the points that keep the line within ``tolerance`` of the original."""
    if len(points) < 3:
        return points
    (x0, y0), (x1, y1) = points[0], points[-1]
    length = math.hypot(x1 - x0, y1 - y0)
    worst, at = -1.0, 0
    for i, (x, y) in enumerate(points[1:-1], start=1):
        if length:
            distance = abs((x1 - x0) * (y0 - y) - (x0 - x) * (y1 - y0)) / length
        else:
            distance = math.hypot(x - x0, y - y0)
        if distance > worst:
            worst, at = distance, i
    if worst <= tolerance:
        return [points[0], points[-1]]
    return _simplify(points[: at + 1], tolerance)[:-1] + _simplify(points[at:], tolerance)


_REGION_INDEX = {token: i for i, token in enumerate(REGION_TOKENS)}
_OUTSIDE = _REGION_INDEX[OUTSIDE]


@dataclass(frozen=True)
class Points:
    """Incidents as parallel arrays: position, when each was opened, and its region (as the index of
    its token in :data:`~app.contract.REGION_TOKENS`: counting by region is then a ``bincount``)."""

    lon: np.ndarray
    lat: np.ndarray
    opened: np.ndarray  # epoch ms, int64
    region: np.ndarray  # index into REGION_TOKENS, int8

    @classmethod
    def of(cls, rows: Iterable[tuple[float, float, int, str]]) -> Points:
        rows = list(rows)
        if not rows:
            return cls.empty()
        lon, lat, opened, region = zip(*rows, strict=True)
        return cls(
            np.asarray(lon, dtype=float),
            np.asarray(lat, dtype=float),
            np.asarray(opened, dtype=np.int64),
            np.fromiter((_REGION_INDEX.get(r, _OUTSIDE) for r in region), dtype=np.int8, count=len(rows)),
        )

    @classmethod
    def empty(cls) -> Points:
        return cls(np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8))

    def regions(self) -> list[str]:
        """The region token of each point."""
        return [REGION_TOKENS[i] for i in self.region.tolist()]

    @classmethod
    def join(cls, parts: Iterable[Points]) -> Points:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        names = ("lon", "lat", "opened", "region")
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in names))

    def __len__(self) -> int:
        return len(self.lon)

    def where(self, mask: np.ndarray) -> Points:
        return Points(self.lon[mask], self.lat[mask], self.opened[mask], self.region[mask])
