"""Guarded zones (``BASIRA_ZONES_FILE``, a GeoJSON FeatureCollection): polygons and circles with
names in both languages and, optionally, the periods they are guarded in.

A Feature is a zone: ``properties.id``, ``name_en``, ``name_ar``; its geometry a Polygon or
MultiPolygon, or a Point with ``properties.radius_m`` (a circle). ``properties.active`` lists periods;
without it the zone is always guarded. A period is

* ``{"calendar": "hijri", "from": "12-08", "to": "12-13"}`` — those Hijri (Umm al-Qura) days every
  year, Riyadh days, both ends included (the Hajj days, Dhu al-Hijjah 8–13);
* ``{"calendar": "hijri", "from": "1448-12-08", "to": "1448-12-13"}`` — those days of one year;
* ``{"from": "2026-12-10T15:00:00+03:00", "to": "2026-12-10T23:30:00+03:00"}`` — instants (a match).

Circles are drawn as 64-sided polygons (within 0.2 % of the radius), so every zone is tested the same
way: ``shapely.contains_xy`` over all the points at once. Pure but for reading the file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import shapely
from hijridate import Gregorian
from shapely.geometry import Polygon, shape
from shapely.validation import explain_validity

RIYADH = timezone(timedelta(hours=3))
EARTH_M = 6_371_008.8
#: How far outside a zone something held inside must be before it counts as out (metres): the geofence
#: rules' hysteresis, so a unit on the line does not raise and clear an alert every tick.
EXIT_MARGIN_M = 25.0
#: The Kingdom and its neighbours' edges, with room: a zone outside this is a typo (lat/lon swapped).
LON_RANGE = (30.0, 60.0)
LAT_RANGE = (12.0, 35.0)


class ZoneError(ValueError):
    """A zone that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Period:
    """When a zone is guarded: Hijri month-days every year (``year`` 0), of one Hijri year, or instants."""

    calendar: str  # "hijri" or "instant"
    start: tuple[int, int, int] | int  # (year, month, day) for hijri (year 0: every year), else ms
    end: tuple[int, int, int] | int

    def contains(self, now_ms: int) -> bool:
        if self.calendar == "instant":
            return self.start <= now_ms <= self.end  # type: ignore[operator]
        year, month, day = _hijri_of(_riyadh_day(now_ms))
        (y0, m0, d0), (y1, m1, d1) = self.start, self.end  # type: ignore[misc]
        if y0 == 0:  # every year: compare month-days (a period may run over the year's end)
            here, lo, hi = (month, day), (m0, d0), (m1, d1)
            return lo <= here <= hi if lo <= hi else here >= lo or here <= hi
        return (y0, m0, d0) <= (year, month, day) <= (y1, m1, d1)


