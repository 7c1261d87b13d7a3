"""A month of the simulator's history, written straight to the archive: ``python -m app archive
--backfill-demo 30d``.

Replay, timelines, compare and the brief need history, and a demo cannot wait a month for it. Nor can
it go through the streams: at the demo's rate (one incident opened a second, time ×10) the simulator
makes 12–15 million entries a day, nine in ten of them unit positions, and :meth:`Scenario.advance`
builds each through the contract's models (~30 µs), so 30 days would take hours. So the backfill runs
the simulator's *logic* and writes what the archiver would have written — hour by hour, already
compacted (``hour.parquet``) and, for hours older than ``archive_full_days``, with positions already
thinned (``thinned-<N>s.parquet``).

**How it is fast.**

* *The event core runs as it is.* :class:`_Recorder` is a :class:`~app.simulation.Scenario`: calls,
  incidents, dispatch, legs, arrivals, spells out of service all come from the scenario's own code.
  What changes is what is done with an entry: the values the scenario would hand the contract's models
  are kept as plain tuples, and position reports — the scenario's ``_TICK`` events, one a second for
  a moving unit, one every ~30 s for a parked one, 95% of its events — never go on the heap. Each
  change of a unit's plan starts a *chain* (a leg, with a report every ``move_ms``; or a parked spell,
  with heartbeats) that ends at the unit's next change; chains become rows in numpy (when each report
  falls, where the unit is then), and columns are built from arrays, never from models.
* *Thinned hours are made thinned.* For an hour past the full-detail period a leg yields only its
  first report in each ``archive_thin_s`` bucket; those, the changes and the heartbeats are thinned by
  :func:`app.archive.compact.thin`'s rule (in numpy: the DuckDB query would cost a third of the time
  budget), and the first thinned hour of every day is thinned by :func:`compact.thin` itself too and
  compared, so the two cannot drift apart silently. The file is what the archiver's maintenance makes
  of the full hour (``tests/test_archive_backfill.py`` writes the full hour's entries through the real
  archiver and compares).
* *Both cores.* Each UTC day is its own scenario, seeded by (seed, day), run in a process pool; a
  process holds one hour at a time, and the files do not depend on the pool's size.

**Heartbeats.** In the live scenario a parked unit's next report is drawn from the random stream that
also draws dispatch delays and times on scene, so leaving those events out would change everything
else. Here the interval (24–36 s, as :meth:`Scenario._heartbeat` draws it) is a hash of (day, unit,
start of the parked spell, report number) — the same distribution, but computable for a whole spell at
once. Every other draw is the scenario's.

**Days and their boundaries.** A day's scenario starts like the live simulator: the fleet at its bases
(the seed's fleet, so unit ids and bases are the live demo's) and no incident open. It stops taking
calls :func:`drain_ms` before its end (17 minutes at time ×10: the longest an incident can take from
the call to its closing, and a minute), so every incident it opens closes — its calls and units with
it — within the day, and none is left open in the archive for ever (replay keeps open incidents in
every keyframe). The price: no new calls in the 17 minutes before 00:00 UTC (02:43–03:00 in Riyadh,
the quietest hour of the night) nor before the backfill's end; units still driving back to base at
midnight reappear at it.

**Entry ids.** ``entry_ms`` is when the simulator emits the entry, i.e. when the live runner would add
it to the stream: the entry's ``ts`` for incidents, units and ports, and for a call the end of the
call (a call is written when it ends). ``entry_seq`` numbers a stream's entries of the same
millisecond: changes in the order made, then reports (the first of their leg in a bucket, then the
others), by unit — so a thinned hour's ids are those its full version has. ``archived_ms`` is the
backfill's clock when it started.

It ends at the start of the current hour, so it never writes into an hour a live archiver may be
writing, and it refuses to write into hours that already hold files, unless ``force``.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import math
import multiprocessing
import os
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from ..contract import (
    OUTSIDE,
    CallEvent,
    IncidentEvent,
    PortEvent,
    Stream,
    UnitEvent,
    UnitStatus,
    _clean_text,
    to_fields,
)
from ..geo import RegionIndex
from ..reference import Reference
from ..settings import Settings
from ..simulation.lifecycle import DISPATCH_DELAY_S, HEARTBEAT_MS, MAX_WAIT_S, SCENE_S, TRAVEL_S
from ..simulation.scenario import _CALL, _EXTRA_CALL, _PORTS, _TICK, Scenario
from ..simulation.world import World
from . import compact, keyframes, layout
from .archiver import FUTURE_FLAG_MS

log = logging.getLogger("basira.archive")

HOUR_MS = layout.HOUR_MS
DAY_MS = layout.DAY_MS
#: A parked unit's report interval, as :meth:`Scenario._heartbeat` draws it: HEARTBEAT_MS × U(0.8, 1.2).
BEAT_LOW = round(HEARTBEAT_MS * 0.8)
BEAT_SPAN = round(HEARTBEAT_MS * 1.2) - BEAT_LOW + 1
#: The longest a call rings before it is answered, the longest an answered call lasts
#: (``catalog.answer_ms``, ``catalog.talk_ms``), and the longest from answering to opening the
#: incident (``Scenario._on_call``).
ANSWER_MAX_S, TALK_MAX_S, OPEN_MAX_S = 90, 300, 90
_U64 = (1 << 64) - 1
_GOLDEN, _MIX1, _MIX2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_STATUS = [s.value for s in UnitStatus]
_STATUS_CODE = {s: n for n, s in enumerate(UnitStatus)}


def drain_ms(time_scale: float) -> int:
    """How long before its end a day's scenario stops taking calls, so that all it started ends within
    the day: the longest call, and the longest incident (it rings, is opened, waits for the dispatcher
    and then for a free unit as long as it may, is driven to and worked on scene), plus a minute."""
    incident_s = ANSWER_MAX_S + OPEN_MAX_S + (
        max(high for _low, high in DISPATCH_DELAY_S.values()) + MAX_WAIT_S + TRAVEL_S[1] + SCENE_S[1]
    ) / time_scale
    longest_s = max(incident_s, ANSWER_MAX_S + TALK_MAX_S)
    return (math.ceil(longest_s / 60) + 1) * 60_000


# --- heartbeats: a hash, not a random stream ------------------------------------------------------------


def _mix(z: int) -> int:
    """splitmix64's finaliser: 64 well-mixed bits from any 64-bit integer."""
    z = ((z ^ (z >> 30)) * _MIX1) & _U64
    z = ((z ^ (z >> 27)) * _MIX2) & _U64
    return z ^ (z >> 31)


