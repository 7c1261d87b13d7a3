/*
 * The command view's live map: its incidents and units come from the live feed (app/feed.py), not
 * from the page's refresh callback.
 *
 * Once per tick (the server's `X-Basira-Next` header says when the next one ends) the page asks
 * `/api/v1/feed?region=&agency=&since=<cut>`. The first answer is the scope's whole picture; each
 * next one only what changed since the last cut, one part per tick — Features to put, ids that
 * left, and the moved units' trails. A whole picture's incidents come as slim rows (what the map draws
 * of each: `slimFeature`), the rest of one read when its popup opens. This file keeps both kinds by
 * id, applies the changes, and hands each kind that changed to its live layer (`basira.live.set`,
 * assets/livelayer.js) — not through Dash's props: the layer redraws only the markers that changed.
 *
 * On the command view the first request is made as soon as this file runs (`early`), before Dash has
 * started the page; the page's callback then takes its answer.
 *
 * Each answer's `X-Basira-Alerts` (the alerts' version) goes to the alerts' poller (assets/alerts.js),
 * which then asks for alerts only when it moved.
 *
 * One request at a time: a tick that comes while one is in flight waits for it. A failed request
 * (server or store down) is retried with a growing pause; the page's own refresh says what is wrong.
 * The incident ↔ unit links are resolved when hovered (`basira.feed.positions`), from what is held
 * here, so a unit that moves does not redraw the incidents.
 *
 * In a replay (the time bar holds a moment of the archive: `live-time`'s `at`) the feed stops — what it
 * held is dropped, an answer still in flight is ignored — and the page's refresh draws the replayed
 * incidents and units instead; back in live it starts again from the whole scope.
 *
 * The page's first whole picture leaves three User Timing marks (`mark`), once a page, so that where a
 * first render's time went can be read (benchmarks/browser.py): `basira:feed:parsed` when its JSON was
 * parsed, `basira:feed:started` when the page's callback started the feed (Dash has drawn the page),
 * `basira:feed:applied` once it was handed to the live layers and drawn.
 */
