"""The live picture at ``/``: the map of the Kingdom with every layer, the KPI strip, the time of the data.

The layout is drawn once per visit; after that, two callbacks keep it current without ever touching
the map's centre or zoom (so the view never jumps):

* :func:`refresh` — every ``settings.refresh_ms``: reads the scope's picture once through a
  :class:`~layers.ReadCache`, pushes each live layer's FeatureCollection into its ``data`` prop
  (only when the store has changed since this browser's last refresh), and redraws the KPI strip,
  the data time and the freshness state. A Redis outage shows as the "store unreachable" state,
  keeping the last picture greyed out — never a traceback.
* :func:`relabel` — on the language toggle: flips ``dir``/``lang`` on the root and swaps every
  label, including the layers' (through their ``hideout``, so no data is rebuilt).
* a watchdog in the browser (``assets/basira.js``): when no refresh has come back for a while —
  the web server itself is gone — it says so over the map, since nothing server-side can.

The scope (region × agency) is held in a ``dcc.Store`` taken from the URL (``?region=SA-02``), so
drill-down can later change it without reloading the page.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import dash_leaflet as dl
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, callback_context, dcc, html, no_update
from dash.development.base_component import Component
from redis.exceptions import RedisError

from app.contract import ContractError, Scope
from app.i18n import direction, lang_or, t
from app.services import Services, services
from layers import LAYERS, LIVE_PART, MapContext, ReadCache, by_key
from layers.base import LAYER_ID_TYPE

from . import _widgets as w

log = logging.getLogger(__name__)

PAGE = "live"
PATH = "/"
#: The Kingdom at a glance on a 1366×768 laptop screen.
CENTER = (24.0, 45.0)
ZOOM = 5


class ID:
    """Component ids of this page (prefixed, so other pages can reuse the widgets)."""

    root = f"{PAGE}-root"
    tagline = f"{PAGE}-tagline"
    lang = f"{PAGE}-lang"
    demo = f"{PAGE}-demo"
    asof = f"{PAGE}-asof"
    state = f"{PAGE}-state"
    banner = f"{PAGE}-banner"
    kpis = f"{PAGE}-kpis"
    legend = f"{PAGE}-legend"
    map = f"{PAGE}-map"
    tick = f"{PAGE}-tick"
    scope = f"{PAGE}-scope"
    seen = f"{PAGE}-seen"
    beat = f"{PAGE}-beat"
    watch = f"{PAGE}-watch"
    watchdog = f"{PAGE}-watchdog"


LIVE_DATA = Output({"type": LAYER_ID_TYPE, "page": PAGE, "layer": ALL, "part": LIVE_PART}, "data")
HIDEOUTS = Output({"type": LAYER_ID_TYPE, "page": PAGE, "layer": ALL, "part": ALL}, "hideout")


def _scope(region: str | None, agency: str | None) -> Scope:
    try:
        return Scope.parse(region, agency)
    except ContractError:
        return Scope()  # a mistyped link shows the nation rather than an error page


def layout(
    lang: str | None = None, region: str | None = None, agency: str | None = None, **_: Any
) -> Component:
    """The page for ``?lang=&region=&agency=`` (all optional; unknown values fall back to defaults)."""
    settings = services().settings
    lang = lang_or(lang, settings.language)
    scope = _scope(region, agency)
    map_ctx = MapContext(page=PAGE, lang=lang, settings=settings)
    return html.Div(
        id=ID.root,
        dir=direction(lang),
        lang=lang,
        className="basira basira-live is-empty",
        children=[
            html.Header(
                className="basira-bar",
                children=[
                    html.Div(
                        className="basira-brand",
                        children=[
                            html.Span("بصيرة", className="basira-brand-ar", lang="ar"),
                            html.Span("Basira", className="basira-brand-en", lang="en"),
                            html.Span(t("app.tagline", lang), id=ID.tagline, className="basira-tagline"),
                        ],
                    ),
                    html.Span(t("demo.badge", lang), id=ID.demo, className="basira-demo", hidden=True,
                              title=t("demo.title", lang)),
                    html.Div(className="basira-bar-fill"),
                    html.Span(t("state.empty", lang), id=ID.state, className="basira-state is-empty",
                              role="status"),
                    html.Div(w.as_of_text(w.Freshness(w.EMPTY), lang), id=ID.asof, className="basira-asof"),
                    dcc.RadioItems(
                        id=ID.lang,
                        options=[{"label": "العربية", "value": "ar"}, {"label": "English", "value": "en"}],
                        value=lang,
                        inline=True,
                        className="basira-lang",
                    ),
                ],
            ),
            html.Section(w.kpi_strip(None, lang), id=ID.kpis, className="basira-kpis"),
            html.Main(
                className="basira-stage",
                children=[
                    dl.Map(
                        id=ID.map,
                        center=list(CENTER),
                        zoom=ZOOM,
                        minZoom=4,
                        maxZoom=18,
                        zoomSnap=0.5,
                        className="basira-map",
                        attributionControl=False,  # replaced by one that credits every layer
                        children=[
                            *(c for layer in LAYERS for c in layer.component(map_ctx)),
                            dl.AttributionControl(prefix=w.attribution(LAYERS), position="bottomright"),
                        ],
                    ),
                    html.Div(
                        w.banner_text(w.Freshness(w.EMPTY), lang),
                        id=ID.banner,
                        className="basira-banner",
                        role="alert",
                    ),
                    html.Div(
                        t("lost.banner", lang), id=ID.watchdog, className="basira-watchdog", role="alert"
                    ),
                    html.Details(w.legend(LAYERS, lang), id=ID.legend, open=True, className="basira-legend"),
                ],
            ),
            dcc.Store(id=ID.scope, data={"region": scope.region, "agency": scope.agency}),
            dcc.Store(id=ID.seen, data=None),
            dcc.Store(id=ID.beat, data=None),
            dcc.Store(id=ID.watch, data={"limit_ms": _silence_limit_ms(settings), "heard": None}),
            dcc.Interval(id=ID.tick, interval=settings.refresh_ms),
        ],
    )


def _now_ms() -> int:
    return int(time.time() * 1000)


def _silence_limit_ms(settings: Any) -> int:
    """How long without any answer from the server before the page says it is not live."""
    return int(max(settings.stale_after_s * 1000, 5 * settings.refresh_ms))


def register_callbacks(app: Dash, context: Services) -> None:
    """Register this page's callbacks on ``app``; they read the store of ``context``."""
    settings, store = context.settings, context.store

    @app.callback(
        LIVE_DATA,
        Output(ID.kpis, "children"),
        Output(ID.asof, "children"),
        Output(ID.state, "children"),
        Output(ID.state, "className"),
        Output(ID.banner, "children"),
        Output(ID.root, "className"),
        Output(ID.demo, "hidden"),
        Output(ID.seen, "data"),
        Output(ID.beat, "data"),
        Input(ID.tick, "n_intervals"),
        Input(ID.lang, "value"),
        Input(ID.scope, "data"),
        State(ID.seen, "data"),
    )
    def refresh(_tick: int | None, lang: str | None, scope_data: dict | None, seen: str | None) -> tuple:
        lang = lang_or(lang, settings.language)
        scope_data = scope_data if isinstance(scope_data, dict) else {}
        scope = _scope(scope_data.get("region"), scope_data.get("agency"))
        live_keys = [o["id"]["layer"] for o in callback_context.outputs_list[0]]
        now_ms = _now_ms()
        try:
            reads = ReadCache(store)
            times = reads.freshness()
            demo = reads.is_demo()
            version = f"{scope.token}|{times['as_of']}|{times['applied_at']}"
            if version == seen:
                payloads: list[Any] = [no_update] * len(live_keys)
            else:
                payloads = [by_key(key).data(reads, scope) for key in live_keys]
            kpis = reads.kpis(scope, now_ms)
            fresh = w.Freshness.of(times["as_of"], times["caught_up_at"], now_ms, settings.stale_after_s)
        except (RedisError, OSError) as error:
            log.warning("live page: store unreachable (%s)", error)
            fresh = w.Freshness(w.DOWN)
            return (
                [no_update] * len(live_keys),
                no_update,  # keep the last figures, greyed out by the state class
                no_update,
                w.state_text(fresh, lang),
                f"basira-state is-{fresh.state}",
                w.banner_text(fresh, lang),
                f"basira basira-live is-{fresh.state}",
                no_update,
                None,  # re-send everything once the store is back
                now_ms,
            )
        return (
            payloads,
            w.kpi_strip(kpis, lang),
            w.as_of_text(fresh, lang),
            w.state_text(fresh, lang),
            f"basira-state is-{fresh.state}",
            w.banner_text(fresh, lang),
            f"basira basira-live is-{fresh.state}",
            not demo,
            version,
            now_ms,
        )

    @app.callback(
        HIDEOUTS,
        Output(ID.root, "dir"),
        Output(ID.root, "lang"),
        Output(ID.tagline, "children"),
        Output(ID.legend, "children"),
        Output(ID.demo, "title"),
        Output(ID.watchdog, "children"),
        Input(ID.lang, "value"),
        prevent_initial_call=True,
    )
    def relabel(lang: str | None) -> tuple:
        lang = lang_or(lang, settings.language)
        targets = callback_context.outputs_list[0]
        hideouts = [by_key(o["id"]["layer"]).hideout(lang, settings) for o in targets]
        return (
            hideouts,
            direction(lang),
            lang,
            t("app.tagline", lang),
            w.legend(LAYERS, lang),
            t("demo.title", lang),
            t("lost.banner", lang),
        )

    # The watchdog runs in the browser: it still works when this server does not answer at all.
    app.clientside_callback(
        ClientsideFunction("basira", "heard"),
        Output(ID.watch, "data"),
        Input(ID.beat, "data"),
        State(ID.watch, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("basira", "watchdog"),
        Output(ID.watchdog, "className"),
        Input(ID.tick, "n_intervals"),
        State(ID.watch, "data"),
    )
