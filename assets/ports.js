/*
 * Border ports: open the port panel of the command view from a link, and switch its tabs.
 *
 * The national ports view (/ports) links to `/?region=SA-04&port=<id>&tab=plan`. The command view
 * rewrites its address as soon as it draws (assets/command.js keeps only the view's own parameters),
 * so the port asked for is read here, when this file loads — before the page is drawn — and handed
 * to the panel once (app/pages/ports/panel.py checks it against the viewer's scope on the server).
 */
(function () {
    "use strict";

    var query = new URLSearchParams(window.location.search);
    var asked = query.get("port");
    var tab = query.get("tab") === "plan" ? "plan" : "now";

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside["basira.ports"] = Object.assign({}, window.dash_clientside["basira.ports"], {
        /* The port (and tab) of the address the page was loaded with; only the first time. */
        asked: function () {
            var port = asked;
            asked = null;
            if (!port) { return [window.dash_clientside.no_update, window.dash_clientside.no_update]; }
            return [port, tab];
        },
        /* The panel's class names the tab shown: the stylesheet hides the other one. */
        tabClass: function (value) {
            return "basira-port-panel is-" + (value === "plan" ? "plan" : "now");
        }
    });
}());
