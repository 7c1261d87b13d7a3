"""Shared by the browser tests: a headless Debian Chromium, the real app on a free port, helpers.

Nothing is downloaded: Debian's ``chromium`` and ``chromium-driver`` are driven by selenium (the
``browser`` fixture in ``conftest.py`` skips when chromedriver is absent). Screenshots land in
``artifacts/``.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from app import create_app
from app.contract import Stream
from app.ingest import IngestWorker
from app.store import Store

if TYPE_CHECKING:
    from tests.clock import Clock


def _found(name: str, debian: Path) -> Path | None:
    """``name`` on PATH (as ``.ci/run`` looks for it), else Debian's place for it, else ``None``."""
    on_path = shutil.which(name)
    return Path(on_path) if on_path else (debian if debian.exists() else None)


CHROMEDRIVER = _found("chromedriver", Path("/usr/bin/chromedriver"))
CHROMIUM = _found("chromium", Path("/usr/bin/chromium"))


def require_chromedriver() -> Path:
    """The chromedriver to use; skips the test without one — but fails it under CI (``CI=true``),
    where a missing driver would otherwise skip every browser test and still pass."""
    if CHROMEDRIVER is None:
        message = "chromedriver is not installed (Debian: apt install chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMEDRIVER
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script> حريق'


def chromium(size: str = "1366,768") -> Iterator[webdriver.Chrome]:
    """A headless Chromium of the given window size, quit (and its profile removed) afterwards."""
    driver_path = require_chromedriver()
    profile = tempfile.mkdtemp(prefix="basira-chromium-")
    options = webdriver.ChromeOptions()
    if CHROMIUM is not None:
        options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", f"--window-size={size}",
    ):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(driver_path)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


#: The phone the browser tests emulate: 390×844 CSS px at a pixel ratio of 2, with touch.
PHONE = (390, 844, 2)


def emulate(driver, width: int, height: int, ratio: float) -> None:
    """Emulate a touch device's screen: ``width``×``height`` CSS px at pixel ratio ``ratio``, and touch."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": ratio, "mobile": True})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})


def reduce_motion(driver, reduce: bool = True) -> None:
    """The page's ``prefers-reduced-motion``: ``reduce`` (as a viewer who turned on the system's "reduce
    motion" setting), else no preference. The suite's pages are seen with less motion: the maps jump
    instead of flying (``assets/motion.js``) and the stylesheets' animations stop — the same places and
    states, without the frames in between, which were a third of the wall's, the kiosk's and the alerts'
    modules' CPU on two cores (issue 17: the suite under 5 minutes). A test of motion itself sets it back."""
    value = "reduce" if reduce else "no-preference"
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-reduced-motion", "value": value}]})


class Browsers:
    """Headless Chromiums kept for the whole session, one per kind (a desktop window of a size, or an
    emulated device): starting one and quitting it takes seconds, about twenty times a run. A module
    borrows its kind (:meth:`lend`) as if new — on a blank page, no cookies, no emulation but its own, an
    empty console — and leaves it on a blank page (a page left open would go on polling its stopped
    server)."""

    def __init__(self) -> None:
        self._open: dict[tuple, tuple[Iterator[webdriver.Chrome], webdriver.Chrome]] = {}

    def lend(self, size: str = "1366,768",
             device: tuple[int, int, float] | None = None) -> Iterator[webdriver.Chrome]:
        key = (size, device)
        if key not in self._open:
            started = chromium(size)
            self._open[key] = (started, next(started))
        driver = self._open[key][1]
        driver.get("about:blank")
        driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        reduce_motion(driver)
        if device is None:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
            driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})
        else:
            emulate(driver, *device)
        driver.get_log("browser")
        yield driver
        driver.get("about:blank")

    def close(self) -> None:
        for started, _driver in self._open.values():
            started.close()  # quits the browser, removes its profile
        self._open.clear()


