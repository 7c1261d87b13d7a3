"""The command view (``/``) as a leader uses it, in a real headless Chromium against a real Redis.

Drill-down by clicks (a region on the map, an agency in the picker, an incident in the list), the
URL that follows, the back and forward buttons, the breadcrumb back up, scope-aware KPIs, the layer
control and its legend, and the two languages mirrored, at 1366×768 and 1920×1080. The data go in
through the streams and the ingest worker (``feed``), as in production. Screenshots land in
``artifacts/``; every browser test ends with an empty console.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from app.contract import Stream
from app.pages.command.drill import View, places_of, viewport
from app.store import Store
from tests.browser import (
    XSS,
    after_refreshes,
    console_errors,
    feed,
    fresh,
    js,
    maps_fading_tiles,
    reduce_motion,
    screenshot,
    serving,
    settled,
    wait_for,
)
from tests.clock import Clock
from tests.helpers import incident, now_ms, simulated, unit

MINUTE = 60_000
WEEK = 7 * 24 * 3_600_000

# --- the view and its URL (no browser) -------------------------------------------------------------------


def test_a_view_comes_from_untrusted_values_and_goes_back_into_a_url() -> None:
    assert View.parse("SA-02", "traffic", "MK-1") == View("SA-02", "traffic", "MK-1")
    # unknown parts fall back to "all", each on its own; a malformed incident id is dropped
    assert View.parse("SA-99", "traffic", "<script>") == View(None, "traffic", None)
    assert View.parse("SA-02", "police") == View("SA-02")
    assert View.parse(" all ", 7, None) == View()
    assert View("SA-02", "traffic").query("ar") == "?region=SA-02&agency=traffic&lang=ar"
    assert View("SA-02", "traffic", "MK1").up_to("region") == View("SA-02")
    assert View("SA-02", "traffic", "MK1").up_to("agency") == View("SA-02", "traffic")


def test_the_map_moves_only_for_a_new_region_or_incident(settings) -> None:
    places = places_of(settings)
    to_region = viewport(View(), View("SA-02"), places, None)
    assert to_region and to_region["transition"] == "flyToBounds"
    (south, west), (north, east) = to_region["bounds"]
    assert south < 21.42 < north and west < 39.83 < east  # Makkah holds the Grand Mosque
    assert viewport(View("SA-02"), View("SA-02", "traffic"), places, None) is None  # an agency: stays
    to_incident = viewport(View("SA-02"), View("SA-02", None, "MK1"), places, (21.4, 39.8))
    assert to_incident == {"center": [21.4, 39.8], "zoom": 12, "transition": "flyTo"}
    assert viewport(View("SA-02", None, "MK1"), View("SA-02"), places, None)["bounds"] == to_region["bounds"]


# --- the browser ---------------------------------------------------------------------------------------

MAKKAH = [  # (id, agency, category, priority, lat, lon): around Jeddah and Makkah, away from the label
    ("MK1", "civil_defense", "fire", "1", "21.4225", "39.8262"),
    ("MK2", "traffic", "collision", "2", "21.55", "39.17"),
    ("MK3", "traffic", "collision", "3", "21.60", "39.20"),
    ("MK4", "patrol", "theft", "4", "21.50", "39.22"),
]
ELSEWHERE = [
    ("RY1", "traffic", "collision", "2", "24.7136", "46.6753"),
    ("RY2", "patrol", "assault", "1", "24.65", "46.72"),
    ("DM1", "patrol", "theft", "4", "26.4207", "50.0888"),
]


def _scene(client, settings, clock: Clock | None = None) -> str:
    """Incidents in three regions, units of several agencies, calls, and port traffic now and a week ago,
    as the simulator writes them to a demo store, at the times of ``clock`` (the one the app is served
    with; default: the machine's); returns the store's stamp."""
    store = Store.from_settings(settings)
    token = store.meta.mark_demo()
    t0 = clock.now_ms() if clock else now_ms()
    incidents = [
        incident(i, agency=a, category=c, priority=p, lat=lat, lon=lon, ts=t0 - 10 * MINUTE + n * 1000,
                 description=XSS)
        for n, (i, a, c, p, lat, lon) in enumerate(MAKKAH + ELSEWHERE)
    ]
    # MK2 is dispatched 40 s and on scene 5 min after opening: the duration KPIs have a value
    opened = t0 - 10 * MINUTE + 1000
    for status, after in (("dispatched", 40_000), ("on_scene", 300_000)):
        incidents.append(incident("MK2", agency="traffic", category="collision", priority="2", lat="21.55",
                                  lon="39.17", status=status, ts=opened + after, units="U2,U7",
                                  description=XSS))
    units = [
        unit("U1", agency="civil_defense", lat="21.43", lon="39.82", ts=t0),
        unit("U2", agency="traffic", status="on_scene", lat="21.551", lon="39.171", incident="MK2", ts=t0),
        unit("U3", agency="patrol", lat="24.70", lon="46.70", ts=t0),
        # MK2's nearest available traffic units (U4 first); never the one out of service beside it
        unit("U4", agency="traffic", lat="21.56", lon="39.18", ts=t0),
        unit("U5", agency="traffic", lat="21.58", lon="39.20", ts=t0),
        unit("U6", agency="traffic", lat="21.62", lon="39.22", ts=t0),
        unit("U8", agency="traffic", status="out_of_service", lat="21.551", lon="39.172", ts=t0),
    ]
    calls = [
        {"id": f"C{n}", "ts": t0 - 60_000, "answered_ts": t0 - 60_000 + (5_000 if n < 9 else 30_000),
         "region": "SA-02", "outcome": "incident"}
        for n in range(10)
    ]
    ports = [
        {"port": "air-jed", "direction": "arrival", "travellers": n, "category": "pilgrim", "ts": str(ts)}
        for n, ts in (("120", t0), ("100", t0 - WEEK))
    ]
    feed(client, settings, simulated(token, {Stream.incidents: incidents, Stream.units: units,
                                             Stream.calls: calls, Stream.ports: ports}), clock)
    return token


def _text(driver, selector: str) -> str | None:
    """The text of the first match, read in one go (the page redraws parts of itself every refresh)."""
    return js(driver, "var e = document.querySelector(arguments[0]); return e ? e.innerText : null;",
              selector)


def _kpi(driver, key: str) -> str | None:
    return js(driver, "var e = document.querySelector(arguments[0]);"
                      "return e ? e.getAttribute('data-value') : null;",
              f"[data-kpi={key}] .basira-kpi-value")


def _tone(driver, key: str) -> str:
    return js(driver, "return document.querySelector(arguments[0]).className", f"[data-kpi={key}]")


def _count(driver, selector: str) -> int:
    return js(driver, "return document.querySelectorAll(arguments[0]).length", selector)


def _query(driver) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(driver.current_url).query).items()}


def _crumbs(driver) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#live-crumbs li")]


def _wait_scope(driver, open_total: int, **query: str) -> None:
    """Until the URL names exactly ``query`` (besides lang) and the KPIs count ``open_total``."""
    wait_for(driver, lambda d: {k: v for k, v in _query(d).items() if k != "lang"} == query,
             message=f"the URL is not {query}: {driver.current_url}")
    wait_for(driver, lambda d: _kpi(d, "open") == str(open_total),
             message=f"the KPIs do not count {open_total} open incidents for {query}")


def _click_map_at_label(driver, name: str) -> None:
    """Click the map where a region's name is written (names let clicks through to the region)."""
    js(driver, """
        var label = Array.from(document.querySelectorAll('.basira-label-region'))
            .find(function (e) { return e.textContent === arguments[0]; });
        var r = label.getBoundingClientRect(), x = r.x + r.width / 2, y = r.y + r.height / 2 + 14;
        var target = document.elementFromPoint(x, y);
        ['mousedown', 'mouseup', 'click'].forEach(function (type) {
            target.dispatchEvent(new MouseEvent(type, {bubbles: true, cancelable: true, clientX: x,
                                                       clientY: y, button: 0}));
        });
    """.replace("arguments[0]", repr(name)))


def _pick(driver, picker: str, value: str) -> None:
    """Choose ``value`` in one of Dash's dropdowns (its menu opens at the end of the document)."""
    driver.find_element(By.ID, picker).click()
    option = wait_for(driver, lambda d: d.find_elements(
        By.CSS_SELECTOR, f".dash-dropdown-content input[value='{value}']"))
    js(driver, "arguments[0].closest('label').click();", option[0])


@pytest.mark.browser
def test_drill_down_by_clicks_the_url_and_the_back_button(browser, client, settings) -> None:
    settings = settings.model_copy(update={"refresh_ms": 500, "stale_after_s": 3600})
    # the port counts asserted are of the last hour: the app runs on a clock half an hour from the top
    # of an hour (a run across it would count the scene's hour pro rata: 119, not 120)
    clock = Clock.mid_hour()
    _scene(client, settings, clock)
    fresh(browser)
    with serving(settings, clock) as url:
        browser.get(url + "/?lang=en")
        _wait_scope(browser, 7)
        assert _crumbs(browser) == ["National"]
        wait_for(browser, lambda d: _count(d, ".basira-row") == 7)
        # the list: most urgent first, then the longest open
        rows = js(browser, "return Array.from(document.querySelectorAll('.basira-row'))"
                           ".map(function (e) { return e.getAttribute('data-incident'); })")
        assert rows[:2] == ["MK1", "RY2"] and rows[-2:] == ["MK4", "DM1"]
        # the KPIs: targets, the answered share, per-agency units, ports against last week
        assert "is-good" in _tone(browser, "dispatch")
        assert "target ≤ 1 min 30 s" in _text(browser, "[data-kpi=dispatch]")
        assert _kpi(browser, "answered") == "0.9"
        assert _count(browser, "[data-kpi=units] [data-agency]") == 5
        assert _kpi(browser, "ports") == "120"
        assert "▲ 20%" in _text(browser, "[data-kpi=ports]")
        # the page is never reloaded by what follows: these marks would be lost
        js(browser, "window.__kept = 1; document.querySelector('.basira-map').__kept = 1;")
        history_start = js(browser, "return history.length")

        # National → Makkah: a click on the region, on the map
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".basira-label-region"))
        _click_map_at_label(browser, "Makkah")
        _wait_scope(browser, 4, region="SA-02")
        wait_for(browser, lambda d: _crumbs(d) == ["National", "Makkah"])
        wait_for(browser, lambda d: _count(d, ".basira-row") == 4)
        assert _text(browser, "#live-region") == "Makkah"
        # the map went to the region and outlines it
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-basira-focus-pane path"))
        assert _kpi(browser, "answered") == "0.9" and _kpi(browser, "ports") == "120"  # Jeddah is in Makkah

        # Makkah → traffic police: the agency picker
        _pick(browser, "live-agency", "traffic")
        _wait_scope(browser, 2, region="SA-02", agency="traffic")
        wait_for(browser, lambda d: _crumbs(d) == ["National", "Makkah", "Traffic police"])
        assert _count(browser, "[data-kpi=units] .basira-chip") == 4  # one agency: by status
        assert _count(browser, "[data-kpi=units] [data-agency]") == 0

        # → an incident, from the list: its details, as text; the map flies to it
        browser.find_element(By.CSS_SELECTOR, ".basira-row[data-incident=MK2]").click()
        _wait_scope(browser, 2, region="SA-02", agency="traffic", incident="MK2")
        wait_for(browser, lambda d: _count(d, ".basira-card[data-incident=MK2]") == 1)
        assert "<img src=x" in _text(browser, ".basira-card-text")
        assert _count(browser, ".basira-card img, .basira-card script") == 0
        assert js(browser, "return window.__pwned === undefined")
        card = _text(browser, ".basira-card")
        assert "On scene" in card and "after 5 min" in card and "U2" in card
        assert _crumbs(browser)[-1] == "Incident MK2"
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "path.basira-pick"))
        # under the card, its three nearest available units, the nearest marked; a line from each on the map
        wait_for(browser, lambda d: _count(d, ".basira-nearest-row") == 3)
        nearest = js(browser, "return Array.from(document.querySelectorAll('.basira-nearest-row'))"
                              ".map(function (e) { return e.getAttribute('data-unit'); })")
        assert nearest == ["U4", "U5", "U6"]
        assert _count(browser, ".basira-nearest-row.is-nearest[data-unit=U4]") == 1
        assert "Nearest available units" in _text(browser, ".basira-nearest")
        wait_for(browser, lambda d: _count(d, "path.basira-nearest-line") == 3)
        assert _count(browser, "path.basira-nearest-line.is-nearest") == 1
        screenshot(browser, "command-incident-en")

        # the back button walks back up, one view at a time, with its KPIs
        browser.back()
        _wait_scope(browser, 2, region="SA-02", agency="traffic")
        wait_for(browser, lambda d: _count(d, ".basira-row") == 2)
        assert not browser.find_elements(By.CSS_SELECTOR, "path.basira-pick")
        wait_for(browser, lambda d: _count(d, "path.basira-nearest-line") == 0)
        browser.back()
        _wait_scope(browser, 4, region="SA-02")
        wait_for(browser, lambda d: _text(d, "#live-agency") == "All agencies")
        browser.back()
        _wait_scope(browser, 7)
        assert _crumbs(browser) == ["National"]
        browser.forward()
        _wait_scope(browser, 4, region="SA-02")

        # the breadcrumb goes back up too
        browser.find_element(By.CSS_SELECTOR, "#live-crumbs a[data-nav]").click()
        _wait_scope(browser, 7)
        # one entry per view: Makkah, then the crumb's (it replaced the entries ahead of Makkah)
        assert js(browser, "return history.length") == history_start + 2
        assert js(browser, "return window.__kept === 1 && document.querySelector('.basira-map').__kept === 1")

        # a shared link opens on its view
        browser.get(url + "/?region=SA-01&agency=patrol&lang=en")
        _wait_scope(browser, 1, region="SA-01", agency="patrol")
        assert _crumbs(browser) == ["National", "Riyadh", "Security patrols"]
        assert console_errors(browser) == []


