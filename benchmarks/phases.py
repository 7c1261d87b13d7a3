"""The suite's three phases, each on a clean database of the suite's own Redis.

1. **Ingest** — the simulator's entries drained by one ``python -m app ingest`` process and by a
   raw consumer (:mod:`.ingest`); nothing else runs meanwhile. Then the outside view (issue 17,
   :mod:`.outside`): incidents only, units only and the mix, each written by ``redis-benchmark`` and
   drained by one ingest process and by the bare consumer.
2. **Live load** — ``live_incidents`` open incidents and ``live_units`` units, a loader writing
   ``load_rate`` changes a second, one ingest process, Basira and the baseline each under gunicorn.
   In Chromium, each page in turn: probes timed from ``XADD`` to drawn, and the callback bytes
   received meanwhile (:mod:`.browser`); then, the load still running, the page's CPU over
   ``cpu_seconds`` (every Chromium process, and the main thread's tasks by kind) and, for Basira, a
   V8 sampling profile of where its JavaScript time goes. Then ``clients`` clients replaying each
   page's refresh (:mod:`.clients`); the server they leave with a queue is replaced by a fresh one.
3. **Large picture** — a sample of a day's history, then ``big_incidents`` open incidents: first
   render and zoom steps in Chromium, Redis memory extrapolated to 24 h, web-worker RSS
   (:mod:`.memory`).

A page that never draws its data is a finding, not the end of the run: it is said, its figures
stay unmeasured, and the run goes on.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field

import redis
import requests
from selenium.webdriver import Chrome

from app.contract import Stream
from app.settings import Settings

from . import browser, clients, ingest, memory, outside
from .browser import FEED_PATH
from .flames import Flames, drain_recorded
from .harness import (
    GUNICORN_WORKERS,
    Children,
    WebServer,
    app_env,
    applied,
    percentile,
    say,
    start_ingest,
    start_web,
    timed,
    wait_until,
    wait_web,
)
from .load import Entry, Operations, probe_ids, probe_spots, xadd_all

PREFIX = "bench"
#: gunicorn targets of the two apps.
TARGETS = {"basira": "app:server", "baseline": "benchmarks.baseline_app:server"}
RIYADH = (24.69, 46.72)
#: A page that has not drawn the large picture by then is recorded as "more than this".
RENDER_TIMEOUT_S = 120.0
#: Functions of Basira's JavaScript profile kept (self time, the largest first).
JS_TOP = 10
#: Chrome's main-thread metrics (:data:`browser.CPU_METRICS`) by their results key.
MAIN_THREAD = {"TaskDuration": "task", "ScriptDuration": "script", "LayoutDuration": "layout",
               "RecalcStyleDuration": "style"}
#: Results key of a function's self time in Basira's JavaScript profile (``cpu_js_self_ms:<name>``).
JS_SELF = "cpu_js_self_ms:"


@dataclass(frozen=True)
class Plan:
    """The scale of one run (``--plan FIELD=VALUE`` changes a field)."""

    quick: bool = False
    ingest_entries: int = 150_000
    ingest_rounds: int = 2
    #: Entries per shape of the outside view (issue 17: incidents only, units only, the mix; written by
    #: redis-benchmark); 0 leaves it out. Its rounds are ``ingest_rounds``.
    outside_entries: int = 200_000
    live_incidents: int = 10_000
    live_units: int = 2_000
    load_rate: float = 1_000.0
    probes: int = 16
    warmup_s: float = 2.0  # refreshes under load before the first probe
    clients: int = 100
    client_seconds: float = 15.0
    #: The page's CPU is measured over this long, after its probes (and Basira's JavaScript profiled
    #: over as long again, a window of its own).
    cpu_seconds: float = 15.0
    big_incidents: int = 100_000
    history_hours: float = 1.0
    zooms: tuple[float, ...] = (6, 7, 8, 9)
    rss_requests: int = 4


@contextmanager
def unless_timeout(name: str) -> Iterator[None]:
    try:
        yield
    except TimeoutError as error:
        say(f"{name}: {error}")


def _key(name: str) -> str:
    """The results key prefix of an app's figures: Basira's are bare, the baseline's prefixed."""
    return "" if name == "basira" else "baseline_"


