/*
 * The command view's time bar (app/pages/command/timebar.py): live, or any moment of the archive, played
 * at ×1, ×10, ×60 or ×600 — and the incident timeline's pieces in the browser (timeline.py).
 *
 * The moment is the `live-time` store ({at, from, to, speed}, epoch ms; all null: live). This file is the
 * only writer of it besides the page's first drawing: a drag of the slider (on release), play and pause,
 * a speed, a window, "Back to live", and the back button (`restore`, called by assets/command.js). Each
 * change the viewer makes is pushed to the history (command.js's `syncUrl` writes the URL); a frame of
 * a playing replay replaces the entry. The page's refresh draws every moment it is given (one snapshot
 * of the archive) and answers `live-frame`; while playing, the next frame is asked for only once the
 * last is drawn, and not sooner than `frame_ms` after it was asked for — so a slow answer lowers the
 * frame rate and never piles requests up. The archive time advances with the wall clock (×60: a minute
 * a second), whatever the frame rate. At the window's end playback stops there.
 *
 * The bar's texts are set here (`data-word`: every replay string comes in both languages, in
 * `live-replay-words`), so a change of language needs no round trip; times are Riyadh's (UTC+3, no
 * daylight saving), written as the server writes them. Nothing here reads or keeps map data.
 */
