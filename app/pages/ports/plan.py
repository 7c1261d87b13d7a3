"""The port panel's "Forecast & staff" tab: the next 72 hours, the officers they need, and a what-if.

:mod:`.panel` places :func:`section` in its panel and calls :func:`register`. While the tab is
open on a port, one server callback (:func:`register`'s ``recompute``) asks the app's
:class:`~app.ports.service.PortPlanner` for the plan under the what-if the viewer chose and draws:

* a one-line verdict: how many hours the roster falls short, and the worst of them;
* the forecast per direction — the expected travellers per hour and the band of its 80% interval;
* the officers needed per hour (Erlang C, :mod:`app.ports.plan`) as bars against the roster's step
  line, the hours short in red; and the same hour by hour in a table, short rows in red;
* a link to the same plan as CSV (``/api/v1/ports/<id>/plan.csv`` with the what-if in the query).

The what-if ("+30% pilgrims", "two counters closed") changes only the plan's inputs, never the
forecast, so it is recomputed at once (the planner caches the forecast for the clock hour). The tab
costs nothing until it is opened: the callback does no work while the "Now" tab is shown. Times are
Riyadh local, every label and number in the page's language (Arabic-Indic digits in Arabic).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import numpy as np
from dash import Dash, Input, Output, dcc, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from app.auth import scope_for
from app.i18n import digits, fmt_int, fmt_percent, lang_or, t
from app.ports.plan import SCALES, Plan, WhatIf
from app.ports.service import planner
from app.services import Services

from .._kit import live
from .charts import forecast_figure, hour_label, short_hours, staff_figure

#: The plan covers this many hours from the current one.
HOURS = 72
#: The what-if choices: pilgrims' change in percent, and positions closed in each direction.
PILGRIM_STEPS: tuple[int, ...] = (0, 10, 30, 50, 100)
CLOSED_STEPS: tuple[int, ...] = (0, 1, 2, 3, 5)


class PlanIds:
    """The tab's component ids on one page (``<page>-port-plan-…``: the page's prefix, for the gate)."""

    def __init__(self, page: str) -> None:
        prefix = f"{page}-port-plan"
        self.root = prefix
        self.whatif = f"{prefix}-whatif"
        self.pilgrims = f"{prefix}-pilgrims"
        self.counters = f"{prefix}-counters"
        self.lanes = f"{prefix}-lanes"
        self.pilgrims_label = f"{prefix}-pilgrims-label"
        self.counters_label = f"{prefix}-counters-label"
        self.lanes_label = f"{prefix}-lanes-label"
        self.lanes_row = f"{prefix}-lanes-row"
        self.body = f"{prefix}-body"
        self.csv = f"{prefix}-csv"
        self.all_ports = f"{prefix}-all"


# --- pure helpers -----------------------------------------------------------------------------------


def whatif_of(pilgrims: Any, counters: Any, lanes: Any) -> WhatIf:
    """The :class:`WhatIf` of the controls' values; a value that is not one of the choices (a hand-made
    request) counts as no change."""
    def pick(value: Any, steps: tuple[int, ...]) -> int:
        return value if isinstance(value, int) and not isinstance(value, bool) and value in steps else 0

    scale = [1.0] * len(WhatIf().scale)
    scale[SCALES["pilgrims"]] = 1 + pick(pilgrims, PILGRIM_STEPS) / 100
    return WhatIf(tuple(scale), pick(counters, CLOSED_STEPS), pick(lanes, CLOSED_STEPS))


def csv_href(port_id: str, whatif: WhatIf, hours: int = HOURS) -> str:
    """The API's CSV of this plan: ``/api/v1/ports/<id>/plan.csv?hours=72&pilgrims=%2B30%25…``."""
    query = urlencode({"hours": hours, **whatif.describe()})
    return f"/api/v1/ports/{quote(port_id, safe='')}/plan.csv?{query}"


def _step_label(value: int, lang: str, percent: bool) -> str:
    if value == 0:
        return t("portplan.as_forecast" if percent else "portplan.none", lang)
    return digits(f"+{value}%" if percent else str(value), lang)


def options(steps: tuple[int, ...], lang: str, percent: bool) -> list[dict[str, Any]]:
    """A control's choices, labelled in ``lang``."""
    return [{"label": _step_label(v, lang, percent), "value": v} for v in steps]


