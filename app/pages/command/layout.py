"""The command view at ``/``: the live map, the KPIs and the incidents of a scope, drilled down by clicks.

For leadership laptops (1366×768 up to 1920×1080), and for phones and tablets below 1100 px wide,
where ``assets/mobile.css`` puts the map first and the panel in a bottom sheet opened by a tap on its
handle (:func:`sheet_handle`). The viewer drills national → region (a click on
the map's regions, or the region picker) → agency (the agency picker) → incident (the incident list);
the breadcrumb goes back up. The view lives in the URL (``/?region=SA-02&agency=traffic&lang=ar``,
see :mod:`.drill`): each change is a history entry, so a view can be bookmarked, shared, and left
with the back button. Every figure, list and layer follows the same scope.

The layout is drawn once per visit; after that the callbacks keep it current:

* :func:`.drill.navigate` — the one place the view changes (pickers, map clicks, links, the back
  button); it moves the map, once, for the new view (to the region, or to the chosen incident);
* :func:`refresh` — every ``settings.refresh_ms``: the scope's summary, built once per tick for
  every viewer (:mod:`.summary`); each refreshed layer's data (only when the store has changed since this
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

Under the map, the time bar (:mod:`.timebar`): live by default, or any moment of the archive
(``?at=``, ``?from=&to=&speed=``), replayed by the same refresh (:mod:`.replayed`) under a banner that
says it is not live; a chosen incident's whole life under its card (:mod:`.timeline`).
"""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl
from dash import dcc, html
from dash.development.base_component import Component

from app.feed import FEED_PATH
from app.i18n import direction, lang_or, t
from app.services import services
from layers import LAYERS, MapContext
from layers.basemap import REGIONS_FILE, geo_url
from layers.js import Namespace

from .._kit import live
from .._kit import widgets as w
from .._kit.markup import to_html
from ..ports import panel as port_panel
from . import alerts, drill, timebar, timeline
from .drill import View
from .timebar import Moment

PAGE = "live"
PATH = "/"
#: The outline of the region in view: above the basemap and the overlays, below the place names.
#: The page's functions in assets/command.js (``window.basira.command``).
COMMAND_JS = Namespace("basira", "command")
IN_FOCUS = COMMAND_JS("inFocus")
FOCUS_STYLE = COMMAND_JS("focusStyle")

FOCUS_PANE = "basira-focus"
FOCUS_PANE_Z = 445


class ID:
    """Component ids of this page (prefixed, so other pages can reuse the widgets)."""

    root = f"{PAGE}-root"
    tagline = f"{PAGE}-tagline"
    lang = f"{PAGE}-lang"
    demo = f"{PAGE}-demo"
    asof = f"{PAGE}-asof"
    #: The data time, as HTML from each refresh (``assets/markup.js``): its text changes every second,
    #: and as components each change had Dash map the page's layout again.
    asof_html = f"{PAGE}-asof-html"
    state = f"{PAGE}-state"
    banner = f"{PAGE}-banner"
    kpis = f"{PAGE}-kpis"
    #: The KPI strip's and the incident panel's HTML, from the refresh (``assets/markup.js`` puts it in).
    kpis_html = f"{PAGE}-kpis-html"
    incidents_html = f"{PAGE}-incidents-html"
    legend = f"{PAGE}-legend"
    legend_title = f"{PAGE}-legend-title"
    #: The legend's swatches, as HTML (``assets/markup.js`` puts it in ``legend_body``).
    legend_html = f"{PAGE}-legend-html"
    legend_body = f"{PAGE}-legend-body"
    map = f"{PAGE}-map"
    layers = f"{PAGE}-layers"
    zoom = f"{PAGE}-zoom"
    credits = f"{PAGE}-credits"
    focus = f"{PAGE}-focus"
    pick = f"{PAGE}-pick"
    nearest = f"{PAGE}-nearest"  # lines from the chosen incident's nearest available units (.nearest)
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
    sheet = f"{PAGE}-sheet"
    sheet_title = f"{PAGE}-sheet-title"
    sheet_count = f"{PAGE}-sheet-count"
    time = f"{PAGE}-time"  # the time bar's moment (.timebar.TB.time)




