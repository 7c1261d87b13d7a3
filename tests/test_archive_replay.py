"""Replay equals what was live: the picture at ``at=T`` recomputed from the archive is the picture the
live store showed at T — incidents, units, ports and KPIs, compared exactly.

The simulator's entries are written to the real streams with explicit entry ids (their time of
receipt: the event time, a little later for some), applied by the real ingest worker slice by slice,
and after each slice the live picture is recorded. The real archiver then archives the streams, its
upkeep compacts the hours and writes keyframes, and each recorded moment is replayed.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import redis

from app.archive import keyframes, layout
from app.archive.archiver import Archiver
from app.archive.compact import Maintenance
from app.archive.replay import OutsideArchive, Replay
from app.contract import Scope, Stream
from app.ingest import IngestWorker
from app.settings import Settings
from app.simulation.scenario import Scenario
from app.simulation.world import World
from app.store import Store
from tests.replay_scene import write_slice

HOUR_MS = layout.HOUR_MS


def _replay(settings: Settings, store: Store) -> Replay:
    return Replay(settings.archive_dir, store.ports, store.coverage)


def _live(store: Store, scope: Scope, at_ms: int) -> dict:
    incidents = store.live.incidents(scope)
    units = store.live.units(scope)
    return {
        "incidents": sorted(incidents, key=lambda f: f["id"]),
        "units": sorted(units, key=lambda f: f["id"]),
        "ports": [p for p in store.live.port_summary(at_ms) if p["region"] in scope.regions],
        "kpis": store.live.kpis(scope, at_ms, incidents=incidents, units=units),
    }


def _replayed(replay: Replay, scope: Scope, at_ms: int) -> dict:
    snap = replay.snapshot(at_ms, scope)
    return {
        "incidents": sorted(snap["incidents"]["features"], key=lambda f: f["id"]),
        "units": sorted(snap["units"]["features"], key=lambda f: f["id"]),
        "ports": snap["ports"],
        "kpis": snap["kpis"],
    }


@pytest.fixture(scope="module")
def recorded(redis_url: str, tmp_path_factory: pytest.TempPathFactory):
    """Two and a half hours of the simulator, applied slice by slice; the live picture after each
    slice, for two scopes; then the archive written and kept up as the archiver does. Shared by the
    module's tests, which only read it."""
    settings = Settings(
        redis_url=redis_url, stream_prefix=f"t{uuid.uuid4().hex[:12]}",
        archive_dir=tmp_path_factory.mktemp("replay") / "archive",
        stream_retention_hours=24 * 365.0, history_hours=48.0,
    )
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    store = Store.from_settings(settings)
    world = World.from_settings(settings)
    start = (store.meta.clock_ms() // HOUR_MS - 3) * HOUR_MS + 17 * 60_000  # mid-hour, 3 h ago
    scenario = Scenario(world, seed=11, start_ms=start, rate=0.05, units=12, time_scale=10)
    worker = IngestWorker(store, settings)
    jitter = random.Random(3)
    last: dict[Stream, tuple[int, int]] = {}
    moments = [start + minutes * 60_000 for minutes in (9, 31, 44, 70, 101, 128, 149)]
    scopes = [Scope(), Scope(region="SA-01")]
    seen: list[tuple[int, Scope, dict]] = []
    previous = start
    for moment in moments:
        write_slice(client, settings.stream_prefix, scenario.advance(moment), previous, moment, last, jitter)
        worker.work(burst=True)
        for scope in scopes:
            seen.append((moment, scope, _live(store, scope, moment)))
        previous = moment
    archiver = Archiver(store, settings)
    archiver.work(burst=True)
    end = moments[-1]
    Maintenance(settings.archive_dir, settings).run(end + HOUR_MS)  # compacts, writes keyframes
    yield settings, store, seen
    for key in client.scan_iter(match=f"{settings.stream_prefix}:*", count=1000):
        client.unlink(key)
    client.close()


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
