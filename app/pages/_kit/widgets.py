"""Building blocks the pages share: the KPI strip, the legend, the data-time and freshness display.

Pure functions from data and a language to Dash components — no I/O — so the command view, and
later the wall and the kiosk, draw the same figures the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

import dash_leaflet as dl
from dash import dcc, html
from dash.development.base_component import Component

from app.i18n import LANGUAGES, fmt_clock, fmt_date, fmt_duration, fmt_int, fmt_percent, t
from layers import Layer, MapContext
from layers.incidents import PRIORITY_COLOURS
from layers.units import STATUS_COLOURS

#: NENA-STA-020.1-2020: 90% of emergency calls answered within 15 s, and 95% within 20 s.
ANSWER_TARGET_15S = 0.90
ANSWER_TARGET_20S = 0.95

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
          tone: str = "", suffix: str | None = None) -> html.Div:
    """One KPI: its label, its value (``raw`` in ``data-value``; ``suffix``: a small word after it,
    such as "median"), and a line of detail."""
    shown: list[Component | str] = [value]
    if suffix:
        shown.append(html.Small(suffix, className="basira-kpi-suffix"))
    return html.Div(
        className=f"basira-kpi {tone}".strip(),
        **{"data-kpi": key},
        children=[
            html.Div(label, className="basira-kpi-label", title=label),
            html.Div(shown, className="basira-kpi-value", **{"data-value": "" if raw is None else str(raw)}),
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


@dataclass(frozen=True)
class Targets:
    """What the durations are held against (seconds; ``None``: no target, no colour)."""

    dispatch_s: float | None = None
    response_s: float | None = None

    @classmethod
    def of(cls, settings: Any) -> Targets:
        """The targets configured in ``settings`` (``dispatch_target_s``, ``response_target_s``)."""
        return cls(settings.dispatch_target_s, settings.response_target_s)


def _duration_tone(p50: float | None, p90: float | None, target: float | None) -> str:
    """Green when 90% are within the target, amber when only half are, red when fewer."""
    if target is None or p50 is None:
        return ""
    if (p90 if p90 is not None else p50) <= target:
        return "is-good"
    return "is-warn" if p50 <= target else "is-bad"


def _duration_tile(
    key: str, label_key: str, k: Mapping[str, Any], target: float | None, lang: str
) -> html.Div:
    p50, p90 = k.get(f"{key}_p50_s"), k.get(f"{key}_p90_s")
    if target is None:
        detail = t("kpi.p90", lang, value=fmt_duration(p90, lang))
    else:
        detail = t("kpi.vs_target", lang, p90=fmt_duration(p90, lang), target=fmt_duration(target, lang))
    return _tile(key, t(label_key, lang), fmt_duration(p50, lang), detail, raw=p50,
                 tone=_duration_tone(p50, p90, target), suffix=t("kpi.median", lang))


#: Unit statuses that count as busy (the rest: available, out of service).
BUSY = ("dispatched", "on_scene")


def _units_tile(k: Mapping[str, Any], lang: str) -> html.Div:
    """Available / busy, then per agency — or, for a single agency's scope, by status."""
    by_status = k.get("units_by_status") or {}
    by_agency = k.get("units_by_agency") or {}
    available = by_status.get("available") if by_status else None
    busy = sum(by_status.get(s, 0) for s in BUSY) if by_status else None
    if len(by_agency) > 1:
        detail: Component = html.Span(
            [
                html.Span(
                    [t(f"agency_short.{agency}", lang),
                     # thin spaces: in Arabic the pair then reads right to left, as the label does
                     html.B(f"{fmt_int(counts.get('available', 0), lang)}\u2009/\u2009"
                            f"{fmt_int(sum(counts.get(s, 0) for s in BUSY), lang)}")],
                    className="basira-chip", title=t(f"agency.{agency}", lang), **{"data-agency": agency},
                )
                for agency, counts in by_agency.items()
            ],
            className="basira-agencies",
        )
    else:
        # a stale unit (its position report expired: Cursor on Target) is shown only when there is one
        shown = {s: c for s, c in STATUS_COLOURS.items() if s != "stale" or by_status.get("stale")}
        labels = {s: t(f"unit_status.{s}", lang) for s in shown}
        detail = html.Span(_chips(by_status, shown, labels, lang))
    value = t("kpi.na", lang) if available is None else f"{fmt_int(available, lang)} / {fmt_int(busy, lang)}"
    return _tile("units", t("kpi.units_available", lang), value, detail, raw=available)


def _answered_tile(k: Mapping[str, Any], lang: str) -> html.Div:
    share, share20 = k.get("answered_15s_share"), k.get("answered_20s_share")
    if share is None:
        tone = ""
    elif share < ANSWER_TARGET_15S:
        tone = "is-bad"
    else:
        tone = "is-warn" if share20 is not None and share20 < ANSWER_TARGET_20S else "is-good"
    detail = t("kpi.answered_detail", lang, share20=fmt_percent(share20, lang),
               calls=fmt_int(k.get("calls_1h"), lang))
    return _tile("answered", t("kpi.answered", lang), fmt_percent(share, lang), detail, raw=share, tone=tone)


