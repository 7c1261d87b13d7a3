"""Cursor on Target in: one CoT event — XML, or TAK protobuf — read safely, and mapped to stream entries.

Pure: no sockets, no Redis. The listener (:mod:`.cot_listener`) cuts what arrives into messages with
:class:`StreamReader` (TCP) or :func:`read_datagram` (UDP), reads each with :func:`parse_xml` or
:func:`parse_protobuf` into a :class:`CotEvent`, and turns it into entries with :func:`to_entries` and
the operator's :class:`Mapping` (``BASIRA_COT_MAPPING_FILE``). What cannot be read raises
:class:`CotError` with a reason for people; the listener records it in ``<prefix>:rejected``.

Framing (the TAK protocol's description, ``protocol.txt`` of the ATAK sources, and ``takproto``):

* **XML** ("version 0"): a TCP stream is one ``<event>`` after another, cut after each ``</event>``;
  a UDP datagram holds one event.
* **TAK protobuf, mesh** (UDP): ``0xbf <version varint> 0xbf`` then one serialized ``TakMessage``;
  only version 1 exists.
* **TAK protobuf, stream** (TCP): ``0xbf <length varint>`` then that many bytes of ``TakMessage``.
  pytak sends this framing to a unicast UDP address too, so a datagram may carry it.

Hardening: XML goes through ``defusedxml`` with DTDs forbidden — CoT never has one, and a DTD is how
an entity bomb ("billion laughs") or an external entity (XXE) gets in — and no message longer than
``max_bytes`` is read at all (a stream's oversize message is skipped, and the stream read on).
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import fromstring

from app.contract import (
    MAX_LABEL,
    MAX_TEXT,
    SIM_STAMP,
    TS_MAX_MS,
    TS_MIN_MS,
    Agency,
    Category,
    IncidentStatus,
    Stream,
    UnitStatus,
)

from .gate import Entry

#: The TAK protocol's magic byte, and the one protobuf version there is.
MAGIC = 0xBF
TAK_PROTOCOL_VERSION = 1
#: CoT's "unknown" for a position's errors (``ce``/``le``): such a value is dropped, not kept.
UNKNOWN_ERROR = 9_999_999.0
#: Errors above this (metres) are CoT's unknown in other spellings; the contract keeps up to 1,000 km.
MAX_ERROR_M = 1_000_000.0
#: The detail element Basira's own output carries (``tak-out``): heard back, it is ignored.
OURS = "__basira"
#: A TAK ping on a stream, and the answer a TAK server gives.
PING, PONG = "t-x-c-t", "t-x-c-t-r"
#: At most this many bytes of an unreadable message are kept in its rejected entry.
KEEP_RAW = 2048


class CotError(ValueError):
    """A message that is not a CoT event Basira can read; ``reason`` says why, for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CotEvent:
    """What Basira reads of one CoT event (times in epoch ms; ``speed`` in m/s, as CoT has it)."""

    uid: str
    type: str
    how: str
    time_ms: int
    stale_ms: int | None
    lat: float
    lon: float
    ce: float | None = None
    le: float | None = None
    callsign: str | None = None
    group: str | None = None
    group_role: str | None = None
    course: float | None = None
    speed: float | None = None
    remarks: str | None = None
    ours: bool = False  # carries ``<__basira>``: Basira's own output, heard back


# --- reading ----------------------------------------------------------------------------------------


def _cot_time(value: str | None, name: str) -> int:
    """A CoT time (xs:dateTime, UTC: ``2026-11-28T17:00:00.000Z``) → epoch ms."""
    if not value:
        raise CotError(f"event has no {name} time")
    text = value.strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise CotError(f"event {name} time {text[:40]!r} is not an xs:dateTime") from None
    if when.tzinfo is None:  # CoT's times are UTC by definition
        when = when.replace(tzinfo=UTC)
    ms = int(when.timestamp() * 1000)
    if not TS_MIN_MS <= ms < TS_MAX_MS:
        raise CotError(f"event {name} time {text[:40]!r} is outside 2000–2099")
    return ms


