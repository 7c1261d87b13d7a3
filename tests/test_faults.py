"""Faults against a real Redis: a worker killed mid-batch, two workers, Redis gone, Redis full.

Each test proves "nothing lost, nothing counted twice" by comparing the state with what was
written: distinct incident ids for state, and port traveller sums (plain counters, which a double
apply would inflate) for exactly-once counting. Waits are bounded polls, never timing assertions.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from app import create_app
from app.contract import Scope, Stream
from app.ingest import IngestWorker
from app.store import Store
from app.store.embedded import start_embedded
from tests.helpers import incident, now_ms

ROOT = Path(__file__).resolve().parent.parent


def poll(predicate, timeout_s: float, what: str):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what} after {timeout_s:g} s")


def write_load(client: redis.Redis, prefix: str, start: int, count: int) -> tuple[int, int]:
    """``count`` entries: two thirds new incidents (distinct ids), a third port counts of 1 traveller."""
    ts = now_ms()
    pipe = client.pipeline(transaction=False)
    incidents = ports = 0
    for n in range(start, start + count):
        if n % 3:
            pipe.xadd(Stream.incidents.key(prefix), incident(f"I{n}", ts=ts))
            incidents += 1
        else:
            pipe.xadd(Stream.ports.key(prefix), {"port": "air-jed", "direction": "arrival",
                                                 "travellers": "1", "category": "pilgrim", "ts": ts})
            ports += 1
    pipe.execute()
    return incidents, ports


def travellers(store: Store) -> int:
    return sum(int(v) for key in store.client.scan_iter(f"{store.keys.prefix}:port:air-jed:*")
               for v in store.client.hvals(key))


def worker_process(redis_url: str, prefix: str, consumer: str, reclaim_idle_ms: int = 30_000
                   ) -> subprocess.Popen[str]:
    """``python -m app ingest`` as a separate process. A short ``reclaim_idle_ms`` suits a test where
    the other consumer is dead; with two live ones it would hand a slow worker's batch to the other."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASIRA_")}
    env.update(REDIS_URL=redis_url, BASIRA_STREAM_PREFIX=prefix, BASIRA_INGEST_CONSUMER=consumer,
               BASIRA_INGEST_BATCH="200", BASIRA_RECLAIM_IDLE_MS=str(reclaim_idle_ms))
    return subprocess.Popen([sys.executable, "-m", "app", "ingest"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def assert_exactly_once(store: Store, incidents: int, ports: int) -> None:
    assert len(store.live.incidents(Scope())) == incidents
    assert travellers(store) == ports
    stats = store.streams.stats()
    assert stats.get("ingested:incidents", 0) == incidents and stats.get("ingested:ports", 0) == ports
    for stream in (Stream.incidents, Stream.ports):
        assert store.client.xpending(stream.key(store.keys.prefix), "basira-ingest")["pending"] == 0


def pending_entries(client: redis.Redis, prefix: str) -> dict[Stream, dict[str, str]]:
    """The group's pending entries (id → the consumer holding it), per stream, by ``XPENDING``."""
    out: dict[Stream, dict[str, str]] = {}
    for stream in (Stream.incidents, Stream.ports):
        key = stream.key(prefix)
        count = client.xpending(key, "basira-ingest")["pending"]
        rows = client.xpending_range(key, "basira-ingest", min="-", max="+", count=count + 1) if count else []
        out[stream] = {row["message_id"]: row["consumer"] for row in rows}
    return out


def applied(store: Store) -> int:
    stats = store.streams.stats()
    return stats.get("ingested:incidents", 0) + stats.get("ingested:ports", 0)


#: Victims started, at most, until one is killed holding entries it has read and not committed.
KILL_ATTEMPTS = 5


def test_a_worker_killed_mid_batch_loses_nothing_and_counts_nothing_twice(client, settings, redis_url):
    store = Store.from_settings(settings)
    prefix = settings.stream_prefix
    totals = [0, 0]

    def load(count: int) -> None:
        i, p = write_load(client, prefix, sum(totals), count)
        totals[0] += i
        totals[1] += p

    for _ in range(10):
        load(3_000)

    # On a backlog a worker holds one round read and not yet committed while it reads the next, so a
    # kill part-way through almost always leaves entries pending; should it land between two commits
    # with nothing held, another victim is started on the rest of the backlog and killed in its turn.
    pending: dict[Stream, dict[str, str]] = {}
    victims: list[str] = []
    for attempt in range(KILL_ATTEMPTS):
        if sum(totals) - applied(store) < 9_000:
            load(9_000)  # a backlog for this victim to be killed in the middle of
        start = applied(store)
        victims.append(f"victim{attempt}")
        victim = worker_process(redis_url, prefix, victims[-1])
        try:
            # Under load: keep writing while the victim works, and kill it when it is part-way through.
            poll(lambda start=start: applied(store) > start + 2_000, 120, "the victim to get going")
            load(3_000)
        finally:
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=30)
        pending = pending_entries(client, prefix)
        if any(pending.values()):
            break
    held = {i for ids in pending.values() for i in ids}
    assert held, f"no kill in {KILL_ATTEMPTS} left an entry pending: the reclaim path was not tested"
    # Held by the dead victim alone, and nothing of them applied: a commit and its XACK are one
    # transaction, so a pending entry is one whose commit never ran. (A sharded store — on a cluster —
    # applies a round's incidents, a script a shard, before the transaction that counts and acknowledges
    # them: a kill in between leaves some applied and pending, and applying them again changes nothing.)
    assert set(pending[Stream.incidents].values()) | set(pending[Stream.ports].values()) == {victims[-1]}
    held_incidents = {fields["id"] for fields in store.streams.entries(
        Stream.incidents, list(pending[Stream.incidents])).values()}
    assert len(held_incidents) == len(pending[Stream.incidents])
    live_before = {f["id"] for f in store.live.incidents(Scope())}
    if store.keys.shards == 1:
        assert not held_incidents & live_before, "an entry still pending was applied already"
    assert applied(store) + len(held) <= sum(totals)
    print(f"killed {victims[-1]} holding {len(pending[Stream.incidents])} incident and "
          f"{len(pending[Stream.ports])} port entries; {applied(store):,} of {sum(totals):,} applied")

    rescuer = worker_process(redis_url, prefix, "rescuer", reclaim_idle_ms=500)
    try:
        poll(lambda: applied(store) >= sum(totals), 180, "the rescuer to apply everything")
        poll(lambda: not any(pending_entries(client, prefix).values()), 60, "no entry pending")
    finally:
        rescuer.send_signal(signal.SIGTERM)
        out, _ = rescuer.communicate(timeout=30)
    assert "Traceback" not in out
    # Entries pending with a dead consumer are not delivered by a plain read (">"): only XAUTOCLAIM
    # takes them over, so the rescuer reclaimed them, and applied each once.
    assert re.search(r"reclaimed \d+ pending entries", out), out[-2000:]
    assert held_incidents <= {f["id"] for f in store.live.incidents(Scope())}
    assert_exactly_once(store, *totals)


def test_two_workers_in_one_group_apply_everything_once(client, settings, redis_url):
    store = Store.from_settings(settings)
    workers = [worker_process(redis_url, settings.stream_prefix, name) for name in ("one", "two")]
    logs: list[list[str]] = [[], []]
    readers = [threading.Thread(target=lambda w=w, log=log: log.extend(w.stdout), daemon=True)
               for w, log in zip(workers, logs, strict=True)]
    for reader in readers:
        reader.start()
    try:
        # Both must be reading before the load arrives, or the first would drain it alone.
        poll(lambda: all(any("started" in line for line in list(log)) for log in logs), 60,
             "both workers to start")
        time.sleep(0.5)  # past start-up into their first blocking read (not a timing assertion)
        totals = write_load(client, settings.stream_prefix, 0, 12_000)
        stats = store.streams.stats
        poll(lambda: sum(v for k, v in stats().items() if k.startswith("ingested:")) >= sum(totals),
             180, "both workers to apply everything")
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        for reader in readers:
            reader.join(timeout=10)
        outputs = ["".join(log) for log in logs]
    assert all("Traceback" not in out for out in outputs)
    assert not any(re.search(r"\b0 applied", out) for out in outputs), "a worker did nothing"
    assert_exactly_once(store, *totals)


@pytest.fixture
def private_redis():
    """A Redis server of this test's own, which it may stop, restart and fill up."""
    server = start_embedded()
    yield server
    server.stop()


def test_redis_restart_is_survived_without_a_manual_step(private_redis, settings):
    settings = settings.model_copy(update={"redis_url": private_redis.url, "ingest_block_ms": 200})
    app = create_app(settings)
    http = app.test_client()
    store = Store.from_settings(settings)
    worker = IngestWorker(store, settings)
    thread = threading.Thread(target=worker.work, daemon=True)
    thread.start()
    try:
        store.client.xadd(Stream.incidents.key(settings.stream_prefix), incident("BEFORE"))
        poll(lambda: store.live.incidents(Scope()), 20, "the first incident")
        assert http.get("/readyz").status_code == 200

        port = private_redis.port
        private_redis.stop()
        down = http.get("/readyz")
        assert down.status_code == 503 and down.get_json()["problems"] == ["redis unreachable"]
        snap = http.get("/api/v1/snapshot")
        assert snap.status_code == 503 and "Traceback" not in snap.get_data(as_text=True)
        page = http.get("/")
        assert page.status_code == 200 and "Traceback" not in page.get_data(as_text=True)

        restarted = start_embedded(port=port)
        try:
            back = time.monotonic()
            poll(lambda: http.get("/readyz").status_code == 200, 30, "/readyz to recover")
            recovered_s = time.monotonic() - back
            # The server came back empty (no persistence here): the worker recreates its groups
            # and applies new entries with no manual step.
            poll(lambda: (store.client.xadd(Stream.incidents.key(settings.stream_prefix), incident("AFTER"))
                          and any(f["id"] == "AFTER" for f in store.live.incidents(Scope()))),
                 30, "the worker to apply an entry written after the restart")
            print(f"readyz recovered {recovered_s:.2f} s after Redis came back")
        finally:
            restarted.stop()
    finally:
        worker.stop()
        thread.join(timeout=15)
    assert not thread.is_alive()


def test_a_consumer_group_gone_since_the_worker_made_it_is_made_again_at_the_next_read(client, settings):
    """The restart above, in the order a loaded machine gave it: the worker's reconnection tried to make
    its groups while Redis was still down, and Redis then came back empty before the next read — which
    met no group (NOGROUP), and the worker retried that read for ever (seen in the suite under load)."""
    store = Store.from_settings(settings)
    worker = IngestWorker(store, settings)
    client.xadd(Stream.incidents.key(settings.stream_prefix), incident("BEFORE"))
    worker.work(burst=True)
    client.delete(*(stream.key(settings.stream_prefix) for stream in Stream))  # streams and groups gone
    client.xadd(Stream.incidents.key(settings.stream_prefix), incident("AFTER"))  # a producer writes again
    replies = store.streams.read_new(worker.group, worker.consumer, 10, None)
    assert [fields["id"] for stream, entries in replies for _id, fields in entries] == ["AFTER"]


def test_redis_at_maxmemory_errors_clearly_and_recovers(private_redis, settings, caplog):
    # the refused batch stays pending until it is reclaimed: a short idle time (not the default 30 s)
    # lets the recovery show in a second or two
    settings = settings.model_copy(update={"redis_url": private_redis.url, "ingest_block_ms": 200,
                                           "reclaim_idle_ms": 1000})
    store = Store.from_settings(settings)
    store.streams.ensure_groups(settings.ingest_group)
    key = Stream.incidents.key(settings.stream_prefix)
    for n in range(2_000):
        store.client.xadd(key, incident(f"M{n}", description="x" * 400))
    used = int(store.client.info("memory")["used_memory"])
    store.client.config_set("maxmemory-policy", "noeviction")
    store.client.config_set("maxmemory", str(used + 64 * 1024))  # room for reads, not for the state

    worker = IngestWorker(store, settings)
    thread = threading.Thread(target=worker.work, daemon=True)
    with caplog.at_level("ERROR", logger="basira.ingest"):
        thread.start()
        poll(lambda: any("OOM" in r.getMessage() or "maxmemory" in r.getMessage() for r in caplog.records),
             30, "a clear out-of-memory error in the log")
    assert thread.is_alive(), "the worker crashed at maxmemory"
    assert len(store.live.incidents(Scope())) < 2_000

    store.client.config_set("maxmemory", "0")  # memory frees up
    try:
        poll(lambda: len(store.live.incidents(Scope())) == 2_000, 60, "the worker to catch up")
        assert store.client.xpending(key, settings.ingest_group)["pending"] == 0
    finally:
        worker.stop()
        thread.join(timeout=15)
