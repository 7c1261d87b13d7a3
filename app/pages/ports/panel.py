"""The border-port panel: a port's traffic now, and its next 72 hours with the staff they need.

A page adds :func:`panel` to its layout (inside the map's box: the panel is positioned over the map,
at the end of the reading direction) and calls :func:`register` once. Clicking a port on the map
(the ports layer's live component reports it in ``clickData``) opens the panel on that port; the
close button hides it. While open, the panel redraws every :data:`REFRESH_MS` (the chart moves by
the hour, not the second) and in the page's language, which it reads from the ports layer's
``hideout`` — the one prop every page updates on a change of language — so it depends on no other
id of the page. A link can open the panel too: ``/?region=SA-04&port=land-king-fahd-causeway&tab=plan``
(the national view at ``/ports`` links so): the page's layout hands the port asked for to
:func:`panel`, whose one-shot interval, there only then, chooses it once the page is drawn. A page
opened without one sends no callback of the panel's until a port is clicked (a clientside callback
that handed the address's port over at every load set off the panel's three server callbacks at every
load of the command view, a port asked or not: Dash runs a callback whose input another callback of
the page's first drawing returns, even ``prevent_initial_call`` and ``no_update``). The panel shows
only ports inside the viewer's scope (:func:`app.auth.scope_for`): a port of another region, even
asked for by hand, stays closed.

Two tabs: "Now" (the chart below) and "Forecast & staff" (:mod:`.plan`: the 72-hour forecast,
the officers needed per hour against the roster, a what-if, the CSV export), which does no work
until it is opened.

The chart (plotly, served by Dash from the app itself): two panels, arrivals above departures; in
each, the last 24 clock hours as bars stacked by traveller category, and the total of the same
hours seven days earlier as a dashed line. The current hour is still filling, so its bar is paler
and its hover says "so far". Hours are Riyadh time; every label, number and hour is in the page's
language (Arabic-Indic digits in Arabic).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import ClientsideFunction, Dash, Input, Output, State, callback_context, dcc, html, no_update
from dash.development.base_component import Component
from plotly.subplots import make_subplots

from app.auth import scope_for
from app.contract import Direction, TravellerCategory
from app.i18n import digits, fmt_int, lang_or, riyadh, t
from app.services import Services
from app.store.keys import HOUR_MS
from layers import LIVE_PART, part_id
from layers.geography import regions_of
from layers.ports import KINDS, wait_class

from .._kit import live
from . import plan
from .charts import nice_ticks

#: The panel redraws this often while it is open (ms).
REFRESH_MS = 60_000
CATEGORY_COLOURS: dict[str, str] = {
    "citizen": "#4dabf7", "resident": "#20c997", "visitor": "#fcc419", "pilgrim": "#cc5de8",
}
WEEK_AGO_COLOUR = "#e8eef4"
TEXT, GRID, PANEL = "#e8eef4", "#243446", "#121c27"
FONT = 'system-ui, "Segoe UI", "Noto Sans Arabic", "DejaVu Sans", Tahoma, Arial, sans-serif'


class PanelIds:
    """The panel's component ids on one page."""

    def __init__(self, page: str) -> None:
        prefix = f"{page}-port"
        self.root = f"{prefix}-panel"
        self.name = f"{prefix}-name"
        self.close = f"{prefix}-close"
        self.facts = f"{prefix}-facts"
        self.sub = f"{prefix}-sub"
        self.error = f"{prefix}-error"
        self.chart = f"{prefix}-chart"
        self.chart_box = f"{prefix}-chart-box"
        self.chosen = f"{prefix}-chosen"
        self.tick = f"{prefix}-tick"
        self.tabs = f"{prefix}-tabs"
        self.now = f"{prefix}-now"
        self.asked = f"{prefix}-asked"
        self.ask_once = f"{prefix}-ask-once"
        self.ports = part_id(page, "ports", LIVE_PART)


#: The panel's tabs, by value; the root's class says which one is shown (``is-now``, ``is-plan``).
TABS = ("now", "plan")


def tab_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"portpanel.tab.{tab}", lang), "value": tab} for tab in TABS]


