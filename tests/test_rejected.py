"""`python -m app rejected`: listing by reason and re-submitting after a fix."""

from __future__ import annotations

import orjson

from app.contract import Scope, Stream
from app.ingest import IngestWorker
from app.rejected import resubmit, summary
from app.store import Store
from app.store.connection import bytes_client
from tests.helpers import incident


def test_rejected_entries_are_grouped_and_can_be_resubmitted(client, settings):
    store = Store.from_settings(settings)
    worker = IngestWorker(store, settings)
    key = Stream.incidents.key(settings.stream_prefix)
    client.xadd(key, incident("A", lat="abc"))
    client.xadd(key, incident("B", lat="north"))
    client.xadd(key, incident("C", priority="9"))
    worker.work(burst=True)

    counts = summary(store)
    assert counts[(key, "lat: expected a number")] == 2
    assert sum(counts.values()) == 3

    # The producer's data cannot be fixed in place, but a contract fix can: simulate one by
    # correcting the stored original fields, then re-submit only the lat rejects.
    for entry_id, fields in client.xrange(store.keys.rejected):
        if '"lat"' in fields["fields"] and "lat:" in fields["reason"]:
            client.xadd(store.keys.rejected, {**fields, "fields": fields["fields"].replace(
                '"abc"', '"21.4"').replace('"north"', '"21.5"')})
            client.xdel(store.keys.rejected, entry_id)
    assert resubmit(store, reason="lat", dry_run=True) == 2
    assert resubmit(store, reason="lat") == 2
    worker.work(burst=True)
    assert {f["id"] for f in store.live.incidents(Scope())} == {"A", "B"}
    remaining = summary(store)
    assert sum(remaining.values()) == 1
    assert (key, "priority: Input should be less than or equal to 4") in remaining


def test_resubmitting_a_still_invalid_entry_rejects_it_again(client, settings):
    store = Store.from_settings(settings)
    worker = IngestWorker(store, settings)
    client.xadd(Stream.incidents.key(settings.stream_prefix), incident("A", category="ufo"))
    worker.work(burst=True)
    assert resubmit(store) == 1
    assert sum(summary(store).values()) == 0
    worker.work(burst=True)
    assert sum(summary(store).values()) == 1


def test_a_huge_rejected_entry_is_kept_cut_and_never_resubmitted(client, settings):
    """A 1 MB entry is not kept whole: each value is cut to 4 KB and the whole to ~16 KB, the
    original size noted; resubmitting it would write a different entry, so it is refused."""
    store = Store.from_settings(settings)
    key = Stream.incidents.key(settings.stream_prefix)
    client.xadd(key, incident("HUGE", lat="abc", description="x" * 1_000_000,
                              **{f"extra{n}": "y" * 3000 for n in range(10)}))
    IngestWorker(store, settings).work(burst=True)

    [(rejected_id, entry)] = client.xrange(store.keys.rejected)
    assert int(entry["truncated"]) > 1_000_000
    assert sum(len(v) for v in entry.values()) < 20_000
    kept = orjson.loads(entry["fields"])
    assert kept["id"] == "HUGE" and len(kept["description"]) == 4096

    refused: list = []
    assert resubmit(store, refused=refused) == 0
    assert [r.entry_id for r in refused] == [rejected_id]
    assert "cut" in refused[0].refusal
    assert client.xlen(store.keys.rejected) == 1  # still there, untouched
    assert client.xlen(key) == 1


def test_an_entry_that_was_not_utf8_is_resubmitted_byte_for_byte(client, settings):
    store = Store.from_settings(settings)
    key = Stream.incidents.key(settings.stream_prefix)
    client.xadd(key, {**incident("RAW"), "description": b"ok \xff\xfe"})
    IngestWorker(store, settings).work(burst=True)
    assert resubmit(store) == 1
    raw = bytes_client(store.client)  # bytes, as they are in Redis
    [(_id, fields)] = raw.xrange(key, count=1, min="(" + store.client.xrange(key)[0][0])
    assert fields[b"description"] == b"ok \xff\xfe" and fields[b"id"] == b"RAW"