#: Records, at every frame, the map's scale (the distance between two region labels, which are markers:
#: never clipped) each time it changes, in ``window.__scales``: a flight's frames, or a jump's one step.
RECORD_SCALES = """
    window.__scales = [];
    (function look() {
        var labels = document.querySelectorAll('.basira-label-region');
        if (labels.length > 1) {
            var a = labels[0].getBoundingClientRect(), b = labels[1].getBoundingClientRect();
            var scale = Math.round(Math.hypot(a.x - b.x, a.y - b.y));
            if (window.__scales[window.__scales.length - 1] !== scale) { window.__scales.push(scale); }
        }
        requestAnimationFrame(look);
    })();
"""


def _scales_of_a_move(driver, move, open_total: int, **query: str) -> list[int]:
    """The map's scales (:data:`RECORD_SCALES`) from before ``move()`` until the view is ``query`` and the
    map has come to rest: the first is where it started."""
    js(driver, "window.__scales = window.__scales.slice(-1);")
    move()
    _wait_scope(driver, open_total, **query)
    wait_for(driver, settled(".basira-label-region"), message="the map did not come to rest")
    return js(driver, "return window.__scales;")


@pytest.mark.browser
def test_a_viewer_who_asks_for_less_motion_sees_the_map_jump_not_fly(browser, client, settings) -> None:
    """With the system's "reduce motion" on (CSS's ``prefers-reduced-motion``), a move of the map that
    flies for other viewers (``assets/motion.js``) goes to the same place in one step (WCAG 2.3.3)."""
    settings = settings.model_copy(update={"refresh_ms": 500, "stale_after_s": 3600})
    _scene(client, settings)
    fresh(browser)
    reduce_motion(browser, False)
    try:
        with serving(settings) as url:
            browser.get(url + "/?lang=en")
            _wait_scope(browser, 7)
            wait_for(browser, settled(".basira-label-region"), message="the map did not come to rest")
            js(browser, RECORD_SCALES)
            wait_for(browser, lambda d: js(d, "return window.__scales.length") == 1)

            # found and clicked in one script: the list and the crumbs are drawn again at every refresh
            def to_mk2() -> None:
                js(browser, "document.querySelector('.basira-row[data-incident=MK2]').click();")

            def back_up() -> None:
                js(browser, "document.querySelector('#live-crumbs a[data-nav]').click();")

            flown = _scales_of_a_move(browser, to_mk2, 7, incident="MK2")
            # a flight passes through scales between (as many as frames were drawn: fewer on a loaded machine)
            assert len(flown) > 2 and flown[-1] > 8 * flown[0], f"not a flight to the incident: {flown}"
            reduce_motion(browser)
            up = _scales_of_a_move(browser, back_up, 7)
            assert len(up) == 2 and up[-1] == pytest.approx(flown[0], rel=0.02), f"not one step back up: {up}"
            again = _scales_of_a_move(browser, to_mk2, 7, incident="MK2")
            assert len(again) == 2 and again[-1] == pytest.approx(flown[-1], rel=0.02), \
                f"not one step to where the flight went: {again}, the flight {flown}"
            assert console_errors(browser) == []
    finally:
        reduce_motion(browser)


