"""``/api/v1/snapshot`` and ``/api/v1/feed``: the live picture of a scope (:mod:`app.api`,
:mod:`app.feed`)."""

from __future__ import annotations

from .common import AGENCY, REGION, Spec, errors, get, ok, query, ref

TAG = "Live picture"

SNAPSHOT = {
    "type": "object",
    "required": ["scope", "incidents", "units", "ports", "kpis"],
    "properties": {
        "scope": {"type": "object"},
        "as_of": {
            "type": "integer",
            "nullable": True,
            "description": "Newest event time applied (epoch ms).",
        },
        "applied_at": {"type": "integer", "nullable": True},
        "demo": {"type": "boolean"},
        "replay": {"type": "boolean", "description": "Present and true for a picture of the past (?at=)."},
        "incidents": ref("schemas", "FeatureCollection"),
        "units": ref("schemas", "FeatureCollection"),
        "ports": {"type": "array", "items": {"type": "object"}},
        "kpis": {"type": "object"},
    },
}

PATHS: dict[str, Spec] = {
    "/api/v1/snapshot": {
        "get": get(
            "The live picture of a scope",
            "Open incidents and units (GeoJSON), ports and KPIs of the caller's scope (narrowed by "
            "region and agency); with `at`, the picture at that moment, recomputed from the archive "
            "(`replay: true`).",
            [
                REGION,
                AGENCY,
                query(
                    "at",
                    {"type": "string"},
                    "A moment of the past: epoch ms or ISO 8601 with an offset; outside the archive: 400.",
                ),
            ],
            {"200": ok("The picture.", SNAPSHOT), **errors(400, 401, 403, 503)},
            TAG,
        )
    },
    "/api/v1/feed": {
        "get": get(
            "The map's incidents and units, whole or as changes",
            'What changed since a cut (`since`, from `X-Basira-Cut`), or the whole picture; `{"down": true}` '
            "while the store is unreachable. Pages poll it every tick.",
            [REGION, AGENCY, query("since", {"type": "string"}, "A previous answer's cut (epoch ms).")],
            {"200": ok("Parts of the picture (gzip when asked for).", {"type": "object"}), **errors(401)},
            TAG,
        )
    },
}
