"""The map layers' store reads and aggregates, against a real Redis, fed through the streams and ingest.

Region figures follow the scope's agency; a port's hourly series lands in the right hours, with the
same hours a week earlier beside them; the heatmap's hexagons add up to the incidents opened in each
window (open and closed alike); the calls layer counts each region's calls against NENA; unit trails
come oldest first and are read again only when the unit reports.
"""

from __future__ import annotations

import h3
import pytest

from app.contract import Scope, Stream
from app.geo import trail_offsets
from app.store import Store
from app.store.keys import DAY_MS, HOUR_MS
from layers.calls import Calls, nena_status
from layers.heatmap import NATIONAL_RES, REGION_RES, WINDOWS_H, Heatmap
from layers.incidents import Incidents
from layers.ports import Ports, wait_class
from layers.regions import Regions
from layers.units import Units
from tests.browser import feed
from tests.clock import Clock
from tests.helpers import call, incident, now_ms, port_entry, unit


def _by_id(collection: dict) -> dict[str, dict]:
    return {f["id"]: f["properties"] for f in collection["features"]}


# --- regions --------------------------------------------------------------------------------------


def test_region_figures_follow_the_agency_of_the_scope(client, settings) -> None:
    store = Store.from_settings(settings)
    assert Regions().data(store.layers, Scope()) == {"type": "FeatureCollection", "features": []}
    feed(client, settings, {Stream.incidents: [
        incident("M1"),  # Makkah, civil defense, P1
        incident("M2", agency="traffic", priority="3", lat="21.5", lon="39.2"),
        incident("M3", agency="traffic", priority="1", lat="21.55", lon="39.18"),
        incident("R1", agency="traffic", priority="2", lat="24.7136", lon="46.6753"),
    ]})
    nation = _by_id(Regions().data(store.layers, Scope()))
    assert len(nation) == 13  # every region stays clickable, the empty ones at zero
    assert (nation["SA-02"]["open"], nation["SA-02"]["p1"]) == (3, 2)
    assert (nation["SA-01"]["open"], nation["SA-04"]["open"]) == (1, 0)
    population = nation["SA-02"]["pop"]
    assert population > 1_000_000 and nation["SA-02"]["rate"] == round(3 * 100_000 / population, 2)
    assert nation["SA-02"]["code"] == "SA-02"  # what the page drills down on

    traffic = _by_id(Regions().data(store.layers, Scope(agency="traffic")))
    assert (traffic["SA-02"]["open"], traffic["SA-02"]["p1"], traffic["SA-01"]["open"]) == (2, 1, 1)
    civil = _by_id(Regions().data(store.layers, Scope(agency="civil_defense")))
    assert (civil["SA-02"]["open"], civil["SA-01"]["open"]) == (1, 0)
    assert list(_by_id(Regions().data(store.layers, Scope.parse("SA-01", "traffic")))) == ["SA-01"]
    assert Regions().data(store.layers, Scope.parse("SA-01", "civil_defense"))["features"] == []


# --- ports ------------------------------------------------------------------------------------------


def test_port_series_buckets_the_hours_and_the_week_before(client, settings) -> None:
    store = Store.from_settings(settings)
    now = now_ms()
    hour = now // HOUR_MS
    entries = [
        port_entry("air-jed", travellers=100, ts=now),
        port_entry("air-jed", travellers=7, category="pilgrim", ts=now),
        port_entry("air-jed", travellers=30, direction="departure", ts=now - 3 * HOUR_MS),
        port_entry("air-jed", travellers=40, ts=now - 7 * DAY_MS),
        port_entry("air-jed", travellers=50, direction="departure", ts=now - 7 * DAY_MS - 23 * HOUR_MS),
        port_entry("air-jed", travellers=999, ts=now - 24 * HOUR_MS),  # just outside both spans
        port_entry("air-jed", travellers=999, ts=now - 8 * DAY_MS),
        port_entry("air-ruh", travellers=555, ts=now),  # another port
    ]
    feed(client, settings, {Stream.ports: entries})
    series = store.layers.port_series("air-jed", now)
    assert series["hours"] == list(range(hour - 23, hour + 1))
    arrivals, departures = series["now"]["arrival"], series["now"]["departure"]
    assert arrivals["citizen"][-1] == 100 and arrivals["pilgrim"][-1] == 7
    assert departures["citizen"][-4] == 30
    assert sum(sum(v) for v in arrivals.values()) == 107 and sum(sum(v) for v in departures.values()) == 30
    week = series["week_ago"]
    assert week["arrival"]["citizen"][-1] == 40 and week["departure"]["citizen"][0] == 50
    assert sum(sum(v) for d in week.values() for v in d.values()) == 90
    assert series["wait_min"] == 20 and series["wait_ts"] == now
    with pytest.raises(KeyError):
        store.layers.port_series("no-such-port", now)


