"""The history of closed incidents: the heatmap's mirror of it (:mod:`.history_points`) and its
expiry. The part ``store.history``.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from ..geo import Points
from . import history_points
from .errors import guarded
from .reads import shard_cells

if TYPE_CHECKING:
    import redis

    from ..contract import Scope
    from .history_points import Cell, Chunk
    from .keys import Keys


@guarded
class History:
    """Closed incidents: kept ``history_ms`` and at most ``history_max`` of them."""

    def __init__(self, client: redis.Redis, keys: Keys, history_ms: int, history_max: int) -> None:
        self.client = client
        self.keys = keys
        self.history_ms = history_ms
        self.history_max = history_max
        #: scope cell → its closed incidents, as mirrored (see :mod:`.history_points`): at most
        #: ``history_max`` incidents beyond the scope being answered (least recently asked dropped first)
        self._chunks: dict[Cell, Chunk] = {}
        self._lock = threading.Lock()

    def closed_chunks(self, scope: Scope, since_ms: int) -> list[Chunk]:
        """The closed incidents of each cell of ``scope`` (closed at or after ``since_ms``, and perhaps
        somewhat earlier), mirrored and brought up to date by reading only what changed."""
        with self._lock:
            return history_points.refresh(self.client, self._chunks, shard_cells(self.keys, scope), since_ms,
                                          limit=self.history_max)

    def mirrored(self) -> tuple[int, int]:
        """``(incidents, bytes)`` in this process's mirror of the history: what its bound holds."""
        with self._lock:
            chunks = list(self._chunks.values())
        return sum(c.count for c in chunks), sum(c.nbytes for c in chunks)

    def closed_points(self, scope: Scope, since_ms: int) -> Points:
        """Incidents of ``scope`` closed at or after ``since_ms``: where, when opened, which region."""
        parts = []
        for chunk in self.closed_chunks(scope, since_ms):
            points, closed = chunk.arrays()
            parts.append(points.where(closed >= since_ms))
        return Points.join(parts)

    def expire(self, now_ms: int | None = None) -> int:
        """Forget closed incidents older than the history window, and any beyond the cap.

        Runs now and then from the ingest worker; returns how many incidents were forgotten. A sharded
        store keeps the window in each shard and the cap in its share of it (``history_max`` / shards).
        """
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        shards = self.keys.each_shard
        cap = -(-self.history_max // len(shards))
        return sum(self._expire(shard, now_ms - self.history_ms, cap) for shard in shards)

    def _expire(self, keys: Keys, cutoff: int, cap: int) -> int:
        old = self.client.zrangebyscore(keys.incident_closed, "-inf", f"({cutoff}")
        excess = self.client.zcard(keys.incident_closed) - len(old) - cap
        if excess > 0:
            old += self.client.zrange(keys.incident_closed, len(old), len(old) + excess - 1)
        forgotten = 0
        for start in range(0, len(old), 1000):
            chunk = old[start : start + 1000]
            where = self.client.hmget(keys.incident_index, chunk)
            with self.client.pipeline(transaction=True) as pipe:  # one shard: one slot
                for incident_id, value in zip(chunk, where, strict=True):
                    if value:
                        _ts, region, agency, status, *_ = value.split("|")
                        if status != "closed":  # reopened meanwhile: not ours to forget
                            continue
                        pipe.zrem(keys.incident_history(region, agency), incident_id)
                        pipe.hdel(keys.incident_history_features(region, agency), incident_id)
                        pipe.hdel(keys.incident_index, incident_id)
                    pipe.zrem(keys.incident_closed, incident_id)
                    forgotten += 1
                pipe.execute()
        return forgotten
