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
:data:`TRAIL_STEP` degrees (~11 m), oldest first, and nothing for a unit that stood still.
"""

from __future__ import annotations

import math
from typing import Any

from dash.development.base_component import Component

from app.contract import Scope
from app.i18n import bilingual, group, t

from .base import (
    COORD_DECIMALS,
    Layer,
    Legend,
    LegendEntry,
    MapContext,
    clustered_points,
    feature_collection,
    point_features,
)

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
#: Trails: offsets in steps of 1e-4° (~11 m); a unit that moved less than STILL_STEPS stood still.
TRAIL_STEP = 1e-4
STILL_STEPS = 3
SIMPLIFY_STEPS = 1.5
TRAIL_COLOUR = "#9fb4c8"
#: The line from a hovered unit to its incident (and from an incident to its units).
LINK_COLOUR = "#74c0fc"


def trail_offsets(trail: list[list[float]] | None, here: list[float]) -> list[int] | None:
    """``[dlon, dlat, …]`` of the trail's earlier points from ``here`` (the newest), in TRAIL_STEPs,
    oldest first; ``None`` when there is none or the unit stood still.

    Points the line would pass anyway are dropped (repeats, and points within ~1.5 steps of the
    straight line between their neighbours), so a unit driving straight sends one offset, not nine.
    """
    if not trail or len(trail) < 2:
        return None
    lon0, lat0 = here[:2]
    points: list[tuple[int, int]] = []
    for lon, lat, *_ in trail[:-1]:
        step = (round((lon - lon0) / TRAIL_STEP), round((lat - lat0) / TRAIL_STEP))
        if not points or points[-1] != step:
            points.append(step)
    kept = _simplify([*points, (0, 0)], SIMPLIFY_STEPS)[:-1]
    if not kept or max(max(abs(x), abs(y)) for x, y in kept) < STILL_STEPS:
        return None
    return [v for xy in kept for v in xy]


def _simplify(points: list[tuple[int, int]], tolerance: float) -> list[tuple[int, int]]:
    """Ramer–Douglas–Peucker: the points that keep the line within ``tolerance`` of the original."""
    if len(points) < 3:
        return points
    (x0, y0), (x1, y1) = points[0], points[-1]
    length = math.hypot(x1 - x0, y1 - y0)
    worst, at = -1.0, 0
    for i, (x, y) in enumerate(points[1:-1], start=1):
        if length:
            distance = abs((x1 - x0) * (y0 - y) - (x0 - x) * (y1 - y0)) / length
        else:
            distance = math.hypot(x - x0, y - y0)
        if distance > worst:
            worst, at = distance, i
    if worst <= tolerance:
        return [points[0], points[-1]]
    return _simplify(points[: at + 1], tolerance)[:-1] + _simplify(points[at:], tolerance)


class Units(Layer):
    key = "units"
    title_key = "layer.units"
    live = True
    fed = True

    def component(self, ctx: MapContext) -> list[Component]:
        return [clustered_points(self, ctx, PANE, PANE_Z, radius=35, max_zoom=11, js="basira.unit")]

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

    def data(self, store: Any, scope: Scope) -> dict[str, Any]:
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