(function () {
    "use strict";

    var TIME = "live-time", SLIDER = "live-slider", BAR = "live-timebar", ROOT = "live-root";
    var NOTE = "live-replay-note", FROM = "live-tb-from", TO = "live-tb-to", RECORDS = "live-tb-records";
    var START = "live-tb-start", END = "live-tb-end", CURSOR = "live-tb-cursor", TIMELINE = "live-timeline";
    var HOUR = 3600000, RIYADH = 3 * HOUR, NOTE_MS = 15000, STALL_MS = 10000;
    var ARABIC = "٠١٢٣٤٥٦٧٨٩";

    var conf = {words: {}, speeds: [1, 10, 60, 600], default_speed: 60, frame_ms: 200, presets: [1, 6, 24],
                export: "/api/v1/export", export_default_ms: HOUR};
    var lang = "ar";
    var state = {at: null, from: null, to: null, speed: null};  /* the moment the page holds */
    var view = {};              /* the view's region and agency (the export's scope) */
    var span = null;            /* what the archive spans: {first, last} */
    var drawn = null;           /* the moment of the last frame drawn */
    var chosen = null;          /* the speed play starts at */
    var clock = null;           /* while playing: {wall, at} — at(now) = at + speed × (now − wall) */
    var timer = null, stall = null, asked = 0, mine = null, noteTimer = null;
    var dragging = false, changed = false, slid = {}, disabledTick = null, countKey = null;

    function api() { return window.dash_clientside || {}; }
    function noUpdate() { return api().no_update; }
    function el(id) { return document.getElementById(id); }
    function num(value) {
        if (value === null || value === undefined || value === "") { return null; }
        var n = Number(value);
        return isFinite(n) ? Math.round(n) : null;
    }
    function replaying() { return state.at !== null; }
    function windowed() { return state.from !== null && state.to !== null; }
    function word(key) {
        var words = conf.words[lang] || {};
        return words[key] === undefined ? key : words[key];
    }
    function fill(text, values) {
        return text.replace(/\{(\w+)\}/g, function (m, k) { return values[k] === undefined ? m : values[k]; });
    }
    function digits(text) {
        if (lang !== "ar") { return String(text); }
        return String(text).replace(/[0-9]/g, function (d) { return ARABIC[d]; });
    }
    function setText(id, text) {
        var node = el(id);
        if (node && node.textContent !== text) { node.textContent = text; }
    }

    /* --------------------------------------------------------------------------- Riyadh time */

    function pad(n) { return (n < 10 ? "0" : "") + n; }
    function parts(ms) { return new Date(ms + RIYADH); }  /* read with getUTC* */
    function dateText(ms) {
        var d = parts(ms);
        return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
    }
    function clockText(ms) {
        var d = parts(ms);
        return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
    }
    function inputText(ms) { return dateText(ms) + " " + clockText(ms).slice(0, 5); }
    /* "2026-12-04 01:00" (Riyadh; Arabic-Indic digits too) → epoch ms, or null. */
    function parseRiyadh(text) {
        var ascii = String(text || "").trim().replace(/[٠-٩]/g, function (d) { return String(ARABIC.indexOf(d)); });
        var m = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(ascii);
        if (!m) { return null; }
        var ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0)) - RIYADH;
        return isFinite(ms) && parts(ms).getUTCMonth() === +m[2] - 1 ? ms : null;
    }

    /* --------------------------------------------------------------------------- the moment */

    /* Write the moment: the page draws it, command.js writes the URL (`push`: a history entry). */
    function commit(next, push) {
        state = {at: num(next.at), from: num(next.from), to: num(next.to), speed: num(next.speed)};
        mine = Date.now() + Math.random();
        asked = performance.now();
        watch();
        render();
        if (typeof api().set_props === "function") {
            api().set_props(TIME, {data: Object.assign({}, state, {push: Boolean(push), stamp: mine})});
        }
    }

    function stopTimers() {
        if (timer) { clearTimeout(timer); timer = null; }
        if (stall) { clearTimeout(stall); stall = null; }
    }

    /* A frame asked for and never drawn (the server did not answer): ask again. */
    function watch() {
        if (stall) { clearTimeout(stall); }
        stall = replaying() ? setTimeout(function () {
            stall = null;
            if (replaying()) { commit(state, false); }
        }, STALL_MS) : null;
    }

    function live(push) {
        stopTimers();
        clock = null;
        drawn = null;
        commit({at: null, from: null, to: null, speed: null}, push);
    }

    /* The next frame of a playing replay: where the archive is by the wall clock, or the window's end. */
    function step() {
        timer = null;
        if (!state.speed || !replaying() || !clock) { return; }
        var at = Math.round(clock.at + state.speed * (performance.now() - clock.wall));
        var end = state.to !== null ? state.to : (span ? span.last : at);
        if (at >= end) {
            clock = null;
            commit({at: end, from: state.from, to: state.to, speed: null}, false);  /* the end: stop there */
            return;
        }
        commit({at: at, from: state.from, to: state.to, speed: state.speed}, false);
    }

    function play() {
        hideNote();
        if (!span) { return; }
        if (state.speed) {  /* pause where it is */
            stopTimers();
            clock = null;
            commit({at: state.at, from: state.from, to: state.to, speed: null}, true);
            return;
        }
        var at = state.at !== null ? state.at : span.last, from = state.from, to = state.to;
        if (from === null || to === null) { from = at; to = span.last; }
        if (from >= to) { from = Math.max(span.first, span.last - HOUR); to = span.last; }
        if (at >= to || at < from) { at = from; }  /* at the end: from the start again */
        clock = {wall: performance.now(), at: at};
        commit({at: at, from: from, to: to, speed: chosen || conf.default_speed}, true);
    }

    function setSpeed(n) {
        chosen = n;
        if (state.speed && state.speed !== n) {
            stopTimers();
            clock = {wall: performance.now(), at: state.at};
            commit({at: state.at, from: state.from, to: state.to, speed: n}, true);
        } else {
            render();
        }
    }

    function seek(at) {
        hideNote();
        if (!span) { return; }
        at = Math.max(span.first, Math.min(span.last, at));
        if (!replaying() && at >= span.last - 1000) { render(); return; }  /* the end of the bar is live */
        stopTimers();
        clock = state.speed ? {wall: performance.now(), at: at} : null;
        var from = state.from, to = state.to;
        if (from !== null && (at < from || at > to)) { from = null; to = null; }
        commit({at: at, from: from, to: to, speed: state.speed}, true);  /* playing: on from there */
    }

    function chooseWindow(from, to, menu) {
        hideNote();
        if (!span) { return; }
        from = Math.max(span.first, from);
        to = Math.min(span.last, to);
        if (!(from < to)) {
            if (menu) { menu.classList.add("is-bad"); }
            return;
        }
        if (menu) { menu.classList.remove("is-bad"); menu.open = false; }
        stopTimers();
        clock = state.speed ? {wall: performance.now(), at: from} : null;
        commit({at: from, from: from, to: to, speed: state.speed}, true);
    }

    /* The back button went to an entry of this page: take its moment (command.js calls this). */
    function restore(search) {
        var q = new URLSearchParams(search);
        var next = {at: num(q.get("at")), from: num(q.get("from")), to: num(q.get("to")), speed: num(q.get("speed"))};
        if (next.at === null && next.from !== null) { next.at = next.from; }
        if (next.from === null || next.to === null) { next.from = null; next.to = null; }
        if (next.at === null) { next = {at: null, from: null, to: null, speed: null}; }
        if (next.at === state.at && next.from === state.from && next.to === state.to &&
            next.speed === state.speed) { return; }
        stopTimers();
        clock = null;
        state = next;
        mine = null;
        if (typeof api().set_props === "function") {
            api().set_props(TIME, {data: Object.assign({}, next, {push: false, history: true, stamp: 0})});
        }
    }

    /* --------------------------------------------------------------------------- the bar */

    function setSlider(min, max, value, disabled) {
        if (slid.min === min && slid.max === max && slid.value === value && slid.disabled === disabled) { return; }
        slid = {min: min, max: max, value: value, disabled: disabled};
        if (typeof api().set_props === "function") {
            api().set_props(SLIDER, {min: min, max: max, value: value, disabled: disabled});
        }
    }

    function exportWindow() {
        if (windowed()) { return [state.from, state.to]; }
        var at = state.at !== null ? state.at : (span ? span.last : null);
        if (at === null) { return null; }
        return [Math.max(span ? span.first : at - conf.export_default_ms, at - conf.export_default_ms), at];
    }

    function exportHref(format, extra) {
        var range = exportWindow(), q = new URLSearchParams();
        q.set("format", format);
        if (range) { q.set("from", String(range[0])); q.set("to", String(range[1])); }
        if (view.region) { q.set("region", view.region); }
        if (view.agency) { q.set("agency", view.agency); }
        if (extra) { Object.keys(extra).forEach(function (k) { q.set(k, extra[k]); }); }
        return conf.export + "?" + q.toString();
    }

    /* The export menu, opened: how many records the file will hold (the export API's count answer). */
    function count() {
        var key = exportHref("geojson");
        if (key === countKey) { return; }
        countKey = key;
        setText(RECORDS, "…");
        fetch(exportHref("geojson", {count: "1"}), {credentials: "same-origin", headers: {Accept: "application/json"}})
            .then(function (response) { return response.ok ? response.json() : null; })
            .then(function (body) {
                if (countKey !== key) { return; }
                var n = body && typeof body.records === "number" ? body.records : null;
                setText(RECORDS, n === null ? "" : fill(word("replay.export_records"), {
                    n: digits(n.toLocaleString("en-US"))}));
            })
            .catch(function () { if (countKey === key) { setText(RECORDS, ""); countKey = null; } });
    }

    function marks() {
        var box = el(TIMELINE);
        if (!box) { return; }
        box.querySelectorAll("[data-ts]").forEach(function (item) {
            var after = replaying() && drawn !== null && Number(item.getAttribute("data-ts")) > drawn;
            item.classList.toggle("is-after", after);
        });
    }

    function render() {
        var bar = el(BAR);
        if (!bar) { return; }
        var replay = replaying(), playing = replay && Boolean(state.speed);
        bar.classList.toggle("is-live", !replay);
        bar.classList.toggle("is-replay", replay);
        bar.classList.toggle("is-playing", playing);
        bar.classList.toggle("is-empty", !span);
        bar.setAttribute("data-at", replay && drawn !== null ? String(drawn) : "");
        bar.setAttribute("data-speed", playing ? String(state.speed) : "");
        bar.querySelectorAll("[data-speed]").forEach(function (button) {
            var n = Number(button.getAttribute("data-speed"));
            button.setAttribute("aria-pressed", String(n === (state.speed || chosen || conf.default_speed)));
        });
        var playButton = bar.querySelector("[data-replay=play]");
        if (playButton) {
            playButton.setAttribute("aria-pressed", String(playing));
            playButton.setAttribute("aria-label", word(playing ? "replay.pause" : "replay.play"));
        }
        var liveButton = bar.querySelector("[data-replay=live]");
        if (liveButton) { liveButton.setAttribute("aria-pressed", String(!replay)); }
        var lo = null, hi = null;
        if (windowed()) { lo = state.from; hi = state.to; } else if (span) { lo = span.first; hi = span.last; }
        if (!dragging && lo !== null) {
            setSlider(lo, hi, replay ? Math.max(lo, Math.min(hi, state.at)) : hi, !span);
        } else if (!span) {
            setSlider(0, 1, 1, true);
        }
        setText(START, lo === null ? "" : digits(inputText(lo)));
        setText(END, hi === null ? "" : digits(inputText(hi)));
        if (!dragging) { setText(CURSOR, replay ? digits(clockText(state.at)) : ""); }
        var cursor = el(CURSOR);
        if (cursor) { cursor.title = replay ? digits(dateText(state.at)) : ""; }
        bar.querySelectorAll("a[data-format]").forEach(function (link) {
            link.setAttribute("href", exportHref(link.getAttribute("data-format")));
        });
        marks();
    }

    /* Every `data-word` in the page's language (and the speeds' and presets' own words). */
    function relabel() {
        var root = el(ROOT);
        if (!root) { return; }
        root.querySelectorAll("[data-word]").forEach(function (node) {
            var text = word(node.getAttribute("data-word"));
            if (node.textContent !== text) { node.textContent = text; }
        });
        root.querySelectorAll("[data-word-label]").forEach(function (node) {
            node.setAttribute("aria-label", word(node.getAttribute("data-word-label")));
        });
        root.querySelectorAll("[data-word-title]").forEach(function (node) {
            node.title = word(node.getAttribute("data-word-title"));
        });
        root.querySelectorAll("#" + BAR + " [data-speed]").forEach(function (button) {
            var n = button.getAttribute("data-speed");
            button.textContent = "×" + digits(n);
            button.title = fill(word("replay.speed_n"), {n: digits(n)});
        });
        root.querySelectorAll("#" + BAR + " [data-hours]").forEach(function (button) {
            var hours = button.getAttribute("data-hours");
            button.textContent = hours === "all" ? word("replay.window_all")
                : fill(word("replay.window_last"), {hours: digits(hours)});
        });
        countKey = null;
    }

    function hideNote() {
        var note = el(NOTE);
        if (note) { note.classList.remove("is-shown"); }
        if (noteTimer) { clearTimeout(noteTimer); noteTimer = null; }
    }

    function showNote() {
        var note = el(NOTE);
        if (!note) { return; }
        note.classList.add("is-shown");
        if (noteTimer) { clearTimeout(noteTimer); }
        noteTimer = setTimeout(hideNote, NOTE_MS);
    }

    /* --------------------------------------------------------------------------- the viewer's hands */

    function inBar(event) { return event.target && event.target.closest && event.target.closest("#" + ROOT); }

    document.addEventListener("click", function (event) {
        var button = inBar(event) && event.target.closest("[data-replay]");
        if (!button) { return; }
        var action = button.getAttribute("data-replay");
        if (action === "live") {
            hideNote();
            if (replaying()) { live(true); }
        } else if (action === "play") {
            play();
        } else if (action === "speed") {
            setSpeed(Number(button.getAttribute("data-speed")));
        } else if (action === "window" && span) {
            var hours = button.getAttribute("data-hours"), menu = button.closest("details");
            if (hours === "all") {
                if (menu) { menu.open = false; }
                if (replaying() && windowed()) { commit({at: state.at, from: null, to: null, speed: null}, true); }
            } else {
                chooseWindow(span.last - Number(hours) * HOUR, span.last, menu);
            }
        } else if (action === "apply") {
            var from = parseRiyadh((el(FROM) || {}).value), to = parseRiyadh((el(TO) || {}).value);
            var box = button.closest("details");
            if (from === null || to === null || from >= to) {
                if (box) { box.classList.add("is-bad"); }
                return;
            }
            chooseWindow(from, to, box);
        }
    });

    /* The slider: dragged (the cursor's time follows the finger), applied on release. */
    function isSlider(event) { return event.target && event.target.id === SLIDER; }
    document.addEventListener("pointerdown", function (event) {
        if (!isSlider(event)) { return; }
        dragging = true;
        changed = false;
        stopTimers();  /* a playing replay waits for the drop */
    }, true);
    document.addEventListener("input", function (event) {
        if (!isSlider(event)) { return; }
        dragging = true;
        var at = Number(event.target.value);
        if (isFinite(at)) { setText(CURSOR, digits(clockText(at))); }
    }, true);
    document.addEventListener("change", function (event) {
        if (!isSlider(event)) { return; }
        dragging = false;
        changed = true;
        seek(Number(event.target.value));
    }, true);
    document.addEventListener("pointerup", function (event) {
        if (!isSlider(event)) { return; }
        setTimeout(function () {  /* released without a change: carry on as before */
            if (!dragging || changed) { return; }
            dragging = false;
            if (state.speed && replaying()) { clock = {wall: performance.now(), at: state.at}; step(); }
            render();
        }, 60);
    }, true);

    /* Keys on the slider: a minute (Shift: ten) per arrow, an hour per page key, the ends with Home and
     * End — in the bar's direction. A run of key presses is one history entry. */
    var keyed = 0;
    document.addEventListener("keydown", function (event) {
        if (!isSlider(event) || !span || event.altKey || event.ctrlKey || event.metaKey) { return; }
        var rtl = getComputedStyle(event.target).direction === "rtl";
        var minute = event.shiftKey ? 600000 : 60000, steps = {
            ArrowUp: minute, ArrowDown: -minute, PageUp: HOUR, PageDown: -HOUR,
            ArrowRight: rtl ? -minute : minute, ArrowLeft: rtl ? minute : -minute};
        var lo = windowed() ? state.from : span.first, hi = windowed() ? state.to : span.last;
        var from = replaying() ? state.at : span.last, at = null;
        if (steps[event.key] !== undefined) { at = from + steps[event.key]; }
        if (event.key === "Home") { at = lo; }
        if (event.key === "End") { at = hi; }
        if (at === null) { return; }
        event.preventDefault();
        var now = performance.now(), push = now - keyed > 1500;
        keyed = now;
        at = Math.max(lo, Math.min(hi, at));
        if (!replaying() && at >= span.last - 1000) { return; }
        stopTimers();
        clock = state.speed ? {wall: now, at: at} : null;
        commit({at: at, from: state.from, to: state.to, speed: state.speed}, push);
    }, true);

    /* The window menu, opened: its times start as the window shown. The export menu: the count. */
    document.addEventListener("toggle", function (event) {
        var menu = event.target;
        if (!menu || !menu.open || !menu.closest || !menu.closest("#" + BAR)) { return; }
        if (menu.classList.contains("basira-tb-window")) {
            menu.classList.remove("is-bad");
            var range = windowed() ? [state.from, state.to]
                : (span ? [Math.max(span.first, span.last - HOUR), span.last] : null);
            if (range && typeof api().set_props === "function") {
                api().set_props(FROM, {value: inputText(range[0])});
                api().set_props(TO, {value: inputText(range[1])});
            }
        } else if (menu.classList.contains("basira-tb-export")) {
            count();
        }
    }, true);

    /* --------------------------------------------------------------------------- Dash's callbacks */

    /* The moment, the archive's span, the language or the view changed: take what is new, redraw the
     * bar; the live refresh's interval is off during a replay (the bar asks for its frames). */
    function sync(time, spanData, langValue, scopeData, settings) {
        if (settings && settings.words) { conf = settings; }
        var relabelled = langValue && langValue !== lang;
        lang = langValue || lang;
        span = spanData && spanData.first !== null && spanData.first !== undefined ? spanData : null;
        view = scopeData || {};
        var t = time || {};
        if (!(t.stamp !== undefined && t.stamp !== null && t.stamp === mine)) {
            /* not this file's own: the page's first moment, or one from the history */
            state = {at: num(t.at), from: num(t.from), to: num(t.to), speed: num(t.speed)};
            stopTimers();
            clock = null;
            if (state.speed) { chosen = state.speed; }
            if (!replaying()) { drawn = null; } else { watch(); }
            var note = el(NOTE);
            if (note && note.classList.contains("is-shown") && !noteTimer) { noteTimer = setTimeout(hideNote, NOTE_MS); }
        }
        if (relabelled || !sync.done) { relabel(); sync.done = true; }
        render();
        var off = replaying();
        if (off === disabledTick) { return noUpdate(); }
        disabledTick = off;
        return off;
    }

    /* A frame was drawn (or could not be): the bar follows, and a playing replay asks for the next. */
    function frame(data) {
        if (!data) { return noUpdate(); }
        if (data.error) {
            stopTimers();
            clock = null;
            showNote();
            if (replaying()) { live(false); }
            return noUpdate();
        }
        if (data.at !== state.at) { return noUpdate(); }  /* an older one: the newer is on its way */
        if (stall) { clearTimeout(stall); stall = null; }
        drawn = data.at;
        render();
        if (state.speed && !dragging) {
            if (!clock) { clock = {wall: performance.now(), at: data.at}; }
            timer = setTimeout(step, Math.max(0, conf.frame_ms - (performance.now() - asked)));
        }
        return noUpdate();
    }

    /* The timeline's reading: the incident chosen, and the moment to search from (timeline.py). Live,
     * read again at each beat of its own interval (`every`: the timeline's LIVE_EVERY_MS, not the
     * page's tick — a callback each second that changed nothing 14 times in 15; issue 17). */
    function anchor(scopeData, time, every, previous) {
        var s = scopeData || {}, incident = s.incident || null;
        if (!incident) { return previous ? null : noUpdate(); }
        var at = time && time.at !== null && time.at !== undefined ? Math.round(Number(time.at)) : null;
        var next = {region: s.region || null, agency: s.agency || null, incident: incident, at: at, slot: null,
                    fly: false};
        var same = previous && previous.incident === incident && previous.region === next.region &&
            previous.agency === next.agency;
        if (at !== null) {
            if (same && previous.at !== null) { return noUpdate(); }  /* a replay reads it once */
            next.fly = true;
        } else {
            next.slot = every || 0;
            if (same && previous.at === null && previous.slot === next.slot) { return noUpdate(); }
        }
        return next;
    }

    /* A click on an incident's marker chooses it (a cluster's click zooms, as before). */
    function pickIncident(click, scopeData) {
        var props = click && click.properties;
        if (!props || props.cluster) { return noUpdate(); }
        var id = click.id !== undefined && click.id !== null ? click.id : props.id;
        var s = scopeData || {};
        if (id === undefined || id === null || String(id) === s.incident) { return noUpdate(); }
        return {region: s.region || null, agency: s.agency || null, incident: String(id), history: false,
                at: Date.now()};
    }

    /* --------------------------------------------------------------------------- the tracks layer */

    function trackStyle(feature) {
        var p = (feature && feature.properties) || {};
        return {color: p.colour || "#74c0fc", weight: 4, opacity: 0.9, lineCap: "round", lineJoin: "round",
                dashArray: p.arrived ? null : "6 6"};
    }

    function trackTip(feature, layer) {
        var node = document.createElement("span");
        node.textContent = String(((feature && feature.properties) || {}).unit || "");  /* producer text */
        node.setAttribute("dir", "ltr");
        layer.bindTooltip(node, {sticky: true, className: "basira-tooltip"});
    }

    /* The tracks' functional props (dash-leaflet), and `restore` for command.js. */
    window.basira = Object.assign({}, window.basira, {replay: {
        trackStyle: trackStyle,
        trackTip: trackTip,
        restore: restore,
        parseRiyadh: parseRiyadh
    }});

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside["basira.replay"] = Object.assign({}, window.dash_clientside["basira.replay"], {
        sync: sync,
        frame: frame,
        anchor: anchor,
        pickIncident: pickIncident
    });
}());
