"""An archive to replay, made the real way, for the replay tests of the command view.

The simulator's entries for a stretch of the past are written to the real streams with explicit entry ids
(their time of receipt: the event time or a little later, in order within each stream), applied by the
real ingest worker, archived by the real archiver, and kept up as the archiver does (compaction,
keyframes; with ``thin=True`` every closed hour's unit positions are thinned, as the archive does to
older days). As in ``tests/test_archive_replay.py``'s fixture, from which it is drawn.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from app.archive import layout
from app.archive.archiver import Archiver
from app.archive.compact import Maintenance
from app.contract import Stream
from app.ingest import IngestWorker
from app.settings import Settings
from app.simulation.scenario import Scenario
from app.simulation.world import World
from app.store import Store

HOUR_MS = layout.HOUR_MS


@dataclass(frozen=True)
class Archived:
    """What was archived: the simulated stretch ``start_ms``–``end_ms``, and the archive's span."""

    start_ms: int
    end_ms: int
    span: tuple[int, int]


def write_slice(client, prefix: str, entries: list, previous: int, moment: int,  # noqa: ANN001
                last: dict[Stream, tuple[int, int]], jitter: random.Random) -> None:
    """XADD a slice of the simulator's entries with explicit ids: each received at its event time or up
    to 3 s later, in order within its stream (``last`` keeps each stream's last id), within the slice
    ``(previous, moment]`` that sends it (a call is sent when it ends, dated when it began)."""
    pipe = client.pipeline(transaction=False)
    for stream, fields in entries:
        ms = max(int(fields["ts"]) + jitter.randrange(3000), last.get(stream, (0, 0))[0], previous + 1)
        ms = min(moment, ms)
        seq = last[stream][1] + 1 if stream in last and last[stream][0] == ms else 0
        last[stream] = (ms, seq)
        pipe.xadd(stream.key(prefix), fields, id=f"{ms}-{seq}")
    pipe.execute()


def archive_scene(settings: Settings, client, *, minutes: int = 90, rate: float = 0.05, units: int = 12,
                  seed: int = 11, thin: bool = False, thin_first_hour: bool = False) -> Archived:
    """``minutes`` of the simulator, ending about an hour ago, through the streams, the ingest worker and
    the archiver into ``settings.archive_dir``. ``thin``: every hour's unit positions thinned;
    ``thin_first_hour``: only the first hour's (a replay then says so there, and only there)."""
    store = Store.from_settings(settings)
    world = World.from_settings(settings)
    start = (store.meta.clock_ms() // HOUR_MS - 3) * HOUR_MS + 17 * 60_000
    end = start + minutes * 60_000
    scenario = Scenario(world, seed=seed, start_ms=start, rate=rate, units=units, time_scale=10)
    jitter = random.Random(3)
    last: dict[Stream, tuple[int, int]] = {}
    previous = start
    worker = IngestWorker(store, settings)
    for moment in range(start + 10 * 60_000, end + 1, 10 * 60_000):
        write_slice(client, settings.stream_prefix, scenario.advance(moment), previous, moment, last, jitter)
        worker.work(burst=True)
        previous = moment
    Archiver(store, settings).work(burst=True)
    upkeep = settings.model_copy(update={"archive_full_days": 0.0}) if thin else settings
    Maintenance(settings.archive_dir, upkeep).run(end + HOUR_MS)  # compacts (or thins), writes keyframes
    if thin_first_hour:
        Maintenance(settings.archive_dir, settings).thin_hour(
            layout.partition(settings.archive_dir, Stream.units, start // HOUR_MS))
    from app.archive.replay import Replay

    span = Replay(settings.archive_dir, store.ports, store.coverage).span()
    assert span is not None, "nothing was archived"
    return Archived(start, end, span)
