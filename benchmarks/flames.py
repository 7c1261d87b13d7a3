"""py-spy flame graphs of the ingest worker and of a web worker under the suite's load (issue 17).

``python -m benchmarks --flames`` (with ``--only ingest`` and ``--only live`` as wanted) records,
with ``py-spy record --format flamegraph --rate 250`` — idle samples left out (py-spy's default), so
that a thread waiting for Redis or for its next request does not fill the graph:

- ``docs/img/flame-ingest.svg``: one ``python -m app ingest`` draining the ingest phase's backlog
  (the simulator's mix), in a drain of its own after the measured rounds, from 5 % to 95 % done (its
  start-up left out);
- ``docs/img/flame-web.svg``: one of Basira's gunicorn workers while the live phase's ``clients``
  clients replay the page's updates (its refresh callback and the live feed), the loader writing.

py-spy stops the process it reads 250 times a second, so a ``--flames`` run's figures are not the
record (the clients' latencies above all): like ``--quick`` or ``--only``, it writes them to
``artifacts/bench-quick.json`` only. With ``--quick`` the graphs go to ``artifacts/flames/`` instead
(a smoke check). Each recording's facts — when, the load average, the samples — and its largest self
times go to ``benchmarks/flames.json`` beside them (:func:`record_facts`); ``docs/benchmarks.md``,
written by ``make bench``, links the graphs under its table with those frames
(:func:`benchmarks.report.flames_lines`).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .harness import ROOT, _die_with_parent, say, wait_until

#: Where a full-scale recording's graphs go, and its facts.
IMG = ROOT / "docs" / "img"
RECORD = ROOT / "benchmarks" / "flames.json"
#: … and a quick one's.
QUICK_DIR = ROOT / "artifacts" / "flames"
RATE = 250
#: The largest self times kept per graph.
TOP = 10
#: What each graph shows, for the doc.
WHAT = {
    "ingest": "the ingest worker (`python -m app ingest`) draining the ingest phase's backlog of the "
              "simulator's entries",
    "web": "one of Basira's two gunicorn web workers while the live phase's clients replay the page's "
           "updates (its refresh callback and the live feed), the loader writing",
}  # fmt: skip


def py_spy() -> str | None:
    """The venv's ``py-spy`` (the bench extras carry it), else one on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def self_times(svg: Path) -> tuple[int, dict[str, int]]:
    """The samples of a py-spy (inferno) flame graph and each function's self samples (its frames'
    samples less their callees'), keyed "function (file)" — the line left out, so a function's self
    time is not split over the lines it was on."""
    text = svg.read_text(errors="replace")
    frames = [
        (int(y), int(x), int(w), html.unescape(title))
        for title, y, x, w in re.findall(
            r'<title>(.*?)</title><rect [^>]*?y="([\d.]+)"[^>]*?fg:x="(\d+)" fg:w="(\d+)"', text)
    ]  # fmt: skip
    # py-spy draws an icicle (the root on top); a graph the other way up has its root at the bottom
    roots = [y for y, _, _, title in frames if title.startswith("all (")]
    depths = sorted({y for y, *_ in frames}, reverse=bool(roots) and roots[0] == max(y for y, *_ in frames))
    by_depth: dict[int, list[tuple[int, int, str]]] = {d: [] for d in range(len(depths))}
    for y, x, w, title in frames:
        by_depth[depths.index(y)].append((x, w, title))
    for level in by_depth.values():
        level.sort()
    total = sum(w for _, w, _ in by_depth.get(0, []))
    out: dict[str, int] = {}
    for depth, level in by_depth.items():
        children = by_depth.get(depth + 1, [])
        starts = [x for x, _, _ in children]
        for x, w, title in level:
            below = children[bisect_right(starts, x - 1) : bisect_right(starts, x + w - 1)]
            inner = sum(cw for _, cw, _ in below)
            name = _function(title)
            if name != "all" and w > inner:
                out[name] = out.get(name, 0) + w - inner
    return total, out


def _function(title: str) -> str:
    """``"apply (app/ingest.py:120) (12 samples, 3.1%)"`` → ``"apply (app/ingest.py)"``."""
    title = re.sub(r" \([\d,]+ samples?, [\d.]+%\)$", "", title)
    return re.sub(r"^(.*) \((.*):\d+\)$", r"\1 (\2)", title)


