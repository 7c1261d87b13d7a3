"""The command view's live layers (``assets/livelayer.js``), in a real headless Chromium.

The live feed hands each tick's changes to the incidents' and the units' layers directly; a layer
redraws only the markers that changed and keeps the rest — the same marker, the same element in the
page. Issue 17 asks for it: before, each tick reset the whole clustered layer, so a page at 1,000
entries/s re-indexed and redrew every point every second. Also here: a click on a live incident
chooses it (as dash-leaflet's ``clickData`` did), and a hidden layer does no work until shown again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse

import pytest

from app.contract import Stream
from tests.browser import console_errors, feed, fresh, js, serving, wait_for
from tests.clock import Clock
from tests.helpers import incident, unit

pytestmark = pytest.mark.browser

#: Far enough apart (0.5°, ~180 px) to be drawn on their own at zoom 9 around Riyadh.
RIYADH = [("RY1", "24.30", "46.20"), ("RY2", "24.80", "46.70"), ("RY3", "25.30", "47.20")]
UNITS = [("RU1", "24.55", "46.45"), ("RU2", "25.05", "46.95")]

DRAWN = "var l = window.basira.live.layer(arguments[0]); return l && l.drawnCount()"
MARK = """var m = window.basira.live.layer(arguments[0]), k = m && m.markerOf(arguments[1]);
    if (!k) { return null; }
    var el = k.getElement ? k.getElement() : k._path;
    if (arguments[2]) { k.__mark = arguments[2]; if (el) { el.__mark = arguments[2]; } }
    return {layer: k.__mark || null, element: el ? (el.__mark || null) : null,
            connected: Boolean(el && el.isConnected), priority: k.feature.properties.priority || null,
            lon: k.feature.geometry.coordinates[0]};"""


def _marker(driver, kind: str, id: str, mark: str | None = None):
    return js(driver, MARK, kind, id, mark)


def _scene(client, settings, clock: Clock, priority: str = "3") -> None:
    feed(client, settings, {
        Stream.incidents: [incident(i, lat=lat, lon=lon, priority=priority, agency="patrol", category="theft",
                                    ts=clock.now_ms()) for i, lat, lon in RIYADH],
        Stream.units: [unit(u, lat=lat, lon=lon, agency="patrol", ts=clock.now_ms())
                       for u, lat, lon in UNITS],
    }, clock)  # fmt: skip


@contextmanager
def _live_page(browser, client, settings, kind: str) -> Iterator[tuple]:  # noqa: ANN001
    """The command view over the scene, once its live layer of ``kind`` has drawn; yields the settings
    and the clock it is served with."""
    settings = settings.model_copy(update={"stale_after_s": 3600})
    clock = Clock.mid_hour()
    _scene(client, settings, clock)
    fresh(browser)
    with serving(settings, clock) as url:
        browser.get(url + "/?lang=en")
        wait_for(browser, lambda d: js(d, DRAWN, kind), message=f"the live layer {kind!r} was not drawn")
        yield settings, clock


def test_a_tick_redraws_what_changed_and_keeps_every_other_marker(browser, client, settings) -> None:
    with _live_page(browser, client, settings, "inc") as (settings, clock):
        # around Riyadh, close enough for each incident and unit to be drawn on its own
        js(browser, "window.basira.live.layer('inc')._map.setView([24.8, 46.7], 9, {animate: false});")
        for kind, ids in (("inc", [i for i, *_ in RIYADH]), ("unit", [u for u, *_ in UNITS])):
            for id in ids:
                wait_for(browser, lambda d, k=kind, i=id: _marker(d, k, i, mark=i),
                         message=f"{id} is not drawn on its own")

        # one incident changes priority, one unit moves: their markers are drawn again …
        feed(client, settings, {
            Stream.incidents: [incident("RY2", lat="24.80", lon="46.70", priority="1", agency="patrol",
                                        category="theft", ts=clock.now_ms())],
            Stream.units: [unit("RU1", lat="24.55", lon="46.50", agency="patrol", ts=clock.now_ms())],
        }, clock)  # fmt: skip
        wait_for(browser, lambda d: (_marker(d, "inc", "RY2") or {}).get("priority") == 1,
                 message="RY2's new priority was not drawn")
        wait_for(browser, lambda d: (_marker(d, "unit", "RU1") or {}).get("lon") == 46.5,
                 message="RU1's move was not drawn")
        for kind, id in (("inc", "RY2"), ("unit", "RU1")):
            redrawn = _marker(browser, kind, id)
            assert redrawn["layer"] is None and redrawn["element"] is None and redrawn["connected"], redrawn
        # … and every other one is the very marker and element drawn before
        for kind, id in (("inc", "RY1"), ("inc", "RY3"), ("unit", "RU2")):
            kept = _marker(browser, kind, id)
            assert kept == {**kept, "layer": id, "element": id, "connected": True}, (id, kept)

        # a click on a live incident chooses it, as a click on its row does
        js(browser, "var m = window.basira.live.layer('inc').markerOf('RY3');"
                    "m.fire('click', {latlng: m.getLatLng()});")
        wait_for(browser, lambda d: parse_qs(urlparse(d.current_url).query).get("incident") == ["RY3"],
                 message=f"a click on RY3 did not choose it: {browser.current_url}")
        assert console_errors(browser) == []


def test_a_hidden_layer_does_no_work_and_shows_the_latest_when_shown_again(browser, client, settings) -> None:
    with _live_page(browser, client, settings, "unit") as (settings, clock):
        toggle = """var labels = document.querySelectorAll('.leaflet-control-layers-overlays label');
            var label = Array.from(labels).find(function (l) {
                return l.textContent.indexOf('Field units') >= 0; });
            label.querySelector('input').click(); return true;"""
        js(browser, toggle)
        wait_for(browser, lambda d: js(d, "return window.basira.live.layer('unit') === null"),
                 message="the units' layer is still on the map")
        drawn = "return document.querySelectorAll('.basira-unit, .basira-unit-cluster').length"
        assert js(browser, drawn) == 0
        # a unit that comes while the layer is hidden is drawn when it is shown again
        feed(client, settings, {Stream.units: [unit("RU3", lat="26.40", lon="50.10", agency="patrol",
                                                    ts=clock.now_ms())]}, clock)
        js(browser, "window.basira.live.layer('inc')._map.setView([26.4, 50.1], 9, {animate: false});")
        js(browser, toggle)
        wait_for(browser, lambda d: js(d, "var l = window.basira.live.layer('unit');"
                                          "return Boolean(l && l.markerOf('RU3'))"),
                 message="the unit that came while hidden is not drawn")
        assert console_errors(browser) == []


BUILDS = "var l = window.basira.live.layer(arguments[0]); return l ? l.builds() : null"


def test_an_index_waits_for_its_next_build_but_a_new_priority_1_incident_is_drawn_at_once(
    browser, client, settings
) -> None:
    """Issue 17: an index is built at most once every REBUILD_MS. The test holds the layers' clock
    still, before every build so far: no build falls due, so only an incident made priority 1 builds
    one; a new priority-1 incident is drawn on its own before its index has it."""
    with _live_page(browser, client, settings, "unit") as (settings, clock):
        js(browser, "window.basira.live.layer('inc')._map.setView([24.8, 46.7], 9, {animate: false});")
        for kind, id in (("inc", "RY1"), ("unit", "RU1"), ("unit", "RU2")):
            wait_for(browser, lambda d, k=kind, i=id: _marker(d, k, i, mark=i), message=f"{id} is not drawn")
        js(browser, "window.basira.live.clock.now = function () { return 0; };")
        units, incidents = js(browser, BUILDS, "unit"), js(browser, BUILDS, "inc")

        # units move, one after the other, and a new one comes: those drawn on their own move at once …
        newcomer = unit("RU3", lat="24.40", lon="47.10", agency="patrol", ts=clock.now_ms())
        for n, lon in enumerate(("46.50", "46.55", "46.60")):
            moved = unit("RU1", lat="24.55", lon=lon, agency="patrol", ts=clock.now_ms() + n)
            feed(client, settings, {Stream.units: [moved, newcomer] if n == 1 else [moved]}, clock)
            wait_for(browser, lambda d, x=float(lon): (_marker(d, "unit", "RU1") or {}).get("lon") == x,
                     message=f"RU1's move to {lon} was not drawn")
        # … and an incident drawn on its own shows its new status at once, without a build
        feed(client, settings, {Stream.incidents: [
            incident("RY1", lat="24.30", lon="46.20", priority="3", agency="patrol", category="theft",
                     status="dispatched", ts=clock.now_ms() + 5)]}, clock)  # fmt: skip
        status = ("var m = window.basira.live.layer('inc').markerOf('RY1');"
                  "return m && m.feature.properties.status")
        wait_for(browser, lambda d: js(d, status) == "dispatched", message="RY1's new status was not drawn")

        # a new priority-1 incident is urgent: drawn at once with the clock still held — on its own, before
        # its index has it (no build: the index takes it at its next)
        feed(client, settings, {Stream.incidents: [
            incident("RY4", lat="24.55", lon="46.95", priority="1", agency="patrol", category="fire",
                     ts=clock.now_ms() + 6)]}, clock)  # fmt: skip
        wait_for(browser, lambda d: (_marker(d, "inc", "RY4") or {}).get("priority") == 1,
                 message="the new priority-1 incident was not drawn")
        assert js(browser, BUILDS, "inc") == incidents
        # one that becomes priority 1 may be counted in a cluster already: its index is built for it at once
        feed(client, settings, {Stream.incidents: [
            incident("RY3", lat="25.30", lon="47.20", priority="1", agency="patrol", category="theft",
                     ts=clock.now_ms() + 7)]}, clock)  # fmt: skip
        wait_for(browser, lambda d: (_marker(d, "inc", "RY3") or {}).get("priority") == 1,
                 message="the incident made priority 1 was not drawn as one")
        assert js(browser, BUILDS, "inc") == incidents + 1
        assert (_marker(browser, "inc", "RY4") or {}).get("priority") == 1, "the new one is still drawn"
        # the units' changes came before it, and are all in hand: yet no build fell due
        assert js(browser, BUILDS, "unit") == units
        assert _marker(browser, "unit", "RU3") is None
        assert _marker(browser, "unit", "RU2") == {**_marker(browser, "unit", "RU2"), "layer": "RU2",
                                                  "element": "RU2", "connected": True}

        # the clock goes on: the units' index is built again, and the new unit drawn
        js(browser, "window.basira.live.clock.now = function () { return Date.now(); };")
        wait_for(browser, lambda d: _marker(d, "unit", "RU3"), message="RU3 was not drawn after the build")
        assert js(browser, BUILDS, "unit") == units + 1
        assert console_errors(browser) == []


#: The incidents' clusters drawn now: [count, most urgent priority, the icon's classes], largest first.
CLUSTERS = """var l = window.basira.live.layer('inc'), out = [];
    l._drawn.forEach(function (m) {
        var p = m.feature.properties;
        if (p.cluster) { out.push([p.point_count, p.urgent, (m.getElement() || {}).className || '']); }
    });
    return out.sort(function (a, b) { return b[0] - a[0]; });"""


def test_a_new_priority_1_incident_in_a_cluster_is_counted_in_it_at_once_without_a_build(
    browser, client, settings
) -> None:
    """Issue 17: a new priority-1 incident that falls in a cluster is drawn in it at once — its count one
    more, its colour priority 1's — before the index is built again (the layers' clock held still); the
    build that follows draws the same."""
    with _live_page(browser, client, settings, "inc") as (settings, clock):
        # zoomed out: Riyadh's three incidents (0.5° apart) are one cluster
        js(browser, "window.basira.live.layer('inc')._map.setView([24.8, 46.7], 4, {animate: false});")
        wait_for(browser, lambda d: [c[:2] for c in js(d, CLUSTERS)] == [[3, 3]],
                 message="Riyadh's incidents are not one cluster of three")
        js(browser, "window.basira.live.clock.now = function () { return 0; };")
        builds = js(browser, BUILDS, "inc")

        feed(client, settings, {Stream.incidents: [
            incident("RY5", lat="24.85", lon="46.75", priority="1", agency="patrol", category="fire",
                     ts=clock.now_ms())]}, clock)  # fmt: skip
        wait_for(browser, lambda d: [c[:2] for c in js(d, CLUSTERS)] == [[4, 1]],
                 message="the new priority-1 incident was not counted in its cluster")
        [(_count, _urgent, classes)] = js(browser, CLUSTERS)
        assert "basira-p1" in classes, classes  # its colour (the ring: while new by the page's own clock)
        assert js(browser, BUILDS, "inc") == builds, "the index was built for it"
        assert _marker(browser, "inc", "RY5") is None, "drawn on its own as well"

        # the clock goes on: the index takes it in, and draws the same
        js(browser, "window.basira.live.clock.now = function () { return Date.now(); };")
        wait_for(browser, lambda d: js(d, BUILDS, "inc") > builds, message="the index was not built again")
        assert [c[:2] for c in js(browser, CLUSTERS)] == [[4, 1]]
        assert console_errors(browser) == []


#: The units' one cluster drawn now (marked with arguments[0] when given): {mark, count, lat, lon}.
UNIT_CLUSTER = """var found = null, mark = arguments[0];
    window.basira.live.layer('unit')._drawn.forEach(function (m) {
        if (!m.feature.properties.cluster) { return; }
        if (mark) { m.__mark = mark; }
        var at = m.getLatLng();
        found = {mark: m.__mark || null, count: m.feature.properties.point_count, lat: at.lat, lon: at.lng};
    });
    return found;"""


def test_a_cluster_that_only_moved_keeps_its_marker(browser, client, settings) -> None:
    """Issue 17: units moving within their cluster shift its centre at every build; the cluster keeps its
    marker, moved (a transform, nothing painted again), instead of a new one each second."""
    with _live_page(browser, client, settings, "unit") as (settings, clock):
        js(browser, "window.basira.live.layer('unit')._map.setView([24.8, 46.7], 4, {animate: false});")
        wait_for(browser, lambda d: (js(d, UNIT_CLUSTER) or {}).get("count") == 2,
                 message="the two units are not one cluster")
        before = js(browser, UNIT_CLUSTER, "kept")
        feed(client, settings, {Stream.units: [unit("RU1", lat="24.60", lon="46.55", agency="patrol",
                                                    ts=clock.now_ms())]}, clock)
        wait_for(browser, lambda d: (js(d, UNIT_CLUSTER) or {}).get("lon", before["lon"]) != before["lon"],
                 message="the cluster did not move with its unit")
        after = js(browser, UNIT_CLUSTER)
        assert after["mark"] == "kept" and after["count"] == 2, after
        assert console_errors(browser) == []
