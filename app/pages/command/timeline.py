"""An incident's whole life, under its card on the command view — live or replayed — and its units'
tracks on the map.

Choosing an incident (a row of the list, or its marker on the map) puts it in the view
(``?incident=``); this panel then reads its life from the archive with
:func:`app.archive.timeline.timeline` — each status with its time, the units assigned, released and
arrived, and call-to-dispatch and call-to-scene against the targets (``dispatch_target_s``,
``response_target_s``) — scoped exactly as the page (an incident outside the viewer's scope is not
found). The units' tracks to the scene are one ``dl.GeoJSON`` of LineStrings on the map (one Feature
per unit, coloured as its line in the panel), never a component per point.

When it is read: ``basira.replay.anchor`` (in the browser) names the incident and the moment to search
from — the replay's cursor when it was chosen, else now — and changes only when the incident does, when
the page goes between live and replay, or, live, every :data:`LIVE_EVERY_MS` (an open incident's life
goes on) — an interval of its own (``TL.every``), not the page's tick: a callback a second that changed
nothing fourteen times in fifteen cost the page's CPU all day (issue 17). So playing a replay does not
read the timeline again at every frame; the statuses after the cursor are marked in the browser as it
moves (``data-ts``).
"""

from __future__ import annotations

import logging
from typing import Any

import dash_leaflet as dl
from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html, no_update
from dash.development.base_component import Component

from app.archive.stats import Targets
from app.archive.timeline import timeline as read_timeline
from app.i18n import fmt_clock, fmt_duration, fmt_int, lang_or, t
from layers import part_id
from layers.base import FEED_PART, feature_collection
from layers.js import Namespace

from .._kit import live
from . import drill
from .drill import View
from .replayed import ARCHIVE_ERRORS
from .timebar import TB, Moment

log = logging.getLogger(__name__)

#: The page's functions in assets/replay.js (``window.basira.replay``).
REPLAY_JS = Namespace("basira", "replay")
TRACK_STYLE = REPLAY_JS("trackStyle")
TRACK_TIP = REPLAY_JS("trackTip")
#: The tracks' pane: above the regions and the heatmap, below the units (610) and the incidents (620).
TRACK_PANE = "basira-tracks"
TRACK_PANE_Z = 600
#: A unit's colour, by its order of assignment (its line on the map and its swatch in the panel).
UNIT_COLOURS: tuple[str, ...] = ("#74c0fc", "#ffa94d", "#b197fc", "#63e6be", "#f783ac", "#ffe066",
                                 "#a9e34b", "#e599f7")
#: Live, an open incident's life is read again this often (a replay's is read once).
LIVE_EVERY_MS = 15_000
#: Room kept around the incident and its tracks when the map is fitted to them (px).
FIT_PADDING_PX = 72


class TL:
    """Component ids of the timeline (the command page's, ``live-`` prefixed)."""

    panel = "live-timeline"
    tracks = "live-tracks"
    anchor = "live-tl-anchor"
    every = "live-tl-every"


def stores() -> list[Any]:
    """What the timeline keeps in the page: what to read (``TL.anchor``) and the interval at which a
    live incident's life is read again (``TL.every``)."""
    return [dcc.Store(id=TL.anchor, data=None), dcc.Interval(id=TL.every, interval=LIVE_EVERY_MS)]


def section() -> html.Section:
    """The panel, hidden until an incident is chosen (under the incident's card, in the side panel)."""
    return html.Section(id=TL.panel, className="basira-timeline", hidden=True, **{"aria-live": "polite"})


def tracks_layer() -> dl.Pane:
    """The chosen incident's units' tracks: one GeoJSON component, in its own pane."""
    return dl.Pane(
        name=TRACK_PANE,
        style={"zIndex": TRACK_PANE_Z},
        children=dl.GeoJSON(id=TL.tracks, data=feature_collection([]), style=TRACK_STYLE,
                            onEachFeature=TRACK_TIP, interactive=True),
    )


# --- drawing ------------------------------------------------------------------------------------------


def _name(group: str, value: Any, lang: str) -> str:
    try:
        return t(f"{group}.{value}", lang)
    except KeyError:
        return str(value)


