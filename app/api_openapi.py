"""``GET /api/v1/openapi.json``: the OpenAPI 3.0 document of every ``/api/v1`` route (:mod:`app.openapi`).

Behind the same gate as the rest of ``/api/`` (a token is needed when access control is on): the document
names no data, but it is the API's, and a client that can read it can call it. Built once per process.
"""

from __future__ import annotations

from functools import cache

import orjson
from flask import Blueprint, Response

from .openapi import OPENAPI_PATH, document

openapi_api = Blueprint("openapi_api", __name__)


@cache
def _text() -> bytes:
    return orjson.dumps(document())


@openapi_api.get(OPENAPI_PATH)
def openapi_document() -> Response:
    return Response(_text(), mimetype="application/json")
