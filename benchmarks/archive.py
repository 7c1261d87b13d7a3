"""``python -m benchmarks.archive``: the archive's figures (issue 13), run by ``make bench``.

1. **Backfill**: ``python -m app archive --backfill-demo 30d`` into a fresh folder — wall time and
   bytes on disk, per stream, per entry and per unit position (with the default thinning).
2. **Archiver**: one :class:`~app.archive.archiver.Archiver` drains the simulator's entries from a
   private Redis (validation, regions, Parquet parts, acknowledgements) — entries per second.
3. **Seek**: the picture of the national scope at random moments of the 30-day archive, as
   ``GET /api/v1/snapshot?at=`` computes it (keyframe + fold + KPIs, JSON encoded) — ms each.
4. **Play ×60**: consecutive frames 15 s of archive apart (×60 at 4 frames/s) — frames per second a
   player that waits for each frame before asking the next gets.

Writes ``benchmarks/archive.json`` and the "Archive" section of ``docs/benchmarks.md``.
``--quick`` runs it all at a small scale (2 days, fewer entries) into ``artifacts/`` only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from app.archive import layout
from app.archive.archiver import Archiver
from app.archive.replay import Replay
from app.contract import INPUT_STREAMS, Scope
from app.reference import Reference
from app.settings import Settings
from app.simulation.runner import write_entries
from app.simulation.scenario import Scenario
from app.simulation.world import World
from app.store import Store

from .harness import ROOT, replace_section, say, start_redis

DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "benchmarks" / "archive.json"
HEADING = "## Archive"
HOUR_MS = layout.HOUR_MS


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def rows_per_stream(root: Path) -> dict[str, int]:
    import duckdb

    out = {}
    for stream in INPUT_STREAMS:
        files = [str(p) for _h, f in layout.hours(root, stream) for p in layout.files(f)]
        out[stream.value] = duckdb.sql("SELECT count(*) FROM read_parquet($f)", params={"f": files}
                                       ).fetchall()[0][0] if files else 0
    return out


def backfill(root: Path, days: int) -> dict[str, Any]:
    """Run the demo backfill as a user would, timed; then what it wrote."""
    env = {"BASIRA_ARCHIVE_DIR": str(root), "PATH": "/usr/bin:/bin"}
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "app", "archive", "--backfill-demo", f"{days}d"], cwd=ROOT,
                   env=env, check=True, stdout=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    per_stream = {s.value: disk_bytes(root / f"stream={s.value}") for s in INPUT_STREAMS}
    rows = rows_per_stream(root)
    return {
        "backfill_days": days, "backfill_s": seconds, "disk_bytes": disk_bytes(root),
        "keyframe_bytes": disk_bytes(root / "keyframes") if (root / "keyframes").exists() else 0,
        "stream_bytes": per_stream, "stream_rows": rows,
        "bytes_per_entry": {s: per_stream[s] / rows[s] if rows[s] else None for s in per_stream},
    }


def archiver_rate(entries: int) -> dict[str, Any]:
    """Entries per second one archiver drains from the streams (the simulator's mix)."""
    server = start_redis()
    tmp = Path(tempfile.mkdtemp(prefix="basira-archive-bench-"))
    try:
        settings = Settings(redis_url=server.url, stream_prefix="bench", archive_dir=tmp / "a",
                            ingest_batch=2000)
        world = World.from_reference(Reference.from_settings(settings))
        now = int(time.time() * 1000)
        sim = Scenario(world, seed=7, start_ms=now - 3 * HOUR_MS, rate=1.0, time_scale=10)
        produced: list = []
        while len(produced) < entries:
            produced += sim.advance(sim.now_ms + 60_000)
        produced = produced[:entries]
        import redis

        client = redis.Redis.from_url(server.url, decode_responses=True)
        write_entries(client, "bench", produced)
        archiver = Archiver(Store.from_settings(settings), settings)
        started = time.monotonic()
        archiver.work(burst=True)
        seconds = time.monotonic() - started
        return {"archiver_entries": archiver.archived, "archiver_s": seconds,
                "archiver_rate": archiver.archived / seconds}
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def seeks(root: Path, n: int, seed: int = 5) -> dict[str, Any]:
    """Snapshots of the national scope at random moments of the archive, encoded as the API does."""
    settings = Settings(archive_dir=root)
    reference = Reference.from_settings(settings)
    replay = Replay(root, reference.ports, reference.coverage(None))
    first, last = replay.span()
    pick = random.Random(seed)
    times, sizes = [], []
    for _ in range(n):
        at = pick.randrange(first + HOUR_MS, last)
        started = time.perf_counter()
        body = orjson.dumps(replay.snapshot(at, Scope()))
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(body))
    # ×60 at 4 frames/s: a frame every 15 s of archive, each asked once the one before has arrived
    at = pick.randrange(first + HOUR_MS, last - HOUR_MS)
    frames, started = 0, time.perf_counter()
    while frames < max(8, n):
        orjson.dumps(replay.snapshot(at + frames * 15_000, Scope()))
        frames += 1
    play_s = time.perf_counter() - started
    ordered = sorted(times)
    return {
        "seeks": n, "seek_p50_ms": ordered[len(ordered) // 2], "seek_max_ms": ordered[-1],
        "seek_bytes": sum(sizes) / len(sizes), "play_frames": frames, "play_fps": frames / play_s,
        "span_days": (last - first) / layout.DAY_MS,
    }


def section(figures: dict[str, Any]) -> list[str]:
    """The "Archive" section of the doc."""
    f = figures
    mb = 1e6
    per = f["bytes_per_entry"]

    def met(ok: bool) -> str:
        return "yes" if ok else "**no**"

    rows = [
        ("30-day demo backfill, wall time", f"{f['backfill_s']:,.0f} s ({f['backfill_days']} days)",
         "≤ 600 s", met(f["backfill_s"] <= 600 and f["backfill_days"] >= 30)),
        ("Archive on disk, with the default thinning", f"{f['disk_bytes'] / mb:,.0f} MB "
         f"({f['backfill_days']} days; keyframes {f['keyframe_bytes'] / mb:,.0f} MB)",
         "≤ 2,000 MB for 30 days",
         met(f["disk_bytes"] <= 2e9 and f["backfill_days"] >= 30)),
        ("Bytes per unit position", f"{per['units']:.1f} B", "≤ 16 B", met(per["units"] <= 16)),
        ("Archiver, one process", f"{f['archiver_rate']:,.0f} entries/s", "≥ 10,000 entries/s",
         met(f["archiver_rate"] >= 10_000)),
        ("Seek to any moment (national snapshot)", f"p50 {f['seek_p50_ms']:,.0f} ms, max "
         f"{f['seek_max_ms']:,.0f} ms", "≤ 1,000 ms", met(f["seek_max_ms"] <= 1000)),
        ("Play ×60, national scope", f"{f['play_fps']:.1f} frames/s", "≥ 4 frames/s",
         met(f["play_fps"] >= 4)),
    ]
    lines = [HEADING, "",
             f"Written by `make bench` (`python -m benchmarks.archive`), {f['date']} "
             f"({f['total_s']:,.0f} s), "
             f"on {f['machine']['cores']} cores, load average {f['machine']['load'][0]:.2f} at the start.",
             "", "| metric | measured | target | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    lines += ["", "Bytes per entry on disk, per stream: " + ", ".join(
        f"{s} {per[s]:.1f} B ({f['stream_rows'][s]:,} rows, {f['stream_bytes'][s] / mb:,.0f} MB)"
        for s in per if per[s] is not None) + ".", "",
        "- **Backfill**: `python -m app archive --backfill-demo 30d` as a user runs it, into an empty "
        "folder; the figures on disk are the stream folders plus the keyframes.",
        f"- **Archiver**: {f['archiver_entries']:,} of the simulator's entries (the demo's mix) written to a "
        "private Redis first, then drained by one `Archiver` (validation, regions, one Parquet part per "
        "stream and hour each flush, acknowledgements).",
        f"- **Seek**: {f['seeks']} moments drawn at random in the {f['span_days']:.0f}-day archive; each is "
        "`Replay.snapshot(at, national scope)` encoded to JSON, as `GET /api/v1/snapshot?at=` answers it "
        f"(~{f['seek_bytes'] / 1000:,.0f} kB). The browser's drawing of it is the live map's (see above).",
        f"- **Play ×60**: {f['play_frames']} consecutive frames 15 s of archive apart, each computed once "
        "the one before was done — the rate a player that asks for the next frame when it has the last gets."]
    return lines


