"""Border ports: a marker per port, sized by the travellers of the last hour, coloured by the queue wait.

Shape says the kind — a circle for an airport, a diamond for a seaport, a rounded square for a land
crossing — with its pictogram inside; size grows with the square root of the travellers (arrivals
and departures) of the last 60 minutes, so area follows the count; colour is the latest queue wait:
green under :data:`WAIT_AMBER` minutes, amber under :data:`WAIT_RED`, red beyond (grey when the port
sends no wait). The thresholds follow common service targets for border and airport queues (a
quarter of an hour is an ordinary wait at a busy crossing; three quarters of an hour calls for more
lanes or staff), and are one constant each.

Two components: the live one holds the ports that reported in the last :data:`QUIET_AFTER_MS`
(travellers in the last hour, or a queue wait); under it, every port of the table as a small grey
ring (static, sent once with the page), so a port that has gone quiet stays on the map and says so
on hover. Clicking a live port reports it in the live component's ``clickData``
(``properties.port``); the port panel (:mod:`app.pages.ports.panel`) opens on it.

Ports belong to a region but not to an agency: a region scope shows its ports, an agency scope
all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash_leaflet as dl
from dash.development.base_component import Component

from app.contract import Scope
from app.i18n import bilingual, group, t
from app.reference import Reference

from .base import COORD_DECIMALS, LIVE_PART, Layer, Legend, LegendEntry, MapContext, feature_collection
from .js import BASIRA

#: The ports' functions in assets/markers.js.
PORT_QUIET = BASIRA("portQuiet")
PORT_MARKER = BASIRA("portMarker")
PORT_TOOLTIP = BASIRA("portTooltip")

if TYPE_CHECKING:
    from .reads import Reads

#: Above the incidents' clusters (630): ports are few, and each must stay clickable.
PANE = "basira-ports"
PANE_Z = 640
#: Queue wait thresholds (minutes) and colours.
WAIT_AMBER = 15
WAIT_RED = 45
WAIT_COLOURS: dict[str, str] = {"ok": "#40c057", "busy": "#fab005", "long": "#ff3b3b", "none": "#868e96"}
#: A port with no travellers in the last hour and no wait reported for this long counts as quiet.
QUIET_AFTER_MS = 2 * 3_600_000
#: Marker size (px): the smallest, and how it grows with travellers per hour (√), up to the largest.
SIZE_MIN, SIZE_PER_SQRT, SIZE_MAX = 16, 0.45, 48
KINDS: tuple[str, ...] = ("air", "sea", "land")


def wait_class(wait_min: float | None) -> str:
    """``ok``, ``busy``, ``long``, or ``none`` when the port sends no queue wait."""
    if wait_min is None:
        return "none"
    return "ok" if wait_min < WAIT_AMBER else "busy" if wait_min < WAIT_RED else "long"


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS)]}


class Ports(Layer):
    key = "ports"
    title_key = "layer.ports"
    live = True

    def component(self, ctx: MapContext) -> list[Component]:
        hideout = self.hideout(ctx.lang, ctx.settings)
        every_port = feature_collection(
            [
                {"type": "Feature", "id": p.id, "geometry": _point(p.lon, p.lat),
                 "properties": {"id": p.id, "port": p.id, "kind": p.kind}}
                for p in Reference.from_settings(ctx.settings).ports.values()
            ]
        )
        return [
            dl.Pane(
                name=PANE,
                style={"zIndex": PANE_Z},
                children=[
                    dl.GeoJSON(
                        id=ctx.id(self.key, "quiet"),
                        data=every_port,
                        pointToLayer=PORT_QUIET,
                        hideout=hideout,
                    ),
                    dl.GeoJSON(
                        id=ctx.id(self.key, LIVE_PART),
                        data=feature_collection([]),
                        pointToLayer=PORT_MARKER,
                        onEachFeature=PORT_TOOLTIP,
                        hideout=hideout,
                    ),
                ],
            )
        ]

    def hideout(self, lang: str, settings: Any) -> dict[str, Any]:
        ports = Reference.from_settings(settings).ports
        return {
            "lang": lang,
            "pane": PANE,
            "colours": WAIT_COLOURS,
            "size": [SIZE_MIN, SIZE_PER_SQRT, SIZE_MAX],
            "names": {p.id: p.name_ar if lang == "ar" else p.name_en for p in ports.values()},
            "labels": {
                "kind": {k: t(f"port.kind.{k}", lang) for k in KINDS},
                "wait_class": group("port.wait", lang),
                "arrivals": t("port.arrivals", lang),
                "departures": t("port.departures", lang),
                "wait": t("port.wait_now", lang),
                "minutes": t("port.minutes", lang),
                "quiet": t("port.quiet", lang),
                "open": t("port.open_panel", lang),
            },
        }

    def data(self, store: Reads, scope: Scope) -> dict[str, Any]:
        now_ms = store.now_ms()
        features = []
        for port in store.port_summary(now_ms):
            if port["region"] not in scope.regions:
                continue
            travellers = port["arrivals_1h"] + port["departures_1h"]
            wait_ts = port["wait_ts"]
            recent_wait = wait_ts is not None and now_ms - wait_ts <= QUIET_AFTER_MS
            if not travellers and not recent_wait:
                continue
            wait = port["wait_min"] if recent_wait else None
            features.append(
                {
                    "type": "Feature",
                    "id": port["id"],
                    "geometry": _point(port["lon"], port["lat"]),
                    "properties": {
                        "id": port["id"],
                        "port": port["id"],
                        "kind": port["kind"],
                        "region": port["region"],
                        "arrivals": port["arrivals_1h"],
                        "departures": port["departures_1h"],
                        "wait": wait,
                        "wait_class": wait_class(wait),
                    },
                }
            )
        return feature_collection(features)

    def legend(self) -> Legend:
        entries = [
            LegendEntry(WAIT_COLOURS[c], bilingual(f"port.wait.{c}"), "dot") for c in ("ok", "busy", "long")
        ]
        entries += [LegendEntry("#ced4da", bilingual(f"port.kind.{k}"), f"port-{k}") for k in KINDS]
        entries.append(LegendEntry("#ced4da", bilingual("port.size_legend"), "port-size"))
        return Legend(title=self.title, entries=tuple(entries))
