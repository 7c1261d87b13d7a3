"""The live feed (app/feed.py) on the real app against a real Redis: whole pictures, deltas that carry
only what changed, one build per scope per tick whatever the number of clients, and scope."""

from __future__ import annotations

import gzip
import threading
import time

import orjson
import pytest
from pydantic import SecretStr

from app import create_app
from app.auth.users import UsersFile, hash_token, new_token
from app.contract import Scope, Stream
from app.feed import FEED_PATH, MAX_PARTS, answer, cut_of
from app.ingest import IngestWorker
from app.store import Store
from app.store import built as built_module
from tests.helpers import incident, now_ms, unit
from tests.test_alerts_ui import SPIKE, raise_alert

RIYADH = ("24.7136", "46.6753")
TICK_MS = 100
#: Tries, at most, to read the clock and get the answer in one tick of TICK_MS (a loaded machine may miss).
SAME_TICK_ATTEMPTS = 20


@pytest.fixture
def fast(settings):
    """Settings with a short tick, so a test waits a tenth of a second for the next cut, and whole
    pictures cut every tick (the coarser grid has a test of its own). The horizon is
    the default's: with 5 s, a write applied by a worker between two asks took longer on a slow machine
    at load 6 (on the cluster), and the second ask was answered with the whole picture (issue 17)."""
    return settings.model_copy(update={"feed_ms": TICK_MS, "feed_whole_ms": TICK_MS, "feed_horizon_s": 120.0})


@pytest.fixture
def world(client, fast):
    """Two incidents and two units in Makkah, one incident in Riyadh, applied by a real worker."""
    store = Store.from_settings(fast)
    write(client, fast, store,
          incidents=[incident("MK1", units="U1,U2"), incident("MK2", agency="traffic", category="collision"),
                     incident("RY1", agency="traffic", category="collision", lat=RIYADH[0], lon=RIYADH[1])],
          units=[unit("U1"), unit("U2", lat="21.44", lon="39.81")])
    return create_app(fast), store


def write(client, settings, store, incidents=(), units=()) -> None:
    p = settings.stream_prefix
    for fields in incidents:
        client.xadd(Stream.incidents.key(p), fields)
    for fields in units:
        client.xadd(Stream.units.key(p), fields)
    IngestWorker(store, settings).work(burst=True)
    # a whole picture taken from here on has a cut after these changes (else the next delta
    # would carry them again: correct, but not what the tests below count)
    next_cut(store, cut_of(store.meta.clock_ms(), TICK_MS))


def next_cut(store: Store, after: int) -> None:
    """Wait until Redis's clock has passed the tick after ``after``."""
    while cut_of(store.meta.clock_ms(), TICK_MS) <= after:
        time.sleep(TICK_MS / 4000)


def get(http, query: str = "", **headers) -> dict:
    """The answer, its parts folded into one (as the browser applies them: in order, by id)."""
    response = http.get(f"{FEED_PATH}?{query}", headers=headers)
    assert response.status_code == 200, response.data
    body = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    answer_ = orjson.loads(body)
    assert int(response.headers["X-Basira-Cut"]) == answer_["cut"]
    folded: dict = {"inc": {}, "unit": {}}
    trails: dict = {}
    parts = answer_.pop("parts")
    answer_["n_parts"] = len(parts)
    answer_["rows"] = [row for part in parts for row in part["inc"].get("rows", [])]
    for part in parts:
        for kind in ("inc", "unit"):
            for id_ in part[kind]["gone"]:
                folded[kind][id_] = None
            for row in part[kind].get("rows", []):  # a whole picture's incidents (feed.js: slimFeature)
                folded[kind][row.split(",")[0]] = slim_feature(row)
            for feature in part[kind]["put"]:
                folded[kind][feature["id"]] = feature
        trails.update(part["unit"]["trail"])
    for kind in ("inc", "unit"):
        answer_[kind] = {"put": [f for f in folded[kind].values() if f is not None],
                         "gone": [i for i, f in folded[kind].items() if f is None]}
    answer_["unit"]["trail"] = trails
    return answer_


SLIM_FIELDS = ("id", "lon", "lat", "priority", "status", "region", "agency", "category", "units", "opened")


def slim_values(row: str) -> list:
    """A slim row's values, as the page reads them (``slimFeature`` in assets/feed.js)."""
    v = row.split(",")
    return [v[0], float(v[1]), float(v[2]), int(v[3]), *v[4:8], v[8].split(" ") if v[8] else [], int(v[9])]


