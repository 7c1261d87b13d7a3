"""The wire contract: what producers write to the streams, and how it is read.

Producers write flat string fields with plain ``XADD`` (as ``redis-cli`` would). This module holds
the models and enums for those entries, the stream names, and the one function that turns a raw
entry into a validated event (:func:`parse`) or a readable reason why not (:class:`ContractError`).
It does no I/O, so the web app, the worker, the simulator and the tests all share it.
``docs/events.md`` documents every field; ``docs/schemas/`` holds the JSON Schema made from these
models (``python -m app schemas``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import WithJsonSchema

# --- names -----------------------------------------------------------------------------------

#: The 13 administrative regions (ISO 3166-2:SA). There is no SA-13.
REGION_CODES: tuple[str, ...] = (
    "SA-01", "SA-02", "SA-03", "SA-04", "SA-05", "SA-06", "SA-07",
    "SA-08", "SA-09", "SA-10", "SA-11", "SA-12", "SA-14",
)  # fmt: skip
#: Region token for a point that lies in none of the region polygons (kept, and marked).
OUTSIDE = "outside"
#: Every region token the state is keyed by.
REGION_TOKENS: tuple[str, ...] = (*REGION_CODES, OUTSIDE)


class Agency(StrEnum):
    """The security sectors the center serves, plus the Red Crescent's ambulances."""

    patrol = "patrol"
    traffic = "traffic"
    road_security = "road_security"
    civil_defense = "civil_defense"
    red_crescent = "red_crescent"


class IncidentStatus(StrEnum):
    """An incident's life: opened, unit(s) dispatched, on scene, closed."""

    new = "new"
    dispatched = "dispatched"
    on_scene = "on_scene"
    closed = "closed"


class Category(StrEnum):
    """What happened. Unknown values are rejected; ``other`` is the honest fallback."""

    fire = "fire"
    collision = "collision"
    theft = "theft"
    medical = "medical"
    assault = "assault"
    flood = "flood"
    rescue = "rescue"
    hazmat = "hazmat"
    road_hazard = "road_hazard"
    breakdown = "breakdown"
    disturbance = "disturbance"
    missing_person = "missing_person"
    suspicious = "suspicious"
    vandalism = "vandalism"
    traffic_violation = "traffic_violation"
    other = "other"


class UnitStatus(StrEnum):
    """A unit's state; stale: the stale time its last report gave (TAK's) passed with no newer report, so
    its position is not live — it stays on the map, marked stale, neither available nor busy."""

    available = "available"
    dispatched = "dispatched"
    on_scene = "on_scene"
    out_of_service = "out_of_service"
    stale = "stale"


class Direction(StrEnum):
    arrival = "arrival"
    departure = "departure"


class TravellerCategory(StrEnum):
    citizen = "citizen"
    resident = "resident"
    visitor = "visitor"
    pilgrim = "pilgrim"


class CallOutcome(StrEnum):
    incident = "incident"
    advice = "advice"
    transfer = "transfer"
    abandoned = "abandoned"
    nuisance = "nuisance"


class Stream(StrEnum):
    """The four input streams (the key is ``<prefix>:<name>``) and the rejected-entries stream."""

    incidents = "incidents"
    units = "units"
    ports = "ports"
    calls = "calls"

    def key(self, prefix: str) -> str:
        return f"{prefix}:{self.value}"


INPUT_STREAMS: tuple[Stream, ...] = (Stream.incidents, Stream.units, Stream.ports, Stream.calls)
REJECTED = "rejected"


def rejected_key(prefix: str) -> str:
    """The stream that receives entries that failed validation."""
    return f"{prefix}:{REJECTED}"


#: Between a prefix's name and a shard's number in the shard's prefix (``{sa}`` → ``{sa/3}``): never in a
#: prefix itself (``BASIRA_STREAM_PREFIX`` allows letters, digits and ``_.-``), so no centre's prefix can
#: be another's shard.
SHARD_MARK = "/"


