"""Lives here: the OpenAPI 3.0 document of ``/api/v1`` (served at ``/api/v1/openapi.json`` by
:mod:`app.api_openapi`), one module per route family, each contributing its ``PATHS``.
May import: the contract's names (regions, agencies) and nothing with I/O: the document is data.

To add routes: write (or extend) a family module here with ``PATHS = {"/api/v1/…": {"get": …}}`` built
from :mod:`.common`, and list it in :data:`FAMILIES`. ``tests/test_openapi.py`` fails while any
``/api/v1`` route of the app is missing from the document (with the method it answers), and runs
schemathesis against the live app with this document: every documented answer must be what the route
gives, and no request it generates may be a 500.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ..contract import REGION_TOKENS, Agency
from . import access, alerts, export, ingress, live, nearest, ports
from .common import Spec, get, ok

#: The route families, in the document's order.
FAMILIES: tuple[ModuleType, ...] = (live, nearest, ports, alerts, export, ingress, access)
OPENAPI_PATH = "/api/v1/openapi.json"

_SELF: dict[str, Spec] = {
    OPENAPI_PATH: {
        "get": get(
            "This document",
            "The OpenAPI 3.0 document of /api/v1.",
            [],
            {"200": ok("The document.", {"type": "object", "required": ["openapi", "paths"]})},
            "API",
        )
    },
}


def paths() -> dict[str, Spec]:
    """Every family's paths (and this document's own); a path two families name is an error."""
    out: dict[str, Spec] = {}
    for family in (*FAMILIES, None):
        contributed = _SELF if family is None else family.PATHS
        for name, operations in contributed.items():
            if name in out:
                raise ValueError(
                    f"{name} is described twice (again in {getattr(family, '__name__', 'self')})"
                )
            out[name] = operations
    return out


def document() -> dict[str, Any]:
    """The document: Basira's HTTP API, every route of ``/api/v1``, its parameters, answers and security."""
    from .common import components

    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Basira (بصيرة) API",
            "version": "1",
            "description": "The live picture, ports, alerts and the archive of the 911 operations center. "
            "With access control on (docs/access.md) every route needs `Authorization: Bearer "
            "<token>` (401 without) and answers within the token's regions and agencies "
            '(403 beyond them). Errors are JSON: `{"error": "…"}`. The GIS layers are OGC '
            "API – Features at /ogc, described by /ogc/api.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {}],
        "paths": paths(),
        "components": components(list(REGION_TOKENS), [a.value for a in Agency]),
    }
