"""The live page in a real headless Chromium, served by the real app against a real Redis.

The app (``create_app``) runs in a thread on a free 127.0.0.1 port; entries go in through the
streams and the ingest worker, as in production. Debian's ``chromium`` and ``chromium-driver`` are
driven by selenium; nothing is downloaded. Screenshots land in ``artifacts/``. Each test ends by
asserting that the browser console holds no errors.
"""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

from app.contract import Stream
from app.feed import cut_of
from app.store import Store
from tests.browser import (
    XSS,
    Refreshes,
    after_refreshes,
    console_errors,
    feed,
    fresh,
    js,
    screenshot,
    serving,
    settled,
    wait_for,
)
from tests.clock import age_within
from tests.helpers import incident, now_ms, simulated, unit

pytestmark = pytest.mark.browser


def map_scale(driver) -> float:
    """Screen distance between two region labels: it doubles with each zoom level, and stays put as
    long as the view does (labels are markers, so, unlike polygons, they are never clipped)."""
    return js(driver, """
        var labels = document.querySelectorAll('.basira-label-region');
        var a = labels[0].getBoundingClientRect(), b = labels[1].getBoundingClientRect();
        return Math.hypot(a.x - b.x, a.y - b.y);
    """)


def test_live_page(browser, client, settings) -> None:
    # live for the whole test: no ingest worker runs between the feeds, and a slow machine may take
    # longer than the default 15 s to get here (the stale state has a test of its own)
    # a new page's whole picture cut at a tick (not on the 2 s grid): see below
    settings = settings.model_copy(update={"refresh_ms": 500, "stale_after_s": 3600,
                                           "feed_whole_ms": settings.feed_ms})
    store = Store.from_settings(settings)
    token = store.meta.mark_demo()  # the simulator's stamp: this test's entries are demo data
    incidents = [
        incident("MK1", description=XSS),
        incident("MK2", priority="2", lat="21.43", lon="39.83", description=XSS),
        incident("MK3", priority="3", lat="21.41", lon="39.81", description=XSS),
        incident("RY1", agency="traffic", category="collision", priority="2", lat="24.7136", lon="46.6753",
                 description=XSS),
        incident("DM1", agency="patrol", category="theft", priority="4", lat="26.4207", lon="50.0888",
                 description=XSS),
        # a cluster near the top edge of the map (icons there have the lowest z-index)
        incident("AR1", agency="road_security", lat="30.98", lon="41.02", description=XSS),
        incident("AR2", agency="road_security", lat="30.96", lon="41.05", description=XSS),
    ]
    units = [unit("U1", heading="45"), unit("U2")]
    feed(client, settings, simulated(token, {Stream.incidents: incidents, Stream.units: units}))
    # the page's whole picture is cut after these were applied, so it holds them as slim rows (a change
    # after its cut would come again, whole, in the ticks since)
    applied = store.meta.clock_ms()
    wait_for(browser, lambda _: cut_of(store.meta.clock_ms(), settings.feed_ms) > applied,
             message="Redis's clock did not move on")
    fresh(browser)  # start with an empty console log

    with serving(settings) as url:
        browser.get(url + "/")
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".basira-map.leaflet-container"),
                 message="the map container did not render")
        # the offline basemap: 13 regions + 11 neighbours (the Kingdom's own outline is filtered out)
        wait_for(browser, lambda d: len(d.find_elements(
            By.CSS_SELECTOR, ".leaflet-basira-basemap-pane path")) >= 24, message="no region polygons")
        # region names, in a pane above the polygons (in the polygons' own pane, the SVG covers them)
        wait_for(browser, lambda d: len(d.find_elements(
            By.CSS_SELECTOR, ".leaflet-basira-labels-pane .basira-label-region")) == 13)
        # live layers: clusters or single markers for the incidents, and the units
        wait_for(browser, lambda d: d.find_elements(
            By.CSS_SELECTOR, ".basira-incident-cluster, path.basira-incident"), message="no incidents drawn")
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".basira-unit, .basira-unit-cluster"))
        # every cluster icon is on top where it is drawn (nothing swallows its clicks)
        assert len(browser.find_elements(By.CSS_SELECTOR, ".basira-incident-cluster")) >= 2
        assert js(browser, """
            return Array.from(document.querySelectorAll('.basira-incident-cluster')).every(function (c) {
                var r = c.getBoundingClientRect();
                var hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                return hit && hit.closest('.basira-incident-cluster') !== null;
            });""")
        # the KPI strip counts the open incidents; the picture is live and marked as demo data
        wait_for(browser, lambda d: d.find_element(
            By.CSS_SELECTOR, "[data-kpi=open] .basira-kpi-value").get_attribute("data-value") == "7",
            message="KPI strip does not show 7 open incidents")
        assert "is-live" in browser.find_element(By.ID, "live-state").get_attribute("class")
        assert browser.find_element(By.ID, "live-demo").is_displayed()
        # Dash's lazily loaded components (the map's GeoJSON drew the regions above) run on the vendored
        # regenerator runtime alone: the page asked for no @babel/polyfill (app/web.py, _Dash)
        scripts = js(browser, "return performance.getEntriesByType('resource').map(function (e) {"
                              " return e.name; })")
        assert any("/async-GeoJSON.js" in name for name in scripts)
        assert any("/assets/vendor/regenerator-runtime.js" in name for name in scripts)
        assert not [name for name in scripts if "polyfill" in name]
        assert browser.find_element(By.ID, "live-banner").text == ""
        # attribution, as the ODbL requires
        attribution = browser.find_element(By.CSS_SELECTOR, ".leaflet-control-attribution")
        assert "OpenStreetMap" in attribution.text
        links = [a.get_attribute("href") for a in attribution.find_elements(By.TAG_NAME, "a")]
        assert "https://www.openstreetmap.org/copyright" in links

        root = browser.find_element(By.ID, "live-root")
        assert (root.get_attribute("dir"), root.get_attribute("lang")) == ("rtl", "ar")
        # access control is off in this test: the bar says so
        notice = browser.find_element(By.CSS_SELECTOR, "#live-account .basira-auth-off")
        assert notice.text == "الوصول غير محمي" and "كل البيانات" in notice.get_attribute("title")
        screenshot(browser, "live-ar")

        # language toggle flips the direction and the labels
        browser.find_element(By.CSS_SELECTOR, "#live-lang input[value=en]").click()
        wait_for(browser, lambda d: d.find_element(By.ID, "live-root").get_attribute("dir") == "ltr")
        assert browser.find_element(By.ID, "live-root").get_attribute("lang") == "en"
        wait_for(browser, lambda d: "Riyadh" in [e.text for e in d.find_elements(
            By.CSS_SELECTOR, ".basira-label-region")], message="region labels did not switch to English")
        wait_for(browser, lambda d: "Open incidents" in d.find_element(By.ID, "live-kpis").text)
        screenshot(browser, "live-en")

        # zoom in as a user would; new data must not move the map back
        national = map_scale(browser)
        for _ in range(2):
            before = map_scale(browser)
            browser.find_element(By.CSS_SELECTOR, ".leaflet-control-zoom-in").click()
            still = settled(".basira-label-region")
            wait_for(browser, lambda d: map_scale(d) > 1.5 * before and still(d),  # noqa: B023
                     message="the map did not zoom in")
        zoomed = map_scale(browser)
        assert zoomed == pytest.approx(4 * national, rel=0.05)
        feed(client, settings, simulated(token, {Stream.incidents: [
            incident("MK4", lat="21.42", lon="39.82", ts=now_ms(), description=XSS)]}))
        wait_for(browser, lambda d: d.find_element(
            By.CSS_SELECTOR, "[data-kpi=open] .basira-kpi-value").get_attribute("data-value") == "8")
        after_refreshes(browser, 3)  # a few more refreshes
        assert map_scale(browser) == pytest.approx(zoomed, rel=0.01), "the refresh moved the map"

        # clicking clusters zooms into them, down to single markers
        for _ in range(8):
            if browser.find_elements(By.CSS_SELECTOR, "path.basira-incident"):
                break
            js(browser, """var c = document.querySelector('.basira-incident-cluster');
                           if (c) { c.dispatchEvent(new MouseEvent('click', {bubbles: true})); }""")
            wait_for(browser, settled(".basira-label-region, .basira-incident-cluster, path.basira-incident"),
                     message="the map did not stop moving")
        assert browser.find_elements(By.CSS_SELECTOR, "path.basira-incident"), "could not zoom to markers"

        # a popup shows the untrusted description as text, never as HTML — each marker's: those of the
        # whole picture are held as slim rows, and their descriptions read when the popup opens
        opened: dict[str, str] = {}
        for n in range(len(browser.find_elements(By.CSS_SELECTOR, "path.basira-incident"))):
            # a popup opened pans the map to show it, which may take markers out of the view: those left
            if not js(browser, """var p = document.querySelectorAll('path.basira-incident')[arguments[0]];
                           if (!p) { return false; }
                           var r = p.getBoundingClientRect();
                           p.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: r.x + r.width / 2,
                                                                    clientY: r.y + r.height / 2}));
                           return true;""", n):
                break
            # textContent: Selenium's .text is empty while Leaflet fades the popup in (opacity 0)
            got = wait_for(browser, lambda d: js(d, """
                var t = document.querySelector('.basira-popup-text:not(.is-loading)');
                var id = document.querySelector('.basira-popup-id');
                return t && id ? [id.textContent, t.textContent] : null;"""),
                           message="no popup with its description")
            opened[got[0]] = got[1]
            # closed before the next: the next popup read is the next marker's
            js(browser, "document.querySelector('.basira-popup .leaflet-popup-close-button').click();")
            wait_for(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, ".basira-popup"),
                     message="the popup did not close")
        assert opened
        assert all("<img src=x" in text for text in opened.values()), opened
        assert js(browser, """return performance.getEntriesByType('resource').some(function (e) {
                              return e.name.indexOf('/ogc/collections/incidents/items/') >= 0; })""")
        assert not browser.find_elements(By.CSS_SELECTOR, ".basira-popup img, .basira-popup script")
        assert js(browser, "return window.__pwned === undefined")
        screenshot(browser, "live-popup")

        browser.find_element(By.CSS_SELECTOR, "#live-lang input[value=ar]").click()
        wait_for(browser, lambda d: d.find_element(By.ID, "live-root").get_attribute("dir") == "rtl")
        assert console_errors(browser) == []


