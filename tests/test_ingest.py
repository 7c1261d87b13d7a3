"""The ingest worker against a real Redis: validation, state, idempotence, recovery, retention."""

from __future__ import annotations

import pytest
import redis

from app.contract import Scope, Stream
from app.ingest import IngestWorker
from app.settings import Settings
from app.store import Store
from tests.helpers import incident, now_ms, unit
from tests.keyspace import keys_under, relative


@pytest.fixture(params=["next round", "later batch", "another worker"])
def later(request: pytest.FixtureRequest) -> str:
    """How an older entry comes to be read after a newer one (see the test that uses it)."""
    return request.param


def make(settings: Settings, **changes: object) -> tuple[Store, IngestWorker]:
    settings = settings.model_copy(update=changes)
    store = Store.from_settings(settings)
    return store, IngestWorker(store, settings)


def xadd(client: redis.Redis, settings: Settings, stream: Stream, *entries: dict[str, str]) -> list[str]:
    return [client.xadd(stream.key(settings.stream_prefix), e) for e in entries]


def state_dump(client: redis.Redis, prefix: str, changes: bool = True, strings: bool = False
               ) -> dict[str, object]:
    """Everything under the prefix except the streams themselves (the inputs and ``<prefix>:rejected``)
    and bookkeeping (``<prefix>:stats``, ``<prefix>:meta``), for comparing.

    ``changes=False`` leaves out the live feed's change sets too: they are scored by the clock, and
    a batch records its net effect where entries applied one by one record every step.
    ``strings=True`` takes in the plain string keys as well."""
    out: dict[str, object] = {}
    for key in sorted(keys_under(client, prefix)):
        kind = client.type(key)
        if kind == "stream" or key.endswith((":stats", ":meta")):
            continue
        if not changes and ":chg:" in key:
            continue
        if kind == "hash":
            out[key] = client.hgetall(key)
        elif kind == "zset":
            out[key] = client.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            out[key] = client.lrange(key, 0, -1)
        elif kind == "set":
            out[key] = sorted(client.smembers(key))
        elif kind == "string" and strings:
            out[key] = client.get(key)
    return out


def test_valid_entries_become_state_and_are_acknowledged(client, settings):
    store, worker = make(settings)
    xadd(client, settings, Stream.incidents, incident("T1"), incident("T2", agency="traffic",
         category="collision", lat="24.7136", lon="46.6753", priority="3"))
    xadd(client, settings, Stream.units, unit("U1"))
    assert worker.work(burst=True) == 3
    national = {f["id"]: f for f in store.live.incidents(Scope())}
    assert set(national) == {"T1", "T2"}
    assert national["T1"]["properties"]["region"] == "SA-02"
    assert national["T2"]["properties"]["region"] == "SA-01"
    assert national["T1"]["geometry"]["coordinates"] == [39.8262, 21.4225]
    assert [u["id"] for u in store.live.units(Scope.parse("SA-02"))] == ["U1"]
    for stream in (Stream.incidents, Stream.units):
        assert client.xpending(stream.key(settings.stream_prefix), settings.ingest_group)["pending"] == 0


def test_bad_entry_is_rejected_with_reason_and_its_neighbours_survive(client, settings):
    store, worker = make(settings)
    ids = xadd(client, settings, Stream.incidents, incident("A"), incident("BAD", lat="abc"), incident("C"))
    worker.work(burst=True)
    assert {f["id"] for f in store.live.incidents(Scope())} == {"A", "C"}
    [(_, rejected)] = store.rejected.newest()
    assert rejected["stream"] == f"{settings.stream_prefix}:incidents"
    assert rejected["entry_id"] == ids[1]
    assert "lat" in rejected["reason"] and "number" in rejected["reason"]
    assert '"lat":"abc"' in rejected["fields"]
    assert store.streams.stats() == {"ingested:incidents": 2, "rejected:incidents": 1}


def test_explicit_region_wins_and_points_outside_are_kept_and_marked(client, settings):
    store, worker = make(settings)
    xadd(client, settings, Stream.incidents,
         incident("RED-SEA", lat="21.5", lon="38.5"),          # in the sea: no region polygon
         incident("COAST", lat="21.5", lon="38.5", region="SA-02"))  # the producer knows better
    worker.work(burst=True)
    assert [f["id"] for f in store.live.incidents(Scope.parse("outside"))] == ["RED-SEA"]
    assert [f["id"] for f in store.live.incidents(Scope.parse("SA-02"))] == ["COAST"]
    assert len(store.live.incidents(Scope())) == 2


