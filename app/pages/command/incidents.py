"""The incidents of a scope as a list, and one incident's details — shared by the pages.

The list puts the most urgent first and, within a priority, the longest waiting; each row names the
category, the agency, the status and the age. The details card shows everything the store holds on
one incident. Producer text (the description, ids) only ever reaches the page as text children, which
React sets as text, never as HTML. Pure functions from features to components.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import orjson
from dash import html
from dash.development.base_component import Component

from app.i18n import fmt_clock, fmt_duration, fmt_int, t
from layers.incidents import PRIORITY_COLOURS

#: Rows drawn at most. The list is redrawn for every viewer whenever its rows change, and each row
#: is a dozen components for Dash to build and serialise (at 100 rows, ~45 ms of a web worker per
#: refresh, measured with 10,000 open incidents); a laptop shows about fifteen, the heading says how
#: many more there are, and the drill-down narrows the rest.
LIST_LIMIT = 40

Feature = Mapping[str, Any]


def _props(feature: Feature) -> Mapping[str, Any]:
    props = feature.get("properties")
    return props if isinstance(props, Mapping) else {}


def _priority(props: Mapping[str, Any]) -> int:
    try:
        return int(props.get("priority") or 4)
    except (TypeError, ValueError):
        return 4


def _opened(props: Mapping[str, Any]) -> int:
    value = props.get("opened") or props.get("ts") or 0
    return int(value) if isinstance(value, int | float) else 0


def age_text(opened_ms: int | None, now_ms: int, lang: str) -> str:
    """How long ago, to the minute ("just now", "4 min ago", "1 h 5 min ago"): a list read at a glance
    needs no seconds, and a text that changes once a minute lets the page redraw it that seldom."""
    if not opened_ms:
        return t("kpi.na", lang)
    minutes = max(0, now_ms - opened_ms) // 60_000
    if minutes == 0:
        return t("list.now", lang)
    return t("list.age", lang, age=fmt_duration(minutes * 60, lang))


def by_urgency(features: Iterable[Feature]) -> list[Feature]:
    """Most urgent first (priority 1 before 4), then the longest open."""
    return sorted(features, key=lambda f: (_priority(_props(f)), _opened(_props(f))))


def digest(*parts: Any) -> str:
    """A short digest of what a list or a card would show: a page redraws one only when it changes
    (a redraw replaces the DOM, losing a click in progress or a selection), and computing this is
    much cheaper than building the components to compare them."""
    return hashlib.blake2b(orjson.dumps(parts, default=str), digest_size=12).hexdigest()


def rows_state(ordered: Sequence[Feature], now_ms: int, limit: int = LIST_LIMIT) -> list[Any]:
    """What the list's rows show, for :func:`digest`: per row its id, figures and age in minutes."""
    state: list[Any] = [len(ordered)]
    for feature in ordered[:limit]:
        props = _props(feature)
        opened = _opened(props)
        state.append((incident_id(feature), props.get("priority"), props.get("status"), props.get("category"),
                      props.get("agency"), (now_ms - opened) // 60_000 if opened else None))
    return state


def incident_id(feature: Feature) -> str:
    return str(feature.get("id") or _props(feature).get("id") or "")


def _name(group: str, value: Any, lang: str) -> str:
    """``value``'s label in ``group`` (``category``, ``agency``, …); the raw value if it has none."""
    try:
        return t(f"{group}.{value}", lang)
    except KeyError:
        return str(value)


def _swatch(priority: int) -> html.I:
    colour = PRIORITY_COLOURS.get(str(priority), "#adb5bd")
    return html.I(className="basira-swatch", style={"background": colour})


def incident_row(feature: Feature, lang: str, now_ms: int, href: str | None = None) -> Component:
    """One row of the list: priority swatch, category, age; agency · status. A link when ``href``."""
    props = _props(feature)
    priority = _priority(props)
    opened = _opened(props)
    children = [
        html.Div(
            [
                _swatch(priority),
                html.Span(_name("category", props.get("category"), lang), className="basira-row-title"),
                html.Span(t("priority.short", lang, n=fmt_int(priority, lang)), className="basira-row-p"),
                html.Span(age_text(opened, now_ms, lang), className="basira-row-age"),
            ],
            className="basira-row-line",
        ),
        html.Div(
            [html.Span(_name("agency", props.get("agency"), lang)),
             html.Span(_name("incident_status", props.get("status"), lang), className="basira-row-status")],
            className="basira-row-sub",
        ),
    ]
    attrs = {"data-incident": incident_id(feature), "data-priority": str(priority)}
    if href is None:
        return html.Div(children, className="basira-row", **attrs)
    return html.A(children, href=href, className="basira-row", **{"data-nav": "1"}, **attrs)


def incident_list(
    features: Iterable[Feature],
    lang: str,
    now_ms: int,
    href_of: Callable[[str], str] | None = None,
    limit: int = LIST_LIMIT,
    total: int | None = None,
) -> list[Component]:
    """The list's children: a heading with the count, then the rows (``href_of(id)``: each row's link).

    ``total``: how many there are, when ``features`` holds only the most urgent of them."""
    ordered = by_urgency(features)
    total = len(ordered) if total is None else total
    heading = [
        html.Span(t("list.title", lang), className="basira-list-title"),
        html.B(fmt_int(total, lang), className="basira-list-count", **{"data-value": str(total)}),
        html.Span(t("list.order", lang), className="basira-list-order"),
    ]
    if total > limit:
        heading.append(html.Span(t("list.more", lang, shown=fmt_int(limit, lang), total=fmt_int(total, lang)),
                                 className="basira-list-more"))
    rows: list[Component] = [
        incident_row(f, lang, now_ms, href_of(incident_id(f)) if href_of else None) for f in ordered[:limit]
    ]
    if not rows:
        rows = [html.P(t("list.empty", lang), className="basira-list-empty")]
    return [html.Div(heading, className="basira-list-head"), html.Div(rows, className="basira-list-rows")]


def _when(epoch_ms: Any, since_ms: int | None, lang: str) -> str | None:
    """``14:05`` — or ``14:07 (after 2 min 5 s)`` when ``since_ms`` (the opening) is known."""
    if not isinstance(epoch_ms, int | float):
        return None
    clock = fmt_clock(int(epoch_ms), lang)
    if since_ms:
        return t("detail.after", lang, time=clock, delay=fmt_duration((epoch_ms - since_ms) / 1000, lang))
    return clock


def _field(label: str, value: str | None) -> list[Component]:
    if not value:
        return []
    return [html.Dt(label), html.Dd(value)]


def incident_card(
    feature: Feature | None, lang: str, now_ms: int, region_name: str | None = None
) -> Component:
    """One incident's details; a notice when ``feature`` is ``None`` (closed and forgotten, unknown)."""
    if not feature:
        return html.P(t("detail.missing", lang), className="basira-card-missing")
    props = _props(feature)
    priority = _priority(props)
    opened = _opened(props)
    units = props.get("units") or []
    description = props.get("description")
    facts = [
        *_field(t("detail.region", lang), region_name),
        *_field(t("detail.opened", lang), f"{fmt_clock(opened, lang)} · {age_text(opened, now_ms, lang)}"
                if opened else None),
        *_field(t("detail.dispatched", lang), _when(props.get("dispatched"), opened, lang)),
        *_field(t("detail.on_scene", lang), _when(props.get("on_scene"), opened, lang)),
        *_field(t("detail.units", lang), ("، " if lang == "ar" else ", ").join(map(str, units))),
    ]
    return html.Article(
        className="basira-card",
        **{"data-incident": incident_id(feature), "data-status": str(props.get("status"))},
        children=[
            html.H2([_swatch(priority), _name("category", props.get("category"), lang)],
                    className="basira-card-title"),
            html.Div(
                [
                    html.Span(t(f"priority.{priority}", lang), className="basira-card-priority",
                              style={"color": PRIORITY_COLOURS.get(str(priority))}),
                    html.Span(_name("agency", props.get("agency"), lang)),
                    html.Span(_name("incident_status", props.get("status"), lang),
                              className="basira-card-status"),
                ],
                className="basira-card-sub",
            ),
            html.Section(
                [
                    html.H3(t("detail.description", lang)),
                    # text children: React sets them as text, so markup in a description stays text
                    html.P(description, className="basira-card-text", dir="auto") if description
                    else html.P(t("detail.no_description", lang), className="basira-card-text is-none"),
                ],
                className="basira-card-description",
            ),
            html.Dl(facts, className="basira-card-facts"),
            html.Div(incident_id(feature), className="basira-card-id", dir="ltr"),
        ],
    )
