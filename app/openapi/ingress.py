"""``/api/v1/eido``, ``/api/v1/cap``: the field's standards taken in — NENA EIDO and CAP 1.2 documents
posted by producer systems (:mod:`app.api_ingress`; docs/standards.md)."""

from __future__ import annotations

from .common import JSON, Spec, errors

TAG = "Standards in"

_WHY = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["component", "reason"],
        "properties": {"component": {"type": "string"}, "reason": {"type": "string"}},
    },
}
EIDO_TAKEN = {
    "type": "object",
    "required": ["incident", "written", "refused", "skipped", "waiting"],
    "properties": {
        "incident": {"type": "string", "description": "The incident's id in Basira."},
        "written": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["component", "stream", "entry"],
                "properties": {
                    "component": {"type": "string"},
                    "stream": {"type": "string", "enum": ["incidents", "units", "calls"]},
                    "id": {"type": "string", "nullable": True},
                    "entry": {"type": "string", "description": "The stream entry's id."},
                },
            },
        },
        "refused": {"type": "array", "items": {"type": "object"}},
        "skipped": _WHY,
        "waiting": _WHY,
        "error": {"type": "string"},
    },
}
CAP_TAKEN = {
    "type": "object",
    "required": ["ref", "msgType", "status"],
    "properties": {
        "ref": {"type": "string", "description": "The alert's sender,identifier."},
        "msgType": {"type": "string"},
        "status": {"type": "string"},
        "stored": {"type": "boolean"},
        "expires": {"type": "integer"},
        "regions": {"type": "array", "items": {"type": "string"}},
        "severity": {"type": "string"},
        "areas": {"type": "integer"},
        "cancelled": {"type": "array", "items": {"type": "string"}},
        "reason": {"type": "string", "nullable": True},
    },
}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}


def _answer(description: str, schema: Spec) -> Spec:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _limits() -> dict[str, Spec]:
    """What every ingress route may answer besides its own: 413 and 429 (Retry-After)."""
    return {
        "413": _answer("The document is larger than BASIRA_INGRESS_MAX_BYTES.", ERROR),
        "429": {
            "description": "More than BASIRA_INGRESS_PER_MINUTE messages a minute from this producer.",
            "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
            "content": {JSON: {"schema": ERROR}},
        },
    }


PATHS: dict[str, Spec] = {
    "/api/v1/eido": {
        "post": {
            "summary": "One NENA EIDO (NENA-STA-021.1, JSON) → incidents, calls and units",
            "description": "The EIDO's incident, calls and emergency resources become stream entries (the "
            "incident's id: its Incident Tracking Identifier, so a later EIDO updates it); the ingest "
            "worker applies them. Needs a producer token (in its scope) or an admin.",
            "tags": [TAG],
            "requestBody": {
                "required": True,
                "content": {JSON: {"schema": {"type": "object"}},
                            "application/emergency.eido+json": {"schema": {"type": "object"}}},
            },
            "responses": {
                "202": _answer("Taken: the entries written, and what was refused, skipped or left waiting.",
                               EIDO_TAKEN),
                "400": _answer("Not an EIDO (the sentence says why); recorded in <prefix>:rejected.", ERROR),
                "403": _answer("Not a producer or admin; or every entry lies outside the token's scope.",
                               {**EIDO_TAKEN, "required": []}),
                "422": _answer("An EIDO none of whose components could be taken (every reason given).",
                               {**EIDO_TAKEN, "required": []}),
                **errors(401, 503),
                **_limits(),
            },
        }
    },
    "/api/v1/cap": {
        "post": {
            "summary": "One CAP 1.2 alert (XML) → an official alert on the map until it expires",
            "description": "Parsed with DTDs forbidden (billion laughs, external entities refused), "
            "validated against OASIS's CAP 1.2 schema; its areas (polygons, circles) drawn by severity "
            "in the Official alerts layer until `expires`. Update replaces, Cancel removes. Needs a "
            "producer token whose scope covers every region the areas touch, or an admin.",
            "tags": [TAG],
            "requestBody": {
                "required": True,
                "content": {"application/cap+xml": {"schema": {"type": "string"}},
                            "application/xml": {"schema": {"type": "string"}}},
            },
            "responses": {
                "202": _answer("Taken: stored (or why not: a test message, an alert already expired…).",
                               CAP_TAKEN),
                "400": _answer("Not CAP 1.2: hostile, malformed or not valid against the schema (its words).",
                               ERROR),
                "403": _answer("Not a producer or admin; or the areas touch a region beyond the token's "
                               "scope.", {"type": "object", "required": ["error"]}),
                **errors(401, 503),
                **_limits(),
            },
        }
    },
    "/api/v1/eido/ws": {
        method: {
            "summary": "Not a WebSocket: how STA-024's conveyance reaches Basira",
            "description": "NENA STA-024 puts the WebSocket server at the notifier (the CAD): Basira "
            "subscribes to it (BASIRA_EIDO_NOTIFIER_URL, python -m app eido-subscribe). Always 404, "
            "saying so.",
            "tags": [TAG],
            "responses": {"404": _answer("No WebSocket here, and what to do instead.", ERROR),
                          **errors(401, 403)},
        }
        for method in ("get", "post")
    },
}
