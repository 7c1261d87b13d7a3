"""A demo store stays a demo store only while nothing but the simulator writes to it (issue 10).

``mark_demo()`` gives the simulator a secret stamp, which it writes into every entry; the ingest
worker ends the demo — in the very transaction that applies (or rejects) it — at the first entry
without that stamp, and the store can never be marked again. The kiosk at ``/demo`` then shows
nothing, and the stamp itself never leaves the server.
"""

from __future__ import annotations

import pytest
import redis

from app.contract import SIM_STAMP, Scope, Stream
from app.ingest import IngestWorker
from app.settings import Settings
from app.store import NotADemoStore, Store
from app.store.meta import Meta
from tests.helpers import callback_body, incident, simulated, unit


def _feed(client: redis.Redis, settings: Settings, entries: dict[Stream, list[dict[str, str]]]) -> None:
    for stream, items in entries.items():
        for fields in items:
            client.xadd(stream.key(settings.stream_prefix), fields)
    IngestWorker(Store.from_settings(settings), settings).work(burst=True)


def test_the_first_unstamped_entry_ends_the_demo_atomically_with_its_apply(client, settings) -> None:
    store = Store.from_settings(settings)
    token = store.meta.mark_demo()
    assert token and len(token) >= 32
    assert store.meta.mark_demo() == token  # marking again (a restarted simulator) keeps the stamp

    _feed(client, settings, simulated(token, {Stream.incidents: [incident("SIM1")],
                                              Stream.units: [unit("SIMU1")]}))
    assert store.meta.is_demo()
    assert store.meta.glance() == (store.meta.freshness(), True)  # what a live page's refresh reads
    assert not client.hexists(store.keys.meta, "real")

    # a real producer writes one entry: applied, and the store is no longer a demo store
    _feed(client, settings, {Stream.incidents: [incident("REAL1", lat="24.7136", lon="46.6753")]})
    assert {f["id"] for f in store.live.incidents(Scope())} == {"SIM1", "REAL1"}
    assert not store.meta.is_demo()
    assert store.meta.glance() == (store.meta.freshness(), False)
    meta = client.hgetall(store.keys.meta)
    assert "demo" not in meta and int(meta["real"]) > 0 and "demo_token" not in meta
    with pytest.raises(NotADemoStore, match="not written by the simulator"):
        store.meta.mark_demo()
    assert not store.meta.is_demo()

    # the simulator's own entries, still stamped, do not bring it back
    _feed(client, settings, simulated(token, {Stream.units: [unit("SIMU2")]}))
    assert not store.meta.is_demo()


@pytest.mark.parametrize("stamp", [None, "a guess", "x" * 5000])
def test_a_rejected_entry_from_another_producer_ends_the_demo_too(client, settings, stamp) -> None:
    store = Store.from_settings(settings)
    store.meta.mark_demo()
    bad = incident("BAD1", lat="abc")
    if stamp is not None:
        bad[SIM_STAMP] = stamp
    _feed(client, settings, {Stream.incidents: [bad]})
    assert store.rejected.newest()[0][1]["entry_id"]  # rejected, not applied
    assert not store.meta.is_demo()
    with pytest.raises(NotADemoStore):
        store.meta.mark_demo()


def test_a_store_written_by_a_producer_before_any_mark_is_never_a_demo_store(client, settings) -> None:
    store = Store.from_settings(settings)
    _feed(client, settings, {Stream.units: [unit("U1")]})
    with pytest.raises(NotADemoStore):
        store.meta.mark_demo()
    assert not store.meta.is_demo()


