"""911 calls per region: volume in the last hour, and how fast they were answered against NENA.

A badge under each region's name: its size grows with the calls of the last 60 minutes (area
follows the count), the number is written in it, and its colour says how the region stands against
NENA-STA-020.1-2020 (90% of calls answered within 15 s, 95% within 20 s):

* green — both targets met;
* amber — one of them met, or both missed by less than :data:`AMBER_MARGIN` (five points);
* red — both missed by more.

The tooltip gives the figures: calls, answered, the shares within 15 and 20 s against their
targets, abandoned calls and the mean time to answer. Calls belong to a region, not an agency
(they come before an agency is chosen), so an agency scope shows every region's calls and a region
scope its own. Clicking a badge reports its region's ``properties.code``, like a click on the region.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash_leaflet as dl
from dash.development.base_component import Component

from app.contract import REGION_CODES, Scope
from app.i18n import bilingual, t

from .base import LIVE_PART, Layer, Legend, LegendEntry, MapContext, feature_collection
from .geography import point, regions_of_settings, regions_of_store
from .js import BASIRA

#: The badges' functions in assets/markers.js.
CALLS_BADGE = BASIRA("callsBadge")
CALLS_TOOLTIP = BASIRA("callsTooltip")

if TYPE_CHECKING:
    from .reads import Reads

#: Above the heatmap (350), below the region names (450): a badge never hides a region's name.
PANE = "basira-calls"
PANE_Z = 440
#: NENA-STA-020.1-2020.
TARGET_15S = 0.90
TARGET_20S = 0.95
AMBER_MARGIN = 0.05
STATUS_COLOURS: dict[str, str] = {"meets": "#40c057", "near": "#fab005", "below": "#ff3b3b"}
#: Badge size (px): the smallest, growth per √(calls per hour), the largest.
SIZE_MIN, SIZE_PER_SQRT, SIZE_MAX = 20, 0.7, 40


def nena_status(share_15s: float | None, share_20s: float | None) -> str | None:
    """``meets``, ``near`` or ``below`` the NENA answering standard; ``None`` with no call answered."""
    if share_15s is None or share_20s is None:
        return None
    met = (share_15s >= TARGET_15S, share_20s >= TARGET_20S)
    if all(met):
        return "meets"
    if any(met) or (share_15s >= TARGET_15S - AMBER_MARGIN and share_20s >= TARGET_20S - AMBER_MARGIN):
        return "near"
    return "below"


class Calls(Layer):
    key = "calls"
    title_key = "layer.calls"
    live = True
    shown = False

    def component(self, ctx: MapContext) -> list[Component]:
        return [
            dl.Pane(
                name=PANE,
                style={"zIndex": PANE_Z},
                children=dl.GeoJSON(
                    id=ctx.id(self.key, LIVE_PART),
                    data=feature_collection([]),
                    pointToLayer=CALLS_BADGE,
                    onEachFeature=CALLS_TOOLTIP,
                    hideout=self.hideout(ctx.lang, ctx.settings),
                ),
            )
        ]

    def hideout(self, lang: str, settings: Any) -> dict[str, Any]:
        return {
            "lang": lang,
            "pane": PANE,
            "colours": STATUS_COLOURS,
            "size": [SIZE_MIN, SIZE_PER_SQRT, SIZE_MAX],
            "names": {code: info.name(lang) for code, info in regions_of_settings(settings).items()},
            "labels": {
                "calls": t("calls.total", lang),
                "answered": t("calls.answered", lang),
                "within15": t("calls.within15", lang),
                "within20": t("calls.within20", lang),
                "abandoned": t("calls.abandoned", lang),
                "mean": t("calls.mean", lang),
                "seconds": t("calls.seconds", lang),
                "status": {s: t(f"calls.status.{s}", lang) for s in STATUS_COLOURS},
            },
        }

    def data(self, store: Reads, scope: Scope) -> dict[str, Any]:
        regions = regions_of_store(store)
        wanted = [code for code in REGION_CODES if code in scope.regions and code in regions]
        features = []
        for code, calls in store.calls_by_region(wanted, store.now_ms()).items():
            answered = calls.get("answered", 0.0)
            s15 = calls.get("within_15s", 0.0) / answered if answered else None
            s20 = calls.get("within_20s", 0.0) / answered if answered else None
            mean_s = calls.get("answer_ms", 0.0) / answered / 1000 if answered else None
            features.append(
                {
                    "type": "Feature",
                    "id": code,
                    "geometry": point(regions[code]),
                    "properties": {
                        "id": code,
                        "code": code,
                        "region": code,
                        "total": round(calls["total"]),
                        "answered": round(answered),
                        "s15": None if s15 is None else round(s15, 3),
                        "s20": None if s20 is None else round(s20, 3),
                        "abandoned": round(calls.get("abandoned", 0.0)),
                        "mean_s": None if mean_s is None else round(mean_s, 1),
                        "status": nena_status(s15, s20),
                    },
                }
            )
        return feature_collection(features)

    def legend(self) -> Legend:
        entries = [LegendEntry(c, bilingual(f"calls.status.{s}"), "dot") for s, c in STATUS_COLOURS.items()]
        entries.append(LegendEntry("#ced4da", bilingual("calls.size_legend"), "ring"))
        return Legend(title=self.title, entries=tuple(entries))
