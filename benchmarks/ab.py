"""Two checkouts of Basira side by side, on one store and under one load, measured in alternated windows:
``python -m benchmarks.ab OTHER`` (``OTHER``: another checkout, e.g. a ``git worktree`` of main).

Why: on the machines of this kind, one run of ``make bench`` against another says little about a change
of a few percent. The same code's page read 0.27–0.33 CPU-s/s between 12 s windows of one run, and a
shared host's cores changed speed by half within the hour (issue 17: the calibration loop 0.16 s at
08:12, 0.26–0.31 s at 09:20, 0.16 s again at 09:24). Here both sides see the same store, the same
loader and the same machine at the same moments: one Redis, one ingest worker (this checkout's), one
loader at ``--rate`` entries/s, each side's gunicorn (2 workers, as the bench) serving its own app, and
a headless Chromium for each side with its command view open all along. Then, ``--rounds`` times, each
side's page is measured for ``--seconds`` (Chromium's CPU, :func:`.browser.page_cpu`) and ``--clients``
clients replay each side's refresh and feed (:func:`.clients.replay`), the order of the sides swapped
at every round so that neither is always first. The windows' medians, their spread and the ratio
other/this are printed and written to ``artifacts/ab.json``; the calibration loop is timed at both ends
(see :func:`.report.speed_drifted`).

The ingest worker and the loader are this checkout's: an A/B of the web side (pages, refresh, feed),
not of the ingest (``python -m benchmarks --only ingest`` measures that, each run against a bare
consumer in the same run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson
import redis

from . import browser, clients, report
from .harness import (
    ROOT,
    Children,
    app_env,
    core_speed_s,
    machine,
    say,
    start_ingest,
    start_redis,
    start_web,
    wait_web,
)
from .load import Operations
from .phases import seed

PREFIX = "ab"
#: Where the figures go (``--out`` changes it).
OUT = ROOT / "artifacts" / "ab.json"
#: The sides' names: this checkout, and the one named on the command line.
THIS, OTHER = "this", "other"
#: Refreshes under the load before the first window (as the bench's ``warmup_s``); ``--quick``'s, which only
#: needs one refresh to replay.
WARMUP_S, QUICK_WARMUP_S = 3.0, 1.0
#: How long a page's first refresh is waited for after the warm-up (a quick run on a loaded machine).
REFRESH_WAIT_S = 60.0


def _refresh_body(driver: Any) -> str | None:
    """The body of the page's refresh to replay (:meth:`.browser.Traffic.replay_body`), waiting up to
    :data:`REFRESH_WAIT_S` for one when none has been sent yet; ``None`` if none came."""
    deadline = time.monotonic() + REFRESH_WAIT_S
    while not (body := browser.read_traffic(driver).replay_body()) and time.monotonic() < deadline:
        time.sleep(0.25)
    return body


def _order(round_: int) -> list[str]:
    """The sides in the order of ``round_``: swapped every round."""
    return [THIS, OTHER] if round_ % 2 == 0 else [OTHER, THIS]


def summary(values: Sequence[float]) -> dict[str, float]:
    """A side's windows: their median, lowest and highest (NaN for none)."""
    if not values:
        return {"median": float("nan"), "low": float("nan"), "high": float("nan")}
    return {"median": statistics.median(values), "low": min(values), "high": max(values)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="the other checkout (its app is served as the other side)")
    parser.add_argument("--rounds", type=int, default=3, help="windows of each kind per side (3)")
    parser.add_argument("--seconds", type=float, default=12.0, help="one page window, s (12)")
    parser.add_argument("--clients", type=int, default=100, help="clients of each side (100)")
    parser.add_argument("--client-seconds", type=float, default=15.0, help="one clients window, s (15)")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=1_000.0, help="the loader's entries/s (1,000)")
    parser.add_argument("--quick", action="store_true", help="a smoke check: small, one short round")
    parser.add_argument("--out", type=Path, default=OUT, help="where the figures go")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds, args.clients, args.client_seconds = 1, 1.0, 5, 1.0
        args.incidents, args.units, args.rate = 500, 100, 100.0
    other = args.other.resolve()
    if not (other / "app" / "__init__.py").is_file() or not (other / "benchmarks").is_dir():
        parser.error(f"{other} is not a checkout of Basira (no app/ and benchmarks/ there)")
    if not browser.available():
        parser.error("chromedriver not found: the A/B needs a browser (apt install chromium chromium-driver)")
    sides = {THIS: ROOT, OTHER: other}
    figures: dict[str, Any] = {side: {"cpu": [], "clients_p95": [], "clients_p50": [], "clients_errors": 0}
                               for side in sides}
    started = time.time()
    with ExitStack() as stack:
        children = stack.enter_context(Children())
        server = stack.enter_context(start_redis())
        client = redis.Redis.from_url(server.url, decode_responses=True)
        host = machine(client)
        say(f"A/B: {ROOT} (this) against {other} (other); {host['cores']} cores ({host['cpu']}), "
            f"the calibration loop {host['core_speed_s']:.2f} s")
        worker = start_ingest(children, server.url, PREFIX)
        webs = {side: start_web(children, f"{side}-web", "app:server", app_env(server.url, PREFIX), cwd=path)
                for side, path in sides.items()}
        seed(client, PREFIX, Operations(args.incidents, args.units, seed=11), timeout=300)
        for web in webs.values():
            wait_web(web)
        loader = children.start("loader", [
            sys.executable, "-m", "benchmarks.load", "--url", server.url, "--prefix", PREFIX, "--seed", "11",
            "--incidents", str(args.incidents), "--units", str(args.units), "--rate", str(args.rate),
        ])  # fmt: skip
        drivers = {side: stack.enter_context(browser.chromium()) for side in sides}
        bodies: dict[str, str] = {}
        for side, driver in drivers.items():
            browser.read_traffic(driver)  # drain
            browser.open_page(driver, webs[side].url + "/", browser.leaflet_ready, timeout=180)
        # refreshes under the load before the first window: their bodies are read
        time.sleep(QUICK_WARMUP_S if args.quick else WARMUP_S)
        for side, driver in drivers.items():
            body = _refresh_body(driver)
            if not body:
                raise SystemExit(f"{side}: the page sent no refresh to replay")
            bodies[side] = body
        for round_ in range(args.rounds):
            for side in _order(round_):
                cpu = browser.page_cpu(drivers[side], args.seconds)
                figures[side]["cpu"].append(cpu.total)
                say(f"round {round_ + 1}/{args.rounds}, {side}: the page {cpu.total:.3f} CPU-s/s")
        for driver in drivers.values():
            driver.get("about:blank")  # the clients' windows without the pages, as in the bench
        for round_ in range(args.rounds):
            for side in _order(round_):
                result = clients.replay(webs[side].url, bodies[side], args.clients, args.client_seconds,
                                        feed_path=browser.FEED_PATH)
                figures[side]["clients_p95"].append(result.p95)
                figures[side]["clients_p50"].append(result.p50)
                figures[side]["clients_errors"] += result.errors
                say(f"round {round_ + 1}/{args.rounds}, {side}: {args.clients} clients p50 "
                    f"{result.p50:,.0f} ms, p95 {result.p95:,.0f} ms, {result.errors} errors")
        children.stop(loader)
        children.stop(worker)
    host["core_speed_end_s"] = core_speed_s()
    record = {
        "sides": {side: str(path) for side, path in sides.items()},
        "machine": {k: host[k] for k in ("cores", "cpu", "core_speed_s", "core_speed_end_s")},
        "drifted": report.speed_drifted(host), "seconds": time.time() - started,
        "plan": {k: v for k, v in vars(args).items() if k not in ("other", "out")},
        **{side: {**figures[side], **{f"{k}_{stat}": v for k in ("cpu", "clients_p95")
                                     for stat, v in summary(figures[side][k]).items()}}
           for side in sides},
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
    print(flush=True)
    for key, unit in (("cpu", "CPU-s/s"), ("clients_p95", "ms")):
        a, b = summary(figures[THIS][key]), summary(figures[OTHER][key])
        ratio = b["median"] / a["median"] if a["median"] else float("nan")
        say(f"{key}: this {a['median']:.3f} {unit} ({a['low']:.3f}–{a['high']:.3f}), other {b['median']:.3f} "
            f"({b['low']:.3f}–{b['high']:.3f}); other/this {ratio:.3f}")
    if note := report.drift_note(host):
        say(note + " (both sides saw it, window by window)")
    say(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