def top_self(svg: Path, top: int = TOP) -> tuple[int, list[tuple[float, str]]]:
    """The samples and the ``top`` largest self times as (% of the samples, function)."""
    total, times = self_times(svg)
    ranked = sorted(((100 * n / total, name) for name, n in times.items()), reverse=True) if total else []
    return total, ranked[:top]


@dataclass
class Flames:
    """The run's recordings: where their graphs go and what each showed."""

    quick: bool
    found: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def where(self) -> Path:
        return QUICK_DIR if self.quick else IMG

    @property
    def record(self) -> Path:
        return QUICK_DIR / "flames.json" if self.quick else RECORD

    def path(self, name: str) -> Path:
        return self.where / f"flame-{name}.svg"

    @contextmanager
    def recording(self, name: str, pid: int, **facts: Any) -> Iterator[None]:
        """``py-spy record`` on ``pid`` for as long as the block runs; then the graph's facts and its
        largest self times, kept in :attr:`record` (a recording of the other graph stays as it was)."""
        out = self.path(name)
        out.parent.mkdir(parents=True, exist_ok=True)
        binary = py_spy()
        if binary is None:
            say(f"py-spy not found: no {out.name} (pip install py-spy)")
            yield
            return
        log = out.with_suffix(".log")
        argv = [binary, "record", "--format", "flamegraph", "--rate", str(RATE), "--pid", str(pid),
                "-o", str(out)]  # fmt: skip
        with log.open("wb") as sink:
            spy = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                                   preexec_fn=_die_with_parent)  # fmt: skip
        started = time.time()
        try:
            wait_until(lambda: b"Sampling" in log.read_bytes() or spy.poll() is not None, 30, every=0.05,
                       what="py-spy to start sampling")  # fmt: skip
            started, load = time.time(), os.getloadavg()[0]
            yield
        finally:
            seconds = time.time() - started
            _stop(spy)
        said = log.read_text(errors="replace")
        log.unlink(missing_ok=True)
        if not out.exists():
            say(f"py-spy wrote no {out.name}: {said.strip()[-500:]}")
            return
        samples, top = top_self(out)
        errors = re.search(r"Errors: (\d+)", said)
        self.found[name] = {
            "what": WHAT.get(name, name), "svg": str(out.relative_to(ROOT)), "recorded": started,
            "seconds": seconds, "load": load, "rate": RATE, "samples": samples,
            "errors": int(errors[1]) if errors else None, "top": [[round(p, 1), f] for p, f in top], **facts,
        }  # fmt: skip
        self.keep()
        shown = "; ".join(f"{f} {p:.1f} %" for p, f in top[:5])
        say(f"{out.relative_to(ROOT)}: {samples:,} samples over {seconds:,.1f} s; "
            f"the largest self times: {shown}")

    def keep(self) -> None:
        """Write :attr:`found` over the record's entries of the same names."""
        old = orjson.loads(self.record.read_bytes()) if self.record.exists() else {}
        self.record.write_bytes(orjson.dumps({**old, **self.found}, option=orjson.OPT_INDENT_2) + b"\n")


def _stop(spy: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as py-spy asks: it writes the graph of what it sampled and exits; this process only."""
    if spy.poll() is None:
        spy.send_signal(signal.SIGINT)
        try:
            spy.wait(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()


def drain_recorded(flames: Flames, pid: int, done: Callable[[], int], total: int, timeout: float,
                   **facts: Any) -> None:  # fmt: skip
    """Record ``pid`` while ``done()`` goes from 5 % to 95 % of ``total`` (its start-up and its last
    partial batch left out)."""
    wait_until(lambda: done() >= 0.05 * total, timeout, every=0.02, what="the drain to start")
    with flames.recording("ingest", pid, entries=total, **facts):
        wait_until(lambda: done() >= 0.95 * total, timeout, every=0.02, what="the drain to end")


def record_facts(path: Path = RECORD) -> dict[str, dict[str, Any]]:
    """The kept recordings' facts (none before ``--flames`` has run)."""
    return orjson.loads(path.read_bytes()) if path.exists() else {}
