/*
 * Basira's clientside map functions (dash-leaflet functional props), in one namespace.
 *
 * Referenced from Python as {"variable": "basira.<name>"}; dash-leaflet calls each with its usual
 * Leaflet arguments plus a last `context` argument holding the component's props (`hideout`) and
 * the Leaflet `map`. Colours, labels and pane names come from the layer's `hideout`, which the
 * Python layer builds, so this file holds no strings of its own and no copies of the palettes.
 *
 * Producer text (an incident's description, ids) is untrusted: it only ever reaches the page
 * through `textContent` (see `el`), never as HTML. The few HTML strings built here (marker icons)
 * contain numbers and colours from our own tables only, and go through `escapeHtml` regardless.
 */
/* Dash clientside callbacks (ClientsideFunction("basira", name)): they run with no server at all,
 * which is the point of the watchdog. */
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.basira = Object.assign({}, window.dash_clientside.basira, (function () {
    /* Each live page's last refresh asked by `pace`: when (this browser's clock), and the beat it had then. */
    var PACE = {};
    /* Each live page's watchdog: the last beat heard, when (this browser's clock: the server's may
     * differ), and the class last given to the banner. */
    var HEARD = {};

    /* The refresh's pace, on every tick: a tick asks for a refresh (a new pulse) only when an
     * answer has come since the last one asked (the page's beat has changed), or none has for
     * pulse.limit_ms (lost: asked again). Dash drops the answer of a callback that is asked again
     * while it runs, so on a server slower than the tick (a loaded machine, a large scope) every
     * answer would be dropped and the page would never change. Paced, it refreshes as often as the
     * server can answer, at most once a tick. The page's own first refresh, asked at load, counts
     * as asked then. The beat is read, not listened to: beat -> pace -> pulse -> refresh -> beat
     * would be a loop of callbacks, which Dash does not run. */
    function pace(tick, beat, pulse) {
        var limit = (pulse && pulse.limit_ms) || 15000;
        var key = (pulse && pulse.page) || "";
        var asked = PACE[key] || (PACE[key] = {at: performance.timeOrigin, beat: null});
        var now = Date.now();
        /* No beat yet is `undefined` (a store made with data=None has no data at all), not null:
         * taken for an answer, the first tick asked again while the first refresh still ran (at
         * 100,000 incidents its first summary takes seconds) and every layer was sent twice. */
        if (beat === undefined) { beat = null; }
        if (beat === asked.beat && now - asked.at < limit) { return window.dash_clientside.no_update; }
        asked.at = now;
        asked.beat = beat;
        return Object.assign({}, pulse, {at: now});
    }

    /* On every tick, with the pace (`paceAndWatch`): when no refresh has arrived for watch.limit_ms,
     * the server is gone and the picture is not live, whatever it still shows. A new beat is an
     * answer, heard at that tick; before the first, the silence is counted from the page's load. The
     * banner's class is given only when it changes. */
    function watchdog(tick, beat, watch) {
        var limit = (watch && watch.limit_ms) || 15000;
        var key = (watch && watch.page) || "";
        var heard = HEARD[key] || (HEARD[key] = {beat: null, at: null, shown: null});
        if (beat === undefined || beat === null) {
            heard.beat = null;  // this page has had no answer yet (a page made again starts here,
            heard.at = null;    // its banner as its layout made it)
            heard.shown = null;
        } else if (beat !== heard.beat) {
            heard.beat = beat;
            heard.at = Date.now();
        }
        var silent = heard.at ? Date.now() - heard.at : performance.now();
        var name = silent > limit ? "basira-watchdog is-lost" : "basira-watchdog";
        if (name === heard.shown) { return window.dash_clientside.no_update; }
        heard.shown = name;
        return name;
    }

    return {
        pace: pace,  // the wall's and the kiosk's (their watchdogs are their own)
        /* The command view's tick: its pace and its watchdog's look in one callback, not two — each
         * callback Dash runs costs the page a pass over every component (issue 17). The watchdog reads
         * the beat at each tick (listened to, it would close a loop with the pace: beat -> pulse ->
         * refresh -> beat), so an answer clears the banner at the next tick, not at once. */
        paceAndWatch: function (tick, beat, pulse, watch) {
            return [pace(tick, beat, pulse), watchdog(tick, beat, watch)];
        }
    };
}()));