def test_entries_applied_one_at_a_time_after_a_refused_batch_keep_their_stamps(client, settings) -> None:
    """A batch that Redis refuses is committed entry by entry (``commit_isolating``): the simulator's
    entries keep their stamps on that path too."""
    from app.ingest import commit_isolating
    from app.store import Batch

    store = Store.from_settings(settings)
    token = store.meta.mark_demo()
    key = Stream.units.key(settings.stream_prefix)
    entries = simulated(token, {Stream.units: [unit("A"), unit("B")]})[Stream.units]
    ids = [client.xadd(key, fields) for fields in entries]
    worker = IngestWorker(store, settings)
    batch = worker.prepare(Stream.units, client.xrange(key))
    singles = Batch(Stream.units, events=batch.events[:1], stamps=batch.stamps)
    assert commit_isolating(store, singles, None, 0).entry_ids == ids[:1]
    assert store.meta.is_demo()
    unstamped = Batch(Stream.units, events=batch.events[1:])  # lost its stamps: counts as a real entry
    commit_isolating(store, unstamped, None, 0)
    assert not store.meta.is_demo()


def test_the_stamp_never_leaves_the_server(client, settings) -> None:
    from app import create_app

    store = Store.from_settings(settings)
    token = store.meta.mark_demo()
    _feed(client, settings, simulated(token, {Stream.incidents: [incident("SIM1")],
                                              Stream.units: [unit("U1")]}))
    app = create_app(settings)
    http = app.test_client()
    answers = [http.get(path).get_data(as_text=True)
               for path in ("/api/v1/snapshot", "/readyz", "/metrics", "/demo", "/", "/api/v1/feed")]
    assert '"demo":true' in answers[0].replace(" ", "")
    assert all(token not in answer for answer in answers)


def test_the_simulators_entries_keep_a_demo_store_a_demo_store(client, settings) -> None:
    from app.simulation import World, run

    store = Store.from_settings(settings)
    token = store.meta.mark_demo()
    stats = run(client, settings.stream_prefix, rate=2.0, seed=3, time_scale=10, units=30, duration=0.5,
                backfill_s=60, world=World.from_settings(settings), progress=None, tick_s=0.1, stamp=token)
    assert all(fields[SIM_STAMP] == token
               for stream in Stream for _id, fields in client.xrange(stream.key(settings.stream_prefix)))
    assert IngestWorker(store, settings).work(burst=True) == sum(stats[f"entries_{s.value}"] for s in Stream)
    assert store.meta.is_demo()


def test_simulate_refuses_a_store_that_real_entries_reached(client, settings, capsys) -> None:
    from app.__main__ import _refuse_real_store

    store = Store.from_settings(settings)
    store.meta.mark_demo()
    _refuse_real_store(settings)  # a demo store: may be written again
    _feed(client, settings, {Stream.units: [unit("U1")]})
    with pytest.raises(SystemExit) as exited:
        _refuse_real_store(settings)
    assert "has received entries not written by the simulator" in str(exited.value)
    assert "can never be a demo store" in str(exited.value)


def _kiosk_refresh_body(app) -> dict:  # noqa: ANN001 - a Flask app
    """The kiosk's refresh callback as the browser posts it (built from the registered callback)."""
    values = {"kiosk-pulse.data": {"at": 1}, "kiosk-lang.value": "en", "kiosk-view.data": {}}
    return callback_body(app, "kiosk-root.className", values, "kiosk-pulse.data")


def test_the_kiosk_asks_again_after_reading(client, settings, monkeypatch) -> None:
    """A real entry applied between the kiosk's check and its reads: what it read is not shown."""
    from app import create_app

    store = Store.from_settings(settings)
    token = store.meta.mark_demo()
    _feed(client, settings, simulated(token, {Stream.incidents: [incident("SIM1")]}))
    app = create_app(settings)
    http = app.test_client()
    body = _kiosk_refresh_body(app)
    shown = http.post("/_dash-update-component", json=body).get_data(as_text=True)
    assert "SIM1" in shown and "is-shown" in shown

    original, answers = Meta.is_demo, []

    def a_real_entry_arrives_just_after_the_check(self: Meta) -> bool:
        answer = original(self)
        if not answers:
            _feed(client, settings, {Stream.incidents: [incident("REAL1", lat="24.7136", lon="46.6753")]})
        answers.append(answer)
        return answer

    monkeypatch.setattr(Meta, "is_demo", a_real_entry_arrives_just_after_the_check)
    answer = http.post("/_dash-update-component", json=body)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answers[0] is True
    assert "REAL1" not in text and "SIM1" not in text and "is-refused" in text
