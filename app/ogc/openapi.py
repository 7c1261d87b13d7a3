"""The OGC API's own OpenAPI 3.0 document (``/ogc/api``, the landing page's ``service-desc``).

The conformance class "OpenAPI 3.0" wants the API described by an OpenAPI 3.0 document; GIS clients read
it too (GDAL looks for the items path's parameters there). It names every resource under ``/ogc`` and
every query parameter each takes — the standard answers 400 to any other (``/req/core/query-param-unknown``),
so what is not here is refused, and ``tests/test_openapi.py`` fails when a route under ``/ogc`` is missing.
"""

from __future__ import annotations

from typing import Any

from .collections import COLLECTIONS
from .query import DEFAULT_LIMIT, MAX_LIMIT

OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"
GEOJSON = "application/geo+json"
JSON = "application/json"


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json_body(schema: str, *types: str) -> dict[str, Any]:
    return {t: {"schema": _ref("schemas", schema)} for t in (types or (JSON,))}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _ref("responses", str(code)) for code in codes}


_F = {"name": "f", "in": "query", "required": False,
      "description": "The encoding: json (GeoJSON for features).",
      "schema": {"type": "string", "enum": ["json"]}}


def _op(summary: str, operation: str, tag: str, ok: dict[str, Any], *,
        parameters: list[Any] | None = None, errors: tuple[int, ...] = (400, 401, 503)) -> dict[str, Any]:
    return {"get": {"summary": summary, "operationId": operation, "tags": [tag],
                    "parameters": [*(parameters or []), _ref("parameters", "f")],
                    "responses": {"200": ok, **_errors(*errors)}}}


def document(server_url: str) -> dict[str, Any]:
    """The document, its server the API's root (``http://host/ogc``) so clients resolve paths against it."""
    collection_id = _ref("parameters", "collectionId")
    items_params = [collection_id, *(_ref("parameters", n) for n in ("bbox", "datetime", "limit", "cursor"))]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Basira (بصيرة) — OGC API – Features",
            "version": "1.0.0",
            "description": "The live picture of the 911 operations center as OGC API – Features (Part 1: "
                           "Core, GeoJSON, OpenAPI 3.0). With access control on, every request needs "
                           "`Authorization: Bearer <token>`; a token sees its own regions and agencies.",
        },
        "servers": [{"url": server_url}],
        "tags": [{"name": "Capabilities"}, {"name": "Data"}],
        "security": [{"bearerAuth": []}, {}],
        "paths": {
            "/": _op("The landing page", "getLandingPage", "Capabilities",
                     {"description": "Links to the API definition, the conformance classes and the "
                                     "collections.", "content": _json_body("landingPage")}),
            "/conformance": _op("The conformance classes", "getConformance", "Capabilities",
                                {"description": "The conformance classes this API implements.",
                                 "content": _json_body("confClasses")}),
            "/api": _op("This document", "getApiDefinition", "Capabilities",
                        {"description": "The API definition (OpenAPI 3.0).",
                         "content": {OPENAPI_MEDIA_TYPE: {"schema": {"type": "object"}}}}),
            "/api.html": {"get": {"summary": "How to use this API, for people", "operationId": "getApiDoc",
                                  "tags": ["Capabilities"],
                                  "responses": {
                                      "200": {"description": "A page.",
                                              "content": {"text/html": {"schema": {"type": "string"}}}},
                                      **_errors(400, 401)},
                                  "parameters": []}},
            "/collections": _op("The collections", "getCollections", "Capabilities",
                                {"description": "Every collection, with its extent.",
                                 "content": _json_body("collections")}),
            "/collections/{collectionId}": _op(
                "One collection", "describeCollection", "Capabilities",
                {"description": "The collection, with its extent and links.",
                 "content": _json_body("collection")},
                parameters=[collection_id], errors=(400, 401, 404, 503)),
            "/collections/{collectionId}/items": _op(
                "The collection's features", "getFeatures", "Data",
                {"description": "A page of the features the query selects, sorted by id, with `next`/`prev` "
                                "links while there are more.",
                 "content": _json_body("featureCollectionGeoJSON", GEOJSON, JSON)},
                parameters=items_params, errors=(400, 401, 404, 503)),
            "/collections/{collectionId}/items/{featureId}": _op(
                "One feature", "getFeature", "Data",
                {"description": "The feature.", "content": _json_body("featureGeoJSON", GEOJSON, JSON)},
                parameters=[collection_id, _ref("parameters", "featureId")], errors=(400, 401, 404, 503)),
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "An API token (python -m app token add …); "
                                                              "needed when access control is on."}},
            "parameters": {
                "f": _F,
                "collectionId": {"name": "collectionId", "in": "path", "required": True,
                                 "description": "The collection's id.",
                                 "schema": {"type": "string", "enum": list(COLLECTIONS)}},
                "featureId": {"name": "featureId", "in": "path", "required": True,
                              "description": "The feature's id (an incident's CAD number, a unit's call "
                                             "sign, a port's id, a region's code, an alert's AL-<n>).",
                              "schema": {"type": "string"}},
                "bbox": {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
                         "description": "Only features whose geometry meets this box: west,south,east,north "
                                        "in CRS84 degrees (west > east spans the antimeridian).",
                         "schema": {"type": "array", "minItems": 4, "maxItems": 4,
                                    "items": {"type": "number"}}},
                "datetime": {"name": "datetime", "in": "query", "required": False, "style": "form",
                             "explode": False,
                             "description": "Only features whose time lies in this instant or interval "
                                            "(RFC 3339: 2026-12-04T10:00:00Z, 2026-12-04T10:00:00Z/"
                                            "2026-12-04T11:00:00Z, ../2026-12-04T11:00:00Z, "
                                            "2026-12-04T10:00:00Z/..). Features without a time never match.",
                             "schema": {"type": "string"}},
                "limit": {"name": "limit", "in": "query", "required": False, "style": "form",
                          "explode": False,
                          "description": f"Features per page (more than {MAX_LIMIT} is served as "
                                         f"{MAX_LIMIT}).",
                          "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                     "default": DEFAULT_LIMIT}},
                "cursor": {"name": "cursor", "in": "query", "required": False,
                           "description": "Where a page starts: the token of a next or prev link, as it is.",
                           "schema": {"type": "string"}},
            },
            "responses": {
                "400": {"description": "A query parameter that is unknown or has an invalid value.",
                        "content": _json_body("exception")},
                "401": {"description": "No (valid) credentials while access control is on.",
                        "content": _json_body("exception")},
                "404": {"description": "No such collection, or no such feature in your scope.",
                        "content": _json_body("exception")},
                "503": {"description": "The live store is unavailable; try again shortly.",
                        "content": _json_body("exception")},
            },
            "schemas": _schemas(),
        },
    }


