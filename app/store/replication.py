"""Writes that wait for replicas: narrowing what a failover can lose.

Redis replicates asynchronously. A primary that dies takes with it whatever it had acknowledged and no
replica had yet received; Sentinel then promotes a replica without it. ``WAIT n ms`` after a write
returns once ``n`` replicas hold everything the *same connection* wrote before it (or when ``ms``
pass). So a :class:`Replication` gives its writers one connection of their own, held under a lock for
the write and its ``WAIT`` together: a pool would hand the ``WAIT`` to whichever connection is free,
and a ``WAIT`` on a connection that wrote nothing returns at once, proving nothing. (On Redis Cluster
the writer has one connection per node, and waits on each node it writes to: the node of the prefix's
slot, and those of the shards' slots when the state is sharded.)

Who waits (``BASIRA_REDIS_WAIT_REPLICAS``): the ingest worker after each commit — an entry acknowledged
in the group is then applied on a replica too, so a viewer never sees a change a failover takes back
— and the standards' ingress after taking a document in, before it answers ``202`` — a sender told
"taken" is then not lost to a failover. A ``WAIT`` that times out leaves the write standing (it is on
the primary) and is counted (``unreplicated`` in the stats): the work goes on, the risk is visible.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import redis
from redis.cluster import RedisCluster

from .connection import clone_client


class Replication:
    """``replicas`` to wait for (0: none; then :meth:`writer` is shared by its callers, unlocked) and
    how long one wait may take (``timeout_ms``).

    The writer never has redis-py send a write again after a broken connection
    (:func:`~.connection.clone_client`'s ``retry``): a transaction whose reply was lost in a failover
    may have run and reached the replica; its caller, not redis-py, decides what to do again."""

    def __init__(self, client: redis.Redis, replicas: int = 0, timeout_ms: int = 200,
                 anchors: tuple[str, ...] = ()) -> None:
        self.replicas = replicas
        self.timeout_ms = timeout_ms
        self.anchors = anchors  # on Redis Cluster, a key in each slot written: WAIT goes to their nodes
        self._client = clone_client(client, max_connections=1 if replicas else None, retry=False)
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def writer(self) -> Iterator[redis.Redis]:
        """A client whose writes :meth:`wait` then waits for: one connection, this caller's alone
        until the block ends."""
        if not self.replicas:
            yield self._client
            return
        with self._lock:
            yield self._client

    def wait(self, client: redis.Redis) -> bool:
        """Wait until :attr:`replicas` replicas hold what ``client`` (a :meth:`writer`) wrote; False
        when the time ran out first. True at once when no replica is asked for."""
        if not self.replicas:
            return True
        if isinstance(client, RedisCluster):  # each node written to, on its one connection
            nodes = {node.name: node for node in map(client.get_node_from_key, self.anchors)}
            for node in nodes.values():
                if int(client.execute_command("WAIT", self.replicas, self.timeout_ms,
                                              target_nodes=node)) < self.replicas:
                    return False
            return True
        return int(client.wait(self.replicas, self.timeout_ms)) >= self.replicas
