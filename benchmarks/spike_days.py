"""The spike rule on the simulator's normal days: openings drawn from the simulator's own model, cheaply,
and the rule slid over them as the alerts worker would judge them.

**Openings** (:func:`normal_openings`). The simulator (``app/simulation/scenario.py``) opens incidents
from a Poisson process whose rate is ``rate`` × the weekly profile ``rhythm.INCIDENTS`` (drawn by
thinning, :class:`~app.simulation.rhythm.Arrivals`); each call picks its kind, then a town (by
population) or a highway (by traffic) and a point near it, whose region it takes; the incident opens
when the call is answered (``catalog.answer_ms``, slower when the floor is busy) plus 20–90 s. Here the
same process is drawn with numpy in one go — the profile's own table and interpolation, the same
thinning, the same answer and opening delays — and each opening's region is drawn from the shares the
simulator's own location code gives (:func:`region_shares`: its draws of kind, town or road and
``World.near``/``World.on_road``, the slow part, done a few thousand times rather than once per
incident). Locations are drawn independently of time in the simulator, so this is the same process in
distribution, without Redis, units or the event heap: five weeks at the demo's rate take seconds.

**The rule** (:func:`slide`): :func:`app.alerts.evaluate.spike` itself, handed the openings through a
stand-in for the worker's picture (:class:`Openings`), every ``step_ms``; a condition it finds is
raised unless it was cleared less than ``min_gap_s`` ago (the store's rule), and a held one is judged
by ``clear_alpha`` (the evaluator's hysteresis) until it clears.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from app.alerts.evaluate import Inputs, spike
from app.alerts.rules import Rule
from app.alerts.spike import Baseline
from app.geo import Region
from app.simulation import catalog
from app.simulation.lifecycle import HIGHWAY_INCIDENT_KM
from app.simulation.rhythm import DAY_MS, HOUR_MS, INCIDENTS, RIYADH_OFFSET_MS
from app.simulation.world import World, cumulative, spread_km

#: The default rules' spike rule (``rules.DEFAULT_RULES``: window 900 s, alpha 1e-4, clear_alpha 0.05,
#: min_count 5, a minimum gap of 300 s).
DEFAULT_SPIKE = Rule(id="region-spike", kind="spike", severity="severe", window_s=900)
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (rhythm.py)


def riyadh_midnight(ms: int) -> int:
    """The Riyadh midnight at or before ``ms``."""
    return (ms + RIYADH_OFFSET_MS) // DAY_MS * DAY_MS - RIYADH_OFFSET_MS


def profile_factor(ts_ms: np.ndarray) -> np.ndarray:
    """``rhythm.INCIDENTS.factor`` for many times at once (its table, its linear interpolation)."""
    hours = np.asarray(INCIDENTS.hours)
    local = ts_ms + RIYADH_OFFSET_MS
    h = ((local // DAY_MS + _EPOCH_WEEKDAY) % 7) * 24 + (local % DAY_MS) / HOUR_MS
    i = h.astype(np.int64)
    frac = h - i
    return hours[i] * (1.0 - frac) + hours[(i + 1) % 168] * frac


def region_shares(world: World, draws: int, seed: int) -> dict[str, float]:
    """Each region's share of incident openings, from ``draws`` of the simulator's own location code
    (``Scenario._on_call``: the kind, then a highway or a town, then a point near it; no season)."""
    rng = random.Random(f"basira:shares:{seed}")
    kinds = [k for k in catalog.KINDS if world.roads or not k.on_highway]
    kind_cum = cumulative([k.weight for k in kinds])
    city_cum = cumulative([float(c.population) for c in world.cities])
    road_cum = cumulative([r.weight for r in world.roads])
    counts: dict[str, int] = {}
    for _ in range(draws):
        kind = rng.choices(kinds, cum_weights=kind_cum)[0]
        if kind.on_highway:
            road = rng.choices(world.roads, cum_weights=road_cum)[0]
            _lat, _lon, region = world.on_road(rng, road, HIGHWAY_INCIDENT_KM)
        else:
            city = rng.choices(world.cities, cum_weights=city_cum)[0]
            _lat, _lon, region = world.near(rng, city, spread_km(city))
        counts[region] = counts.get(region, 0) + 1
    return {r: n / draws for r, n in sorted(counts.items())}


def normal_openings(shares: Mapping[str, float], rate: float, start_ms: int, end_ms: int,
                    seed: int) -> dict[str, np.ndarray]:
    """Each region's incident openings (epoch ms, sorted) on normal days in ``[start_ms, end_ms)``: the
    simulator's arrivals at ``rate`` per second (daily mean) × ``rhythm.INCIDENTS``, see the module."""
    rng = np.random.default_rng(seed)
    lead_ms = 10 * 60_000  # calls a little before the span open inside it
    # calls that open an incident: a Poisson process at the profile's peak, thinned to its rate
    peak = rate * INCIDENTS.peak
    n = int(rng.poisson(peak * (end_ms - start_ms + lead_ms) / 1000))
    calls = np.sort(rng.integers(start_ms - lead_ms, end_ms, n))
    load = profile_factor(calls)
    kept = rng.random(n) * peak <= rate * load
    calls, load = calls[kept], load[kept]
    # answered (catalog.answer_ms: a tail of slow answers, heavier when busy), then opened 20-90 s later
    m = len(calls)
    u = rng.random(m)
    tail = 0.08 * load
    answer_s = np.where(u < tail * 0.75, rng.uniform(10.0, 25.0, m),
                        np.where(u < tail, rng.uniform(20.0, 90.0, m), 1.0 + rng.gamma(2.0, 2.5, m)))
    opened = calls + np.round(answer_s * 1000).astype(np.int64) + np.round(rng.uniform(20, 90, m) * 1000
                                                                            ).astype(np.int64)
    names = list(shares)
    region = rng.choice(len(names), size=m, p=np.array([shares[r] for r in names]) / sum(shares.values()))
    inside = (opened >= start_ms) & (opened < end_ms)
    return {name: np.sort(opened[inside & (region == i)]) for i, name in enumerate(names)}