@pytest.mark.browser
def test_new_data_never_moves_the_map_nor_loses_the_view(browser, client, settings) -> None:
    settings = settings.model_copy(update={"refresh_ms": 400, "stale_after_s": 3600})
    token = _scene(client, settings)
    fresh(browser)
    with serving(settings) as url:
        browser.get(url + "/?lang=en&region=SA-02")
        _wait_scope(browser, 4, region="SA-02")
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-basira-focus-pane path"))
        wait_for(browser, _fitted(), message="the map did not fit the region")
        assert maps_fading_tiles(browser) == [False]  # new tiles appear at once: no frames of fading
        fitted = _scale(browser)
        browser.find_element(By.CSS_SELECTOR, ".leaflet-control-zoom-in").click()
        still = settled(FOCUS)
        wait_for(browser, lambda d: _scale(d) > 1.5 * fitted and still(d), message="the map did not zoom in")
        before = js(browser, "return document.querySelector('.leaflet-basira-focus-pane path')"
                             ".getBoundingClientRect().toJSON()")
        feed(client, settings, simulated(token, {Stream.incidents: [incident("MK9", lat="21.5", lon="39.3",
                                                                      ts=now_ms())]}))
        _wait_scope(browser, 5, region="SA-02")
        after_refreshes(browser, 3)  # a few more refreshes
        after = js(browser, "return document.querySelector('.leaflet-basira-focus-pane path')"
                            ".getBoundingClientRect().toJSON()")
        assert after == pytest.approx(before, abs=1), "new data moved the map"
        assert console_errors(browser) == []


