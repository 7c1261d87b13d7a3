"""``python -m benchmarks``: run the suite (:mod:`.phases`) and report (:mod:`.report`).

``make bench`` runs it at full scale and writes ``benchmarks/results.json``,
``docs/benchmarks.md`` and ``docs/benchmarks.png``. ``--quick`` runs every phase at a small scale
(a smoke check of about a minute); ``--only PHASE`` runs a part; ``--plan FIELD=VALUE`` changes the
scale (see :class:`~benchmarks.phases.Plan`). Their figures go to ``artifacts/bench-quick.json``
only, never over the record — with one exception: the ingest phase's outside view (issue 17,
:mod:`.outside`) is a section of its own, dated, with its own load average, so a full-scale
``--only ingest`` (no ``--quick``, no ``--plan``) also replaces that section of
``docs/benchmarks.md`` and its ``ingest_outside_*`` figures in ``benchmarks/results.json``; the
headline table stays the last full run's. ``--flames`` adds py-spy's flame graphs of the ingest
worker and of a web worker (:mod:`.flames`, kept in ``docs/img/``); py-spy slows what it reads, so
such a run's figures too go to ``artifacts/bench-quick.json`` only.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from contextlib import ExitStack
from dataclasses import replace
from typing import Any

import redis

from . import browser, notes, report
from .flames import Flames
from .harness import ROOT, Children, core_speed_s, machine, say, start_redis
from .outside import TARGET_RATE, TARGET_RATIO
from .phases import JS_SELF, Plan, Run

PHASES = ("ingest", "live", "big")
FULL = Plan()
#: Every phase and every figure, at a scale a slow machine gets through in about a minute.
QUICK = replace(FULL, quick=True, ingest_entries=6_000, ingest_rounds=1, live_incidents=2_000,
                live_units=400, load_rate=200.0, probes=1, warmup_s=0.0, clients=10, client_seconds=1.0,
                big_incidents=5_000, history_hours=0.005, zooms=(7,), rss_requests=2,
                outside_entries=3_000, cpu_seconds=3.0)  # fmt: skip


def with_changes(plan: Plan, changes: list[str]) -> Plan:
    """``plan`` with ``FIELD=VALUE`` changes (numbers; zooms as a comma-separated list)."""
    updates: dict[str, Any] = {}
    for change in changes:
        name, _, value = change.partition("=")
        current = getattr(plan, name)
        if isinstance(current, tuple):
            updates[name] = tuple(float(v) for v in value.split(","))
        elif isinstance(current, bool):
            updates[name] = value in ("1", "true", "yes")
        else:
            updates[name] = type(current)(float(value))
    return replace(plan, **updates)



def figures(plan: Plan, out: dict[str, float]) -> dict[str, Any]:
    """The run's figures and a few derived ones, for the explanations in ``docs/benchmarks.md``."""
    nan = math.nan
    g = out.get
    missed = g("e2e_missed", 0)
    return {
        **out, "big_incidents": plan.big_incidents, "history_hours": plan.history_hours,
        "live_incidents": plan.live_incidents,
        "ingest_ratio": g("ingest", nan) / g("ingest_raw", nan) if g("ingest_raw") else nan,
        "ingest_ceiling_text": _ingest_ceiling(g("ingest_raw", nan)),
        "wire_kb": g("wire", nan) / 1000, "baseline_wire_kb": g("baseline_wire", nan) / 1000,
        "wire_per_response_kb": g("wire_per_response", nan) / 1000,
        "baseline_wire_per_response_kb": g("baseline_wire_per_response", nan) / 1000,
        "wire_ratio_pct": 100 * g("wire", nan) / g("baseline_wire", nan) if g("baseline_wire") else nan,
        "e2e_missed_text": f"; {missed:.0f} of {plan.probes} probes not drawn within 20 s" if missed else "",
        "baseline_render_text": (
            f"had not drawn it after {g('baseline_render', nan) / 1000:.0f} s" if g("baseline_render_over")
            else f"took {g('baseline_render', nan):,.0f} ms for it"
        ),
        "render_parts_text": _render_parts(out),
        "load_rate": plan.load_rate,
        "cpu_processes_text": _processes(out, ""),
        "baseline_cpu_processes_text": _processes(out, "baseline_"),
        "cpu_js_top_text": _js_top(out),
    }  # fmt: skip


