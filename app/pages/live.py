"""The command view at ``/``: the live map, the KPIs and the incidents of a scope, drilled down by clicks.

For leadership laptops (1366×768 up to 1920×1080). The viewer drills national → region (a click on
the map's regions, or the region picker) → agency (the agency picker) → incident (the incident list);
the breadcrumb goes back up. The view lives in the URL (``/?region=SA-02&agency=traffic&lang=ar``,
see :mod:`._drill`): each change is a history entry, so a view can be bookmarked, shared, and left
with the back button. Every figure, list and layer follows the same scope.

The layout is drawn once per visit; after that the callbacks keep it current:

* :func:`._drill.navigate` — the one place the view changes (pickers, map clicks, links, the back
  button); it moves the map, once, for the new view (to the region, or to the chosen incident);
* :func:`refresh` — every ``settings.refresh_ms``: the scope's summary, built once per tick for
  every viewer (:mod:`._summary`); each refreshed layer's data (only when the store has changed since this
  browser's last refresh), the KPIs against their targets, the incident list or the chosen
  incident, the data time and the freshness state. It never touches the map's centre or zoom, so
  new data never moves the map. A Redis outage shows as "store unreachable", never a traceback;
* :func:`relabel` — on the language toggle: direction, labels, the layers' ``hideout`` (no data is
  rebuilt), and the map's controls moved to the mirrored corners;
* the legend follows the layers switched on in the layer control (reported by ``assets/command.js``:
  dash-leaflet 1.1.3's ``LayersControl.overlays`` is set once, when the control mounts, and does not
  follow the checkboxes);
* in the browser (``assets/command.js``): the URL and the back button; (``assets/basira.js``): a
  watchdog that says so when the server itself stops answering.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import time
from types import ModuleType
from typing import Any

import dash_leaflet as dl
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, callback_context, dcc, html, no_update
from dash.development.base_component import Component

from app.feed import FEED_PATH
from app.i18n import direction, lang_or, t
from app.services import Services, services
from app.store import StoreUnavailable
from layers import LAYERS, LIVE_PART, MapContext, by_key
from layers.base import LAYER_ID_TYPE
from layers.basemap import GEO_URL, REGIONS_FILE

from . import _drill, _incidents, _summary
from . import _widgets as w
from ._drill import View

log = logging.getLogger(__name__)

PAGE = "live"
PATH = "/"
#: The outline of the region in view: above the basemap and the overlays, below the place names.
FOCUS_PANE = "basira-focus"
FOCUS_PANE_Z = 445


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
    layers = f"{PAGE}-layers"
    zoom = f"{PAGE}-zoom"
    credits = f"{PAGE}-credits"
    focus = f"{PAGE}-focus"
    pick = f"{PAGE}-pick"
    panel = f"{PAGE}-panel"
    crumbs = f"{PAGE}-crumbs"
    region = f"{PAGE}-region"
    agency = f"{PAGE}-agency"
    incidents = f"{PAGE}-incidents"
    tick = f"{PAGE}-tick"
    scope = f"{PAGE}-scope"
    nav = f"{PAGE}-nav"
    url = f"{PAGE}-url"
    seen = f"{PAGE}-seen"
    shown = f"{PAGE}-shown"
    visible = f"{PAGE}-visible"
    beat = f"{PAGE}-beat"
    watch = f"{PAGE}-watch"
    watchdog = f"{PAGE}-watchdog"
    feed = f"{PAGE}-feed"
    ports = f"{PAGE}-ports"
    account = f"{PAGE}-account"


LIVE_DATA = Output({"type": LAYER_ID_TYPE, "page": PAGE, "layer": ALL, "part": LIVE_PART}, "data")
HIDEOUTS = Output({"type": LAYER_ID_TYPE, "page": PAGE, "layer": ALL, "part": ALL}, "hideout")


def corners(lang: str) -> dict[str, str]:
    """Where the map's controls sit: zoom at the reading start, the layer control at its end."""
    if direction(lang) == "rtl":
        return {"zoom": "topright", "layers": "topleft", "credits": "bottomleft"}
    return {"zoom": "topleft", "layers": "topright", "credits": "bottomright"}


def port_panel() -> ModuleType | None:
    """The border-port panel (``app.pages._port_panel``), when that module is installed."""
    name = f"{__package__}._port_panel"
    return importlib.import_module(name) if importlib.util.find_spec(name) else None


