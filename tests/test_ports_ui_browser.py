"""The ports for leadership in a real headless Chromium at 1366×768: the port panel's forecast, staffing
plan, what-if and CSV export; the national view at /ports, worst first; a commander sees only theirs."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from selenium.webdriver.common.by import By

from app.auth.users import UsersFile
from app.contract import Stream
from app.simulation.port_backfill import backfill_ports
from app.store import Store
from tests.browser import after_refreshes, console_errors, feed, fresh, js, screenshot, serving, wait_for
from tests.helpers import now_ms, port_entry, quick_hash, simulated

pytestmark = pytest.mark.browser

PANEL = "live-port-panel"
PASSWORD = "a long enough password"
ORDER = {"short": 0, "tight": 1, "ok": 2}


def _settings(settings):
    return settings.model_copy(update={"refresh_ms": 1500, "stale_after_s": 3600})


def _store_with_history(settings) -> Store:
    """Eight weeks of port history (the forecast's input) and a live hour at two ports."""
    store = Store.from_settings(settings)
    store.meta.mark_demo()
    backfill_ports(store, 56, seed=5, progress=None)
    return store


def _count(driver, selector: str) -> int:
    return js(driver, "return document.querySelectorAll(arguments[0]).length", selector)


def _needed(driver) -> int | None:
    found = driver.find_elements(By.CSS_SELECTOR, f"#{PANEL} .basira-plan-verdicts")
    return int(found[0].get_attribute("data-needed")) if found else None


def _choose(driver, control: str, label: str) -> None:
    """Click the chip labelled ``label`` of a what-if control."""
    js(driver, """var id = arguments[0], text = arguments[1];
        document.querySelectorAll('#' + id + ' label').forEach(function (l) {
            if (l.textContent.trim() === text) { l.click(); }
        });""", control, label)


def test_the_port_panel_forecasts_plans_staff_and_tries_a_what_if(browser, client, settings) -> None:
    settings = _settings(settings)
    store = _store_with_history(settings)
    token = store.meta.mark_demo()  # marked already: the same stamp
    feed(client, settings, simulated(token, {Stream.ports: [
        port_entry("air-jed", travellers=900, category="pilgrim"),
        port_entry("land-king-fahd-causeway", travellers=400)]}))
    store.apply.mark_caught_up(now_ms())
    fresh(browser)
    callbacks: list[str] = []
    with serving(settings, callbacks=callbacks) as url:
        browser.get(url + "/?lang=en")
        wait_for(browser, lambda d: _count(d, ".basira-port.is-live") == 2, 40, "live port markers")
        assert not browser.find_element(By.ID, PANEL).is_displayed()
        # no port asked for in the address: the page's load sent none of the panel's callbacks
        after_refreshes(browser, 2)
        assert callbacks and not [c for c in callbacks if "live-port-" in c], callbacks
        jeddah = js(browser, """var found = -1;
            document.querySelectorAll('.basira-port.is-live').forEach(function (m, i) {
                if (m.querySelector('.basira-port-air')) { found = i; } });
            return found;""")
        js(browser, "document.querySelectorAll('.basira-port.is-live')[arguments[0]]"
                    ".dispatchEvent(new MouseEvent('click', {bubbles: true}))", jeddah)
        wait_for(browser, lambda d: "King Abdulaziz" in d.find_element(By.ID, "live-port-name").text,
                 message="the panel opened on Jeddah's airport")
        assert [c for c in callbacks if "live-port-chosen.data" in c]  # a click: the panel's callbacks
        # the "Now" tab first; the plan's tab has done no work yet
        assert browser.find_element(By.ID, "live-port-chart-box").is_displayed()
        assert _needed(browser) is None

        tabs = browser.find_elements(By.CSS_SELECTOR, "#live-port-tabs label")
        assert [tab.text for tab in tabs] == ["Now", "Forecast & staff"]
        tabs[1].click()
        wait_for(browser, lambda d: _needed(d), message="the plan was not drawn")
        assert not browser.find_element(By.ID, "live-port-chart-box").is_displayed()
        panel = browser.find_element(By.ID, PANEL)
        wait_for(browser, lambda d: _count(d, f"#{PANEL} .basira-plan-forecast .js-plotly-plot .scatterlayer "
                                              ".trace") >= 6, message="the forecast band and line")
        wait_for(browser, lambda d: _count(d, f"#{PANEL} .basira-plan-staff .barlayer .point") == 72,
                 message="72 hourly bars of officers needed")
        text = panel.text
        assert "Arrivals per hour" in text and "Officers needed per hour (Erlang C)" in text
        assert "Target: 90% of travellers wait 15 min or less" in text
        assert _count(browser, f"#{PANEL} .basira-plan-table tbody tr") == 72
        short_rows = _count(browser, f"#{PANEL} .basira-plan-table tr.is-short")
        red_bars = js(browser, """return Array.from(document.querySelectorAll(
            '#live-port-panel .basira-plan-staff .barlayer .point path')).filter(function (p) {
            return (p.style.fill || '').replace(/ /g, '') === 'rgb(255,59,59)'; }).length""")
        assert red_bars == short_rows  # the same hours are red in the chart and in the table
        # the airport has no vehicle lanes: no lane control
        assert not browser.find_element(By.ID, "live-port-plan-lanes-row").is_displayed()
        # the panel stays on the laptop's screen
        box = js(browser, "var r = document.getElementById(arguments[0]).getBoundingClientRect();"
                          "return [r.left, r.right, r.bottom, window.innerWidth, window.innerHeight]", PANEL)
        assert 0 <= box[0] and box[1] <= box[3] and box[2] <= box[4]
        screenshot(browser, "ports-panel-plan-en")

        # the CSV export of the baseline …
        csv = browser.find_element(By.ID, "live-port-plan-csv")
        assert csv.text == "Export the plan (CSV)"
        assert csv.get_attribute("href").endswith("/api/v1/ports/air-jed/plan.csv?hours=72")

        # … the what-if recomputes the plan at once, and the export follows it
        before = _needed(browser)
        _choose(browser, "live-port-plan-pilgrims", "+100%")
        wait_for(browser, lambda d: (_needed(d) or 0) > before, message="+100% pilgrims: more officers")
        _choose(browser, "live-port-plan-counters", "2")
        wait_for(browser, lambda d: "counters_closed=2" in d.find_element(By.ID, "live-port-plan-csv")
                 .get_attribute("href"), message="the CSV link carries the what-if")
        href = browser.find_element(By.ID, "live-port-plan-csv").get_attribute("href")
        assert "pilgrims=%2B100%25" in href and "hours=72" in href
        status, lines, scenario = browser.execute_async_script("""var done = arguments[arguments.length - 1];
            fetch(arguments[0]).then(function (r) { return r.text().then(function (t) {
                done([r.status, t.split('\\n').length, t.indexOf('pilgrims +100%') >= 0]); }); });""", href)
        assert status == 200 and lines >= 73 and scenario  # a header and 72 hours, under the what-if
        screenshot(browser, "ports-panel-whatif-en")

        # in Arabic: right to left, Arabic labels and digits
        js(browser, "document.querySelector('#live-lang input[value=ar]').click()")
        wait_for(browser, lambda d: "الأفراد المطلوبون كل ساعة" in d.find_element(By.ID, PANEL).text,
                 message="the plan in Arabic")
        assert js(browser, "return document.getElementById('live-root').dir") == "rtl"
        tabs = [tab.text for tab in browser.find_elements(By.CSS_SELECTOR, "#live-port-tabs label")]
        assert tabs == ["الآن", "التوقعات والأفراد"]
        verdict = browser.find_element(By.CSS_SELECTOR, f"#{PANEL} .basira-plan-verdict").text
        assert any(c in verdict for c in "٠١٢٣٤٥٦٧٨٩") and not any(c in verdict for c in "0123456789")
        assert browser.find_element(By.ID, "live-port-plan-csv").text == "تصدير الخطة (CSV)"
        screenshot(browser, "ports-panel-plan-ar")
        assert console_errors(browser) == []


def test_the_national_view_ranks_every_port_worst_first_and_opens_one(browser, client, settings) -> None:
    settings = _settings(settings)
    _store_with_history(settings)
    fresh(browser)
    with serving(settings) as url:
        browser.get(url + "/ports?lang=en")
        wait_for(browser, lambda d: _count(d, ".ports-table tbody tr") == 34, 40, "every port")
        assert "Border ports · the next 72 hours" in browser.find_element(By.ID, "ports-title").text
        statuses = js(browser, "return Array.from(document.querySelectorAll('.ports-table tbody tr'))"
                               ".map(function (r) { return r.dataset.status; })")
        assert [ORDER[s] for s in statuses] == sorted(ORDER[s] for s in statuses)
        assert statuses[0] == "short"  # the synthetic roster is short somewhere
        first = browser.find_element(By.CSS_SELECTOR, ".ports-table tbody tr")
        assert " · " in first.find_element(By.CSS_SELECTOR, ".ports-shortfall").text
        strips = _count(browser, ".ports-strip")
        assert strips == 34 and _count(browser, ".ports-day") >= 2
        screenshot(browser, "ports-national-en")

        js(browser, "document.querySelector('#ports-lang input[value=ar]').click()")
        wait_for(browser, lambda d: js(d, "return document.getElementById('ports-root').dir") == "rtl")
        wait_for(browser, lambda d: "المنافذ الحدودية" in d.find_element(By.ID, "ports-title").text)
        assert "عجز" in browser.find_element(By.CSS_SELECTOR, ".ports-table tbody tr .ports-badge").text
        screenshot(browser, "ports-national-ar")

        # the worst port opens in the command view, its panel on the forecast
        port = browser.find_element(By.CSS_SELECTOR, ".ports-table tbody tr").get_attribute("data-port")
        link = browser.find_element(By.CSS_SELECTOR, ".ports-table tbody tr .ports-name")
        assert f"port={port}" in link.get_attribute("href") and "tab=plan" in link.get_attribute("href")
        link.click()
        shown = "var p = document.getElementById(arguments[0]); return !!p && !p.hidden"
        wait_for(browser, lambda d: js(d, shown, PANEL), 40, "the command view with the port's panel")
        wait_for(browser, lambda d: _needed(d), message="the panel opened on the plan")
        assert js(browser, f"return document.getElementById('{PANEL}').className").endswith("is-plan")
        assert console_errors(browser) == []


@pytest.fixture
def commander_settings(settings, tmp_path):
    path = tmp_path / "users.toml"
    edit = UsersFile(path)
    edit.put("users", "ryd", "commander", ["SA-01"], None, quick_hash(PASSWORD))
    edit.save()
    return _settings(settings).model_copy(update={"auth_mode": "password", "users_file": path,
                                                  "secret_key": SecretStr("s" * 40)})


def test_a_commander_sees_only_the_ports_of_their_regions(browser, client, commander_settings) -> None:
    _store_with_history(commander_settings)
    fresh(browser)
    with serving(commander_settings) as url:
        browser.get(url + "/ports?lang=en")
        wait_for(browser, lambda d: "/login" in d.current_url, message="sent to sign in")
        for name, value in (("user", "ryd"), ("password", PASSWORD)):
            browser.find_element(By.NAME, name).send_keys(value)
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(browser, lambda d: _count(d, ".ports-table tbody tr") >= 1, 40, "the commander's ports")
        ports = js(browser, "return Array.from(document.querySelectorAll('.ports-table tbody tr'))"
                            ".map(function (r) { return r.dataset.port; })")
        assert ports == ["air-ruh"]  # Riyadh's one port; none of the other 33

        # a port of another region, asked for by address, does not open (test_ports_ui checks the
        # callback itself) …
        browser.get(url + "/?lang=en&port=air-jed&tab=plan")
        wait_for(browser, lambda d: _count(d, ".basira-port-quiet") > 0, 40, "the command view's ports")
        assert not browser.find_element(By.ID, PANEL).is_displayed()
        browser.get(url + "/?lang=en&port=air-ruh&tab=plan")  # … one of theirs does
        wait_for(browser, lambda d: _needed(d), 40, "the commander's port's plan")
        assert "King Khalid" in browser.find_element(By.ID, "live-port-name").text
        assert console_errors(browser) == []