FOCUS = ".leaflet-basira-focus-pane path"


def _focus_share(driver) -> float:
    """How much of the map the outline of the region in focus spans (the larger of its width's and its
    height's shares)."""
    return js(driver, """var m = document.querySelector('.basira-map').getBoundingClientRect();
        var p = document.querySelector(arguments[0]);
        if (!p) { return 0; }
        var r = p.getBoundingClientRect();
        return Math.max(r.width / m.width, r.height / m.height);""", FOCUS)


def _scale(driver) -> float:
    """Screen distance between two region labels: it doubles with each zoom level (labels are markers,
    never clipped as the outlines are)."""
    return js(driver, """var labels = document.querySelectorAll('.basira-label-region');
        var a = labels[0].getBoundingClientRect(), b = labels[1].getBoundingClientRect();
        return Math.hypot(a.x - b.x, a.y - b.y);""")


def _fitted():
    """A condition: the map has flown to the region in focus (its outline spans most of the map one way)
    and has stopped moving."""
    still = settled(FOCUS)
    return lambda driver: _focus_share(driver) > 0.6 and still(driver)


def _layer_names(driver) -> list[str]:
    """The layer control's overlay names as shown (each carries both languages; CSS hides one)."""
    return js(driver, """
        var labels = document.querySelectorAll('.leaflet-control-layers-overlays label');
        return Array.from(labels).map(function (l) {
            return Array.from(l.querySelectorAll('.basira-ln')).filter(function (s) {
                return getComputedStyle(s).display !== 'none';
            }).map(function (s) { return s.textContent; }).join('');
        });""")


