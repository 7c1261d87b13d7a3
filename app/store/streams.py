"""The input streams: consumer groups, reading, reclaiming, trimming, lag, counters. The part
``store.streams``.

Everything the ingest worker does to a stream goes through here, so the worker itself stays a loop
that reads top to bottom.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import redis

from ..contract import INPUT_STREAMS, Stream
from .errors import guarded
from .replication import Replication

if TYPE_CHECKING:
    from .keys import Keys
    from .meta import Meta

Entries = list[tuple[str, dict[str, str]]]
#: Who sends a read: ``(group, consumer, {stream key: start id}, count=, block=)`` → the parsed reply.
Ask = Callable[..., Any]


def _ms_of(entry_id: str) -> int:
    return int(entry_id.split("-", 1)[0])


def _id_order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


@guarded
class Streams:
    """Stream and consumer-group operations, and the ingest counters (``<p>:stats``). ``meta`` is the
    store's :class:`~.meta.Meta`, for :meth:`stalled_ms` (progress by Redis's clock); ``replication``
    the waits for replicas :meth:`produce` makes (:mod:`.replication`; none by default)."""

    def __init__(self, client: redis.Redis, keys: Keys, meta: Meta,
                 replication: Replication | None = None) -> None:
        self.client = client
        self.keys = keys
        self.meta = meta
        self.replication = replication or Replication(client)

    def ensure_groups(self, group: str) -> None:
        """Create the consumer group on every input stream (and the stream) if missing.

        A new group starts at the beginning of the stream, so entries written before the first
        worker started are applied too.
        """
        for stream in INPUT_STREAMS:
            try:
                self.client.xgroup_create(self.keys.stream(stream), group, id="0", mkstream=True)
            except redis.ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise

    def read_new(
        self, group: str, consumer: str, count: int, block_ms: int | None, ask: Ask | None = None
    ) -> list[tuple[Stream, Entries]]:
        """Entries never delivered to the group, up to ``count`` per stream. ``ask`` sends the read
        (as ``redis.Redis.xreadgroup`` does, and answering as it does): by default this client; the
        ingest worker's pipelined commits send it on their own connection (:mod:`.pipelined`)."""
        got = self._read(group, consumer, ">", count, block_ms, ask)
        return [(s, [(i, f) for i, f in entries if f is not None]) for s, entries in got]

    def read_pending(self, group: str, consumer: str, count: int) -> list[tuple[Stream, Entries]]:
        """Entries delivered to ``consumer`` and not acknowledged — its own, after a restart — up to
        ``count`` per stream, oldest first. Those trimmed away meanwhile are acknowledged and counted
        under ``lost:<stream>`` (as :meth:`reclaim` does), so reading again moves on."""
        out = []
        for stream, got in self._read(group, consumer, "0", count, None):
            gone = [i for i, f in got if f is None]
            if gone:
                with self.client.pipeline(transaction=True) as pipe:
                    pipe.xack(self.keys.stream(stream), group, *gone)
                    pipe.hincrby(self.keys.stats, f"lost:{stream.value}", len(gone))
                    pipe.execute()
            out.append((stream, [(i, f) for i, f in got if f is not None]))
        return out

    def _read(self, group: str, consumer: str, start: str, count: int, block_ms: int | None,
              ask: Ask | None = None) -> list[tuple[Stream, list[tuple[str, dict[str, str] | None]]]]:
        ask = ask or self.client.xreadgroup
        streams = {self.keys.stream(s): start for s in INPUT_STREAMS}
        try:
            reply = ask(group, consumer, streams, count=count, block=block_ms)
        except redis.ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            # The group is gone since it was made: a Redis that came back empty (no persistence) — met
            # by a worker whose reconnection tried to make its groups again while it was still down
            # (issue 17: seen under load) —, or a stream deleted by hand. Made again, from the start
            # of what the stream holds now, as when the worker starts.
            self.ensure_groups(group)
            reply = ask(group, consumer, streams, count=count, block=block_ms)
        by_key = {self.keys.stream(s): s for s in INPUT_STREAMS}
        # redis-py answers a list in RESP2 and a dict in RESP3; both are (key, entries) pairs.
        items = reply.items() if isinstance(reply, dict) else (reply or [])
        out = []
        for key, entries in items:
            if isinstance(entries, list) and entries and isinstance(entries[0], list) and len(entries) == 1:
                entries = entries[0]  # RESP3 nests the entries once more
            out.append((by_key[key], list(entries)))
        return out

    def ack(self, stream: Stream, group: str, entry_ids: list[str]) -> None:
        """Acknowledge ``entry_ids`` of ``stream`` for ``group`` (a consumer that keeps its own record,
        such as the archiver, once that record is durable)."""
        if entry_ids:
            self.client.xack(self.keys.stream(stream), group, *entry_ids)

    def reclaim(
        self, stream: Stream, group: str, consumer: str, min_idle_ms: int, count: int
    ) -> Entries:
        """Take over up to ``count`` entries that another consumer left pending too long.

        Entries that were trimmed away while pending cannot be applied any more; they are
        acknowledged so they stop being reclaimed, and counted under ``lost:<stream>``.
        """
        key = self.keys.stream(stream)
        reply = self.client.xautoclaim(key, group, consumer, min_idle_ms, "0-0", count=count)
        claimed = reply[1]
        deleted = reply[2] if len(reply) > 2 else []
        if deleted:
            with self.client.pipeline(transaction=True) as pipe:
                pipe.xack(key, group, *deleted)
                pipe.hincrby(self.keys.stats, f"lost:{stream.value}", len(deleted))
                pipe.execute()
        return [(i, f) for i, f in claimed if f is not None]

    def entries(self, stream: Stream, entry_ids: list[str]) -> dict[str, dict[str, str]]:
        """The fields of the given entries of ``stream`` that are still in it (one XRANGE each)."""
        with self.client.pipeline(transaction=False) as pipe:
            for entry_id in entry_ids:
                pipe.xrange(self.keys.stream(stream), min=entry_id, max=entry_id)
            return {got[0][0]: got[0][1] for got in pipe.execute() if got}

    def deliveries(
        self, stream: Stream, group: str, consumer: str, entry_ids: list[str]
    ) -> dict[str, int]:
        """How many times each of ``entry_ids`` (pending with ``consumer``) has been delivered."""
        if not entry_ids:
            return {}
        first, last = min(entry_ids, key=_id_order), max(entry_ids, key=_id_order)
        rows = self.client.xpending_range(self.keys.stream(stream), group, min=first, max=last,
                                          count=len(entry_ids) + 1000, consumername=consumer)
        return {row["message_id"]: int(row["times_delivered"]) for row in rows}

    def trim(self, retention_ms: int, now_ms: int | None = None, group: str | None = None,
             also: tuple[str, ...] = ()) -> None:
        """Drop stream entries older than the retention (approximate ``MINID``: cheap) — but, with a
        ``group``, never one it has not applied yet: after an outage longer than the retention the
        backlog is kept until the workers have worked through it, so a short retention loses nothing.
        ``also``: other groups held to the same rule *where they exist* (the archiver's: an archive
        that fell behind is not trimmed away under it; a deployment without one trims as before)."""
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        cutoff = now_ms - retention_ms
        with self.client.pipeline(transaction=False) as pipe:
            for stream in INPUT_STREAMS:
                key = self.keys.stream(stream)
                held = [self._oldest_unapplied(key, group)] if group is not None else []
                held += [self._oldest_unapplied(key, other, missing_ok=True) for other in also]
                oldest = min((i for i in held if i is not None), key=_id_order, default=None)
                minid = oldest if oldest is not None and _ms_of(oldest) < cutoff else f"{cutoff}-0"
                pipe.xtrim(key, minid=minid, approximate=True)
            pipe.xtrim(self.keys.rejected, minid=f"{cutoff}-0", approximate=True)
            pipe.execute()

    def _oldest_unapplied(self, key: str, group: str, missing_ok: bool = False) -> str | None:
        """The id of the oldest entry of stream ``key`` that ``group`` has not applied — pending
        (delivered, unacknowledged) or never delivered — or ``None`` when there is none. A stream
        without the group has applied nothing (``missing_ok``: holds nothing back either)."""
        try:
            groups = {g["name"]: g for g in self.client.xinfo_groups(key)}
        except redis.ResponseError:  # no such stream: nothing written yet
            return None
        info = groups.get(group)
        if info is None and missing_ok:
            return None
        if info is None:
            first = self.client.xrange(key, count=1)
            return first[0][0] if first else None
        candidates = []
        if info.get("pending"):
            summary = self.client.xpending(key, group)
            if summary.get("min"):
                candidates.append(summary["min"])
        after = self.client.xrange(key, min=f"({info['last-delivered-id']}", count=1)
        if after:
            candidates.append(after[0][0])
        return min(candidates, key=_id_order) if candidates else None

    def lag_ms(self, group: str, now_ms: int | None = None) -> float:
        """How far behind the group is: age of the oldest entry not yet applied (0 when none).

        An entry is "not yet applied" when it is pending (delivered, unacknowledged) or was never
        delivered. A stream without the group counts as fully behind.
        """
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        ages = [_ms_of(i) for s in INPUT_STREAMS if (i := self._oldest_unapplied(self.keys.stream(s), group))]
        return float(max(0, now_ms - min(ages))) if ages else 0.0

    def stalled_ms(self, group: str) -> int | None:
        """How long no ingest worker has made progress (a commit or a heartbeat, ``progress_at`` by
        Redis's clock) while entries wait to be applied; ``None`` when nothing waits."""
        if not any(self._oldest_unapplied(self.keys.stream(s), group) for s in INPUT_STREAMS):
            return None
        progress = self.meta.progress_at()
        return max(0, self.meta.clock_ms() - (progress or 0))

    def produce(self, entries: list[tuple[Stream, dict[str, str]]]) -> list[str]:
        """``XADD`` each entry to its input stream, as a producer would, in one transaction: the
        adapters of standard formats (``app/ingress/``) write here, and the ingest worker validates and
        applies them like any other producer's entries. Returns the entry ids once they are on the
        primary — and, when the store waits for replicas (:mod:`.replication`), on them too, or counted
        ``unreplicated`` in ``ingress:stats`` when the wait timed out."""
        with self.replication.writer() as writer:
            with writer.pipeline(transaction=True) as pipe:
                for stream, fields in entries:
                    pipe.xadd(self.keys.stream(stream), fields)  # type: ignore[arg-type]
                ids = [str(entry_id) for entry_id in pipe.execute()]
            if not self.replication.wait(writer):
                writer.hincrby(self.keys.ingress_stats, "unreplicated", len(ids))
        return ids

    def activity(self) -> dict[Stream, tuple[int, int | None, int | None]]:
        """Each input stream's length and the times (ms, by Redis's clock) of its first and last entry
        kept: how busy it usually is, and how long it has been quiet (the stale-producer rule)."""
        with self.client.pipeline(transaction=False) as pipe:
            for stream in INPUT_STREAMS:
                pipe.xinfo_stream(self.keys.stream(stream))
            out: dict[Stream, tuple[int, int | None, int | None]] = {}
            for stream, info in zip(INPUT_STREAMS, pipe.execute(raise_on_error=False), strict=True):
                if isinstance(info, Exception):  # no such stream yet
                    out[stream] = (0, None, None)
                    continue
                first, last = info.get("first-entry"), info.get("last-entry")
                out[stream] = (int(info.get("length") or 0), _ms_of(first[0]) if first else None,
                               _ms_of(last[0]) if last else None)
        return out

    def stats(self) -> dict[str, int]:
        """Counters: ``ingested:<stream>``, ``rejected:<stream>``, ``lost:<stream>`` (entries trimmed
        away while pending, and so never applied), ``uncovered:<stream>:<region>`` (entries applied for a
        region not yet connected, also counted in ``ingested``); and the standards' adapters' refusals,
        ``rejected:ingress:<source>`` (kept apart, in ``ingress:stats``: their writers may not write
        these)."""
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.stats)
            pipe.hgetall(self.keys.ingress_stats)
            counters, refused = pipe.execute()
        return {k: int(v) for k, v in {**counters, **refused}.items()}
