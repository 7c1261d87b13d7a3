"""Erlang C against a published worked example and an independent implementation of the closed form."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from app.ports.queueing import (
    erlang_b,
    erlang_c,
    mean_wait,
    servers_needed,
    servers_needed_many,
    service_level,
)


def closed_form_c(servers: int, load: Fraction) -> Fraction:
    """Erlang C straight from the textbook formula, in exact rational arithmetic:

    C(c, a) = [a^c / c! · c / (c − a)] / [Σ_{k<c} a^k / k! + a^c / c! · c / (c − a)]
    """
    top = load**servers / math.factorial(servers) * Fraction(servers) / (servers - load)
    return top / (sum(load**k / math.factorial(k) for k in range(servers)) + top)


def closed_form_needed(rate: float, service: float, target: float, share: float) -> int:
    c = 1
    while True:
        load = Fraction(rate) * Fraction(service)
        if c > load:
            level = 1 - float(closed_form_c(c, load)) * math.exp(-(c - float(load)) * target / service)
            if level >= share:
                return c
        c += 1


def test_published_example_westbay_cc_excel():
    """Westbay Engineers' CC-Excel (the Erlang C add-in of erlang.com), answered on its forum
    (topic "CCXLService", reply by Tom Howard, 12 January 2021): 21 agents and 57 calls in the hour
    at an average duration of 1110 s answer 80.7% of calls within 180 s; for 80% within 20 s,
    the estimated agents go from 21 to 23. (CC-Excel takes calls per hour: erlang.com/ccexcelmanual.)
    """
    rate = 57 / 3600  # calls per second
    assert service_level(21, rate, 1110, 180) == pytest.approx(0.807, abs=0.0005)
    assert servers_needed(rate, 1110, 20, 0.80) == 23
    assert service_level(22, rate, 1110, 20) < 0.80 <= service_level(23, rate, 1110, 20)


@pytest.mark.parametrize(("servers", "load"), [(1, "0.5"), (2, "1.5"), (11, "10"), (14, "10"), (55, "48"),
                                               (30, "29.9"), (100, "87.25")])
def test_erlang_c_matches_the_closed_form(servers, load):
    exact = closed_form_c(servers, Fraction(load))
    assert erlang_c(servers, float(load)) == pytest.approx(float(exact), rel=1e-10)
    # and the measures derived from it: mean wait C·s/(c − a), service level 1 − C·e^(−(c − a)·t/s)
    s = 180.0
    rate = float(load) / s
    assert mean_wait(servers, rate, s) == pytest.approx(float(exact) * s / (servers - float(load)), rel=1e-9)
    expected_level = 1 - float(exact) * math.exp(-(servers - float(load)) * 20 / s)
    assert service_level(servers, rate, s, 20) == pytest.approx(expected_level, rel=1e-9)


def test_a_known_small_case_by_hand():
    # Two servers, one erlang: C = (1/2 · 2) / (1 + 1 + 1) = 1/3, mean wait = C · s / (c − a) = s / 3.
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mean_wait(2, 1 / 60, 60) == pytest.approx(20.0)
    assert erlang_b(1, 1.0) == pytest.approx(0.5)


def test_overload_and_no_traffic():
    assert erlang_c(10, 10.0) == 1.0 and erlang_c(10, 12.0) == 1.0
    assert math.isinf(mean_wait(10, 12 / 60, 60))
    assert service_level(10, 12 / 60, 60, 900) == 0.0
    assert erlang_c(3, 0.0) == 0.0 and service_level(3, 0.0, 60, 10) == 1.0
    assert servers_needed(0.0, 60, 900, 0.9) == 0


@pytest.mark.parametrize("share", [0.8, 0.9, 0.95])
def test_vectorised_servers_match_the_closed_form(share):
    rates_h = np.array([0.5, 12, 60, 240, 1000, 3000])
    services = np.array([30.0, 60, 95, 120, 45, 70])
    got = servers_needed_many(rates_h / 3600, services, 900, share)
    expected = [closed_form_needed(r / 3600, s, 900, share) for r, s in zip(rates_h, services, strict=True)]
    assert got.tolist() == expected


def test_large_airports_stay_finite():
    # Thousands of travellers an hour: a few hundred counters, no overflow, and one more counter
    # than the answer would be one too many.
    needed = servers_needed(9000 / 3600, 110, 900, 0.9)
    assert 275 < needed < 300
    rate = 9000 / 3600
    assert service_level(needed, rate, 110, 900) >= 0.9 > service_level(needed - 1, rate, 110, 900)


def test_share_must_be_a_proportion():
    with pytest.raises(ValueError):
        servers_needed_many(np.array([1.0]), np.array([1.0]), 10, 1.0)
