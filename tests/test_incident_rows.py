"""Slim incident rows (app/store/incident_rows.py) read from the stored texts agree with the Features
parsed whole — whatever the producer put in the free text — on a real Redis, through a real worker."""

from __future__ import annotations

import orjson

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


def test_the_few_rows_shown_whole_are_read_again_by_id_in_their_order(client, settings):
    """Rows hold no text (a summary of 100,000 would hold every text at once): the few incidents the
    list shows are read again by id, in the rows' order; one closed meanwhile is left out."""
    store = Store.from_settings(settings)
    p = settings.stream_prefix
    for n in range(30):  # enough to span several scope cells: regions and agencies vary
        client.xadd(Stream.incidents.key(p), incident(f"R{n}", priority=str(1 + n % 4),
                                                      agency=["patrol", "traffic", "red_crescent"][n % 3],
                                                      lat=str(21.4 + n % 5), lon=str(39.8 + n % 7)))
    IngestWorker(store, settings).work(burst=True)
    rows = sorted(store.live.incident_rows(Scope()), key=lambda r: (r.priority, r.id))
    assert len(rows) == 30 and len({(r.region, r.agency) for r in rows}) > 1
    assert not hasattr(rows[0], "text")
    texts = store.live.incident_texts(rows[:10])
    assert [orjson.loads(t)["id"] for t in texts] == [r.id for r in rows[:10]]
    client.xadd(Stream.incidents.key(p), incident(rows[3].id, agency=rows[3].agency, status="closed",
                                                  lat=str(21.4 + int(rows[3].id[1:]) % 5),
                                                  lon=str(39.8 + int(rows[3].id[1:]) % 7)))
    IngestWorker(store, settings).work(burst=True)
    assert [orjson.loads(t)["id"] for t in store.live.incident_texts(rows[:10])] == [
        r.id for r in rows[:10] if r is not rows[3]]
