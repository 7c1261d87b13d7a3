"""The ports API for planners: the forecast and staffing plan of a port, its CSV, the national view.

Routes (all ``GET``; what-if parameters such as ``pilgrims=+30%``, ``counters_closed=2`` are
optional on each — see ``docs/ports.md``):

* ``/api/v1/ports/<id>/forecast?hours=72`` — hourly predictions with their 80% interval, the
  counters, lanes and officers needed, the roster and the shortfalls;
* ``/api/v1/ports/<id>/plan.csv?hours=72`` — the same plan as a CSV for Excel;
* ``/api/v1/ports/pressure?hours=72`` — every port's next hours in a few numbers, worst first.

Unknown port: 404; a port outside the caller's regions: 403 (``pressure`` lists only theirs);
``hours`` outside 1–168 or a malformed what-if: 400; the store down: 503 (the app's handlers in
:mod:`app.api`). Bodies are orjson, like the rest of the API.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, current_app, request

from .api import _json
from .auth import require, scope_for
from .ports.export import hour_rows, iso, plan_csv, summary_dict
from .ports.plan import WhatIf, WhatIfError, summarise
from .ports.service import MAX_HOURS, PortPlanner, planner
from .services import services

ports_api = Blueprint("ports_api", __name__)
#: Build the planner (and so validate the planning file) when the app is made, not on first request.
ports_api.record_once(lambda state: planner(state.app))

MODEL = "level × week profile × Hijri season × recent anomaly"


class BadQuery(ValueError):
    """A query parameter that cannot be used; the message is for the caller."""


def _hours() -> int:
    raw = request.args.get("hours", "72").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_HOURS:
        raise BadQuery(f"hours must be a whole number from 1 to {MAX_HOURS} (got {raw!r})")
    return int(raw)


def _inputs() -> tuple[PortPlanner, int, WhatIf]:
    """The planner, the hours and the what-if of this request; raises :class:`BadQuery`."""
    plans = planner(current_app._get_current_object())  # type: ignore[attr-defined]
    hours = _hours()
    try:
        whatif = WhatIf.parse(request.args)
    except WhatIfError as error:
        raise BadQuery(str(error)) from None
    return plans, hours, whatif


def _unknown(port_id: str) -> Response:
    return _json({"error": f"unknown port {port_id!r}: see /api/v1/ports/pressure for the port ids"}, 404)


def _port(port_id: str) -> dict[str, Any]:
    p = services().store.ports[port_id]
    return {"id": p.id, "name_en": p.name_en, "name_ar": p.name_ar, "kind": p.kind, "region": p.region}


@ports_api.get("/api/v1/ports/<port_id>/forecast")
def port_forecast(port_id: str) -> Response:
    """A port's next hours: forecast with interval, positions and officers needed, roster, shortfalls."""
    if port_id not in services().store.ports:
        return _unknown(port_id)
    require(services().store.ports[port_id].region)  # 403 beyond the caller's regions
    try:
        plans, hours, whatif = _inputs()
    except BadQuery as error:
        return _json({"error": str(error)}, 400)
    plan = plans.plan(port_id, hours, whatif)
    made = plans.forecast(port_id)
    setup = plans.planning.ports[port_id]
    return _json(
        {
            "port": _port(port_id),
            "demo": services().store.meta.is_demo(),
            "generated_at": int(time.time() * 1000),
            "first_hour": iso(plan.first_hour),
            "hours": hours,
            "timezone": "Asia/Riyadh",
            "model": {
                "name": MODEL,
                "interval": 0.8,
                "history_hours": made.history_hours,
                "seasonal_days": made.seasonal_days,
            },
            "planning": {
                "counters": dict(zip(("arrival", "departure"), map(int, plan.counters_open), strict=True)),
                "lanes": dict(zip(("arrival", "departure"), map(int, plan.lanes_open), strict=True)),
                "target": {"share": setup.target_share, "wait_min": setup.target_wait_min},
                "officers_per_position": setup.officers_per_position,
                "shifts": [{"shift": s.label, "rostered": r}
                           for s, r in zip(plans.planning.shifts, setup.roster, strict=True)],
            },
            "whatif": whatif.describe(),
            "summary": summary_dict(summarise(plan)),
            "hourly": hour_rows(plan, plans.planning),
        }
    )


@ports_api.get("/api/v1/ports/<port_id>/plan.csv")
def port_plan_csv(port_id: str) -> Response:
    """The staffing plan as CSV (UTF-8 with BOM, Riyadh times, English and Arabic headers)."""
    if port_id not in services().store.ports:
        return _unknown(port_id)
    require(services().store.ports[port_id].region)  # 403 beyond the caller's regions
    try:
        plans, hours, whatif = _inputs()
    except BadQuery as error:
        return _json({"error": str(error)}, 400)
    plan = plans.plan(port_id, hours, whatif)
    start = iso(plan.first_hour)[:13].replace("T", "-")
    name = f"basira-plan-{port_id}-{start}h-{hours}h.csv"
    return Response(
        plan_csv(plan, plans.planning, services().store.ports[port_id]),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@ports_api.get("/api/v1/ports/pressure")
def ports_pressure() -> Response:
    """Every port's next hours in a few numbers, worst first: the national view for leadership."""
    try:
        plans, hours, whatif = _inputs()
    except BadQuery as error:
        return _json({"error": str(error)}, 400)
    scope = scope_for()
    mine = [p.id for p in services().store.ports.values() if scope.covers(p.region)]
    ports = []
    for port_id, summary in plans.pressure(hours, whatif, mine):  # only the caller's ports are computed
        row = _port(port_id)
        row.update(summary_dict(summary))
        ports.append(row)
    return _json(
        {
            "generated_at": int(time.time() * 1000),
            "first_hour": iso(plans.now_hour()),
            "hours": hours,
            "whatif": whatif.describe(),
            "demo": services().store.meta.is_demo(),
            "ports": ports,
        }
    )

