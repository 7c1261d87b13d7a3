"""Turning validated events into state: the writing half of the store.

The ingest worker hands over a batch of validated events of one stream; :meth:`Apply.commit`
writes their effect, the rejected entries, the counters and the acknowledgements in **one**
MULTI/EXEC transaction. Either all of it happens or none of it does, so a worker killed mid-batch
leaves its entries pending, and the worker that reclaims them applies them once: the scripts in
:mod:`.lua` make every write idempotent (newest-``ts``-wins state, once-only counters). A sharded
store (:class:`.keys.Keys`, Redis Cluster) applies a batch's incidents or units just before that
transaction, a script a shard: a worker killed in between leaves them applied and pending, and
applying them again changes nothing.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import orjson

from ..contract import (
    SIM_STAMP,
    UNIT_EXTRAS,
    CallEvent,
    IncidentEvent,
    IncidentStatus,
    PortEvent,
    Stream,
    UnitEvent,
    escaped,
    raw_bytes,
)
from . import lua
from .connection import register_script
from .errors import guarded
from .incident_rows import slim_head
from .keys import CELL_AGENCIES, CELL_REGIONS, DAY_MS, HOUR_MS, Keys
from .replication import Replication

if TYPE_CHECKING:
    import redis
    from redis.client import Pipeline

#: Counters of ports and calls are kept this long (a week-ago comparison needs 8 days).
SEEN_TTL_S = 3 * 86_400
#: What a rejected entry keeps of the original: each name and value cut to this many bytes, and
#: the names and values together to about ``REJECTED_KEEP_TOTAL`` (later fields are dropped).
REJECTED_KEEP_VALUE = 4096
REJECTED_KEEP_TOTAL = 16_384
#: An event time further ahead of the apply time than this is flagged: the incident's Feature gets
#: ``"future": true`` (clocks a few seconds apart are not worth a flag).
FUTURE_FLAG_MS = 60_000
#: The streams whose events are applied per shard (:attr:`.keys.Keys.shards`); ports and calls are
#: counted under the prefix itself.
SHARDED_STREAMS = frozenset({Stream.incidents, Stream.units})
#: Longest simulator stamp passed to Redis (``Store.mark_demo`` makes 43 characters).
MAX_STAMP = 128


class CommitRefused(Exception):
    """Redis ran a batch's transaction but refused part of it (e.g. an apply script failed on a
    value). The rest of the transaction did run — its rejects and acknowledgements among them — and
    the ``ingested`` counter has been corrected; the events are best committed one at a time
    (applying one twice changes nothing), so that the one that fails can be told apart."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def rejected_record(fields: dict[str, str]) -> dict[str, str]:
    """How a rejected entry's original fields are kept in ``<prefix>:rejected`` (docs/events.md).

    ``fields``: a JSON object of the fields as text. A name or value that was not valid UTF-8 shows
    its bad bytes as ``\\xNN`` there, and ``fields_b64`` then holds every name and value exactly, as
    base64 pairs. An entry larger than the caps is cut (each value to ``REJECTED_KEEP_VALUE`` bytes,
    the whole to about ``REJECTED_KEEP_TOTAL``) and ``truncated`` gives its original size in bytes.
    """
    raw = [(raw_bytes(str(k)), raw_bytes(str(v))) for k, v in fields.items()]
    size = sum(len(k) + len(v) for k, v in raw)
    record: dict[str, str] = {}
    if size > REJECTED_KEEP_TOTAL or any(len(k) > REJECTED_KEEP_VALUE or len(v) > REJECTED_KEEP_VALUE
                                         for k, v in raw):
        kept, budget = [], REJECTED_KEEP_TOTAL
        for k, v in raw:
            k, v = k[:REJECTED_KEEP_VALUE], v[:REJECTED_KEEP_VALUE]
            budget -= len(k) + len(v)
            if budget < 0:
                break
            kept.append((k, v))
        raw = kept
        record["truncated"] = str(size)
    text = {k.decode("utf-8", "surrogateescape"): v.decode("utf-8", "surrogateescape") for k, v in raw}
    try:
        record["fields"] = orjson.dumps(text).decode()
    except orjson.JSONEncodeError:  # not UTF-8 somewhere (orjson refuses lone surrogates)
        record["fields"] = orjson.dumps({escaped(k): escaped(v) for k, v in text.items()}).decode()
        record["fields_b64"] = orjson.dumps(
            [[base64.b64encode(k).decode(), base64.b64encode(v).decode()] for k, v in raw]).decode()
    return record


