"""The video wall at ``/wall``: the national picture for a room, read from metres away, nobody at a mouse.

Dark and large: a clock with the Hijri and Gregorian dates, the KPI strip in a column, the map, the
tour's stops along the bottom, and — on a 32:9 canvas — the regions ranked and the latest critical
incidents in side panels. Which layout a screen gets is decided by CSS media queries on its size and
aspect (``assets/wall.css``: 1920×1080, 3840×2160, 7680×2160); the type scales with the screen's
height, so it stays legible from the same distance on each.

It runs by itself:

* :func:`refresh` (every ``settings.refresh_ms``) reads the national picture once and redraws the
  live layers, the KPIs, the region ranking and the freshness state; it hands the browser each
  region's figures and the list of recent priority-1 incidents. An unreachable store shows as the
  stale state, with how long ago the picture was last live — never a traceback.
* the tour runs in the browser (``basira.wall`` ``tour`` in ``assets/wall.js``): the nation, then each
  region in turn, ``settings.tour_interval_s`` each, naming the stop and showing its figures. A
  priority-1 incident the wall has not shown yet pauses the tour: the map flies to it and a large
  card says what, where and for how long, until it is dispatched (after at least 10 s) or
  ``settings.wall_alert_s`` have passed. Nothing of the tour waits for the server, so a slow or hung
  server never holds it up.
* when nothing is current — stale data, store unreachable, or no answer from the server at all (the
  tour's own watchdog) — the whole screen turns grey under a red banner whose age counts up, so an
  old picture cannot pass for a live one.
* alerts (:mod:`.alerts`): the open alerts of the wall's scope above the KPI column, and the newest
  unacknowledged severe one across the screen — the tour pauses for it as for a new priority-1
  incident, and a chime plays when sound is on (``?sound=1``, ``settings.wall_alert_sound``).

The language is ``settings.wall_language`` (Arabic by default), or ``?lang=``: a wall has no toggle.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html
from dash.development.base_component import Component

from app.auth import scope_for
from app.i18n import direction, lang_or, t
from app.services import services
from layers import MapContext

from .._kit import display as d
from .._kit import live
from .._kit import places as _places
from .._kit import widgets as w
from . import alerts, panels

PAGE = panels.PAGE
PATH = "/wall"
#: The layers the wall draws (those that exist, in their drawing order): the picture, not the tools.
LAYER_KEYS = ("basemap", "regions", "coverage", "ports", "units", "incidents")
#: An alert holds the tour at least this long, even when the incident is dispatched at once.
ALERT_MIN_S = 10.0


class ID:
    root = f"{PAGE}-root"
    screen = f"{PAGE}-screen"
    place = f"{PAGE}-place"
    state = f"{PAGE}-state"
    demo = f"{PAGE}-demo"
    kpis = f"{PAGE}-kpis"
    ranking = f"{PAGE}-ranking"
    feed = f"{PAGE}-feed"
    stop_card = f"{PAGE}-stop-card"
    tourbar = f"{PAGE}-tourbar"
    map = f"{PAGE}-map"
    banner = f"{PAGE}-banner"
    watchdog = f"{PAGE}-watchdog"
    alert = f"{PAGE}-alert"
    dates = f"{PAGE}-clock-dates"
    time = f"{PAGE}-clock-time"
    lang = f"{PAGE}-lang"
    tick = f"{PAGE}-tick"
    second = f"{PAGE}-second"
    minute = f"{PAGE}-minute"
    seen = f"{PAGE}-seen"
    beat = f"{PAGE}-beat"
    heard = f"{PAGE}-heard"
    last_live = f"{PAGE}-last-live"
    critical = f"{PAGE}-critical"
    tallies = f"{PAGE}-tallies"
    tour = f"{PAGE}-tour"
    stop = f"{PAGE}-stop"
    config = f"{PAGE}-config"



def layout(lang: str | None = None, **_: Any) -> Component:
    """The wall for ``?lang=`` (default ``settings.wall_language``) and ``?sound=1|0`` (the alert
    chime for this screen; default ``settings.wall_alert_sound``)."""
    settings = services().settings
    lang = lang_or(lang, settings.wall_language)
    sound = alerts.sound_on(settings.wall_alert_sound, _.get("sound"))
    layers = d.layers_for(LAYER_KEYS, settings)
    stops = _places.tour(services().store.reference, scope_for())
    ctx = MapContext(page=PAGE, lang=lang, settings=settings)
    config = {
        "stops": [{**stop.view(), "name": stop.name(lang)} for stop in stops],
        "interval_ms": int(settings.tour_interval_s * 1000),
        "alert_ms": int(settings.wall_alert_s * 1000),
        "alert_min_ms": int(min(ALERT_MIN_S, settings.wall_alert_s) * 1000),
        "silence_ms": live.silence_limit_ms(settings),
        "lang": lang,
        "more": t("wall.more", lang),
        **alerts.config(lang, sound),
    }
    return html.Div(
        id=ID.root,
        dir=direction(lang),
        lang=lang,
        className="basira-wall is-empty",
        children=[
            html.Div(
                id=ID.screen,
                className="wall-screen",
                children=[
                    panels.header(stops[0], live.now_ms(), lang),
                    html.Aside(
                        className="wall-left",
                        children=[
                            html.Section(id=ID.ranking, className="wall-ranking"),
                            html.Section(id=ID.feed, className="wall-feed"),
                        ],
                    ),
                    html.Main(
                        className="wall-stage",
                        children=[
                            d.mode_map(ID.map, ctx, layers, stops[0].view()["bounds"],
                                       boundsOptions={"padding": [24, 24]}, dragging=False,
                                       scrollWheelZoom=False, doubleClickZoom=False, touchZoom=False,
                                       keyboard=False, boxZoom=False),
                            html.Div(panels.stop_card(stops[0], lang), id=ID.stop_card,
                                     className="wall-stop-card"),
                            html.Div(className="wall-ring"),
                            html.Div(panels.legend(layers, lang), className="wall-legend"),
                        ],
                    ),
                    html.Aside(
                        className="wall-side",
                        children=[
                            alerts.section(),  # the open alerts (hidden while there are none)
                            html.Section(w.kpi_strip(None, lang, w.Targets.of(settings)), id=ID.kpis,
                                         className="basira-kpis wall-kpis"),
                        ],
                    ),
                    html.Footer(panels.tourbar(stops, lang), id=ID.tourbar, className="wall-tour"),
                ],
            ),
            panels.alert_card(lang),
            alerts.card(lang),  # a severe alert, full width
            alerts.sound_badge(lang),  # "sound blocked — tap to allow"
            html.Div(id=ID.banner, className="wall-banner", role="alert"),
            live.watchdog_banner(PAGE, lang),
            dcc.Store(id=ID.lang, data=lang),
            dcc.Store(id=ID.config, data=config),
            dcc.Store(id=ID.seen, data=None),
            dcc.Store(id=ID.beat, data=None),
            live.pulse_store(PAGE, settings),
            dcc.Store(id=ID.heard, data=None),
            dcc.Store(id=ID.last_live, data=None),
            dcc.Store(id=ID.critical, data=None),  # None: not heard from the server yet
            dcc.Store(id=ID.tallies, data=None),
            dcc.Store(id=ID.tour, data=None),
            dcc.Store(id=ID.stop, data=stops[0].code),
            *alerts.stores(),
            dcc.Interval(id=ID.tick, interval=settings.refresh_ms),
            dcc.Interval(id=ID.second, interval=500),
            dcc.Interval(id=ID.minute, interval=60_000),
        ],
    )
