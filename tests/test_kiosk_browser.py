"""The exhibition kiosk (``/demo``) in a real headless Chromium, served by the real app against a real Redis.

It shows nothing of a store that is not marked as a demo store — not even a count — and says why, in
both languages; once the store is a demo store, the map (first drawn hidden) shows at its full size;
the first entry a real producer writes to it takes everything away again, for good.
On a demo store the attract loop walks through its chapters, a touch pauses it and a quiet spell
resumes it, the buttons and the region picker work, and the language toggle flips the direction.
Screenshots land in ``artifacts/kiosk-*.png``.
"""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

from app.contract import Stream
from app.store import NotADemoStore, Store
from tests.browser import (
    after_refreshes,
    console_errors,
    feed,
    js,
    maps_fading_tiles,
    screenshot,
    serving,
    settled,
    wait_for,
)
from tests.clock import Clock
from tests.helpers import incident, simulated
from tests.modes_scene import reset_screen, scene, screen

pytestmark = pytest.mark.browser

LOAD_S = 60
CHAPTER_S = 2.0
#: A visitor's quiet spell longer than any test: what a touch or a button holds stays held while the test
#: looks at it, however busy the machine (the loop going on by itself after a short one: tested apart).
HELD_S = 3600.0
DIGITS = re.compile("[0-9٠-٩]")


@pytest.fixture
def kiosk(browser):
    """The module's browser on a blank page, its console emptied, at a 1920×1080 kiosk screen."""
    browser.get("about:blank")
    browser.get_log("browser")
    screen(browser, 1920, 1080)
    yield browser
    reset_screen(browser)


def root_class(driver) -> str:
    return driver.find_element(By.ID, "kiosk-root").get_attribute("class")


def view(driver) -> str | None:
    """The chapter (or region) the story panel shows."""
    return js(driver, "var v = document.querySelector('#kiosk-story [data-view]'); "
                      "return v && v.dataset.view")


def text(driver, selector: str) -> str | None:
    """The text of the first element matching ``selector``, read at once (the story panel is redrawn
    with every refresh, so an element found a moment ago may be gone)."""
    return js(driver, "var e = document.querySelector(arguments[0]); return e && e.textContent", selector)


def story(driver) -> tuple | None:
    """The story panel's chapter, titles and open-incidents figure, read in one look."""
    found = js(driver, """var s = document.getElementById('kiosk-story'); if (!s) { return null; }
        function t(q) { var e = s.querySelector(q); return e && e.textContent; }
        var v = s.querySelector('[data-view]');
        return [v && v.dataset.view, t('h1'), t('h2'), t('[data-figure=open] .mode-figure-value')];""")
    return tuple(found) if found else None


def figure(driver, key: str) -> str | None:
    """The value of one figure of the story panel, as shown."""
    return js(driver, "var f = document.querySelector('#kiosk-story [data-figure=' + arguments[0] + ']"
                      " .mode-figure-value'); return f && f.textContent", key)


def paused(driver) -> bool:
    return "is-paused" in driver.find_element(By.ID, "kiosk-controls").get_attribute("class")


def assert_nothing_shown(driver) -> None:
    """No markers, no figures, not a single digit anywhere on the page, an empty story panel."""
    assert not driver.find_elements(By.CSS_SELECTOR, ".basira-incident, .basira-incident-cluster, "
                                                     ".basira-unit, .basira-unit-cluster, .mode-figure")
    assert not DIGITS.search(js(driver, "return document.body.innerText"))
    assert js(driver, "return document.querySelector('#kiosk-story').children.length") == 0
    assert "Traceback" not in driver.page_source


def refusal_text(driver) -> str:
    notice = driver.find_element(By.CLASS_NAME, "kiosk-refusal")
    assert notice.is_displayed() and not driver.find_element(By.CLASS_NAME, "kiosk-screen").is_displayed()
    return notice.text


