"""The pieces of the video wall (:mod:`.wall`) around its map: pure functions from data to components.

* the header (brand, the tour's current place, state, clock) and the tour bar (every stop, the
  current one marked in the browser by ``basira.wall`` ``tour``, ``assets/wall.js``);
* the card of the tour's current stop, whose figures the browser fills in from :func:`tallies_data`;
* the alert card a new priority-1 incident raises (filled in by the tour too), and the
  list of recent priority-1 incidents it is fed from (:func:`critical`);
* the side panels of the wide layouts: the regions ranked, the latest critical incidents;
* the banner of a picture that is not live.

Every word comes from :mod:`app.i18n` (our own tables), never from producer text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dash import html
from dash.development.base_component import Component

from app.i18n import STRINGS, fmt_clock, fmt_duration, fmt_int, t
from layers import Layer

from .._kit import display as d
from .._kit import places as _places
from .._kit import widgets as w
from . import clock

PAGE = "wall"
#: The type of the tour bar's items' ids: ``{"type": STOP_PILL, "stop": code}``.
STOP_PILL = f"{PAGE}-stop-pill"
#: The wall's legend: what the colours of these layers mean (the shapes and hover hints of the command
#: view's legend are for people at a desk; the choropleth's classes are in its own box on the map).
LEGEND_LAYERS = ("incidents", "units", "ports", "coverage")
LEGEND_SHAPES = frozenset({"dot", "arrow", "cluster", "pulse", "hatch"})
#: The latest critical incidents panel lists those opened this long ago at most, this many.
FEED_MS = 30 * 60_000
FEED_ROWS = 6


def header(place: _places.Place, now_ms: int, lang: str) -> html.Header:
    return html.Header(
        className="wall-head",
        children=[
            d.brand(),
            html.Div(place.name(lang), id=f"{PAGE}-place", className="wall-place"),
            html.Span(t("demo.badge", lang), id=f"{PAGE}-demo", className="basira-demo wall-demo",
                      hidden=True),
            html.Span(t("state.empty", lang), id=f"{PAGE}-state",
                      className="basira-state wall-state is-empty", role="status"),
            html.Div(w.account(lang), className="basira-account wall-account"),
            clock.clock(f"{PAGE}-clock", now_ms, lang),
        ],
    )


def tourbar(stops: Sequence[_places.Place], lang: str) -> list[Component]:
    return [
        html.Span(t("wall.tour", lang), className="wall-tour-label"),
        html.Ol(
            [
                html.Li(stop.short_name(lang), id={"type": STOP_PILL, "stop": stop.code},
                        className="is-current" if n == 0 else "", **{"data-stop": stop.code})
                for n, stop in enumerate(stops)
            ],
            className="wall-tour-stops",
        ),
        html.Span(t("wall.paused", lang), className="wall-tour-paused"),
        html.Span(t("alert.wall.paused", lang), className="wall-tour-paused is-alarm"),  # a severe alert
    ]


def stop_card(place: _places.Place, lang: str) -> list[Component]:
    """The current stop's name and figures (open, critical, units free), filled in by the browser."""
    figures = (("open", "kpi.open"), ("critical", "wall.critical"), ("free", "wall.units_free"))
    return [
        html.Div(place.name(lang), id=f"{PAGE}-stop-name", className="wall-stop-name"),
        html.Div(
            className="wall-stop-figures",
            children=[
                html.Div(
                    id=f"{PAGE}-figure-{key}",
                    className="mode-figure",
                    **{"data-figure": key},
                    children=[
                        html.Div(t("kpi.na", lang), id=f"{PAGE}-stop-{key}", className="mode-figure-value"),
                        html.Div(t(label, lang), className="mode-figure-label"),
                    ],
                )
                for key, label in figures
            ],
        ),
    ]


def tallies_data(tallies: Mapping[str, _places.Tally], excluded: Iterable[str] = ()) -> dict[str, list[int]]:
    """Per region code, and ``national``: [open, critical, units free] — what the stop card shows; the
    national figures leave out the ``excluded`` regions (not yet connected), as the KPIs do."""
    out = {code: [row.open, row.critical, row.units_free] for code, row in tallies.items()}
    nation = _places.total(tallies, excluded)
    out[_places.NATIONAL] = [nation.open, nation.critical, nation.units_free]
    return out


def legend(layers: Sequence[Layer], lang: str) -> list[Component]:
    """One compact row per layer of ``LEGEND_LAYERS`` drawn: its title, then each colour and its meaning."""
    rows = []
    for layer in layers:
        if layer.key not in LEGEND_LAYERS:
            continue
        spec = layer.legend()
        keys = [
            html.Span(
                [html.I(className=f"basira-key basira-key-{entry.shape}",
                        style={"color": entry.colour, "background": entry.colour}
                        if entry.shape not in ("arrow", "hatch") else {"color": entry.colour}),
                 entry.label[lang]],
                className="wall-legend-key",
            )
            for entry in spec.entries
            if entry.shape in LEGEND_SHAPES
        ]
        rows.append(html.Div([html.B(spec.title[lang]), *keys], className="wall-legend-row",
                             **{"data-layer": layer.key}))
    return rows


