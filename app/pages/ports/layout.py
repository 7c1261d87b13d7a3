"""The national ports view at ``/ports``: every port's next 72 hours on one screen, worst first.

For leadership: which border ports will be short of officers (or of counters and lanes) in the next
three days, by how much at worst, and when. One row per port in the viewer's scope
(:func:`app.auth.scope_for`, as the API's ``/api/v1/ports/pressure``), in the order of
:meth:`~app.ports.service.PortPlanner.pressure` — short before tight before covered, then the
officer-hours missing — with:

* the status, the peak shortfall of officers and the hour it falls in, the hours short;
* the pressure at the worst hour (officers needed over those rostered);
* a strip of the 72 hours, one colour per hour (covered, tight, officers short, positions short),
  flowing in the reading direction;
* a link to the command view with the port's panel open on its "Forecast & staff" tab.

The forecasts are made once per port per clock hour (the planner caches them), so the page is
cheap to redraw; it redraws every :data:`REFRESH_MS` and on a change of language. An unreachable
store shows as a sentence, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from dash import dcc, html
from dash.development.base_component import Component
from flask import current_app

from app.auth import scope_for
from app.geo import Port
from app.i18n import direction, fmt_int, fmt_percent, lang_or, t
from app.ports.plan import Plan, Summary, summarise
from app.ports.service import PortPlanner, planner
from app.services import services
from layers.geography import regions_of

from .._kit import live
from .._kit import widgets as w
from .charts import hour_label

PAGE = "ports"
PATH = "/ports"
HOURS = 72
#: The page redraws this often (ms): the forecasts move by the hour.
REFRESH_MS = 300_000
#: An hour's level in the strip, from best to worst, and its colour.
LEVELS: dict[str, str] = {"ok": "#2f9e44", "tight": "#fab005", "short": "#ff3b3b", "capacity": "#be4bdb"}
TIGHT = 0.85  # as app.ports.plan.status: ≥ 85% of the roster needed


class ID:
    root = f"{PAGE}-root"
    lang = f"{PAGE}-lang"
    title = f"{PAGE}-title"
    lead = f"{PAGE}-lead"
    made = f"{PAGE}-made"
    demo = f"{PAGE}-demo"
    back = f"{PAGE}-back"
    account = f"{PAGE}-account"
    body = f"{PAGE}-body"
    tick = f"{PAGE}-tick"


@dataclass(frozen=True)
class PortRow:
    """One port's next hours, as the national view shows them."""

    port: Port
    summary: Summary
    peak_short: int  # officers missing at the hour short the most
    peak_short_hour: int | None  # that hour (epoch hour), None when never short
    levels: tuple[str, ...]  # per hour, a key of LEVELS


def hour_levels(plan: Plan) -> tuple[str, ...]:
    """Each hour's level: positions short, officers short, tight (≥ 85% of the roster), or ok."""
    pressure, short, capacity = plan.pressure, plan.staff_short, plan.capacity_short
    return tuple(
        "capacity" if capacity[h] > 0 else "short" if short[h] > 0
        else "tight" if pressure[h] >= TIGHT else "ok" for h in range(plan.hours)
    )


def row_of(port: Port, plan: Plan) -> PortRow:
    short = plan.staff_short
    worst = int(np.argmax(short)) if plan.hours else 0
    peak = int(short[worst]) if plan.hours else 0
    return PortRow(port, summarise(plan), peak, plan.first_hour + worst if peak else None, hour_levels(plan))


def national_rows(plans: PortPlanner, ports: Iterable[Port], hours: int = HOURS) -> list[PortRow]:
    """The rows of ``ports``, worst first (the order of :meth:`PortPlanner.pressure`)."""
    rows = [row_of(port, plans.plan(port.id, hours)) for port in ports if port.id in plans.planning.ports]
    rows.sort(key=lambda row: (*row.summary.severity(), row.port.id))
    return rows


def strip_background(levels: tuple[str, ...], lang: str) -> str:
    """The strip as one CSS gradient with hard stops (one element per port, not one per hour), running
    in the reading direction."""
    if not levels:
        return "none"
    width = 100 / len(levels)
    stops = ", ".join(f"{LEVELS[level]} {i * width:.3f}% {(i + 1) * width:.3f}%"
                      for i, level in enumerate(levels))
    return f"linear-gradient(to {'left' if direction(lang) == 'rtl' else 'right'}, {stops})"


def command_href(port: Port, lang: str) -> str:
    """The command view on the port's region, its panel open on the forecast (``assets/ports.js``)."""
    return f"/?region={port.region}&port={port.id}&tab=plan&lang={lang}"


# --- drawing -------------------------------------------------------------------------------------


def _day_marks(first_hour: int, hours: int, lang: str) -> list[Component]:
    """Weekday names above the strips, each at its midnight (Riyadh)."""
    marks = []
    for h in range(hours):
        if (first_hour + h + 3) % 24 == 0:
            marks.append(html.Span(hour_label(first_hour + h, lang).split(" ")[0], className="ports-day",
                                   style={"insetInlineStart": f"{100 * h / hours:.2f}%"}))
    return marks


