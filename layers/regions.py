"""Open incidents per region: a choropleth, per 100,000 people or as a count (switched on the map).

The region polygons never travel with the data. The browser already has them — it fetched
``/geo/regions.geojson`` once for the basemap, and reads it again from its cache here — so a refresh
carries one small Point feature per region (its label point, the open count, the priority-1 count,
the rate per 100,000 people): ~2 KB for the Kingdom, against ~230 KB for the polygons.
``assets/layers.js`` (``basira.regionShape``) turns each point into its region's polygon, coloured
by the measure chosen in the layer's switch on the map (:mod:`layers.switch`). Classes are five
equal steps up to a rounded maximum of the regions shown; the switch shows them with their figures.

The fill sits in its own pane above the basemap's land and below the region names; each polygon is
outlined in the basemap's border colour, so the outlines stay on top of the fill.

Scope: counts follow the agency of the scope; a region scope shows that region alone (the other
regions fall back to the plain basemap), as every figure on the page follows the scope. While the
scope has no open incident there is nothing to map and the collection is empty. Clicking a
region's polygon reports its ``properties.code`` in the live component's ``clickData`` (the page
drills down on it).

Population is that of :mod:`layers.geography` — the region's towns of 15,000 people and more
(GeoNames, CC BY 4.0, credited in the attribution), not a census count; the switch says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dash.development.base_component import Component

from app.contract import Scope
from app.i18n import bilingual, t

from .base import Layer, Legend, LegendEntry, MapContext, feature_collection
from .basemap import BORDER, REGIONS_FILE, geo_url
from .geography import point, regions_of_settings, regions_of_store
from .js import BASIRA
from .switch import switched_layer

#: Its pane: above the basemap's land (250), below the region names (450) and the heatmap (350).
PANE = "basira-regions"
PANE_Z = 300
#: Five classes, light = more (the map is dark); the lowest is close to the land colour.
RAMP: tuple[str, ...] = ("#26374b", "#31506f", "#406c96", "#5a8cbd", "#86b3e3")
#: The measures the switch offers, the first being the default.
MEASURES: tuple[str, ...] = ("rate", "open")
GEONAMES_ATTRIBUTION = (
    'Population: <a href="https://www.geonames.org" target="_blank" rel="noopener">GeoNames</a> (CC BY 4.0)'
)

#: The choropleth's functions in assets/layers.js.
FUNCTIONS = {
    "pointToLayer": BASIRA("regionShape"),
    "style": BASIRA("regionFill"),
    "onEachFeature": BASIRA("regionTooltip"),
}

if TYPE_CHECKING:
    from .reads import Reads
class Regions(Layer):
    key = "regions"
    title_key = "layer.regions"
    live = True
    attribution = GEONAMES_ATTRIBUTION

    def component(self, ctx: MapContext) -> list[Component]:
        return [
            switched_layer(self, ctx, PANE, PANE_Z, **FUNCTIONS)
        ]

    def hideout(self, lang: str, settings: Any) -> dict[str, Any]:
        regions = regions_of_settings(settings)
        return {
            "lang": lang,
            "pane": PANE,
            "shapes": geo_url(settings, REGIONS_FILE),
            "tiles": bool(settings.tile_url),
            "border": BORDER,
            "ramp": list(RAMP),
            "names": {code: info.name(lang) for code, info in regions.items()},
            "labels": {
                "open": t("regions.open", lang),
                "p1": t("regions.p1", lang),
                "rate": t("regions.rate", lang),
                "population": t("regions.population", lang),
            },
            "control": {
                "kind": "regions",
                "title": t("regions.switch", lang),
                "options": [{"value": m, "label": t(f"regions.measure.{m}", lang)} for m in MEASURES],
                "note": {"rate": t("regions.population_note", lang)},
            },
        }

    def data(self, store: Reads, scope: Scope) -> dict[str, Any]:
        rows = store.incident_rows(scope)
        if not len(rows):
            return feature_collection([])
        counts = rows.by_region()
        features = []
        for code, info in regions_of_store(store).items():
            if code not in scope.regions:
                continue
            open_, p1 = counts.get(code, (0, 0))
            rate = round(open_ * 100_000 / info.population, 2) if info.population else None
            features.append(
                {
                    "type": "Feature",
                    "id": code,
                    "geometry": point(info),
                    "properties": {"id": code, "code": code, "region": code, "open": open_, "p1": p1,
                                   "rate": rate, "pop": info.population},
                }
            )
        return feature_collection(features)

    def legend(self) -> Legend:
        return Legend(
            title=self.title,
            entries=(
                LegendEntry(RAMP[0], bilingual("regions.legend.low"), "fill"),
                LegendEntry(RAMP[2], bilingual("regions.legend.scale"), "fill"),
                LegendEntry(RAMP[-1], bilingual("regions.legend.high"), "fill"),
            ),
        )
