"""Alerts on the pages in a real headless Chromium, served by the real app against a real Redis.

* The command view, access control on: a commander of Makkah signs in; an alert raised in the store
  while the page is open appears in the section without a reload (the page learns of it from
  ``/api/v1/alerts/version``), with its pin on the map; "show on map" flies there; a click on
  Acknowledge records who acknowledged it (the record and the audit trail); an alert of another region
  never appears — not in the section, not on the map, not in the phone's sheet handle, which says
  that a severe alert is open; on a phone's width the row's controls are finger-sized.
* The wall, in Arabic, sound on (``?sound=1``): a severe alert is shown across the screen and the tour
  pauses; the browser's answer to ``audio.play()`` is read from the page (headless Chromium's autoplay
  policy refuses sound before a touch: the "sound blocked" badge shows, and a tap on it plays the chime);
  a newer severe alert replaces the card; once both are acknowledged the card goes and the tour resumes.

No durations are asserted: every wait is for a condition. Pictures: ``artifacts/alerts-*.png`` (copied
to ``docs/img/`` for the README).
"""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from selenium.webdriver.common.by import By

from app.auth.users import UsersFile
from app.contract import Stream
from app.feed import FEED_PATH
from app.pages._kit.alerts import VERSION_PATH
from app.store import Store
from tests.browser import console_errors, feed, fresh, js, screenshot, serving, wait_for
from tests.helpers import incident, now_ms, quick_hash
from tests.modes_scene import reset_screen, scene, screen
from tests.test_alerts_ui import SPIKE, raise_alert
from tests.test_mobile_browser import _small_targets

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"
LOAD_S = 60


@pytest.fixture
def commander_settings(settings, tmp_path):
    path = tmp_path / "users.toml"
    edit = UsersFile(path)
    edit.put("users", "mkk", "commander", ["SA-02"], None, quick_hash(PASSWORD))
    edit.save()
    return settings.model_copy(update={"auth_mode": "password", "users_file": path,
                                       "secret_key": SecretStr("s" * 40), "stale_after_s": 600})


def sign_in(driver, user: str) -> None:
    for name, value in (("user", user), ("password", PASSWORD)):
        field = driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def rows(driver) -> list[str]:
    return js(driver, "return Array.from(document.querySelectorAll('#live-alerts-rows [data-alert]'))"
                      ".map(function (e) { return e.getAttribute('data-alert'); })")


def asked(driver, path: str) -> int:
    """How many requests the page made to ``path`` since its resource timings were last cleared."""
    return js(driver, "var path = arguments[0]; return performance.getEntriesByType('resource')"
                      ".filter(function (e) { return new URL(e.name).pathname === path; }).length;", path)


def pin_off_centre(driver) -> float:
    """Pixels between the map's centre and the alert pin nearest to it."""
    return js(driver, """
        var m = document.getElementById('live-map').getBoundingClientRect();
        var cx = m.x + m.width / 2, cy = m.y + m.height / 2, best = 1e9;
        document.querySelectorAll('.basira-alert-pin').forEach(function (e) {
            var r = e.getBoundingClientRect();
            best = Math.min(best, Math.hypot(r.x + r.width / 2 - cx, r.y + r.height / 2 - cy));
        });
        return best;""")


