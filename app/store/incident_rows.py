"""Open incidents as slim rows — what the KPIs, the region counts, the heatmap and the incident list
need of each — read from the stored Feature texts without parsing them whole.

A summary of the national scope at 100,000 open incidents would otherwise parse 100,000 Features
into Python objects (over a second of a web worker's CPU, and hundreds of MB that stay in its heap).
The texts are Basira's own (written by :func:`app.store.apply.incident_head` and closed by the
``APPLY_INCIDENTS`` script), so their first and last fields have a fixed order: two anchored
regular expressions read them, and the producer's free text in between (the description) is never
looked at. A text that does not match — another writer, a future format — is parsed whole instead,
so a row is always right.

A row does not hold its text: the scope's texts are read one scope cell at a time and let go once
their rows are made, and the few incidents shown whole are read again by id
(:meth:`.reads.Live.incident_texts`). The region, agency and status of a row are interned, so
100,000 rows share a few dozen strings (at 100,000 incidents this keeps ~50 MB of texts and
duplicate strings out of a web worker's peak).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from sys import intern
from typing import NamedTuple

import orjson

_HEAD = re.compile(
    r'\{"type":"Feature","id":"((?:[^"\\]|\\.)*)","geometry":\{"type":"Point","coordinates":\['
    r'(-?[0-9.]+(?:[eE][-+]?\d+)?),(-?[0-9.]+(?:[eE][-+]?\d+)?)\]\},"properties":\{"region":"([^"\\]*)",'
    r'"agency":"([^"\\]*)","status":"([^"\\]*)","priority":(\d+),'
)
_TAIL = re.compile(r'"opened":(-?\d+|null),"dispatched":(?:-?\d+|null),"on_scene":(?:-?\d+|null)\}\}$')
#: The tail is searched in the text's last characters only (its fields are numbers or null).
_TAIL_CHARS = 96


class IncidentRow(NamedTuple):
    """One open incident, slim (its Feature is read again only for the few shown whole)."""

    id: str
    priority: int
    status: str
    region: str
    agency: str
    opened: int
    lon: float
    lat: float


def row_of(text: str) -> IncidentRow | None:
    """The row of one stored incident Feature (``None`` when it lacks a position or a priority)."""
    head = _HEAD.match(text)
    tail = _TAIL.search(text, max(0, len(text) - _TAIL_CHARS)) if head else None
    if head is None or tail is None or tail.group(1) == "null":
        return _parsed(text)
    ident, lon, lat, region, agency, status, priority = head.groups()
    if "\\" in ident:
        ident = orjson.loads(f'"{ident}"')
    opened = int(tail.group(1))
    return IncidentRow(ident, int(priority), intern(status), intern(region), intern(agency), opened,
                       float(lon), float(lat))


def _parsed(text: str) -> IncidentRow | None:
    try:
        feature = orjson.loads(text)
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"][:2]
        opened = int(props.get("opened") or props["ts"])
        return IncidentRow(str(feature["id"]), int(props.get("priority") or 4), intern(str(props["status"])),
                           intern(str(props["region"])), intern(str(props["agency"])), opened, float(lon),
                           float(lat))
    except (KeyError, TypeError, ValueError, orjson.JSONDecodeError):
        return None


def rows_of(texts: Iterable[str]) -> list[IncidentRow]:
    return [row for row in map(row_of, texts) if row is not None]

