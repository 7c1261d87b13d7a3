"""Where a process's memory goes under the soak's load: ``python -m benchmarks.heap``.

Not part of CI: the tool that found what the soak's web workers grew by (issue 16). It runs the
soak's set-up (:class:`benchmarks.soak.Soak`: its own Redis, the seeded picture, the loader, one
ingest worker, gunicorn with 2 workers, the clients replaying the page's refresh and feed) with
every traced process — each web worker and the ingest worker — running :func:`start_tracing`:
``tracemalloc`` from the fork (the web workers, through :mod:`benchmarks.heap_conf`'s ``post_fork``)
or from the start (the ingest worker, through ``python -m benchmarks.heap ingest``), and a thread
that every ``--every`` seconds dumps a snapshot and one line of figures — RSS, what tracemalloc
traces, glibc's ``mallinfo2`` (in use and free in its arenas: fragmentation shows as free growing
while in use does not), and the live objects per type (what ``objgraph.show_growth`` would count).

At the end it diffs, for each process, the snapshot at half time with the last (the soak's second
half), grouped by the allocating line and by its caller chain, and prints the lines that grew most
— the evidence of docs/benchmarks.md's Soak section. Snapshots stay in ``artifacts/heap/``.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import gc
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import orjson
import psutil

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "artifacts" / "heap"
#: Frames kept per allocation by default. Tracing costs time per allocation and per frame: with 12
#: frames a refresh took 2 s instead of 8 ms and the clients timed out, so the default is the line.
FRAMES = 1
#: The environment variable that tells a traced process where to write (this module's, not the app's).
DIR_VARIABLE = "BASIRA_HEAP_DIR"
EVERY_VARIABLE = "BASIRA_HEAP_EVERY"
FRAMES_VARIABLE = "BASIRA_HEAP_FRAMES"


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
        "keepcost")]  # fmt: skip


def mallinfo() -> dict[str, float]:
    """glibc's view of its heap (MB): ``arena`` obtained by sbrk/arenas, ``in_use`` (uordblks),
    ``free`` (fordblks, held but unused: fragmentation), ``mmap`` (hblkhd)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return {}
    mb = 2**20
    return {"arena": info.arena / mb, "in_use": info.uordblks / mb, "free": info.fordblks / mb,
            "mmap": info.hblkhd / mb}  # fmt: skip


def _types() -> dict[str, int]:
    counts = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
    return dict(counts.most_common(60))


def start_tracing(role: str, trace: bool = True) -> None:
    """Dump this process's figures every so often and, with ``trace``, trace its allocations from now
    on and dump a snapshot with them (see the module)."""
    where = Path(os.environ[DIR_VARIABLE])
    every = float(os.environ.get(EVERY_VARIABLE, "120"))
    if trace:
        tracemalloc.start(int(os.environ.get(FRAMES_VARIABLE, FRAMES)))
    name = f"{role}-{os.getpid()}" + ("" if trace else "-untraced")

    def dump() -> None:
        n = 0
        me = psutil.Process()
        while True:
            time.sleep(every)
            n += 1
            if trace:
                tracemalloc.take_snapshot().dump(str(where / f"{name}-{n:03d}.snap"))
            line = {"n": n, "t": time.time(), "rss": me.memory_info().rss / 2**20,
                    "blocks": sys.getallocatedblocks(),
                    "traced": tracemalloc.get_traced_memory()[0] / 2**20, "malloc": mallinfo(),
                    "types": _types()}  # fmt: skip
            with (where / f"{name}.jsonl").open("ab") as out:
                out.write(orjson.dumps(line) + b"\n")

    threading.Thread(target=dump, name="heap-dump", daemon=True).start()