@pytest.mark.parametrize("case", ["stale", "down"])
def test_stale_or_unreachable_store_is_shown_as_such(case, browser, client, settings) -> None:
    settings = settings.model_copy(update={"refresh_ms": 500, "stale_after_s": 15})
    if case == "stale":
        old = now_ms() - 10 * 60_000
        feed(client, settings, {Stream.incidents: [incident("OLD1", ts=old)]})
        # The ingest worker was last caught up ten minutes ago (it died then, say).
        Store.from_settings(settings).apply.mark_caught_up(old)
    else:
        settings = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})  # nothing listens
    fresh(browser)

    with serving(settings) as url:
        browser.get(url + "/?lang=en")
        wait_for(browser, lambda d: f"is-{case}" in d.find_element(By.ID, "live-root").get_attribute("class"),
                 message=f"the page did not show the {case} state")
        # on a slow start the watchdog may have said "lost" (which hides the state line) before the first
        # answer; the answer clears it
        wait_for(browser, lambda d: "is-lost" not in d.find_element(By.ID, "live-watchdog").get_attribute(
            "class"), message="the watchdog says lost while the server answers")
        banner = browser.find_element(By.ID, "live-banner").text
        state = browser.find_element(By.ID, "live-state").text
        if case == "stale":
            # ten minutes old when marked, and older by the time the page counted: at most by as long as
            # the test took to read it (the page is slow to load on a busy machine)
            age = re.search("last update (.+?) ago", banner)
            assert state == "Stale data" and "stale" in banner, banner
            assert age and age_within(age[1], 10 * 60_000, now_ms() - old), banner
        else:
            assert state == "Store unreachable" and "cannot be reached" in banner
        assert "Traceback" not in browser.page_source
        screenshot(browser, f"live-{case}")
        assert console_errors(browser) == []


