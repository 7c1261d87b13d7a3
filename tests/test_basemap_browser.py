"""The vector basemap as a dispatcher sees it, in a real headless Chromium: names and streets, offline.

protomaps-leaflet draws the tiles on canvas, so what it wrote is caught where it writes it: a script
injected before the page's own (Chrome DevTools' ``Page.addScriptToEvaluateOnNewDocument``) records
every text drawn with ``fillText``. "Not empty at street level" is measured on the screenshot: the
spread of the map's pixels, against the shipped basemap (land, no streets) at the same place and zoom.

The street-level file is the tests' own fixture (``tests/pmtiles_fixture.py``: a road and a district
named in both languages around Riyadh's Olaya), served by the app as an operator's ``BASIRA_BASEMAP``.
The README's street-level picture (``docs/img/street-level-fixture.png``) is this module's
``artifacts/basemap-streets-z15.png``, and says it shows the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.by import By

from app.contract import Stream
from tests.browser import console_errors, feed, fresh, js, screenshot, serving, wait_for
from tests.helpers import incident, now_ms
from tests.pmtiles_fixture import write_fixture

pytestmark = pytest.mark.browser

#: Records the texts drawn on any canvas, before the page's scripts run.
RECORD_TEXTS = """
window.__drawn = new Set();
(function () {
    var fill = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (text) {
        window.__drawn.add(String(text));
        return fill.apply(this, arguments);
    };
})();
"""

#: Where the incidents sit: in Olaya (the fixture's district) and in Jeddah's centre.
OLAYA = ("OL1", "24.6905", "46.6855")
JEDDAH = ("JD1", "21.5430", "39.1728")


@pytest.fixture(scope="module")
def browser(browsers) -> Iterator[object]:
    """The session's browser at 1366×768, recording the text drawn in every page (until the module ends)."""
    for driver in browsers.lend("1366,768"):
        added = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_TEXTS})
        yield driver
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                               {"identifier": added["identifier"]})


def _drawn(driver) -> set[str]:
    return set(js(driver, "return Array.from(window.__drawn || []);") or [])


TILES = ".basira-vector-basemap canvas.leaflet-tile-loaded"


def _tiles_at(driver, zoom: int) -> int:
    """How many of the vector basemap's tiles of ``zoom`` are drawn (protomaps-leaflet keys them x:y:z)."""
    return js(driver, """
        var z = ':' + arguments[0];
        return Array.from(document.querySelectorAll('.basira-vector-basemap canvas.leaflet-tile-loaded'))
            .filter(function (c) { return String(c.key || '').endsWith(z); }).length;
    """, zoom)


def _spread(path: Path, driver) -> float:
    """The standard deviation of the luminance of the map's own pixels in a screenshot (0 for one flat
    colour): the map's right part, clear of its controls, the legend and the incident at its centre."""
    rect = js(driver, """
        var r = document.getElementById('live-map').getBoundingClientRect();
        return [r.left + 0.6 * r.width, r.top + 0.25 * r.height, r.left + 0.95 * r.width,
                r.top + 0.8 * r.height];""")
    ratio = js(driver, "return window.devicePixelRatio;") or 1
    box = tuple(int(v * ratio) for v in rect)
    return float(np.asarray(Image.open(path).convert("L").crop(box), dtype=float).std())


def _open_incident(driver, url: str, incident_id: str, lang: str) -> None:
    fresh(driver)
    driver.get(f"{url}/?incident={incident_id}&lang={lang}")
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, TILES),
             message="the vector basemap drew no tile")


def _zoom_in(driver, start: int, to: int) -> None:
    """Press the map's "+" from zoom ``start`` to ``to``, one step at a time (Leaflet ignores a press
    while it is still animating the last one): a step is done when its tiles are drawn and the zoom
    animation has ended."""
    for zoom in range(start + 1, to + 1):
        driver.find_element(By.CSS_SELECTOR, "#live-map .leaflet-control-zoom-in").click()
        wait_for(driver, lambda d, z=zoom: _tiles_at(d, z) > 0 and not d.find_elements(
            By.CSS_SELECTOR, "#live-map .leaflet-zoom-anim"), message=f"no tile drawn at zoom {zoom}")


