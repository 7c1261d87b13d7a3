"""Regions not yet connected (the phased roll-out, ``BASIRA_COVERED_REGIONS``), hatched on every map.

While the center covers some regions only, the others are drawn with diagonal lines over the land —
above the basemap and the choropleth's fill, below the heatmap, the names and every marker — and the
legend says "Not yet connected". Nothing of theirs is hidden: their incidents and units are stored and
drawn as any others; only the national figures leave them out (:class:`app.reference.Coverage`, in the
store's KPIs), and the KPI strip says so.

Static: the polygons come from ``/geo/regions.geojson``, the file the basemap loads (the browser's cache
answers), kept to the codes of the layer's ``hideout`` by ``basira.uncovered`` (``assets/layers.js``).
``basira.uncoveredStyle`` fills each with an SVG pattern (``url(#basira-hatch)``, which the same file
adds to the page once), as Leaflet's SVG renderer fills any path; the paths are not interactive, so a
click still reaches the region's choropleth polygon beneath (the drill-down).

A page draws the layer — on the map, in the layer control and in the legend — only while some region
is not yet connected (:meth:`Coverage.applies`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash_leaflet as dl
from dash.development.base_component import Component

from app.i18n import bilingual
from app.reference import Reference

from .base import Layer, Legend, LegendEntry, MapContext
from .basemap import REGIONS_FILE, geo_url
from .js import BASIRA

if TYPE_CHECKING:
    from app.settings import Settings

#: Its pane: above the choropleth's fill (300), below the heatmap (350) and the names (450).
PANE = "basira-coverage"
PANE_Z = 320
#: The hatch: light lines on the dark land, a dashed outline; the legend's swatch in the same colour.
HATCH = "#aebdcc"
#: The pattern's spacing and line width (px), and how opaque the lines are.
HATCH_GAP = 7
HATCH_WIDTH = 1.6
HATCH_OPACITY = 0.55

#: Its functions in assets/layers.js.
FUNCTIONS = {"filter": BASIRA("uncovered"), "style": BASIRA("uncoveredStyle")}


def uncovered(settings: Settings) -> tuple[str, ...]:
    """The codes of the regions not yet connected under ``settings``, in code order."""
    return Reference.from_settings(settings).coverage(settings.covered).uncovered


class Coverage(Layer):
    key = "coverage"
    title_key = "layer.coverage"

    def applies(self, settings: Settings) -> bool:
        return bool(uncovered(settings))

    def component(self, ctx: MapContext) -> list[Component]:
        return [
            dl.Pane(
                name=PANE,
                style={"zIndex": PANE_Z},
                children=dl.GeoJSON(
                    id=ctx.id(self.key, "shapes"),
                    url=geo_url(ctx.settings, REGIONS_FILE),
                    hideout=self.hideout(ctx.lang, ctx.settings),
                    interactive=False,
                    **FUNCTIONS,
                ),
            )
        ]

    def hideout(self, lang: str, settings: Any) -> dict[str, Any]:
        return {
            "lang": lang,
            "uncovered": list(uncovered(settings)),
            "hatch": {"colour": HATCH, "gap": HATCH_GAP, "width": HATCH_WIDTH, "opacity": HATCH_OPACITY},
        }

    def legend(self) -> Legend:
        return Legend(title=self.title, entries=(LegendEntry(HATCH, bilingual("coverage.legend"), "hatch"),))
