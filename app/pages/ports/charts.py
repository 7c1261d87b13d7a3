"""The port panel's charts of a staffing plan: the 72-hour forecast band, and officers against the roster.

Plotly figures for :mod:`.plan`, in the page's language: every number, tick and hour label is
drawn by us (plotly's own would be in Western digits), hours are Riyadh time, days are separated by
a dotted line and named at midnight. Pure: a :class:`~app.ports.plan.Plan` in, a figure out.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.i18n import digits, fmt_int, t
from app.ports import riyadh_hour_of_day
from app.ports.plan import Plan

RIYADH = timezone(timedelta(hours=3))
DIRECTION_COLOURS = ("#4dabf7", "#20c997")  # arrivals, departures
BAND_COLOURS = ("rgba(77, 171, 247, .25)", "rgba(32, 201, 151, .25)")
SHORT, COVERED, ROSTER = "#ff3b3b", "#4dabf7", "#e8eef4"
TEXT, GRID, PANEL = "#e8eef4", "#243446", "#121c27"
FONT = 'system-ui, "Segoe UI", "Noto Sans Arabic", "DejaVu Sans", Tahoma, Arial, sans-serif'


def hour_label(hour: int, lang: str) -> str:
    """An epoch hour as a planner says it: ``Thu 18:00`` / ``الخميس ١٨:٠٠`` (Riyadh time)."""
    start = datetime.fromtimestamp(hour * 3600, RIYADH)
    return t(f"weekday.{start.weekday()}", lang) + " " + digits(start.strftime("%H:00"), lang)


def _ticks(plan: Plan, lang: str) -> tuple[list[int], list[str]]:
    """Every sixth clock hour; midnight is named by its weekday."""
    values, text = [], []
    for i in range(plan.hours):
        clock = riyadh_hour_of_day(plan.first_hour + i)
        if clock % 6 == 0:
            values.append(i)
            text.append(hour_label(plan.first_hour + i, lang).split(" ")[0] if clock == 0
                        else digits(f"{clock:02d}", lang))
    return values, text


def short_hours(plan: Plan) -> np.ndarray:
    """Per hour: true when the roster or the port's positions fall short."""
    return (plan.staff_short > 0) | (plan.capacity_short > 0)


def _layout(fig: go.Figure, top: int) -> go.Figure:
    fig.update_layout(
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor=PANEL,
        font={"family": FONT, "color": TEXT, "size": 11},
        margin={"l": 42, "r": 6, "t": top, "b": 4},
        legend={"orientation": "h", "x": 0, "y": -0.18, "yanchor": "top", "font": {"size": 11}},
        hoverlabel={"font": {"family": FONT}}, hovermode="closest",
    )
    fig.update_annotations(font={"size": 12, "color": TEXT})
    fig.update_yaxes(gridcolor=GRID, zeroline=False, color=TEXT, rangemode="tozero")
    return fig


def _midnights(fig: go.Figure, plan: Plan, rows: int = 0) -> None:
    """A dotted line between days (in each of ``rows`` subplots, or across a plain figure)."""
    line = {"color": GRID, "width": 1, "dash": "dot"}
    for i in range(1, plan.hours):
        if riyadh_hour_of_day(plan.first_hour + i) == 0:
            if not rows:
                fig.add_vline(x=i - 0.5, line=line)
            for row in range(1, rows + 1):
                fig.add_vline(x=i - 0.5, line=line, row=row, col=1)


