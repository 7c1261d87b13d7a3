/*
 * The command view's navigation in the browser: drill-down links, the URL, the back button.
 *
 * The view (region × agency, perhaps one incident) is held by the page in the `live-scope` store and
 * changed by one server callback (`navigate`), which takes requests from the `live-nav` store. This
 * file feeds that store and keeps the URL in step:
 *
 * - A plain click on a link marked `data-nav` (the breadcrumb, the incident rows) asks for the
 *   link's view in the page instead of loading it again. The links are real (`?region=…`): with a
 *   modifier key or the middle button they open in a new tab, as links do.
 * - `syncUrl` (a clientside callback on the view and the language) writes the view into the URL:
 *   a new history entry when the viewer changed the view, the entry replaced for a change of
 *   language or a view that came from the history itself.
 * - The back and forward buttons. Dash pages re-render the whole page whenever the query string
 *   changes (its router listens to the location), which would rebuild the map and lose the viewer's
 *   pan and zoom. So an entry this page wrote (marked `basira: "command"`) is caught first — a
 *   capturing listener on window runs before dcc.Location's — and handed to the page as a view, and
 *   its time to the time bar (`basira.replay.restore`, assets/replay.js).
 * - The time bar's moment (`live-time`: `at`, `from`, `to`, `speed`) is part of the URL too, after the
 *   view: a change the viewer makes (a seek, play, pause, back to live) is a history entry, a frame of
 *   a playing replay replaces the entry.
 *
 * It also reports the layers switched on in the map's layer control (`live-visible`), for the legend;
 * the region outline functions (`window.basira.command`) are dash-leaflet functional props.
 */
(function () {
    "use strict";

    var ROOT = "live-root";
    var NAV = "live-nav";
    var MAP = "live-map";
    var VISIBLE = "live-visible";
    var MARK = "command";
    var PARAMS = ["region", "agency", "incident"];
    var TIME_PARAMS = ["at", "from", "to", "speed"];
    var LEGEND_MIN_HEIGHT = 860;
    var LEGEND_MIN_WIDTH = 1100; /* narrower: a phone or a tablet (assets/mobile.css), the map first */

    function onCommandView() { return document.getElementById(ROOT) !== null; }

    function viewOf(search) {
        var query = new URLSearchParams(search);
        var view = {};
        PARAMS.forEach(function (name) { view[name] = query.get(name); });
        return view;
    }

    function queryOf(view, lang, time) {
        var query = new URLSearchParams();
        PARAMS.forEach(function (name) { if (view && view[name]) { query.set(name, view[name]); } });
        TIME_PARAMS.forEach(function (name) {
            var value = time ? time[name] : null;
            if (value !== null && value !== undefined && value !== "") { query.set(name, String(value)); }
        });
        if (lang) { query.set("lang", lang); }
        return "?" + query.toString();
    }

    /* Ask the page for a view; `history`: it comes from the back/forward buttons. */
    function request(view, history) {
        var api = window.dash_clientside;
        if (!api || typeof api.set_props !== "function") { return false; }
        api.set_props(NAV, {data: Object.assign(view, {history: history, at: Date.now()})});
        return true;
    }

    /* The view a plain primary click on a `data-nav` link asks for (null: leave it to the browser). */
    function navLink(event) {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey ||
            !onCommandView()) { return null; }
        var link = event.target && event.target.closest ? event.target.closest("a[data-nav]") : null;
        if (!link) { return null; }
        var url = new URL(link.href, window.location.href);
        if (url.origin !== window.location.origin || url.pathname !== window.location.pathname) { return null; }
        return viewOf(url.search);
    }

    /* A mouse acts on the press: the list is redrawn as incidents change, and a row redrawn between
     * press and release would swallow the click. Touch and keys act on the click (a touch may be the
     * start of a scroll). */
    var pressed = false;
    document.addEventListener("pointerdown", function (event) {
        pressed = false;
        if (event.pointerType !== "mouse") { return; }
        var view = navLink(event);
        if (view) { pressed = request(view, false); }
    });
    document.addEventListener("click", function (event) {
        var view = navLink(event);
        if (!view) { return; }
        if (pressed || request(view, false)) { event.preventDefault(); }
        pressed = false;
    });

    window.addEventListener("popstate", function (event) {
        var state = event.state;
        if (!state || state.basira !== MARK || !onCommandView()) { return; }
        if (request(viewOf(window.location.search), true)) {
            var replay = (window.basira || {}).replay;
            if (replay && replay.restore) { replay.restore(window.location.search); }
            event.stopImmediatePropagation();
        }
    }, true);

    /* The layers switched on in the map's layer control, by key (the names carry `data-layer`). */
    document.addEventListener("change", function (event) {
        var input = event.target;
        if (!input || !input.classList || !input.classList.contains("leaflet-control-layers-selector")) { return; }
        var control = input.closest("#" + MAP + " .leaflet-control-layers");
        var api = window.dash_clientside;
        if (!control || !api || typeof api.set_props !== "function") { return; }
        var keys = [];
        control.querySelectorAll(".leaflet-control-layers-selector").forEach(function (box) {
            var tag = box.checked && box.closest("label") && box.closest("label").querySelector("[data-layer]");
            if (tag) { keys.push(tag.getAttribute("data-layer")); }
        });
        api.set_props(VISIBLE, {data: keys});
    });

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside["basira.command"] = Object.assign({}, window.dash_clientside["basira.command"], {
        /* The URL of the view and its moment: pushed when the viewer changed either, replaced otherwise.
         * The document takes the page's language too: Dash's menus open outside the page's root. */
        syncUrl: function (view, lang, time) {
            if (lang) {
                document.documentElement.lang = lang;
                document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
            }
            var query = queryOf(view, lang, time);
            var url = window.location.pathname + query + window.location.hash;
            var state = {basira: MARK};
            var ctx = window.dash_clientside.callback_context;
            var triggered = (ctx && ctx.triggered) || [];
            var byView = triggered.some(function (t) { return String(t.prop_id).indexOf("live-scope.") === 0; });
            var byTime = triggered.some(function (t) { return String(t.prop_id).indexOf("live-time.") === 0; });
            if (query === window.location.search) {
                if (!window.history.state || window.history.state.basira !== MARK) {
                    window.history.replaceState(state, "", url);
                }
            } else if ((byView && view && view.push) || (byTime && time && time.push)) {
                window.history.pushState(state, "", url);
            } else {
                window.history.replaceState(state, "", url);
            }
            return query;
        }
    });

    /* Open the legend when the window is tall and wide enough for it not to cover the Kingdom (once);
     * on a phone or a tablet it waits to be asked. */
    window.dash_clientside["basira.command"].legendOpen = function () {
        return window.innerHeight >= LEGEND_MIN_HEIGHT && window.innerWidth >= LEGEND_MIN_WIDTH;
    };

    window.basira = Object.assign({}, window.basira, {command: {
        /* Only the region in view is outlined (none at the national level). */
        inFocus: function (feature, context) {
            var hideout = (context && context.hideout) || {};
            return Boolean(hideout.region) && (feature.properties || {}).code === hideout.region;
        },
        focusStyle: function () {
            return {color: "#74c0fc", weight: 2.5, opacity: 0.95, fill: false, dashArray: null};
        }
    }});
}());
