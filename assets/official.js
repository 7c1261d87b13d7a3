/*
 * The official alerts layer (layers/official.py): areas of the warnings alerting authorities send as
 * CAP 1.2, coloured by severity, with a tooltip — dash-leaflet functional props in `window.basira`.
 *
 * Colours and every label come from the layer's `hideout`; the headline, event and sender are the
 * authority's own text and reach the page only through `textContent` (basira.el, via kit.card).
 */
window.basira = Object.assign({}, window.basira, (function () {
    "use strict";

    var base = window.basira || {};
    var hideoutOf = base.hideoutOf;

    /* The text in the page's language, else in the other, else any the authority gave. */
    function inLang(texts, lang) {
        if (!texts) { return ""; }
        if (texts[lang]) { return texts[lang]; }
        var other = lang === "ar" ? "en" : "ar";
        if (texts[other]) { return texts[other]; }
        var keys = Object.keys(texts);
        return keys.length ? texts[keys[0]] : "";
    }

    function officialStyle(feature, context) {
        var h = hideoutOf(context), colours = h.colours || {}, p = feature.properties || {};
        var colour = colours[p.severity] || colours.Unknown || "#b8c2cc";
        return {
            color: colour, weight: 2, opacity: 0.95, fillColor: colour, fillOpacity: 0.22,
            dashArray: p.exercise ? "6 4" : null, className: "basira-official"
        };
    }

    function officialTooltip(feature, layer, context) {
        var h = hideoutOf(context), labels = h.labels || {}, lang = h.lang, p = feature.properties || {};
        var card = (base.kit || {}).card;
        layer.bindTooltip(function () {
            var title = inLang(p.headline, lang) || inLang(p.event, lang) || labels.title;
            if (p.exercise) { title = labels.exercise + " · " + title; }
            var rows = [
                ["", (labels.severity || {})[p.severity] || p.severity],
                [labels.urgency, (labels.urgencies || {})[p.urgency] || p.urgency],
                [labels.expires, inLang(p.expires_text, lang)],
                [labels.from, inLang(p.sender, lang)],
                ["", p.area]
            ];
            return card(lang, title, rows, "basira-official-card");
        }, {sticky: true, direction: "top", className: "basira-tooltip", opacity: 1});
    }

    return {
        officialStyle: officialStyle,
        officialTooltip: officialTooltip
    };
}()));
