"""The exhibition kiosk at ``/demo``: the story of Basira told by itself, on synthetic data only.

A public booth must never show operational data, so the page shows a store's data only when the
store is marked as a demo store (:meth:`app.store.Store.is_demo`, set by the simulator). Otherwise —
or when it cannot tell, because the store does not answer — it says so, in both languages, and
shows nothing from the store: no map data, no figure, not even a count. The check is made when the
page is drawn and again on every refresh, before anything is read and again after: the ingest worker
ends a store's demo in the transaction that applies the first entry the simulator did not write
(:meth:`app.store.Store.mark_demo`), so a refresh that finds the store still a demo store after
reading has read nothing real.

On a demo store, an attract loop (``basira.kiosk`` ``loop`` in ``assets/kiosk.js``) walks through
the chapters of :mod:`.story`, flying the map to each and showing its caption in both languages and
its figures. A visitor can take over with large touch buttons — pause, previous, next, a region, the
language — or simply by touching the map; after ``settings.kiosk_idle_s`` without a touch the loop
goes on by itself. Everything comes from this server (no raster tiles even when ``BASIRA_TILE_URL``
is set: a booth has no network).
"""

from __future__ import annotations

import logging
from typing import Any

from dash import dcc, html
from dash.development.base_component import Component

from app.i18n import LANGUAGES, direction, fmt_int, lang_or, t
from app.services import services
from app.settings import Settings
from layers import MapContext

from .._kit import display as d
from .._kit import live
from .._kit import places as _places
from . import story

log = logging.getLogger(__name__)

PAGE = "kiosk"
PATH = "/demo"
#: The layers the kiosk draws (those that exist and apply, in their drawing order).
LAYER_KEYS = ("basemap", "regions", "coverage", "ports", "units", "incidents")
#: What the root's class says about the store: its data may be shown, it is not a demo store, or
#: it could not be asked.
SHOWN, REFUSED, UNVERIFIED = "is-shown", "is-refused", "is-unverified"
#: What the notice tells whoever runs the booth.
DEMO_COMMAND = "python -m app demo"


class ID:
    root = f"{PAGE}-root"
    lang = f"{PAGE}-lang"
    story = f"{PAGE}-story"
    banner = f"{PAGE}-banner"
    map = f"{PAGE}-map"
    controls = f"{PAGE}-controls"
    pause = f"{PAGE}-pause"
    prev = f"{PAGE}-prev"
    next = f"{PAGE}-next"
    regions = f"{PAGE}-regions"
    regions_label = f"{PAGE}-regions-label"
    region = f"{PAGE}-region"  # type of the region buttons' ids
    hint = f"{PAGE}-hint"
    tick = f"{PAGE}-tick"
    second = f"{PAGE}-second"
    seen = f"{PAGE}-seen"
    beat = f"{PAGE}-beat"
    refused = f"{PAGE}-refused"
    heard = f"{PAGE}-heard"
    loop = f"{PAGE}-loop"
    view = f"{PAGE}-view"
    config = f"{PAGE}-config"




def _offline(settings: Settings) -> Settings:
    """The settings the kiosk's layers get: a booth has no network, so never a raster tile server,
    whatever ``BASIRA_TILE_URL`` says (the vector basemap needs none)."""
    return settings.model_copy(update={"tile_url": None})


def _other(lang: str) -> str:
    return next(x for x in LANGUAGES if x != lang)


def _verdict(store: Any) -> str:
    """SHOWN for a demo store, REFUSED for any other, UNVERIFIED when the store cannot be asked."""
    try:
        return SHOWN if store.meta.is_demo() else REFUSED
    except live.UNREACHABLE as error:
        log.warning("kiosk: cannot ask the store whether it is a demo store (%s)", error)
        return UNVERIFIED


def layout(lang: str | None = None, **_: Any) -> Component:
    """The kiosk for ``?lang=`` (default ``settings.language``)."""
    context = services()
    settings = context.settings
    lang = lang_or(lang, settings.language)
    verdict = _verdict(context.store)
    places = _places.regions(context.store.reference)
    nation = _places.national(places)
    chapters = story.chapters(nation, context.store.reference.ports)
    ctx = MapContext(page=PAGE, lang=lang, settings=_offline(settings))
    config = {
        "chapters": [{"key": c.key, **c.view} for c in chapters],
        "regions": {p.code: {"bounds": p.view()["bounds"]} for p in places},
        "chapter_ms": int(settings.kiosk_chapter_s * 1000),
        "idle_ms": int(settings.kiosk_idle_s * 1000),
        "refused": verdict != SHOWN,
    }
    return html.Div(
        id=ID.root,
        dir=direction(lang),
        lang=lang,
        className=f"basira-kiosk {verdict}",
        children=[
            _refusal(),
            html.Div(
                className="kiosk-screen",
                children=[
                    html.Header(
                        className="kiosk-head",
                        children=[
                            d.brand(),
                            html.Span(t("demo.badge", "ar"), className="basira-demo kiosk-demo"),
                            html.Div(className="basira-bar-fill"),
                            dcc.RadioItems(
                                id=ID.lang,
                                options=[{"label": "العربية", "value": "ar"},
                                         {"label": "English", "value": "en"}],
                                value=lang,
                                inline=True,
                                className="kiosk-lang",
                            ),
                        ],
                    ),
                    html.Main(
                        className="kiosk-stage",
                        children=[
                            d.mode_map(ID.map, ctx, d.layers_for(LAYER_KEYS), nation.view()["bounds"],
                                       boundsOptions={"padding": [20, 20]}, tapHold=False),
                            html.Div(id=ID.banner, className="kiosk-banner", role="status"),
                        ],
                    ),
                    html.Aside(id=ID.story, className="kiosk-story", **{"aria-live": "polite"}),
                    _controls(places, lang),
                ],
            ),
            dcc.Store(id=ID.config, data=config),
            dcc.Store(id=ID.refused, data=verdict != SHOWN),
            dcc.Store(id=ID.heard, data=None),
            dcc.Store(id=ID.seen, data=None),
            dcc.Store(id=ID.beat, data=None),
            live.pulse_store(PAGE, settings),
            dcc.Store(id=ID.loop, data=None),
            dcc.Store(id=ID.view, data={"chapter": 0}),
            dcc.Interval(id=ID.tick, interval=settings.refresh_ms),
            dcc.Interval(id=ID.second, interval=500),
        ],
    )


