/*
 * Basira's region and heatmap layers and the layers' switches on the map — dash-leaflet functional
 * props, in the `window.basira` namespace — and the helpers assets/markers.js shares (`basira.kit`).
 *
 * Referenced from Python as {"variable": "basira.<name>"}; each gets its usual Leaflet arguments and
 * a last `context` argument ({map, hideout, …}). Labels, colours and panes come from the layer's
 * `hideout` (built in layers/*.py); this file holds no strings and no palettes of its own.
 *
 * Geometry never comes with a refresh. The region polygons are read once from /geo/ (the browser's
 * cache already holds them for the basemap); H3 hexagon outlines are computed here with h3-js
 * (assets/vendor). A refresh brings points and figures only. The regions not yet connected (the
 * phased roll-out) are hatched with an SVG pattern this file adds to the page (`basira.uncoveredStyle`).
 *
 * Producer text never reaches this file: port and region names come from our own tables, and every
 * text still goes into the page through `textContent` (basira.el), never as HTML.
 */
window.basira = Object.assign({}, window.basira, (function () {
    "use strict";

    var base = window.basira || {};
    var el = base.el;
    var hideoutOf = base.hideoutOf;
    var localDigits = base.localDigits;

    /* ------------------------------------------------------------- helpers */

    /* Per-map state of this file (a WeakMap: a page's map going away takes its state with it). */
    var states = new WeakMap();
    function stateOf(map) {
        var state = states.get(map);
        if (!state) {
            state = {switches: {}, scales: {}, controls: {}};
            states.set(map, state);
        }
        return state;
    }

    function ensurePane(map, name, zIndex) {
        if (!map.getPane(name)) { map.createPane(name).style.zIndex = String(zIndex); }
        return name;
    }

    function number(value, lang, decimals) {
        if (value == null || !isFinite(value)) { return "—"; }
        var locale = lang === "ar" ? "ar-SA-u-nu-arab" : "en-GB";
        try {
            return new Intl.NumberFormat(locale, {
                maximumFractionDigits: decimals || 0, minimumFractionDigits: 0
            }).format(value);
        } catch (e) {
            return localDigits(Number(value).toFixed(decimals || 0), lang);
        }
    }

    function percent(share, lang) {
        return share == null ? "—" : localDigits(Math.round(share * 100), lang) + (lang === "ar" ? "٪" : "%");
    }

    /* A tooltip body: a title, then "label: value" rows (all as text). */
    function card(lang, title, rows, extraClass) {
        var box = el("div", "basira-card " + (extraClass || ""));
        box.setAttribute("dir", lang === "ar" ? "rtl" : "ltr");
        box.appendChild(el("div", "basira-card-title", title));
        rows.forEach(function (r) {
            if (!r || r[1] == null || r[1] === "") { return; }
            var line = el("div", "basira-card-row" + (r[2] ? " " + r[2] : ""));
            line.appendChild(el("span", "basira-card-key", r[0]));
            line.appendChild(el("span", "basira-card-value", r[1]));
            box.appendChild(line);
        });
        return box;
    }

    /* The decimals needed to write multiples of `step` exactly (0.25 → 2, 5 → 0). */
    function decimalsOf(step) {
        var d = 0;
        while (d < 4 && Math.abs(step * Math.pow(10, d) - Math.round(step * Math.pow(10, d))) > 1e-9) { d++; }
        return d;
    }

    /* A rounded step (1, 2, 2.5 or 5 × 10^k) of about x. */
    function niceStep(x) {
        if (!(x > 0)) { return 1; }
        var p = Math.pow(10, Math.floor(Math.log10(x))), f = x / p;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
    }

    /* --------------------------------------------------- the layers' switches */

    /* The chosen value of a layer's switch on `map` (the first option until one is chosen). */
    function switchValue(map, spec) {
        var state = stateOf(map), chosen = state.switches[spec.kind];
        var values = (spec.options || []).map(function (o) { return o.value; });
        return values.indexOf(chosen) >= 0 ? chosen : values[0];
    }

    /* A layer's drawing tells its switch what its colours mean now (shown under the options). */
    function showScale(map, kind, ramp, labels) {
        var state = stateOf(map);
        state.scales[kind] = {ramp: ramp, labels: labels};
        var control = state.controls[kind];
        if (control) { control.renderScale(); }
    }

    var SwitchControl = L.Control.extend({
        initialize: function (spec, lang) {
            this._spec = spec;
            this._lang = lang;
            L.Control.prototype.initialize.call(this, {position: lang === "ar" ? "topright" : "topleft"});
        },
        onAdd: function (map) {
            var spec = this._spec, self = this;
            var box = el("div", "basira-switch");
            box.setAttribute("dir", this._lang === "ar" ? "rtl" : "ltr");
            box.setAttribute("data-switch", spec.kind);
            box.appendChild(el("div", "basira-switch-title", spec.title));
            var options = el("div", "basira-switch-options");
            options.setAttribute("role", "radiogroup");
            options.setAttribute("aria-label", spec.title);
            (spec.options || []).forEach(function (option) {
                var button = el("button", "basira-switch-option", option.label);
                button.type = "button";
                button.setAttribute("role", "radio");
                button.setAttribute("data-value", option.value);
                L.DomEvent.on(button, "click", function (e) {
                    L.DomEvent.stop(e);
                    stateOf(map).switches[spec.kind] = option.value;
                    self.renderChoice();
                    map.fire("basira:switch", {kind: spec.kind, value: option.value});
                });
                options.appendChild(button);
            });
            box.appendChild(options);
            this._scale = box.appendChild(el("div", "basira-switch-scale"));
            this._note = box.appendChild(el("div", "basira-switch-note"));
            L.DomEvent.disableClickPropagation(box);
            L.DomEvent.disableScrollPropagation(box);
            this._box = box;
            this._map = map;
            stateOf(map).controls[spec.kind] = this;
            this.renderChoice();
            this.renderScale();
            return box;
        },
        onRemove: function (map) {
            var controls = stateOf(map).controls;
            if (controls[this._spec.kind] === this) { delete controls[this._spec.kind]; }
        },
        renderChoice: function () {
            var value = switchValue(this._map, this._spec);
            Array.prototype.forEach.call(this._box.querySelectorAll("button"), function (b) {
                var on = b.getAttribute("data-value") === value;
                b.setAttribute("aria-checked", on ? "true" : "false");
                b.classList.toggle("is-on", on);
            });
            this._note.textContent = (this._spec.note || {})[value] || "";
        },
        renderScale: function () {
            var scale = stateOf(this._map).scales[this._spec.kind];
            this._scale.textContent = "";
            if (!scale) { return; }
            scale.ramp.forEach(function (colour, i) {
                var step = el("span", "basira-switch-step");
                var swatch = el("i", null);
                swatch.style.background = colour;
                step.appendChild(swatch);
                step.appendChild(el("span", null, scale.labels[i] || ""));
                this._scale.appendChild(step);
            }, this);
        }
    });

    /* Holds a layer's switch on the map while the layer is on it (see layers/switch.py). */
    var SwitchHost = L.Layer.extend({
        initialize: function (spec, lang) { this._control = new SwitchControl(spec, lang); },
        onAdd: function (map) { this._control.addTo(map); },
        onRemove: function () { this._control.remove(); }
    });

    function mapControl(feature, latlng, context) {
        var h = hideoutOf(context);
        return new SwitchHost(h.control || {kind: "none", options: []}, h.lang);
    }

    /* ------------------------------------------------- regions: the choropleth */

    var shapeSets = {};

    /* Region code → Leaflet latlngs, from the regions file (fetched once; the browser caches it). */
    function regionShapes(url) {
        var set = shapeSets[url];
        if (!set) {
            set = shapeSets[url] = {ready: null};
            set.promise = fetch(url, {credentials: "same-origin"}).then(function (response) {
                if (!response.ok) { throw new Error("HTTP " + response.status); }
                return response.json();
            }).then(function (collection) {
                var shapes = {};
                (collection.features || []).forEach(function (f) {
                    var g = f.geometry || {}, code = (f.properties || {}).code;
                    if (!code || (g.type !== "Polygon" && g.type !== "MultiPolygon")) { return; }
                    shapes[code] = L.GeoJSON.coordsToLatLngs(g.coordinates, g.type === "Polygon" ? 1 : 2);
                });
                set.ready = shapes;
                return shapes;
            }).catch(function () {
                delete shapeSets[url];  // the next refresh asks again
                return {};
            });
        }
        return set;
    }

    function regionsOf(map) {
        var state = stateOf(map);
        if (!state.regions) {
            state.regions = {polygons: new Set(), step: 1, scheduled: false, hideout: {}};
            map.on("basira:switch", function (e) { if (e.kind === "regions") { restyleRegions(map); } });
            map.on("zoomend", function () { if (state.regions.polygons.size) { restyleRegions(map); } });
        }
        return state.regions;
    }

    /* The measure chosen in the regions' switch (its spec is in the layer's hideout). */
    function regionMeasure(map, h) {
        return switchValue(map, h.control || {kind: "regions", options: []});
    }

    function regionFill(feature, context) {
        var h = hideoutOf(context), map = context && context.map;
        var ramp = h.ramp || ["#406c96"];
        var props = (feature && feature.properties) || {};
        var regions = map ? regionsOf(map) : {step: 1};
        var value = map ? Number(props[regionMeasure(map, h)]) || 0 : 0;
        var cls = Math.max(0, Math.min(ramp.length - 1, Math.floor(value / regions.step)));
        return {
            color: h.border, weight: 1.1, opacity: 1,
            fillColor: ramp[cls], fillOpacity: (h.tiles ? 0.5 : 0.85) * fade(map) * (regions.alone ? 0.45 : 1)
        };
    }

    /* A region's colour tells nothing at street level, where a flat fill would only hide the map (and
     * look like sea): the fill fades from zoom 7.5 to a tint from zoom 9.5. */
    function fade(map) {
        var zoom = map ? map.getZoom() : 5;
        return Math.max(0.15, Math.min(1, (9.5 - zoom) / 2 + 0.15));
    }

    /* After a redraw or a switch: classes from the regions now shown, every polygon restyled. */
    function restyleRegions(map) {
        var regions = regionsOf(map), h = regions.hideout, measure = regionMeasure(map, h);
        var ramp = h.ramp || [], max = 0;
        regions.polygons.forEach(function (p) { max = Math.max(max, Number(p.feature.properties[measure]) || 0); });
        var step = niceStep(max / ramp.length);
        if (measure === "open") { step = Math.max(1, Math.ceil(step)); }
        regions.step = step;
        regions.alone = regions.polygons.size === 1;  // a region scope: a highlight, not a comparison
        var context = {hideout: h, map: map};
        regions.polygons.forEach(function (p) { p.setStyle(regionFill(p.feature, context)); });
        var decimals = decimalsOf(step);
        showScale(map, "regions", ramp, ramp.map(function (_c, i) {
            return number(i * step, h.lang, decimals) + "–" + number((i + 1) * step, h.lang, decimals);
        }));
    }

    function scheduleRegions(map) {
        var regions = regionsOf(map);
        if (regions.scheduled) { return; }
        regions.scheduled = true;
        Promise.resolve().then(function () { regions.scheduled = false; restyleRegions(map); });
    }

    /* A region's point (figures only) becomes its polygon, from the shapes read once. */
    function regionShape(feature, latlng, context) {
        var h = hideoutOf(context), code = feature.properties.code;
        var set = regionShapes(h.shapes);
        var polygon = L.polygon((set.ready && set.ready[code]) || [], {
            pane: h.pane, className: "basira-region-fill"
        });
        if (!set.ready) {
            set.promise.then(function (shapes) { if (shapes[code]) { polygon.setLatLngs(shapes[code]); } });
        }
        polygon.on("add", function (e) {
            var regions = regionsOf(e.target._map);
            regions.hideout = h;
            regions.polygons.add(polygon);
            scheduleRegions(e.target._map);
        });
        polygon.on("remove", function (e) { regionsOf(e.target._map).polygons.delete(polygon); });
        return polygon;
    }

    function regionTooltip(feature, layer, context) {
        var h = hideoutOf(context), labels = h.labels || {}, lang = h.lang;
        layer.bindTooltip(function () {
            var p = feature.properties, measure = context.map ? regionMeasure(context.map, h) : null;
            return card(lang, (h.names || {})[p.code] || p.code, [
                [labels.open, number(p.open, lang), measure === "open" ? "is-key" : ""],
                [labels.p1, number(p.p1, lang)],
                [labels.rate, number(p.rate, lang, 2), measure === "rate" ? "is-key" : ""],
                [labels.population, number(p.pop, lang)]
            ], "basira-region-card");
        }, {sticky: true, direction: "top", className: "basira-tooltip", opacity: 1});
        layer.on("mouseover", function () {
            layer.setStyle({weight: 2.6, color: "#e8eef4"});
        });
        layer.on("mouseout", function () {
            if (context.map) { layer.setStyle(regionFill(feature, {hideout: h, map: context.map})); }
        });
    }

    /* -------------------------------------------------- heatmap: H3 hexagons */

    var outlines = new Map();  // H3 cell → Leaflet latlngs (outlines never change)

    function outline(cell) {
        var ring = outlines.get(cell);
        if (!ring) {
            ring = window.h3.cellToBoundary(cell);
            outlines.set(cell, ring);
        }
        return ring;
    }

    /* The resolution to show at `zoom`: hexagons 10–30 px across (never finer than what was sent). */
    function displayRes(zoom, sent) {
        var res = zoom < 6.5 ? 4 : zoom < 8.5 ? 5 : zoom < 10 ? 6 : 7;
        return Math.min(res, sent);
    }

    function heatOf(map) {
        var state = stateOf(map);
        if (!state.heat) {
            state.heat = {parts: new Set(), group: L.layerGroup(), scheduled: false, shownRes: null, hideout: {}};
            map.on("basira:switch", function (e) { if (e.kind === "heatmap") { renderHeat(map); } });
            map.on("zoomend", function () {
                var heat = state.heat, sent = 7;
                heat.parts.forEach(function (p) { sent = Math.min(sent, p.feature.properties.res); });
                if (heat.parts.size && displayRes(map.getZoom(), sent) !== heat.shownRes) { renderHeat(map); }
            });
        }
        return state.heat;
    }

    function scheduleHeat(map) {
        var heat = heatOf(map);
        if (heat.scheduled) { return; }
        heat.scheduled = true;
        Promise.resolve().then(function () { heat.scheduled = false; renderHeat(map); });
    }

    /* A region's cells, registered with the map's one heat drawing while the layer is on. */
    var HeatPart = L.Layer.extend({
        initialize: function (hideout) { this._hideout = hideout; },
        onAdd: function (map) {
            var heat = heatOf(map);
            heat.hideout = this._hideout;
            heat.parts.add(this);
            scheduleHeat(map);
        },
        onRemove: function (map) {
            heatOf(map).parts.delete(this);
            scheduleHeat(map);
        }
    });

    function heatPart(feature, latlng, context) { return new HeatPart(hideoutOf(context)); }

    /* Every region's cells merged at the resolution of the zoom, for the window chosen; one polygon
     * per hexagon, coloured by its count against the busiest (log scale). */
    function renderHeat(map) {
        var heat = heatOf(map), h = heat.hideout, ramp = h.ramp || [];
        heat.group.clearLayers();
        if (!heat.parts.size || !window.h3) {
            heat.group.remove();
            heat.shownRes = null;
            return;
        }
        if (!map.hasLayer(heat.group)) { heat.group.addTo(map); }
        var spec = {kind: "heatmap", options: ((h.control || {}).options || [])};
        var window_ = switchValue(map, spec), index = (h.windows || []).indexOf(Number(window_));
        var sent = 7;
        heat.parts.forEach(function (p) { sent = Math.min(sent, p.feature.properties.res); });
        var res = displayRes(map.getZoom(), sent);
        heat.shownRes = res;
        var counts = new Map(), max = 0;
        heat.parts.forEach(function (part) {
            var cells = part.feature.properties.cells || {}, partRes = part.feature.properties.res;
            Object.keys(cells).forEach(function (cell) {
                var n = cells[cell][index];
                if (!n) { return; }
                var key = res < partRes ? window.h3.cellToParent(cell, res) : cell;
                var total = (counts.get(key) || 0) + n;
                counts.set(key, total);
                if (total > max) { max = total; }
            });
        });
        var classes = heatClasses(max, ramp.length), labels = h.labels || {}, lang = h.lang;
        var windowLabel = (labels.windows || {})[window_] || "";
        counts.forEach(function (n, cell) {
            var cls = classes.of(n);
            L.polygon(outline(cell), {
                pane: h.pane, className: "basira-hex", weight: 0.6, color: ramp[cls], opacity: 0.9,
                fillColor: ramp[cls], fillOpacity: 0.62
            }).bindTooltip(function () {
                return card(lang, number(n, lang), [[labels.count, windowLabel]], "basira-hex-card");
            }, {sticky: true, direction: "top", className: "basira-tooltip", opacity: 1}).addTo(heat.group);
        });
        var shown = [], shownLabels = [];
        classes.lower.forEach(function (from, k) {
            var to = k + 1 < classes.lower.length ? classes.lower[k + 1] - 1 : max;
            if (from > to) { return; }  // no whole count falls in this class
            shown.push(ramp[k]);
            shownLabels.push(from === to ? number(from, lang) : number(from, lang) + "–" + number(to, lang));
        });
        showScale(map, "heatmap", shown, shownLabels);
    }

    /* `n` classes of counts 1…max on a log scale: `of(count)`, and each class's smallest count. */
    function heatClasses(max, n) {
        var top = Math.log(1 + Math.max(1, max));
        function of(count) { return Math.min(n - 1, Math.floor(n * Math.log(1 + count) / top)); }
        var lower = [];
        for (var k = 0; k < n; k++) {
            var from = Math.max(1, Math.ceil(Math.exp(top * k / n) - 1 - 1e-9));
            while (from <= max && of(from) < k) { from++; }
            lower.push(from);
        }
        return {of: of, lower: lower};
    }

    /* ------------------------------- coverage: regions not yet connected, hatched */

    var HATCH_ID = "basira-hatch";

    /* The hatch's SVG pattern, added to the page once: every pane's SVG renderer can fill with it
     * (`url(#basira-hatch)` names it in the document). Its box is 0×0 and out of the way, not
     * `display: none` (a pattern inside an undisplayed SVG would fill nothing). */
    function ensureHatch(spec) {
        if (document.getElementById(HATCH_ID)) { return; }
        var ns = "http://www.w3.org/2000/svg", gap = String(spec.gap || 7);
        var svg = document.createElementNS(ns, "svg");
        svg.setAttribute("width", "0");
        svg.setAttribute("height", "0");
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("class", "basira-hatch-defs");
        var pattern = document.createElementNS(ns, "pattern");
        pattern.setAttribute("id", HATCH_ID);
        pattern.setAttribute("patternUnits", "userSpaceOnUse");
        pattern.setAttribute("width", gap);
        pattern.setAttribute("height", gap);
        pattern.setAttribute("patternTransform", "rotate(45)");
        var line = document.createElementNS(ns, "line");
        line.setAttribute("x1", "0");
        line.setAttribute("y1", "0");
        line.setAttribute("x2", "0");
        line.setAttribute("y2", gap);
        line.setAttribute("stroke", spec.colour || "#aebdcc");
        line.setAttribute("stroke-width", String(spec.width || 1.5));
        line.setAttribute("stroke-opacity", String(spec.opacity == null ? 0.55 : spec.opacity));
        pattern.appendChild(line);
        var defs = document.createElementNS(ns, "defs");
        defs.appendChild(pattern);
        svg.appendChild(defs);
        document.body.appendChild(svg);
    }

    /* Keeps the regions of the hideout's `uncovered` codes (the regions file holds all of them). */
    function uncovered(feature, context) {
        var code = ((feature && feature.properties) || {}).code;
        return (hideoutOf(context).uncovered || []).indexOf(code) >= 0;
    }

    function uncoveredStyle(feature, context) {
        var hatch = hideoutOf(context).hatch || {};
        ensureHatch(hatch);
        // Not interactive (dash-leaflet does not pass the GeoJSON's own `interactive` on to its paths):
        // a click or a hover goes through to the region's choropleth polygon beneath.
        return {
            className: "basira-uncovered", interactive: false, fillColor: "url(#" + HATCH_ID + ")",
            fillOpacity: 1, color: hatch.colour, weight: 1.2, opacity: 0.8, dashArray: "5 4"
        };
    }

    return {
        kit: {stateOf: stateOf, ensurePane: ensurePane, number: number, percent: percent, card: card},
        uncovered: uncovered,
        uncoveredStyle: uncoveredStyle,
        mapControl: mapControl,
        regionShape: regionShape,
        regionFill: regionFill,
        regionTooltip: regionTooltip,
        heatPart: heatPart
    };
}()));
