"""Replay on the command view as a leader uses it, in a real headless Chromium against a real archive.

The archive is made the real way (``tests/replay_scene.py``: the simulator's entries through the streams,
the ingest worker and the archiver into Parquet; its first hour's unit positions thinned). Each figure
the page shows at a moment is compared with ``GET /api/v1/snapshot?at=`` of the same moment and scope.

* ``/?at=T``: the band says it is a replay (and not live), the KPIs are the snapshot's, the map holds the
  snapshot's units; a click on the bar seeks (the URL's ``at`` changes, a history entry) and the back
  button returns; a click on an incident shows its whole life (statuses, units, tracks on the map);
  "Back to live" brings the live feed back.
* ``/?from=&to=&speed=60``: it plays — the cursor advances — and stops at the window's end.
* Arabic: the band in Arabic (and the thinning said), right to left, the bar's start on the right.
* A phone: the bar fits the screen and every control is at least 44×44 CSS px, live and in a replay.

No durations are asserted: every wait is for a condition. Pictures for the README are taken into
``artifacts/`` (``replay-en.png``, ``replay-ar.png``, ``timeline.png``, ``replay-phone.png``) and copied
to ``docs/img/``.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from app.archive import layout as archive_layout
from app.archive.timeline import timeline
from app.contract import Scope
from app.settings import Settings
from tests.browser import console_errors, fresh, js, screenshot, serving, wait_for
from tests.replay_scene import Archived

pytestmark = pytest.mark.browser

MINUTE = 60_000
HOUR = archive_layout.HOUR_MS
TARGET = 44  # CSS px: the least touch target


@pytest.fixture(scope="module")
def site(replay_archive: tuple[Settings, Archived]) -> Iterator[tuple[str, Settings, Archived]]:
    """The app over an archive of two and a half hours (the live store holds its last moment; the
    session's, ``conftest.replay_archive``, shared with ``test_replay_ui.py``), for the module."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("BASIRA_"):
                patch.delenv(name)
        archived, scene = replay_archive
        settings = archived.model_copy(update={"refresh_ms": 500})
        with serving(settings) as url:
            yield url, settings, scene


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return json.loads(reply.read())


def _query(driver) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(driver.current_url).query).items()}


def _at(driver) -> str | None:
    """The moment of the last frame drawn (the bar's ``data-at``; empty while live)."""
    return js(driver, "var e = document.getElementById('live-timebar');"
                      "return e && e.getAttribute('data-at');")


def _attrs(driver, selector: str, name: str) -> list[str]:
    """Attribute ``name`` of every match of ``selector``, in document order."""
    return js(driver, "return Array.from(document.querySelectorAll(arguments[0]))"
                      ".map(function (e) { return e.getAttribute(arguments[1]); });".replace(
                          "arguments[1]", json.dumps(name)), selector)


def _count(driver, selector: str) -> int:
    return js(driver, "return document.querySelectorAll(arguments[0]).length;", selector)


def _class(driver, selector: str) -> str:
    return js(driver, "var e = document.querySelector(arguments[0]); return e ? e.className : '';", selector)


def _kpis(driver) -> dict[str, str]:
    return js(driver, """var out = {};
        document.querySelectorAll('#live-kpis [data-kpi]').forEach(function (tile) {
            var v = tile.querySelector('[data-value]');
            out[tile.getAttribute('data-kpi')] = v ? v.getAttribute('data-value') : null; });
        return out;""")


def _same(shown: str | None, value: float | None) -> bool:
    return (value is None and shown == "") or (value is not None and shown not in (None, "")
                                               and float(shown) == pytest.approx(value))


def _matches(shown: dict[str, str], kpis: dict) -> bool:
    """The strip shows ``kpis`` (the snapshot's figures)."""
    return (_same(shown.get("open"), kpis["open_total"])
            and _same(shown.get("dispatch"), kpis["dispatch_p50_s"])
            and _same(shown.get("response"), kpis["response_p50_s"])
            and _same(shown.get("units"), (kpis["units_by_status"] or {}).get("available", 0))
            and _same(shown.get("answered"), kpis["answered_15s_share"])
            and _same(shown.get("ports"), kpis["port_travellers_1h"]))


def _units_on_map(driver) -> int:
    """Units drawn on the map: single markers, and the counts of the clusters."""
    return js(driver, """var n = document.querySelectorAll('.leaflet-pane .basira-unit').length;
        document.querySelectorAll('.basira-unit-cluster').forEach(function (c) {
            n += parseInt(c.textContent, 10) || 0; });
        return n;""")