@pytest.mark.browser
def test_the_layer_control_switches_layers_and_the_legend_follows(browser, client, settings) -> None:
    settings = settings.model_copy(update={"refresh_ms": 500, "stale_after_s": 3600})
    _scene(client, settings)
    fresh(browser)
    with serving(settings) as url:
        browser.get(url + "/?lang=en")
        _wait_scope(browser, 7)
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".basira-unit, .basira-unit-cluster"))
        # the control opens under the pointer, listing every overlay in the page's language
        control = browser.find_element(By.CSS_SELECTOR, ".leaflet-control-layers")
        ActionChains(browser).move_to_element(control).perform()
        wait_for(browser, lambda d: _count(d, ".leaflet-control-layers-expanded") == 1)
        labels = browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-overlays label")
        names = _layer_names(browser)
        assert "Field units" in names and "Incidents" in names  # in the page's language only
        # two basemaps, dark (on) and light: choosing one swaps the tiles' flavour and the legend
        bases = browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-base input")
        assert len(bases) == 2 and bases[0].is_selected() and not bases[1].is_selected()
        wait_for(browser, lambda d: _count(d, "#live-map.basira-basemap-dark") == 1)
        js(browser, "arguments[0].click()", bases[1])
        wait_for(browser, lambda d: _count(d, "#live-map.basira-basemap-light") == 1
                 and _count(d, "#live-map.basira-basemap-dark") == 0, message="no light basemap")
        wait_for(browser, lambda d: _count(d, "#live-legend [data-layer=basemap_light]") == 1
                 and _count(d, "#live-legend [data-layer=basemap]") == 0, message="legend: still dark")
        js(browser, "arguments[0].click()", bases[0])
        wait_for(browser, lambda d: _count(d, "#live-map.basira-basemap-dark") == 1
                 and _count(d, "#live-map.basira-basemap-light") == 0)
        units = labels[names.index("Field units")].find_element(By.TAG_NAME, "input")
        assert browser.find_elements(By.CSS_SELECTOR, "#live-legend [data-layer=units]")
        js(browser, "arguments[0].click()", units)
        wait_for(browser, lambda d: _count(d, ".basira-unit, .basira-unit-cluster") == 0,
                 message="the units stayed on the map")
        wait_for(browser, lambda d: _count(d, "#live-legend [data-layer=units]") == 0,
                 message="the legend still explains the units")
        assert browser.find_elements(By.CSS_SELECTOR, "#live-legend [data-layer=incidents]")
        after_refreshes(browser, 3)  # refreshes do not bring them back
        assert not browser.find_elements(By.CSS_SELECTOR, ".basira-unit, .basira-unit-cluster")
        js(browser, "arguments[0].click()", units)
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".basira-unit, .basira-unit-cluster"))
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#live-legend [data-layer=units]"))
        # the names switch language with the page, and the control moves to the mirrored corner
        browser.find_element(By.CSS_SELECTOR, "#live-lang input[value=ar]").click()
        wait_for(browser, lambda d: d.find_element(By.ID, "live-root").get_attribute("dir") == "rtl")
        names = _layer_names(browser)
        assert "الوحدات الميدانية" in names and "Field units" not in names
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-left .leaflet-control-layers"))
        assert console_errors(browser) == []


