"""The staffing plan: for each hour, the counters, lanes and officers a port needs, against its roster.

For every hour of a forecast and each direction, passport counters serve the travellers and, at
land crossings, vehicle lanes serve the vehicles. The arrival rate is the forecast; the service
time of the counters is the mean of the categories' processing times weighted by the hour's
expected mix (a pilgrim group takes longer than a citizen with an ID card); Erlang C
(:mod:`.queueing`) gives the fewest open positions that keep ``target_share`` of travellers
waiting ``target_wait_min`` or less. A position that the port does not have cannot be opened —
that is a *capacity* shortfall, which more officers do not fix — and each open position takes
``officers_per_position`` officers, which the roster of the hour's shift covers or not.

A what-if (:class:`WhatIf`: "+30% pilgrims", "two counters closed") changes the inputs, never the
forecast, and the plan is recomputed at once: everything here is a few numpy steps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..planning import Planning, PortPlanning
from . import CATEGORIES, KINDS, VEHICLES, riyadh_hour_of_day
from .forecast import Forecast
from .queueing import servers_needed_many

#: What-if parameters that scale a kind of traffic, and the kind each scales.
SCALES = {"citizens": 0, "residents": 1, "visitors": 2, "pilgrims": 3, "vehicles": VEHICLES}
CLOSURES = ("counters_closed", "lanes_closed")
_PERCENT = re.compile(r"^([+-]?\d+(?:\.\d+)?)%?$")


class WhatIfError(ValueError):
    """A what-if parameter that cannot be read; the message names it."""


@dataclass(frozen=True)
class WhatIf:
    """Changes to try: traffic of each kind scaled (1.3 = +30%), positions closed per direction."""

    scale: tuple[float, ...] = (1.0,) * len(KINDS)
    counters_closed: int = 0
    lanes_closed: int = 0

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> WhatIf:
        """From query parameters such as ``pilgrims=+30%``, ``visitors=-10``, ``counters_closed=2``.

        Percentages are changes (−100 … +1000); closures are whole positions per direction. Other
        parameters are ignored. Raises :class:`WhatIfError`.
        """
        scale = [1.0] * len(KINDS)
        for name, index in SCALES.items():
            raw = (params.get(name) or "").strip()
            if not raw:
                continue
            match = _PERCENT.match(raw)
            if not match or not -100 <= float(match[1]) <= 1000:
                raise WhatIfError(f"{name}: expected a change in percent from -100% to +1000%, such as +30% "
                                  f"(got {raw!r})")
            scale[index] = 1 + float(match[1]) / 100
        closed = {}
        for name in CLOSURES:
            raw = (params.get(name) or "").strip() or "0"
            if not raw.isdigit() or int(raw) > 1000:
                raise WhatIfError(
                    f"{name}: expected a whole number of positions from 0 to 1000 (got {raw!r})"
                )
            closed[name] = int(raw)
        return cls(tuple(scale), **closed)

    @property
    def is_baseline(self) -> bool:
        return self == WhatIf()

    def describe(self) -> dict[str, object]:
        """The changes as query parameters (only those that change something)."""
        out: dict[str, object] = {}
        for name, index in SCALES.items():
            if self.scale[index] != 1.0:
                out[name] = f"{(self.scale[index] - 1) * 100:+g}%"
        for name in CLOSURES:
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out


@dataclass(frozen=True)
class Plan:
    """A port's plan hour by hour. Arrays are ``[hour]`` or ``[hour, direction]``."""

    port: str
    first_hour: int
    travellers: np.ndarray  # expected, [hour, direction]
    lower: np.ndarray
    upper: np.ndarray
    by_category: np.ndarray  # [hour, direction, category]
    vehicles: np.ndarray  # [hour, direction]
    counters_needed: np.ndarray  # [hour, direction], whatever the port has
    counters_open: np.ndarray  # [direction]
    lanes_needed: np.ndarray
    lanes_open: np.ndarray
    staff_needed: np.ndarray  # [hour]: officers for the positions that can be opened
    staff_needed_upper: np.ndarray  # the same at the top of the 80% interval
    staff_rostered: np.ndarray  # [hour]
    shift: np.ndarray  # [hour]: index into Planning.shifts
    whatif: WhatIf = field(default_factory=WhatIf)

    @property
    def hours(self) -> int:
        return len(self.travellers)

    @property
    def staff_short(self) -> np.ndarray:
        """Officers missing from the roster, per hour."""
        return np.maximum(0, self.staff_needed - self.staff_rostered)

    @property
    def capacity_short(self) -> np.ndarray:
        """Positions (counters and lanes) needed beyond those the port can open, per hour."""
        counters = np.maximum(0, self.counters_needed - self.counters_open[None]).sum(axis=1)
        lanes = np.maximum(0, self.lanes_needed - self.lanes_open[None]).sum(axis=1)
        return counters + lanes

    @property
    def pressure(self) -> np.ndarray:
        """Officers needed over officers rostered, per hour (above 1: short)."""
        return self.staff_needed / np.maximum(self.staff_rostered, 1)