@dataclass
class Batch:
    """What one read of one stream amounts to, ready to commit.

    ``events`` pairs each valid event with its entry id and its region token (assigned by the
    worker); ``rejected`` pairs entry ids with their raw fields and the reason. ``stamps`` holds the
    simulator's stamp (field ``SIM_STAMP``) of the valid events that carry one, by entry id — it
    may hold more ids than the batch (a batch split in single entries shares it); a rejected
    entry's stamp is read from its fields.
    """

    stream: Stream
    events: list[tuple[str, object, str]] = field(default_factory=list)
    rejected: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    stamps: dict[str, str] = field(default_factory=dict)

    @property
    def entry_ids(self) -> list[str]:
        return [e[0] for e in self.events] + [r[0] for r in self.rejected]

    @property
    def size(self) -> int:
        """Entries in the batch, valid or not."""
        return len(self.events) + len(self.rejected)

    def distinct_stamps(self) -> set[str]:
        """The simulator stamps of the batch's entries, each once; ``""`` for an entry without one.

        A value longer than any stamp cannot be one; it is passed on as ``"?"`` (still not the
        stamp) rather than sent to Redis whole.
        """
        stamps = {self.stamps.get(entry_id, "") for entry_id, _event, _region in self.events}
        stamps.update(str(fields.get(SIM_STAMP, "")) for _id, fields, _reason in self.rejected)
        return {s if len(s) <= MAX_STAMP else "?" for s in stamps}


def _round(value: float) -> float:
    # 5 decimals is ~1 m: more is noise on the wire and in memory.
    return round(value, 5)


def incident_head(event: IncidentEvent, region: str, future: bool = False,
                  coordinates: list[float] | None = None) -> bytes:
    """The incident's Feature as JSON, cut open after its last property (see ``APPLY_INCIDENTS``);
    ``future`` flags an event time ahead of the time it was applied (``"future": true``);
    ``coordinates`` when the caller has already rounded them (``round`` to 5 places costs as much as
    the rest of a slim row: the ingest worker rounds once for the Feature and the row)."""
    feature = {
        "type": "Feature",
        "id": event.id,
        "geometry": {"type": "Point", "coordinates": coordinates or [_round(event.lon), _round(event.lat)]},
        "properties": {
            "region": region,
            "agency": event.agency,  # enum members: orjson writes their values
            "status": event.status,
            "priority": event.priority,
            "category": event.category,
            "ts": event.ts,
            "description": event.description,
            "units": list(event.units),
        },
    }
    if future:
        feature["properties"]["future"] = True  # type: ignore[index]
    return orjson.dumps(feature)[:-2] + b","


def incident_slim(event: IncidentEvent, region: str, coordinates: list[float] | None = None) -> bytes:
    """The incident's slim row (:meth:`.keys.Keys.incident_slim`, :mod:`.incident_rows`) up to its last
    value, the time it opened, which ``APPLY_INCIDENTS`` adds (only it knows); ``coordinates`` as for
    :func:`incident_head`. The enums are ``StrEnum`` members, which format as their values."""
    lon, lat = coordinates or (_round(event.lon), _round(event.lat))
    return slim_head(event.id, lon, lat, event.priority, event.status, region, event.agency, event.category,
                     event.units).encode()


