"""The ingest worker: streams in, validated state out.

Read it top to bottom, like rq's worker: set-up (consumer groups, signal handlers), then a loop —
stop flag, take over entries a dead consumer left behind, a blocking batched read, validate, assign
regions, stage the commits — and teardown in ``finally``. On a backlog Redis applies one round while
the next is validated: sent without waiting, on the worker's own thread (:class:`PipelinedCommitter`),
or, where the store needs it (a Cluster, shards, replicas waited for), on a second thread
(:class:`ThreadedCommitter`). Redis outages are handled in one place with capped back-off.
``work(burst=True)`` drains what is there and returns, which is how tests run it.

This module must never import Dash: workers run where no web stack is installed or wanted.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from .contract import INPUT_STREAMS, Stream
from .prepare import Preparer
from .reference import Reference
from .settings import Settings
from .store import Batch, CommitRefused, Store, StoreRefused, StoreUnavailable
from .store.errors import is_systemic
from .store.pipelined import Outcome, PipelinedCommits, possible

log = logging.getLogger("basira.ingest")

#: How often the worker trims the streams and forgets expired history (seconds).
MAINTENANCE_EVERY_S = 60.0
#: At most this often the worker records that it is caught up (its heartbeat; seconds).
HEARTBEAT_EVERY_S = 0.5
#: Back-off after a Redis error: starts here, doubles, stops growing at the cap (seconds).
BACKOFF_START_S = 0.2
BACKOFF_CAP_S = 10.0
#: The cap while Redis cannot be reached at all: a failover (Sentinel promoting a replica) takes a few
#: seconds, and a worker asleep for 10 s after it would keep the picture stale for as long; a retry
#: every 2 s costs a connection attempt.
UNREACHABLE_BACKOFF_CAP_S = 2.0
#: Validation lets the commit thread run after this many entries (:class:`~app.prepare.Preparer`): it
#: waits for the GIL once Redis has answered, and Redis then waits for it.
PAUSE_EVERY = 50
#: The cyclic garbage collector's thresholds in an ingest process (:func:`quiet_gc`): a collection of the
#: youngest generation after this many net allocations of containers, of the older ones after 50 and 100
#: of the younger (CPython's defaults: 700, 10, 10).
GC_THRESHOLDS = (100_000, 50, 100)


def quiet_gc() -> None:
    """Keep the cyclic garbage collector out of an ingest process's way (``python -m app ingest``).

    A batch is thousands of short-lived dicts, strings and events, freed by reference counting as soon
    as it is committed (none of them in cycles); CPython's default thresholds still ran a collection
    every 700 of them, and each older-generation one walked the whole heap — the region index, the
    models, the libraries — again: measured, 488 collections and 7-10 µs per entry of 25-35 in a
    60,000-unit drain. The objects made at start-up are frozen (never walked again) and the
    thresholds raised; collections still run, rarely, for what cycles there are.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def commit_isolating(store: Store, batch: Batch, group: str | None, now_ms: int, *,
                     wait: bool = True, failed: Exception | None = None) -> Batch:
    """Commit ``batch``; when it fails for something in its entries, commit them one at a time and
    reject each one that still fails (its reason names the error's class). Returns what was
    committed: ``batch``, or the batch as it ended up. Failures of Redis itself are raised.
    ``failed``: the error a commit of ``batch`` already met (:class:`PipelinedCommitter`), not tried again.

    Without this, one entry Redis refuses (or that cannot be encoded) would fail its whole batch
    again and again, holding up every entry behind it. Refusals that say nothing about the entries
    (memory, permissions, failover, loading…: :func:`~app.store.errors.is_systemic`) are raised, and
    the loop backs off and retries. ``wait`` False leaves the wait for replicas to the caller
    (:meth:`~app.store.apply.Apply.await_replicas`, once a round).
    """
    if failed is None:
        try:
            store.apply.commit(batch, group, now_ms=now_ms, wait=wait)  # the store's errors, never redis's
            return batch
        except Exception as error:  # noqa: BLE001 - anything an entry can cause; Redis's own failures re-raised
            failed = error
    if is_systemic(failed):
        raise failed
    log.warning("a batch of %d %s failed (%s); committing its entries one at a time",
                batch.size, batch.stream.value, type(failed).__name__)
    # A refusal after EXEC: the rejects and acknowledgements of the batch were committed.
    settled = list(batch.rejected) if isinstance(failed, CommitRefused) else []
    done = Batch(batch.stream, rejected=settled)
    singles = [Batch(batch.stream, events=[event], stamps=batch.stamps) for event in batch.events]
    singles += [Batch(batch.stream, rejected=[rejected]) for rejected in batch.rejected if not settled]
    originals: dict[str, dict[str, str]] | None = None
    for single in singles:
        try:
            store.apply.commit(single, group, now_ms=now_ms, wait=wait)
        except Exception as error:  # noqa: BLE001 - as above
            if is_systemic(error):
                raise
            cause = error.error if isinstance(error, CommitRefused) else error
            cause = cause.cause if isinstance(cause, StoreUnavailable) else cause  # redis's own, by name
            if originals is None:
                originals = store.streams.entries(batch.stream, [e[0] for e in batch.events])
            entry_id = single.entry_ids[0]
            reason = f"could not be applied ({type(cause).__name__}: {str(cause)[:120]})"
            single = Batch(batch.stream, rejected=[(entry_id, originals.get(entry_id, {}), reason)])
            store.apply.commit(single, group, now_ms=now_ms, wait=wait)
        done.events += single.events
        done.rejected += single.rejected
    return done


