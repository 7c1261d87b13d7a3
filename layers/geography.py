"""The regions as the region-level layers show them: names, population, and where to write on the map.

The choropleth, the 911-calls badges and the heatmap's per-region features all stand at a region's
*label point* — the same point the basemap writes the region's name at (:func:`layers.basemap.label_points`),
so a badge sits with its name. The population is :func:`app.geo.load_regions`'s: the sum of the
region's populated places in the cities table (towns of 15,000 people and more, GeoNames), not a
census total; rates per 100,000 people say so in their legend.

Read once per set of reference files (:class:`app.reference.Reference`). A layer's ``data(store,
scope)`` finds them on the store (``store.reference``); ``component``/``hideout`` on the settings
(``Reference.from_settings``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson

from app.reference import Reference

from .basemap import label_points

if TYPE_CHECKING:
    from .reads import Reads

_NO_FEATURES = b'{"type":"FeatureCollection","features":[]}'


@dataclass(frozen=True)
class RegionInfo:
    code: str
    name_ar: str  # without the "منطقة" ("region") prefix, as the map writes it
    name_en: str
    population: int
    label: tuple[float, float]  # (lon, lat), rounded like every coordinate sent to the browser

    def name(self, lang: str) -> str:
        return self.name_ar if lang == "ar" else self.name_en


@lru_cache(maxsize=4)
def _regions(reference: Reference) -> dict[str, RegionInfo]:
    labels = {
        f["properties"]["code"]: tuple(f["geometry"]["coordinates"])
        for f in orjson.loads(label_points(reference.regions_file.read_bytes(), _NO_FEATURES))["features"]
    }
    return {
        code: RegionInfo(
            code=code,
            name_ar=region.name_ar.removeprefix("منطقة "),
            name_en=region.name_en,
            population=region.population,
            label=labels[code],  # type: ignore[arg-type]
        )
        for code, region in reference.regions.items()
    }


def regions_of_store(store: Reads) -> dict[str, RegionInfo]:
    """The regions of the store's reference data (``store.reference``)."""
    return _regions(store.reference)


def regions_of(reference: Reference) -> dict[str, RegionInfo]:
    """The regions of ``reference`` (``store.reference`` where a store is at hand)."""
    return _regions(reference)


def regions_of_settings(settings: Any) -> dict[str, RegionInfo]:
    """The regions of the files the settings name."""
    return _regions(Reference.from_settings(settings))


def point(info: RegionInfo) -> dict[str, Any]:
    """A GeoJSON Point at the region's label point."""
    return {"type": "Point", "coordinates": list(info.label)}
