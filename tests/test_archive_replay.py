"""Replay equals what was live: the picture at ``at=T`` recomputed from the archive is the picture the
live store showed at T — incidents, units, ports and KPIs, compared exactly.

The simulator's entries are written to the real streams with explicit entry ids (their time of
receipt: the event time, a little later for some), applied by the real ingest worker slice by slice,
and after each slice the live picture is recorded. The real archiver then archives the streams, its
upkeep compacts the hours and writes keyframes, and each recorded moment is replayed
(``tests/replay_scene.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.archive import keyframes, layout
from app.archive.replay import OutsideArchive, Replay
from app.contract import Scope
from app.settings import Settings
from app.store import Store
from tests.replay_scene import Recorded

HOUR_MS = layout.HOUR_MS


def _replay(settings: Settings, store: Store) -> Replay:
    return Replay(settings.archive_dir, store.ports, store.coverage)


def _replayed(replay: Replay, scope: Scope, at_ms: int) -> dict:
    snap = replay.snapshot(at_ms, scope)
    return {
        "incidents": sorted(snap["incidents"]["features"], key=lambda f: f["id"]),
        "units": sorted(snap["units"]["features"], key=lambda f: f["id"]),
        "ports": snap["ports"],
        "kpis": snap["kpis"],
    }


@pytest.fixture(scope="module")
def recorded(recorded_scene: Recorded) -> tuple[Settings, Store, list[tuple[int, Scope, dict]]]:
    """Two and a half hours of the simulator, applied slice by slice; the live picture after each
    slice, for two scopes; then the archive written and kept up as the archiver does. The session's
    (``conftest.recorded_scene``; the command view's replay tests read a thinned copy of it), which the
    module's tests only read."""
    settings = recorded_scene.settings
    return settings, Store.from_settings(settings), recorded_scene.seen


def test_replay_equals_the_live_picture_at_each_moment(recorded) -> None:
    settings, store, seen = recorded
    replay = _replay(settings, store)
    assert keyframes.keyframe_hours(settings.archive_dir), "the upkeep wrote keyframes"
    compared = 0
    for moment, scope, live in seen:
        again = _replayed(replay, scope, moment)
        assert again["incidents"] == live["incidents"], (moment, scope)
        assert again["units"] == live["units"], (moment, scope)
        assert again["ports"] == live["ports"], (moment, scope)
        assert again["kpis"] == live["kpis"], (moment, scope)
        compared += len(live["units"]) + len(live["incidents"])
    assert compared > 100  # the pictures compared were not empty
    assert any(live["kpis"]["dispatch_p50_s"] is not None for _m, _s, live in seen)
    assert any(live["kpis"]["calls_1h"] for _m, _s, live in seen)


def test_replay_without_keyframes_equals_replay_with_them(recorded) -> None:
    settings, store, seen = recorded
    with_keyframes = _replay(settings, store)
    moment, scope, _live_picture = seen[-1]
    expected = _replayed(with_keyframes, scope, moment)
    marks = list((settings.archive_dir / "keyframes").glob("date=*/hour=*/done"))
    for mark in marks:
        mark.rename(mark.with_name("done.off"))
    try:
        assert not keyframes.keyframe_hours(settings.archive_dir)
        assert _replayed(_replay(settings, store), scope, moment) == expected
    finally:
        for mark in marks:
            mark.with_name("done.off").rename(mark)


def test_a_moment_outside_the_archive_is_refused(recorded) -> None:
    settings, store, seen = recorded
    replay = _replay(settings, store)
    first, last = replay.span()
    with pytest.raises(OutsideArchive):
        replay.snapshot(first - HOUR_MS, Scope())
    with pytest.raises(OutsideArchive):
        replay.snapshot(last + HOUR_MS, Scope())
    assert replay.snapshot(first, Scope())["replay"] is True


def test_the_snapshot_api_answers_at_a_past_moment(recorded) -> None:
    from app import create_app

    settings, store, seen = recorded
    http = create_app(settings).test_client()
    moment, scope, live = seen[4]  # a national scope
    assert scope == Scope()
    got = http.get(f"/api/v1/snapshot?at={moment}")
    assert got.status_code == 200
    body = got.get_json()
    assert body["replay"] is True and body["at"] == moment
    assert sorted(f["id"] for f in body["units"]["features"]) == [f["id"] for f in live["units"]]
    iso = datetime.fromtimestamp(moment / 1000, timezone(timedelta(hours=3))).isoformat()
    assert http.get("/api/v1/snapshot", query_string={"at": iso, "region": "SA-01"}).get_json()["kpis"] == \
        [s for m, sc, s in seen if m == moment and sc.region == "SA-01"][0]["kpis"]
    # the "+" of an offset typed unescaped in a URL arrives as a space, and is read as meant
    assert http.get(f"/api/v1/snapshot?at={iso}").get_json()["at"] == moment

    outside = http.get(f"/api/v1/snapshot?at={moment - 24 * HOUR_MS}")
    assert outside.status_code == 400
    assert "outside the archive" in outside.get_json()["error"]
    for bad in ("yesterday", "2026-12-04T05:00:00", "1796"):
        answer = http.get("/api/v1/snapshot", query_string={"at": bad})
        assert answer.status_code == 400, bad
        assert answer.get_json()["error"].startswith("at:")
