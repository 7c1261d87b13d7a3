"""``/api/v1/export``: the archive of a scope and window as GeoJSON, CSV or KML (:mod:`app.api_export`)."""

from __future__ import annotations

from .common import AGENCY, REGION, Spec, errors, get, ok, query, ref

TAG = "Archive"

PATHS: dict[str, Spec] = {
    "/api/v1/export": {
        "get": get(
            "The archive of a scope and window, streamed",
            "Incidents (or units' positions) of the caller's scope in a window of the archive; "
            "with `count=1` how many records the file would hold. `X-Basira-Records` says the count "
            "up front.",
            [
                query(
                    "format",
                    {"type": "string", "enum": ["geojson", "csv", "kml"], "default": "geojson"},
                    "The file's format.",
                ),
                query(
                    "from",
                    {"type": "string"},
                    "The window's start: epoch ms or ISO 8601 with an offset (default: a day before `to`).",
                ),
                query("to", {"type": "string"}, "The window's end (default: now)."),
                REGION,
                AGENCY,
                query(
                    "stream",
                    {"type": "string", "enum": ["incidents", "units"], "default": "incidents"},
                    "What a record is.",
                ),
                query(
                    "count",
                    {"type": "string", "enum": ["1", "0", "true", "false", "yes", "no"]},
                    "1: answer how many records, not the file.",
                ),
            ],
            {
                "200": ok(
                    "The file (or, with count=1, its size).",
                    {"type": "object"},
                    "application/json",
                    {
                        "application/geo+json": ref("schemas", "FeatureCollection"),
                        "text/csv": {"type": "string"},
                        "application/vnd.google-earth.kml+xml": {"type": "string"},
                    },
                ),
                **errors(400, 401, 403, 503),
            },
            TAG,
        )
    },
}
