/*
 * The exhibition kiosk's clientside callbacks (app/pages/kiosk/), namespace "basira.kiosk".
 *
 * `heard` keeps the server's verdict on the store (refused or not; modes.js explains why not as a
 * Dash input); `loop` is the attract loop's step function, run every half second and on every button.
 */
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside["basira.kiosk"] = Object.assign({}, window.dash_clientside["basira.kiosk"], (function () {
    "use strict";

    var B = function () { return window.basira; };
    var KEY = "kiosk";

    function flyTo(view) {
        return view.bounds
            ? {bounds: view.bounds, transition: "flyToBounds", options: {duration: 2, padding: [30, 30]}}
            : {center: view.center, zoom: view.zoom, transition: "flyTo", options: {duration: 2}};
    }

    /* The region code of a region button's id in a trigger ('{"code":"SA-02",…}.n_clicks'), or null. */
    function pickedRegion(trigger, regions) {
        if (trigger.indexOf("kiosk-region") < 0) { return null; }
        try {
            var code = JSON.parse(trigger.slice(0, trigger.lastIndexOf("."))).code;
            return regions && regions[code] ? code : null;
        } catch (e) {
            return null;
        }
    }

    return {
        /* Keep whether the store may be shown (the server checks it on every refresh). */
        heard: function (refused) {
            B().modesKeep(KEY, refused);
            return refused;
        },

        /*
         * One step of the attract loop. `config`: {chapters: [{key, bounds | center+zoom}],
         * regions: {code: {bounds}}, chapter_ms, idle_ms, refused (the verdict when the page was drawn)}.
         *
         * Playing: each chapter for chapter_ms, then the next. A touch anywhere but on the controls
         * pauses; previous / next / a region also pause, on what was asked for; pause / play toggles.
         * After idle_ms with no touch and no button, the loop goes on by itself with the next chapter.
         * While the store is refused nothing moves and the map (hidden) is not touched; when the map is
         * first shown, its size is re-measured (a map drawn hidden has none) and the view re-applied.
         *
         * Returns [viewport, invalidateSize, state, view, controls class, region list open].
         */
        loop: function (tick, pauseClicks, prevClicks, nextClicks, regionClicks, state, config) {
            var now = Date.now(), no = window.dash_clientside.no_update;
            config = config || {};
            var chapters = config.chapters || [];
            if (!chapters.length) { return [no, no, no, no, no, no]; }
            var heard = B().modesLatest(KEY);
            var refused = heard.at ? heard.value : config.refused;
            var s = state ? Object.assign({}, state)
                          : {chapter: 0, since: now, paused: false, acted: 0, touched: 0, region: null, shown: false};
            if (refused) {
                if (!s.shown && state) { return [no, no, no, no, no, no]; }
                s.shown = false;
                return [no, no, s, no, no, no];
            }
            var invalidate = no, moved = false;
            var trigger = B().modesTrigger();
            var picked = pickedRegion(trigger, config.regions);

            if (!s.shown) {
                s.shown = true;
                s.since = now;
                invalidate = now;
                moved = true;
            }
            if (trigger.indexOf("kiosk-pause") === 0) {
                s.paused = !s.paused;
                s.acted = now;
                if (!s.paused) { s.since = now; s.region = null; moved = true; }
            } else if (trigger.indexOf("kiosk-prev") === 0 || trigger.indexOf("kiosk-next") === 0) {
                var step = trigger.indexOf("kiosk-next") === 0 ? 1 : -1;
                s.chapter = (s.chapter + step + chapters.length) % chapters.length;
                s.region = null;
                s.paused = true;
                s.acted = now;
                moved = true;
            } else if (picked) {
                s.region = picked;
                s.paused = true;
                s.acted = now;
                moved = true;
            }
            var touched = B().modesLastTouch();
            if (touched > (s.touched || 0)) {
                s.touched = touched;
                s.paused = true;
            }
            if (s.paused && now - Math.max(s.touched || 0, s.acted || 0) >= config.idle_ms) {
                s.paused = false;             /* nobody here any more: the story goes on */
                s.region = null;
                s.chapter = (s.chapter + 1) % chapters.length;
                s.since = now;
                moved = true;
            } else if (!s.paused && now - s.since >= config.chapter_ms) {
                s.chapter = (s.chapter + 1) % chapters.length;
                s.since = now;
                moved = true;
            }
            var view = s.region ? {region: s.region} : {chapter: s.chapter};
            var same = state && state.shown && state.region === s.region && state.chapter === s.chapter;
            return [
                moved ? flyTo(s.region ? config.regions[s.region] : chapters[s.chapter]) : no,
                invalidate, s, same ? no : view,
                s.paused ? "kiosk-controls is-paused" : "kiosk-controls",
                picked ? false : no           /* a region picked: fold the region list away */
            ];
        }
    };
}()));
