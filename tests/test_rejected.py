"""`python -m app rejected`: listing by reason and re-submitting after a fix."""

from __future__ import annotations

from app.contract import Scope, Stream
from app.ingest import IngestWorker
from app.rejected import resubmit, summary
from app.store import Store
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
    assert {f["id"] for f in store.incidents(Scope())} == {"A", "B"}
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
