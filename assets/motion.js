/*
 * A viewer who asked for less motion (the system's "reduce motion" setting: CSS's
 * `prefers-reduced-motion: reduce`) gets maps that jump instead of fly (WCAG 2.3.3). The stylesheets
 * already stop their own animations for such a viewer; the maps' movements are Leaflet's, made in
 * script, so they are changed here, for every map of every page:
 *
 * - a flight (`flyTo`, `flyToBounds`: the wall's tour and alerts, the kiosk's chapters, a drill-down, an
 *   alert's "Show on map") becomes the same move without animation, decided at each move, so a change of
 *   the setting while a page is open counts from the next move;
 * - maps made while the setting is on zoom and settle without animation (no zoom animation, no glide
 *   after a drag). Leaflet reads those options once, when a map is made.
 *
 * The place a map ends at is the same either way. Loaded after dash-leaflet, which sets `window.L`, and
 * before Dash draws any map.
 */
(function () {
    "use strict";

    var L = window.L;
    if (!L || !L.Map || !window.matchMedia) { return; }
    var query = window.matchMedia("(prefers-reduced-motion: reduce)");

    function still(options) {
        var jump = Object.assign({}, options, {animate: false});
        delete jump.duration;
        return jump;
    }

    var flyTo = L.Map.prototype.flyTo, flyToBounds = L.Map.prototype.flyToBounds;
    L.Map.include({
        flyTo: function (latlng, zoom, options) {
            return query.matches ? this.setView(latlng, zoom, still(options)) : flyTo.apply(this, arguments);
        },
        flyToBounds: function (bounds, options) {
            return query.matches ? this.fitBounds(bounds, still(options)) : flyToBounds.apply(this, arguments);
        }
    });
    if (query.matches) {
        L.Map.mergeOptions({zoomAnimation: false, markerZoomAnimation: false, inertia: false});
    }
}());
