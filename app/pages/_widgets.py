"""Building blocks the pages share: the KPI strip, the legend, the data-time and freshness display.

Pure functions from data and a language to Dash components — no I/O — so the command view, and
later the wall and the kiosk, draw the same figures the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dash import html
from dash.development.base_component import Component

from app.i18n import fmt_clock, fmt_date, fmt_duration, fmt_int, fmt_percent, t
from layers import Layer
from layers.incidents import PRIORITY_COLOURS
from layers.units import STATUS_COLOURS

#: NENA-STA-020.1-2020: 90% of emergency calls answered within 15 s.
ANSWER_TARGET_15S = 0.90

# --- the freshness of the picture -----------------------------------------------------------------

LIVE, STALE, EMPTY, DOWN = "live", "stale", "empty", "down"


@dataclass(frozen=True)
class Freshness:
    """How current the picture is: ``state`` is one of LIVE, STALE, EMPTY (no data yet), DOWN."""

    state: str
    as_of: int | None = None
    age_s: float | None = None

    @classmethod
    def of(cls, as_of: int | None, caught_up_at: int | None, now_ms: int, stale_after_s: float) -> Freshness:
        """Live while an ingest worker has recently read everything there was (``caught_up_at``).

        ``as_of`` is the newest event time, shown to the viewer; a quiet spell with no events is
        still live. ``age_s`` is how long ago the pipeline was last known to be current.
        """
        if as_of is None and caught_up_at is None:
            return cls(EMPTY)
        age_s = max(0.0, (now_ms - (caught_up_at or 0)) / 1000)
        return cls(STALE if age_s > stale_after_s else LIVE, as_of, age_s)

    @property
    def alarming(self) -> bool:
        return self.state != LIVE


def as_of_text(freshness: Freshness, lang: str) -> list[Component]:
    """'Data as of 14:05:32 Riyadh time · 2024-06-15', or 'No data yet'."""
    if freshness.as_of is None:
        return [html.Span(t("asof.none", lang), className="basira-asof-time")]
    return [
        html.Span(t("asof.label", lang), className="basira-asof-label"),
        html.Time(fmt_clock(freshness.as_of, lang), className="basira-asof-time"),
        html.Span(
            f"{t('asof.zone', lang)} · {fmt_date(freshness.as_of, lang)}", className="basira-asof-zone"
        ),
    ]


def state_text(freshness: Freshness, lang: str) -> str:
    return t(f"state.{freshness.state}", lang)


def banner_text(freshness: Freshness, lang: str) -> str:
    """The warning across the map, or '' when the picture is live."""
    if freshness.state == STALE:
        return t("stale.banner", lang, age=fmt_duration(freshness.age_s, lang))
    if freshness.state == DOWN:
        return t("down.banner", lang)
    if freshness.state == EMPTY:
        return t("empty.banner", lang)
    return ""


# --- the KPI strip ------------------------------------------------------------------------------------


def _tile(key: str, label: str, value: str, detail: Component | str | None = None, raw: Any = None,
          tone: str = "") -> html.Div:
    return html.Div(
        className=f"basira-kpi {tone}".strip(),
        **{"data-kpi": key},
        children=[
            html.Div(label, className="basira-kpi-label"),
            html.Div(value, className="basira-kpi-value", **{"data-value": "" if raw is None else str(raw)}),
            html.Div(detail or "", className="basira-kpi-detail"),
        ],
    )


def _chips(counts: Mapping[str, int], colours: Mapping[str, str], labels: Mapping[str, str],
           lang: str) -> list[Component]:
    return [
        html.Span(
            [
                html.I(className="basira-swatch", style={"background": colours[key]}),
                labels[key],
                html.B(fmt_int(counts.get(key, 0), lang)),
            ],
            className="basira-chip",
            title=labels[key],
        )
        for key in colours
    ]


def kpi_strip(kpis: Mapping[str, Any] | None, lang: str) -> list[Component]:
    """The headline figures of the scope, from ``store.kpis`` (``None``: not available right now)."""
    k: Mapping[str, Any] = kpis or {}
    by_priority = k.get("open_by_priority") or {}
    by_status = k.get("units_by_status") or {}
    priority_labels = {p: t("priority.short", lang, n=fmt_int(int(p), lang)) for p in PRIORITY_COLOURS}
    status_labels = {s: t(f"unit_status.{s}", lang) for s in STATUS_COLOURS}
    share = k.get("answered_15s_share")
    answer_tone = "" if share is None else ("is-good" if share >= ANSWER_TARGET_15S else "is-bad")
    open_total = k.get("open_total")
    units_total = k.get("units_total", sum(by_status.values()) if by_status else None)
    return [
        _tile("open", t("kpi.open", lang), fmt_int(open_total, lang),
              html.Span(_chips(by_priority, PRIORITY_COLOURS, priority_labels, lang)), raw=open_total,
              tone="is-alert" if by_priority.get("1") else ""),
        _tile("units", t("kpi.units", lang), fmt_int(units_total, lang),
              html.Span(_chips(by_status, STATUS_COLOURS, status_labels, lang)), raw=units_total),
        _tile("dispatch", f"{t('kpi.dispatch', lang)} · {t('kpi.median', lang)}",
              fmt_duration(k.get("dispatch_p50_s"), lang),
              t("kpi.p90", lang, value=fmt_duration(k.get("dispatch_p90_s"), lang)),
              raw=k.get("dispatch_p50_s")),
        _tile("response", f"{t('kpi.response', lang)} · {t('kpi.median', lang)}",
              fmt_duration(k.get("response_p50_s"), lang),
              t("kpi.p90", lang, value=fmt_duration(k.get("response_p90_s"), lang)),
              raw=k.get("response_p50_s")),
        _tile("answered", t("kpi.answered", lang), fmt_percent(share, lang),
              t("kpi.target", lang, calls=fmt_int(k.get("calls_1h"), lang)), raw=share, tone=answer_tone),
        _tile("ports", t("kpi.ports", lang), fmt_int(k.get("port_travellers_1h"), lang),
              raw=k.get("port_travellers_1h")),
    ]


# --- credits ---------------------------------------------------------------------------------------

LEAFLET_CREDIT = '<a href="https://leafletjs.com" target="_blank" rel="noopener">Leaflet</a>'


def attribution(layers: Iterable[Layer]) -> str:
    """The attribution control's text: Leaflet, then each layer's credit (constants, not user input)."""
    credits = [LEAFLET_CREDIT]
    for layer in layers:
        if layer.attribution and layer.attribution not in credits:
            credits.append(layer.attribution)
    return " | ".join(credits)


# --- the legend --------------------------------------------------------------------------------------


def legend(layers: Iterable[Layer], lang: str) -> list[Component]:
    """The children of the legend's ``<details>``: its summary, then per layer what each swatch means."""
    blocks: list[Component] = [html.Summary(t("legend.title", lang), className="basira-legend-title")]
    for layer in layers:
        spec = layer.legend()
        blocks.append(
            html.Section(
                className="basira-legend-layer",
                **{"data-layer": layer.key},
                children=[
                    html.H3(spec.title[lang]),
                    html.Ul(
                        [
                            html.Li(
                                [
                                    html.I(className=f"basira-key basira-key-{entry.shape}",
                                           style={"color": entry.colour, "background": entry.colour}
                                           if entry.shape in ("dot", "fill", "cluster")
                                           else {"color": entry.colour}),
                                    html.Span(entry.label[lang]),
                                ]
                            )
                            for entry in spec.entries
                        ]
                    ),
                ],
            )
        )
    return blocks
