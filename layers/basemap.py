"""The offline basemap: vector tiles of land, sea, towns and (when the file has them) streets, under
Basira's own region outlines and names.

It needs no network. The tiles come from one PMTiles file that Basira serves itself
(:data:`app.basemap.BASEMAP_URL`, answered with ``206`` ranges): the Kingdom basemap it ships, built
from its own geodata (``python -m app basemap build``), or a Protomaps extract with streets that an
operator names in ``BASIRA_BASEMAP`` (:func:`app.basemap.resolve` falls back to the shipped file when
that one cannot be read). ``protomaps-leaflet`` (``assets/vendor``) draws them as a Leaflet grid layer
in the tile pane, beneath every overlay, in a dark flavour (:class:`Basemap`: every page) or a light
one (:class:`LightBasemap`: chosen in the command view's layer control); towns, seas and streets are
named in the page's language (``name:ar`` / ``name:en``, falling back to ``name``).

Over the tiles, the regions and neighbouring countries stay GeoJSON that the app serves itself
(:func:`geodata`, from the files the settings name, so an operator's official boundaries show up
here too): the region outlines, a veil over the neighbours so the Kingdom stands out, and the region
and country names as page text in the current language at a point well inside each polygon (the
tiles' own region and country names are not drawn, so nothing is named twice). A raster tile layer
replaces the vector tiles when ``BASIRA_TILE_URL`` is set (a ministry's GIS server).

Credits: the regions and neighbours are OpenStreetMap-derived (ODbL), so the layer's
``attribution`` — "© OpenStreetMap contributors" — is always in the map's attribution control (it is
not set on the GeoJSON components: dash-leaflet 1.1.3 does not pass a GeoJSON's ``attribution`` on to
Leaflet, so the page puts every layer's credit into the control itself). The vector tiles add the
file's own attribution (from its metadata) and say which basemap is shown.
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import dash_leaflet as dl
import orjson
import shapely
from dash.development.base_component import Component
from shapely.ops import polylabel

from app.basemap import BASEMAP_URL, BasemapSource
from app.basemap import resolve as basemap_source
from app.i18n import bilingual, t

from .base import COORD_DECIMALS, Layer, Legend, LegendEntry, MapContext
from .js import BASIRA

#: The basemap's functions in assets/basira.js.
NOT_SAUDI = BASIRA("notSaudi")
NEIGHBOUR_STYLE = BASIRA("neighbourStyle")
REGION_STYLE = BASIRA("regionStyle")
PLACE_LABEL = BASIRA("placeLabel")
VECTOR_BASEMAP = BASIRA("vectorBasemap")

if TYPE_CHECKING:
    from app.settings import Settings

#: Where the app serves the files of :func:`geodata` (see ``app.web``).
GEO_URL = "/geo/"
REGIONS_FILE = "regions.geojson"
NEIGHBOURS_FILE = "neighbors.geojson"
LABELS_FILE = "labels.geojson"
#: Characters of a file's ETag in its versioned URL (:func:`geo_url`).
VERSION_CHARS = 12
#: The ODbL attribution the map must show (HTML for Leaflet's attribution control; a constant).
OSM_ATTRIBUTION = (
    '© <a href="https://www.openstreetmap.org/copyright" target="_blank" rel="noopener">'
    "OpenStreetMap</a> contributors"
)
#: The basemap's own pane sits between the tiles (200) and the other overlays (400); its names
#: have a pane of their own above those (a pane's SVG sits at z-index 200 inside it and would hide
#: markers placed in the same pane).
PANE = "basira-basemap"
PANE_Z = 250
LABEL_PANE = "basira-labels"
LABEL_PANE_Z = 450

#: Colours of the GeoJSON basemap drawn when there are raster tiles underneath (the sea is also the map
#: background in ``assets/basira.css``; keep them equal).
SEA = "#0a1b29"
LAND = "#1f2b38"
NEIGHBOUR = "#1b2026"
BORDER = "#55687d"
NEIGHBOUR_BORDER = "#363d45"

#: The vector tiles' flavours (protomaps-leaflet's named flavours): the colours the legend shows for
#: them, as that flavour paints the ``earth`` and ``water`` layers, and how strongly the neighbouring
#: countries are veiled so that the Kingdom stands out.
FLAVOURS: dict[str, dict[str, Any]] = {
    "dark": {"earth": "#1f1f1f", "water": "#31353f", "veil": "#000000", "veil_opacity": 0.35,
             "border": BORDER},
    "light": {"earth": "#e2dfda", "water": "#80deea", "veil": "#6b6b6b", "veil_opacity": 0.25,
              "border": "#7a6f64"},
}
#: A point for the one-feature GeoJSON whose ``pointToLayer`` makes the vector tile layer: dash-leaflet
#: has no vector tile component, so the layer rides a GeoJSON like the other custom layers do.
_ANCHOR = {
    "type": "FeatureCollection",
    "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [45.0, 24.0]},
                  "properties": {}}],
}


class Basemap(Layer):
    """The dark basemap: every page's, beneath everything else."""

    key = "basemap"
    title_key = "layer.basemap"
    attribution = OSM_ATTRIBUTION
    base = True
    flavour: ClassVar[str] = "dark"
    #: Its panes (each base map has its own: a pane is created once per map).
    pane: ClassVar[str] = PANE
    label_pane: ClassVar[str] = LABEL_PANE

    def component(self, ctx: MapContext) -> list[Component]:
        hideout = self.hideout(ctx.lang, ctx.settings)
        parts: list[Component] = []
        if ctx.settings.tile_url:
            parts.append(dl.TileLayer(url=ctx.settings.tile_url, maxZoom=18))
        else:
            parts.append(
                dl.GeoJSON(
                    id=ctx.id(self.key, "vector"),
                    data=_ANCHOR,
                    pointToLayer=VECTOR_BASEMAP,
                    hideout=hideout,
                    interactive=False,
                )
            )
        parts.append(
            dl.Pane(
                name=self.pane,
                style={"zIndex": PANE_Z},
                children=[
                    dl.GeoJSON(
                        id=ctx.id(self.key, "neighbours"),
                        url=geo_url(ctx.settings, NEIGHBOURS_FILE),
                        filter=NOT_SAUDI,
                        style=NEIGHBOUR_STYLE,
                        hideout=hideout,
                        interactive=False,
                    ),
                    dl.GeoJSON(
                        id=ctx.id(self.key, "regions"),
                        url=geo_url(ctx.settings, REGIONS_FILE),
                        style=REGION_STYLE,
                        hideout=hideout,
                        interactive=False,
                    ),
                ],
            )
        )
        parts.append(
            dl.Pane(
                name=self.label_pane,
                style={"zIndex": LABEL_PANE_Z},
                children=dl.GeoJSON(
                    id=ctx.id(self.key, "labels"),
                    url=geo_url(ctx.settings, LABELS_FILE),
                    pointToLayer=PLACE_LABEL,
                    hideout=hideout,
                    interactive=False,
                ),
            )
        )
        return parts

    def hideout(self, lang: str, settings: Any) -> dict[str, Any]:
        flavour = FLAVOURS[self.flavour]
        hideout: dict[str, Any] = {
            "lang": lang,
            "pane": self.pane,
            "labelPane": self.label_pane,
            "tiles": bool(settings.tile_url),
            "flavour": self.flavour,
            "colours": {
                "land": LAND,
                "neighbour": NEIGHBOUR,
                "border": BORDER,
                "neighbourBorder": NEIGHBOUR_BORDER,
            },
        }
        if not settings.tile_url:
            source = basemap_source(settings)
            hideout["vector"] = {
                "url": BASEMAP_URL,
                "version": source.etag,
                "flavour": self.flavour,
                "maxZoom": source.max_zoom,
                "attribution": _credit(source, lang),
                "veil": flavour["veil"],
                "veilOpacity": flavour["veil_opacity"],
                "border": flavour["border"],
            }
        return hideout

    def legend(self) -> Legend:
        flavour = FLAVOURS[self.flavour]
        return Legend(
            title=self.title,
            entries=(
                LegendEntry(flavour["earth"], bilingual("basemap.land"), "fill"),
                LegendEntry(flavour["water"], bilingual("basemap.sea"), "fill"),
                LegendEntry(flavour["border"], bilingual("basemap.region"), "line"),
                LegendEntry(flavour["veil"], bilingual("basemap.neighbour"), "fill"),
            ),
        )


