"""After-action figures and incident timelines from a real Parquet archive, read by a real DuckDB.

The archive is :mod:`tests.archive_day`'s: one day written file by file in the archiver's layout,
with answers worked out by hand — percentiles, counts, calls once per id, ports' peaks and waits
against the planning table, the most serious incidents, the comparison with a week and a Hijri year
earlier, and each incident's timeline (statuses, units, tracks, an out-of-order entry ignored).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from app.archive import stats, timeline
from app.archive.stats import DAY_MS, HOUR_MS, Targets, Window
from app.contract import Scope
from app.reference import Reference
from tests.archive_day import DAY, EXPECTED, HIJRI_SHIFT_MS, Archive, S, build

LATER = S + 100 * DAY_MS  # "now", long after the day: every window is over


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("archive"))


@pytest.fixture(scope="module")
def day(root: Path) -> dict:
    window = stats.day_window(DAY, LATER)
    return stats.summary(root, window, Scope(), Targets(90, 600), planning=Reference.bundled().planning)


def test_the_window_is_the_riyadh_day_or_the_last_24_hours_when_it_is_today() -> None:
    window = stats.day_window(date(2026, 3, 10), LATER)
    assert window == Window(S, S + DAY_MS)
    assert S % DAY_MS == 21 * HOUR_MS  # 00:00 in Riyadh is 21:00 UTC the day before
    noon = S + 12 * HOUR_MS + 123
    assert stats.day_window(date(2026, 3, 10), noon) == Window(noon - DAY_MS, noon)
    assert stats.week_before(window) == Window(S - 7 * DAY_MS, S - 6 * DAY_MS)
    # 21 Ramadan 1447 (2026-03-10) → 21 Ramadan 1446 (2025-03-21): 354 days earlier
    assert stats.hijri_year_before(window) == window.shifted(HIJRI_SHIFT_MS)
    year_2100 = stats.day_start_ms(date(2100, 1, 1))  # beyond the Umm al-Qura tables (1500 AH)
    assert stats.hijri_year_before(Window(year_2100, year_2100 + DAY_MS)) is None


def test_counts_of_the_incidents_opened_in_the_window(day: dict) -> None:
    incidents = day["incidents"]
    assert incidents["opened"] == EXPECTED["opened"]
    assert {k: v for k, v in incidents["by_region"].items() if v} == EXPECTED["by_region"]
    assert incidents["by_priority"] == {"1": 2, "2": 2, "3": 1, "4": 1}
    assert incidents["by_agency"] == {"patrol": 2, "traffic": 1, "road_security": 1, "civil_defense": 1,
                                      "red_crescent": 1}
    assert {k: v for k, v in incidents["by_category"].items() if v} == {
        "fire": 1, "collision": 1, "theft": 1, "medical": 1, "road_hazard": 1, "suspicious": 1}
    hours = incidents["by_hour"]
    assert len(hours) == 24 and sum(hours) == 6
    assert [i for i, n in enumerate(hours) if n] == [1, 2, 5, 10, 12, 23]
    assert day["hours"] == 24 and 0 < day["archived_hours"] < 24


def test_call_to_dispatch_and_call_to_scene_percentiles_against_the_targets(day: dict) -> None:
    for name in ("dispatch", "response"):
        got = day[name]
        want = EXPECTED[name]
        assert got["n"] == want["n"]
        assert got["p50_s"] == pytest.approx(want["p50_s"])
        assert got["p90_s"] == pytest.approx(want["p90_s"])
        assert got["within"] == pytest.approx(want["within"])
        assert got["state"] == want["state"]
    assert day["dispatch"]["target_s"] == 90 and day["response"]["target_s"] == 600
    # per region: Riyadh's three (A 60, C 30, F 90) meet the dispatch target at the 90th percentile
    riyadh = day["regions"]["SA-01"]
    assert riyadh["opened"] == 3
    assert (riyadh["dispatch"]["p50_s"], riyadh["dispatch"]["p90_s"]) == (60.0, pytest.approx(84.0))
    assert riyadh["dispatch"]["state"] == "meets"
    # Makkah: B 120 and E 1,500 (opened the day before, dispatched in the window)
    assert day["regions"]["SA-02"]["dispatch"]["p50_s"] == pytest.approx(810.0)
    assert day["regions"]["SA-02"]["dispatch"]["state"] == "misses"
    assert day["regions"]["SA-05"]["dispatch"] == {"n": 0, "p50_s": None, "p90_s": None, "within": None,
                                                   "target_s": 90, "state": "none"}
    assert len(day["regions"]) == 13


def test_judging_durations_against_a_target() -> None:
    assert stats.judge([], 90)["state"] == "none"
    assert stats.judge([60_000, 80_000], 90)["state"] == "meets"
    assert stats.judge([60_000, 80_000, 400_000], 90)["state"] == "near"
    assert stats.judge([100_000, 200_000], 90)["state"] == "misses"
    assert stats.judge([90_000], 90)["within"] == 1.0  # the target itself is within


def test_calls_are_counted_once_each_by_the_time_they_were_received(day: dict) -> None:
    calls = day["calls"]
    assert {k: calls[k] for k in EXPECTED["calls"]} == EXPECTED["calls"]
    assert calls["answered_15s_share"] == pytest.approx(1 / 3)
    assert calls["answered_20s_share"] == pytest.approx(2 / 3)
    assert calls["by_region"]["SA-01"]["total"] == 2  # C1 (sent twice) and C2; C0 was the day before


def test_ports_peak_hour_and_longest_wait_against_the_planning_target(day: dict) -> None:
    ports = day["ports"]
    assert ports["travellers"] == EXPECTED["travellers"]
    causeway, jeddah = ports["ports"]
    assert causeway["id"] == "land-king-fahd-causeway" and jeddah["id"] == "air-jed"
    assert (causeway["arrivals"], causeway["departures"]) == (420, 50)
    assert causeway["peak_hour_ms"] == S + 9 * HOUR_MS and causeway["peak_travellers"] == 300
    assert causeway["max_wait_min"] == 70 and causeway["max_wait_at"] == S + 9 * HOUR_MS + 1_200_000
    assert causeway["target_wait_min"] == 15 and causeway["over_target"] is True
    assert causeway["hours_over"] == 2  # 08:00 (45 min) and 09:00 (70 min); 17:00 waited 5
    assert jeddah["peak_hour_ms"] == S + 3 * HOUR_MS and jeddah["over_target"] is False
    assert sum(causeway["by_hour"]) == 470


def test_the_most_serious_incidents_by_priority_then_units_then_length(day: dict) -> None:
    serious = day["serious"]
    assert [item["id"] for item in serious] == EXPECTED["serious"]
    c, a, e, b, g = serious
    assert (c["priority"], c["units"], c["life_ms"]) == (1, 3, 3 * HOUR_MS)
    assert (a["units"], a["closed"]) == (2, S + 3 * HOUR_MS)  # U1, U2 at once (U2 dropped at closing)
    assert e["opened"] == S - 1_200_000 and e["dispatched"] == S + 300_000  # opened the day before
    assert g["status"] == "new" and g["closed"] is None and g["life_ms"] == HOUR_MS  # open at 24:00


def test_a_commanders_scope_reads_only_their_region(root: Path) -> None:
    window = stats.day_window(DAY, LATER)
    scope = Scope(region="SA-04")
    got = stats.summary(root, window, scope)
    assert got["incidents"]["opened"] == 1 and list(got["regions"]) == ["SA-04"]
    assert [item["id"] for item in got["serious"]] == ["D"]
    assert got["calls"]["total"] == 1
    assert [p["id"] for p in got["ports"]["ports"]] == ["land-king-fahd-causeway"]
    assert got["ports"]["ports"][0]["target_wait_min"] is None  # no planning table given
    agency = stats.summary(root, window, Scope(agency="civil_defense"))
    assert agency["incidents"]["opened"] == 1 and [i["id"] for i in agency["serious"]] == ["A", "E"]


def test_compare_with_a_week_and_a_hijri_year_earlier(root: Path, day: dict) -> None:
    window = stats.day_window(DAY, LATER)
    got = stats.compare(root, window, Scope(), Targets(90, 600), current=day)
    assert got["windows"]["week"] == {"start_ms": S - 7 * DAY_MS, "end_ms": S - 6 * DAY_MS}
    assert got["week"]["incidents"]["opened"] == 3 and got["hijri"]["incidents"]["opened"] == 1
    week = got["deltas"]["week"]
    assert week["incidents.opened"] == {"change": 3, "ratio": 1.0}
    assert week["by_region"]["SA-01"] == {"change": 1, "ratio": 0.5}
    assert week["by_region"]["SA-04"] == {"change": 1, "ratio": None}  # nothing a week earlier
    # a week earlier: dispatch 50, 80, 100 s → median 80; now 75 → −5 s
    assert week["dispatch.p50_s"]["change"] == pytest.approx(-5.0)
    assert week["ports.travellers"] == {"change": 720, "ratio": pytest.approx(7.2)}
    assert week["calls.total"] == {"change": 4, "ratio": None}
    hijri = got["deltas"]["hijri"]
    assert hijri["incidents.opened"] == {"change": 5, "ratio": 5.0}
    assert hijri["dispatch.p50_s"]["change"] == pytest.approx(75.0 - 200.0)


def test_compare_says_no_data_where_the_archive_does_not_reach(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    build(root)
    window = stats.day_window(DAY, LATER).shifted(-30 * DAY_MS)  # a day before anything archived
    assert stats.archived_hours(root, window) == 0
    got = stats.compare(root, window, Scope())
    assert got["now"]["incidents"]["opened"] == 0 and got["now"]["serious"] == []
    assert got["week"] is None and got["hijri"] is None
    assert got["deltas"] == {"week": None, "hijri": None}
    # the archive's first hour: the Hijri year earlier's incident (06:00); its last: the next day's
    first, last = (S + HIJRI_SHIFT_MS + 6 * HOUR_MS) // HOUR_MS, (S + DAY_MS) // HOUR_MS
    assert stats.archive_span(root) == (first, last)
    assert stats.archive_span(tmp_path / "empty") is None


def test_the_timeline_of_an_incident(root: Path) -> None:
    story = timeline.timeline(root, "A", S + 2 * HOUR_MS, targets=Targets(90, 600), now_ms=LATER)
    assert story is not None
    assert [(s["status"], s["ts"] - S) for s in story["statuses"]] == [
        ("new", 3_600_000), ("dispatched", 3_660_000), ("on_scene", 4_080_000), ("closed", 10_800_000)]
    assert (story["opened"], story["closed"]) == (S + HOUR_MS, S + 3 * HOUR_MS)
    assert story["dispatch"] == {"seconds": 60.0, "target_s": 90, "met": True}
    assert story["response"] == {"seconds": 480.0, "target_s": 600, "met": True}
    assert story["complete"] is True and story["ignored"] == 0 and story["thinned"] is False
    assert (story["region"], story["agency"], story["priority"]) == ("SA-01", "civil_defense", 1)
    units = {u["id"]: u for u in story["units"]}
    assert list(units) == ["U1", "U2", "U9"]  # in order of assignment
    u1, u2, u9 = units["U1"], units["U2"], units["U9"]
    assert (u1["assigned"] - S, u1["arrived"] - S, u1["released"]) == (3_660_000, 4_080_000, None)
    # the track: from assignment to arrival, the position before assignment left out
    assert [p[2] - S for p in u1["track"]] == [3_660_000 + 60_000 * k for k in range(8)]
    assert u1["track"][0][:2] == [46.60, 24.65] and u1["track"][-1][:2] == [46.67, 24.71]
    # U2 never reported: it arrived with the incident's on scene; dropped by the closing entry
    assert (u2["arrived"], u2["released"], u2["track"]) == (S + 4_080_000, S + 3 * HOUR_MS, [])
    # U9 named itself for A without being listed: assigned at its first such report
    assert (u9["assigned"] - S, u9["arrived"] - S, len(u9["track"])) == (3_800_000, 4_100_000, 3)


def test_a_late_entry_older_than_the_state_is_ignored(root: Path) -> None:
    story = timeline.timeline(root, "F", S + 12 * HOUR_MS, now_ms=LATER)
    assert story["ignored"] == 1
    assert story["on_scene"] == S + 12 * HOUR_MS + 600_000  # not the late entry's +30 s
    assert [s["status"] for s in story["statuses"]] == ["new", "dispatched", "on_scene", "closed"]
    assert story["response"]["seconds"] == 600.0 and story["response"]["met"] is True


def test_the_timeline_is_found_back_across_midnight_and_forward_from_before_it_opened(root: Path) -> None:
    # E opened at 23:40 the day before: found by searching back from 01:00
    story = timeline.timeline(root, "E", S + HOUR_MS, now_ms=LATER)
    assert story["opened"] == S - 1_200_000 and story["complete"] is True
    assert story["dispatch"]["seconds"] == 1500.0 and story["dispatch"]["met"] is False
    # asked from before it opened, G is found by searching forward; still open
    story = timeline.timeline(root, "G", S + 20 * HOUR_MS, now_ms=LATER)
    assert story["opened"] == S + 23 * HOUR_MS and story["closed"] is None
    assert story["units"] == [] and story["dispatch"]["met"] is None


def test_the_timeline_keeps_to_its_scope_and_its_reach(root: Path) -> None:
    assert timeline.timeline(root, "A", S + 2 * HOUR_MS, Scope(region="SA-04"), now_ms=LATER) is None
    assert timeline.timeline(root, "A", S + 2 * HOUR_MS, Scope(region="SA-01"), now_ms=LATER) is not None
    assert timeline.timeline(root, "nope", S + 2 * HOUR_MS, now_ms=LATER) is None
    # too far from where it happened, or asked before it happened with "now" before it too
    assert timeline.timeline(root, "A", S + 60 * HOUR_MS, max_hours=24, now_ms=LATER) is None
    assert timeline.timeline(root, "G", S + 20 * HOUR_MS, now_ms=S + 21 * HOUR_MS) is None


def test_the_search_stops_at_the_opening_and_at_the_closing(tmp_path: Path) -> None:
    # Z: opened in hour 1, closed in hour 2; a stray older entry of it arrives in hour 6. Searched from
    # hour 1, the search stops at the closing and never reads hour 6; from hour 7, it goes back
    # from the stray (not an opening) until it finds the opening, and the stray is ignored.
    archive = Archive()
    archive.incident("Z", "new", S + HOUR_MS, "SA-01", "patrol", "theft", 3)
    archive.incident("Z", "closed", S + 2 * HOUR_MS, "SA-01", "patrol", "theft", 3)
    archive.incident("Z", "on_scene", S + HOUR_MS + 60_000, "SA-01", "patrol", "theft", 3,
                     received=S + 6 * HOUR_MS)
    archive.write(tmp_path)
    early = timeline.find(tmp_path, "Z", S + HOUR_MS + 1, now_ms=LATER)
    assert [e["status"] for e in early] == ["new", "closed"]
    late = timeline.find(tmp_path, "Z", S + 7 * HOUR_MS, now_ms=LATER)
    assert [e["status"] for e in late] == ["new", "closed", "on_scene"]
    assert timeline.life(late)["ignored"] == 1 and timeline.life(late)["status"] == "closed"
    assert timeline.life([]) is None


def test_a_long_track_is_thinned_evenly_keeping_both_ends() -> None:
    points = [[0.0, 0.0, float(i)] for i in range(1000)]
    kept = timeline._thin(points)
    assert len(kept) == timeline.MAX_TRACK_POINTS and kept[0] == points[0] and kept[-1] == points[-1]


def test_figures_can_be_read_from_many_threads_at_once(root: Path, day: dict) -> None:
    # the web app serves briefs from several threads: each query has its own DuckDB cursor
    window = stats.day_window(DAY, LATER)
    planning = Reference.bundled().planning
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(
            lambda _: stats.summary(root, window, Scope(), Targets(90, 600), planning=planning), range(12)))
    assert all(result == day for result in results)
    with ThreadPoolExecutor(max_workers=4) as pool:
        stories = list(pool.map(lambda i: timeline.timeline(root, "ACEF"[i % 4], S + HOUR_MS, now_ms=LATER),
                                range(8)))
    assert [story["id"] for story in stories] == list("ACEFACEF")