def _schemas() -> dict[str, Any]:
    link = {"type": "object", "required": ["href"],
            "properties": {"href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
                           "title": {"type": "string"}}}
    links = {"type": "array", "items": _ref("schemas", "link")}
    geometry = {"type": "object", "nullable": True, "required": ["type"],
                "properties": {"type": {"type": "string"}, "coordinates": {"type": "array"}}}
    feature = {"type": "object", "required": ["type", "geometry", "properties"],
               "properties": {"type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "string"},
                              "geometry": geometry, "properties": {"type": "object", "nullable": True},
                              "links": links}}
    extent = {"type": "object", "properties": {
        "spatial": {"type": "object", "properties": {
            "bbox": {"type": "array", "items": {"type": "array", "minItems": 4, "maxItems": 4,
                                                "items": {"type": "number"}}},
            "crs": {"type": "string"}}},
        "temporal": {"type": "object", "properties": {
            "interval": {"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2,
                                                    "items": {"type": "string", "nullable": True}}},
            "trs": {"type": "string"}}}}}
    return {
        "link": link,
        "exception": {"type": "object", "description": "What went wrong.",
                      "properties": {"code": {"type": "string"}, "description": {"type": "string"},
                                     "error": {"type": "string"}}},
        "landingPage": {"type": "object", "required": ["links"],
                        "properties": {"title": {"type": "string"}, "description": {"type": "string"},
                                       "links": links}},
        "confClasses": {"type": "object", "required": ["conformsTo"],
                        "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}}},
        "collection": {"type": "object", "required": ["id", "links"],
                       "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                                      "description": {"type": "string"}, "links": links, "extent": extent,
                                      "itemType": {"type": "string"},
                                      "crs": {"type": "array", "items": {"type": "string"}}}},
        "collections": {"type": "object", "required": ["links", "collections"],
                        "properties": {"links": links,
                                       "collections": {"type": "array",
                                                       "items": _ref("schemas", "collection")}}},
        "featureGeoJSON": feature,
        "featureCollectionGeoJSON": {
            "type": "object", "required": ["type", "features"],
            "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                           "features": {"type": "array", "items": _ref("schemas", "featureGeoJSON")},
                           "links": links, "timeStamp": {"type": "string", "format": "date-time"},
                           "numberMatched": {"type": "integer", "minimum": 0},
                           "numberReturned": {"type": "integer", "minimum": 0}}},
    }
