"""Where the test suite's CPU goes: each test's share of the machine, and Chromium's part of it (issue 17).

The suite is CPU-bound on two cores (its three workers keep both ~95 % busy), so its wall time is its
CPU over the cores: what shortens it is less CPU, and where that CPU goes is found by measuring, not
guessed. Much of it is not the pytest process's own — Chromium's renderer, GPU and browser processes,
the servers and workers a test starts, Redis — so each test is charged the **whole machine's** busy time
while it runs (``/proc/stat``: user, nice, system, irq and softirq; steal apart), and of that, Chromium's
(every ``chrom*`` process the run started, with the children it reaped). That attribution holds only
when one test runs at a time: the plugin refuses to run beside pytest-xdist workers.

``make suite-profile`` runs the suite in one process with the plugin and then the report::

    python -m pytest -p no:xdist -p benchmarks.suite_cpu --suite-cpu artifacts/suite-cpu.jsonl
    python -m benchmarks.suite_cpu artifacts/suite-cpu.jsonl

The report prints the modules by CPU (a Markdown table), draws them, Chromium's part apart, in
``docs/suite-cpu.png`` and writes both, with the machine and the date, to ``docs/suite-cpu.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

ROOT = Path(__file__).resolve().parent.parent
PLOT = ROOT / "docs" / "suite-cpu.png"
DOC = ROOT / "docs" / "suite-cpu.md"
HZ = os.sysconf("SC_CLK_TCK")
#: The command names of Chromium's processes and its driver (``/proc/<pid>/stat``'s second field).
CHROME_NAMES = ("(chrom",)


def machine_busy_s() -> tuple[float, float]:
    """The machine's busy CPU time since boot (user, nice, system, irq, softirq) and its steal, in s."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq) / HZ, steal / HZ


