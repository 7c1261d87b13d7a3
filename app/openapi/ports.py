"""``/api/v1/ports/…``: a port's forecast and staffing plan, its CSV, the national view
(:mod:`app.api_ports`)."""

from __future__ import annotations

from .common import Spec, errors, get, ok, path, query

TAG = "Ports"

#: The what-if parameters every ports route takes (``docs/ports.md``).
WHATIF = [
    *(
        query(
            name,
            {"type": "string", "pattern": r"^[+-]?\d+(\.\d+)?%?$"},
            f"Change the {name} traffic by this many percent (-100% … +1000%), e.g. +30%.",
        )
        for name in ("citizens", "residents", "visitors", "pilgrims", "vehicles")
    ),
    *(
        query(
            name,
            {"type": "integer", "minimum": 0, "maximum": 1000},
            f"{name.replace('_', ' ').capitalize()} per direction (whole positions).",
        )
        for name in ("counters_closed", "lanes_closed")
    ),
]
HOURS = query(
    "hours", {"type": "integer", "minimum": 1, "maximum": 168, "default": 72}, "Hours ahead (1–168)."
)
PORT = path("port_id", {"type": "string"}, "A port's id (`/api/v1/ports/pressure` lists them).")

PATHS: dict[str, Spec] = {
    "/api/v1/ports/{port_id}/forecast": {
        "get": get(
            "A port's next hours",
            "Hourly forecast with its 80% interval, the counters, lanes and officers needed, the roster "
            "and the shortfalls. A port outside the caller's regions: 403.",
            [PORT, HOURS, *WHATIF],
            {
                "200": ok(
                    "The forecast and plan.",
                    {
                        "type": "object",
                        "required": ["port", "hourly"],
                        "properties": {"port": {"type": "object"}, "hourly": {"type": "array"}},
                    },
                ),
                **errors(400, 401, 403, 404, 503),
            },
            TAG,
        )
    },
    "/api/v1/ports/{port_id}/plan.csv": {
        "get": get(
            "A port's staffing plan as CSV",
            "The same plan for Excel: UTF-8 with BOM, Riyadh times, English and Arabic headers.",
            [PORT, HOURS, *WHATIF],
            {"200": ok("The CSV file.", {"type": "string"}, "text/csv"), **errors(400, 401, 403, 404, 503)},
            TAG,
        )
    },
    "/api/v1/ports/pressure": {
        "get": get(
            "Every port of the caller's regions, worst first",
            "Each port's next hours in a few numbers: the national view for leadership.",
            [HOURS, *WHATIF],
            {
                "200": ok(
                    "The ports.",
                    {
                        "type": "object",
                        "required": ["ports"],
                        "properties": {"ports": {"type": "array", "items": {"type": "object"}}},
                    },
                ),
                **errors(400, 401, 503),
            },
            TAG,
        )
    },
}
