"""``python -m benchmarks.alerts``: the alerts' figures (issue 14), run by ``make bench``.

1. **Tick CPU**: one :class:`~app.alerts.worker.AlertWorker` with 50 rules (a generated TOML: all six
   kinds, different scopes, geofences on circles around towns) over 10,000 open incidents and 2,000
   units in a private Redis, applied by the ingest worker; steady ticks with churn between them (500
   unit positions and 20 incident changes a second of 250 ms ticks, applied by the ingest worker
   between ticks and not counted) — the worker's own CPU per tick (``TickReport.cpu_ms``), the first
   tick (the full read) and a tick that raises many alerts apart.
2. **Spike false alarms**: the default spike rule slid minute by minute over simulated normal days
   (:mod:`benchmarks.spike_days`), its normal learnt from the four weeks before as ``spike.learn``
   learns it; raises per region and nationally per day, and bursts injected in Makkah.
3. **Latency**: a producer's ``XADD`` that makes a condition true → the alert on the command view in
   headless Chromium, with ``python -m app ingest``, ``python -m app alerts`` and the web app running
   as deployed.

Writes ``benchmarks/alerts.json``, the "Alerts" section of ``docs/benchmarks.md`` and the false alarms
in ``docs/alerts.md``. ``--quick`` runs it all at a small scale into ``artifacts/`` only.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

import numpy as np

from app.alerts.worker import AlertWorker
from app.contract import Agency, Category, Stream
from app.geo import load_cities
from app.ingest import IngestWorker
from app.settings import Settings
from app.store import Store

from .harness import ROOT, percentile, replace_section, say, start_redis
from .load import _points, xadd_all

DOC = ROOT / "docs" / "benchmarks.md"
ALERTS_DOC = ROOT / "docs" / "alerts.md"
RESULTS = ROOT / "benchmarks" / "alerts.json"
HEADING = "## Alerts"
ALERTS_HEADING = "## The spike statistic: false alarms measured"
TICK_TARGET_MS = 50.0
LATENCY_TARGET_MS = 1000.0

Entry = tuple[Stream, dict[str, str]]


# --- 1. the tick's CPU -------------------------------------------------------------------------------

AGENCIES = [a.value for a in Agency]
CATEGORIES = [c.value for c in Category]
REGION_GROUPS = [
    None, ["SA-01"], ["SA-02"], ["SA-04"], ["SA-02", "SA-03"], ["SA-01", "SA-05", "SA-09"],
    ["SA-06", "SA-07", "SA-08", "SA-10", "SA-11", "SA-12", "SA-14"], ["SA-03", "SA-04"],
]  # fmt: skip


def _toml(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return repr(value)


def rules_toml(settings: Settings, unit_ids: list[str], seed: int = 3) -> str:
    """50 rules: every kind, with different scopes (regions, agencies, categories, priorities);
    geofences on circles around the largest towns (and two on the zones file's shapes)."""
    rng = random.Random(seed)
    cities = load_cities(settings.cities_file)
    rules: list[dict[str, Any]] = []

    def scope(n: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if (regions := REGION_GROUPS[n % len(REGION_GROUPS)]) is not None:
            out["regions"] = regions
        if n % 3 == 1:
            out["agencies"] = rng.sample(AGENCIES, 2)
        if n % 4 == 2:
            out["categories"] = rng.sample(CATEGORIES, 4)
        return out

    for n in range(10):
        rules.append({"kind": "unassigned", "severity": "severe", "priority": 1 + n % 3,
                      "after_s": [60, 120, 300][n % 3], **scope(n)})
    for n in range(8):
        rules.append({"kind": "response_breach", "severity": "moderate", "priority": 1 + n % 2,
                      "target_s": [900, 1200, 1500, 1800][n % 4], **scope(n + 1)})
    for n in range(8):
        regions = REGION_GROUPS[n % len(REGION_GROUPS)]
        rules.append({"kind": "spike", "severity": "severe", "window_s": [900, 300, 1800, 3600][n % 4],
                      "alpha": [1e-4, 1e-5, 1e-3][n % 3], **({"regions": regions} if regions else {})})
    for n, city in enumerate(cities[:14]):
        rule: dict[str, Any] = {"kind": "geofence", "severity": "moderate",
                                "circle": {"lon": city.lon, "lat": city.lat,
                                           "radius_m": float([300, 500, 800, 1500][n % 4])},
                                "name_en": f"{city.name_en} centre", "name_ar": f"وسط {city.name_ar}"}
        if n % 3 == 0:
            rule["subjects"] = ["unit", "incident"]
            rule["priority"] = 2
        else:
            rule["subjects"] = ["unit"]
        if n % 5 == 4:
            rule["agencies"] = rng.sample(AGENCIES, 3)
        rules.append(rule)
    rules.append({"kind": "geofence", "severity": "severe", "zones": ["haram-makkah", "masjid-nabawi"],
                  "subjects": ["unit", "incident"]})
    rules.append({"kind": "geofence", "severity": "minor", "when": "outside",
                  "circle": {"lon": cities[1].lon, "lat": cities[1].lat, "radius_m": 20_000.0},
                  "units": unit_ids[:20], "subjects": ["unit"]})
    for n in range(4):
        rules.append({"kind": "port_wait", "severity": "moderate", "threshold_min": [30, 45, 60, 90][n],
                      **({"regions": REGION_GROUPS[n]} if REGION_GROUPS[n] else {})})
    for n in range(4):
        streams = [["incidents", "units"], ["ports"], ["calls"], ["incidents", "units", "ports", "calls"]][n]
        rules.append({"kind": "stale_producer", "severity": "severe", "streams": streams,
                      "min_quiet_s": [60, 120, 300, 30][n]})
    assert len(rules) == 50, len(rules)
    lines = []
    for n, rule in enumerate(rules, 1):
        lines += ["[[rule]]", f'id = "{rule["kind"].replace("_", "-")}-{n}"']
        lines += [f"{k} = {_toml(v)}" for k, v in rule.items()]
        lines.append("")
    return "\n".join(lines)


def _fmt(v: float) -> str:
    return f"{v:.5f}"


class Picture:
    """A national picture: ``incidents`` open incidents (most dispatched, some waiting for a unit, the
    rest on scene; every region, agency, category and priority) and ``units`` units, and its churn.

    Incidents move on first in, first out: each step of the churn takes the oldest incident of one
    status to the next (new → dispatched → on scene → closed, a closed one replaced by a new one
    elsewhere), the three steps in turn, so the mix stays put and each status is held about as long as
    its share of the picture over the rate of steps: at 20 steps a second over 10,000 incidents, ~75 s
    waiting for a unit, ~14 min dispatched, ~10 min on scene.
    """

    #: (status, share of the open incidents)
    MIX = (("new", 0.05), ("dispatched", 0.55), ("on_scene", 0.40))
    _NEXT = {"new": "dispatched", "dispatched": "on_scene", "on_scene": "closed"}

    def __init__(self, incidents: int, units: int, settings: Settings, steps_per_s: float,
                 seed: int = 11) -> None:
        self.rng = random.Random(seed)
        nprng = np.random.default_rng(seed)
        lat, lon, regions = _points(nprng, settings, incidents + units + 2000)
        self.spots = [(lat[n], lon[n], regions[n]) for n in range(incidents + units, len(regions))]
        self.units = [{"id": f"BU-{n:05d}", "agency": AGENCIES[n % len(AGENCIES)], "status": "available",
                       "lat": _fmt(lat[incidents + n]), "lon": _fmt(lon[incidents + n]),
                       "heading": "0", "speed": "0"} for n in range(units)]  # fmt: skip
        self.n = 0
        self.queues: dict[str, deque[dict[str, str]]] = {s: deque() for s, _ in self.MIX}
        self.dwell_s = {s: share * incidents / (steps_per_s / 3) for s, share in self.MIX}
        self._turn = 0
        k = 0
        for status, share in self.MIX:
            for _ in range(round(share * incidents)):
                self.queues[status].append(self._incident(status, lat[k], lon[k], regions[k]))
                k += 1

    def _incident(self, status: str, lat: float, lon: float, region: str) -> dict[str, str]:
        self.n += 1
        agency = self.rng.choice(AGENCIES)
        return {"id": f"BI-{self.n:06d}", "status": status, "agency": agency,
                "category": self.rng.choice(CATEGORIES),
                "priority": str(self.rng.choices("1234", weights=(7, 28, 45, 20))[0]),
                "lat": _fmt(lat), "lon": _fmt(lon), "region": region,
                "units": self._crew(agency) if status != "new" else ""}  # fmt: skip

    def _crew(self, agency: str) -> str:
        crew = [u["id"] for u in self.rng.sample(self.units, 8) if u["agency"] == agency][:2]
        return ",".join(crew or [self.units[0]["id"]])

    def initial(self, now_ms: int) -> list[Entry]:
        """Each incident's life so far (opened, dispatched, on scene: one entry a step, at its time,
        as first in, first out would have it) and every unit."""
        out: list[Entry] = []
        new_s, dispatched_s = self.dwell_s["new"], self.dwell_s["dispatched"]
        for status, _share in self.MIX:
            queue = self.queues[status]
            for j, inc in enumerate(queue):  # oldest first
                age = (len(queue) - j) / len(queue) * self.dwell_s[status]
                if status == "new":
                    opened = now_ms - int(age * 1000)
                elif status == "dispatched":
                    opened = now_ms - int((age + new_s) * 1000)
                else:
                    opened = now_ms - int((age + new_s + dispatched_s) * 1000)
                out.append((Stream.incidents, {**inc, "status": "new", "units": "", "ts": str(opened)}))
                if status != "new":
                    dispatched = opened + int(new_s * 1000)
                    out.append((Stream.incidents, {**inc, "status": "dispatched", "ts": str(dispatched)}))
                if status == "on_scene":
                    arrived = dispatched + int(dispatched_s * 1000)
                    out.append((Stream.incidents, {**inc, "ts": str(arrived)}))
        out += [(Stream.units, {**u, "ts": str(now_ms)}) for u in self.units]
        return out

    def ports(self, settings: Settings, now_ms: int) -> list[Entry]:
        from app.geo import load_ports

        return [(Stream.ports, {"port": p, "direction": "arrival", "category": "citizen", "travellers": "30",
                                "wait_min": f"{self.rng.uniform(5, 70):.1f}", "ts": str(now_ms)})
                for p in sorted(load_ports(settings.ports_file))]  # fmt: skip

    def churn(self, positions: int, steps: int, now_ms: int) -> list[Entry]:
        """``positions`` unit position reports (a few hundred metres each) and ``steps`` steps of
        incidents' lives (see the class)."""
        out: list[Entry] = []
        ts = str(now_ms)
        for unit in self.rng.choices(self.units, k=positions):
            heading = self.rng.uniform(0, 360)
            step = self.rng.uniform(0.0, 0.003)
            unit["lat"] = _fmt(float(unit["lat"]) + step * math.cos(math.radians(heading)))
            unit["lon"] = _fmt(float(unit["lon"]) + step * math.sin(math.radians(heading)))
            unit["heading"], unit["speed"] = f"{heading:.0f}", f"{self.rng.uniform(0, 120):.0f}"
            out.append((Stream.units, {**unit, "ts": ts}))
        for _ in range(steps):
            status = self.MIX[self._turn % 3][0]
            self._turn += 1
            inc = self.queues[status].popleft()
            inc["status"] = nxt = self._NEXT[status]
            if nxt == "dispatched":
                inc["units"] = self._crew(inc["agency"])
            out.append((Stream.incidents, {**inc, "ts": ts}))
            if nxt == "closed":
                lat, lon, region = self.rng.choice(self.spots)
                inc = self._incident("new", lat, lon, region)
                self.queues["new"].append(inc)
                out.append((Stream.incidents, {**inc, "ts": ts}))
            else:
                self.queues[nxt].append(inc)
        return out

    def burst(self, n: int, now_ms: int) -> list[Entry]:
        """``n`` priority-1 incidents opened two minutes ago, none with a unit yet (a mass-casualty
        morning): every unassigned rule that covers them holds at once."""
        out = []
        for _ in range(n):
            lat, lon, region = self.rng.choice(self.spots)
            inc = {**self._incident("new", lat, lon, region), "priority": "1", "units": ""}
            out.append((Stream.incidents, {**inc, "ts": str(now_ms - 120_000)}))
        return out


def _redis_cpu_ms(client: Any) -> float:
    info = client.info("cpu")
    return (float(info["used_cpu_user"]) + float(info["used_cpu_sys"])) * 1000


def tick_cpu(quick: bool, profile: Path | None = None) -> dict[str, Any]:
    """The worker's CPU per tick (see the module): the first tick, steady ticks with churn, a burst."""
    n_inc, n_units, n_ticks = (2_000, 400, 30) if quick else (10_000, 2_000, 200)
    tick_ms, positions_per_s, steps_per_s = 250, 500, 20
    server = start_redis()
    tmp = Path(tempfile.mkdtemp(prefix="basira-alerts-bench-"))
    try:
        import redis

        settings = Settings(redis_url=server.url, stream_prefix="bench", ingest_batch=2000,
                            rules_file=tmp / "rules.toml", archive_dir=tmp / "archive")
        client = redis.Redis.from_url(server.url, decode_responses=True)
        picture = Picture(n_inc, n_units, settings, steps_per_s)
        settings.rules_file.write_text(rules_toml(settings, [u["id"] for u in picture.units]))
        store = Store.from_settings(settings)
        ingest = IngestWorker(store, settings)
        now = int(time.time() * 1000)
        xadd_all(client, "bench", picture.initial(now) + picture.ports(settings, now))
        started = time.monotonic()
        ingest.work(burst=True)
        say(f"alerts: {n_inc:,} incidents, {n_units:,} units applied in {time.monotonic() - started:.1f} s")
        from .spike_days import learnt_baseline

        worker = AlertWorker(store, settings, holder="bench", baseline=learnt_baseline(1.0, settings))
        assert len(worker.rules.rules) == 50 and worker.rules_error is None, worker.rules_error
        first = worker.tick()
        mirror = type(worker.picture)(store, worker.picture.opening_window_ms, worker.picture.behind_ms)
        cpu0 = time.process_time()
        mirror.refresh()  # the full read alone, as the first tick did it
        first_read_ms = (time.process_time() - cpu0) * 1000
        say(f"alerts: first tick {first.cpu_ms:.0f} ms CPU (the full read {first_read_ms:.0f} ms), "
            f"raised {first.raised}")
        warm = []
        while True:  # raise what the picture holds (at most 50 a rule a tick) before steady ticks
            report = worker.tick()
            warm.append(report)
            if report.raised == 0 or len(warm) >= 100:
                break
        open_alerts = len(store.alerts.open_ids())
        say(f"alerts: {len(warm)} warm-up ticks, {sum(r.raised for r in warm)} raised, {open_alerts} open")
        steady, redis_ms, changed, checked, gc_ms = [], [], [], [], []
        collecting: dict[str, float] = {"ms": 0.0, "at": 0.0}

        def on_gc(phase: str, info: dict[str, int]) -> None:  # the collector's own time, per tick
            if phase == "start":
                collecting["at"] = time.process_time()
            else:
                collecting["ms"] += (time.process_time() - collecting["at"]) * 1000

        gc.callbacks.append(on_gc)
        per_tick = (positions_per_s * tick_ms // 1000, steps_per_s * tick_ms // 1000)
        profiler = None
        if profile is not None:
            import cProfile

            profiler = cProfile.Profile()
        next_at = time.monotonic()
        for _ in range(n_ticks):
            next_at += tick_ms / 1000
            xadd_all(client, "bench", picture.churn(*per_tick, int(time.time() * 1000)))
            ingest.work(burst=True)
            before = _redis_cpu_ms(client)
            escalated_at = worker._escalated_at
            collecting["ms"] = 0.0
            if profiler is not None:
                profiler.enable()
            report = worker.tick()
            checked.append(worker._escalated_at != escalated_at)  # this tick went over the open alerts
            gc_ms.append(collecting["ms"])
            if profiler is not None:
                profiler.disable()
            redis_ms.append(_redis_cpu_ms(client) - before)
            steady.append(report)
            changed.append(report.changed)
            time.sleep(max(0.0, next_at - time.monotonic()))
        gc.callbacks.remove(on_gc)
        cpu = [r.cpu_ms for r in steady]
        slowest = sorted(range(len(cpu)), key=lambda i: -cpu[i])[:5]
        if profiler is not None:
            profiler.dump_stats(str(profile))
        say(f"alerts: steady ticks p50 {percentile(cpu, 50):.1f} ms, p95 {percentile(cpu, 95):.1f} ms, "
            f"max {max(cpu):.1f} ms CPU")
        xadd_all(client, "bench", picture.burst(400, int(time.time() * 1000)))
        ingest.work(burst=True)
        burst = worker.tick()
        say(f"alerts: burst tick {burst.cpu_ms:.0f} ms CPU, raised {burst.raised}")
        return {
            "tick_incidents": n_inc, "tick_units": n_units, "tick_rules": len(worker.rules.rules),
            "tick_kinds": dict(Counter(r.kind for r in worker.rules.rules)),
            "tick_ms": tick_ms, "churn_positions_per_s": positions_per_s, "churn_steps_per_s": steps_per_s,
            "first_cpu_ms": first.cpu_ms, "first_raised": first.raised, "first_read_ms": first_read_ms,
            "warm_ticks": len(warm), "warm_raised": sum(r.raised for r in warm), "open_alerts": open_alerts,
            "steady_ticks": len(steady), "steady_p50_ms": percentile(cpu, 50),
            "steady_p95_ms": percentile(cpu, 95), "steady_max_ms": max(cpu),
            "steady_mean_ms": sum(cpu) / len(cpu),
            "steady_slowest": [{"cpu_ms": cpu[i], "raised": steady[i].raised, "cleared": steady[i].cleared,
                                "changed": steady[i].changed, "escalation": checked[i], "gc_ms": gc_ms[i]}
                               for i in slowest],
            "steady_gc_ms": sum(gc_ms),
            "escalation_ticks": sum(checked),
            "escalation_p50_ms": percentile([c for c, e in zip(cpu, checked, strict=True) if e], 50),
            "escalation_max_ms": max([c for c, e in zip(cpu, checked, strict=True) if e], default=None),
            "other_p95_ms": percentile([c for c, e in zip(cpu, checked, strict=True) if not e], 95),
            "other_max_ms": max([c for c, e in zip(cpu, checked, strict=True) if not e], default=None),
            "steady_raised": sum(r.raised for r in steady), "steady_cleared": sum(r.cleared for r in steady),
            "steady_changed_p50": percentile(changed, 50),
            "steady_held_end": steady[-1].held,
            "redis_cpu_p50_ms": percentile(redis_ms, 50), "redis_cpu_p95_ms": percentile(redis_ms, 95),
            "burst_incidents": 400, "burst_cpu_ms": burst.cpu_ms, "burst_raised": burst.raised,
            "full_reads": worker.picture.full_reads,
        }
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


# --- 2. the spike rule's false alarms ------------------------------------------------------------------

#: Monday 2026-01-05 00:00 in Riyadh: the simulated days start here (fixed, so a run is repeatable).
SPIKE_START_MS = 1_767_560_400_000


def _hour_of_week(ms: int) -> str:
    from app.alerts.spike import riyadh_time

    return riyadh_time(ms).strftime("%a %H:00")


def spike_rate(world: Any, regions: Any, shares: dict[str, float], rate: float, learn_days: int,
               test_days: int, every_h: float, seed: int) -> dict[str, Any]:
    """One rate: openings, the normal learnt, the rule slid over the test days (learnt and true
    normals), and bursts in Makkah."""
    from app.alerts.spike import DAY_MS, learn

    from . import spike_days as sd

    start = SPIKE_START_MS
    learn_end = start + learn_days * DAY_MS
    end = learn_end + test_days * DAY_MS
    t0 = time.monotonic()
    openings = sd.normal_openings(shares, rate, start, end, seed)
    baseline = learn({r: t[t < learn_end].tolist() for r, t in openings.items()}, start, learn_end,
                     f"simulated, {learn_days} days")
    learnt = sd.slide(sd.DEFAULT_SPIKE, baseline, sd.Openings(openings), regions, learn_end, end)
    true = sd.slide(sd.DEFAULT_SPIKE, sd.TrueNormal(shares, rate), sd.Openings(openings), regions,
                    learn_end, end)
    rng = random.Random(seed)
    bursts = []
    at = learn_end
    while at < end - 3_600_000:
        moment = at + rng.randrange(int(every_h * 3_600_000))
        bursts.append(sd.inject(sd.DEFAULT_SPIKE, baseline, sd.Openings(openings), regions, "SA-02", moment))
        at += int(every_h * 3_600_000)
    # how far the learnt normal is from the simulator's true rate, in Makkah, minute by minute
    truth = sd.TrueNormal(shares, rate)
    window_ms = int(sd.DEFAULT_SPIKE.window_s * 1000)
    ratios = sorted(truth.expected("SA-02", window_ms, now) / baseline.expected("SA-02", window_ms, now)
                    for now in range(learn_end, end, 60_000))
    judged = [b for b in bursts if not b.held_before]
    caught = sorted(b.delay_ms for b in judged if b.delay_ms is not None)
    needed = sorted(b.needed for b in bursts)

    def per_day(raises: list[tuple[int, str]]) -> list[int]:
        days = [0] * test_days
        for when, _region in raises:
            days[(when - learn_end) // DAY_MS] += 1
        return days

    per_region = {}
    for region in sorted(openings):
        in_test = openings[region][openings[region] >= learn_end]
        per_region[region] = {
            "openings_per_day": len(in_test) / test_days,
            "raises": sum(1 for _t, r in learnt.raises if r == region),
            "raises_true_normal": sum(1 for _t, r in true.raises if r == region),
            "open_min": learnt.open_ms.get(region, 0) / 60_000,
        }
    days_learnt, days_true = per_day(learnt.raises), per_day(true.raises)
    return {
        "rate": rate, "learn_days": learn_days, "test_days": test_days, "steps": learnt.steps,
        "openings_per_day": sum(len(t[t >= learn_end]) for t in openings.values()) / test_days,
        "raises": len(learnt.raises), "raises_per_day": len(learnt.raises) / test_days,
        "raises_day_max": max(days_learnt), "raises_days": days_learnt,
        "raises_true_normal": len(true.raises), "raises_true_per_day": len(true.raises) / test_days,
        "raises_true_day_max": max(days_true),
        "raises_when": Counter(_hour_of_week(t) for t, _r in learnt.raises).most_common(8),
        "raises_weekend_nights": sum(1 for t, _r in learnt.raises if _weekend_night(t)),
        "regions": per_region,
        "bursts": len(bursts), "bursts_judged": len(judged), "bursts_caught": len(caught),
        "burst_every_h": every_h,
        "burst_delay_p50_ms": percentile(caught, 50) if caught else None,
        "burst_delay_max_ms": caught[-1] if caught else None,
        "burst_needed_p50": percentile(needed, 50), "burst_needed_min": needed[0],
        "burst_needed_max": needed[-1],
        "makkah_true_over_learnt_p01": percentile(ratios, 1),
        "makkah_true_over_learnt_p99": percentile(ratios, 99),
        "makkah_true_over_learnt_max": ratios[-1],
        "makkah_minutes_over_10pct": sum(1 for r in ratios if r > 1.1) / len(ratios),
        "seconds": time.monotonic() - t0,
    }


def _weekend_night(ms: int) -> bool:
    """Thursday 20:00 to Saturday 04:00, Riyadh: the weekend's eves, where the simulator's rhythm has its
    day-and-hour bumps (``rhythm.INCIDENTS``)."""
    from app.alerts.spike import riyadh_time

    when = riyadh_time(ms)
    day, hour = when.weekday(), when.hour
    return (day == 3 and hour >= 20) or day == 4 or (day == 5 and hour < 4)


def scenario_check(world: Any, shares: dict[str, float], hours: int) -> dict[str, Any]:
    """The cheap openings against the simulator itself: ``hours`` of ``Scenario.advance`` at the demo's
    rate (incidents' first entries), and the model's draw over the same hours."""
    from app.simulation.scenario import Scenario

    from . import spike_days as sd

    start = SPIKE_START_MS + 12 * 3_600_000
    end = start + hours * 3_600_000
    lead = 15 * 60_000  # started earlier, so the calls before ``start`` open inside it as they would
    sim = Scenario(world, seed=7, start_ms=start - lead, rate=1.0, time_scale=10)
    seen: Counter[str] = Counter()
    t = start - lead
    while t < end:
        t += 60_000
        for stream, fields in sim.advance(min(t, end - 1)):
            if stream is Stream.incidents and fields["status"] == "new" and int(fields["ts"]) >= start:
                seen[fields["region"]] += 1
    model = {r: len(v) for r, v in sd.normal_openings(shares, 1.0, start, end, 4).items()}
    expected = sum(1.0 * shares[r] for r in shares) * float(
        sd.profile_factor(np.arange(start, end, 10_000)).mean()) * (end - start) / 1000
    chi2 = sum((seen.get(r, 0) - n * sum(seen.values()) / sum(model.values())) ** 2
               / max(1.0, n * sum(seen.values()) / sum(model.values())) for r, n in model.items())
    return {"check_hours": hours, "check_scenario": sum(seen.values()), "check_model": sum(model.values()),
            "check_expected": expected, "check_chi2": chi2, "check_regions": len(model),
            "check_by_region": {r: [seen.get(r, 0), model[r]] for r in sorted(model)}}


def spike_false_alarms(quick: bool) -> dict[str, Any]:
    from app.reference import Reference
    from app.simulation.scenario import DEFAULT_RATE
    from app.simulation.world import World

    from . import spike_days as sd

    settings = Settings()
    reference = Reference.from_settings(settings)
    world = World.from_reference(reference)
    shares = sd.region_shares(world, 10_000 if quick else 50_000, seed=1)
    test_days, every_h = (2, 6.0) if quick else (14, 2.0)
    out: dict[str, Any] = {"shares": shares, "share_draws": 10_000 if quick else 50_000}
    for name, rate in (("demo", settings.sim_rate), ("national", DEFAULT_RATE)):
        say(f"alerts: spike rule over {28 + test_days} simulated days at {rate:g} openings/s")
        figures = spike_rate(world, reference.regions, shares, rate, 28, test_days, every_h, seed=3)
        say(f"alerts: {figures['raises']} raises in {test_days} normal days "
            f"({figures['raises_per_day']:.2f}/day; with the true normal "
            f"{figures['raises_true_per_day']:.2f}/day); bursts caught "
            f"{figures['bursts_caught']}/{figures['bursts_judged']}")
        out[name] = figures
    if not quick:
        say("alerts: the cheap openings against Scenario.advance, 1 hour at 1/s")
        out |= scenario_check(world, shares, 1)
    return out


# --- 3. latency: XADD → the alert on the command view ------------------------------------------------

#: Installed in the command view once it has drawn: the time (Date.now(), at the animation frame after
#: it appeared) each alert (``article[data-alert]`` in the section ``#live-alerts``: the poller's fresh
#: box, where it shows an alert the moment it hears of it, or the drawn rows) was first in the page, and
#: whether it was on screen then (not folded behind "show all").
OBSERVE_ROWS = """
window.__alerts = {seen: {}, visible: {}};
var rows = document.getElementById('live-alerts');
function look(node) {
    if (!node || node.nodeType !== 1) { return; }
    var found = node.matches('article[data-alert]') ? [node]
        : Array.from(node.querySelectorAll('article[data-alert]'));
    found.forEach(function (e) {
        var id = e.getAttribute('data-alert');
        if (id in __alerts.seen) { return; }
        __alerts.seen[id] = -1;
        requestAnimationFrame(function () {
            __alerts.seen[id] = Date.now();
            __alerts.visible[id] = e.isConnected && e.getClientRects().length > 0;
        });
    });
}
Array.from(rows.children).forEach(look);
new MutationObserver(function (records) {
    records.forEach(function (r) { r.addedNodes.forEach(look); });
}).observe(rows, {childList: true, subtree: true});
return true;
"""
#: Injected before the page's own scripts: the times (Date.now()) of the alerts' version answers (with
#: the version) and of the section's redraw callbacks, request sent and answer received.
TIME_FETCHES = """
window.__alog = [];
window.__busy = {ms: 0, tasks: 0, since: Date.now()};
try {
    new PerformanceObserver(function (list) {
        list.getEntries().forEach(function (e) { __busy.ms += e.duration; __busy.tasks += 1; });
    }).observe({type: 'longtask', buffered: true});
} catch (e) { window.__busy = null; }
(function () {
    var original = window.fetch;
    window.fetch = function (input, init) {
        var url = typeof input === 'string' ? input : (input && input.url) || '';
        var body = init && typeof init.body === 'string' ? init.body : '';
        var redraw = url.indexOf('_dash-update-component') >= 0 && body.indexOf('live-alerts-rows') >= 0;
        var tag = url.indexOf('/api/v1/alerts/version') >= 0 ? 'version' : redraw ? 'redraw' : null;
        var promise = original.apply(this, arguments);
        if (!tag) { return promise; }
        var sent = Date.now();
        return promise.then(function (response) {
            var got = Date.now();
            if (tag === 'version') {
                response.clone().json().then(
                    function (b) { __alog.push(['version', sent, got, b && b.version]); }, function () {});
            } else {
                __alog.push(['redraw', sent, got, response.status]);
            }
            return response;
        });
    };
})();
"""
BUSY_RESET = "if (window.__busy) { __busy.ms = 0; __busy.tasks = 0; __busy.since = Date.now(); }"
BUSY = "return __busy && {ms: __busy.ms, tasks: __busy.tasks, span: Date.now() - __busy.since}"
HARAM = (39.8262, 21.4225)
OUTSIDE_HARAM = (39.8500, 21.4400)  # about 3 km north-east


def _background(client: Any, prefix: str, picture: Picture, stop: Any, positions_per_s: int,
                steps_per_s: float) -> None:
    """Producers in the background: the picture's churn every 250 ms until ``stop`` is set."""
    owed = 0.0
    while not stop.wait(0.25):
        owed += steps_per_s / 4
        steps, owed = int(owed), owed - int(owed)
        xadd_all(client, prefix, picture.churn(positions_per_s // 4, steps, int(time.time() * 1000)))


def latency(quick: bool) -> dict[str, Any]:
    """``XADD`` of an entry that makes a default rule's condition true → the alert's row drawn in the
    command view, with ``python -m app ingest``, ``python -m app alerts`` and the app under gunicorn."""
    import threading

    import redis
    from selenium.webdriver.common.by import By

    from .browser import chromium
    from .harness import Children, app_env, start_ingest, start_web, wait_until, wait_web

    samples, quiet_samples = (6, 2) if quick else (40, 10)
    n_inc, n_units = (500, 200) if quick else (2_000, 1_000)
    prefix = "bench"
    server = start_redis()
    stop = threading.Event()
    try:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        settings = Settings(redis_url=server.url, stream_prefix=prefix)
        store = Store.from_settings(settings)
        picture = Picture(n_inc, n_units, settings, steps_per_s=6)
        xadd_all(client, prefix, picture.initial(int(time.time() * 1000)))
        with Children() as children:
            env = app_env(server.url, prefix)
            start_ingest(children, server.url, prefix)
            worker = children.start("alerts", [sys.executable, "-m", "app", "alerts"], env)
            web = start_web(children, "web", "app:server", env)
            wait_web(web)
            # 100 positions and 6 incident steps a second: a new incident waits ~50 s for its unit, so the
            # background raises no `p1-unassigned` of its own (its severe alerts would fold the probes')
            feeder = threading.Thread(target=_background, args=(client, prefix, picture, stop, 100, 6),
                                      daemon=True)
            feeder.start()
            with chromium() as driver:
                driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TIME_FETCHES})
                driver.get(web.url + "/?lang=en")
                head = "var e = document.querySelector('#live-alerts-head b'); return e && e.dataset.value"
                wait_until(lambda: driver.execute_script(head) is not None, 90, every=0.2,
                           what="the command view's alerts section")
                wait_until(lambda: driver.find_elements(By.ID, "live-alerts-rows"), 30, what="the rows")
                driver.execute_script(OBSERVE_ROWS)
                say(f"alerts: command view up at {web.url}; {samples} probes")
                rng = random.Random(7)
                rows: list[dict[str, Any]] = []
                for n in range(samples):
                    kind = ("p1-unassigned", "haram-unit")[n % 2]
                    rows.append(_probe(driver, client, store, prefix, kind, n, rng))
                    say(f"  alert probe {n + 1}/{samples} ({kind}): " + (
                        f"{rows[-1]['total_ms']:,.0f} ms (raised after {rows[-1]['raised_ms']:,.0f} ms)"
                        if rows[-1]["total_ms"] is not None else "missed"))
                log = driver.execute_script("return __alog")
                busy = driver.execute_script(BUSY)
                # the control: the same probes with the producers stopped (a page with little to draw)
                stop.set()
                feeder.join()
                time.sleep(3)
                driver.execute_script(BUSY_RESET)
                quiet = [_probe(driver, client, store, prefix, ("p1-unassigned", "haram-unit")[n % 2],
                                samples + n, rng) for n in range(quiet_samples)]
                quiet_busy = driver.execute_script(BUSY)
                say("alerts: with the producers stopped: " + ", ".join(
                    f"{r['total_ms']:,.0f} ms" if r["total_ms"] is not None else "missed" for r in quiet))
                if not worker.alive():
                    raise RuntimeError(f"the alerts worker died:\n{worker.tail()}")
        stop.set()
        drawn = [r["total_ms"] for r in rows if r["total_ms"] is not None]
        raised = [r["raised_ms"] for r in rows if r["raised_ms"] is not None]
        shown = [r["shown_ms"] for r in rows if r["shown_ms"] is not None]
        return {
            "latency_samples": samples, "latency_drawn": len(drawn), "latency_missed": samples - len(drawn),
            "latency_hidden": sum(1 for r in rows if r["total_ms"] is not None and not r["visible"]),
            "latency_p50_ms": percentile(drawn, 50), "latency_p95_ms": percentile(drawn, 95),
            "latency_max_ms": max(drawn) if drawn else None,
            "raised_p50_ms": percentile(raised, 50), "raised_p95_ms": percentile(raised, 95),
            "raised_max_ms": max(raised) if raised else None,
            "shown_p50_ms": percentile(shown, 50), "shown_p95_ms": percentile(shown, 95),
            "shown_max_ms": max(shown) if shown else None,
            "by_kind": {k: {"p50_ms": percentile([r["total_ms"] for r in rows if r["kind"] == k
                                                  and r["total_ms"] is not None], 50),
                            "max_ms": max([r["total_ms"] for r in rows if r["kind"] == k
                                           and r["total_ms"] is not None], default=None)}
                        for k in ("p1-unassigned", "haram-unit")},
            "latency_background": {"incidents": n_inc, "units": n_units, "positions_per_s": 100,
                                   "incident_steps_per_s": 6},
            "latency_rows": rows,
            **_fetch_figures(log),
            **{f"seg_{name}_p50_ms": percentile([r[f"{name}_at"] for r in rows if r.get(f"{name}_at")], 50)
               for name in ("version", "redraw_sent", "redraw_answered")},
            "quiet_samples": quiet_samples,
            "quiet_p50_ms": percentile([r["total_ms"] for r in quiet if r["total_ms"] is not None], 50),
            "quiet_max_ms": max([r["total_ms"] for r in quiet if r["total_ms"] is not None], default=None),
            "quiet_raised_p50_ms": percentile([r["raised_ms"] for r in quiet if r["raised_ms"]], 50),
            "quiet_busy_share": quiet_busy["ms"] / quiet_busy["span"] if quiet_busy else None,
            "quiet_rows": quiet,
            "page_long_tasks": busy["tasks"] if busy else None,
            "page_busy_share": busy["ms"] / busy["span"] if busy else None,
        }
    finally:
        stop.set()
        server.stop()


def _fetch_figures(log: list[list[Any]]) -> dict[str, Any]:
    """How the page's version polls and redraws went over the whole run."""
    versions = [e for e in log if e[0] == "version"]
    redraws = [e for e in log if e[0] == "redraw"]
    gaps = [b[1] - a[2] for a, b in zip(versions, versions[1:], strict=False)]
    return {
        "version_polls": len(versions),
        "version_ask_p50_ms": percentile([e[2] - e[1] for e in versions], 50),
        "version_ask_p95_ms": percentile([e[2] - e[1] for e in versions], 95),
        "version_gap_p50_ms": percentile(gaps, 50), "version_gap_p95_ms": percentile(gaps, 95),
        "redraws": len(redraws),
        "redraw_ask_p50_ms": percentile([e[2] - e[1] for e in redraws], 50),
        "redraw_ask_p95_ms": percentile([e[2] - e[1] for e in redraws], 95),
    }


def _segments(log: list[list[Any]], raised: float, seen: float) -> dict[str, Any]:
    """From the page's fetch log: the first version answer after the raise that carried a new version,
    the redraw asked after it, and its answer (absolute times; ``_probe`` makes them relative)."""
    versions = [e for e in log if e[0] == "version"]
    before = [e[3] for e in versions if e[2] < raised]
    last = before[-1] if before else None
    moved = next((e for e in versions if e[2] >= raised and e[3] != last), None)
    redraw = next((e for e in log if e[0] == "redraw" and moved and moved[2] - 1 <= e[1] <= seen), None)
    return {"version_at": moved[2] if moved else None, "redraw_sent_at": redraw[1] if redraw else None,
            "redraw_answered_at": redraw[2] if redraw else None,
            "redraws_between": sum(1 for e in log if e[0] == "redraw" and raised - 2000 <= e[1] <= seen)}


def _probe(driver: Any, client: Any, store: Store, prefix: str, kind: str, n: int,
           rng: random.Random) -> dict[str, Any]:
    """One sample: the triggering entry, its alert raised (found in the store's conditions), its row
    drawn (the page's observer); then the condition ended (the incident closed, the unit driven out) and
    its alert resolved before the next."""
    from .harness import wait_until

    if kind == "haram-unit":
        unit_id = f"PROBE-U-{n:03d}"
        key = f"guarded-zones:haram-makkah:unit:{unit_id}"
        fields = {"id": unit_id, "agency": "patrol", "status": "available", "heading": "0", "speed": "40"}
        outside = {"lon": _fmt(OUTSIDE_HARAM[0]), "lat": _fmt(OUTSIDE_HARAM[1])}
        client.xadd(Stream.units.key(prefix), {**fields, **outside, "ts": str(int(time.time() * 1000))})
        time.sleep(1.0 + rng.uniform(0, 1))  # outside first: the next position enters the zone
        sent = time.time() * 1000
        client.xadd(Stream.units.key(prefix), {**fields, "lon": _fmt(HARAM[0]), "lat": _fmt(HARAM[1]),
                                                "ts": str(int(sent))})
        end = (Stream.units, {**fields, **outside})
    else:
        incident_id = f"PROBE-P1-{n:03d}"
        key = f"p1-unassigned:{incident_id}"
        fields = {"id": incident_id, "status": "new", "agency": "civil_defense", "category": "fire",
                  "priority": "1", "lat": "24.71000", "lon": "46.67500", "description": "benchmark probe"}
        time.sleep(0.3 + rng.uniform(0, 1))  # anywhere in the worker's and the poller's cycles
        sent = time.time() * 1000
        client.xadd(Stream.incidents.key(prefix), {**fields, "ts": str(int(sent) - 61_000)})  # 61 s ago
        end = (Stream.incidents, {**fields, "status": "closed"})
    row: dict[str, Any] = {"kind": kind, "key": key, "total_ms": None, "raised_ms": None, "shown_ms": None,
                           "visible": None, "alert": None}
    try:
        alert_id = wait_until(lambda: store.alerts.conditions().get(key), 20, every=0.01, what=key)
        row["raised_ms"] = time.time() * 1000 - sent
        row["alert"] = alert_id
        seen = wait_until(lambda: driver.execute_script(
            "var s = __alerts.seen[arguments[0]]; return s > 0 ? [s, __alerts.visible[arguments[0]]] : null",
            alert_id), 20, every=0.02, what=f"{alert_id} on the page")
        row["total_ms"] = float(seen[0]) - sent
        row["shown_ms"] = row["total_ms"] - row["raised_ms"]
        row["visible"] = bool(seen[1])
        row |= _segments(driver.execute_script("return __alog"), sent + row["raised_ms"], float(seen[0]))
        row = {k: (v - sent if k.endswith("_at") and v is not None else v) for k, v in row.items()}
    except TimeoutError:
        pass
    stream, fields = end
    client.xadd(stream.key(prefix), {**fields, "ts": str(int(time.time() * 1000))})
    wait_until(lambda: key not in store.alerts.conditions(), 15, every=0.05, what=f"{key} cleared")
    return row


# --- the record -----------------------------------------------------------------------------------------


def _ms(v: float | None) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.0f} ms"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0%}"


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def section(f: dict[str, Any]) -> list[str]:
    """The "Alerts" section of docs/benchmarks.md."""
    sp, demo, nat = f["spike"], f["spike"]["demo"], f["spike"]["national"]
    rows = [
        (f"Rules per tick, steady: {f['tick_incidents']:,} open incidents, {f['tick_units']:,} units, "
         f"{f['tick_rules']} rules", f"p50 {f['steady_p50_ms']:.1f} ms, p95 {f['steady_p95_ms']:.1f} ms, "
         f"max {f['steady_max_ms']:.1f} ms of CPU ({f['steady_ticks']} ticks)", "≤ 50 ms of CPU (p95)",
         _met(f["steady_p95_ms"] <= TICK_TARGET_MS)),
        ("The first tick (reads everything)", f"{f['first_cpu_ms']:,.0f} ms of CPU (the read "
         f"{f['first_read_ms']:,.0f} ms; {f['first_raised']} raised)", "—", "—"),
        (f"A tick that raises many ({f['burst_incidents']} P1 incidents waiting at once)",
         f"{f['burst_cpu_ms']:,.0f} ms of CPU ({f['burst_raised']} raised)", "—", "—"),
        ("Alert latency, `XADD` → the alert on the command view",
         f"p50 {_ms(f['latency_p50_ms'])}, p95 {_ms(f['latency_p95_ms'])}, max {_ms(f['latency_max_ms'])} "
         f"({f['latency_drawn']} of {f['latency_samples']} drawn)", "p95 ≤ 1,000 ms",
         _met(f["latency_p95_ms"] <= LATENCY_TARGET_MS and not f["latency_missed"])),
        (f"Spike rule, false alarms on normal days, national volume ({nat['openings_per_day']:,.0f} "
         "incidents a day)", f"{nat['raises_per_day']:.2f} a day nationally (most in a day "
         f"{nat['raises_day_max']}; {nat['test_days']} days)", "stated: ≤ 2 a day (tested)",
         _met(nat["raises_per_day"] <= 2)),
        (f"… at the demo's volume ({demo['openings_per_day']:,.0f} a day)",
         f"{demo['raises_per_day']:.2f} a day (most in a day {demo['raises_day_max']}; "
         f"{demo['test_days']} days)", "—", "—"),
        ("Spike rule, +60 incidents in 30 s in Makkah, raised within a minute",
         f"national volume {nat['bursts_caught']}/{nat['bursts_judged']} (p50 "
         f"{nat['burst_delay_p50_ms'] / 1000:.1f} s); demo's volume {demo['bursts_caught']}/"
         f"{demo['bursts_judged']}", "every one", _met(nat["bursts_caught"] == nat["bursts_judged"])),
    ]
    lat = f
    lines = [HEADING, "",
             f"Written by `make bench` (`python -m benchmarks.alerts`), {f['date']} ({f['total_s']:,.0f} s), "
             f"on {f['machine']['cores']} cores, load average {f['machine']['load'][0]:.2f} at the start"
             + (f" and {f['machine']['load_end'][0]:.2f} at the end" if "load_end" in f["machine"] else "")
             + " (the machine is shared: other people's tests run beside the suite; the latency, measured "
             "in Chromium, moves most with it).", "",
             "| metric | measured | target | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    kinds = ", ".join(f"{k} {v}" for k, v in f["tick_kinds"].items())
    lines += [
        "",
        f"- **Rules per tick**: a private Redis; {f['tick_incidents']:,} open incidents in every region, "
        "agency, category and priority (5 % waiting for a unit, 55 % dispatched, 40 % on scene, each "
        f"with its life so far) and {f['tick_units']:,} units, written as producers write them and "
        f"applied by the ingest worker; {f['tick_rules']} rules from a generated TOML ({kinds}; scopes "
        "by region groups, agencies, categories and priorities; geofences on circles of 300–1,500 m "
        "around the 14 largest towns, the Haram and the Prophet's Mosque, and one `outside` rule), the "
        "spike rules judged by a normal learnt from four simulated weeks. After the first tick and the "
        f"ticks that raise what the picture holds ({f['warm_raised']} alerts in {f['warm_ticks']} ticks, "
        f"{f['open_alerts']} open), {f['steady_ticks']} ticks 250 ms apart, each after "
        f"{f['churn_positions_per_s'] // 4} unit positions and {f['churn_steps_per_s'] // 4} incident "
        "steps (500 and 20 a second: incidents move on first in, first out) applied by the ingest "
        "worker, not counted. The figure is `TickReport.cpu_ms`, the worker process's CPU over the tick "
        f"(read the changes, evaluate, raise, clear, escalate); over the steady ticks it raised "
        f"{f['steady_raised']} and cleared {f['steady_cleared']}. Every 5 s a tick also goes over every open "
        f"alert for escalation (`AlertWorker._escalate`, one record read and parsed each): those "
        f"{f['escalation_ticks']} ticks took p50 {f['escalation_p50_ms']:.1f} ms, max "
        f"{f['escalation_max_ms']:.1f} ms; the others p95 {f['other_p95_ms']:.1f} ms, max "
        f"{f['other_max_ms']:.1f} ms. The three slowest: " + "; ".join(
            f"{t['cpu_ms']:.0f} ms ({t['changed']} changes read, {t['raised']} raised, {t['cleared']} "
            "cleared, "
            f"{'over the open alerts, ' if t['escalation'] else ''}garbage collector {t['gc_ms']:.0f} ms)"
            for t in f["steady_slowest"][:3]) + f"; a median tick read {f['steady_changed_p50']:.0f}. "
        "Redis's own CPU per tick besides: "
        f"p50 {f['redis_cpu_p50_ms']:.1f} ms, p95 {f['redis_cpu_p95_ms']:.1f} ms. The first tick reads "
        "every incident, unit and recent opening; the burst tick follows 400 priority-1 incidents opened "
        "two minutes ago with no unit (each unassigned rule raises at most 50 a tick).",
        f"- **Alert latency**: {lat['latency_samples']} probes, alternately a priority-1 incident written "
        "as opened 61 s ago with no unit (the default `p1-unassigned`) and a unit driving into the Haram "
        "(the default `guarded-zones`), each after a random pause, then ended (the incident closed, the "
        "unit out) and its alert resolved before the next. Running as deployed: a private Redis, "
        "`python -m app ingest`, `python -m app alerts` (tick 250 ms), the app under gunicorn (2 workers "
        f"× 4 threads), the command view `/` in headless Chromium, and producers in the background "
        f"({lat['latency_background']['incidents']:,} incidents, {lat['latency_background']['units']:,} "
        "units; 100 positions and 6 incident steps a second). From the `XADD` (the suite's clock) to the "
        "animation frame after the alert (`article[data-alert]` in `#live-alerts`: the poller's fresh box, "
        "filled from the version's answer, or the drawn rows) entered the page "
        f"(the page's clock: one machine); {lat['latency_hidden']} of the rows were folded behind "
        "\"show all\" when they came.",
        f"  Where the time goes (medians): the alert was raised {_ms(lat['raised_p50_ms'])} after the "
        f"`XADD` (p95 {_ms(lat['raised_p95_ms'])}: ingest, the wait for the worker's next tick, the tick) "
        f"and drawn {_ms(lat['shown_p50_ms'])} after that (p95 {_ms(lat['shown_p95_ms'])}). In the page, "
        f"the version poll asked again {_ms(lat['version_gap_p50_ms'])} after each answer (p95 "
        f"{_ms(lat['version_gap_p95_ms'])}) where it means 250 ms — a timer waits while the main thread "
        f"is busy, and long tasks (over 50 ms each) held it {_pct(lat['page_busy_share'])} of the run — "
        f"and each ask took {_ms(lat['version_ask_p50_ms'])} (p95 {_ms(lat['version_ask_p95_ms'])}); the "
        f"section's redraw callback took {_ms(lat['redraw_ask_p50_ms'])} (p95 "
        f"{_ms(lat['redraw_ask_p95_ms'])}). Per probe (medians, from the `XADD`): version answer "
        f"{_ms(lat['seg_version_p50_ms'])}, redraw asked {_ms(lat['seg_redraw_sent_p50_ms'])}, answered "
        f"{_ms(lat['seg_redraw_answered_p50_ms'])}, drawn {_ms(lat['latency_p50_ms'])}. The control: "
        f"{lat['quiet_samples']} more probes with the producers stopped (the page has nothing else to "
        f"draw; long tasks {_pct(lat['quiet_busy_share'])} of the time): p50 {_ms(lat['quiet_p50_ms'])}, "
        f"max {_ms(lat['quiet_max_ms'])} (raised after {_ms(lat['quiet_raised_p50_ms'])}).",
        "- **Spike false alarms**: the default `region-spike` rule (window 900 s, alpha 1e-4, clear_alpha "
        "0.05, min_count 5, min_gap 300 s) slid minute by minute over simulated normal days, its normal "
        "learnt by `spike.learn` from the 28 days before; details in docs/alerts.md "
        "(\"The spike statistic: false alarms measured\").",
    ]
    if "check_scenario" in sp:
        lines[-1] += (f" The cheap openings were checked against the simulator itself: "
                      f"{sp['check_hours']} h of `Scenario.advance` at 1/s opened {sp['check_scenario']:,} "
                      f"incidents, the model drew {sp['check_model']:,} (its rate says "
                      f"{sp['check_expected']:,.0f}); χ² of the regions' split {sp['check_chi2']:.1f} on "
                      f"{sp['check_regions'] - 1} degrees of freedom.")
    return lines


def alerts_doc(f: dict[str, Any]) -> list[str]:
    """The section of docs/alerts.md: the spike rule's false alarms on the simulator's normal days."""
    sp = f["spike"]
    demo, nat = sp["demo"], sp["national"]
    lines = [ALERTS_HEADING, "",
             f"Measured by `make bench` (`python -m benchmarks.alerts`, {f['date']}; figures in "
             "`benchmarks/alerts.json`). The simulator's normal incident openings — its own model "
             "(`rhythm.INCIDENTS`, the thinning, the answer and opening delays, each region's share from its "
             "own location code; `benchmarks/spike_days.py`) — for 28 days, the normal learnt from them "
             f"exactly as `spike.learn` learns it, then {nat['test_days']} more normal days with the default "
             "`region-spike` rule (window 900 s, alpha 1e-4, clear_alpha 0.05, min_count 5, min_gap 300 s) "
             "judged every minute by `evaluate.spike` itself, raising and clearing as the worker does. "
             "Beside it, the same rule judged by the simulator's true rate (what a perfect normal would "
             "say): the false alarms of the Poisson test itself.", "",
             "| volume | incidents a day | false alarms a day, nationally (most in one day) | with the true "
             "rate as the normal | +60 in 30 s in Makkah raised within a minute |",
             "| --- | --- | --- | --- | --- |"]
    volumes = (("national (the simulator's default, 0.1/s)", nat),
               ("the demo's (`BASIRA_SIM_RATE`, 1/s)", demo))
    for name, x in volumes:
        caught = (f"{x['bursts_caught']} of {x['bursts_judged']}"
                  + (f" (after {x['burst_delay_p50_ms'] / 1000:.1f} s median, "
                     f"{x['burst_delay_max_ms'] / 1000:.1f} s at most)" if x["bursts_caught"] else ""))
        lines.append(f"| {name} | {x['openings_per_day']:,.0f} | {x['raises_per_day']:.2f} "
                     f"({x['raises_day_max']}) | {x['raises_true_per_day']:.2f} ({x['raises_true_day_max']}) "
                     f"| {caught} |")
    lines += ["", "By region, false alarms over the days judged (learnt normal; true rate):", "",
              "| region | incidents a day (national / demo) | national volume | demo's volume |",
              "| --- | --- | --- | --- |"]
    for region in nat["regions"]:
        a, b = nat["regions"][region], demo["regions"][region]
        lines.append(f"| {region} | {a['openings_per_day']:,.0f} / {b['openings_per_day']:,.0f} | "
                     f"{a['raises']}; {a['raises_true_normal']} | {b['raises']}; {b['raises_true_normal']} |")
    when = ", ".join(f"{w} ({n})" for w, n in demo["raises_when"][:5])
    mu_demo = demo["regions"]["SA-02"]["openings_per_day"] / 96
    every = ("every one" if nat["bursts_caught"] == nat["bursts_judged"]
             else f"{nat['bursts_caught']} of {nat['bursts_judged']}")
    mu_nat = nat["regions"]["SA-02"]["openings_per_day"] / 96
    lines += [
        "",
        f"**What it says.** At the national volume the rule raised {nat['raises_per_day']:.2f} false alarms "
        f"a day across the 13 regions ({nat['raises']} in {nat['test_days']} days; "
        f"{nat['raises_true_per_day']:.2f} a day with the true rate); `tests/test_alerts_spike.py` holds it "
        "to at most two a day on a simulated week. At the demo's volume, ten times the incidents, it raised "
        f"{demo['raises_per_day']:.1f} a day ({demo['raises_weekend_nights']} of {demo['raises']} between "
        f"Thursday 20:00 and Saturday 04:00; the busiest hours: {when}), against "
        f"{demo['raises_true_per_day']:.2f} a day with the true rate — the excess is the learnt normal's "
        "shape, not the test. The simulator's week has day-and-hour bumps (Thursday and Friday evenings "
        "×1.2, Friday and Saturday small hours ×1.3, Friday morning ×0.65) that an hour-of-day × weekday "
        "product cannot hold, and its rate slides between whole hours while the normal steps at them: in "
        f"Makkah the true rate was more than 10 % above the learnt normal in "
        f"{demo['makkah_minutes_over_10pct'] * 100:.0f} % of the minutes judged (at most "
        f"{(demo['makkah_true_over_learnt_max'] - 1) * 100:.0f} % above; 1st–99th percentile of true/learnt "
        f"{demo['makkah_true_over_learnt_p01']:.2f}–{demo['makkah_true_over_learnt_p99']:.2f}). With "
        f"~{mu_demo:,.0f} incidents in Makkah's 15 minutes (on average), 10 % is "
        f"{0.1 * math.sqrt(mu_demo):.1f} standard deviations of a Poisson count and 20 % "
        f"{0.2 * math.sqrt(mu_demo):.1f}, enough with the count's own noise to cross alpha; with "
        f"~{mu_nat:,.0f} (the national volume) 20 % is {0.2 * math.sqrt(mu_nat):.1f}.",
        "",
        f"**Bursts.** 60 incidents over 30 s (as `python -m app drill spike` writes them) were added in "
        f"Makkah at {nat['bursts']} moments over the days judged (one in every {nat['burst_every_h']:g} "
        "hours, at a random minute; left out, a burst that began while Makkah was already alerted: "
        f"{nat['bursts'] - nat['bursts_judged']} and {demo['bursts'] - demo['bursts_judged']}). At the "
        f"national volume {every} was raised, {nat['burst_delay_p50_ms'] / 1000:.1f} s after its first "
        "incident (median; the rule judged every 250 ms, as the worker ticks); the smallest burst that "
        f"would have been raised was {nat['burst_needed_p50']:.0f} incidents (median; "
        f"{nat['burst_needed_min']}–{nat['burst_needed_max']}). At the demo's volume Makkah's 15-minute "
        f"normal is ~{mu_demo:,.0f} incidents and 60 more is often within alpha: "
        f"{demo['bursts_caught']} of {demo['bursts_judged']} were raised within a minute; the smallest "
        f"burst raised would have been {demo['burst_needed_p50']:.0f} (median; "
        f"{demo['burst_needed_min']}–{demo['burst_needed_max']}).",
    ]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.alerts", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small scale, figures to artifacts/ only")
    parser.add_argument("--only", choices=["tick", "spike", "latency"],
                        help="one part (a trial: prints its figures, writes nothing)")
    parser.add_argument("--profile", type=Path, help="cProfile the steady ticks into this file")
    args = parser.parse_args(argv)
    started, load = time.monotonic(), list(os.getloadavg())
    figures: dict[str, Any] = {}
    if args.only in (None, "spike"):
        figures["spike"] = spike_false_alarms(args.quick)
    if args.only in (None, "tick"):
        figures |= tick_cpu(args.quick, args.profile)
    if args.only in (None, "latency"):
        figures |= latency(args.quick)
    figures["machine"] = {"cores": os.cpu_count() or 0, "load": load, "load_end": list(os.getloadavg())}
    figures["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    figures["total_s"] = time.monotonic() - started
    if args.only:
        print(json.dumps(figures, indent=2, default=str))
        return
    if args.quick:
        out = ROOT / "artifacts" / "bench-alerts-quick.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(figures, indent=2, default=str))
        say(f"wrote {out.relative_to(ROOT)} (quick: the record is left alone)")
        return
    RESULTS.write_text(json.dumps(figures, indent=2, default=str))
    replace_section(DOC, HEADING, section(figures), before="## Soak")
    replace_section(ALERTS_DOC, ALERTS_HEADING, alerts_doc(figures))
    say(f"wrote {RESULTS.relative_to(ROOT)}, {DOC.relative_to(ROOT)} and {ALERTS_DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