# --- drawing -------------------------------------------------------------------------------------


def section(page: str, lang: str) -> Component:
    """The tab's content: the what-if controls, then the body the callback draws, then the links."""
    ids = PlanIds(page)

    def control(label_id: str, label_key: str, control_id: str, steps: tuple[int, ...], percent: bool,
                row_id: str | None = None) -> Component:
        return html.Div(
            id=row_id or f"{control_id}-row",
            className="basira-whatif-row",
            children=[
                html.Span(t(label_key, lang), id=label_id, className="basira-whatif-label"),
                dcc.RadioItems(id=control_id, options=options(steps, lang, percent), value=0, inline=True,
                               className="basira-chips"),
            ],
        )

    return html.Div(
        id=ids.root,
        className="basira-port-plan",
        children=[
            html.Fieldset(
                className="basira-whatif",
                children=[
                    html.Legend(t("portplan.whatif", lang), id=ids.whatif),
                    control(ids.pilgrims_label, "portplan.pilgrims", ids.pilgrims, PILGRIM_STEPS, True),
                    control(ids.counters_label, "portplan.counters_closed", ids.counters, CLOSED_STEPS,
                            False),
                    control(ids.lanes_label, "portplan.lanes_closed", ids.lanes, CLOSED_STEPS, False,
                            row_id=ids.lanes_row),
                ],
            ),
            html.Div(id=ids.body, className="basira-plan-body"),
            html.Div(
                className="basira-plan-links",
                children=[
                    html.A(t("portplan.csv", lang), id=ids.csv, href="#", className="basira-plan-csv",
                           download=""),
                    html.A(t("portplan.all_ports", lang), id=ids.all_ports, href=f"/ports?lang={lang}",
                           className="basira-plan-all"),
                ],
            ),
        ],
    )


def verdict(plan: Plan, lang: str) -> list[Component]:
    """One or two lines a leader reads first: short or not, where it is worst, the target."""
    short = plan.staff_short
    lines = []
    if short.any():
        worst = int(np.argmax(short))
        lines.append(html.P(t(
            "portplan.short_summary", lang, hours=fmt_int(int((short > 0).sum()), lang),
            total=fmt_int(plan.hours, lang), when=hour_label(plan.first_hour + worst, lang),
            needed=fmt_int(int(plan.staff_needed[worst]), lang),
            rostered=fmt_int(int(plan.staff_rostered[worst]), lang),
        ), className="basira-plan-verdict is-short"))
    else:
        top = int(np.argmax(plan.staff_needed))
        lines.append(html.P(t(
            "portplan.ok_summary", lang, when=hour_label(plan.first_hour + top, lang),
            needed=fmt_int(int(plan.staff_needed[top]), lang),
            rostered=fmt_int(int(plan.staff_rostered[top]), lang),
        ), className="basira-plan-verdict is-ok"))
    capacity = int((plan.capacity_short > 0).sum())
    if capacity:
        lines.append(html.P(t("portplan.capacity_summary", lang, hours=fmt_int(capacity, lang)),
                            className="basira-plan-verdict is-short"))
    return lines


def hour_table(plan: Plan, lang: str) -> Component:
    """The plan hour by hour, the hours short in red (``is-short``)."""
    heads = ("hour", "arrivals", "departures", "counters", "needed", "rostered", "short")
    short = short_hours(plan)
    rows = []
    for i in range(plan.hours):
        counters = "/".join(fmt_int(int(c), lang) for c in plan.counters_needed[i])
        rows.append(html.Tr(
            className="is-short" if short[i] else None,
            children=[
                html.Td(hour_label(plan.first_hour + i, lang)),
                html.Td(fmt_int(plan.travellers[i, 0], lang)),
                html.Td(fmt_int(plan.travellers[i, 1], lang)),
                html.Td(counters),
                html.Td(fmt_int(int(plan.staff_needed[i]), lang)),
                html.Td(fmt_int(int(plan.staff_rostered[i]), lang)),
                html.Td(fmt_int(int(plan.staff_short[i]), lang) if plan.staff_short[i] else ""),
            ],
        ))
    return html.Details(
        className="basira-plan-table",
        children=[
            html.Summary(t("portplan.table", lang)),
            html.Div(html.Table([html.Thead(html.Tr([html.Th(t(f"portplan.col.{h}", lang)) for h in heads])),
                                 html.Tbody(rows)]), className="basira-plan-scroll"),
        ],
    )


