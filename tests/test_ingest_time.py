"""The picture's time is the server's: an entry dated ahead (within the contract's skew) is shown
as sent and flagged, and never moves "data as of" for every viewer."""

from __future__ import annotations

from app.contract import MAX_FUTURE_MS, Scope, Stream
from app.ingest import IngestWorker
from app.store import Store
from tests.helpers import incident

NOW_MS = 1_795_886_100_000  # the worker's clock


def test_a_future_dated_entry_does_not_move_the_pictures_time_and_is_flagged(client, settings):
    store = Store.from_settings(settings)
    key = Stream.incidents.key(settings.stream_prefix)
    ahead = NOW_MS + MAX_FUTURE_MS - 3_600_000  # 23 h ahead: accepted
    client.xadd(key, incident("NOW", ts=NOW_MS - 5_000))
    client.xadd(key, incident("AHEAD", ts=ahead))
    IngestWorker(store, settings, clock=lambda: NOW_MS / 1000).work(burst=True)

    assert store.meta.as_of() == NOW_MS  # the apply time, not 23 h ahead
    features = {f["id"]: f["properties"] for f in store.live.incidents(Scope())}
    assert features["AHEAD"]["ts"] == ahead and features["AHEAD"]["future"] is True
    assert "future" not in features["NOW"]
    assert store.meta.as_of() == NOW_MS


def test_the_pictures_time_is_still_the_newest_event_when_it_is_behind(client, settings):
    store = Store.from_settings(settings)
    client.xadd(Stream.incidents.key(settings.stream_prefix), incident("OLD", ts=NOW_MS - 60_000))
    IngestWorker(store, settings, clock=lambda: NOW_MS / 1000).work(burst=True)
    assert store.meta.as_of() == NOW_MS - 60_000
