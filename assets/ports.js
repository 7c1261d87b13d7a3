/*
 * The port panel's clientside callback (app/pages/ports/panel.py), namespace "basira.ports".
 *
 * A port asked for in the address (`/?region=SA-04&port=<id>&tab=plan`, as the national ports view
 * links) is handed to the panel by the page's layout, on the server; nothing here reads the address.
 */
(function () {
    "use strict";

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside["basira.ports"] = Object.assign({}, window.dash_clientside["basira.ports"], {
        /* The panel's class names the tab shown: the stylesheet hides the other one. */
        tabClass: function (value) {
            return "basira-port-panel is-" + (value === "plan" ? "plan" : "now");
        }
    });
}());