@pytest.mark.parametrize("case", ["operational", "unreachable"])
def test_the_kiosk_shows_nothing_of_a_store_that_is_not_a_demo_store(case, kiosk, client, settings) -> None:
    settings = settings.model_copy(update={"stale_after_s": 600, "refresh_ms": 500})
    feed(client, settings, scene())  # real data: written by producers, not by the simulator
    if case == "unreachable":
        settings = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})  # nothing listens
    verdict = "is-refused" if case == "operational" else "is-unverified"
    with serving(settings) as url:
        kiosk.get(url + "/demo")
        wait_for(kiosk, lambda d: verdict in root_class(d), timeout=LOAD_S)
        text = refusal_text(kiosk)
        assert "هذه الشاشة لعرض البيانات التجريبية فقط" in text
        assert "This screen only shows demonstration data" in text
        if case == "operational":
            assert "not marked as a demonstration store" in text and "غير مُعلَّم" in text
            # A store real producers have written to can never be marked as a demo store.
            with pytest.raises(NotADemoStore):
                Store.from_settings(settings).meta.mark_demo()
        else:
            assert "could not be reached" in text
        after_refreshes(kiosk)  # a couple of refreshes: they must not bring anything either
        assert verdict in root_class(kiosk)
        assert_nothing_shown(kiosk)
        screenshot(kiosk, f"kiosk-refused-{case}")
        assert console_errors(kiosk) == []


def test_a_demo_store_is_shown_until_a_real_producer_writes_to_it(kiosk, client, settings) -> None:
    settings = settings.model_copy(update={"stale_after_s": 600, "refresh_ms": 500})
    with serving(settings) as url:
        kiosk.get(url + "/demo")  # an empty store, not marked: refused
        wait_for(kiosk, lambda d: "is-refused" in root_class(d), timeout=LOAD_S)

        # The booth's operator starts the simulator: the story starts, and the map — drawn while
        # hidden — is measured again, so the Kingdom fills it (every region name inside it).
        token = Store.from_settings(settings).meta.mark_demo()
        feed(client, settings, simulated(token, scene()))
        wait_for(kiosk, lambda d: "is-shown" in root_class(d), timeout=LOAD_S)
        wait_for(kiosk, lambda d: view(d) == "national", timeout=LOAD_S)
        wait_for(kiosk, lambda d: d.find_elements(By.CSS_SELECTOR, ".basira-incident-cluster, "
                                                                   ".basira-incident"), timeout=LOAD_S)
        wait_for(kiosk, labels_inside_map, timeout=LOAD_S, message="the map was not re-measured")
        box = kiosk.find_element(By.ID, "kiosk-map").rect
        assert box["width"] > 1000 and box["height"] > 700
        assert maps_fading_tiles(kiosk) == [False]  # each flight's new tiles appear at once
        screenshot(kiosk, "kiosk-revealed")

        # One entry from a real producer (no stamp): the store is no longer a demo store, and the
        # kiosk takes everything it showed away and says why.
        feed(client, settings, {Stream.incidents: [incident("REAL1")]})
        wait_for(kiosk, lambda d: "is-refused" in root_class(d), timeout=LOAD_S,
                 message="the kiosk still shows a store a real producer wrote to")
        assert "not marked as a demonstration store" in refusal_text(kiosk)
        after_refreshes(kiosk)  # a couple of refreshes: nothing comes back
        assert "is-refused" in root_class(kiosk)
        assert_nothing_shown(kiosk)
        with pytest.raises(NotADemoStore):
            Store.from_settings(settings).meta.mark_demo()
        screenshot(kiosk, "kiosk-refused-after-real-entry")
        assert console_errors(kiosk) == []


def labels_inside_map(driver) -> bool:
    """All 13 region names are drawn, and inside the map's box (a map drawn hidden puts them at 0,0)."""
    return js(driver, """
        var m = document.getElementById('kiosk-map').getBoundingClientRect();
        var labels = Array.from(document.querySelectorAll('#kiosk-map .basira-label-region span'));
        return labels.length === 13 && labels.every(function (l) {
            var r = l.getBoundingClientRect();
            return r.width > 0 && r.left >= m.left && r.right <= m.right
                && r.top >= m.top && r.bottom <= m.bottom;
        });""")


