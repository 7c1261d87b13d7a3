"""Where and when the incidents of the history were opened, kept up to date by reading only what changed.

The heatmap counts every incident opened in the last 24 hours — a busy day is 100,000 of them, nearly
all closed. Re-reading them all on every refresh would move megabytes out of Redis each time (and
redis-py's parsing of scores alone takes longer than the rest of the heatmap). A closed incident
does not change while it stays closed, so each scope cell's history is mirrored here as a
:class:`Chunk` and brought up to date with two small commands per cell:

* ``ZCOUNT`` over the closing times already mirrored: when it still equals what is mirrored,
  nothing was removed (reopened, forgotten) or slipped in late; otherwise the cell is read afresh;
* ``ZRANGEBYSCORE`` beyond the newest closing time mirrored, then ``HMGET`` of those Features only.

**What it costs, and its bound.** A chunk keeps numbers only, in columns (numpy arrays, sorted by
closing time: what is new closed after everything mirrored, so it is appended): closing time,
longitude, latitude, opening time (8 bytes each) and region (1 byte) — 33 bytes an incident, and 8
more for each per-incident value a caller derives (:meth:`Chunk.derive`: the heatmap's H3 cell).
The columns grow by doubling, so at most twice that is held. No incident id is kept: the ``ZCOUNT``
check needs only how many are mirrored, and what is new is what closed after ``hi``. (The first
version kept a dict of id → tuple, ~300 bytes an incident, and rebuilt the arrays and the H3 cells
of a whole cell whenever one incident closed in it: at the soak's 17 closings a second that was
most of what a web worker grew by; see docs/benchmarks.md's Soak section.)

The mirror is bounded three ways: by time — incidents closed before the oldest window asked for are
dropped once that window has moved on by :data:`SWEEP_AFTER_MS`; by what Redis holds — a cell whose
history shrank (``History.expire``: ``history_hours``, ``history_max``) fails the count check and
is read afresh; and by count — :func:`bound` drops whole chunks, least recently asked for first,
until at most ``limit`` incidents are mirrored (``History`` passes ``history_max``, 500,000 by
default: ~20 MB at most, ~40 MB in the worst case of doubling) — except the chunks of the scope being
answered, which Redis's own cap bounds. A dropped chunk is read afresh when asked for again.

Each chunk carries a ``version`` that changes whenever its content does. Two columns read together
(:meth:`Chunk.arrays`, :meth:`Chunk.derive`) are read under the chunk's lock, so they always agree.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from ..geo import Points

if TYPE_CHECKING:
    from redis import Redis

    from .keys import Keys

#: A mirrored cell: a shard's keys (:attr:`.keys.Keys.each_shard`), a region token and an agency.
Cell = tuple["Keys", str, str]
#: Mirrored incidents closed before the window asked for are dropped when the window has moved on
#: by this much (ms).
SWEEP_AFTER_MS = 3_600_000
#: Bytes a mirrored incident takes in a chunk's columns (closing, lon, lat, opened, region), before
#: what callers derive (8 bytes each for the heatmap's H3 cell) and the doubling's slack.
ROW_BYTES = 33
_versions = itertools.count(1)
_uses = itertools.count(1)
_POINT_COLUMNS = ("lon", "lat", "opened", "region")  # Points' arrays, in its order
_COLUMNS: dict[str, np.dtype] = {
    "closed": np.dtype(float), "lon": np.dtype(float), "lat": np.dtype(float),
    "opened": np.dtype(np.int64), "region": np.dtype(np.int8),
}  # fmt: skip


def point_row(feature: Mapping[str, Any]) -> tuple[float, float, int, str] | None:
    """``(lon, lat, opened, region)`` of an incident Feature, ``None`` when it lacks one of them."""
    try:
        lon, lat = feature["geometry"]["coordinates"][:2]
        props = feature["properties"]
        opened = props.get("opened") or props["ts"]
        return float(lon), float(lat), int(opened), str(props["region"])
    except (KeyError, TypeError, ValueError):
        return None


class _Column:
    """A growable array: appended to at the end, cut at the start; capacity doubles."""

    __slots__ = ("data", "n")

    def __init__(self, dtype: np.dtype) -> None:
        self.data = np.zeros(0, dtype=dtype)
        self.n = 0

    def view(self) -> np.ndarray:
        return self.data[: self.n]

    def append(self, values: np.ndarray) -> None:
        need = self.n + len(values)
        if need > len(self.data):
            grown = np.zeros(max(need, 2 * len(self.data), 16), dtype=self.data.dtype)
            grown[: self.n] = self.view()
            self.data = grown
        self.data[self.n : need] = values
        self.n = need

    def drop_first(self, k: int) -> None:
        """Forget the first ``k`` values (into a new array, so that the old one can be freed)."""
        self.data = self.data[k : self.n].copy()
        self.n = len(self.data)

    @property
    def nbytes(self) -> int:
        return self.data.nbytes


@dataclass
class Chunk:
    """One scope cell's closed incidents, closed at or after ``lo``, as far as mirrored (see the module
    for what is kept and its bound)."""

    cell: Cell
    lo: float
    hi: float = float("-inf")  # the newest closing time mirrored
    #: incidents mirrored, with a point or not (what ``ZCOUNT`` over ``lo``…``hi`` must still say)
    count: int = 0
    version: int = field(default_factory=lambda: next(_versions))
    #: closing times of the incidents without a usable point (rare: counted, never drawn)
    _pointless: list[float] = field(default_factory=list)
    _columns: dict[str, _Column] = field(default_factory=lambda: {k: _Column(t) for k, t in _COLUMNS.items()})
    #: name → what a caller derived per incident, in the columns' order (shorter until next asked)
    _derived: dict[str, _Column] = field(default_factory=dict)
    #: the last :func:`refresh` that asked for this chunk (the least recently asked are dropped first)
    last_used: int = 0
    #: held while the columns change or are read together (a caller reads them outside ``refresh``)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def changed(self) -> None:
        self.version = next(_versions)

    def __len__(self) -> int:
        """Incidents mirrored with a point."""
        return self._columns["closed"].n

    def add(self, closed: list[float], rows: list[tuple[float, float, int, str] | None]) -> None:
        """Mirror incidents that closed after every one mirrored so far, in closing order; a ``None``
        row is an incident without a usable point (counted only)."""
        if not closed:
            return
        with self._lock:
            self._add(closed, rows)

    def _add(self, closed: list[float], rows: list[tuple[float, float, int, str] | None]) -> None:
        self._pointless += [c for c, r in zip(closed, rows, strict=True) if r is None]
        points = Points.of(r for r in rows if r is not None)
        pointed = [c for c, r in zip(closed, rows, strict=True) if r is not None]
        self._columns["closed"].append(np.array(pointed, dtype=float))
        for name in _POINT_COLUMNS:
            self._columns[name].append(getattr(points, name))
        self.count += len(closed)
        self.hi = max(self.hi, max(closed))
        self.changed()

    def derive(self, name: str, compute: Callable[[Points], np.ndarray]) -> tuple[Points, np.ndarray]:
        """The mirrored incidents with a point (as :meth:`arrays`) and ``compute(points)`` of each: a
        caller's own per-incident work (the heatmap's H3 cells), done once per incident — only the
        incidents mirrored since the last call are computed, so ``compute`` must return one value per
        point. Both from the same moment (another thread may be bringing the chunk up to date)."""
        with self._lock:
            column = self._derived.get(name)
            n = len(self)
            start = column.n if column is not None else 0
            if column is None or start < n:
                values = np.asarray(compute(self._points(start, n)))
                if column is None:
                    column = self._derived[name] = _Column(values.dtype)
                column.append(values)
            return self._points(0, n), column.view()

    def _points(self, start: int, stop: int) -> Points:
        c = self._columns
        return Points(*(c[k].view()[start:stop] for k in _POINT_COLUMNS))

    def arrays(self) -> tuple[Points, np.ndarray]:
        """Every mirrored incident with a point as :class:`Points`, and their closing times (views of
        the columns: no copy; later additions and sweeps leave them as they are)."""
        with self._lock:
            return self._points(0, len(self)), self._columns["closed"].view()

    @property
    def nbytes(self) -> int:
        """Bytes held by the columns (with the doubling's slack) and what was derived from them."""
        columns = (*self._columns.values(), *self._derived.values())
        return sum(c.nbytes for c in columns) + 8 * len(self._pointless)

    def sweep(self, since_ms: int) -> None:
        """Forget the incidents closed before ``since_ms`` once the window has moved on by
        :data:`SWEEP_AFTER_MS` (they are sorted by closing time: a cut at the start)."""
        if since_ms - self.lo <= SWEEP_AFTER_MS:
            return
        with self._lock:
            self._sweep(since_ms)

    def _sweep(self, since_ms: int) -> None:
        k = int(np.searchsorted(self._columns["closed"].view(), since_ms, side="left"))
        for column in (*self._columns.values(), *self._derived.values()):
            column.drop_first(min(k, column.n))
        old = len(self._pointless)
        self._pointless = [c for c in self._pointless if c >= since_ms]
        self.count -= k + old - len(self._pointless)
        self.lo = since_ms
        self.changed()


def bound(chunks: dict[Cell, Chunk], limit: int, keep: list[Cell]) -> int:
    """Drop whole chunks, least recently asked for first, until at most ``limit`` incidents are
    mirrored — never those of ``keep`` (the scope being answered). Returns how many were dropped."""
    total = sum(c.count for c in chunks.values())
    dropped = 0
    for cell in sorted((c for c in chunks if c not in keep), key=lambda c: chunks[c].last_used):
        if total <= limit:
            break
        total -= chunks.pop(cell).count
        dropped += 1
    return dropped



def refresh(
    client: Redis, chunks: dict[Cell, Chunk], cells: list[Cell],
    since_ms: int, limit: int | None = None,
) -> list[Chunk]:
    """Bring the chunks of ``cells`` up to date (creating the missing ones) and return them; with a
    ``limit``, then drop other chunks to keep the mirror within it (:func:`bound`).

    At most three pipelined rounds: check and read what is new; read afresh the cells that failed
    the check; fetch the Features of the incidents not mirrored yet.
    """
    fresh = [c for c in cells if c not in chunks or since_ms < chunks[c].lo]
    kept = [c for c in cells if c not in fresh]
    with client.pipeline(transaction=False) as pipe:
        for cell in kept:
            chunk = chunks[cell]
            shard, region, agency = cell
            key = shard.incident_history(region, agency)
            pipe.zcount(key, chunk.lo, chunk.hi)
            after = f"({chunk.hi!r}" if chunk.hi > float("-inf") else chunk.lo
            pipe.zrangebyscore(key, after, "+inf", withscores=True)
        replies = pipe.execute() if kept else []
    new: dict[Cell, list[tuple[str, float]]] = {}
    for n, cell in enumerate(kept):
        count, pairs = replies[2 * n], replies[2 * n + 1]
        if count != chunks[cell].count:
            fresh.append(cell)  # something left, or closed late (before `hi`): read it afresh
        elif pairs:
            new[cell] = pairs
    if fresh:
        with client.pipeline(transaction=False) as pipe:
            for shard, region, agency in fresh:
                pipe.zrangebyscore(shard.incident_history(region, agency), since_ms, "+inf", withscores=True)
            for cell, pairs in zip(fresh, pipe.execute(), strict=True):
                chunks[cell] = Chunk(cell, lo=since_ms)
                if pairs:
                    new[cell] = pairs
    if new:
        with client.pipeline(transaction=False) as pipe:
            for cell, pairs in new.items():
                shard, region, agency = cell
                pipe.hmget(shard.incident_history_features(region, agency), [i for i, _ in pairs])
            for (cell, pairs), texts in zip(new.items(), pipe.execute(), strict=True):
                rows = [point_row(orjson.loads(text)) if text else None for text in texts]
                chunks[cell].add([closed for _, closed in pairs], rows)
    use = next(_uses)
    for cell in cells:
        chunks[cell].sweep(since_ms)
        chunks[cell].last_used = use
    if limit is not None:
        bound(chunks, limit, cells)
    return [chunks[c] for c in cells]