window.basira = Object.assign({}, window.basira, {feed: (function () {
    "use strict";

    var RETRY_MS = [500, 1000, 2000, 5000];
    var COMMAND_PATH = "/", FEED_PATH = "/api/v1/feed";  // app/pages/command/layout.py, app/feed.py

    var config = null;            // {path, tick_ms} from the page
    var scope = null;             // {region, agency}
    var held = {inc: new Map(), unit: new Map()};
    var cut = null, busy = false, timer = null, generation = 0, failures = 0;
    var paused = false;           // a replay is shown: no polling
    var marked = {};              // the User Timing marks left (each once a page: see the top)

    function query() {
        var q = new URLSearchParams();
        if (scope && scope.region) { q.set("region", scope.region); }
        if (scope && scope.agency) { q.set("agency", scope.agency); }
        if (cut !== null) { q.set("since", String(cut)); }
        return config.path + "?" + q.toString();
    }

    function schedule(ms) {
        if (timer) { clearTimeout(timer); }
        timer = setTimeout(poll, Math.max(0, ms));
    }

    /* One request: {wait: ms to the next cut, at: when that was said, body} or {…, error}; never rejects. */
    function ask(url) {
        return fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
            .then(function (response) {
                var got = {wait: Number(response.headers.get("X-Basira-Next")), at: Date.now()};
                heardAlerts(response.headers.get("X-Basira-Alerts"));
                if (!response.ok) { got.error = new Error("feed: HTTP " + response.status); return got; }
                return response.json().then(function (body) {
                    if (body && body.since === null) { mark("basira:feed:parsed"); }
                    got.body = body;
                    return got;
                });
            })
            .catch(function (error) { return {wait: NaN, at: Date.now(), error: error}; });
    }

    /* The alerts' version an answer carried, handed to the alerts' poller (assets/alerts.js), which then
     * need not ask for it besides. */
    function heardAlerts(value) {
        var alerts = window.basira && window.basira.alerts;
        if (value !== null && value !== "" && alerts && typeof alerts.heard === "function") {
            alerts.heard(Number(value));
        }
    }

    /* A User Timing mark, once a page: a page lives for days, and the timeline keeps every mark. */
    function mark(name) {
        if (marked[name] || !window.performance || !performance.mark) { return; }
        marked[name] = true;
        performance.mark(name);
    }

    function poll() {
        timer = null;
        if (busy || !config || paused) { return; }
        mark("basira:feed:started");
        busy = true;
        var mine = generation, next = config.tick_ms, url = query();
        var asked = early && early.url === url ? early.asked : ask(url);
        early = null;
        asked
            .then(function (got) {
                // just after the next cut, counted from when the server said it (parsing took some of it)
                if (got.wait >= 0) { next = Math.max(0, got.wait - (Date.now() - got.at)) + 15; }
                if (got.error) { throw got.error; }
                if (got.body && got.body.down) { throw new Error("feed: the store is unreachable"); }
                failures = 0;
                if (mine === generation) {
                    apply(got.body);
                    if (got.body && got.body.since === null) { mark("basira:feed:applied"); }
                }
            })
            .catch(function () {
                next = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
                failures += 1;
            })
            .finally(function () {
                busy = false;
                if (mine !== generation) { next = 0; }  // the scope changed meanwhile: start it now
                schedule(next);
            });
    }

    /* The command view's whole picture, asked for as soon as this file runs — while Dash starts the
     * page (seconds on a slow PC), rather than after, when the page's callback starts the feed. At
     * 100,000 incidents the server takes seconds to build it: issue 17, first render. Taken by the
     * first poll if that asks the same (the page's scope is the URL's), else left. Not in a replay
     * (the URL holds its moment), nor on other pages. */
    var early = (function () {
        var q = new URLSearchParams(window.location.search);
        if (window.location.pathname !== COMMAND_PATH || q.has("at") || q.has("from")) { return null; }
        var own = new URLSearchParams();
        if (q.get("region")) { own.set("region", q.get("region")); }
        if (q.get("agency")) { own.set("agency", q.get("agency")); }
        var url = FEED_PATH + "?" + own.toString();
        return {url: url, asked: ask(url)};
    }());

    function apply(body) {
        if (!body || body.same) { return; }
        var whole = body.since === null || body.since === undefined;
        // kind → {whole, before: id → what was held before this answer (null: nothing)}, or null
        var changed = {inc: null, unit: null};
        if (whole) {
            held.inc.clear();
            held.unit.clear();
            changed = {inc: {whole: true, before: new Map()}, unit: {whole: true, before: new Map()}};
        }
        (body.parts || []).forEach(function (part) { applyPart(part, changed); });
        cut = body.cut;
        publish(changed);
    }

    /* One part: the whole scope, or one tick's changes (applied in order, oldest first). */
    function applyPart(part, changed) {
        ["inc", "unit"].forEach(function (kind) {
            var got = part[kind] || {}, map = held[kind], trails = got.trail || {};
            var gone = got.gone || [], put = got.put || [], rows = got.rows || [];
            if (!gone.length && !put.length && !rows.length) { return; }
            var change = changed[kind] || (changed[kind] = {whole: false, before: new Map()});
            var before = change.before;
            gone.forEach(function (id) {
                if (!map.has(id)) { return; }
                if (!before.has(id)) { before.set(id, map.get(id)); }
                map.delete(id);
            });
            function hold(feature) {
                if (!change.whole && !before.has(feature.id)) { before.set(feature.id, map.get(feature.id) || null); }
                map.set(feature.id, feature);
            }
            rows.forEach(function (row) { hold(slimFeature(row)); });  // a whole picture's incidents
            put.forEach(function (feature) {
                var p = feature.properties || (feature.properties = {});
                p.id = feature.id;  // clustering matches markers between renders by it
                if (kind === "unit" && trails[feature.id]) { p.trail = trails[feature.id]; }
                if (typeof p.description === "string") { p.description = window.basira.shortened(p.description); }
                hold(feature);
            });
        });
    }

    /* An incident's slim row — "id,lon,lat,priority,status,region,agency,category,units,opened", units
     * space-separated (app/store/incident_rows.py) — as the Feature the map draws; `slim` marks what it
     * lacks (its description), which its popup reads when opened (assets/basira.js). */
    function slimFeature(row) {
        var v = row.split(",");
        return {type: "Feature", id: v[0], geometry: {type: "Point", coordinates: [Number(v[1]), Number(v[2])]},
                properties: {id: v[0], priority: Number(v[3]), status: v[4], region: v[5], agency: v[6],
                             category: v[7], units: v[8] ? v[8].split(" ") : [], opened: Number(v[9]),
                             slim: true}};
    }

    /* Each changed kind to its live layer (assets/livelayer.js), which redraws what changed. The held
     * maps themselves are handed over, unsorted: the layer's index needs no order, and the layer
     * draws the most urgent of the markers it adds last (on top) — sorting 10,000–100,000 incidents
     * at every tick was wasted (issue 17). */
    function publish(changed) {
        var live = (window.basira || {}).live;
        if (!live) { return; }
        if (changed.inc) { live.set("inc", held.inc, changed.inc); }
        if (changed.unit) { live.set("unit", held.unit, changed.unit); }
    }

    /* [lon, lat]… of the held things of `kind` ("inc" | "unit") with these ids, for hover links. */
    function positions(kind, ids) {
        var out = [];
        (ids || []).forEach(function (id) {
            var feature = held[kind].get(id);
            if (feature) { out.push(feature.geometry.coordinates.slice(0, 2)); }
        });
        return out;
    }

    /* Stop for a replay: nothing held, nothing asked, an answer in flight ignored. */
    function pause() {
        if (paused) { return; }
        paused = true;
        early = null;
        generation += 1;
        if (timer) { clearTimeout(timer); timer = null; }
        held.inc.clear();
        held.unit.clear();
        // the replayed moment is drawn by the page instead
        publish({inc: {whole: true, before: new Map()}, unit: {whole: true, before: new Map()}});
        scope = null;
        cut = null;
    }

    /* The page's clientside callback: (re)start for a scope — or stop, while the time bar shows a
     * moment of the archive (`time.at`). Returns nothing for Dash to update. */
    function start(view, time, settings) {
        var next = {region: (view && view.region) || null, agency: (view && view.agency) || null};
        config = settings;
        if (time && time.at !== null && time.at !== undefined) {
            pause();
            return window.dash_clientside.no_update;
        }
        if (!paused && scope && scope.region === next.region && scope.agency === next.agency) {
            return window.dash_clientside.no_update;
        }
        paused = false;
        scope = next;
        cut = null;
        generation += 1;
        if (!busy) { schedule(0); }  // else the request in flight starts the new scope when it ends
        return window.dash_clientside.no_update;
    }

    function active() { return config !== null && !paused; }

    return {start: start, positions: positions, active: active};
}())});

window.dash_clientside = window.dash_clientside || {};
window.dash_clientside["basira.feed"] = Object.assign({}, window.dash_clientside["basira.feed"], {
    start: window.basira.feed.start
});
