"""The command view's callbacks: the refresh of the tick, the legend, the relabelling on a change of
language, the live feed's start, the watchdog; the drill-down's own are :func:`.drill.register`'s, the
time bar's :func:`.timebar.register`'s and the incident timeline's :func:`.timeline.register`'s.

The refresh draws the picture of the view's moment: live (the store's summary, every tick), or — when
the time bar holds a moment of the archive — that moment, replayed (:mod:`.replayed`); one callback for
both, so an answer of one kind can never land over a picture of the other (Dash drops the answer of a
callback asked again before it answered)."""

from __future__ import annotations

from typing import Any

from dash import ALL, ClientsideFunction, Dash, Input, Output, State, html, no_update
from dash.development.base_component import Component

from app.i18n import direction, lang_or, t
from app.services import Services
from layers import LAYERS, by_key
from layers.base import FEED_PART

from .._kit import live
from .._kit import widgets as w
from .._kit.markup import to_html
from ..ports import panel as port_panel
from . import alerts, drill, incidents, nearest, replayed, summary, timebar, timeline
from .drill import View
from .layout import ID, PAGE, corners
from .timebar import TB, Moment


def register_callbacks(app: Dash, context: Services) -> None:
    """Register this page's callbacks on ``app``; they read the store of ``context``."""
    settings, store = context.settings, context.store
    targets = w.Targets.of(settings)

    drill.register(app, context, ID)
    timebar.register(app, context, ID)
    timeline.register(app, context, ID)
    alerts.register(app, context, ID)  # the panel's alerts and their pins (.alerts)

    @app.callback(
        Output(ID.legend_title, "children"),
        Output(ID.legend_html, "data"),
        Input(ID.lang, "value"),
        Input(ID.visible, "data"),
        prevent_initial_call=True,
    )
    def legend(lang: str | None, visible: Any) -> tuple[str, str]:
        """The legend of the layers switched on in the layer control (``assets/command.js`` reports
        them), in the page's language: its title, and its swatches as HTML."""
        lang = lang_or(lang, settings.language)
        keys = {k for k in visible if isinstance(k, str)} if isinstance(visible, list) else None
        return t("legend.title", lang), to_html(w.legend_sections(LAYERS, lang, keys, settings))

    page = live.LivePage(PAGE, settings, store, root="basira basira-live basira-command")

    @app.callback(
        output=page.outputs(
            "state", "state_class", "banner", "root_class", "demo", "seen", "beat",
            kpis=Output(ID.kpis_html, "data"),
            incidents=Output(ID.incidents_html, "data"),
            nearest=Output(ID.nearest, "children"),
            asof=Output(ID.asof_html, "data"),
            shown=Output(ID.shown, "data"),
            fed=live.layers_output(PAGE, "data", FEED_PART),
            band=Output(TB.band_text, "children"),
            band_hidden=Output(TB.band, "hidden"),
            frame=Output(TB.frame, "data"),
            note=Output(TB.note, "children"),
        ),
        inputs=[page.pulse, Input(ID.lang, "value"), Input(ID.scope, "data"), Input(TB.time, "data")],
        state=[State(ID.seen, "data"), State(ID.shown, "data")],
    )
    def refresh(_pulse: Any, lang: str | None, scope_data: Any, time_data: Any, seen: Any,
                shown: str | None) -> dict[str, Any]:
        lang = lang_or(lang, settings.language)
        view = View.of(scope_data)
        moment = Moment.of(time_data)
        if moment.replay:  # a moment of the archive: the time bar asks for each frame
            picture = replayed.picture(context, moment, view, lang, shown, live.layer_keys("live"),
                                       live.layer_keys("fed"))
            for name in ("kpis", "incidents", "asof"):
                if name in picture:
                    picture[name] = _markup(picture[name])
            return live.answer(page.outputs_named, **{**picture, "nearest": []})  # no decision aid
        scope = view.scope
        keys = live.layer_keys("live")
        now = live.now_ms()
        try:
            tick = page.tick(now)
            shared = summary.summary(store, scope, keys, settings.refresh_ms)
            panel_sign, panel, lines = _panel(shared, view, lang, now, shown)
            # each layer's data is sent only when it differs from what the browser has (its digest; a
            # summary kept from before digests were made stands for all its layers by its version)
            version = live.version(scope, shared["as_of"], shared["applied_at"])
            digests = {key: (shared.get("digests") or {}).get(key) or version for key in keys}
            payloads = live.payloads(keys, digests, seen, lambda key: shared["layers"][key])
        except live.UNREACHABLE as error:
            return page.down(error, lang, now)  # the last figures and list stay, greyed out
        return page.answer(
            tick.fresh, lang,
            live=payloads,
            kpis=summary.drawn(store, shared, f"kpis:{lang}",
                               lambda: w.kpi_strip(shared["kpis"], lang, targets)),
            incidents=panel,
            nearest=lines,
            asof=to_html(w.as_of_text(tick.fresh, lang)),
            demo=not tick.demo,
            seen=digests,
            shown=panel_sign,
            beat=now,
            band_hidden=True,
        )

    def _panel(
        shared: dict[str, Any], view: View, lang: str, now_ms: int, shown: str | None
    ) -> tuple[str, Any, Any]:
        """The chosen incident's details and its nearest available units (:mod:`.nearest`), or the
        scope's incident list (rows link to their view), as HTML; its digest; and the map's lines to
        those units. ``no_update`` instead of both when the digest is ``shown``'s (nothing visible
        changed)."""
        if view.incident:
            feature = store.live.incident(view.incident, view.scope)
            ranking = nearest.read(store, feature, now_ms)
            sign = incidents.digest("card", lang, view.data(), feature, now_ms // 60_000,
                                    nearest.state(ranking))
            if sign == shown:
                return sign, no_update, no_update
            region = (feature or {}).get("properties", {}).get("region")
            name = drill.places_of(settings).region_name(region, lang) if region else None
            back = html.A(t("detail.back", lang), href=view.up_to("agency").query(lang),
                          className="basira-back", **{"data-nav": "1"})
            return (sign, to_html([back, incidents.incident_card(feature, lang, now_ms, name),
                                   *nearest.section(ranking, lang)]), nearest.lines(ranking, lang))
        ordered, total = shared["top"], shared["total"]
        sign = incidents.digest("list", lang, view.data(), total, incidents.rows_state(ordered, now_ms))
        if sign == shown:
            return sign, no_update, no_update
        def href(incident: str) -> str:
            return View(view.region, view.agency, incident).query(lang)

        def draw() -> list[Component]:
            return incidents.incident_list(ordered, lang, now_ms, href_of=href, total=total)

        return sign, summary.drawn(store, shared, f"list:{lang}:{view.region}:{view.agency}", draw), []

    @app.callback(
        output=dict(
            hideouts=live.layers_output(PAGE, "hideout", ALL),
            dir=Output(ID.root, "dir"),
            lang=Output(ID.root, "lang"),
            tagline=Output(ID.tagline, "children"),
            demo_title=Output(ID.demo, "title"),
            watchdog=Output(ID.watchdog, "children"),
            regions=Output(ID.region, "options"),
            agencies=Output(ID.agency, "options"),
            zoom_at=Output(ID.zoom, "position"),
            layers_at=Output(ID.layers, "position"),
            credits_at=Output(ID.credits, "position"),
            ports=Output(ID.ports, "children"),
            ports_href=Output(ID.ports, "href"),
            account=Output(ID.account, "children"),
            sheet_title=Output(ID.sheet_title, "children"),
        ),
        inputs=[Input(ID.lang, "value")],
        prevent_initial_call=True,
    )
    def relabel(lang: str | None) -> dict[str, Any]:
        lang = lang_or(lang, settings.language)
        at = corners(lang)
        return {
            "hideouts": [by_key(key).hideout(lang, settings) for key in live.layer_keys("hideouts")],
            "dir": direction(lang),
            "lang": lang,
            "tagline": t("app.tagline", lang),
            "demo_title": t("demo.title", lang),
            "watchdog": t("lost.banner", lang),
            "regions": drill.region_options(lang, drill.places_of(settings)),
            "agencies": drill.agency_options(lang),
            "zoom_at": at["zoom"],
            "layers_at": at["layers"],
            "credits_at": at["credits"],
            "ports": t("ports.nav", lang),
            "ports_href": f"/ports?lang={lang}",
            "account": w.account(lang),
            "sheet_title": t("sheet.title", lang),
        }

    # The map's incidents and units come from the live feed (assets/feed.js), for the view's scope;
    # in a replay the feed stops (the refresh draws the replayed ones), and starts again back in live.
    app.clientside_callback(
        ClientsideFunction("basira.feed", "start"),
        Output(ID.feed, "data"),
        Input(ID.scope, "data"),
        Input(TB.time, "data"),
        State(ID.feed, "data"),
    )

    # The legend opens by itself where the map has room for it (a tall screen); else it waits to be asked.
    app.clientside_callback(
        ClientsideFunction("basira.command", "legendOpen"),
        Output(ID.legend, "open"),
        Input(ID.legend, "id"),
    )

    # The KPI strip, the incident panel, the data time and the legend's swatches come as HTML
    # (.._kit.markup): put in place in the browser, outside Dash. The first three come with each
    # refresh: one callback puts them all (each callback costs the page a pass over its components),
    # and the phone's sheet's count with them, read from the list put in place (assets/markup.js).
    app.clientside_callback(
        ClientsideFunction("basira.markup", "fillPanel"),
        Output(ID.sheet_count, "children"),
        Input(ID.kpis_html, "data"),
        Input(ID.incidents_html, "data"),
        Input(ID.asof_html, "data"),
        State(ID.kpis, "id"),
        State(ID.incidents, "id"),
        State(ID.asof, "id"),
    )
    app.clientside_callback(  # (its output is never written)
        ClientsideFunction("basira.markup", "fill"),
        Output(ID.legend_body, "data-filled"),
        Input(ID.legend_html, "data"),
        State(ID.legend_body, "id"),
    )

    # Phones and tablets (assets/mobile.js): a tap on the bottom sheet's handle opens or closes it (its
    # count comes with the incident list, above).
    app.clientside_callback(
        ClientsideFunction("basira.mobile", "toggleSheet"),
        Output(ID.panel, "className"),
        Output(ID.sheet, "aria-expanded"),
        Input(ID.sheet, "n_clicks"),
        State(ID.panel, "className"),
        prevent_initial_call=True,
    )

    # The refresh is paced by its answers, and the watchdog runs in the browser: it still works when
    # this server does not answer at all.
    page.register_pace(app, ID.tick, watchdog=True)

    port_panel.register(app, context, PAGE)


def _markup(value: Any) -> Any:
    """Components as HTML text (:func:`.._kit.markup.to_html`); ``no_update`` as it is."""
    return value if value is no_update else to_html(value)
