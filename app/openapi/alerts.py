"""``/api/v1/alerts…``: alerts as JSON, acting on them, their rules and silences (:mod:`app.api_alerts`),
and the same alerts in CAP 1.2 and Atom (:mod:`app.api_cap`)."""

from __future__ import annotations

from .common import AGENCY, REGION, Spec, errors, get, ok, path, query

TAG = "Alerts"

ALERT_NUMBER = path("n", {"type": "integer", "minimum": 0}, "The alert's number (AL-<n>).")
ALERT = {
    "type": "object",
    "required": ["id", "rule", "kind", "severity", "state"],
    "properties": {
        "id": {"type": "string"},
        "rule": {"type": "string"},
        "kind": {"type": "string"},
        "severity": {"type": "string"},
        "state": {"type": "string", "enum": ["open", "resolved"]},
        "region": {"type": "string", "nullable": True},
        "raised_at": {"type": "integer"},
    },
}
NOTE = {
    "type": "object",
    "properties": {"note": {"type": "string"}, "to": {"type": "string"}, "by": {"type": "string"}},
}
SILENCE = {
    "type": "object",
    "properties": {
        "minutes": {"type": "integer", "minimum": 1, "maximum": 10080},
        "reason": {"type": "string"},
        "by": {"type": "string"},
    },
}

ENDED = {
    "type": "object",
    "required": ["rule", "ended"],
    "properties": {"rule": {"type": "string"}, "ended": {"type": "boolean"}},
}


def _body(schema: Spec, description: str) -> Spec:
    """A JSON or form body (both are read the same)."""
    return {
        "required": False,
        "description": description,
        "content": {
            "application/json": {"schema": schema},
            "application/x-www-form-urlencoded": {"schema": schema},
        },
    }


def _rule() -> Spec:
    return path("rule", {"type": "string"}, "The rule's name (`/api/v1/alerts/rules` lists them).")


PATHS: dict[str, Spec] = {
    "/api/v1/alerts": {
        "get": get(
            "The alerts of the caller's scope, most pressing first",
            "Open ones (or the newest of all), escalated first, then most severe, then newest.",
            [
                query(
                    "state", {"type": "string", "enum": ["open", "all"], "default": "open"}, "Which alerts."
                ),
                REGION,
                AGENCY,
                query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 2000, "default": 500},
                    "At most this many.",
                ),
            ],
            {"200": ok("The alerts.", {"type": "array", "items": ALERT}), **errors(400, 401, 403, 503)},
            TAG,
        )
    },
    "/api/v1/alerts/version": {
        "get": get(
            "A number that moves with every change of any alert",
            "Pages poll it and redraw their lists only when it moves. With `known` (the number the page "
            "last heard) and a number that moved, `fresh` holds the newest open alerts of the page's scope "
            "raised in the last minute, in both languages, so the page shows them before its redraw. "
            "With the store unreachable: `version` null and `down` true.",
            [
                query("known", {"type": "integer"}, "The version the page last heard."),
                REGION,
                AGENCY,
            ],
            {
                "200": ok(
                    "The version.",
                    {
                        "type": "object",
                        "required": ["version"],
                        "properties": {
                            "version": {"type": "integer", "nullable": True},
                            "down": {"type": "boolean"},
                            "fresh": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["id", "severity", "headline", "text"],
                                    "properties": {
                                        "id": {"type": "string"},
                                        "severity": {"type": "string"},
                                        "raised_at": {"type": "integer"},
                                        "severity_word": {"type": "object"},
                                        "headline": {"type": "object"},
                                        "text": {"type": "object"},
                                    },
                                },
                            },
                        },
                    },
                ),
                **errors(401, 503),
            },
            TAG,
        )
    },
    "/api/v1/alerts/AL-{n}": {
        "get": get(
            "One alert, with its headline and text in Arabic and English",
            "",
            [ALERT_NUMBER],
            {"200": ok("The alert.", ALERT), **errors(401, 404, 503)},
            TAG,
        )
    },
    "/api/v1/alerts/AL-{n}/{action}": {
        "post": {
            "summary": "Act on an alert: acknowledge, assign or resolve",
            "description": "Recorded on the alert, on the alerts stream and in the audit trail. "
            "`assign` needs `to`. A display account may not act (403).",
            "tags": [TAG],
            "parameters": [
                ALERT_NUMBER,
                path(
                    "action", {"type": "string", "enum": ["acknowledge", "assign", "resolve"]}, "What to do."
                ),
            ],
            "requestBody": _body(
                NOTE, "A note; for assign, `to`; with access control off, `by` names the actor."
            ),
            "responses": {
                "200": ok("The alert after the action.", ALERT),
                **errors(400, 401, 403, 404, 405, 409, 413, 503),
            },
        }
    },
    "/api/v1/alerts/rules": {
        "get": get(
            "The rules the alerts worker evaluates, and their silences",
            "",
            [],
            {
                "200": ok(
                    "Rules, silences and the worker's state.",
                    {
                        "type": "object",
                        "required": ["rules", "silences"],
                        "properties": {
                            "rules": {"type": "array"},
                            "silences": {"type": "object"},
                            "worker": {"type": "object"},
                        },
                    },
                ),
                **errors(401, 503),
            },
            TAG,
        )
    },
    "/api/v1/alerts/rules/{rule}/silence": {
        "post": {
            "summary": "Silence a rule for a while (leadership, admin)",
            "tags": [TAG],
            "description": "The rule raises nothing until then; the reason is recorded.",
            "parameters": [_rule()],
            "requestBody": _body(SILENCE, "`minutes` (1–10080) and a `reason`."),
            "responses": {
                "200": ok(
                    "The silence.",
                    {
                        "type": "object",
                        "required": ["rule", "until"],
                        "properties": {
                            "rule": {"type": "string"},
                            "until": {"type": "integer"},
                            "reason": {"type": "string"},
                        },
                    },
                ),
                **errors(400, 401, 403, 405, 413, 503),
            },
        },
        "delete": {
            "summary": "End a rule's silence (leadership, admin)",
            "tags": [TAG],
            "description": "",
            "parameters": [_rule()],
            "responses": {
                "200": ok("Ended.", ENDED),
                "404": ok("The rule was not silenced: nothing ended (`ended: false`).", ENDED),
                **errors(401, 403, 405, 503),
            },
        },
    },
    "/api/v1/alerts/AL-{n}.cap": {
        "get": get(
            "One alert's current CAP 1.2 message",
            "",
            [ALERT_NUMBER],
            {
                "200": ok("The CAP message.", {"type": "string"}, "application/common-alerting-protocol+xml"),
                **errors(401, 404, 503),
            },
            TAG,
        )
    },
    "/api/v1/alerts.atom": {
        "get": get(
            "The open alerts of the caller's scope as an Atom feed of CAP messages",
            "",
            [REGION, AGENCY],
            {
                "200": ok("The feed.", {"type": "string"}, "application/atom+xml"),
                **errors(400, 401, 403, 503),
            },
            TAG,
        )
    },
}