def body(plan: Plan, target: tuple[float, float], lang: str) -> list[Component]:
    """Everything the tab shows for one plan (the charts load plotly only once this tab is opened)."""
    config = {"displayModeBar": False, "responsive": True}
    share, minutes = target
    return [
        html.Div(verdict(plan, lang), className="basira-plan-verdicts",
                 **{"data-needed": str(int(plan.staff_needed.sum())),
                    "data-short-hours": str(int(short_hours(plan).sum()))}),
        html.P(t("portplan.target", lang, share=fmt_percent(share, lang),
                 minutes=digits(f"{minutes:g}", lang)), className="basira-plan-target"),
        html.H3(t("portplan.forecast_title", lang), className="basira-plan-title"),
        html.Div(dcc.Graph(figure=forecast_figure(plan, lang), config=config, style={"height": "100%"}),
                 className="basira-plan-forecast"),
        html.H3(t("portplan.staff_title", lang), className="basira-plan-title"),
        html.Div(dcc.Graph(figure=staff_figure(plan, lang), config=config, style={"height": "100%"}),
                 className="basira-plan-staff"),
        hour_table(plan, lang),
    ]


# --- the callback -------------------------------------------------------------------------------


def register(app: Dash, services: Services, page: str, chosen: str, tab: str, hideout: Any) -> None:
    """``recompute``: the plan of the ``chosen`` port under the what-if, whenever the ``tab`` is
    "plan" and any of them (or the language, read from the ports layer's ``hideout``) changes."""
    ids = PlanIds(page)
    settings, store = services.settings, services.store

    @app.callback(
        Output(ids.body, "children"),
        Output(ids.csv, "href"),
        Output(ids.csv, "children"),
        Output(ids.all_ports, "href"),
        Output(ids.all_ports, "children"),
        Output(ids.whatif, "children"),
        Output(ids.pilgrims_label, "children"),
        Output(ids.counters_label, "children"),
        Output(ids.lanes_label, "children"),
        Output(ids.pilgrims, "options"),
        Output(ids.counters, "options"),
        Output(ids.lanes, "options"),
        Output(ids.lanes_row, "hidden"),
        Input(chosen, "data"),
        Input(tab, "value"),
        Input(ids.pilgrims, "value"),
        Input(ids.counters, "value"),
        Input(ids.lanes, "value"),
        Input(*hideout),
        prevent_initial_call=True,
    )
    def recompute(port_id: Any, tab_value: Any, pilgrims: Any, counters: Any, lanes: Any,
                  layer_hideout: Any) -> tuple:
        port = store.ports.get(port_id) if isinstance(port_id, str) else None
        if tab_value != "plan" or port is None or not scope_for().covers(port.region):
            raise PreventUpdate  # the tab is not shown, or the port is not the viewer's: no work
        lang = lang_or((layer_hideout or {}).get("lang") if isinstance(layer_hideout, dict) else None,
                       settings.language)
        whatif = whatif_of(pilgrims, counters, lanes)
        planning = planner(app.server)
        setup = planning.planning.ports.get(port.id)
        try:
            plan = planning.plan(port.id, HOURS, whatif) if setup else None
        except live.UNREACHABLE as error:
            live.unreachable("port plan", error)
            content: list[Component] = [html.P(t("portpanel.down", lang), className="basira-port-error")]
        else:
            content = body(plan, (setup.target_share, setup.target_wait_min), lang) if plan and setup else \
                [html.P(t("portplan.unavailable", lang), className="basira-port-error")]
        return (
            content,
            csv_href(port.id, whatif),
            t("portplan.csv", lang),
            f"/ports?lang={lang}",
            t("portplan.all_ports", lang),
            t("portplan.whatif", lang),
            t("portplan.pilgrims", lang),
            t("portplan.counters_closed", lang),
            t("portplan.lanes_closed", lang),
            options(PILGRIM_STEPS, lang, True),
            options(CLOSED_STEPS, lang, False),
            options(CLOSED_STEPS, lang, False),
            not (setup and any(setup.lanes)),
        )