def shard_prefix(prefix: str, shard: int | str) -> str:
    """The prefix of shard ``shard`` of ``prefix`` (``app.store.keys``: where a sharded store keeps the
    live incidents and units; ``app.acl`` grants it): its number inside the hash tag when there is one
    (``{sa}`` → ``{sa/3}``, a slot of its own), else after the name (``sa`` → ``sa/3``). ``"*"`` for
    ``shard`` gives the pattern of them all."""
    if prefix.startswith("{") and (end := prefix.find("}")) > 1:
        return f"{prefix[:end]}{SHARD_MARK}{shard}{prefix[end:]}"
    return f"{prefix}{SHARD_MARK}{shard}"


#: A field name reserved for the simulator (docs/events.md): its value is the demo store's secret stamp
#: (``Store.mark_demo()``). Parsing ignores it like any unknown field; the ingest worker ends a demo
#: store's demo at the first entry whose stamp is missing or wrong.
SIM_STAMP = "basira_sim"


# --- field types -----------------------------------------------------------------------------

#: Event times are accepted between these instants (epoch ms); anything else is a typo or a bug.
TS_MIN_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
TS_MAX_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z
#: An event time further ahead of the worker's clock than this is rejected (clock skew allowance).
MAX_FUTURE_MS = 24 * 3600 * 1000
#: Longest free text (an incident's description) accepted, in characters.
MAX_TEXT = 500
#: Longest label (a unit's call sign, its team's name) accepted, in characters.
MAX_LABEL = 64

