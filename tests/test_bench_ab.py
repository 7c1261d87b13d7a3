"""``python -m benchmarks.ab OTHER``: two checkouts side by side on one store, in alternated windows.

A smoke run at its quick scale — this checkout against itself — proves the parts fit: both sides'
gunicorns serve their own checkout's app, both pages draw, both are measured, both refreshes are
replayed, and the figures land in the record. How fast is not asserted (issue 17: no timings in the
suite); that each window was measured, and without errors, is.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from benchmarks.ab import OTHER, THIS, _order, summary
from tests.browser import require_chromedriver

ROOT = Path(__file__).resolve().parent.parent


def test_two_checkouts_are_measured_side_by_side_and_recorded(tmp_path) -> None:
    require_chromedriver()
    out = tmp_path / "ab.json"
    run = subprocess.run([sys.executable, "-m", "benchmarks.ab", str(ROOT), "--quick", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    record = orjson.loads(out.read_bytes())
    assert record["sides"] == {THIS: str(ROOT), OTHER: str(ROOT)}
    for side in (THIS, OTHER):
        figures = record[side]
        assert len(figures["cpu"]) == 1 and figures["cpu"][0] > 0, figures
        assert len(figures["clients_p95"]) == 1 and figures["clients_p95"][0] > 0, figures
        assert figures["clients_errors"] == 0, figures
        assert figures["cpu_median"] == figures["cpu"][0]
    assert record["machine"]["core_speed_s"] > 0 and record["machine"]["core_speed_end_s"] > 0
    assert "other/this" in run.stdout


def test_the_sides_take_turns_and_a_folder_that_is_not_a_checkout_is_refused(tmp_path) -> None:
    assert [_order(r) for r in range(3)] == [[THIS, OTHER], [OTHER, THIS], [THIS, OTHER]]
    assert summary([0.3, 0.1, 0.2]) == {"median": 0.2, "low": 0.1, "high": 0.3}
    run = subprocess.run([sys.executable, "-m", "benchmarks.ab", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "is not a checkout of Basira" in run.stderr