def layout(
    lang: str | None = None,
    region: str | None = None,
    agency: str | None = None,
    incident: str | None = None,
    **_: Any,
) -> Component:
    """The page for ``?lang=&region=&agency=&incident=`` (all optional; unknown values are dropped)."""
    context = services()
    settings = context.settings
    lang = lang_or(lang, settings.language)
    view = View.parse(region, agency, incident)
    places = _drill.places_of(settings)
    map_ctx = MapContext(page=PAGE, lang=lang, settings=settings, feed=True)
    at = corners(lang)
    chosen = None
    if view.incident:
        try:
            chosen = _drill.point(context.store.live.incident(view.incident, view.scope))
        except (StoreUnavailable, OSError):
            chosen = None  # the map opens on the scope; the panel will say the store is down
    ports = port_panel()
    return html.Div(
        id=ID.root,
        dir=direction(lang),
        lang=lang,
        className="basira basira-live basira-command is-empty",
        children=[
            html.Header(
                className="basira-bar",
                children=[
                    w.brand(html.Span(t("app.tagline", lang), id=ID.tagline, className="basira-tagline")),
                    html.Span(t("demo.badge", lang), id=ID.demo, className="basira-demo", hidden=True,
                              title=t("demo.title", lang)),
                    html.Div(className="basira-bar-fill"),
                    html.Span(t("state.empty", lang), id=ID.state, className="basira-state is-empty",
                              role="status"),
                    html.Div(w.as_of_text(w.Freshness(w.EMPTY), lang), id=ID.asof, className="basira-asof"),
                    html.Div(w.account(lang), id=ID.account, className="basira-account"),
                    html.A(t("ports.nav", lang), id=ID.ports, href=f"/ports?lang={lang}",
                           className="basira-nav"),
                    w.language_picker(ID.lang, lang),
                ],
            ),
            html.Section(w.kpi_strip(None, lang, w.Targets.of(settings)), id=ID.kpis,
                         className="basira-kpis"),
            html.Main(
                className="basira-stage",
                children=[
                    html.Aside(
                        id=ID.panel,
                        className="basira-panel",
                        children=[
                            html.Div(_drill.breadcrumb(view, lang, places), id=ID.crumbs),
                            html.Div(
                                className="basira-pickers",
                                children=[
                                    dcc.Dropdown(id=ID.region, options=_drill.region_options(lang, places),
                                                 value=_drill.picker_value(view.region), clearable=False,
                                                 searchable=True, className="basira-picker"),
                                    dcc.Dropdown(id=ID.agency, options=_drill.agency_options(lang),
                                                 value=_drill.picker_value(view.agency), clearable=False,
                                                 searchable=False, className="basira-picker"),
                                ],
                            ),
                            html.Div(id=ID.incidents, className="basira-incidents"),
                        ],
                    ),
                    html.Div(
                        className="basira-mapbox",
                        children=[
                            dl.Map(
                                id=ID.map,
                                **_drill.opening_view(places, view, chosen),
                                minZoom=4,
                                maxZoom=18,
                                zoomSnap=0.5,
                                className="basira-map",
                                # nothing reads the view back; and tracking it needs a `center`, which
                                # would override the fitted `bounds` (dash-leaflet 1.1.3)
                                trackViewport=False,
                                zoomControl=False,  # placed by the language (mirrored in Arabic)
                                attributionControl=False,  # replaced by one that credits every layer
                                children=[
                                    w.layer_control(LAYERS, map_ctx, ID.layers, at["layers"]),
                                    dl.Pane(
                                        name=FOCUS_PANE,
                                        style={"zIndex": FOCUS_PANE_Z},
                                        children=dl.GeoJSON(
                                            id=ID.focus,
                                            url=GEO_URL + REGIONS_FILE,
                                            filter={"variable": "basiraCommand.inFocus"},
                                            style={"variable": "basiraCommand.focusStyle"},
                                            hideout={"region": view.region},
                                            interactive=False,
                                        ),
                                    ),
                                    dl.LayerGroup(_drill.pick(chosen), id=ID.pick),
                                    dl.ZoomControl(id=ID.zoom, position=at["zoom"]),
                                    dl.AttributionControl(id=ID.credits, prefix=w.attribution(LAYERS),
                                                          position=at["credits"]),
                                ],
                            ),
                            html.Div(w.banner_text(w.Freshness(w.EMPTY), lang), id=ID.banner,
                                     className="basira-banner", role="alert"),
                            html.Div(t("lost.banner", lang), id=ID.watchdog, className="basira-watchdog",
                                     role="alert"),
                            html.Details(w.legend(LAYERS, lang, w.shown_layers(LAYERS)),
                                         id=ID.legend, open=True, className="basira-legend"),
                            *([ports.panel(PAGE, lang)] if ports else []),  # it places itself
                        ],
                    ),
                ],
            ),
            dcc.Store(id=ID.scope, data=view.data(push=False)),
            dcc.Store(id=ID.nav, data=None),
            dcc.Store(id=ID.url, data=None),
            dcc.Store(id=ID.seen, data=None),
            dcc.Store(id=ID.shown, data=None),
            dcc.Store(id=ID.visible, data=w.shown_layers(LAYERS)),
            dcc.Store(id=ID.beat, data=None),
            dcc.Store(id=ID.watch, data={"limit_ms": _silence_limit_ms(settings), "heard": None}),
            dcc.Store(id=ID.feed, data=_feed_config(map_ctx)),
            dcc.Interval(id=ID.tick, interval=settings.refresh_ms),
        ],
    )


