"""Running a scenario against Redis in real time: ``python -m app simulate``.

The loop reads top to bottom: build the scenario (optionally starting ``backfill_s`` in the past, so
the picture is full from the first second), then every tick advance it to the wall clock and write
what it produced with one pipelined MULTI/EXEC of plain ``XADD``s per slice — all of a slice or none
of it, so a retry after a lost connection never writes a port count twice. Redis outages are
handled in one place, with capped back-off; the scenario waits meanwhile and catches up in slices
afterwards, so memory stays bounded however long the outage.

The simulator is a producer: it keeps a ``redis`` client of its own (the connection it is handed) and
uses it only for pipelined ``XADD``s to the input streams, as any producer does, never through
``app.store``. That makes ``app.simulation`` the one exception to "only ``app/store/`` imports redis"
(``REDIS_EXCEPTIONS`` in tests/test_boundaries.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import redis

from ..contract import SIM_STAMP, Stream
from .scenario import DEFAULT_RATE, Entry, Scenario
from .world import World

#: The most simulated time advanced (and held in memory) before writing.
SLICE_MS = 10_000
#: Entries per MULTI/EXEC.
WRITE_CHUNK = 2_000
MAX_BACKOFF_S = 10.0
RIYADH = timezone(timedelta(hours=3))
_SEASON_AR = {"none": "بلا موسم", "hajj": "موسم الحج", "umrah": "موسم العمرة"}


def write_entries(client: redis.Redis, prefix: str, entries: list[Entry], stamp: str | None = None,
                  received: dict[Stream, tuple[int, int]] | None = None) -> None:
    """``XADD <prefix>:<stream> * field value …`` for each entry, atomically per chunk; with ``stamp``
    (a demo store's, from ``store.meta.mark_demo()``), each entry carries it in field ``SIM_STAMP``.

    ``received``: for history the simulator writes at start (its backfill), the stream entry id says
    the entry arrived when it happened — ``<ts>-<n>``, never before the stream's last id, which the dict
    keeps (and advances) per stream — rather than now, so the archive (partitioned by time of receipt)
    and its replay see the backfilled minutes where they belong. Entries written live take Redis's
    clock (``*``).
    """
    extra = {SIM_STAMP: stamp} if stamp is not None else {}
    for i in range(0, len(entries), WRITE_CHUNK):
        with client.pipeline(transaction=True) as pipe:
            for stream, fields in entries[i : i + WRITE_CHUNK]:
                entry_id = "*"
                if received is not None:
                    # a call is written when it ends, dated when it began: never behind the stream
                    last_ms, last_seq = received.get(stream, (0, -1))
                    ms = max(int(fields["ts"]), last_ms)
                    seq = last_seq + 1 if ms == last_ms else 0
                    received[stream] = (ms, seq)
                    entry_id = f"{ms}-{seq}"
                pipe.xadd(stream.key(prefix), {**fields, **extra} if extra else fields, id=entry_id)  # type: ignore[arg-type]
            pipe.execute()


def run(
    client: redis.Redis,
    prefix: str,
    *,
    rate: float = DEFAULT_RATE,
    seed: int = 7,
    time_scale: float = 1.0,
    season: str = "none",
    units: int | None = None,
    duration: float | None = None,
    backfill_s: float = 0.0,
    world: World,
    progress: Callable[[str], None] | None = print,
    progress_every_s: float = 10.0,
    tick_s: float = 0.5,
    stop: threading.Event | None = None,
    stamp: str | None = None,
    date_backfill: bool = False,
) -> dict[str, int]:
    """Simulate in real time, writing to ``<prefix>:incidents|units|ports|calls``, until stopped.

    Stops after ``duration`` wall seconds (``None``: never), when ``stop`` is set, or on
    ``KeyboardInterrupt`` (which propagates, after the closing progress line). ``world`` holds the
    reference files (:meth:`World.from_settings`). ``stamp``: the demo store's stamp, written into
    every entry (without it, the ingest worker takes the entries for real ones and ends the demo).
    ``date_backfill``: the streams are new and empty (the demo's own Redis), so the backfill's entries
    may be given stream ids of the time they happened (:func:`write_entries`).
    Returns the scenario's final :meth:`Scenario.stats`.
    """
    say = progress or (lambda _line: None)
    stop = stop or threading.Event()
    started = time.time()
    started_ms = int(started * 1000)
    start_ms = started_ms - int(backfill_s * 1000)
    # Backfilled entries are dated on receipt as they happened only into streams known to be empty (an
    # explicit id may not fall behind a stream's last one, and a producer may not read the streams).
    backfilled: dict[Stream, tuple[int, int]] | None = {} if date_backfill else None
    sim = Scenario(
        world, seed=seed, start_ms=start_ms, rate=rate, units=units, season=season, time_scale=time_scale
    )
    deadline_ms = int((started + duration) * 1000) if duration is not None else None
    say(
        f"Simulator started: seed {seed}, {rate:g} incident opens/s, time ×{time_scale:g}, season "
        f"{season}, {len(sim.fleet.units)} units, backfill {backfill_s:g} s → {prefix}:"
        "{incidents,units,ports,calls} | "
        f"بدأ المحاكي: البذرة {seed}، {rate:g} بلاغ/ث، تسريع ×{time_scale:g}، {_SEASON_AR[season]}، "
        f"{len(sim.fleet.units)} وحدة"
    )
    next_report = started + progress_every_s
    try:
        while not stop.is_set():
            target = int(time.time() * 1000)
            if deadline_ms is not None:
                target = min(target, deadline_ms)
            while sim.now_ms < target and not stop.is_set():
                entries = sim.advance(min(target, sim.now_ms + SLICE_MS))
                # the backfill's entries are dated on receipt as they happened (see write_entries)
                received = backfilled if backfilled is not None and sim.now_ms <= started_ms else None
                if entries and not _write_until_done(client, prefix, entries, stop, say, stamp, received):
                    break
            if deadline_ms is not None and sim.now_ms >= deadline_ms:
                break
            if time.time() >= next_report:
                say(progress_line(sim))
                next_report += progress_every_s
            stop.wait(tick_s)
    finally:
        say(progress_line(sim))
    return sim.stats()


def _write_until_done(
    client: redis.Redis, prefix: str, entries: list[Entry], stop: threading.Event, say: Callable[[str], None],
    stamp: str | None = None, received: dict[Stream, tuple[int, int]] | None = None,
) -> bool:
    """Write, retrying with capped back-off while Redis is unreachable; False if stopped first."""
    delay = 0.5
    while True:
        try:
            ids = dict(received) if received is not None else None  # advanced only once written
            write_entries(client, prefix, entries, stamp, ids)
            if received is not None and ids is not None:
                received.update(ids)
            return True
        except (redis.ConnectionError, redis.TimeoutError) as error:
            say(
                f"Redis unreachable ({error}); retrying in {delay:.1f} s | "
                f"تعذّر الوصول إلى Redis؛ إعادة المحاولة بعد {delay:.1f} ث"
            )
            if stop.wait(delay):
                return False
            delay = min(MAX_BACKOFF_S, delay * 2)


def progress_line(sim: Scenario) -> str:
    """One line on what the scenario is doing, for the terminal."""
    s = sim.stats()
    when = datetime.fromtimestamp(sim.now_ms / 1000, UTC).astimezone(RIYADH).strftime("%Y-%m-%d %H:%M:%S")
    written = ", ".join(f"{stream.value} {s[f'entries_{stream.value}']:,}" for stream in Stream)
    return (
        f"{when} +03 · open {s['open']} (waiting {s['waiting']}) · units busy {s['busy']}/{s['units']}, "
        f"out of service {s['out_of_service']} · written: {written} | "
        f"بلاغات مفتوحة {s['open']} · وحدات مشغولة {s['busy']}/{s['units']} · "
        f"خارج الخدمة {s['out_of_service']}"
    )