def test_the_command_view_shows_a_new_alert_at_once_and_a_commander_acknowledges_it(
    client, commander_settings, browser
) -> None:
    settings, driver = commander_settings, browser
    fresh(driver)
    store = Store.from_settings(settings)
    feed(client, settings, {Stream.incidents: [incident("MK-1")]})
    riyadh = raise_alert(store, "port_wait", "extreme", "SA-01", port="air-ruh", lon=46.7, lat=24.96,
                         facts={"wait_min": 80, "threshold_min": 45, "port_en": "King Khalid Airport"})
    with serving(settings) as url:
        driver.get(url + "/?lang=en")
        wait_for(driver, lambda d: "/login" in d.current_url, message="sent to sign in")
        sign_in(driver, "mkk")
        count = "var e = document.querySelector('#live-alerts-head b'); return e && e.dataset.value"
        wait_for(driver, lambda d: js(d, count) == "0", timeout=LOAD_S,
                 message="the alerts section did not draw (nothing in Makkah yet)")
        js(driver, "window.__same_page = true;")

        # the live feed's answers carry the alerts' version: while it does not move, the page does not
        # ask for it besides (before, four times a second)
        js(driver, "performance.clearResourceTimings();")
        wait_for(driver, lambda d: asked(d, FEED_PATH) >= 12, message="the live feed is not asking")
        versions = asked(driver, VERSION_PATH)
        assert versions <= 2, f"{versions} version requests beside the feed"

        # a spike in Makkah, raised while the page is open: on the page without a reload
        spike = raise_alert(store, **SPIKE)
        wait_for(driver, lambda d: rows(d) == [spike], message="the new alert did not appear")
        assert js(driver, "return window.__same_page") is True, "the page was reloaded"
        row = driver.find_element(By.CSS_SELECTOR, f'[data-alert="{spike}"]')
        assert "Severe" in row.text and "Unusual rise in incidents" in row.text
        assert "14 new incidents in Makkah in the last 15 min" in row.text and "Not acknowledged" in row.text
        wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".basira-alert-pin")) == 1,
                 message="the alert's pin is not on the map")

        # "show on map": the map flies to the alert
        row.find_element(By.CSS_SELECTOR, ".basira-alert-fly").click()
        wait_for(driver, lambda d: pin_off_centre(d) < 30, message="the map did not fly to the alert")

        # acknowledge: recorded with who and when, audited, said on the page
        row.find_element(By.CSS_SELECTOR, ".basira-alert-do.is-acknowledge").click()
        said = wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR,
                                                         "#live-alerts-outcome [data-outcome]"))
        assert said.get_attribute("data-outcome") == "ok" and said.text == f"{spike} acknowledged"
        wait_for(driver, lambda d: "Acknowledged by mkk" in d.find_element(
            By.CSS_SELECTOR, f'[data-alert="{spike}"]').text, message="the row does not say who did")
        record = store.alerts.record(spike)
        assert record["acknowledged_by"] == "mkk" and int(record["acknowledged_at"]) <= now_ms()
        audited = [e for e in store.audit.recent(50) if e.get("event") == "alert"]
        assert [(e["user"], e["action"], e["alert"], e["outcome"]) for e in audited] == [
            ("mkk", "acknowledge", spike, "ok")]
        screenshot(driver, "alerts-en")

        # another region's alert never reached this page — section, pins, or anywhere in it
        assert riyadh not in driver.page_source and store.alerts.record(riyadh).get("acknowledged_at") is None
        assert len(driver.find_elements(By.CSS_SELECTOR, ".basira-alert-pin")) == 1

        # a phone's width (no reload): the sheet's handle says a severe alert is open; the row's
        # controls are finger-sized
        try:
            screen(driver, 390, 844)
            handle = wait_for(driver, lambda d: d.find_element(By.ID, "live-sheet-alerts").is_displayed()
                              and d.find_element(By.ID, "live-sheet-alerts"))
            assert "Severe alerts: 1" in handle.get_attribute("textContent")
            driver.find_element(By.ID, "live-sheet").click()
            panel = driver.find_element(By.ID, "live-panel")
            wait_for(driver, lambda d: "is-open" in panel.get_attribute("class"), message="the sheet is shut")
            fly = f'[data-alert="{spike}"] .basira-alert-fly'
            wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, fly).is_displayed())
            assert _small_targets(driver, "#live-alerts") == []
            assert js(driver, "return document.documentElement.scrollWidth <= innerWidth")
            screenshot(driver, "alerts-phone")
        finally:
            reset_screen(driver)
        assert js(driver, "return window.__same_page") is True
        assert console_errors(driver) == []

        # with the live feed failing (here: refused by the browser), the page asks for the version itself
        # again and still hears of a new alert
        driver.execute_cdp_cmd("Network.enable", {})
        try:
            driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": [f"*{FEED_PATH}*"]})
            second = raise_alert(store, **SPIKE)
            wait_for(driver, lambda d: second in rows(d), message="no alert heard without the feed")
        finally:
            driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
            driver.execute_cdp_cmd("Network.disable", {})
        assert js(driver, "return window.__same_page") is True


