"""Slim incident rows (app/store/incident_rows.py) read from the stored texts agree with the Features
parsed whole — whatever the producer put in the free text — on a real Redis, through a real worker."""

from __future__ import annotations

from app.contract import Scope, Stream
from app.ingest import IngestWorker
from app.store import Store
from app.store.incident_rows import row_of
from tests.helpers import incident

NASTY = [
    'quote " and backslash \\ and "opened":1,"dispatched":null,"on_scene":null}}',
    '"priority":1,"region":"SA-01"',
    "سطر\nجديد\tوعلامة ‮ RTL override",
    "<script>window.__pwned=1</script>",
    "",
]


def test_rows_match_the_parsed_features(client, settings):
    store = Store.from_settings(settings)
    p = settings.stream_prefix
    for n, text in enumerate(NASTY):
        client.xadd(Stream.incidents.key(p), incident(f"ID-{n}", priority=str(1 + n % 4), description=text,
                                                      status=["new", "dispatched", "on_scene"][n % 3]))
    client.xadd(Stream.incidents.key(p), incident("PLAIN", lat="24.7136", lon="46.6753", agency="traffic",
                                                  category="collision"))
    IngestWorker(store, settings).work(burst=True)
    features = {f["id"]: f for f in store.live.incidents(Scope())}
    rows = {r.id: r for r in store.live.incident_rows(Scope())}
    assert set(rows) == set(features) and len(rows) == len(NASTY) + 1
    for ident, feature in features.items():
        props, row = feature["properties"], rows[ident]
        assert (row.priority, row.status, row.region, row.agency) == (
            props["priority"], props["status"], props["region"], props["agency"])
        assert row.opened == props["opened"]
        assert [row.lon, row.lat] == feature["geometry"]["coordinates"]


def test_a_text_of_another_shape_is_parsed_whole_and_a_broken_one_is_skipped():
    other = ('{"id":"X","type":"Feature","properties":{"priority":2,"status":"new","region":"SA-01",'
             '"agency":"police","ts":5},"geometry":{"type":"Point","coordinates":[46.7,24.7]}}')
    row = row_of(other)
    assert row is not None and (row.id, row.priority, row.opened, row.lon) == ("X", 2, 5, 46.7)
    assert row_of('{"type":"Feature"') is None
