"""An archive to replay, made the real way, for the replay tests (``tests/test_archive_replay.py``, and the
command view's ``tests/test_replay_ui.py`` and ``tests/test_replay_browser.py``).

The simulator's entries for a stretch of the past are written to the real streams with explicit entry ids
(their time of receipt: the event time or a little later, in order within each stream), applied by the
real ingest worker slice by slice — the live picture recorded after each slice — archived by the real
archiver, and kept up as the archiver does (compaction, keyframes). :func:`record_scene` makes it once a
session (``conftest.recorded_scene``: it takes seconds); :func:`thinned_copy` gives the command view's
tests a copy whose first hour's unit positions are thinned, as the archive does to older days (a replay
then says so there, and only there).
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from app.archive import layout
from app.archive.archiver import Archiver
from app.archive.compact import Maintenance
from app.contract import Scope, Stream
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


@dataclass(frozen=True)
class Recorded:
    """The simulated stretch ``start_ms``–``end_ms`` through the streams into ``settings``' store and
    archive, and the live picture seen after each slice: ``(moment, scope, picture)``."""

    settings: Settings
    start_ms: int
    end_ms: int
    seen: list[tuple[int, Scope, dict]]


def live_picture(store: Store, scope: Scope, at_ms: int) -> dict:
    """What the live store shows ``scope`` at ``at_ms``: incidents and units (by id), ports and KPIs."""
    incidents = store.live.incidents(scope)
    units = store.live.units(scope)
    return {
        "incidents": sorted(incidents, key=lambda f: f["id"]),
        "units": sorted(units, key=lambda f: f["id"]),
        "ports": [p for p in store.live.port_summary(at_ms) if p["region"] in scope.regions],
        "kpis": store.live.kpis(scope, at_ms, incidents=incidents, units=units),
    }


def record_scene(settings: Settings, client, minutes: tuple[int, ...], scopes: list[Scope], *,  # noqa: ANN001
                 rate: float = 0.05, units: int = 12, seed: int = 11) -> Recorded:
    """The simulator from mid-hour three hours ago, written and applied in slices ending ``minutes`` after
    its start, the live picture of each of ``scopes`` recorded after each slice; then archived into
    ``settings.archive_dir`` and kept up as the archiver does (compacted, keyframes written)."""
    store = Store.from_settings(settings)
    world = World.from_settings(settings)
    start = (store.meta.clock_ms() // HOUR_MS - 3) * HOUR_MS + 17 * 60_000
    scenario = Scenario(world, seed=seed, start_ms=start, rate=rate, units=units, time_scale=10)
    worker = IngestWorker(store, settings)
    jitter = random.Random(3)
    last: dict[Stream, tuple[int, int]] = {}
    seen: list[tuple[int, Scope, dict]] = []
    previous = start
    for moment in (start + m * 60_000 for m in minutes):
        write_slice(client, settings.stream_prefix, scenario.advance(moment), previous, moment, last, jitter)
        worker.work(burst=True)
        seen.extend((moment, scope, live_picture(store, scope, moment)) for scope in scopes)
        previous = moment
    Archiver(store, settings).work(burst=True)
    end = previous
    Maintenance(settings.archive_dir, settings).run(end + HOUR_MS)  # compacts, writes keyframes
    return Recorded(settings, start, end, seen)


def thinned_copy(recorded: Recorded, root: Path) -> tuple[Settings, Archived]:
    """A copy of the recorded archive at ``root`` with its first hour's unit positions thinned (the same
    store), its settings and what it holds."""
    from app.archive.replay import Replay

    shutil.copytree(recorded.settings.archive_dir, root)
    settings = recorded.settings.model_copy(update={"archive_dir": root})
    Maintenance(root, settings).thin_hour(layout.partition(root, Stream.units, recorded.start_ms // HOUR_MS))
    store = Store.from_settings(settings)
    span = Replay(root, store.ports, store.coverage).span()
    assert span is not None, "nothing was archived"
    return settings, Archived(recorded.start_ms, recorded.end_ms, span)