def _mix_np(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_MIX2)
    return z ^ (z >> np.uint64(31))


def spell_key(day_key: int, unit: int, start_ms: int) -> int:
    """The key of a parked spell: (day, unit's index in the fleet, when it began)."""
    return _mix(day_key ^ (unit << 44) ^ start_ms)


def _spell_keys(day_key: int, units: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return _mix_np(np.uint64(day_key) ^ (units.astype(np.uint64) << np.uint64(44)) ^ starts.astype(np.uint64))


def beat_ms(key: int, k: int) -> int:
    """The ``k``-th heartbeat interval (ms) of the parked spell ``key``."""
    return BEAT_LOW + _mix((key + (k + 1) * _GOLDEN) & _U64) % BEAT_SPAN


def _beats(keys: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """:func:`beat_ms` for arrays of keys (uint64) and report numbers (int64)."""
    z = keys + (ks.astype(np.uint64) + np.uint64(1)) * np.uint64(_GOLDEN)
    return (_mix_np(z) % np.uint64(BEAT_SPAN)).astype(np.int64) + BEAT_LOW


def _day_key(seed: int, day: int, name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"basira:{seed}:{day}:{name}".encode()).digest()[:8], "big")


# --- the plan: one scenario per UTC day ------------------------------------------------------------------


class Chunk(NamedTuple):
    """One scenario's share of the backfill: ``[start_ms, end_ms)``, whole hours of one UTC day."""

    day: int  # epoch day: with the seed, what the scenario's random streams are seeded by
    start_ms: int
    end_ms: int


def plan(end_ms: int, hours: int) -> list[Chunk]:
    """The ``hours`` hours before ``end_ms`` (an hour boundary), cut at UTC midnights."""
    chunks, t = [], end_ms - hours * HOUR_MS
    while t < end_ms:
        stop = min(end_ms, (t // DAY_MS + 1) * DAY_MS)
        chunks.append(Chunk(t // DAY_MS, t, stop))
        t = stop
    return chunks


# --- the scenario of one chunk -----------------------------------------------------------------------------


class FastWorld(World):
    """The simulator's world with a quicker one-point region test and the same answers: the first
    region in code order whose polygon holds the point (as :meth:`RegionIndex.assign` decides) —
    :meth:`RegionIndex.assign_one`'s array set-up costs more than the test itself."""

    def __init__(self, reference: Reference) -> None:
        super().__init__(reference.cities, reference.ports, reference.region_index)
        index = reference.region_index
        self._order = [(code, geom, *geom.bounds)
                       for code, geom in zip(index.codes.tolist(), index.geoms.tolist(), strict=True)]

    def region_of(self, lat: float, lon: float, hint: str | None = None) -> str:
        geom = self._geoms.get(hint) if hint else None
        if geom is not None and shapely.intersects_xy(geom, lon, lat):
            return hint  # type: ignore[return-value]
        for code, geom, x0, y0, x1, y1 in self._order:
            if x0 <= lon <= x1 and y0 <= lat <= y1 and shapely.intersects_xy(geom, lon, lat):
                return code
        return OUTSIDE


class _Day(Scenario):
    """The scenario of one chunk: the simulator's, with its random streams seeded by (seed, day) while
    the fleet stays the seed's, no calls taken in the chunk's last :func:`drain_ms`, and heartbeat
    intervals from :func:`beat_ms`."""

    #: What of Scenario this class relies on (checked, so a rename fails loudly, not silently).
    RELIES_ON = ("_ri", "_rc", "_ro", "_heap", "_incidents", "_extra_calls", "_move_ms", "fleet", "ports")

    def __init__(self, world: World, *, seed: int, chunk: Chunk, rate: float, time_scale: float,
                 units: int | None = None) -> None:
        self.chunk = chunk
        self.day_key = _day_key(seed, chunk.day, "beats")
        self._initial = True
        self._index: dict[int, int] = {}
        self._spell_start: tuple[Any, int] | None = None
        self._ticking: Any = None
        self._spells: dict[int, list[int]] = {}
        super().__init__(world, seed=seed, start_ms=chunk.start_ms, rate=rate, units=units,
                         time_scale=time_scale)
        self._initial = False
        missing = [name for name in self.RELIES_ON if not hasattr(self, name)]
        if missing:
            raise RuntimeError(f"Scenario no longer has {missing}: app/archive/backfill.py needs updating")
        self._index = {id(unit): n for n, unit in enumerate(self.fleet.units)}
        self.calls_until = chunk.end_ms - drain_ms(time_scale)
        self._ri, self._rc, self._ro = (random.Random(f"basira:{seed}:{chunk.day}:{name}")
                                        for name in ("inc", "call", "ops"))
        self.ports.rng = np.random.default_rng(_day_key(seed, chunk.day, "ports"))
        # The first calls were drawn from the seed's streams: draw them again from the day's.
        self._heap = [e for e in self._heap if e[2] not in (_CALL, _EXTRA_CALL)]
        heapq.heapify(self._heap)
        self._at(self._incidents.next_after(self.start_ms, self._ri), _CALL)
        self._at(self._extra_calls.next_after(self.start_ms, self._rc), _EXTRA_CALL)

    def unit_index(self, unit: Any) -> int:
        if id(unit) not in self._index:
            self._index = {id(u): n for n, u in enumerate(self.fleet.units)}
        return self._index[id(unit)]

    def _on_call(self, t: int, obj: object, gen: int) -> None:
        if t < self.calls_until:
            super()._on_call(t, obj, gen)

    def _on_extra_call(self, t: int, obj: object, gen: int) -> None:
        if t < self.calls_until:
            super()._on_extra_call(t, obj, gen)

    # Heartbeats: a spell begins when a unit arrives or comes back into service (the draw made there
    # is the spell's first, number 0), or at the start with the unit's first report (which draws
    # number 0); every report of the spell draws the next number.
    def _on_arrive(self, t: int, unit: Any, gen: int) -> None:
        self._spell_start = (unit, t)
        try:
            super()._on_arrive(t, unit, gen)
        finally:
            self._spell_start = None

    def _on_in_service(self, t: int, unit: Any, gen: int) -> None:
        self._spell_start = (unit, t)
        try:
            super()._on_in_service(t, unit, gen)
        finally:
            self._spell_start = None

    def _on_tick(self, t: int, unit: Any, gen: int) -> None:
        self._ticking = unit
        super()._on_tick(t, unit, gen)

    def _heartbeat(self) -> int:
        if self._spell_start is not None:
            unit, start = self._spell_start
            n = self.unit_index(unit)
            key = spell_key(self.day_key, n, start)
            self._spells[n] = [key, 1]
            return beat_ms(key, 0)
        n = self.unit_index(self._ticking)
        spell = self._spells.get(n)
        if spell is None:  # the first report at the start begins the unit's first spell
            spell = self._spells[n] = [spell_key(self.day_key, n, self.start_ms), 0]
        k = spell[1]
        spell[1] += 1
        return beat_ms(spell[0], k)


class ExactDay(_Day):
    """A chunk's scenario run the simulator's way — every report an event on the heap, every entry built
    by the contract's models — with the time each entry is emitted. Slow: the yardstick the tests hold
    the backfill to (the same entries as :class:`_Recorder`'s rows)."""

    def __init__(self, world: World, *, seed: int, chunk: Chunk, rate: float, time_scale: float,
                 units: int | None = None) -> None:
        super().__init__(world, seed=seed, chunk=chunk, rate=rate, time_scale=time_scale, units=units)
        self._times: list[int] = []
        self._handlers = tuple(self._timed(handler) for handler in self._handlers)

    def _timed(self, handler: Callable[[int, Any, int], None]) -> Callable[[int, Any, int], None]:
        def run(t: int, obj: Any, gen: int) -> None:
            before = len(self._out)
            handler(t, obj, gen)
            self._times.extend([t] * (len(self._out) - before))

        return run

    def timed(self, until_ms: int) -> list[tuple[int, Stream, dict[str, str]]]:
        """``advance(until_ms)``: each entry with the time it was emitted."""
        self._times = []
        entries = self.advance(until_ms)
        return [(t, stream, fields) for t, (stream, fields) in zip(self._times, entries, strict=True)]


#: A chain (a list, for speed): the unit (its index), whether on a leg, the next report (parked) or the
#: leg's start (moving), the next heartbeat number (-1: the spell's first report is yet to be drawn),
#: when the spell began, the leg's end, the leg (or the spot twice), status, incident, heading and
#: speed as the unit had them, and when the chain ended (the unit's next change; None while open).
(UNIT, MOVING, NEXT, BEAT, START, T1, LAT0, LON0, LAT1, LON1, STATUS, INCIDENT, HEADING, SPEED,
 LIMIT) = range(15)


class _Recorder(_Day):
    """A chunk's scenario that keeps plain values instead of entries, and chains instead of reports."""

    def __init__(self, world: World, *, seed: int, chunk: Chunk, rate: float, time_scale: float,
                 units: int | None = None) -> None:
        self._units: list[tuple] = []
        self._incident_rows: list[tuple] = []
        self._call_rows: list[tuple] = []
        self._port_rows: list[tuple] = []
        self._chain_of: list[list | None] = []
        self._chains_ended: list[list] = []
        self._texts: dict[str, str | None] = {}
        super().__init__(world, seed=seed, chunk=chunk, rate=rate, time_scale=time_scale, units=units)
        self._port_regions = [world.ports[p.id].region for p in self.ports.ports]

    # The heartbeats are drawn when chains are expanded: the heap needs none.
    _on_arrive = Scenario._on_arrive
    _on_in_service = Scenario._on_in_service

    def _heartbeat(self) -> int:
        return 0

    def _at(self, t: int, kind: int, obj: object = None, gen: int = 0) -> None:
        self._seq += 1  # a report is numbered as if scheduled, so the other events keep their order
        if kind != _TICK:
            heapq.heappush(self._heap, (int(t), self._seq, kind, obj, gen))  # as Scenario._at
            return
        unit: Any = obj
        n = self._index.get(id(unit))
        if n is None:
            n = self.unit_index(unit)
        if not self._chain_of:
            self._chain_of = [None] * len(self.fleet.units)
        inc = unit.incident
        incident = inc.id if inc is not None else None
        if unit.t1 > t and (unit.lat0 != unit.lat1 or unit.lon0 != unit.lon1):
            # A leg just began (Scenario._drive): reports at t0 + k·move_ms while before t1.
            self._chain_of[n] = [n, True, unit.t0, 0, unit.t0, unit.t1, unit.lat0, unit.lon0, unit.lat1,
                                 unit.lon1, unit.status, incident, unit.heading, unit.speed, None]
        elif self._initial:  # the first report at the start (now), then heartbeats
            self._chain_of[n] = [n, False, t, 0, t, 0, unit.lat1, unit.lon1, unit.lat1, unit.lon1,
                                 unit.status, incident, unit.heading, 0.0, None]
        else:  # parked after arriving, or back in service: heartbeats from t + beat_ms(key, 0)
            self._chain_of[n] = [n, False, t, -1, t, 0, unit.lat1, unit.lon1, unit.lat1, unit.lon1,
                                 unit.status, incident, unit.heading, 0.0, None]

    def _emit_unit(self, unit: Any, t: int) -> None:
        # Every unit entry the heap still makes is a change of plan: it ends the unit's chain.
        n = self._index[id(unit)]
        old = self._chain_of[n]
        if old is not None:
            old[LIMIT] = t
            self._chains_ended.append(old)
            self._chain_of[n] = None
        lat, lon = unit.where(t)
        inc = unit.incident
        self._units.append((t, n, unit.status, lat, lon, unit.heading, unit.speed if unit.moving(t) else 0.0,
                            inc.id if inc is not None else None))

    def _emit_incident(self, inc: Any, t: int) -> None:
        kind = inc.kind  # enum members are kept as they are: each is the str of its value
        self._incident_rows.append((
            t, inc.id, inc.status, kind.agency, kind.category, inc.priority, inc.lat, inc.lon, inc.region,
            self._text(inc.description), ",".join([u.id for u in inc.units]) or None,
        ))

    def _on_call_end(self, t: int, call: Any, _gen: int) -> None:
        self._call_rows.append((t, call.id, call.ts, call.answered_ts, call.lat, call.lon, call.region,
                                call.outcome, call.incident))

    def _on_ports(self, t: int, _obj: object, _gen: int) -> None:
        # PortTraffic.minute without the models: a row per port, direction and category with
        # travellers, or one with none when a port-direction saw nobody (it carries the wait).
        ports, regions = self.ports.ports, self._port_regions
        if ports:
            self._port_rows += [(t, ports[i].id, d, c, travellers, vehicles, wait, regions[i])
                                for i, d, c, travellers, vehicles, wait in self.ports.counted(t)]
        self._at(t + 60_000, _PORTS)

    def _text(self, value: str | None) -> str | None:
        """A description as the contract reads it back (blank is absent; trimmed, no control chars)."""
        if value is None:
            return None
        if value not in self._texts:
            self._texts[value] = _clean_text(value) if value.strip() else None
        return self._texts[value]

    def hour(self, lo: int, hi: int, thin_ms: int | None = None, coarse: bool = True) -> dict[str, Any]:
        """Advance to ``hi`` and hand over what was emitted in ``[lo, hi)`` and the reports of every
        chain in it. With ``thin_ms`` (an hour to thin), reports are marked ``first`` of their leg in
        their bucket, and with ``coarse`` only those of a leg are made (thinning keeps no other)."""
        self.advance(hi - 1)
        chains = self._chains_ended + [c for c in self._chain_of if c is not None]
        self._chains_ended = []
        ticks = _expand(chains, lo, hi, self._move_ms, thin_ms, coarse, self.day_key)
        out = {"units": self._units, "incidents": self._incident_rows, "calls": self._call_rows,
               "ports": self._port_rows, "ticks": ticks, "chains": chains}
        self._units, self._incident_rows, self._call_rows, self._port_rows = [], [], [], []
        return out


# --- chains → reports (numpy) ------------------------------------------------------------------------------


def _spans(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``counts`` items per row: the row of each item, and its place within the row."""
    rows = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return rows, np.arange(int(counts.sum())) - np.repeat(starts, counts)


def _fields(rows: list[Any], width: int) -> list[tuple]:
    """Rows (chains, or emitted tuples) turned into columns, once."""
    return list(zip(*rows, strict=True)) if rows else [()] * width


def _expand(chains: list[list], lo: int, hi: int, move_ms: int, thin_ms: int | None, coarse: bool,
            day_key: int) -> dict[str, np.ndarray]:
    """The reports of ``chains`` in ``[lo, hi)``: when, which chain, and whether each is the first of
    its leg in its bucket (cut by the hour; every heartbeat counts as first) — with ``coarse``, only
    those of legs. Parked chains' progress is kept in them for the next hour."""
    times, which, first = [], [], []
    fields = _fields(chains, LIMIT + 1)
    is_moving = np.array(fields[MOVING], dtype=bool)
    moving, parked = np.flatnonzero(is_moving), np.flatnonzero(~is_moving)
    ends = np.array([hi if limit is None else min(limit, hi) for limit in fields[LIMIT]], dtype=np.int64)
    every_next = np.array(fields[NEXT], dtype=np.int64)
    if len(moving):
        t0 = every_next[moving]
        end = np.minimum(np.array(fields[T1], dtype=np.int64)[moving], ends[moving])
        if not coarse or thin_ms is None or thin_ms <= move_ms:
            k_lo = np.maximum(1, -((t0 - lo) // move_ms))  # ceil((lo - t0) / m), at least 1
            k_hi = -((t0 - end) // move_ms) - 1  # the last k with t0 + k·m < end
            rows, pos = _spans(np.maximum(0, k_hi - k_lo + 1))
            t = t0[rows] + (k_lo[rows] + pos) * move_ms
        else:  # the first report after the start of each bucket (cut by the hour) the leg reaches
            starts = np.unique(np.r_[lo, np.arange(-(-lo // thin_ms) * thin_ms, hi, thin_ms)])
            stops = np.r_[starts[1:], hi]
            s_lo = np.searchsorted(starts, t0, side="right")
            s_hi = np.searchsorted(starts, end, side="left")
            rows, pos = _spans(np.maximum(0, s_hi - s_lo))
            segment = s_lo[rows] + pos
            t = t0[rows] - ((t0[rows] - starts[segment]) // move_ms) * move_ms
            keep = (t < stops[segment]) & (t < end[rows])
            rows, t = rows[keep], t[keep]
        times.append(t)
        which.append(moving[rows])
        if thin_ms:
            first.append(t - move_ms < np.maximum(t // thin_ms * thin_ms, t // HOUR_MS * HOUR_MS))
        else:
            first.append(np.ones(len(t), dtype=bool))
    if len(parked):
        nxt = every_next[parked]
        beat = np.array(fields[BEAT], dtype=np.int64)[parked]
        keys = _spell_keys(day_key, np.array(fields[UNIT], dtype=np.int64)[parked],
                           np.array(fields[START], dtype=np.int64)[parked])
        fresh = beat < 0  # a spell after a change: its first report is beat 0 after it began
        if fresh.any():
            nxt[fresh] += _beats(keys[fresh], np.zeros(int(fresh.sum()), np.int64))
            beat[fresh] = 1
        end = ends[parked]
        # Each chain's candidates: its next report, then enough intervals to pass its end.
        count = np.maximum(0, -((nxt - end) // BEAT_LOW)) + 1
        rows, pos = _spans(count)
        step = _beats(keys[rows], beat[rows] + pos - 1)
        step[pos == 0] = 0
        total = np.cumsum(step)
        first_of = np.cumsum(count) - count
        at = nxt[rows] + total - total[first_of][rows]
        fired = at < end[rows]
        times.append(at[fired])
        which.append(parked[rows[fired]])
        first.append(np.ones(int(fired.sum()), dtype=bool))
        done = np.bincount(rows[fired], minlength=len(parked))
        for i, n in enumerate(parked.tolist()):
            chain = chains[n]
            if chain[LIMIT] is None:  # still parked: go on from the first report after this hour
                chain[NEXT] = int(at[first_of[i] + done[i]])
                chain[BEAT] = int(beat[i] + done[i])
    if not times:
        return {"t": np.zeros(0, np.int64), "chain": np.zeros(0, np.int64), "first": np.zeros(0, bool)}
    return {"t": np.concatenate(times), "chain": np.concatenate(which).astype(np.int64),
            "first": np.concatenate(first)}


def _round5(x: np.ndarray) -> np.ndarray:
    """Python's ``round(x, 5)`` for an array, exactly (numpy's may differ next to a half)."""
    y = x * 1e5
    out = np.rint(y) / 1e5
    near = np.abs(y - np.floor(y) - 0.5) < 1e-6
    if near.any():
        out[near] = [round(float(v), 5) for v in x[near]]
    return out


def _thin_mask(unit: np.ndarray, ms: np.ndarray, status: np.ndarray, incident: np.ndarray,
               every_ms: int) -> np.ndarray:
    """:func:`compact.thin`'s rule on rows sorted by unit then entry id: a unit's first row in each
    ``every_ms`` bucket of ``ts`` (``entry_ms`` here), its first row of the hour, and each row whose
    status or incident differs from its previous row's. The DuckDB query costs ~0.3 s an hour, 200 s
    of a 30-day backfill; :meth:`_Columns.units` compares the two once a day."""
    if not len(unit):
        return np.zeros(0, dtype=bool)
    same = np.r_[False, unit[1:] == unit[:-1]]
    bucket = ms // every_ms
    keep = ~same
    keep[1:] |= bucket[1:] != bucket[:-1]
    keep[1:] |= same[1:] & ((status[1:] != status[:-1]) | (incident[1:] != incident[:-1]))
    return keep


def thinned_by_compact(data: pa.Table, thin_s: int) -> pa.Table:
    """``data`` (an hour of positions) thinned by the archiver's own query, :func:`compact.thin`."""
    scratch = Path(tempfile.gettempdir()) / f".basira-backfill-{os.getpid()}-{time.monotonic_ns()}.parquet"
    try:
        pq.write_table(data, scratch, compression="none")
        return compact.thin([scratch], thin_s)
    finally:
        scratch.unlink(missing_ok=True)


# --- rows → Arrow -------------------------------------------------------------------------------------------


def _seq(ms: np.ndarray) -> np.ndarray:
    """``entry_seq`` for rows in ``entry_ms`` order: 0, 1, 2 … within each millisecond."""
    n = len(ms)
    if not n:
        return np.zeros(0, dtype=np.int32)
    starts = np.flatnonzero(np.r_[True, ms[1:] != ms[:-1]])
    return (np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))).astype(np.int32)


def _strings(values: list[Any]) -> tuple[np.ndarray, pa.Array]:
    """Codes and dictionary of a column of strings (``None`` kept, as null)."""
    table: dict[Any, int] = {}
    codes = np.fromiter((table.setdefault(v, len(table)) for v in values), np.int64, len(values))
    return codes, pa.array(list(table), pa.string())


def _regions(index: RegionIndex, lons: np.ndarray, lats: np.ndarray) -> pa.Array:
    """The region of each point, as :class:`~app.prepare.Preparer` assigns it, tested once per place."""
    if not len(lons):
        return pa.array([], pa.string())
    points, inverse = np.unique(lons + 1j * lats, return_inverse=True)
    codes, names = _strings(index.assign(points.real, points.imag))
    return names.take(pa.array(codes[inverse.ravel()]))


def _heading(raw: np.ndarray) -> np.ndarray:
    """``round(heading) % 360``, as the scenario reports it."""
    return np.rint(raw) % 360


class _Columns:
    """A :meth:`_Recorder.hour` as Arrow tables of the archive's schemas, sorted as compaction sorts."""

    def __init__(self, units: list[Any], index: RegionIndex, archived_ms: int) -> None:
        ids = [u.id for u in units]
        self.unit_ids = pa.array(ids, pa.string())
        self.unit_agencies = pa.array([u.agency.value for u in units], pa.string())
        self.id_rank = np.argsort(np.argsort(np.array(ids, dtype=object), kind="stable"), kind="stable")
        self.statuses = pa.array(_STATUS, pa.string())
        self.index = index
        self.archived_ms = archived_ms

    def units(self, got: dict[str, Any], thin_s: int | None = None, check: bool = False) -> pa.Table:
        """The hour's unit rows; with ``thin_s`` thinned by :func:`compact.thin`'s rule (and with
        ``check`` by :func:`compact.thin` itself too: the two must agree)."""
        changes, chains, ticks = got["units"], got["chains"], got["ticks"]
        c = len(changes)
        t, which = ticks["t"], ticks["chain"]
        chain_fields, change_fields = _fields(chains, LIMIT + 1), _fields(changes, 8)

        def per_report(field: int, dtype: Any) -> np.ndarray:
            return np.array(chain_fields[field], dtype=dtype)[which]

        def per_change(field: int, dtype: Any) -> np.ndarray:
            return np.array(change_fields[field], dtype=dtype)

        moving, t0, t1 = per_report(MOVING, bool), per_report(NEXT, np.int64), per_report(T1, np.int64)
        lat0, lon0 = per_report(LAT0, np.float64), per_report(LON0, np.float64)
        lat1, lon1 = per_report(LAT1, np.float64), per_report(LON1, np.float64)
        # Unit.where(t): on a leg lat0 + (lat1 - lat0) · (t - t0) / (t1 - t0); parked, (lat1, lon1).
        f = np.where(moving, (t - t0) / np.where(moving, t1 - t0, 1), 0.0)
        lat = np.where(moving, lat0 + (lat1 - lat0) * f, lat1)
        lon = np.where(moving, lon0 + (lon1 - lon0) * f, lon1)
        speed = np.where(moving, per_report(SPEED, np.float64), 0.0)
        incident_codes, incident_names = _strings([*change_fields[7], *chain_fields[INCIDENT]])

        ms = np.r_[per_change(0, np.int64), t]
        unit = np.r_[per_change(1, np.int64), per_report(UNIT, np.int64)]
        # Entry ids: by time; in a millisecond changes (in the order made), then reports (the first of
        # their leg in a bucket, then the others), by unit.
        group = np.r_[np.zeros(c, np.int8), np.where(ticks["first"], 1, 2).astype(np.int8)]
        order = np.lexsort((np.r_[np.arange(c), unit[c:]], group, ms))
        seq = _seq(ms[order])
        store = order[np.lexsort((seq, ms[order], self.id_rank[unit[order]]))]  # by unit id, then entry id
        seq = seq[np.argsort(order)][store]
        cols = {
            "ms": ms[store], "seq": seq, "unit": unit[store],
            "lat": _round5(np.r_[per_change(3, np.float64), lat])[store],
            "lon": _round5(np.r_[per_change(4, np.float64), lon])[store],
            "status": np.r_[np.array([_STATUS_CODE[s] for s in change_fields[2]], dtype=np.int64),
                            np.array([_STATUS_CODE[s] for s in chain_fields[STATUS]], dtype=np.int64)[which]
                            ][store],
            "heading": _heading(np.r_[per_change(5, np.float64), per_report(HEADING, np.float64)])[store],
            "speed": np.rint(np.r_[per_change(6, np.float64), speed])[store],
            "incident": np.r_[incident_codes[:c], incident_codes[c:][which]][store],
        }
        if not thin_s:
            return self._units_table(cols, incident_names)
        keep = _thin_mask(cols["unit"], cols["ms"], cols["status"], cols["incident"], thin_s * 1000)
        data = self._units_table({name: col[keep] for name, col in cols.items()}, incident_names)
        if check and not thinned_by_compact(self._units_table(cols, incident_names), thin_s).equals(data):
            raise RuntimeError("the backfill's thinning no longer matches app.archive.compact.thin: "
                               "app/archive/backfill.py (_thin_mask) needs updating")
        return data

    def _units_table(self, cols: dict[str, np.ndarray], incident_names: pa.Array) -> pa.Table:
        n, unit = len(cols["ms"]), pa.array(cols["unit"])
        return pa.Table.from_arrays([
            pa.array(cols["ms"]), pa.array(cols["seq"]), pa.array(cols["ms"]),
            _regions(self.index, cols["lon"], cols["lat"]), pa.array(np.full(n, self.archived_ms, np.int64)),
            self.unit_ids.take(unit), self.unit_agencies.take(unit),
            self.statuses.take(pa.array(cols["status"])), pa.array(cols["lat"]), pa.array(cols["lon"]),
            pa.array(cols["heading"].astype(np.float32)), pa.array(cols["speed"].astype(np.float32)),
            incident_names.take(pa.array(cols["incident"])),
        ], schema=layout.SCHEMAS[Stream.units])

    def _table(self, stream: Stream, rows: list[tuple], names: list[str]) -> pa.Table:
        """A table from rows ``(entry_ms, *names)`` in the order emitted."""
        fields = _fields(rows, len(names) + 1)
        ms = np.array(fields[0], dtype=np.int64)
        columns: dict[str, Any] = {"entry_ms": ms, "entry_seq": _seq(ms),
                                   "archived_ms": np.full(len(rows), self.archived_ms, np.int64)}
        for n, name in enumerate(names, start=1):
            columns[name] = list(fields[n])
        columns.setdefault("ts", ms)  # incidents and ports are emitted at their ts
        if stream is Stream.incidents:
            columns["future"] = columns["ts"] > ms + FUTURE_FLAG_MS  # as the archiver flags them
        data = pa.Table.from_pydict({f.name: columns[f.name] for f in layout.SCHEMAS[stream]},
                                    schema=layout.SCHEMAS[stream])
        return data.sort_by([(key, "ascending") for key in layout.SORT_KEYS[stream]])

    def incidents(self, rows: list[tuple]) -> pa.Table:
        return self._table(Stream.incidents, rows, ["id", "status", "agency", "category", "priority", "lat",
                                                    "lon", "region", "description", "units"])

    def calls(self, rows: list[tuple]) -> pa.Table:
        return self._table(Stream.calls, rows, ["id", "ts", "answered_ts", "lat", "lon", "region", "outcome",
                                                "incident"])

    def ports(self, rows: list[tuple]) -> pa.Table:
        return self._table(Stream.ports, rows, ["port", "direction", "category", "travellers", "vehicles",
                                                "wait_min", "region"])


def entries(got: dict[str, Any], fleet: list[Any], day_key: int) -> list[tuple[int, Stream, dict[str, str]]]:
    """An hour of :meth:`_Recorder.hour` as the stream entries the simulator's producer would write,
    each with the time it is emitted, in stream id order — built one at a time by the contract's models
    and :func:`~app.contract.to_fields`, positions as :meth:`Unit.where` computes them, rounded as
    :meth:`Scenario._emit_unit` rounds. Slow; the yardstick of the tests (the archiver's rows of these
    entries must equal the backfill's)."""
    out: list[tuple[Stream, int, int, int, dict[str, str]]] = []  # (stream, t, group, within, fields)
    for n, (t, u, status, lat, lon, heading, speed, incident) in enumerate(got["units"]):
        event = UnitEvent(id=fleet[u].id, agency=fleet[u].agency, status=status, lat=round(lat, 5),
                          lon=round(lon, 5), ts=t, heading=round(heading) % 360, speed=round(speed),
                          incident=incident)
        out.append((Stream.units, t, 0, n, to_fields(event)))
    chains, ticks = got["chains"], got["ticks"]
    reports = zip(ticks["t"].tolist(), ticks["chain"].tolist(), ticks["first"].tolist(), strict=True)
    for t, n, first in reports:
        chain = chains[n]
        if chain[MOVING]:
            f = max(0.0, (t - chain[NEXT]) / (chain[T1] - chain[NEXT]))
            lat = chain[LAT0] + (chain[LAT1] - chain[LAT0]) * f
            lon = chain[LON0] + (chain[LON1] - chain[LON0]) * f
        else:
            lat, lon = chain[LAT1], chain[LON1]
        unit = fleet[chain[UNIT]]
        event = UnitEvent(id=unit.id, agency=unit.agency, status=chain[STATUS], lat=round(lat, 5),
                          lon=round(lon, 5), ts=t, heading=round(chain[HEADING]) % 360,
                          speed=round(chain[SPEED]) if chain[MOVING] else 0, incident=chain[INCIDENT])
        out.append((Stream.units, t, 1 if first else 2, chain[UNIT], to_fields(event)))
    for n, (t, id_, status, agency, category, priority, lat, lon, region, description, units) in enumerate(
            got["incidents"]):
        event = IncidentEvent(id=id_, status=status, agency=agency, category=category, priority=priority,
                              lat=lat, lon=lon, ts=t, region=region, description=description,
                              units=tuple(units.split(",")) if units else ())
        out.append((Stream.incidents, t, 0, n, to_fields(event)))
    for n, (t, id_, ts, answered, lat, lon, region, outcome, incident) in enumerate(got["calls"]):
        event = CallEvent(id=id_, ts=ts, answered_ts=answered, lat=lat, lon=lon, region=region,
                          outcome=outcome, incident=incident)
        out.append((Stream.calls, t, 0, n, to_fields(event)))
    for n, (t, port, direction, category, travellers, vehicles, wait_min, _r) in enumerate(got["ports"]):
        event = PortEvent(port=port, direction=direction, travellers=travellers, category=category,
                          vehicles=vehicles, wait_min=wait_min, ts=t)
        out.append((Stream.ports, t, 0, n, to_fields(event)))
    out.sort(key=lambda e: (e[0].value, e[1], e[2], e[3]))
    return [(t, stream, fields) for stream, t, _g, _w, fields in out]


# --- writing ------------------------------------------------------------------------------------------------


@dataclass
class _Job:
    settings: Settings
    seed: int
    chunk: Chunk
    now_ms: int
    force: bool
    units: int | None = None


_WORKER: dict[str, Any] = {}


def _world(settings: Settings) -> tuple[World, Reference]:
    """The simulator's world and the reference, read once per process."""
    key = settings.model_dump_json()
    if _WORKER.get("key") != key:
        reference = Reference.from_settings(settings)
        _WORKER.update(key=key, world=FastWorld(reference), reference=reference)
    return _WORKER["world"], _WORKER["reference"]


def _write(root: Path, stream: Stream, hour: int, data: pa.Table, name: str, metadata: dict[str, str],
           force: bool) -> int:
    """Write an hour's file (atomically); with ``force``, remove whatever else the folder held."""
    folder = layout.partition(root, stream, hour)
    path = layout.write_atomic(folder / name, data, metadata)
    if force:
        stale = [p for p in layout.files(folder) if p.name != name]
        for p in stale:
            p.unlink(missing_ok=True)
        if stale:
            layout.sync_dir(folder)
    return path.stat().st_size


def run_chunk(job: _Job) -> dict[str, Any]:
    """Simulate one chunk and write its hours; what was written (rows and bytes by stream)."""
    settings = job.settings
    world, reference = _world(settings)
    root = Path(settings.archive_dir)
    sim = _Recorder(world, seed=job.seed, chunk=job.chunk, rate=settings.sim_rate,
                    time_scale=settings.sim_time_scale, units=job.units)
    columns = _Columns(sim.fleet.units, reference.region_index, job.now_ms)
    full_ms = int(settings.archive_full_days * DAY_MS)
    thin_s = settings.archive_thin_s
    meta = {"basira.backfill": f"demo, seed {job.seed}"}
    rows = dict.fromkeys((s.value for s in Stream), 0)
    size = dict.fromkeys((s.value for s in Stream), 0)
    checked = False
    for hour in range(job.chunk.start_ms // HOUR_MS, job.chunk.end_ms // HOUR_MS):
        lo, hi = hour * HOUR_MS, (hour + 1) * HOUR_MS
        thinned = hi <= job.now_ms - full_ms  # as Maintenance.run decides
        got = sim.hour(lo, hi, thin_s * 1000 if thinned else None)
        tables = {
            Stream.incidents: columns.incidents(got["incidents"]), Stream.calls: columns.calls(got["calls"]),
            Stream.ports: columns.ports(got["ports"]),
            Stream.units: columns.units(got, thin_s if thinned else None, check=thinned and not checked),
        }
        checked = checked or thinned
        for stream, data in tables.items():
            if not data.num_rows:
                continue
            if stream is Stream.units and thinned:
                name, extra = compact.thinned_name(thin_s), {"basira.thinned_s": str(thin_s)}
            else:
                name, extra = compact.COMPACTED, {"basira.rows": str(data.num_rows)}
            size[stream.value] += _write(root, stream, hour, data, name, {**extra, **meta}, job.force)
            rows[stream.value] += data.num_rows
    return {"chunk": job.chunk, "rows": rows, "bytes": size, "open_at_end": sim.stats()["open"]}


# --- the command --------------------------------------------------------------------------------------------


class BackfillRefused(RuntimeError):
    """The span already holds archived hours (and ``force`` was not given)."""


def occupied(root: Path, first_hour: int, end_hour: int) -> list[Path]:
    """Partitions of any stream in ``[first_hour, end_hour)`` that already hold files."""
    return [folder for stream in Stream for hour, folder in layout.hours(root, stream)
            if first_hour <= hour < end_hour and layout.files(folder)]


def _minutes(seconds: float) -> tuple[str, str]:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s", f"{m} د {s:02d} ث"


def backfill_demo(
    settings: Settings,
    days: int = 0,
    seed: int = 7,
    *,
    hours: int = 0,
    force: bool = False,
    now_ms: int | None = None,
    processes: int | None = None,
    units: int | None = None,
    progress: Callable[[str], None] | None = print,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Write ``days`` days (and ``hours`` hours) of the demo simulator's history (``sim_rate``,
    ``sim_time_scale``) into ``archive_dir``, ending at the start of ``now_ms``'s hour. Returns rows and
    bytes by stream, and the seconds it took.

    Raises :class:`BackfillRefused` when an hour of the span already holds files, unless ``force``
    (which replaces them). ``processes``: days simulated at once (default: one per CPU, at most 8);
    ``units``: the fleet (default: the simulator's for the rate). ``stop``: once set, the days not yet
    written are not written (the demo stopped: a month took minutes more), and no keyframes are made;
    ``"stopped"`` is then true in the result.
    """
    say = progress or (lambda _line: None)
    started = time.perf_counter()
    now_ms = int(time.time() * 1000) if now_ms is None else int(now_ms)
    span = days * 24 + hours
    if span <= 0:
        raise ValueError("nothing to backfill: give a positive number of days or hours")
    end_ms = now_ms // HOUR_MS * HOUR_MS
    root = Path(settings.archive_dir)
    chunks = plan(end_ms, span)
    taken = occupied(root, chunks[0].start_ms // HOUR_MS, end_ms // HOUR_MS)
    if taken and not force:
        raise BackfillRefused(
            f"{len(taken)} hours of the span already hold archived files in {root} (first: {taken[0]}); "
            f"--force replaces them | {len(taken)} ساعة من المدة مؤرشفة بالفعل في {root}؛ ‎--force يستبدلها")
    workers = max(1, min(processes or min(os.cpu_count() or 1, 8), len(chunks)))
    first = datetime.fromtimestamp(chunks[0].start_ms / 1000, UTC)
    last = datetime.fromtimestamp(end_ms / 1000, UTC)
    say(f"Backfilling {span / 24:g} days of demo history, {first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M} UTC "
        f"(seed {seed}, {settings.sim_rate:g} incident opens/s, time ×{settings.sim_time_scale:g}), into "
        f"{root}: {len(chunks)} days on {workers} processes, positions older than "
        f"{settings.archive_full_days:g} days one per {settings.archive_thin_s} s | ملء الأرشيف بتاريخ "
        f"تجريبي لمدة {span / 24:g} يومًا في {root}: {len(chunks)} أيام على {workers} عمليات، البذرة {seed}")
    # The most work first (a full-detail day is several thinned ones), so the processes end together.
    full_from = now_ms - int(settings.archive_full_days * DAY_MS)
    order = sorted(chunks, key=lambda c: (c.end_ms <= full_from, c.start_ms - c.end_ms, c.start_ms))
    jobs = [_Job(settings, seed, chunk, now_ms, force, units) for chunk in order]
    totals: dict[str, dict[str, int]] = {part: dict.fromkeys((s.value for s in Stream), 0)
                                         for part in ("rows", "bytes")}
    done = open_left = 0
    stop = stop or threading.Event()
    for result in _run(jobs, workers, stop):
        done += 1
        for part in ("rows", "bytes"):
            for stream, n in result[part].items():
                totals[part][stream] += n
        open_left += result["open_at_end"]
        elapsed = time.perf_counter() - started
        spent, spent_ar = _minutes(elapsed)
        left, left_ar = _minutes(elapsed / done * (len(jobs) - done))
        day = datetime.fromtimestamp(result["chunk"].start_ms / 1000, UTC)
        n, mb = sum(result["rows"].values()), sum(result["bytes"].values()) / 1e6
        say(f"  {day:%Y-%m-%d}: {n:,} rows, {mb:.0f} MB · {done}/{len(jobs)} days, {spent} so far, about "
            f"{left} to go | {day:%Y-%m-%d}: {n:,} صفًا، {mb:.0f} ميغابايت · {done}/{len(jobs)} أيام، "
            f"مضى {spent_ar}، بقي نحو {left_ar}")
    if stop.is_set():
        say(f"Backfill stopped: {done} of {len(jobs)} days written | توقف ملء الأرشيف: كُتب {done} من "
            f"{len(jobs)} أيام")
        return {**totals, "seconds": time.perf_counter() - started, "days": done, "open_at_end": open_left,
                "keyframes": 0, "stopped": True}
    if open_left:  # drain_ms should make this impossible
        log.warning("backfill: %d incidents were still open at the end of their day", open_left)
    # Keyframes, so that a seek into the month folds an hour, not the month (derived data: a forced
    # backfill's old ones would be stale, so all are made again).
    if force:
        shutil.rmtree(root / "keyframes", ignore_errors=True)
    say(f"Keyframes for {span} hours (the state at each hour's start, for fast seeks) | "
        f"لقطات الحالة لكل ساعة ({span}) لسرعة الانتقال في الزمن")
    made = keyframes.catch_up(root, end_ms, progress=lambda n, total: say(
        f"  keyframes {n}/{total} | لقطات {n}/{total}") if n % 120 == 0 else None)
    seconds = time.perf_counter() - started
    spent, spent_ar = _minutes(seconds)
    n, mb = sum(totals["rows"].values()), sum(totals["bytes"].values()) / 1e6
    streams = ", ".join(f"{s} {r:,} ({totals['bytes'][s] / 1e6:,.0f} MB)" for s, r in totals["rows"].items())
    say(f"Backfill done in {spent}: {n:,} rows, {mb:,.0f} MB ({streams}) | اكتمل ملء الأرشيف في {spent_ar}: "
        f"{n:,} صفًا، {mb:,.0f} ميغابايت")
    return {**totals, "seconds": seconds, "days": len(chunks), "open_at_end": open_left, "keyframes": made,
            "stopped": False}


def _run(jobs: list[_Job], workers: int, stop: threading.Event) -> Iterator[dict[str, Any]]:
    """Run the jobs, ``workers`` at a time (in this process when one), yielding results as they end,
    until ``stop`` is set: then the jobs not yet started are dropped and the running ones ended. (A pool
    left to itself runs every job it was given before the interpreter may exit: Ctrl-C on the demo went
    on writing the month's history for a quarter of an hour.)"""
    if workers == 1:
        for job in jobs:
            if stop.is_set():
                return
            yield run_chunk(job)
        return
    # Spawned, not forked: a fork can inherit a lock some thread of this process held (pyarrow's and
    # DuckDB's pools), and hang on it.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    pending = {pool.submit(run_chunk, job) for job in jobs}
    try:
        while pending and not stop.is_set():
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
    finally:
        if pending:  # stopped, or failed: a day cut short keeps the files it had written (each written
            # to a temporary name, then renamed: never half a file)
            running = list((getattr(pool, "_processes", None) or {}).values())  # no public way before 3.14
            pool.shutdown(wait=False, cancel_futures=True)
            for process in running:
                process.terminate()
        pool.shutdown(wait=True)
