"""An alert as a CAP 1.2 message (OASIS Common Alerting Protocol), and the Atom index of them.

Other systems of the center — a national warning gateway, a partner agency's console, an archive —
speak CAP, not Basira's JSON; so every alert also has a CAP document, and the open ones an Atom feed
whose entries link to their documents (the usual "CAP index" of a CAP feed). docs/alerts.md ("CAP 1.2")
gives the mapping and the rules; ``app/alerts/schemas/CAP-v1.2.xsd`` is OASIS's schema, which the tests
validate every document against.

The choices that are not mechanical, each for a reason the standard gives:

* **One alert, several messages.** The first message is ``msgType`` ``Alert``; each later state
  (acknowledged, assigned, escalated, resolved) is an ``Update`` that ``references`` the first.
  ``identifier`` and ``sent`` are the version's, derived from the alert's own times, so the same state
  always gives the same bytes and a consumer can de-duplicate on (sender, identifier, sent) as CAP
  intends; a new state is a new identifier.
* **Resolved is ``Update`` + ``responseType`` ``AllClear`` + ``urgency`` ``Past``**, not ``Cancel``:
  CAP's ``Cancel`` "cancels the earlier message(s)" — it retracts a message sent in error — while
  ``AllClear`` is "the subject event no longer poses a threat or concern", which is what a cleared
  condition or a person's resolution says. The alert was true when it was raised.
* **Times are Riyadh's, with their offset** (``2026-12-04T20:16:21+03:00``): CAP 1.2 requires an
  offset and forbids ``Z``.
* **``status`` ``Exercise``** for a demo store (synthetic data: actionable by exercise participants
  only, as CAP defines it; its ``note`` says so), else ``Actual``. **``scope`` ``Restricted``**: the
  documents carry operators' names and internal ids, for the center and its agencies only.

Text from producers (ids, names, notes) is escaped by the XML writer and stripped of the characters
XML 1.0 cannot carry, so no value can break or forge the document. Identifiers and ``sender`` may not
hold spaces, commas, ``<`` or ``&`` (CAP 1.2, 3.2.1): the alert's id is percent-encoded inside them.
Pure: no I/O, no Flask.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree as ET

from app.i18n import LANGUAGES, riyadh, t

from .model import Alert
from .text import headline, sentence

#: CAP 1.2's namespace (the root ``alert`` element's).
CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
#: The media type of a CAP document (as served, and in the feed's links).
CAP_MEDIA_TYPE = "application/common-alerting-protocol+xml"
ATOM_MEDIA_TYPE = "application/atom+xml"
#: Each ``info`` block's language (RFC 3066 tags, CAP's ``language``), Arabic first as everywhere.
INFO_LANGUAGE = {"ar": "ar-SA", "en": "en-US"}
SENDER_NAME = "Basira · بصيرة"
RESTRICTION = ("For the unified 911 security operations center and the agencies it serves; not for "
               "public release. · للاستخدام داخل مركز العمليات الأمنية الموحد ٩١١ والجهات التابعة له؛ "
               "لا يُنشر للعموم.")
EXERCISE_NOTE = "Exercise: synthetic data of a Basira demonstration store, not real events."
NATION = {"ar": "المملكة العربية السعودية", "en": "Kingdom of Saudi Arabia"}
#: The radius drawn around an alert's point (an incident, a unit, a port), in km: CAP's ``circle``
#: needs one, and a zero radius is invisible on most consumers' maps.
POINT_RADIUS_KM = 1.0

#: A kind's CAP ``category`` (when no incident category says better), ``urgency`` and ``certainty``.
#: Urgency: Immediate — act now (a unit is owed, a zone is breached, the picture has gone blind);
#: Expected — within the hour (a rise to assess, a queue to relieve). Certainty: Observed — the system
#: saw it; Likely — a spike is a statistical judgement (p > 50 %), not an observation.
KIND_CAP: dict[str, tuple[str, str, str]] = {
    "unassigned": ("Safety", "Immediate", "Observed"),
    "response_breach": ("Safety", "Immediate", "Observed"),
    "spike": ("Safety", "Expected", "Likely"),
    "geofence": ("Security", "Immediate", "Observed"),
    "port_wait": ("Transport", "Expected", "Observed"),
    "stale_producer": ("Infra", "Immediate", "Observed"),
}
#: An incident category's CAP ``category`` (app.contract.Category → CAP 1.2, 3.2.2).
CATEGORY_CAP: dict[str, str] = {
    "fire": "Fire",
    "collision": "Transport",
    "theft": "Security",
    "medical": "Health",
    "assault": "Security",
    "flood": "Met",  # CAP: "Met - Meteorological (inc. flood)"
    "rescue": "Rescue",
    "hazmat": "CBRNE",  # CAP: "Chemical, Biological, Radiological, Nuclear or High-Yield Explosive"
    "road_hazard": "Transport",
    "breakdown": "Transport",
    "disturbance": "Security",
    "missing_person": "Rescue",  # as CAP 1.2's own AMBER-alert example
    "suspicious": "Security",
    "vandalism": "Security",
    "traffic_violation": "Transport",
    "other": "Other",
}
CAP_SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor")

#: Characters XML 1.0 cannot carry (C0 controls but tab/newline/return, lone surrogates, U+FFFE/F).
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(value: object) -> str:
    """``value`` as text XML can carry: the characters XML 1.0 forbids dropped (escaping ``<&>`` is
    the writer's job). A producer's stray control character must not make the document unreadable."""
    return _NOT_XML.sub("", str(value))


def token(value: str) -> str:
    """``value`` fit for a CAP identifier or sender: no spaces, commas, ``<`` or ``&`` (percent-encoded,
    so two different ids stay different)."""
    return quote(clean(value), safe="-._~:@/+=")


def cap_time(epoch_ms: int) -> str:
    """CAP's date-time: Riyadh time with its offset, to the second, never ``Z``."""
    return riyadh(epoch_ms).isoformat(timespec="seconds")


def version_ms(alert: Alert) -> int:
    """When the alert last changed state (raised, acknowledged, assigned, escalated, resolved): the
    ``sent`` of its current message, and what makes that message's identifier."""
    changes = (alert.acknowledged_at, alert.assigned_at, alert.escalated_at, alert.resolved_at)
    return max([alert.raised_at, *(c for c in changes if c is not None)])


def msg_type(alert: Alert) -> str:
    """``Alert`` until the first change of state, an ``Update`` after (resolved included: see the module)."""
    changes = (alert.acknowledged_at, alert.assigned_at, alert.escalated_at, alert.resolved_at)
    return "Alert" if all(c is None for c in changes) else "Update"


def first_identifier(alert: Alert, sender: str) -> str:
    """The identifier of the alert's first message: the sender's, the alert's id, and when it was raised
    (a store started afresh numbers its alerts from AL-1 again; the time keeps them apart)."""
    return f"{token(sender)}-{token(alert.id)}-{alert.raised_at}"


def identifier(alert: Alert, sender: str) -> str:
    """The identifier of the alert's current message: the first's, plus ``-u<ms>`` for an update."""
    first = first_identifier(alert, sender)
    return first if msg_type(alert) == "Alert" else f"{first}-u{version_ms(alert)}"


def cap_category(alert: Alert) -> str:
    """The incident's category when the alert has one in its facts, else the kind's."""
    category = alert.facts.get("category")
    if isinstance(category, str) and category in CATEGORY_CAP:
        return CATEGORY_CAP[category]
    return KIND_CAP.get(alert.kind, ("Other", "Expected", "Observed"))[0]


def cap_severity(alert: Alert) -> str:
    """The alert's severity (already CAP's, lower-cased), or ``Unknown``."""
    named = alert.severity.capitalize()
    return named if named in CAP_SEVERITIES else "Unknown"


def _named(facts: Mapping[str, Any], name: str, lang: str) -> str:
    other = "en" if lang == "ar" else "ar"
    return clean(facts.get(f"{name}_{lang}") or facts.get(f"{name}_{other}") or "")


def _word(key: str, lang: str, fallback: str) -> str:
    try:
        return t(key, lang)
    except KeyError:
        return fallback


def _point(lat: object, lon: object) -> tuple[float, float] | None:
    try:
        la, lo = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(la) and math.isfinite(lo) and -90 <= la <= 90 and -180 <= lo <= 180):
        return None
    return la, lo


