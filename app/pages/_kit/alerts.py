"""What the command view and the wall share about alerts: their words and colours, their pins, and the
poller that tells a page at once when any alert has changed.

A page must show a new alert within a second of its raising, so it cannot wait for its 1 s refresh
tick: ``basira.alerts`` (``assets/alerts.js``) asks ``/api/v1/alerts/version`` four times a second
(one ``GET`` of Redis; paused while the page is hidden; on the command view the live feed's answers
carry the number, and it asks only when that moved) and, when the number moves, sets the page's
``<page>-alerts-version`` store, which a server callback of the page redraws its alerts from. The
rest is pure: from :class:`~app.alerts.model.Alert` records to text and components, in both languages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html
from dash.development.base_component import Component

from app.alerts.model import SEVERITIES, Alert
from app.alerts.text import headline, sentence
from app.i18n import fmt_duration, t
from layers.js import Namespace

#: Where pages ask whether anything changed (``app.api_alerts.version``).
VERSION_PATH = "/api/v1/alerts/version"
#: How often a page asks (ms): a new alert is on the page about this long after it was raised, plus a
#: callback's round trip.
POLL_MS = 250
#: The browser's functions (``window.basira.alerts``, assets/alerts.js).
ALERTS_JS = Namespace("basira", "alerts")
PIN = ALERTS_JS("pin")
#: The map pane of the alert pins: above the incidents' markers and clusters (620, 630), under the
#: tooltips (650).
PIN_PANE = "basira-alert-pins"
PIN_PANE_Z = 640
#: Pins drawn at most (the most important open alerts): a few dozen markers, never one per incident.
PIN_LIMIT = 50
#: Colour per CAP severity: the incidents' priority colours, most severe the reddest (a pin's shape,
#: not its colour, tells it from an incident).
SEVERITY_COLOURS: dict[str, str] = {"extreme": "#ff3b3b", "severe": "#ff8c1a", "moderate": "#ffd43b",
                                    "minor": "#4dabf7"}
UNKNOWN_COLOUR = "#adb5bd"

NameOf = Callable[[str, str], str]


def colour(severity: str) -> str:
    return SEVERITY_COLOURS.get(severity, UNKNOWN_COLOUR)


def severity_word(severity: str, lang: str) -> str:
    key = f"alert.severity.{severity}"
    return t(key, lang) if severity in SEVERITIES else severity


def age_text(alert: Alert, now_ms: int, lang: str) -> str:
    """How long ago it was raised, to the minute (a list redrawn once a minute at most)."""
    minutes = max(0, now_ms - alert.raised_at) // 60_000
    return t("list.now", lang) if minutes == 0 else t("list.age", lang, age=fmt_duration(minutes * 60, lang))


def region_text(alert: Alert, lang: str, name_of: NameOf | None = None) -> str:
    """Where: the region's name (from the reference data when ``name_of`` is given, else from the names
    the alert was raised with), or the Kingdom for a national alert."""
    if not alert.region:
        return t("alert.nation", lang)
    if name_of is not None:
        return name_of(alert.region, lang)
    other = "en" if lang == "ar" else "ar"
    return str(alert.facts.get(f"region_{lang}") or alert.facts.get(f"region_{other}") or alert.region)


def states(alert: Alert, lang: str) -> list[tuple[str, str]]:
    """The alert's state in words, as ``(kind, text)``: escalated first, then who acknowledged it (or
    that nobody has) and to whom it is assigned."""
    out: list[tuple[str, str]] = []
    if alert.escalated_at is not None:
        out.append(("escalated", t("alert.escalated", lang)))
    if alert.acknowledged_at is not None:
        out.append(("acknowledged", t("alert.acknowledged_by", lang, who=alert.acknowledged_by or "—")))
    else:
        out.append(("unacknowledged", t("alert.unacknowledged", lang)))
    if alert.assigned_to:
        out.append(("assigned", t("alert.assigned_to", lang, who=alert.assigned_to)))
    return out


def chip(alert: Alert, lang: str) -> html.Span:
    """The severity, as a coloured word."""
    return html.Span(severity_word(alert.severity, lang), className="basira-alert-severity",
                     style={"--alert-colour": colour(alert.severity)}, **{"data-severity": alert.severity})


def state_line(alert: Alert, lang: str) -> list[Component]:
    return [html.Span(text, className=f"basira-alert-state is-{kind}",
                      title=t("alert.escalated_hint", lang) if kind == "escalated" else None)
            for kind, text in states(alert, lang)]


def pins(alerts: Iterable[Alert], lang: str, limit: int = PIN_LIMIT) -> dict[str, Any]:
    """The open alerts that have a place, as GeoJSON points for :data:`PIN` (their words in ``lang``)."""
    features = []
    for alert in alerts:
        if alert.lon is None or alert.lat is None or not alert.open:
            continue
        features.append({
            "type": "Feature", "id": alert.id,
            "geometry": {"type": "Point", "coordinates": [alert.lon, alert.lat]},
            "properties": {"id": alert.id, "severity": alert.severity, "colour": colour(alert.severity),
                           "escalated": alert.escalated_at is not None, "title": headline(alert, lang),
                           "text": sentence(alert, lang)},
        })  # fmt: skip
        if len(features) >= limit:
            break
    return {"type": "FeatureCollection", "features": features}


def pin_hideout(lang: str) -> dict[str, Any]:
    return {"pane": PIN_PANE, "pane_z": PIN_PANE_Z, "lang": lang}


# --- the poller --------------------------------------------------------------------------------------


def version_id(page: str) -> str:
    return f"{page}-alerts-version"


def fresh_id(page: str) -> str:
    """Where the poller shows an alert the moment it hears of it (``fresh`` in the version's answer),
    until the page's own redraw has drawn its row: a page without it (the wall) waits for the redraw."""
    return f"{page}-alerts-fresh"


def poll_id(page: str) -> str:
    return f"{page}-alerts-poll"


def poller(page: str, version: int | None = None) -> list[dcc.Store]:
    """The stores of a page's poller: the version it last heard (set by the browser, read by the
    page's alerts callback) and what ``basira.alerts.start`` needs — where to ask, how often, which
    store to set, the page's root (the poller stops when it is gone) and ``version``, the one the page
    was drawn with (``None``: the first answer is news)."""
    return [
        dcc.Store(id=version_id(page), data=version),
        dcc.Store(id=poll_id(page), data={"path": VERSION_PATH, "every_ms": POLL_MS, "root": f"{page}-root",
                                          "target": version_id(page), "version": version,
                                          "fresh": fresh_id(page), "rows": f"{page}-alerts-rows"}),
    ]


def register_poller(app: Dash, page: str) -> None:
    """Start the page's poller once its stores are on the page (assets/alerts.js)."""
    app.clientside_callback(
        ClientsideFunction("basira.alerts", "start"),
        Output(poll_id(page), "data"),
        Input(poll_id(page), "id"),
        State(poll_id(page), "data"),
    )
