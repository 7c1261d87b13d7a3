/*
 * Parts of a page the server sends as HTML text (app/pages/_kit/markup.py): the command view's KPI strip
 * and incident panel change every refresh, and as Dash components each change mounted a few hundred
 * components, each telling every other one of the page (issue 17). Here one assignment puts the new
 * text in its place. The text is the server's own markup: every producer's word in it is escaped there.
 *
 * A click on a row still goes through `assets/command.js` (a link marked `data-nav`, caught on the
 * document), and the sheet's count is read from the same text (`basira.mobile.sheetCount`).
 */
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside["basira.markup"] = Object.assign({}, window.dash_clientside["basira.markup"], {
    /* Put `text` into the element `id` (a Dash component with no children of its own). */
    fill: function (text, id) {
        "use strict";
        var target = id && document.getElementById(id);
        if (target && typeof text === "string" && target.__basiraText !== text) {
            target.innerHTML = text;
            target.__basiraText = text;
        }
        return window.dash_clientside.no_update;
    }
});
