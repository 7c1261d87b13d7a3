"""The HTTP API on the real app (create_app) against a real Redis."""

from __future__ import annotations

import pytest
import redis

from app import create_app
from app.contract import Stream
from app.ingest import IngestWorker
from app.store import Store
from tests.helpers import incident, unit


@pytest.fixture
def app_and_store(settings):
    app = create_app(settings)
    return app, Store.from_settings(settings)


def feed(client: redis.Redis, settings, store: Store) -> None:
    p = settings.stream_prefix
    for fields in (
        incident("MK1"),
        incident("MK2", agency="traffic", category="collision", priority="2", lat="21.43", lon="39.83"),
        incident("RY1", agency="traffic", category="collision", priority="3", lat="24.7136", lon="46.6753"),
    ):
        client.xadd(Stream.incidents.key(p), fields)
    client.xadd(Stream.units.key(p), unit("U1"))
    IngestWorker(store, settings).work(burst=True)


def test_snapshot_is_filtered_by_region_and_agency(client, settings, app_and_store):
    app, store = app_and_store
    feed(client, settings, store)
    http = app.test_client()

    everything = http.get("/api/v1/snapshot").get_json()
    assert {f["id"] for f in everything["incidents"]["features"]} == {"MK1", "MK2", "RY1"}
    assert everything["incidents"]["type"] == "FeatureCollection"
    assert everything["kpis"]["open_total"] == 3
    assert everything["as_of"] is not None and len(everything["ports"]) == 34

    makkah = http.get("/api/v1/snapshot?region=SA-02").get_json()
    assert {f["id"] for f in makkah["incidents"]["features"]} == {"MK1", "MK2"}
    assert [f["id"] for f in makkah["units"]["features"]] == ["U1"]
    assert {p["region"] for p in makkah["ports"]} == {"SA-02"}

    makkah_traffic = http.get("/api/v1/snapshot?region=SA-02&agency=traffic").get_json()
    assert [f["id"] for f in makkah_traffic["incidents"]["features"]] == ["MK2"]
    assert makkah_traffic["units"]["features"] == []
    props = makkah_traffic["incidents"]["features"][0]["properties"]
    assert {"region", "agency", "status", "priority", "ts"} <= set(props)

    traffic = http.get("/api/v1/snapshot?agency=traffic").get_json()
    assert {f["id"] for f in traffic["incidents"]["features"]} == {"MK2", "RY1"}


@pytest.mark.parametrize(
    ("query", "needle"),
    [("region=SA-13", "unknown region"), ("agency=police", "unknown agency"), ("region=<script>", "region")],
)
def test_unknown_scope_values_are_a_clear_400(settings, app_and_store, query, needle):
    app, _ = app_and_store
    reply = app.test_client().get(f"/api/v1/snapshot?{query}")
    assert reply.status_code == 400
    assert needle in reply.get_json()["error"]


def test_unknown_api_path_is_json_404(settings, app_and_store):
    app, _ = app_and_store
    reply = app.test_client().get("/api/v1/nothing-here")
    assert reply.status_code == 404 and "error" in reply.get_json()


def test_health_readiness_and_metrics(client, settings, app_and_store):
    app, store = app_and_store
    http = app.test_client()
    assert http.get("/healthz").get_json() == {"status": "ok"}
    client.xadd(Stream.incidents.key(settings.stream_prefix), incident("T1"))
    client.xadd(Stream.incidents.key(settings.stream_prefix), incident("BAD", priority="9"))
    IngestWorker(store, settings).work(burst=True)
    ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
    text = http.get("/metrics").get_data(as_text=True)
    assert 'basira_entries_ingested_total{stream="incidents"} 1.0' in text
    assert 'basira_entries_rejected_total{stream="incidents"} 1.0' in text
    assert 'basira_open_incidents{region="SA-02"} 1.0' in text
    assert "basira_ingest_lag_seconds 0.0" in text


def test_readiness_fails_when_ingest_falls_behind(client, settings):
    app = create_app(settings.model_copy(update={"ready_max_lag_s": 1.0}))
    store = Store.from_settings(settings)
    store.streams.ensure_groups(settings.ingest_group)
    old = incident("T1")
    client.xadd(Stream.incidents.key(settings.stream_prefix), old, id="1000000000000-0")
    reply = app.test_client().get("/readyz")
    assert reply.status_code == 503
    assert "ingest lag" in reply.get_json()["problems"][0]


def test_unreachable_redis_gives_503_not_a_traceback(settings):
    from tests.helpers import unreachable_redis_url

    with unreachable_redis_url() as url:
        app = create_app(settings.model_copy(update={"redis_url": url}))
        http = app.test_client()
        ready = http.get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["problems"] == ["redis unreachable"]
        snap = http.get("/api/v1/snapshot")
        assert snap.status_code == 503
        assert "Traceback" not in snap.get_data(as_text=True)
        assert http.get("/healthz").status_code == 200
