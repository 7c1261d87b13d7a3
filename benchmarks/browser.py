"""Measurements in a real headless Chromium: end-to-end latency, bytes on the wire, render and zoom.

Debian's ``chromium`` and ``chromium-driver`` with the flags of ``tests/browser.py``; nothing is
downloaded. ``probe.js`` is injected before each page's own scripts and observes through public
APIs only (Leaflet's map events, Plotly's promises; see the file). Chrome's performance log gives
the bytes of every ``_dash-update-component`` and live-feed response as received — compressed,
headers included — and the request bodies the concurrent clients later replay.
"""

from __future__ import annotations

import json
import math
import random
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import redis
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from app.contract import Stream

from .harness import percentile, say, wait_until
from .load import probe

CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
PROBE_JS = (Path(__file__).with_name("probe.js")).read_text()
CALLBACK_PATH = "/_dash-update-component"
#: Basira's live feed (the command view's incidents and units): counted with the callbacks.
FEED_PATH = "/api/v1/feed"
#: A test that a page has drawn its data.
Ready = Callable[[webdriver.Chrome], bool]
#: The time a watched id was drawn (Date.now()), or 0.
SEEN = "var s = __bench.seen[arguments[0]]; return s > 0 ? s : 0"


def available() -> bool:
    return CHROMEDRIVER.exists()


@contextmanager
def chromium(size: str = "1366,768") -> Iterator[webdriver.Chrome]:
    """A headless Chromium (the tests' flags) with the probe injected and network logging on."""
    profile = tempfile.mkdtemp(prefix="basira-bench-chromium-")
    options = webdriver.ChromeOptions()
    if CHROMIUM.exists():
        options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", f"--window-size={size}",
    ):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE_JS})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# --- the network log ----------------------------------------------------------------------------------


@dataclass
class Traffic:
    """The page's callback traffic seen in Chrome's performance log."""

    bytes: int = 0
    responses: int = 0
    #: Request body of each server callback that an interval drives, with its response sizes.
    interval_bodies: dict[str, list[int]] = field(default_factory=dict)

    def replay_body(self) -> str | None:
        """The body of the interval-driven callback that sent the most bytes (the page's refresh)."""
        if not self.interval_bodies:
            return None
        return max(self.interval_bodies, key=lambda body: sum(self.interval_bodies[body]))


def read_traffic(driver: webdriver.Chrome) -> Traffic:
    """Callback responses logged since the last read (the log is drained)."""
    urls: dict[str, str] = {}
    bodies: dict[str, str] = {}
    traffic = Traffic()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            request = params["request"]
            urls[params["requestId"]] = request["url"]
            if CALLBACK_PATH in request["url"] and request.get("postData"):
                bodies[params["requestId"]] = request["postData"]
        elif method == "Network.loadingFinished" and _counted(urls.get(params["requestId"], "")):
            size = int(params.get("encodedDataLength", 0))
            traffic.bytes += size
            traffic.responses += 1
            body = bodies.get(params["requestId"])
            if body and _interval_driven(body):
                traffic.interval_bodies.setdefault(body, []).append(size)
    return traffic


def _counted(url: str) -> bool:
    """A response that carries the page's data: a Dash callback, or Basira's live feed."""
    return CALLBACK_PATH in url or FEED_PATH in url


def _interval_driven(body: str) -> bool:
    """A callback an interval drives: directly (the naive baseline page's ``n_intervals``), or through
    a live page's pulse (``<page>-pulse``, the tick paced by the refresh's answers)."""
    try:
        inputs = json.loads(body).get("inputs", [])
    except ValueError:
        return False
    return any(isinstance(i, dict) and (i.get("property") == "n_intervals"
                                        or str(i.get("id", "")).endswith("-pulse")) for i in inputs)


# --- end to end --------------------------------------------------------------------------------------


@dataclass
class EndToEnd:
    latencies_ms: list[float]
    missed: int
    bytes_per_s: float
    bytes_per_response: float
    seconds: float
    replay_body: str | None

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies_ms, 95)


def open_page(driver: webdriver.Chrome, url: str, ready: Ready, timeout: float) -> None:
    """Load ``url`` and wait until it has drawn its data; a ``TimeoutError`` says what the page did."""
    driver.get(url)
    try:
        wait_until(lambda: ready(driver), timeout, every=0.2, what=f"the page at {url} to draw its data")
    except TimeoutError as error:
        seen = f"the page: {page_stats(driver)}; console: {console_errors(driver)[:3]}"
        raise TimeoutError(f"{error}; {seen}") from None


