/*
 * The command view on phones and tablets (below 1100 px wide, laid out by assets/mobile.css): the
 * side panel becomes a bottom sheet, folded away to its handle ("Incidents & filters" and the count
 * of open incidents) until a tap opens it. Clientside callbacks of app/pages/command/callbacks.py:
 *
 * - `toggleSheet`: a tap (a click) on the handle opens or closes the sheet — the panel's class
 *   `is-open`, and the handle's `aria-expanded`;
 * - `sheetCount`: the handle's count, read from the incident list the server sent (its
 *   `basira-list-count`, already in the page's language and digits); empty while one incident's
 *   details are shown instead of the list.
 *
 * Nothing here fetches or keeps data: the sheet only shows what the page's refresh drew.
 */
(function () {
    "use strict";

    var OPEN = "is-open";

    /* The children (Dash's JSON of components) of the first component with class `name`, or null. */
    function childrenOf(node, name) {
        if (Array.isArray(node)) {
            for (var i = 0; i < node.length; i += 1) {
                var found = childrenOf(node[i], name);
                if (found !== null) { return found; }
            }
            return null;
        }
        if (!node || typeof node !== "object" || !node.props) { return null; }
        var classes = String(node.props.className || "").split(/\s+/);
        if (classes.indexOf(name) >= 0) { return node.props.children; }
        return node.props.children === undefined ? null : childrenOf(node.props.children, name);
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
        sheetCount: function (children) {
            var count = childrenOf(children, "basira-list-count");
            return count === null || count === undefined ? "" : count;
        }
    });
}());
