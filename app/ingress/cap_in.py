"""CAP 1.2 taken in: an alerting authority's official alert (OASIS Common Alerting Protocol 1.2) → the
official alert Basira keeps and draws. Pure but for reading the carried schema once.

Not to be confused with :mod:`app.alerts.cap`, which *writes* CAP for Basira's own alerts. An official
alert here is not an incident: it never enters the streams; :mod:`.receive` stores it (``store.capin``)
until it expires, and the "Official alerts" layer draws its areas.

Every document is

1. parsed with ``defusedxml`` with DTDs forbidden — a billion-laughs bomb, an external entity (XXE) or any
   ``<!DOCTYPE`` is refused before anything is expanded or fetched;
2. validated against OASIS's schema, carried at ``app/alerts/schemas/CAP-v1.2.xsd`` (``xmlschema``): a
   document that does not validate is refused with the schema's own words and where;
3. read: of each ``info`` block its ``event``, ``urgency``, ``severity``, ``certainty``, ``headline``
   (kept by language: Arabic and English), ``onset`` and ``expires``; of each ``area`` its ``polygon``\\s
   and ``circle``\\s (a circle becomes a 64-sided polygon). What the layer cannot draw — ``geocode``\\s,
   ``altitude``, ``resource``\\s, the ``description`` and ``instruction`` — is not kept.

One message is one official alert: its blocks (one per language, usually) merged — the most severe
severity, the most pressing urgency, the most certain certainty, the latest expiry. Its regions are those
its areas touch (``outside`` for none), which a producer's scope must cover.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import shapely
import xmlschema
from defusedxml import DefusedXmlException
from shapely.geometry import Polygon

from app.alerts.zones import circle
from app.contract import OUTSIDE, parse_ts
from app.geo import RegionIndex

CAP = "urn:oasis:names:tc:emergency:cap:1.2"
SCHEMA = Path(__file__).resolve().parent.parent / "alerts" / "schemas" / "CAP-v1.2.xsd"
#: Worst first: how CAP orders its severity, urgency and certainty values (§3.2.2).
SEVERITY = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
URGENCY = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTY = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
#: Statuses drawn: ``Actual`` and ``Exercise`` (marked). ``Test``, ``Draft`` and ``System`` are for their
#: senders' own checks (CAP 1.2 §3.2.1: recipients disregard them): taken, never drawn.
DRAWN = ("Actual", "Exercise")
#: The smallest circle drawn (km): CAP allows a radius of 0 (a point), which would draw nothing.
MIN_RADIUS_KM = 0.1
#: The most areas, and polygon points, one alert keeps (a whole coast in one message is thousands).
MAX_AREAS = 50
MAX_POINTS = 5000


class NotCap(ValueError):
    """A document refused: not XML, hostile, not CAP 1.2, or not valid against its schema; ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Message:
    """A CAP message as Basira keeps it: its kind (``msgType``), the messages it refers to (``sender,
    identifier`` each), and the official alert itself (``None`` for a Cancel, Ack or Error)."""

    ref: str
    msg_type: str
    status: str
    references: list[str] = field(default_factory=list)
    alert: dict[str, Any] | None = None
    #: Why nothing is drawn of it (``None``: its alert is drawn until it expires).
    not_drawn: str | None = None


@functools.cache
def schema() -> xmlschema.XMLSchema:
    """OASIS's CAP 1.2 schema, loaded once (half a second)."""
    return xmlschema.XMLSchema(str(SCHEMA))


def _q(name: str) -> str:
    return f"{{{CAP}}}{name}"


def _text(element: Element, name: str) -> str | None:
    child = element.find(_q(name))
    text = (child.text or "").strip() if child is not None else ""
    return text or None


def _path(path: str | None) -> str:
    return "/".join(part.rpartition("}")[2] for part in (path or "").split("/")) or "/"


def parse(body: bytes) -> Element:
    """``body`` parsed safely and validated against the schema (see the module); raises :class:`NotCap`."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException as error:
        raise NotCap(f"refused: {type(error).__name__} — a CAP document has no DTD, entities or external "
                     "references (this is how billion-laughs and XXE attacks are refused)") from None
    except ParseError as error:
        raise NotCap(f"not well-formed XML ({error})") from None
    if root.tag != _q("alert"):
        raise NotCap(f"not a CAP 1.2 alert: the root is {root.tag[:80]!r}, expected 'alert' in the namespace "
                     f"{CAP}")
    errors = list(islice(schema().iter_errors(root), 3))
    if errors:
        said = "; ".join(f"{_path(e.path)}: {e.reason}" for e in errors)
        raise NotCap(f"not valid CAP 1.2 (OASIS schema): {said}"[:1000])
    return root


def _pairs(text: str, what: str) -> list[tuple[float, float]]:
    """CAP's ``lat,lon`` pairs (space-separated) as (lon, lat) points; raises :class:`NotCap`."""
    points = []
    for pair in text.split():
        lat_text, _comma, lon_text = pair.partition(",")
        try:
            lat, lon = float(lat_text), float(lon_text)
        except ValueError:
            raise NotCap(f"{what}: {pair[:40]!r} is not a lat,lon pair") from None
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise NotCap(f"{what}: {pair[:40]!r} lies outside the globe")
        points.append((lon, lat))
    return points