def _scene(client, settings) -> None:
    t0 = now_ms()
    feed(client, settings, {Stream.incidents: [
        incident(i, lat=lat, lon=lon, ts=t0 - 60_000, priority="2") for i, lat, lon in (OLAYA, JEDDAH)
    ]})


def test_the_shipped_basemap_names_towns_in_the_page_language(browser, client, settings) -> None:
    _scene(client, settings)
    with serving(settings) as url:
        _open_incident(browser, url, JEDDAH[0], "ar")
        wait_for(browser, lambda d: "جدة" in _drawn(d), message="no Arabic town name drawn")
        credit = browser.find_element(By.CSS_SELECTOR, "#live-map .leaflet-control-attribution").text
        assert "خريطة المملكة المضمّنة" in credit  # the page says which basemap it shows
        screenshot(browser, "basemap-shipped-jeddah-ar")

        _open_incident(browser, url, JEDDAH[0], "en")
        wait_for(browser, lambda d: "Jeddah" in _drawn(d), message="no English town name drawn")
        assert "جدة" not in _drawn(browser)
        credit = browser.find_element(By.CSS_SELECTOR, "#live-map .leaflet-control-attribution").text
        assert "Shipped Kingdom basemap (no streets)" in credit
        assert "OpenStreetMap" in credit
        errors = console_errors(browser)
        assert errors == [], errors[0][:600]


def test_an_operator_basemap_shows_streets_at_street_level(browser, client, settings, tmp_path) -> None:
    _scene(client, settings)
    streets = settings.model_copy(update={"basemap": write_fixture(tmp_path / "riyadh-fixture.pmtiles")})
    spreads = {}
    for name, chosen in (("shipped", settings), ("streets", streets)):
        with serving(chosen) as url:
            _open_incident(browser, url, OLAYA[0], "en")
            wait_for(browser, lambda d: _tiles_at(d, 12) > 0, message="no tile drawn at zoom 12")
            _zoom_in(browser, 12, 15)  # the incident's zoom → the streets around the address
            if name == "streets":
                wait_for(browser, lambda d: {"King Fahd Road", "Al Olaya"} <= _drawn(d),
                         message=f"the fixture's road and district are not named: {_drawn(browser)}")
                credit = browser.find_element(By.CSS_SELECTOR, "#live-map .leaflet-control-attribution").text
                assert "riyadh-fixture.pmtiles" in credit
            shot = screenshot(browser, f"basemap-{name}-z15")
            spreads[name] = _spread(shot, browser)
            errors = console_errors(browser)
            assert errors == [], errors[0][:600]
    # the shipped basemap is one flat land colour there (seen: 0.0); the streets and blocks are not
    # (seen: 5.2 on the dark flavour, whose streets are deliberately quiet)
    assert spreads["shipped"] < 1 and spreads["streets"] > 3, spreads


def test_arabic_names_of_the_operator_basemap(browser, client, settings, tmp_path) -> None:
    _scene(client, settings)
    streets = settings.model_copy(update={"basemap": write_fixture(tmp_path / "riyadh-fixture.pmtiles")})
    with serving(streets) as url:
        _open_incident(browser, url, OLAYA[0], "ar")
        wait_for(browser, lambda d: {"طريق الملك فهد", "العليا"} <= _drawn(d),
                 message=f"the fixture's Arabic names are not drawn: {_drawn(browser)}")
        assert "King Fahd Road" not in _drawn(browser)
        screenshot(browser, "basemap-streets-ar")
        errors = console_errors(browser)
        assert errors == [], errors[0][:600]
