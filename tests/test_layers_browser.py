"""The region, heatmap, port, call and official-alert layers, unit trails and links, in a real headless
Chromium.

The real app serves the command view against a real Redis fed through the streams and the ingest
worker. Each test switches on the layers it looks at in the map's layer control (as a user would),
checks what is drawn, saves screenshots in ``artifacts/``, and ends with no console errors.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from app.contract import Stream
from app.store import Store
from app.store.keys import HOUR_MS
from layers.incidents import PULSE_MS
from tests.browser import console_errors, feed, fresh, js, reduce_motion, screenshot, serving, wait_for
from tests.helpers import call, incident, now_ms, port_entry, simulated, unit

pytestmark = pytest.mark.browser

PORTS = ("air-jed", "air-ruh", "land-king-fahd-causeway", "sea-dammam")


def _settings(settings):
    """Refresh every 1.5 s (a loaded test machine answers slower than the default 1 s), and a picture
    that stays live while the test runs (the worker ran once, in burst mode)."""
    return settings.model_copy(update={"refresh_ms": 1500, "stale_after_s": 3600})


def _new_p1(ts: int) -> dict[str, str]:
    """A priority-1 incident in Dammam, opened at ``ts``: it pulses for two minutes after."""
    return incident("NEW-P1", lat="26.40", lon="50.10", agency="patrol", ts=ts)


def _entries(new_p1: bool = True) -> dict[Stream, list[dict[str, str]]]:
    """The layers' scene, now; with :func:`_new_p1` opened now too unless ``new_p1`` is false."""
    now = now_ms()
    three_hours_ago = now - 3 * HOUR_MS
    incidents = [
        *([_new_p1(now)] if new_p1 else []),  # Dammam: new, pulses
        incident("MK2", priority="2", lat="21.49", lon="39.19", ts=three_hours_ago),  # Jeddah
        incident("MK3", priority="3", lat="21.45", lon="39.25", ts=three_hours_ago),
        incident("RY1", agency="traffic", category="collision", priority="2", lat="24.7136", lon="46.6753",
                 status="dispatched", units="U1"),
        incident("MD1", agency="traffic", priority="4", lat="24.47", lon="39.61", ts=three_hours_ago),
        incident("TB1", priority="3", lat="28.38", lon="36.57"),
        incident("OLD", priority="3", lat="18.22", lon="42.50", ts=three_hours_ago),  # Abha, closed:
        incident("OLD", priority="3", lat="18.22", lon="42.50", status="closed", ts=now - HOUR_MS),
    ]
    track = [("24.60", "46.55"), ("24.63", "46.58"), ("24.66", "46.62"), ("24.70", "46.66")]
    units = [unit("U1", lat=lat, lon=lon, agency="traffic", status="dispatched", incident="RY1",
                  ts=now - 40_000 + 10_000 * i) for i, (lat, lon) in enumerate(track)]
    ports = [port_entry(p, travellers=50 + 400 * i, wait_min=10 + 20 * i) for i, p in enumerate(PORTS)]
    ports.append(port_entry("air-jed", travellers=90, category="pilgrim", direction="departure"))
    calls = [call(f"C{i}", region=r, answered_ts=now - 30_000 + 1000 * (5 + 4 * i))
             for i, r in enumerate(["SA-01", "SA-01", "SA-02", "SA-04", "SA-04", "SA-04"])]
    return {Stream.incidents: incidents, Stream.units: units, Stream.ports: ports, Stream.calls: calls}


def _official_alert() -> dict:
    """An official alert as ``store.capin`` keeps it (what ``POST /api/v1/cap`` stores): a severe dust
    storm over a square around Riyadh's centre, for the next hour."""
    lon, lat = 46.6753, 24.7136
    square = [[lon - 0.2, lat - 0.2], [lon + 0.2, lat - 0.2], [lon + 0.2, lat + 0.2], [lon - 0.2, lat + 0.2],
              [lon - 0.2, lat - 0.2]]
    return {"ref": "ncm.gov.sa,NCM-DUST", "status": "Actual", "severity": "Severe", "urgency": "Expected",
            "certainty": "Likely",
            "headline": {"en": "Dust storm warning for Riyadh", "ar": "تحذير من عاصفة ترابية"},
            "event": {"en": "Dust storm"}, "senderName": {"en": "National Center for Meteorology"},
            "expires": now_ms() + 3_600_000, "areas": [{"desc": "Riyadh", "polygon": square}],
            "regions": ["SA-01"]}


