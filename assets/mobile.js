/*
 * The command view on phones and tablets (below 1100 px wide, laid out by assets/mobile.css): the
 * side panel becomes a bottom sheet, folded away to its handle ("Incidents & filters" and the count
 * of open incidents) until a tap opens it. Clientside callbacks of app/pages/command/callbacks.py:
 *
 * - `toggleSheet`: a tap (a click) on the handle opens or closes the sheet — the panel's class
 *   `is-open`, and the handle's `aria-expanded`;
 * - the handle's count is put there with the incident list (`basira.markup.fillPanel`, assets/markup.js).
 *
 * Nothing here fetches or keeps data: the sheet only shows what the page's refresh drew.
 */
(function () {
    "use strict";

    var OPEN = "is-open";

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside["basira.mobile"] = Object.assign({}, window.dash_clientside["basira.mobile"], {
        toggleSheet: function (clicks, className) {
            var classes = String(className || "").split(/\s+/).filter(function (c) {
                return c && c !== OPEN;
            });
            var open = String(className || "").split(/\s+/).indexOf(OPEN) < 0;
            if (open) { classes.push(OPEN); }
            return [classes.join(" "), open ? "true" : "false"];
        }
    });
}());
