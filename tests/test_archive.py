"""The archiver and its upkeep, on real streams and real files: nothing lost, nothing doubled.

* ``python -m app archive`` killed with SIGKILL while entries pour in, then started again: the archive
  holds every entry of the streams exactly once.
* the two windows a crash can hit, made to happen on purpose: after the part is written but before the
  entries are acknowledged (the restart finds them archived and only acknowledges them), and before
  the part is renamed into place (a stray temporary file that no reader sees).
* compaction, thinning and retention on a controlled clock; invalid entries are not archived; the
  streams are not trimmed under an archiver that is behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from app.archive import layout
from app.archive.archiver import Archiver
from app.archive.compact import COMPACTED, Maintenance, thinned_name
from app.contract import Stream
from app.settings import Settings
from app.store import Store
from tests.helpers import incident, unit

ROOT = Path(__file__).resolve().parent.parent
HOUR_MS = layout.HOUR_MS


def archived(root: Path, stream: Stream) -> list[tuple[int, int]]:
    """Every (entry_ms, entry_seq) the archive holds for ``stream``, duplicates included."""
    files = [str(p) for _h, folder in layout.hours(root, stream) for p in layout.files(folder)]
    if not files:
        return []
    return [tuple(r) for r in duckdb.sql(
        "SELECT entry_ms, entry_seq FROM read_parquet($f, hive_partitioning=0)", params={"f": files}
    ).fetchall()]


def ids_of(client, key: str) -> list[tuple[int, int]]:
    return [layout.entry_key(entry_id) for entry_id, _fields in client.xrange(key)]


def poll(predicate, timeout_s: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what} after {timeout_s:g} s")


def archiver_process(settings: Settings, consumer: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASIRA_")}
    env.update(REDIS_URL=settings.redis_url or "", BASIRA_STREAM_PREFIX=settings.stream_prefix,
               BASIRA_INGEST_CONSUMER=consumer, BASIRA_ARCHIVE_DIR=str(settings.archive_dir),
               BASIRA_ARCHIVE_FLUSH_S="0.05", BASIRA_INGEST_BATCH="100")
    return subprocess.Popen([sys.executable, "-m", "app", "archive"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def write_units(client, prefix: str, start: int, n: int) -> None:
    pipe = client.pipeline(transaction=False)
    base = int(time.time() * 1000) - 60_000
    for i in range(start, start + n):
        pipe.xadd(f"{prefix}:units", unit(f"U{i % 50}", ts=base + i, lat=24.7 + i * 1e-5, lon=46.7))
    pipe.execute()


@pytest.fixture
def archiving(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"archive_dir": tmp_path / "archive"})


def test_an_archiver_killed_mid_write_loses_nothing_and_doubles_nothing(archiving: Settings, client) -> None:
    prefix = archiving.stream_prefix
    write_units(client, prefix, 0, 3000)
    victim = archiver_process(archiving, "victim")
    try:
        poll(lambda: len(archived(archiving.archive_dir, Stream.units)) >= 500, 60, "the first parts")
        write_units(client, prefix, 3000, 3000)  # more pours in while it works
        victim.send_signal(signal.SIGKILL)
    finally:
        victim.wait(timeout=30)
    before = archived(archiving.archive_dir, Stream.units)
    assert len(before) < 6000, "the archiver finished before it was killed; nothing was tested"

    same_consumer = archiving.model_copy(update={"ingest_consumer": "victim"})
    again = Archiver(Store.from_settings(archiving), same_consumer)
    again.work(burst=True)
    rows = archived(archiving.archive_dir, Stream.units)
    assert len(rows) == len(set(rows)) == 6000
    assert sorted(rows) == ids_of(client, f"{prefix}:units")
    assert client.xpending(f"{prefix}:units", archiving.archive_group)["pending"] == 0


def test_a_crash_between_writing_and_acknowledging_doubles_nothing(archiving: Settings, client) -> None:
    prefix = archiving.stream_prefix
    write_units(client, prefix, 0, 400)
    store = Store.from_settings(archiving)
    first = Archiver(store, archiving)
    store.streams.ensure_groups(archiving.archive_group)
    for stream, entries in store.streams.read_new(archiving.archive_group, first.consumer, 1000, None):
        first.take(stream, entries)
    first._acks.clear()  # the process "dies" after the rename, before XACK
    first.flush()
    assert len(archived(archiving.archive_dir, Stream.units)) == 400
    assert client.xpending(f"{prefix}:units", archiving.archive_group)["pending"] == 400

    Archiver(store, archiving).work(burst=True)  # same consumer: its pending entries come back
    rows = archived(archiving.archive_dir, Stream.units)
    assert sorted(rows) == ids_of(client, f"{prefix}:units")
    assert client.xpending(f"{prefix}:units", archiving.archive_group)["pending"] == 0


def test_a_torn_temporary_file_is_never_read(archiving: Settings, client) -> None:
    write_units(client, archiving.stream_prefix, 0, 100)
    Archiver(Store.from_settings(archiving), archiving).work(burst=True)
    hour, folder = next(layout.hours(archiving.archive_dir, Stream.units))
    (folder / ".part-1-0_2-0.parquet.999.tmp").write_bytes(b"PAR1 half a file")
    assert len(archived(archiving.archive_dir, Stream.units)) == 100
    assert [p.name for p in layout.files(folder)] == [p.name for p in layout.files(folder)
                                                       if not p.name.startswith(".")]


def test_invalid_entries_are_not_archived(archiving: Settings, client) -> None:
    prefix = archiving.stream_prefix
    client.xadd(f"{prefix}:incidents", incident("OK1"))
    client.xadd(f"{prefix}:incidents", incident("BAD", lat="abc"))
    archiver = Archiver(Store.from_settings(archiving), archiving)
    archiver.work(burst=True)
    assert archiver.archived == 1 and archiver.skipped == 1
    files = [str(p) for _h, f in layout.hours(archiving.archive_dir, Stream.incidents)
             for p in layout.files(f)]
    assert duckdb.sql("SELECT id FROM read_parquet($f)", params={"f": files}).fetchall() == [("OK1",)]
    assert client.xpending(f"{prefix}:incidents", archiving.archive_group)["pending"] == 0


def test_trimming_waits_for_an_archiver_that_is_behind(archiving: Settings, client) -> None:
    from app.ingest import IngestWorker

    prefix = archiving.stream_prefix
    old = int(time.time() * 1000) - 5 * HOUR_MS
    client.xadd(f"{prefix}:units", unit("U1", ts=old), id=f"{old}-0")
    store = Store.from_settings(archiving)
    store.streams.ensure_groups(archiving.archive_group)  # an archiver exists but has read nothing
    IngestWorker(store, archiving).work(burst=True)  # applies it, and trims the streams (2 h)
    assert client.xlen(f"{prefix}:units") == 1
    Archiver(store, archiving).work(burst=True)
    IngestWorker(store, archiving).maintain()
    assert client.xlen(f"{prefix}:units") == 0
    assert archived(archiving.archive_dir, Stream.units) == [(old, 0)]


def _part(root: Path, stream: Stream, rows: list[dict]) -> None:
    hour = rows[0]["entry_ms"] // HOUR_MS
    first, last = rows[0], rows[-1]
    name = layout.part_name((first["entry_ms"], first["entry_seq"]), (last["entry_ms"], last["entry_seq"]))
    layout.write_atomic(layout.partition(root, stream, hour) / name, layout.table(stream, rows))


def _position(ms: int, uid: str, status: str = "available", incident: str | None = None) -> dict:
    return {"entry_ms": ms, "entry_seq": 0, "ts": ms, "region": "SA-01", "archived_ms": ms, "id": uid,
            "agency": "patrol", "status": status, "lat": 24.7, "lon": 46.7, "heading": None, "speed": None,
            "incident": incident}


def test_upkeep_compacts_closed_hours_thins_old_positions_and_keeps_the_retention(tmp_path: Path) -> None:
    settings = Settings(archive_dir=tmp_path, archive_full_days=1, archive_thin_s=60,
                        archive_retention_days=3)
    now = (1_796_000_000_000 // HOUR_MS) * HOUR_MS + 30 * 60_000
    recent, old, ancient = now - 3 * HOUR_MS, now - 2 * layout.DAY_MS, now - 5 * layout.DAY_MS
    for start in (recent, old, ancient):
        start -= start % HOUR_MS
        # a position every 10 s for 10 minutes, in two parts; dispatched for one report at 5 min 10 s
        rows = [_position(start + i * 10_000, "U1", "dispatched" if i == 31 else "available")
                for i in range(60)]
        _part(tmp_path, Stream.units, rows[:25])
        _part(tmp_path, Stream.units, rows[25:])
    current = now - now % HOUR_MS
    _part(tmp_path, Stream.units, [_position(current + 1000, "U1")])  # the open hour: left alone

    done = Maintenance(tmp_path, settings).run(now)
    assert done["deleted_days"] == 1 and done["compacted"] == 1 and done["thinned"] == 1

    def names(ms: int) -> list[str]:
        return [p.name for p in layout.files(layout.partition(tmp_path, Stream.units, ms // HOUR_MS))]

    assert names(recent) == [COMPACTED]
    assert names(old) == [thinned_name(60)]
    assert not layout.partition(tmp_path, Stream.units, ancient // HOUR_MS).exists()
    assert len(names(current)) == 1 and names(current)[0].startswith("part-")
    got = archived(tmp_path, Stream.units)
    # every recent one; one a minute of the old ones, plus the change and the change back; the open hour's
    assert len(got) == 60 + (10 + 2) + 1
    old_files = [str(p) for p in layout.files(layout.partition(tmp_path, Stream.units, old // HOUR_MS))]
    thinned = duckdb.sql("SELECT ts, status FROM read_parquet($f) ORDER BY ts",
                         params={"f": old_files}).fetchall()
    assert [s for _t, s in thinned].count("dispatched") == 1
    assert Maintenance(tmp_path, settings).run(now)["compacted"] == 0  # nothing more to do
