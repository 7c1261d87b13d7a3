"""The kiosk's callbacks: the refresh of the tick (a demo store's data or nothing), the relabelling on a
change of language, and the attract loop that runs in the browser (``assets/kiosk.js``)."""

from __future__ import annotations

from typing import Any

from dash import ALL, ClientsideFunction, Dash, Input, Output, State, callback_context, no_update

from app.contract import Scope
from app.i18n import direction, lang_or, t
from app.services import Services
from layers import by_key

from .._kit import live
from .._kit import places as _places
from . import story
from .layout import (
    ID,
    PAGE,
    SHOWN,
    _button_text,
    _offline,
    _pause_text,
    _story_panel,
    _verdict,
)


def register_callbacks(app: Dash, context: Services) -> None:
    """Register the kiosk's callbacks on ``app``; they read the store of ``context``."""
    settings, store = context.settings, context.store
    offline = _offline(settings)
    region_list = _places.regions(store.reference)
    places = {p.code: p for p in region_list}
    chapters = story.chapters(_places.national(region_list), store.reference.ports)

    page = live.LivePage(PAGE, settings, store, root=f"basira-kiosk {SHOWN}")

    @app.callback(
        output=page.outputs(
            "banner", "root_class", "seen", "beat",
            refused=Output(ID.refused, "data"),
            story=Output(ID.story, "children"),
        ),
        inputs=[page.pulse, Input(ID.lang, "value"), Input(ID.view, "data")],
        state=[State(ID.seen, "data")],
    )
    def refresh(_pulse: Any, lang: str | None, view: dict | None, seen: str | None) -> dict[str, Any]:
        lang = lang_or(lang, settings.language)
        keys = live.layer_keys("live")
        now = live.now_ms()

        def refused(verdict: str) -> dict[str, Any]:
            # Nothing from this store reaches the page; clear whatever a demo store showed before.
            cleared = live.empty_payloads(keys) if seen else [no_update] * len(keys)
            return live.answer(page.outputs_named, live=cleared, root_class=f"basira-kiosk {verdict}",
                               refused=True, story=[], banner="", seen=None, beat=now)

        verdict = _verdict(store)
        if verdict != SHOWN:
            return refused(verdict)
        try:
            reads = store.layers.for_refresh(now)
            tick = page.tick(now)
            scope = Scope()
            version = tick.version(scope)
            payloads = live.payloads(keys, version, seen, lambda key: by_key(key).data(reads, scope))
            view = view if isinstance(view, dict) else {}
            told = _story_panel(view, chapters, places, reads, now, lang)
        except live.UNREACHABLE as error:
            return page.down(error, lang, now, refused=False)
        # Asked again after reading: a real entry applied meanwhile ended the demo in the same
        # transaction, so a store still a demo store now held nothing real when it was read.
        verdict = _verdict(store)
        if verdict != SHOWN:
            return refused(verdict)
        return page.answer(tick.fresh, lang, live=payloads, refused=False, story=told, seen=version, beat=now)

    page.register_pace(app, ID.tick)  # a refresh slower than the tick is still shown (see the kit)

    @app.callback(
        output=dict(
            hideouts=live.layers_output(PAGE, "hideout", ALL),
            region_labels=Output({"type": ID.region, "code": ALL}, "children"),
            dir=Output(ID.root, "dir"),
            lang=Output(ID.root, "lang"),
            prev=Output(ID.prev, "children"),
            next=Output(ID.next, "children"),
            pause=Output(ID.pause, "children"),
            hint=Output(ID.hint, "children"),
            regions_label=Output(ID.regions_label, "children"),
        ),
        inputs=[Input(ID.lang, "value")],
        prevent_initial_call=True,
    )
    def relabel(lang: str | None) -> dict[str, Any]:
        lang = lang_or(lang, settings.language)
        codes = [o["id"]["code"] for o in callback_context.outputs_grouping["region_labels"]]
        return {
            "hideouts": [by_key(key).hideout(lang, offline) for key in live.layer_keys("hideouts")],
            "region_labels": [places[code].short_name(lang) for code in codes],
            "dir": direction(lang),
            "lang": lang,
            "prev": _button_text("prev", lang),
            "next": _button_text("next", lang),
            "pause": _pause_text(lang),
            "hint": t("kiosk.paused", lang),
            "regions_label": t("kiosk.regions", lang),
        }

    # The browser's side (assets/kiosk.js): `heard` keeps the verdict for the loop, which runs on its own
    # timer and never waits for the server (see assets/modes.js).
    app.clientside_callback(
        ClientsideFunction("basira.kiosk", "heard"),
        Output(ID.heard, "data"),
        Input(ID.refused, "data"),
    )
    app.clientside_callback(
        ClientsideFunction("basira.kiosk", "loop"),
        Output(ID.map, "viewport"),
        Output(ID.map, "invalidateSize"),
        Output(ID.loop, "data"),
        Output(ID.view, "data"),
        Output(ID.controls, "className"),
        Output(ID.regions, "open"),
        Input(ID.second, "n_intervals"),
        Input(ID.pause, "n_clicks"),
        Input(ID.prev, "n_clicks"),
        Input(ID.next, "n_clicks"),
        Input({"type": ID.region, "code": ALL}, "n_clicks"),
        State(ID.loop, "data"),
        State(ID.config, "data"),
    )
