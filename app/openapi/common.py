"""The building blocks every route family's part of the OpenAPI document is made of.

Shared so the families say each parameter and error the same way: ``region``/``agency`` as the scope
asks for them (:func:`app.auth.scope_for`), the JSON error ``{"error": …}`` of 400/401/403/404/503, the
bearer token. Pure data: no Flask.
"""

from __future__ import annotations

from typing import Any

JSON = "application/json"
Spec = dict[str, Any]


def ref(kind: str, name: str) -> dict[str, str]:
    """``{"$ref": "#/components/<kind>/<name>"}``."""
    return {"$ref": f"#/components/{kind}/{name}"}


def query(name: str, schema: Spec, description: str, *, required: bool = False) -> Spec:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def path(name: str, schema: Spec, description: str) -> Spec:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def ok(
    description: str, schema: Spec | None = None, media: str = JSON, more: dict[str, Spec] | None = None
) -> Spec:
    """A 200 answer of ``media`` (``schema`` defaults to any object), and ``more`` media types → schemas."""
    content = {media: {"schema": schema or {"type": "object"}}}
    content.update({name: {"schema": s} for name, s in (more or {}).items()})
    return {"description": description, "content": content}


def errors(*codes: int) -> dict[str, Spec]:
    """The shared answers for ``codes`` (each ``{"error": …}`` JSON)."""
    return {str(code): ref("responses", str(code)) for code in codes}


def get(summary: str, description: str, parameters: list[Spec], responses: dict[str, Spec], tag: str) -> Spec:
    return {
        "summary": summary,
        "description": description,
        "tags": [tag],
        "parameters": parameters,
        "responses": responses,
    }


REGION = ref("parameters", "region")
AGENCY = ref("parameters", "agency")


def components(regions: list[str], agencies: list[str]) -> Spec:
    """The shared parameters, answers, schemas and the security scheme."""
    error = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
        "description": "What went wrong, in a sentence.",
    }
    answers = {
        "400": "A parameter that cannot be used (the sentence says which and why).",
        "401": "No (valid) credentials while access control is on: send Authorization: Bearer <token>.",
        "403": "Beyond the caller's scope or role.",
        "404": "Unknown, or outside the caller's scope (the same answer: an id beyond it reveals nothing).",
        "409": "Already done (an alert already acknowledged or resolved).",
        "405": "No route takes this method at this path (an id that is not of its form, such as AL-x).",
        "413": "The request's body is too large.",
        "503": "The live store is unavailable; try again shortly.",
    }
    return {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token (python -m app token add NAME --role …; docs/access.md). "
                "Needed when access control is on; a token reads its own scope.",
            },
        },
        "parameters": {
            "region": query(
                "region",
                {"type": "string", "enum": regions},
                "One region (ISO 3166-2:SA, or `outside`); absent: all of the caller's. Beyond "
                "the caller's scope: 403.",
            ),
            "agency": query(
                "agency",
                {"type": "string", "enum": agencies},
                "One agency; absent: all of the caller's. Beyond the caller's scope: 403.",
            ),
        },
        "responses": {
            code: {"description": text, "content": {JSON: {"schema": ref("schemas", "Error")}}}
            for code, text in answers.items()
        },
        "schemas": {
            "Error": error,
            "Feature": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"type": "string"},
                    "geometry": {"type": "object", "nullable": True},
                    "properties": {"type": "object"},
                },
            },
            "FeatureCollection": {
                "type": "object",
                "required": ["type", "features"],
                "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": ref("schemas", "Feature")},
                },
            },
        },
    }
