"""Basira on Redis Sentinel: a primary, two replicas and three Sentinels on loopback
(tests/redis_topology.py). Two replicas, so that one is left after the failover to wait for.

The failover test kills the primary with SIGKILL while a producer writes about 1,000 entries a second
and the ingest worker (its own process, through the Sentinels, waiting for a replica after each commit)
applies them. A producer's entry counts as *acknowledged* when Redis said every replica holds it (the
producer's own ``WAIT 2``: after ``WAIT 1`` Sentinel may promote the replica that lacks it) — what a
producer may rely on. After the failover: every acknowledged entry is in the state, every entry the
new primary holds was applied exactly once (the worker's counters equal the stream's length, nothing
pending), and ``/readyz`` is back. How long that took is printed, not asserted:
``python -m benchmarks.failover`` measures it (docs/benchmarks.md, "Failover").
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app import create_app
from app.contract import Scope, Stream
from app.settings import Settings
from app.store import Store
from app.store.connection import bytes_client
from tests.helpers import incident
from tests.redis_topology import (
    MASTER,
    Producer,
    SentinelTopology,
    assert_applied_once,
    drop_settings_env,
    env_without_settings,
    poll,
    sentinel_topology,
    start_ingest,
    stop_process,
)

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "fo"


@pytest.fixture(scope="module")
def topology() -> SentinelTopology:
    # two replicas: after the failover one is left, for the producer's and the worker's WAIT 1
    with sentinel_topology(replicas=2) as running:
        yield running


def sentinel_settings(topology: SentinelTopology, monkeypatch: pytest.MonkeyPatch,
                      **more: object) -> Settings:
    drop_settings_env(monkeypatch)
    return Settings(redis_sentinels=topology.sentinel_setting, redis_master=MASTER, **more)


def test_every_process_reaches_the_primary_the_sentinels_name(topology, monkeypatch) -> None:
    settings = sentinel_settings(topology, monkeypatch, stream_prefix="s1")
    assert settings.redis_configured and not settings.redis_url
    store = Store.from_settings(settings)
    primary = topology.primary()
    assert store.client.info("server")["tcp_port"] == primary.port
    store.streams.produce([(Stream.incidents, incident("S1"))])
    assert primary.client().xlen("s1:incidents") == 1
    # the bytes-answering client the built answers use goes through the Sentinels too
    assert bytes_client(store.client).info("server")["tcp_port"] == primary.port
    assert bytes_client(store.client).get("s1:nothing") is None


def test_a_write_waits_for_the_replica_and_a_missing_one_is_counted_not_fatal(topology, monkeypatch) -> None:
    from app.ingest import IngestWorker

    settings = sentinel_settings(topology, monkeypatch, stream_prefix="s2", redis_wait_replicas=1)
    store = Store.from_settings(settings)
    store.streams.produce([(Stream.incidents, incident("W1"))])
    IngestWorker(store, settings).work(burst=True)
    replicas = [s for s in topology.servers if s.port != topology.primary().port]
    # WAIT 1 returned: a replica holds the applied state already, without a further wait
    assert any(r.client().hget("s2:inc:idx", "W1") for r in replicas)
    assert "unreplicated" not in store.streams.stats()

    # Three replicas asked for, two exist: the writes stand on the primary, and the shortfall is counted
    # (ingress in ingress:stats, the ingest commit in stats), without failing either.
    short = sentinel_settings(topology, monkeypatch, stream_prefix="s2", redis_wait_replicas=3,
                              redis_wait_ms=20)
    store = Store.from_settings(short)
    store.streams.produce([(Stream.incidents, incident("W2")), (Stream.incidents, incident("W3"))])
    IngestWorker(store, short).work(burst=True)
    assert {i["id"] for i in store.live.incidents(Scope())} >= {"W1", "W2", "W3"}
    assert store.client.hget("s2:ingress:stats", "unreplicated") == "2"
    assert int(store.client.hget("s2:stats", "unreplicated")) >= 2


def test_a_primary_killed_under_load_loses_no_acknowledged_entry_and_doubles_none(topology,
                                                                                  monkeypatch) -> None:
    settings = sentinel_settings(topology, monkeypatch, stream_prefix=PREFIX, redis_wait_replicas=1)
    env = env_without_settings()
    env.update(REDIS_SENTINELS=topology.sentinel_setting, BASIRA_REDIS_MASTER=MASTER,
               BASIRA_STREAM_PREFIX=PREFIX, BASIRA_REDIS_WAIT_REPLICAS="1",
               BASIRA_INGEST_CONSUMER="w1", BASIRA_INGEST_BATCH="200")
    worker = start_ingest(env)
    producer = Producer.through_sentinels(topology, Stream.incidents.key(PREFIX))
    web = create_app(settings).test_client()
    try:
        producer.start()
        store = Store.from_settings(settings)
        poll(lambda: len(producer.acknowledged) >= 2000 and store.client.hlen(f"{PREFIX}:inc:idx") >= 1000,
             120, "2,000 acknowledged entries, 1,000 applied")
        assert web.get("/readyz").status_code == 200

        old = topology.primary()
        before = len(producer.acknowledged)
        old.kill()
        killed = time.monotonic()
        answers: list[tuple[int, bytes]] = []

        def ready_again() -> bool:
            # the API as a page's refresh would ask it, and readiness
            picture = web.get("/api/v1/snapshot")
            answers.append((picture.status_code, picture.data))
            response = web.get("/readyz")
            answers.append((response.status_code, response.data))
            return response.status_code == 200

        poll(ready_again, 60, "/readyz after the failover", step_s=0.1)
        back_s = time.monotonic() - killed
        new = topology.wait_failover(old)
        assert new is not old
        producer.replicas = topology.replicas - 1  # the killed primary's place is empty
        # the gap showed as not ready, in JSON, never as a traceback
        assert any(status == 503 for status, _ in answers), answers[:3]
        assert {status for status, _ in answers} <= {200, 503}, {status for status, _ in answers}
        assert not any(b"Traceback" in body for _status, body in answers)
        poll(lambda: len(producer.acknowledged) >= before + 2000, 120, "2,000 entries acknowledged after it")
        producer.stopping.set()
        producer.join(10)

        primary = new.client()
        key = Stream.incidents.key(PREFIX)
        assert_applied_once(primary, PREFIX, producer.acknowledged, workers=(worker,))
        assert worker.poll() is None, "the worker survived the failover"
        print(f"\nfailover: /readyz back {back_s:.1f} s after the kill; "
              f"{len(producer.acknowledged)} acknowledged, {primary.xlen(key)} on the new primary, "
              f"{producer.failures} producer batches failed")
    finally:
        producer.stopping.set()
        stop_process(worker)