def last_commits(flush: Callable[[], list[Batch]]) -> list[Batch]:
    """A stopping worker's last ``flush()``: the batches committed; errors are logged, not raised (what
    was not committed stays pending, to be reclaimed)."""
    try:
        return flush()
    except (StoreUnavailable, OSError) as error:
        log.warning("could not commit the last batches (%s); they will be reclaimed", error)
        return []


#: One read's entries, by stream.
Replies = list[tuple[Stream, list[tuple[str, dict[str, str]]]]]


class ThreadedCommitter:
    """Commits batches on a thread of its own, in order, one round at a time (for a store that
    :class:`PipelinedCommitter` cannot serve: a Cluster, shards, replicas waited for).

    While Redis applies one round of batches (each a MULTI/EXEC of scripts), the worker's thread
    reads and validates the next, so the two overlap instead of taking turns — on a backlog only: a
    round that does not fill its batches is committed and waited for at once (:meth:`flush`; nothing
    is held back while the next read blocks). At most one round is in flight: a read starts the round
    staged (validated before it) once the one before has finished, and re-raises that one's error in
    the worker's thread, where the loop's back-off handles it (the failed round's entries, and those
    staged, stay pending and are reclaimed). Each commit is as atomic as before; rounds overlap only
    with validation, never with each other.
    """

    def __init__(self, store: Store, group: str, consumer: str, clock: Callable[[], float]) -> None:
        self.store = store
        self.group = group
        self.consumer = consumer
        self.clock = clock
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-commit")
        self._in_flight: Future[list[Batch]] | None = None
        self._staged: list[Batch] = []

    @property
    def staged(self) -> bool:
        return bool(self._staged)

    def read(self, count: int, block_ms: int | None) -> tuple[Replies, list[Batch]]:
        """The next round's entries; then the round staged is started (once the one in flight has
        finished: returned)."""
        replies = self.store.streams.read_new(self.group, self.consumer, count, block_ms)
        staged, self._staged = self._staged, []
        return replies, self._submit(staged)

    def stage(self, batches: list[Batch]) -> None:
        self._staged += batches

    def flush(self) -> list[Batch]:
        """Commit what is staged and in flight; returns the batches committed."""
        staged, self._staged = self._staged, []
        done = self._submit(staged)
        return done + self.settle()

    def settle(self) -> list[Batch]:
        """The round in flight, once committed (``[]`` when there is none)."""
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is None:
            return []
        try:
            return in_flight.result()
        finally:
            # A failed round's error holds this frame (its traceback), and the frame the future, which
            # holds the error: a cycle that only the cyclic collector frees — rarely, in an ingest
            # process (quiet_gc) — keeping the round's batches and whatever its frames held.
            del in_flight

    def discard(self) -> None:
        """Forget the batches staged (after a failure: their entries are pending, read again)."""
        self._staged = []

    def close(self) -> list[Batch]:
        """Commit what is in flight and staged (:func:`last_commits`), then stop the thread."""
        try:
            return last_commits(self.flush)
        finally:
            self._pool.shutdown(wait=True)

    def _submit(self, batches: list[Batch]) -> list[Batch]:
        done = self.settle()
        if batches:
            self._in_flight = self._pool.submit(self._commit, batches)
        return done

    def _commit(self, batches: list[Batch]) -> list[Batch]:
        now_ms = int(self.clock() * 1000)
        done = [commit_isolating(self.store, batch, self.group, now_ms, wait=False) for batch in batches]
        self.store.apply.await_replicas(sum(batch.size for batch in done))  # one WAIT for the round
        return done