@dataclass
class Openings:
    """The worker's picture as the spike rule reads it: openings by region, counted in a window."""

    by_region: Mapping[str, np.ndarray]

    def opened_between(self, region: str, start_ms: int, end_ms: int) -> int:
        times = self.by_region.get(region)
        if times is None:
            return 0
        return int(np.searchsorted(times, end_ms) - np.searchsorted(times, start_ms))


@dataclass
class Slide:
    """What the rule did over a span: each raise (time, region) and how long alerts were open."""

    raises: list[tuple[int, str]] = field(default_factory=list)
    open_ms: dict[str, int] = field(default_factory=dict)
    steps: int = 0


def inputs_at(now_ms: int, openings: Openings, regions: Mapping[str, Region], baseline: Baseline) -> Inputs:
    return Inputs(now_ms=now_ms, picture=openings, regions=regions, ports={}, baseline=baseline,  # type: ignore[arg-type]
                  port_waits={}, activity={}, clock_ms=now_ms, response_target_s=600.0, shapes={})


def slide(rule: Rule, baseline: Baseline, openings: Openings, regions: Mapping[str, Region],
          start_ms: int, end_ms: int, step_ms: int = 60_000) -> Slide:
    """The rule judged every ``step_ms`` over ``[start_ms, end_ms)``, raising and clearing as the worker
    does (hysteresis in the evaluator, ``min_gap_s`` after a clear)."""
    out = Slide()
    held: dict[str, int] = {}  # key → raised at
    cleared: dict[str, int] = {}
    gap_ms = int(rule.min_gap_s * 1000)
    for now in range(start_ms, end_ms, step_ms):
        out.steps += 1
        found = {c.key: c for c in spike(rule, inputs_at(now, openings, regions, baseline), held)}
        for key, condition in found.items():
            if key in held or now - cleared.get(key, -gap_ms - 1) < gap_ms:
                continue
            held[key] = now
            out.raises.append((now, condition.about["region"]))
        for key in [k for k in held if k not in found]:
            region = key.rsplit(":", 1)[1]
            out.open_ms[region] = out.open_ms.get(region, 0) + now - held.pop(key)
            cleared[key] = now
    for key, since in held.items():
        region = key.rsplit(":", 1)[1]
        out.open_ms[region] = out.open_ms.get(region, 0) + end_ms - since
    return out


