"""A batch has exactly the effect of its entries applied one at a time, however the worker commits it.

The apply scripts read a batch's index entries at once and write its net effect grouped by key
(:mod:`app.store.lua`). Whatever the batch holds — the same unit several times, moves between
cells, replays, older entries after newer ones — the state must be what one-entry batches give.
On a backlog (full batches) Redis applies one round while the worker validates the next — sent
without waiting (:class:`app.ingest.PipelinedCommitter`) or on a second thread
(:class:`app.ingest.ThreadedCommitter`); a commit refused there must lose nothing.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
import redis

from app.contract import Scope, Stream
from app.ingest import IngestWorker, PipelinedCommitter
from app.settings import Settings
from app.store import CommitRefused, Store, StoreRefused
from app.store.apply import Apply
from app.store.embedded import start_embedded
from app.store.pipelined import possible
from tests.helpers import incident, now_ms, unit
from tests.keyspace import keys_under, relative
from tests.test_ingest import state_dump

#: Points in four different regions (Makkah, Riyadh, the Eastern Province, Tabuk) and one at sea.
PLACES = [("21.4225", "39.8262"), ("24.7136", "46.6753"), ("26.4207", "50.0888"), ("28.3835", "36.5662"),
          ("21.5", "38.5")]  # fmt: skip


def entries(seed: int) -> dict[Stream, list[dict[str, str]]]:
    rng = random.Random(seed)
    base = now_ms() - 60_000
    units, incidents = [], []
    for _ in range(240):
        lat, lon = rng.choice(PLACES)
        ts = str(base + rng.randrange(0, 40) * 250)  # repeats and reversals in time
        units.append(unit(f"U{rng.randrange(12)}", lat=lat, lon=lon, ts=ts,
                          agency=rng.choice(["patrol", "traffic"]), heading=str(rng.randrange(360))))
    for _ in range(120):
        lat, lon = rng.choice(PLACES)
        ts = str(base + rng.randrange(0, 40) * 250)
        incidents.append(incident(f"I{rng.randrange(10)}", lat=lat, lon=lon, ts=ts,
                                  status=rng.choice(["new", "dispatched", "on_scene", "closed"]),
                                  agency=rng.choice(["patrol", "civil_defense"])))
    return {Stream.units: units, Stream.incidents: incidents}


def apply(
    client: redis.Redis, settings: Settings, batch: int, feed: dict[Stream, list], live: bool = False
) -> dict:
    """The state after a worker applied ``feed`` with batches of ``batch``: in burst mode, or ``live``
    (the loop as deployed, in a thread: on a backlog it commits each round while validating the next)."""
    # live: no reclaiming during the test, so that an entry the loop dropped would stay missing
    changes = {"ingest_batch": batch, "trail_points": 3, "reclaim_idle_ms": 600_000}
    settings = settings.model_copy(update=changes)
    for stream, items in feed.items():
        for fields in items:
            client.xadd(stream.key(settings.stream_prefix), fields)
    store = Store.from_settings(settings)
    worker = IngestWorker(store, settings)
    if live:
        thread = threading.Thread(target=worker.work, daemon=True)
        thread.start()
        total = sum(len(items) for items in feed.values())
        deadline = time.monotonic() + 30
        while sum(int(v) for v in store.streams.stats().values()) < total and time.monotonic() < deadline:
            time.sleep(0.05)
        worker.stop()
        thread.join(timeout=10)
        assert sum(int(v) for v in store.streams.stats().values()) == total
    else:
        worker.work(burst=True)
    prefix = settings.stream_prefix
    dump = state_dump(client, prefix, changes=False)
    return {relative(key, prefix): value for key, value in dump.items()}


def test_one_batch_equals_one_entry_at_a_time(client, settings) -> None:
    other = settings.model_copy(update={"stream_prefix": settings.stream_prefix + "x"})
    try:
        for seed in (1, 2):
            client.delete(*keys_under(client, settings.stream_prefix), "-")
            client.delete(*keys_under(client, other.stream_prefix), "-")
            feed = entries(seed)
            batched = apply(client, settings, 1000, feed)
            single = apply(client, other, 1, feed)
            assert batched == single
            for pipelined in (True, False):  # a backlog: full rounds, committed either way
                client.delete(*keys_under(client, other.stream_prefix), "-")
                pipelined_or_not = other.model_copy(update={"ingest_pipelined": pipelined})
                assert apply(client, pipelined_or_not, 7, feed, live=True) == single
            assert any(":unit:trail:" in key for key in batched)
            assert sum(":unit:live:" in key for key in batched) >= 3  # units moved between cells
    finally:
        for key in keys_under(client, other.stream_prefix):
            client.unlink(key)


@pytest.mark.parametrize("pipelined", [True, False], ids=["pipelined", "threaded"])
def test_a_commit_redis_refuses_on_a_backlog_loses_nothing(settings, monkeypatch, pipelined) -> None:
    """Redis full at the third commit (a server of the test's own): the transaction is refused as it is
    queued, nothing of it runs, the worker stops on the refusal (burst), its entries stay pending and a
    successor applies them all once — whichever way the worker commits."""
    server = start_embedded()
    try:
        settings = settings.model_copy(update={"redis_url": server.url, "ingest_batch": 5,
                                               "ingest_pipelined": pipelined})
        store = Store.from_settings(settings)
        for n in range(30):
            store.client.xadd(Stream.units.key(settings.stream_prefix), unit(f"U{n}"))
        store.client.config_set("maxmemory-policy", "noeviction")
        queued = {"n": 0}
        real = Apply.queue_transaction

        def full_from_the_third(self: Apply, pipe, batch, group, now_ms, **options) -> dict:
            queued["n"] += 1
            if queued["n"] == 3:
                store.client.config_set("maxmemory", "1")
            return real(self, pipe, batch, group, now_ms, **options)

        monkeypatch.setattr(Apply, "queue_transaction", full_from_the_third)
        worker = IngestWorker(store, settings)
        assert worker.pipelined is pipelined
        with pytest.raises(StoreRefused, match="maxmemory"):  # Redis's refusal, the store's error (burst)
            worker.work(burst=True)
        key = Stream.units.key(settings.stream_prefix)
        assert store.client.xpending(key, settings.ingest_group)["pending"] > 0
        assert 0 < len(store.live.units(Scope())) < 30
        store.client.config_set("maxmemory", "0")
        # the successor (or the same worker, restarted) takes the pending entries over: all applied, once
        IngestWorker(store, settings.model_copy(update={"reclaim_idle_ms": 1})).work(burst=True)
        assert store.client.xpending(key, settings.ingest_group)["pending"] == 0
        assert len(store.live.units(Scope())) == 30
        assert store.streams.stats()["ingested:units"] == 30
    finally:
        server.stop()


def test_validation_hands_the_gil_over_every_so_many_entries_and_decides_the_same(
        settings, monkeypatch) -> None:
    """A worker that commits on a second thread lets it run every ``PAUSE_EVERY`` entries of validation (a
    reply from Redis would otherwise wait for CPython's switch interval); the batch is the same either way."""
    from app import prepare as prepare_module
    from app.ingest import PAUSE_EVERY
    from app.prepare import Preparer
    from app.reference import Reference

    regions = Reference.from_settings(settings).region_index
    store = Store.from_settings(settings)
    feed = [(f"1-{n}", fields) for n, fields in enumerate(entries(3)[Stream.units])]
    feed[7] = ("1-7", {**feed[7][1], "lat": "north"})  # one rejected among them
    pauses: list[float] = []
    real_sleep = prepare_module.time.sleep
    monkeypatch.setattr(prepare_module.time, "sleep", lambda s: (pauses.append(s), real_sleep(s)))
    quiet = Preparer(regions, store.ports).prepare(Stream.units, feed, now_ms())
    assert pauses == []
    paused = Preparer(regions, store.ports, pause_every=PAUSE_EVERY).prepare(Stream.units, feed, now_ms())
    assert pauses == [0] * (len(feed) // PAUSE_EVERY) and len(pauses) >= 4
    assert paused.events == quiet.events and paused.rejected == quiet.rejected and len(quiet.rejected) == 1
    # only a worker that commits on a second thread pauses: with no such thread a pause helps nothing
    threaded = IngestWorker(store, settings.model_copy(update={"ingest_pipelined": False}))
    assert (threaded.pipelined, threaded.preparer.pause_every) == (False, PAUSE_EVERY)
    default = IngestWorker(store, settings)  # pipelined where the store allows it (not on a Cluster)
    expected = (True, 0) if possible(store.apply) else (False, PAUSE_EVERY)
    assert (default.pipelined, default.preparer.pause_every) == expected


@pytest.mark.parametrize("pipelined", [True, False], ids=["pipelined", "threaded"])
def test_a_script_cache_flushed_while_the_worker_runs_loses_nothing(settings, pipelined) -> None:
    """Redis forgets its scripts (``SCRIPT FLUSH``; a replica promoted without them) between two rounds:
    every entry is applied once, none rejected (pipelined commits send each script's source)."""
    server = start_embedded()
    try:
        settings = settings.model_copy(update={"redis_url": server.url, "ingest_pipelined": pipelined})
        store = Store.from_settings(settings)
        worker = IngestWorker(store, settings)
        key = Stream.units.key(settings.stream_prefix)
        for n in range(20):
            store.client.xadd(key, unit(f"U{n}"))
        worker.work(burst=True)
        store.client.script_flush()
        for n in range(20, 40):
            store.client.xadd(key, unit(f"U{n}"))
        worker.work(burst=True)
        assert len(store.live.units(Scope())) == 40
        assert store.streams.stats() == {"ingested:units": 40}
    finally:
        server.stop()


def test_a_round_with_a_batch_redis_refused_still_isolates_the_batch_that_failed_on_an_entry(
        settings) -> None:
    """Redis ran every transaction of a round sent without waiting: one refused as queued (memory: its
    entries stay pending) and one failed inside EXEC (acknowledged, its state not applied). The second
    is committed again one entry at a time before the refusal is raised — not dropped with it."""
    server = start_embedded()  # one Redis of its own: pipelined commits serve no Cluster
    try:
        settings = settings.model_copy(update={"redis_url": server.url})
        store = Store.from_settings(settings)
        worker = IngestWorker(store, settings)
        committer = PipelinedCommitter(store, settings.ingest_group, "test", time.time)
        failed = worker.prepare(Stream.units, [("1-1", unit("A")), ("1-2", unit("B"))])
        refused = worker.prepare(Stream.incidents, [("1-3", incident("I1"))])
        outcomes = [(refused, StoreRefused(redis.ResponseError("OOM command not allowed when used memory"))),
                    (failed, CommitRefused(redis.ResponseError("ERR Error running script")))]
        with pytest.raises(StoreRefused, match="OOM"):
            committer._done(outcomes)
        assert sorted(u["id"] for u in store.live.units(Scope())) == ["A", "B"]
        assert store.live.incidents(Scope()) == []
    finally:
        server.stop()