def panel(page: str, lang: str, asked: str | None = None, tab: str | None = None) -> Component:
    """The panel for ``page``, hidden until a port is chosen on the map — or, ``asked`` (a port's id from
    the page's address), until the page is drawn; ``tab``: the tab it opens on ("now" unless "plan")."""
    ids = PanelIds(page)
    tab = tab if tab in TABS else "now"
    asked = asked if isinstance(asked, str) and asked else None
    return html.Aside(
        id=ids.root,
        className=f"basira-port-panel is-{tab}",
        hidden=True,
        **{"aria-live": "polite"},
        children=[
            html.Div(
                className="basira-port-head",
                children=[
                    html.H2(id=ids.name, className="basira-port-name"),
                    html.Button(t("portpanel.close", lang), id=ids.close, n_clicks=0, type="button",
                                className="basira-port-close"),
                ],
            ),
            html.Dl(id=ids.facts, className="basira-port-facts"),
            dcc.RadioItems(id=ids.tabs, options=tab_options(lang), value=tab, inline=True,
                           className="basira-port-tabs"),
            html.Div(id=ids.error, className="basira-port-error", role="alert"),
            html.Div(
                id=ids.now,
                className="basira-port-now",
                children=[
                    html.P(id=ids.sub, className="basira-port-sub"),
                    # The chart comes with the first port chosen: plotly (~1 MB) loads only for a viewer
                    # who opens a port, not with every page. Sized by the stylesheet; the chart fills it.
                    html.Div(id=ids.chart_box, className="basira-port-chart"),
                ],
            ),
            plan.section(page, lang),
            # "" for none, not None: a memory store mounted with None sets its data again (to what its
            # memory holds: nothing), which sent the panel's and the plan's callbacks at every page load
            dcc.Store(id=ids.chosen, data=""),
            dcc.Store(id=ids.asked, data=asked),
            # ticks once, when the page is drawn, if a port was asked for (disabled, it never ticks)
            dcc.Interval(id=ids.ask_once, interval=1, max_intervals=1, disabled=asked is None),
            dcc.Interval(id=ids.tick, interval=REFRESH_MS, disabled=True),
        ],
    )


def register(app: Dash, services: Services, page: str) -> None:
    """The panel's callbacks on ``app`` for ``page``: choose a port, close, draw."""
    ids = PanelIds(page)
    settings, store = services.settings, services.store

    app.clientside_callback(
        ClientsideFunction("basira.ports", "tabClass"),
        Output(ids.root, "className"),
        Input(ids.tabs, "value"),
    )

    @app.callback(
        Output(ids.chosen, "data"),
        Input(ids.ports, "clickData"),
        Input(ids.close, "n_clicks"),
        Input(ids.ask_once, "n_intervals"),
        State(ids.asked, "data"),
        prevent_initial_call=True,
    )
    def choose(click: Any, _closed: int | None, _asked_once: int | None, asked: Any) -> Any:
        if callback_context.triggered_id == ids.close:
            return None
        if callback_context.triggered_id == ids.ask_once:
            port = asked
        else:
            props = click.get("properties") if isinstance(click, dict) else None
            port = props.get("port") if isinstance(props, dict) else None
        return port if isinstance(port, str) and port in store.ports else no_update

    draw_outputs = dict(
        hidden=Output(ids.root, "hidden"),
        name=Output(ids.name, "children"),
        facts=Output(ids.facts, "children"),
        sub=Output(ids.sub, "children"),
        chart=Output(ids.chart_box, "children"),
        error=Output(ids.error, "children"),
        close=Output(ids.close, "children"),
        tick_off=Output(ids.tick, "disabled"),
        tabs=Output(ids.tabs, "options"),
    )

    @app.callback(
        output=draw_outputs,
        inputs=[Input(ids.chosen, "data"), Input(ids.ports, "hideout"), Input(ids.tick, "n_intervals")],
        state=[State(ids.root, "hidden")],
        prevent_initial_call=True,
    )
    def draw(port_id: Any, hideout: Any, _tick: Any, hidden: bool | None) -> dict[str, Any]:
        lang = lang_or((hideout or {}).get("lang") if isinstance(hideout, dict) else None, settings.language)
        labels = {"close": t("portpanel.close", lang), "tabs": tab_options(lang)}
        port = store.ports.get(port_id) if isinstance(port_id, str) else None
        if port is None or not scope_for().covers(port.region):  # outside the viewer's scope: closed
            return live.answer(draw_outputs, hidden=True, tick_off=True, **labels)
        if hidden and callback_context.triggered_id != ids.chosen:
            return live.answer(draw_outputs, tick_off=True, **labels)  # closed: nothing to redraw
        name = port.name_ar if lang == "ar" else port.name_en
        regions = regions_of(store.reference)
        region = regions[port.region].name(lang) if port.region in regions else port.region
        try:
            series = store.layers.port_series(port.id)
        except live.UNREACHABLE as error:
            live.unreachable("port panel", error)
            return live.answer(draw_outputs, hidden=False, name=name, sub="", tick_off=False,
                               facts=_facts(port.kind, region, None, lang), error=t("portpanel.down", lang),
                               **labels)
        return live.answer(
            draw_outputs,
            hidden=False,
            name=name,
            facts=_facts(port.kind, region, series["wait_min"], lang),
            sub=t("portpanel.last_24h", lang),
            chart=dcc.Graph(id=ids.chart, figure=figure(series, lang), style={"height": "100%"},
                            config={"displayModeBar": False, "responsive": True}),
            error="",
            tick_off=False,
            **labels,
        )

    plan.register(app, services, page, ids.chosen, ids.tabs, (ids.ports, "hideout"))