def _render_parts(out: dict) -> str:
    """Where this run's first render went (:func:`benchmarks.browser.render_parts`), in words; empty
    when the page recorded none of it."""
    g = out.get
    if g("render_asked") is None or g("render_apply") is None:
        return ""
    server, download = g("render_server", math.nan), g("render_download", math.nan)
    parse = g("render_parse", math.nan)
    return (
        f"**In this run**, from navigation: the whole picture was asked for at {g('render_asked'):,.0f} ms; "
        f"the server took {server:,.0f} ms to its first byte (building it from Redis and compressing it), "
        f"the download {download:,.0f} ms ({g('render_kb', math.nan):,.0f} kB) and `JSON.parse` "
        f"{parse:,.0f} ms. "
        f"Dash had the page started at {g('render_dash', math.nan):,.0f} ms"
        + (f", {g('render_wait'):,.0f} ms after the picture was parsed" if g("render_wait", 0) > 0
           else ", before the picture was parsed")
        + f"; handing it to the live layers and drawing took {g('render_apply'):,.0f} ms, of which the "
        f"incidents' supercluster index {g('render_index', math.nan):,.0f} ms. "
        + (f"The first clusters were drawn at {g('render_clusters'):,.0f} ms, and the regions' layer — "
           "which the page's first refresh brings, from its scope's summary, built cold: every open "
           f"incident's row read — at {g('render_regions'):,.0f} ms. "
           if g("render_clusters") is not None and g("render_regions") is not None else "")
    )


def _ingest_ceiling(raw: float) -> str:
    """Whether the ingest target's 50,000 entries/s is within this machine's reach at all: the raw
    consumer does the least a consumer can (one ``HSET`` and one ``XACK`` an entry), so when it is
    slower than the target, no consumer process is faster here."""
    if not raw < TARGET_RATE:
        return ""
    return (f" **On this machine 50,000 entries/s is beyond any one consumer process:** the raw consumer, "
            f"which does the least a consumer can, reached {raw:,.0f} entries/s, so the absolute half of "
            f"the target cannot be met here by any change to Basira's worker; the ratio to it, which is "
            f"measured on the same cores in the same run, is the half that judges the worker.")


#: How the kinds of Chromium process (their ``--type``) read in the explanations.
_PROCESS_KINDS = {"renderer": "the page's renderer", "gpu_process": "the GPU process (software compositing)",
                  "browser": "the browser process", "utility": "utility processes (the network service)"}


def _processes(out: dict[str, float], key: str) -> str:
    """A page's CPU per kind of Chromium process, the largest first: "the page's renderer 0.52, …"."""
    prefix = f"{key}cpu_process_"
    kinds = sorted(((v, k.removeprefix(prefix)) for k, v in out.items() if k.startswith(prefix)),
                   reverse=True)  # fmt: skip
    return ", ".join(f"{_PROCESS_KINDS.get(kind, kind)} {v:.2f}" for v, kind in kinds) or "?"


def _js_top(out: dict[str, float]) -> str:
    """Basira's JavaScript profile, as a Markdown list: self time per function, the largest first."""
    window_ms = out.get("cpu_js_seconds", math.nan) * 1000
    top = sorted(((v, k.removeprefix(JS_SELF)) for k, v in out.items() if k.startswith(JS_SELF)),
                 reverse=True)  # fmt: skip
    lines = [f"- `{where}`: {ms:,.0f} ms ({100 * ms / window_ms:.1f} % of the window)" for ms, where in top]
    return "\n".join(lines) or "- (not profiled)"


