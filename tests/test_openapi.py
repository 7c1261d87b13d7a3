"""The OpenAPI documents against the app: ``/api/v1/openapi.json`` and OGC API – Features' ``/ogc/api``.

* Every ``/api/v1`` route of the Flask url_map is in the document, with each method it answers — and the
  document names no route the app lacks. A route added without its description fails here: describe it
  in a family module of ``app/openapi/`` (see its docstring). The same for ``/ogc`` and its document.
* schemathesis, the real peer, reads each document from the live app (served on a free loopback port) and
  sends what it generates from it — valid and invalid parameters, bodies and ids: no answer is a 500, and
  each answer's status, content type and body are ones the document states. Examples are bounded per
  operation (:data:`EXAMPLES`) and derandomised, so the module takes seconds and fails the same way twice;
  one app serves the whole module.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import requests
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from app import create_app
from app.contract import Stream
from app.ingest import IngestWorker
from app.settings import Settings
from app.store import Store
from tests.helpers import incident, port_entry, unit

#: Cases per operation and mode: enough to reach each parameter's edges, few enough for seconds.
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 6}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: A Flask rule's placeholders (``<int:n>``, ``<path:rest>``, ``<port_id>``) and OpenAPI's (``{n}``).
PLACEHOLDER = re.compile(r"<(?:[^:<>]+:)?[^<>]+>|\{[^{}]+\}")


@pytest.fixture(scope="module")
def live(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    """The real app, access control off, over a store with a few incidents, units and port counts; served
    on a free loopback port for the module. Yields the app and its URL."""
    prefix = f"t{uuid.uuid4().hex[:12]}"
    settings = Settings(redis_url=redis_url, stream_prefix=prefix, auth_mode="off",
                        archive_dir=tmp_path_factory.mktemp("archive"))
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    for n in range(30):
        client.xadd(Stream.incidents.key(prefix), incident(f"INC-{n:03d}", lat=21.40 + n / 100))
    for n in range(10):
        client.xadd(Stream.units.key(prefix), unit(f"U-{n}", lat=21.43 + n / 100))
    client.xadd(Stream.ports.key(prefix), port_entry())
    IngestWorker(Store.from_settings(settings), settings).work(burst=True)
    app = create_app(settings)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per generated request is noise
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="basira-openapi-test", daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.unlink(key)
        client.close()


def _shape(path: str) -> str:
    """A path with its placeholders blanked: Flask's and OpenAPI's spellings of one route compare equal."""
    return PLACEHOLDER.sub("{}", path)


def _routes(app: Flask, keep: Callable[[str], str | None]) -> dict[str, set[str]]:
    """Route shape → methods, for the rules ``keep`` maps to a path (``None``: left out)."""
    out: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        path = keep(rule.rule)
        if path is not None:
            out.setdefault(_shape(path), set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    return out


def _documented(document: dict[str, Any]) -> dict[str, set[str]]:
    methods = {"get", "put", "post", "delete", "patch"}
    return {_shape(path): set(item) & methods for path, item in document["paths"].items()}


def test_every_api_v1_route_is_in_the_document(live: tuple[Flask, str]) -> None:
    app, url = live
    response = requests.get(f"{url}/api/v1/openapi.json", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.0.")
    routes = _routes(app, lambda rule: rule if rule.startswith("/api/v1/") else None)
    described = _documented(document)
    missing = {path: sorted(methods - described.get(path, set())) for path, methods in routes.items()
               if methods - described.get(path, set())}
    assert not missing, (f"/api/v1 routes (with methods) missing from /api/v1/openapi.json: {missing} — "
                         "describe them in a family module of app/openapi/ (see app/openapi/__init__.py)")
    assert set(described) <= set(routes), f"described but not routes: {set(described) - set(routes)}"
    assert "bearerAuth" in document["components"]["securitySchemes"]


def _ogc_path(rule: str) -> str | None:
    """An ``/ogc`` rule as its path in the OGC document (relative to ``/ogc``); the catch-all 404 is none."""
    if rule != "/ogc" and not rule.startswith("/ogc/") or rule == "/ogc/<path:rest>":
        return None
    return rule.removeprefix("/ogc") or "/"


def test_every_ogc_route_is_in_its_document(live: tuple[Flask, str]) -> None:
    app, url = live
    landing = requests.get(f"{url}/ogc", timeout=10).json()
    desc = next(link for link in landing["links"] if link["rel"] == "service-desc")
    response = requests.get(desc["href"], timeout=10)
    assert response.headers["Content-Type"] == desc["type"] == "application/vnd.oai.openapi+json;version=3.0"
    document = response.json()
    assert document["openapi"].startswith("3.0.")
    routes = _routes(app, _ogc_path)
    described = _documented(document)
    assert set(routes) == set(described), (set(routes) ^ set(described))
    assert all(routes[path] <= described[path] for path in routes)


def _fuzz(document_url: str, base_url: str) -> None:
    """schemathesis's cases for every operation of the document at ``document_url``, sent to ``base_url``:
    each answer passes :data:`CHECKS` (a failure raises, naming the case and how to repeat it)."""
    schema = schemathesis.openapi.from_url(document_url)
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in EXAMPLES.items():
            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                                 suppress_health_check=list(HealthCheck))
            def check(case: Any) -> None:
                response = case.call(base_url=base_url, timeout=60)
                case.validate_response(response, checks=CHECKS)

            try:
                check()
            except Unsatisfiable:
                if mode is not GenerationMode.NEGATIVE:
                    raise  # (an operation without parameters or body has nothing to make invalid)


def test_schemathesis_finds_nothing_against_the_api(live: tuple[Flask, str]) -> None:
    _app, url = live
    _fuzz(f"{url}/api/v1/openapi.json", url)


def test_schemathesis_finds_nothing_against_the_ogc_api(live: tuple[Flask, str]) -> None:
    _app, url = live
    _fuzz(f"{url}/ogc/api", f"{url}/ogc")