def _refusal() -> html.Div:
    """The bilingual notice shown instead of anything else when the store is not a demo store."""

    def side(lang: str) -> html.Section:
        return html.Section(
            lang=lang,
            dir=direction(lang),
            children=[
                html.H1(t("kiosk.refused.title", lang)),
                html.P(t("kiosk.refused.body", lang), className="kiosk-why-refused"),
                html.P(t("kiosk.unverified.body", lang), className="kiosk-why-unverified"),
                html.P([t("kiosk.refused.hint", lang), " ", html.Code(DEMO_COMMAND, dir="ltr")],
                       className="kiosk-refusal-hint"),
            ],
        )

    return html.Div(
        className="kiosk-refusal",
        role="alert",
        children=[d.brand(), html.Div(className="kiosk-refusal-icon", **{"aria-hidden": "true"}),
                  html.Div([side("ar"), side("en")], className="kiosk-refusal-text")],
    )


def _controls(places: tuple[_places.Place, ...], lang: str) -> html.Footer:
    return html.Footer(
        id=ID.controls,
        className="kiosk-controls",
        children=[
            html.Button(id=ID.prev, className="kiosk-button", children=_button_text("prev", lang)),
            html.Button(id=ID.pause, className="kiosk-button kiosk-pause", children=_pause_text(lang)),
            html.Button(id=ID.next, className="kiosk-button", children=_button_text("next", lang)),
            html.Span(t("kiosk.paused", lang), id=ID.hint, className="kiosk-hint"),
            html.Div(className="basira-bar-fill"),
            html.Details(
                id=ID.regions,
                className="kiosk-regions",
                children=[
                    html.Summary(t("kiosk.regions", lang), id=ID.regions_label, className="kiosk-button"),
                    html.Div(
                        [
                            html.Button(p.short_name(lang), id={"type": ID.region, "code": p.code},
                                        className="kiosk-button kiosk-region")
                            for p in places
                        ],
                        className="kiosk-region-grid",
                    ),
                ],
            ),
        ],
    )


ICONS = {"prev": "‹", "next": "›"}


def _button_text(name: str, lang: str) -> list[Component]:
    # The arrows follow the reading direction: "previous" points back, against it.
    return [html.Span(ICONS[name], className=f"kiosk-icon kiosk-icon-{name}"),
            html.Span(t(f"kiosk.{name}", lang))]


def _pause_text(lang: str) -> list[Component]:
    return [
        html.Span([html.Span("❚❚", className="kiosk-icon"), t("kiosk.pause", lang)],
                  className="kiosk-when-playing"),
        html.Span([html.Span("▶", className="kiosk-icon"), t("kiosk.play", lang)],
                  className="kiosk-when-paused"),
    ]


# --- the story panel ---------------------------------------------------------------------------------


def _caption(title: str, body: str, lang: str, primary: bool) -> html.Div:
    return html.Div(
        lang=lang,
        dir=direction(lang),
        className="kiosk-caption is-primary" if primary else "kiosk-caption is-secondary",
        children=[html.H1(title) if primary else html.H2(title), html.P(body)],
    )


def _story_panel(view: dict[str, Any], chapters: tuple[story.Chapter, ...],
                 places: dict[str, _places.Place], reads: Any, now_ms: int, lang: str) -> list[Component]:
    """The caption (in the chosen language, then the other) and the figures of the current view."""
    other = _other(lang)
    place = places.get(str(view.get("region")))
    if place:
        key, figures = place.code, story.region_figures(place.code)
        texts = {x: (place.name(x), t("kiosk.region_body", x)) for x in LANGUAGES}
        current = None
    else:
        index = view.get("chapter") if isinstance(view.get("chapter"), int) else 0
        chapter = chapters[index % len(chapters)]
        key, figures = chapter.key, chapter.figures
        texts = {x: (chapter.title(x), chapter.body(x)) for x in LANGUAGES}
        current = index % len(chapters)
    dots = html.Ol(
        [html.Li(fmt_int(n + 1, lang), className="is-current" if n == current else None)
         for n in range(len(chapters))],
        className="kiosk-dots",
    )
    return [
        html.Div(
            **{"data-view": key},
            className="kiosk-captions",
            children=[_caption(*texts[lang], lang, True), _caption(*texts[other], other, False)],
        ),
        html.Div(figures(reads, now_ms, lang), className="kiosk-figures"),
        dots,
    ]
