"""``/api/v1/incidents/{id}/nearest``: an incident's nearest available units (:mod:`app.api_nearest`)."""

from __future__ import annotations

from .common import Spec, errors, get, ok, path, query

TAG = "Live picture"

PATHS: dict[str, Spec] = {
    "/api/v1/incidents/{incident_id}/nearest": {
        "get": get(
            "An incident's nearest available units, fastest first",
            "Units of the incident's agency in the caller's scope, ranked by estimated time of arrival "
            "(docs/nearest.md). A closed incident: an empty list and `closed: true`.",
            [
                path("incident_id", {"type": "string"}, "The incident's id."),
                query(
                    "n",
                    {"type": "integer", "minimum": 1, "maximum": 20, "default": 3},
                    "How many units (1–20).",
                ),
            ],
            {
                "200": ok(
                    "The ranking.",
                    {
                        "type": "object",
                        "required": ["units"],
                        "properties": {"units": {"type": "array", "items": {"type": "object"}}},
                    },
                ),
                **errors(400, 401, 404, 503),
            },
            TAG,
        )
    },
}