def forecast_figure(plan: Plan, lang: str) -> go.Figure:
    """Arrivals above departures: the expected travellers per hour, and the 80% band around them."""
    x = list(range(plan.hours))
    labels = [hour_label(plan.first_hour + i, lang) for i in x]
    expected, band = t("portplan.expected", lang), t("portplan.interval", lang)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.14,
                        subplot_titles=(t("portpanel.arrivals", lang), t("portpanel.departures", lang)))
    for d in range(2):
        row = d + 1
        fig.add_trace(go.Scatter(x=x, y=plan.upper[:, d].round(), mode="lines", line={"width": 0},
                                 showlegend=False, hoverinfo="skip", legendgroup="band"), row=row, col=1)
        fig.add_trace(go.Scatter(
            x=x, y=plan.lower[:, d].round(), mode="lines", line={"width": 0}, fill="tonexty",
            fillcolor=BAND_COLOURS[d], name=band, legendgroup="band", showlegend=d == 0, hoverinfo="skip",
        ), row=row, col=1)
        fig.add_trace(go.Scatter(
            x=x, y=plan.travellers[:, d].round(), mode="lines", name=expected, legendgroup="expected",
            showlegend=d == 0, line={"color": DIRECTION_COLOURS[d], "width": 2},
            customdata=[[labels[i], fmt_int(plan.travellers[i, d], lang), fmt_int(plan.lower[i, d], lang),
                         fmt_int(plan.upper[i, d], lang)] for i in x],
            hovertemplate=f"%{{customdata[0]}} · {expected}: %{{customdata[1]}} "
                          "(%{customdata[2]}–%{customdata[3]})<extra></extra>",
        ), row=row, col=1)
    _midnights(fig, plan, 2)
    ticks, text = _ticks(plan, lang)
    fig.update_xaxes(tickvals=ticks, ticktext=text, showgrid=False, color=TEXT,
                     range=[-0.5, plan.hours - 0.5])
    _layout(fig, 20)
    top = float(plan.upper.max()) if plan.hours else 0.0
    _y_ticks(fig, top, lang)
    return fig


def nice_ticks(top: float, lang: str) -> tuple[list[float], list[str]]:
    """Four or five round values from 0 to above ``top``, labelled in ``lang`` (every chart of the
    port panel: plotly's own tick labels would be in Western digits)."""
    raw = max(top, 1) / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    values = [step * i for i in range(int(top // step) + 2)]
    return values, [fmt_int(v, lang) for v in values]


def _y_ticks(fig: go.Figure, top: float, lang: str) -> None:
    values, text = nice_ticks(top, lang)
    fig.update_yaxes(tickvals=values, ticktext=text, range=[0, values[-1]])


def staff_figure(plan: Plan, lang: str) -> go.Figure:
    """Officers needed per hour (red when short) against the roster's step line."""
    x = list(range(plan.hours))
    short = short_hours(plan)
    needed, rostered = t("portplan.needed", lang), t("portplan.rostered", lang)
    short_word = t("portplan.short", lang)
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=x, y=plan.staff_needed, name=needed, marker={"color": [SHORT if s else COVERED for s in short]},
        customdata=[[hour_label(plan.first_hour + i, lang), fmt_int(int(plan.staff_needed[i]), lang),
                     fmt_int(int(plan.staff_rostered[i]), lang),
                     f" · {short_word} {fmt_int(int(plan.staff_short[i]), lang)}"
                     if plan.staff_short[i] else ""] for i in x],
        hovertemplate=f"%{{customdata[0]}} · {needed} %{{customdata[1]}} · {rostered} %{{customdata[2]}}"
                      "%{customdata[3]}<extra></extra>",
    ))
    fig.add_trace(go.Scatter(x=x, y=plan.staff_rostered, name=rostered, mode="lines",
                             line={"color": ROSTER, "width": 2, "shape": "hvh"}, hoverinfo="skip"))
    _midnights(fig, plan)
    ticks, text = _ticks(plan, lang)
    fig.update_xaxes(tickvals=ticks, ticktext=text, showgrid=False, color=TEXT,
                     range=[-0.5, plan.hours - 0.5])
    _layout(fig, 6)
    fig.update_layout(bargap=0.12)
    top = float(max(plan.staff_needed.max(initial=0), plan.staff_rostered.max(initial=0)))
    _y_ticks(fig, top, lang)
    return fig
