"""Keeping the archive small and tidy: compaction, thinning, retention.

* **Compaction.** The archiver writes a part every few seconds; an hour that can receive nothing more
  (it ended more than ``CLOSE_AFTER_MS`` ago and the archiver holds none of its rows) is rewritten as
  one file, ``hour.parquet``, sorted by entity then time — which is what lets Parquet's encodings shrink
  a unit's track — and its parts deleted. Rows are de-duplicated by stream entry id on the way.
* **Thinning.** Unit positions are about nine entries in ten. Hours older than ``archive_full_days``
  keep one position per unit per ``archive_thin_s`` seconds, plus every row where the unit's status
  or incident changed, as ``thinned-<N>s.parquet`` (the name says so, and replay says so on screen).
* **Retention.** Days older than ``archive_retention_days`` are deleted, folder by folder.

Each rewrite is atomic (:func:`.layout.write_atomic`) and happens *before* the files it replaces are
deleted: a crash in between leaves rows twice, which the next run's rewrite removes.
"""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from ..contract import INPUT_STREAMS, Stream
from ..settings import Settings
from . import keyframes, layout

log = logging.getLogger("basira.archive")

#: An hour is closed (compacted) once it ended this long ago: entries arrive in id order, so only a
#: reclaimed entry of a dead archiver could still land in it, and a later run compacts that too.
CLOSE_AFTER_MS = 5 * 60_000
COMPACTED = "hour.parquet"
#: Keyframes written per upkeep run (each folds an hour): a month written after a backfill takes a
#: while, and the archiver must go back to reading between runs.
KEYFRAMES_PER_RUN = 12


def thinned_name(every_s: int) -> str:
    return f"thinned-{every_s}s.parquet"


def read_rows(paths: list[Path], stream: Stream, where: str = "") -> pa.Table:
    """The rows of ``paths`` in the stream's schema, each stream entry once, sorted for storage."""
    columns = ", ".join(f'"{name}"' for name in layout.SCHEMAS[stream].names)
    order = ", ".join(f'"{name}"' for name in layout.SORT_KEYS[stream])
    sql = (f"SELECT {columns} FROM read_parquet($paths, hive_partitioning=0) {where} "
           f"QUALIFY row_number() OVER (PARTITION BY entry_ms, entry_seq) = 1 ORDER BY {order}")
    data = duckdb.sql(sql, params={"paths": [str(p) for p in paths]}).to_arrow_table()
    return data.cast(layout.SCHEMAS[stream])


def thin(paths: list[Path], every_s: int) -> pa.Table:
    """Unit positions of ``paths``, one per unit per ``every_s`` seconds of event time (the first),
    plus each row whose status or incident differs from the unit's previous row."""
    columns = ", ".join(f'"{name}"' for name in layout.SCHEMAS[Stream.units].names)
    order = ", ".join(f'"{name}"' for name in layout.SORT_KEYS[Stream.units])
    sql = f"""
        WITH rows AS (
            SELECT {columns} FROM read_parquet($paths, hive_partitioning=0)
            QUALIFY row_number() OVER (PARTITION BY entry_ms, entry_seq) = 1
        ), marked AS (
            SELECT *,
                row_number() OVER (PARTITION BY id, ts // $every ORDER BY entry_ms, entry_seq) AS nth,
                lag(status) OVER (PARTITION BY id ORDER BY entry_ms, entry_seq) AS was,
                lag(incident) OVER (PARTITION BY id ORDER BY entry_ms, entry_seq) AS was_incident
            FROM rows
        )
        SELECT {columns} FROM marked
        WHERE nth = 1 OR was IS NULL OR was <> status OR was_incident IS DISTINCT FROM incident
        ORDER BY {order}
    """
    params = {"paths": [str(p) for p in paths], "every": every_s * 1000}
    data = duckdb.sql(sql, params=params).to_arrow_table()
    return data.cast(layout.SCHEMAS[Stream.units])


class Maintenance:
    """The archive's upkeep, run by the archiver every minute (and by tests on their own clock)."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.full_ms = int(settings.archive_full_days * layout.DAY_MS)
        self.thin_s = settings.archive_thin_s
        self.retention_days = settings.archive_retention_days

    def run(self, now_ms: int, open_since: int | None = None) -> dict[str, int]:
        """One pass. ``open_since``: the oldest hour the archiver still holds rows of (not closed)."""
        done = {"compacted": 0, "thinned": 0, "deleted_days": self.expire(now_ms)}
        for stream in INPUT_STREAMS:
            for hour, folder in list(layout.hours(self.root, stream)):
                end = (hour + 1) * layout.HOUR_MS
                if end > now_ms - CLOSE_AFTER_MS or (open_since is not None and hour >= open_since):
                    break  # hours come oldest first: the rest are open too
                if stream is Stream.units and end <= now_ms - self.full_ms:
                    done["thinned"] += self.thin_hour(folder)
                else:
                    done["compacted"] += self.compact_hour(stream, folder)
        closed_before = now_ms - CLOSE_AFTER_MS
        if open_since is not None:
            closed_before = min(closed_before, open_since * layout.HOUR_MS)
        done["keyframes"] = keyframes.catch_up(self.root, closed_before, limit=KEYFRAMES_PER_RUN)
        return done

    def compact_hour(self, stream: Stream, folder: Path) -> int:
        """Rewrite a closed hour's parts as one sorted file; 1 when it did."""
        paths = layout.files(folder)
        if not paths or [p.name for p in paths] == [COMPACTED] or any(
                p.name.startswith("thinned-") for p in paths):
            return 0
        data = read_rows(paths, stream)
        layout.write_atomic(folder / COMPACTED, data, {"basira.rows": str(data.num_rows)})
        self._remove(p for p in paths if p.name != COMPACTED)
        return 1

    def thin_hour(self, folder: Path) -> int:
        """Rewrite a closed hour of unit positions past the full-detail period as a thinned file."""
        name = thinned_name(self.thin_s)
        paths = layout.files(folder)
        if not paths or [p.name for p in paths] == [name]:
            return 0
        data = thin(paths, self.thin_s)
        layout.write_atomic(folder / name, data, {"basira.thinned_s": str(self.thin_s)})
        self._remove(p for p in paths if p.name != name)
        return 1

    def expire(self, now_ms: int) -> int:
        """Delete the days older than the retention; the number of day folders deleted."""
        cutoff = datetime.fromtimestamp(now_ms / 1000, UTC).date().toordinal() - self.retention_days
        deleted = 0
        for stream in INPUT_STREAMS:
            base = self.root / f"stream={stream.value}"
            for day in sorted(base.glob("date=*")) if base.is_dir() else []:
                try:
                    when = datetime.strptime(day.name.removeprefix("date="), "%Y-%m-%d").date()
                except ValueError:
                    continue  # not ours: never delete what we did not write
                if when.toordinal() < cutoff:
                    shutil.rmtree(day)
                    deleted += 1
        if deleted:
            log.info("archive: deleted %d day folders past the %d-day retention", deleted,
                     self.retention_days)
        return deleted

    @staticmethod
    def _remove(paths) -> None:  # noqa: ANN001 - any iterable of paths
        folders = set()
        for path in paths:
            path.unlink(missing_ok=True)
            folders.add(path.parent)
        for folder in folders:
            layout.sync_dir(folder)
