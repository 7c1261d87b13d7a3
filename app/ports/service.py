"""The port planner a web process holds: history from the store, forecasts cached by the hour.

A forecast depends only on complete hours of history, so it is computed once per port per clock
hour (for a week ahead; shorter requests take its first hours) and kept until the hour turns.
Plans and what-ifs are recomputed from the cached forecast on every request — they are pure and
take milliseconds. The dashboard and the API share one planner per app (``planner(app)``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ..planning import Planning
from . import HOUR_MS
from .forecast import Forecast, forecast, history_needed
from .plan import Plan, Summary, WhatIf, make_plan, summarise

if TYPE_CHECKING:
    from flask import Flask

    from ..settings import Settings
    from ..store import Store

EXTENSION = "basira.ports"
#: Every forecast is made this far ahead; a request may ask for up to as much.
MAX_HOURS = 168


class UnknownPort(KeyError):
    """No port with that id in the ports table."""


class PortPlanner:
    """Forecasts and staffing plans for every port of one store."""

    def __init__(self, store: Store, planning: Planning, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.planning = planning
        self.clock = clock
        self._cache: dict[str, tuple[int, Forecast]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> PortPlanner:
        """A planner with the planning table of the store's reference data (``store.reference``: for a store
        of :meth:`Store.from_settings`, ``settings.ports_planning_file``, checked against its ports;
        raises ``PlanningError`` if it is bad). Taken from the store rather than through
        ``Reference.from_settings``: :mod:`app.reference` imports this package's planning table, so
        importing it here would tie ``app.ports`` and ``app.reference`` in a cycle."""
        return cls(store, store.reference.planning)

    def now_hour(self) -> int:
        return int(self.clock() * 1000) // HOUR_MS

    def forecast(self, port_id: str) -> Forecast:
        """The week-ahead forecast from the current clock hour (cached until the hour turns)."""
        if port_id not in self.store.ports:
            raise UnknownPort(port_id)
        hour = self.now_hour()
        with self._lock:
            cached = self._cache.get(port_id)
        if cached and cached[0] == hour:
            return cached[1]
        span = history_needed(hour, MAX_HOURS)
        history = self.store.port_history.port_hours(port_id, hour - span, span, now_ms=hour * HOUR_MS)
        made = forecast(history, hour - span, MAX_HOURS)
        with self._lock:
            self._cache[port_id] = (hour, made)
        return made

    def plan(self, port_id: str, hours: int, whatif: WhatIf | None = None) -> Plan:
        """The staffing plan for the next ``hours`` hours (1 … :data:`MAX_HOURS`) under ``whatif``."""
        if not 1 <= hours <= MAX_HOURS:
            raise ValueError(f"hours must be 1 to {MAX_HOURS}")
        made = self.forecast(port_id)
        return make_plan(self.planning.ports[port_id], self.planning, made, hours, whatif)

    def pressure(
        self, hours: int, whatif: WhatIf | None = None, port_ids: Iterable[str] | None = None
    ) -> list[tuple[str, Summary]]:
        """The summary of every port (or of ``port_ids``) for the next ``hours`` hours, worst first."""
        wanted = self.store.ports if port_ids is None else port_ids
        rows = [(port_id, summarise(self.plan(port_id, hours, whatif))) for port_id in wanted]
        rows.sort(key=lambda row: (*row[1].severity(), row[0]))
        return rows


def planner(app: Flask) -> PortPlanner:
    """The app's planner, made on first use from its settings and store."""
    from ..services import EXTENSION as SERVICES

    found = app.extensions.get(EXTENSION)
    if found is None:
        services = app.extensions[SERVICES]
        made = PortPlanner.from_settings(services.settings, services.store)
        found = app.extensions.setdefault(EXTENSION, made)
    return found