def _switch_on(driver, title: str) -> None:
    """Tick a layer in the map's layer control (it lists each layer's title in both languages)."""
    js(driver, """var title = arguments[0];
        document.querySelectorAll('.leaflet-control-layers-overlays label').forEach(function (l) {
            var input = l.querySelector('input');
            if (l.textContent.indexOf(title) >= 0 && !input.checked) { input.click(); }
        });""", title)


def _count(driver, selector: str) -> int:
    return js(driver, "return document.querySelectorAll(arguments[0]).length", selector)


def _hover(driver, selector: str, index: int = 0) -> None:
    """A mouse over the middle of an element (Leaflet follows DOM mouse events on its paths and icons)."""
    js(driver, """var el = document.querySelectorAll(arguments[0])[arguments[1]];
        var r = el.getBoundingClientRect();
        ['mouseover', 'mousemove'].forEach(function (type) {
            el.dispatchEvent(new MouseEvent(type, {bubbles: true, clientX: r.x + r.width / 2,
                                                   clientY: r.y + r.height / 2}));
        });""", selector, index)


def _unhover(driver, selector: str, index: int = 0) -> None:
    js(driver, """var el = document.querySelectorAll(arguments[0])[arguments[1]];
        el.dispatchEvent(new MouseEvent('mouseout', {bubbles: true}));""", selector, index)


def _legend(driver) -> str:
    """The legend's text, open or folded (a short window folds it)."""
    return js(driver, "return document.getElementById('live-legend').textContent")


def _region_path(driver, code: str) -> int:
    """The index of the polygon of region ``code`` among the choropleth's paths (from its tooltip)."""
    for i in range(_count(driver, "path.basira-region-fill")):
        _hover(driver, "path.basira-region-fill", i)
        title = js(driver, "var t = document.querySelector('.basira-region-card .basira-card-title');"
                           "return t ? t.textContent : null")
        _unhover(driver, "path.basira-region-fill", i)
        if title == code:
            return i
    raise AssertionError(f"no polygon for {code}")