def test_the_attract_loop_tells_the_story_and_yields_to_a_visitor(kiosk, client, settings) -> None:
    # the shortest chapter the settings allow; a visitor's touch or button holds the loop for the rest of
    # the test (HELD_S). The port's figures are of the last hour: the app runs on a clock half an hour
    # from the top of an hour (a run across it would count the scene's hour pro rata: 1,999 for 2,000).
    settings = settings.model_copy(update={"stale_after_s": 600, "kiosk_chapter_s": CHAPTER_S,
                                           "kiosk_idle_s": HELD_S})
    clock = Clock.mid_hour()
    token = Store.from_settings(settings).meta.mark_demo()
    feed(client, settings, simulated(token, scene(clock.now_ms())), clock)
    with serving(settings, clock) as url:
        kiosk.get(url + "/demo")
        wait_for(kiosk, lambda d: "is-shown" in root_class(d) and "is-live" in root_class(d), timeout=LOAD_S)
        root = kiosk.find_element(By.ID, "kiosk-root")
        assert (root.get_attribute("dir"), root.get_attribute("lang")) == ("rtl", "ar")
        assert kiosk.find_element(By.CLASS_NAME, "kiosk-demo").is_displayed()  # says: synthetic data
        # the national chapter, read in one look: a chapter lasts 2 s here, and on a loaded machine the loop
        # moved on between two reads (its titles are tested together, whenever it comes round)
        national = ("national", "المملكة في لمحة واحدة", "The whole Kingdom at a glance", "١٨")
        wait_for(kiosk, lambda d: story(d) == national, timeout=LOAD_S,
                 message=f"the national chapter never showed {national}")

        # the loop moves on by itself: Makkah, then the King Fahd Causeway with the port's figures
        wait_for(kiosk, lambda d: view(d) == "makkah", timeout=LOAD_S)
        screenshot(kiosk, "kiosk-ar")
        wait_for(kiosk, lambda d: view(d) == "causeway" and figure(d, "arrivals") == "٢٬٠٠٠", timeout=LOAD_S,
                 message="the causeway's chapter never showed 2,000 arrivals")

        # a touch on the map pauses it (how long it holds, and that it then goes on by itself: tested on
        # its own, below); the play button lets it go on
        kiosk.find_element(By.ID, "kiosk-map").click()
        wait_for(kiosk, paused, message="a touch did not pause the loop")
        held = view(kiosk)
        kiosk.find_element(By.ID, "kiosk-pause").click()
        wait_for(kiosk, lambda d: not paused(d), message="the play button did not resume the loop")
        wait_for(kiosk, lambda d: view(d) != held, timeout=LOAD_S)

        # the pause button pauses and plays
        kiosk.find_element(By.ID, "kiosk-pause").click()
        wait_for(kiosk, paused)
        kiosk.find_element(By.ID, "kiosk-pause").click()
        wait_for(kiosk, lambda d: not paused(d))

        # a region, picked from the list: its figures, the list folded away, the loop paused
        kiosk.find_element(By.CSS_SELECTOR, "#kiosk-regions summary").click()
        button = wait_for(kiosk, lambda d: d.find_element(By.CSS_SELECTOR, '[id*="SA-04"].kiosk-region'))
        assert button.text == "المنطقة الشرقية"
        button.click()
        wait_for(kiosk, lambda d: view(d) == "SA-04", timeout=LOAD_S)
        assert paused(kiosk)
        assert kiosk.find_element(By.ID, "kiosk-regions").get_attribute("open") is None
        wait_for(kiosk, lambda d: figure(d, "open") == "٣")
        wait_for(kiosk, settled("#kiosk-map .basira-label-region"),
                 message="the map did not end its flight")  # before the picture
        screenshot(kiosk, "kiosk-region")

        # the language toggle flips the direction and the words
        kiosk.find_element(By.XPATH, "//*[@id='kiosk-lang']//label[contains(., 'English')]").click()
        wait_for(kiosk, lambda d: d.find_element(By.ID, "kiosk-root").get_attribute("dir") == "ltr")
        assert kiosk.find_element(By.ID, "kiosk-root").get_attribute("lang") == "en"
        wait_for(kiosk, lambda d: text(d, "#kiosk-story h1") == "Eastern Province")
        assert kiosk.find_element(By.ID, "kiosk-next").text.endswith("Next")
        wait_for(kiosk, lambda d: figure(d, "open") == "3")
        kiosk.find_element(By.ID, "kiosk-next").click()
        wait_for(kiosk, lambda d: view(d) not in (None, "SA-04"), timeout=LOAD_S)
        screenshot(kiosk, "kiosk-en")

        # nothing came from anywhere but this server: a booth has no network
        fetched = js(kiosk, "return performance.getEntriesByType('resource')"
                            ".map(function (e) { return e.name; })")
        assert fetched and all(name.startswith((url, "data:")) for name in fetched), fetched

        # a portrait kiosk: the map over the story, nothing spilling off the screen
        screen(kiosk, 1080, 1920)
        wait_for(kiosk, lambda d: d.find_element(By.ID, "kiosk-map").rect["width"] == 1080)
        assert js(kiosk, "return document.documentElement.scrollWidth <= innerWidth")
        screenshot(kiosk, "kiosk-portrait")
        assert console_errors(kiosk) == []