def seed(client: redis.Redis, prefix: str, ops: Operations, timeout: float) -> None:
    """Write the picture of ``ops`` under ``prefix`` and wait until the ingest worker has applied it."""
    before = applied(client, prefix)
    entries = ops.initial(int(time.time() * 1000))
    xadd_all(client, prefix, entries)
    wait_until(lambda: applied(client, prefix) >= before + len(entries), timeout, every=0.1,
               what=f"{len(entries):,} seeded entries to be applied")


@dataclass
class Run:
    """One run of the suite: its plan, processes, store, browser and figures."""

    plan: Plan
    children: Children
    url: str
    client: redis.Redis
    driver: Chrome | None
    out: dict[str, float] = field(default_factory=dict)
    servers: dict[str, WebServer] = field(default_factory=dict)
    #: The request body of each page's refresh callback, as Chrome sent it (for the replays).
    bodies: dict[str, str] = field(default_factory=dict)
    #: py-spy's flame graphs of the ingest worker and of a web worker (``--flames``), else none.
    flame: Flames | None = None

    # -- helpers ---------------------------------------------------------------------------------

    def seed(self, ops: Operations, timeout: float) -> None:
        """Write the picture of ``ops`` and wait until the ingest worker has applied it."""
        seed(self.client, PREFIX, ops, timeout)

    def start_servers(self) -> list[str]:
        """Start whichever of the two apps is not running; the names started."""
        started = [name for name in TARGETS if name not in self.servers]
        for name in started:
            env = app_env(self.url, PREFIX)
            self.servers[name] = start_web(self.children, f"{name}-web", TARGETS[name], env)
        return started

    def wait_servers(self, started: list[str]) -> None:
        if started:
            with timed(f"starting gunicorn ({' and '.join(started)}, {GUNICORN_WORKERS} workers each)"):
                for name in started:
                    wait_web(self.servers[name])

    # -- 1. ingest --------------------------------------------------------------------------------

    def ingest(self) -> None:
        plan = self.plan
        with timed("ingest throughput"):
            say(f"ingest: generating {plan.ingest_entries:,} simulator entries")
            entries = ingest.scenario_entries(plan.ingest_entries)
            result = ingest.throughput(self.children, self.url, self.client, entries, plan.ingest_rounds)
        self.out.update(
            ingest=result.basira.rate, ingest_raw=result.raw.rate,
            ingest_process_us=result.basira.process_us, ingest_redis_us=result.basira.redis_us,
            ingest_raw_process_us=result.raw.process_us, ingest_raw_redis_us=result.raw.redis_us,
        )  # fmt: skip
        if self.flame is not None:
            self.flame_ingest(entries)
        if plan.outside_entries > 0:
            self.outside(outside.shares(entries))

    def flame_ingest(self, entries: list[Entry]) -> None:
        """The ingest worker's flame graph (:mod:`.flames`): a drain of the same entries of its own,
        recorded by py-spy, so that the measured rounds ran unprofiled."""
        assert self.flame is not None
        prefix, total = "bflame", len(entries)
        self.client.flushdb()
        xadd_all(self.client, prefix, entries)
        with timed(f"ingest: py-spy flame graph of a drain of {total:,} entries"):
            worker = start_ingest(self.children, self.url, prefix, name="ingest-flame")

            def done() -> int:
                if not worker.alive():
                    raise RuntimeError(f"{worker.name} exited:\n{worker.tail()}")
                return applied(self.client, prefix)

            drain_recorded(self.flame, worker.pid, done, total, timeout=600)
            self.children.stop(worker)
        self.client.flushdb()

    def outside(self, mix: dict[Stream, float]) -> None:
        """Issue 17's outside view: each input shape written by an external producer, drained by one
        ingest process and by the bare consumer (:mod:`.outside`); the mix in ``mix``'s proportions."""
        plan = self.plan
        load_start, started = os.getloadavg()[0], time.time()
        with timed("ingest by shape, outside view"):
            say(f"ingest, outside view: {', '.join(outside.SHAPES)}, ~{plan.outside_entries:,} entries each")
            results = outside.measure_all(self.children, self.url, self.client, plan.outside_entries,
                                          plan.ingest_rounds, mix)
        self.out.update(outside.figures(results))
        self.out.update({f"ingest_outside_mix_share_{s.value}": share for s, share in mix.items()})
        self.out.update(ingest_outside_started=started, ingest_outside_seconds=time.time() - started,
                        ingest_outside_load_start=load_start, ingest_outside_load_end=os.getloadavg()[0])

    # -- 2. live load ----------------------------------------------------------------------------

    def live(self) -> None:
        plan = self.plan
        self.client.flushdb()
        worker = start_ingest(self.children, self.url, PREFIX)
        started = self.start_servers()
        with timed(f"seeding {plan.live_incidents:,} incidents and {plan.live_units:,} units"):
            self.seed(Operations(plan.live_incidents, plan.live_units, seed=11), timeout=300)
        self.wait_servers(started)
        loader = self.children.start("loader", [
            sys.executable, "-m", "benchmarks.load", "--url", self.url, "--prefix", PREFIX, "--seed", "11",
            "--incidents", str(plan.live_incidents), "--units", str(plan.live_units),
            "--rate", str(plan.load_rate),
        ])  # fmt: skip
        if self.driver is not None:
            spots, ids = probe_spots(), probe_ids("BENCH-PROBE")
            for name, ready in (("basira", browser.leaflet_ready), ("baseline", browser.plotly_ready)):
                self.end_to_end(name, ready, spots, ids)
        for name in list(self.bodies):
            self.replay(name)
        self.children.stop(loader)
        self.children.stop(worker)

    def end_to_end(self, name: str, ready: browser.Ready, spots: list[tuple[float, float]],
                   ids: Iterator[str]) -> None:  # fmt: skip
        plan, key, driver = self.plan, _key(name), self.driver
        assert driver is not None
        self.out[f"{key}e2e_missed"] = plan.probes  # until measured
        with timed(f"{name}: end to end under {plan.load_rate:,.0f} entries/s"), unless_timeout(name):
            browser.open_page(driver, self.servers[name].url + "/", ready, timeout=180)
            time.sleep(plan.warmup_s)
            e2e = browser.end_to_end(driver, self.client, PREFIX, spots, ids, plan.probes, name)
            self.out.update({
                f"{key}e2e_p95": e2e.p95, f"{key}e2e_p50": e2e.p50, f"{key}e2e_missed": e2e.missed,
                f"{key}wire": e2e.bytes_per_s, f"{key}wire_per_response": e2e.bytes_per_response,
            })  # fmt: skip
            if e2e.replay_body:
                self.bodies[name] = e2e.replay_body
            say(f"{name}: p50 {e2e.p50:,.0f} ms, p95 {e2e.p95:,.0f} ms, {e2e.missed} missed; "
                f"{e2e.bytes_per_s / 1000:,.1f} kB/s on the wire")
            self.page_cpu(name)
        driver.get("about:blank")

    def page_cpu(self, name: str) -> None:
        """The open page's CPU per second over ``cpu_seconds``, the loader still writing: every Chromium
        process (``cpu``; by kind of process) and the main thread's tasks by kind. For Basira, then its
        JavaScript's self time per function over as long again (the profiler's own cost stays out of
        the figure)."""
        plan, key, driver = self.plan, _key(name), self.driver
        assert driver is not None
        with timed(f"{name}: the page's CPU over {plan.cpu_seconds:g} s"):
            cpu = browser.page_cpu(driver, plan.cpu_seconds)
        self.out[f"{key}cpu"] = cpu.total
        self.out[f"{key}cpu_seconds"] = cpu.seconds
        self.out.update({f"{key}cpu_main_{MAIN_THREAD[m]}": v for m, v in cpu.per_s.items()})
        self.out.update({f"{key}cpu_process_{k.replace('-', '_')}": v for k, v in cpu.processes.items()})
        kinds = ", ".join(f"{k} {v:.2f}" for k, v in sorted(cpu.processes.items(), key=lambda i: -i[1]))
        say(f"{name}: {cpu.total:.2f} CPU-s/s in Chromium ({kinds}); main thread's tasks "
            f"{cpu.per_s.get('TaskDuration', float('nan')):.2f} s/s")
        if name != "basira":
            return
        profile = browser.js_profile(driver, plan.cpu_seconds, top=JS_TOP + 1)
        self.out["cpu_js_seconds"] = profile.seconds
        top = [(ms, where) for ms, where in profile.top if where != "(idle)"][:JS_TOP]
        self.out.update({JS_SELF + where: ms for ms, where in top})
        say(f"{name}: JavaScript self time over {plan.cpu_seconds:g} s: "
            + "; ".join(f"{where} {ms:,.0f} ms" for ms, where in top[:5]))

    def replay(self, name: str) -> None:
        """``clients`` clients refreshing once a second. When some gave up, the server is replaced by a
        fresh one: the requests they left queued are abandoned work that must not slow what follows."""
        plan, key = self.plan, _key(name)
        url, body = self.servers[name].url, self.bodies[name]
        alone = [clients.refresh_ms(url, body) for _ in range(3)]
        self.out[f"{key}refresh_ms"] = percentile(alone, 50)
        say(f"{name}: one refresh, alone: {self.out[f'{key}refresh_ms']:,.0f} ms (median of 3)")
        recording: AbstractContextManager[None] = nullcontext()
        pids = self.servers[name].worker_pids()
        if self.flame is not None and name == "basira" and pids:
            recording = self.flame.recording("web", pids[0], clients=plan.clients, load_rate=plan.load_rate,
                                             live_incidents=plan.live_incidents, live_units=plan.live_units)
        with timed(f"{name}: {plan.clients} clients for {plan.client_seconds:g} s"), recording:
            result = clients.replay(url, body, plan.clients, plan.client_seconds,
                                    feed_path=FEED_PATH if name == "basira" else None)
        self.out.update({
            f"{key}clients_p95": result.p95, f"{key}clients_errors": result.errors,
            f"{key}clients_requests": result.requests,
            f"{key}clients_answered_per_s": len(result.latencies_ms) / plan.client_seconds,
        })  # fmt: skip
        say(f"{name}: {result.requests:,} refreshes, p50 {result.p50:,.0f} ms, p95 {result.p95:,.0f} ms, "
            f"{result.errors} errors")
        if result.errors:
            self.children.stop(self.servers.pop(name).child)

    # -- 3. large picture -------------------------------------------------------------------------

    def big(self) -> None:
        plan = self.plan
        self.client.flushdb()
        worker = start_ingest(self.children, self.url, PREFIX)
        started = self.start_servers()
        with timed(f"{plan.history_hours:g} h of history"):
            growth, stream_growth, rate = memory.write_history(
                self.client, PREFIX, plan.history_hours, lambda: applied(self.client, PREFIX), timeout=1800)
        with timed(f"seeding {plan.big_incidents:,} incidents"):
            self.seed(Operations(plan.big_incidents, plan.live_units, seed=12), timeout=1800)
        self.memory(growth, stream_growth, rate)
        self.wait_servers(started)
        if self.driver is not None:
            self.render()
        self.rss()
        self.children.stop(worker)

    def memory(self, growth: float, stream_mb_per_hour: float, rate: float) -> None:
        plan = self.plan
        streams = memory.streams(self.client, PREFIX)
        retention = Settings().stream_retention_hours
        redis_mem = memory.RedisMemory(memory.used_mb(self.client), growth, plan.history_hours, rate,
                                       stream_mb_per_hour, retention)
        self.out.update(
            redis_mb_24h=redis_mem.at_24h_mb, redis_mb_measured=redis_mem.measured_mb,
            redis_growth_mb_per_h=growth, redis_stream_bytes_per_entry=streams.bytes_per_entry,
            redis_streams_mb_24h=stream_mb_per_hour * 24, redis_retention_h=retention,
            redis_streams_mb_kept=stream_mb_per_hour * min(retention, memory.DAY_HOURS),
        )  # fmt: skip
        say(f"Redis: {redis_mem.measured_mb:,.0f} MB now, +{growth:,.1f} MB/h "
            f"({stream_mb_per_hour:,.1f} of it streams, kept {retention:g} h) "
            f"→ {redis_mem.at_24h_mb:,.0f} MB at 24 h")

    def render(self) -> None:
        """First render (and, for Basira, zoom steps); a page that does not draw within
        :data:`RENDER_TIMEOUT_S` is recorded at that time, as a lower bound (``<key>_over``)."""
        plan, driver = self.plan, self.driver
        assert driver is not None
        label = f"first render of {plan.big_incidents:,} incidents"
        with timed(f"basira: {label}"):
            try:
                url = self.servers["basira"].url + "/"
                self.out["render"] = browser.first_render_leaflet(driver, url, RENDER_TIMEOUT_S)
                self.out.update({f"render_{k}": v for k, v in browser.render_parts(driver).items()})
            except TimeoutError as error:
                say(f"basira: {error}")
                self.out.update(render=RENDER_TIMEOUT_S * 1000, render_over=1)
            else:
                self.bodies.setdefault("basira", browser.read_traffic(driver).replay_body() or "")
                steps = browser.zoom_steps(driver, RIYADH, list(plan.zooms))
                self.out.update(zoom=max(steps), zoom_median=percentile(steps, 50))
                shown = ", ".join(f"{s:,.0f}" for s in steps)
                say(f"basira: first render {self.out['render']:,.0f} ms; zoom steps {shown} ms")
        driver.get("about:blank")
        with timed(f"baseline: {label}"):
            try:
                url = self.servers["baseline"].url + "/"
                self.out["baseline_render"] = browser.first_render_plotly(driver, url, plan.big_incidents,
                                                                          RENDER_TIMEOUT_S)
            except TimeoutError as error:
                say(f"baseline: {error}")
                self.out.update(baseline_render=RENDER_TIMEOUT_S * 1000, baseline_render_over=1)
            else:
                self.bodies.setdefault("baseline", browser.read_traffic(driver).replay_body() or "")
                say(f"baseline: first render {self.out['baseline_render']:,.0f} ms")
        driver.get("about:blank")

    def rss(self) -> None:
        """Each app's largest worker, after its workers have served the page's refresh (fresh
        connections, so that both workers take some)."""
        for name, body in self.bodies.items():
            if not body:
                continue
            for _ in range(self.plan.rss_requests):
                requests.post(self.servers[name].url + "/_dash-update-component", data=body, timeout=300,
                              headers={**clients.HEADERS, "Connection": "close"})
                if name == "basira":  # and the live feed's whole picture, which a new page asks for
                    requests.get(self.servers[name].url + FEED_PATH, timeout=300,
                                 headers={**clients.HEADERS, "Connection": "close"})
            self.out[f"{_key(name)}rss"] = max(self.servers[name].worker_rss_mb())
            say(f"{name}: web worker RSS {self.out[f'{_key(name)}rss']:,.0f} MB")
