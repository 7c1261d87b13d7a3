"""The wall's callbacks: the refresh of the tick, the dates under the clock, the alerts (:mod:`.alerts`),
and the tour, alert and clock that run in the browser (``assets/wall.js``)."""

from __future__ import annotations

from typing import Any

from dash import ALL, ClientsideFunction, Dash, Input, Output, State
from dash.development.base_component import Component

from app.auth import scope_for
from app.i18n import lang_or
from app.services import Services
from layers import by_key

from .._kit import live
from .._kit import places as _places
from .._kit import widgets as w
from . import alerts, clock, panels
from .layout import ID, PAGE


def register_callbacks(app: Dash, context: Services) -> None:
    """Register the wall's callbacks on ``app``; they read the store of ``context``."""
    settings, store = context.settings, context.store
    regions = {p.code: p for p in _places.regions(store.reference)}
    targets = w.Targets.of(settings)
    alert_window_ms = int(settings.wall_alert_s * 1000)

    page = live.LivePage(PAGE, settings, store, root="basira-wall", state="basira-state wall-state")

    @app.callback(
        output=page.outputs(
            "state", "state_class", "banner", "root_class", "demo", "seen", "beat",
            kpis=Output(ID.kpis, "children"),
            ranking=Output(ID.ranking, "children"),
            feed=Output(ID.feed, "children"),
            tallies=Output(ID.tallies, "data"),
            critical=Output(ID.critical, "data"),
            last_live=Output(ID.last_live, "data"),
        ),
        inputs=[page.pulse],
        state=[State(ID.stop, "data"), State(ID.lang, "data"), State(ID.seen, "data"),
               State(ID.last_live, "data")],
    )
    def refresh(_pulse: Any, stop: str | None, lang: str | None, seen: str | None,
                last_live: int | None) -> dict[str, Any]:
        lang = lang_or(lang, settings.wall_language)
        keys = live.layer_keys("live")
        now = live.now_ms()

        def banner(fresh: w.Freshness) -> Any:
            return panels.banner(fresh, last_live, now, lang)

        try:
            tick = page.tick(now)
            reads = store.layers.for_refresh(now)
            scope = scope_for()  # everything the viewer may see (a wall account may be limited)
            version = tick.version(scope)
            payloads = live.payloads(keys, version, seen, lambda key: by_key(key).data(reads, scope))
            incidents, units = reads.incidents(scope), reads.units(scope)
            kpis = reads.kpis(scope, now)
        except live.UNREACHABLE as error:
            return page.down(error, lang, now, banner)
        tallies = _places.tally(incidents, units)
        recent = panels.critical(incidents, regions, now, max(panels.FEED_MS, alert_window_ms), lang)
        return page.answer(
            tick.fresh, lang, banner(tick.fresh),
            live=payloads,
            kpis=w.kpi_strip(kpis, lang, targets),
            ranking=panels.ranking([p for p in regions.values() if p.code in scope.regions], tallies, stop,
                                   lang),
            feed=panels.feed(recent, lang),
            tallies=panels.tallies_data(tallies, (kpis.get("coverage") or {}).get("excluded", ())),
            critical=[item for item in recent if now - item["opened"] <= alert_window_ms],
            demo=not tick.demo,
            seen=version,
            beat=now,
            last_live=tick.caught_up_at or last_live,
        )

    @app.callback(Output(ID.dates, "children"), Input(ID.minute, "n_intervals"), State(ID.lang, "data"))
    def redate(_minute: int | None, lang: str | None) -> list[Component]:
        """The dates under the clock (they change at midnight in Riyadh; this runs every minute)."""
        return clock.dates(live.now_ms(), lang_or(lang, settings.wall_language))

    page.register_pace(app, ID.tick)  # a refresh slower than the tick is still shown (see the kit)

    # The browser's side (assets/wall.js): `heard` keeps each answer of the refresh for the tour, which
    # runs on its own timer and so never waits for the server (see assets/modes.js).
    app.clientside_callback(
        ClientsideFunction("basira.wall", "heard"),
        Output(ID.heard, "data"),
        Input(ID.beat, "data"),
        Input(ID.critical, "data"),
        Input(ID.tallies, "data"),
    )
    app.clientside_callback(
        ClientsideFunction("basira.wall", "tour"),
        Output(ID.map, "viewport"),
        Output(ID.tour, "data"),
        Output(ID.stop, "data"),
        Output(ID.root, "data-tour"),
        Output(ID.alert, "className"),
        Output(f"{PAGE}-alert-category", "children"),
        Output(f"{PAGE}-alert-where", "children"),
        Output(f"{PAGE}-alert-age", "children"),
        Output(f"{PAGE}-alert-status", "children"),
        Output(f"{PAGE}-alert-more", "children"),
        Output(ID.place, "children"),
        Output({"type": panels.STOP_PILL, "stop": ALL}, "className"),
        Output(f"{PAGE}-stop-name", "children"),
        Output(f"{PAGE}-stop-open", "children"),
        Output(f"{PAGE}-stop-critical", "children"),
        Output(f"{PAGE}-stop-free", "children"),
        Output(f"{PAGE}-figure-critical", "className"),
        Output(ID.watchdog, "className"),
        Output(alerts.WA.card, "className"),
        *[Output(field, "children") for field in alerts.WA.fields],
        Input(ID.second, "n_intervals"),
        Input(alerts.WA.nudge, "data"),  # set by `alertsHeard` (no Dash dependency: see assets/modes.js)
        State(ID.tour, "data"),
        State(ID.config, "data"),
    )
    alerts.register(app, context, ID)

    app.clientside_callback(
        ClientsideFunction("basira.wall", "clock"),
        Output(ID.time, "children"),
        Input(ID.second, "n_intervals"),
        State(ID.lang, "data"),
    )
