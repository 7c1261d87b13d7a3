"""The HTTP API and the operational endpoints.

Thin views: validate the query with the contract, read through the store, answer with orjson.
Routes: ``/api/v1/snapshot``, ``/healthz``, ``/readyz``, ``/metrics``. JSON error handlers for
``/api/*`` are registered on the app (a blueprint's own 404 handler never fires for unmatched URLs).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from werkzeug.exceptions import HTTPException

from .alerts.model import SEVERITIES
from .archive.replay import OutsideArchive
from .auth import scope_for
from .contract import INPUT_STREAMS, ContractError, Scope, parse_ts
from .services import services
from .store import StoreUnavailable

log = logging.getLogger("basira.api")
RIYADH = timezone(timedelta(hours=3))
api = Blueprint("api", __name__)


def _json(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status=status, mimetype="application/json")


@api.get("/api/v1/snapshot")
def snapshot() -> Response:
    """The live picture of a scope: incidents and units (GeoJSON), ports, KPIs, and its time — or,
    with ``?at=``, the picture at that moment recomputed from the archive (``"replay": true``; 400
    for a moment outside the archive).

    The scope is the caller's (:func:`app.auth.scope_for`): no region asked means all of theirs; a
    region or agency beyond it is a 403.
    """
    try:
        scope = scope_for(request.args.get("region"), request.args.get("agency"), strict=True)
    except ContractError as error:
        return _json({"error": error.reason}, 400)
    if request.args.get("at") is not None:
        return _replayed(request.args["at"], scope)
    store = services().store
    now_ms = services().clock()
    incidents = store.live.incidents(scope)
    units = store.live.units(scope)
    ports = [p for p in store.live.port_summary(now_ms) if p["region"] in scope.regions]
    return _json(
        {
            "scope": {"region": scope.region, "agency": scope.agency,
                      "regions": list(scope.regions), "agencies": list(scope.agencies)},
            "as_of": store.meta.as_of(),
            "applied_at": store.meta.applied_at(),
            "demo": store.meta.is_demo(),
            "incidents": {"type": "FeatureCollection", "features": incidents},
            "units": {"type": "FeatureCollection", "features": units},
            "ports": ports,
            "kpis": store.live.kpis(scope, now_ms, incidents=incidents, units=units),
        }
    )


def _replayed(at: str, scope: Scope) -> Response:
    """``?at=`` (epoch ms or ISO 8601 with an offset): the picture of ``scope`` then, from the archive."""
    text = at.strip().replace(" ", "+")  # an unescaped "+" of an offset arrives as a space
    try:
        at_ms = parse_ts(text)
    except ValueError as error:
        return _json({"error": f"at: {error}"}, 400)
    svc = services()
    try:
        picture = svc.replay.snapshot(at_ms, scope)
    except OutsideArchive:
        span = svc.replay.span()
        where = (f"the archive holds {_iso(span[0])} to {_iso(span[1])}" if span
                 else "the archive is empty")
        return _json({"error": f"at: {_iso(at_ms)} is outside the archive ({where})",
                      "archive": {"from": span[0], "to": span[1]} if span else None}, 400)
    picture["demo"] = svc.store.meta.is_demo()
    return _json(picture)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, RIYADH).isoformat(timespec="seconds")


@api.get("/healthz")
def healthz() -> Response:
    """The process is alive (it answers); says nothing about Redis."""
    return _json({"status": "ok"})


@api.get("/readyz")
def readyz() -> Response:
    """Ready to serve a live picture: Redis answers and ingest is not too far behind."""
    svc = services()
    problems = []
    lag_s = None
    if not svc.store.ping():
        problems.append("redis unreachable")
    else:
        lag_s = svc.store.streams.lag_ms(svc.settings.ingest_group) / 1000
        if lag_s > svc.settings.ready_max_lag_s:
            problems.append(f"ingest lag {lag_s:.1f} s > {svc.settings.ready_max_lag_s:g} s")
        # A young entry waiting is no lag yet, but a dead worker makes no progress at all.
        elif (stalled := svc.store.streams.stalled_ms(svc.settings.ingest_group)) is not None and \
                stalled / 1000 > svc.settings.ready_max_lag_s:
            problems.append(f"no ingest progress for {svc.settings.ready_max_lag_s:g} s while entries wait")
    body = {"status": "ready" if not problems else "not ready", "problems": problems, "ingest_lag_s": lag_s}
    return _json(body, 200 if not problems else 503)


class StoreCollector:
    """Prometheus metrics read from the shared store at scrape time.

    The counters live in Redis (written by the ingest workers in the same transaction as the
    state), so any web process reports the same totals whichever worker did the work.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self):  # noqa: ANN201 - prometheus_client's protocol
        with self.app.app_context():
            svc = services()
            stats = svc.store.streams.stats()
            lag = svc.store.streams.lag_ms(svc.settings.ingest_group) / 1000
            open_counts = svc.store.live.open_counts()
            severities = svc.store.alerts.open_severities()
            alerts_worker = svc.store.alerts.worker()
        for name, doc in (
            ("ingested", "Entries applied to the state, per stream."),
            ("rejected", "Entries rejected by validation, per stream."),
        ):
            family = CounterMetricFamily(f"basira_entries_{name}", doc, labels=["stream"])
            for stream in INPUT_STREAMS:
                family.add_metric([stream.value], stats.get(f"{name}:{stream.value}", 0))
            yield family
        # Entries of a region not yet connected (BASIRA_COVERED_REGIONS): applied, so also counted
        # above; only the pairs that happened are listed.
        uncovered = CounterMetricFamily(
            "basira_entries_uncovered",
            "Entries applied for a region not yet connected (phased roll-out), per stream and region; "
            "also counted in basira_entries_ingested_total.",
            labels=["stream", "region"],
        )
        for field, count in sorted(stats.items()):
            kind, _, rest = field.partition(":")
            stream, _, region = rest.partition(":")
            if kind == "uncovered" and region:
                uncovered.add_metric([stream, region], count)
        yield uncovered
        yield GaugeMetricFamily(
            "basira_ingest_lag_seconds", "Age of the oldest entry not yet applied.", value=lag
        )
        gauge = GaugeMetricFamily("basira_open_incidents", "Open incidents per region.", labels=["region"])
        for region, count in open_counts.items():
            gauge.add_metric([region], count)
        yield gauge
        alerts = GaugeMetricFamily("basira_alerts_open", "Open alerts per severity.", labels=["severity"])
        for severity in SEVERITIES:
            alerts.add_metric([severity], severities.count(severity))
        yield alerts
        ticked = alerts_worker.get("ticked_at", "")
        if ticked.isdigit():  # none before an alerts worker has ticked
            age = max(0.0, time.time() - int(ticked) / 1000)
            cpu = float(alerts_worker.get("tick_cpu_ms") or 0) / 1000
            yield GaugeMetricFamily("basira_alerts_tick_age_seconds",
                                    "Since the alerts worker last evaluated the rules.", value=age)
            yield GaugeMetricFamily("basira_alerts_tick_cpu_seconds",
                                    "CPU the alerts worker's last tick took.", value=cpu)


@api.get("/metrics")
def metrics() -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(current_app._get_current_object()))  # type: ignore[attr-defined]
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4; charset=utf-8")


def register_error_handlers(app: Flask) -> None:
    """JSON errors for the API, and no traceback anywhere, whatever fails."""

    def wants_json() -> bool:
        return request.path == "/ogc" or request.path.startswith(("/api/", "/readyz", "/metrics", "/ogc/"))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # noqa: ANN202
        if wants_json():
            return _json({"error": error.description or error.name}, error.code or 500)
        return error

    @app.errorhandler(StoreUnavailable)
    def store_error(error: StoreUnavailable):  # noqa: ANN202
        log.warning("store unavailable: %s", error)
        if request.path == "/readyz":
            return _json({"status": "not ready", "problems": ["redis unreachable"]}, 503)
        return _json({"error": "the live store is unavailable; try again shortly"}, 503)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):  # noqa: ANN202
        log.exception("unhandled error on %s", request.path)
        return _json({"error": "internal error"}, 500)