def test_a_refresh_slower_than_the_tick_is_still_shown(browser, client, settings) -> None:
    """Dash drops a callback's answer when the callback is asked again before it answers. Driven by the
    tick itself, a refresh slower than the tick (a loaded server, a large scope) never showed anything:
    each answer was dropped for the next. Paced by its answers, every one is shown."""
    settings = settings.model_copy(update={"refresh_ms": 500})
    feed(client, settings, {Stream.incidents: [incident("SLOW1")]})
    fresh(browser)

    def open_count(d) -> str | None:  # noqa: ANN001
        kpi = d.find_element(By.CSS_SELECTOR, "[data-kpi=open] .basira-kpi-value")
        return kpi.get_attribute("data-value")

    refreshes = Refreshes()
    with serving(settings, slow_refresh_s=1.5, refreshes=refreshes) as url:  # three ticks for each answer
        browser.get(url + "/?lang=en")
        wait_for(browser, lambda d: open_count(d) == "1", message="no refresh answer was shown")
        feed(client, settings, {Stream.incidents: [incident("SLOW2")]})
        wait_for(browser, lambda d: open_count(d) == "2", message="the page stopped refreshing")
        # no tick asks for a refresh while one runs, the page's first one too (asked at load: the first
        # tick took "no answer yet" for an answer and asked again, and no answer was ever shown here)
        assert refreshes.answered >= 2 and refreshes.paced_over == 0
        assert "is-live" in browser.find_element(By.ID, "live-root").get_attribute("class")
        assert "is-lost" not in browser.find_element(By.ID, "live-watchdog").get_attribute("class")
        assert console_errors(browser) == []


def test_a_silent_server_is_shown_as_lost(browser, client, settings) -> None:
    """When the web server stops answering, the browser itself says the picture is not live."""
    settings = settings.model_copy(update={"refresh_ms": 400, "stale_after_s": 2})
    feed(client, settings, {Stream.incidents: [incident("T1")]})
    fresh(browser)
    with serving(settings) as url:
        browser.get(url + "/?lang=en")
        wait_for(browser, lambda d: d.find_element(
            By.CSS_SELECTOR, "[data-kpi=open] .basira-kpi-value").get_attribute("data-value") == "1")
        # The watchdog looks on its own tick: on a slow start it may have said "lost" before the first
        # answer, and clears at its next look after one.
        wait_for(browser, lambda d: "is-lost" not in d.find_element(By.ID, "live-watchdog").get_attribute(
            "class"), message="the watchdog says lost while the server answers")
        assert console_errors(browser) == []
    # the server is gone; the page keeps polling in vain
    wait_for(browser, lambda d: "is-lost" in d.find_element(By.ID, "live-watchdog").get_attribute("class"),
             timeout=60, message="the page did not notice that the server is gone")
    watchdog = browser.find_element(By.ID, "live-watchdog")
    assert watchdog.is_displayed() and "connection to the server is lost" in watchdog.text
    assert not browser.find_element(By.ID, "live-state").is_displayed()  # no "Live" left showing
    screenshot(browser, "live-lost")