def _positions(rates_per_h: np.ndarray, seconds: np.ndarray, planning: PortPlanning) -> np.ndarray:
    per_second = rates_per_h / 3600.0
    target_s = planning.target_wait_min * 60.0
    return servers_needed_many(per_second, np.maximum(seconds, 1e-9), target_s, planning.target_share)


def make_plan(port: PortPlanning, planning: Planning, forecast: Forecast, hours: int,
              whatif: WhatIf | None = None) -> Plan:
    """The plan for the first ``hours`` hours of ``forecast`` under ``whatif`` (pure and fast)."""
    whatif = whatif or WhatIf()
    scale = np.array(whatif.scale)
    mean = forecast.mean[:hours] * scale[None, None, :]
    n_cat = len(CATEGORIES)
    by_category = mean[:, :, :n_cat]
    travellers = by_category.sum(axis=2)
    base = forecast.travellers[:hours]
    ratio = np.divide(travellers, base, out=np.ones_like(travellers), where=base > 0)
    lower, upper = forecast.lower[:hours] * ratio, forecast.upper[:hours] * ratio
    vehicles = mean[:, :, VEHICLES]
    seconds = np.array(port.seconds)
    service = np.divide((by_category * seconds).sum(axis=2), travellers,
                        out=np.full_like(travellers, float(seconds.mean())), where=travellers > 0)
    counters_open = np.maximum(0, np.array(port.counters) - whatif.counters_closed)
    lanes_open = np.maximum(0, np.array(port.lanes) - whatif.lanes_closed)
    has_lanes = np.array(port.lanes) > 0
    vehicle_seconds = np.full_like(vehicles, port.vehicle_seconds)
    counters_needed = _positions(travellers, service, port)
    lanes_needed = np.where(has_lanes[None], _positions(vehicles, vehicle_seconds, port), 0)
    upper_counters = _positions(upper, service, port)
    upper_lanes = np.where(has_lanes[None], _positions(vehicles * np.divide(
        upper, travellers, out=np.ones_like(upper), where=travellers > 0), vehicle_seconds, port), 0)

    def officers(counters: np.ndarray, lanes: np.ndarray) -> np.ndarray:
        positions = np.minimum(counters, counters_open[None]) + np.minimum(lanes, lanes_open[None])
        return np.ceil(positions.sum(axis=1) * port.officers_per_position - 1e-9).astype(np.int64)

    first = forecast.first_hour
    shift = np.array([planning.shift_of(riyadh_hour_of_day(first + h)) for h in range(hours)])
    return Plan(
        port=port.port,
        first_hour=first,
        travellers=travellers,
        lower=lower,
        upper=upper,
        by_category=by_category,
        vehicles=vehicles,
        counters_needed=counters_needed,
        counters_open=counters_open,
        lanes_needed=lanes_needed,
        lanes_open=lanes_open,
        staff_needed=officers(counters_needed, lanes_needed),
        staff_needed_upper=officers(upper_counters, upper_lanes),
        staff_rostered=np.array(port.roster)[shift],
        shift=shift,
        whatif=whatif,
    )


STATUS_ORDER = {"short": 0, "tight": 1, "ok": 2}


@dataclass(frozen=True)
class Summary:
    """The few numbers a leader reads first: the worst hour, and how short the roster runs."""

    pressure: float  # officers needed over rostered at the worst hour
    worst_hour: int
    peak_travellers: int
    peak_hour: int
    staff_needed_max: int
    short_hours: int  # hours short of officers or of positions
    short_officer_hours: int
    capacity_short_hours: int
    status: str  # short | tight | ok

    def severity(self) -> tuple[int, int, int, float]:
        """Sorts worst first: short before tight before ok; then the officer-hours missing, the
        hours short of positions, and the pressure at the worst hour."""
        order = STATUS_ORDER[self.status]
        return (order, -self.short_officer_hours, -self.capacity_short_hours, -self.pressure)


def summarise(plan: Plan) -> Summary:
    """The plan in a few numbers (for the national view)."""
    if not plan.hours:
        return Summary(0.0, plan.first_hour, 0, plan.first_hour, 0, 0, 0, 0, "ok")
    worst = int(np.argmax(plan.pressure))
    total = plan.travellers.sum(axis=1)
    peak = int(np.argmax(total))
    short = plan.staff_short
    capacity = plan.capacity_short
    pressure = float(plan.pressure[worst])
    return Summary(
        pressure=round(pressure, 3),
        worst_hour=plan.first_hour + worst,
        peak_travellers=int(round(float(total[peak]))),
        peak_hour=plan.first_hour + peak,
        staff_needed_max=int(plan.staff_needed.max()),
        short_hours=int(((short > 0) | (capacity > 0)).sum()),
        short_officer_hours=int(short.sum()),
        capacity_short_hours=int((capacity > 0).sum()),
        status=status(pressure, int(capacity.max())),
    )


def status(pressure: float, capacity_short: int) -> str:
    """``short`` (the roster or the port falls short somewhere), ``tight`` (≥ 85% of the roster
    needed at the worst hour) or ``ok``."""
    if pressure > 1.0 or capacity_short > 0:
        return "short"
    return "tight" if pressure >= 0.85 else "ok"