def _text(driver, selector: str) -> str:
    return js(driver, "var e = document.querySelector(arguments[0]); return e ? e.innerText : '';", selector)


def _tracks_in_view():
    """A condition: every drawn track lies within the map's box, and the map has stopped moving (no zoom
    animation, the tracks where they were at the last look)."""
    last: list[str | None] = [None]

    def settled(driver) -> bool:
        where = js(driver, """var box = document.getElementById('live-map');
            var map = box.getBoundingClientRect();
            var paths = Array.from(document.querySelectorAll('.leaflet-basira-tracks-pane path'));
            var inside = paths.length > 0 && paths.every(function (p) {
                var r = p.getBoundingClientRect();
                return r.left >= map.left - 1 && r.right <= map.right + 1 && r.top >= map.top - 1
                    && r.bottom <= map.bottom + 1; });
            if (!inside || box.classList.contains('leaflet-zoom-anim')) { return null; }
            return paths.map(function (p) { return JSON.stringify(p.getBoundingClientRect()); }).join();""")
        still = where is not None and where == last[0]
        last[0] = where
        return still

    return settled


def _small(driver, scope: str) -> list[str]:
    """Visible controls within ``scope`` smaller than 44×44 CSS px (a label's input counts by its label)."""
    return js(driver, """var found = [], least = arguments[1];
        var controls = 'a[href], button, input:not([type=hidden]), summary, select';
        document.querySelectorAll(arguments[0]).forEach(function (root) {
            root.querySelectorAll(controls).forEach(function (e) {
                if (e.closest('details:not([open]) > :not(summary)')) { return; }
                var s = getComputedStyle(e), r = e.getBoundingClientRect();
                if (s.visibility !== 'visible' || r.width === 0 || r.height === 0) { return; }
                if (r.width < least - 0.5 || r.height < least - 0.5) {
                    found.push(e.tagName + '.' + String(e.className).slice(0, 30) + ' '
                               + Math.round(r.width) + '×' + Math.round(r.height));
                }
            });
        });
        return found;""", scope, TARGET)