def _row(rank: int, row: PortRow, regions: dict[str, Any], lang: str) -> Component:
    port, summary = row.port, row.summary
    name = port.name_ar if lang == "ar" else port.name_en
    region = regions[port.region].name(lang) if port.region in regions else port.region
    if row.peak_short_hour is not None:
        when = hour_label(row.peak_short_hour, lang)
        shortfall = t("ports.shortfall_one", lang, when=when) if row.peak_short == 1 else \
            t("ports.shortfall", lang, n=fmt_int(row.peak_short, lang), when=when)
    else:
        shortfall = t("ports.no_shortfall", lang)
    capacity = t("ports.capacity", lang, n=fmt_int(summary.capacity_short_hours, lang)) \
        if summary.capacity_short_hours else None
    return html.Tr(
        className=f"is-{summary.status}",
        **{"data-port": port.id, "data-status": summary.status},
        children=[
            html.Td(fmt_int(rank, lang), className="ports-rank"),
            html.Td([html.A(name, href=command_href(port, lang), title=t("ports.open", lang),
                            className="ports-name"),
                     html.Span(f"{t(f'port.kind.{port.kind}', lang)} · {region}", className="ports-where")]),
            html.Td(html.Span(t(f"ports.status.{summary.status}", lang), className="ports-badge")),
            html.Td([html.Span(shortfall, className="ports-shortfall"),
                     *([html.Span(capacity, className="ports-capacity")] if capacity else [])]),
            html.Td(fmt_percent(summary.pressure, lang), className="ports-num",
                    title=t("ports.pressure_title", lang)),
            html.Td(fmt_int(summary.short_hours, lang), className="ports-num"),
            html.Td(html.Div(className="ports-strip",
                             style={"background": strip_background(row.levels, lang)})),
        ],
    )


def table(rows: list[PortRow], first_hour: int, lang: str) -> Component:
    """The ports, worst first; or a sentence when the viewer's scope holds none."""
    if not rows:
        return html.P(t("ports.none", lang), className="ports-empty")
    regions = regions_of(services().store.reference)
    heads = ("port", "status", "shortfall", "pressure", "short_hours")
    return html.Table(
        className="ports-table",
        children=[
            html.Thead(html.Tr([
                html.Th("#"),
                *[html.Th(t(f"ports.col.{h}", lang)) for h in heads],
                html.Th([html.Span(t("ports.col.strip", lang)),
                         html.Div(_day_marks(first_hour, HOURS, lang), className="ports-days")],
                        className="ports-strip-head"),
            ])),
            html.Tbody([_row(i, row, regions, lang) for i, row in enumerate(rows, start=1)]),
        ],
    )


def legend(lang: str) -> Component:
    return html.Ul(
        [html.Li([html.Span(className="ports-swatch", style={"background": colour}),
                  t(f"ports.legend.{level}", lang)]) for level, colour in LEVELS.items()],
        className="ports-legend",
    )


def _content(lang: str) -> tuple[Component, str, bool]:
    """The table (or why there is none), the "forecast from" line, and whether the store is a demo."""
    context = services()
    plans = planner(current_app._get_current_object())  # type: ignore[attr-defined]
    scope = scope_for()
    first = plans.now_hour()
    made = t("ports.made", lang, when=hour_label(first, lang))
    try:
        mine = [p for p in context.store.ports.values() if scope.covers(p.region)]
        rows = national_rows(plans, mine)
        demo = context.store.meta.is_demo()
    except live.UNREACHABLE as error:
        live.unreachable("ports page", error)
        return html.P(t("ports.down", lang), className="ports-empty ports-down", role="alert"), made, False
    return html.Div([legend(lang), table(rows, first, lang)]), made, demo


def layout(lang: str | None = None, **_: Any) -> Component:
    """The page for ``?lang=`` (default ``settings.language``)."""
    lang = lang_or(lang, services().settings.language)
    content, made, demo = _content(lang)
    return html.Div(
        id=ID.root,
        dir=direction(lang),
        lang=lang,
        className="basira basira-ports",
        children=[
            html.Header(
                className="basira-bar",
                children=[
                    w.brand(),
                    html.H1(t("ports.title", lang), id=ID.title, className="ports-title"),
                    html.Span(t("demo.badge", lang), id=ID.demo, className="basira-demo", hidden=not demo,
                              title=t("demo.title", lang)),
                    html.Div(className="basira-bar-fill"),
                    html.Div(w.account(lang), id=ID.account, className="basira-account"),
                    html.A(t("ports.back", lang), id=ID.back, href=f"/?lang={lang}", className="ports-back"),
                    w.language_picker(ID.lang, lang),
                ],
            ),
            html.P([html.Span(t("ports.lead", lang), id=ID.lead), " · ", html.Span(made, id=ID.made)],
                   className="ports-lead"),
            html.Main(content, id=ID.body, className="ports-body"),
            dcc.Interval(id=ID.tick, interval=REFRESH_MS),
        ],
    )
