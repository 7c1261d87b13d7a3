"""The command view's alerts: a compact section at the top of the side panel, and a pin per alert on the map.

The section lists the open alerts of the view's scope (:func:`app.alerts.listing.alerts_for` — never
filtered here by hand), escalated first, then the most severe, then the newest
(:func:`app.alerts.model.ordered`): a heading with their count, then a row each — severity, headline,
sentence, region, age, state (escalated; acknowledged by whom, or not yet; assigned to whom) and
"show on map" (``assets/alerts.js`` flies the map there). An incident's alert links to the incident's
view, as a row of the incident list does. The three most important rows show; "show all" opens the rest
(in the browser: no round trip). On phones the section is in the bottom sheet, and the sheet's handle
says how many severe alerts are open.

A person who may act (any role but ``wall``) gets Acknowledge, Resolve, and Assign… (a name, and a note
that goes with any of the three) on each row; the action goes through :func:`app.alerts.actions.act`,
the API's own rules (scope, role, the store's atomic record, the audit trail), and its outcome is said
in words under the heading.

It is redrawn when ``assets/alerts.js`` hears the alerts' version move (from the live feed's answers,
eight times a second, or ``/api/v1/alerts/version`` four times a second when the feed stops),
not on the page's 1 s tick — so a new alert shows within a few hundred milliseconds — and every 30 s
for the ages. In a replay (the time bar at a moment of the archive) the section says "alerts are
shown live only" and the pins go: the archive keeps no alerts, and today's alerts over a past picture
would mislead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import dash_leaflet as dl
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, callback_context, dcc, html, no_update
from dash.development.base_component import Component

from app.alerts import actions
from app.alerts.listing import alerts_for
from app.alerts.model import Alert
from app.alerts.text import headline, sentence
from app.auth import audit, current_principal, scope_for
from app.i18n import fmt_int, lang_or, t

from .._kit import alerts as kit
from .._kit import live
from . import drill
from .drill import View
from .incidents import digest
from .timebar import TB, Moment

log = logging.getLogger(__name__)

PAGE = "live"  # the command view's (layout.PAGE): its ids, and the access control's judging of them
#: Rows shown before "show all"; rows drawn at most.
COLLAPSED = 3
ROW_LIMIT = 50
#: The ages ("4 min ago") are redrawn this often (ms) when nothing else changed.
AGE_REFRESH_MS = 30_000
#: Zoom of "show on map": a street for an incident or a unit, a region's towns otherwise.
ZOOM_NEAR, ZOOM_AREA = 12, 9
#: Pattern-id types of the rows' controls (``{"type": ACT, "alert": id, "action": a}``).
ACT = f"{PAGE}-alert-act"
NOTE = f"{PAGE}-alert-note"
TO = f"{PAGE}-alert-to"


class AL:
    """Component ids of the section (``live-`` prefixed: the command page's)."""

    section = f"{PAGE}-alerts"
    head = f"{PAGE}-alerts-head"
    rows = f"{PAGE}-alerts-rows"
    more = f"{PAGE}-alerts-more"
    outcome = f"{PAGE}-alerts-outcome"
    shown = f"{PAGE}-alerts-shown"
    clock = f"{PAGE}-alerts-clock"
    pins = f"{PAGE}-alerts-pins"
    sheet = f"{PAGE}-sheet-alerts"
    version = kit.version_id(PAGE)


# --- the layout's pieces ------------------------------------------------------------------------------


def section(lang: str) -> html.Section:
    """The section's frame (its callback fills it): heading, rows, "show all", the last outcome."""
    return html.Section(
        id=AL.section,
        className="basira-alerts",
        **{"aria-label": t("alert.section", lang)},
        children=[
            html.Div(heading(0, lang), id=AL.head, className="basira-alerts-head"),
            # filled by assets/alerts.js alone (no callback draws it): a new alert the moment the poller
            # hears of it, until its row below is drawn
            html.Div(id=kit.fresh_id(PAGE), className="basira-alerts-fresh", **{"aria-live": "polite"}),
            html.Div(id=AL.rows, className="basira-alerts-rows"),
            html.Button(id=AL.more, type="button", n_clicks=0, hidden=True, className="basira-alerts-more"),
            html.Div(id=AL.outcome, className="basira-alerts-outcome", role="status",
                     **{"aria-live": "polite"}),
        ],
    )


def pins_layer(lang: str) -> dl.GeoJSON:
    """The open alerts on the map (``basira.alerts.pin``: a warning marker per alert, in its own pane)."""
    return dl.GeoJSON(id=AL.pins, data={"type": "FeatureCollection", "features": []}, pointToLayer=kit.PIN,
                      hideout=kit.pin_hideout(lang))


def sheet_badge() -> html.B:
    """In the bottom sheet's handle (phones): how many severe alerts are open; empty when none."""
    return html.B(id=AL.sheet, className="basira-sheet-alerts")


def stores(version: int | None = None) -> list[Any]:
    return [*kit.poller(PAGE, version), dcc.Store(id=AL.shown, data=None),
            dcc.Interval(id=AL.clock, interval=AGE_REFRESH_MS)]


# --- drawing (pure) -------------------------------------------------------------------------------------


def heading(count: int, lang: str, note: str | None = None) -> list[Component]:
    out: list[Component] = [
        html.Span(t("alert.section", lang), className="basira-alerts-title"),
        html.B(fmt_int(count, lang), className="basira-alerts-count", **{"data-value": str(count)}),
    ]
    if note:
        out.append(html.Span(note, className="basira-alerts-note"))
    elif count:
        out.append(html.Span(t("alert.order", lang), className="basira-alerts-order"))
    return out


def _button(alert_id: str, action: str, label: str) -> html.Button:
    return html.Button(label, id={"type": ACT, "alert": alert_id, "action": action}, type="button",
                       n_clicks=0, className=f"basira-alert-do is-{action}")


def _field(kind: str, alert_id: str, label: str, limit: int) -> html.Label:
    """A text field of a row's form, labelled for a screen reader (its placeholder says it on screen)."""
    return html.Label([html.Span(label, className="basira-visually-hidden"),
                       dcc.Input(id={"type": kind, "alert": alert_id}, type="text", maxLength=limit,
                                 placeholder=label, className="basira-alert-input")],
                      className="basira-alert-field")


def action_bar(alert: Alert, lang: str) -> html.Div:
    """Acknowledge (until someone has), Resolve, and Assign… — a name and a note, the note going with
    whichever action is taken."""
    buttons: list[Component] = []
    if alert.acknowledged_at is None:
        buttons.append(_button(alert.id, "acknowledge", t("alert.act.acknowledge", lang)))
    buttons.append(_button(alert.id, "resolve", t("alert.act.resolve", lang)))
    form = html.Details(
        className="basira-alert-form",
        children=[
            html.Summary(t("alert.act.assign", lang), className="basira-alert-do is-more"),
            _field(NOTE, alert.id, t("alert.note", lang), actions.NOTE_MAX),
            html.Div([_field(TO, alert.id, t("alert.to", lang), actions.NAME_MAX),
                      _button(alert.id, "assign", t("alert.act.assign_do", lang))],
                     className="basira-alert-assign"),
            html.P(t("alert.form_hint", lang), className="basira-alert-hint"),
        ],
    )
    return html.Div([*buttons, form], className="basira-alert-actions")


def _fly(alert: Alert, lang: str) -> list[Component]:
    if alert.lon is None or alert.lat is None:
        return []
    near = bool(alert.incident or alert.unit)
    return [html.Button(t("alert.on_map", lang), type="button", className="basira-alert-fly",
                        **{"data-lon": repr(alert.lon), "data-lat": repr(alert.lat),
                           "data-zoom": str(ZOOM_NEAR if near else ZOOM_AREA), "data-map": f"{PAGE}-map"})]


def alert_row(alert: Alert, lang: str, now_ms: int, *, href: str | None = None, may_act: bool = False,
              name_of: kit.NameOf | None = None, extra: bool = False) -> html.Article:
    """One alert: severity, headline (a link to its incident's view when ``href``), age; its sentence;
    region, state and "show on map"; the actions when the viewer ``may_act``. ``extra``: beyond the
    first rows (shown after "show all")."""
    title: Component = (
        html.A(headline(alert, lang), href=href, className="basira-alert-title", **{"data-nav": "1"},
               title=t("alert.open_incident", lang, id=alert.incident))
        if href else html.Span(headline(alert, lang), className="basira-alert-title")
    )
    classes = ["basira-alert"]
    if extra:
        classes.append("is-extra")
    if alert.escalated_at is not None:
        classes.append("is-escalated")
    children: list[Component] = [
        html.Div([kit.chip(alert, lang), title, html.Span(kit.age_text(alert, now_ms, lang),
                                                          className="basira-alert-age")],
                 className="basira-alert-line"),
        html.P(sentence(alert, lang), className="basira-alert-text", dir="auto"),
        html.Div([html.Span(kit.region_text(alert, lang, name_of), className="basira-alert-region"),
                  *kit.state_line(alert, lang), *_fly(alert, lang)], className="basira-alert-meta"),
    ]
    if may_act and alert.open:
        children.append(action_bar(alert, lang))
    return html.Article(children, className=" ".join(classes),
                        style={"--alert-colour": kit.colour(alert.severity)},
                        **{"data-alert": alert.id, "data-severity": alert.severity})


def drawn(alerts: Sequence[Alert], lang: str, now_ms: int, view: View, *, may_act: bool,
          name_of: kit.NameOf | None = None) -> dict[str, Any]:
    """Everything the section, the pins and the sheet's handle show for ``alerts`` (open, in the
    view's scope, in :func:`~app.alerts.model.ordered` order)."""
    def href(alert: Alert) -> str | None:
        return View(view.region, view.agency, alert.incident).query(lang) if alert.incident else None

    rows = [alert_row(a, lang, now_ms, href=href(a), may_act=may_act, name_of=name_of, extra=n >= COLLAPSED)
            for n, a in enumerate(alerts[:ROW_LIMIT])]
    severe = sum(1 for a in alerts if a.severe)
    hidden = len(rows) - COLLAPSED
    return {
        "head": heading(len(alerts), lang, None if alerts else t("alert.none", lang)),
        "rows": rows,
        "more": [html.Span(t("alert.show_all", lang, n=fmt_int(len(rows), lang)), className="is-all"),
                 html.Span(t("alert.show_fewer", lang), className="is-fewer")] if hidden > 0 else [],
        "more_hidden": hidden <= 0,
        "pins": kit.pins(alerts, lang),
        "sheet": _sheet(severe, lang),
    }


def replaying(lang: str) -> dict[str, Any]:
    """What the section shows in a replay: that alerts are live only; no rows, no pins."""
    return {"head": heading(0, lang, t("alert.live_only", lang)), "rows": [], "more": [], "more_hidden": True,
            "pins": kit.pins([], lang), "sheet": []}


def _sheet(severe: int, lang: str) -> list[Component]:
    if not severe:
        return []
    words = t("alert.sheet", lang, n=fmt_int(severe, lang))
    return [html.Span(f"⚠ {fmt_int(severe, lang)}", **{"aria-hidden": "true"}, title=words),
            html.Span(words, className="basira-visually-hidden")]


def state_of(alerts: Sequence[Alert], now_ms: int) -> list[Any]:
    """What the rows show, for :func:`~.incidents.digest` (the section is redrawn only when it changes:
    a redraw would lose a note being typed)."""
    return [(a.id, a.severity, a.escalated_at, a.acknowledged_by, a.assigned_to, a.resolved_at,
             a.lon, a.lat, (now_ms - a.raised_at) // 60_000) for a in alerts[:ROW_LIMIT]] + [len(alerts)]


def outcome_text(outcome: actions.Outcome, alert_id: str, action: str, lang: str) -> html.Span:
    """The outcome of an action, in words."""
    alert = outcome.alert
    if outcome.result == "ok":
        text = t(f"alert.outcome.ok.{action}", lang, id=alert_id, to=alert.assigned_to if alert else "")
    elif outcome.result == "already":
        text = t("alert.outcome.already", lang, id=alert_id, who=alert.acknowledged_by if alert else "—")
    else:
        text = t(f"alert.outcome.{outcome.result}", lang, id=alert_id)
    return html.Span(text, className=f"basira-alerts-said is-{outcome.result}",
                     **{"data-outcome": outcome.result, "data-alert": alert_id, "data-action": action})


# --- the callbacks ------------------------------------------------------------------------------------


def _clicked(ids: Mapping[str, Any] | None, value: Any) -> tuple[str, str] | None:
    """The (alert, action) of a button really clicked (a row drawn anew reports ``n_clicks`` 0)."""
    if not isinstance(ids, Mapping) or not value:
        return None
    alert, action = ids.get("alert"), ids.get("action")
    return (alert, action) if isinstance(alert, str) and isinstance(action, str) else None


def _typed(states: Sequence[Mapping[str, Any]], alert_id: str) -> str:
    """What was typed in the field of ``alert_id`` (``states``: Dash's list for an ALL pattern)."""
    for state in states:
        if (state.get("id") or {}).get("alert") == alert_id:
            return str(state.get("value") or "")
    return ""


def register(app: Dash, context: Any, ids: Any) -> None:
    """The section's callbacks on the command page (``ids``: its ``layout.ID``)."""
    settings, store = context.settings, context.store

    def name_of(code: str, lang: str) -> str:
        return drill.places_of(settings).region_name(code, lang)

    @app.callback(
        Output(AL.head, "children"),
        Output(AL.rows, "children"),
        Output(AL.more, "children"),
        Output(AL.more, "hidden"),
        Output(AL.pins, "data"),
        Output(AL.pins, "hideout"),
        Output(AL.sheet, "children"),
        Output(AL.shown, "data"),
        Input(AL.version, "data"),
        Input(AL.clock, "n_intervals"),
        Input(ids.lang, "value"),
        Input(ids.scope, "data"),
        Input(TB.time, "data"),
        State(AL.shown, "data"),
    )
    def draw(_version: Any, _clock: Any, lang: str | None, scope_data: Any, time_data: Any,
             shown: str | None) -> tuple[Any, ...]:
        """The section, the pins and the handle's count, when an alert changed (or the view, the
        language, the minute): ``no_update`` when what they show is what the browser has."""
        lang = lang_or(lang, settings.language)
        view = View.of(scope_data)
        if Moment.of(time_data).replay:
            sign = digest("alerts-replay", lang)
            parts = replaying(lang) if sign != shown else {}
        else:
            now = live.now_ms()
            may = actions.may_act(current_principal())
            try:
                listed = alerts_for(store, view.scope, "open")
            except live.UNREACHABLE as error:
                live.unreachable(f"{PAGE} page alerts", error)
                return (no_update,) * 8  # the refresh says the store is down; the last rows stay
            sign = digest("alerts", lang, view.data(), may, state_of(listed, now))
            parts = drawn(listed, lang, now, view, may_act=may, name_of=name_of) if sign != shown else {}
        if not parts:
            return (no_update,) * 8
        return (parts["head"], parts["rows"], parts["more"], parts["more_hidden"], parts["pins"],
                kit.pin_hideout(lang), parts["sheet"], sign)

    @app.callback(
        Output(AL.outcome, "children"),
        Output(AL.version, "data"),
        Input({"type": ACT, "alert": ALL, "action": ALL}, "n_clicks"),
        State({"type": NOTE, "alert": ALL}, "value"),
        State({"type": TO, "alert": ALL}, "value"),
        State(ids.lang, "value"),
        prevent_initial_call=True,
    )
    def act(_clicks: list[Any], _notes: list[Any], _tos: list[Any], lang: str | None) -> tuple[Any, Any]:
        """A person acts on one alert (the API's rules, :func:`app.alerts.actions.act`); the outcome in
        words, and the section redrawn at once (its version moved)."""
        lang = lang_or(lang, settings.language)
        triggered = callback_context.triggered[0] if callback_context.triggered else {}
        clicked = _clicked(callback_context.triggered_id, triggered.get("value"))
        if clicked is None:
            return no_update, no_update
        alert_id, action = clicked
        states = callback_context.states_list
        note, to = _typed(states[0], alert_id), _typed(states[1], alert_id)
        try:
            outcome = actions.act(store, scope_for(), current_principal(), alert_id, action, live.now_ms(),
                                  note=note, to=to, audit=audit.event)
            version = store.alerts.version()
        except live.UNREACHABLE as error:
            live.unreachable(f"{PAGE} page alert action", error)
            return html.Span(t("alert.outcome.down", lang), className="basira-alerts-said is-down",
                             **{"data-outcome": "down"}), no_update
        return outcome_text(outcome, alert_id, action, lang), version

    # "show all" / "show fewer": the rows are all on the page already; the section's class shows them.
    app.clientside_callback(
        ClientsideFunction("basira.alerts", "toggleAll"),
        Output(AL.section, "className"),
        Input(AL.more, "n_clicks"),
        State(AL.section, "className"),
        prevent_initial_call=True,
    )
    kit.register_poller(app, PAGE)
