"""Poison entries: no entry, however malformed, stops ingestion.

Producers write bytes, not text: an entry that is not valid UTF-8 (in a value or a field name), a
value that makes a commit fail inside Redis, an entry that keeps killing the workers that take it —
each is rejected with a reason into ``<prefix>:rejected`` (its original bytes kept), and the entries
around it are applied. Everything runs against a real Redis; the worker drains with ``burst=True``.
"""

from __future__ import annotations

import base64

import orjson
import redis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from app import create_app
from app.contract import Scope, Stream
from app.ingest import IngestWorker
from app.store import Store
from tests.helpers import call, incident, port_entry, unit


def rejected_entries(client: redis.Redis, store: Store) -> list[dict[str, str]]:
    return [fields for _id, fields in client.xrange(store.keys.rejected)]


def original_bytes(entry: dict[str, str]) -> dict[bytes, bytes]:
    """The exact bytes a rejected entry was written with (``fields_b64`` when it was not UTF-8)."""
    if "fields_b64" in entry:
        pairs = orjson.loads(entry["fields_b64"])
        return {base64.b64decode(k): base64.b64decode(v) for k, v in pairs}
    return {k.encode(): v.encode() for k, v in orjson.loads(entry["fields"]).items()}


def test_a_value_that_is_not_utf8_is_rejected_and_the_worker_goes_on(client, settings):
    store = Store.from_settings(settings)
    key = Stream.incidents.key(settings.stream_prefix)
    bad = {**incident("BAD1"), "description": b"ok \xff\xfe"}
    client.xadd(key, bad)
    client.xadd(key, incident("GOOD1"))
    worker = IngestWorker(store, settings)
    worker.work(burst=True)

    assert [f["id"] for f in store.live.incidents(Scope())] == ["GOOD1"]
    [entry] = rejected_entries(client, store)
    assert "not valid UTF-8" in entry["reason"] and "description" in entry["reason"]
    shown = orjson.loads(entry["fields"])
    assert shown["id"] == "BAD1" and shown["description"] == "ok \\xff\\xfe"
    assert original_bytes(entry)[b"description"] == b"ok \xff\xfe"
    assert client.xpending(key, settings.ingest_group)["pending"] == 0
    assert store.streams.stats() == {"ingested:incidents": 1, "rejected:incidents": 1}


def test_a_field_name_that_is_not_utf8_is_rejected(client, settings):
    store = Store.from_settings(settings)
    key = Stream.units.key(settings.stream_prefix)
    client.xadd(key, {**unit("U-BAD"), b"note\xc3": b"x"})
    client.xadd(key, unit("U-GOOD"))
    IngestWorker(store, settings).work(burst=True)

    assert [f["id"] for f in store.live.units(Scope())] == ["U-GOOD"]
    [entry] = rejected_entries(client, store)
    assert "not valid UTF-8" in entry["reason"] and "field name" in entry["reason"]
    assert original_bytes(entry)[b"note\xc3"] == b"x"


def test_arabic_in_windows_1256_and_utf8_encoded_surrogates_are_rejected(client, settings):
    store = Store.from_settings(settings)
    key = Stream.incidents.key(settings.stream_prefix)
    cp1256 = "حريق في المبنى".encode("cp1256")
    client.xadd(key, {**incident("W1"), "description": cp1256})
    client.xadd(key, {**incident("W2"), "id": b"\xed\xa0\x80"})
    client.xadd(key, incident("W3", description="حريق في المبنى"))
    IngestWorker(store, settings).work(burst=True)

    [applied] = store.live.incidents(Scope())
    assert applied["id"] == "W3" and applied["properties"]["description"] == "حريق في المبنى"
    entries = rejected_entries(client, store)
    assert [original_bytes(e).get(b"description", original_bytes(e).get(b"id")) for e in entries] == [
        cp1256, b"\xed\xa0\x80"]
    assert all("not valid UTF-8" in e["reason"] for e in entries)


def test_a_commit_redis_refuses_rejects_only_the_entry_it_fails_on(client, settings):
    """A value the apply script cannot handle (here a corrupt index entry makes it fail on one
    incident) must neither stop the worker nor be retried forever: the batch is committed entry
    by entry, and the entry that still fails is rejected with the error's name."""
    store = Store.from_settings(settings)
    client.hset(store.keys.shard_of("CORRUPT").incident_index, "CORRUPT", "not|a|valid|record")
    key = Stream.incidents.key(settings.stream_prefix)
    for n in range(3):
        client.xadd(key, incident(f"OK{n}"))
    client.xadd(key, incident("CORRUPT"))
    for n in range(3, 6):
        client.xadd(key, incident(f"OK{n}"))
    worker = IngestWorker(store, settings)
    worker.work(burst=True)

    assert sorted(f["id"] for f in store.live.incidents(Scope())) == [f"OK{n}" for n in range(6)]
    [entry] = rejected_entries(client, store)
    assert orjson.loads(entry["fields"])["id"] == "CORRUPT"
    assert entry["reason"].startswith("could not be applied (ResponseError")
    assert store.streams.stats() == {"ingested:incidents": 6, "rejected:incidents": 1}
    assert client.xpending(key, settings.ingest_group)["pending"] == 0


