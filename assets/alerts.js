/*
 * Alerts on the pages (app/pages/_kit/alerts.py, app/pages/command/alerts.py, app/pages/wall/alerts.py),
 * in the window.basira.alerts namespace and the "basira.alerts" clientside callbacks.
 *
 * - The poller (`start`): a page must show a new alert within a second, so it cannot wait for its 1 s
 *   refresh. Four times a second it asks /api/v1/alerts/version (one GET of Redis on the server), and
 *   when the number moves it sets the page's `<page>-alerts-version` store, whose server callback
 *   redraws the page's alerts at once. Nothing is asked while the page is hidden (a background tab);
 *   coming back asks at once. A failed request, or the store down (`{"down": true}`), is retried with
 *   a growing pause. It stops by itself when the page it was started for is gone.
 *   On the command view the live feed's answers carry the same number (`X-Basira-Alerts`, app/feed.py;
 *   assets/feed.js hands it to `heard`), once a tick: while they come the poller asks only when that
 *   number differs from the one it has, for the new alerts themselves — one request a tick fewer. When
 *   they stop (a replay, the feed failing) it asks on its own again, FED_MS after the last one.
 * - `pin`: a dash-leaflet pointToLayer — a warning marker per open alert, in its own pane, coloured
 *   by severity (assets/alerts.css); its tooltip is built as text, never as HTML.
 * - "Show on map" (a button with data-lat/-lon/-zoom/-map): flies the map there (`viewport`); on a
 *   phone the bottom sheet folds first, so the map is seen.
 * - `toggleAll`: "show all" / "show fewer" on the command view's section (a class: no round trip).
 * - The wall's sound (`chime`, `sound`): off unless the page turned it on (`configureSound`). A browser
 *   whose autoplay policy refuses `audio.play()` rejects its promise: the wall then shows its "sound
 *   blocked — tap to allow" badge, and a tap on it (a user gesture) plays the chime and hides it.
 *   `sound()` reports what happened (the browser tests read it).
 */