def alert_card(lang: str) -> html.Div:
    """The card a new priority-1 incident raises; the tour fills in its fields."""
    return html.Div(
        id=f"{PAGE}-alert",
        className="wall-alert",
        role="alert",
        children=[
            html.Div(t("wall.alert", lang), className="wall-alert-title"),
            html.Div(id=f"{PAGE}-alert-category", className="wall-alert-category"),
            html.Div(id=f"{PAGE}-alert-where", className="wall-alert-where"),
            html.Div(
                className="wall-alert-row",
                children=[
                    html.Span(t("wall.alert_age", lang), className="wall-alert-label"),
                    html.Span(id=f"{PAGE}-alert-age", className="wall-alert-age"),
                    html.Span(id=f"{PAGE}-alert-status", className="wall-alert-status"),
                ],
            ),
            html.Div(id=f"{PAGE}-alert-more", className="wall-alert-more"),
        ],
    )


def _word(group: str, value: object, lang: str) -> str:
    """The label of an enum value (``category.fire``), or ``""`` for a value we have no word for."""
    key = f"{group}.{value}"
    return t(key, lang) if key in STRINGS else ""


def critical(incidents: list[dict[str, Any]], places: Mapping[str, _places.Place], now_ms: int,
             window_ms: int, lang: str) -> list[dict[str, Any]]:
    """Priority-1 incidents opened within ``window_ms``, oldest first, with their words in ``lang``:
    what the tour may stop for, and what the feed lists."""
    out = []
    for feature in incidents:
        props = feature.get("properties") or {}
        opened = props.get("opened") or props.get("ts") or 0
        if props.get("priority") != 1 or now_ms - opened > window_ms:
            continue
        try:
            lon, lat = feature["geometry"]["coordinates"][:2]
        except (KeyError, TypeError, ValueError):
            continue
        place = places.get(str(props.get("region")))
        out.append({
            "id": feature.get("id"), "lat": lat, "lon": lon, "opened": opened, "status": props.get("status"),
            "category": _word("category", props.get("category"), lang),
            "region": place.name(lang) if place else t("popup.outside", lang),
            "agency": _word("agency", props.get("agency"), lang),
            "status_label": _word("incident_status", props.get("status"), lang),
        })  # fmt: skip
    out.sort(key=lambda item: item["opened"])
    return out


def feed(recent: list[dict[str, Any]], lang: str) -> list[Component]:
    """The latest critical incidents (from :func:`critical` over ``FEED_MS``), newest first."""
    items = [
        html.Li([
            html.B(item["category"]),
            html.Span(item["region"]),
            html.Span(item["status_label"], className=f"is-{item['status']}"),
            html.Time(fmt_clock(item["opened"], lang)),
        ])  # fmt: skip
        for item in reversed(recent[-FEED_ROWS:])
    ]
    return [html.H2(t("wall.feed", lang)), html.Ol(items) if items else html.P(t("wall.feed_none", lang))]


def ranking(places: Sequence[_places.Place], tallies: Mapping[str, _places.Tally], current: str | None,
            lang: str) -> list[Component]:
    """The regions ranked by open incidents (most first), the tour's current one marked."""
    none = _places.Tally()
    ranked = sorted(places, key=lambda p: (-tallies.get(p.code, none).open, p.code))
    head = html.Tr([
        html.Th(t("wall.region", lang)), html.Th(t("wall.open_short", lang)),
        html.Th(t("priority.short", lang, n=fmt_int(1, lang))), html.Th(t("wall.free_short", lang)),
    ])  # fmt: skip
    rows = [_ranking_row(p, tallies.get(p.code, none), p.code == current, lang) for p in ranked]
    return [html.H2(t("wall.ranking", lang)), html.Table([html.Thead(head), html.Tbody(rows)])]


def _ranking_row(place: _places.Place, row: _places.Tally, current: bool, lang: str) -> html.Tr:
    return html.Tr(
        className="is-current" if current else None,
        **{"data-region": place.code},
        children=[
            html.Td(place.short_name(lang)),
            html.Td(fmt_int(row.open, lang)),
            html.Td(fmt_int(row.critical, lang), className="is-alert" if row.critical else None),
            html.Td(fmt_int(row.units_free, lang)),
        ],
    )


def banner(fresh: w.Freshness, last_live: int | None, now_ms: int, lang: str) -> list[Component]:
    """Across the screen when the picture is not live: a headline, the shared warning (with the age
    of a stale picture), and — store unreachable — how long ago the picture was last live."""
    if not fresh.alarming:
        return []
    lines = [html.Div(t(f"wall.headline.{fresh.state}", lang), className="wall-banner-head"),
             html.Div(w.banner_text(fresh, lang), className="wall-banner-text")]
    if fresh.state == w.DOWN and last_live:
        age = fmt_duration((now_ms - last_live) / 1000, lang)
        lines.append(html.Div(t("wall.last_live", lang, age=age), className="wall-banner-age"))
    return lines
