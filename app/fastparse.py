"""The ingest worker's fast path to :func:`app.contract.parse`: the common, valid entry, cheaply.

Validating one entry through the pydantic models costs ~15–25 µs, most of it in the Python
validators that run around pydantic's core; at tens of thousands of entries a second that is most
of a worker's time. :func:`parse` here checks the ordinary case — every field present as plain
text the models would accept as it stands — with the models' own helper functions
(:func:`~app.contract.parse_ts`, ``_finite``, ``_check_id`` …), the same bounds, the same enums,
and builds the same event the models would. Anything it is not sure of — a missing or unusual
field, a value out of bounds, a number written oddly — goes to :func:`app.contract.parse`, so every
rejection, and its reason, still comes from the models, and the JSON Schema from them too.

The fast path is an optimisation and never a second definition of "valid": it may only accept
what the models accept, and must build an equal event (``tests/test_fastparse.py`` holds it to
that over the simulator's entries and a table of awkward values).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from typing import Any

from .contract import (
    MAX_FUTURE_MS,
    REGION_CODES,
    TS_MAX_MS,
    TS_MIN_MS,
    UNIT_EXTRAS,
    Agency,
    CallEvent,
    CallOutcome,
    Category,
    ContractError,
    Direction,
    Entry,
    Event,
    IncidentEvent,
    IncidentStatus,
    PortEvent,
    Stream,
    TravellerCategory,
    UnitEvent,
    UnitStatus,
    _check_id,
    _clean_text,
    _unit_list,
    parse_ts,
    utf8_problem,
)
from .contract import parse as parse_with_models

__all__ = ["ContractError", "parse", "quick"]

_object_setattr = object.__setattr__
_REGIONS = frozenset(REGION_CODES)
_PRIORITY = {"1": 1, "2": 2, "3": 3, "4": 4}


class _NotSure(Exception):
    """The fast path declines: the models decide (and say why, if the entry is invalid)."""


def _members(enum: type) -> dict[str, Any]:
    return {member.value: member for member in enum}  # type: ignore[attr-defined]


_AGENCY = _members(Agency)
_INCIDENT_STATUS = _members(IncidentStatus)
_CATEGORY = _members(Category)
_UNIT_STATUS = _members(UnitStatus)
_DIRECTION = _members(Direction)
_TRAVELLER = _members(TravellerCategory)
_OUTCOME = _members(CallOutcome)
#: A unit's optional TAK fields, all absent: what the fast path builds (it declines any entry that has one).
_NO_EXTRAS: dict[str, None] = dict.fromkeys(UNIT_EXTRAS)
_EXTRA_NAMES = frozenset(UNIT_EXTRAS)


def _enum(table: dict[str, Any], value: str) -> Any:
    member = table.get(value)
    if member is None:
        raise _NotSure
    return member


def _number(value: str, low: float, high: float) -> float:
    """As ``_finite`` followed by the field's ``ge``/``le`` bounds (ASCII only: float() reads more)."""
    if not value.isascii() or "_" in value:
        raise _NotSure
    try:
        number = float(value)
    except ValueError:
        raise _NotSure from None
    if not (math.isfinite(number) and low <= number <= high):
        raise _NotSure
    return number


def _count(value: str, high: int) -> int:
    """A plain decimal count (``"0"``, ``"17"``) within ``0..high``; anything else to the models."""
    if not value.isascii() or not value.isdigit() or (len(value) > 1 and value[0] == "0"):
        raise _NotSure
    number = int(value)
    if number > high:
        raise _NotSure
    return number


def _checked(helper: Callable[[Any], Any], value: str) -> Any:
    try:
        return helper(value)
    except ValueError:
        raise _NotSure from None


def _ts(value: str, now_ms: int | None) -> int:
    """``parse_ts`` and ``Entry._not_far_future``; plain epoch milliseconds without the regex."""
    if value.isascii() and value.isdigit() and len(value) <= 16:
        ts = int(value)
        if not TS_MIN_MS <= ts < TS_MAX_MS:
            raise _NotSure
    else:
        ts = _checked(parse_ts, value)
    if now_ms is not None and ts > now_ms + MAX_FUTURE_MS:
        raise _NotSure
    return ts


def _present(fields: dict[str, Any]) -> dict[str, str]:
    """``Entry._blank_is_absent``: blank values (empty or white space) dropped, the others as given
    (only for all-text entries)."""
    try:
        stripped = [str.strip(value) for value in fields.values()]
    except TypeError:  # a value that is not text: not what producers write to a stream
        raise _NotSure from None
    if "" in stripped:
        return {key: value for key, value in fields.items() if value.strip()}
    return fields


def _build(model: type[Entry], values: dict[str, Any], given: dict[str, str]) -> Any:
    """The model instance pydantic would build from ``given``, without validating again.

    This is what ``model_construct`` does (``__dict__`` in field order, the set of fields given,
    no extras or private attributes) minus its per-call field loop, which costs more than the rest
    of the fast path together.
    """
    event = object.__new__(model)
    _object_setattr(event, "__dict__", values)
    _object_setattr(event, "__pydantic_fields_set__", given.keys() & values.keys())
    _object_setattr(event, "__pydantic_extra__", None)
    _object_setattr(event, "__pydantic_private__", None)
    return event