def test_ports_layer_marks_quiet_ports_and_wait_classes(client, settings) -> None:
    store = Store.from_settings(settings)
    assert Ports().data(store.layers, Scope())["features"] == []  # no port has reported
    feed(client, settings, {Stream.ports: [
        port_entry("air-jed", travellers=300, wait_min=50),
        port_entry("land-king-fahd-causeway", travellers=10, wait_min=5),
        port_entry("air-ruh", travellers=0, wait_min=20, ts=now_ms() - 3 * HOUR_MS),  # quiet by now
    ]})
    ports = _by_id(Ports().data(store.layers, Scope()))
    assert set(ports) == {"air-jed", "land-king-fahd-causeway"}
    assert (ports["air-jed"]["wait_class"], ports["land-king-fahd-causeway"]["wait_class"]) == ("long", "ok")
    assert ports["air-jed"]["arrivals"] >= 300 and ports["air-jed"]["kind"] == "air"
    assert "code" not in ports["air-jed"]  # a click on a port must not drill into its region
    assert set(_by_id(Ports().data(store.layers, Scope.parse("SA-04")))) == {"land-king-fahd-causeway"}
    # ports have no agency
    assert set(_by_id(Ports().data(store.layers, Scope(agency="traffic")))) == set(ports)
    classes = [wait_class(w) for w in (None, 0, 14.9, 15, 44.9, 45)]
    assert classes == ["none", "ok", "ok", "busy", "busy", "long"]


# --- heatmap ----------------------------------------------------------------------------------------


def test_heatmap_counts_add_up_to_the_incidents_opened_in_each_window(client, settings) -> None:
    store = Store.from_settings(settings)
    now = now_ms()
    ago = {"h0": now - 20 * 60_000, "h3": now - 3 * HOUR_MS, "h20": now - 20 * HOUR_MS,
           "h30": now - 30 * HOUR_MS}
    entries = [
        incident("O1", ts=ago["h0"]),  # open: 1 h, 6 h, 24 h
        incident("O2", agency="traffic", lat="24.7136", lon="46.6753", ts=ago["h3"]),  # open: 6 h, 24 h
        incident("O3", agency="traffic", lat="24.70", lon="46.70", ts=ago["h30"]),  # open, but too old
        incident("C1", ts=ago["h20"]),  # opened 20 h ago, closed 19 h ago: 24 h
        incident("C1", status="closed", ts=ago["h20"] + HOUR_MS),
        incident("C2", lat="26.42", lon="50.09", agency="patrol", ts=ago["h0"]),  # closed: 1 h, 6 h, 24 h
        incident("C2", lat="26.42", lon="50.09", agency="patrol", status="closed", ts=now - 60_000),
        incident("C3", lat="21.40", lon="39.85", ts=ago["h3"]),  # closed: 6 h, 24 h
        incident("C3", lat="21.40", lon="39.85", status="closed", ts=ago["h3"] + 60_000),
        incident("X1", lat="21.0", lon="38.5", ts=ago["h0"]),  # in the Red Sea: outside every region
    ]
    feed(client, settings, {Stream.incidents: entries})

    def totals(scope: Scope) -> list[int]:
        features = Heatmap().data(store.layers, scope)["features"]
        for f in features:  # a feature's totals are the sum of its hexagons
            cells = f["properties"]["cells"]
            assert f["properties"]["total"] == [sum(c[i] for c in cells.values()) for i in range(3)]
            assert all(h3.get_resolution(c) == f["properties"]["res"] for c in cells)
        return [sum(f["properties"]["total"][i] for f in features) for i in range(len(WINDOWS_H))]

    assert totals(Scope()) == [3, 5, 6]  # O1 C2 X1 | + O2 C3 | + C1
    nation = _by_id(Heatmap().data(store.layers, Scope()))
    assert set(nation) == {"SA-01", "SA-02", "SA-04", "outside"}
    assert {p["res"] for p in nation.values()} == {NATIONAL_RES}
    makkah = _by_id(Heatmap().data(store.layers, Scope.parse("SA-02")))
    assert list(makkah) == ["SA-02"] and makkah["SA-02"]["res"] == REGION_RES
    assert makkah["SA-02"]["total"] == [1, 2, 3]  # O1 | C3 | C1
    assert totals(Scope(agency="traffic")) == [0, 1, 1]  # O2 (O3 is too old)
    assert totals(Scope.parse("SA-04", "patrol")) == [1, 1, 1]


