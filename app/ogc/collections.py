"""The OGC API – Features collections: what each one is, and its features in a scope, read from the store.

Five collections, each a list of GeoJSON Features (CRS84 points or polygons) with a string ``id``:

* ``incidents`` — the open incidents, and those closed within the history window
  (``BASIRA_HISTORY_HOURS``), exactly the Features ``/api/v1/snapshot`` serves, plus ``time``;
* ``units`` — every unit's latest position;
* ``ports`` — the border ports with their last hour's travellers and latest queue wait;
* ``regions`` — the Kingdom's regions (polygons, the reference data's file);
* ``alerts`` — the open alerts; one of the nation (a silent stream) has no place, so no geometry.

Each Feature gets ``properties.time`` — RFC 3339, UTC — for the instant the standard's ``datetime``
selects on: an incident's or unit's latest change (``ts``), a port's latest wait reading, an alert's
raising; regions have none (so a ``datetime`` query selects no region). A GIS client reads ``time`` as a
date-time field, which is what lets GDAL turn a ``-where`` on it into a ``datetime`` query.

Scope: every read takes the caller's :class:`~app.contract.Scope` (the views get it from
:func:`app.auth.scope_for`), as the snapshot does — a commander's token reads its regions and agencies
only; regions and ports belong to their region, alerts of the nation to everyone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import shapely

from ..alerts.listing import alert_in_scope, alerts_for
from .query import BBox, iso

if TYPE_CHECKING:
    from ..alerts.model import Alert
    from ..contract import Scope
    from ..store import Store

Feature = dict[str, Any]
#: CRS84: longitude, latitude on WGS 84 — the only CRS served (OGC API – Features Part 1's default).
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


@dataclass(frozen=True)
class Context:
    """What reading a collection needs: the store, the scope, now, and the history window (ms)."""

    store: Store
    scope: Scope
    now_ms: int
    history_ms: int


@dataclass(frozen=True)
class Collection:
    """One collection: its id, words, whether its features have a time, and how to read them."""

    id: str
    title: str
    description: str
    read: Callable[[Context], list[Feature]]
    temporal: bool = True
    #: One feature by id without reading them all (``None``: look through :attr:`read`'s).
    find: Callable[[Context, str], Feature | None] | None = None

    def one(self, context: Context, feature_id: str) -> Feature | None:
        """The feature ``feature_id`` of this collection in ``context``'s scope, or ``None``."""
        if self.find is not None:
            return self.find(context, feature_id)
        return next((f for f in self.read(context) if f.get("id") == feature_id), None)

    def temporal_extent(self, context: Context) -> list[str | None] | None:
        """The interval its times may lie in (open at the end: it is live), or ``None`` without times."""
        if not self.temporal:
            return None
        if self.id == "incidents":
            return [iso(context.now_ms - context.history_ms), None]
        return [None, None]


def timed(feature: Feature) -> Feature:
    """``feature`` with ``properties.time`` (RFC 3339, UTC) when it has a time (:func:`time_of`) — added to
    the features of a page only, not to all that were read."""
    ms = time_of(feature)
    if ms is not None:
        feature["properties"]["time"] = iso(ms)
    return feature


def _incidents(context: Context) -> list[Feature]:
    live = context.store.live
    open_ = live.incidents(context.scope)
    seen = {f["id"] for f in open_}
    closed = [f for f in live.closed_incidents(context.scope, context.now_ms - context.history_ms)
              if f["id"] not in seen]
    return [*open_, *closed]


def _incident(context: Context, incident_id: str) -> Feature | None:
    """One incident, open or closed within the window — the store's own read by id, scope checked there."""
    feature = context.store.live.incident(incident_id, context.scope)
    if feature is None:
        return None
    properties = feature.get("properties") or {}
    if properties.get("status") == "closed" and (time_of(feature) or 0) < context.now_ms - context.history_ms:
        return None
    return feature


def _units(context: Context) -> list[Feature]:
    return context.store.live.units(context.scope)