def test_a_replay_changes_no_state_and_counts_every_entry_read_again(client, settings):
    """Applying every entry again, as after a consumer group moved back: the state is as it was, but
    the counters count reads (every entry read again, applied or rejected), a rejected entry is
    recorded again, and the times of the last apply move on (docs/events.md, "What a replay changes")."""
    store, worker = make(settings)
    p = settings.stream_prefix
    t0 = now_ms() - 600_000
    life = [
        incident("T1", ts=t0),
        incident("T1", status="dispatched", ts=t0 + 60_000, units="U1"),
        incident("T1", status="on_scene", ts=t0 + 300_000, units="U1"),
        incident("BAD", lat="abc", ts=t0),
    ]
    xadd(client, settings, Stream.incidents, *life)
    xadd(client, settings, Stream.units, unit("U1", ts=t0), unit("U1", ts=t0 + 60_000, lat="21.425"))
    for port in ("air-jed", "no-such-port"):
        client.xadd(f"{p}:ports", {"port": port, "direction": "arrival", "travellers": "50",
                                   "category": "pilgrim", "ts": str(t0)})
    for _ in range(2):  # the same call twice: counted once in the KPIs, read twice
        client.xadd(f"{p}:calls", {"id": "C1", "ts": str(t0 - 20_000), "answered_ts": str(t0 - 12_000),
                                   "region": "SA-02", "outcome": "incident"})
    worker.work(burst=True)
    stats = {"ingested:incidents": 3, "rejected:incidents": 1, "ingested:units": 2,
             "ingested:ports": 1, "rejected:ports": 1, "ingested:calls": 2}
    assert store.streams.stats() == stats
    before = state_dump(client, p, strings=True)
    rejected_before = client.xrange(store.keys.rejected)
    assert [r["entry_id"] for _, r in rejected_before] == [
        client.xrange(f"{p}:incidents")[3][0], client.xrange(f"{p}:ports")[1][0]]
    meta_before = client.hgetall(store.keys.meta)

    # Apply every entry of every stream a second time, as a crashed worker's successor would.
    for stream in Stream:
        entries = client.xrange(stream.key(p))
        worker.process(stream, entries)

    # What a replay does not change: the state (incidents, units, their indexes, trails, change
    # sets, history, KPIs' inputs, port counts, calls and their once-only sets)
    assert state_dump(client, p, strings=True) == before
    props = store.live.incidents(Scope())[0]["properties"]
    assert props["status"] == "on_scene"
    assert (props["opened"], props["dispatched"], props["on_scene"]) == (t0, t0 + 60_000, t0 + 300_000)
    assert store.live.kpis(Scope(), now_ms=t0 + 300_000)["calls_1h"] == 1
    assert len(store.live.trail("U1")) == 2

    # What it does change, exactly: the counters count every entry read again, applied or rejected ...
    assert store.streams.stats() == {name: 2 * n for name, n in stats.items()}
    # ... <prefix>:rejected gains one record per rejected entry read again: the same entry, reason
    # and fields, rejected again now ...
    rejected = client.xrange(store.keys.rejected)
    assert len(rejected) == 2 * len(rejected_before)

    def record(fields: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in fields.items() if k != "rejected_at"}

    assert [record(f) for _, f in rejected[len(rejected_before):]] == [record(f) for _, f in rejected_before]
    # ... and <prefix>:meta's times of the last apply move on; the picture's own time (as_of) does not.
    meta = client.hgetall(store.keys.meta)
    moved = ("applied_at", "progress_at")
    assert {k: v for k, v in meta.items() if k not in moved} == {
        k: v for k, v in meta_before.items() if k not in moved}
    assert all(int(meta[k]) >= int(meta_before[k]) for k in moved)


def test_an_older_entry_never_overwrites_newer_state(client, settings):
    store, worker = make(settings)
    t0 = now_ms() - 60_000
    xadd(client, settings, Stream.incidents,
         incident("T1", status="on_scene", ts=t0 + 30_000),
         incident("T1", status="new", ts=t0, priority="4"))  # late, stale
    xadd(client, settings, Stream.units, unit("U1", ts=t0 + 5_000, lat="21.5"), unit("U1", ts=t0, lat="21.4"))
    worker.work(burst=True)
    [feature] = store.live.incidents(Scope())
    assert feature["properties"]["status"] == "on_scene"
    assert feature["properties"]["priority"] == 1
    [u] = store.live.units(Scope())
    assert u["geometry"]["coordinates"][1] == 21.5