def corners(lang: str) -> dict[str, str]:
    """Where the map's controls sit: zoom at the reading start, the layer control at its end."""
    if direction(lang) == "rtl":
        return {"zoom": "topright", "layers": "topleft", "credits": "bottomleft"}
    return {"zoom": "topleft", "layers": "topright", "credits": "bottomright"}


def layout(
    lang: str | None = None,
    region: str | None = None,
    agency: str | None = None,
    incident: str | None = None,
    **_: Any,
) -> Component:
    """The page for ``?lang=&region=&agency=&incident=``, the time bar's ``?at=&from=&to=&speed=`` and
    the port panel's ``?port=&tab=`` (all optional; unknown values are dropped; a moment the archive does
    not hold opens live, saying so)."""
    context = services()
    settings = context.settings
    lang = lang_or(lang, settings.language)
    view = View.parse(region, agency, incident)
    asked = Moment.parse(_.get("at"), _.get("from"), _.get("to"), _.get("speed"))
    span = timebar.span_of(context.replay)
    moment, reason = timebar.within(asked, span)
    note = timebar.notice(reason, lang, asked.at, span) if reason else None
    thinned = _thinned(context.replay, moment.at)
    places = drill.places_of(settings)
    map_ctx = MapContext(page=PAGE, lang=lang, settings=settings, feed=True)
    chosen = None
    if view.incident:
        try:
            chosen = drill.point(context.store.live.incident(view.incident, view.scope))
        except live.UNREACHABLE:
            chosen = None  # the map opens on the scope; the panel will say the store is down
    return html.Div(
        id=ID.root,
        dir=direction(lang),
        lang=lang,
        className="basira basira-live basira-command " + ("is-replay" if moment.replay else "is-empty"),
        children=[
            timebar.band(lang, moment, thinned, settings.archive_thin_s),
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
            # its first drawing as components, so the map's size is right from the start; then each
            # refresh's HTML (ID.kpis_html, assets/markup.js) — Dash never writes these children again
            html.Section(w.kpi_strip(None, lang, w.Targets.of(settings)), id=ID.kpis,
                         className="basira-kpis"),
            html.Main(
                className="basira-stage",
                children=[
                    html.Aside(
                        id=ID.panel,
                        className="basira-panel",
                        children=[
                            sheet_handle(lang),  # shown below 1100 px only (assets/mobile.css)
                            alerts.section(lang),  # the open alerts of the view's scope (.alerts)
                            html.Div(drill.breadcrumb(view, lang, places), id=ID.crumbs),
                            html.Div(
                                className="basira-pickers",
                                children=[
                                    dcc.Dropdown(id=ID.region, options=drill.region_options(lang, places),
                                                 value=drill.picker_value(view.region), clearable=False,
                                                 searchable=True, className="basira-picker"),
                                    dcc.Dropdown(id=ID.agency, options=drill.agency_options(lang),
                                                 value=drill.picker_value(view.agency), clearable=False,
                                                 searchable=False, className="basira-picker"),
                                ],
                            ),
                            html.Div(id=ID.incidents, className="basira-incidents"),  # ID.incidents_html
                            timeline.section(),
                        ],
                    ),
                    html.Div(
                        className="basira-mapbox",
                        children=[
                            _map_area(lang, view, chosen, places, map_ctx, settings,
                                      port_panel.panel(PAGE, lang, _.get("port"), _.get("tab"))),
                            timebar.bar(lang, moment, span, note),
                        ],
                    ),
                ],
            ),
            dcc.Store(id=ID.kpis_html, data=None),
            dcc.Store(id=ID.asof_html, data=None),
            dcc.Store(id=ID.legend_html,
                      data=to_html(w.legend_sections(LAYERS, lang, w.shown_layers(LAYERS, settings)))),
            dcc.Store(id=ID.incidents_html, data=""),
            dcc.Store(id=ID.scope, data=view.data(push=False)),
            dcc.Store(id=ID.nav, data=None),
            dcc.Store(id=ID.url, data=None),
            dcc.Store(id=ID.seen, data=None),
            dcc.Store(id=ID.shown, data=None),
            dcc.Store(id=ID.visible, data=w.shown_layers(LAYERS, settings)),
            *live.watchdog_stores(PAGE, settings),
            live.pulse_store(PAGE, settings),
            dcc.Store(id=ID.feed, data=_feed_config(map_ctx)),
            *timebar.stores(moment, span, lang),
            *timeline.stores(),
            *alerts.stores(),  # the alerts' poller (assets/alerts.js) and the section's digest
            # a replay asks for its own frames (assets/replay.js): the tick is off while one is shown
            dcc.Interval(id=ID.tick, interval=settings.refresh_ms, disabled=moment.replay),
        ],
    )