_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_EPOCH_RE = re.compile(r"^-?[0-9]{1,16}$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: A lone surrogate: what a byte that is not UTF-8 becomes when read with ``surrogateescape``.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def raw_bytes(text: str) -> bytes:
    """The bytes ``text`` was read from (bytes that were not UTF-8 came back as lone surrogates)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate not made by surrogateescape: as UTF-8 would encode it
        return text.encode("utf-8", "surrogatepass")


def escaped(text: str) -> str:
    """``text`` where it is valid, each byte that is not UTF-8 written ``\\xNN`` (for people and JSON)."""
    return raw_bytes(text).decode("utf-8", "backslashreplace")


def _shown(text: str) -> str:
    text = escaped(text)
    return f"'{text}'" if len(text) <= 40 else f"'{text[:40]}'…"


def utf8_problem(fields: dict[Any, Any]) -> str | None:
    """Why ``fields`` are not all valid UTF-8 (names and values), or ``None`` when they are.

    Cheap on the ordinary entry: one join, and a search only when something is not ASCII.
    """
    try:
        blob = "".join(fields) + "".join(fields.values())
    except TypeError:  # values that are not text (a direct call, not a stream entry)
        blob = "".join(str(k) for k in fields) + "".join(v for v in fields.values() if isinstance(v, str))
    if blob.isascii() or not _SURROGATE_RE.search(blob):
        return None
    problems = []
    for name, value in fields.items():
        if isinstance(name, str) and _SURROGATE_RE.search(name):
            problems.append(f"field name {_shown(name)}: not valid UTF-8")
        elif isinstance(value, str) and _SURROGATE_RE.search(value):
            problems.append(f"{name}: not valid UTF-8 (got {_shown(value)})")
    return "; ".join(problems[:5])


def parse_ts(value: Any) -> int:
    """Event time → epoch milliseconds (UTC).

    Accepts epoch milliseconds (an integer string) or ISO 8601 *with* a UTC offset; a time without
    an offset is ambiguous (Riyadh or UTC?) and is refused rather than guessed.
    """
    if isinstance(value, bool):
        raise ValueError("expected a time")
    if isinstance(value, int):
        ms = value
    elif isinstance(value, str):
        text = value.strip()
        if not text.isascii():
            raise ValueError("expected ASCII digits 0-9 (Arabic-Indic and other digits are refused)")
        if _EPOCH_RE.match(text):
            ms = int(text)
        else:
            try:
                when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            except ValueError:
                raise ValueError(
                    "expected ISO 8601 with an offset (2026-11-28T17:00:00+03:00) "
                    "or epoch milliseconds"
                ) from None
            if when.tzinfo is None:
                raise ValueError("time has no UTC offset (add +03:00 or Z)")
            ms = int(when.timestamp() * 1000)
    else:
        raise ValueError("expected a time")
    if not TS_MIN_MS <= ms < TS_MAX_MS:
        raise ValueError("time outside 2000–2099 (epoch milliseconds expected, not seconds?)")
    return ms


def _check_id(value: Any) -> str:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise ValueError("expected 1–64 characters of A–Z a–z 0–9 . _ : -")
    return value


def _clean_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise ValueError(f"at most {MAX_TEXT} characters (got {len(value)})")
    # Control characters have no business on a wall display; tabs and newlines are kept.
    return _CONTROL_RE.sub("", value)


def _clean_label(value: Any) -> str:
    """A one-line label: no control characters at all (a call sign is never two lines)."""
    if not isinstance(value, str):
        raise ValueError("expected text")
    value = value.strip()
    if len(value) > MAX_LABEL:
        raise ValueError(f"at most {MAX_LABEL} characters (got {len(value)})")
    return _CONTROL_RE.sub("", value.replace("\t", " ").replace("\n", " ").replace("\r", " "))


def _finite(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        # float() also reads Arabic-Indic digits and "1_000"; the contract is plain ASCII decimals.
        if not value.isascii():
            raise ValueError("expected ASCII digits 0-9 (Arabic-Indic and other digits are refused)")
        if "_" in value:
            raise ValueError("expected a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError("expected a number") from None
    if not math.isfinite(number):
        raise ValueError("expected a finite number")
    return number


def _unit_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise ValueError("expected comma-separated unit ids")
    if len(parts) > 50:
        raise ValueError("more than 50 units")
    return tuple(_check_id(p) for p in parts)


_TS_SCHEMA = {
    "type": "string",
    "description": "ISO 8601 with offset, or epoch milliseconds",
    "examples": ["2026-11-28T20:15:00+03:00", "1795886100000"],
}

EntityId = Annotated[
    str,
    BeforeValidator(_check_id),
    WithJsonSchema({"type": "string", "pattern": _ID_RE.pattern, "maxLength": 64}),
]
Timestamp = Annotated[int, BeforeValidator(parse_ts), WithJsonSchema(_TS_SCHEMA)]
Label = Annotated[
    str, BeforeValidator(_clean_label), WithJsonSchema({"type": "string", "maxLength": MAX_LABEL})
]
#: A position's error, in metres (TAK's ``ce``/``le``; up to 1,000 km).
Metres = Annotated[float, BeforeValidator(_finite), Field(ge=0, le=1_000_000)]
Lat = Annotated[float, BeforeValidator(_finite), Field(ge=-90, le=90)]
Lon = Annotated[float, BeforeValidator(_finite), Field(ge=-180, le=180)]
Text = Annotated[str, BeforeValidator(_clean_text), WithJsonSchema({"type": "string", "maxLength": 500})]
RegionCode = Literal[
    "SA-01", "SA-02", "SA-03", "SA-04", "SA-05", "SA-06", "SA-07",
    "SA-08", "SA-09", "SA-10", "SA-11", "SA-12", "SA-14",
]  # fmt: skip
UnitIds = Annotated[
    tuple[str, ...],
    BeforeValidator(_unit_list),
    WithJsonSchema({"type": "string", "description": "comma-separated unit ids"}),
]


# --- models ----------------------------------------------------------------------------------


class Entry(BaseModel):
    """Common behaviour of every stream entry.

    Extra fields are ignored (producers may send more than we read). A value that is empty or only
    white space counts as an absent field, since ``redis-cli`` cannot send a null. Other values are
    read as given: numbers, times, text and unit lists allow surrounding spaces, enums, ids and
    region codes do not (``" fire"`` is not ``fire``).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)
    stream: ClassVar[Stream]

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @field_validator("ts", check_fields=False)
    @classmethod
    def _not_far_future(cls, ts: int, info: ValidationInfo) -> int:
        now_ms = (info.context or {}).get("now_ms")
        if now_ms is not None and ts > now_ms + MAX_FUTURE_MS:
            raise ValueError("time is more than a day in the future")
        return ts


class IncidentEvent(Entry):
    """A change in an incident's life (one entry per change; the latest ``ts`` wins)."""

    stream: ClassVar[Stream] = Stream.incidents
    id: EntityId
    status: IncidentStatus
    agency: Agency
    category: Category
    priority: int = Field(ge=1, le=4, description="1 most urgent … 4 least")
    lat: Lat
    lon: Lon
    ts: Timestamp
    region: RegionCode | None = Field(
        default=None, description="ISO 3166-2:SA; when absent, assigned from the point"
    )
    description: Text | None = Field(default=None, description="untrusted free text")
    units: UnitIds = Field(default=(), description="comma-separated unit ids")


