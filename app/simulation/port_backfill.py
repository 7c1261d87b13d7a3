"""Weeks or months of synthetic port history, written straight into the long-term archive.

``python -m app simulate --backfill-ports 520d`` (and ``demo``, which does it by default) draws the
hourly counts of every port with :func:`.ports.hourly_history` — the live simulator's rhythm, with
Hajj, Umrah and Eid on their Umm al-Qura dates — and archives them day by day
(:meth:`app.store.Store.write_port_days`), so the forecasts have a year of history to learn the
seasons from the first minute. It never goes through the streams: a year of minute entries would be
millions of them. The current hour and the rest of today are left empty for the live data.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .ports import hourly_history
from .rhythm import HOUR_MS

if TYPE_CHECKING:
    from ..store import Store

_SPAN = re.compile(r"^\s*(\d+)\s*([dw]?)\s*$")


def parse_span(text: str) -> int:
    """Days in a span written ``400d``, ``8w`` or ``30`` (days). Raises ``ValueError``."""
    match = _SPAN.match(text or "")
    if not match:
        raise ValueError(f"expected a number of days or weeks such as 400d or 8w, got {text!r}")
    return int(match[1]) * (7 if match[2] == "w" else 1)


def backfill_ports(
    store: Store,
    days: int,
    *,
    seed: int = 7,
    now_ms: int | None = None,
    progress: Callable[[str], None] | None = print,
) -> int:
    """Archive ``days`` days of hourly history for every port, ending with the last complete hour.

    Returns the number of port-days written. Idempotent for a given seed and clock hour (each day
    is replaced whole).
    """
    if days <= 0:
        return 0
    say = progress or (lambda _line: None)
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    end_hour = now_ms // HOUR_MS  # the current hour stays empty: it is live
    first_day = end_hour // 24 - days
    first_hour = first_day * 24
    hours = end_hour - first_hour
    started = time.perf_counter()
    say(f"Backfilling {days} days of hourly port history for {len(store.ports)} ports…")
    rng = np.random.default_rng(seed)
    written = 0
    total = len(store.ports)
    for n, (port_id, counts) in enumerate(hourly_history(store.ports, first_hour, hours, rng), start=1):
        whole = np.zeros(((days + 1) * 24, *counts.shape[1:]), dtype=np.int64)
        whole[:hours] = counts
        by_day = whole.reshape(days + 1, 24, *counts.shape[1:]).transpose(0, 2, 3, 1)
        store.port_history.write_port_days(port_id, first_day, by_day)
        written += days + 1
        if n == total or n % 10 == 0:
            say(f"  port history: {n}/{total} ports ({port_id})")
    say(f"Port history: {written} port-days in {time.perf_counter() - started:.1f} s.")
    return written
