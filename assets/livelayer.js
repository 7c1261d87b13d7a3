/*
 * The command view's live incidents and units as Leaflet layers of our own, fed by the live feed
 * (assets/feed.js) directly — not through Dash's props, and without redrawing what did not change.
 *
 * Why not dash-leaflet's clustered GeoJSON, as the other pages use: every change of its `data` goes
 * through Dash's store and React, rebuilds its supercluster index, removes every marker and creates
 * every one again. At 1,000 entries/s (a unit moves somewhere every tick) that was about half a CPU
 * second per second in the page, all day, on a wall PC or a leader's laptop (issue 17). Here:
 *
 * - each kind keeps one supercluster index (assets/vendor/supercluster.min.js), built only while the
 *   layer is shown (a hidden layer is built when shown) and at most once every `REBUILD_MS`. Issue 17's
 *   profile: rebuilding both indexes at every tick (4 a second) was the page's largest JavaScript cost
 *   after Dash's own;
 * - something urgent is drawn at the very next tick all the same. A priority-1 incident that is new is
 *   drawn before its index has it, as the next build will draw it (`_placed`): counted in the cluster
 *   it falls in, which wears its ring, or on its own (and pulsing) when nothing is near; when it is
 *   near a thing drawn on its own, or one is newly priority 1 (it may be counted in a cluster
 *   already), the index is built for it at once. Under the bench's load (a few new priority-1
 *   incidents a second among 10,000) building the incidents' index for each was the page's largest
 *   JavaScript cost;
 * - a change that does not move a thing nor change what its cluster shows (a status, a description)
 *   needs no index at all: the index finds a point, and the point is drawn from the feed's current
 *   feature (looked up by id), so a thing drawn on its own is redrawn whatever changed, within
 *   `PATCH_MS` (`_patch`), and the clusters catch up with moves, arrivals and departures within
 *   `REBUILD_MS`;
 * - a cluster carries its most urgent priority, computed while the index is built (map/reduce), not
 *   by walking every leaf of every cluster drawn;
 * - a redraw keeps each marker whose thing is unchanged — a point by its feature (the feed replaces a
 *   feature when it changes), a cluster by its count and colour, moved when its centre moved a
 *   little (`MOVED_PX`) — and only adds and removes the rest; a marker that must change with time
 *   (the pulse of a new priority-1 incident, the ring of a cluster that holds one) is drawn again
 *   when its time is up.
 *
 * The layer is made by dash-leaflet itself: a plain GeoJSON component (its `host` part, see
 * layers/base.py) holds one placeholder point whose `pointToLayer` is `basira.liveLayer`, so it sits
 * in the layer's pane, is switched on and off by the layer control with the rest of the layer, and is
 * made again with the new `hideout` when the language changes. A new layer takes what the feed last
 * gave its kind. The markers are drawn by the same functions as everywhere else (`basira.<stem>Point`,
 * `<stem>Cluster`, `<stem>Linked`); a click on an incident is reported as the clustered component's
 * `clickData`, as dash-leaflet would, so the timeline opens it.
 */