def test_the_wall_shows_a_severe_alert_full_width_and_handles_the_browsers_sound_policy(
    client, settings, browser
) -> None:
    # a card is held at least 10 s once handled, at most wall_alert_s: long enough to be read here
    settings = settings.model_copy(update={"refresh_ms": 1000, "stale_after_s": 600, "wall_alert_s": 60})
    driver = browser
    fresh(driver)
    store = Store.from_settings(settings)
    feed(client, settings, scene())
    screen(driver, 1920, 1080)
    try:
        with serving(settings) as url:
            driver.get(url + "/wall?sound=1")  # in Arabic, the wall's default
            wait_for(driver, lambda d: "is-live" in d.find_element(By.ID, "wall-root").get_attribute("class"),
                     timeout=LOAD_S, message="the wall did not go live")
            assert not driver.find_element(By.ID, "wall-alerts").is_displayed()  # none open
            assert js(driver, "return window.basira.alerts.sound()")["on"] is True

            raise_alert(store, "port_wait", "moderate", "SA-01", port="air-ruh")
            spike = raise_alert(store, **SPIKE)
            card = wait_for(driver, lambda d: d.find_element(By.ID, "wall-rule").is_displayed()
                            and d.find_element(By.ID, "wall-rule"), message="no card for the severe alert")
            assert driver.find_element(By.ID, "wall-rule-headline").text == "ارتفاع غير معتاد في البلاغات"
            assert driver.find_element(By.ID, "wall-rule-title").text == "تنبيه · شديدة"
            assert "مكة المكرمة" in driver.find_element(By.ID, "wall-rule-where").text
            assert "١٤ بلاغًا جديدًا" in driver.find_element(By.ID, "wall-rule-text").text
            assert card.rect["width"] >= 0.9 * 1920  # across the screen
            assert driver.find_element(By.ID, "wall-root").get_attribute("data-tour") == "alarm"
            wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#wall-alerts li")) == 2)

            # the chime: whatever this browser's autoplay policy answered, the page says so
            sound = wait_for(driver, lambda d: (s := js(d, "return window.basira.alerts.sound()"))["state"]
                             in ("played", "blocked") and s, message="the chime was never asked for")
            badge = driver.find_element(By.ID, "wall-sound")
            if sound["state"] == "blocked":
                assert sound["error"] == "NotAllowedError"
                wait_for(driver, lambda d: d.find_element(By.ID, "wall-sound").is_displayed())
                assert badge.text == "الصوت محجوب — المس للسماح"
                screenshot(driver, "alerts-wall-blocked")
                badge.click()  # a user gesture: the browser lets it play
                wait_for(driver, lambda d: js(d, "return window.basira.alerts.sound()")["state"] == "played",
                         message="a tap on the badge did not play the chime")
            wait_for(driver, lambda d: not d.find_element(By.ID, "wall-sound").is_displayed())
            assert js(driver, "return window.basira.alerts.sound()")["plays"] >= 1

            # a newer severe alert replaces the card
            newer = raise_alert(store, "stale_producer", "extreme", "", stream="units",
                                facts={"quiet_s": 300, "usual_gap_s": 2})
            wait_for(driver, lambda d: d.find_element(By.ID, "wall-rule-headline").text
                     == "مصدر بيانات متوقف", message="the newer severe alert did not replace the card")
            assert "is-extreme" in driver.find_element(By.ID, "wall-rule").get_attribute("class")
            screenshot(driver, "alerts-ar")

            # both acknowledged: the card goes (after its shortest hold) and the tour resumes
            for alert_id in (spike, newer):
                store.alerts.act(alert_id, "acknowledge", "ops", now_ms())
            wait_for(driver, lambda d: not d.find_element(By.ID, "wall-rule").is_displayed(), timeout=40,
                     message="the card stayed after the alerts were acknowledged")
            wait_for(driver, lambda d: d.find_element(By.ID, "wall-root").get_attribute("data-tour")
                     == "touring")
            assert console_errors(driver) == []
    finally:
        reset_screen(driver)
