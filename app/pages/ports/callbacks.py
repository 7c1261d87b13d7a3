"""The national ports view's callback: it redraws on the clock and on a change of language."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output

from app.i18n import direction, lang_or, t
from app.services import Services

from .._kit import widgets as w
from .layout import ID, _content


def register_callbacks(app: Dash, context: Services) -> None:
    """Redraw on the clock and on a change of language."""
    settings = context.settings

    @app.callback(
        output=dict(
            dir=Output(ID.root, "dir"),
            lang=Output(ID.root, "lang"),
            title=Output(ID.title, "children"),
            lead=Output(ID.lead, "children"),
            made=Output(ID.made, "children"),
            body=Output(ID.body, "children"),
            back=Output(ID.back, "children"),
            back_href=Output(ID.back, "href"),
            demo=Output(ID.demo, "hidden"),
            account=Output(ID.account, "children"),
        ),
        inputs=[Input(ID.tick, "n_intervals"), Input(ID.lang, "value")],
        prevent_initial_call=True,
    )
    def redraw(_tick: Any, lang: Any) -> dict[str, Any]:
        lang = lang_or(lang, settings.language)
        content, made, demo = _content(lang)
        return {
            "dir": direction(lang), "lang": lang,
            "title": t("ports.title", lang), "lead": t("ports.lead", lang),
            "made": made, "body": content, "back": t("ports.back", lang), "back_href": f"/?lang={lang}",
            "demo": not demo, "account": w.account(lang),
        }