class LightBasemap(Basemap):
    """The light basemap, chosen in the command view's layer control (daylight, print, a projector)."""

    key = "basemap_light"
    title_key = "layer.basemap_light"
    flavour = "light"
    pane = PANE + "-light"
    label_pane = LABEL_PANE + "-light"


def _credit(source: BasemapSource, lang: str) -> str:
    """The tiles' line in the attribution control: which basemap this is, then the file's own credit.

    The file's attribution is its metadata's (an operator's extract credits OpenStreetMap under the
    ODbL); the name of a configured file is the operator's path's base name, escaped.
    """
    if source.shipped:
        which = t("basemap.shipped", lang)
        if source.problem:
            which = f"{which} ({t('basemap.fallback', lang)})"
    else:
        which = t("basemap.configured", lang, name=html.escape(source.path.name))
    return f'<span class="basira-basemap-name">{which}</span> · {source.attribution}'


#: The geodata files and their ETags, by the files' paths, sizes and modification times: an app made
#: again in the same process with the same files (the tests make hundreds) reuses them — placing the
#: labels is most of the cost of making an app — and a file changed since is read again.
_GEODATA: dict[tuple[tuple[str, int, int], ...], tuple[dict[str, bytes], dict[str, str]]] = {}


def geodata_files(settings: Settings) -> tuple[dict[str, bytes], dict[str, str]]:
    """:func:`geodata` for ``settings``, and each file's ETag (a digest of its bytes); read once per
    version of the files. Raises ``OSError`` for a missing or unreadable file, as :func:`geodata` does."""
    paths = [Path(settings.regions_file), Path(settings.neighbors_file)]
    key = tuple((str(path.resolve()), stat.st_size, stat.st_mtime_ns) for path in paths
                for stat in [path.stat()])
    found = _GEODATA.get(key)
    if found is None:
        files = geodata(settings)
        found = files, {name: hashlib.sha256(data).hexdigest()[:32] for name, data in files.items()}
        if len(_GEODATA) >= 8:
            _GEODATA.clear()
        _GEODATA[key] = found
    return found


def geo_url(settings: Settings, name: str) -> str:
    """Where a page loads the geodata file ``name``: its path with its version (``?v=``, the start of its
    ETag). A versioned URL is cached for good (``app.web`` serves it as immutable); new regions or
    neighbours, or an upgrade that changes the labels, give a new URL, so no browser keeps drawing the
    old ones (an unversioned URL was cached for an hour)."""
    try:
        version = geodata_files(settings)[1][name][:VERSION_CHARS]
    except (OSError, ValueError):  # gone or broken since the app started: served as read then, revalidated
        return f"{GEO_URL}{name}"
    return f"{GEO_URL}{name}?v={version}"


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
