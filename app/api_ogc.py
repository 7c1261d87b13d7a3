"""OGC API – Features at ``/ogc``: the live picture for GIS clients (QGIS, ArcGIS Pro, GDAL's ``OAPIF``).

Routes (all ``GET``; fixed names, outside checks rely on them): ``/ogc`` (landing page), ``/ogc/conformance``,
``/ogc/api`` (this API's OpenAPI 3.0 document), ``/ogc/api.html`` (the same for people),
``/ogc/collections``, ``/ogc/collections/<id>``, ``/ogc/collections/<id>/items`` and
``/ogc/collections/<id>/items/<featureId>``. Conformance claimed: Part 1 Core, GeoJSON, OpenAPI 3.0 — and
nothing else (no HTML encoding of the resources, no CRS other than CRS84).

Thin views: the collections and their reads are :mod:`app.ogc.collections`, the query and paging
:mod:`app.ogc.query`. Access control is the API's (``app.auth.guard`` treats ``/ogc`` as it treats
``/api/``: 401 without credentials when it is on), and every read is of the caller's scope from
:func:`app.auth.scope_for` — a commander's token sees its regions and agencies, and a feature outside them
is the same 404 as an unknown one. Errors are JSON, ``{"code", "description"}`` (the standard's exception
shape); none is a 500 for anything a client sends.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Blueprint, Response, abort, current_app, request, url_for
from markupsafe import escape

from .auth import scope_for
from .auth.guard import EXTENSION as AUTH_EXTENSION
from .ogc.collections import (
    COLLECTIONS,
    CRS84,
    TRS,
    Collection,
    Context,
    context_for,
    in_bbox,
    kingdom_bbox,
    time_of,
    timed,
)
from .ogc.openapi import GEOJSON, JSON, OPENAPI_MEDIA_TYPE, document
from .ogc.query import OTHER_PARAMETERS, BadQuery, check_parameters, iso, paginate, parse_query, select
from .services import services

ogc_api = Blueprint("ogc_api", __name__)

OGC_PATH = "/ogc"
#: The conformance classes claimed; each holds (``tests/test_ogc.py`` checks their requirements).
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
)


def _body(payload: Any, mimetype: str = JSON, status: int = 200) -> Response:
    response = Response(orjson.dumps(payload), status=status, content_type=mimetype)
    response.headers["Cache-Control"] = "no-store"  # the live picture, and the viewer's own scope
    return response


def _problem(status: int, code: str, description: str) -> Response:
    return _body({"code": code, "description": description}, status=status)


def _checked(allowed: frozenset[str] = OTHER_PARAMETERS) -> Response | None:
    try:
        check_parameters(request.args, allowed)
    except BadQuery as error:
        return _problem(400, "InvalidParameterValue", str(error))
    return None


def _feature_type() -> str:
    """``application/geo+json`` unless the client asks for plain ``application/json`` over it."""
    best = request.accept_mimetypes.best_match([GEOJSON, JSON], default=GEOJSON)
    return best or GEOJSON


def _url(endpoint: str, **values: Any) -> str:
    """An absolute link (GIS clients follow them as they are): ``https`` when the client reached us over
    HTTPS, directly or through a trusted TLS-terminating proxy (``BASIRA_TRUSTED_PROXIES``)."""
    control = current_app.extensions.get(AUTH_EXTENSION)
    secure = request.is_secure or (control is not None and control.identifier.secure(request))
    return url_for(endpoint, _external=True, _scheme="https" if secure else "http", **values)


def _link(href: str, rel: str, type_: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": type_, "title": title}


def _context() -> Context:
    current = services()
    return context_for(current.store, scope_for(strict=True), current.settings.history_hours)


@ogc_api.get(OGC_PATH + "/")
@ogc_api.get(OGC_PATH)  # registered first: the URL links name
def landing() -> Response:
    """The landing page: what this is, and links to the API definition, conformance and the collections."""
    refused = _checked()
    if refused:
        return refused
    return _body({
        "title": "Basira (بصيرة) — the 911 operations center's live picture",
        "description": "Incidents, units, border ports, regions and open alerts of the Kingdom as OGC API – "
                       "Features, in the scope of your token.",
        "links": [
            _link(_url("ogc_api.landing"), "self", JSON, "This document"),
            _link(_url("ogc_api.api_definition"), "service-desc", OPENAPI_MEDIA_TYPE, "The API definition"),
            _link(_url("ogc_api.api_page"), "service-doc", "text/html", "The API documentation"),
            _link(_url("ogc_api.conformance"), "conformance", JSON, "The conformance classes implemented"),
            _link(_url("ogc_api.collections"), "data", JSON, "The collections"),
        ],
    })


@ogc_api.get(OGC_PATH + "/conformance")
def conformance() -> Response:
    refused = _checked()
    return refused or _body({"conformsTo": list(CONFORMANCE)})


@ogc_api.get(OGC_PATH + "/api")
def api_definition() -> Response:
    """This API's OpenAPI 3.0 document, its server this API's root as the client reached it."""
    refused = _checked()
    return refused or _body(document(_url("ogc_api.landing")), OPENAPI_MEDIA_TYPE)


@ogc_api.get(OGC_PATH + "/api.html")
def api_page() -> Response:
    """The ``service-doc``: the same, in a few lines for a person (no script, no style: any CSP admits it)."""
    refused = _checked(frozenset())
    if refused:
        return refused
    rows = "".join(f"<li><code>{escape(c.id)}</code> — {escape(c.title)}: {escape(c.description)}</li>"
                   for c in COLLECTIONS.values())
    page = (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Basira — OGC API – Features"
        "</title></head><body><h1>Basira — OGC API – Features</h1>"
        f"<p>Add <code>{escape(_url('ogc_api.landing'))}</code> as an OGC API – Features connection (QGIS: "
        "Layer › Add Layer › Add WFS / OGC API – Features Layer; ArcGIS Pro: Insert › Connections › Server › "
        "New OGC API Server; GDAL: <code>ogrinfo OAPIF:&lt;that URL&gt;</code>). With access control on, "
        "send <code>Authorization: Bearer &lt;token&gt;</code>.</p>"
        f"<h2>Collections</h2><ul>{rows}</ul>"
        "<p>Items take <code>bbox</code> (CRS84), <code>datetime</code> (RFC 3339 instant or interval), "
        "<code>limit</code> and the <code>next</code>/<code>prev</code> links' <code>cursor</code>. "
        f"The machine-readable definition: <a href=\"{escape(_url('ogc_api.api_definition'))}\">OpenAPI 3.0"
        "</a>.</p></body></html>"
    )
    response = Response(page, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def _collection_json(collection: Collection, context: Context, bbox: list[float]) -> dict[str, Any]:
    extent: dict[str, Any] = {"spatial": {"bbox": [bbox], "crs": CRS84}}
    interval = collection.temporal_extent(context)
    if interval is not None:
        extent["temporal"] = {"interval": [interval], "trs": TRS}
    items = _url("ogc_api.items", collection_id=collection.id)
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            _link(_url("ogc_api.collection", collection_id=collection.id), "self", JSON, collection.title),
            _link(items, "items", GEOJSON, f"{collection.title} (GeoJSON)"),
        ],
    }


@ogc_api.get(OGC_PATH + "/collections")
def collections() -> Response:
    refused = _checked()
    if refused:
        return refused
    context = _context()
    bbox = kingdom_bbox(context.store)
    return _body({
        "links": [_link(_url("ogc_api.collections"), "self", JSON, "The collections")],
        "collections": [_collection_json(c, context, bbox) for c in COLLECTIONS.values()],
    })


def _unknown_collection(collection_id: str) -> Response:
    return _problem(404, "NotFound", f"no collection {collection_id[:64]!r}: there are "
                                     f"{', '.join(COLLECTIONS)}")


@ogc_api.get(OGC_PATH + "/collections/<collection_id>")
def collection(collection_id: str) -> Response:
    refused = _checked()
    if refused:
        return refused
    if collection_id not in COLLECTIONS:
        return _unknown_collection(collection_id)
    context = _context()
    return _body(_collection_json(COLLECTIONS[collection_id], context, kingdom_bbox(context.store)))


@ogc_api.get(OGC_PATH + "/collections/<collection_id>/items")
def items(collection_id: str) -> Response:
    """A page of the features ``bbox`` and ``datetime`` select, sorted by id, with ``next``/``prev``."""
    if collection_id not in COLLECTIONS:
        return _unknown_collection(collection_id)
    args = {name: request.args.get(name, "") for name in request.args}
    try:
        query = parse_query(args)
    except BadQuery as error:
        return _problem(400, "InvalidParameterValue", str(error))
    context = _context()
    selected = select(COLLECTIONS[collection_id].read(context), query, time_of, in_bbox)
    page = paginate(selected, query.limit, query.cursor)
    mimetype = _feature_type()
    kept = {k: v for k, v in args.items() if k != "cursor"}
    kept["limit"] = str(query.limit)

    def items_url(cursor: str | None = None) -> str:
        values = {**kept, **({"cursor": cursor} if cursor else {})}
        return f"{_url('ogc_api.items', collection_id=collection_id)}?{urlencode(values)}"

    links = [
        _link(items_url(args.get("cursor")), "self", mimetype, "This page"),
        _link(_url("ogc_api.collection", collection_id=collection_id), "collection", JSON, "The collection"),
    ]
    if page.next is not None:
        links.append(_link(items_url(page.next.token()), "next", mimetype, "The next page"))
    if page.prev is not None:
        links.append(_link(items_url(page.prev.token()), "prev", mimetype, "The previous page"))
    return _body({
        "type": "FeatureCollection",
        "timeStamp": iso(int(time.time() * 1000)).replace(".000Z", "Z"),
        "numberMatched": len(selected),
        "numberReturned": len(page.features),
        "features": [timed(f) for f in page.features],
        "links": links,
    }, mimetype)


@ogc_api.get(OGC_PATH + "/collections/<collection_id>/items/<path:feature_id>")
def feature(collection_id: str, feature_id: str) -> Response:
    """One feature; 404 when unknown or outside the caller's scope (the same answer: an id beyond the
    scope reveals nothing)."""
    refused = _checked()
    if refused:
        return refused
    if collection_id not in COLLECTIONS:
        return _unknown_collection(collection_id)
    found = COLLECTIONS[collection_id].one(_context(), feature_id)
    if found is None:
        return _problem(404, "NotFound", f"no feature {feature_id[:64]!r} in {collection_id} in your scope")
    mimetype = _feature_type()
    found = timed(found)
    found["links"] = [
        _link(_url("ogc_api.feature", collection_id=collection_id, feature_id=feature_id), "self", mimetype,
              "This feature"),
        _link(_url("ogc_api.collection", collection_id=collection_id), "collection", JSON, "The collection"),
    ]
    return _body(found, mimetype)


@ogc_api.get(OGC_PATH + "/<path:rest>")
def not_found(rest: str) -> Response:
    """Any other path under ``/ogc`` is a JSON 404, not Dash's page (its ``/<path:path>`` catch-all)."""
    abort(404)