def leaflet_ready(driver: webdriver.Chrome) -> bool:
    """The map holds clustered points: the live data has arrived and been drawn."""
    script = "return window.__bench && __bench.maps.length > 0 && __bench.clusters > 0"
    return bool(driver.execute_script(script))


def plotly_ready(driver: webdriver.Chrome) -> bool:
    return bool(driver.execute_script("return window.__bench && __bench.plots.some(p => p.points > 0)"))


def end_to_end(
    driver: webdriver.Chrome,
    client: redis.Redis,
    prefix: str,
    spots: list[tuple[float, float]],
    ids: Iterator[str],
    probes: int,
    label: str,
    timeout_s: float = 20.0,
) -> EndToEnd:
    """Write ``probes`` incidents one at a time and time each from ``XADD`` to drawn in the page.

    Each probe waits a random 0.2–1.2 s first (so probes fall anywhere in the page's refresh
    cycle), is watched for, written, waited for (at most ``timeout_s``: a miss), then closed. The
    page's callback traffic over the same window gives the bytes per second on the wire.
    """
    rng = random.Random(5)
    key = Stream.incidents.key(prefix)
    read_traffic(driver)  # drain: count only this window
    started = time.monotonic()
    latencies, missed = [], 0
    for n in range(probes):
        time.sleep(rng.uniform(0.2, 1.2))
        incident_id, spot = next(ids), spots[n % len(spots)]
        driver.execute_script("__bench.watch(arguments[0])", incident_id)
        sent_ms = time.time() * 1000
        client.xadd(key, probe(incident_id, spot, int(sent_ms)))
        try:
            seen_ms = wait_until(lambda i=incident_id: driver.execute_script(SEEN, i), timeout_s, every=0.05,
                                 what=f"probe {incident_id}")
            latencies.append(float(seen_ms) - sent_ms)
            say(f"  {label}: probe {n + 1}/{probes}: {latencies[-1]:,.0f} ms")
        except TimeoutError:
            missed += 1
            say(f"  {label}: probe {n + 1}/{probes}: not drawn within {timeout_s:g} s")
        client.xadd(key, probe(incident_id, spot, int(time.time() * 1000), status="closed"))
    seconds = time.monotonic() - started
    traffic = read_traffic(driver)
    per_response = traffic.bytes / traffic.responses if traffic.responses else math.nan
    return EndToEnd(latencies, missed, traffic.bytes / seconds, per_response, seconds, traffic.replay_body())


# --- render and zoom ---------------------------------------------------------------------------------


def settle(driver: webdriver.Chrome, quiet_ms: float, timeout: float) -> float:
    """Wait until the map has drawn nothing new for ``quiet_ms``; the time it last did (a thing drawn
    again — a port's marker with its counts moved on — is not new: ``benchmarks/probe.js``)."""

    def quiet() -> float | None:
        now, last = driver.execute_script("return [performance.now(), __bench.lastNewLayer]")
        return last if last and now - last >= quiet_ms else None

    return float(wait_until(quiet, timeout, every=0.1, what="the map to settle"))


def first_render_leaflet(driver: webdriver.Chrome, url: str, timeout: float = 120.0) -> float:
    """Milliseconds from navigation to the last new thing of the first full drawing of the map."""
    open_page(driver, url, leaflet_ready, timeout)
    return settle(driver, quiet_ms=2000, timeout=timeout)


#: What :func:`render_parts` reads in the page: the first whole picture's request (Resource Timing)
#: and the marks and measures ``assets/feed.js`` and ``assets/livelayer.js`` leave (User Timing), in ms
#: from navigation start.
RENDER_PARTS = """
    var feed = performance.getEntriesByType("resource").find(function (e) {
        return e.name.indexOf("/api/v1/feed") >= 0 && e.name.indexOf("since=") < 0; });
    var first = function (name) { return performance.getEntriesByName(name)[0] || null; };
    var at = function (name) { var e = first(name); return e ? e.startTime : null; };
    var took = function (name) { var e = first(name); return e ? e.duration : null; };
    return {asked: feed ? feed.startTime : null, answering: feed ? feed.responseStart : null,
            received: feed ? feed.responseEnd : null, bytes: feed ? feed.encodedBodySize : null,
            parsed: at("basira:feed:parsed"), started: at("basira:feed:started"),
            applied: at("basira:feed:applied"), index_inc: took("basira:index:inc"),
            index_unit: took("basira:index:unit"), clusters: __bench.firstCluster,
            regions: __bench.firstInPane["basira-regions"] || null};
"""


