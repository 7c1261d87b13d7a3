"""``make suite-profile`` (benchmarks/suite_cpu.py): each test charged the machine's CPU while it ran,
Chromium's apart.

A pytest of its own runs two small tests with the plugin — one that starts a process and spends CPU in
it, one that does nothing — and the rows it writes are read back; the report sums rows by module and
draws them. How much CPU anything took is not asserted beyond what cannot be otherwise (issue 17: no
timings in the suite): the machine was busy at least as long as the process the test waited for.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson

from benchmarks import suite_cpu

ROOT = Path(__file__).resolve().parent.parent

SAMPLE = textwrap.dedent('''
    import subprocess, sys

    def test_spends_cpu_in_a_child():
        # a child process that counts for 0.3 s of its own CPU time: the machine is busy that long at least
        subprocess.run([sys.executable, "-c",
                        "import time\\nwhile time.process_time() < 0.3: pass"], check=True)

    def test_does_nothing():
        pass
''')


def _pytest(tmp_path: Path, *args: str, worker: str | None = None) -> subprocess.CompletedProcess[str]:
    """A pytest of its own on the two sample tests, with the plugin — not as one of this run's
    pytest-xdist workers, whose marks (``PYTEST_XDIST_*``) it would otherwise inherit — or as the
    worker ``worker`` when given. No other plugin is loaded: the installed ones (schemathesis, hypothesis,
    xdist…) took ~2 of its ~2.2 CPU-s here."""
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_XDIST")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    if worker:
        env["PYTEST_XDIST_WORKER"] = worker
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "benchmarks.suite_cpu", str(tmp_path / "test_sample.py"), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_each_test_gets_a_row_with_the_machines_cpu_while_it_ran(tmp_path) -> None:
    out = tmp_path / "rows.jsonl"
    run = _pytest(tmp_path, "-p", "no:xdist", "--suite-cpu", str(out))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    rows = {row["id"].split("::")[1]: row for row in suite_cpu.read(out)}
    assert set(rows) == {"test_spends_cpu_in_a_child", "test_does_nothing"}
    for row in rows.values():
        assert set(row) == {"id", "wall_s", "cpu_s", "chrome_s", "steal_s"}
        assert row["wall_s"] >= 0 and row["cpu_s"] >= 0 and row["steal_s"] >= 0
        assert row["chrome_s"] == 0  # no browser in these tests (none of the machine's is charged to them)
    busy = rows["test_spends_cpu_in_a_child"]
    assert busy["cpu_s"] >= 0.3 - 2 / suite_cpu.HZ, busy  # its child's 0.3 s, within the clock's ticks


def test_beside_xdist_workers_it_refuses_and_says_how_to_run_it(tmp_path) -> None:
    # as a worker of `pytest -n` (which asks the same of the controller: it refuses before any starts)
    run = _pytest(tmp_path, "-p", "no:xdist", "--suite-cpu", str(tmp_path / "rows.jsonl"), worker="gw1")
    assert run.returncode == 4, run.stdout[-2000:] + run.stderr[-2000:]
    assert "-p no:xdist" in run.stderr and not (tmp_path / "rows.jsonl").exists()


def test_without_the_option_the_plugin_writes_nothing(tmp_path) -> None:
    run = _pytest(tmp_path, "-p", "no:xdist")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "2 passed" in run.stdout and list(tmp_path.glob("*.jsonl")) == []


def test_a_browser_that_quits_is_not_charged_its_whole_life_again() -> None:
    # pid 10 (chromedriver, parent 1) and its browser 11 (and the browser's renderer 12) before; the
    # renderer ended, reaped by the browser (its 2 s now in the browser's count), then the browser too,
    # reaped by chromedriver (its 5 + 2 s and 1 s more in chromedriver's), which is still there
    before = {10: (1.0, 1), 11: (5.0, 10), 12: (2.0, 11)}
    assert suite_cpu.chrome_spent(before, {10: (1.5, 1), 11: (7.5, 10)}) == 0.5 + 0.5  # 2 s moved, 0.5 s new
    assert suite_cpu.chrome_spent(before, {10: (1.0 + 5.0 + 2.0 + 1.0, 1)}) == 1.0
    # chromedriver itself ended (reaped by pytest, not Chromium): what it spent since is lost, not negative
    assert suite_cpu.chrome_spent(before, {}) == 0
    assert suite_cpu.chrome_spent({}, {20: (3.0, 1)}) == 3.0  # a new browser: its whole time


def test_the_report_sums_by_module_most_cpu_first_and_draws_them(tmp_path) -> None:
    rows = [
        {"id": "tests/test_a.py::one", "wall_s": 2.0, "cpu_s": 3.0, "chrome_s": 2.5, "steal_s": 0.0},
        {"id": "tests/test_a.py::two[x]", "wall_s": 1.0, "cpu_s": 1.0, "chrome_s": 0.0, "steal_s": 0.0},
        {"id": "tests/test_b.py::one", "wall_s": 9.0, "cpu_s": 6.0, "chrome_s": 0.0, "steal_s": 0.1},
        {"id": "tests/test_c.py::one", "wall_s": 1.0, "cpu_s": 1.0, "chrome_s": 4.0, "steal_s": 0.0},
    ]
    modules = suite_cpu.by_module(rows)
    assert [(m.name, m.tests, m.wall_s, m.cpu_s, m.chrome_s) for m in modules] == [
        ("tests/test_b.py", 1, 9.0, 6.0, 0.0),
        ("tests/test_a.py", 2, 3.0, 4.0, 2.5),
        ("tests/test_c.py", 1, 1.0, 1.0, 1.0),  # Chromium's part never more than the module's CPU
    ]
    lines = suite_cpu.table(modules, top=2)
    assert len(lines) == 2 + 2
    assert lines[2] == "| `tests/test_b.py` | 1 | 9 | 6 | 0 | 54.5 % | 55 % |"
    assert lines[3].endswith("| 36.4 % | 91 % |")
    source = tmp_path / "rows.jsonl"
    source.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    picture, doc = tmp_path / "suite.png", tmp_path / "suite.md"
    assert suite_cpu.main([str(source), "--plot", str(picture), "--doc", str(doc)]) == 0
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = doc.read_text()
    assert "4 tests in 3 modules" in page and "busy 11 CPU-s, of which Chromium 4 (32 %)" in page
    assert "\n".join(suite_cpu.table(modules)) in page and "](suite.png)" in page