#: Run in the kiosk's page: every step of its attract loop (``basira.kiosk.loop`` in assets/kiosk.js, which
#: Dash looks up at each call) recorded with the page's clock into ``window.__loop`` — the loop's own
#: decisions, timed as it timed them, whatever a busy machine does to the test's looks at the page.
RECORD_LOOP = """
var kiosk = window.dash_clientside['basira.kiosk'], step = kiosk.loop;
window.__loop = [];
kiosk.loop = function () {
    var out = step.apply(this, arguments), s = out[2];
    if (s && s !== window.dash_clientside.no_update) {
        window.__loop.push({t: Date.now(), paused: s.paused, chapter: s.chapter, region: s.region,
                            touched: s.touched || 0, acted: s.acted || 0});
    }
    return out;
};
"""


def test_a_touch_holds_the_loop_for_a_quiet_spell_then_it_goes_on(kiosk, client, settings) -> None:
    """A touch on the map pauses the attract loop on its chapter, and it stays there until the visitor has
    left it alone for ``kiosk_idle_s``; then it goes on by itself, with another chapter. Asserted on the
    loop's record of its own steps (:data:`RECORD_LOOP`), timed by the page's clock: no sleep of the test
    races the page's timers."""
    idle_s = CHAPTER_S + 2.5  # longer than a chapter and a step of the loop
    settings = settings.model_copy(update={"stale_after_s": 600, "kiosk_chapter_s": CHAPTER_S,
                                           "kiosk_idle_s": idle_s})
    token = Store.from_settings(settings).meta.mark_demo()
    feed(client, settings, simulated(token, scene()))
    with serving(settings) as url:
        kiosk.get(url + "/demo")
        wait_for(kiosk, lambda d: "is-shown" in root_class(d) and view(d) is not None, timeout=LOAD_S)
        js(kiosk, RECORD_LOOP)
        wait_for(kiosk, lambda d: js(d, "return window.__loop.length") > 0, message="the loop does not step")
        kiosk.find_element(By.ID, "kiosk-map").click()
        wait_for(kiosk, paused, message="a touch did not pause the loop")
        wait_for(kiosk, lambda d: not paused(d), timeout=LOAD_S + idle_s, message="the loop did not resume")
        steps = js(kiosk, "return window.__loop")

        touched = next(i for i, s in enumerate(steps) if s["touched"])  # the step that saw the touch
        resumed = next(i for i in range(touched, len(steps)) if not steps[i]["paused"])
        held, first, last = steps[touched:resumed], steps[touched], steps[resumed]
        assert held, "the touch did not pause the loop"
        assert all(s["touched"] == first["touched"] and not s["acted"] for s in held), "another touch"
        assert {(s["chapter"], s["region"]) for s in held} == {(first["chapter"], first["region"])}, \
            f"the loop moved on while a touch held it: {held}"
        assert last["t"] - first["touched"] >= idle_s * 1000, \
            f"the loop went on {last['t'] - first['touched']} ms after the touch, before its quiet spell"
        assert last["chapter"] != first["chapter"] and last["region"] is None  # the story goes on
        assert console_errors(kiosk) == []