@pytest.mark.browser
def test_a_moment_replayed_a_seek_and_back_an_incidents_life_and_back_to_live(browser, site) -> None:
    url, settings, scene = site
    at = scene.end_ms - 25 * MINUTE
    snapshot = _get(f"{url}/api/v1/snapshot?at={at}")
    fresh(browser)
    browser.get(f"{url}/?lang=en&at={at}")
    wait_for(browser, lambda d: _at(d) == str(at), message="the moment was not drawn")
    # impossible to mistake for live
    band = _text(browser, "#live-replay")
    assert band.startswith("REPLAY · ") and "Riyadh time — not live" in band and "Back to live" in band
    assert _text(browser, "#live-state") == "Replay"
    assert "thinned" not in band  # this hour keeps every position
    # the KPIs and the map are the snapshot's
    wait_for(browser, lambda d: _matches(_kpis(d), snapshot["kpis"]),
             message=f"the KPIs {_kpis(browser)} are not the snapshot's {snapshot['kpis']}")
    units = len(snapshot["units"]["features"])
    assert units > 0
    wait_for(browser, lambda d: _units_on_map(d) == units,
             message=f"the map shows {_units_on_map(browser)} units, the snapshot {units}")
    rows = js(browser, "return Array.from(document.querySelectorAll('.basira-row'))"
                       ".map(function (e) { return e.getAttribute('data-incident'); })")
    assert sorted(rows) == sorted(f["id"] for f in snapshot["incidents"]["features"])
    assert not js(browser, "return window.basira.feed.active()")  # the live feed is stopped
    screenshot(browser, "replay-en")
    js(browser, "window.__kept = 1;")  # the page is never reloaded by what follows

    # a click on the bar, a third of the way along: another moment, a history entry; back returns
    slider = browser.find_element("id", "live-slider")
    ActionChains(browser).move_to_element_with_offset(
        slider, int(slider.rect["width"] * (0.3 - 0.5)), 0).click().perform()
    wait_for(browser, lambda d: _query(d).get("at") not in (None, str(at)),
             message="the URL's at did not change")
    moved = _query(browser)["at"]
    assert int(moved) < at
    wait_for(browser, lambda d: _at(d) == moved, message="the new moment was not drawn")
    browser.back()
    wait_for(browser, lambda d: _query(d).get("at") == str(at),
             message=f"back did not return: {browser.current_url}")
    wait_for(browser, lambda d: _at(d) == str(at), message="back did not draw the first moment again")
    wait_for(browser, lambda d: _matches(_kpis(d), snapshot["kpis"]))
    assert js(browser, "return window.__kept") == 1

    # an incident's whole life, from its row: statuses, units, and their tracks on the map
    stories = {f["id"]: timeline(settings.archive_dir, f["id"], at, Scope(), now_ms=scene.end_ms + HOUR)
               for f in snapshot["incidents"]["features"]}
    chosen, story = max(((k, s) for k, s in stories.items() if s),
                        key=lambda item: (len(item[1]["units"]) > 0, len(item[1]["statuses"])))
    assert story["units"], "no incident of the moment had a unit"
    js(browser, "document.querySelector(arguments[0]).click();", f".basira-row[data-incident='{chosen}']")
    wait_for(browser, lambda d: _query(d).get("incident") == chosen and _query(d).get("at") == str(at),
             message=f"not on the incident at the moment: {browser.current_url}")
    statuses = [s["status"] for s in story["statuses"]]
    wait_for(browser, lambda d: _attrs(d, "#live-timeline [data-status]", "data-status") == statuses,
             message="the timeline's statuses are not the incident's")
    assert _count(browser, "#live-timeline [data-unit]") == len(story["units"])
    verdict = {None: "pending", True: "met", False: "missed"}[story["dispatch"]["met"]]
    assert _class(browser, "#live-timeline [data-judge=dispatch]").endswith(f"is-{verdict}")
    # what came after the moment shown is marked so
    later = sum(1 for step in story["statuses"] if step["ts"] > at)
    assert _count(browser, "#live-timeline [data-ts].is-after") == later
    if any(len(u["track"]) >= 2 for u in story["units"]):
        wait_for(browser, lambda d: _count(d, ".leaflet-basira-tracks-pane path") > 0,
                 message="no track on the map")
        # the map goes to them: every track within the map (once the flight has landed)
        wait_for(browser, _tracks_in_view(), message="the map did not fit the tracks")
    js(browser, "document.getElementById('live-timeline').scrollIntoView({block: 'start'});")
    screenshot(browser, "timeline")

    # back to live: the band goes, the URL forgets the moment, the live feed draws the map again
    js(browser, "document.querySelector('#live-replay button').click();")
    wait_for(browser, lambda d: "at" not in _query(d), message=f"still a replay: {browser.current_url}")
    wait_for(browser, lambda d: js(d, "return document.getElementById('live-replay').hidden"))
    wait_for(browser, lambda d: js(d, "return window.basira.feed.active()"),
             message="the live feed did not start")
    now = _get(f"{url}/api/v1/snapshot")
    wait_for(browser, lambda d: _kpis(d).get("open") == str(now["kpis"]["open_total"]),
             message="the KPIs are not live again")
    assert "is-live" in _class(browser, "#live-timebar")
    assert _text(browser, "#live-state") != "Replay"
    # live, the chosen incident's life is still there, read from the archive up to now
    assert _query(browser).get("incident") == chosen
    whole = timeline(settings.archive_dir, chosen, scene.end_ms + HOUR, Scope())
    wait_for(browser, lambda d: _attrs(d, "#live-timeline [data-status]", "data-status")
             == [s["status"] for s in whole["statuses"]], message="the live timeline is not the incident's")
    assert _count(browser, "#live-timeline [data-ts].is-after") == 0
    assert console_errors(browser) == []


