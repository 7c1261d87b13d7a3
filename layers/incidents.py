"""Open incidents: one clustered GeoJSON layer (supercluster in the browser), coloured by priority.

Never one component per marker: the page pushes a FeatureCollection into the layer's ``data`` prop
and dash-leaflet clusters it client-side — on the command view from the live feed (``app/feed.py``,
``assets/feed.js``: the whole scope once, then only what changed), on the wall and the kiosk from
their refresh (:meth:`Incidents.data`). Each point is a circle marker coloured by priority (P1
largest); each cluster takes the colour of the most urgent incident inside it, so a priority-1
incident stays visible at the national zoom. Hovering shows category and priority; a click opens a
popup with the details. The description is untrusted producer text: ``assets/basira.js`` puts it
into the popup as text (``textContent``), never as HTML.

A priority-1 incident pulses for :data:`PULSE_MS` after it was opened — its own marker, not only
the cluster it may be in (``basira.incidentPoint`` in ``assets/markers.js``); the pulse is timed in
the browser from ``opened``, so it ends on time even when no new data arrives. Each incident
carries the positions of its units (``properties.unit_at``): hovering it links them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash_leaflet as dl
from dash.development.base_component import Component

from app.contract import Scope
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
from .units import LINK_COLOUR

#: The incidents' functions in assets/markers.js and assets/basira.js.
FUNCTIONS = clustered_functions("incident")

if TYPE_CHECKING:
    from .reads import Reads

#: Priority → colour (1 most urgent). Read by the legend and, via the hideout, by basira.js.
PRIORITY_COLOURS: dict[str, str] = {"1": "#ff3b3b", "2": "#ff8c1a", "3": "#ffd43b", "4": "#4dabf7"}
#: Own panes above the basemap and the other overlays: the circle markers (SVG) in one, the cluster
#: icons above them in another (inside one pane the SVG sits at z-index 200, above any icon whose
#: position-based z-index is lower, i.e. near the top of the map).
PANE = "basira-incidents"
PANE_Z = 620
CLUSTER_PANE = "basira-incident-clusters"
CLUSTER_PANE_Z = 630
#: The popup shows a short description; the full text is in the API and, later, the detail panel.
DESCRIPTION_CHARS = 200
#: How long a new priority-1 incident's marker pulses after it was opened.
PULSE_MS = 120_000


class Incidents(Layer):
    key = "incidents"
    title_key = "layer.incidents"
    live = True
    fed = True
    feed_kind = "inc"

    def component(self, ctx: MapContext) -> list[Component]:
        return [
            clustered_points(self, ctx, PANE, PANE_Z, radius=60, max_zoom=14, functions=FUNCTIONS),
            dl.Pane(name=CLUSTER_PANE, style={"zIndex": CLUSTER_PANE_Z}),
        ]

    def hideout(self, lang: str, settings: Any) -> dict[str, Any]:
        return {
            "lang": lang,
            "pane": PANE,
            "clusterPane": CLUSTER_PANE,
            "colours": PRIORITY_COLOURS,
            "pulse_ms": PULSE_MS,
            "link": LINK_COLOUR,
            "labels": {
                "priority": {p: t(f"priority.{p}", lang) for p in PRIORITY_COLOURS},
                "agency": group("agency", lang),
                "status": group("incident_status", lang),
                "category": group("category", lang),
                "opened": t("popup.opened", lang),
                "units": t("popup.units", lang),
                "future": t("popup.future", lang),
            },
        }

    def data(self, store: Reads, scope: Scope) -> dict[str, Any]:
        features = point_features(store.incidents(scope), {"description": DESCRIPTION_CHARS})
        units = {u.get("id"): u["geometry"]["coordinates"] for u in store.units(scope)}
        for feature in features:
            props = feature["properties"]
            at = [units[u][:2] for u in props.get("units") or () if u in units]
            if at:
                props["unit_at"] = [[round(v, COORD_DECIMALS) for v in xy] for xy in at]
        # Most urgent last, so they are drawn on top where markers overlap.
        features.sort(key=lambda f: -(f["properties"]["priority"] or 4))
        return feature_collection(features)

    def legend(self) -> Legend:
        entries = [LegendEntry(colour, bilingual(f"priority.{p}")) for p, colour in PRIORITY_COLOURS.items()]
        entries.append(LegendEntry(PRIORITY_COLOURS["1"], bilingual("cluster.legend"), "cluster"))
        entries.append(LegendEntry(PRIORITY_COLOURS["1"], bilingual("incident.pulse_legend"), "pulse"))
        return Legend(title=self.title, entries=tuple(entries))
