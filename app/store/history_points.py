"""Where and when the incidents of the history were opened, kept up to date by reading only what changed.

The heatmap counts every incident opened in the last 24 hours — a busy day is 100,000 of them, nearly
all closed. Re-reading them all on every refresh would move megabytes out of Redis each time (and
redis-py's parsing of scores alone takes longer than the rest of the heatmap). A closed incident
does not change while it stays closed, so each scope cell's history is mirrored here as a
:class:`Chunk` and brought up to date with two small commands per cell:

* ``ZCOUNT`` over the closing times already mirrored: when it still equals what is mirrored,
  nothing was removed (reopened, forgotten) or slipped in late; otherwise the cell is read afresh;
* ``ZRANGEBYSCORE`` beyond the newest closing time mirrored, then ``HMGET`` of those Features only.

Each chunk carries a ``version`` that changes whenever its content does, and keeps what a caller
derives from it (:meth:`Chunk.derive`: the heatmap's H3 cell of each point) until then.
Mirrored incidents that have closed before the oldest window asked for are dropped once an hour.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import orjson

from ..geo import Points

if TYPE_CHECKING:
    from redis import Redis

    from .keys import Keys

#: Mirrored incidents closed before the window asked for are dropped when the window has moved on
#: by this much (ms).
SWEEP_AFTER_MS = 3_600_000
_versions = itertools.count(1)
T = TypeVar("T")


def point_row(feature: Mapping[str, Any]) -> tuple[float, float, int, str] | None:
    """``(lon, lat, opened, region)`` of an incident Feature, ``None`` when it lacks one of them."""
    try:
        lon, lat = feature["geometry"]["coordinates"][:2]
        props = feature["properties"]
        opened = props.get("opened") or props["ts"]
        return float(lon), float(lat), int(opened), str(props["region"])
    except (KeyError, TypeError, ValueError):
        return None


@dataclass
class Chunk:
    """One scope cell's closed incidents, closed at or after ``lo``, as far as mirrored."""

    cell: tuple[str, str]  # (region, agency)
    lo: float
    hi: float = float("-inf")  # the newest closing time mirrored
    #: id → (closed, lon, lat, opened, region); just (closed,) for a Feature without a usable point
    rows: dict[str, tuple] = field(default_factory=dict)
    version: int = field(default_factory=lambda: next(_versions))
    _arrays: tuple[Points, np.ndarray] | None = None
    _derived: dict[str, Any] = field(default_factory=dict)

    def changed(self) -> None:
        self.version = next(_versions)
        self._arrays = None
        self._derived = {}

    def derive(self, name: str, compute: Callable[[Points], T]) -> T:
        """``compute(points)`` of this chunk's points, kept until the chunk changes (a caller's own
        per-incident work, such as the heatmap's H3 cells, is then done once per new incident set)."""
        if name not in self._derived:
            self._derived[name] = compute(self.arrays()[0])
        return self._derived[name]

    def arrays(self) -> tuple[Points, np.ndarray]:
        """Every mirrored incident as :class:`Points`, and their closing times (built once per version)."""
        if self._arrays is None:
            rows = [r for r in self.rows.values() if len(r) > 1]
            closed = np.fromiter((r[0] for r in rows), dtype=float, count=len(rows))
            self._arrays = (Points.of(r[1:] for r in rows), closed)
        return self._arrays

    def sweep(self, since_ms: int) -> None:
        if since_ms - self.lo > SWEEP_AFTER_MS:
            self.rows = {i: r for i, r in self.rows.items() if r[0] >= since_ms}
            self.lo = since_ms
            self.changed()


def refresh(
    client: Redis, keys: Keys, chunks: dict[tuple[str, str], Chunk], cells: list[tuple[str, str]],
    since_ms: int,
) -> list[Chunk]:
    """Bring the chunks of ``cells`` up to date (creating the missing ones) and return them.

    At most three pipelined rounds: check and read what is new; read afresh the cells that failed
    the check; fetch the Features of the incidents not mirrored yet.
    """
    fresh = [c for c in cells if c not in chunks or since_ms < chunks[c].lo]
    kept = [c for c in cells if c not in fresh]
    pipe = client.pipeline(transaction=False)
    for region, agency in kept:
        chunk = chunks[(region, agency)]
        key = keys.incident_history(region, agency)
        pipe.zcount(key, chunk.lo, chunk.hi)
        after = f"({chunk.hi!r}" if chunk.hi > float("-inf") else chunk.lo
        pipe.zrangebyscore(key, after, "+inf", withscores=True)
    replies = pipe.execute() if kept else []
    new: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for n, cell in enumerate(kept):
        count, pairs = replies[2 * n], replies[2 * n + 1]
        if count != len(chunks[cell].rows):
            fresh.append(cell)  # something left, or closed late (before `hi`): read it afresh
        elif pairs:
            new[cell] = pairs
    if fresh:
        pipe = client.pipeline(transaction=False)
        for region, agency in fresh:
            pipe.zrangebyscore(keys.incident_history(region, agency), since_ms, "+inf", withscores=True)
        for cell, pairs in zip(fresh, pipe.execute(), strict=True):
            chunks[cell] = Chunk(cell, lo=since_ms)
            if pairs:
                new[cell] = pairs
    if new:
        pipe = client.pipeline(transaction=False)
        for region, agency in new:
            pipe.hmget(keys.incident_history_features(region, agency), [i for i, _ in new[(region, agency)]])
        for (cell, pairs), texts in zip(new.items(), pipe.execute(), strict=True):
            chunk = chunks[cell]
            for (incident_id, closed_at), text in zip(pairs, texts, strict=True):
                row = point_row(orjson.loads(text)) if text else None
                chunk.rows[incident_id] = (closed_at, *row) if row is not None else (closed_at,)
                chunk.hi = max(chunk.hi, closed_at)
            chunk.changed()
    for cell in cells:
        chunks[cell].sweep(since_ms)
    return [chunks[c] for c in cells]