def rows(plan: Plan, out: dict[str, float]) -> list[report.Row]:
    """The table: one row per target of issue 4 (as issue 17 revised them, and its browser CPU)."""
    nan = math.nan
    g = out.get
    clients, big = f"{plan.clients} clients", f"{plan.big_incidents / 1000:g}k incidents"
    Row = report.Row
    return [
        Row("ingest", "Ingest throughput, one process", "entries/s", g("ingest", nan), g("ingest_raw"),
            "≥ 50,000 and ≥ 0.5 × raw",
            lambda b, r: b >= TARGET_RATE and r is not None and b >= TARGET_RATIO * r,
            baseline_label="raw", baseline_key="ingest_raw"),
        Row("e2e_p95", "End to end XADD → drawn, p95", "ms", g("e2e_p95", nan), g("baseline_e2e_p95"),
            "≤ 250 ms", lambda b, _: b <= 250 and not g("e2e_missed")),
        Row("cpu", f"Browser CPU per page (the command view, {plan.load_rate:,.0f} entries/s)", "CPU-s/s",
            g("cpu", nan), g("baseline_cpu"), "≤ 0.3 CPU-s/s", lambda b, _: b <= 0.3),
        Row("wire", "Bytes on the wire per client", "B/s", g("wire", nan), g("baseline_wire"),
            "≤ 10 % of baseline", lambda b, r: r is not None and b <= 0.1 * r),
        Row("clients_p95", f"{clients}, refresh p95", "ms", g("clients_p95", nan),
            g("baseline_clients_p95"), "≤ 300 ms, no errors",
            lambda b, _: b <= 300 and not g("clients_errors")),
        Row("clients_errors", f"{clients}, errors", "", g("clients_errors", nan),
            g("baseline_clients_errors"), "0", lambda b, _: b == 0),
        Row("render", f"{big}: first render", "ms", g("render", nan), g("baseline_render"), "≤ 2,000 ms",
            lambda b, _: b <= 2000 and not g("render_over"), basira_over=bool(g("render_over")),
            baseline_over=bool(g("baseline_render_over"))),
        Row("zoom", f"{big}: slowest zoom step", "ms", g("zoom", nan), None, "≤ 200 ms",
            lambda b, _: b <= 200),
        Row("rss", "Web worker RSS", "MB", g("rss", nan), g("baseline_rss"), "≤ 300 MB",
            lambda b, _: b <= 300),
        Row("redis_mb_24h", "Redis used memory, 24 h", "MB", g("redis_mb_24h", nan), None, "≤ 512 MB",
            lambda b, _: b <= 512),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Basira's benchmark suite, against a naive Dash baseline."
    )
    parser.add_argument("--quick", action="store_true", help="every phase at a small scale (a smoke check)")
    parser.add_argument("--only", action="append", choices=PHASES, help="run only this phase (repeatable)")
    parser.add_argument("--plan", action="append", default=[], metavar="FIELD=VALUE",
                        help="change the scale, e.g. --plan probes=40 (the fields of Plan in phases.py)")
    parser.add_argument("--flames", action="store_true",
                        help="py-spy flame graphs of the ingest worker and of a web worker under the load, "
                             "kept in docs/img/ (artifacts/flames/ with --quick); the run's figures are then "
                             "not the record (benchmarks/flames.py)")
    args = parser.parse_args(argv)
    plan = with_changes(QUICK if args.quick else FULL, args.plan)
    phases = args.only or PHASES
    started = time.time()
    with ExitStack() as stack:
        children = stack.enter_context(Children())
        server = stack.enter_context(start_redis())
        client = redis.Redis.from_url(server.url, decode_responses=True)
        host = machine(client)
        kind = "quick" if plan.quick else "full"
        say(f"Basira benchmarks ({kind}): {host['cores']} cores ({host['cpu']}), "
            f"{host['memory_gb']:g} GB, Python {host['python']}, Redis {host['redis']} at {server.url}")
        if host["load"][0] > host["cores"] / 2:
            say(f"note: the machine is busy (load average {host['load'][0]:.1f}); every figure will suffer")
        driver = None
        if {"live", "big"} & set(phases):
            if browser.available():
                driver = stack.enter_context(browser.chromium())
            else:
                say("chromedriver not found: no browser figures (apt install chromium chromium-driver)")
        flame = Flames(plan.quick) if args.flames else None
        if flame is not None:
            say(f"--flames: py-spy records the ingest worker and a web worker into "
                f"{flame.where.relative_to(ROOT)}/; it slows what it reads: the figures are not the record")
        run = Run(plan, children, server.url, client, driver, flame=flame)
        for phase in phases:
            getattr(run, phase)()
    host["core_speed_end_s"] = core_speed_s()  # a shared host's cores may have changed speed meanwhile
    if note := report.drift_note(host):
        say(note)
    out = run.out
    out.update(core_speed_s=host["core_speed_s"], core_speed_end_s=host["core_speed_end_s"])
    table = rows(plan, out)
    print(flush=True)
    report.print_table(table)
    report.print_outside(out)
    shown = {r.key for r in table} | {r.comparison_key for r in table}
    extra = {k: v for k, v in out.items() if k not in shown}
    partial = plan.quick or bool(args.only) or bool(args.plan) or args.flames
    if args.only:
        extra["partial"] = 1.0
    path = report.write_json(table, extra, plan.quick, path=report.QUICK_RESULTS if partial else None)
    say(f"wrote {path.relative_to(report.ROOT)}")
    if not partial:
        picture = report.plot(table)
        command = "`make bench` (runs `python -m benchmarks`)"
        context = report.context(command, started, host, picture, figures(plan, out))
        outside = report.outside_section(out)
        doc = report.write_doc(table, context, notes.METHODS, notes.MISSES, sections=outside)
        also = f" and {picture.relative_to(report.ROOT)}" if picture else ""
        say(f"wrote {doc.relative_to(report.ROOT)}{also}")
    elif not plan.quick and not args.plan and not args.flames and report.outside_section(out):
        # the outside view alone (--only ingest at full scale): its own section and figures, dated
        report.merge_json(out, "ingest_outside_")
        doc = report.write_outside(out)
        say(f"wrote the outside view to {doc.relative_to(report.ROOT)} and "
            f"{report.RESULTS.relative_to(report.ROOT)} (the rest of both as the last full run left them)")
    say(f"done in {time.time() - started:.0f} s (load average now {os.getloadavg()[0]:.1f})")
