"""The archiver: every applied entry of the four streams, kept as Parquet: ``python -m app archive``.

It reads like the ingest worker (rq-style: set-up, a loop, teardown in ``finally``) but is its own
consumer group on the streams, so it neither slows ingest nor depends on it. Each round it reads,
validates with the same rules (:class:`app.prepare.Preparer`: an entry the ingest worker rejects is
not archived) and holds the rows; every ``archive_flush_s`` (or ``archive_flush_rows``) it writes
them as one Parquet part per stream and hour (:mod:`.layout`: fsync'd, renamed into place) and
only **then** acknowledges them. So:

* killed before the rename, nothing was written and every entry it held is still pending: the next
  start reads its own pending entries again and writes them;
* killed after the rename but before the acknowledgement, the entries are in the archive *and*
  pending: the next start finds them there (by stream entry id) and only acknowledges them.

Nothing is lost and nothing is doubled. Every ``MAINTENANCE_EVERY_S`` it compacts closed hours,
thins old positions and deletes days past the retention (:mod:`.compact`).

Like the ingest worker, this module never imports Dash.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from ..contract import INPUT_STREAMS, CallEvent, IncidentEvent, PortEvent, Stream, UnitEvent
from ..prepare import Preparer
from ..reference import Reference
from ..settings import Settings
from ..store import Batch, Store, StoreUnavailable
from . import layout
from .compact import Maintenance

log = logging.getLogger("basira.archive")

#: How often the archiver compacts, thins and enforces the retention (seconds).
MAINTENANCE_EVERY_S = 60.0
BACKOFF_START_S = 0.2
BACKOFF_CAP_S = 10.0
#: An incident dated further than this ahead of its receipt is flagged ``future`` (as the live store does).
FUTURE_FLAG_MS = 60_000


def rows_of(batch: Batch, archived_ms: int) -> dict[tuple[Stream, int], list[dict]]:
    """A prepared batch's valid events as archive rows, grouped by (stream, hour of receipt)."""
    out: dict[tuple[Stream, int], list[dict]] = {}
    stream = batch.stream
    for entry_id, event, region in batch.events:
        ms, seq = layout.entry_key(entry_id)
        row: dict = {"entry_ms": ms, "entry_seq": seq, "ts": event.ts, "region": region,  # type: ignore[attr-defined]
                     "archived_ms": archived_ms}
        if isinstance(event, IncidentEvent):
            row.update(id=event.id, status=event.status.value, agency=event.agency.value,
                       category=event.category.value, priority=event.priority, lat=event.lat, lon=event.lon,
                       description=event.description, units=",".join(event.units) or None,
                       future=event.ts > ms + FUTURE_FLAG_MS)
        elif isinstance(event, UnitEvent):
            row.update(id=event.id, agency=event.agency.value, status=event.status.value, lat=event.lat,
                       lon=event.lon, heading=event.heading, speed=event.speed, incident=event.incident)
        elif isinstance(event, PortEvent):
            row.update(port=event.port, direction=event.direction.value, category=event.category.value,
                       travellers=event.travellers, vehicles=event.vehicles, wait_min=event.wait_min)
        elif isinstance(event, CallEvent):
            row.update(id=event.id, answered_ts=event.answered_ts, lat=event.lat, lon=event.lon,
                       outcome=event.outcome.value, incident=event.incident)
        out.setdefault((stream, ms // layout.HOUR_MS), []).append(row)
    return out


def archived_ids(root: Path, stream: Stream, hour: int,
                 candidates: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of ``candidates`` (entry keys received in ``hour``) the archive already holds."""
    folder = layout.partition(root, stream, hour)
    paths = layout.files(folder)
    if not paths or not candidates:
        return set()
    lo, hi = min(candidates), max(candidates)
    found = duckdb.sql(
        "SELECT entry_ms, entry_seq FROM read_parquet($paths) "
        "WHERE entry_ms BETWEEN $lo AND $hi",
        params={"paths": [str(p) for p in paths], "lo": lo[0], "hi": hi[0]},
    ).fetchall()
    return {(int(ms), int(seq)) for ms, seq in found} & set(candidates)


class Archiver:
    """One archiver. Run one per deployment (it owns the archive folder); a second one in the same
    group would share the entries, each writing its own parts, which is also safe."""

    def __init__(self, store: Store, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.settings = settings
        self.root = Path(settings.archive_dir)
        self.group = settings.archive_group
        self.consumer = settings.ingest_consumer
        self.preparer = Preparer(Reference.from_settings(settings).region_index, store.ports)
        self.maintenance = Maintenance(self.root, settings)
        self.clock = clock
        self.stopping = threading.Event()
        self.archived = 0
        self.skipped = 0
        # Held rows, by (stream, hour), and the entry ids to acknowledge once they are written.
        self._rows: dict[tuple[Stream, int], list[dict]] = {}
        self._acks: dict[Stream, list[str]] = {}
        self._held = 0

    # -- the loop ----------------------------------------------------------------------------

    def work(self, burst: bool = False) -> int:
        """Run until stopped (or, with ``burst``, until nothing is left). Returns entries handled."""
        self._install_signal_handlers()
        handled = 0
        backoff = BACKOFF_START_S
        next_flush = self.clock() + self.settings.archive_flush_s
        next_maintenance = 0.0
        log.info("archiver %s started (group %s, archive %s)", self.consumer, self.group, self.root)
        try:
            self.store.streams.ensure_groups(self.group)
            handled += self.recover()
            while not self.stopping.is_set():
                try:
                    block = None if burst else min(1000, int(self.settings.archive_flush_s * 1000))
                    replies = self.store.streams.read_new(self.group, self.consumer,
                                                          self.settings.ingest_batch, block)
                    got = sum(len(entries) for _s, entries in replies)
                    for stream, entries in replies:
                        self.take(stream, entries)
                    handled += got
                    now = self.clock()
                    full = self._held >= self.settings.archive_flush_rows
                    if full or now >= next_flush or (burst and not got):
                        self.flush()
                        next_flush = now + self.settings.archive_flush_s
                    if now >= next_maintenance:
                        self.maintain()
                        next_maintenance = now + MAINTENANCE_EVERY_S
                    backoff = BACKOFF_START_S
                    if burst and got == 0:
                        break
                except (StoreUnavailable, OSError) as error:
                    log.warning("archiver: %s; retrying in %.1f s", error, backoff)
                    self.stopping.wait(backoff)
                    backoff = min(backoff * 2, BACKOFF_CAP_S)
                    if burst:
                        raise
        finally:
            try:
                self.flush()
            except (StoreUnavailable, OSError) as error:
                log.warning("archiver: could not write or acknowledge its last rows (%s); they stay "
                            "pending and are archived on the next start", error)
            log.info("archiver %s stopped: %d archived, %d not valid", self.consumer, self.archived,
                     self.skipped)
        return handled

    def stop(self) -> None:
        self.stopping.set()

    # -- steps -------------------------------------------------------------------------------

    def recover(self) -> int:
        """Archive this consumer's own pending entries (left by a crash), skipping those already in
        the archive, and take over those other archivers left pending too long."""
        handled = 0
        while True:
            replies = [(s, e) for s, e in self.store.streams.read_pending(
                self.group, self.consumer, self.settings.ingest_batch) if e]
            if not replies:
                break
            for stream, entries in replies:
                handled += len(entries)
                self.take(stream, entries, check=True)
            self.flush()
        idle, count = self.settings.reclaim_idle_ms, self.settings.ingest_batch
        for stream in INPUT_STREAMS:
            while entries := self.store.streams.reclaim(stream, self.group, self.consumer, idle, count):
                handled += len(entries)
                self.take(stream, entries, check=True)
                self.flush()
        if handled:
            log.info("archiver: recovered %d pending entries", handled)
        return handled

    def take(self, stream: Stream, entries: list[tuple[str, dict[str, str]]], check: bool = False) -> None:
        """Validate entries and hold their rows until the next flush; ``check``: leave out those the
        archive already holds (entries redelivered after a crash between writing and acknowledging)."""
        if not entries:
            return
        now_ms = int(self.clock() * 1000)
        batch = self.preparer.prepare(stream, entries, now_ms)
        self.skipped += len(batch.rejected)
        grouped = rows_of(batch, now_ms)
        if check:
            for (s, hour), rows in list(grouped.items()):
                have = archived_ids(self.root, s, hour, [(r["entry_ms"], r["entry_seq"]) for r in rows])
                kept = [r for r in rows if (r["entry_ms"], r["entry_seq"]) not in have]
                if len(kept) < len(rows):
                    log.info("archiver: %d entries of %s were already archived", len(rows) - len(kept),
                             s.value)
                grouped[(s, hour)] = kept
        for key, rows in grouped.items():
            self._rows.setdefault(key, []).extend(rows)
            self._held += len(rows)
        self._acks.setdefault(stream, []).extend(entry_id for entry_id, _fields in entries)

    def flush(self) -> int:
        """Write every held row (one part per stream and hour), then acknowledge their entries."""
        written = 0
        for (stream, hour), rows in sorted(self._rows.items(), key=lambda kv: (kv[0][0].value, kv[0][1])):
            if not rows:
                continue
            data = layout.table(stream, rows)
            first = (rows[0]["entry_ms"], rows[0]["entry_seq"])
            last = (rows[-1]["entry_ms"], rows[-1]["entry_seq"])
            folder = layout.partition(self.root, stream, hour)
            layout.write_atomic(folder / layout.part_name(first, last), data)
            written += len(rows)
        self._rows.clear()
        self._held = 0
        for stream, ids in self._acks.items():
            for i in range(0, len(ids), 5000):
                self.store.streams.ack(stream, self.group, ids[i : i + 5000])
        self._acks.clear()
        self.archived += written
        return written

    def maintain(self) -> None:
        """Compact closed hours, thin old positions, delete days past the retention."""
        try:
            self.maintenance.run(int(self.clock() * 1000), open_since=self._oldest_held())
        except (OSError, duckdb.Error, pa.ArrowException) as error:
            log.error("archive maintenance failed (%s); the archive is intact and it is tried again", error)

    def _oldest_held(self) -> int | None:
        return min((hour for (_s, hour), rows in self._rows.items() if rows), default=None)

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def request_stop(signum: int, _frame: object) -> None:
            log.info("signal %d: writing what is held", signum)
            self.stop()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
