"""A layer's own switch on the map (the heatmap's time window, the choropleth's measure).

Leaflet controls are not Dash components, and a Dash component put inside the map would stay on it
when its layer is switched off in the layer control. So a layer that needs a switch adds one more
GeoJSON component (:func:`switch_part`), whose single feature ``assets/layers.js``
(``basira.mapControl``) turns into a Leaflet layer that adds the switch to the map when it is added,
and removes the switch when it is removed — with its layer. A change of language gives the
component a new ``hideout``; dash-leaflet then redraws the feature, and the switch with it, in
that language.

The switch reads ``hideout.control``: ``kind`` (which layer it drives), ``title``, ``options``
(``value`` and ``label`` each, the first being the default) and an optional ``note`` per value.
A choice is kept per map in the browser and announced on the map as a ``basira:switch`` event,
which the layer's own drawing functions listen to: switching draws nothing anew on the server.
"""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl

from .base import LIVE_PART, Layer, MapContext, feature_collection
from .js import BASIRA

#: The switch's function in assets/layers.js.
MAP_CONTROL = BASIRA("mapControl")

#: The part name of a layer's switch component.
SWITCH_PART = "switch"
#: Its data: one point (where it lies does not matter; it draws nothing there).
SWITCH_DATA: dict[str, Any] = feature_collection(
    [{"type": "Feature", "id": SWITCH_PART, "geometry": {"type": "Point", "coordinates": [45.0, 24.0]},
      "properties": {"id": SWITCH_PART}}]
)


def switch_part(ctx: MapContext, layer: str, hideout: dict[str, Any]) -> dl.GeoJSON:
    """The component that holds ``layer``'s switch while the layer is on the map."""
    return dl.GeoJSON(
        id=ctx.id(layer, SWITCH_PART),
        data=SWITCH_DATA,
        pointToLayer=MAP_CONTROL,
        hideout=hideout,
    )


def switched_layer(
    layer: Layer, ctx: MapContext, pane: str, pane_z: int, **functions: dict[str, str]
) -> dl.Pane:
    """A live layer's GeoJSON in its own pane, with its switch beside it (both go with the layer).

    ``functions`` are dash-leaflet's functional props by name, each naming a function in ``assets/``
    (``pointToLayer=BASIRA("heatPart")``, :mod:`layers.js`)."""
    hideout = layer.hideout(ctx.lang, ctx.settings)
    return dl.Pane(
        name=pane,
        style={"zIndex": pane_z},
        children=[
            dl.GeoJSON(
                id=ctx.id(layer.key, LIVE_PART),
                data=feature_collection([]),
                hideout=hideout,
                **functions,
            ),
            switch_part(ctx, layer.key, hideout),
        ],
    )
