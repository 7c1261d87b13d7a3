/*
 * Injected by the benchmark suite into every page before the page's own scripts run (Chrome's
 * Page.addScriptToEvaluateOnNewDocument). It only observes, through public APIs:
 *
 * - Leaflet: when dash-leaflet defines window.L, an init hook registers every L.Map; the map's
 *   `layeradd`/`layerremove` events say when markers are drawn. A watched incident id is "seen"
 *   at the first animation frame after a layer whose GeoJSON feature has that id was added.
 * - Plotly: when window.Plotly is defined, Plotly.newPlot and Plotly.react are wrapped; once the
 *   promise they return settles (the figure is drawn), the points are counted and watched ids
 *   looked up in the traces' hover names; "seen" is the next animation frame.
 *
 * Times are Date.now() (the wall clock the suite shares) for probes, performance.now() (ms since
 * navigation started) for renders.
 *
 * A render is over when nothing *new* has been drawn for a while (`lastNewLayer`): a layer added for
 * a thing this map has not drawn before — a point by its pane and id, a cluster by its place and
 * count, any other layer by itself. A thing drawn again (a port whose last-hour counts moved with the
 * clock: dash-leaflet removes and adds every marker of a GeoJSON whose data changed) is an update of
 * what is already on the screen, not more of its first drawing; at 100,000 incidents the page's
 * refresh redraws the ports every 2 s, so a map that must stand still for 2 s never did, and its
 * first render was timed to whichever redraw came last (issue 17).
 */
(function () {
    "use strict";
    var bench = window.__bench = {
        maps: [], want: {}, seen: {}, layerEvents: 0, lastLayerEvent: 0, lastNewLayer: 0, clusters: 0,
        plots: [], zoom: null, firstCluster: null, firstInPane: {}
    };
    var drawn = new Set();  // what the maps have drawn so far (see the head)

    /* What a layer draws, for `drawn`: the same key when the same thing is drawn again. */
    function drawnKey(layer) {
        var feature = layer.feature, props = (feature && feature.properties) || {};
        if (feature && props.cluster && layer.getLatLng) {
            var at = layer.getLatLng();
            return "c|" + at.lat.toFixed(5) + "," + at.lng.toFixed(5) + "|" + props.point_count;
        }
        var id = featureId(feature);
        if (id !== null) { return "f|" + ((layer.options && layer.options.pane) || "") + "|" + id; }
        return "l|" + window.L.stamp(layer);
    }

    function featureId(feature) {
        if (!feature) { return null; }
        if (feature.id != null) { return String(feature.id); }
        var props = feature.properties || {};
        return props.id != null ? String(props.id) : null;
    }

    function seen(id) {
        if (!bench.want[id] || bench.seen[id]) { return; }
        bench.seen[id] = -1;
        requestAnimationFrame(function () { bench.seen[id] = Date.now(); });
    }

    function onLayer(event) {
        bench.layerEvents += 1;
        bench.lastLayerEvent = performance.now();
        if (event.type === "layeradd" && event.layer) {
            var key = drawnKey(event.layer);
            if (!drawn.has(key)) {
                drawn.add(key);
                bench.lastNewLayer = bench.lastLayerEvent;
            }
            // when each pane got its first layer (the regions' pane: the page's first refresh drew them)
            var pane = event.layer.options && event.layer.options.pane;
            if (pane && !(pane in bench.firstInPane)) { bench.firstInPane[pane] = bench.lastLayerEvent; }
        }
        if (event.type === "layeradd" && event.layer && event.layer.feature) {
            var feature = event.layer.feature;
            // supercluster's clusters: the live layers' data has arrived (the basemap has none)
            if (feature.properties && feature.properties.cluster) {
                bench.clusters += 1;
                if (bench.firstCluster === null) { bench.firstCluster = bench.lastLayerEvent; }
            }
            var id = featureId(feature);
            if (id !== null && bench.want[id]) { seen(id); }
        }
    }

    function hookLeaflet(L) {
        if (!L || !L.Map || L.__benchHooked) { return; }
        L.__benchHooked = true;
        L.Map.addInitHook(function () {
            bench.maps.push(this);
            this.on("layeradd layerremove", onLayer);
        });
    }

    var leaflet = window.L;
    hookLeaflet(leaflet);
    Object.defineProperty(window, "L", {
        configurable: true, enumerable: true,
        get: function () { return leaflet; },
        set: function (value) { leaflet = value; hookLeaflet(value); }
    });

    /* The largest map on the page (the main one, should a page hold a small overview map too). */
    bench.map = function () {
        var best = null, area = -1;
        bench.maps.forEach(function (map) {
            var box = map.getContainer();
            var a = box.offsetWidth * box.offsetHeight;
            if (a > area) { best = map; area = a; }
        });
        return best;
    };

    function plotted(gd) {
        var points = 0, ids = Object.keys(bench.want).filter(function (id) { return !bench.seen[id]; });
        (gd.data || []).forEach(function (trace) {
            // hover names are plain arrays (coordinates may arrive as base64 typed arrays)
            var names = trace.hovertext || trace.ids || trace.text;
            points += names && names.length ? names.length : 0;
            if (names && names.indexOf) {
                ids.forEach(function (id) { if (names.indexOf(id) >= 0) { seen(id); } });
            }
        });
        bench.plots.push({t: performance.now(), points: points});
    }

    function hookPlotly(Plotly) {
        if (!Plotly || Plotly.__benchHooked) { return; }
        Plotly.__benchHooked = true;
        ["newPlot", "react"].forEach(function (name) {
            var original = Plotly[name];
            if (typeof original !== "function") { return; }
            Plotly[name] = function (gd) {
                var result = original.apply(this, arguments);
                Promise.resolve(result).then(function () {
                    var div = typeof gd === "string" ? document.getElementById(gd) : gd;
                    if (div) { plotted(div); }
                });
                return result;
            };
        });
    }

    var plotly = window.Plotly;
    hookPlotly(plotly);
    Object.defineProperty(window, "Plotly", {
        configurable: true, enumerable: true,
        get: function () { return plotly; },
        set: function (value) { plotly = value; hookPlotly(value); }
    });

    /* Watch for an incident id (call before writing it). */
    bench.watch = function (id) { bench.want[id] = true; };

    /* One zoom step on the main map, without animation; the suite then waits for the layers to settle. */
    bench.zoomTo = function (lat, lon, zoom) {
        var map = bench.map();
        var t0 = performance.now();
        bench.lastNewLayer = t0;
        map.setView([lat, lon], zoom, {animate: false});
        bench.zoom = {t0: t0, returned: performance.now(), frame: null};
        requestAnimationFrame(function () { bench.zoom.frame = performance.now(); });
        return map.getZoom();
    };
})();
