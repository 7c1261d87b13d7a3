"""Border ports for planners: history, a 72-hour forecast, and the staff each port needs.

Lives here: the pure forecasting and staffing core; :mod:`.service` and :mod:`.evaluate` around it.
May import: settings, contract, geo, planning, reference, hijri; the store only for types; never pages,
layers or the simulator.
(Except :mod:`.evaluate`, a command that draws its test history from the simulator.)

One module per concept, all pure (no Redis, no Flask) except :mod:`.service`:

- :mod:`.seasons` — the Hijri-calendar windows a forecast must know (Hajj, Ramadan), Umm al-Qura dates;
- :mod:`app.planning` (outside this package, so :mod:`app.reference` can load it) — the operator's editable
  planning file (counters, processing times, targets, roster);
- :mod:`.forecast` — hourly forecasts per port, direction and category, with intervals;
- :mod:`.queueing` — Erlang C (M/M/c): waiting probability, service level, servers needed;
- :mod:`.plan` — the staffing plan per hour against the roster, and the what-if;
- :mod:`.service` — :class:`~.service.PortPlanner`, which reads history through the store and caches;
- :mod:`.evaluate` — the forecaster against seasonal-naive on held-out history (``docs/ports.md``).

Hourly counts travel as numpy arrays shaped ``[hour, direction, kind]``: directions in
:data:`DIRECTIONS` order, kinds in :data:`KINDS` order (the four traveller categories, then vehicles).
Hours are epoch hours (``ts // 3_600_000``); Riyadh is UTC+3 all year (no daylight saving).
"""

from __future__ import annotations

from ..planning import CATEGORIES as CATEGORIES
from ..planning import DIRECTIONS as DIRECTIONS

#: The counted kinds: the traveller categories, then vehicles (land crossings only).
KINDS: tuple[str, ...] = (*CATEGORIES, "vehicles")
VEHICLES = len(CATEGORIES)  # index of vehicles in KINDS

HOUR_MS = 3_600_000
RIYADH_OFFSET_H = 3
HOURS_PER_WEEK = 168


def riyadh_day(hour: int) -> int:
    """The Riyadh calendar day (days since 1970-01-01, local) of an epoch hour."""
    return (hour + RIYADH_OFFSET_H) // 24


def riyadh_hour_of_day(hour: int) -> int:
    """0–23: the Riyadh clock hour of an epoch hour."""
    return (hour + RIYADH_OFFSET_H) % 24


def hour_of_week(hour: int) -> int:
    """0–167: hours since Monday 00:00 Riyadh time (1970-01-01 was a Thursday)."""
    return ((riyadh_day(hour) + 3) % 7) * 24 + riyadh_hour_of_day(hour)