@pytest.mark.browser
def test_play_at_x60_advances_and_stops_at_the_windows_end(browser, site) -> None:
    url, _settings, scene = site
    start = scene.span[0] + 30 * MINUTE
    end = start + 20 * MINUTE
    fresh(browser)
    asked = time.monotonic()
    browser.get(f"{url}/?lang=en&from={start}&to={end}&speed=60")
    first = wait_for(browser, lambda d: (at := _at(d)) and start <= int(at) <= end and int(at),
                     message="play did not start within the window")
    # It starts at the window's start and moves a minute a second: by the first look it may have gone
    # on by as many minutes as seconds have passed since the page was asked for (a busy machine shows
    # the page late), and no further — the range comes from the time measured, not from a guess.
    assert first <= start + 60 * (time.monotonic() - asked) * 1000 + MINUTE, (first - start) / MINUTE
    seen = [first]

    def advanced(driver) -> bool:
        shown = _at(driver)
        if shown and int(shown) > seen[-1]:
            seen.append(int(shown))
        return len(seen) >= 4

    wait_for(browser, advanced, message=f"the cursor did not advance: {seen}")
    assert seen == sorted(seen) and all(start < s <= end for s in seen[1:])
    assert "is-playing" in _class(browser, "#live-timebar")
    query = _query(browser)
    assert query["speed"] == "60" and int(query["at"]) > start  # the URL follows the cursor
    # faster: ×600 plays the rest of the window in about two seconds, then stops at its end
    js(browser, "document.querySelector('#live-timebar [data-speed=\"600\"]').click();")
    wait_for(browser, lambda d: _query(d).get("at") == str(end) and "speed" not in _query(d),
             message=f"play did not stop at the window's end: {browser.current_url}")
    wait_for(browser, lambda d: _at(d) == str(end))
    assert "is-playing" not in _class(browser, "#live-timebar")
    assert (_query(browser)["from"], _query(browser)["to"]) == (str(start), str(end))
    # the window, as a file: GeoJSON first, the scope and window shown, the count the export API gives
    counted = _get(f"{url}/api/v1/export?format=geojson&from={start}&to={end}&count=1")
    browser.find_element("css selector", "#live-timebar .basira-tb-export > summary").click()
    wait_for(browser, lambda d: _text(d, "#live-tb-records") == f"{counted['records']} records",
             message=f"the export menu does not count {counted['records']} records")
    links = [urlparse(link) for link in _attrs(browser, "#live-timebar a[data-format]", "href")]
    asked = [{k: v[0] for k, v in parse_qs(link.query).items()} for link in links]
    assert [a["format"] for a in asked] == ["geojson", "csv", "kml"]
    assert all(link.path == "/api/v1/export" for link in links)
    assert all((a["from"], a["to"]) == (str(start), str(end)) and "region" not in a for a in asked)
    assert console_errors(browser) == []


@pytest.mark.browser
def test_arabic_replay_reads_right_to_left_and_says_tracks_are_thinned(browser, site) -> None:
    url, _settings, scene = site
    at = scene.start_ms + 20 * MINUTE  # in the first hour: thinned
    snapshot = _get(f"{url}/api/v1/snapshot?at={at}")
    assert snapshot["thinned"] is True
    fresh(browser)
    browser.get(f"{url}/?lang=ar&at={at}")
    wait_for(browser, lambda d: _at(d) == str(at))
    band = _text(browser, "#live-replay")
    assert band.startswith("إعادة عرض · ") and "ليس مباشراً" in band and "العودة إلى المباشر" in band
    assert "مسارات الوحدات مخففة إلى موقع واحد كل دقيقة" in band
    assert js(browser, "return document.getElementById('live-root').dir") == "rtl"
    assert js(browser, "return getComputedStyle(document.getElementById('live-slider')).direction") == "rtl"
    wait_for(browser, lambda d: _text(d, "#live-tb-start") and _text(d, "#live-tb-end"))
    start, end = (js(browser, "return document.getElementById(arguments[0]).getBoundingClientRect().x", i)
                  for i in ("live-tb-start", "live-tb-end"))
    assert start > end  # the window's start on the right: the bar reads right to left
    live, play = (js(browser, "return document.querySelector(arguments[0]).getBoundingClientRect().x", s)
                  for s in ("#live-timebar [data-replay=live]", "#live-timebar [data-replay=play]"))
    assert live > play
    assert _text(browser, "#live-state") == "إعادة عرض"
    wait_for(browser, lambda d: _matches(_kpis(d), snapshot["kpis"]))
    screenshot(browser, "replay-ar")
    assert console_errors(browser) == []


@pytest.mark.browser
def test_the_bar_on_a_phone(phone, site) -> None:
    url, _settings, scene = site
    at = scene.end_ms - 25 * MINUTE
    fresh(phone)
    phone.get(f"{url}/?lang=en&at={at}")
    wait_for(phone, lambda d: _at(d) == str(at))

    def fits(driver) -> dict:
        return js(driver, """var bar = document.getElementById('live-timebar').getBoundingClientRect();
            return {top: bar.top, bottom: bar.bottom, left: bar.left, right: bar.right, height: bar.height,
                    width: innerWidth, screen: innerHeight, page: document.documentElement.scrollWidth};""")

    box = fits(phone)
    assert 0 <= box["top"] and box["bottom"] <= box["screen"]
    assert box["left"] >= 0 and box["right"] <= box["width"]
    assert box["page"] <= box["width"]  # nothing wider than the phone
    assert _small(phone, "#live-timebar, #live-replay") == []
    screenshot(phone, "replay-phone")
    # live: one short row over the foot of the map, as touchable
    js(phone, "document.querySelector('#live-replay button').click();")
    wait_for(phone, lambda d: "is-live" in _class(d, "#live-timebar"))
    box = fits(phone)
    assert box["bottom"] <= box["screen"] and box["height"] < 2 * TARGET and box["page"] <= box["width"]
    assert _small(phone, "#live-timebar") == []
    assert console_errors(phone) == []
