"""The offline vector basemap: sea, neighbouring countries, and the 13 regions with their names.

It needs no network: the sea is the map container's background colour (``assets/basira.css``), the
land comes from the neighbours and regions GeoJSON that the app serves itself (:func:`geodata`, from
the files the settings name, so an operator's official boundaries show up here too), and the names
of the regions and countries are labels in the current language, each at a point well inside its
polygon. A raster tile layer is added underneath only when ``BASIRA_TILE_URL`` is set; the vector
land then turns see-through so the tiles show.

Both files are OpenStreetMap-derived (ODbL): the layer's ``attribution`` — "© OpenStreetMap
contributors", linked to the copyright page — is shown in the map's attribution control. (It is not
set on the GeoJSON components: dash-leaflet 1.1.3 does not pass a GeoJSON's ``attribution`` on to
Leaflet, so the page puts every layer's credit into the control itself.)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import dash_leaflet as dl
import orjson
import shapely
from dash.development.base_component import Component
from shapely.ops import polylabel

from app.i18n import bilingual

from .base import COORD_DECIMALS, Layer, Legend, LegendEntry, MapContext
from .js import BASIRA

#: The basemap's functions in assets/basira.js.
NOT_SAUDI = BASIRA("notSaudi")
NEIGHBOUR_STYLE = BASIRA("neighbourStyle")
REGION_STYLE = BASIRA("regionStyle")
PLACE_LABEL = BASIRA("placeLabel")

if TYPE_CHECKING:
    from app.settings import Settings

#: Where the app serves the files of :func:`geodata` (see ``app.web``).
GEO_URL = "/geo/"
REGIONS_FILE = "regions.geojson"
NEIGHBOURS_FILE = "neighbors.geojson"
LABELS_FILE = "labels.geojson"
#: The ODbL attribution the map must show (HTML for Leaflet's attribution control; a constant).
OSM_ATTRIBUTION = (
    '© <a href="https://www.openstreetmap.org/copyright" target="_blank" rel="noopener">'
    "OpenStreetMap</a> contributors"
)
#: The basemap's own pane sits between raster tiles (200) and the other overlays (400); its names
#: have a pane of their own above those (a pane's SVG sits at z-index 200 inside it and would hide
#: markers placed in the same pane).
PANE = "basira-basemap"
PANE_Z = 250
LABEL_PANE = "basira-labels"
LABEL_PANE_Z = 450

#: Colours (the sea is also the map background in ``assets/basira.css``; keep them equal).
SEA = "#0a1b29"
LAND = "#1f2b38"
NEIGHBOUR = "#1b2026"
BORDER = "#55687d"
NEIGHBOUR_BORDER = "#363d45"


class Basemap(Layer):
    key = "basemap"
    title_key = "layer.basemap"
    attribution = OSM_ATTRIBUTION
    base = True

    def component(self, ctx: MapContext) -> list[Component]:
        hideout = self.hideout(ctx.lang, ctx.settings)
        parts: list[Component] = []
        if ctx.settings.tile_url:
            parts.append(dl.TileLayer(url=ctx.settings.tile_url, maxZoom=18))
        parts.append(
            dl.Pane(
                name=PANE,
                style={"zIndex": PANE_Z},
                children=[
                    dl.GeoJSON(
                        id=ctx.id(self.key, "neighbours"),
                        url=GEO_URL + NEIGHBOURS_FILE,
                        filter=NOT_SAUDI,
                        style=NEIGHBOUR_STYLE,
                        hideout=hideout,
                        interactive=False,
                    ),
                    dl.GeoJSON(
                        id=ctx.id(self.key, "regions"),
                        url=GEO_URL + REGIONS_FILE,
                        style=REGION_STYLE,
                        hideout=hideout,
                        interactive=False,
                    ),
                ],
            )
        )
        parts.append(
            dl.Pane(
                name=LABEL_PANE,
                style={"zIndex": LABEL_PANE_Z},
                children=dl.GeoJSON(
                    id=ctx.id(self.key, "labels"),
                    url=GEO_URL + LABELS_FILE,
                    pointToLayer=PLACE_LABEL,
                    hideout=hideout,
                    interactive=False,
                ),
            )
        )
        return parts

    def hideout(self, lang: str, settings: Any) -> dict[str, Any]:
        return {
            "lang": lang,
            "pane": PANE,
            "labelPane": LABEL_PANE,
            "tiles": bool(settings.tile_url),
            "colours": {
                "land": LAND,
                "neighbour": NEIGHBOUR,
                "border": BORDER,
                "neighbourBorder": NEIGHBOUR_BORDER,
            },
        }

    def legend(self) -> Legend:
        return Legend(
            title=self.title,
            entries=(
                LegendEntry(LAND, bilingual("basemap.region"), "fill"),
                LegendEntry(NEIGHBOUR, bilingual("basemap.neighbour"), "fill"),
                LegendEntry(SEA, bilingual("basemap.sea"), "fill"),
            ),
        )


def geodata(settings: Settings) -> dict[str, bytes]:
    """The files the basemap loads, by name: the configured regions and neighbours, and their labels.

    Read when the app starts (a missing or broken file fails then, not as a blank map). Raises
    ``OSError`` for an unreadable file and ``ValueError`` for one that is not GeoJSON.
    """
    regions = Path(settings.regions_file).read_bytes()
    neighbours = Path(settings.neighbors_file).read_bytes()
    labels = label_points(regions, neighbours)
    return {REGIONS_FILE: regions, NEIGHBOURS_FILE: neighbours, LABELS_FILE: labels}


def label_points(regions: bytes, neighbours: bytes) -> bytes:
    """Where to write each region's and neighbouring country's name: a point well inside it.

    The pole of inaccessibility of the largest part (``polylabel``), not the centroid, so the
    name of a long, bent region such as the Northern Borders sits inside it and clear of its
    neighbours'. Region names lose their "منطقة" ("region") prefix on the map, to stay short.
    """
    features = []
    for kind, text in (("region", regions), ("country", neighbours)):
        for feature in orjson.loads(text)["features"]:
            props = feature.get("properties") or {}
            if props.get("iso_a3") == "SAU":
                continue  # the Kingdom is labelled by its regions
            geometry = shapely.from_geojson(orjson.dumps(feature["geometry"]))
            largest = max(getattr(geometry, "geoms", [geometry]), key=lambda part: part.area)
            point = polylabel(largest, tolerance=0.01)
            name_ar = str(props.get("name_ar") or "")
            if kind == "region" and name_ar.startswith("منطقة "):
                name_ar = name_ar.removeprefix("منطقة ")
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Point",
                        "coordinates": [round(point.x, COORD_DECIMALS), round(point.y, COORD_DECIMALS)],
                    },
                    "properties": {
                        "kind": kind,
                        "code": props.get("code") or props.get("iso_a3"),
                        "name_ar": name_ar,
                        "name_en": props.get("name_en") or "",
                    },
                }
            )
    return orjson.dumps({"type": "FeatureCollection", "features": features})
