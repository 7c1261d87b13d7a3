"""The soak: ``python -m benchmarks.soak`` (``make soak``) — hours of the benchmark's load, squeezed
into 30 minutes at 500 entries/s with 20 connected clients. Does memory stay flat, and does
nothing fail?

Not part of CI: a script, run by hand before a release. It reuses the suite's pieces — its own
Redis and children (:mod:`.harness`), the loader (:mod:`.load`, the simulator's mix), the page's
refresh as Chrome sends it (:mod:`.browser`), the concurrent clients (:mod:`.clients`) and the
Redis measures (:mod:`.memory`) — and adds only the sampling and the verdict:

- the picture: ``--incidents`` open incidents and ``--units`` units (default 2,000 and 5,000: the
  simulator's national picture at the daily mean, 1 incident/s with real-time lives, holds
  ~1,700 open incidents and a fleet of 5,000);
- the loader at ``--rate`` entries/s, one ``python -m app ingest``, the web app under gunicorn
  with the suite's set-up, and ``--clients`` clients refreshing once a second for the whole run;
- every ``--every`` seconds a sample: each web worker's RSS, the ingest worker's RSS, Redis
  ``used_memory`` and what its retained streams and closed-incident history take, stream lengths
  and pending entries, the ingest lag, and the clients' answers, errors and latency since the last
  sample.

**Memory flat** means: over the second half of the run (the first half is warm-up: caches fill,
allocators settle), the least-squares slope of each process's RSS is below
:data:`PROCESS_MB_PER_10_MIN`, and Redis' growth beyond what the streams and the closed-incident
history hold (both trimmed by age, and so bounded) is below
:data:`REDIS_RESIDUAL_MB_PER_10_MIN`. **No errors** means: no client error, no rejected entry, no
child process died or was replaced. The thresholds are fixed here, before any run.

Every run is recorded by its length: ``benchmarks/soak/<minutes>min.json`` (numbers only),
``docs/soak-<minutes>min.png``, and its subsection and row of the "Soak" section of
``docs/benchmarks.md`` (written by :func:`benchmarks.report.write_soak`, which ``make bench`` also
calls) — the latest run of each length, so that ``make soak`` (30 minutes) and
``make soak ARGS="--minutes 120"`` stand side by side. Another rate or number of clients is said in
its subsection.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import psutil
import redis

from app.contract import INPUT_STREAMS, Stream
from app.settings import Settings
from app.store import Store

from . import browser, clients, memory, report
from .browser import FEED_PATH
from .harness import (
    GUNICORN_THREADS,
    GUNICORN_WORKERS,
    ROOT,
    Child,
    Children,
    WebServer,
    app_env,
    applied,
    machine,
    percentile,
    say,
    start_ingest,
    start_redis,
    start_web,
    timed,
    wait_until,
    wait_web,
)
from .load import Operations, xadd_all

PREFIX = "soak"
DEFAULTS = {"minutes": 30.0, "rate": 500.0, "clients": 20, "incidents": 2_000, "units": 5_000, "every": 10.0}
#: A process whose RSS grows faster than this over the second half is not flat (MB per 10 minutes).
PROCESS_MB_PER_10_MIN = 5.0
#: Redis growth beyond the retained streams and closed-incident history (MB per 10 minutes).
REDIS_RESIDUAL_MB_PER_10_MIN = 5.0


@dataclass
class Samples:
    """The series, one value per sample (numbers only: they go to the JSON as they are)."""

    series: dict[str, list[float]] = field(default_factory=dict)

    def add(self, **values: float) -> None:
        for name, value in values.items():
            self.series.setdefault(name, []).append(round(float(value), 3))

    def __getitem__(self, name: str) -> list[float]:
        return self.series.get(name, [])


def slope_mb_per_10_min(t: list[float], values: list[float]) -> float:
    """Least-squares slope of ``values`` over the second half of ``t`` (MB per 10 minutes)."""
    half = t[-1] / 2 if t else 0.0
    points = [(a, b) for a, b in zip(t, values, strict=True) if a >= half and not math.isnan(b)]
    if len(points) < 2:
        return math.nan
    x, y = np.array(points).T
    return float(np.polyfit(x, y, 1)[0]) * 600


def history_mb(client: redis.Redis, prefix: str) -> float:
    """What the closed-incident history takes: the history keys and the set of closing times."""
    size = client.memory_usage(f"{prefix}:inc:closed", samples=0) or 0
    for key in client.scan_iter(match=f"{prefix}:inc:hist*", count=1_000):
        size += client.memory_usage(key, samples=0) or 0
    return size / 2**20


def rss_mb(pid: int) -> float:
    try:
        return psutil.Process(pid).memory_info().rss / 2**20
    except psutil.NoSuchProcess:
        return math.nan


class Soak:
    """One soak run: the processes, the sampler and the figures."""

    def __init__(self, args: argparse.Namespace, children: Children, url: str, client: redis.Redis) -> None:
        self.args, self.children, self.url, self.client = args, children, url, client
        self.store = Store.from_settings(Settings(redis_url=url, stream_prefix=PREFIX), client=client)
        self.group = Settings().ingest_group
        self.samples = Samples()
        self.result = clients.ClientsResult(args.clients, args.minutes * 60, [], 0, 0)
        self.workers: list[int] = []  # web worker pids, in a fixed order (a replaced one keeps its slot)
        self.restarts = 0
        self.deaths: list[str] = []
        self.alone: dict[str, float] = {}  # one refresh with no other client, at the start and the end (ms)

    # -- set-up -----------------------------------------------------------------------------------

    def start(self) -> tuple[WebServer, Child, Child]:
        args = self.args
        ingest = start_ingest(self.children, self.url, PREFIX)
        web = start_web(self.children, "web", "app:server", app_env(self.url, PREFIX))
        with timed(f"seeding {args.incidents:,} incidents and {args.units:,} units"):
            ops = Operations(args.incidents, args.units, seed=21)
            entries = ops.initial(int(time.time() * 1000))
            xadd_all(self.client, PREFIX, entries)
            wait_until(lambda: applied(self.client, PREFIX) >= len(entries), 300, every=0.1,
                       what="the seeded picture to be applied")
        with timed(f"starting gunicorn ({GUNICORN_WORKERS} workers × {GUNICORN_THREADS} threads)"):
            wait_web(web)
        self.workers = sorted(web.worker_pids())
        loader = self.children.start("loader", [
            sys.executable, "-m", "benchmarks.load", "--url", self.url, "--prefix", PREFIX, "--seed", "21",
            "--incidents", str(args.incidents), "--units", str(args.units), "--rate", str(args.rate),
        ])  # fmt: skip
        return web, ingest, loader

    def refresh_body(self, web: WebServer) -> str:
        """The page's refresh callback, as Chrome sends it (the body the clients replay)."""
        if not browser.available():
            raise SystemExit("the soak needs headless Chromium to capture the page's refresh "
                             "(apt install chromium chromium-driver)")
        with timed("capturing the page's refresh in Chromium"), browser.chromium() as driver:
            browser.open_page(driver, web.url + "/", browser.leaflet_ready, timeout=180)
            body = wait_until(lambda: browser.read_traffic(driver).replay_body(), 30, every=1.0,
                              what="the page's interval-driven refresh")
        return str(body)

    # -- sampling ---------------------------------------------------------------------------------

    def worker_rss(self, web: WebServer) -> list[float]:
        """Each worker's RSS in its slot; a worker that was replaced counts as a restart."""
        now = web.worker_pids()
        gone = [pid for pid in self.workers if pid not in now]
        fresh = [pid for pid in now if pid not in self.workers]
        for old, new in zip(gone, fresh, strict=False):
            self.workers[self.workers.index(old)] = new
            self.restarts += 1
        return [rss_mb(pid) for pid in self.workers]

    def sample(self, t: float, web: WebServer, ingest: Child, seen: dict[str, float]) -> str:
        """Take one sample at ``t`` s into the run; its progress line."""
        pending = sum(int(g.get("pending", 0)) for stream in INPUT_STREAMS for g in self._groups(stream))
        streams = memory.streams(self.client, PREFIX)
        stats = self.client.hgetall(f"{PREFIX}:stats")
        rejected = sum(int(v) for k, v in stats.items() if k.startswith("rejected:"))
        done = applied(self.client, PREFIX)
        latencies = self.result.latencies_ms[int(seen["answered"]):]
        errors = self.result.errors - int(seen["errors"])
        dt = max(t - seen["t"], 1e-9)
        workers = self.worker_rss(web)
        values = {
            "t_s": t, "ingest_rss_mb": rss_mb(ingest.pid), "redis_used_mb": memory.used_mb(self.client),
            "redis_streams_mb": streams.bytes / 2**20, "redis_history_mb": history_mb(self.client, PREFIX),
            "stream_entries": streams.entries, "pending": pending,
            "lag_s": self.store.streams.lag_ms(self.group) / 1000, "rejected": rejected,
            "written_per_s": (streams.entries - seen["entries"]) / dt,
            "applied_per_s": (done - seen["done"]) / dt,
            "answered": len(latencies), "errors": errors,
            "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "load_1m": os.getloadavg()[0],
        }  # fmt: skip
        values.update({f"web_{n + 1}_rss_mb": mb for n, mb in enumerate(workers)})
        self.samples.add(**values)
        seen.update(t=t, answered=seen["answered"] + len(latencies), errors=self.result.errors,
                    entries=streams.entries, done=done)
        web_text = " + ".join(f"{mb:,.0f}" for mb in workers)
        return (f"web {web_text} MB · ingest {values['ingest_rss_mb']:,.0f} MB · Redis "
                f"{values['redis_used_mb']:,.0f} MB (streams {values['redis_streams_mb']:,.0f}, history "
                f"{values['redis_history_mb']:,.1f}) · {values['written_per_s']:,.0f} written/s, "
                f"{values['applied_per_s']:,.0f} applied/s, lag {values['lag_s']:,.1f} s, pending "
                f"{pending:,} · {len(latencies):,} refreshes, {errors} errors, p50 "
                f"{values['p50_ms']:,.0f} ms, p95 {values['p95_ms']:,.0f} ms")

    def _groups(self, stream: Stream) -> list[dict[str, Any]]:
        with contextlib.suppress(redis.ResponseError):
            return [g for g in self.client.xinfo_groups(stream.key(PREFIX)) if g["name"] == self.group]
        return []

    def run(self) -> None:
        args = self.args
        web, ingest, loader = self.start()
        say(f"the app: {web.url}/ (gunicorn pid {web.child.pid}, workers {self.workers}); ingest pid "
            f"{ingest.pid}; loader pid {loader.pid} at {args.rate:g} entries/s; Redis at {self.url} "
            f"(prefix {PREFIX}:); logs in {self.children.logs}")
        body = self.refresh_body(web)
        self.alone["start"] = percentile([clients.refresh_ms(web.url, body) for _ in range(3)], 50)
        say(f"one refresh, alone: {self.alone['start']:,.0f} ms (median of 3)")
        total = args.minutes * 60
        thread = threading.Thread(
            target=clients.replay, args=(web.url, body, args.clients, total),
            kwargs={"result": self.result, "feed_path": FEED_PATH}, daemon=True,
        )  # fmt: skip
        say(f"{args.clients} clients updating (refresh and live feed) once a second, {args.minutes:g} min; "
            f"a sample every {args.every:g} s")
        streams = memory.streams(self.client, PREFIX)
        seen = {"t": 0.0, "answered": 0.0, "errors": 0.0, "entries": streams.entries,
                "done": applied(self.client, PREFIX)}  # fmt: skip
        started = time.monotonic()
        thread.start()
        n = 0
        while True:
            n += 1
            time.sleep(max(0.0, started + min(n * args.every, total) - time.monotonic()))
            t = time.monotonic() - started
            line = self.sample(t, web, ingest, seen)
            say(f"{t:5.0f}/{total:.0f} s · {line}")
            for child in (web.child, ingest, loader):
                if not child.alive():
                    self.deaths.append(child.name)
                    say(f"{child.name} exited:\n{child.tail()}")
            if self.deaths or t >= total - 0.5:
                break
        thread.join(timeout=clients.TIMEOUT_S + 5)
        if web.child.alive():  # once the clients have gone: has a refresh become dearer over the run?
            time.sleep(clients.TIMEOUT_S)  # their last queued requests drain first
            self.alone["end"] = percentile([clients.refresh_ms(web.url, body) for _ in range(3)], 50)
            say(f"one refresh, alone, at the end: {self.alone['end']:,.0f} ms (median of 3)")

    # -- the verdict ------------------------------------------------------------------------------

    def figures(self) -> dict[str, Any]:
        s, args = self.samples, self.args
        t = s["t_s"]
        out: dict[str, Any] = {
            "minutes": args.minutes, "rate": args.rate, "clients": args.clients, "incidents": args.incidents,
            "units": args.units, "every_s": args.every, "seconds": t[-1] if t else 0.0,
            "process_threshold_mb_per_10_min": PROCESS_MB_PER_10_MIN,
            "redis_threshold_mb_per_10_min": REDIS_RESIDUAL_MB_PER_10_MIN,
        }  # fmt: skip
        slopes = {}
        for name in sorted(s.series):
            if name.endswith("_mb"):
                key = name.removesuffix("_mb")
                slopes[key] = slope_mb_per_10_min(t, s[name])
                out[f"{key}_start_mb"], out[f"{key}_end_mb"] = s[name][0], s[name][-1]
                out[f"{key}_slope_mb_per_10_min"] = slopes[key]
        residual = slopes["redis_used"] - slopes["redis_streams"] - slopes["redis_history"]
        out["redis_residual_slope_mb_per_10_min"] = residual
        processes = [k for k in slopes if k.endswith("_rss")]
        flat = all(slopes[k] < PROCESS_MB_PER_10_MIN for k in processes)
        flat = flat and residual < REDIS_RESIDUAL_MB_PER_10_MIN
        answered = sum(s["answered"])
        lat = self.result.latencies_ms
        out.update({
            "flat": int(flat), "refreshes": answered, "client_errors": self.result.errors,
            "rejected": s["rejected"][-1] if s["rejected"] else 0, "restarts": self.restarts,
            "deaths": len(self.deaths), "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95),
            "worst_interval_p95_ms": max((v for v in s["p95_ms"] if not math.isnan(v)), default=math.nan),
            "lag_max_s": max(s["lag_s"], default=math.nan), "pending_max": max(s["pending"], default=0),
            "written_per_s": _mean(s["written_per_s"]), "applied_per_s": _mean(s["applied_per_s"]),
            "answered_per_s": answered / t[-1] if t else math.nan,
            "refresh_alone_start_ms": self.alone.get("start", math.nan),
            "refresh_alone_end_ms": self.alone.get("end", math.nan),
        })  # fmt: skip
        out["errors"] = out["client_errors"] + out["rejected"] + out["restarts"] + out["deaths"]
        out["passed"] = int(flat and out["errors"] == 0)
        return out


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def plot(samples: Samples, figures: dict[str, Any], path: Path) -> Path | None:
    """Memory, latency and ingest over the run, four panels; ``None`` when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    t = [v / 60 for v in samples["t_s"]]
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    workers = sorted(k for k in samples.series if k.startswith("web_"))
    for key in [*workers, "ingest_rss_mb"]:
        axes[0].plot(t, samples[key], label=key.removesuffix("_rss_mb").replace("_", " "))
    axes[0].set_title(f"process RSS (MB); flat: < {PROCESS_MB_PER_10_MIN:g} MB / 10 min", fontsize=9)
    for key in ("redis_used_mb", "redis_streams_mb", "redis_history_mb"):
        axes[1].plot(t, samples[key], label=key.removeprefix("redis_").removesuffix("_mb"))
    axes[1].set_title("Redis (MB): used, retained streams, closed history", fontsize=9)
    axes[2].plot(t, samples["p50_ms"], label="p50")
    axes[2].plot(t, samples["p95_ms"], label="p95")
    errors = [i for i, e in enumerate(samples["errors"]) if e]
    if errors:
        axes[2].scatter([t[i] for i in errors], [samples["p95_ms"][i] for i in errors], color="#e03131",
                        label="errors", zorder=3)
    axes[2].set_title(f"{figures['clients']} clients: refresh latency per sample (ms)", fontsize=9)
    axes[3].plot(t, samples["lag_s"], label="lag (s)")
    axes[3].plot(t, [p / 1000 for p in samples["pending"]], label="pending (thousands)")
    axes[3].set_title("ingest", fontsize=9)
    for ax in axes:
        ax.set_xlabel("minutes", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=7)
        ax.set_ylim(bottom=0)
    verdict = "memory flat" if figures["flat"] else "memory NOT flat"
    fig.suptitle(f"Soak: {figures['minutes']:g} min at {figures['rate']:g} entries/s, {figures['clients']} "
                 f"clients — {verdict}, {figures['errors']:.0f} errors", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_json(figures: dict[str, Any], samples: Samples, path: Path) -> Path:
    """Numbers only: the figures (NaN — not measured — left out) and every sample."""
    out: dict[str, Any] = {k: round(float(v), 3) for k, v in figures.items() if not math.isnan(float(v))}
    out["samples"] = samples.series
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
                                  | orjson.OPT_SERIALIZE_NUMPY) + b"\n")  # fmt: skip
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=DEFAULTS["minutes"])
    parser.add_argument("--rate", type=float, default=DEFAULTS["rate"], help="entries per second")
    parser.add_argument("--clients", type=int, default=DEFAULTS["clients"])
    parser.add_argument("--incidents", type=int, default=DEFAULTS["incidents"], help="open incidents seeded")
    parser.add_argument("--units", type=int, default=DEFAULTS["units"], help="units seeded")
    parser.add_argument("--every", type=float, default=DEFAULTS["every"], help="seconds between samples")
    args = parser.parse_args(argv)
    started = time.time()
    with Children() as children, start_redis() as server:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        host = machine(client)
        say(f"Basira soak: {args.minutes:g} min at {args.rate:g} entries/s, {args.clients} clients; "
            f"{host['cores']} cores ({host['cpu']}), load average {host['load'][0]:.2f}; Redis "
            f"{host['redis']} at {server.url}")
        soak = Soak(args, children, server.url, client)
        try:
            soak.run()
        except KeyboardInterrupt:
            say("interrupted: the figures so far")
    if not soak.samples["t_s"]:
        raise SystemExit("no sample taken")
    figures = soak.figures()
    figures.update(started=started, load_start=host["load"][0], load_end=os.getloadavg()[0])
    path = write_json(figures, soak.samples, report.soak_record(args.minutes))
    picture = plot(soak.samples, figures, report.soak_plot(args.minutes))
    say(f"wrote {path.relative_to(ROOT)}" + (f" and {picture.relative_to(ROOT)}" if picture else ""))
    say(f"wrote {report.write_soak().relative_to(ROOT)} (its Soak section: the {args.minutes:g}-minute run)")
    for line in report.soak_lines(orjson.loads(path.read_bytes())):
        print(line, flush=True)
    sys.exit(0 if figures["passed"] else 1)


if __name__ == "__main__":
    main()