def test_regions_ports_and_the_port_panel(browser, client, settings) -> None:
    settings = _settings(settings)
    token = Store.from_settings(settings).meta.mark_demo()
    feed(client, settings, simulated(token, _entries()))
    Store.from_settings(settings).apply.mark_caught_up(now_ms())
    fresh(browser)
    with serving(settings) as url:
        browser.get(url + "/?lang=en")
        # the choropleth: 13 regions, filled, in at least two classes
        wait_for(browser, lambda d: _count(d, "path.basira-region-fill") == 13, 40,
                 "the choropleth did not draw 13 regions")
        drawn = """return Array.from(document.querySelectorAll('path.basira-region-fill')).every(function (p){
            return (p.getAttribute('d') || '').length > 20 && p.getAttribute('fill') !== 'none'; })"""
        wait_for(browser, lambda d: js(d, drawn), message="region polygons without shape or fill")
        fills = js(browser, "return Array.from(document.querySelectorAll('path.basira-region-fill'))"
                            ".map(function (p) { return p.getAttribute('fill'); })")
        assert len(set(fills)) >= 2
        # every region connected (BASIRA_COVERED_REGIONS unset): nothing hatched, nothing to say
        wait_for(browser, lambda d: "Open incidents" in d.find_element(By.ID, "live-kpis").text)
        assert _count(browser, "path.basira-uncovered, .basira-coverage-note, .basira-key-hatch") == 0
        assert "Not yet connected" not in _legend(browser)

        # hover: the region's figures; the switch changes which one the colours (and the tooltip) lead with
        riyadh = _region_path(browser, "Riyadh")
        _hover(browser, "path.basira-region-fill", riyadh)
        card = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".basira-region-card"))
        assert "Open incidents" in card.text and "per 100,000 people" in card.text
        key = browser.find_element(By.CSS_SELECTOR, ".basira-region-card .is-key").text
        assert "per 100,000" in key
        _unhover(browser, "path.basira-region-fill", riyadh)
        regions = ".basira-switch[data-switch=regions]"
        browser.find_element(By.CSS_SELECTOR, f"{regions} button[data-value=open]").click()
        _hover(browser, "path.basira-region-fill", riyadh)
        wait_for(browser, lambda d: "Open incidents" in d.find_element(
            By.CSS_SELECTOR, ".basira-region-card .is-key").text, message="the tooltip ignored the switch")
        assert js(browser, f"return document.querySelector('{regions} .is-on').dataset.value") == "open"
        _unhover(browser, "path.basira-region-fill", riyadh)

        # border ports: every port of the table, the ones that reported drawn live
        wait_for(browser, lambda d: _count(d, ".basira-port.is-live") == len(PORTS), message="port markers")
        assert _count(browser, ".basira-port-quiet") == 34
        assert _count(browser, ".basira-port.is-live .basira-port-air") == 2
        assert _count(browser, ".basira-port.is-live .basira-port-sea") == 1
        assert _count(browser, ".basira-wait-long") >= 1  # the 70-minute queue at Dammam's port
        screenshot(browser, "layers-regions-ports-en")

        # clicking a port opens its panel, with the chart, in English …
        panel = browser.find_element(By.ID, "live-port-panel")
        assert not panel.is_displayed()
        jeddah = js(browser, """var best = -1, left = Infinity;  // the westernmost airport: Jeddah's
            document.querySelectorAll('.basira-port.is-live').forEach(function (m, i) {
                var x = m.getBoundingClientRect().left;
                if (m.querySelector('.basira-port-air') && x < left) { best = i; left = x; }
            });
            return best;""")
        js(browser, "document.querySelectorAll('.basira-port.is-live')[arguments[0]]"
                    ".dispatchEvent(new MouseEvent('click', {bubbles: true}))", jeddah)
        wait_for(browser, lambda d: d.find_element(By.ID, "live-port-panel").is_displayed(), message="panel")
        wait_for(browser, lambda d: "King Abdulaziz" in d.find_element(By.ID, "live-port-name").text)
        wait_for(browser, lambda d: _count(d, "#live-port-panel .js-plotly-plot .barlayer .point") > 0,
                 message="the port chart has no bars")
        text = browser.find_element(By.ID, "live-port-panel").text
        assert "Arrivals per hour" in text and "Departures per hour" in text and "Airport" in text
        assert "Same hours a week earlier" in text and "Makkah" in text
        screenshot(browser, "layers-port-panel-en")

        # … and in Arabic, after the language toggle
        browser.find_element(By.CSS_SELECTOR, "#live-lang input[value=ar]").click()
        wait_for(browser, lambda d: "مطار الملك عبدالعزيز" in d.find_element(By.ID, "live-port-name").text,
                 message="the panel did not switch to Arabic")
        wait_for(browser, lambda d: "القادمون كل ساعة" in d.find_element(By.ID, "live-port-panel").text)
        assert browser.find_element(By.ID, "live-port-close").text == "إغلاق"
        wait_for(browser, lambda d: _count(d, "#live-port-panel .js-plotly-plot .barlayer .point") > 0)
        screenshot(browser, "layers-port-panel-ar")
        browser.find_element(By.ID, "live-port-close").click()
        wait_for(browser, lambda d: not d.find_element(By.ID, "live-port-panel").is_displayed())
        assert console_errors(browser) == []


