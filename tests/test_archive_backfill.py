"""The demo backfill writes what the archiver would have written, on real files, a real DuckDB and Redis.

* **The archiver's rows.** The backfill's entries for two hours — built one by one through the
  contract's models, as the simulator's producer writes them — are added to the real streams with
  their entry ids, archived by the real :class:`Archiver`, and its upkeep's compaction and thinning
  run on them; every file then equals the backfill's, column for column (but ``archived_ms``). That
  covers the columns built from arrays, regions, entry ids, sort order and the thinning.
* **The simulator's entries.** The same day run the simulator's way (every report an event on the heap,
  every entry made by :meth:`Scenario.advance`) gives the same entries as the backfill's chains.
* Layout, schemas, regions, thinned files for old hours; deterministic (and independent of the number
  of processes); every incident closed within its day; refuses to overwrite unless forced.

A small fleet at a low rate keeps each test to seconds; the code paths are the demo's.
"""

from __future__ import annotations

import os
import random
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import redis

from app.archive import backfill, compact, layout
from app.archive.archiver import Archiver
from app.contract import REGION_TOKENS, Stream
from app.reference import Reference
from app.settings import Settings
from app.simulation.world import World
from app.store import Store

HOUR_MS, DAY_MS = layout.HOUR_MS, layout.DAY_MS
#: 15:10 UTC on a day in 2026: the backfill ends at 15:00; with a one-hour full period its 13:00 hour is
#: thinned and its 14:00 hour kept whole.
DAY = 20_600
NOW = DAY * DAY_MS + 15 * HOUR_MS + 10 * 60_000
RATE, UNITS, SEED = 0.02, 12, 11


def demo(settings: Settings, root: Path) -> Settings:
    return settings.model_copy(update={"archive_dir": root, "sim_rate": RATE, "archive_full_days": 1 / 24})


def run(settings: Settings, hours: int = 2, **kwargs) -> dict:  # noqa: ANN003
    options = {"seed": SEED, "now_ms": NOW, "units": UNITS, "processes": 1, "progress": None, **kwargs}
    return backfill.backfill_demo(settings, hours=hours, **options)