def _id(value: str) -> str:
    return _checked(_check_id, value)


def _text(value: str) -> str:
    return _checked(_clean_text, value)


def _opt(convert: Callable[..., Any], value: str | None, *args: Any) -> Any:
    """An optional field: absent stays ``None``, present is converted as a required one."""
    return None if value is None else convert(value, *args)


def _incident(given: dict[str, str], _ports: Collection[str] | None, now_ms: int | None) -> IncidentEvent:
    region = given.get("region")
    if region is not None and region not in _REGIONS:
        raise _NotSure
    units = given.get("units")
    values = {
        "id": _id(given["id"]),
        "status": _enum(_INCIDENT_STATUS, given["status"]),
        "agency": _enum(_AGENCY, given["agency"]),
        "category": _enum(_CATEGORY, given["category"]),
        "priority": _enum(_PRIORITY, given["priority"]),
        "lat": _number(given["lat"], -90, 90),
        "lon": _number(given["lon"], -180, 180),
        "ts": _ts(given["ts"], now_ms),
        "region": region,
        "description": _opt(_text, given.get("description")),
        "units": () if units is None else _checked(_unit_list, units),
    }
    return _build(IncidentEvent, values, given)


def _unit(given: dict[str, str], _ports: Collection[str] | None, now_ms: int | None) -> UnitEvent:
    if not _EXTRA_NAMES.isdisjoint(given):
        raise _NotSure  # a TAK report's fields (call sign, errors, stale time): the models read them
    values = {
        "id": _id(given["id"]),
        "agency": _enum(_AGENCY, given["agency"]),
        "status": _enum(_UNIT_STATUS, given["status"]),
        "lat": _number(given["lat"], -90, 90),
        "lon": _number(given["lon"], -180, 180),
        "ts": _ts(given["ts"], now_ms),
        "heading": None if (heading := given.get("heading")) is None else _number(heading, 0, 360),
        "speed": None if (speed := given.get("speed")) is None else _number(speed, 0, 400),
        "incident": None if (incident := given.get("incident")) is None else _id(incident),
        **_NO_EXTRAS,
    }
    return _build(UnitEvent, values, given)


def _port(given: dict[str, str], ports: Collection[str] | None, now_ms: int | None) -> PortEvent:
    port = given["port"]
    if ports is not None and port not in ports:
        raise _NotSure
    values = {
        "port": port,
        "direction": _enum(_DIRECTION, given["direction"]),
        "travellers": _count(given["travellers"], 100_000),
        "category": _enum(_TRAVELLER, given["category"]),
        "vehicles": _opt(_count, given.get("vehicles"), 100_000),
        "wait_min": _opt(_number, given.get("wait_min"), 0, 24 * 60),
        "ts": _ts(given["ts"], now_ms),
    }
    return _build(PortEvent, values, given)


def _call(given: dict[str, str], _ports: Collection[str] | None, now_ms: int | None) -> CallEvent:
    region = given.get("region")
    if region is not None and region not in _REGIONS:
        raise _NotSure
    values = {
        "id": _id(given["id"]),
        "ts": _ts(given["ts"], now_ms),
        "answered_ts": _opt(_ts, given.get("answered_ts"), None),
        "lat": _opt(_number, given.get("lat"), -90, 90),
        "lon": _opt(_number, given.get("lon"), -180, 180),
        "region": region,
        "outcome": _enum(_OUTCOME, given["outcome"]),
        "incident": _opt(_id, given.get("incident")),
    }
    # CallEvent._where_and_when
    if (values["lat"] is None) != (values["lon"] is None) or (values["lat"] is None and region is None):
        raise _NotSure
    if values["answered_ts"] is not None and values["answered_ts"] < values["ts"]:
        raise _NotSure
    return _build(CallEvent, values, given)


_FAST: dict[Stream, Callable[[dict[str, str], Collection[str] | None, int | None], Any]] = {
    Stream.incidents: _incident,
    Stream.units: _unit,
    Stream.ports: _port,
    Stream.calls: _call,
}


def quick(
    stream: Stream, fields: dict[str, Any], *, ports: Collection[str] | None = None, now_ms: int | None = None
) -> Event | None:
    """The event, when ``fields`` is an ordinary valid entry; ``None`` when the models must decide."""
    try:
        return _FAST[stream](_present(fields), ports, now_ms)
    except (_NotSure, KeyError):
        return None


def parse(
    stream: Stream,
    fields: dict[str, Any],
    *,
    ports: Collection[str] | None = None,
    now_ms: int | None = None,
) -> Event:
    """Exactly :func:`app.contract.parse` (the same events, the same :class:`ContractError` reasons),
    faster on the ordinary valid entry."""
    if (problem := utf8_problem(fields)) is not None:
        raise ContractError(problem)
    event = quick(stream, fields, ports=ports, now_ms=now_ms)
    if event is None:
        event = parse_with_models(stream, fields, ports=ports, now_ms=now_ms)  # type: ignore[arg-type]
    return event