window.basira = Object.assign({}, window.basira, {live: (function () {
    "use strict";

    /* An index is built again at most this often, unless something urgent changed (see the head). */
    var REBUILD_MS = 1000;
    /* A thing drawn on its own is drawn again at most this often, unless something urgent changed: the
     * feed's tick (125 ms) is there for the urgent, and a unit's next position can wait for the next
     * redraw. Each redraw costs the page a paint (issue 17: the page's CPU). */
    var PATCH_MS = 250;

    var latest = {inc: new Map(), unit: new Map()};  // kind → id → the feature the feed last gave
    var shown = {};                     // kind → the LiveLayer on the map now
    var LiveLayer = null;               // made when first needed: Leaflet is dash-leaflet's
    /* The layers' clock for `REBUILD_MS` (not the pulse's): a test may hold it still (`live.clock`). */
    var clock = {now: function () { return Date.now(); }};

    /* Clusters of incidents carry their most urgent priority (1 is the most urgent) and the newest
     * opening of a priority-1 incident among them (`fresh`, epoch ms; 0: none). */
    var URGENCY = {
        map: function (p) {
            var priority = Number(p.priority) || 4;
            return {urgent: priority, fresh: priority === 1 ? Number(p.opened || p.ts) || 0 : 0};
        },
        reduce: function (into, p) {
            if (p.urgent < into.urgent) { into.urgent = p.urgent; }
            if (p.fresh > into.fresh) { into.fresh = p.fresh; }
        }
    };

    function priorityOf(feature) { return Number(feature.properties.priority) || 4; }

    /* What a thing's change means for its kind's index: 0 nothing (it is found where it was and its
     * clusters look the same), 1 the index is out of date (it came, left or moved, or its cluster's
     * colour or ring may change), 2 urgent (a priority-1 incident new, or new to priority 1). */
    function indexChange(kind, before, after) {
        var p1 = kind === "inc" && after && priorityOf(after) === 1;
        if (!before || !after) { return p1 ? 2 : (before || after ? 1 : 0); }
        if (p1 && priorityOf(before) !== 1) { return 2; }
        var a = before.geometry.coordinates, b = after.geometry.coordinates;
        if (a[0] !== b[0] || a[1] !== b[1]) { return 1; }
        if (kind !== "inc") { return 0; }
        var x = before.properties, y = after.properties;
        return priorityOf(before) !== priorityOf(after) || (p1 && (x.opened || x.ts) !== (y.opened || y.ts)) ? 1 : 0;
    }

    /* When a marker drawn now must be drawn again, whatever else changes: a new priority-1 incident
     * pulses, and a cluster that holds one wears a ring, until `pulse_ms` after it opened
     * (basira.incidentPoint, basira.incidentCluster). 0: never. */
    function redrawAt(kind, feature, hideout) {
        var p = feature.properties || {};
        if (kind !== "inc") { return 0; }
        var opened = p.cluster ? (p.urgent === 1 ? p.fresh : 0)
            : (Number(p.priority) === 1 ? Number(p.opened || p.ts) : 0);
        var until = Number(opened) + (hideout.pulse_ms || 0);
        return opened && until > Date.now() ? until : 0;
    }

    /* What a cluster's marker shows: its count, colour and ring. */
    function clusterLook(item) {
        var p = item.properties;
        return p.point_count + "|" + (p.urgent || "") + "|" + (p.fresh || "");
    }

    function clusterKey(item) {
        var xy = item.geometry.coordinates;
        return "c" + xy[0].toFixed(5) + "," + xy[1].toFixed(5) + "|" + clusterLook(item);
    }

    /* A cluster that only moved a little keeps its marker, moved (a transform: nothing is painted again),
     * instead of a new one: the units' clusters shift at every build as units move (~40 markers made a
     * second under the bench's load, issue 17). Farther than this (px at the zoom drawn): a new one. */
    var MOVED_PX = 12;

    function define() {
        return L.LayerGroup.extend({
            initialize: function (spec, context) {
                L.LayerGroup.prototype.initialize.call(this, []);
                this._spec = spec;          // {kind, stem, radius, maxZoom, clicks}
                this._context = context;    // dash-leaflet's: {map, hideout, …}
                this._features = latest[spec.kind] || new Map();
                this._index = null;
                this._dirty = true;         // the index is out of date
                this._builtAt = 0;          // clock.now() of the last build
                this._builds = 0;           // how many builds so far (for tests)
                this._measured = false;     // the first build of some data timed (User Timing)
                this._timer = null;         // a build put off by REBUILD_MS
                this._drawn = new Map();    // key → marker
                this._pending = new Set();  // ids to draw again by the next patch (PATCH_MS)
                this._arrived = new Set();  // ids of urgent arrivals the index does not have yet
                this._patchTimer = null;
                this._patchedAt = 0;        // Date.now() of the last patch or redraw
            },

            onAdd: function (map) {
                L.LayerGroup.prototype.onAdd.call(this, map);
                map.on("moveend", this.redraw, this);
                var before = shown[this._spec.kind];
                shown[this._spec.kind] = this;
                if (before && before !== this && before._map) { before.remove(); }
                this._features = latest[this._spec.kind] || new Map();
                this._index = null;
                this.redraw();
            },

            onRemove: function (map) {
                map.off("moveend", this.redraw, this);
                if (shown[this._spec.kind] === this) { delete shown[this._spec.kind]; }
                if (this._timer) { clearTimeout(this._timer); this._timer = null; }
                if (this._patchTimer) { clearTimeout(this._patchTimer); this._patchTimer = null; }
                this._pending.clear();
                this._arrived.clear();
                this._index = null;  // built again when shown: a hidden layer does no work
                this.clearLayers();
                this._drawn = new Map();
                L.LayerGroup.prototype.onRemove.call(this, map);
            },

            /* The kind's features changed (`features`: id → feature; `change`: {whole, before: id → the
             * feature before this change, or null}). Urgent changes are drawn now — an arrival before
             * the index has it (`_placed`), an escalation by building the index —; the rest at once
             * where a thing is drawn on its own, and in the clusters by the next build. */
            setFeatures: function (features, change) {
                this._features = features;
                if (!this._map) { return; }  // built and drawn when shown
                if (!this._index || !change || change.whole) { this._index = null; this.redraw(); return; }
                var kind = this._spec.kind, escalated = false, arrived = false, stale = false, patch = [];
                var self = this;
                change.before.forEach(function (before, id) {
                    var level = indexChange(kind, before, features.get(id));
                    if (level === 2 && before) { escalated = true; }
                    if (level === 2 && !before) { self._arrived.add(id); arrived = true; }
                    if (level) { stale = true; }
                    if (self._drawn.has("p" + id)) { patch.push(id); }
                });
                if (escalated) { this._index = null; this.redraw(); return; }
                if (stale) { this._dirty = true; }
                var due = this._dirty && clock.now() - this._builtAt >= REBUILD_MS;
                if (due || arrived) { this.redraw(); } else { this._patchSoon(patch); }  // (redraw builds when due)
                if (this._dirty) { this._later(); }
            },

            /* `ids` drawn again by the next patch: now when `PATCH_MS` have passed since the last, else
             * when they will have. */
            _patchSoon: function (ids) {
                for (var i = 0; i < ids.length; i++) { this._pending.add(ids[i]); }
                if (this._patchTimer || !this._pending.size) { return; }
                var self = this, wait = PATCH_MS - (Date.now() - this._patchedAt);
                if (wait <= 0) { this._flush(); return; }
                this._patchTimer = setTimeout(function () { self._patchTimer = null; self._flush(); }, wait);
            },

            _flush: function () {
                var ids = Array.from(this._pending);
                this._pending.clear();
                this._patchedAt = Date.now();
                if (this._map) { this._patch(ids); }
            },

            /* A build put off: when `REBUILD_MS` have passed since the last (by `clock`). */
            _later: function () {
                if (this._timer) { return; }
                var self = this, wait = Math.min(REBUILD_MS, Math.max(50, REBUILD_MS - (clock.now() - this._builtAt)));
                this._timer = setTimeout(function () {
                    self._timer = null;
                    if (!self._map || !self._dirty) { return; }
                    if (clock.now() - self._builtAt >= REBUILD_MS) { self.redraw(); } else { self._later(); }
                }, wait);
            },

            _build: function () {
                var spec = this._spec;
                var options = {radius: spec.radius, maxZoom: spec.maxZoom};
                if (spec.kind === "inc") { options.map = URGENCY.map; options.reduce = URGENCY.reduce; }
                var index = new window.Supercluster(options), started = performance.now();
                index.load(Array.from(this._features.values()));
                if (!this._measured && this._features.size && performance.measure) {
                    // the first of some data only: a page lives for days, and the timeline keeps it all
                    this._measured = true;
                    performance.measure("basira:index:" + spec.kind, {start: started, end: performance.now()});
                }
                this._index = index;
                this._arrived.clear();  // the index has them now
                this._dirty = false;
                this._builtAt = clock.now();
                this._builds += 1;
                if (this._timer) { clearTimeout(this._timer); this._timer = null; }
            },

            /* The things `ids`, drawn on their own now, drawn again from their current features (or
             * removed, when gone) — without the index, which catches up by its next build. */
            _patch: function (ids) {
                var now = Date.now();
                for (var i = 0; i < ids.length; i++) {
                    var key = "p" + ids[i], marker = this._drawn.get(key), feature = this._features.get(ids[i]);
                    if (!marker || (feature && marker.feature === feature &&
                            !(marker._basiraUntil && marker._basiraUntil <= now))) { continue; }
                    this.removeLayer(marker);
                    this._drawn.delete(key);
                    if (feature) {
                        marker = this._marker(feature);
                        this._drawn.set(key, marker);
                        this.addLayer(marker);
                    }
                }
            },

            /* Draw what the view holds now, keeping every marker that would be drawn the same; the
             * index is built first when it is out of date and `REBUILD_MS` have passed (or it has none).
             * The urgent arrivals the index does not have yet are drawn as it will draw them (`_placed`). */
            redraw: function () {
                var map = this._map;
                if (!map || !window.Supercluster) { return; }
                if (!this._index || (this._dirty && clock.now() - this._builtAt >= REBUILD_MS)) { this._build(); }
                var b = map.getBounds(), west = b.getWest(), east = b.getEast(), zoom = Math.round(map.getZoom());
                if (east - west >= 360) { west = -180; east = 180; }
                var box = [Math.max(west, -180), Math.max(b.getSouth(), -85), Math.min(east, 180), Math.min(b.getNorth(), 85)];
                var items = this._index.getClusters(box, zoom);
                var placed = this._arrived.size ? this._placed(items, zoom) : null;
                if (placed === false) {  // one would change what a cluster holds: the index is built for it
                    this._build();
                    items = this._index.getClusters(box, zoom);
                    placed = null;
                }
                var now = Date.now(), old = this._drawn, next = new Map(), added = [], features = this._features;
                var alone = placed ? placed.alone : [], looks = null;
                for (var i = 0; i < items.length + alone.length; i++) {
                    var item = i < items.length ? items[i] : alone[i - items.length], cluster = item.properties.cluster;
                    if (cluster && placed && placed.hosts.has(i)) { item = placed.hosts.get(i); }
                    if (!cluster) {  // a point: drawn as the feed has it now (gone since the build: not at all)
                        item = features.get(item.id);
                        if (!item || (i >= items.length && next.has("p" + item.id))) { continue; }
                    }
                    var key = cluster ? clusterKey(item) : "p" + item.id;
                    var marker = old.get(key);
                    if (!marker && cluster) {
                        looks = looks || this._looks(old);
                        marker = this._moved(looks, old, item, zoom, now);
                    }
                    if (marker && (cluster || marker.feature === item) &&
                            !(marker._basiraUntil && marker._basiraUntil <= now)) {
                        marker.feature = item;  // a cluster's id is its index's: the current one
                        old.delete(key);
                    } else {
                        marker = this._marker(item);
                        added.push(marker);
                    }
                    next.set(key, marker);
                }
                var self = this;
                old.forEach(function (gone) { self.removeLayer(gone); });
                if (this._spec.kind === "inc") {  // the most urgent last: drawn on top where they overlap
                    added.sort(function (a, b) { return urgency(b) - urgency(a); });
                }
                added.forEach(function (marker) { self.addLayer(marker); });
                this._drawn = next;
                this._pending.clear();  // drawn as they are now
                this._patchedAt = now;
            },

            /* Where the urgent arrivals the index does not have yet go among `items` (what the index
             * draws of the view at `zoom`), as its next build will most likely put them — so that one is
             * drawn at once without building the index for it, and the build changes nothing in sight:
             * into the cluster within the clustering radius (its count one more, its ring on; `hosts`:
             * the index in `items` → that cluster as it will be), or on its own, nothing within twice the
             * radius (`alone`, those in view). `false` when one is near but not in a cluster: a build
             * decides. (A new priority-1 incident drawn on its own while its cluster waits for a build
             * would pulse — an animation, frames drawn all the time — for nothing: issue 17, the page's
             * CPU.) */
            _placed: function (items, zoom) {
                var map = this._map, radius = this._spec.radius / 2;  // supercluster's 512-px tiles, Leaflet's 256
                var view = map.getBounds(), features = this._features, hosts = new Map(), alone = [], clear = true;
                var at = items.map(function (item) {
                    var c = item.geometry.coordinates;
                    return map.project([c[1], c[0]], zoom);
                });
                this._arrived.forEach(function (id) {
                    var feature = features.get(id);
                    if (!feature || !clear) { return; }
                    var c = feature.geometry.coordinates, spot = map.project([c[1], c[0]], zoom), near = -1, best = Infinity;
                    for (var i = 0; i < at.length; i++) {
                        var d = spot.distanceTo(at[i]);
                        if (d < best) { best = d; near = i; }
                    }
                    if (best > 2 * radius) {
                        if (view.contains([c[1], c[0]])) { alone.push(feature); }
                        return;
                    }
                    if (best > radius || !items[near].properties.cluster) { clear = false; return; }
                    var host = hosts.get(near) || items[near], p = host.properties, q = feature.properties;
                    hosts.set(near, {type: "Feature", id: host.id, geometry: host.geometry,
                                     properties: Object.assign({}, p, {
                                         point_count: p.point_count + 1, urgent: 1,
                                         fresh: Math.max(Number(p.fresh) || 0, Number(q.opened || q.ts) || 0)})});
                });
                return clear ? {hosts: hosts, alone: alone} : false;
            },

            /* The cluster markers drawn now (`old`), by what they show: look → [key…]. */
            _looks: function (old) {
                var looks = new Map();
                old.forEach(function (marker, key) {
                    if (key.charAt(0) !== "c") { return; }
                    var look = clusterLook(marker.feature);
                    (looks.get(look) || looks.set(look, []).get(look)).push(key);
                });
                return looks;
            },

            /* A cluster marker of `old` that shows what `item` shows, within MOVED_PX of it: taken from
             * `old` (and `looks`) and moved to it; or null. */
            _moved: function (looks, old, item, zoom, now) {
                var keys = looks.get(clusterLook(item));
                if (!keys || !keys.length) { return null; }
                var map = this._map, c = item.geometry.coordinates, latlng = L.latLng(c[1], c[0]);
                var spot = map.project(latlng, zoom);
                for (var i = 0; i < keys.length; i++) {
                    var marker = old.get(keys[i]);
                    if (!marker || (marker._basiraUntil && marker._basiraUntil <= now)) { continue; }
                    if (map.project(marker.getLatLng(), zoom).distanceTo(spot) > MOVED_PX) { continue; }
                    old.delete(keys[i]);
                    keys.splice(i, 1);
                    marker.setLatLng(latlng);
                    return marker;
                }
                return null;
            },

            _marker: function (item) {
                var base = window.basira, spec = this._spec, context = this._context;
                var latlng = L.latLng(item.geometry.coordinates[1], item.geometry.coordinates[0]);
                var marker;
                if (item.properties.cluster) {
                    marker = base[spec.stem + "Cluster"](item, latlng, this._index, context);
                    marker.on("click", this._zoomInto, this);
                } else {
                    marker = base[spec.stem + "Point"](item, latlng, context);
                    if (spec.clicks) {
                        marker.on("click", function () { reportClick(spec.clicks, marker.feature); });
                    }
                }
                marker.feature = item;
                marker._basiraUntil = redrawAt(spec.kind, item, context.hideout || {});
                base[spec.stem + "Linked"](item, marker, context);
                return marker;
            },

            /* The marker drawn now for the thing `id`, when it is drawn on its own (not in a cluster). */
            markerOf: function (id) { return this._drawn.get("p" + id) || null; },

            /* How many markers are drawn now. */
            drawnCount: function () { return this._drawn.size; },

            /* How many times this layer's index has been built. */
            builds: function () { return this._builds; },

            /* A cluster clicked: zoom in until it comes apart (dash-leaflet's zoomToBoundsOnClick). */
            _zoomInto: function (event) {
                var cluster = event.target.feature, map = this._map;
                if (!map || !this._index || !cluster) { return; }
                var zoom;
                try {
                    zoom = this._index.getClusterExpansionZoom(cluster.properties.cluster_id);
                } catch (gone) {
                    zoom = map.getZoom() + 2;  // the index was rebuilt since: close enough
                }
                map.setView(event.target.getLatLng(), Math.min(zoom, map.getMaxZoom()));
            }
        });
    }

    function urgency(marker) {
        var p = (marker.feature && marker.feature.properties) || {};
        return p.cluster ? (p.urgent || 4) : (Number(p.priority) || 4);
    }

    /* What dash-leaflet reports of a clicked feature (`clickData`), for the page's callbacks. */
    function reportClick(target, feature) {
        var api = window.dash_clientside;
        if (!api || typeof api.set_props !== "function" || !feature) { return; }
        api.set_props(target, {clickData: {
            type: "Feature", id: feature.id, geometry: feature.geometry,
            properties: Object.assign({}, feature.properties, {trail: undefined})
        }});
    }

    /* dash-leaflet's `pointToLayer` of a live layer's host: the layer, for the placeholder's kind. */
    function liveLayer(feature, latlng, context) {
        if (!LiveLayer) { LiveLayer = define(); }
        return new LiveLayer(feature.properties || {}, context);
    }

    /* The feed's features of `kind` ("inc" | "unit"; `features`: id → feature, the feed's own map) and
     * what changed (see setFeatures), to whichever layer of that kind is shown. */
    function set(kind, features, change) {
        latest[kind] = features;
        var layer = shown[kind];
        if (layer) { layer.setFeatures(features, change); }
    }

    return {set: set, liveLayer: liveLayer, layer: function (kind) { return shown[kind] || null; }, clock: clock,
            REBUILD_MS: REBUILD_MS};
}())});
window.basira.liveLayer = window.basira.live.liveLayer;