def _ports_tile(k: Mapping[str, Any], lang: str) -> html.Div:
    now, before = k.get("port_travellers_1h"), k.get("port_travellers_1h_week_ago")
    detail: list[Component | str] = []
    if before is not None:
        detail.append(html.Span(t("kpi.week", lang, value=fmt_int(before, lang))))
        if now is not None and before:
            change = (now - before) / before
            arrow = "▲" if change >= 0 else "▼"
            detail.append(html.B(f"{arrow} {fmt_percent(abs(change), lang)}", className="basira-change",
                                 **{"data-change": f"{change:.4f}"}))
    return _tile("ports", t("kpi.travellers", lang), fmt_int(now, lang), html.Span(detail), raw=now,
                 suffix=t("kpi.last_hour", lang))


def coverage_note(kpis: Mapping[str, Any] | None, lang: str) -> html.P | None:
    """What the figures leave out in the phased roll-out (the KPIs' ``coverage``): "4 of 13 regions
    connected · figures exclude the others" for figures that leave regions out, "Not yet connected …"
    for one region not yet connected; ``None`` when nothing needs saying."""
    coverage = (kpis or {}).get("coverage") or {}
    if coverage.get("not_connected"):
        kind, text = "region", t("coverage.region", lang)
    elif coverage.get("excluded"):
        kind, text = "national", t("coverage.note", lang, connected=fmt_int(coverage.get("connected"), lang),
                                   regions=fmt_int(coverage.get("regions"), lang))
    else:
        return None
    return html.P(text, className="basira-coverage-note", role="note", **{"data-coverage": kind})


def kpi_strip(kpis: Mapping[str, Any] | None, lang: str, targets: Targets | None = None) -> list[Component]:
    """The headline figures of the scope, from ``store.kpis`` (``None``: not available right now).

    Open incidents by priority; call-to-dispatch and call-to-on-scene (median, 90th percentile,
    coloured against ``targets``); units available / busy by agency; calls answered within 15 s
    against NENA's 90% (and 20 s against 95%); port travellers in the last hour against the same hour
    a week earlier. In the document's direction: the first tile is on the right in Arabic. While some
    regions are not yet connected, a last line says what the figures leave out (:func:`coverage_note`).
    """
    k: Mapping[str, Any] = kpis or {}
    targets = targets or Targets()
    by_priority = k.get("open_by_priority") or {}
    priority_labels = {p: t("priority.short", lang, n=fmt_int(int(p), lang)) for p in PRIORITY_COLOURS}
    open_total = k.get("open_total")
    return [
        _tile("open", t("kpi.open", lang), fmt_int(open_total, lang),
              html.Span(_chips(by_priority, PRIORITY_COLOURS, priority_labels, lang)), raw=open_total,
              tone="is-alert" if by_priority.get("1") else ""),
        _duration_tile("dispatch", "kpi.dispatch", k, targets.dispatch_s, lang),
        _duration_tile("response", "kpi.response", k, targets.response_s, lang),
        _units_tile(k, lang),
        _answered_tile(k, lang),
        _ports_tile(k, lang),
        *([note] if (note := coverage_note(k, lang)) is not None else []),
    ]


# --- the map ---------------------------------------------------------------------------------------

#: Leaflet options every page's map shares. New tiles appear at once rather than fading in: a fade is
#: frames drawn for a quarter of a second after each tile arrives, and the vector basemap's tiles arrive
#: one by one after every zoom and every flight of the wall's tour (on the command view at 1366×768,
#: headless Chromium's CPU for six zoom steps fell by about a quarter; issue 17). The zoom itself is
#: still animated, markers too: they keep a viewer's bearings.
MAP_OPTIONS: dict[str, Any] = {"fadeAnimation": False}


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


def applying(layers: Iterable[Layer], settings: Any | None) -> list[Layer]:
    """``layers`` that have anything to show under ``settings`` (:meth:`layers.Layer.applies`); all of
    them when no settings are given."""
    return [layer for layer in layers if settings is None or layer.applies(settings)]


def legend(layers: Iterable[Layer], lang: str, visible: Collection[str] | None = None,
           settings: Any | None = None) -> list[Component]:
    """The children of the legend's ``<details>``: its summary, then per layer what each swatch means.

    ``visible``: the keys of the layers drawn right now (see :func:`shown_layers`); ``None``: all that
    apply under ``settings``.
    """
    return [legend_title(lang), *legend_sections(layers, lang, visible, settings)]


