/*
 * The command view on phones and tablets (below 1100 px wide, laid out by assets/mobile.css): the
 * side panel becomes a bottom sheet, folded away to its handle ("Incidents & filters" and the count
 * of open incidents) until a tap opens it. Clientside callbacks of app/pages/command/callbacks.py:
 *
 * - `toggleSheet`: a tap (a click) on the handle opens or closes the sheet — the panel's class
 *   `is-open`, and the handle's `aria-expanded`;
 * - `sheetCount`: the handle's count, read from the incident list the server sent as HTML (its
 *   `basira-list-count`, already in the page's language and digits); empty while one incident's
 *   details are shown instead of the list.
 *
 * Nothing here fetches or keeps data: the sheet only shows what the page's refresh drew.
 */
(function () {
    "use strict";

    var OPEN = "is-open";

    /* The text of the first element with class `name` in the HTML text `markup` (the incident panel,
     * as the server sends it: app/pages/_kit/markup.py), or null. Parsed inert: nothing runs. */
    function textOf(markup, name) {
        if (typeof markup !== "string" || !markup) { return null; }
        var found = new DOMParser().parseFromString(markup, "text/html").querySelector("." + name);
        return found ? found.textContent : null;
    }

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside["basira.mobile"] = Object.assign({}, window.dash_clientside["basira.mobile"], {
        toggleSheet: function (clicks, className) {
            var classes = String(className || "").split(/\s+/).filter(function (c) {
                return c && c !== OPEN;
            });
            var open = String(className || "").split(/\s+/).indexOf(OPEN) < 0;
            if (open) { classes.push(OPEN); }
            return [classes.join(" "), open ? "true" : "false"];
        },
        sheetCount: function (markup) {
            var count = textOf(markup, "basira-list-count");
            return count === null || count === undefined ? "" : count;
        }
    });
}());
