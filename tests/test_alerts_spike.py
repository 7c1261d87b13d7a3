"""The spike rule's statistic (``app/alerts/spike.py``), by its properties — no Redis, no timings:

* ``poisson_tail`` is ``P(X ≥ k)`` for ``X ~ Poisson(μ)``: against a direct sum at 50 digits (the test's
  own, with ``decimal``; scipy is not a dependency), from the bulk to 1e-190, and known closed forms;
* ``learn`` recovers a known hour-of-day profile and weekday factor from openings built to have them
  (exactly), and from Poisson openings drawn at that rate (within its standard error), in Riyadh time,
  ignoring what lies outside its span;
* on a simulated normal week (the simulator's own model at its national volume, a fixed seed; the
  normal learnt from the four weeks before) the default spike rule raises at most two alerts a day
  nationally, and a burst of 60 incidents in 30 s in Makkah raises within a minute.
  ``make bench`` measures the rates over two weeks at the demo's volume too (docs/alerts.md).
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest

from app.alerts.spike import DAY_MS, HOUR_MS, Baseline, learn, poisson_tail, riyadh_time
from app.reference import Reference
from app.settings import Settings
from app.simulation.scenario import DEFAULT_RATE
from app.simulation.world import World
from benchmarks import spike_days as sd

#: Monday 2026-01-05 00:00, Riyadh.
MONDAY = 1_767_560_400_000


def exact_tail(k: int, mu: float) -> Decimal:
    """``P(X ≥ k)`` summed term by term at 50 significant digits (upper terms until they vanish)."""
    with localcontext() as context:
        context.prec = 50
        m = Decimal(repr(mu))
        term = (-m).exp()  # P(X = 0)
        for i in range(1, max(k, 0) + 1):  # … up to P(X = k)
            term = term * m / i
        total, i = Decimal(0), max(k, 0)
        while True:
            total += term
            i += 1
            term = term * m / i
            if term < total * Decimal("1e-45"):
                return +total


@pytest.mark.parametrize("mu", [0.3, 2.5, 12.0, 61.7, 290.0, 700.0])
def test_poisson_tail_matches_a_direct_sum_from_the_bulk_to_far_in_the_tail(mu: float) -> None:
    sd_ = math.sqrt(mu)
    ks = sorted({0, 1, 2, int(mu), int(mu) + 1, int(mu + 3 * sd_), int(mu + 6 * sd_), int(mu + 12 * sd_)})
    for k in ks:
        exact = float(exact_tail(k, mu))
        got = poisson_tail(k, mu)
        assert got == pytest.approx(exact, rel=1e-9, abs=1e-15 if exact > 1e-6 else 0), (k, mu, got, exact)
    tails = [poisson_tail(k, mu) for k in range(int(mu + 12 * sd_) + 10)]
    assert all(a >= b for a, b in zip(tails, tails[1:], strict=False)), "P(X ≥ k) must fall with k"
    assert tails[-1] > 0, "accurate far into the tail, never a cancelled 0"


def test_poisson_tail_far_below_what_one_minus_the_cdf_could_say() -> None:
    for k, mu in ((150, 3.0), (60, 12.0), (520, 290.0)):
        exact = exact_tail(k, mu)
        assert exact < Decimal("1e-16")
        assert poisson_tail(k, mu) == pytest.approx(float(exact), rel=1e-9), (k, mu)


def test_poisson_tail_known_values() -> None:
    assert poisson_tail(0, 5.0) == 1.0 and poisson_tail(-3, 5.0) == 1.0
    assert poisson_tail(1, 0.0) == 0.0
    for mu in (0.1, 1.0, 7.5):
        assert poisson_tail(1, mu) == pytest.approx(1 - math.exp(-mu), rel=1e-12)
    assert poisson_tail(2, 1.0) == pytest.approx(1 - 2 / math.e, rel=1e-12)
    assert poisson_tail(3, 2.0) == pytest.approx(1 - 5 * math.exp(-2.0), rel=1e-12)
    # the default rule's line: 15 min at 12/h is μ = 3; 12 or more has p < 1e-4, 11 does not
    assert poisson_tail(12, 3.0) < 1e-4 < poisson_tail(11, 3.0)
    assert poisson_tail(40, 20.0) > poisson_tail(40, 19.0), "a higher normal makes a count less surprising"


def test_poisson_tail_in_the_bulk_of_a_normal_above_745() -> None:
    """``exp(-mu)`` underflows above mu ≈ 745 (a busy region's hour at the demo's volume): the bulk is
    summed in logarithms."""
    for k, mu in ((1000, 1000.0), (700, 760.0)):
        assert poisson_tail(k, mu) == pytest.approx(float(exact_tail(k, mu)), rel=1e-9), (k, mu)


#: A Riyadh day's openings per hour (integers) and a weekday factor (Monday first) whose mean is 1.
HOURLY = (4, 2, 2, 2, 2, 4, 6, 8, 10, 10, 10, 12, 12, 12, 12, 14, 14, 16, 16, 18, 18, 16, 10, 6)
WEEKDAY = (1.0, 1.0, 1.0, 1.5, 0.5, 1.0, 1.0)


def test_learn_recovers_a_known_hourly_profile_and_weekday_factor_exactly() -> None:
    openings = []
    for day in range(28):
        factor = WEEKDAY[riyadh_time(MONDAY + day * DAY_MS).weekday()]
        for hour, n in enumerate(HOURLY):
            count = round(n * factor)
            start = MONDAY + day * DAY_MS + hour * HOUR_MS
            openings += [start + (j * HOUR_MS) // count for j in range(count)]
    noise = [MONDAY - 1, MONDAY - HOUR_MS, MONDAY + 28 * DAY_MS, MONDAY + 29 * DAY_MS]  # outside the span
    normal = learn({"SA-02": openings + noise}, MONDAY, MONDAY + 28 * DAY_MS, "test")
    assert normal.days == 28 and normal.trusted and normal.knows("SA-02") and not normal.knows("SA-01")
    assert normal.hourly["SA-02"] == pytest.approx(HOURLY)
    assert normal.weekday["SA-02"] == pytest.approx(WEEKDAY)
    # the normal of a future Thursday 19:00 (Riyadh) is that hour's mean times Thursday's factor
    thursday_19 = MONDAY + 31 * DAY_MS + 19 * HOUR_MS
    assert riyadh_time(thursday_19).strftime("%a %H") == "Thu 19"
    assert normal.rate("SA-02", thursday_19) == pytest.approx(18 * 1.5)
    assert normal.expected("SA-02", 900_000, thursday_19 + 900_000) == pytest.approx(18 * 1.5 / 4)
    assert normal.rate("SA-02", MONDAY + 32 * DAY_MS + 2 * HOUR_MS) == pytest.approx(2 * 0.5)
    assert Baseline().rate("SA-02", thursday_19) == 0.5, "no normal: the floor"


def test_learn_recovers_the_rate_of_poisson_openings_within_its_standard_error() -> None:
    rng = np.random.default_rng(11)
    openings = []
    for day in range(28):
        factor = WEEKDAY[riyadh_time(MONDAY + day * DAY_MS).weekday()]
        for hour, n in enumerate(HOURLY):
            start = MONDAY + day * DAY_MS + hour * HOUR_MS
            count = rng.poisson(5 * n * factor)
            openings += sorted(rng.integers(start, start + HOUR_MS, count).tolist())
    normal = learn({"SA-04": openings}, MONDAY, MONDAY + 28 * DAY_MS, "test")
    for hour, n in enumerate(HOURLY):
        standard_error = math.sqrt(5 * n / 28)
        assert abs(normal.hourly["SA-04"][hour] - 5 * n) < 5 * standard_error, hour
    for day, factor in enumerate(WEEKDAY):
        assert normal.weekday["SA-04"][day] == pytest.approx(factor, abs=0.05), day


def test_on_a_simulated_normal_week_the_default_rule_raises_at_most_two_a_day_and_catches_a_burst() -> None:
    settings = Settings()
    reference = Reference.from_settings(settings)
    shares = sd.region_shares(World.from_reference(reference), 5_000, seed=1)
    learn_end = MONDAY + 28 * DAY_MS
    end = learn_end + 7 * DAY_MS
    openings = sd.normal_openings(shares, DEFAULT_RATE, MONDAY, end, seed=3)
    history = {r: t[t < learn_end].tolist() for r, t in openings.items()}
    normal = learn(history, MONDAY, learn_end, "simulated")
    assert set(normal.hourly) == set(reference.regions)
    week = sd.slide(sd.DEFAULT_SPIKE, normal, sd.Openings(openings), reference.regions, learn_end, end)
    assert week.steps == 7 * 1440
    assert len(week.raises) <= 14, f"{len(week.raises)} false alarms in a normal week: {week.raises}"
    for at in (learn_end + 10 * HOUR_MS, learn_end + 3 * DAY_MS + 20 * HOUR_MS, end - 5 * HOUR_MS):
        burst = sd.inject(sd.DEFAULT_SPIKE, normal, sd.Openings(openings), reference.regions, "SA-02", at)
        assert not burst.held_before and burst.delay_ms is not None and burst.delay_ms <= 60_000, burst