def _ports(context: Context) -> list[Feature]:
    out = []
    for row in context.store.live.port_summary(context.now_ms):
        if not context.scope.covers(row["region"]):
            continue
        properties = {k: v for k, v in row.items() if k not in ("id", "lat", "lon")}
        feature = {"type": "Feature", "id": row["id"],
                   "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                   "properties": properties}
        out.append(feature)
    return out


@lru_cache(maxsize=4)
def _region_features(path: Path) -> tuple[bytes, ...]:
    """The regions file's Features as JSON texts (a fresh dict per request: callers add to them)."""
    collection = orjson.loads(Path(path).read_bytes())
    out = []
    for feature in collection["features"]:
        properties = feature.get("properties") or {}
        code = properties.get("code")
        if not code:
            continue
        out.append(orjson.dumps({"type": "Feature", "id": code, "geometry": feature["geometry"],
                                 "properties": {"code": code, "name_en": properties.get("name_en"),
                                                "name_ar": properties.get("name_ar"),
                                                "area_km2": properties.get("area_km2")}}))
    return tuple(out)


def _regions(context: Context) -> list[Feature]:
    regions = context.store.reference.regions
    out = []
    for text in _region_features(context.store.reference.regions_file):
        feature = orjson.loads(text)
        if not context.scope.covers(feature["id"]):
            continue
        region = regions.get(feature["id"])
        feature["properties"]["population"] = region.population if region else None
        out.append(feature)
    return out


def _alerts(context: Context) -> list[Feature]:
    return [_alert_feature(a) for a in alerts_for(context.store, context.scope, "open", limit=100_000)]


def _alert(context: Context, alert_id: str) -> Feature | None:
    alert = alert_in_scope(context.store, alert_id, context.scope)
    return _alert_feature(alert) if alert is not None and alert.open else None


def _alert_feature(alert: Alert) -> Feature:
    """An alert as a Feature: its API shape (``GET /api/v1/alerts``) as properties, its place as a point."""
    properties = alert.json()
    for name in ("id", "lon", "lat"):
        properties.pop(name, None)
    geometry = ({"type": "Point", "coordinates": [alert.lon, alert.lat]}
                if alert.lon is not None and alert.lat is not None else None)
    return {"type": "Feature", "id": alert.id, "geometry": geometry, "properties": properties}


COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection("incidents", "Incidents",
                   "Open incidents, and those closed within the history window; time is the latest change.",
                   _incidents, find=_incident),
        Collection("units", "Units", "Every unit's latest position and status; time is that position's.",
                   _units),
        Collection("ports", "Border ports",
                   "Land crossings, airports and seaports: travellers in the last hour, the latest queue "
                   "wait; time is that wait's reading.", _ports),
        Collection("regions", "Regions", "The Kingdom's regions (ISO 3166-2:SA), with their population.",
                   _regions, temporal=False),
        Collection("alerts", "Open alerts",
                   "Alerts raised and not yet resolved; an alert of the nation has no geometry.", _alerts,
                   find=_alert),
    )
}


def context_for(store: Store, scope: Scope, history_hours: float, now_ms: int | None = None) -> Context:
    return Context(store, scope, int(time.time() * 1000) if now_ms is None else now_ms,
                   int(history_hours * 3_600_000))


def time_of(feature: Feature) -> int | None:
    """A Feature's ``time`` as epoch ms (what ``datetime`` selects on); ``None`` without one."""
    properties = feature.get("properties") or {}
    for name in ("ts", "raised_at", "wait_ts"):
        value = properties.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def in_bbox(feature: Feature, bbox: BBox) -> bool:
    """Whether a Feature's geometry meets ``bbox`` (a point inside it, a polygon touching it); a Feature
    without a geometry never does."""
    geometry = feature.get("geometry")
    if not geometry:
        return False
    if geometry.get("type") == "Point":
        lon, lat = geometry["coordinates"][:2]
        return bbox.contains(lon, lat)
    shape = _shape(orjson.dumps(geometry))
    if not bbox.meets(shape.bounds):
        return False
    if bbox.west <= bbox.east:
        boxes = [shapely.box(bbox.west, bbox.south, bbox.east, bbox.north)]
    else:  # across the antimeridian: the two halves
        boxes = [shapely.box(bbox.west, bbox.south, 180, bbox.north),
                 shapely.box(-180, bbox.south, bbox.east, bbox.north)]
    return any(shape.intersects(box) for box in boxes)


@lru_cache(maxsize=64)
def _shape(geometry: bytes) -> shapely.Geometry:
    """A polygon's shape, made once (the regions are the same few every request)."""
    shape = shapely.from_geojson(geometry)
    shapely.prepare(shape)
    return shape


def kingdom_bbox(store: Store) -> list[float]:
    """The regions' bounding box together, CRS84 ``[west, south, east, north]``: every collection's
    spatial extent (a point outside every region is rare enough not to widen it)."""
    boxes = store.reference.region_bounds.values()
    return [round(min(b[0] for b in boxes), 4), round(min(b[1] for b in boxes), 4),
            round(max(b[2] for b in boxes), 4), round(max(b[3] for b in boxes), 4)]