def _rect(driver, selector: str) -> dict[str, float]:
    return js(driver, "return document.querySelector(arguments[0]).getBoundingClientRect().toJSON()",
              selector)


def _check_mirrored(driver, rtl: bool) -> None:
    """The panel, the zoom buttons, the first KPI and the first crumb are at the reading start."""
    panel, stage = _rect(driver, "#live-panel"), _rect(driver, ".basira-mapbox")
    first, last = _rect(driver, "[data-kpi=open]"), _rect(driver, "[data-kpi=ports]")
    crumbs = [_rect(driver, f"#live-crumbs li:nth-child({n})") for n in (1, 2)]
    if rtl:
        assert panel["x"] > stage["x"] and first["x"] > last["x"] and crumbs[0]["x"] > crumbs[1]["x"]
        assert driver.find_elements(By.CSS_SELECTOR, ".leaflet-right .leaflet-control-zoom")
    else:
        assert panel["x"] < stage["x"] and first["x"] < last["x"] and crumbs[0]["x"] < crumbs[1]["x"]
        assert driver.find_elements(By.CSS_SELECTOR, ".leaflet-left .leaflet-control-zoom")
    # everything fits the screen: no scrolling, a map of a useful size
    assert js(driver, "return document.documentElement.scrollWidth <= window.innerWidth "
                      "&& document.documentElement.scrollHeight <= window.innerHeight")
    assert stage["width"] > 0.6 * js(driver, "return window.innerWidth") and stage["height"] > 300


