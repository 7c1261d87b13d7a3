"""The spike rule's statistic: is a region's count of new incidents in the last window above its normal
for this hour of the week?

**The normal** (:class:`Baseline`) is learnt from the archive's incident openings (each incident's
first event time) over the last ``weeks`` weeks (4), in Riyadh time, as a product of two well-estimated
parts: the region's mean openings per hour *of the day* (averaged over every day: 28 samples an hour)
times the region's *day-of-week* factor (that weekday's total over the mean day's). Each hour of the
week alone would have only 4 samples, too few to tell a spike from noise; the product keeps the daily
rhythm and the weekly one. A region with fewer than :data:`MIN_DAYS` days of archive has no normal
yet: until then the live history stands in (:func:`from_live`, a flat rate over the last two hours,
trusted from 30 minutes; said in each spike alert's facts). The expected count in a window is that
hourly rate × the window's share of an hour, and never below :data:`FLOOR_PER_HOUR`/h (a quiet
region's normal of zero would make one incident a "spike").

**The test** is the Poisson upper tail: with openings arriving at random at the normal rate, the
chance of seeing ``k`` or more in the window is ``P(X ≥ k)`` for ``X ~ Poisson(μ)``. The rule raises
when that chance is below ``alpha`` (1e-4) *and* ``k ≥ min_count``, and clears when it rises above
``clear_alpha`` (0.05) — the gap between the two is the hysteresis that stops an alert flapping at
the edge. Poisson suits counts of independent arrivals and needs no tuning beyond ``alpha``; real
counts are somewhat over-dispersed (days differ), which makes a Poisson test fire more often than
``alpha`` says — the false-alarm rate measured on the simulator's normal days is in docs/alerts.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

RIYADH = timezone(timedelta(hours=3))
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
#: Days of archive a region needs before its normal is trusted.
MIN_DAYS = 7
#: Live history a region's flat normal needs before the archive has enough (ms).
LIVE_MIN_MS = 30 * 60_000
#: The lowest normal rate, openings per hour.
FLOOR_PER_HOUR = 0.5


def poisson_tail(k: int, mu: float) -> float:
    """``P(X ≥ k)`` for ``X ~ Poisson(mu)``, accurate far into the tail (summed from ``k`` up in
    logarithms, not as ``1 − CDF``, which cancels to 0 below ~1e-16)."""
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    if k <= mu:  # the bulk: 1 − CDF is accurate here; the CDF summed down from its largest term, in
        # logarithms (``exp(-mu)`` alone is 0.0 above mu ≈ 745: a busy region's hour)
        log_top = -mu + (k - 1) * math.log(mu) - math.lgamma(k)
        total, ratio = 1.0, 1.0
        for i in range(k - 1, 0, -1):  # term(i - 1) = term(i) · i / mu, falling while i <= mu
            ratio *= i / mu
            total += ratio
            if ratio < 1e-17 * total:
                break
        return max(0.0, min(1.0, 1.0 - math.exp(log_top) * total))
    log_term = -mu + k * math.log(mu) - math.lgamma(k + 1)
    total, ratio, i = 1.0, 1.0, k
    while True:  # the terms after the k-th fall geometrically once i > mu
        i += 1
        ratio *= mu / i
        total += ratio
        if ratio < 1e-17 * total:
            break
    return min(1.0, math.exp(log_term) * total)


def riyadh_time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=RIYADH)


@dataclass(frozen=True)
class Baseline:
    """Each region's normal: openings per hour of the Riyadh day, and a factor per weekday (0 Monday)."""

    hourly: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # region → 24 rates
    weekday: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # region → 7 factors
    days: float = 0.0  # how many days of history it was learnt from
    source: str = "none"
    min_days: float = MIN_DAYS  # the history it needs before it is trusted

    @property
    def trusted(self) -> bool:
        return self.days >= self.min_days

    def knows(self, region: str) -> bool:
        return self.trusted and region in self.hourly

    def rate(self, region: str, at_ms: int) -> float:
        """Openings per hour normal for ``region`` at ``at_ms`` (floored)."""
        when = riyadh_time(at_ms)
        hourly = self.hourly.get(region)
        if not hourly:
            return FLOOR_PER_HOUR
        factor = self.weekday.get(region, (1.0,) * 7)[when.weekday()]
        return max(FLOOR_PER_HOUR, hourly[when.hour] * factor)

    def expected(self, region: str, window_ms: int, now_ms: int) -> float:
        """The normal count in the window ending at ``now_ms`` (its rate at the window's middle)."""
        return self.rate(region, now_ms - window_ms // 2) * window_ms / HOUR_MS


def learn(openings: Mapping[str, list[int]], first_ms: int, last_ms: int, source: str) -> Baseline:
    """A :class:`Baseline` from each region's opening times (epoch ms) seen in ``[first_ms, last_ms)``:
    whole Riyadh days only, so a part-day does not bias an hour."""
    days = max(0.0, (last_ms - first_ms) / DAY_MS)
    if days < 1:
        return Baseline(days=days, source=source)
    hourly: dict[str, tuple[float, ...]] = {}
    weekday: dict[str, tuple[float, ...]] = {}
    # how many of each weekday the span holds (for the weekday means)
    weekdays = [0.0] * 7
    t = first_ms
    while t < last_ms:
        weekdays[riyadh_time(t).weekday()] += min(DAY_MS, last_ms - t) / DAY_MS
        t += DAY_MS
    for region, times in openings.items():
        by_hour = [0] * 24
        by_day = [0] * 7
        for ms in times:
            if first_ms <= ms < last_ms:
                when = riyadh_time(ms)
                by_hour[when.hour] += 1
                by_day[when.weekday()] += 1
        total = sum(by_day)
        if not total:
            continue
        hourly[region] = tuple(n / days for n in by_hour)
        mean_day = total / days
        weekday[region] = tuple(
            (by_day[d] / weekdays[d]) / mean_day if weekdays[d] >= 1 and mean_day else 1.0 for d in range(7)
        )
    return Baseline(hourly, weekday, days, source)


def from_live(openings: Mapping[str, Iterable[tuple[int, str]]], now_ms: int, window_ms: int,
              span_ms: int) -> Baseline:
    """Until the archive holds :data:`MIN_DAYS` days: each region's flat rate of openings over the live
    history the worker holds (up to ``span_ms``, the last window left out so a spike does not raise its
    own normal), trusted from :data:`LIVE_MIN_MS` of history. No daily or weekly rhythm: a stopgap for a
    new deployment (or a demo started without its archive), said in the rule's facts."""
    oldest = min((t for queue in openings.values() for t, _ in queue), default=now_ms)
    start = max(now_ms - span_ms, oldest)
    end = now_ms - window_ms
    hours = (end - start) / HOUR_MS
    if hours <= 0:
        return Baseline(source="live history: none yet", min_days=LIVE_MIN_MS / DAY_MS)
    hourly = {region: (sum(1 for t, _ in queue if start <= t < end) / hours,) * 24
              for region, queue in openings.items()}
    return Baseline(hourly, {r: (1.0,) * 7 for r in hourly}, (end - start) / DAY_MS,
                    f"live history, {hours * 60:.0f} min", min_days=LIVE_MIN_MS / DAY_MS)


def from_archive(root: Path, now_ms: int, weeks: int = 4) -> Baseline:
    """Learn the normal from the archive's incident openings over the last ``weeks`` whole weeks before
    ``now_ms``'s Riyadh day (DuckDB over the Parquet files; an empty or missing archive: no normal)."""
    import duckdb

    from app.archive import layout  # the archive's reader: only the worker that learns needs it
    from app.contract import Stream

    today = riyadh_time(now_ms).replace(hour=0, minute=0, second=0, microsecond=0)
    last_ms = int(today.timestamp() * 1000)
    first_ms = last_ms - weeks * 7 * DAY_MS
    pattern = layout.glob(Path(root), Stream.incidents)
    if not any(Path(root).glob("stream=incidents/*/*/*.parquet")):
        return Baseline(source=f"archive {root}: empty")
    con = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
    try:
        rows = con.execute(
            "SELECT region, min(ts) AS opened FROM read_parquet(?, hive_partitioning = 1, union_by_name = 1) "
            "WHERE entry_ms >= ? AND entry_ms < ? GROUP BY id, region",
            [pattern, first_ms - DAY_MS, last_ms + DAY_MS],
        ).fetchall()
        span = con.execute(
            "SELECT min(ts), max(ts) FROM read_parquet(?, hive_partitioning = 1, union_by_name = 1) "
            "WHERE entry_ms >= ? AND entry_ms < ?",
            [pattern, first_ms, last_ms],
        ).fetchone()
    finally:
        con.close()
    openings: dict[str, list[int]] = {}
    for region, opened in rows:
        openings.setdefault(region, []).append(int(opened))
    if not span or span[0] is None:
        return Baseline(source=f"archive {root}: nothing in the last {weeks} weeks")
    whole_days = (last_ms - max(first_ms, int(span[0]))) // DAY_MS  # whole Riyadh days held
    return learn(openings, last_ms - whole_days * DAY_MS, last_ms, f"archive, {whole_days} days")