def test_an_older_entry_read_after_a_newer_one_never_overwrites_it(client, settings, later):
    """Out of order across reads, not only within one batch: the newer entry of an incident and of a
    unit is applied first; the older one is read afterwards — by the next round of the same worker,
    in a later batch of one round (a batch of 1: the newer is committed while the older is read), or
    by another worker of the group — and leaves the state exactly as the newer one alone left it."""
    t0 = now_ms() - 60_000
    newer = [(Stream.incidents, incident("T1", status="on_scene", ts=t0 + 30_000, units="U1")),
             (Stream.units, unit("U1", ts=t0 + 5_000, lat="21.5"))]
    older = [(Stream.incidents, incident("T1", status="new", ts=t0, priority="4", category="medical",
                                         agency="red_crescent")),
             (Stream.units, unit("U1", ts=t0, lat="21.4", status="out_of_service"))]

    def write(target: Settings, entries: list) -> None:
        for stream, fields in entries:
            xadd(client, target, stream, fields)

    alone = settings.model_copy(update={"stream_prefix": settings.stream_prefix + "ref"})
    try:
        write(alone, newer)
        make(alone)[1].work(burst=True)
        expected = state_dump(client, alone.stream_prefix, changes=False)
    finally:
        client.delete(*keys_under(client, alone.stream_prefix), "-")

    store, worker = make(settings, ingest_batch=1)
    if later == "next round":
        write(settings, newer)
        assert worker.work(burst=True) == 2
        write(settings, older)
        assert worker.work(burst=True) == 2
    elif later == "later batch":
        write(settings, newer + older)
        assert worker.work(burst=True) == 4
    else:  # another worker of the group reads the older entries and commits them after the newer ones
        store.streams.ensure_groups(settings.ingest_group)
        write(settings, newer + older)
        _, other = make(settings, ingest_consumer="other", ingest_batch=1)
        first = store.streams.read_new(settings.ingest_group, worker.consumer, 1, None)
        second = store.streams.read_new(settings.ingest_group, other.consumer, 1, None)
        assert [fields["ts"] for _, entries in first for _, fields in entries] == [f["ts"] for _, f in newer]
        assert [fields["ts"] for _, entries in second for _, fields in entries] == [f["ts"] for _, f in older]
        for stream, entries in first:
            worker.process(stream, entries)
        for stream, entries in second:
            other.process(stream, entries)
    assert store.streams.stats() == {"ingested:incidents": 2, "ingested:units": 2}  # applied, not rejected
    for stream in (Stream.incidents, Stream.units):
        assert client.xpending(stream.key(settings.stream_prefix), settings.ingest_group)["pending"] == 0

    [feature] = store.live.incidents(Scope())
    assert feature["properties"]["ts"] == t0 + 30_000 and feature["properties"]["status"] == "on_scene"
    assert (feature["properties"]["priority"], feature["properties"]["agency"]) == (1, "civil_defense")
    [u] = store.live.units(Scope())
    assert u["geometry"]["coordinates"][1] == 21.5 and u["properties"]["status"] == "available"
    assert store.live.trail("U1") == [[39.82, 21.5, t0 + 5_000]]  # the older position is not in its track
    p = settings.stream_prefix
    got = state_dump(client, p, changes=False)
    assert {relative(k, p): v for k, v in got.items()} == {
        relative(k, alone.stream_prefix): v for k, v in expected.items()}


def test_closed_incidents_leave_the_live_set_for_the_history(client, settings):
    store, worker = make(settings)
    t0 = now_ms() - 60_000
    closing = incident("T1", status="closed", ts=t0 + 1)
    xadd(client, settings, Stream.incidents, incident("T1", ts=t0), closing)
    worker.work(burst=True)
    assert store.live.incidents(Scope()) == []
    [closed] = store.live.closed_incidents(Scope.parse("SA-02", "civil_defense"), since_ms=t0)
    assert closed["id"] == "T1" and closed["properties"]["status"] == "closed"
    assert store.live.closed_incidents(Scope.parse("SA-01"), since_ms=t0) == []


