"""Official alerts (التنبيهات الرسمية): the areas of the warnings alerting authorities send as CAP 1.2
(``POST /api/v1/cap``, the CAP feed; :mod:`app.ingress.cap_in`), coloured by severity, until they expire.

Live: each refresh reads the alerts in force now (``Reads.official_alerts``, the store's ``capin`` part),
so an alert whose ``expires`` has passed is gone at the next refresh — the read itself filters by the
clock. Each area (a CAP polygon, or a circle drawn as one) is one Polygon feature; its properties carry the
headline and event in each language the authority gave, the severity, urgency and certainty, and the
expiry written in Riyadh's time in both languages (the page's language picks). ``assets/official.js``
colours them (``basira.officialStyle``, by the hideout's palette) and gives each a tooltip
(``basira.officialTooltip``: the headline — in the page's language when the authority wrote one in it,
else in the other —, urgency, expiry and sender). An exercise (CAP ``status`` Exercise) says so.

Scope: an alert of areas touching a region in the view's scope is shown (an authority's warning is for
everyone there, whatever their agency). The layer sits above the region fill and below the heatmap and
every marker, and lets clicks through to the regions beneath.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash_leaflet as dl
from dash.development.base_component import Component

from app.contract import Scope
from app.i18n import LANGUAGES, bilingual, digits, riyadh, t

from .base import COORD_DECIMALS, Layer, Legend, LegendEntry, MapContext, feature_collection
from .js import BASIRA

if TYPE_CHECKING:
    from .reads import Reads

#: Its pane: above the region fill (300) and the hatch (320), below the heatmap (350) and the markers.
PANE = "basira-official"
PANE_Z = 330
#: CAP's severities, worst first, and their colours (warm and bright on the dark map).
SEVERITY_COLOURS: dict[str, str] = {
    "Extreme": "#ff2d55",
    "Severe": "#ff7a1a",
    "Moderate": "#ffc83d",
    "Minor": "#7fd1ff",
    "Unknown": "#b8c2cc",
}
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
#: Its functions in assets/official.js.
FUNCTIONS = {"style": BASIRA("officialStyle"), "onEachFeature": BASIRA("officialTooltip")}


def _when(epoch_ms: int) -> dict[str, str]:
    """An instant as each language writes it, in Riyadh's time (``2026-12-04 14:05``)."""
    text = riyadh(epoch_ms).strftime("%Y-%m-%d %H:%M")
    return {lang: digits(text, lang) for lang in LANGUAGES}


def features(alerts: list[dict[str, Any]], scope: Scope) -> list[dict[str, Any]]:
    """One Polygon feature per area of each alert touching ``scope``'s regions, most severe drawn last
    (on top)."""
    order = list(SEVERITY_COLOURS)
    shown = [a for a in alerts if any(r in scope.regions for r in a.get("regions") or [])]
    shown.sort(key=lambda a: -order.index(a["severity"]) if a.get("severity") in order else -len(order))
    out = []
    for alert in shown:
        props = {
            "ref": alert.get("ref"), "severity": alert.get("severity", "Unknown"),
            "urgency": alert.get("urgency", "Unknown"), "certainty": alert.get("certainty", "Unknown"),
            "headline": alert.get("headline") or {}, "event": alert.get("event") or {},
            "sender": (alert.get("senderName") or {}) or {"en": alert.get("sender", "")},
            "expires": alert.get("expires"), "expires_text": _when(int(alert.get("expires") or 0)),
            "exercise": alert.get("status") == "Exercise",
        }
        for n, area in enumerate(alert.get("areas") or []):
            points = area.get("polygon") or []
            ring = [[round(x, COORD_DECIMALS), round(y, COORD_DECIMALS)] for x, y in points]
            if len(ring) < 4:
                continue
            feature_id = f"{alert.get('ref')}#{n}"
            region = next(r for r in alert["regions"] if r in scope.regions)  # the one it is shown for
            out.append({"type": "Feature", "id": feature_id,
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                        "properties": {**props, "id": feature_id, "region": region,
                                       "area": area.get("desc", "")}})
    return out


class OfficialAlerts(Layer):
    key = "official"
    title_key = "layer.official"
    live = True

    def component(self, ctx: MapContext) -> list[Component]:
        return [
            dl.Pane(
                name=PANE,
                style={"zIndex": PANE_Z},
                children=dl.GeoJSON(
                    id=ctx.id(self.key, self.data_part(ctx)),
                    data=feature_collection([]),
                    hideout=self.hideout(ctx.lang, ctx.settings),
                    **FUNCTIONS,
                ),
            )
        ]

    def hideout(self, lang: str, settings: Any) -> dict[str, Any]:
        return {
            "lang": lang,
            "colours": SEVERITY_COLOURS,
            "labels": {
                "title": t("official.untitled", lang),
                "urgency": t("official.urgency", lang),
                "expires": t("official.expires", lang),
                "from": t("official.from", lang),
                "exercise": t("official.exercise", lang),
                "severity": {s: t(f"official.severity.{s}", lang) for s in SEVERITY_COLOURS},
                "urgencies": {u: t(f"official.urgency.{u}", lang) for u in URGENCIES},
            },
        }

    def data(self, store: Reads, scope: Scope) -> dict[str, Any]:
        return feature_collection(features(store.official_alerts(store.now_ms()), scope))

    def legend(self) -> Legend:
        return Legend(
            title=self.title,
            entries=tuple(LegendEntry(colour, bilingual(f"official.severity.{severity}"), "fill")
                          for severity, colour in SEVERITY_COLOURS.items()),
        )