def unit_feature(event: UnitEvent, region: str, coordinates: list[float] | None = None) -> bytes:
    """The unit's Feature as JSON; ``coordinates`` when the caller has already rounded them.

    Enum members go to orjson as they are (it writes their values), which saves a lookup per field
    on the ingest worker's busiest path.
    """
    properties = {
        "region": region,
        "agency": event.agency,
        "status": event.status,
        "ts": event.ts,
        "heading": event.heading,
        "speed": event.speed,
        "incident": event.incident,
    }
    # A TAK report's call sign, team, position errors and stale time, when it has them (never null).
    for name in UNIT_EXTRAS:
        value = getattr(event, name)
        if value is not None:
            properties[name] = value
    return orjson.dumps(
        {
            "type": "Feature",
            "id": event.id,
            "geometry": {
                "type": "Point",
                "coordinates": coordinates or [_round(event.lon), _round(event.lat)],
            },
            "properties": properties,
        }
    )


@guarded
class Apply:
    """Applying batches: the part of :class:`~app.store.Store` that the ingest worker writes through
    (``store.apply``). It owns the scripts of :mod:`.lua` and the settings they need. Like every part,
    it raises the store's errors (:class:`~.errors.StoreUnavailable`, :class:`~.errors.StoreRefused`),
    never redis's; :class:`CommitRefused` (a refusal inside the transaction) carries redis's own error,
    which :func:`~.errors.is_systemic` judges: the worker backs off on a systemic failure and isolates
    the entry that caused any other.

    ``trail_points``: positions kept per unit; ``trail_ttl_ms``: how long a trail outlives its last
    point (the history window); ``duration_ttl_s``: how long the incidents' duration figures are
    kept; ``port_ttl_s``: how long port and call counters are kept; ``rejected_maxlen``: the
    approximate cap of the rejected stream; ``uncovered``: the regions not yet connected, whose entries
    are applied like any other and also counted apart (``uncovered:<stream>:<region>`` in ``stats``).
    """

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        *,
        trail_points: int,
        trail_ttl_ms: int,
        duration_ttl_s: int,
        port_ttl_s: int,
        rejected_maxlen: int,
        uncovered: frozenset[str] = frozenset(),
        replication: Replication | None = None,
    ) -> None:
        self.client = client
        self.replication = replication or Replication(client)
        self.keys = keys
        self.uncovered = uncovered
        self.trail_points = trail_points
        self.trail_ttl_ms = trail_ttl_ms
        self.duration_ttl_s = duration_ttl_s
        self.port_ttl_s = port_ttl_s
        self.rejected_maxlen = rejected_maxlen
        self._scripts = {
            "incidents": register_script(client, lua.APPLY_INCIDENTS),
            "units": register_script(client, lua.APPLY_UNITS),
            "count_once": register_script(client, lua.COUNT_ONCE),
            "keep_newest": register_script(client, lua.KEEP_NEWEST),
            "stamp_time": register_script(client, lua.STAMP_TIME),
            "end_demo": register_script(client, lua.END_DEMO),
        }
        # Every key a script touches goes in KEYS (lua's docstring says why); the scope cells' keys
        # are the same for every batch, so they are named once, with the cells' order for ARGV.
        # Each shard (:attr:`.keys.Keys.each_shard`) has its own: an event is applied by its shard's script.
        self._cells_argv = [" ".join(CELL_REGIONS), " ".join(CELL_AGENCIES)]
        self._incident_keys = {k: [k.incident_index, k.incident_closed, *k.incident_cells()]
                               for k in keys.each_shard}
        self._unit_keys = {k: [k.unit_index, *k.unit_cells()] for k in keys.each_shard}

    def mark_caught_up(self, now_ms: int) -> None:
        """Record that an ingest worker has just read everything there was (its heartbeat), and that
        it is making progress (``progress_at``, by Redis's clock, which readiness compares)."""
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hset(self.keys.meta, "caught_up_at", str(now_ms))
            self._scripts["stamp_time"](keys=[self.keys.meta], args=["progress_at"], client=pipe)
            pipe.execute()

    def commit(self, batch: Batch, group: str | None = None, now_ms: int | None = None, *,
               wait: bool = True) -> int:
        """Apply ``batch``, record its rejects and counters, and acknowledge it — atomically.

        ``group`` is the consumer group to acknowledge in (``None``: nothing to acknowledge, as
        for a direct write). Returns how many events changed the state or the counters.

        When the store waits for replicas (:mod:`.replication`), the commit is followed by the wait —
        unless ``wait`` is False, for a caller that commits several batches and then waits once for all
        of them (:meth:`await_replicas`: one ``WAIT`` a round, not one a batch, since each waits for the
        replica to apply everything before it).
        """
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        with self.replication.writer() as writer:
            changed = self._commit(writer, batch, group, now_ms)
            if wait:
                self._await(writer, batch.size)
            return changed

    def await_replicas(self, entries: int) -> bool:
        """Wait until the replicas asked for hold every commit so far (made with ``wait=False``); when
        the time runs out, count ``entries`` as ``unreplicated`` and return False. True at once when the
        store waits for none."""
        with self.replication.writer() as writer:
            return self._await(writer, entries)

    def _await(self, writer: redis.Redis, entries: int) -> bool:
        if self.replication.wait(writer):
            return True
        # On the primary, not yet on a replica: it stands (and a failover now would re-apply the
        # entries from the stream, or lose them with it), counted so that the risk shows.
        writer.hincrby(self.keys.stats, "unreplicated", entries)
        return False

    def _commit(self, writer: redis.Redis, batch: Batch, group: str | None, now_ms: int) -> int:
        # A sharded store's incidents and units are applied first, a script a shard (each shard is a slot
        # of its own on Redis Cluster, so they cannot join the transaction); the transaction then records
        # the rest and acknowledges. A crash between the two leaves the entries pending, and applying
        # them again changes nothing (newest-ts-wins): the counters and the acknowledgement stay once.
        sharded = bool(batch.events) and self.keys.shards > 1 and batch.stream in SHARDED_STREAMS
        changed = self._apply_sharded(writer, batch, now_ms) if sharded else 0
        with writer.pipeline(transaction=True) as pipe:
            counters = self.queue_transaction(pipe, batch, group, now_ms, state=not sharded)
            results = pipe.execute(raise_on_error=False)
        applied = self.settle_transaction(batch, results, counters)
        return changed if sharded else applied

    def queue_transaction(self, pipe: Pipeline, batch: Batch, group: str | None, now_ms: int, *,
                          state: bool = True) -> dict[str, int]:
        """Queue on ``pipe`` (a transaction) the commands of ``batch``'s commit: its effect on the state
        (unless ``state`` is False: a sharded store applies it first), its rejects, counters and
        acknowledgement. Returns the counters it adds, for :meth:`settle_transaction`. The first
        command is the state's script when there is one (its reply is the count of events applied)."""
        if batch.events:
            if state:
                self._queue_state(pipe, batch, now_ms)
            self._queue_newest(pipe, batch, now_ms)
        stream_key = self.keys.stream(batch.stream)
        for entry_id, fields, reason in batch.rejected:
            pipe.xadd(
                self.keys.rejected,
                {
                    "stream": stream_key,
                    "entry_id": entry_id,
                    "reason": escaped(reason)[:1000],
                    **rejected_record(fields),
                    "rejected_at": str(now_ms),
                },
                maxlen=self.rejected_maxlen,
                approximate=True,
            )
        if batch.size:
            # Any entry the simulator did not write ends a demo store's demo, in this transaction
            # (one script a batch; nothing when the store already holds real data).
            self._scripts["end_demo"](keys=[self.keys.meta], args=[str(now_ms), *batch.distinct_stamps()],
                                      client=pipe)
        counters = self._counters(batch)
        for name, n in counters.items():
            pipe.hincrby(self.keys.stats, name, n)
        if batch.rejected:
            pipe.hincrby(self.keys.stats, f"rejected:{batch.stream.value}", len(batch.rejected))
        if group is not None and (ids := batch.entry_ids):
            pipe.xack(stream_key, group, *ids)
        # Progress (readiness: a worker is getting through the streams), by Redis's clock.
        self._scripts["stamp_time"](keys=[self.keys.meta], args=["progress_at"], client=pipe)
        return counters

    def settle_transaction(self, batch: Batch, results: Sequence[object], counters: dict[str, int]) -> int:
        """The events ``batch``'s transaction applied, from its ``results`` (EXEC's replies); when one of
        them is an error, correct ``counters`` and raise :class:`CommitRefused` with it."""
        failed = [r for r in results if isinstance(r, Exception)]
        if failed:
            # MULTI/EXEC ran the other commands: the counters must not count events not applied.
            if counters:
                with self.client.pipeline(transaction=True) as pipe:
                    for name, n in counters.items():
                        pipe.hincrby(self.keys.stats, name, -n)
                    pipe.execute()
            raise CommitRefused(failed[0])
        return int(results[0]) if batch.events and results else 0

    @property
    def script_sources(self) -> dict[str, str]:
        """Each script's source by its SHA1, for a sender that sends ``EVAL`` rather than ``EVALSHA``."""
        return {script.sha: script.script for script in self._scripts.values()}

    def _apply_sharded(self, writer: redis.Redis, batch: Batch, now_ms: int) -> int:
        """Apply ``batch``'s events with one script a shard, pipelined (a node's shards in one round
        trip); raise redis's error when a script fails (nothing is acknowledged then)."""
        with writer.pipeline(transaction=False) as pipe:
            self._queue_state(pipe, batch, now_ms)
            results = pipe.execute(raise_on_error=False)
        failed = [r for r in results if isinstance(r, Exception)]
        if failed:
            raise failed[0]
        return sum(int(r) for r in results)

    def _counters(self, batch: Batch) -> dict[str, int]:
        """What the batch adds to ``stats``: its events (``ingested:<stream>``), and those of a region
        not yet connected, by region (``uncovered:<stream>:<region>``)."""
        if not batch.events:
            return {}
        stream = batch.stream.value
        counters = {f"ingested:{stream}": len(batch.events)}
        if self.uncovered:
            for _entry_id, _event, region in batch.events:
                if region in self.uncovered:
                    name = f"uncovered:{stream}:{region}"
                    counters[name] = counters.get(name, 0) + 1
        return counters

    # -- one queueing function per stream ---------------------------------------------------

    def _queue_state(self, pipe: Pipeline, batch: Batch, now_ms: int) -> None:
        """Queue the scripts that apply ``batch``'s events to the state (one a shard for incidents and
        units)."""
        if batch.stream is Stream.incidents:
            for shard, events in self._by_shard(batch.events).items():
                self._queue_incidents(pipe, shard, events, now_ms)
        elif batch.stream is Stream.units:
            for shard, events in self._by_shard(batch.events).items():
                self._queue_units(pipe, shard, events)
        elif batch.stream is Stream.ports:
            self._queue_ports(pipe, batch.events)
        else:
            self._queue_calls(pipe, batch.events)

    def _by_shard(self, events: list[tuple[str, object, str]]) -> dict[Keys, list[tuple[str, object, str]]]:
        if self.keys.shards <= 1:
            return {self.keys: events}
        groups: dict[Keys, list[tuple[str, object, str]]] = {}
        shard_of = self.keys.shard_of
        for item in events:
            groups.setdefault(shard_of(item[1].id), []).append(item)  # type: ignore[attr-defined]
        return groups

    def _queue_newest(self, pipe: Pipeline, batch: Batch, now_ms: int) -> None:
        # The picture's time: the newest event applied, but never ahead of the apply time — an
        # entry dated in the future (within the contract's skew) must not move it for everyone.
        newest = min(max(e[1].ts for e in batch.events), now_ms)  # type: ignore[attr-defined]
        self._scripts["keep_newest"](keys=[self.keys.meta], args=["as_of", str(newest)], client=pipe)
        pipe.hset(self.keys.meta, "applied_at", str(now_ms))

    def _queue_incidents(self, pipe: Pipeline, shard: Keys, events: Sequence[tuple], now_ms: int) -> None:
        # The duration hashes this batch may record into, each once, numbered from 1 for the script.
        durations: dict[str, int] = {}
        future_after = now_ms + FUTURE_FLAG_MS
        records: list[bytes] = []  # packed (lua.RECORDS)
        for _entry_id, event, region in events:
            status = event.status
            duration = 0
            if status is IncidentStatus.dispatched or status is IncidentStatus.on_scene:
                metric = "dispatch" if status is IncidentStatus.dispatched else "response"
                name = shard.duration(metric, region, event.agency.value, event.ts // HOUR_MS)
                duration = durations.setdefault(name, len(durations) + 1)
            xy = [_round(event.lon), _round(event.lat)]
            records += (f"{event.id}\x1f{event.ts}\x1f{region}\x1f{event.agency}\x1f{status}\x1f".encode(),
                        incident_head(event, region, event.ts > future_after, xy), b"\x1f",
                        incident_slim(event, region, xy), b"\x1f%d\x1e" % duration)
        args = [self.duration_ttl_s, *self._cells_argv, len(events), b"".join(records)]
        self._scripts["incidents"](keys=[*self._incident_keys[shard], *durations], args=args, client=pipe)

    def _queue_units(self, pipe: Pipeline, shard: Keys, events: Sequence[tuple]) -> None:
        # Most of the traffic: each unit's point is rounded once, for its Feature and its trail; the
        # units go packed in one argument (lua.RECORDS), their trails once each, in order of appearance.
        keys = self._unit_keys[shard].copy()
        trails: dict[str, None] = {}
        trail = shard.unit_trail
        dumps = orjson.dumps
        records: list[bytes] = []
        for _entry_id, event, region in events:
            xy = [_round(event.lon), _round(event.lat)]
            trails[event.id] = None
            records += (f"{event.id}\x1f{event.ts}\x1f{region}\x1f{event.agency}\x1f".encode(),
                        unit_feature(event, region, xy), b"\x1f", dumps([*xy, event.ts]), b"\x1e")
        keys += [trail(unit_id) for unit_id in trails]
        args = [self.trail_points, self.trail_ttl_ms, *self._cells_argv, len(events), b"".join(records)]
        self._scripts["units"](keys=keys, args=args, client=pipe)

    def _queue_ports(self, pipe: Pipeline, events: Sequence[tuple]) -> None:
        keys: list[str] = []
        args: list[object] = [SEEN_TTL_S, self.port_ttl_s]
        wait_keys: list[str] = []
        newest: list[object] = []
        for entry_id, event, _region in events:
            assert isinstance(event, PortEvent)
            hour = event.ts // HOUR_MS
            fields = [f"{hour}:{event.direction.value}:{event.category.value}", event.travellers]
            if event.vehicles is not None:
                fields += [f"{hour}:{event.direction.value}:vehicles", event.vehicles]
            seen = self.keys.seen(Stream.ports, int(entry_id.split("-")[0]) // DAY_MS)
            keys += [seen, self.keys.port_day(event.port, event.ts // DAY_MS)]
            args += [entry_id, len(fields) // 2, *fields]
            if event.wait_min is not None:
                wait_keys.append(self.keys.port_wait)
                newest += [event.port, f"{event.ts}|{event.wait_min:g}"]
        self._scripts["count_once"](keys=keys, args=args, client=pipe)
        if newest:
            self._scripts["keep_newest"](keys=wait_keys, args=newest, client=pipe)

    def _queue_calls(self, pipe: Pipeline, events: Sequence[tuple]) -> None:
        keys: list[str] = []
        args: list[object] = [SEEN_TTL_S, self.port_ttl_s]
        for _entry_id, event, region in events:
            assert isinstance(event, CallEvent)
            fields: list[object] = ["total", 1, event.outcome.value, 1]
            if event.answered_ts is not None:
                wait = event.answered_ts - event.ts
                fields += ["answered", 1, "answer_ms", wait]
                fields += ["within_15s", int(wait <= 15_000), "within_20s", int(wait <= 20_000)]
            seen = self.keys.seen(Stream.calls, event.ts // DAY_MS)
            keys += [seen, self.keys.calls_hour(region, event.ts // HOUR_MS)]
            args += [event.id, len(fields) // 2, *fields]
        self._scripts["count_once"](keys=keys, args=args, client=pipe)
