/*
 * Parts of a page the server sends as HTML text (app/pages/_kit/markup.py): the command view's KPI strip
 * and incident panel change every refresh, and as Dash components each change mounted a few hundred
 * components, each telling every other one of the page (issue 17). Here one assignment puts the new
 * text in its place. The text is the server's own markup: every producer's word in it is escaped there.
 *
 * A click on a row still goes through `assets/command.js` (a link marked `data-nav`, caught on the
 * document). The parts one refresh sends together are put in place by one callback (`fillPanel`):
 * each callback Dash runs passes its state to every component of the page, and a refresh that
 * set three texts ran four (one each, and one for the sheet's count) — of ten callbacks a second in
 * all, on a page open all day (issue 17: the page's CPU; tests/test_callbacks_per_tick.py).
 */
(function () {
    "use strict";

    /* `text` into the element `id`, unless it holds it already; whether it was put. */
    function put(text, id) {
        var target = id && document.getElementById(id);
        if (!target || typeof text !== "string" || target.__basiraText === text) { return false; }
        target.innerHTML = text;
        target.__basiraText = text;
        return true;
    }

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside["basira.markup"] = Object.assign({}, window.dash_clientside["basira.markup"], {
        /* Put `text` into the element `id` (a Dash component with no children of its own). */
        fill: function (text, id) {
            put(text, id);
            return window.dash_clientside.no_update;
        },
        /* The command view's panel: the KPI strip, the incident panel and the data time, each into its
         * element; returns the count the phone's sheet shows on its handle — the incident list's
         * `basira-list-count` as it was put in place (in the page's language and digits), "" while one
         * incident's details are shown instead — or no update when the incident panel did not change. */
        fillPanel: function (kpis, incidents, asof, kpisId, incidentsId, asofId) {
            put(kpis, kpisId);
            put(asof, asofId);
            if (!put(incidents, incidentsId)) { return window.dash_clientside.no_update; }
            var count = document.getElementById(incidentsId).querySelector(".basira-list-count");
            return count ? count.textContent : "";
        }
    });
}());