def _pair(point: tuple[float, float]) -> str:
    return f"{point[0]:.6f},{point[1]:.6f}"


def polygon(facts: Mapping[str, Any]) -> str | None:
    """A zone's ring from ``facts["zone_polygon"]`` ([[lon, lat], …], GeoJSON's order) as CAP's
    ``polygon`` ("lat,lon lat,lon …", closed, at least four pairs); ``None`` when there is none."""
    ring = facts.get("zone_polygon")
    if not isinstance(ring, list):
        return None
    points = [p for p in (_point(c[1], c[0]) for c in ring if isinstance(c, list | tuple) and len(c) >= 2)
              if p is not None]
    if points and points[0] != points[-1]:
        points.append(points[0])
    return " ".join(_pair(p) for p in points) if len(points) >= 4 else None


def circle(alert: Alert) -> str | None:
    """CAP's ``circle`` ("lat,lon radius_km"): a zone's own circle from ``facts["zone_circle"]``
    (``lon``, ``lat``, ``radius_m``), else :data:`POINT_RADIUS_KM` around the alert's point."""
    zone = alert.facts.get("zone_circle")
    if isinstance(zone, Mapping):
        centre = _point(zone.get("lat"), zone.get("lon"))
        try:
            radius_km = float(zone.get("radius_m")) / 1000  # type: ignore[arg-type]
        except (TypeError, ValueError):
            radius_km = -1.0
        if centre and math.isfinite(radius_km) and radius_km >= 0:
            return f"{_pair(centre)} {radius_km:g}"
    point = _point(alert.lat, alert.lon)
    return f"{_pair(point)} {POINT_RADIUS_KM:g}" if point else None


