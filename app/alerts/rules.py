"""Alert rules: the TOML file (``BASIRA_RULES_FILE``), its validation with line numbers, and the
default rules that apply without one.

A file is a list of ``[[rule]]`` tables. Each has a ``kind`` (``unassigned``, ``response_breach``,
``spike``, ``geofence``, ``port_wait``, ``stale_producer``), an optional ``id`` (default
``<kind>-<n>``), a ``severity`` (CAP's: ``extreme``, ``severe``, ``moderate``, ``minor``), names
(``name_en``, ``name_ar``), a scope (``regions``, ``agencies``, ``categories``, ``priority``: incidents
of that priority or more urgent) and its kind's own settings (see :class:`Rule` and docs/alerts.md).

A bad file is refused whole, with every error naming its line (:class:`RulesError`); the worker then
keeps the rules it had (:mod:`.worker`). Pure: the file's text in, rules out.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.contract import REGION_CODES, Agency, Category, Stream

from .zones import Zone, ZoneError, parse_shape

Severity = Literal["extreme", "severe", "moderate", "minor"]
Kind = Literal["unassigned", "response_breach", "spike", "geofence", "port_wait", "stale_producer"]


class Rule(BaseModel):
    """One rule, validated. Only the fields of its ``kind`` matter; the others keep their defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(default="", pattern=r"^([A-Za-z0-9_.-]{1,64})?$")  # no ":": it ends a condition's rule
    kind: Kind
    severity: Severity = "moderate"
    name_en: str = Field(default="", max_length=120)
    name_ar: str = Field(default="", max_length=120)
    # scope
    regions: tuple[str, ...] | None = None
    agencies: tuple[Agency, ...] | None = None
    categories: tuple[Category, ...] | None = None
    priority: int | None = Field(
        default=None, ge=1, le=4, description="incidents of this priority or more urgent"
    )
    # no flapping: once cleared, the same condition is not raised again for this long
    min_gap_s: float = Field(default=300.0, ge=0, le=86_400)
    # unacknowledged severe alerts escalate after this long (None: the setting's; 0: never)
    escalate_after_min: float | None = Field(default=None, ge=0, le=1440)
    # unassigned
    after_s: float = Field(default=60.0, gt=0, le=86_400)
    # response_breach (None: BASIRA_RESPONSE_TARGET_S)
    target_s: float | None = Field(default=None, gt=0, le=86_400)
    # spike
    window_s: float = Field(default=900.0, ge=60, le=6 * 3600)
    alpha: float = Field(default=1e-4, gt=0, lt=0.5)
    clear_alpha: float = Field(default=0.05, gt=0, lt=1)
    min_count: int = Field(default=5, ge=1)
    # geofence
    zones: tuple[str, ...] = ()
    polygon: tuple[tuple[float, float], ...] | None = None
    circle: dict[str, float] | None = None
    subjects: tuple[Literal["unit", "incident"], ...] = ("unit", "incident")
    when: Literal["inside", "outside"] = "inside"
    units: tuple[str, ...] = ()
    # port_wait
    threshold_min: float = Field(default=45.0, gt=0, le=24 * 60)
    clear_min: float | None = Field(default=None, ge=0, le=24 * 60)
    ports: tuple[str, ...] | None = None
    # stale_producer
    streams: tuple[Stream, ...] = (Stream.incidents, Stream.units, Stream.ports, Stream.calls)
    min_quiet_s: float = Field(default=60.0, ge=1, le=86_400)
    quiet_alpha: float = Field(default=1e-6, gt=0, lt=0.5)

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        unknown = [r for r in value if r not in REGION_CODES]
        if unknown:
            raise ValueError(f"unknown region {', '.join(map(repr, unknown))}: expected codes like SA-02")
        return value

    @model_validator(mode="after")
    def _kind_fields(self) -> Rule:
        if self.kind == "geofence":
            shapes = bool(self.zones) + (self.polygon is not None) + (self.circle is not None)
            if shapes != 1:
                raise ValueError("a geofence rule needs exactly one of zones, polygon or circle")
            if self.when == "outside" and not self.units:
                raise ValueError(
                    'a geofence rule with when = "outside" needs the units it watches (units = [...])'
                )
        if self.kind == "spike" and self.clear_alpha <= self.alpha:
            raise ValueError(
                "clear_alpha must be larger than alpha (the alert clears only well below the spike)"
            )
        if self.kind == "port_wait" and self.clear_min is not None and self.clear_min >= self.threshold_min:
            raise ValueError("clear_min must be below threshold_min")
        return self

    # --- scope -------------------------------------------------------------------------------
    def covers_region(self, region: str) -> bool:
        return self.regions is None or region in self.regions

    def covers_incident(self, region: str, agency: str, category: str, priority: int) -> bool:
        return (
            self.covers_region(region)
            and (self.agencies is None or agency in self.agencies)
            and (self.categories is None or category in self.categories)
            and (self.priority is None or priority <= self.priority)
        )

    def covers_unit(self, region: str, agency: str) -> bool:
        return self.covers_region(region) and (self.agencies is None or agency in self.agencies)

    def summary(self) -> dict[str, Any]:
        """What the API and the pages list of a rule (its non-default settings)."""
        return self.model_dump(mode="json", exclude_defaults=True) | {
            "id": self.id,
            "kind": self.kind,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class RuleSet:
    """The rules in force, and where they came from (a file's path, or ``defaults``); geofence rules'
    shapes resolved (:attr:`shapes`: rule id → zones)."""

    rules: tuple[Rule, ...]
    source: str
    shapes: Mapping[str, tuple[Zone, ...]]

    def of_kind(self, kind: str) -> list[Rule]:
        return [r for r in self.rules if r.kind == kind]


class RulesError(ValueError):
    """A rules file that cannot be used: every problem, each with its line."""

    def __init__(self, source: str, problems: Sequence[tuple[int | None, str]]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = [
            f"{source}:{line}: {message}" if line else f"{source}: {message}" for line, message in problems
        ]
        super().__init__("\n".join(lines))


_HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]\s*(#.*)?$")


def _rule_lines(text: str) -> list[tuple[int, int]]:
    """(first, last) line numbers (1-based) of each ``[[rule]]`` table, in order."""
    lines = text.splitlines()
    starts = [n for n, line in enumerate(lines, 1) if _HEADER.match(line)]
    if not starts:
        return []
    ends = [*[s - 1 for s in starts[1:]], len(lines)]
    return list(zip(starts, ends, strict=True))


def _line_of(text: str, span: tuple[int, int], field: str | None) -> int:
    """The line of ``field = …`` inside the rule's table, else the table's header."""
    if field:
        pattern = re.compile(rf"^\s*{re.escape(field)}\s*=")
        lines = text.splitlines()
        for n in range(span[0], span[1] + 1):
            if pattern.match(lines[n - 1]):
                return n
    return span[0]


def _message(error: dict[str, Any]) -> tuple[str | None, str]:
    loc = [str(part) for part in error.get("loc", ())]
    field = loc[0] if loc else None
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        return field, f"unknown setting {field!r}"
    if field == "kind" and error.get("type") == "literal_error":
        return field, f"unknown kind {error.get('input')!r}: one of {', '.join(Kind.__args__)}"
    where = ".".join(loc) if loc else ""
    return field, f"{where}: {message}" if where else message


def parse_rules(text: str, source: str, zones: Mapping[str, Zone]) -> RuleSet:
    """The rules of a file's ``text`` (``source`` names it in errors); ``zones``: the zones file's,
    by id. Raises :class:`RulesError` with every problem found, each with its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        raise RulesError(
            source, [(int(match.group(1)) if match else None, f"not valid TOML: {error}")]
        ) from None
    extra = sorted(set(data) - {"rule"})
    problems: list[tuple[int | None, str]] = []
    if extra:
        problems.append(
            (None, f"unknown top-level key(s) {', '.join(extra)}: the file is a list of [[rule]] tables")
        )
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        raise RulesError(source, [(None, "rule must be a list of tables: write [[rule]]")])
    spans = _rule_lines(text)
    if len(spans) != len(tables):  # e.g. rule = [{…}] inline: no header lines to point at
        spans = [(1, len(text.splitlines()) or 1)] * len(tables)
    rules: list[Rule] = []
    shapes: dict[str, tuple[Zone, ...]] = {}
    seen: dict[str, int] = {}
    for n, (table, span) in enumerate(zip(tables, spans, strict=True), 1):
        try:
            rule = Rule.model_validate(table)
        except ValidationError as error:
            for detail in error.errors():
                field, message = _message(detail)  # type: ignore[arg-type]
                problems.append((_line_of(text, span, field), message))
            continue
        if not rule.id:
            rule = rule.model_copy(update={"id": f"{rule.kind}-{n}"})
        if rule.id in seen:
            problems.append(
                (_line_of(text, span, "id"), f"rule id {rule.id!r} is already used (line {seen[rule.id]})")
            )
            continue
        seen[rule.id] = span[0]
        if rule.kind == "geofence":
            try:
                shapes[rule.id] = _shapes_of(rule, zones)
            except ZoneError as error:
                field = "zones" if rule.zones else "polygon" if rule.polygon is not None else "circle"
                problems.append((_line_of(text, span, field), str(error)))
                continue
        rules.append(rule)
    if problems:
        raise RulesError(source, problems)
    return RuleSet(tuple(rules), source, shapes)


def _shapes_of(rule: Rule, zones: Mapping[str, Zone]) -> tuple[Zone, ...]:
    if rule.zones:
        unknown = [z for z in rule.zones if z not in zones]
        if unknown:
            known = ", ".join(sorted(zones)) or "none"
            raise ZoneError(f"unknown zone {', '.join(map(repr, unknown))} (the zones file has: {known})")
        return tuple(zones[z] for z in rule.zones)
    shape = {"polygon": rule.polygon} if rule.polygon is not None else {"circle": rule.circle}
    return (parse_shape(rule.id, shape, name_en=rule.name_en or rule.id, name_ar=rule.name_ar or rule.id),)


#: The rules in force without a rules file (docs/alerts.md lists them).
DEFAULT_RULES = """
[[rule]]
id = "p1-unassigned"
kind = "unassigned"
severity = "severe"
priority = 1
after_s = 60
name_en = "Priority-1 incident without a unit"
name_ar = "بلاغ بأولوية ١ دون وحدة"

[[rule]]
id = "p1-response"
kind = "response_breach"
severity = "moderate"
priority = 1
name_en = "Priority-1 response time breached"
name_ar = "تجاوز زمن الوصول لبلاغ بأولوية ١"

[[rule]]
id = "region-spike"
kind = "spike"
severity = "severe"
window_s = 900
name_en = "Unusual rise in a region's incidents"
name_ar = "ارتفاع غير معتاد في بلاغات منطقة"

[[rule]]
id = "guarded-zones"
kind = "geofence"
severity = "moderate"
zones = [{zones}]
subjects = ["unit"]
name_en = "Unit in a guarded zone"
name_ar = "وحدة داخل منطقة محمية"

[[rule]]
id = "port-wait"
kind = "port_wait"
severity = "moderate"
threshold_min = 45
clear_min = 40
name_en = "Port wait above 45 minutes"
name_ar = "الانتظار في منفذ فوق ٤٥ دقيقة"

[[rule]]
id = "stale-producer"
kind = "stale_producer"
severity = "severe"
min_quiet_s = 60
name_en = "A data source went silent"
name_ar = "توقف مصدر بيانات"
"""


def default_rules(zones: Mapping[str, Zone]) -> RuleSet:
    """The default rules; their geofence watches every zone of ``zones`` (none: no geofence rule)."""
    text = DEFAULT_RULES.replace("{zones}", ", ".join(f'"{z}"' for z in sorted(zones)))
    if not zones:
        text = re.sub(r'\[\[rule\]\]\nid = "guarded-zones".*?(?=\[\[rule\]\])', "", text, flags=re.S)
    return parse_rules(text, "defaults", zones)