def _facts(kind: str, region: str, wait_min: float | None, lang: str) -> list[Component]:
    wait = (digits(f"{wait_min:.0f}", lang) + " " + t("port.minutes", lang)) if wait_min is not None \
        else t("portpanel.no_wait", lang)
    return [
        html.Div([html.Dd(t(f"port.kind.{kind}", lang) if kind in KINDS else kind)],
                 className="basira-port-kind"),
        html.Div([html.Dt(t("portpanel.region", lang)), html.Dd(region)]),
        html.Div([html.Dt(t("portpanel.wait", lang)), html.Dd(wait)],
                 className=f"basira-wait-{wait_class(wait_min)}"),
    ]


def figure(series: dict[str, Any], lang: str) -> go.Figure:
    """The two-panel chart of :meth:`~app.store.Store.port_series` in ``lang``."""
    hours = series["hours"]
    labels = [digits(riyadh(h * HOUR_MS).strftime("%H:00"), lang) for h in hours]  # for the hover
    ticks = [digits(riyadh(h * HOUR_MS).strftime("%H"), lang) for h in hours]
    x = list(range(len(hours)))
    so_far = t("portpanel.now_so_far", lang)
    week_name = t("portpanel.week_ago", lang)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.16,
                        subplot_titles=(t("portpanel.arrivals", lang), t("portpanel.departures", lang)))
    top = 0.0
    for row, direction in enumerate(Direction, start=1):
        now = series["now"][direction.value]
        week = series["week_ago"][direction.value]
        week_total = [sum(week[c.value][i] for c in TravellerCategory) for i in x]
        now_total = [sum(now[c.value][i] for c in TravellerCategory) for i in x]
        top = max(top, *week_total, *now_total)
        for category in TravellerCategory:
            name = t(f"traveller.{category.value}", lang)
            counts = now[category.value]
            fig.add_trace(
                go.Bar(
                    x=x, y=counts, name=name, legendgroup=category.value, showlegend=row == 1,
                    marker={"color": CATEGORY_COLOURS[category.value],
                            "opacity": [0.95] * (len(x) - 1) + [0.5]},
                    customdata=[[labels[i], fmt_int(c, lang), so_far if i == len(x) - 1 else ""]
                                for i, c in enumerate(counts)],
                    hovertemplate=f"%{{customdata[0]}} · {name}: %{{customdata[1]}} %{{customdata[2]}}"
                    "<extra></extra>",
                ),
                row=row, col=1,
            )
        fig.add_trace(
            go.Scatter(
                x=x, y=week_total, name=week_name, legendgroup="week", showlegend=row == 1, mode="lines",
                line={"color": WEEK_AGO_COLOUR, "dash": "dash", "width": 2, "shape": "hvh"},
                customdata=[[labels[i], fmt_int(v, lang)] for i, v in enumerate(week_total)],
                hovertemplate=f"%{{customdata[0]}} · {week_name}: %{{customdata[1]}}<extra></extra>",
            ),
            row=row, col=1,
        )
    tick_values, tick_text = nice_ticks(top, lang)
    every = [i for i in x if (len(x) - 1 - i) % 3 == 0]  # every third hour, ending at the current one
    fig.update_layout(
        barmode="stack", bargap=0.15,
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor=PANEL,
        font={"family": FONT, "color": TEXT, "size": 12},
        margin={"l": 46, "r": 8, "t": 22, "b": 4},
        legend={"orientation": "h", "x": 0, "y": -0.22, "yanchor": "top", "font": {"size": 11}},
        hoverlabel={"font": {"family": FONT}},
        hovermode="closest",
    )
    fig.update_annotations(font={"size": 13, "color": TEXT})
    fig.update_xaxes(tickvals=every, ticktext=[ticks[i] for i in every], showgrid=False, color=TEXT,
                     range=[-0.6, len(x) - 0.4])
    fig.update_xaxes(title={"text": t("portpanel.hour_axis", lang), "font": {"size": 10}, "standoff": 4},
                     row=2, col=1)
    fig.update_yaxes(tickvals=tick_values, ticktext=tick_text, range=[0, tick_values[-1]], gridcolor=GRID,
                     zeroline=False, color=TEXT)
    return fig

