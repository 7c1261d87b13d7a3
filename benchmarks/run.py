"""``python -m benchmarks [--quick]``: run every benchmark in order and report.

The phases, each on a clean database of the suite's own Redis:

1. **Ingest** — the simulator's entries drained by one ``python -m app ingest`` process and by a
   raw consumer (:mod:`.ingest`); nothing else runs meanwhile.
2. **Live load** — 10,000 open incidents and 2,000 units, a loader writing 1,000 changes a second,
   one ingest process, Basira and the baseline each under gunicorn. In Chromium, each page in turn:
   probes timed from ``XADD`` to drawn, and the callback bytes received meanwhile
   (:mod:`.browser`). Then 100 clients replaying each page's refresh (:mod:`.clients`).
3. **Large picture** — a sample of a day's history, then 100,000 open incidents: first render and
   zoom steps in Chromium, Redis memory (extrapolated to 24 h) and web-worker RSS (:mod:`.memory`).

``--quick`` runs every phase at a smaller scale (a smoke check in under a minute on a quiet
machine); ``--only PHASE`` runs a part; ``--plan FIELD=VALUE`` changes the scale. Their figures
go to ``artifacts/bench-quick.json`` only. The full run writes ``benchmarks/results.json``,
``docs/benchmarks.md`` and ``docs/benchmarks.png``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import redis
import requests

from . import browser, clients, ingest, memory, notes, report
from .harness import (
    GUNICORN_WORKERS,
    Children,
    WebServer,
    app_env,
    applied,
    machine,
    say,
    start_ingest,
    start_redis,
    start_web,
    timed,
    wait_until,
    wait_web,
)
from .load import Operations, probe_ids, probe_spots, xadd_all

PREFIX = "bench"
PHASES = ("ingest", "live", "big")
BASELINE = "benchmarks.baseline_app:server"
RIYADH = (24.69, 46.72)


@dataclass(frozen=True)
class Plan:
    """The scale of one run."""

    quick: bool = False
    ingest_entries: int = 150_000
    ingest_rounds: int = 2
    live_incidents: int = 10_000
    live_units: int = 2_000
    load_rate: float = 1_000.0
    probes: int = 20
    clients: int = 100
    client_seconds: float = 15.0
    big_incidents: int = 100_000
    history_hours: float = 1.0
    zooms: tuple[float, ...] = (6, 7, 8, 9)
    rss_requests: int = 8


FULL = Plan()
#: A smoke check: every phase, every figure, at a scale a slow machine gets through in about a minute.
QUICK = replace(FULL, quick=True, ingest_entries=10_000, ingest_rounds=1, live_incidents=2_000,
                live_units=400, load_rate=200.0, probes=2, clients=20, client_seconds=2.0,
                big_incidents=5_000, history_hours=0.005, zooms=(7,), rss_requests=4)  # fmt: skip


def _with_changes(plan: Plan, changes: list[str]) -> Plan:
    """``plan`` with ``FIELD=VALUE`` changes applied (numbers, or a comma-separated list of zooms)."""
    updates: dict[str, Any] = {}
    for change in changes:
        name, _, value = change.partition("=")
        current = getattr(plan, name)
        if isinstance(current, tuple):
            updates[name] = tuple(float(v) for v in value.split(","))
        else:
            updates[name] = type(current)(float(value)) if not isinstance(current, bool) else value == "1"
    return replace(plan, **updates)


def _wait_applied(client: redis.Redis, target: int, timeout: float, what: str) -> None:
    wait_until(lambda: applied(client, PREFIX) >= target, timeout, every=0.1, what=what)


def _seed(client: redis.Redis, ops: Operations, timeout: float) -> None:
    before = applied(client, PREFIX)
    entries = ops.initial(int(time.time() * 1000))
    xadd_all(client, PREFIX, entries)
    _wait_applied(client, before + len(entries), timeout, f"{len(entries):,} seeded entries to be applied")


@contextmanager
def _unless_timeout(name: str) -> Iterator[None]:
    """A page that never draws its data is a finding, not the end of the run: say so, carry on."""
    try:
        yield
    except TimeoutError as error:
        say(f"{name}: {error}")


def _start_servers(children: Children, url: str, servers: dict[str, WebServer]) -> list[str]:
    """Start Basira and the baseline under gunicorn unless they run already; the names started."""
    targets = {"basira": "app:server", "baseline": BASELINE}
    started = [name for name in targets if name not in servers]
    for name in started:
        servers[name] = start_web(children, f"{name}-web", targets[name], app_env(url, PREFIX))
    return started


def _wait_servers(servers: dict[str, WebServer], started: list[str]) -> None:
    if started:
        with timed(f"starting gunicorn ({' and '.join(started)}, {GUNICORN_WORKERS} workers each)"):
            for name in started:
                wait_web(servers[name])


def phase_ingest(
    plan: Plan, children: Children, url: str, client: redis.Redis, out: dict[str, float]
) -> None:
    with timed("ingest throughput"):
        say(f"ingest: generating {plan.ingest_entries:,} simulator entries")
        entries = ingest.scenario_entries(plan.ingest_entries)
        result = ingest.throughput(children, url, client, entries, plan.ingest_rounds)
    out.update(ingest=result.basira.rate, ingest_raw=result.raw.rate,
               ingest_process_us=result.basira.process_us, ingest_redis_us=result.basira.redis_us,
               ingest_raw_process_us=result.raw.process_us, ingest_raw_redis_us=result.raw.redis_us)


def phase_live(
    plan: Plan, children: Children, url: str, client: redis.Redis, servers: dict[str, WebServer],
    out: dict[str, float], bodies: dict[str, str],
) -> None:  # fmt: skip
    client.flushdb()
    ops = Operations(plan.live_incidents, plan.live_units, seed=11)
    worker = start_ingest(children, url, PREFIX)
    started = _start_servers(children, url, servers)
    with timed(f"seeding {plan.live_incidents:,} incidents and {plan.live_units:,} units"):
        _seed(client, ops, timeout=300)
    _wait_servers(servers, started)
    loader = children.start("loader", [
        sys.executable, "-m", "benchmarks.load", "--url", url, "--prefix", PREFIX, "--seed", "11",
        "--incidents", str(plan.live_incidents), "--units", str(plan.live_units),
        "--rate", str(plan.load_rate),
    ])  # fmt: skip
    spots, ids = probe_spots(), probe_ids("BENCH-PROBE")
    if browser.available():
        with browser.chromium() as driver:
            for name, ready in (("basira", browser.leaflet_ready), ("baseline", browser.plotly_ready)):
                key = "" if name == "basira" else "baseline_"
                out[f"{key}e2e_missed"] = plan.probes  # until measured
                label = f"{name}: end to end under {plan.load_rate:,.0f} entries/s"
                with timed(label), _unless_timeout(name):
                    browser.open_page(driver, servers[name].url + "/", ready, timeout=180)
                    time.sleep(2.0)  # a few refreshes under load first
                    e2e = browser.end_to_end(driver, client, PREFIX, spots, ids, plan.probes, name)
                    out.update({f"{key}e2e_p95": e2e.p95, f"{key}e2e_p50": e2e.p50,
                                f"{key}e2e_missed": e2e.missed, f"{key}wire": e2e.bytes_per_s,
                                f"{key}wire_per_response": e2e.bytes_per_response})
                    if e2e.replay_body:
                        bodies[name] = e2e.replay_body
                    say(f"{name}: p50 {e2e.p50:,.0f} ms, p95 {e2e.p95:,.0f} ms, {e2e.missed} missed; "
                        f"{e2e.bytes_per_s / 1000:,.1f} kB/s on the wire")
                driver.get("about:blank")
    else:
        say("chromedriver not found: the browser figures are skipped (apt install chromium chromium-driver)")
    for name, body in bodies.items():
        with timed(f"{name}: {plan.clients} clients for {plan.client_seconds:g} s"):
            result = clients.replay(servers[name].url, body, plan.clients, plan.client_seconds)
        key = "" if name == "basira" else "baseline_"
        out.update({f"{key}clients_p95": result.p95, f"{key}clients_errors": result.errors,
                    f"{key}clients_requests": result.requests,
                    f"{key}clients_answered_per_s": len(result.latencies_ms) / plan.client_seconds})
        say(f"{name}: {result.requests:,} refreshes, p50 {result.p50:,.0f} ms, p95 {result.p95:,.0f} ms, "
            f"{result.errors} errors")
        # What the clients left queued is abandoned work: what follows gets a fresh server.
        children.stop(servers.pop(name).child)
    children.stop(loader)
    children.stop(worker)


def phase_big(
    plan: Plan, children: Children, url: str, client: redis.Redis, servers: dict[str, WebServer],
    out: dict[str, float], bodies: dict[str, str],
) -> None:  # fmt: skip
    client.flushdb()
    worker = start_ingest(children, url, PREFIX)
    started = _start_servers(children, url, servers)
    with timed(f"{plan.history_hours:g} h of history"):
        growth, rate = memory.write_history(
            client, PREFIX, plan.history_hours, lambda: applied(client, PREFIX), timeout=1800
        )
    with timed(f"seeding {plan.big_incidents:,} incidents"):
        _seed(client, Operations(plan.big_incidents, plan.live_units, seed=12), timeout=1800)
    redis_mem = memory.RedisMemory(memory.used_mb(client), growth, plan.history_hours, rate)
    streams = memory.streams(client, PREFIX)
    out.update(redis_mb_24h=redis_mem.at_24h_mb, redis_mb_measured=redis_mem.measured_mb,
               redis_growth_mb_per_h=growth, redis_stream_bytes_per_entry=streams.bytes_per_entry,
               redis_streams_mb_24h=streams.bytes_per_entry * memory.HISTORY_RATE * 86_400 / 2**20)
    say(f"Redis: {redis_mem.measured_mb:,.0f} MB now, +{growth:,.1f} MB/h → "
        f"{redis_mem.at_24h_mb:,.0f} MB at 24 h")
    _wait_servers(servers, started)
    if browser.available():
        with browser.chromium() as driver:
            label = f"first render of {plan.big_incidents:,} incidents"
            with timed(f"basira: {label}"), _unless_timeout("basira"):
                out["render"] = browser.first_render_leaflet(driver, servers["basira"].url + "/")
                bodies.setdefault("basira", browser.read_traffic(driver).replay_body() or "")
                steps = browser.zoom_steps(driver, RIYADH, list(plan.zooms))
                out["zoom"] = max(steps)
                shown = ", ".join(f"{s:,.0f}" for s in steps)
                say(f"basira: first render {out['render']:,.0f} ms; zoom steps {shown} ms")
            driver.get("about:blank")
            with timed(f"baseline: {label}"), _unless_timeout("baseline"):
                out["baseline_render"] = browser.first_render_plotly(
                    driver, servers["baseline"].url + "/", plan.big_incidents)
                bodies.setdefault("baseline", browser.read_traffic(driver).replay_body() or "")
                say(f"baseline: first render {out['baseline_render']:,.0f} ms")
            driver.get("about:blank")
    for name, body in bodies.items():
        if not body:
            continue
        for _ in range(plan.rss_requests):  # fresh connections: both workers serve some
            requests.post(servers[name].url + "/_dash-update-component", data=body, timeout=300,
                          headers={**clients.HEADERS, "Connection": "close"})
        key = "" if name == "basira" else "baseline_"
        out[f"{key}rss"] = max(servers[name].worker_rss_mb())
        say(f"{name}: web worker RSS {out[f'{key}rss']:,.0f} MB")
    children.stop(worker)


def figures(plan: Plan, out: dict[str, float]) -> dict[str, Any]:
    """The run's figures and a few derived ones, for the explanations in ``docs/benchmarks.md``."""
    nan = math.nan
    g = out.get
    ratio = g("ingest", nan) / g("ingest_raw", nan) if g("ingest_raw") else nan
    missed = g("e2e_missed", 0)
    return {
        **out, "big_incidents": plan.big_incidents, "history_hours": plan.history_hours,
        "ingest_ratio": ratio,
        "wire_kb": g("wire", nan) / 1000, "baseline_wire_kb": g("baseline_wire", nan) / 1000,
        "wire_per_response_kb": g("wire_per_response", nan) / 1000,
        "baseline_wire_per_response_kb": g("baseline_wire_per_response", nan) / 1000,
        "wire_ratio_pct": 100 * g("wire", nan) / g("baseline_wire", nan) if g("baseline_wire") else nan,
        "redis_streams_mb_2h": g("redis_streams_mb_24h", nan) / 12,
        "e2e_missed_text": f"; {missed:.0f} of {plan.probes} probes not drawn within 20 s" if missed else "",
    }  # fmt: skip


