"""Keyframes: the state at the start of each closed hour, so that a seek folds an hour, not a month.

Like a video's keyframes: :func:`app.archive.replay.fold` turns the keyframe of hour *H* and the rows
received during *H* into the keyframe of *H* + 1, so each is one hour's work and written once, when the
hour closes (the archiver's upkeep) or after a backfill. A keyframe is three small Parquet files
(``incidents``, ``units``, ``waits``) and a ``done`` mark written last: a keyframe without it is
unfinished and ignored, and rewritten by the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow.compute as pc

from ..contract import INPUT_STREAMS
from . import layout
from .replay import HOUR_MS, KEEP_CLOSED_MS, State, fold, keyframe_folder, keyframe_hours, read_keyframe

log = logging.getLogger("basira.archive")


def first_hour(root: Path) -> int | None:
    """The first hour the archive holds any entry of."""
    firsts = [next((h for h, f in layout.hours(root, s) if layout.files(f)), None) for s in INPUT_STREAMS]
    known = [h for h in firsts if h is not None]
    return min(known) if known else None


def write(root: Path, hour: int, state: State) -> State:
    """Write ``state`` (at the start of ``hour``) as that hour's keyframe, leaving out incidents closed
    longer than ``KEEP_CLOSED_MS`` before it; returns the state as written."""
    folder = keyframe_folder(root, hour)
    incidents = state.incidents
    old_closed = pc.and_(pc.equal(incidents["status"], "closed"),
                         pc.less(incidents["ts"], hour * HOUR_MS - KEEP_CLOSED_MS))
    incidents = incidents.filter(pc.invert(old_closed))
    (folder / "done").unlink(missing_ok=True)
    for name, table in (("incidents", incidents), ("units", state.units), ("waits", state.waits)):
        layout.write_atomic(folder / f"{name}.parquet", table)
    (folder / "done").write_text(str(hour))
    layout.sync_dir(folder)
    return State(state.at_ms, incidents, state.units, state.waits)


def catch_up(root: Path, closed_before_ms: int, limit: int | None = None,
             progress: Callable[[int, int], None] | None = None) -> int:
    """Write every missing keyframe of an hour that starts after the archive's first hour and whose
    previous hour is closed (ended before ``closed_before_ms``); at most ``limit``. Returns how many.
    ``progress(written, hours)`` is called after each one written."""
    start = first_hour(root)
    if start is None:
        return 0
    have = set(keyframe_hours(root))
    last = closed_before_ms // HOUR_MS  # hour `last` starts at or before the moment the closed ones end
    written = 0
    state: State | None = None
    con = duckdb.connect()
    try:
        for hour in range(start + 1, last + 1):
            if hour in have:
                state = None
                continue
            if state is None:
                have_previous = hour - 1 in have
                state = read_keyframe(root, hour - 1) if have_previous else State.empty(start * HOUR_MS - 1)
            state = write(root, hour, fold(state, root, hour * HOUR_MS - 1, con))
            written += 1
            if progress is not None:
                progress(written, last - start)
            if limit is not None and written >= limit:
                break
    finally:
        con.close()
    if written:
        log.info("archive: wrote %d keyframes", written)
    return written