def render_parts(driver: webdriver.Chrome) -> dict[str, float]:
    """Where a first render's time went, in ms: ``asked`` (the whole picture's request sent, from
    navigation start), ``server`` (asked → its first byte: the build and the queue), ``download``,
    ``parse``, ``dash`` (the page's own start: navigation → its callback starting the feed), ``wait``
    (parsed, waiting for that start), ``apply`` (handing it to the live layers and their first
    drawing, of which ``index``: the incidents' supercluster index), ``kb`` sent, ``clusters`` (the
    first cluster drawn, from navigation) and ``regions`` (the regions' layer first drawn: the page's
    first refresh, built from its scope's summary); those the page did not record are left out."""
    got = driver.execute_script(RENDER_PARTS)
    parts: dict[str, float] = {}

    def put(name: str, value: float | None) -> None:
        if value is not None and math.isfinite(value):
            parts[name] = float(value)

    def span(a: str, b: str) -> float | None:
        return got[b] - got[a] if got.get(a) is not None and got.get(b) is not None else None

    put("asked", got.get("asked"))
    put("server", span("asked", "answering"))
    put("download", span("answering", "received"))
    put("parse", span("received", "parsed"))
    put("dash", got.get("started"))
    if got.get("parsed") is not None and got.get("started") is not None and got.get("applied") is not None:
        ready = max(got["parsed"], got["started"])
        put("wait", max(0.0, got["started"] - got["parsed"]))
        put("apply", got["applied"] - ready)
    put("index", got.get("index_inc"))
    put("clusters", got.get("clusters"))
    put("regions", got.get("regions"))
    put("kb", got["bytes"] / 1000 if got.get("bytes") else None)
    return parts


def first_render_plotly(driver: webdriver.Chrome, url: str, points: int, timeout: float = 120.0) -> float:
    """Milliseconds from navigation to the first figure with at least ``points`` points drawn."""
    driver.get(url)
    script = "return (__bench.plots.find(p => p.points >= arguments[0]) || {}).t || 0"
    return float(wait_until(lambda: driver.execute_script(script, points), timeout, every=0.2,
                            what=f"a figure of {points:,} points"))


def zoom_steps(driver: webdriver.Chrome, centre: tuple[float, float], zooms: list[float]) -> list[float]:
    """Milliseconds of each zoom step towards ``centre``: from the call until the clusters are redrawn
    (the last new thing drawn after it, or the next animation frame, whichever is later)."""
    out = []
    for zoom in zooms:
        driver.execute_script("__bench.zoomTo(arguments[0], arguments[1], arguments[2])", *centre, zoom)
        wait_until(lambda: driver.execute_script("return __bench.zoom.frame"), 30, what="a frame after zoom")
        last = settle(driver, quiet_ms=700, timeout=60)
        t0, frame = driver.execute_script("return [__bench.zoom.t0, __bench.zoom.frame]")
        out.append(max(last, frame) - t0)
    return out


def console_errors(driver: webdriver.Chrome) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def page_stats(driver: webdriver.Chrome) -> dict[str, Any]:
    """What the probe saw of the page (for messages)."""
    return driver.execute_script(
        "return window.__bench ? {maps: __bench.maps.length, layerEvents: __bench.layerEvents, "
        "clusters: __bench.clusters, plots: __bench.plots.slice(-3)} : 'probe.js not loaded'"
    )


# --- the page's CPU --------------------------------------------------------------------------------

#: The page's main-thread time by kind, from Chrome's ``Performance.getMetrics`` (seconds so far).
CPU_METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


@dataclass
class PageCpu:
    """CPU seconds per second of wall time over one window: the page's main thread by kind (Chrome's
    metrics) and, as ``total``, every Chromium process of the one page (renderer, compositor, network)."""

    seconds: float
    per_s: dict[str, float]
    total: float
    #: CPU per second of each kind of Chromium process ("renderer", "gpu-process", "browser", …).
    processes: dict[str, float]


