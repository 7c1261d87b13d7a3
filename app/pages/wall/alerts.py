"""The wall's alerts: the open ones of the wall's scope in a side list, and the newest severe one full width.

* The side list (above the KPI column): the open alerts the wall's account may see
  (:func:`app.alerts.listing.alerts_for`), escalated first, then the most severe, then the newest —
  severity, headline, region, age, state. Hidden while there are none.
* The card: the newest unacknowledged alert of severity ``severe`` or ``extreme`` is shown across the
  screen, as a new priority-1 incident's card is (it reuses its styling and its place in the tour,
  ``basira.wall`` ``tour`` in ``assets/wall.js``): the tour pauses and the map flies to it; it is held
  ``settings.wall_alert_s`` at most — less, once someone acknowledges or resolves it (after at least
  10 s) — and a newer severe alert replaces it. An incident's card waits while an alert's is up.
* Sound, off by default (``settings.wall_alert_sound``; ``/wall?sound=1`` or ``?sound=0`` per screen):
  a short chime (``assets/sounds/alert.wav``, drawn by ``tools/alert_sound.py``) when the card comes
  up. A browser that blocks sound until someone touches the page refuses to play it: the wall then shows
  "sound blocked — tap to allow" (``assets/alerts.js``).

The wall learns of an alert from ``assets/alerts.js``'s poller (``/api/v1/alerts/version``, four
times a second), not from its 1 s refresh; :func:`register`'s callback reads the alerts, and
``basira.wall`` ``alertsHeard`` keeps them for the tour and runs it at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html, no_update
from dash.development.base_component import Component

from app.alerts.listing import alerts_for
from app.alerts.model import Alert
from app.alerts.text import headline, sentence
from app.auth import scope_for
from app.i18n import fmt_int, lang_or, t

from .._kit import alerts as kit
from .._kit import live
from .._kit import places as _places
from .panels import PAGE

#: Where the chime is served from (Dash serves ``assets/``).
SOUND_URL = "/assets/sounds/alert.wav"
#: Rows of the side list at most (the wall is read from metres away).
LIST_ROWS = 6


class WA:
    """Component ids (``wall-`` prefixed: the wall's)."""

    list = f"{PAGE}-alerts"
    data = f"{PAGE}-alerts-data"
    heard = f"{PAGE}-alerts-heard"
    nudge = f"{PAGE}-nudge"
    card = f"{PAGE}-rule"
    sound = f"{PAGE}-sound"
    version = kit.version_id(PAGE)
    #: the card's fields, filled in by the tour
    fields = tuple(f"{PAGE}-rule-{name}" for name in ("title", "headline", "text", "where", "age", "status",
                                                         "more"))


def sound_on(setting: bool, asked: Any) -> bool:
    """``?sound=1`` / ``?sound=0`` for this screen, else the setting."""
    if isinstance(asked, str) and asked.strip() in ("1", "0", "true", "false", "on", "off"):
        return asked.strip() in ("1", "true", "on")
    return bool(setting)


def config(lang: str, sound: bool) -> dict[str, Any]:
    """What the tour needs of the alerts (merged into the wall's config)."""
    return {"sound": sound, "sound_url": SOUND_URL, "sound_badge": WA.sound,
            "more_alerts": t("alert.wall.more", lang)}


def card(lang: str) -> html.Div:
    """The full-width card of a severe alert (the tour fills in its fields and shows it)."""
    title, head, text, where, age, status, more = WA.fields
    return html.Div(
        id=WA.card,
        className="wall-alert wall-alarm",
        role="alert",
        children=[
            html.Div(id=title, className="wall-alert-title"),
            html.Div(id=head, className="wall-alert-category wall-alarm-headline"),
            html.Div(id=text, className="wall-alarm-text"),
            html.Div(id=where, className="wall-alert-where"),
            html.Div(
                className="wall-alert-row",
                children=[
                    html.Span(t("alert.wall.raised", lang), className="wall-alert-label"),
                    html.Span(id=age, className="wall-alert-age"),
                    html.Span(id=status, className="wall-alert-status"),
                ],
            ),
            html.Div(id=more, className="wall-alert-more"),
        ],
    )


def sound_badge(lang: str) -> html.Button:
    """Shown when the browser refused to play the chime: a tap allows it (assets/alerts.js)."""
    return html.Button(t("alert.sound_blocked", lang), id=WA.sound, type="button", hidden=True,
                       className="wall-sound")


def stores() -> list[Any]:
    return [*kit.poller(PAGE), dcc.Store(id=WA.data, data=None), dcc.Store(id=WA.heard, data=None),
            dcc.Store(id=WA.nudge, data=None)]


def section() -> html.Section:
    return html.Section(id=WA.list, className="wall-alerts")


# --- drawing (pure) -------------------------------------------------------------------------------------


def side_list(alerts: Sequence[Alert], lang: str, now_ms: int, name_of: kit.NameOf | None = None
              ) -> list[Component]:
    """The open alerts (``alerts`` in :func:`~app.alerts.model.ordered` order), at most
    :data:`LIST_ROWS`; nothing when there are none (the section hides)."""
    if not alerts:
        return []
    rows = [
        html.Li(
            className="wall-alerts-row" + (" is-escalated" if a.escalated_at is not None else ""),
            style={"--alert-colour": kit.colour(a.severity)},
            **{"data-alert": a.id, "data-severity": a.severity},
            children=[
                kit.chip(a, lang),
                html.B(headline(a, lang), className="wall-alerts-headline"),
                html.Span(kit.region_text(a, lang, name_of), className="wall-alerts-region"),
                html.Span(kit.age_text(a, now_ms, lang), className="wall-alerts-age"),
                _state(a, lang),
            ],
        )
        for a in alerts[:LIST_ROWS]
    ]
    more = len(alerts) - LIST_ROWS
    head = [html.Span(t("alert.wall.list", lang)), html.B(fmt_int(len(alerts), lang))]
    out: list[Component] = [html.H2(head), html.Ol(rows)]
    if more > 0:
        out.append(html.P(t("alert.wall.list_more", lang, n=fmt_int(more, lang)),
                          className="wall-alerts-more"))
    return out


def _state(alert: Alert, lang: str) -> html.Span:
    """The first of the alert's states: escalated, else acknowledged (by whom) or not yet."""
    kind, text = kit.states(alert, lang)[0]
    return html.Span(text, className=f"wall-alerts-state is-{kind}")


def severe_items(alerts: Sequence[Alert], lang: str, name_of: kit.NameOf | None = None
                 ) -> list[dict[str, Any]]:
    """The open, unacknowledged alerts of severity ``severe`` or more, newest first, with their words in
    ``lang``: what the tour shows full width (the newest it has not shown yet)."""
    chosen = [a for a in alerts if a.open and a.severe and a.acknowledged_at is None]
    chosen.sort(key=lambda a: -a.raised_at)
    return [
        {
            "id": a.id, "severity": a.severity, "raised_at": a.raised_at, "lat": a.lat, "lon": a.lon,
            "near": bool(a.incident or a.unit),
            "title": t("alert.wall.title", lang, severity=kit.severity_word(a.severity, lang)),
            "headline": headline(a, lang), "text": sentence(a, lang),
            "where": kit.region_text(a, lang, name_of),
            "status": t("alert.escalated" if a.escalated_at is not None else "alert.unacknowledged", lang),
        }
        for a in chosen
    ]  # fmt: skip


# --- the callbacks ------------------------------------------------------------------------------------


def register(app: Dash, context: Any, ids: Any) -> None:
    """The wall's alerts callbacks (``ids``: its ``layout.ID``)."""
    settings, store = context.settings, context.store
    regions = {p.code: p for p in _places.regions(store.reference)}

    def name_of(code: str, lang: str) -> str:
        place = regions.get(code)
        return place.name(lang) if place else code

    @app.callback(
        Output(WA.list, "children"),
        Output(WA.data, "data"),
        Input(WA.version, "data"),
        Input(ids.minute, "n_intervals"),
        State(ids.lang, "data"),
    )
    def alerts(_version: Any, _minute: Any, lang: str | None) -> tuple[Any, Any]:
        """The side list and the severe alerts for the tour, when an alert changed (and every minute,
        for the ages)."""
        lang = lang_or(lang, settings.wall_language)
        try:
            listed = alerts_for(store, scope_for(), "open")
        except live.UNREACHABLE as error:
            live.unreachable(f"{PAGE} page alerts", error)
            return no_update, no_update
        return side_list(listed, lang, live.now_ms(), name_of), severe_items(listed, lang, name_of)

    # Kept for the tour (which never waits for the server: see assets/modes.js), and the tour run at
    # once rather than at its next half-second step.
    app.clientside_callback(
        ClientsideFunction("basira.wall", "alertsHeard"),
        Output(WA.heard, "data"),
        Input(WA.data, "data"),
        prevent_initial_call=True,
    )
    kit.register_poller(app, PAGE)