def test_heatmap_calls_trails_and_links(browser, client, settings) -> None:
    settings = _settings(settings)
    feed(client, settings, _entries(new_p1=False))  # the pulsing incident comes at the end, when looked for
    store = Store.from_settings(settings)
    store.apply.mark_caught_up(now_ms())
    store.capin.put(_official_alert())  # an official alert (CAP in) over Riyadh
    fresh(browser)
    with serving(settings) as url:
        browser.get(url + "/?lang=en")
        wait_for(browser, lambda d: _count(d, ".leaflet-control-layers-overlays label") >= 6, 40)

        # the heatmap: hexagons for 24 h; the window switch redraws them for 1 h, in the browser
        _switch_on(browser, "Incident density")
        wait_for(browser, lambda d: _count(d, "path.basira-hex") >= 4, message="no hexagons")
        day = _count(browser, "path.basira-hex")
        switch = ".basira-switch[data-switch=heatmap]"
        chosen = (f"var on = document.querySelector('{switch} .is-on');"
                  " return on && on.getAttribute('data-value')")
        # the switch is drawn apart from the hexagons: on a loaded machine it may come a moment later
        wait_for(browser, lambda d: js(d, chosen) == "24", message="the heatmap's window is not 24 h")
        browser.find_element(By.CSS_SELECTOR, f"{switch} button[data-value='1']").click()
        wait_for(browser, lambda d: 0 < _count(d, "path.basira-hex") < day, message="1 h drew the same hexes")
        _hover(browser, "path.basira-hex")
        card = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".basira-hex-card"))
        assert "in the last 1 h" in card.text
        _unhover(browser, "path.basira-hex")
        browser.find_element(By.CSS_SELECTOR, f"{switch} button[data-value='6']").click()
        wait_for(browser, lambda d: _count(d, "path.basira-hex") > 0)

        # 911 calls: a badge per region with calls, its colour against NENA
        _switch_on(browser, "911 calls")
        wait_for(browser, lambda d: _count(d, ".basira-calls") == 3, message="no call badges")
        assert _count(browser, ".basira-calls-meets") >= 1
        _hover(browser, ".basira-calls")
        card = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".basira-calls-card"))
        assert "Within 15 s" in card.text
        _unhover(browser, ".basira-calls")

        # units: the moving unit's trail; hovering it links it to its incident
        wait_for(browser, lambda d: _count(d, "path.basira-trail") >= 1, message="no unit trail")
        _hover(browser, ".basira-unit")
        wait_for(browser, lambda d: _count(d, "path.basira-link") == 1, message="no unit → incident link")
        _unhover(browser, ".basira-unit")
        wait_for(browser, lambda d: _count(d, "path.basira-link") == 0)

        # official alerts: the area drawn in its severity's colour, the headline in its tooltip
        wait_for(browser, lambda d: _count(d, "path.basira-official") == 1, message="no official alert area")
        assert js(browser, "return document.querySelector('path.basira-official').getAttribute('stroke')") \
            == "#ff7a1a"
        _hover(browser, "path.basira-official")
        card = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".basira-official-card"))
        assert "Dust storm warning for Riyadh" in card.text
        assert "Expires" in card.text and "Severe" in card.text
        _unhover(browser, "path.basira-official")
        assert "Official alerts" in _legend(browser)

        # a new priority-1 incident pulses: its own marker, not only its cluster. It pulses for PULSE_MS
        # after it was opened, so it is opened now, after the dozen waits above (which may take minutes on
        # a busy machine), and looked for until its pulse would have ended. The suite's pages are seen
        # with less motion (tests.browser.reduce_motion): there the marker is marked and still; for a
        # viewer who did not ask for less motion, the same marker pulses.
        opened = now_ms()
        feed(client, settings, {Stream.incidents: [_new_p1(opened)]})
        pulsing = """var m = document.querySelectorAll('.basira-incident-new');
            return m.length === 1 && getComputedStyle(m[0].querySelector('div')).animationName;"""
        wait_for(browser, lambda d: js(d, pulsing) == "none", (opened + PULSE_MS - now_ms()) / 1000,
                 "no marker of its own for the new P1 incident (still, for less motion)")
        reduce_motion(browser, False)
        try:
            wait_for(browser, lambda d: js(d, pulsing) == "basira-pulse",
                     (opened + PULSE_MS - now_ms()) / 1000, "the new P1 incident's marker does not pulse")
        finally:
            reduce_motion(browser)
        screenshot(browser, "layers-heat-calls-en")

        # Arabic: the switches move to the other corner and speak Arabic
        browser.find_element(By.CSS_SELECTOR, "#live-lang input[value=ar]").click()
        wait_for(browser, lambda d: "آخر" in d.find_element(By.CSS_SELECTOR, switch).text)
        assert js(browser, f"return document.querySelector('{switch}').closest('.leaflet-right') !== null")
        wait_for(browser, lambda d: _count(d, "path.basira-hex") > 0)
        screenshot(browser, "layers-heat-calls-ar")
        assert console_errors(browser) == []