def area_desc(alert: Alert, lang: str) -> str:
    """Where, in ``lang``: the zone or port (when the alert has one) and the region, or the nation."""
    region = _named(alert.facts, "region", lang) or (clean(alert.region) if alert.region else NATION[lang])
    place = ""
    if alert.zone:
        place = _named(alert.facts, "zone", lang) or clean(alert.zone)
    elif alert.port:
        place = _named(alert.facts, "port", lang) or clean(alert.port)
    comma = "، " if lang == "ar" else ", "
    return f"{place}{comma}{region}" if place else region


def parameters(alert: Alert) -> list[tuple[str, str]]:
    """The alert's machine-readable facts, as CAP ``parameter`` pairs: the rule and kind, the ids it
    concerns, and its state (who acknowledged, who has it, escalation, resolution)."""
    pairs: list[tuple[str, str]] = [("alert", alert.id), ("rule", alert.rule), ("kind", alert.kind)]
    subjects = ("incident", "unit", "zone", "port", "stream", "agency")
    pairs += [(name, getattr(alert, name)) for name in subjects if getattr(alert, name)]
    state = ("resolved" if not alert.open else "assigned" if alert.assigned_to
             else "acknowledged" if alert.acknowledged_at is not None else "open")
    pairs += [("state", state), ("acknowledged", "true" if alert.acknowledged_at is not None else "false")]
    if alert.acknowledged_at is not None:
        pairs += [("acknowledgedBy", alert.acknowledged_by or "-"),
                  ("acknowledgedAt", cap_time(alert.acknowledged_at))]
    if alert.assigned_to:
        pairs += [("assignedTo", alert.assigned_to)]
    if alert.escalated_at is not None:
        pairs += [("escalatedAt", cap_time(alert.escalated_at))]
    if alert.resolved_at is not None:
        pairs += [("resolvedBy", alert.resolved_by or "system (condition cleared)"),
                  ("resolvedAt", cap_time(alert.resolved_at))]
    return [(name, clean(value)) for name, value in pairs]


def _sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{name}")
    if text is not None:
        element.text = clean(text)
    return element