@pytest.fixture(params=["1366x768", "1920x1080"])
def sized_browser(request, browsers) -> Iterator[tuple[object, str]]:
    """A browser window of a laptop's size (the session's), and the size's name."""
    for driver in browsers.lend(request.param.replace("x", ",")):
        yield driver, request.param


@pytest.mark.browser
def test_both_languages_mirror_at_both_sizes(sized_browser, client, settings) -> None:
    driver, size = sized_browser
    settings = settings.model_copy(update={"refresh_ms": 500, "stale_after_s": 3600})
    _scene(client, settings)
    fresh(driver)
    with serving(settings) as url:
        driver.get(url + "/?region=SA-02")  # the configured default language: Arabic
        _wait_scope(driver, 4, region="SA-02")
        root = driver.find_element(By.ID, "live-root")
        assert (root.get_attribute("dir"), root.get_attribute("lang")) == ("rtl", "ar")
        assert _crumbs(driver) == ["الوطني", "منطقة مكة المكرمة"]
        assert "٤" in _text(driver, "[data-kpi=open] .basira-kpi-value")
        wait_for(driver, lambda d: _count(d, ".basira-incident-cluster, path.basira-incident") > 0)
        _check_mirrored(driver, rtl=True)
        wait_for(driver, _fitted(), message="the map did not fit the region")
        screenshot(driver, f"command-ar-{size}")
        entries = js(driver, "return history.length")

        driver.find_element(By.CSS_SELECTOR, "#live-lang input[value=en]").click()
        wait_for(driver, lambda d: d.find_element(By.ID, "live-root").get_attribute("dir") == "ltr")
        wait_for(driver, lambda d: _crumbs(d) == ["National", "Makkah"])
        wait_for(driver, lambda d: _query(d).get("lang") == "en")
        assert js(driver, "return history.length") == entries  # the language is no step to go back to
        wait_for(driver, lambda d: "Open incidents" in _text(d, "#live-kpis"))
        _check_mirrored(driver, rtl=False)
        screenshot(driver, f"command-en-{size}")
        assert console_errors(driver) == []
