"""``/api/v1/whoami`` and ``/api/v1/audit``: who the caller is, and the audit trail (:mod:`app.auth.web`)."""

from __future__ import annotations

from .common import Spec, errors, get, ok, query

TAG = "Access"

PATHS: dict[str, Spec] = {
    "/api/v1/whoami": {
        "get": get(
            "Who the API takes the caller to be",
            "The access control mode, the principal (name, role, regions, agencies, how identified) and the "
            "regions and agencies it may read.",
            [],
            {
                "200": ok(
                    "The caller.",
                    {
                        "type": "object",
                        "required": ["mode", "scope"],
                        "properties": {
                            "mode": {"type": "string"},
                            "name": {"type": "string"},
                            "role": {"type": "string"},
                            "scope": {"type": "object"},
                        },
                    },
                ),
                **errors(401),
            },
            TAG,
        )
    },
    "/api/v1/audit": {
        "get": get(
            "The newest audit events (admins only)",
            "Sign-ins, refusals, changes of view, alert actions: newest first.",
            [
                query(
                    "count",
                    {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                    "How many (1–1000).",
                )
            ],
            {
                "200": ok(
                    "The events.",
                    {
                        "type": "object",
                        "required": ["events"],
                        "properties": {"events": {"type": "array", "items": {"type": "object"}}},
                    },
                ),
                **errors(400, 401, 403),
            },
            TAG,
        )
    },
}