def _judge(key: str, label_key: str, judged: dict[str, Any], lang: str) -> html.Div:
    """Call-to-dispatch or call-to-scene: the time taken against the target, and the verdict."""
    seconds, target, met = judged.get("seconds"), judged.get("target_s"), judged.get("met")
    verdict = "pending" if met is None else "met" if met else "missed"
    return html.Div(
        className=f"basira-tl-judge is-{verdict}",
        **{"data-judge": key, "data-seconds": "" if seconds is None else f"{seconds:g}"},
        children=[
            html.Span(t(label_key, lang), className="basira-tl-judge-label"),
            html.B(fmt_duration(seconds, lang) if seconds is not None else t("kpi.na", lang)),
            html.Small(f"{t('timeline.target', lang, target=fmt_duration(target, lang))} · "
                       f"{t(f'timeline.{verdict}', lang)}"),
        ],
    )


def _unit(unit: dict[str, Any], colour: str, opened: int, lang: str) -> html.Li:
    facts = [t("timeline.assigned", lang, time=fmt_clock(unit["assigned"], lang))]
    if unit.get("arrived") is not None:
        facts.append(t("timeline.arrived", lang, time=fmt_clock(unit["arrived"], lang),
                       delay=fmt_duration((unit["arrived"] - opened) / 1000, lang)))
    else:
        facts.append(t("timeline.en_route", lang))
    if unit.get("released") is not None:
        facts.append(t("timeline.released", lang, time=fmt_clock(unit["released"], lang)))
    points = len(unit.get("track") or [])
    if points:
        facts.append(t("timeline.track", lang, n=fmt_int(points, lang)))
    return html.Li(
        **{"data-unit": str(unit["id"])},
        children=[
            html.Div([html.I(className="basira-tl-swatch", style={"background": colour}),
                      html.B(str(unit["id"]), dir="ltr"),
                      html.Span(_name("agency", unit.get("agency"), lang), className="basira-tl-agency")],
                     className="basira-tl-unit-head"),
            html.Div(" · ".join(facts), className="basira-tl-unit-facts"),
        ],
    )


def draw(story: dict[str, Any], lang: str, cursor: int | None,
         thin_note: str | None = None) -> list[Component]:
    """The panel's children for ``story`` (:func:`app.archive.timeline.timeline`'s answer); ``cursor``: the
    replay's moment, when replaying (statuses after it are marked, and the browser moves the mark)."""
    opened = story["opened"]
    statuses = []
    for step in story["statuses"]:
        ts = step["ts"]
        delay = fmt_duration((ts - opened) / 1000, lang)
        after = "" if ts == opened else t("timeline.after", lang, delay=delay)
        statuses.append(html.Li(
            className="basira-tl-step" + (" is-after" if cursor is not None and ts > cursor else ""),
            **{"data-status": str(step["status"]), "data-ts": str(ts)},
            children=[html.Time(fmt_clock(ts, lang), className="basira-tl-time"),
                      html.Span(_name("incident_status", step["status"], lang), className="basira-tl-status"),
                      html.Small(after, className="basira-tl-after")],
        ))
    units = story.get("units") or []
    notes = []
    if not story.get("complete", True):
        notes.append(t("timeline.incomplete", lang))
    if story.get("ignored"):
        notes.append(t("timeline.ignored", lang, n=fmt_int(story["ignored"], lang)))
    if story.get("thinned"):
        notes.append(thin_note or t("timeline.thinned", lang))
    return [
        html.H3(t("timeline.title", lang), className="basira-tl-title"),
        html.Div([_judge("dispatch", "kpi.dispatch", story["dispatch"], lang),
                  _judge("response", "kpi.response", story["response"], lang)], className="basira-tl-judges"),
        html.Ol(statuses, className="basira-tl-steps"),
        html.H4(t("timeline.units", lang), className="basira-tl-subtitle"),
        html.Ul([_unit(u, UNIT_COLOURS[n % len(UNIT_COLOURS)], opened, lang) for n, u in enumerate(units)],
                className="basira-tl-units") if units
        else html.P(t("timeline.no_units", lang), className="basira-tl-none"),
        *[html.P(note, className="basira-tl-note", role="note") for note in notes],
    ]