def test_closed_points_are_read_once_and_follow_every_change(client, settings, monkeypatch) -> None:
    store = Store.from_settings(settings)
    now = now_ms()
    day_ago = now - 24 * HOUR_MS
    feed(client, settings, {Stream.incidents: [
        incident("C1", ts=now - 2 * HOUR_MS), incident("C1", status="closed", ts=now - HOUR_MS),
    ]})
    first = store.history.closed_points(Scope(), day_ago)
    assert len(first) == 1 and first.regions() == ["SA-02"]
    assert first.opened.tolist() == [now - 2 * HOUR_MS]

    fetched: list[str] = []
    original = store.client.pipeline

    def recording_pipeline(*args, **kwargs):
        pipe = original(*args, **kwargs)
        hmget = pipe.hmget
        pipe.hmget = lambda key, ids: fetched.extend(ids) or hmget(key, ids)
        return pipe

    monkeypatch.setattr(store.client, "pipeline", recording_pipeline)
    # nothing new: nothing read
    assert len(store.history.closed_points(Scope(), day_ago)) == 1 and fetched == []

    # closed later: only that one is fetched
    feed(client, settings, {Stream.incidents: [
        incident("C2", lat="26.42", lon="50.09", ts=now - 50 * 60_000),
        incident("C2", lat="26.42", lon="50.09", status="closed", ts=now - 40 * 60_000),
    ]})
    assert sorted(store.history.closed_points(Scope(), day_ago).regions()) == ["SA-02", "SA-04"]
    assert fetched == ["C2"]
    # a closing that arrives late (closed before the newest one already read) is not missed
    feed(client, settings, {Stream.incidents: [
        incident("C3", lat="21.40", lon="39.85", ts=now - 5 * HOUR_MS),
        incident("C3", lat="21.40", lon="39.85", status="closed", ts=now - 4 * HOUR_MS),
    ]})
    assert len(store.history.closed_points(Scope(), day_ago)) == 3
    # reopened, moved and closed again: the mirror follows
    feed(client, settings, {Stream.incidents: [
        incident("C1", lat="24.7136", lon="46.6753", ts=now - 30 * 60_000),
    ]})
    assert sorted(store.history.closed_points(Scope(), day_ago).regions()) == ["SA-02", "SA-04"]
    feed(client, settings, {Stream.incidents: [
        incident("C1", lat="24.7136", lon="46.6753", status="closed", ts=now - 60_000),
    ]})
    again = store.history.closed_points(Scope(), day_ago)
    assert sorted(again.regions()) == ["SA-01", "SA-02", "SA-04"] and 46.6753 in again.lon.tolist()
    assert len(store.history.closed_points(Scope(), now)) == 0  # nothing closed since now
    assert len(store.history.closed_points(Scope.parse("SA-04", "civil_defense"), day_ago)) == 1


def test_cached_keeps_a_value_as_long_as_the_computation_says(client, settings) -> None:
    store = Store.from_settings(settings)
    calls: list[int] = []

    def compute(keep_s: float):
        def run() -> tuple[int, float]:
            calls.append(1)
            return len(calls), keep_s
        return run

    assert store.layers.cached("a", compute(60)) == 1
    assert store.layers.cached("a", compute(60)) == 1  # reused
    assert store.layers.cached("b", compute(0)) == 2
    assert store.layers.cached("b", compute(0)) == 3  # not kept


# --- 911 calls --------------------------------------------------------------------------------------


