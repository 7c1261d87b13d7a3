"""Basira on Redis Cluster: three primaries, each with a replica, on loopback (tests/redis_topology.py).

The prefix is a hash tag (``{sa}``): its streams, counters and the commit's transaction in one slot; the
live incidents and units in 12 shards (``{sa/0}`` … ``{sa/11}``), a slot each, spread over the
primaries — each apply script still touches one slot, as Cluster requires. The store's own test modules
run again on the cluster, in a pytest of their own (``REDIS_URL=redis+cluster://…``: the fixtures give
hash-tagged prefixes and a cluster client; the state is sharded, as on any cluster). And a primary
killed under ~1,000 entries/s loses no acknowledged entry and applies none twice.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from app import create_app
from app.contract import Scope, Stream
from app.ingest import IngestWorker
from app.settings import CLUSTER_SHARDS, Settings
from app.store import Keys, Store
from app.store.connection import connect
from tests.helpers import incident, unit
from tests.redis_topology import (
    ClusterTopology,
    Producer,
    applied_incidents,
    assert_applied_once,
    cluster_topology,
    drop_settings_env,
    env_without_settings,
    poll,
    redis_server_binary,
    start_ingest,
    stop_process,
)

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "{fo}"

#: The store's test modules that run again on the cluster: applying (batches, poison, faults), what the
#: pages and the API read, the feed, the built answers, rejected entries, alerts, ingress, ports.
#: (tests/test_script_keys.py is not among them: it MONITORs one server, and a cluster client's MONITOR
#: reaches any one node.)
ON_CLUSTER = ["test_ingest.py", "test_ingest_batching.py", "test_ingest_poison.py", "test_faults.py",
              "test_rejected.py", "test_built.py", "test_feed.py", "test_api.py", "test_incident_rows.py",
              "test_alerts_faults.py", "test_ingress_gate.py", "test_port_history.py"]
#: Their tests that never touch the cluster: each starts a single Redis of its own, to stop, restart or
#: fill it (the main run has them).
NOT_ON_CLUSTER = ["test_faults.py::test_redis_restart_is_survived_without_a_manual_step",
                  "test_faults.py::test_redis_at_maxmemory_errors_clearly_and_recovers",
                  "test_ingest_batching.py::test_a_commit_redis_refuses_on_a_backlog_loses_nothing",
                  "test_ingest_batching.py::test_a_script_cache_flushed_while_the_worker_runs_loses_nothing",
                  "test_ingest_batching.py::test_a_round_with_a_batch_redis_refused_still_isolates"]


@pytest.fixture(scope="module")
def cluster() -> ClusterTopology:
    with cluster_topology(primaries=3) as running:
        yield running


def test_the_store_suites_pass_on_the_cluster(cluster) -> None:
    env = {**env_without_settings(), "REDIS_URL": cluster.url}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                          *[f"tests/{name}" for name in ON_CLUSTER],
                          *[f"--deselect=tests/{test}" for test in NOT_ON_CLUSTER]],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    tail = run.stdout[-3000:]
    # what failed, before the durations table pushes it out of the tail
    failures = run.stdout[run.stdout.find("= FAILURES ="):][:6000] if "= FAILURES =" in run.stdout else ""
    assert run.returncode == 0, f"{failures}\n...\n{tail}"
    passed = int(re.search(r"(\d+) passed", tail)[1])
    assert passed >= 60, tail  # they ran, on the cluster (63 when written)
    assert "skipped" not in tail.splitlines()[-1], tail


def test_a_prefix_that_is_not_a_hash_tag_is_refused_with_the_one_to_use(cluster, monkeypatch) -> None:
    drop_settings_env(monkeypatch)
    with pytest.raises(ValueError, match=r"BASIRA_STREAM_PREFIX=\{sa\}"):
        Store.from_settings(Settings(redis_url=cluster.url, stream_prefix="sa"))
    plain_url = cluster.url.replace("redis+cluster", "redis")
    run = subprocess.run([sys.executable, "-m", "app", "ingest"], cwd=ROOT, capture_output=True, text=True,
                         env={**env_without_settings(), "REDIS_URL": plain_url, "REDIS_CLUSTER": "1"},
                         timeout=120)
    assert run.returncode != 0 and "BASIRA_STREAM_PREFIX={sa}" in run.stderr and "Traceback" not in run.stderr
    # spread: different prefixes may live on different primaries, each whole in its slot
    store = Store.from_settings(Settings(redis_url=cluster.url, stream_prefix="{c1}"))
    store.streams.produce([(Stream.incidents, incident("C1"))])
    assert cluster.primary_of("{c1}:incidents").client().xlen("{c1}:incidents") == 1


def test_a_primary_killed_under_load_loses_no_acknowledged_entry_and_doubles_none(cluster,
                                                                                  monkeypatch) -> None:
    drop_settings_env(monkeypatch)
    settings = Settings(redis_url=cluster.url, stream_prefix=PREFIX, redis_wait_replicas=1)
    key = Stream.incidents.key(PREFIX)
    env = {**env_without_settings(), "REDIS_URL": cluster.url, "BASIRA_STREAM_PREFIX": PREFIX,
           "BASIRA_REDIS_WAIT_REPLICAS": "1", "BASIRA_INGEST_CONSUMER": "w1", "BASIRA_INGEST_BATCH": "200"}
    worker = start_ingest(env)
    producer = Producer.to_the_slot(cluster, key)
    web = create_app(settings).test_client()
    client = connect(cluster.url)
    try:
        producer.start()
        poll(lambda: len(producer.acknowledged) >= 2000
             and len(applied_incidents(client, PREFIX, settings.store_shards)) >= 1000,
             120, "2,000 acknowledged entries, 1,000 applied")
        old = cluster.primary_of(key)
        before = len(producer.acknowledged)
        old.kill()
        killed = time.monotonic()
        new = poll(lambda: (node := cluster.primary_of(key)) is not old and node, 60, "a replica promoted")
        answers: list[tuple[int, bytes]] = []

        def ready_again() -> bool:
            response = web.get("/readyz")
            answers.append((response.status_code, response.data))
            return response.status_code == 200

        poll(ready_again, 60, "/readyz after the failover", step_s=0.1)
        back_s = time.monotonic() - killed
        assert not any(b"Traceback" in body for _status, body in answers)
        old.start(redis_server_binary())  # the box comes back: it rejoins as the new primary's replica
        poll(lambda: len(producer.acknowledged) >= before + 2000, 120, "2,000 entries acknowledged after it")
        producer.stopping.set()
        producer.join(10)

        primary = new.client()
        assert_applied_once(primary, PREFIX, producer.acknowledged, state=client,
                            shards=settings.store_shards, workers=(worker,))
        assert worker.poll() is None, "the worker survived the failover"
        print(f"\ncluster failover: /readyz back {back_s:.1f} s after the kill; "
              f"{len(producer.acknowledged)} acknowledged, {primary.xlen(key)} on the new primary")
    finally:
        producer.stopping.set()
        stop_process(worker)


def test_every_process_does_its_work_on_the_cluster_as_its_own_user(monkeypatch) -> None:
    """deploy/users.acl, rendered for the prefix {sa}, on every node: the users' cluster rights (CLUSTER
    SLOTS/SHARDS, COMMAND, ASKING) are enough for redis-py's cluster client, the replicas replicate as
    basira-replication, and a producer, the ingest worker and the web app each do their work with
    nothing refused (ACL LOG empty on every node)."""
    from app.acl import render, users
    from app.ingest import IngestWorker

    drop_settings_env(monkeypatch)
    text = (ROOT / "deploy" / "users.acl").read_text()
    passwords = {name: f"test-password-of-{name}" for name in users(text) if name != "default"}
    with cluster_topology(acl=render(text, "{sa}", passwords), passwords=passwords) as secured:
        def as_user(user: str) -> Settings:
            return Settings(redis_url=secured.url, stream_prefix="{sa}", redis_username=user,
                            redis_password=passwords[user], redis_wait_replicas=1)

        producer = connect(secured.url, username="basira-producer", password=passwords["basira-producer"])
        producer.xadd("{sa}:incidents", incident("ACL1"))
        with pytest.raises(redis.ResponseError, match="no permissions"):
            producer.hgetall("{sa}:inc:idx")  # a producer reads nothing
        for server in secured.servers:
            server.client().acl_log_reset()  # that refusal was the point; from here on, none

        ingest = as_user("basira-ingest")
        IngestWorker(Store.from_settings(ingest), ingest).work(burst=True)
        web = create_app(as_user("basira-web")).test_client()
        assert web.get("/readyz").status_code == 200
        snapshot = web.get("/api/v1/snapshot").get_json()
        assert "ACL1" in {f["id"] for f in snapshot["incidents"]["features"]}
        replicas = [s for s in secured.servers if s.client().info("replication")["role"] == "slave"]
        assert len(replicas) == 3 and all(
            r.client().info("replication")["master_link_status"] == "up" for r in replicas)
        for server in secured.servers:
            assert server.client().acl_log() == [], (server.port, server.client().acl_log()[:2])


def test_one_centre_is_spread_over_the_primaries_and_read_whole(cluster, monkeypatch) -> None:
    """One prefix's incidents and units land in its shards' slots, on every primary; the national
    picture, a region's and one incident's reads gather them back (the API's snapshot and lookup)."""
    drop_settings_env(monkeypatch)
    settings = Settings(redis_url=cluster.url, stream_prefix="{sp}")
    assert settings.store_shards == CLUSTER_SHARDS
    store = Store.from_settings(settings)
    ids = [f"SP{n}" for n in range(120)]
    store.streams.produce([(Stream.incidents, incident(i)) for i in ids]
                          + [(Stream.units, unit(f"U{n}")) for n in range(60)])
    IngestWorker(store, settings).work(burst=True)  # one worker's batches: a script a shard
    holders = {cluster.primary_of(shard.incident_index).port: 0 for shard in store.keys.each_shard}
    for shard in store.keys.each_shard:
        holders[cluster.primary_of(shard.incident_index).port] += shard_count(cluster, shard)
    assert len(holders) == 3 and all(n > 0 for n in holders.values()), holders  # every primary holds some
    assert sum(holders.values()) == 120
    assert {f["id"] for f in store.live.incidents(Scope())} == set(ids)
    assert len(store.live.units(Scope())) == 60
    assert store.live.incident("SP7", Scope())["id"] == "SP7"
    web = create_app(settings).test_client()
    snapshot = web.get("/api/v1/snapshot").get_json()
    assert {f["id"] for f in snapshot["incidents"]["features"]} == set(ids)


def shard_count(cluster: ClusterTopology, shard: Keys) -> int:
    """Incidents in one shard's index, asked of the primary that holds its slot (not through the
    cluster client: the point is where they are)."""
    return int(cluster.primary_of(shard.incident_index).client().hlen(shard.incident_index))
