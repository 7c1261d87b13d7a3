"""Field units (vehicles): one clustered GeoJSON layer, coloured by status, pointing along the heading.

Same mechanism as the incidents (the live feed on the command view, :meth:`Units.data` elsewhere):
the page pushes a FeatureCollection into ``data``, and
``assets/basira.js`` draws each unit as a small arrow rotated to its heading (a dot when the
producer sent none), coloured by status. Units cluster less eagerly than incidents (a smaller
radius, and not beyond street zoom), since seeing where the vehicles are is the point.

Each unit that moved carries its recent track (``properties.trail``), drawn as a faint line behind
its marker while the marker is shown (``basira.unitPoint`` in ``assets/markers.js``); a unit sent to
an incident carries that incident's position (``properties.inc_at``), and hovering the unit draws
the link to it. The trail is sent compactly: offsets from the unit's position in units of
:data:`app.geo.TRAIL_STEP` degrees (~11 m), oldest first, and nothing for a unit that stood still.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dash.development.base_component import Component

from app.contract import Scope
from app.geo import TRAIL_STEP, trail_offsets
from app.i18n import bilingual, group, t

from .base import (
    COORD_DECIMALS,
    Layer,
    Legend,
    LegendEntry,
    MapContext,
    clustered_functions,
    clustered_points,
    feature_collection,
    point_features,
)

#: The units' functions in assets/markers.js and assets/basira.js.
FUNCTIONS = clustered_functions("unit")

if TYPE_CHECKING:
    from .reads import Reads

#: Unit status → colour. Read by the legend and, via the hideout, by basira.js.
STATUS_COLOURS: dict[str, str] = {
    "available": "#40c057",
    "dispatched": "#3bc9db",
    "on_scene": "#cc5de8",
    "out_of_service": "#868e96",
    "stale": "#b08968",  # no report since its stale time (TAK): drawn faded (assets/basira.css)
}
#: Own pane above the basemap and the other overlays; the markers and clusters are drawn in it.
PANE = "basira-units"
PANE_Z = 610
TRAIL_COLOUR = "#9fb4c8"
#: The line from a hovered unit to its incident (and from an incident to its units).
LINK_COLOUR = "#74c0fc"


class Units(Layer):
    key = "units"
    title_key = "layer.units"
    live = True
    fed = True
    feed_kind = "unit"

    def component(self, ctx: MapContext) -> list[Component]:
        return [clustered_points(self, ctx, PANE, PANE_Z, radius=35, max_zoom=11, functions=FUNCTIONS)]

    def hideout(self, lang: str, settings: Any) -> dict[str, Any]:
        return {
            "lang": lang,
            "pane": PANE,
            "colours": STATUS_COLOURS,
            "trail": {"step": TRAIL_STEP, "colour": TRAIL_COLOUR},
            "link": LINK_COLOUR,
            "labels": {
                "status": group("unit_status", lang),
                "agency": group("agency", lang),
                "speed": t("popup.speed", lang),
                "kmh": t("popup.kmh", lang),
                "incident": t("popup.incident", lang),
                "heading": t("popup.heading", lang),
            },
        }

    def data(self, store: Reads, scope: Scope) -> dict[str, Any]:
        features = point_features(store.units(scope))
        trails = store.unit_trails(features)
        incidents = {f.get("id"): f["geometry"]["coordinates"] for f in store.incidents(scope)}
        for feature in features:
            props = feature["properties"]
            trail = trail_offsets(trails.get(feature["id"]), feature["geometry"]["coordinates"])
            if trail:
                props["trail"] = trail
            target = incidents.get(props.get("incident"))
            if target:
                props["inc_at"] = [round(v, COORD_DECIMALS) for v in target[:2]]
        return feature_collection(features)

    def legend(self) -> Legend:
        entries = [
            LegendEntry(colour, bilingual(f"unit_status.{status}"), "arrow")
            for status, colour in STATUS_COLOURS.items()
        ]
        entries.append(LegendEntry("#ced4da", bilingual("unit.heading_legend"), "arrow"))
        entries.append(LegendEntry(TRAIL_COLOUR, bilingual("unit.trail_legend"), "line"))
        entries.append(LegendEntry(LINK_COLOUR, bilingual("unit.link_legend"), "dash"))
        return Legend(title=self.title, entries=tuple(entries))