@dataclass(frozen=True)
class Zone:
    """One guarded zone: its outline (a polygon, or a circle drawn as one), names, periods."""

    id: str
    name_en: str
    name_ar: str
    outline: Any  # a shapely (Multi)Polygon, prepared
    lon: float  # a representative point, for the alert's pin
    lat: float
    periods: tuple[Period, ...] = ()
    circle_m: float | None = None
    geojson: dict[str, Any] = field(default_factory=dict, compare=False)
    margin: Any = None  # the outline grown by EXIT_MARGIN_M, prepared

    def active(self, now_ms: int) -> bool:
        return not self.periods or any(p.contains(now_ms) for p in self.periods)

    def inside(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Which of the points lie inside (a boolean array), all at once."""
        if len(lons) == 0:
            return np.zeros(0, dtype=bool)
        return shapely.contains_xy(self.outline, lons, lats)


def _riyadh_day(now_ms: int) -> date:
    return datetime.fromtimestamp(now_ms / 1000, tz=RIYADH).date()


@lru_cache(maxsize=512)
def _hijri_of(day: date) -> tuple[int, int, int]:
    try:
        h = Gregorian(day.year, day.month, day.day).to_hijri()
    except (ValueError, OverflowError):
        return (0, 0, 0)
    return (h.year, h.month, h.day)


def circle(lon: float, lat: float, radius_m: float, sides: int = 64) -> Polygon:
    """A circle of ``radius_m`` around a point, as a polygon (local equirectangular: exact enough
    within a few kilometres)."""
    dlat = math.degrees(radius_m / EARTH_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    angles = np.linspace(0, 2 * math.pi, sides, endpoint=False)
    return Polygon(np.column_stack([lon + dlon * np.cos(angles), lat + dlat * np.sin(angles)]))


def _check_ring(points: Sequence[Any], what: str) -> None:
    if not isinstance(points, Sequence) or len(points) < 3:
        raise ZoneError(f"{what}: a polygon needs at least 3 points [lon, lat]")
    for point in points:
        if not (
            isinstance(point, Sequence)
            and len(point) == 2
            and all(isinstance(v, int | float) and math.isfinite(v) for v in point)
        ):
            raise ZoneError(f"{what}: every point must be [lon, lat] (got {str(point)[:40]})")
        lon, lat = point
        if not (LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
            raise ZoneError(
                f"{what}: point [{lon}, {lat}] is far outside the Kingdom (lon {LON_RANGE}, "
                f"lat {LAT_RANGE}; are longitude and latitude swapped?)"
            )


def _valid(outline: Any, what: str) -> Any:
    if outline.is_empty or not outline.is_valid:
        raise ZoneError(f"{what}: not a valid polygon ({explain_validity(outline)})")
    if outline.area <= 0:
        raise ZoneError(f"{what}: the polygon has no area")
    return outline


def parse_shape(
    zone_id: str, spec: Mapping[str, Any], name_en: str, name_ar: str, periods: tuple[Period, ...] = ()
) -> Zone:
    """A zone from a rule's inline ``polygon = [[lon, lat], …]`` or ``circle = {lon, lat, radius_m}``."""
    if spec.get("polygon") is not None:
        ring = [list(p) for p in spec["polygon"]]
        _check_ring(ring, f"zone {zone_id!r}")
        outline = _valid(Polygon(ring), f"zone {zone_id!r}")
        return _zone(zone_id, name_en, name_ar, outline, periods)
    c = spec.get("circle") or {}
    try:
        lon, lat, radius = float(c["lon"]), float(c["lat"]), float(c["radius_m"])
    except (KeyError, TypeError, ValueError):
        raise ZoneError(f"zone {zone_id!r}: a circle needs lon, lat and radius_m") from None
    _check_ring([[lon, lat]] * 3, f"zone {zone_id!r}")
    if not 1 <= radius <= 100_000:
        raise ZoneError(f"zone {zone_id!r}: radius_m must be from 1 to 100000 (got {radius})")
    return _zone(zone_id, name_en, name_ar, circle(lon, lat, radius), periods, radius, (lon, lat))


def _zone(
    zone_id: str,
    name_en: str,
    name_ar: str,
    outline: Any,
    periods: tuple[Period, ...],
    radius_m: float | None = None,
    centre: tuple[float, float] | None = None,
) -> Zone:
    point = centre or outline.representative_point().coords[0]
    degrees = math.degrees(EXIT_MARGIN_M / EARTH_M) / max(math.cos(math.radians(point[1])), 0.1)
    margin = outline.buffer(degrees)
    shapely.prepare(outline)
    shapely.prepare(margin)
    geometry = (
        {"type": "Point", "coordinates": list(centre)}
        if centre
        else orjson.loads(shapely.to_geojson(outline))
    )
    feature = {
        "type": "Feature",
        "id": zone_id,
        "geometry": geometry,
        "properties": {
            "id": zone_id,
            "name_en": name_en,
            "name_ar": name_ar,
            **({"radius_m": radius_m} if radius_m else {}),
        },
    }
    return Zone(
        zone_id,
        name_en,
        name_ar,
        outline,
        float(point[0]),
        float(point[1]),
        periods,
        radius_m,
        feature,
        margin,
    )


def _hijri_date(text: Any, what: str) -> tuple[int, int, int]:
    parts = str(text).split("-")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        raise ZoneError(f"{what}: {text!r} is not a Hijri date (MM-DD or YYYY-MM-DD)") from None
    if len(numbers) == 2:
        numbers = [0, *numbers]
    if len(numbers) != 3 or not (1 <= numbers[1] <= 12 and 1 <= numbers[2] <= 30):
        raise ZoneError(f"{what}: {text!r} is not a Hijri date (MM-DD or YYYY-MM-DD)")
    return (numbers[0], numbers[1], numbers[2])


def _instant(text: Any, what: str) -> int:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        raise ZoneError(f"{what}: {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ZoneError(f"{what}: {text!r} needs its UTC offset (e.g. +03:00)")
    return int(moment.timestamp() * 1000)


def parse_periods(raw: Any, what: str) -> tuple[Period, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ZoneError(f"{what}: active must be a list of periods")
    periods = []
    for item in raw:
        if not isinstance(item, Mapping) or "from" not in item or "to" not in item:
            raise ZoneError(f"{what}: each period needs from and to")
        if item.get("calendar") == "hijri":
            start, end = _hijri_date(item["from"], what), _hijri_date(item["to"], what)
            if (start[0] == 0) != (end[0] == 0):
                raise ZoneError(f"{what}: a period's two Hijri dates must both have a year, or neither")
            periods.append(Period("hijri", start, end))
        else:
            start_ms, end_ms = _instant(item["from"], what), _instant(item["to"], what)
            if end_ms < start_ms:
                raise ZoneError(f"{what}: the period ends before it starts")
            periods.append(Period("instant", start_ms, end_ms))
    return tuple(periods)


def parse_zones(data: Any, source: str) -> dict[str, Zone]:
    """The zones of a parsed GeoJSON FeatureCollection; :class:`ZoneError` names the Feature at fault."""
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise ZoneError(f"{source}: not a GeoJSON FeatureCollection")
    zones: dict[str, Zone] = {}
    for n, feature in enumerate(data.get("features") or []):
        props = (feature or {}).get("properties") or {}
        zone_id = str(props.get("id") or feature.get("id") or "")
        what = f"{source}: feature {n} ({zone_id or 'no id'})"
        if not zone_id:
            raise ZoneError(f"{what}: needs properties.id")
        if zone_id in zones:
            raise ZoneError(f"{what}: zone id {zone_id!r} is used twice")
        names = (
            str(props.get("name_en") or zone_id),
            str(props.get("name_ar") or props.get("name_en") or zone_id),
        )
        periods = parse_periods(props.get("active"), what)
        geometry = feature.get("geometry") or {}
        if geometry.get("type") == "Point":
            lon, lat = (geometry.get("coordinates") or [None, None])[:2]
            zones[zone_id] = parse_shape(
                zone_id,
                {"circle": {"lon": lon, "lat": lat, "radius_m": props.get("radius_m")}},
                *names,
                periods,
            )
            continue
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise ZoneError(f"{what}: geometry must be a Polygon, a MultiPolygon or a Point with radius_m")
        try:
            outline = shape(geometry)
        except (ValueError, TypeError, AttributeError) as error:
            raise ZoneError(f"{what}: not a valid geometry ({error})") from None
        for polygon in getattr(outline, "geoms", [outline]):
            _check_ring([list(c) for c in polygon.exterior.coords], what)
        zones[zone_id] = _zone(zone_id, *names, _valid(outline, what), periods)
    return zones


def load_zones(path: Path | None) -> dict[str, Zone]:
    """The zones of the file at ``path`` (none when ``None``); raises :class:`ZoneError` or ``OSError``."""
    if path is None:
        return {}
    try:
        data = orjson.loads(Path(path).read_bytes())
    except orjson.JSONDecodeError as error:
        raise ZoneError(f"{path}: not valid JSON ({error})") from None
    return parse_zones(data, str(path))
