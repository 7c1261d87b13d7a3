"""Erlang C: how many open counters keep the queue within the wait target.

The M/M/c model — travellers arriving at random (Poisson) at rate λ, ``c`` counters, service times
exponential with mean ``s`` — is the one call centres have staffed by for a century. With the
offered load ``a = λ·s`` (in erlangs) and ``a < c``:

* the probability that an arrival has to wait is Erlang's C formula, ``C(c, a)``;
* the mean wait is ``C(c, a) · s / (c − a)``;
* the share waiting no longer than ``t`` (the *service level*) is ``1 − C(c, a)·exp(−(c − a)·t / s)``.

With ``a ≥ c`` the queue grows without bound: the probability of waiting is 1, the wait infinite.
``C`` is computed from the Erlang B recursion ``B(k) = a·B(k−1) / (k + a·B(k−1))``, which never
forms ``a^c / c!`` and so stays exact for hundreds of counters. ``tests/test_queueing.py`` checks the
results against a published worked example and an independent implementation of the closed form.

Passport control is not quite M/M/c — processing times are not exponential, and a long queue makes
some travellers come back later — but the model errs on the side of more counters, which is the
side a plan should err on. Times may be in any unit, as long as rates and times agree.
"""

from __future__ import annotations

import math

import numpy as np


def erlang_b(servers: int, load: float) -> float:
    """Erlang B: the probability that all ``servers`` are busy when ``load`` erlangs are offered."""
    if servers < 0 or load < 0:
        raise ValueError("servers and load must not be negative")
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(servers: int, load: float) -> float:
    """Erlang C: the probability that an arrival waits, with ``servers`` and ``load`` erlangs."""
    if load <= 0:
        return 0.0
    if servers <= load:
        return 1.0
    b = erlang_b(servers, load)
    return servers * b / (servers - load * (1 - b))


def mean_wait(servers: int, arrival_rate: float, service_time: float) -> float:
    """The average wait in the queue (the time unit of ``service_time``); ``inf`` when overloaded."""
    load = arrival_rate * service_time
    if load <= 0:
        return 0.0
    if servers <= load:
        return math.inf
    return erlang_c(servers, load) * service_time / (servers - load)


def service_level(servers: int, arrival_rate: float, service_time: float, target_wait: float) -> float:
    """The share of arrivals that wait ``target_wait`` or less (0 when overloaded)."""
    load = arrival_rate * service_time
    if load <= 0:
        return 1.0
    if servers <= load:
        return 0.0
    return 1.0 - erlang_c(servers, load) * math.exp(-(servers - load) * target_wait / service_time)


def servers_needed(arrival_rate: float, service_time: float, target_wait: float, share: float) -> int:
    """The fewest servers for which at least ``share`` of arrivals wait ``target_wait`` or less."""
    return int(
        servers_needed_many(np.array([arrival_rate]), np.array([service_time]), target_wait, share)[0]
    )


def servers_needed_many(
    arrival_rates: np.ndarray, service_times: np.ndarray, target_wait: float, share: float
) -> np.ndarray:
    """:func:`servers_needed` for many hours at once (arrays of one shape; ints back).

    Runs the Erlang B recursion for every hour side by side, one server at a time, until every
    hour has met the target: a 72-hour plan of a large airport is a few hundred numpy steps.
    Hours with no arrivals need no server.
    """
    if not 0 < share < 1:
        raise ValueError("the share within target must be between 0 and 1 (exclusive)")
    rates = np.asarray(arrival_rates, dtype=float)
    times = np.asarray(service_times, dtype=float)
    load = rates * times
    needed = np.zeros(load.shape, dtype=np.int64)
    pending = load > 0
    b = np.ones(load.shape)
    k = 0
    while pending.any():
        k += 1
        b = load * b / (k + load * b)
        stable = pending & (k > load)
        if stable.any():
            gap = np.where(stable, k - load, 1.0)  # servers beyond the load; only where stable
            c = k * b / (gap + load * b)  # Erlang C from Erlang B: k·B / (k − a·(1 − B))
            met = 1.0 - c * np.exp(-gap * target_wait / np.where(stable, times, 1.0)) >= share
            done = stable & met
            needed[done] = k
            pending &= ~done
    return needed