def legend_title(lang: str, **props: Any) -> html.Summary:
    """The legend's ``<summary>``: what opens and folds it."""
    return html.Summary(t("legend.title", lang), className="basira-legend-title", **props)


def legend_sections(layers: Iterable[Layer], lang: str, visible: Collection[str] | None = None,
                    settings: Any | None = None) -> list[Component]:
    """Per layer shown, what each of its swatches means (:func:`legend` without its summary)."""
    blocks: list[Component] = []
    for layer in applying(layers, settings):
        if visible is not None and layer.key not in visible:
            continue
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


# --- the layer control ----------------------------------------------------------------------------


def layer_name(layer: Layer) -> str:
    """A layer's entry in the layer control: its title in every language, as HTML.

    dash-leaflet hands an overlay's ``name`` to Leaflet once, when the layer is added (a later
    change does not reach the control), and Leaflet writes it as HTML. So the name carries every
    language, each in a ``<span lang>``, and the page's CSS shows the one of the page: switching the
    language redraws nothing. ``data-layer`` names the layer for the page's scripts. The titles are
    our own constants, escaped all the same.
    """
    key = escape(layer.key)
    return "".join(
        f'<span class="basira-ln" lang="{lang}" data-layer="{key}">{escape(layer.title[lang])}</span>'
        for lang in LANGUAGES
    )


def layer_control(
    layers: Iterable[Layer], ctx: MapContext, control_id: str, position: str
) -> dl.LayersControl:
    """Every layer that applies under ``ctx.settings`` in a layer control: base maps as base layers, the
    rest as overlays (each as one ``LayerGroup`` of its components), switched on when the page opens as
    ``layer.shown`` says.

    ``overlays``/``baseLayer`` are given from the start: dash-leaflet 1.1.3's handler of a switched
    overlay reads them before its own first report has come back, and fails when they are unset.
    """
    layers = applying(layers, ctx.settings)
    base = first_base(layers)
    entries = []
    for layer in layers:
        group = dl.LayerGroup(layer.component(ctx))
        if layer.base:
            entries.append(dl.BaseLayer(group, name=layer_name(layer), checked=layer is base))
        else:
            entries.append(dl.Overlay(group, name=layer_name(layer), checked=layer.shown))
    shown = [layer_name(layer) for layer in layers if not layer.base and layer.shown]
    return dl.LayersControl(entries, id=control_id, position=position, collapsed=True, hideSingleBase=True,
                            autoZIndex=False, sortLayers=False, overlays=shown,
                            baseLayer=layer_name(base) if base else None)


def first_base(layers: Iterable[Layer]) -> Layer | None:
    """The base map a page opens on: the first of ``layers`` (the others are offered beside it)."""
    return next((layer for layer in layers if layer.base), None)


def shown_layers(layers: Iterable[Layer], settings: Any | None = None) -> list[str]:
    """Keys of the layers drawn when a page opens: the first base map and the overlays shown by default
    (of those that apply under ``settings``, when given)."""
    layers = applying(layers, settings)
    base = first_base(layers)
    return [layer.key for layer in layers if layer is base or (not layer.base and layer.shown)]


def brand(*extra: Component, kind: str = "basira") -> html.Div:
    """The name in both scripts (it is a name, not a label: never translated), then ``extra``;
    ``kind`` prefixes the classes (``mode`` for the wall and the kiosk's larger type)."""
    return html.Div(
        className=f"{kind}-brand",
        children=[
            html.Span("بصيرة", className=f"{kind}-brand-ar", lang="ar"),
            html.Span("Basira", className=f"{kind}-brand-en", lang="en"),
            *extra,
        ],
    )


def language_picker(id_: str, lang: str) -> dcc.RadioItems:
    """The Arabic/English switch of a page's bar; each language is named in itself."""
    return dcc.RadioItems(
        id=id_,
        options=[{"label": "العربية", "value": "ar"}, {"label": "English", "value": "en"}],
        value=lang,
        inline=True,
        className="basira-lang",
    )


def account(lang: str) -> list[Component]:
    """Who is looking, for a page's bar: the signed-in account and what it sees, with a sign-out button
    (a small form that POSTs the session's token: a link could be followed by another site); or, with
    access control off, a warning that anyone reaching the server sees everything (the server says it
    at start-up too). Empty outside a request."""
    from app.auth import auth_banner, logout_form, principal_label

    off = auth_banner(lang)
    if off:
        return [html.Span(t("auth.off_short", lang), title=off, className="basira-auth-off", role="note")]
    label = principal_label(lang)
    if not label:
        return []
    parts: list[Component] = [html.Span(label, className="basira-who")]
    form = logout_form()
    if form:
        action, token = form
        parts.append(html.Form(
            html.Button(t("auth.sign_out", lang), type="submit", name="csrf", value=token,
                        className="basira-signout"),
            action=f"{action}?lang={lang}", method="post", className="basira-signout-form",
        ))
    return parts