@dataclass
class Injection:
    """A burst added to a region's normal openings at ``at_ms``: when the rule raised it (if it did
    within the look), and how many the burst needed to be (the threshold count less the normal ones)."""

    at_ms: int
    expected: float  # the normal count in the window at the burst's end
    background: int  # the normal openings in that window
    needed: int  # the smallest burst that raises by the burst's end
    delay_ms: int | None  # first raise after the burst's first opening; None: not within the look
    held_before: bool  # the region was already alerted (a false alarm) when the burst began


def threshold(rule: Rule, mu: float) -> int:
    """The smallest count that raises for a normal count ``mu`` (tail below ``alpha``, ≥ ``min_count``)."""
    from app.alerts.spike import poisson_tail

    k = max(rule.min_count, int(mu))
    while poisson_tail(k, mu) >= rule.alpha:
        k += 1
    return k


def inject(rule: Rule, baseline: Baseline, openings: Openings, regions: Mapping[str, Region], region: str,
           at_ms: int, count: int = 60, over_s: float = 30.0, tick_ms: int = 250,
           look_ms: int = 60_000) -> Injection:
    """``count`` openings in ``region`` evenly over ``over_s`` from ``at_ms`` (as ``python -m app drill
    spike`` writes them), and the rule judged every ``tick_ms`` (the worker's tick) for ``look_ms``."""
    rule = rule.model_copy(update={"regions": (region,)})
    window_ms = int(rule.window_s * 1000)
    times = openings.by_region[region]
    lo, hi = np.searchsorted(times, [at_ms - 2 * window_ms, at_ms + 2 * window_ms + look_ms])
    near = times[lo:hi]
    burst = at_ms + np.round(np.arange(count) * over_s * 1000 / max(1, count - 1)).astype(np.int64)
    alone = Openings({region: near})
    held_before = bool(spike(rule, inputs_at(at_ms, alone, regions, baseline), {}))
    end = int(burst[-1]) + 1
    expected = baseline.expected(region, window_ms, end)
    background = alone.opened_between(region, end - window_ms, end)
    both = Openings({region: np.sort(np.concatenate([near, burst]))})
    delay = None
    for now in range(at_ms, at_ms + look_ms + 1, tick_ms):
        if spike(rule, inputs_at(now, both, regions, baseline), {}):
            delay = now - at_ms
            break
    return Injection(at_ms, expected, background, max(0, threshold(rule, expected) - background), delay,
                     held_before)


def learnt_baseline(rate: float, settings: object | None = None, weeks: int = 4, seed: int = 1,
                    now_ms: int | None = None) -> Baseline:
    """The normal ``spike.learn`` learns from ``weeks`` weeks of simulated normal days before today's
    Riyadh midnight (the archive's normal, without an archive)."""
    import time

    from app.alerts.spike import learn
    from app.reference import Reference
    from app.settings import Settings

    reference = Reference.from_settings(settings if isinstance(settings, Settings) else Settings())
    world = World.from_reference(reference)
    end = riyadh_midnight(int(time.time() * 1000) if now_ms is None else now_ms)
    start = end - weeks * 7 * DAY_MS
    openings = normal_openings(region_shares(world, 20_000, seed), rate, start, end, seed)
    return learn({r: t.tolist() for r, t in openings.items()}, start, end, f"simulated, {weeks * 7} days")


@dataclass(frozen=True)
class TrueNormal:
    """The simulator's own rate as the spike rule's normal (what a perfect learner would know): the
    region's share × ``rate`` × the profile, summed over the window, a minute late (the mean delay
    from call to opening). Slid beside the learnt normal, it tells the Poisson test's own false alarms
    from those of the learnt normal's shape."""

    shares: Mapping[str, float]
    rate: float
    delay_ms: int = 62_000
    source: str = "the simulator's own rate"
    days: float = 28.0

    def knows(self, region: str) -> bool:
        return region in self.shares

    def expected(self, region: str, window_ms: int, now_ms: int) -> float:
        points = np.linspace(now_ms - window_ms - self.delay_ms, now_ms - self.delay_ms, 61)
        return float(self.rate * self.shares[region] * profile_factor(points.astype(np.int64)).mean()
                     * window_ms / 1000)