def tracks(story: dict[str, Any]) -> dict[str, Any]:
    """The units' tracks as LineStrings (a unit with fewer than two positions has no line)."""
    features = []
    for n, unit in enumerate(story.get("units") or []):
        line = [[round(p[0], 5), round(p[1], 5)] for p in unit.get("track") or []]
        if len(line) < 2:
            continue
        features.append({"type": "Feature", "id": str(unit["id"]),
                         "geometry": {"type": "LineString", "coordinates": line},
                         "properties": {"unit": str(unit["id"]),
                                        "colour": UNIT_COLOURS[n % len(UNIT_COLOURS)],
                                        "arrived": unit.get("arrived") is not None}})
    return feature_collection(features)


def bounds(story: dict[str, Any]) -> list[list[float]] | None:
    """What the map fits to show the incident and its units' tracks (``None``: nothing to show)."""
    points = [(story["lat"], story["lon"])] if story.get("lat") is not None else []
    for unit in story.get("units") or []:
        points += [(p[1], p[0]) for p in unit.get("track") or []]
    if not points:
        return None
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    pad = 0.004  # ~400 m: a lone point still gets a street's worth of map around it
    return [[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]]


def _fit(box: list[list[float]]) -> dict[str, Any]:
    """A viewport that flies to ``box`` with room around it: the map's controls and overlays sit at
    its edges, and a track should not end under them."""
    return {**drill.fit(box), "options": {"padding": [FIT_PADDING_PX, FIT_PADDING_PX]}}


# --- the callbacks ------------------------------------------------------------------------------------


def register(app: Dash, context: Any, ids: Any) -> None:
    """The timeline's callbacks on the command page (``ids``: :class:`.layout.ID`)."""
    settings = context.settings
    targets = Targets.from_settings(settings)

    # What to read, and when (see the module's text): changes only when it must.
    app.clientside_callback(
        ClientsideFunction("basira.replay", "anchor"),
        Output(TL.anchor, "data"),
        Input(ids.scope, "data"),
        Input(TB.time, "data"),
        Input(TL.every, "n_intervals"),
        State(TL.anchor, "data"),
    )

    # A click on an incident's marker chooses it, as a click on its row does.
    app.clientside_callback(
        ClientsideFunction("basira.replay", "pickIncident"),
        Output(ids.nav, "data"),
        Input(part_id(ids.root.removesuffix("-root"), "incidents", FEED_PART), "clickData"),
        State(ids.scope, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(TL.panel, "children"),
        Output(TL.panel, "hidden"),
        Output(TL.tracks, "data"),
        Output(ids.map, "viewport", allow_duplicate=True),
        Input(TL.anchor, "data"),
        Input(ids.lang, "value"),
        prevent_initial_call="initial_duplicate",
    )
    def panel(anchor: Any, lang: str | None) -> tuple[Any, Any, Any, Any]:
        """The chosen incident's life, from the archive (nothing when none is chosen)."""
        lang = lang_or(lang, settings.language)
        anchor = anchor if isinstance(anchor, dict) else {}
        view = View.of(anchor)
        if not view.incident:
            return [], True, feature_collection([]), no_update
        cursor = Moment.parse(anchor.get("at")).at  # from the browser: a real moment, or none
        now = live.now_ms()
        try:
            story = read_timeline(settings.archive_dir, view.incident, cursor if cursor is not None else now,
                                  view.scope, targets=targets, now_ms=max(now, cursor or 0))
        except ARCHIVE_ERRORS as error:
            log.warning("command page: the timeline of %s cannot be read (%s)", view.incident, error)
            unreadable = [html.P(t("timeline.unreadable", lang), className="basira-tl-none")]
            return unreadable, False, no_update, no_update
        if story is None:
            return ([html.H3(t("timeline.title", lang), className="basira-tl-title"),
                     html.P(t("timeline.none", lang), className="basira-tl-none")],
                    False, feature_collection([]), no_update)
        # A replay has no live marker to fly to: the map goes to the incident and its tracks, once.
        where = bounds(story) if anchor.get("fly") and cursor is not None else None
        return (draw(story, lang, cursor), False, tracks(story), _fit(where) if where else no_update)