window.basira = Object.assign({}, window.basira, (function () {
    "use strict";

    var ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩";

    function escapeHtml(value) {
        return String(value == null ? "" : value).replace(/[&<>"'`=\/]/g, function (c) {
            return "&#" + c.charCodeAt(0) + ";";
        });
    }

    /* A DOM element whose text is `text`, set as text (never parsed as HTML). */
    function el(tag, className, text) {
        var node = document.createElement(tag);
        if (className) { node.className = className; }
        if (text != null) { node.textContent = String(text); }
        return node;
    }

    function hideoutOf(context) { return (context && context.hideout) || {}; }

    function localDigits(text, lang) {
        text = String(text);
        if (lang !== "ar") { return text; }
        return text.replace(/[0-9]/g, function (d) { return ARABIC_DIGITS[Number(d)]; });
    }

    function label(hideout, group, key) {
        var labels = hideout.labels || {};
        var table = labels[group];
        if (table && typeof table === "object" && table[key] != null) { return table[key]; }
        return key == null ? "" : String(key);
    }

    function clock(epochMs, lang) {
        if (!epochMs) { return ""; }
        var locale = lang === "ar" ? "ar-SA-u-ca-gregory-nu-arab" : "en-GB";
        try {
            return new Intl.DateTimeFormat(locale, {
                timeZone: "Asia/Riyadh", hour: "2-digit", minute: "2-digit", hour12: false
            }).format(new Date(Number(epochMs)));
        } catch (e) {
            return localDigits(new Date(Number(epochMs)).toISOString().slice(11, 16), lang);
        }
    }

    /* A popup line "label: value" (both as text), or null when there is no value. */
    function line(name, value) {
        if (value == null || value === "") { return null; }
        var node = el("div", "basira-popup-row");
        node.appendChild(el("span", "basira-popup-key", name));
        node.appendChild(el("span", "basira-popup-value", value));
        return node;
    }

    /* The line, added to `parent` (and returned). */
    function row(parent, name, value) {
        var node = line(name, value);
        if (node) { parent.appendChild(node); }
        return node;
    }

    /* Open a popup on the map itself (not bound to the marker), so a data refresh that redraws the
     * markers does not close it while the user reads. */
    function openPopup(context, latlng, content) {
        if (!context || !context.map) { return; }
        L.popup({className: "basira-popup", maxWidth: 340, autoPanPadding: [24, 24]})
            .setLatLng(latlng).setContent(content).openOn(context.map);
    }

    function clusterIcon(count, colour, extraClass, lang) {
        var size = Math.round(30 + 7 * Math.log10(Math.max(1, count)));
        var text = localDigits(count >= 10000 ? Math.round(count / 1000) + "k" : count, lang);
        return L.divIcon({
            html: '<div style="background:' + escapeHtml(colour) + '"><span>' + escapeHtml(text) + "</span></div>",
            className: "basira-cluster " + extraClass,
            iconSize: L.point(size, size)
        });
    }

    /* ---------------------------------------------------------------- basemap */

    function notSaudi(feature) {
        return !(feature.properties && feature.properties.iso_a3 === "SAU");
    }

    /* Over vector tiles the neighbours get a veil (the Kingdom stands out) and the regions only their
     * outlines; over raster tiles both are see-through; with no tiles at all they are the land. */
    function neighbourStyle(feature, context) {
        var h = hideoutOf(context), c = h.colours || {}, v = h.vector;
        if (v) {
            return {color: c.neighbourBorder, weight: 0.8, opacity: 0.8,
                fillColor: v.veil, fillOpacity: v.veilOpacity};
        }
        return {
            color: c.neighbourBorder, weight: 0.8, opacity: 1,
            fillColor: c.neighbour, fillOpacity: h.tiles ? 0 : 1
        };
    }

    function regionStyle(feature, context) {
        var h = hideoutOf(context), c = h.colours || {}, v = h.vector;
        return {
            color: v ? v.border : c.border, weight: 1.1, opacity: 1,
            fillColor: c.land, fillOpacity: (h.tiles || v) ? 0 : 1
        };
    }

    /* The vector basemap: protomaps-leaflet (assets/vendor) drawing the PMTiles file Basira serves, a
     * grid layer in the tile pane beneath every overlay, over-zoomed past the file's own zooms. The
     * tiles name towns, seas and streets in the page's language; regions and countries keep Basira's
     * own names (placeLabel), so the tiles' are not drawn. While it is on, the map container carries
     * `basira-basemap-<flavour>` (the names' colours follow it in CSS). */
    var OWN_NAMES = {region: true, country: true};

    function withoutOwnNames(rules) {
        (rules || []).forEach(function (rule) {
            if (rule.dataLayer !== "places") { return; }
            var filter = rule.filter;
            rule.filter = function (z, f) {
                if (OWN_NAMES[f.props.kind]) { return false; }
                return filter ? filter(z, f) : true;
            };
        });
    }

    /* Letter-spaced names are drawn one character at a time, left to right: Arabic would come out
     * reversed and unjoined. In Arabic, every symbolizer of the rules draws its names whole. */
    var WHOLE = {get: function () { return 0; }};

    function unspaced(symbolizer, depth) {
        if (!symbolizer || typeof symbolizer !== "object" || depth > 4) { return; }
        if ("letterSpacing" in symbolizer) { symbolizer.letterSpacing = WHOLE; }
        Object.keys(symbolizer).forEach(function (key) {
            var part = symbolizer[key];
            if (Array.isArray(part)) { part.forEach(function (p) { unspaced(p, depth + 1); }); }
            else if (part && typeof part === "object" && key !== "letterSpacing") { unspaced(part, depth + 1); }
        });
    }

    function vectorBasemap(feature, latlng, context) {
        var h = hideoutOf(context), v = h.vector || {};
        if (!window.protomapsL || !v.url) { return L.layerGroup(); }
        var url = v.url + (v.version ? "?v=" + encodeURIComponent(v.version) : "");
        var layer = window.protomapsL.leafletLayer({
            url: url, flavor: v.flavour, lang: h.lang === "en" ? "en" : "ar",
            maxDataZoom: v.maxZoom, attribution: v.attribution, pane: "tilePane",
            className: "basira-vector-basemap"
        });
        withoutOwnNames(layer.labelRules);
        if (h.lang !== "en") { (layer.labelRules || []).forEach(function (r) { unspaced(r.symbolizer, 0); }); }
        var mark = "basira-basemap-" + v.flavour, host = null;
        layer.on("add", function () { host = layer._map.getContainer(); L.DomUtil.addClass(host, mark); });
        layer.on("remove", function () { if (host) { L.DomUtil.removeClass(host, mark); } });
        return layer;
    }

    /* A region's or country's name at its label point, in the current language (text, not HTML). */
    function placeLabel(feature, latlng, context) {
        var h = hideoutOf(context), props = feature.properties || {};
        var lang = h.lang === "en" ? "en" : "ar";
        var node = el("span", null, props["name_" + lang] || props.name_en || props.code || "");
        node.setAttribute("dir", "auto");
        return L.marker(latlng, {
            pane: h.labelPane, interactive: false, keyboard: false,
            icon: L.divIcon({html: node, iconSize: null,
                className: "basira-label basira-label-" + (props.kind === "country" ? "country" : "region")})
        });
    }

    /* -------------------------------------------------------------- incidents */

    var urgentCache = new WeakMap();

    /* A cluster's most urgent priority and the newest opening of a priority-1 incident in it
     * ({urgent, fresh}; memoised per supercluster index). The live layer's clusters carry both,
     * computed while its index is built (assets/livelayer.js); dash-leaflet's are walked here. */
    function clusterUrgency(index, feature) {
        var props = feature.properties, clusterId = props.cluster_id;
        if (Number(props.urgent) >= 1) { return {urgent: Number(props.urgent), fresh: Number(props.fresh) || 0}; }
        if (!index || typeof index.getLeaves !== "function") { return {urgent: 4, fresh: 0}; }
        var known = urgentCache.get(index);
        if (!known) { known = new Map(); urgentCache.set(index, known); }
        if (known.has(clusterId)) { return known.get(clusterId); }
        var best = 4, fresh = 0;
        var leaves = index.getLeaves(clusterId, Infinity);
        for (var i = 0; i < leaves.length; i++) {
            var p = Number(leaves[i].properties.priority) || 4;
            if (p < best) { best = p; }
            if (p === 1) { fresh = Math.max(fresh, Number(leaves[i].properties.opened || leaves[i].properties.ts) || 0); }
        }
        var out = {urgent: best, fresh: fresh};
        known.set(clusterId, out);
        return out;
    }

    /* The pulse of something that holds a new priority-1 incident (opened `pulse_ms` ago or less), for
     * the time it has left: an inline style for its icon's div, or "" (no pulse). The animation moves
     * the div only (a transform, assets/basira.css): the browser's compositor draws it, nothing is
     * painted again each frame — a wall shows it all day. */
    var PULSE_PERIOD_MS = 1600;

    function pulseStyle(opened, pulseMs) {
        var left = Number(opened) + (pulseMs || 0) - Date.now();
        if (!(left > 0)) { return ""; }
        return "animation-delay:-" + (Date.now() % PULSE_PERIOD_MS) + "ms;animation-iteration-count:" +
            Math.max(1, Math.ceil(left / PULSE_PERIOD_MS));
    }

    var RADIUS = {1: 9, 2: 7, 3: 6, 4: 5};

    function incidentMarker(feature, latlng, context) {
        var h = hideoutOf(context), colours = h.colours || {};
        var p = Number(feature.properties.priority) || 4;
        return L.circleMarker(latlng, {
            pane: h.pane, radius: RADIUS[p] || 5, weight: 1.5, color: "#0b0f14", opacity: 0.9,
            fillColor: colours[String(p)] || "#adb5bd", fillOpacity: 0.95,
            className: "basira-incident basira-p" + p
        });
    }

    /* A cluster of incidents in the colour of its most urgent one; while it holds a new priority-1
     * incident it wears a ring (basira.css), and the incident pulses once drawn on its own. */
    function incidentCluster(feature, latlng, index, context) {
        var h = hideoutOf(context), colours = h.colours || {};
        var urgency = clusterUrgency(index, feature), p = urgency.urgent;
        var fresh = p === 1 && Boolean(pulseStyle(urgency.fresh, h.pulse_ms));
        return L.marker(latlng, {
            pane: h.clusterPane, keyboard: false,
            icon: clusterIcon(feature.properties.point_count, colours[String(p)] || "#adb5bd",
                "basira-incident-cluster basira-p" + p + (fresh ? " basira-incident-fresh" : ""), h.lang)
        });
    }

    /* The popup's description is cut at this length; the whole text is in the incident panel. */
    var DESCRIPTION_CHARS = 200;
    var INCIDENT_ITEM = "/ogc/collections/incidents/items/";  // app/api_ogc.py

    function shortened(text) {
        return text.length > DESCRIPTION_CHARS ? text.slice(0, DESCRIPTION_CHARS - 1) + "…" : text;
    }

    /* What an incident held as a slim row (a whole picture's: assets/feed.js) lacks — its description and
     * its future flag —, read when its popup opens: the incident as the server has it now, or {} (gone,
     * beyond the viewer's scope, the server unreachable). */
    function incidentMore(id) {
        return fetch(INCIDENT_ITEM + encodeURIComponent(id), {credentials: "same-origin",
                                                               headers: {Accept: "application/geo+json"}})
            .then(function (response) { return response.ok ? response.json() : null; })
            .then(function (found) { return (found && found.properties) || {}; })
            .catch(function () { return {}; });
    }

    function incidentDetails(feature, h) {
        var props = feature.properties, lang = h.lang, labels = h.labels || {};
        var box = el("div", "basira-popup-body");
        box.setAttribute("dir", lang === "ar" ? "rtl" : "ltr");
        box.appendChild(el("div", "basira-popup-title", label(h, "category", props.category)));
        var sub = el("div", "basira-popup-sub", label(h, "priority", String(props.priority)));
        sub.style.color = (h.colours || {})[String(props.priority)] || "";
        box.appendChild(sub);
        row(box, "", label(h, "agency", props.agency) + " · " + label(h, "status", props.status));
        var text = el("p", "basira-popup-text");
        text.setAttribute("dir", "auto");
        box.appendChild(text);
        var opened = row(box, labels.opened, clock(props.opened || props.ts, lang));
        if (props.units && props.units.length) {
            row(box, labels.units, props.units.join("، "));
        }
        box.appendChild(el("div", "basira-popup-id", feature.id != null ? feature.id : props.id));
        function fill(more) {
            text.classList.remove("is-loading");
            if (typeof more.description === "string" && more.description) {
                text.textContent = shortened(more.description);
            } else {
                text.remove();
            }
            if (more.future) {
                /* dated ahead of the server's clock when applied: shown as sent, and flagged */
                var flag = line(labels.future, new Date(more.ts).toISOString().replace(".000Z", "Z"));
                flag.classList.add("basira-popup-future");
                box.insertBefore(flag, opened ? opened.nextSibling : text.nextSibling);
            }
        }
        if (props.slim) {
            text.classList.add("is-loading");
            incidentMore(feature.id != null ? feature.id : props.id).then(fill);
        } else {
            fill(props);
        }
        return box;
    }

    function incidentPopup(feature, layer, context) {
        if (feature.properties.cluster) { return; }
        var h = hideoutOf(context);
        layer.bindTooltip(function () {
            var props = feature.properties;
            var node = el("span", null, label(h, "category", props.category) + " · " +
                label(h, "priority", String(props.priority)));
            node.setAttribute("dir", "auto");
            return node;
        }, {direction: "top", className: "basira-tooltip"});
        layer.on("click", function (e) { openPopup(context, e.latlng, incidentDetails(feature, h)); });
    }

    /* ------------------------------------------------------------------ units */

    var ARROW = '<svg viewBox="0 0 20 20" aria-hidden="true"><path d="M10 1.5 L17 18 L10 13.8 L3 18 Z"/></svg>';

    function unitMarker(feature, latlng, context) {
        var h = hideoutOf(context), colours = h.colours || {};
        var props = feature.properties;
        var colour = colours[props.status] || "#adb5bd";
        var heading = Number(props.heading);
        var hasHeading = props.heading != null && props.heading !== "" && isFinite(heading);
        var html = hasHeading
            ? '<div class="basira-unit-arrow" style="color:' + escapeHtml(colour) +
              ";transform:rotate(" + escapeHtml(heading.toFixed(0)) + 'deg)">' + ARROW + "</div>"
            : '<div class="basira-unit-dot" style="background:' + escapeHtml(colour) + '"></div>';
        return L.marker(latlng, {
            pane: h.pane, keyboard: false,
            icon: L.divIcon({html: html, className: "basira-unit basira-unit-" + escapeHtml(props.status),
                iconSize: L.point(18, 18)})
        });
    }

    function unitCluster(feature, latlng, index, context) {
        var h = hideoutOf(context);
        return L.marker(latlng, {
            pane: h.pane, keyboard: false,
            icon: clusterIcon(feature.properties.point_count, "#2b3a4a", "basira-unit-cluster", h.lang)
        });
    }

    function unitDetails(feature, h) {
        var props = feature.properties, lang = h.lang, labels = h.labels || {};
        var box = el("div", "basira-popup-body");
        box.setAttribute("dir", lang === "ar" ? "rtl" : "ltr");
        box.appendChild(el("div", "basira-popup-title", feature.id != null ? feature.id : props.id));
        row(box, "", label(h, "agency", props.agency) + " · " + label(h, "status", props.status));
        if (props.speed != null) {
            row(box, labels.speed, localDigits(Math.round(Number(props.speed)), lang) + " " + labels.kmh);
        }
        if (props.heading != null) {
            row(box, labels.heading, localDigits(Math.round(Number(props.heading)), lang) + "°");
        }
        row(box, labels.incident, props.incident);
        return box;
    }

    function unitPopup(feature, layer, context) {
        if (feature.properties.cluster) { return; }
        var h = hideoutOf(context);
        layer.bindTooltip(function () {
            var node = el("span", null, String(feature.id != null ? feature.id : feature.properties.id) +
                " · " + label(h, "status", feature.properties.status));
            node.setAttribute("dir", "auto");
            return node;
        }, {direction: "top", className: "basira-tooltip"});
        layer.on("click", function (e) { openPopup(context, e.latlng, unitDetails(feature, h)); });
    }

    return {
        escapeHtml: escapeHtml,
        el: el,
        localDigits: localDigits,
        hideoutOf: hideoutOf,
        openPopup: openPopup,
        notSaudi: notSaudi,
        neighbourStyle: neighbourStyle,
        regionStyle: regionStyle,
        placeLabel: placeLabel,
        vectorBasemap: vectorBasemap,
        incidentMarker: incidentMarker,
        incidentCluster: incidentCluster,
        incidentPopup: incidentPopup,
        pulseStyle: pulseStyle,
        shortened: shortened,
        unitMarker: unitMarker,
        unitCluster: unitCluster,
        unitPopup: unitPopup
    };
}()));