def test_history_is_bounded_in_time(client, settings):
    store, worker = make(settings, history_hours=1.0)
    old = now_ms() - 3 * 3_600_000
    xadd(client, settings, Stream.incidents,
         incident("OLD", ts=old), incident("OLD", status="closed", ts=old),
         incident("NEW", status="closed", ts=now_ms() - 1000))
    worker.process(Stream.incidents, client.xrange(f"{settings.stream_prefix}:incidents"))
    assert len(store.live.closed_incidents(Scope(), since_ms=0)) == 2
    assert store.history.expire() == 1
    assert [f["id"] for f in store.live.closed_incidents(Scope(), since_ms=0)] == ["NEW"]
    assert client.hget(store.keys.incident_index, "OLD") is None


def test_moving_to_another_scope_leaves_the_old_one(client, settings):
    store, worker = make(settings)
    t0 = now_ms() - 60_000
    xadd(client, settings, Stream.units, unit("U1", ts=t0),
         unit("U1", ts=t0 + 1000, lat="24.7136", lon="46.6753"))
    worker.work(burst=True)
    assert store.live.units(Scope.parse("SA-02")) == []
    assert [u["id"] for u in store.live.units(Scope.parse("SA-01", "civil_defense"))] == ["U1"]


def test_entries_of_a_dead_consumer_are_reclaimed_and_applied_once(client, settings):
    store, worker = make(settings, reclaim_idle_ms=1)
    store.streams.ensure_groups(settings.ingest_group)
    xadd(client, settings, Stream.incidents, *(incident(f"T{n}") for n in range(20)))
    # A consumer takes the entries and dies before acknowledging them.
    [(_, taken)] = store.streams.read_new(settings.ingest_group, "dead-consumer", count=100, block_ms=None)
    assert len(taken) == 20
    key = f"{settings.stream_prefix}:incidents"
    assert client.xpending(key, settings.ingest_group)["pending"] == 20
    assert store.live.incidents(Scope()) == []
    # Reclaimed once idle for reclaim_idle_ms (1 ms): on a fast machine the worker could otherwise look
    # within the same millisecond, find nothing idle yet, and end its burst — wait for idleness, not a time.
    while min(p["time_since_delivered"] for p in client.xpending_range(
            key, settings.ingest_group, min="-", max="+", count=20)) < 2:
        pass

    worker.work(burst=True)
    assert len(store.live.incidents(Scope())) == 20
    assert client.xpending(key, settings.ingest_group)["pending"] == 0
    assert store.streams.stats()["ingested:incidents"] == 20


def test_two_workers_in_one_group_share_the_work(client, settings):
    store, first = make(settings, ingest_consumer="one", ingest_batch=7)
    _, second = make(settings, ingest_consumer="two", ingest_batch=7)
    xadd(client, settings, Stream.incidents, *(incident(f"T{n}") for n in range(50)))
    first.store.streams.ensure_groups(settings.ingest_group)
    # Alternate single reads, so both really take part.
    while True:
        got = 0
        for worker in (first, second):
            for stream, entries in store.streams.read_new(settings.ingest_group, worker.consumer, 7, None):
                got += worker.process(stream, entries)
        if not got:
            break
    assert first.applied > 0 and second.applied > 0
    assert first.applied + second.applied == 50
    assert len(store.live.incidents(Scope())) == 50


def test_streams_are_trimmed_by_retention(client, settings):
    _, worker = make(settings, stream_retention_hours=1.0)
    key = f"{settings.stream_prefix}:incidents"
    old = now_ms() - 2 * 3_600_000
    for n in range(300):
        client.xadd(key, incident(f"O{n}", ts=old), id=f"{old + n}-0")
    client.xadd(key, incident("FRESH"))
    worker.work(burst=True)
    worker.maintain()
    # MINID trimming is approximate (whole macro nodes); the fresh entry always stays.
    remaining = client.xrange(key)
    assert len(remaining) < 301
    assert remaining[-1][1]["id"] == "FRESH"


def test_trimming_never_drops_what_is_not_applied_yet(client, settings):
    """After an outage longer than the retention the backlog stays until the workers are through it."""
    store, worker = make(settings, stream_retention_hours=1.0)
    key = f"{settings.stream_prefix}:incidents"
    old = now_ms() - 3 * 3_600_000
    store.streams.ensure_groups(settings.ingest_group)  # the group exists; none of the entries is delivered
    for n in range(300):
        client.xadd(key, incident(f"O{n}", ts=old + n), id=f"{old + n}-0")
    worker.maintain()  # nothing of it applied yet: nothing trimmed
    assert client.xlen(key) == 300
    worker.work(burst=True)
    assert len(store.live.incidents(Scope())) == 300  # every entry of the backlog applied
    worker.maintain()
    assert client.xlen(key) < 300  # and now the old entries can go


