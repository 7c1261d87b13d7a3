"""What an alert is: its record, its severities and kinds, and its text in both languages.

The store keeps a record as text fields (``app/store/alerts.py``); :class:`Alert` reads and writes that
shape and gives the API's JSON (fixed names: ``id``, ``rule``, ``kind``, ``severity``, ``region``,
``raised_at``, ``resolved_at``, ``acknowledged_by``, and the ids it concerns). Severities are CAP 1.2's
own (``Extreme``, ``Severe``, ``Moderate``, ``Minor``), lower-cased, so a CAP document says exactly
what the page says. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import orjson

#: Most severe first; a page sorts by this order, the wall shows ``SEVERE_OR_MORE`` full width.
SEVERITIES: tuple[str, ...] = ("extreme", "severe", "moderate", "minor")
SEVERE_OR_MORE = frozenset({"extreme", "severe"})
KINDS: tuple[str, ...] = ("unassigned", "response_breach", "spike", "geofence", "port_wait", "stale_producer")
#: What an alert can concern, each an id (or empty).
SUBJECTS: tuple[str, ...] = ("incident", "unit", "zone", "port", "stream")


def severity_rank(severity: str) -> int:
    """0 for the most severe; unknown severities last."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.lstrip("-").isdigit() else None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Alert:
    """One alert. Times are epoch ms; ``region``/``agency`` empty for the nation; ``facts`` are the
    figures its text is made of (the count and its normal, the wait, the zone's name…)."""

    id: str
    rule: str
    kind: str
    severity: str
    condition: str
    raised_at: int
    region: str = ""
    agency: str = ""
    incident: str = ""
    unit: str = ""
    zone: str = ""
    port: str = ""
    stream: str = ""
    lon: float | None = None
    lat: float | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    acknowledged_by: str = ""
    acknowledged_at: int | None = None
    acknowledge_note: str = ""
    assigned_to: str = ""
    assigned_by: str = ""
    assigned_at: int | None = None
    assign_note: str = ""
    resolved_at: int | None = None
    resolved_by: str = ""
    resolve_note: str = ""
    escalated_at: int | None = None

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    @property
    def severe(self) -> bool:
        return self.severity in SEVERE_OR_MORE

    def fields(self) -> dict[str, str]:
        """The record as the store keeps it: text fields, the empty and unset ones left out."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == "" or (f.name == "facts" and not value):
                continue
            out[f.name] = orjson.dumps(value).decode() if f.name == "facts" else str(value)
        return out

    @classmethod
    def from_record(cls, record: Mapping[str, str]) -> Alert:
        """Read a stored record (text fields; what is missing takes its default)."""
        ints = {"raised_at", "acknowledged_at", "assigned_at", "resolved_at", "escalated_at"}
        values: dict[str, Any] = {}
        for f in fields(cls):
            text = record.get(f.name)
            if text is None:
                continue
            if f.name in ints:
                values[f.name] = _int(text)
            elif f.name in ("lon", "lat"):
                values[f.name] = _float(text)
            elif f.name == "facts":
                try:
                    values[f.name] = orjson.loads(text) or {}
                except orjson.JSONDecodeError:
                    values[f.name] = {}
            else:
                values[f.name] = text
        values.setdefault("raised_at", 0)
        for name in ("id", "rule", "kind", "severity", "condition"):
            values.setdefault(name, "")
        return cls(**values)

    def json(self) -> dict[str, Any]:
        """The API's shape (``GET /api/v1/alerts``): every field, ``None`` for the unset ones, the ids
        it concerns under ``concerns`` as well as at the top level."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = None if value == "" else value
        out["state"] = "open" if self.open else "resolved"
        out["concerns"] = {name: getattr(self, name) for name in SUBJECTS if getattr(self, name)}
        return out


def ordered(alerts: list[Alert]) -> list[Alert]:
    """Open before resolved, escalated first, then most severe, then newest: how every list shows them."""
    return sorted(alerts, key=lambda a: (not a.open, a.escalated_at is None, severity_rank(a.severity),
                                         -a.raised_at))