class UnitEvent(Entry):
    """A unit's (vehicle's) position and status."""

    stream: ClassVar[Stream] = Stream.units
    id: EntityId
    agency: Agency
    status: UnitStatus
    lat: Lat
    lon: Lon
    ts: Timestamp
    heading: Annotated[float, BeforeValidator(_finite), Field(ge=0, le=360)] | None = Field(
        default=None, description="degrees clockwise from north"
    )
    speed: Annotated[float, BeforeValidator(_finite), Field(ge=0, le=400)] | None = Field(
        default=None, description="km/h"
    )
    incident: EntityId | None = Field(default=None, description="incident it is assigned to")
    # What a TAK (Cursor on Target) report carries besides (docs/standards.md); any producer may send them.
    callsign: Label | None = Field(default=None, description="the unit's call sign as its crew sees it")
    group: Label | None = Field(default=None, description="its team (TAK: `__group` name, e.g. Cyan)")
    group_role: Label | None = Field(default=None, description="its role in the team (TAK: `__group` role)")
    ce: Metres | None = Field(default=None, description="circular (horizontal) error of the position, m")
    le: Metres | None = Field(default=None, description="linear (vertical) error of the position, m")
    stale: Timestamp | None = Field(
        default=None,
        description="when this report stops being live (TAK's stale time): with no newer report by then, "
        "the unit is written `stale`",
    )


#: The unit fields beyond the core ones (TAK's), in the order a unit's Feature carries them when present.
UNIT_EXTRAS: tuple[str, ...] = ("callsign", "group", "group_role", "ce", "le", "stale")