def write_section(lines: list[str], path: Path = DOC) -> Path:
    """Replace (or add) the doc's Archive section, before the Soak section if there is one."""
    return replace_section(path, HEADING, lines, before="## Soak")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.archive", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small scale, figures to artifacts/ only")
    args = parser.parse_args(argv)
    days, entries, n = (2, 20_000, 5) if args.quick else (30, 300_000, 20)
    started, load = time.monotonic(), list(os.getloadavg())
    root = Path(tempfile.mkdtemp(prefix="basira-archive-")) / "archive"
    try:
        say(f"archive: backfilling {days} days into {root}")
        figures = backfill(root, days)
        say(f"archive: backfill {figures['backfill_s']:.0f} s, {figures['disk_bytes'] / 1e6:,.0f} MB")
        say(f"archive: the archiver on {entries:,} entries")
        figures |= archiver_rate(entries)
        say(f"archive: {figures['archiver_rate']:,.0f} entries/s; seeking")
        figures |= seeks(root, n)
        say(f"archive: seek p50 {figures['seek_p50_ms']:.0f} ms, max {figures['seek_max_ms']:.0f} ms, "
            f"play {figures['play_fps']:.1f} frames/s")
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)
    figures["machine"] = {"cores": os.cpu_count() or 0, "load": load}
    figures["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    figures["total_s"] = time.monotonic() - started
    if args.quick:
        out = ROOT / "artifacts" / "bench-archive-quick.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(figures, indent=2, default=str))
        say(f"wrote {out.relative_to(ROOT)} (quick: the record is left alone)")
        return
    RESULTS.write_text(json.dumps(figures, indent=2, default=str))
    say(f"wrote {RESULTS.relative_to(ROOT)} and {write_section(section(figures)).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