def test_calls_per_region_against_nena(client, settings) -> None:
    store = Store.from_settings(settings)
    # Counted at an instant mid-hour: the calls a minute before it are in its clock hour, all of them,
    # at whatever time the test runs (a previous hour would count pro rata).
    now = Clock.mid_hour().now_ms()
    reads = store.layers.for_refresh(now)  # a refresh at that instant, as a page's

    def answered_after(id_: str, region: str, seconds: float) -> dict[str, str]:
        return call(id_, region=region, ts=now - 60_000, answered_ts=now - 60_000 + int(seconds * 1000))

    entries = [answered_after(f"M{i}", "SA-02", 5) for i in range(19)]  # Makkah: 19 of 20 within 15 s
    entries.append(answered_after("M19", "SA-02", 18))
    entries += [answered_after(f"R{i}", "SA-01", 30) for i in range(3)]  # Riyadh: all slow
    entries.append(call("R3", region="SA-01", ts=now - 60_000, answered_ts="", outcome="abandoned"))
    feed(client, settings, {Stream.calls: entries})

    by_region = store.layers.calls_by_region(["SA-01", "SA-02", "SA-04"], now)
    assert set(by_region) == {"SA-01", "SA-02"}  # no calls, no entry
    assert by_region["SA-02"]["total"] == 20 and by_region["SA-02"]["within_15s"] == 19
    layer = _by_id(Calls().data(reads, Scope()))
    makkah, riyadh = layer["SA-02"], layer["SA-01"]
    assert (makkah["s15"], makkah["s20"], makkah["status"]) == (0.95, 1.0, "meets")
    assert (riyadh["total"], riyadh["answered"], riyadh["abandoned"], riyadh["status"]) == (4, 3, 1, "below")
    assert riyadh["mean_s"] == 30.0 and makkah["code"] == "SA-02"
    assert set(_by_id(Calls().data(reads, Scope(agency="traffic")))) == {"SA-01", "SA-02"}  # no agency
    assert list(_by_id(Calls().data(reads, Scope.parse("SA-01")))) == ["SA-01"]
    assert nena_status(0.92, 0.94) == "near" and nena_status(0.86, 0.91) == "near"
    assert nena_status(0.80, 0.97) == "near" and nena_status(0.80, 0.85) == "below"
    assert nena_status(None, None) is None


# --- units: trails and links ------------------------------------------------------------------------


def test_unit_trails_oldest_first_and_read_again_only_after_a_report(client, settings, monkeypatch) -> None:
    store = Store.from_settings(settings)
    now = now_ms()
    positions = [("21.40", "39.80"), ("21.41", "39.81"), ("21.42", "39.82"), ("21.43", "39.84")]
    moves = [unit("U1", lat=lat, lon=lon, status="dispatched", incident="I1", ts=now - 4000 + i * 1000)
             for i, (lat, lon) in enumerate(positions)]
    feed(client, settings, {
        Stream.incidents: [incident("I1", status="dispatched", units="U1")],
        Stream.units: [*moves, unit("U2", lat="24.7", lon="46.7", ts=now - 1000)],
    })
    units = store.live.units(Scope())
    trails = store.layers.unit_trails(units)
    assert [p[:2] for p in trails["U1"]] == [[float(lon), float(lat)] for lat, lon in positions]
    assert len(trails["U2"]) == 1

    reads: list[str] = []
    original = store.client.pipeline

    def counting_pipeline(*args, **kwargs):
        pipe = original(*args, **kwargs)
        lrange = pipe.lrange
        pipe.lrange = lambda key, *a: reads.append(key) or lrange(key, *a)
        return pipe

    monkeypatch.setattr(store.client, "pipeline", counting_pipeline)
    assert store.layers.unit_trails(units) == trails and reads == []  # nobody reported: nothing read
    feed(client, settings, {Stream.units: [unit("U2", lat="24.71", lon="46.71", ts=now)]})
    trails = store.layers.unit_trails(store.live.units(Scope()))
    assert len(trails["U2"]) == 2 and reads == [store.keys.unit_trail("U2")]

    layer = _by_id(Units().data(store.layers, Scope()))
    assert layer["U1"]["trail"] == [-400, -300, -200, -100] and layer["U1"]["inc_at"] == [39.8262, 21.4225]
    assert layer["U2"]["trail"] == [-100, -100] and "inc_at" not in layer["U2"]
    incidents = _by_id(Incidents().data(store.layers, Scope()))
    assert incidents["I1"]["unit_at"] == [[39.84, 21.43]]


def test_trail_offsets_drop_what_a_straight_line_passes() -> None:
    here = [46.0, 24.0]
    straight = [[46.0 - 0.001 * k, 24.0, 0] for k in range(9, -1, -1)]  # west to east, newest last
    assert trail_offsets(straight, here) == [-90, 0]
    corner = [[45.99, 24.0, 0], [46.0, 24.0, 0], [46.0, 24.01, 0], here + [0]]
    assert trail_offsets(corner, [46.0, 24.01]) == [-100, -100, 0, -100]
    assert trail_offsets([[46.0, 24.0, 0], [46.0001, 24.0, 0]], [46.0001, 24.0]) is None  # stood still
    assert trail_offsets(None, here) is None and trail_offsets([here + [0]], here) is None