# --- the run ---------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    import redis

    from . import soak as soak_module
    from .harness import Children, app_env, start_redis, start_web

    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    traced = {DIR_VARIABLE: str(OUT), EVERY_VARIABLE: str(args.every_dump), FRAMES_VARIABLE: str(args.frames)}

    def ingest(children: Children, url: str, prefix: str, name: str = "ingest") -> Any:
        return children.start(name, [sys.executable, "-m", "benchmarks.heap", "ingest"],
                              {**app_env(url, prefix), **traced})

    def web(children: Children, name: str, target: str, env: dict[str, str]) -> Any:
        return start_web(children, name, target, {**env, **traced}, config="benchmarks.heap_conf")

    soak_module.start_ingest = ingest  # the soak's set-up, with these two processes traced
    soak_module.start_web = web
    namespace = argparse.Namespace(minutes=args.minutes, rate=args.rate, clients=args.clients,
                                   incidents=2_000, units=5_000, every=30.0)  # fmt: skip
    with Children() as children, start_redis() as server:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        soak = soak_module.Soak(namespace, children, server.url, client)
        soak.run()
    report(OUT, args.top)


def report(where: Path, top: int) -> None:
    """For each traced process: its figures over the run, and the diff of its half-time and last
    snapshots, by line and by caller chain."""
    for figures in sorted(where.glob("*.jsonl")):
        name = figures.stem
        lines = [orjson.loads(b) for b in figures.read_bytes().splitlines()]
        print(f"\n=== {name}: {len(lines)} dumps")
        for line in lines:
            m = line["malloc"]
            print(f"  #{line['n']:3d} RSS {line['rss']:7.1f} MB · traced {line['traced']:7.1f} MB · "
                  f"{line.get('blocks', 0):,} Python blocks · glibc "
                  f"in use {m.get('in_use', 0):7.1f}, free {m.get('free', 0):6.1f}, "
                  f"mmap {m.get('mmap', 0):6.1f}")
        if len(lines) >= 2:
            first, last = lines[len(lines) // 2 - 1 if len(lines) > 2 else 0]["types"], lines[-1]["types"]
            grown = sorted(((last.get(k, 0) - first.get(k, 0), k) for k in last), reverse=True)[:15]
            print("  objects per type, half time → end: " + ", ".join(f"{k} {d:+,}" for d, k in grown if d))
        snaps = sorted(where.glob(f"{name}-*.snap"))
        if len(snaps) < 2:
            continue
        a = tracemalloc.Snapshot.load(str(snaps[len(snaps) // 2 - 1 if len(snaps) > 2 else 0]))
        b = tracemalloc.Snapshot.load(str(snaps[-1]))
        drop = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen *>"),
                tracemalloc.Filter(False, __file__)]  # fmt: skip
        a, b = a.filter_traces(drop), b.filter_traces(drop)
        print(f"  tracemalloc {snaps[len(snaps) // 2 - 1 if len(snaps) > 2 else 0].name} → {snaps[-1].name}:")
        for stat in b.compare_to(a, "lineno")[:top]:
            print(f"    {stat.size_diff / 2**20:+8.3f} MB {stat.count_diff:+8,} blocks  {stat.traceback[0]}")
        print("  by caller chain:")
        for stat in b.compare_to(a, "traceback")[: max(5, top // 3)]:
            if stat.size_diff < 2**18:
                break
            print(f"    {stat.size_diff / 2**20:+8.3f} MB {stat.count_diff:+8,} blocks")
            for frame in stat.traceback:
                print(f"        {frame}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.heap", description=__doc__.split("\n")[0])
    parser.add_argument("what", nargs="?", default="run", choices=["run", "ingest", "report"])
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--every-dump", type=float, default=120.0, help="seconds between snapshots")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--frames", type=int, default=FRAMES, help="frames kept per allocation")
    args = parser.parse_args(argv)
    if args.what == "ingest":  # the ingest worker, traced
        start_tracing("ingest")
        from app.__main__ import main as app_main

        sys.argv = ["python -m app", "ingest"]
        app_main()
    elif args.what == "report":
        report(OUT, args.top)
    else:
        run(args)


if __name__ == "__main__":
    main()