@pytest.fixture(scope="module")
def two_hours(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict]:
    """The backfill's two hours to :data:`NOW` (settings with their archive, and what it reported), for
    the module's tests that only read them: made once (it takes seconds)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("BASIRA_"):
                patch.delenv(name)
        ours = demo(Settings(), tmp_path_factory.mktemp("backfill"))
    return ours, run(ours)


def files(root: Path) -> dict[str, Path]:
    """Every archive file, by its path under ``root``."""
    return {str(p.relative_to(root)): p for p in sorted(root.glob("stream=*/date=*/hour=*/*.parquet"))}


def read(path: Path) -> pa.Table:
    return pq.read_table(path)


# --- what the archiver writes -----------------------------------------------------------------------


def test_the_backfill_writes_what_the_archiver_writes_for_the_same_entries(
        settings: Settings, client: redis.Redis, tmp_path: Path, two_hours: tuple[Settings, dict]) -> None:
    ours, _result = two_hours

    # The same two hours as entries: the full hours' reports, built by the contract's models.
    world = World.from_reference(Reference.from_settings(settings))
    chunk = backfill.plan(NOW // HOUR_MS * HOUR_MS, 2)[0]
    sim = backfill._Recorder(world, seed=SEED, chunk=chunk, rate=RATE, time_scale=ours.sim_time_scale,
                             units=UNITS)
    written: Counter[Stream] = Counter()
    pipe = client.pipeline(transaction=False)
    for hour in range(chunk.start_ms // HOUR_MS, chunk.end_ms // HOUR_MS):
        thinned = (hour + 1) * HOUR_MS <= NOW - HOUR_MS
        got = sim.hour(hour * HOUR_MS, (hour + 1) * HOUR_MS, ours.archive_thin_s * 1000 if thinned else None,
                       coarse=False)
        seq: Counter[tuple[Stream, int]] = Counter()
        for t, stream, fields in backfill.entries(got, sim.fleet.units, sim.day_key):
            pipe.xadd(stream.key(settings.stream_prefix), fields, id=f"{t}-{seq[(stream, t)]}")
            seq[(stream, t)] += 1
            written[stream] += 1
    pipe.execute()
    assert written[Stream.units] > 5_000 and min(written.values()) > 50

    theirs = demo(settings, tmp_path / "archiver")
    archiver = Archiver(Store.from_settings(theirs), theirs, clock=lambda: NOW / 1000)
    archiver.work(burst=True)
    assert archiver.archived == sum(written.values()) and archiver.skipped == 0
    upkeep = compact.Maintenance(theirs.archive_dir, theirs)  # Maintenance.run's loop, without keyframes
    for stream in Stream:
        for hour, folder in list(layout.hours(theirs.archive_dir, stream)):
            if stream is Stream.units and (hour + 1) * HOUR_MS <= NOW - upkeep.full_ms:
                upkeep.thin_hour(folder)
            else:
                upkeep.compact_hour(stream, folder)

    mine, archived = files(ours.archive_dir), files(theirs.archive_dir)
    assert sorted(mine) == sorted(archived)
    assert any(name.endswith("thinned-60s.parquet") for name in mine)
    for name, path in mine.items():
        a, b = read(path), read(archived[name])
        assert a.num_rows == b.num_rows, name
        for column in a.schema.names:
            if column != "archived_ms":
                assert a[column].equals(b[column]), f"{name}: {column} differs"


def test_the_backfill_moves_units_as_the_simulator_does(settings: Settings) -> None:
    """The chains expanded in numpy give the entries the simulator's heap gives, report for report
    (but a report due in the very millisecond its unit changes plan: the heap may make it or not)."""
    world = World.from_reference(Reference.from_settings(settings))
    chunk = backfill.Chunk(DAY, DAY * DAY_MS + 13 * HOUR_MS, DAY * DAY_MS + 15 * HOUR_MS)
    options = {"seed": SEED, "chunk": chunk, "rate": RATE, "time_scale": settings.sim_time_scale,
               "units": UNITS}
    exact = backfill.ExactDay(world, **options)
    fast = backfill._Recorder(world, **options)
    lo, hi = chunk.start_ms, chunk.start_ms + HOUR_MS
    heap = exact.timed(hi - 1)
    got = fast.hour(lo, hi, None, coarse=False)
    ours = backfill.entries(got, fast.fleet.units, fast.day_key)
    changes = {(fast.fleet.units[row[1]].id, row[0]) for row in got["units"]}

    def key(entry: tuple) -> tuple:
        t, stream, fields = entry
        return stream.value, t, tuple(sorted(fields.items()))

    assert len(heap) > 10_000
    only_heap = Counter(map(key, heap)) - Counter(map(key, ours))
    only_ours = Counter(map(key, ours)) - Counter(map(key, heap))
    assert not only_ours
    for stream, t, fields in only_heap:
        assert stream == "units" and (dict(fields)["id"], t) in changes, (stream, t, fields)
    assert sum(only_heap.values()) < 5


def test_files_follow_the_layout_and_schemas_with_old_positions_thinned(
        two_hours: tuple[Settings, dict]) -> None:
    ours, result = two_hours
    root = ours.archive_dir
    end = NOW // HOUR_MS * HOUR_MS
    expected = set()
    for stream in Stream:
        for hour in (end // HOUR_MS - 2, end // HOUR_MS - 1):
            thinned = stream is Stream.units and (hour + 1) * HOUR_MS <= NOW - HOUR_MS
            name = compact.thinned_name(ours.archive_thin_s) if thinned else compact.COMPACTED
            expected.add(layout.partition(root, stream, hour) / name)
    assert set(files(root).values()) == expected
    regions = set(REGION_TOKENS)
    for path in expected:
        stream = Stream(path.parent.parent.parent.name.removeprefix("stream="))
        data = read(path)
        assert data.schema.remove_metadata() == layout.SCHEMAS[stream]
        assert set(data["region"].to_pylist()) <= regions
        hour = layout.hour_of(path.parent)
        ms = data["entry_ms"].to_numpy()
        assert (ms // HOUR_MS == hour).all()
        keys = list(zip(ms.tolist(), data["entry_seq"].to_pylist(), strict=True))
        assert len(set(keys)) == len(keys)
        assert data.equals(data.sort_by([(k, "ascending") for k in layout.SORT_KEYS[stream]]))
        meta = pq.read_schema(path).metadata
        assert meta[b"basira.backfill"] == f"demo, seed {SEED}".encode()
    units = {layout.hour_of(p.parent): read(p) for p in expected if "stream=units" in str(p)}
    old, recent = units[end // HOUR_MS - 2], units[end // HOUR_MS - 1]
    # Thinned: one report a unit a minute, and besides only changes of status or incident.
    rows = list(zip(old["id"].to_pylist(), (old["ts"].to_numpy() // 60_000).tolist(),
                    old["status"].to_pylist(), old["incident"].to_pylist(), strict=True))
    again = [(a, b) for a, b in zip(rows, rows[1:], strict=False) if a[:2] == b[:2]]
    assert again and all(a[2:] != b[2:] for a, b in again)
    assert len({row[:2] for row in rows}) <= UNITS * 60 < recent.num_rows
    assert recent.num_rows > 3 * old.num_rows
    assert result["rows"]["units"] == old.num_rows + recent.num_rows
    assert result["bytes"]["units"] == sum(p.stat().st_size for p in expected if "stream=units" in str(p))


def test_same_seed_same_rows_whatever_the_number_of_processes(settings: Settings, tmp_path: Path) -> None:
    # Two hours either side of midnight: two days, two scenarios.
    now = DAY * DAY_MS + HOUR_MS + 60_000
    one = demo(settings, tmp_path / "one")
    two = demo(settings, tmp_path / "two")
    other = demo(settings, tmp_path / "other")
    run(one, now_ms=now)
    run(two, now_ms=now, processes=2)
    run(other, now_ms=now, seed=SEED + 1)
    first, second, third = files(one.archive_dir), files(two.archive_dir), files(other.archive_dir)
    assert len(first) == 8 and sorted(first) == sorted(second) == sorted(third)
    for name in first:
        assert read(first[name]).equals(read(second[name])), name
    assert not read(first[next(iter(first))]).equals(read(third[next(iter(first))]))


def test_every_incident_closes_within_its_day_and_calls_stop_before_its_end(settings: Settings,
                                                                            tmp_path: Path) -> None:
    ours = demo(settings, tmp_path)
    result = run(ours, hours=3, now_ms=DAY * DAY_MS + HOUR_MS + 60_000)  # 22:00 → 01:00, across midnight
    assert result["open_at_end"] == 0
    incidents = pa.concat_tables([read(p) for n, p in files(tmp_path).items() if "stream=incidents" in n])
    statuses: dict[str, list[str]] = {}
    for id_, status in zip(incidents["id"].to_pylist(), incidents["status"].to_pylist(), strict=True):
        statuses.setdefault(id_, []).append(status)
    assert len(statuses) > 100 and all(s[-1] == "closed" for s in statuses.values())
    calls = pa.concat_tables([read(p) for n, p in files(tmp_path).items() if "stream=calls" in n])
    drain = backfill.drain_ms(ours.sim_time_scale)
    midnight = DAY * DAY_MS
    rung = calls["ts"].to_numpy()
    assert not ((rung >= midnight - drain) & (rung < midnight)).any()
    assert ((rung >= midnight) & (rung < midnight + HOUR_MS)).any()
    # The ids of the two days' incidents never meet.
    tags = {id_.split("-")[1] for id_ in statuses}
    assert len(tags) == 2


@pytest.mark.parametrize("processes", [1, 2])
def test_a_stop_ends_it_after_the_days_already_written(settings: Settings, tmp_path: Path,
                                                       processes: int) -> None:
    """The demo's Ctrl-C mid-backfill: the days not yet written are dropped (with a pool, the running ones
    are ended too), no keyframes are made, and the result says so."""
    stop = threading.Event()
    days_done: list[str] = []

    def progress(line: str) -> None:
        if " days, " in line:  # a day written: stop after the first
            days_done.append(line)
            stop.set()

    result = run(demo(settings, tmp_path), hours=4 * 24, now_ms=NOW, processes=processes, progress=progress,
                 stop=stop)
    assert result["stopped"] is True and result["keyframes"] == 0
    assert len(days_done) == result["days"] >= 1 and result["days"] < 5  # the span is five days
    assert not (tmp_path / "keyframes").exists()
    full = run(demo(settings, tmp_path / "all"), hours=24, now_ms=NOW)
    assert full["stopped"] is False and full["days"] == 2


def test_it_refuses_to_overwrite_archived_hours_unless_forced(settings: Settings, tmp_path: Path) -> None:
    ours = demo(settings, tmp_path)
    hour = NOW // HOUR_MS - 1
    folder = layout.partition(tmp_path, Stream.calls, hour)
    part = layout.write_atomic(folder / "part-1-0_2-0.parquet", layout.table(Stream.calls, []))
    with pytest.raises(backfill.BackfillRefused, match="--force"):
        run(ours, hours=1)
    assert [p.name for p in layout.files(folder)] == [part.name]
    run(ours, hours=1, force=True)
    assert [p.name for p in layout.files(folder)] == [compact.COMPACTED]


# --- the pieces ---------------------------------------------------------------------------------------


def test_the_plan_cuts_at_midnight_and_ends_at_the_hour() -> None:
    end = DAY * DAY_MS + 5 * HOUR_MS
    chunks = backfill.plan(end, 30)
    assert [(c.day, (c.end_ms - c.start_ms) // HOUR_MS) for c in chunks] == [(DAY - 2, 1), (DAY - 1, 24),
                                                                          (DAY, 5)]
    assert chunks[0].start_ms == end - 30 * HOUR_MS and chunks[-1].end_ms == end


def test_the_quick_region_test_gives_the_simulators_answers(settings: Settings) -> None:
    reference = Reference.from_settings(settings)
    fast, slow = backfill.FastWorld(reference), World.from_reference(reference)
    rng = random.Random(3)
    hints = [None, *reference.region_index.codes.tolist()]
    for _ in range(3000):
        lat, lon = rng.uniform(15.0, 33.0), rng.uniform(34.0, 56.5)
        hint = rng.choice(hints)
        assert fast.region_of(lat, lon, hint) == slow.region_of(lat, lon, hint)


def test_rounding_is_pythons() -> None:
    rng = np.random.default_rng(5)
    values = np.r_[rng.uniform(15, 35, 20_000), (np.arange(2_400_000, 2_400_400) + 0.5) / 1e5,
                   np.nextafter((np.arange(2_400_000, 2_400_400) + 0.5) / 1e5, 0)]
    assert backfill._round5(values).tolist() == [round(v, 5) for v in values.tolist()]


def test_the_drain_covers_the_longest_incident() -> None:
    assert backfill.drain_ms(10.0) == 17 * 60_000  # 948 s, plus a minute, in whole minutes
    assert backfill.drain_ms(1.0) > 2 * HOUR_MS
