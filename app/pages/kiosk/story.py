"""The kiosk's story: the chapters its attract loop walks through, and the figures each one shows.

A chapter is where the map goes (a place's bounds, or a point and zoom), a title and a caption in
both languages (``story.<key>.title`` / ``.body`` in :mod:`app.i18n`), and a few figures read from
the (synthetic) store: the national picture; the Makkah season, at the Grand Mosque; a border-port
peak at the King Fahd Causeway; pilgrims arriving at Jeddah's airport; how fast 911 answers. The
kiosk's region picker shows a region's figures the same way (:func:`region_figures`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dash.development.base_component import Component

from app.contract import Scope
from app.geo import Port
from app.i18n import fmt_duration, fmt_int, fmt_percent, t

from .._kit import places as _places
from .._kit.display import figure

#: The Grand Mosque, Makkah.
MAKKAH = (21.4225, 39.8262)
CAUSEWAY = "land-king-fahd-causeway"
JEDDAH_AIRPORT = "air-jed"
#: NENA-STA-020.1-2020: 90% of calls answered within 15 s, 95% within 20 s.
NENA_15S, NENA_20S = 0.90, 0.95

Figures = Callable[[Any, int, str], list[Component]]


@dataclass(frozen=True)
class Chapter:
    key: str
    view: dict[str, Any]  # {"bounds": …} or {"center": …, "zoom": …}, as assets/modes.js flies
    figures: Figures

    def title(self, lang: str) -> str:
        return t(f"story.{self.key}.title", lang)

    def body(self, lang: str) -> str:
        return t(f"story.{self.key}.body", lang)


def _tone(share: float | None, target: float) -> str:
    return "" if share is None else ("is-good" if share >= target else "is-bad")


def _coverage(k: dict[str, Any], lang: str) -> str:
    """What national figures leave out (regions not yet connected), or ``""``."""
    coverage = k.get("coverage") or {}
    if not coverage.get("excluded"):
        return ""
    return t("coverage.note", lang, connected=fmt_int(coverage.get("connected"), lang),
             regions=fmt_int(coverage.get("regions"), lang))


def _national(reads: Any, now_ms: int, lang: str) -> list[Component]:
    k = reads.kpis(Scope(), now_ms)
    free = (k.get("units_by_status") or {}).get("available")
    share = k.get("answered_15s_share")
    return [
        figure("open", t("kpi.open", lang), fmt_int(k.get("open_total"), lang), _coverage(k, lang)),
        figure("free", t("wall.units_free", lang), fmt_int(free, lang)),
        figure("answered", t("kpi.answered", lang), fmt_percent(share, lang), tone=_tone(share, NENA_15S)),
    ]


def region_figures(code: str) -> Figures:
    """Open incidents, critical ones and units on scene of one region (also the Makkah chapter's)."""

    def figures(reads: Any, now_ms: int, lang: str) -> list[Component]:
        k = reads.kpis(Scope(region=code), now_ms)
        critical = (k.get("open_by_priority") or {}).get("1")
        on_scene = (k.get("units_by_status") or {}).get("on_scene")
        return [
            figure("open", t("kpi.open", lang), fmt_int(k.get("open_total"), lang)),
            figure("critical", t("wall.critical", lang), fmt_int(critical, lang),
                   tone="is-alert" if critical else ""),
            figure("on_scene", t("kiosk.on_scene", lang), fmt_int(on_scene, lang)),
            figure("response", t("kiosk.response", lang), fmt_duration(k.get("response_p50_s"), lang)),
        ]

    return figures


def port_figures(port_id: str) -> Figures:
    """Travellers through one port in the last hour, each way, and its queue wait."""

    def figures(reads: Any, now_ms: int, lang: str) -> list[Component]:
        row = next((p for p in reads.port_summary(now_ms) if p["id"] == port_id), None) or {}
        wait = row.get("wait_min")
        return [
            figure("arrivals", t("kiosk.arrivals", lang), fmt_int(row.get("arrivals_1h"), lang)),
            figure("departures", t("kiosk.departures", lang), fmt_int(row.get("departures_1h"), lang)),
            figure("wait", t("kiosk.wait", lang), fmt_duration(None if wait is None else wait * 60, lang)),
        ]

    return figures


def _calls(reads: Any, now_ms: int, lang: str) -> list[Component]:
    k = reads.kpis(Scope(), now_ms)
    s15, s20 = k.get("answered_15s_share"), k.get("answered_20s_share")
    return [
        figure("answered", t("kpi.answered", lang), fmt_percent(s15, lang),
               t("kiosk.target", lang, target=fmt_percent(NENA_15S, lang)), tone=_tone(s15, NENA_15S)),
        figure("answered20", t("kiosk.answered20", lang), fmt_percent(s20, lang),
               t("kiosk.target", lang, target=fmt_percent(NENA_20S, lang)), tone=_tone(s20, NENA_20S)),
        figure("calls", t("kiosk.calls", lang), fmt_int(k.get("calls_1h"), lang), _coverage(k, lang)),
    ]


def chapters(nation: _places.Place, ports: dict[str, Port]) -> tuple[Chapter, ...]:
    """The story, in order. A port missing from the ports table drops its chapter."""
    kingdom = {"bounds": nation.view()["bounds"]}
    story = [
        Chapter("national", kingdom, _national),
        Chapter("makkah", {"center": list(MAKKAH), "zoom": 10}, region_figures("SA-02")),
    ]
    for key, port_id in (("causeway", CAUSEWAY), ("jeddah", JEDDAH_AIRPORT)):
        port = ports.get(port_id)
        if port:
            story.append(Chapter(key, {"center": [port.lat, port.lon], "zoom": 10}, port_figures(port_id)))
    story.append(Chapter("calls", kingdom, _calls))
    return tuple(story)