def test_a_region_scope_fills_its_region_only(browser, client, settings) -> None:
    settings = _settings(settings)
    feed(client, settings, _entries())
    Store.from_settings(settings).apply.mark_caught_up(now_ms())
    fresh(browser)
    with serving(settings) as url:
        browser.get(url + "/?region=SA-02&lang=ar")
        wait_for(browser, lambda d: _count(d, "path.basira-region-fill") == 1, 40,
                 "a region scope should fill its region alone")
        _hover(browser, "path.basira-region-fill")
        # the card exists before its text is filled in: wait for the text, not for the element
        wait_for(browser, lambda d: "مكة المكرمة" in (text := d.find_element(By.CSS_SELECTOR,
                 ".basira-region-card").text) and "البلاغات المفتوحة" in text,
                 message="the region card does not name Makkah and its open calls")
        assert _count(browser, ".basira-port.is-live") == 1  # Jeddah's airport
        screenshot(browser, "layers-region-ar")
        assert console_errors(browser) == []


def test_regions_not_yet_connected_are_hatched_and_said_so(browser, client, settings) -> None:
    """BASIRA_COVERED_REGIONS=SA-02,SA-01: the 11 other regions hatched above the land and the choropleth,
    below the markers, with a legend line; the KPI strip says its figures leave them out."""
    settings = _settings(settings).model_copy(update={"covered_regions": "SA-02,SA-01"})
    feed(client, settings, _entries())
    Store.from_settings(settings).apply.mark_caught_up(now_ms())
    fresh(browser)
    with serving(settings) as url:
        browser.get(url + "/?lang=en")
        hatched = """var paths = document.querySelectorAll('path.basira-uncovered');
            return Array.from(paths).filter(function (p) {
                return (p.getAttribute('d') || '').length > 20
                    && p.getAttribute('fill') === 'url(#basira-hatch)'
                    && getComputedStyle(p).pointerEvents === 'none'; }).length"""
        wait_for(browser, lambda d: js(d, hatched) == 11, 40, "the 11 regions not connected are not hatched")
        assert js(browser, "return document.querySelectorAll('#basira-hatch line').length") == 1
        z = js(browser, """function z(name) { var p = document.querySelector('.leaflet-' + name + '-pane');
                return p ? Number(getComputedStyle(p).zIndex) : null; }
            return [z('basira-basemap'), z('basira-regions'), z('basira-coverage'), z('basira-units'),
                    z('basira-incidents')];""")
        assert z[0] < z[1] < z[2] < z[3] < z[4], z  # land, choropleth, hatch, units, incidents
        wait_for(browser, lambda d: "Not yet connected" in _legend(d), message="no legend line for the hatch")
        assert _count(browser, "#live-legend .basira-key-hatch") == 1
        wait_for(browser, lambda d: "2 of 13 regions connected · figures exclude the others"
                 in d.find_element(By.ID, "live-kpis").text, message="the KPI strip does not say it")
        screenshot(browser, "layers-coverage-en")

        # a drill-down into the Eastern Province: its own figures, labelled; in Arabic, the legend line too
        browser.get(url + "/?region=SA-04&lang=ar")
        wait_for(browser, lambda d: "غير متصلة بعد" in d.find_element(By.ID, "live-kpis").text, 40,
                 "a region not yet connected is not labelled")
        wait_for(browser, lambda d: "غير متصلة بعد" in _legend(d), message="no Arabic legend line")
        assert console_errors(browser) == []
