"""The headline figures of a scope, computed from plain inputs: one definition for now and for then.

The live store (:class:`app.store.reads.Live`) reads its inputs from Redis hashes; replay
(:mod:`app.archive.replay`) recomputes the same inputs from the archive at a past moment. Both hand
them to these functions, so a replayed KPI strip can only differ from the live one if its inputs do
(docs/events.md gives the definitions).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from typing import Any

from .contract import Direction, IncidentStatus, TravellerCategory, UnitStatus

HOUR_MS = 3_600_000


def percentile(values: list[int], q: float) -> float | None:
    """The ``q``-th percentile of durations in ms, in seconds (inclusive method); ``None`` for none."""
    if not values:
        return None
    if len(values) == 1:
        return values[0] / 1000
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] / 1000


def last_hour(current: float, previous: float, now_ms: int) -> float:
    """Counts of the last 60 minutes from two clock-hour buckets.

    The current hour counts whole; the previous one for the part of it still inside the window
    (events are assumed spread evenly across it).
    """
    elapsed = (now_ms % HOUR_MS) / HOUR_MS
    return current + previous * (1.0 - elapsed)


def calls_last_hour(current: Iterable[Mapping[str, Any]], previous: Iterable[Mapping[str, Any]],
                    now_ms: int) -> dict[str, float]:
    """911 call counters (``total``, ``answered``, ``within_15s`` …) of the last hour, from the
    counter hashes of the current and the previous clock hour (one per region)."""
    totals: dict[str, float] = {}
    weight = 1.0 - (now_ms % HOUR_MS) / HOUR_MS
    for hashes, w in ((current, 1.0), (previous, weight)):
        for counters in hashes:
            for name, value in counters.items():
                totals[name] = totals.get(name, 0.0) + int(value) * w
    return totals


def port_row(port_id: str, port: Any, counts: Mapping[str, int], wait: str | None,
             now_ms: int) -> dict[str, Any]:
    """One port's line of the ports summary: travellers of the last hour by direction and the
    latest queue wait. ``counts``: ``<hour>:<direction>:<category>`` → travellers, for the current
    and previous clock hour; ``wait``: ``"<ts>|<minutes>"`` as stored, or ``None``."""
    hour = now_ms // HOUR_MS
    row: dict[str, Any] = {"id": port_id, "name_en": port.name_en, "name_ar": port.name_ar}
    row.update(kind=port.kind, region=port.region, lat=port.lat, lon=port.lon)
    for d in Direction:
        now_count = sum(counts.get(f"{hour}:{d.value}:{c.value}", 0) for c in TravellerCategory)
        before = sum(counts.get(f"{hour - 1}:{d.value}:{c.value}", 0) for c in TravellerCategory)
        row[f"{d.value}s_1h"] = round(last_hour(now_count, before, now_ms))
    ts, _, minutes = wait.partition("|") if wait else ("", "", "")
    row["wait_min"] = float(minutes) if minutes else None
    row["wait_ts"] = int(ts) if ts else None
    return row


def figures(
    *,
    agencies: Iterable[str],
    pairs: Iterable[tuple[int, str]],
    units: Iterable[Mapping[str, Any]],
    dispatch: list[int],
    response: list[int],
    calls: Mapping[str, float],
    travellers: int,
    travellers_week_ago: int,
    coverage: Any,
) -> dict[str, Any]:
    """The KPIs of a scope. ``pairs``: (priority, status) of each open incident counted; ``units``:
    each unit's properties; ``dispatch``/``response``: ms from opening to dispatch / on scene of the
    incidents that reached that state in the current or previous clock hour; ``calls``: the last
    hour's call counters; ``travellers``: through the scope's ports in the last hour (and the same
    60 minutes a week earlier); ``coverage``: what the figures leave out (phased roll-out)."""
    by_priority = {str(p): 0 for p in range(1, 5)}
    by_status = {s.value: 0 for s in IncidentStatus if s is not IncidentStatus.closed}
    total = 0
    for priority, status in pairs:
        by_priority[str(priority)] += 1
        by_status[status] += 1
        total += 1
    units_by_status = {s.value: 0 for s in UnitStatus}
    units_by_agency = {a: {s.value: 0 for s in UnitStatus} for a in agencies}
    units_total = 0
    for props in units:
        units_by_status[props["status"]] += 1
        units_by_agency[props["agency"]][props["status"]] += 1
        units_total += 1
    answered = calls.get("answered", 0.0)
    return {
        "open_total": total,
        "open_by_priority": by_priority,
        "open_by_status": by_status,
        "units_total": units_total,
        "units_by_status": units_by_status,
        "units_by_agency": units_by_agency,
        "dispatch_p50_s": percentile(dispatch, 50),
        "dispatch_p90_s": percentile(dispatch, 90),
        "response_p50_s": percentile(response, 50),
        "response_p90_s": percentile(response, 90),
        "calls_1h": round(calls.get("total", 0.0)),
        "answered_15s_share": calls.get("within_15s", 0.0) / answered if answered else None,
        "answered_20s_share": calls.get("within_20s", 0.0) / answered if answered else None,
        "abandoned_1h": round(calls.get("abandoned", 0.0)),
        "port_travellers_1h": travellers,
        "port_travellers_1h_week_ago": travellers_week_ago,
        "coverage": coverage,
    }