def slim_feature(row: str) -> dict:
    """A slim row as the page makes it a Feature (``slimFeature`` in assets/feed.js)."""
    values = slim_values(row)
    props = dict(zip(SLIM_FIELDS, values, strict=True))
    return {"type": "Feature", "id": values[0], "geometry": {"type": "Point", "coordinates": values[1:3]},
            "properties": {**props, "slim": True}}


def ids(part: dict) -> set[str]:
    return {f["id"] for f in part["put"]}


def test_a_new_page_gets_the_whole_scope_then_only_what_changed(client, fast, world):
    app, store = world
    http = app.test_client()
    whole = get(http)
    assert whole["since"] is None
    assert ids(whole["inc"]) == {"MK1", "MK2", "RY1"} and ids(whole["unit"]) == {"U1", "U2"}
    # the incidents as slim rows (what the map draws), agreeing with their stored Features; units whole
    assert len(whole["rows"]) == 3 and whole["unit"]["put"][0]["type"] == "Feature"
    assert {slim_values(row)[0]: slim_values(row)[8] for row in whole["rows"]}["MK1"] == ["U1", "U2"]
    for row in whole["rows"]:
        values = slim_values(row)
        stored = store.live.incident(values[0], Scope())
        props = stored["properties"]
        coordinates = stored["geometry"]["coordinates"]
        assert values == [stored["id"], *coordinates, *(props[k] for k in SLIM_FIELDS[3:])]
        assert "description" in props

    next_cut(store, whole["cut"])
    nothing = get(http, f"since={whole['cut']}")
    assert nothing["inc"] == {"put": [], "gone": []}
    assert nothing["unit"]["put"] == [] and nothing["unit"]["gone"] == []

    # U1 drives north, MK2 closes; MK1, RY1 and U2 do not change
    write(client, fast, store, incidents=[incident("MK2", agency="traffic", category="collision",
                                                   status="closed")],
          units=[unit("U1", lat="21.50", lon="39.82", heading="0", speed="40")])
    next_cut(store, nothing["cut"])
    delta = get(http, f"since={nothing['cut']}")
    # one part a tick — or, answered more than MAX_PARTS ticks after its cut (a slow machine under
    # load: 47 ticks of 100 ms once), one part of them all
    ticks = (delta["cut"] - nothing["cut"]) // TICK_MS
    assert delta["since"] == nothing["cut"] and delta["n_parts"] == (ticks if ticks <= MAX_PARTS else 1)
    assert ids(delta["unit"]) == {"U1"} and delta["unit"]["gone"] == []
    assert delta["unit"]["put"][0]["geometry"]["coordinates"] == [39.82, 21.5]
    assert delta["inc"]["put"] == [] and delta["inc"]["gone"] == ["MK2"]
    assert list(delta["unit"]["trail"]) == ["U1"]  # it moved ~7 km: its track goes with it


def test_the_same_cut_is_a_tiny_answer_and_a_bad_since_gets_everything(fast, world):
    app, store = world
    http = app.test_client()
    # Asked at the cut it is at, the feed says "same" in a few bytes. A tick may end between reading the
    # clock and the answer (the answer's cut says so): then the answer is the delta since the cut read —
    # or, answered more than the horizon after it, the whole picture — and the test asks again, each
    # time from the start of a fresh tick, until both fall in one tick.
    behind = fast.feed_horizon_s * 1000
    for _attempt in range(SAME_TICK_ATTEMPTS):
        next_cut(store, cut_of(store.meta.clock_ms(), TICK_MS))
        cut = cut_of(store.meta.clock_ms(), TICK_MS)
        same = http.get(f"{FEED_PATH}?since={cut}")
        answered = int(same.headers["X-Basira-Cut"])
        if answered == cut:
            break
        since = cut if answered - cut <= behind else None
        assert answered > cut and orjson.loads(same.data)["since"] == since, same.data[:200]
    else:
        pytest.fail(f"no answer in the tick it was asked in, {SAME_TICK_ATTEMPTS} times running")
    assert orjson.loads(same.data) == {"cut": cut, "same": True}
    assert len(same.data) < 40 and 0 < int(same.headers["X-Basira-Next"]) <= TICK_MS
    # an hour ahead stays ahead of the clock however long a loaded machine takes to answer
    # and a minute beyond the horizon stays beyond it
    for since in ("abc", "-5", str(cut + 3_600_000), str(cut - int(behind) - 60_000), str(cut - TICK_MS + 1)):
        answer_ = get(http, f"since={since}")
        assert answer_["since"] is None and ids(answer_["inc"]) == {"MK1", "MK2", "RY1"}, since


