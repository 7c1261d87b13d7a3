"""The ingest worker's commits sent without waiting for them: one connection, one thread, and Redis at
work while the worker validates.

With its commits on a second thread (:class:`app.ingest.ThreadedCommitter`), a worker's two threads took
turns for the GIL — encoding a batch and reading replies on one, validating on the other — and each
handover waited for CPython's switch interval: measured on a backlog (issue 17), the process and Redis
were each busy about half the time. Here one thread does all the Python, and Redis applies one round
while it validates the next: the worker reads a round (:meth:`PipelinedCommits.read`), which first
collects the replies of the commits sent before and then sends the commits staged; it validates the
round and stages its commits (:meth:`~PipelinedCommits.stage`: encoded, not sent) — all while Redis
runs what was just sent.

Two facts of Redis decide the order on the connection:

* the read goes alone, and its reply is awaited before the commits are sent: Redis writes a client's
  replies once it has run what it read, at most 64 KB at a time, so a read's reply written together with
  a commit behind it waits for the commit;
* each batch is the same MULTI/EXEC that :meth:`.apply.Apply.commit` sends
  (:meth:`~.apply.Apply.queue_transaction`), its scripts sent as ``EVAL`` with their source rather than
  ``EVALSHA``: never ``NOSCRIPT`` (a script cache flushed, a replica promoted without it), for a SHA1 of a
  few kilobytes a batch.

Only for a store on one Redis (not a Cluster), not sharded, that waits for no replicas (:func:`possible`);
the others commit as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis
from redis.cluster import RedisCluster

from .apply import Apply, Batch, CommitRefused
from .errors import StoreRefused, guarded

if TYPE_CHECKING:
    from redis.connection import AbstractConnection

    from ..contract import Stream
    from .streams import Streams

#: A committed batch with ``None``, or one whose commit failed with the store's error for why.
Outcome = tuple[Batch, Exception | None]


def possible(apply: Apply) -> bool:
    """True when ``apply``'s commits can go through :class:`PipelinedCommits`: one Redis (or the primary
    Sentinels name), one shard, no replicas to wait for."""
    return (not isinstance(apply.client, RedisCluster) and apply.keys.shards == 1
            and not apply.replication.replicas)


@dataclass
class _Transaction:
    """One batch's MULTI/EXEC: its commands (queued between the two) and the counters it adds."""

    batch: Batch
    commands: int
    counters: dict[str, int]


@guarded
class PipelinedCommits:
    """A worker's reads and commits on one connection of its own, the commits' replies read a round
    later. ``read`` → ``stage`` → ``read`` …; :meth:`flush` sends what is staged and reads every reply.

    Any error of the connection leaves what was sent unknown (applied or not): the caller
    :meth:`discard`\\s it all and reads its pending entries again (a commit is one transaction with
    its acknowledgement, so each is applied once).
    """

    def __init__(self, apply: Apply, streams: Streams) -> None:
        self.apply = apply
        self.streams = streams
        self.client = apply.client
        self._sources = apply.script_sources
        self._parse_read = self.client.response_callbacks.get("XREADGROUP")
        self._connection: AbstractConnection | None = None
        self._staged: list[tuple[_Transaction, Any]] = []  # encoded, not sent
        self._sent: list[_Transaction] = []  # sent, replies not read

    @property
    def staged(self) -> bool:
        """True while commits are staged (validated, encoded, not sent)."""
        return bool(self._staged)

    def read(self, group: str, consumer: str, count: int, block_ms: int | None
             ) -> tuple[list[tuple[Stream, list[tuple[str, dict[str, str]]]]], list[Outcome]]:
        """Entries never delivered to ``group``, up to ``count`` per stream (as :meth:`.streams.Streams.
        read_new`), and the outcomes of the commits sent before; the commits staged are sent after it."""
        outcomes = self.collect()
        got = self.streams.read_new(group, consumer, count, block_ms, ask=self._xreadgroup)
        self._send_staged(self._connect())
        return got, outcomes

    def stage(self, batches: Sequence[Batch], group: str | None, now_ms: int) -> None:
        """Encode the commits of ``batches`` (each its own transaction, as :meth:`.apply.Apply.commit`),
        to be sent after the next read or by :meth:`flush`."""
        connection = self._connect()
        for batch in batches:
            with self.client.pipeline(transaction=True) as pipe:  # only to collect the commands, never run
                counters = self.apply.queue_transaction(pipe, batch, group, now_ms)
                commands = [self._eval(args) for args, _options in pipe.command_stack]
            packed = connection.pack_commands([("MULTI",), *commands, ("EXEC",)])
            self._staged.append((_Transaction(batch, len(commands), counters), packed))

    def flush(self) -> list[Outcome]:
        """Send the commits staged and read the replies of every commit sent: the outcomes, in order."""
        if self._staged:
            self._send_staged(self._connect())
        return self.collect()

    def collect(self) -> list[Outcome]:
        """The outcomes of the commits sent, once Redis has answered them all."""
        sent, self._sent = self._sent, []
        if not sent:
            return []
        connection = self._connect()
        return [(transaction.batch, self._outcome(connection, transaction)) for transaction in sent]

    def discard(self) -> None:
        """Forget what is staged and sent, and the connection (its replies can no longer be matched to
        what was sent): those entries stay pending, to be read again."""
        self._staged, self._sent = [], []
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.disconnect()
            self.client.connection_pool.release(connection)

    # -- helpers ---------------------------------------------------------------------------------

    def _connect(self) -> AbstractConnection:
        if self._connection is None:
            self._connection = self.client.connection_pool.get_connection()
        return self._connection

    def _xreadgroup(self, group: str, consumer: str, streams: dict[str, str], *, count: int,
                    block: int | None) -> Any:
        """``XREADGROUP`` on this connection, parsed as redis-py parses it (:meth:`.streams.Streams.read_new`
        asks it). Nothing is in flight when it is sent: the connection may check its health first."""
        connection = self._connect()
        blocking = () if block is None else ("BLOCK", block)
        connection.send_packed_command(connection.pack_command(
            "XREADGROUP", "GROUP", group, consumer, "COUNT", count, *blocking, "STREAMS", *streams,
            *streams.values()))
        reply = connection.read_response()
        return self._parse_read(reply) if self._parse_read else reply

    def _send_staged(self, connection: AbstractConnection) -> None:
        if not self._staged:
            return
        staged, self._staged = self._staged, []
        # Nothing is read before the replies of what is in flight: no health check (a PING) in between.
        connection.send_packed_command([part for _t, packed in staged for part in packed], check_health=False)
        self._sent += [transaction for transaction, _packed in staged]

    def _eval(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        if args[0] == "EVALSHA":
            return ("EVAL", self._sources[args[1]], *args[2:])
        return args

    def _outcome(self, connection: AbstractConnection, transaction: _Transaction) -> Exception | None:
        """Read one transaction's replies (MULTI's, each command's ``QUEUED``, EXEC's) and judge them."""
        refused: list[redis.ResponseError] = []
        for _reply in range(transaction.commands + 1):
            try:
                connection.read_response()
            except redis.ResponseError as error:  # a command refused as it was queued (OOM, NOPERM…)
                refused.append(error)
        try:
            results = connection.read_response()
        except redis.ResponseError as error:  # EXECABORT: nothing of the transaction ran
            return StoreRefused(refused[0] if refused else error)
        try:
            self.apply.settle_transaction(transaction.batch, results or [], transaction.counters)
        except CommitRefused as error:  # an error inside EXEC: the rest ran, counters corrected
            return error
        return None