def _polygon(text: str, what: str) -> list[list[float]]:
    points = _pairs(text, what)
    if len(points) < 4 or points[0] != points[-1]:
        raise NotCap(f"{what}: a CAP polygon is at least four lat,lon pairs, the first and last the same "
                     "(CAP 1.2 §3.3.2.2)")
    if len(points) > MAX_POINTS:
        raise NotCap(f"{what}: more than {MAX_POINTS} points")
    return [[round(lon, 6), round(lat, 6)] for lon, lat in points]


def _circle(text: str, what: str) -> list[list[float]]:
    centre, _space, radius_text = text.strip().rpartition(" ")
    points = _pairs(centre, what)
    try:
        radius_km = float(radius_text)
    except ValueError:
        radius_km = -1.0
    if len(points) != 1 or not math.isfinite(radius_km) or radius_km < 0:
        raise NotCap(f"{what}: a CAP circle is 'lat,lon radius' with the radius in km (CAP 1.2 §3.3.2.3)")
    lon, lat = points[0]
    shape = circle(lon, lat, max(radius_km, MIN_RADIUS_KM) * 1000)
    return [[round(x, 6), round(y, 6)] for x, y in shape.exterior.coords]


def _worst(values: list[str], order: tuple[str, ...]) -> str:
    known = [v for v in values if v in order]
    return min(known, key=order.index) if known else "Unknown"


def _lang(code: str | None) -> str:
    """Basira's language of a CAP ``language`` (RFC 3066; ``en-US`` when absent, as CAP says)."""
    return (code or "en-US").split("-")[0].lower()


def read(root: Element, regions: RegionIndex, default_hours: float) -> Message:
    """The message of a parsed, valid document (:func:`parse`): see the module. ``regions`` says which
    regions its areas touch; ``default_hours`` is how long an alert without ``expires`` lasts."""
    sender, identifier = _text(root, "sender") or "", _text(root, "identifier") or ""
    status, msg_type = _text(root, "status") or "", _text(root, "msgType") or ""
    sent_ms = parse_ts(_text(root, "sent") or "")
    references = []
    for triple in (_text(root, "references") or "").split():
        ref_sender, _c, rest = triple.partition(",")
        ref_identifier = rest.partition(",")[0]
        if ref_sender and ref_identifier:
            references.append(f"{ref_sender},{ref_identifier}")
    message = Message(f"{sender},{identifier}", msg_type, status, references)
    if msg_type in ("Cancel", "Ack", "Error"):
        message.not_drawn = f"msgType {msg_type}: no area to draw"
        return message
    infos = root.findall(_q("info"))
    headline: dict[str, str] = {}
    event: dict[str, str] = {}
    sender_name: dict[str, str] = {}
    areas: list[dict[str, Any]] = []
    expiries: list[int] = []
    onsets: list[int] = []
    for i, info in enumerate(infos, start=1):
        lang = _lang(_text(info, "language"))
        for store, name in ((headline, "headline"), (event, "event"), (sender_name, "senderName")):
            if (text := _text(info, name)) and lang not in store:
                store[lang] = text[:300]
        if expires := _text(info, "expires"):
            expiries.append(parse_ts(expires))
        if onset := _text(info, "onset"):
            onsets.append(parse_ts(onset))
        for j, area in enumerate(info.findall(_q("area")), start=1):
            desc = _text(area, "areaDesc") or ""
            for k, polygon in enumerate(area.findall(_q("polygon")), start=1):
                shape = _polygon(polygon.text or "", f"info[{i}]/area[{j}]/polygon[{k}]")
                areas.append({"desc": desc[:200], "polygon": shape, "circle": False})
            for k, ring in enumerate(area.findall(_q("circle")), start=1):
                shape = _circle(ring.text or "", f"info[{i}]/area[{j}]/circle[{k}]")
                areas.append({"desc": desc[:200], "polygon": shape, "circle": True})
    unique = []
    for area in areas:  # the same area in each language's block: kept once
        if all(area["polygon"] != seen["polygon"] for seen in unique):
            unique.append(area)
    expires = max(expiries) if expiries else sent_ms + int(default_hours * 3_600_000)
    message.alert = {
        "ref": message.ref, "sender": sender, "identifier": identifier, "sent": sent_ms,
        "status": status, "msgType": msg_type,
        "severity": _worst([_text(i, "severity") or "" for i in infos], SEVERITY),
        "urgency": _worst([_text(i, "urgency") or "" for i in infos], URGENCY),
        "certainty": _worst([_text(i, "certainty") or "" for i in infos], CERTAINTY),
        "headline": headline, "event": event, "senderName": sender_name,
        "onset": min(onsets) if onsets else None, "expires": expires, "expires_given": bool(expiries),
        "areas": unique[:MAX_AREAS],
        "regions": touched(unique[:MAX_AREAS], regions),
    }
    if status not in DRAWN:
        message.not_drawn = f"status {status}: for its sender's checks only (CAP 1.2 §3.2.1), not drawn"
    elif not unique:
        message.not_drawn = "no polygon or circle in any area: nothing to draw (geocodes are not read)"
    return message


def touched(areas: list[dict[str, Any]], regions: RegionIndex) -> list[str]:
    """The regions the areas touch, in code order; ``[outside]`` when they touch none."""
    shapes = [Polygon(area["polygon"]) for area in areas]
    if not shapes:
        return []
    union = shapely.union_all([s if s.is_valid else s.buffer(0) for s in shapes])
    found = [str(code) for code, geom in zip(regions.codes, regions.geoms, strict=True)
             if shapely.intersects(geom, union)]
    return found or [OUTSIDE]
