/*
 * What the unattended modes' clientside code (wall.js, kiosk.js) shares, in the window.basira namespace.
 *
 * The wall's tour and the kiosk's loop run in the browser on their own timers, and must never wait for
 * the server: Dash holds back a callback while any callback feeding its inputs *or states* is in flight,
 * and a page that refreshes every second has a request in flight much of the time (all of it, when the
 * server is slow or hangs). So what the server last said reaches the timers through `keep`/`latest`
 * (a "heard" callback downstream of the refresh keeps it here), not through Dash inputs.
 *
 * Formatting follows app/i18n.py: Arabic-Indic digits and separators for Arabic, Riyadh time (UTC+3,
 * no daylight saving).
 */
window.basira = Object.assign({}, window.basira, (function () {
    "use strict";

    var ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩";
    var RIYADH_OFFSET_MS = 3 * 3600 * 1000;
    var kept = {};
    var lastTouch = 0;

    function localDigits(text, lang) {
        text = String(text);
        return lang === "ar" ? text.replace(/[0-9]/g, function (d) { return ARABIC_DIGITS[Number(d)]; }) : text;
    }

    function pad(n) { return (n < 10 ? "0" : "") + n; }

    /* The kiosk's touch tracker: the last touch (or click) anywhere but on its own controls, which
     * pause and resume the loop explicitly. A touch on the map is no Dash event, hence a listener. */
    if (typeof document !== "undefined") {
        document.addEventListener("pointerdown", function (event) {
            var target = event.target;
            if (target && target.closest && target.closest(".kiosk-controls")) { return; }
            lastTouch = Date.now();
        }, {capture: true, passive: true});
    }

    return {
        modesDigits: localDigits,
        /* The time of day in Riyadh, HH:MM:SS. */
        modesClock: function (epochMs, lang) {
            return localDigits(new Date(epochMs + RIYADH_OFFSET_MS).toISOString().slice(11, 19), lang);
        },
        /* A running age: m:ss, or h:mm:ss past an hour. */
        modesAge: function (ms, lang) {
            var s = Math.max(0, Math.floor(ms / 1000));
            var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
            return localDigits((h ? h + ":" + pad(m) : String(m)) + ":" + pad(s % 60), lang);
        },
        /* A whole number with thousands separators, as app.i18n.fmt_int writes it (١٢٬٣٤٥ / 12,345). */
        modesInt: function (n, lang) {
            var text = Math.round(Number(n) || 0).toLocaleString("en-US");
            return lang === "ar" ? localDigits(text, lang).replace(/,/g, "٬") : text;
        },
        /* Keep what the server said under `key` (and when it was heard); read it back with `latest`. */
        modesKeep: function (key, value) {
            kept[key] = {value: value, at: Date.now()};
        },
        modesLatest: function (key) {
            return kept[key] || {value: null, at: 0};
        },
        modesLastTouch: function () { return lastTouch; },
        /* The id of the input that triggered the running callback, as a string ("" on the first call).
         * A person's action wins over the clock: a click that reaches Dash in the same update as an
         * interval's tick is listed beside it, and taking only the first (the tick) would lose it. */
        modesTrigger: function () {
            var ctx = window.dash_clientside.callback_context;
            var all = (ctx && ctx.triggered) || [];
            for (var i = 0; i < all.length; i++) {
                var id = String((all[i] && all[i].prop_id) || "");
                if (id && !/\.n_intervals$/.test(id)) { return id; }
            }
            return all.length ? String((all[0] && all[0].prop_id) || "") : "";
        }
    };
}()));