def _number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CotError(f"point {name} {str(value)[:40]!r} is not a number") from None
    if not math.isfinite(number):
        raise CotError(f"point {name} is not a finite number")
    return number


def _point(lat: Any, lon: Any) -> tuple[float, float]:
    if lat is None or lon is None:
        raise CotError("event has no point (lat and lon)")
    y, x = _number(lat, "lat"), _number(lon, "lon")
    if not -90 <= y <= 90:
        raise CotError(f"point out of range: lat {y:g} is not within -90…90")
    if not -180 <= x <= 180:
        raise CotError(f"point out of range: lon {x:g} is not within -180…180")
    return y, x


def _error_m(value: Any) -> float | None:
    """A position error in metres, or ``None`` for CoT's unknown (9999999) and what cannot be one."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number < 0 or number >= UNKNOWN_ERROR or number > MAX_ERROR_M:
        return None
    return number


def _optional_float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _label(value: str | None) -> str | None:
    value = (value or "").strip()
    return value[:MAX_LABEL] or None


def _detail(detail: Element | None) -> dict[str, Any]:
    """The parts of ``<detail>`` Basira keeps: call sign, team, track, remarks, and our own mark."""
    out: dict[str, Any] = {}
    if detail is None:
        return out
    if (contact := detail.find("contact")) is not None:
        out["callsign"] = _label(contact.get("callsign"))
    if (group := detail.find("__group")) is not None:
        out["group"], out["group_role"] = _label(group.get("name")), _label(group.get("role"))
    if (track := detail.find("track")) is not None:
        out["course"] = _optional_float(track.get("course"))
        out["speed"] = _optional_float(track.get("speed"))
    if (remarks := detail.find("remarks")) is not None and (remarks.text or "").strip():
        out["remarks"] = remarks.text.strip()[:MAX_TEXT]
    out["ours"] = detail.find(OURS) is not None
    return out


def _parse_xml(data: bytes) -> Element:
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden:
        raise CotError("XML with a DTD refused: CoT has none, and a DTD is how entity bombs (billion "
                       "laughs) and external entities (XXE) get in") from None
    except EntitiesForbidden:
        raise CotError("XML entities refused (an entity bomb or an external entity)") from None
    except DefusedXmlException as error:
        raise CotError(f"unsafe XML refused: {type(error).__name__}") from None
    except ParseError as error:
        raise CotError(f"malformed XML: {error}") from None


def parse_xml(data: bytes, max_bytes: int) -> CotEvent:
    """One CoT XML event (``<event>`` with its ``<point>``); raises :class:`CotError`."""
    if len(data) > max_bytes:
        raise CotError(f"oversize message: {len(data)} bytes (at most {max_bytes})")
    root = _parse_xml(data.strip())
    if root.tag != "event":
        raise CotError(f"not a CoT event: the root element is <{str(root.tag)[:40]}>")
    uid, kind = (root.get("uid") or "").strip(), (root.get("type") or "").strip()
    if not uid:
        raise CotError("event has no uid")
    if not kind:
        raise CotError("event has no type")
    point = root.find("point")
    if point is None:
        raise CotError("event has no <point>")
    lat, lon = _point(point.get("lat"), point.get("lon"))
    time_ms = _cot_time(root.get("time"), "time")
    stale = root.get("stale")
    return CotEvent(
        uid=uid, type=kind, how=(root.get("how") or "").strip(), time_ms=time_ms,
        stale_ms=_cot_time(stale, "stale") if stale else None, lat=lat, lon=lon,
        ce=_error_m(point.get("ce")), le=_error_m(point.get("le")), **_detail(root.find("detail")),
    )


def parse_protobuf(payload: bytes, max_bytes: int) -> CotEvent | None:
    """One TAK protocol version 1 payload (a serialized ``TakMessage``, without its header); ``None`` for a
    message that carries no event (a mesh client's ``TakControl`` announcement). Raises :class:`CotError`."""
    from google.protobuf.message import DecodeError
    from takproto.proto import TakMessage

    if len(payload) > max_bytes:
        raise CotError(f"oversize message: {len(payload)} bytes (at most {max_bytes})")
    message = TakMessage()
    try:
        message.ParseFromString(bytes(payload))
    except DecodeError as error:
        raise CotError(f"malformed TAK protobuf: {error}") from None
    if not message.HasField("cotEvent"):
        return None
    cot = message.cotEvent
    if not cot.uid:
        raise CotError("event has no uid")
    if not cot.type:
        raise CotError("event has no type")
    if not cot.sendTime:
        raise CotError("event has no time")
    if not TS_MIN_MS <= cot.sendTime < TS_MAX_MS:
        raise CotError("event time is outside 2000–2099")
    lat, lon = _point(cot.lat, cot.lon)
    detail = cot.detail
    extra: dict[str, Any] = {}
    if cot.HasField("detail"):
        if detail.HasField("contact"):
            extra["callsign"] = _label(detail.contact.callsign)
        if detail.HasField("group"):
            extra["group"], extra["group_role"] = _label(detail.group.name), _label(detail.group.role)
        if detail.HasField("track"):
            extra["course"], extra["speed"] = _optional_float(detail.track.course), _optional_float(
                detail.track.speed)
        if detail.xmlDetail:
            # What has no field of its own (remarks, our mark) travels as an XML fragment: read it as safely
            # as any XML; an unreadable fragment costs only its remarks.
            try:
                rest = _detail(_parse_xml(b"<detail>" + detail.xmlDetail.encode() + b"</detail>"))
            except CotError:
                rest = {}
            extra.update({k: v for k, v in rest.items() if k in ("remarks", "ours")})
    stale = cot.staleTime if TS_MIN_MS <= cot.staleTime < TS_MAX_MS else None
    return CotEvent(
        uid=cot.uid.strip(), type=cot.type.strip(), how=cot.how.strip(), time_ms=int(cot.sendTime),
        stale_ms=int(stale) if stale else None, lat=lat, lon=lon, ce=_error_m(cot.ce), le=_error_m(cot.le),
        **extra,
    )


def _varint(data: bytes | bytearray, start: int) -> tuple[int, int] | None:
    """The varint at ``start``: ``(value, index after it)``; ``None`` when ``data`` ends inside it.
    Raises :class:`CotError` past 10 bytes (no 64-bit value is longer)."""
    value = shift = 0
    for n in range(start, min(len(data), start + 10)):
        byte = data[n]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, n + 1
        shift += 7
    if len(data) >= start + 10:
        raise CotError("malformed TAK protocol header (a varint longer than 10 bytes)")
    return None


@dataclass(frozen=True)
class Piece:
    """One message cut from a stream or a datagram: its ``payload`` and ``kind`` (``xml`` or ``proto``),
    or why it cannot be read (``error``, with the first bytes in ``raw``)."""

    kind: Literal["xml", "proto", "error"]
    payload: bytes = b""
    error: str = ""
    raw: bytes = b""

    def read(self, max_bytes: int) -> CotEvent | None:
        """The event (``None``: a message without one); raises :class:`CotError`."""
        if self.kind == "error":
            raise CotError(self.error)
        if self.kind == "proto":
            return parse_protobuf(self.payload, max_bytes)
        return parse_xml(self.payload, max_bytes)


def read_datagram(data: bytes, max_bytes: int) -> Piece:
    """What one UDP datagram holds: a mesh protobuf message, a stream-framed one (pytak's unicast UDP),
    or XML."""
    if not data or data[0] != MAGIC:
        if len(data) > max_bytes:
            return Piece("error", error=f"oversize message: {len(data)} bytes (at most {max_bytes})",
                         raw=data[:KEEP_RAW])
        return Piece("xml", data)
    try:
        head = _varint(data, 1)
        if head is None:
            raise CotError("truncated TAK protocol header")
        value, after = head
        if after < len(data) and data[after] == MAGIC and value == TAK_PROTOCOL_VERSION:
            return Piece("proto", data[after + 1:])  # mesh: 0xbf 1 0xbf payload
        if after + value == len(data):
            return Piece("proto", data[after:])  # stream framing: 0xbf length payload
        if after < len(data) and data[after] == MAGIC:
            raise CotError(f"TAK protocol version {value} is not supported (only {TAK_PROTOCOL_VERSION})")
        raise CotError("not a TAK protocol message (the header's length does not match the datagram)")
    except CotError as error:
        return Piece("error", error=error.reason, raw=data[:KEEP_RAW])


_END = b"</event>"
_BLANK = b" \t\r\n\x00"


class StreamReader:
    """Cuts a TCP stream into messages, whatever the chunks it arrives in: XML events (cut after each
    ``</event>``) and TAK protobuf stream messages (``0xbf <length> <payload>``), mixed as they come.

    A message longer than ``max_bytes`` is never held: it is reported as an error once and its bytes are
    skipped (counted off for a protobuf message, read up to the next ``</event>`` for XML), after which
    the stream is read on — a bad message costs that message, never the connection.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.buffer = bytearray()
        self._skip = 0  # bytes of an oversize protobuf message still to drop
        self._discarding = False  # dropping an oversize XML message up to its </event>
        self._searched = 0  # how far the buffer has been searched for </event>

    def feed(self, data: bytes) -> list[Piece]:
        """Take ``data``; return the messages it completes."""
        self.buffer += data
        out: list[Piece] = []
        while self.buffer:
            if self._skip:
                n = min(self._skip, len(self.buffer))
                del self.buffer[:n]
                self._skip -= n
                continue
            if self._discarding:
                end = self.buffer.find(_END)
                if end < 0:
                    del self.buffer[: max(0, len(self.buffer) - len(_END) + 1)]
                    break
                del self.buffer[: end + len(_END)]
                self._discarding = False
                continue
            blank = len(self.buffer) - len(self.buffer.lstrip(_BLANK))
            if blank:
                del self.buffer[:blank]
                self._searched = max(0, self._searched - blank)
                continue
            piece = self._proto() if self.buffer[0] == MAGIC else self._xml()
            if piece is None:
                break
            out.append(piece)
        return out

    def _proto(self) -> Piece | None:
        try:
            head = _varint(self.buffer, 1)
        except CotError as error:
            raw = bytes(self.buffer[:KEEP_RAW])
            self.buffer.clear()  # no length to go by: nothing after it can be framed
            return Piece("error", error=error.reason, raw=raw)
        if head is None:
            return None
        length, after = head
        if length > self.max_bytes:
            raw = bytes(self.buffer[:KEEP_RAW])
            del self.buffer[:after]
            self._skip = length
            reason = f"oversize message: {length} bytes (at most {self.max_bytes})"
            return Piece("error", error=reason, raw=raw)
        if len(self.buffer) < after + length:
            return None
        payload = bytes(self.buffer[after: after + length])
        del self.buffer[: after + length]
        return Piece("proto", payload)

    def _xml(self) -> Piece | None:
        end = self.buffer.find(_END, max(0, self._searched - len(_END)))
        if end < 0 or end + len(_END) > self.max_bytes:
            if end < 0 and len(self.buffer) <= self.max_bytes:
                self._searched = len(self.buffer)
                return None
            raw = bytes(self.buffer[:KEEP_RAW])
            size = end + len(_END) if end >= 0 else len(self.buffer)
            if end >= 0:
                del self.buffer[: end + len(_END)]
            else:
                self.buffer.clear()
                self._discarding = True
            self._searched = 0
            return Piece("error", raw=raw, error=f"oversize message: {'at least ' if end < 0 else ''}{size} "
                         f"bytes without its end (at most {self.max_bytes})")
        payload = bytes(self.buffer[: end + len(_END)])
        del self.buffer[: end + len(_END)]
        self._searched = 0
        return Piece("xml", payload)


# --- the mapping file -------------------------------------------------------------------------------


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file, the rule and the field."""


Target = Literal["unit", "incident", "ignore"]
_RULE_KEYS = {"type", "how", "group", "to", "agency", "category", "priority", "status"}
_NEEDS: dict[str, set[str]] = {
    "unit": {"agency"},
    "incident": {"agency", "category", "priority"},
    "ignore": set(),
}
_ALLOWS: dict[str, set[str]] = {
    "unit": {"agency"},
    "incident": {"agency", "category", "priority", "status"},
    "ignore": set(),
}


def _matches(pattern: str, value: str) -> bool:
    return value.startswith(pattern[:-1]) if pattern.endswith("*") else value == pattern


@dataclass(frozen=True)
class Rule:
    """One rule of the mapping file (see ``assets/data/cot_mapping.toml``)."""

    number: int
    type: str
    to: Target
    how: str | None = None
    group: str | None = None
    agency: str | None = None
    category: str | None = None
    priority: int | None = None
    status: str = "new"

    def matches(self, event: CotEvent) -> bool:
        return (_matches(self.type, event.type)
                and (self.how is None or _matches(self.how, event.how))
                and (self.group is None or (event.group or "").casefold() == self.group.casefold()))


@dataclass(frozen=True)
class Mapping:
    """The rules, in order, and the CoT type of each agency's units for ``tak-out``."""

    rules: tuple[Rule, ...]
    out: dict[str, str] = field(default_factory=dict)
    source: str = "mapping"

    def rule_for(self, event: CotEvent) -> Rule | None:
        """The first rule that matches ``event`` (``None``: no rule does)."""
        return next((rule for rule in self.rules if rule.matches(event)), None)

    def unit_type(self, agency: str) -> str:
        """The CoT type Basira gives a unit of ``agency``: ``[out]``, else the first unit rule naming the
        agency (without its ``*``), else ``a-f-G-U`` (a friendly ground unit)."""
        if agency in self.out:
            return self.out[agency]
        for rule in self.rules:
            if rule.to == "unit" and rule.agency == agency and rule.how is None and rule.group is None:
                return rule.type.rstrip("*").rstrip("-") or "a-f-G-U"
        return "a-f-G-U"


_TYPE_PATTERN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.*")


def _rule(number: int, raw: Any) -> Rule:
    where = f"rule {number}"
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: expected a table of type, to, …")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        known = ", ".join(sorted(_RULE_KEYS))
        raise MappingError(f"{where}: unknown field(s) {', '.join(unknown)} (known: {known})")
    to = raw.get("to")
    if to not in _NEEDS:
        raise MappingError(f"{where}: to must be one of unit, incident, ignore (got {to!r})")
    for name in ("type", "how", "group"):
        value = raw.get(name)
        if value is None and name != "type":
            continue
        if not isinstance(value, str) or not value.strip():
            raise MappingError(f"{where}: {name} must be a non-empty string" + (" (every rule has one)"
                                                                             if name == "type" else ""))
        if name != "group" and (not set(value) <= _TYPE_PATTERN or "*" in value[:-1]):
            raise MappingError(f"{where}: {name} {value!r} is not a CoT pattern (letters, digits, - and a "
                               "final *)")
    missing = sorted(_NEEDS[to] - set(raw))
    if missing:
        raise MappingError(f"{where}: a rule to {to} needs {', '.join(missing)}")
    extra = sorted(set(raw) & {"agency", "category", "priority", "status"} - _ALLOWS[to])
    if extra:
        raise MappingError(f"{where}: a rule to {to} takes no {', '.join(extra)}")
    agency = raw.get("agency")
    if agency is not None and agency not in Agency.__members__:
        raise MappingError(f"{where}: agency {agency!r} is not one of {', '.join(Agency)}")
    category = raw.get("category")
    if category is not None and category not in Category.__members__:
        raise MappingError(f"{where}: category {category!r} is not one of {', '.join(Category)}")
    priority = raw.get("priority")
    if priority is not None and (isinstance(priority, bool) or priority not in (1, 2, 3, 4)):
        raise MappingError(f"{where}: priority must be 1, 2, 3 or 4 (got {priority!r})")
    status = raw.get("status", "new")
    if status not in ("new", "closed"):
        raise MappingError(f"{where}: status must be new or closed (got {status!r})")
    return Rule(number, raw["type"].strip(), to, _strip(raw.get("how")), _strip(raw.get("group")), agency,
                category, priority, status)


def _strip(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) else None


def parse_mapping(data: dict[str, Any], source: str = "mapping") -> Mapping:
    """The mapping from the file's data (``rule``: a list of rules; ``out``: agency → CoT type)."""
    try:
        unknown = sorted(set(data) - {"rule", "out"})
        if unknown:
            raise MappingError(f"unknown section(s) {', '.join(unknown)} (known: rule, out)")
        raw_rules = data.get("rule")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise MappingError("no rules: expected [[rule]] tables")
        rules = tuple(_rule(n, raw) for n, raw in enumerate(raw_rules, start=1))
        out = data.get("out") or {}
        if not isinstance(out, dict):
            raise MappingError("[out] must be a table of agency = CoT type")
        for agency, kind in out.items():
            if agency not in Agency.__members__:
                raise MappingError(f"[out]: {agency!r} is not one of {', '.join(Agency)}")
            if not (isinstance(kind, str) and kind.startswith("a-") and set(kind) <= _TYPE_PATTERN - {"*"}):
                raise MappingError(f"[out]: {agency} = {kind!r} is not a CoT atom type (a-f-G-U-…)")
    except MappingError as error:
        raise MappingError(f"{source}: {error}") from None
    return Mapping(rules, dict(out), source)


def load_mapping(path: Path) -> Mapping:
    """Read and check the mapping file (TOML when it ends in ``.toml``, else JSON)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise MappingError(f"{path}: cannot be read ({error})") from None
    try:
        data = tomllib.loads(text) if str(path).endswith(".toml") else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise MappingError(f"{path}: {error}") from None
    if not isinstance(data, dict):
        raise MappingError(f"{path}: expected a table of [[rule]]s")
    return parse_mapping(data, str(path))


# --- mapping an event to entries --------------------------------------------------------------------

#: A unit's status that the center gave it and a position report must not undo.
KEPT_UNIT_STATUS = (UnitStatus.dispatched.value, UnitStatus.on_scene.value, UnitStatus.out_of_service.value)
OPEN = (IncidentStatus.new.value, IncidentStatus.dispatched.value, IncidentStatus.on_scene.value)


@dataclass(frozen=True)
class Mapped:
    """What an event becomes: ``unit`` or ``incident`` entries, or ``ignored`` (``why``)."""

    kind: Literal["unit", "incident", "ignored"]
    entries: list[Entry] = field(default_factory=list)
    why: str = ""


def _number_text(value: float) -> str:
    return f"{value:.7f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def to_entries(
    event: CotEvent,
    mapping: Mapping,
    now_ms: int,
    *,
    unit: dict[str, Any] | None = None,
    incident: dict[str, Any] | None = None,
    stamp: str | None = None,
) -> Mapped:
    """The entries ``event`` becomes under ``mapping``.

    ``unit``/``incident``: the properties of the unit or incident of the same id as the store holds them
    now, if any. A position report carries no dispatch status, so a unit the center dispatched keeps its
    status and incident (a report after its stale time makes it available again); an incident the center
    has triaged keeps its status, agency, category, priority and units — the report moves it and updates
    its description. ``stamp``: the demo store's stamp (the demo's own listener), else ``None``.
    """
    if event.ours:
        return Mapped("ignored", why="Basira's own output (tak-out) heard back")
    rule = mapping.rule_for(event)
    if rule is None:
        return Mapped("ignored", why=f"no rule for type {event.type}")
    if rule.to == "ignore":
        return Mapped("ignored", why=f"rule {rule.number} ignores it")
    common = {"id": event.uid, "lat": _number_text(event.lat), "lon": _number_text(event.lon),
              "ts": str(event.time_ms)}
    if stamp:
        common[SIM_STAMP] = stamp
    if rule.to == "unit":
        return Mapped("unit", [(Stream.units, _unit_fields(event, rule, now_ms, unit, common))])
    return Mapped("incident", [(Stream.incidents, _incident_fields(event, rule, incident, common))])


def _unit_fields(event: CotEvent, rule: Rule, now_ms: int, known: dict[str, Any] | None,
                 common: dict[str, str]) -> dict[str, str]:
    fields = {**common, "agency": str(rule.agency)}
    if event.stale_ms is not None and event.stale_ms <= now_ms:
        fields["status"] = UnitStatus.stale.value  # stale on arrival (late, or replayed)
    elif known and known.get("status") in KEPT_UNIT_STATUS:
        fields["status"] = str(known["status"])
        if known.get("incident") and known["status"] != UnitStatus.out_of_service.value:
            fields["incident"] = str(known["incident"])
    else:
        fields["status"] = UnitStatus.available.value
    if event.course is not None and 0 <= event.course <= 360:
        fields["heading"] = _number_text(round(event.course, 1))
    if event.speed is not None and event.speed >= 0:
        fields["speed"] = _number_text(round(event.speed * 3.6, 1))  # m/s → km/h
    for name in ("callsign", "group", "group_role"):
        if (value := getattr(event, name)) is not None:
            fields[name] = value
    for name in ("ce", "le"):
        if (value := getattr(event, name)) is not None:
            fields[name] = _number_text(round(value, 1))
    if event.stale_ms is not None:
        fields["stale"] = str(event.stale_ms)
    return fields


def _incident_fields(event: CotEvent, rule: Rule, known: dict[str, Any] | None,
                     common: dict[str, str]) -> dict[str, str]:
    who = event.callsign or event.uid
    description = event.remarks or f"TAK {event.type} from {who}"
    fields = {**common, "agency": str(rule.agency), "category": str(rule.category),
              "priority": str(rule.priority), "status": rule.status, "description": description[:MAX_TEXT]}
    if known and known.get("status") in OPEN:
        for name in ("agency", "category", "priority"):
            if known.get(name):
                fields[name] = str(known[name])
        if rule.status != IncidentStatus.closed.value:
            fields["status"] = str(known["status"])
        if known.get("units"):
            fields["units"] = ",".join(known["units"])
    return fields


def stale_fields(feature: dict[str, Any], stamp: str | None = None) -> dict[str, str] | None:
    """The entry that makes a unit ``stale``: its last report as the store holds it (a unit Feature with a
    ``stale`` time), status ``stale``, dated at that stale time (or at the report, if that is later). Its
    speed is left out (not known any more); ``None`` for a Feature that cannot be one."""
    props = feature.get("properties") or {}
    coordinates = (feature.get("geometry") or {}).get("coordinates") or []
    stale = props.get("stale")
    if len(coordinates) < 2 or not props.get("agency") or not isinstance(stale, int) or "id" not in feature:
        return None
    ts = props.get("ts")
    fields = {"id": str(feature["id"]), "agency": str(props["agency"]), "status": UnitStatus.stale.value,
              "lat": _number_text(float(coordinates[1])), "lon": _number_text(float(coordinates[0])),
              "ts": str(max(stale, ts if isinstance(ts, int) else 0)), "stale": str(stale)}
    for name in ("heading", "ce", "le"):
        if isinstance(props.get(name), int | float):
            fields[name] = _number_text(float(props[name]))
    for name in ("incident", "callsign", "group", "group_role"):
        if props.get(name):
            fields[name] = str(props[name])
    if stamp:
        fields[SIM_STAMP] = stamp
    return fields


# --- Basira's answers on a stream -------------------------------------------------------------------


def cot_time(ms: int) -> str:
    """Epoch ms → a CoT time (``2026-11-28T17:00:00.000Z``)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def pong(now_ms: int) -> bytes:
    """A TAK server's answer to a client's ping (``t-x-c-t``), which keeps ATAK's connection up."""
    now = cot_time(now_ms)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<event version="2.0" uid="basira-pong" type="{PONG}" '
            f'how="h-g-i-g-o" time="{now}" start="{now}" stale="{cot_time(now_ms + 20_000)}">'
            '<point lat="0" lon="0" hae="0" ce="9999999" le="9999999"/><detail/></event>').encode()

