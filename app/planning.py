"""The planning file: what each port has and how it works, as the operator writes it down.

``assets/data/ksa_port_planning.csv`` (``BASIRA_PORTS_PLANNING_FILE``) has one row per port of the
ports table, and these columns (``docs/ports.md`` explains each):

``port, counters_arrival, counters_departure, lanes_arrival, lanes_departure, sec_citizen,
sec_resident, sec_visitor, sec_pilgrim, sec_vehicle, officers_per_position, target_share,
target_wait_min, staff_HH_HH…``

The ``staff_HH_HH`` columns are the shifts (Riyadh time): ``staff_00_08, staff_08_16, staff_16_24``
by default; any set of columns that covers the day once, in order, is accepted. The file is read once
when the app starts and validated whole: a mistake stops the start with the line and the column,
rather than planning on a wrong number.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from .contract import Direction, TravellerCategory

#: The contract's directions and traveller categories, in order (re-exported by ``app.ports``).
DIRECTIONS: tuple[str, ...] = tuple(d.value for d in Direction)
CATEGORIES: tuple[str, ...] = tuple(c.value for c in TravellerCategory)

SHIFT_COLUMN = re.compile(r"^staff_(\d\d)_(\d\d)$")


class PlanningError(ValueError):
    """The planning file is unreadable or inconsistent; the message says where."""


@dataclass(frozen=True)
class Shift:
    """Riyadh clock hours ``start`` ≤ h < ``end``."""

    start: int
    end: int

    @property
    def label(self) -> str:
        return f"{self.start:02d}–{self.end:02d}"


@dataclass(frozen=True)
class PortPlanning:
    """One port's planning attributes. Per-direction tuples are in :data:`DIRECTIONS` order."""

    port: str
    counters: tuple[int, int]
    lanes: tuple[int, int]
    seconds: tuple[float, ...]  # per traveller category, in CATEGORIES order
    vehicle_seconds: float
    officers_per_position: float
    target_share: float
    target_wait_min: float
    roster: tuple[int, ...]  # officers on duty per shift


@dataclass(frozen=True)
class Planning:
    shifts: tuple[Shift, ...]
    ports: dict[str, PortPlanning]

    def shift_of(self, riyadh_hour: int) -> int:
        """The index of the shift covering a Riyadh clock hour (0–23)."""
        for i, shift in enumerate(self.shifts):
            if shift.start <= riyadh_hour < shift.end:
                return i
        raise ValueError(f"no shift covers hour {riyadh_hour}")


def _shifts(header: list[str]) -> tuple[Shift, ...]:
    shifts = []
    for name in header:
        match = SHIFT_COLUMN.match(name)
        if match:
            shifts.append(Shift(int(match[1]), int(match[2])))
    if not shifts:
        raise PlanningError("no shift columns: expected staff_HH_HH columns such as staff_00_08")
    hour = 0
    for shift in shifts:
        if shift.start != hour or shift.end <= shift.start:
            raise PlanningError(
                f"shift columns must cover 00–24 once, in order; staff_{shift.start:02d}_{shift.end:02d} "
                f"should start at {hour:02d}"
            )
        hour = shift.end
    if hour != 24:
        raise PlanningError(f"shift columns end at {hour:02d}, not 24")
    return tuple(shifts)


def _number(row: dict[str, str], column: str, kind: type, low: float, high: float, where: str) -> float:
    raw = (row.get(column) or "").strip()
    try:
        value = kind(raw)
    except ValueError:
        raise PlanningError(f"{where}, {column}: expected a number, got {raw!r}") from None
    if not low <= value <= high:
        raise PlanningError(f"{where}, {column}: {value} is outside {low:g}–{high:g}")
    return value


def _row(row: dict[str, str], shifts: tuple[Shift, ...], where: str) -> PortPlanning:
    def number(column: str, kind: type = float, low: float = 0, high: float = 10_000) -> float:
        return _number(row, column, kind, low, high, where)

    counters = tuple(int(number(f"counters_{d}", int, 0, 1000)) for d in DIRECTIONS)
    lanes = tuple(int(number(f"lanes_{d}", int, 0, 1000)) for d in DIRECTIONS)
    return PortPlanning(
        port=row["port"].strip(),
        counters=counters,  # type: ignore[arg-type]
        lanes=lanes,  # type: ignore[arg-type]
        seconds=tuple(number(f"sec_{c}", float, 1, 3600) for c in CATEGORIES),
        vehicle_seconds=number("sec_vehicle", float, 1, 3600),
        officers_per_position=number("officers_per_position", float, 0.1, 10),
        target_share=number("target_share", float, 0.5, 0.999),
        target_wait_min=number("target_wait_min", float, 1, 600),
        roster=tuple(int(number(f"staff_{s.start:02d}_{s.end:02d}", int, 0, 100_000)) for s in shifts),
    )


def load_planning(path: Path, port_ids: set[str] | frozenset[str]) -> Planning:
    """Read and check the planning file: every port of the ports table exactly once, sane numbers.

    Raises :class:`PlanningError` naming the file, the line and the column of the first problem.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in reader.fieldnames or []]
            reader.fieldnames = header
            shifts = _shifts(header)
            ports: dict[str, PortPlanning] = {}
            for line, row in enumerate(reader, start=2):
                where = f"{path.name} line {line}"
                port = (row.get("port") or "").strip()
                if not port:
                    raise PlanningError(f"{where}: the port column is empty")
                if port not in port_ids:
                    raise PlanningError(f"{where}: unknown port {port!r} (not in the ports table)")
                if port in ports:
                    raise PlanningError(f"{where}: port {port!r} appears twice")
                ports[port] = _row(row, shifts, where)
    except OSError as error:
        raise PlanningError(f"cannot read the planning file {path}: {error}") from None
    missing = sorted(set(port_ids) - set(ports))
    if missing:
        raise PlanningError(f"{path.name}: no planning row for {', '.join(missing)}")
    return Planning(shifts, ports)