class PortEvent(Entry):
    """A count of travellers through a port since the producer's previous entry for it."""

    stream: ClassVar[Stream] = Stream.ports
    port: str = Field(description="an id from the ports table")
    direction: Direction
    travellers: int = Field(ge=0, le=100_000)
    category: TravellerCategory
    vehicles: int | None = Field(default=None, ge=0, le=100_000)
    wait_min: Annotated[float, BeforeValidator(_finite), Field(ge=0, le=24 * 60)] | None = Field(
        default=None, description="current queue wait, minutes"
    )
    ts: Timestamp

    @field_validator("port")
    @classmethod
    def _known_port(cls, port: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("ports")
        if known is not None and port not in known:
            raise ValueError("unknown port (not in the ports table)")
        return port


class CallEvent(Entry):
    """One 911 call, written once when it ends (a second entry with the same id is ignored)."""

    stream: ClassVar[Stream] = Stream.calls
    id: EntityId
    ts: Timestamp = Field(description="when the call was received")
    answered_ts: Timestamp | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    region: RegionCode | None = None
    outcome: CallOutcome
    incident: EntityId | None = None

    @model_validator(mode="after")
    def _where_and_when(self) -> CallEvent:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon come together")
        if self.lat is None and self.region is None:
            raise ValueError("needs lat/lon or region")
        if self.answered_ts is not None and self.answered_ts < self.ts:
            raise ValueError("answered_ts is before ts")
        return self


Event = IncidentEvent | UnitEvent | PortEvent | CallEvent

MODELS: dict[Stream, type[Entry]] = {
    Stream.incidents: IncidentEvent,
    Stream.units: UnitEvent,
    Stream.ports: PortEvent,
    Stream.calls: CallEvent,
}


class ContractError(ValueError):
    """An entry that does not follow the contract; ``reason`` says why, for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "entry"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            parts.append(f"{where}: required field missing")
            continue
        given = item.get("input")
        if isinstance(given, str | int | float) and item["loc"]:
            shown = repr(given) if len(str(given)) <= 40 else repr(str(given)[:40]) + "…"
            parts.append(f"{where}: {message} (got {shown})")
        else:
            parts.append(f"{where}: {message}")
    return "; ".join(parts)


def parse(
    stream: Stream,
    fields: dict[str, Any],
    *,
    ports: frozenset[str] | set[str] | None = None,
    now_ms: int | None = None,
) -> Event:
    """Validate one raw entry of ``stream``.

    ``ports`` is the set of known port ids (checked when given); ``now_ms`` rejects event times
    more than a day ahead of it. Raises :class:`ContractError` with a readable reason — also for
    names or values that were not valid UTF-8 (see :func:`utf8_problem`).
    """
    if (problem := utf8_problem(fields)) is not None:
        raise ContractError(problem)
    model = MODELS[stream]
    try:
        return model.model_validate(fields, context={"ports": ports, "now_ms": now_ms})
    except ValidationError as error:
        raise ContractError(_describe(error)) from None


def to_fields(event: Entry) -> dict[str, str]:
    """An event as the flat string fields a producer writes (the inverse of :func:`parse`)."""
    out: dict[str, str] = {}
    for name, value in event.model_dump(exclude_none=True).items():
        if isinstance(value, tuple | list):
            if not value:
                continue
            value = ",".join(value)
        elif isinstance(value, float) and value.is_integer() and name not in ("lat", "lon"):
            value = int(value)
        out[name] = str(value)
    return out


def json_schema(stream: Stream) -> dict[str, Any]:
    """The JSON Schema of one stream's entries (as written by producers: all values strings)."""
    schema = MODELS[stream].model_json_schema(mode="validation")
    schema["title"] = f"<prefix>:{stream.value} entry"
    schema["additionalProperties"] = True
    for prop in schema["properties"].values():
        for option in [prop, *prop.get("anyOf", [])]:
            # Constraints that sit behind a BeforeValidator come out under pydantic's own names.
            for ours, theirs in (("ge", "minimum"), ("le", "maximum")):
                if ours in option:
                    option[theirs] = option.pop(ours)
    return schema


# --- scope -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a viewer is looking at: the nation or one region, all agencies or one.

    ``None`` means "all". Build it with :meth:`parse` from untrusted input (query strings).
    ``limit_regions``/``limit_agencies`` narrow what "all" stands for: a commander of two regions
    who asks for the nation reads only their regions' cells (``app.auth.scope_for`` sets them; an
    empty tuple stands for nothing at all). Every read goes through :attr:`regions`/:attr:`agencies`.
    """

    region: str | None = None
    agency: str | None = None
    limit_regions: tuple[str, ...] | None = None
    limit_agencies: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for chosen, limit in ((self.region, self.limit_regions), (self.agency, self.limit_agencies)):
            if chosen is not None and limit is not None and chosen not in limit:
                raise ValueError(f"{chosen!r} lies outside the scope's limit {limit!r}")

    @classmethod
    def parse(cls, region: str | None = None, agency: str | None = None) -> Scope:
        """Raises :class:`ContractError` for an unknown region or agency."""
        region = (region or "").strip() or None
        agency = (agency or "").strip() or None
        if region is not None and region not in REGION_TOKENS:
            raise ContractError(f"unknown region {region[:20]!r}: expected one of {', '.join(REGION_CODES)}")
        if agency is not None and agency not in Agency.__members__:
            raise ContractError(f"unknown agency {agency[:20]!r}: expected one of {', '.join(Agency)}")
        return cls(region, agency)

    @property
    def regions(self) -> tuple[str, ...]:
        if self.region:
            return (self.region,)
        return REGION_TOKENS if self.limit_regions is None else self.limit_regions

    @property
    def agencies(self) -> tuple[str, ...]:
        if self.agency:
            return (self.agency,)
        # plain strings, not the enum: they key JSON objects (orjson takes no str subclass as a key)
        return tuple(a.value for a in Agency) if self.limit_agencies is None else self.limit_agencies

    def covers(self, region: str | None, agency: str | None = None) -> bool:
        """True when a thing of ``region`` (and ``agency``, when given) lies inside this scope."""
        return region in self.regions and (agency is None or agency in self.agencies)

    @property
    def token(self) -> str:
        """A short stable name, for cache keys and logs: ``SA-02:traffic``, ``all:all``,
        ``SA-01+SA-04:all`` (limited), ``none:none`` (nothing)."""
        regions = _token_part(self.region, self.limit_regions)
        return f"{regions}:{_token_part(self.agency, self.limit_agencies)}"


def _token_part(chosen: str | None, limit: tuple[str, ...] | None) -> str:
    if chosen:
        return chosen
    if limit is None:
        return "all"
    return "+".join(limit) if limit else "none"
