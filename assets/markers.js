/*
 * Basira's point layers beyond the basics: border ports, 911-call badges, unit trails and the
 * unit ↔ incident links, and the pulse of a new priority-1 incident — dash-leaflet functional props
 * in the `window.basira` namespace (see assets/layers.js for the shared helpers, `basira.kit`).
 *
 * Referenced from Python as {"variable": "basira.<name>"}; labels, colours and panes come from each
 * layer's `hideout`. Names come from our own tables and every text reaches the page as text
 * (basira.el), never as HTML; the few HTML strings (marker icons) hold our own numbers and colours,
 * escaped regardless.
 */
window.basira = Object.assign({}, window.basira, (function () {
    "use strict";

    var base = window.basira || {};
    var kit = base.kit;
    var hideoutOf = base.hideoutOf;
    var localDigits = base.localDigits;
    var stateOf = kit.stateOf, ensurePane = kit.ensurePane, number = kit.number, percent = kit.percent;
    var card = kit.card;

    /* ------------------------------------------------------------ border ports */

    var PORT_GLYPHS = {
        air: '<path d="M12 2.5l1.4 6.6 7.1 4v1.8l-7.1-2.3-.5 5.3 2.3 1.9v1.5L12 20.4l-3.2.9v-1.5l2.3-1.9-.5-5.3-7.1 2.3v-1.8l7.1-4z"/>',
        sea: '<circle cx="12" cy="5" r="2" fill="none"/><path d="M12 7v13M8 10.5h8M4.5 14.5c.8 3.5 3.7 5.5 7.5 5.5s6.7-2 7.5-5.5" fill="none"/>',
        land: '<path d="M5.5 20.5V4.5M3 20.5h5" fill="none"/><path d="M5.5 8.5h14v3.5h-14z"/>'
    };

    function portSize(props, size) {
        var travellers = (Number(props.arrivals) || 0) + (Number(props.departures) || 0);
        return Math.round(Math.min(size[2], size[0] + size[1] * Math.sqrt(travellers)));
    }

    function portIcon(kind, colour, px, extraClass) {
        var glyph = PORT_GLYPHS[kind] || "";
        var html = '<div class="basira-port-shape basira-port-' + base.escapeHtml(kind) + '" style="background:' +
            base.escapeHtml(colour) + '"><svg viewBox="0 0 24 24" aria-hidden="true">' + glyph + "</svg></div>";
        return L.divIcon({html: html, className: "basira-port " + extraClass, iconSize: L.point(px, px)});
    }

    function portMarker(feature, latlng, context) {
        var h = hideoutOf(context), p = feature.properties, colours = h.colours || {};
        return L.marker(latlng, {
            pane: h.pane, keyboard: false, zIndexOffset: 1000,
            icon: portIcon(p.kind, colours[p.wait_class] || colours.none, portSize(p, h.size || [16, 0.45, 48]),
                "is-live basira-wait-" + p.wait_class)
        });
    }

    function portQuiet(feature, latlng, context) {
        var h = hideoutOf(context), p = feature.properties, labels = h.labels || {};
        var marker = L.marker(latlng, {
            pane: h.pane, keyboard: false,
            icon: L.divIcon({html: "<div></div>", className: "basira-port-quiet", iconSize: L.point(12, 12)})
        });
        marker.bindTooltip(function () {
            return card(h.lang, (h.names || {})[p.port] || p.port, [
                [(labels.kind || {})[p.kind], labels.quiet]
            ]);
        }, {direction: "top", className: "basira-tooltip", opacity: 1});
        return marker;
    }

    function portTooltip(feature, layer, context) {
        var h = hideoutOf(context), labels = h.labels || {}, lang = h.lang;
        layer.bindTooltip(function () {
            var p = feature.properties;
            var wait = p.wait == null ? (labels.wait_class || {}).none
                : number(p.wait, lang, 0) + " " + labels.minutes;
            return card(lang, (h.names || {})[p.port] || p.port, [
                ["", (labels.kind || {})[p.kind]],
                [labels.arrivals, number(p.arrivals, lang)],
                [labels.departures, number(p.departures, lang)],
                [labels.wait, wait, "is-key basira-wait-" + p.wait_class],
                ["", labels.open, "is-hint"]
            ], "basira-port-card");
        }, {direction: "top", className: "basira-tooltip", opacity: 1});
    }

    /* ---------------------------------------------------------------- 911 calls */

    function callsBadge(feature, latlng, context) {
        var h = hideoutOf(context), p = feature.properties, size = h.size || [20, 0.7, 40];
        var px = Math.round(Math.min(size[2], size[0] + size[1] * Math.sqrt(Number(p.total) || 0)));
        var colour = (h.colours || {})[p.status] || "#868e96";
        var html = '<div style="background:' + base.escapeHtml(colour) + '"><span>' +
            base.escapeHtml(localDigits(String(p.total), h.lang)) + "</span></div>";
        return L.marker(latlng, {
            pane: h.pane, keyboard: false,
            icon: L.divIcon({
                html: html, className: "basira-calls basira-calls-" + base.escapeHtml(p.status || "none"),
                iconSize: L.point(px, px), iconAnchor: L.point(px / 2, -9)  // under the region's name
            })
        });
    }

    function callsTooltip(feature, layer, context) {
        var h = hideoutOf(context), labels = h.labels || {}, lang = h.lang;
        layer.bindTooltip(function () {
            var p = feature.properties;
            return card(lang, (h.names || {})[p.code] || p.code, [
                ["", (labels.status || {})[p.status], "is-key basira-calls-" + p.status],
                [labels.calls, number(p.total, lang)],
                [labels.answered, number(p.answered, lang)],
                [labels.within15, percent(p.s15, lang)],
                [labels.within20, percent(p.s20, lang)],
                [labels.abandoned, number(p.abandoned, lang)],
                [labels.mean, p.mean_s == null ? null : number(p.mean_s, lang, 1) + " " + labels.seconds]
            ], "basira-calls-card");
        }, {direction: "bottom", className: "basira-tooltip", opacity: 1});
    }

    /* ------------------------------------------- unit ↔ incident links, trails */

    var LINK_PANE = "basira-links", LINK_PANE_Z = 625;
    var TRAIL_PANE = "basira-trails", TRAIL_PANE_Z = 605;

    function linksOf(map) {
        var state = stateOf(map);
        if (!state.links) {
            state.links = {group: L.layerGroup(), owner: null, pinned: false};
            map.on("popupclose", function () { clearLinks(map, null, true); });
        }
        return state.links;
    }

    /* Lines from `from` to each of `targets` ([lon, lat] pairs), with a ring at each end. `pinned`
     * (a click or a tap) keeps them until the popup closes; a hover's go with the pointer. */
    function showLinks(map, owner, from, targets, colour, pinned) {
        var links = linksOf(map), pane = ensurePane(map, LINK_PANE, LINK_PANE_Z);
        links.group.clearLayers();
        links.owner = owner;
        links.pinned = Boolean(pinned);
        targets.forEach(function (t) {
            var to = L.latLng(t[1], t[0]);
            L.polyline([from, to], {pane: pane, color: colour, weight: 2.5, dashArray: "6 5", interactive: false,
                className: "basira-link"}).addTo(links.group);
            L.circleMarker(to, {pane: pane, radius: 14, color: colour, weight: 3, fill: false, interactive: false,
                className: "basira-link-ring"}).addTo(links.group);
        });
        links.group.addTo(map);
    }

    /* Remove the links (only `owner`'s when given; pinned ones only when `force`). */
    function clearLinks(map, owner, force) {
        var links = linksOf(map);
        if ((owner && links.owner !== owner) || (links.pinned && !force)) { return; }
        links.group.clearLayers();
        links.owner = null;
        links.pinned = false;
    }

    /* Hovering `layer` links it to `targets` while the pointer is on it; a click (or a tap, on a
     * touch screen) keeps the links while its popup is open. Redrawing the layer removes them.
     * `targets` is a list of [lon, lat], or a function giving one when asked (the command view's
     * live feed resolves the positions at hover time, see feed.js). */
    function linkOnHover(layer, context, targets, colour) {
        if (!targets || !context || !context.map) { return; }
        var map = context.map;
        function show(pinned) {
            var at = typeof targets === "function" ? targets() : targets;
            if (at && at.length) { showLinks(map, layer, layer.getLatLng(), at, colour, pinned); }
        }
        layer.on("mouseover", function () { if (!linksOf(map).pinned) { show(false); } });
        layer.on("click", function () { show(true); });
        layer.on("mouseout", function () { clearLinks(map, layer, false); });
        layer.on("remove", function () { clearLinks(map, layer, false); });
    }

    /* On the command view, the live feed holds the other kind: look the positions up when hovered. */
    function fedPositions(kind, ids) {
        var feed = (window.basira || {}).feed;
        if (!ids || !ids.length || !feed || !feed.active()) { return null; }
        return function () { return feed.positions(kind, ids); };
    }

    function unitPoint(feature, latlng, context) {
        var marker = base.unitMarker(feature, latlng, context);
        var h = hideoutOf(context), trail = feature.properties.trail, style = h.trail || {};
        if (trail && trail.length >= 2) {
            var step = style.step || 1e-4, points = [];
            for (var i = 0; i + 1 < trail.length; i += 2) {
                points.push([latlng.lat + trail[i + 1] * step, latlng.lng + trail[i] * step]);
            }
            points.push(latlng);
            var line = null;
            marker.on("add", function (e) {
                var map = e.target._map;
                line = L.polyline(points, {pane: ensurePane(map, TRAIL_PANE, TRAIL_PANE_Z), color: style.colour,
                    weight: 2, opacity: 0.6, interactive: false, className: "basira-trail"}).addTo(map);
            });
            marker.on("remove", function () { if (line) { line.remove(); line = null; } });
        }
        return marker;
    }

    function unitLinked(feature, layer, context) {
        base.unitPopup(feature, layer, context);
        if (feature.properties.cluster) { return; }
        var p = feature.properties, at = p.inc_at;
        var targets = at ? [at] : fedPositions("inc", p.incident ? [p.incident] : null);
        linkOnHover(layer, context, targets, hideoutOf(context).link);
    }

    /* ----------------------------------------------------------------- incidents */

    /* Above every other marker, the border ports' included: a new critical incident is never hidden. */
    var ALERT_PANE = "basira-incident-alert", ALERT_PANE_Z = 660;

    /* A priority-1 incident opened less than `pulse_ms` ago pulses, for the time it has left. */
    function incidentPoint(feature, latlng, context) {
        var h = hideoutOf(context), p = feature.properties;
        var pulse = Number(p.priority) === 1 ? base.pulseStyle(p.opened || p.ts, h.pulse_ms) : "";
        if (!pulse) { return base.incidentMarker(feature, latlng, context); }
        var colour = (h.colours || {})["1"] || "#ff3b3b";
        return L.marker(latlng, {
            pane: ensurePane(context.map, ALERT_PANE, ALERT_PANE_Z), keyboard: false,
            icon: L.divIcon({html: '<div style="' + base.escapeHtml("background:" + colour + ";" + pulse) + '"></div>',
                className: "basira-incident basira-p1 basira-incident-new", iconSize: L.point(20, 20)})
        });
    }

    function incidentLinked(feature, layer, context) {
        base.incidentPopup(feature, layer, context);
        if (feature.properties.cluster) { return; }
        var p = feature.properties;
        linkOnHover(layer, context, p.unit_at || fedPositions("unit", p.units), hideoutOf(context).link);
    }

    return {
        portMarker: portMarker,
        portQuiet: portQuiet,
        portTooltip: portTooltip,
        callsBadge: callsBadge,
        callsTooltip: callsTooltip,
        unitPoint: unitPoint,
        unitLinked: unitLinked,
        incidentPoint: incidentPoint,
        incidentLinked: incidentLinked
    };
}()));