def _feed_config(ctx: MapContext) -> dict[str, Any]:
    """What ``assets/feed.js`` needs: where to ask, how often, and which components it feeds."""
    fed = {"inc": by_key("incidents"), "unit": by_key("units")}
    return {
        "path": FEED_PATH,
        "tick_ms": ctx.settings.feed_ms,
        "ids": {kind: ctx.id(layer.key, layer.data_part(ctx)) for kind, layer in fed.items()},
    }


def _now_ms() -> int:
    return int(time.time() * 1000)


def _silence_limit_ms(settings: Any) -> int:
    """How long without any answer from the server before the page says it is not live."""
    return int(max(settings.stale_after_s * 1000, 5 * settings.refresh_ms))


def register_callbacks(app: Dash, context: Services) -> None:
    """Register this page's callbacks on ``app``; they read the store of ``context``."""
    settings, store = context.settings, context.store
    targets = w.Targets.of(settings)

    _drill.register(app, context, ID)

    @app.callback(
        Output(ID.legend, "children"),
        Input(ID.lang, "value"),
        Input(ID.visible, "data"),
        prevent_initial_call=True,
    )
    def legend(lang: str | None, visible: Any) -> list[Component]:
        """The legend of the layers switched on in the layer control (``assets/command.js`` reports
        them), in the page's language."""
        lang = lang_or(lang, settings.language)
        keys = {k for k in visible if isinstance(k, str)} if isinstance(visible, list) else None
        return w.legend(LAYERS, lang, keys)

    @app.callback(
        LIVE_DATA,
        Output(ID.kpis, "children"),
        Output(ID.incidents, "children"),
        Output(ID.asof, "children"),
        Output(ID.state, "children"),
        Output(ID.state, "className"),
        Output(ID.banner, "children"),
        Output(ID.root, "className"),
        Output(ID.demo, "hidden"),
        Output(ID.seen, "data"),
        Output(ID.shown, "data"),
        Output(ID.beat, "data"),
        Input(ID.tick, "n_intervals"),
        Input(ID.lang, "value"),
        Input(ID.scope, "data"),
        State(ID.seen, "data"),
        State(ID.shown, "data"),
    )
    def refresh(_tick: int | None, lang: str | None, scope_data: Any, seen: str | None,
                shown: str | None) -> tuple:
        lang = lang_or(lang, settings.language)
        view = View.of(scope_data)
        scope = view.scope
        live_keys = [o["id"]["layer"] for o in callback_context.outputs_list[0]]
        now_ms = _now_ms()
        try:
            times = store.meta.freshness()
            demo = store.meta.is_demo()
            shared = _summary.summary(store, scope, live_keys, settings.refresh_ms)
            panel_sign, panel = _panel(shared, view, lang, now_ms, shown)
            # what the summary's layers were built from (it may be older than `times`, within a tick)
            version = f"{scope.token}|{shared['as_of']}|{shared['applied_at']}"
            if version == seen:
                payloads: list[Any] = [no_update] * len(live_keys)
            else:
                payloads = [shared["layers"][key] for key in live_keys]
            fresh = w.Freshness.of(times["as_of"], times["caught_up_at"], now_ms, settings.stale_after_s)
        except (StoreUnavailable, OSError) as error:
            log.warning("live page: store unreachable (%s)", error)
            fresh = w.Freshness(w.DOWN)
            return (
                [no_update] * len(live_keys),
                no_update,  # keep the last figures and list, greyed out by the state class
                no_update,
                no_update,
                w.state_text(fresh, lang),
                f"basira-state is-{fresh.state}",
                w.banner_text(fresh, lang),
                f"basira basira-live basira-command is-{fresh.state}",
                no_update,
                None,  # re-send everything once the store is back
                no_update,
                now_ms,
            )
        return (
            payloads,
            _summary.drawn(store, shared, f"kpis:{lang}", lambda: w.kpi_strip(shared["kpis"], lang, targets)),
            panel,
            w.as_of_text(fresh, lang),
            w.state_text(fresh, lang),
            f"basira-state is-{fresh.state}",
            w.banner_text(fresh, lang),
            f"basira basira-live basira-command is-{fresh.state}",
            not demo,
            version,
            panel_sign,
            now_ms,
        )

    def _panel(
        shared: dict[str, Any], view: View, lang: str, now_ms: int, shown: str | None
    ) -> tuple[str, Any]:
        """The chosen incident's details, or the scope's incident list (rows link to their view), and
        its digest; ``no_update`` instead when the digest is ``shown``'s (nothing visible changed)."""
        if view.incident:
            feature = store.live.incident(view.incident, view.scope)
            sign = _incidents.digest("card", lang, view.data(), feature, now_ms // 60_000)
            if sign == shown:
                return sign, no_update
            region = (feature or {}).get("properties", {}).get("region")
            name = _drill.places_of(settings).region_name(region, lang) if region else None
            back = html.A(t("detail.back", lang), href=view.up_to("agency").query(lang),
                          className="basira-back", **{"data-nav": "1"})
            return sign, [back, _incidents.incident_card(feature, lang, now_ms, name)]
        ordered, total = shared["top"], shared["total"]
        sign = _incidents.digest("list", lang, view.data(), total, _incidents.rows_state(ordered, now_ms))
        if sign == shown:
            return sign, no_update
        def href(incident: str) -> str:
            return View(view.region, view.agency, incident).query(lang)

        def draw() -> list[Component]:
            return _incidents.incident_list(ordered, lang, now_ms, href_of=href, total=total)

        return sign, _summary.drawn(store, shared, f"list:{lang}:{view.region}:{view.agency}", draw)

    @app.callback(
        HIDEOUTS,
        Output(ID.root, "dir"),
        Output(ID.root, "lang"),
        Output(ID.tagline, "children"),
        Output(ID.demo, "title"),
        Output(ID.watchdog, "children"),
        Output(ID.region, "options"),
        Output(ID.agency, "options"),
        Output(ID.zoom, "position"),
        Output(ID.layers, "position"),
        Output(ID.credits, "position"),
        Output(ID.ports, "children"),
        Output(ID.ports, "href"),
        Output(ID.account, "children"),
        Input(ID.lang, "value"),
        prevent_initial_call=True,
    )
    def relabel(lang: str | None) -> tuple:
        lang = lang_or(lang, settings.language)
        targets_ = callback_context.outputs_list[0]
        hideouts = [by_key(o["id"]["layer"]).hideout(lang, settings) for o in targets_]
        at = corners(lang)
        return (
            hideouts,
            direction(lang),
            lang,
            t("app.tagline", lang),
            t("demo.title", lang),
            t("lost.banner", lang),
            _drill.region_options(lang, _drill.places_of(settings)),
            _drill.agency_options(lang),
            at["zoom"],
            at["layers"],
            at["credits"],
            t("ports.nav", lang),
            f"/ports?lang={lang}",
            w.account(lang),
        )

    # The map's incidents and units come from the live feed (assets/feed.js), for the view's scope.
    app.clientside_callback(
        ClientsideFunction("basiraFeed", "start"),
        Output(ID.feed, "data"),
        Input(ID.scope, "data"),
        State(ID.feed, "data"),
    )

    # The legend opens by itself where the map has room for it (a tall screen); else it waits to be asked.
    app.clientside_callback(
        ClientsideFunction("basiraCommand", "legendOpen"),
        Output(ID.legend, "open"),
        Input(ID.legend, "id"),
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

    ports = port_panel()
    if ports is not None:
        ports.register(app, context, PAGE)