def _chromium_cpu(driver: webdriver.Chrome) -> dict[str, float]:
    """CPU seconds so far of each kind of process of this driver's Chromium (its ``--type``)."""
    out: dict[str, float] = {}
    root = psutil.Process(driver.service.process.pid)
    for process in root.children(recursive=True):
        try:
            kind = next((a.split("=", 1)[1] for a in process.cmdline() if a.startswith("--type=")), "browser")
            times = process.cpu_times()
        except psutil.Error:
            continue
        out[kind] = out.get(kind, 0.0) + times.user + times.system
    return out


def _metrics(driver: webdriver.Chrome) -> dict[str, float]:
    got = driver.execute_cdp_cmd("Performance.getMetrics", {})
    return {m["name"]: float(m["value"]) for m in got.get("metrics", []) if m["name"] in CPU_METRICS}


def page_cpu(driver: webdriver.Chrome, seconds: float) -> PageCpu:
    """The page's CPU per second of wall time over ``seconds`` of the page running as it does: its main
    thread by kind (Chrome DevTools protocol: ``Performance.getMetrics``'s task, script, layout and
    style durations in thread time, read at both ends of the window) and every Chromium process's
    CPU (the driver's one page is all they serve). The bench process only sleeps meanwhile."""
    driver.execute_cdp_cmd("Performance.enable", {"timeDomain": "threadTicks"})
    before, processes, started = _metrics(driver), _chromium_cpu(driver), time.monotonic()
    time.sleep(seconds)
    after, processes_after, elapsed = _metrics(driver), _chromium_cpu(driver), time.monotonic() - started
    driver.execute_cdp_cmd("Performance.disable", {})
    per_process = {kind: (cpu - processes.get(kind, 0.0)) / elapsed for kind, cpu in processes_after.items()}
    return PageCpu(elapsed, {name: (after[name] - before.get(name, 0.0)) / elapsed for name in after},
                   sum(per_process.values()), per_process)


@dataclass
class JsProfile:
    """A V8 sampling profile's window (its own start to end) and its largest self times."""

    seconds: float
    #: (ms, "name file:line:column"), the largest first.
    top: list[tuple[float, str]]


#: Dash's cache-busting fingerprint in an asset's name (``dash_renderer.v4_4_1m1796437561.min.js``).
_FINGERPRINT = re.compile(r"\.v\d+(?:_\d+)*m\d+")


def js_profile(driver: webdriver.Chrome, seconds: float, top: int = 25) -> JsProfile:
    """Where the page's JavaScript spends its time over ``seconds``: the V8 sampling profiler
    (``Profiler.start``/``stop``), self time per function, the ``top`` largest as (ms, "name
    file:line:column" — the column tells minified functions apart; Dash's fingerprint left out of the
    file's name; V8's own entries, ``(program)``, ``(idle)``, ``(garbage collector)``, bare)."""
    driver.execute_cdp_cmd("Profiler.enable", {})
    driver.execute_cdp_cmd("Profiler.setSamplingInterval", {"interval": 500})
    driver.execute_cdp_cmd("Profiler.start", {})
    time.sleep(seconds)
    profile = driver.execute_cdp_cmd("Profiler.stop", {})["profile"]
    driver.execute_cdp_cmd("Profiler.disable", {})
    nodes = {node["id"]: node for node in profile["nodes"]}
    deltas = profile.get("timeDeltas", [])
    self_ms: dict[str, float] = {}
    for sample, delta in zip(profile.get("samples", [])[1:], deltas[1:], strict=False):
        frame = nodes[sample]["callFrame"]
        where = _FINGERPRINT.sub("", frame["url"].rsplit("/", 1)[-1].split("?")[0])
        name = frame["functionName"] or "(anonymous)"
        if where:
            name += f" {where}:{frame['lineNumber'] + 1}:{frame['columnNumber'] + 1}"
        self_ms[name] = self_ms.get(name, 0.0) + delta / 1000
    window = (profile.get("endTime", 0) - profile.get("startTime", 0)) / 1e6
    return JsProfile(window, sorted(((ms, name) for name, ms in self_ms.items()), reverse=True)[:top])