(function () {
    "use strict";

    var RETRY_MS = [500, 1000, 2000, 5000];
    /* How long a number heard from the live feed stands for the poller's own ask: longer than a feed
     * answer's gap on a loaded machine (one a tick, 125 ms), short enough to take over within a second
     * or two when the feed stops. */
    var FED_MS = 1500;
    var poll = {config: null, last: undefined, timer: null, busy: false, failures: 0, heard: undefined, heardAt: 0};
    var audio = {on: false, url: null, badge: null, state: "off", plays: 0, blocked: 0, error: null};

    function api() {
        var dc = window.dash_clientside;
        return dc && typeof dc.set_props === "function" ? dc : null;
    }

    /* ------------------------------------------------------------------ the poller */

    function schedule(ms) {
        if (poll.timer) { clearTimeout(poll.timer); }
        poll.timer = setTimeout(ask, Math.max(0, ms));
    }

    function ask() {
        poll.timer = null;
        var config = poll.config;
        if (!config || poll.busy) { return; }
        if (!document.getElementById(config.root)) { poll.config = null; return; }  /* the page is gone */
        if (document.hidden) { return; }  /* visibilitychange asks again */
        tidyFresh(config);
        var fedFor = poll.heardAt + FED_MS - Date.now();
        if (poll.heard !== undefined && poll.heard === poll.last && fedFor > 0) {
            schedule(fedFor);  /* the feed says nothing moved; `heard` asks at once if it does */
            return;
        }
        poll.busy = true;
        fetch(askUrl(config), {credentials: "same-origin", cache: "no-store", headers: {Accept: "application/json"}})
            .then(function (response) {
                if (!response.ok) { throw new Error("alerts: HTTP " + response.status); }
                return response.json();
            })
            .then(function (body) {
                if (body && body.down) { throw new Error("alerts: the store is unreachable"); }
                poll.failures = 0;
                var version = body ? body.version : null;
                var dc = api();
                if (version !== poll.last && dc && poll.config === config) {
                    poll.last = version;
                    showFresh(config, body.fresh);
                    dc.set_props(config.target, {data: version});
                }
            })
            .catch(function () { poll.failures += 1; })
            .finally(function () {
                poll.busy = false;
                if (!poll.config) { return; }
                schedule(poll.failures ? RETRY_MS[Math.min(poll.failures - 1, RETRY_MS.length - 1)]
                                       : poll.config.every_ms || 250);
            });
    }

    /* What the poller asks: the version, and with the number it last heard (`known`) and the page's
     * scope (the command view's ?region=&agency=), the new alerts themselves when the number moved. */
    function askUrl(config) {
        if (poll.last === undefined || poll.last === null || !config.fresh) { return config.path; }
        var here = new URLSearchParams(window.location.search), query = new URLSearchParams();
        query.set("known", String(poll.last));
        ["region", "agency"].forEach(function (name) { if (here.get(name)) { query.set(name, here.get(name)); } });
        return config.path + "?" + query.toString();
    }

    function freshBox(config) {
        return config && config.fresh ? document.getElementById(config.fresh) : null;
    }

    function drawnRow(config, id) {
        var rows = config.rows ? document.getElementById(config.rows) : null;
        if (!rows) { return null; }
        return Array.from(rows.querySelectorAll("[data-alert]")).find(function (e) {
            return e.getAttribute("data-alert") === id;
        }) || null;
    }

    /* A new alert shown the moment the poller hears of it — severity, headline, sentence, as text — in
     * the page's own box above the rows, until the page's redraw (one round trip later) draws its row. */
    function showFresh(config, fresh) {
        var box = freshBox(config);
        if (!box || !Array.isArray(fresh)) { return; }
        var root = document.getElementById(config.root);
        var lang = (root && root.getAttribute("lang")) === "en" ? "en" : "ar";
        fresh.slice().reverse().forEach(function (a) {
            if (!a || typeof a.id !== "string" || drawnRow(config, a.id)) { return; }
            if (Array.from(box.children).some(function (e) { return e.getAttribute("data-alert") === a.id; })) { return; }
            var row = document.createElement("article");
            row.className = "basira-alert is-fresh";
            row.setAttribute("data-alert", a.id);
            row.setAttribute("data-severity", String(a.severity || ""));
            row.setAttribute("data-shown-at", String(Date.now()));
            if (a.colour) { row.style.setProperty("--alert-colour", String(a.colour)); }
            var line = document.createElement("div");
            line.className = "basira-alert-line";
            var chip = document.createElement("span");
            chip.className = "basira-alert-severity";
            chip.textContent = (a.severity_word || {})[lang] || String(a.severity || "");
            if (a.colour) { chip.style.setProperty("--alert-colour", String(a.colour)); }
            var title = document.createElement("span");
            title.className = "basira-alert-title";
            title.textContent = (a.headline || {})[lang] || "";
            line.appendChild(chip);
            line.appendChild(title);
            var text = document.createElement("p");
            text.className = "basira-alert-text";
            text.dir = "auto";
            text.textContent = (a.text || {})[lang] || "";
            row.appendChild(line);
            row.appendChild(text);
            box.insertBefore(row, box.firstChild);
        });
        watchRows(config);
    }

    /* A fresh alert leaves its box once its row is drawn (or after ten seconds, whatever happened). */
    function tidyFresh(config) {
        var box = freshBox(config);
        if (!box) { return; }
        Array.from(box.children).forEach(function (row) {
            var id = row.getAttribute("data-alert"), at = Number(row.getAttribute("data-shown-at")) || 0;
            if (drawnRow(config, id) || Date.now() - at > 10000) { box.removeChild(row); }
        });
    }

    var watched = null;
    function watchRows(config) {
        var rows = config.rows ? document.getElementById(config.rows) : null;
        if (!rows || watched === rows || typeof MutationObserver !== "function") { return; }
        watched = rows;
        new MutationObserver(function () { tidyFresh(poll.config || config); })
            .observe(rows, {childList: true, subtree: true});
    }

    document.addEventListener("visibilitychange", function () {
        if (!document.hidden && poll.config && !poll.busy) { schedule(0); }
    });

    /* The alerts' version, as a live-feed answer carried it (assets/feed.js): news when it is not the
     * one the poller has, asked for at once. */
    function heard(version) {
        if (typeof version !== "number" || !isFinite(version)) { return; }
        poll.heard = version;
        poll.heardAt = Date.now();
        if (poll.config && !poll.busy && version !== poll.last) { schedule(0); }
    }

    /* The page's clientside callback: start (or move) the poller. config: {path, every_ms, root, target,
     * version}. Returns nothing for Dash to update. */
    function start(id, config) {
        var no = window.dash_clientside.no_update;
        if (!config || !config.target) { return no; }
        if (!poll.config || poll.config.target !== config.target) {
            poll.last = config.version === null || config.version === undefined ? undefined : config.version;
        }
        poll.config = config;
        if (!poll.busy) { schedule(0); }
        return no;
    }

    /* ------------------------------------------------------------------ the map */

    function textBox(props) {
        var box = document.createElement("div");
        box.className = "basira-alert-tip";
        var title = document.createElement("b");
        title.textContent = props.title || "";
        var text = document.createElement("div");
        text.textContent = props.text || "";
        box.appendChild(title);
        box.appendChild(text);
        return box;
    }

    function pin(feature, latlng, context) {
        var h = (context && context.hideout) || {}, p = feature.properties || {}, map = context && context.map;
        var pane = h.pane || "markerPane";
        if (map && h.pane && !map.getPane(h.pane)) { map.createPane(h.pane).style.zIndex = String(h.pane_z || 640); }
        var severity = /^[a-z]+$/.test(String(p.severity)) ? p.severity : "unknown";
        var icon = L.divIcon({
            className: "basira-alert-pin is-" + severity + (p.escalated ? " is-escalated" : ""),
            html: '<span aria-hidden="true">!</span>', iconSize: L.point(26, 26), iconAnchor: L.point(13, 24)
        });
        var marker = L.marker(latlng, {icon: icon, pane: pane, keyboard: false, zIndexOffset: 2000});
        marker.bindTooltip(function () { return textBox(p); },
                           {direction: "top", className: "basira-tooltip", opacity: 1, offset: [0, -20]});
        return marker;
    }

    /* "Show on map": fly there (folding a phone's bottom sheet first). */
    document.addEventListener("click", function (event) {
        var button = event.target && event.target.closest ? event.target.closest(".basira-alert-fly") : null;
        var dc = api();
        if (!button || !dc) { return; }
        var lat = Number(button.getAttribute("data-lat")), lon = Number(button.getAttribute("data-lon"));
        if (!isFinite(lat) || !isFinite(lon)) { return; }
        var panel = button.closest(".basira-panel.is-open"), handle = document.querySelector(".basira-sheet-handle");
        if (panel && handle && handle.offsetParent !== null) { handle.click(); }
        dc.set_props(button.getAttribute("data-map"), {viewport: {
            center: [lat, lon], zoom: Number(button.getAttribute("data-zoom")) || 11, transition: "flyTo",
            options: {duration: 1.2}
        }});
    });

    /* ------------------------------------------------------------------ the wall's sound */

    function badge(hidden) {
        var dc = api();
        if (dc && audio.badge && document.getElementById(audio.badge)) { dc.set_props(audio.badge, {hidden: hidden}); }
    }

    function played() {
        audio.state = "played";
        audio.plays += 1;
        badge(true);
    }

    function refused(error) {
        audio.state = "blocked";
        audio.blocked += 1;
        audio.error = (error && error.name) || String(error);
        badge(false);
    }

    /* Play the chime once, when sound is on. What the browser says is kept in `audio`. */
    function chime() {
        if (!audio.on || !audio.url) { return audio.state; }
        audio.state = "asked";
        var promise;
        try {
            promise = new Audio(audio.url).play();
        } catch (error) {
            refused(error);
            return audio.state;
        }
        if (promise && typeof promise.then === "function") { promise.then(played, refused); } else { played(); }
        return audio.state;
    }

    /* A tap on the badge: a user gesture, so the browser lets the chime play now. */
    document.addEventListener("click", function (event) {
        if (!audio.badge || !event.target || !event.target.closest) { return; }
        if (event.target.closest("#" + audio.badge)) { chime(); }
    });

    function configureSound(on, url, badgeId) {
        audio.on = Boolean(on);
        audio.url = url || null;
        audio.badge = badgeId || null;
        if (!audio.on) { audio.state = "off"; } else if (audio.state === "off") { audio.state = "idle"; }
    }

    function sound() {
        return {on: audio.on, state: audio.state, plays: audio.plays, blocked: audio.blocked, error: audio.error};
    }

    window.basira = Object.assign({}, window.basira, {alerts: {
        pin: pin,
        start: start,
        heard: heard,
        chime: chime,
        configureSound: configureSound,
        sound: sound
    }});

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside["basira.alerts"] = Object.assign({}, window.dash_clientside["basira.alerts"], {
        start: start,
        /* "Show all" / "show fewer": the section's class `is-all` shows the rows beyond the first. */
        toggleAll: function (clicks, className) {
            var classes = String(className || "").split(/\s+/).filter(Boolean);
            var at = classes.indexOf("is-all");
            if (at >= 0) { classes.splice(at, 1); } else { classes.push("is-all"); }
            return classes.join(" ");
        }
    });
}());