def test_every_answer_carries_the_alerts_version_so_a_page_need_not_poll_it_besides(fast, world):
    """``X-Basira-Alerts`` is the number ``/api/v1/alerts/version`` answers, on a whole picture, a delta
    and a "same" alike, and it moves when an alert is raised (``assets/alerts.js`` asks for the alerts
    only then)."""
    app, store = world
    http = app.test_client()
    whole = http.get(FEED_PATH)
    before = int(whole.headers["X-Basira-Alerts"])
    assert before == store.alerts.version() == http.get("/api/v1/alerts/version").get_json()["version"]
    raise_alert(store, **SPIKE)
    after = store.alerts.version()
    assert after != before
    cut = int(whole.headers["X-Basira-Cut"])
    for answered in (http.get(f"{FEED_PATH}?since={cut}"), http.get(FEED_PATH)):
        assert int(answered.headers["X-Basira-Alerts"]) == after, answered.data[:80]
    same = http.get(f"{FEED_PATH}?since={cut_of(store.meta.clock_ms(), TICK_MS)}")
    assert int(same.headers["X-Basira-Alerts"]) == after


def test_a_unit_crossing_into_another_region_leaves_one_scope_and_enters_the_other(client, fast, world):
    app, store = world
    http = app.test_client()
    makkah0 = get(http, "region=SA-02")
    riyadh0 = get(http, "region=SA-01")
    assert ids(makkah0["unit"]) == {"U1", "U2"} and ids(riyadh0["unit"]) == set()
    write(client, fast, store, units=[unit("U2", lat=RIYADH[0], lon=RIYADH[1])])
    next_cut(store, max(makkah0["cut"], riyadh0["cut"]))
    makkah = get(http, f"region=SA-02&since={makkah0['cut']}")
    riyadh = get(http, f"region=SA-01&since={riyadh0['cut']}")
    assert makkah["unit"]["gone"] == ["U2"] and makkah["unit"]["put"] == []
    assert ids(riyadh["unit"]) == {"U2"} and riyadh["unit"]["gone"] == []
    nation = get(http, f"since={makkah0['cut']}")
    assert ids(nation["unit"]) == {"U2"} and nation["unit"]["gone"] == []  # found in one cell: put


@pytest.fixture
def held_locks(monkeypatch):
    """A builder's lock that cannot lapse during a test: on a loaded machine (a cluster at load 9) a
    build outlasted the 5 s lock, a waiter took it over and built again — the recovery meant for a
    builder that died (:mod:`app.store.built`), which is not what these tests count."""
    monkeypatch.setattr(built_module, "LOCK_TTL_MS", 120_000)


