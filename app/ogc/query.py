"""The query of an OGC API – Features ``…/items`` request, parsed strictly and applied to plain Features.

Pure: no Flask, no store. The views (:mod:`app.api_ogc`) hand the query string in and get either a
:class:`Query` or a :class:`BadQuery` whose message is the 400's description — the standard wants a 400
for an unknown parameter (``/req/core/query-param-unknown``) and for an invalid value
(``/req/core/query-param-invalid``), never a silently ignored one, since a client that believes it
filtered would show the wrong picture.

* ``bbox``: four numbers, CRS84 (west, south, east, north); west > east spans the antimeridian, as the
  standard allows. Six numbers are for a CRS with heights, which CRS84 is not: a 400.
* ``datetime``: an RFC 3339 instant or a closed or half-bounded interval (``a/b``, ``../b``, ``a/..``),
  each end a date-time with an offset or a full date (the whole day, UTC); a feature is selected when its
  time lies in it. A feature with no time never matches one.
* ``limit``: 1 or more; above :data:`MAX_LIMIT` it is :data:`MAX_LIMIT` (``/req/core/fc-limit-response-1``:
  a larger value "SHALL NOT result in an error"); :data:`DEFAULT_LIMIT` when absent.
* ``cursor``: the opaque token of a ``next``/``prev`` link — keyset paging by feature id, so walking the
  pages of a live collection that changes meanwhile never shows a feature twice and never skips one that
  stayed.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

#: Features on a page when the client names no ``limit``. The standard's example says 10, a figure for
#: browsing; GIS clients (GDAL, QGIS) always send their own page size, and anything else asking without
#: one (curl, a script) is better served by fewer round trips.
DEFAULT_LIMIT = 100
#: The most features on one page (the standard's example maximum). More is served as this many.
MAX_LIMIT = 10_000
#: Query parameters of each kind of resource (``f`` everywhere: the standard's way to ask for an encoding).
ITEMS_PARAMETERS = frozenset({"bbox", "datetime", "limit", "cursor", "f"})
OTHER_PARAMETERS = frozenset({"f"})
#: The encodings ``f`` may name: JSON only (GeoJSON for features), as the conformance classes claim.
FORMATS = frozenset({"json"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T?$")
_CURSOR = re.compile(r"^[ab]\.[A-Za-z0-9_-]{1,200}$")


class BadQuery(ValueError):
    """A query parameter that cannot be used: unknown, or a value that is not valid. The message says
    which and why (the 400's ``description``)."""


@dataclass(frozen=True)
class BBox:
    """A CRS84 box; ``west > east`` spans the antimeridian."""

    west: float
    south: float
    east: float
    north: float

    def _lon_in(self, lon: float) -> bool:
        if self.west <= self.east:
            return self.west <= lon <= self.east
        return lon >= self.west or lon <= self.east

    def contains(self, lon: float, lat: float) -> bool:
        return self.south <= lat <= self.north and self._lon_in(lon)

    def meets(self, bounds: tuple[float, float, float, float]) -> bool:
        """Whether a geometry's bounding box ``(west, south, east, north)`` meets this box."""
        west, south, east, north = bounds
        if south > self.north or north < self.south:
            return False
        if self.west <= self.east:
            return not (west > self.east or east < self.west)
        return east >= self.west or west <= self.east

    def as_list(self) -> list[float]:
        return [self.west, self.south, self.east, self.north]


@dataclass(frozen=True)
class Interval:
    """Epoch ms, both ends inclusive; ``None`` for an open end."""

    start: int | None = None
    end: int | None = None

    def contains(self, ms: int | None) -> bool:
        if ms is None:
            return False
        return (self.start is None or ms >= self.start) and (self.end is None or ms <= self.end)


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after the feature id ``after`` (a ``next`` link) or before ``before``
    (``prev``)."""

    after: str | None = None
    before: str | None = None

    def token(self) -> str:
        kind, key = ("a", self.after) if self.after is not None else ("b", self.before or "")
        return f"{kind}.{base64.urlsafe_b64encode(key.encode()).decode().rstrip('=')}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        if not _CURSOR.match(text):
            raise BadQuery("cursor: not a token of this server (take the next/prev link as it is)")
        kind, _, data = text.partition(".")
        try:
            key = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise BadQuery("cursor: not a token of this server (take the next/prev link as it is)") from None
        return cls(after=key) if kind == "a" else cls(before=key)


@dataclass(frozen=True)
class Query:
    """An items request: what to select and which page."""

    bbox: BBox | None = None
    datetime: Interval | None = None
    limit: int = DEFAULT_LIMIT
    cursor: Cursor | None = None


def check_parameters(args: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """400 for a parameter the API definition does not name, or for ``f`` naming another encoding."""
    unknown = sorted(name for name in args if name not in allowed)
    if unknown:
        names = ", ".join(repr(n[:40]) for n in unknown[:5])
        raise BadQuery(f"unknown query parameter {names}: this resource takes {', '.join(sorted(allowed))}")
    f = args.get("f")
    if f is not None and f not in FORMATS:
        raise BadQuery(f"f: {str(f)[:20]!r} is not served; f=json (GeoJSON for features) is")


def parse_query(args: Mapping[str, str]) -> Query:
    """The items query of ``args`` (a query string's first values). Raises :class:`BadQuery`."""
    check_parameters(args, ITEMS_PARAMETERS)
    bbox = args.get("bbox")
    when = args.get("datetime")
    limit = args.get("limit")
    cursor = args.get("cursor")
    return Query(
        bbox=parse_bbox(bbox) if bbox is not None else None,
        datetime=parse_datetime(when) if when is not None else None,
        limit=parse_limit(limit) if limit is not None else DEFAULT_LIMIT,
        cursor=Cursor.parse(cursor) if cursor is not None else None,
    )


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadQuery(f"bbox: {text.strip()[:20]!r} is not a number") from None
    if not math.isfinite(value) or not text.strip().isascii():
        raise BadQuery(f"bbox: {text.strip()[:20]!r} is not a number")
    return value


def parse_bbox(text: str) -> BBox:
    """``west,south,east,north`` in CRS84 degrees."""
    parts = text.split(",")
    if len(parts) == 6:
        raise BadQuery("bbox: six numbers are for a CRS with heights; CRS84 takes four: "
                       "west,south,east,north")
    if len(parts) != 4:
        raise BadQuery("bbox: four numbers separated by commas: west,south,east,north (CRS84)")
    west, south, east, north = (_number(p) for p in parts)
    if not all(-180 <= v <= 180 for v in (west, east)) or not all(-90 <= v <= 90 for v in (south, north)):
        raise BadQuery("bbox: longitudes lie in -180…180 and latitudes in -90…90")
    if south > north:
        raise BadQuery("bbox: the south edge lies north of the north edge")
    return BBox(west, south, east, north)


def parse_limit(text: str) -> int:
    raw = text.strip()
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise BadQuery(f"limit: a whole number from 1 (got {text[:12]!r}); more than {MAX_LIMIT} is "
                       f"served as {MAX_LIMIT}")
    return min(int(raw), MAX_LIMIT)


def _moment(text: str, end: bool) -> int:
    """One end of an interval (or an instant) as epoch ms; a full date is its whole day, UTC."""
    if _DATE.match(text):
        try:
            day = datetime.strptime(text[:10], "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise BadQuery(f"datetime: {text[:40]!r} is not a date") from None
        if end:
            day += timedelta(days=1)
            return int(day.timestamp() * 1000) - 1
        return int(day.timestamp() * 1000)
    if "T" not in text.upper() or not text.isascii():
        raise BadQuery(f"datetime: {text[:40]!r} is not an RFC 3339 date-time (2026-12-04T10:00:00Z)")
    try:
        when = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise BadQuery(f"datetime: {text[:40]!r} is not an RFC 3339 date-time "
                       "(2026-12-04T10:00:00Z)") from None
    if when.tzinfo is None:
        raise BadQuery(f"datetime: {text[:40]!r} has no offset (add Z or +03:00)")
    return int(when.timestamp() * 1000)


def parse_datetime(text: str) -> Interval:
    """An instant, ``start/end``, ``../end`` or ``start/..`` (an empty end is open too)."""
    if "/" not in text:
        if text in ("", ".."):
            raise BadQuery("datetime: an instant or an interval (start/end, ../end, start/..)")
        if _DATE.match(text):  # a date as an instant: that day
            return Interval(_moment(text, False), _moment(text, True))
        ms = _moment(text, False)
        return Interval(ms, ms)
    start_text, _, end_text = text.partition("/")
    if "/" in end_text:
        raise BadQuery("datetime: one '/' between the start and the end of an interval")
    start = None if start_text in ("", "..") else _moment(start_text, False)
    end = None if end_text in ("", "..") else _moment(end_text, True)
    if start is not None and end is not None and start > end:
        raise BadQuery("datetime: the interval ends before it starts")
    return Interval(start, end)


def iso(ms: int) -> str:
    """Epoch ms as RFC 3339 in UTC with milliseconds (``2026-12-04T10:00:00.250Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def select(
    features: Iterable[dict[str, Any]],
    query: Query,
    time_of: Callable[[dict[str, Any]], int | None],
    in_bbox: Callable[[dict[str, Any], BBox], bool],
) -> list[dict[str, Any]]:
    """The features ``query`` selects (``bbox`` and ``datetime``; not yet paged), sorted by id.

    ``time_of(feature)`` → epoch ms or ``None`` (no time: never in a ``datetime``); ``in_bbox(feature,
    bbox)`` → whether its geometry meets the box."""
    out = []
    for feature in features:
        if query.bbox is not None and not in_bbox(feature, query.bbox):
            continue
        if query.datetime is not None and not query.datetime.contains(time_of(feature)):
            continue
        out.append(feature)
    out.sort(key=lambda f: str(f.get("id", "")))
    return out


@dataclass(frozen=True)
class Page:
    """One page of a sorted selection, and where the pages either side start (``None``: no such page)."""

    features: list[dict[str, Any]]
    next: Cursor | None
    prev: Cursor | None


def paginate(selected: Sequence[dict[str, Any]], limit: int, cursor: Cursor | None) -> Page:
    """The page of ``selected`` (sorted by id) that ``cursor`` names; the first when it is ``None``."""
    ids = [str(f.get("id", "")) for f in selected]
    if cursor is None:
        start = 0
    elif cursor.after is not None:
        start = bisect_right(ids, cursor.after)
    else:
        start = max(0, bisect_left(ids, cursor.before or "") - limit)
    stop = start + limit
    if cursor is not None and cursor.before is not None:
        stop = min(stop, bisect_left(ids, cursor.before or ""))
    chosen = list(selected[start:stop])
    following = Cursor(after=ids[stop - 1]) if stop < len(ids) and chosen else None
    preceding = Cursor(before=ids[start]) if start > 0 and start < len(ids) else None
    return Page(chosen, following, preceding)