class PipelinedCommitter:
    """Commits on the worker's own thread, sent without waiting (:class:`~app.store.pipelined.
    PipelinedCommits`): Redis applies one round while the worker validates the next and encodes its
    commits, and the replies are read at the next read. No second thread, so no handover of the GIL.
    Measured on a backlog (issue 17), against :class:`ThreadedCommitter` in the same runs: see
    ``docs/benchmarks.md``. A batch whose commit failed for something in its entries is committed again
    one entry at a time (:func:`commit_isolating`); a failure of Redis itself is raised."""

    def __init__(self, store: Store, group: str, consumer: str, clock: Callable[[], float]) -> None:
        self.store = store
        self.group = group
        self.consumer = consumer
        self.clock = clock
        self.commits = PipelinedCommits(store.apply, store.streams)

    @property
    def staged(self) -> bool:
        return self.commits.staged

    def read(self, count: int, block_ms: int | None) -> tuple[Replies, list[Batch]]:
        replies, outcomes = self.commits.read(self.group, self.consumer, count, block_ms)
        return replies, self._done(outcomes)

    def stage(self, batches: list[Batch]) -> None:
        self.commits.stage(batches, self.group, int(self.clock() * 1000))

    def flush(self) -> list[Batch]:
        return self._done(self.commits.flush())

    def settle(self) -> list[Batch]:
        return self._done(self.commits.collect())

    def discard(self) -> None:
        self.commits.discard()

    def close(self) -> list[Batch]:
        """Commit what is staged and read every reply (:func:`last_commits`), then let the connection go."""
        try:
            return last_commits(self.flush)
        finally:
            self.commits.discard()

    def _done(self, outcomes: list[Outcome]) -> list[Batch]:
        """The batches committed; each refused for something in its entries is isolated first — all of
        them, since Redis ran every transaction sent — and then the first failure of Redis itself is
        raised (its batch's entries stay pending)."""
        now_ms = int(self.clock() * 1000)
        done, systemic = [], []
        for batch, error in outcomes:
            if error is None:
                done.append(batch)
            elif is_systemic(error):
                systemic.append(error)
            else:
                done.append(commit_isolating(self.store, batch, self.group, now_ms, failed=error))
        if systemic:
            raise systemic[0]
        return done


