/*
 * The video wall's clientside callbacks (app/pages/wall/), namespace "basira.wall".
 *
 * `heard` keeps each answer of the server's refresh (modes.js explains why not as Dash inputs);
 * `alertsHeard` keeps the severe alerts the server read when an alert changed (app/pages/wall/alerts.py)
 * and runs the tour at once (`wall-nudge`, set outside Dash's graph, so the tour never waits for the
 * server's callback either); `tour` runs every half second, never waiting for the server: it moves the
 * tour on, raises and ends the alert of a new priority-1 incident and the full-width card of a severe
 * alert, shows the current stop and its figures, and says when the server has gone silent; `clock` ticks. Each is a step function from the previous state (a
 * dcc.Store) to the next and to what changes on the page; texts come from the server in the wall's
 * language, numbers are formatted as app/i18n.py does.
 */
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside["basira.wall"] = Object.assign({}, window.dash_clientside["basira.wall"], (function () {
    "use strict";

    var B = function () { return window.basira; };
    var KEY = "wall";
    var ALERTED_KEPT = 300;
    var ALERT_ZOOM = 11;
    var ALARM_KEY = "wall-alerts";
    var ALARM_ZOOM_NEAR = 11, ALARM_ZOOM_AREA = 8;
    var NUDGE = "wall-nudge";
    var OUTPUTS = 26;

    function flyToStop(stop) {
        return {bounds: stop.bounds, transition: "flyToBounds", options: {duration: 2.5, padding: [40, 40]}};
    }

    /* The server's priority-1 incidents not shown yet, oldest first. */
    function waiting(list, alerted) {
        var seen = {};
        (alerted || []).forEach(function (id) { seen[id] = true; });
        return list.filter(function (item) { return !seen[item.id]; });
    }

    /* The alert card's fields: [class, category, where, age, status, more]. */
    function card(alert, list, s, config, now) {
        if (!alert) { return ["wall-alert", "", "", "", "", ""]; }
        var item = alert.item || {};
        var others = waiting(list, s.alerted).length;
        var more = others ? String(config.more || "+{n}").replace("{n}", B().modesDigits(others, config.lang)) : "";
        return [
            "wall-alert is-on", item.category || "", [item.region, item.agency].filter(Boolean).join(" · "),
            B().modesAge(now - (item.opened || now), config.lang), item.status_label || "", more
        ];
    }

    /* The severe alert's full-width card: [class, title, headline, text, where, age, status, more]. */
    function alarmCard(alarm, list, s, config, now) {
        if (!alarm) { return ["wall-alert wall-alarm", "", "", "", "", "", "", ""]; }
        var item = alarm.item || {};
        var others = waiting(list, s.alarmed).length;
        var more = others ? String(config.more_alerts || "+{n}").replace("{n}", B().modesDigits(others, config.lang))
                          : "";
        var severity = /^[a-z]+$/.test(String(item.severity)) ? item.severity : "severe";
        return [
            "wall-alert wall-alarm is-on is-" + severity, item.title || "", item.headline || "", item.text || "",
            item.where || "", B().modesAge(now - (item.raised_at || now), config.lang), item.status || "", more
        ];
    }

    /* Where the map goes for a severe alert (nowhere when it has no place: a silent stream). */
    function flyToAlarm(item, no) {
        if (item.lat === null || item.lat === undefined || item.lon === null || item.lon === undefined) { return no; }
        return {center: [item.lat, item.lon], zoom: item.near ? ALARM_ZOOM_NEAR : ALARM_ZOOM_AREA,
                transition: "flyTo", options: {duration: 2}};
    }

    /* Where the map is, for the header: the region of the alert the map flew to (a severe alert's
     * "where", a new incident's region), else the current stop. The tour bar keeps the stop. */
    function placeName(s, stop) {
        var alarm = s.alarm && s.alarm.item, alert = s.alert && s.alert.item;
        return (alarm && alarm.where) || (!s.alarm && alert && alert.region) || stop.name;
    }

    /* The header's place, the tour bar's classes, the current stop's name and its figures — each only
     * when changed. */
    function stopView(s, stops, tallies, config, no) {
        var stop = stops[s.index % stops.length];
        var row = tallies ? (tallies[stop.code] || [0, 0, 0]) : null;
        var figures = row ? row.map(function (n) { return B().modesInt(n, config.lang); }) : ["—", "—", "—"];
        var shownStop = s.shownStop === stop.code, key = figures.join("|");
        var shownFigures = shownStop && s.shownFigures === key;
        var place = placeName(s, stop), shownPlace = s.shownPlace === place;
        s.shownStop = stop.code;
        s.shownFigures = key;
        s.shownPlace = place;
        return [
            shownPlace ? no : place,
            shownStop ? no : stops.map(function (x) { return x.code === stop.code ? "is-current" : ""; }),
            shownStop ? no : stop.name,
            shownFigures ? no : figures[0], shownFigures ? no : figures[1], shownFigures ? no : figures[2],
            shownFigures ? no : (row && row[1] ? "mode-figure is-alert" : "mode-figure")
        ];
    }

    return {
        /* Keep the refresh's answer: the recent priority-1 incidents and each region's figures. */
        heard: function (beat, critical, tallies) {
            if (beat == null) { return window.dash_clientside.no_update; }  /* nothing heard yet */
            var before = B().modesLatest(KEY).value || {};
            B().modesKeep(KEY, {
                critical: Array.isArray(critical) ? critical : before.critical,
                tallies: tallies || before.tallies
            });
            return beat;
        },

        /* Keep the severe alerts the server read (newest first) for the tour, and run the tour now. */
        alertsHeard: function (alerts) {
            B().modesKeep(ALARM_KEY, Array.isArray(alerts) ? alerts : []);
            var dc = window.dash_clientside;
            if (dc && typeof dc.set_props === "function") { dc.set_props(NUDGE, {data: Date.now()}); }
            return Date.now();
        },

        /* The clock: HH:MM:SS in Riyadh. */
        clock: function (tick, lang) {
            return B().modesClock(Date.now(), lang);
        },

        /*
         * One step of the tour. `config`: {stops: [{code, name, bounds}], interval_ms, alert_ms,
         * alert_min_ms, silence_ms, lang, more}. The server's list of recent priority-1 incidents
         * ({id, lat, lon, opened, status, category, region, agency, status_label}, oldest first) and
         * each stop's figures ({code: [open, critical, units free]}) come from `heard`.
         *
         * Touring: each stop for interval_ms of *touring* time (an alert pauses that clock). A
         * priority-1 incident not shown before starts an alert: fly to it, show the card. The alert
         * ends after alert_ms, or — after alert_min_ms — once the incident is no longer new
         * (dispatched, or gone); then the next one waiting, else back to the stop. The first list
         * heard only primes the tour: what it holds is on the map already, except the newest if
         * nobody has been sent to it yet.
         *
         * A severe alert (from `alertsHeard`: {id, severity, raised_at, lat, lon, near, title, headline,
         * text, where, status}, newest first) not shown before comes first: its full-width card, the map
         * flown to it, the chime (assets/alerts.js, when sound is on); an incident's card gives way to it
         * and waits. It is held as an incident's card is — alert_ms, or alert_min_ms once it is no longer
         * in the list (acknowledged or resolved) — and a newer one replaces it. The first list heard
         * primes it: only the newest is shown.
         *
         * Returns [viewport, state, stop, tour mode ("touring", "alert", "alarm"), alert class, category,
         *          where, age, status, more, place, tour bar classes, stop name, open, critical, free,
         *          critical class, watchdog, alarm class, title, headline, text, where, age, status, more].
         */
        tour: function (tick, nudge, state, config) {
            var now = Date.now(), no = window.dash_clientside.no_update;
            config = config || {};
            var stops = config.stops || [];
            if (!stops.length) { return new Array(OUTPUTS).fill(no); }
            var latest = B().modesLatest(KEY), heard = latest.value || {};
            var list = Array.isArray(heard.critical) ? heard.critical : [];
            var s = state ? Object.assign({}, state)
                          : {index: 0, used: 0, since: now, alert: null, alerted: [], started: now};
            var viewport = no, stopCode = no;
            /* The screen changed size (a browser opened on the operator's screen, then made full screen
             * on the wall): the stop is fitted to it again, at once. An alert's view keeps its place. */
            var size = window.innerWidth + "x" + window.innerHeight;
            if (s.size && s.size !== size && !s.alert && !s.alarm) {
                viewport = {bounds: stops[s.index % stops.length].bounds, options: {padding: [40, 40], animate: false}};
            }
            s.size = size;
            var byId = {};
            list.forEach(function (item) { byId[item.id] = item; });

            /* A severe alert first: it pauses the tour, and an incident's card gives way to it. */
            var alarms = B().modesLatest(ALARM_KEY).value, alarmList = Array.isArray(alarms) ? alarms : [];
            if (!s.sound && B().alerts) {
                B().alerts.configureSound(config.sound, config.sound_url, config.sound_badge);
                s.sound = true;
            }
            if (!s.alarmPrimed && Array.isArray(alarms)) {
                s.alarmed = alarmList.slice(1).map(function (x) { return x.id; });
                s.alarmPrimed = true;
            }
            var fresh = s.alarmPrimed ? waiting(alarmList, s.alarmed)[0] : null;
            if (s.alarm) {
                var shownFor = now - s.alarm.since, still = null;
                alarmList.forEach(function (x) { if (x.id === s.alarm.id) { still = x; } });
                if (still) { s.alarm = Object.assign({}, s.alarm, {item: still}); }
                if (!fresh && (shownFor >= config.alert_ms || (shownFor >= config.alert_min_ms && !still))) {
                    s.alarm = null;
                    s.since = now;      /* the stop's clock runs again */
                    viewport = flyToStop(stops[s.index % stops.length]);
                }
            }
            if (fresh) {
                if (!s.alarm && !s.alert) { s.used = (s.used || 0) + (now - s.since); }
                s.alert = null;
                s.alarm = {id: fresh.id, since: now, item: fresh};
                s.alarmed = (s.alarmed || []).concat([fresh.id]).slice(-ALERTED_KEPT);
                viewport = flyToAlarm(fresh, viewport);
                if (B().alerts) { B().alerts.chime(); }
            }

            if (!s.primed && Array.isArray(heard.critical)) {
                var newest = list.length ? list[list.length - 1] : null;
                s.alerted = list.filter(function (x) { return !(x === newest && x.status === "new"); })
                    .map(function (x) { return x.id; });
                s.primed = true;
            }
            if (s.alert) {
                var held = now - s.alert.since, current = byId[s.alert.id];
                if (current) { s.alert = Object.assign({}, s.alert, {item: current}); }
                var handled = !current || current.status !== "new";
                if (held >= config.alert_ms || (held >= config.alert_min_ms && handled)) {
                    s.alert = null;
                    s.since = now;      /* the stop's clock runs again */
                    viewport = flyToStop(stops[s.index % stops.length]);
                }
            }
            if (!s.alert && !s.alarm) {
                var next = s.primed ? waiting(list, s.alerted)[0] : null;
                if (next) {
                    s.used = (s.used || 0) + (now - s.since);
                    s.alert = {id: next.id, since: now, item: next};
                    s.alerted = (s.alerted || []).concat([next.id]).slice(-ALERTED_KEPT);
                    viewport = {center: [next.lat, next.lon], zoom: ALERT_ZOOM, transition: "flyTo",
                                options: {duration: 2}};
                } else if ((s.used || 0) + (now - s.since) >= config.interval_ms) {
                    s.index = (s.index + 1) % stops.length;
                    s.used = 0;
                    s.since = now;
                    viewport = flyToStop(stops[s.index]);
                    stopCode = stops[s.index].code;
                }
            }
            /* Silent server: no answer for silence_ms (or none at all since the page started). */
            var silent = now - (latest.at || s.started) > (config.silence_ms || 15000);
            return [viewport, s, stopCode, s.alarm ? "alarm" : s.alert ? "alert" : "touring"]
                .concat(card(s.alert, list, s, config, now))
                .concat(stopView(s, stops, heard.tallies, config, no))
                .concat([silent ? "basira-watchdog is-lost" : "basira-watchdog"])
                .concat(alarmCard(s.alarm, alarmList, s, config, now));
        }
    };
}()));
