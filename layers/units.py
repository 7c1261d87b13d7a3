"""Field units (vehicles): one clustered GeoJSON layer, coloured by status, pointing along the heading.

Same mechanism as the incidents: the page pushes a FeatureCollection into ``data``, and
``assets/basira.js`` draws each unit as a small arrow rotated to its heading (a dot when the
producer sent none), coloured by status. Units cluster less eagerly than incidents (a smaller
radius, and not beyond street zoom), since seeing where the vehicles are is the point.
"""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl
from dash.development.base_component import Component

from app.contract import Scope
from app.i18n import bilingual, group, t

from .base import LIVE_PART, Layer, Legend, LegendEntry, MapContext, feature_collection, point_features

#: Unit status → colour. Read by the legend and, via the hideout, by basira.js.
STATUS_COLOURS: dict[str, str] = {
    "available": "#40c057",
    "dispatched": "#3bc9db",
    "on_scene": "#cc5de8",
    "out_of_service": "#868e96",
}
#: Own pane above the basemap and the other overlays; the markers and clusters are drawn in it.
PANE = "basira-units"
PANE_Z = 610


class Units(Layer):
    key = "units"
    title_key = "layer.units"
    live = True

    def component(self, ctx: MapContext) -> list[Component]:
        return [
            dl.Pane(
                name=PANE,
                style={"zIndex": PANE_Z},
                children=dl.GeoJSON(
                    id=ctx.id(self.key, LIVE_PART),
                    data=feature_collection([]),
                    cluster=True,
                    zoomToBoundsOnClick=True,
                    superClusterOptions={"radius": 35, "maxZoom": 11},
                    pointToLayer={"variable": "basira.unitMarker"},
                    clusterToLayer={"variable": "basira.unitCluster"},
                    onEachFeature={"variable": "basira.unitPopup"},
                    hideout=self.hideout(ctx.lang, ctx.settings),
                ),
            )
        ]

    def hideout(self, lang: str, settings: Any) -> dict[str, Any]:
        return {
            "lang": lang,
            "pane": PANE,
            "colours": STATUS_COLOURS,
            "labels": {
                "status": group("unit_status", lang),
                "agency": group("agency", lang),
                "speed": t("popup.speed", lang),
                "kmh": t("popup.kmh", lang),
                "incident": t("popup.incident", lang),
                "heading": t("popup.heading", lang),
            },
        }

    def data(self, store: Any, scope: Scope) -> dict[str, Any]:
        return feature_collection(point_features(store.units(scope)))

    def legend(self) -> Legend:
        entries = [
            LegendEntry(colour, bilingual(f"unit_status.{status}"), "arrow")
            for status, colour in STATUS_COLOURS.items()
        ]
        entries.append(LegendEntry("#ced4da", bilingual("unit.heading_legend"), "arrow"))
        return Legend(title=self.title, entries=tuple(entries))