class IngestWorker:
    """One consumer of the shared consumer group.

    Any number of workers may run side by side (on one machine or many); each entry is applied
    by exactly one of them, and applying one twice — after a crash — changes nothing.
    """

    def __init__(self, store: Store, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.settings = settings
        self.group = settings.ingest_group
        self.consumer = settings.ingest_consumer
        #: Commits on the worker's own thread, sent without waiting, where the store allows it.
        self.pipelined = settings.ingest_pipelined and possible(store.apply)
        # Validation hands the GIL to the commit thread now and then; with no such thread, never.
        self.preparer = Preparer(Reference.from_settings(settings).region_index, store.ports,
                                 pause_every=0 if self.pipelined else PAUSE_EVERY)
        self.clock = clock
        self.stopping = threading.Event()
        self.applied = 0
        self.rejected = 0

    # -- the loop ----------------------------------------------------------------------------

    def work(self, burst: bool = False) -> int:
        """Run until stopped (or, with ``burst``, until nothing is left). Returns entries handled."""
        self._install_signal_handlers()
        handled = 0
        backoff = BACKOFF_START_S
        next_reclaim = 0.0
        next_maintenance = 0.0
        next_heartbeat = 0.0
        kind = PipelinedCommitter if self.pipelined else ThreadedCommitter
        committer = kind(self.store, self.group, self.consumer, self.clock)
        # Entries this consumer holds unacknowledged are applied first: at start (a restart under the
        # same consumer name) and after the connection broke (a failover: what was in flight may not
        # have run, and staged batches are dropped, to be read again from the pending list, never twice).
        own_pending_first = True
        log.info("ingest worker %s started (group %s, prefix %s, %s commits)", self.consumer, self.group,
                 self.store.keys.prefix, "pipelined" if self.pipelined else "threaded")
        groups_ready = False  # made in the loop: a worker started during a failover waits it out
        try:
            while not self.stopping.is_set():
                try:
                    now = self.clock()
                    got = 0
                    if not groups_ready:
                        self.store.streams.ensure_groups(self.group)
                        groups_ready = True
                    if own_pending_first:
                        self._settle(committer)
                        got += self.apply_own_pending()
                        own_pending_first = False
                    if now >= next_reclaim or burst:
                        # Commit what this worker holds first, or it could take its own entries over.
                        self._tally(committer.flush())
                        got += self.reclaim_stale()
                        next_reclaim = now + self.settings.reclaim_idle_ms / 2000
                    # With batches staged there is a backlog: read on at once, never block.
                    size = self.settings.ingest_batch
                    block = None if burst or committer.staged else self.settings.ingest_block_ms
                    replies, done = committer.read(size, block)  # Redis applies what was staged ...
                    self._tally(done)
                    batches = [self.prepare(stream, entries) for stream, entries in replies if entries]
                    got += sum(batch.size for batch in batches)  # ... while these are validated
                    committer.stage(batches)
                    if not any(len(entries) >= size for _stream, entries in replies):
                        self._tally(committer.flush())
                        if now >= next_heartbeat:
                            # Nothing left unread, all of it applied: the picture is as current as it can be.
                            self.store.apply.mark_caught_up(int(self.clock() * 1000))
                            next_heartbeat = now + HEARTBEAT_EVERY_S
                    if now >= next_maintenance:
                        self.maintain()
                        next_maintenance = now + MAINTENANCE_EVERY_S
                    handled += got
                    backoff = BACKOFF_START_S
                    if burst and got == 0:
                        break
                except StoreRefused as error:
                    # e.g. OOM at maxmemory: nothing of the failed commit was applied or acknowledged;
                    # its entries stay pending and are reclaimed after the back-off.
                    log.error("Redis refused a write (%s); retrying in %.1f s", error, backoff)
                    self.stopping.wait(backoff)
                    backoff = min(backoff * 2, BACKOFF_CAP_S)
                    if burst:
                        raise
                except (StoreUnavailable, OSError) as error:
                    if isinstance(error, StoreUnavailable) and not is_systemic(error):
                        raise  # not a connection failure (redis-py refusing a value): not ours to retry
                    log.warning("Redis unavailable (%s); retrying in %.1f s", error, backoff)
                    self.stopping.wait(backoff)
                    backoff = min(backoff * 2, UNREACHABLE_BACKOFF_CAP_S)
                    committer.discard()
                    own_pending_first = True
                    if not burst:
                        self._ensure_groups_quietly()
        finally:
            self._tally(committer.close())
            log.info("ingest worker %s stopped: %d applied, %d rejected", self.consumer,
                     self.applied, self.rejected)
        return handled

    def stop(self) -> None:
        """Ask the loop to finish its current batch and return."""
        self.stopping.set()

    # -- steps -------------------------------------------------------------------------------

    def reclaim_stale(self) -> int:
        """Apply entries that a dead consumer left pending for longer than ``reclaim_idle_ms`` —
        except those already delivered ``ingest_max_deliveries`` times without being acknowledged
        (whatever killed the workers that took them would kill this one): they are dead-lettered,
        that is rejected with their fields and acknowledged."""
        handled = 0
        limit = self.settings.ingest_max_deliveries
        for stream in INPUT_STREAMS:
            while True:
                entries = self.store.streams.reclaim(
                    stream, self.group, self.consumer, self.settings.reclaim_idle_ms,
                    self.settings.ingest_batch,
                )
                if not entries:
                    break
                log.info("reclaimed %d pending entries of %s", len(entries), stream.value)
                # Reclaiming was one more delivery: the ones before it all failed.
                ids = [i for i, _ in entries]
                counts = self.store.streams.deliveries(stream, self.group, self.consumer, ids)
                dead = Batch(stream, rejected=[(i, f, f"failed {counts[i] - 1} deliveries")
                                               for i, f in entries if counts.get(i, 0) - 1 >= limit])
                if dead.rejected:
                    log.error("dead-lettering %d entries of %s after %d deliveries each",
                              dead.size, stream.value, limit)
                    self._tally([commit_isolating(self.store, dead, self.group, int(self.clock() * 1000))])
                    handled += dead.size
                    gone = set(dead.entry_ids)
                    entries = [(i, f) for i, f in entries if i not in gone]
                handled += self.process(stream, entries)
        return handled

    def apply_own_pending(self) -> int:
        """Apply the entries delivered to this consumer and not acknowledged. A commit is one
        transaction with its acknowledgement, so one that did not run left them pending, and one that
        ran left none: reading them again applies each once."""
        handled = 0
        while replies := [(s, e) for s, e in self.store.streams.read_pending(
                self.group, self.consumer, self.settings.ingest_batch) if e]:
            for stream, entries in replies:
                handled += self.process(stream, entries)
        if handled:
            log.info("applied %d entries this worker held unacknowledged", handled)
        return handled

    def process(self, stream: Stream, entries: list[tuple[str, dict[str, str]]]) -> int:
        """Validate a batch of one stream, assign regions, and commit it with its acknowledgement."""
        if not entries:
            return 0
        batch = self.prepare(stream, entries)
        self._tally([commit_isolating(self.store, batch, self.group, int(self.clock() * 1000))])
        return len(entries)

    def prepare(self, stream: Stream, entries: list[tuple[str, dict[str, str]]]) -> Batch:
        """Validate a batch of one stream and assign regions: everything but the commit."""
        return self.preparer.prepare(stream, entries, int(self.clock() * 1000))

    def maintain(self) -> None:
        """Keep Redis memory bounded: trim the streams and the live feed's change sets (twice its
        horizon, by Redis's clock, which scores them), forget expired history; and roll the ports'
        day hashes up into their long-term archive before they expire."""
        retention_ms = int(self.settings.stream_retention_hours * 3_600_000)
        self.store.streams.trim(retention_ms, now_ms=int(self.clock() * 1000), group=self.group,
                                also=(self.settings.archive_group,))
        horizon_ms = int(2 * self.settings.feed_horizon_s * 1000)
        self.store.feed.trim_changes(self.store.meta.clock_ms() - horizon_ms)
        # the port archive (400+ days, for forecasts) is derived from the day hashes, which expire
        self.store.port_history.rollup_ports(int(self.clock() * 1000))
        forgotten = self.store.history.expire(now_ms=int(self.clock() * 1000))
        if forgotten:
            log.info("forgot %d closed incidents past the history window", forgotten)

    # -- helpers -----------------------------------------------------------------------------

    def _tally(self, batches: list[Batch]) -> None:
        for batch in batches:
            self.applied += len(batch.events)
            self.rejected += len(batch.rejected)

    def _settle(self, committer: ThreadedCommitter | PipelinedCommitter) -> None:
        """Let the commit in flight finish (its failure is not this step's: what it held stays pending)
        and forget what is staged (read again from the pending list)."""
        try:
            self._tally(committer.settle())
        except (StoreUnavailable, OSError) as error:
            log.warning("a commit in flight failed (%s); its entries stay pending", error)
        committer.discard()  # a pipelined committer's connection too: its replies may be out of step

    def _ensure_groups_quietly(self) -> None:
        try:
            self.store.streams.ensure_groups(self.group)
        except (StoreUnavailable, OSError):
            pass

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def request_stop(signum: int, _frame: object) -> None:
            log.info("signal %d: finishing the current batch", signum)
            self.stop()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