def test_ports_and_calls_are_counted_once(client, settings):
    store, worker = make(settings)
    ts = now_ms()
    p = settings.stream_prefix
    for category, n in (("pilgrim", 100), ("citizen", 20)):
        client.xadd(f"{p}:ports", {"port": "air-jed", "direction": "arrival", "travellers": n,
                                   "category": category, "ts": ts, "wait_min": "7"})
    client.xadd(f"{p}:ports", {"port": "air-jed", "direction": "departure", "travellers": 5,
                               "category": "visitor", "ts": ts})
    client.xadd(f"{p}:ports", {"port": "no-such-port", "direction": "arrival", "travellers": 5,
                               "category": "visitor", "ts": ts})
    calls = [
        {"id": "C1", "ts": ts - 30_000, "answered_ts": ts - 20_000, "region": "SA-02", "outcome": "advice"},
        {"id": "C2", "ts": ts - 30_000, "answered_ts": ts - 12_000, "region": "SA-02", "outcome": "incident"},
        {"id": "C3", "ts": ts - 30_000, "lat": 21.42, "lon": 39.82, "outcome": "abandoned"},
        {"id": "C1", "ts": ts - 30_000, "answered_ts": ts - 20_000, "region": "SA-02", "outcome": "advice"},
    ]
    for call in calls:
        client.xadd(f"{p}:calls", call)
    worker.work(burst=True)
    jed = next(row for row in store.live.port_summary(ts) if row["id"] == "air-jed")
    assert (jed["arrivals_1h"], jed["departures_1h"], jed["wait_min"]) == (120, 5, 7.0)
    kpis = store.live.kpis(Scope.parse("SA-02"), now_ms=ts)
    assert kpis["calls_1h"] == 3  # the duplicate C1 is not counted
    assert kpis["abandoned_1h"] == 1
    assert kpis["answered_15s_share"] == 0.5 and kpis["answered_20s_share"] == 1.0
    assert "unknown port" in store.rejected.newest()[0][1]["reason"]


def test_kpis_follow_the_scope(client, settings):
    store, worker = make(settings)
    t0 = now_ms() - 600_000
    xadd(client, settings, Stream.incidents,
         incident("M1", ts=t0), incident("M1", status="dispatched", ts=t0 + 40_000),
         incident("M1", status="on_scene", ts=t0 + 400_000),
         incident("R1", agency="traffic", category="collision", priority="2", lat="24.7136", lon="46.6753",
                  ts=t0),
         incident("R1", agency="traffic", category="collision", priority="2", lat="24.7136", lon="46.6753",
                  status="dispatched", ts=t0 + 100_000))
    worker.work(burst=True)
    national = store.live.kpis(Scope(), now_ms=t0 + 400_000)
    assert national["open_total"] == 2
    assert national["open_by_priority"] == {"1": 1, "2": 1, "3": 0, "4": 0}
    assert national["dispatch_p50_s"] == 70.0
    makkah = store.live.kpis(Scope.parse("SA-02"), now_ms=t0 + 400_000)
    assert makkah["open_total"] == 1
    assert (makkah["dispatch_p50_s"], makkah["response_p50_s"]) == (40.0, 400.0)
    riyadh_traffic = store.live.kpis(Scope.parse("SA-01", "traffic"), now_ms=t0 + 400_000)
    assert riyadh_traffic["open_by_priority"]["2"] == 1 and riyadh_traffic["response_p50_s"] is None


def test_lag_is_the_age_of_the_oldest_entry_not_applied(client, settings):
    store, worker = make(settings)
    store.streams.ensure_groups(settings.ingest_group)
    ts = now_ms()
    client.xadd(f"{settings.stream_prefix}:incidents", incident("T1"), id=f"{ts - 5000}-0")
    assert store.streams.lag_ms(settings.ingest_group, now_ms=ts) == 5000
    worker.work(burst=True)
    assert store.streams.lag_ms(settings.ingest_group, now_ms=ts) == 0


def test_a_worker_that_has_read_everything_says_so(client, settings):
    store, worker = make(settings)
    assert store.meta.freshness() == {"as_of": None, "applied_at": None, "caught_up_at": None}
    ts = now_ms() - 5000
    xadd(client, settings, Stream.incidents, incident("T1", ts=ts))
    before = now_ms()
    worker.work(burst=True)
    times = store.meta.freshness()
    assert times["as_of"] == ts
    assert times["caught_up_at"] >= before and times["applied_at"] >= before
