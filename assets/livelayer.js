/*
 * The command view's live incidents and units as Leaflet layers of our own, fed by the live feed
 * (assets/feed.js) directly — not through Dash's props, and without redrawing what did not change.
 *
 * Why not dash-leaflet's clustered GeoJSON, as the other pages use: every change of its `data` goes
 * through Dash's store and React, rebuilds its supercluster index, removes every marker and creates
 * every one again. At 1,000 entries/s (a unit moves somewhere every tick) that was about half a CPU
 * second per second in the page, all day, on a wall PC or a leader's laptop (issue 17). Here:
 *
 * - each kind keeps one supercluster index (assets/vendor/supercluster.min.js), built again only when
 *   that kind changed, and only while the layer is shown (a hidden layer is rebuilt when shown);
 * - a cluster carries its most urgent priority, computed while the index is built (map/reduce), not
 *   by walking every leaf of every cluster drawn;
 * - a redraw keeps each marker whose thing is unchanged — a point by its feature (the feed replaces a
 *   feature when it changes), a cluster by its place, count and colour — and only adds and removes
 *   the rest; a marker that must change with time (the pulse of a new priority-1 incident, the ring of
 *   a cluster that holds one) is drawn again when its time is up.
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

    var latest = {inc: [], unit: []};   // kind → the features the feed last gave
    var shown = {};                     // kind → the LiveLayer on the map now
    var LiveLayer = null;               // made when first needed: Leaflet is dash-leaflet's

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

    function clusterKey(item) {
        var p = item.properties, xy = item.geometry.coordinates;
        return "c" + xy[0].toFixed(5) + "," + xy[1].toFixed(5) + "|" + p.point_count + "|" + (p.urgent || "") +
            "|" + (p.fresh || "");
    }

    function define() {
        return L.LayerGroup.extend({
            initialize: function (spec, context) {
                L.LayerGroup.prototype.initialize.call(this, []);
                this._spec = spec;          // {kind, stem, radius, maxZoom, clicks}
                this._context = context;    // dash-leaflet's: {map, hideout, …}
                this._features = latest[spec.kind] || [];
                this._index = null;
                this._dirty = true;
                this._drawn = new Map();    // key → marker
            },

            onAdd: function (map) {
                L.LayerGroup.prototype.onAdd.call(this, map);
                map.on("moveend", this.redraw, this);
                var before = shown[this._spec.kind];
                shown[this._spec.kind] = this;
                if (before && before !== this && before._map) { before.remove(); }
                this._features = latest[this._spec.kind] || [];
                this._dirty = true;
                this.redraw();
            },

            onRemove: function (map) {
                map.off("moveend", this.redraw, this);
                if (shown[this._spec.kind] === this) { delete shown[this._spec.kind]; }
                this.clearLayers();
                this._drawn = new Map();
                L.LayerGroup.prototype.onRemove.call(this, map);
            },

            /* The kind's features changed: the index is rebuilt and the view redrawn now if shown, when
             * shown otherwise. */
            setFeatures: function (features) {
                this._features = features;
                this._dirty = true;
                if (this._map) { this.redraw(); }
            },

            _build: function () {
                var spec = this._spec;
                var options = {radius: spec.radius, maxZoom: spec.maxZoom};
                if (spec.kind === "inc") { options.map = URGENCY.map; options.reduce = URGENCY.reduce; }
                var index = new window.Supercluster(options);
                index.load(this._features);
                this._index = index;
                this._dirty = false;
            },

            /* Draw what the view holds now, keeping every marker that would be drawn the same. */
            redraw: function () {
                var map = this._map;
                if (!map || !window.Supercluster) { return; }
                if (this._dirty || !this._index) { this._build(); }
                var b = map.getBounds(), west = b.getWest(), east = b.getEast();
                if (east - west >= 360) { west = -180; east = 180; }
                var items = this._index.getClusters(
                    [Math.max(west, -180), Math.max(b.getSouth(), -85), Math.min(east, 180), Math.min(b.getNorth(), 85)],
                    Math.round(map.getZoom()));
                var now = Date.now(), old = this._drawn, next = new Map(), added = [];
                for (var i = 0; i < items.length; i++) {
                    var item = items[i], cluster = item.properties.cluster;
                    var key = cluster ? clusterKey(item) : "p" + item.id;
                    var marker = old.get(key);
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

    /* The feed's features of `kind` ("inc" | "unit"), to whichever layer of that kind is shown. */
    function set(kind, features) {
        latest[kind] = features;
        var layer = shown[kind];
        if (layer) { layer.setFeatures(features); }
    }

    return {set: set, liveLayer: liveLayer, layer: function (kind) { return shown[kind] || null; }};
}())});
window.basira.liveLayer = window.basira.live.liveLayer;