def test_many_clients_at_one_point_of_one_scope_cost_one_build(client, fast, world, held_locks):
    app, store = world
    whole = get(app.test_client())
    write(client, fast, store, units=[unit("U1", lat="21.47", lon="39.83")])
    next_cut(store, whole["cut"])
    before = store.built.builds()
    bodies: list[bytes] = []

    def ask() -> None:
        bodies.append(app.test_client().get(f"{FEED_PATH}?since={whole['cut']}",
                                            headers={"Accept-Encoding": "gzip"}).data)

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cuts = {orjson.loads(gzip.decompress(b))["cut"] for b in bodies}
    # twenty answers: one per distinct cut they landed on (a tick may end while they run), and one
    # part per tick since `whole`, shared by those answers — but for a cut more than MAX_PARTS ticks
    # on (a very slow run), whose answer is one part built for it alone
    near = [cut for cut in cuts if (cut - whole["cut"]) // TICK_MS <= MAX_PARTS]
    ticks = (max(near) - whole["cut"]) // TICK_MS if near else 0
    assert len(bodies) == 20
    assert store.built.builds() - before == len(cuts) + ticks
    assert len({b for b in bodies}) == len(cuts)


def test_concurrent_builders_wait_for_the_first(fast, world, held_locks):
    _app, store = world
    scope, cut = Scope(), cut_of(store.meta.clock_ms(), TICK_MS)
    before = store.built.builds()
    out: list[bytes] = []
    threads = [threading.Thread(target=lambda: out.append(answer(store, scope, None, cut, TICK_MS)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.built.builds() - before == 1 and len(set(out)) == 1 and len(out) == 8


def test_a_commander_never_receives_another_scope(fast, world, tmp_path):
    path = tmp_path / "users.toml"
    users = UsersFile(path)
    token = new_token()
    users.put("tokens", "ryd-token", "commander", ["SA-01"], ["traffic"], hash_token(token))
    users.save()
    secured = create_app(fast.model_copy(update={
        "auth_mode": "password", "users_file": path, "secret_key": SecretStr("k" * 40)}))
    http = secured.test_client()
    assert http.get(FEED_PATH).status_code == 401
    auth = {"Authorization": f"Bearer {token}"}
    for query in ("", "region=SA-02", "region=SA-02&agency=civil_defense", "agency=police"):
        answer_ = get(http, query, **auth)
        assert ids(answer_["inc"]) == {"RY1"}, query
        assert ids(answer_["unit"]) == set(), query


def test_change_sets_are_trimmed_by_the_worker(client, fast, world):
    _app, store = world
    worker = IngestWorker(store, fast)
    keys = [shard.changes("unit", "SA-02", "civil_defense") for shard in store.keys.each_shard]

    def recorded() -> int:
        return sum(client.zcard(key) for key in keys)  # the cell's change set, in every shard

    assert recorded() == 2
    store.feed.trim_changes(now_ms() + 1)  # what maintain() does, with "now" past the horizon
    assert recorded() == 0
    worker.maintain()  # and maintain() itself runs without error on a live store


def test_an_unreachable_store_is_a_calm_answer(fast):
    app = create_app(fast.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))  # nothing listens
    response = app.test_client().get(FEED_PATH)
    assert response.status_code == 200 and orjson.loads(response.data) == {"down": True}
    assert int(response.headers["X-Basira-Next"]) > 0


def test_a_page_far_behind_gets_one_part_of_every_change_since_not_the_whole_picture(client, fast, world):
    """Issue 17: a page more than MAX_PARTS ticks behind, but within the horizon, gets what changed since
    its cut in one part — at 100,000 incidents a slow machine took longer than MAX_PARTS ticks to draw
    its first whole picture, and was sent a second one."""
    _, store = world
    http = create_app(fast.model_copy(update={"feed_horizon_s": 600.0})).test_client()
    whole = get(http)
    write(client, fast, store, units=[unit("U1", lat="21.50", lon="39.82")])
    # a cut MAX_PARTS + 5 ticks before the whole picture's: far behind, but within the horizon
    since = whole["cut"] - (MAX_PARTS + 5) * TICK_MS
    behind = get(http, f"since={since}")
    assert behind["since"] == since and behind["n_parts"] == 1
    moved = next(f for f in behind["unit"]["put"] if f["id"] == "U1")
    assert moved["geometry"]["coordinates"] == [39.82, 21.5]


def test_pages_that_open_within_one_cut_of_the_coarser_grid_share_one_whole_picture(client, fast, world,
                                                                                   held_locks):
    """Issue 17: whole pictures are cut on a coarser grid than the ticks (``feed_whole_ms``), so every page
    that opens within one of its cuts shares one build (at 100,000 incidents, seconds of CPU) instead of
    one per tick. The picture is older than the page's first tick; the ticks since its cut catch it up."""
    _, store = world
    grid = 20 * TICK_MS
    http = create_app(fast.model_copy(update={"feed_whole_ms": grid})).test_client()
    asked: set[int] = set()  # cuts of the grid whose picture an attempt has built already
    for attempt in range(SAME_TICK_ATTEMPTS):  # both asks in one cut of the grid (a loaded machine may miss)
        # early in a cut of the grid that no earlier attempt asked for
        while (now := store.meta.clock_ms()) % grid > grid // 4 or cut_of(now, grid) in asked:
            time.sleep(TICK_MS / 4000)
        before = store.built.builds()
        first = get(http)
        moved_to = [39.82, round(21.50 + attempt / 100, 2)]  # somewhere no earlier attempt put it
        write(client, fast, store, units=[unit("U1", lat=str(moved_to[1]), lon="39.82")])  # a tick later
        second = get(http)
        if first["cut"] == second["cut"]:
            break
        asked |= {first["cut"], second["cut"]}
    assert first["cut"] == second["cut"] and first["cut"] % grid == 0
    assert store.built.builds() - before == 1  # one build, two pages
    assert second["unit"] == first["unit"]  # the same bytes: U1 where it was when the picture was read
    assert where(second, "U1") != moved_to
    caught = get(http, f"since={second['cut']}")
    assert caught["since"] == second["cut"] and where(caught, "U1") == moved_to


def where(answer_: dict, unit_id: str) -> list[float]:
    return next(f for f in answer_["unit"]["put"] if f["id"] == unit_id)["geometry"]["coordinates"]
