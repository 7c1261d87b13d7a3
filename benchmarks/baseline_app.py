"""The baseline: the live map as a capable newcomer to Dash would write it.

It is what the Dash and Plotly tutorials lead to: a ``dcc.Interval`` that fires every second, one
callback that reads every open incident and unit and returns a whole new
``plotly.express.scatter_map`` figure, Dash's defaults everywhere else (no compression, the map's
view reset by every figure). It reads the same Redis state as Basira, through :mod:`app.store`, so
the suite can measure both on the same data in the same run.

The one change from the tutorial is ``map_style="white-bg"``: the default basemap is fetched from
the internet, which the benchmark machine (like an operations center) does not reach.

Serve it like Basira: ``REDIS_URL=… gunicorn benchmarks.baseline_app:server``.
"""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
import plotly.express as px
from dash import Input, Output, dcc, html

from app.contract import Scope
from app.settings import Settings
from app.store import Store

COLUMNS = ["id", "kind", "lat", "lon", "status", "agency", "category", "priority"]


def rows(store: Store) -> list[dict[str, Any]]:
    """Every open incident and unit as one table row."""
    out = []
    for kind, features in (("incident", store.live.incidents(Scope())), ("unit", store.live.units(Scope()))):
        for feature in features:
            props = feature["properties"]
            lon, lat = feature["geometry"]["coordinates"][:2]
            out.append({
                "id": feature["id"], "kind": kind, "lat": lat, "lon": lon, "status": props.get("status"),
                "agency": props.get("agency"), "category": props.get("category", ""),
                "priority": props.get("priority", ""),
            })  # fmt: skip
    return out


def figure(store: Store) -> Any:
    """The whole map, rebuilt from scratch: what the callback returns every second."""
    frame = pd.DataFrame(rows(store), columns=COLUMNS)
    return px.scatter_map(
        frame, lat="lat", lon="lon", color="kind", hover_name="id",
        hover_data=["status", "agency", "category", "priority"],
        zoom=4.5, center={"lat": 24.0, "lon": 45.0}, map_style="white-bg",
    )  # fmt: skip


def create_baseline(settings: Settings | None = None) -> dash.Dash:
    """The naive app over the store named by ``settings`` (default: the environment's)."""
    store = Store.from_settings(settings or Settings())
    app = dash.Dash(__name__)
    app.title = "Baseline live map"
    app.layout = html.Div([
        html.H3("Live incidents and units"),
        dcc.Graph(id="map", style={"height": "85vh"}),
        dcc.Interval(id="tick", interval=1000),
    ])  # fmt: skip

    @app.callback(Output("map", "figure"), Input("tick", "n_intervals"))
    def update_map(_n: int | None) -> Any:
        return figure(store)

    return app


def __getattr__(name: str) -> Any:
    # `gunicorn benchmarks.baseline_app:server` looks this attribute up: build the app then, once.
    if name == "server":
        global server
        server = create_baseline().server
        return server
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
