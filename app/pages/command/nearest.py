"""The chosen incident's nearest available units, under its card and on the map — live only.

A decision aid for the dispatcher: the :data:`SHOWN` units of the incident's agency that would arrive
first (:func:`app.nearest.suggest_for`: the same model and ranking as
``GET /api/v1/incidents/<id>/nearest``), each with its status, its distance and its estimated time to
arrive, the first marked as the nearest; and on the map a line from each to the incident (three
``dl.Polyline`` in one ``dl.LayerGroup``, ``ID.nearest`` of :mod:`.layout`), the nearest's drawn boldest.

The candidates are read in the viewer's whole scope (:func:`app.auth.scope_for` with no region or
agency: every region they may see), not only the region the view is drilled into: the nearest unit
may stand across a region's border. A replay shows none of this (it is about now, not then): the
refresh sends an empty layer and the replayed card has no list.

The list shows what a glance needs and changes seldom: distances to 0.1 km (whole km from 10 km), the
ETA in whole minutes rounded up (the model is not better than a minute), so the panel's digest
(:func:`state`) changes — and the card is redrawn — only when what is shown does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import dash_leaflet as dl
from dash import html
from dash.development.base_component import Component

from app.auth import scope_for
from app.i18n import digits, fmt_duration, fmt_int, t
from app.nearest import Ranking, Suggestion, areas_of, suggest_for

#: Units listed and drawn.
SHOWN = 3
#: The nearest unit's line and swatch, then the others'.
NEAREST_COLOUR = "#51cf66"
OTHER_COLOUR = "#74c0fc"


def read(store: Any, feature: Mapping[str, Any] | None, now_ms: int) -> Ranking | None:
    """The ranking for the incident ``feature`` (read by the card in the view's scope), its candidates
    read in the viewer's whole scope; ``None`` when there is no incident. Raises the store's errors."""
    if not feature:
        return None
    return suggest_for(feature, store.live, areas_of(store.reference), scope_for(), n=SHOWN, now_ms=now_ms)


def eta_minutes(eta_s: float) -> int:
    """The ETA as shown: whole minutes, rounded up, at least one."""
    return max(1, math.ceil(eta_s / 60))


def distance_text(metres: float, lang: str) -> str:
    """``3.2 km`` (``١٢٫٤ كم``) under 10 km, ``48 km`` beyond."""
    km = metres / 1000
    number = digits(f"{km:.1f}", lang) if km < 10 else fmt_int(km, lang)
    return t("nearest.km", lang, km=number)


def state(ranking: Ranking | None) -> Any:
    """What the list and the lines show, for the panel's digest."""
    if ranking is None:
        return None
    return [ranking.closed, ranking.lat is None,
            [(s.id, s.status, distance_text(s.distance_m, "en"), eta_minutes(s.eta_s), round(s.lon, 4),
              round(s.lat, 4)) for s in ranking.units]]


def _colour(rank: int) -> str:
    return NEAREST_COLOUR if rank == 1 else OTHER_COLOUR


def _row(unit: Suggestion, lang: str) -> html.Li:
    nearest = unit.rank == 1
    eta = t("nearest.eta_value", lang, eta=fmt_duration(eta_minutes(unit.eta_s) * 60, lang))
    head: list[Component] = [
        html.I(fmt_int(unit.rank, lang), className="basira-nearest-rank",
               style={"borderColor": _colour(unit.rank)}),
        html.B(unit.id, className="basira-nearest-id", dir="ltr"),
        html.Span(t(f"unit_status.{unit.status}", lang), className="basira-nearest-status"),
    ]
    if nearest:
        head.append(html.Span(t("nearest.first", lang), className="basira-nearest-first"))
    return html.Li(
        className="basira-nearest-row" + (" is-nearest" if nearest else ""),
        title=t(f"nearest.area.{unit.area}", lang),
        **{"data-unit": unit.id, "data-rank": str(unit.rank), "data-eta-s": f"{unit.eta_s:g}",
           "data-distance-m": str(unit.distance_m)},
        children=[
            html.Div(head, className="basira-nearest-head"),
            html.Div([html.Span(distance_text(unit.distance_m, lang), className="basira-nearest-distance"),
                      html.B(eta, className="basira-nearest-eta")], className="basira-nearest-figures"),
        ],
    )


def section(ranking: Ranking | None, lang: str) -> list[Component]:
    """Under the card: the list — a heading, the units (or why there are none) — then how they are
    estimated. The list stays in sight at the foot of the panel while the card above it scrolls (a long
    description would otherwise push it off a laptop's screen): the dispatcher sees who is closest at a
    glance."""
    if ranking is None:
        return []
    model = ranking.model
    if ranking.closed:
        body: Component = html.P(t("nearest.closed", lang), className="basira-nearest-none")
    elif ranking.lat is None:
        body = html.P(t("nearest.no_position", lang), className="basira-nearest-none")
    elif not ranking.units:
        body = html.P(t("nearest.none", lang), className="basira-nearest-none")
    else:
        body = html.Ol([_row(u, lang) for u in ranking.units], className="basira-nearest-rows")
    return [
        html.Section(
            className="basira-nearest",
            **{"aria-label": t("nearest.title", lang), "data-incident": ranking.incident},
            children=[html.H3(t("nearest.title", lang), className="basira-nearest-title"), body],
        ),
        # apart from the list, which stays in sight at the panel's foot (assets/nearest.css): read once
        html.P(t("nearest.model", lang, circuity=digits(f"{model.circuity:g}", lang),
                 urban=fmt_int(model.urban_kmh, lang), town=fmt_int(model.town_kmh, lang),
                 rural=fmt_int(model.rural_kmh, lang), age=fmt_duration(model.max_position_age_s, lang)),
               className="basira-nearest-model"),
    ]


def lines(ranking: Ranking | None, lang: str) -> list[Component]:
    """A line from each suggested unit to the incident (nearest last, so it is drawn on top), and a dot
    where each unit stands: the unit may lie outside the view's scope, where no marker shows it."""
    if ranking is None or ranking.lat is None or ranking.lon is None:
        return []
    scene = [ranking.lat, ranking.lon]
    drawn: list[Component] = []
    for unit in reversed(ranking.units):
        colour, nearest = _colour(unit.rank), unit.rank == 1
        tip = t("nearest.line", lang, unit=unit.id, eta=fmt_duration(eta_minutes(unit.eta_s) * 60, lang),
                distance=distance_text(unit.distance_m, lang))
        drawn.append(dl.Polyline(
            positions=[[unit.lat, unit.lon], scene],
            className="basira-nearest-line" + (" is-nearest" if nearest else ""),
            pathOptions={"color": colour, "weight": 4 if nearest else 3, "opacity": 0.9,
                         "dashArray": None if nearest else "6 6"},
            children=dl.Tooltip(tip, sticky=True),
        ))
        drawn.append(dl.CircleMarker(
            center=[unit.lat, unit.lon], radius=6, interactive=False, className="basira-nearest-end",
            pathOptions={"color": colour, "weight": 2, "fillColor": colour, "fillOpacity": 0.35},
        ))
    return drawn