def _info(root: ET.Element, alert: Alert, lang: str) -> None:
    """One ``info`` block in ``lang``, its elements in the order the schema fixes."""
    _, urgency, certainty = KIND_CAP.get(alert.kind, ("Other", "Expected", "Observed"))
    info = _sub(root, "info")
    _sub(info, "language", INFO_LANGUAGE[lang])
    _sub(info, "category", cap_category(alert))
    _sub(info, "event", _word(f"alert.kind.{alert.kind}", lang, alert.kind or "alert"))
    if not alert.open:
        _sub(info, "responseType", "AllClear")
    _sub(info, "urgency", urgency if alert.open else "Past")
    _sub(info, "severity", cap_severity(alert))
    _sub(info, "certainty", certainty)
    _sub(info, "onset", cap_time(alert.raised_at))
    _sub(info, "senderName", SENDER_NAME)
    _sub(info, "headline", headline(alert, lang))
    _sub(info, "description", sentence(alert, lang))
    for name, value in parameters(alert):
        parameter = _sub(info, "parameter")
        _sub(parameter, "valueName", name)
        _sub(parameter, "value", value)
    area = _sub(info, "area")
    _sub(area, "areaDesc", area_desc(alert, lang))
    shape = polygon(alert.facts)
    if shape:
        _sub(area, "polygon", shape)
    ring = None if shape else circle(alert)
    if ring:
        _sub(area, "circle", ring)
    geocode = _sub(area, "geocode")
    if alert.region:
        _sub(geocode, "valueName", "ISO 3166-2")
        _sub(geocode, "value", alert.region)
    else:
        _sub(geocode, "valueName", "ISO 3166-1")
        _sub(geocode, "value", "SA")


def cap_element(alert: Alert, *, sender: str, demo: bool) -> ET.Element:
    """The CAP 1.2 ``alert`` element of the alert's current message (see the module for the rules)."""
    root = ET.Element(f"{{{CAP_NS}}}alert")
    kind = msg_type(alert)
    _sub(root, "identifier", identifier(alert, sender))
    _sub(root, "sender", token(sender))
    _sub(root, "sent", cap_time(version_ms(alert)))
    _sub(root, "status", "Exercise" if demo else "Actual")
    _sub(root, "msgType", kind)
    _sub(root, "scope", "Restricted")
    _sub(root, "restriction", RESTRICTION)
    if demo:
        _sub(root, "note", EXERCISE_NOTE)
    if kind != "Alert":
        first = f"{token(sender)},{first_identifier(alert, sender)},{cap_time(alert.raised_at)}"
        _sub(root, "references", first)
    if alert.incident:
        _sub(root, "incidents", token(alert.incident))
    for lang in LANGUAGES:
        _info(root, alert, lang)
    return root


def cap_document(alert: Alert, *, sender: str, demo: bool) -> bytes:
    """The alert's current CAP 1.2 message, UTF-8 XML with its declaration (``alert`` in CAP's
    namespace as the default one, as CAP's own examples write it)."""
    root = cap_element(alert, sender=sender, demo=demo)
    ET.indent(root)  # one element a line: a person reads these too (whitespace between elements only)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS)


def atom_feed(alerts: Iterable[Alert], *, sender: str, demo: bool, feed_url: str,
              cap_url: Callable[[Alert], str], now_ms: int) -> bytes:
    """An Atom feed (RFC 4287) indexing ``alerts``: one entry per alert, its ``id`` and ``alternate``
    link the alert's CAP document (``cap_url``), ``updated`` its current message's ``sent``. The
    feed's ``updated`` is its newest entry's, or ``now_ms`` when it has none (Atom requires one)."""
    def sub(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, name, {k: clean(v) for k, v in attrs.items()})
        if text is not None:
            element.text = clean(text)
        return element

    listed = list(alerts)
    # Atom's attributes (rel, href…) are in no namespace, which ElementTree's ``default_namespace``
    # refuses: the elements are written unqualified under an explicit default ``xmlns`` instead.
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    sub(feed, "id", feed_url)
    sub(feed, "title", f"{SENDER_NAME}: open alerts" + (" (exercise)" if demo else ""))
    sub(feed, "updated", cap_time(max((version_ms(a) for a in listed), default=now_ms)))
    author = sub(feed, "author")
    sub(author, "name", f"{SENDER_NAME} ({token(sender)})")
    sub(feed, "link", rel="self", type=ATOM_MEDIA_TYPE, href=feed_url)
    for alert in listed:
        url = cap_url(alert)
        entry = sub(feed, "entry")
        sub(entry, "id", url)
        sub(entry, "title", f"{headline(alert, 'en')} · {headline(alert, 'ar')}")
        sub(entry, "updated", cap_time(version_ms(alert)))
        sub(entry, "published", cap_time(alert.raised_at))
        sub(entry, "summary", f"{sentence(alert, 'en')} · {sentence(alert, 'ar')}")
        sub(entry, "category", term=cap_category(alert))
        sub(entry, "link", rel="alternate", type=CAP_MEDIA_TYPE, href=url)
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
