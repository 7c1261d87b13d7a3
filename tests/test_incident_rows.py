"""Slim incident rows (app/store/incident_rows.py), kept by the apply script beside the Features, agree
with the Features parsed whole — whatever the producer put in the free text, wherever an incident moved,
closed or reopened — on a real Redis, through a real worker; a store written before the rows were kept
is read from its Features."""

from __future__ import annotations

import orjson

from app.contract import REGION_TOKENS, Scope, Stream
from app.ingest import IngestWorker
from app.store import Store
from app.store.incident_rows import AGENCIES, STATUSES, IncidentRow, IncidentRows, slim_of
from app.store.keys import CELL_AGENCIES, CELL_REGIONS
from tests.helpers import incident, now_ms

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
                                                  category="collision", units="P-1,P-2"))
    IngestWorker(store, settings).work(burst=True)
    rows, features = _rows_and_features(store)
    assert len(rows) == len(NASTY) + 1
    _agree(rows, features)


def test_a_feature_of_another_shape_makes_a_row_and_a_broken_row_is_left_out():
    other = ('{"id":"X","type":"Feature","properties":{"priority":2,"status":"new","region":"SA-01",'
             '"agency":"patrol","ts":5,"units":["A","B"]},"geometry":{"type":"Point","coordinates":[46.7,24.7]}}')
    slim = slim_of(other)
    assert slim == b"X,46.7,24.7,2,new,SA-01,patrol,,A B,5"
    assert slim_of('{"type":"Feature"') is None
    no_priority = b"W,46.7,24.7,,new,SA-01,patrol,,,5"
    rows = IncidentRows.of_slim([slim, b"Y,1", slim.replace(b"X,", b"Z,"), no_priority])
    assert list(rows.id) == ["X", "Z"] and rows.most_urgent(1)[0] == (
        "X", 2, "new", "SA-01", "patrol", 5, 46.7, 24.7)


def test_columns_count_and_order_as_the_rows_do():
    made = [IncidentRow(f"I{n}", 1 + n % 4, ("new", "dispatched", "on_scene")[n % 3],
                        ("SA-01", "SA-02", "outside")[n % 3], "patrol", 1000 - n, 40.0 + n, 20.0)
            for n in range(40)]
    rows = IncidentRows.of(made)
    urgent = sorted(made, key=lambda r: (r.priority, r.opened))
    assert rows.most_urgent(5) == urgent[:5]
    assert rows.by_region() == {"SA-01": (14, 4), "SA-02": (13, 3), "outside": (13, 3)}
    assert sorted(rows.pairs()) == sorted((r.priority, r.status) for r in made)
    assert len(rows.in_regions({"SA-02"})) == 13
    assert rows.points().regions()[:3] == ["SA-01", "SA-02", "outside"]
    empty = IncidentRows.empty()
    assert len(empty) == 0 and empty.by_region() == {} and empty.most_urgent(5) == [] and empty.pairs() == []


def _slim_keys(store: Store) -> list[str]:
    return [k.incident_slim(r, a) for k in store.keys.each_shard for r in CELL_REGIONS for a in CELL_AGENCIES]


def _rows_and_features(store: Store) -> tuple[IncidentRows, dict]:
    return store.live.incident_rows(Scope()), {f["id"]: f for f in store.live.incidents(Scope())}


def _agree(rows: IncidentRows, features: dict) -> None:
    """The columns hold each open incident's values as its Feature has them."""
    assert sorted(rows.id) == sorted(features)
    for i, ident in enumerate(rows.id):
        feature = features[ident]
        props = feature["properties"]
        assert (rows.priority[i], STATUSES[rows.status[i]], REGION_TOKENS[rows.region[i]],
                AGENCIES[rows.agency[i]], rows.opened[i]) == (
            props["priority"], props["status"], props["region"], props["agency"], props["opened"])
        assert [rows.lon[i], rows.lat[i]] == feature["geometry"]["coordinates"]


def test_the_rows_follow_an_incident_that_moves_closes_and_reopens(client, settings):
    """The script keeps an incident's row beside its Feature: in the cell it moved to (another region,
    another agency), gone when it closes, back when it reopens — never a row without its Feature."""
    store = Store.from_settings(settings)
    stream = Stream.incidents.key(settings.stream_prefix)
    steps = [dict(lat="24.7136", lon="46.6753"), dict(lat="21.4858", lon="39.1925"),  # Riyadh → Makkah
             dict(lat="21.4858", lon="39.1925", agency="traffic"), dict(status="closed"),
             dict(status="dispatched", lat="26.4207", lon="50.0888")]  # reopened in the Eastern Province
    start = now_ms() - 60_000
    for n, step in enumerate(steps):
        client.xadd(stream, incident("MOVER", ts=str(start + n * 1000),
                                     **{"lat": "21.4858", "lon": "39.1925", **step}))
        client.xadd(stream, incident(f"STAY{n}"))
        IngestWorker(store, settings).work(burst=True)
        rows, features = _rows_and_features(store)
        _agree(rows, features)
        assert ("MOVER" in rows.id) is (step.get("status") != "closed")
        assert sum(client.hexists(k, "MOVER") for k in _slim_keys(store)) == int("MOVER" in rows.id)


def test_a_store_written_before_the_rows_were_kept_is_read_from_its_features(client, settings):
    store = Store.from_settings(settings)
    stream = Stream.incidents.key(settings.stream_prefix)
    for n in range(6):
        client.xadd(stream, incident(f"OLD{n}", priority=str(1 + n % 4)))
    IngestWorker(store, settings).work(burst=True)
    slim_key = max(_slim_keys(store), key=client.hlen)
    assert client.hlen(slim_key) >= 1
    client.hdel(slim_key, *client.hkeys(slim_key)[:2])  # as if written before, in part (or whole)
    rows, features = _rows_and_features(store)
    assert len(rows) == 6
    _agree(rows, features)


def test_the_few_rows_shown_whole_are_read_again_by_id_in_their_order(client, settings):
    """Rows hold no text (a summary of 100,000 would hold every Feature at once): the few incidents the
    list shows — the most urgent, then the longest open — are read again by id, in that order; one
    closed meanwhile is left out."""
    store = Store.from_settings(settings)
    p = settings.stream_prefix
    for n in range(30):  # enough to span several scope cells: regions and agencies vary
        client.xadd(Stream.incidents.key(p), incident(f"R{n}", priority=str(1 + n % 4),
                                                      agency=["patrol", "traffic", "red_crescent"][n % 3],
                                                      lat=str(21.4 + n % 5), lon=str(39.8 + n % 7)))
    IngestWorker(store, settings).work(burst=True)
    columns = store.live.incident_rows(Scope())
    rows = columns.most_urgent(30)
    assert [(r.priority, r.opened) for r in rows] == sorted((r.priority, r.opened) for r in rows)
    assert len(rows) == 30 and len({(r.region, r.agency) for r in rows}) > 1
    assert rows[:10] == columns.most_urgent(10) and not hasattr(rows[0], "text")
    texts = store.live.incident_texts(rows[:10])
    assert [orjson.loads(t)["id"] for t in texts] == [r.id for r in rows[:10]]
    client.xadd(Stream.incidents.key(p), incident(rows[3].id, agency=rows[3].agency, status="closed",
                                                  lat=str(21.4 + int(rows[3].id[1:]) % 5),
                                                  lon=str(39.8 + int(rows[3].id[1:]) % 7)))
    IngestWorker(store, settings).work(burst=True)
    assert [orjson.loads(t)["id"] for t in store.live.incident_texts(rows[:10])] == [
        r.id for r in rows[:10] if r is not rows[3]]