def test_an_entry_delivered_too_often_is_dead_lettered(client, settings):
    """Workers that die on an entry leave it pending; after ``ingest_max_deliveries`` deliveries it
    goes to the rejected stream with its fields instead of being handed out again."""
    settings = settings.model_copy(update={"ingest_max_deliveries": 3})
    store = Store.from_settings(settings)
    store.streams.ensure_groups(settings.ingest_group)
    key = Stream.incidents.key(settings.stream_prefix)
    killer = client.xadd(key, incident("KILLER"))
    client.xadd(key, incident("FINE"))
    # Three workers took it and died (delivery count 3, idle for long).
    client.xreadgroup(settings.ingest_group, "dead-1", {key: ">"}, count=1)
    client.xclaim(key, settings.ingest_group, "dead-3", 0, [killer], idle=10**8, retrycount=3)
    IngestWorker(store, settings).work(burst=True)

    assert [f["id"] for f in store.live.incidents(Scope())] == ["FINE"]
    [entry] = rejected_entries(client, store)
    assert entry["reason"] == "failed 3 deliveries" and entry["entry_id"] == killer
    assert orjson.loads(entry["fields"])["id"] == "KILLER"
    assert client.xpending(key, settings.ingest_group)["pending"] == 0


def test_readiness_fails_when_no_worker_makes_progress_while_entries_wait(client, settings):
    """A young entry waiting is no lag yet; but with no worker progress within the lag limit
    (here none ever), the picture is not being kept up to date."""
    app = create_app(settings.model_copy(update={"ready_max_lag_s": 5.0}))
    store = Store.from_settings(settings)
    store.streams.ensure_groups(settings.ingest_group)
    http = app.test_client()
    assert http.get("/readyz").status_code == 200  # nothing waiting: an idle system is ready
    client.xadd(Stream.incidents.key(settings.stream_prefix), incident("WAITING"))
    reply = http.get("/readyz")
    assert reply.status_code == 503
    assert "no ingest progress" in reply.get_json()["problems"][0]
    IngestWorker(store, settings).work(burst=True)
    assert http.get("/readyz").status_code == 200


# -- no input can stop the worker: a property over raw bytes ------------------------------------

raw = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"", b"\x00", b"ok \xff\xfe", b"\xed\xa0\x80", b"\xc3", b"\xf4\x90\x80\x80",
                     "حريق".encode("cp1256"), "حريق".encode(), b"x" * 5000, b"\x00" * 300]),
    st.text(max_size=20).map(str.encode),
)
names = st.one_of(st.sampled_from([b"id", b"status", b"agency", b"category", b"priority", b"lat",
                                   b"lon", b"ts", b"description", b"units", b"region"]), raw)
raw_entries = st.lists(
    st.tuples(st.sampled_from([Stream.incidents, Stream.units, Stream.ports, Stream.calls]),
              st.booleans(), st.dictionaries(names, raw, min_size=1, max_size=6)),
    min_size=1, max_size=8,
)
VALID = {Stream.incidents: incident, Stream.units: unit, Stream.ports: port_entry, Stream.calls: call}


def test_no_input_stops_the_worker(client, settings):
    store = Store.from_settings(settings)
    worker = IngestWorker(store, settings)
    written = {"n": 0}

    @hsettings(max_examples=60, deadline=None, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture])
    @given(batch=raw_entries, good=incident_or_unit_ids())
    def run(batch: list[tuple[Stream, bool, dict[bytes, bytes]]], good: str) -> None:
        pipe = client.pipeline(transaction=False)
        for stream, on_valid, fields in batch:
            # a valid entry's fields with the raw ones over them, or the raw ones alone
            base = {k.encode(): v.encode() for k, v in VALID[stream]().items()} if on_valid else {}
            pipe.xadd(stream.key(settings.stream_prefix), {**base, **fields})
        pipe.xadd(Stream.incidents.key(settings.stream_prefix), incident(good))
        pipe.execute()
        written["n"] += len(batch) + 1
        worker.work(burst=True)
        # still alive, and the valid entry written after the hostile ones is in the picture
        assert good in {f["id"] for f in store.live.incidents(Scope())}

    run()
    stats = store.streams.stats()
    handled = sum(v for k, v in stats.items() if k.startswith(("ingested:", "rejected:")))
    assert handled == written["n"], stats
    for stream in Stream:
        assert client.xpending(stream.key(settings.stream_prefix), settings.ingest_group)["pending"] == 0
    for _id, entry in client.xrange(store.keys.rejected):
        assert entry["reason"] and isinstance(orjson.loads(entry["fields"]), dict)


def incident_or_unit_ids() -> st.SearchStrategy[str]:
    return st.integers(min_value=0, max_value=10**6).map(lambda n: f"PROBE-{n}")