def _map_area(lang: str, view: View, chosen: tuple[float, float] | None, places: drill.Places,
              map_ctx: MapContext, settings: Any, panel: Component) -> html.Div:
    """The map and what lies over it (the banners, the legend, the port panel), above the time bar."""
    at = corners(lang)
    return html.Div(
        className="basira-mapwrap",
        children=[
            dl.Map(
                id=ID.map,
                **drill.opening_view(places, view, chosen),
                minZoom=4,
                maxZoom=18,
                zoomSnap=0.5,
                className="basira-map",
                # nothing reads the view back; and tracking it needs a `center`, which
                # would override the fitted `bounds` (dash-leaflet 1.1.3)
                trackViewport=False,
                zoomControl=False,  # placed by the language (mirrored in Arabic)
                attributionControl=False,  # replaced by one that credits every layer
                **w.MAP_OPTIONS,
                children=[
                    w.layer_control(LAYERS, map_ctx, ID.layers, at["layers"]),
                    alerts.pins_layer(lang),  # a pin per open alert (.alerts)
                    dl.Pane(
                        name=FOCUS_PANE,
                        style={"zIndex": FOCUS_PANE_Z},
                        children=dl.GeoJSON(
                            id=ID.focus,
                            url=geo_url(settings, REGIONS_FILE),
                            filter=IN_FOCUS,
                            style=FOCUS_STYLE,
                            hideout={"region": view.region},
                            interactive=False,
                        ),
                    ),
                    timeline.tracks_layer(),
                    dl.LayerGroup([], id=ID.nearest),  # filled by the refresh, live only (.nearest)
                    dl.LayerGroup(drill.pick(chosen), id=ID.pick),
                    dl.ZoomControl(id=ID.zoom, position=at["zoom"]),
                    dl.AttributionControl(id=ID.credits, prefix=w.attribution(LAYERS),
                                          position=at["credits"]),
                ],
            ),
            html.Div(w.banner_text(w.Freshness(w.EMPTY), lang), id=ID.banner,
                     className="basira-banner", role="alert"),
            live.watchdog_banner(PAGE, lang),
            # its swatches as HTML (ID.legend_html, assets/markup.js): a hundred-odd components fewer
            html.Details([w.legend_title(lang, id=ID.legend_title), html.Div(id=ID.legend_body)],
                         id=ID.legend, open=True, className="basira-legend"),
            panel,  # the port panel: it places itself
        ],
    )


def _thinned(replay: Any, at_ms: int | None) -> bool:
    """Whether the archive's unit positions around ``at_ms`` are thinned (``False`` when unknown)."""
    if at_ms is None:
        return False
    try:
        return bool(replay.thinned(at_ms))
    except OSError:
        return False


def sheet_handle(lang: str) -> html.Button:
    """On phones and tablets the panel is a bottom sheet (``assets/mobile.css``): folded away to this
    bar — "Incidents & filters" and the scope's count of open incidents — which opens and closes it
    (``basira.mobile.toggleSheet`` in ``assets/mobile.js``). Hidden on wider screens."""
    return html.Button(
        id=ID.sheet,
        type="button",
        n_clicks=0,
        className="basira-sheet-handle",
        **{"aria-expanded": "false", "aria-controls": ID.panel},
        children=[
            html.Span(className="basira-sheet-grip", **{"aria-hidden": "true"}),
            html.Span(t("sheet.title", lang), id=ID.sheet_title, className="basira-sheet-title"),
            html.B(id=ID.sheet_count, className="basira-sheet-count"),
            alerts.sheet_badge(),  # how many severe alerts are open (.alerts)
        ],
    )


def _feed_config(ctx: MapContext) -> dict[str, Any]:
    """What ``assets/feed.js`` needs: where to ask and how often. It hands what it receives to the fed
    layers' live layers (``assets/livelayer.js``; see ``layers.base.HOST_PART``)."""
    return {"path": FEED_PATH, "tick_ms": ctx.settings.feed_ms}