class _Unlogged(WSGIRequestHandler):
    """Requests answered without a log line each: a live page asks about ten times a second, and the
    lines pytest captured cost ~2.5 s of the suite's CPU. Errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class Refreshes:
    """The live pages' refreshes (the callbacks a pulse drives) a served app answered, and how many a
    pulse asked for while another was still running."""

    answered: int = 0
    running: int = 0
    paced_over: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def serving(settings, clock: Clock | None = None, slow_refresh_s: float = 0,
            refreshes: Refreshes | None = None, callbacks: list[str] | None = None) -> Iterator[str]:
    """The real app on a free port, for the duration of the block; yields its URL. Its pages' "now" is
    ``clock``'s (:class:`tests.clock.Clock`), or the machine's. ``slow_refresh_s``: each live page's
    refresh (a callback a pulse drives) is answered that much later, as by a loaded server; they are
    counted in ``refreshes``. ``callbacks``: each server callback the pages send is added to it (its
    outputs, as Dash names them in the request: ``..a.children...b.data..``)."""
    app = create_app(settings, clock=clock.now_ms if clock else None)
    if slow_refresh_s or refreshes is not None:
        app.wsgi_app = _slowed_refresh(app.wsgi_app, slow_refresh_s,  # type: ignore[method-assign]
                                       refreshes if refreshes is not None else Refreshes())
    if callbacks is not None:
        app.wsgi_app = _recorded(app.wsgi_app, callbacks)  # type: ignore[method-assign]
    listening = _listening_socket()
    server = _Server("127.0.0.1", listening.getsockname()[1], app, handler=_Unlogged, fd=listening.fileno())
    listening.close()  # the server holds its own copy
    thread = threading.Thread(target=server.serve_forever, name="basira-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join(timeout=10)


#: The port this process's apps are served on, kept from one app to the next (0: none yet). The session's
#: Chromiums then see one origin, as a user's browser sees one server: Dash's scripts (fingerprinted, a
#: year's cache) come from the HTTP cache and their compiled code from V8's, as on a user's second visit,
#: instead of every app's pages fetching and compiling ~2 MB of JavaScript again (a command-view load's
#: main thread 1.55, 1.40, 1.05 s over three loads on one origin; ~24 requests fewer a page; issue 17).
_PORT = 0


def _listening_socket() -> socket.socket:
    """A socket listening on loopback: on :data:`_PORT` when it is free, else on a new port (kept)."""
    global _PORT
    for port in dict.fromkeys([_PORT, 0]):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:  # another app of this process still serves there, or another program took it
            sock.close()
            continue
        sock.listen(128)
        _PORT = sock.getsockname()[1]
        return sock
    raise OSError("no free port on 127.0.0.1")


class _Server(ThreadedWSGIServer):
    """werkzeug's threaded server that also closes its kept-alive connections when it is done: the next
    app is served on the same port (:data:`_PORT`), and Chromium would otherwise send its next
    requests down a connection whose thread still answers with the app that was stopped."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - werkzeug's own
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address) -> None:  # noqa: ANN001 - socketserver's own
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:  # noqa: ANN001 - socketserver's own
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            open_now = list(self._connections)
        for connection in open_now:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _slowed_refresh(wsgi, seconds: float, refreshes: Refreshes):  # noqa: ANN001, ANN202 - WSGI callables
    def slowed(environ, start_response):  # noqa: ANN001, ANN202
        if environ.get("PATH_INFO", "").endswith("/_dash-update-component"):
            body = _read_again(environ)
            if b'-pulse"' in body:
                changed = orjson.loads(body).get("changedPropIds") or []
                with refreshes.lock:
                    refreshes.paced_over += refreshes.running > 0 and any(
                        str(prop).endswith("-pulse.data") for prop in changed)
                    refreshes.running += 1
                try:
                    time.sleep(seconds)
                    return wsgi(environ, start_response)
                finally:
                    with refreshes.lock:
                        refreshes.running -= 1
                        refreshes.answered += 1
        return wsgi(environ, start_response)

    return slowed


def _read_again(environ: dict) -> bytes:
    """The request's body, read, and put back for the app to read."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _recorded(wsgi, callbacks: list[str]):  # noqa: ANN001, ANN202 - WSGI callables
    def recorded(environ, start_response):  # noqa: ANN001, ANN202
        if environ.get("PATH_INFO", "").endswith("/_dash-update-component"):
            callbacks.append(str(orjson.loads(_read_again(environ)).get("output")))
        return wsgi(environ, start_response)

    return recorded


def feed(client, settings, entries: dict[Stream, list[dict[str, str]]], clock: Clock | None = None) -> None:
    """Write ``entries`` to their streams and apply them with an ingest worker (in burst mode) whose
    clock is ``clock``'s (the one the test serves the app with), or the machine's."""
    for stream, items in entries.items():
        for fields in items:
            client.xadd(stream.key(settings.stream_prefix), fields)
    worker = IngestWorker(Store.from_settings(settings), settings, clock.seconds if clock else time.time)
    worker.work(burst=True)


def wait_for(driver, condition, timeout: float = 60, message: str = ""):
    """Poll ``condition(driver)`` until truthy. The page re-renders every refresh, so an element found
    a moment ago may be gone: such misses are retried, not failures. The timeout only bounds a wait
    that has failed: on two slow cores at load 7 a page's first answer or a language switch of the
    port panel took longer than 20 s (issue 17), and a passing wait ends as soon as its condition holds."""
    ignored = (StaleElementReferenceException, NoSuchElementException)
    return WebDriverWait(driver, timeout, poll_frequency=0.2, ignored_exceptions=ignored).until(
        lambda d: condition(d), message
    )


def js(driver, script: str, *args):
    return driver.execute_script(script, *args)


def after_refreshes(driver, count: int = 2, timeout: float = 30) -> None:
    """Wait until the page's server callbacks (``/_dash-update-component``: its refreshes among them)
    have been answered ``count`` more times: for checks that nothing comes back over a few refreshes, a
    wait on refreshes, not on time. (It empties the page's resource timings first, so that a full buffer
    cannot hide the answers.)"""
    js(driver, "performance.clearResourceTimings(); performance.setResourceTimingBufferSize(100000);")
    answered = """return performance.getEntriesByType('resource').filter(function (e) {
        return e.name.indexOf('/_dash-update-component') >= 0; }).length;"""
    wait_for(driver, lambda d: js(d, answered) >= count, timeout, f"the page was not refreshed {count} times")


def settled(selector: str):
    """A condition: the boxes of every match of ``selector`` (a map's labels, say) are where they were at
    the last look, 0.2 s before — the map has stopped moving."""
    last: list[str | None] = [None]

    def still(driver) -> bool:
        where = js(driver, "return Array.from(document.querySelectorAll(arguments[0])).map(function (e) {"
                           " return JSON.stringify(e.getBoundingClientRect()); }).join();", selector)
        stopped = bool(where) and where == last[0]
        last[0] = where
        return stopped

    return still


def maps_fading_tiles(driver) -> list[bool]:
    """For each Leaflet map of the page, whether it fades new tiles in (Leaflet marks such a map's
    container ``leaflet-fade-anim``); every page's map should not (``app.pages._kit.widgets.MAP_OPTIONS``)."""
    return js(driver, "return Array.from(document.querySelectorAll('.leaflet-container')).map(function (m) {"
                      " return m.classList.contains('leaflet-fade-anim'); });")


def fresh(driver) -> None:
    """Leave the page a previous test left open (it would log its stopped server's errors), then
    empty the console log: a test's console then holds its own page's messages only."""
    driver.get("about:blank")
    driver.get_log("browser")


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


