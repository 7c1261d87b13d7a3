"""Basira's map layers: one module per layer, all sharing the small interface in :mod:`layers.base`.

Lives here: the layers, what they read (:class:`layers.reads.Reads`).
May import: settings, contract, geo, reference, basemap (which tile file), i18n, Dash; the store only for
types; never pages.

``LAYERS`` is the explicit, ordered tuple of the built-in layers (drawing order: first is bottom).
Pages loop over it, leaving out a layer that does not apply under their settings (``Layer.applies``);
a new layer is a new module plus one line here.
"""

from __future__ import annotations

from .base import LIVE_PART, Layer, Legend, LegendEntry, MapContext, part_id
from .basemap import Basemap, LightBasemap
from .calls import Calls
from .coverage import Coverage
from .heatmap import Heatmap
from .incidents import Incidents
from .official import OfficialAlerts
from .ports import Ports
from .reads import Reads
from .regions import Regions
from .units import Units

LAYERS: tuple[Layer, ...] = (
    Basemap(), LightBasemap(), Regions(), Coverage(), OfficialAlerts(), Heatmap(), Calls(), Ports(), Units(),
    Incidents(),
)

__all__ = [
    "LAYERS",
    "LIVE_PART",
    "Layer",
    "Legend",
    "LegendEntry",
    "MapContext",
    "Reads",
    "part_id",
]


def by_key(key: str) -> Layer:
    """The built-in layer called ``key``. Raises ``KeyError`` for an unknown one."""
    for layer in LAYERS:
        if layer.key == key:
            return layer
    raise KeyError(key)