def chrome_times(root: int | None = None) -> dict[int, tuple[float, int]]:
    """Each Chromium (or chromedriver) process under ``root`` (this process by default) — its CPU time in
    s, with that of the children it reaped, and its parent's pid. Under ``root`` only: another pytest's
    browsers (a worker of ``make test`` beside this one, say) are not this run's."""
    root = os.getpid() if root is None else root
    parents: dict[int, int] = {}
    times: dict[int, tuple[float, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                text = stat.read()
        except OSError:  # gone meanwhile
            continue
        name_end = text.rfind(")")
        fields = text[name_end + 2 :].split()  # state, ppid, ..., utime stime cutime cstime at 11-14
        pid, parent = int(entry.name), int(fields[1])
        parents[pid] = parent
        if text[text.find("(") : name_end].startswith(CHROME_NAMES):
            times[pid] = (sum(int(v) for v in fields[11:15]) / HZ, parent)
    return {pid: value for pid, value in times.items() if _descends(pid, root, parents)}


def _ancestors(pid: int, parents: dict[int, int]) -> Iterator[int]:
    """``pid``'s parent, its parent's, and so on, as far as ``parents`` knows them."""
    seen = {pid}
    while (pid := parents.get(pid, 0)) and pid not in seen:
        seen.add(pid)
        yield pid


def _descends(pid: int, root: int, parents: dict[int, int]) -> bool:
    return root in _ancestors(pid, parents)


def chrome_spent(before: dict[int, tuple[float, int]], after: dict[int, tuple[float, int]]) -> float:
    """Chromium's CPU between two :func:`chrome_times`: each process's growth, a new one's whole time.
    A process that ended in between and was reaped by another of Chromium's (a renderer by its zygote,
    the browser by chromedriver) took all its time into that one's count: what it had at ``before`` is
    taken off again, so that a browser quitting is not charged its whole life twice. One whose parent
    is not Chromium's (chromedriver, reaped by pytest) is left out: what it spent since ``before``
    is lost, not counted twice."""
    spent = sum(t - before.get(pid, (0.0, 0))[0] for pid, (t, _parent) in after.items())
    parents = {pid: parent for pid, (_t, parent) in before.items()}
    return spent - sum(t for pid, (t, _parent) in before.items() if pid not in after
                       and _reaped_into(pid, parents, after))


def _reaped_into(pid: int, parents: dict[int, int], after: dict[int, tuple[float, int]]) -> bool:
    """Whether ``pid``'s time went into a Chromium process still there: its parent, or its parent's
    parent when that one ended too (a renderer, then its browser), and so on (``parents``: of the
    Chromium processes there before)."""
    for ancestor in _ancestors(pid, parents):
        if ancestor in after:
            return True
        if ancestor not in parents:
            return False
    return False


@dataclass
class Recorder:
    """Writes one JSON line per test: its id, wall time, the machine's busy CPU, Chromium's, steal."""

    path: Path

    def __post_init__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._out = self.path.open("w")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
        busy, steal = machine_busy_s()
        self._chrome = chrome_times()
        self._chrome_s = 0.0
        started = time.monotonic()
        yield
        wall = time.monotonic() - started
        busy_end, steal_end = machine_busy_s()
        chrome = self._chrome_s + chrome_spent(self._chrome, chrome_times())
        row = {"id": item.nodeid, "wall_s": round(wall, 3), "cpu_s": round(busy_end - busy, 3),
               "chrome_s": round(chrome, 3), "steal_s": round(steal_end - steal, 3)}
        self._out.write(orjson.dumps(row).decode() + "\n")
        self._out.flush()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Iterator[None]:
        """Chromium's count so far, before the tear-down: the session's browsers quit in the last test's,
        and what a browser spent is lost with it (see :func:`chrome_spent`) — the test's part is kept."""
        now = chrome_times()
        self._chrome_s += chrome_spent(self._chrome, now)
        self._chrome = now
        yield

    def pytest_unconfigure(self) -> None:
        self._out.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--suite-cpu", metavar="PATH", default=None,
                     help="write each test's share of the machine's CPU to PATH (JSON lines; one process)")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--suite-cpu")
    if not path:
        return
    if getattr(config.option, "numprocesses", None) or os.environ.get("PYTEST_XDIST_WORKER"):
        raise pytest.UsageError("--suite-cpu charges each test the whole machine's CPU, so it needs one test "
                                "at a time: run it with -p no:xdist (or -n 0)")
    config.pluginmanager.register(Recorder(Path(path)), "suite-cpu-recorder")


# --- the report ---------------------------------------------------------------------------------------


@dataclass
class Module:
    """One test module's rows summed: its tests, their wall time, the machine's CPU and Chromium's."""

    name: str
    tests: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    chrome_s: float = 0.0


def by_module(rows: list[dict[str, Any]]) -> list[Module]:
    """The rows summed by test module, the most CPU first. Chromium's part is kept within the module's
    CPU (a browser quit during a module can leave its count short, never over)."""
    modules: dict[str, Module] = defaultdict(lambda: Module(""))
    for row in rows:
        name = row["id"].split("::", 1)[0]
        module = modules[name]
        module.name = name
        module.tests += 1
        module.wall_s += row["wall_s"]
        module.cpu_s += row["cpu_s"]
        module.chrome_s += row["chrome_s"]
    for module in modules.values():
        module.chrome_s = min(max(module.chrome_s, 0.0), module.cpu_s)
    return sorted(modules.values(), key=lambda m: -m.cpu_s)


def table(modules: list[Module], top: int = 25) -> list[str]:
    """The first ``top`` modules as a Markdown table, with each one's share and the running total."""
    total = sum(m.cpu_s for m in modules) or 1.0
    lines = ["| module | tests | wall s | CPU s | of it Chromium s | share | cumulative |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    running = 0.0
    for module in modules[:top]:
        running += module.cpu_s
        share, cumulative = 100 * module.cpu_s / total, 100 * running / total
        lines.append(f"| `{module.name}` | {module.tests} | {module.wall_s:,.0f} | {module.cpu_s:,.0f} | "
                     f"{module.chrome_s:,.0f} | {share:.1f} % | {cumulative:.0f} % |")
    return lines


def plot(modules: list[Module], path: Path = PLOT, top: int = 25) -> Path:
    """The first ``top`` modules' CPU as bars, Chromium's part and the rest."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = modules[:top][::-1]
    names = [m.name.removeprefix("tests/") for m in shown]
    chrome = [m.chrome_s for m in shown]
    rest = [m.cpu_s - m.chrome_s for m in shown]
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(shown) + 1.4))
    ax.barh(names, chrome, color="#4c78a8", label="Chromium (renderer, GPU, browser, driver)")
    ax.barh(names, rest, left=chrome, color="#f58518",
            label="everything else (pytest, servers, Redis, workers)")
    total = sum(m.cpu_s for m in modules)
    ax.set_xlabel(f"CPU seconds, the whole machine's while the module ran (suite: {total:,.0f} s)")
    ax.set_title("The test suite's CPU by module, one test at a time")
    ax.legend(loc="lower right", fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def totals(rows: list[dict[str, Any]], modules: list[Module]) -> str:
    """The run in one sentence: its tests, their time, the machine's CPU, Chromium's part, steal."""
    cpu, chrome = sum(m.cpu_s for m in modules), sum(m.chrome_s for m in modules)
    wall, steal = sum(r["wall_s"] for r in rows), sum(r.get("steal_s", 0.0) for r in rows)
    share = 100 * chrome / (cpu or 1)
    return (f"{len(rows):,} tests in {len(modules)} modules, one at a time: {wall:,.0f} s of tests, the "
            f"machine busy {cpu:,.0f} CPU-s, of which Chromium {chrome:,.0f} ({share:.0f} %); "
            f"{steal:,.0f} s stolen by the host.")


def write_doc(rows: list[dict[str, Any]], modules: list[Module], picture: Path, path: Path = DOC,
              top: int = 25) -> Path:
    """``docs/suite-cpu.md``: the run's totals, the machine, the table and the picture."""
    from benchmarks.harness import core_speed_s, cpu_model

    try:
        shown = picture.relative_to(path.parent)
    except ValueError:
        shown = picture
    lines = [
        "# The test suite's CPU, by module",
        "",
        "Written by `make suite-profile` (`benchmarks/suite_cpu.py`); do not edit by hand — run it again.",
        "",
        f"- **Date:** {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- **Machine:** {os.cpu_count()} cores ({cpu_model()}); the benchmarks' calibration loop "
        f"{core_speed_s():.2f} s when this was written",
        f"- **The run:** {totals(rows, modules)}",
        "",
        "Each test is charged the whole machine's busy CPU while it ran — its own process, the servers, "
        "workers and Redis it started, Chromium — so a module's figure is what running it costs, wherever "
        "the cost falls. `make test` runs the same tests in three processes on the two cores: its wall time "
        "is about this CPU over the cores, plus what running side by side costs. Chromium's part is the "
        "browsers the suite keeps (`tests/browser.py`); one that a test starts and quits itself (the A/B "
        "and the bench's smoke runs) is counted with the rest, as the process that quit it.",
        "",
        *table(modules, top),
        "",
        f"![The suite's CPU by module]({shown})",
        "",
    ]
    path.write_text("\n".join(lines))
    return path


def read(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suite_cpu",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", type=Path, help="the JSON lines written by pytest --suite-cpu")
    parser.add_argument("--plot", type=Path, default=PLOT,
                        help=f"the picture to write ({PLOT.relative_to(ROOT)})")
    parser.add_argument("--doc", type=Path, default=DOC, help=f"the page to write ({DOC.relative_to(ROOT)})")
    parser.add_argument("--top", type=int, default=25, help="modules shown (25)")
    args = parser.parse_args(argv)
    if not args.rows.is_file():
        parser.error(f"{args.rows} does not exist: run pytest with "
                     f"-p benchmarks.suite_cpu --suite-cpu {args.rows}")
    rows = read(args.rows)
    if not rows:
        parser.error(f"{args.rows} holds no test")
    modules = by_module(rows)
    print(totals(rows, modules) + "\n")
    print("\n".join(table(modules, args.top)))
    picture = plot(modules, args.plot, args.top)
    print(f"\nwrote {picture} and {write_doc(rows, modules, picture, args.doc, args.top)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