def rows(plan: Plan, out: dict[str, float]) -> list[report.Row]:
    nan = math.nan
    g = out.get
    clients, big = f"{plan.clients} clients", f"{plan.big_incidents / 1000:g}k incidents"
    return [
        report.Row("ingest", "Ingest throughput, one process", "entries/s", g("ingest", nan), g("ingest_raw"),
                   "≥ 50,000 and ≥ 0.5 × raw", lambda b, r: b >= 50_000 and r is not None and b >= 0.5 * r,
                   baseline_label="raw"),
        report.Row("e2e_p95", "End to end XADD → drawn, p95", "ms", g("e2e_p95", nan), g("baseline_e2e_p95"),
                   "≤ 500 ms", lambda b, _: b <= 500 and not g("e2e_missed")),
        report.Row("wire", "Bytes on the wire per client", "B/s", g("wire", nan), g("baseline_wire"),
                   "≤ 10 % of baseline", lambda b, r: r is not None and b <= 0.1 * r),
        report.Row("clients_p95", f"{clients}, refresh p95", "ms", g("clients_p95", nan),
                   g("baseline_clients_p95"),
                   "≤ 300 ms, no errors", lambda b, _: b <= 300 and not g("clients_errors")),
        report.Row("clients_errors", f"{clients}, errors", "", g("clients_errors", nan),
                   g("baseline_clients_errors"), "0", lambda b, _: b == 0),
        report.Row("render", f"{big}: first render", "ms", g("render", nan), g("baseline_render"),
                   "≤ 2,000 ms", lambda b, _: b <= 2000),
        report.Row("zoom", f"{big}: slowest zoom step", "ms", g("zoom", nan), None, "≤ 200 ms",
                   lambda b, _: b <= 200),
        report.Row("rss", "Web worker RSS", "MB", g("rss", nan), g("baseline_rss"), "≤ 300 MB",
                   lambda b, _: b <= 300),
        report.Row("redis_mb_24h", "Redis used memory, 24 h", "MB", g("redis_mb_24h", nan), None, "≤ 512 MB",
                   lambda b, _: b <= 512),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Basira's benchmark suite, against a naive Dash baseline."
    )
    parser.add_argument("--quick", action="store_true", help="every phase at a small scale (< 60 s)")
    parser.add_argument("--only", action="append", choices=PHASES, help="run only this phase (repeatable)")
    parser.add_argument("--plan", action="append", default=[], metavar="FIELD=VALUE",
                        help="change one field of the plan, e.g. --plan probes=40 (see Plan in run.py)")
    args = parser.parse_args(argv)
    plan = _with_changes(QUICK if args.quick else FULL, args.plan)
    started = time.time()
    out: dict[str, float] = {}
    bodies: dict[str, str] = {}
    servers: dict[str, WebServer] = {}
    with Children() as children, start_redis() as server:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        host = machine(client)
        kind = "quick" if plan.quick else "full"
        say(f"Basira benchmarks ({kind}): {host['cores']} cores ({host['cpu']}), "
            f"{host['memory_gb']:g} GB, Python {host['python']}, Redis {host['redis']} at {server.url}")
        if host["load"][0] > host["cores"] / 2:
            say(f"note: the machine is busy (load average {host['load'][0]:.1f}); figures will suffer")
        phases = args.only or PHASES
        if "ingest" in phases:
            phase_ingest(plan, children, server.url, client, out)
        if "live" in phases:
            phase_live(plan, children, server.url, client, servers, out, bodies)
        if "big" in phases:
            phase_big(plan, children, server.url, client, servers, out, bodies)
    table = rows(plan, out)
    print(flush=True)
    report.print_table(table)
    shown = {r.key for r in table} | {f"baseline_{r.key}" for r in table}
    extra = {k: v for k, v in out.items() if k not in shown}
    if args.only:
        extra["partial"] = 1.0
    path = report.write_json(table, extra, plan.quick, path=report.QUICK_RESULTS if args.only else None)
    say(f"wrote {path.relative_to(report.ROOT)}")
    if not plan.quick and not args.only:
        picture = report.plot(table)
        command = "make bench  (python -m benchmarks)"
        ctx: dict[str, Any] = report.context(command, started, host, picture, figures(plan, out))
        doc = report.write_doc(table, ctx, notes.METHODS, notes.MISSES)
        also = f" and {picture.relative_to(report.ROOT)}" if picture else ""
        say(f"wrote {doc.relative_to(report.ROOT)}{also}")
    say(f"done in {time.time() - started:.0f} s (load average now {os.getloadavg()[0]:.1f})")
