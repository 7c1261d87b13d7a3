"""An ingest process keeps the cyclic garbage collector out of its way (``app.ingest.quiet_gc``): the
objects made at start-up frozen, the thresholds raised. Checked in a process of its own, since it changes
the interpreter's collector for good."""

from __future__ import annotations

import subprocess
import sys

from app.ingest import GC_THRESHOLDS


def test_quiet_gc_freezes_the_start_up_objects_and_raises_the_thresholds() -> None:
    code = ("import gc; from app.ingest import quiet_gc; quiet_gc(); "
            "print(*gc.get_threshold(), gc.get_freeze_count() > 1000)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=120)
    assert out.stdout.split() == [*map(str, GC_THRESHOLDS), "True"]
