"""The alerts API: lists, one alert, acting on it, silencing a rule.

Routes:

* ``GET /api/v1/alerts?state=open|all&region=&agency=&limit=`` — a JSON list, newest and most severe
  first (:func:`app.alerts.model.ordered`), each alert with ``id``, ``rule``, ``kind``, ``severity``,
  ``region``, ``raised_at``, ``resolved_at``, ``acknowledged_by`` and the ids it concerns;
* ``GET /api/v1/alerts/version`` — a number that moves with every change (pages poll it);
* ``GET /api/v1/alerts/AL-<n>`` — one alert, with ``headline`` and ``text`` in both languages;
* ``POST /api/v1/alerts/AL-<n>/acknowledge|assign|resolve`` — a person acts (JSON or form body:
  ``note``, and ``to`` for assign); recorded on the alert, on ``<p>:alerts`` and in the audit trail;
* ``GET /api/v1/alerts/rules`` — the rules the worker evaluates, and their silences;
* ``POST /api/v1/alerts/rules/<rule>/silence`` (``minutes``, ``reason``) and ``DELETE`` the same URL.

Scope: nobody sees or acts on an alert outside their scope — an alert of a region (and agency) is the
scope's that covers it; one of the nation (a silent stream) is everyone's. Acting needs a person's role
(not ``wall``); silencing a rule, which may span regions, a national one (leadership, admin). With access
control off anyone may, and a ``by`` in the body names them (marked as unverified).
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from flask import Blueprint, Response, request

from .alerts import actions
from .alerts.listing import alert_in_scope, alerts_for, visible
from .alerts.model import Alert
from .alerts.text import headline, sentence
from .api import _json
from .auth import audit as audit_trail
from .auth import current_principal, scope_for
from .auth.principals import Role
from .contract import ContractError, Scope
from .i18n import LANGUAGES, t
from .pages._kit.alerts import colour
from .services import services
from .store import StoreUnavailable
from .store.alerts import ACTIONS

alerts_api = Blueprint("alerts_api", __name__)
#: Longest note or reason kept, in characters.
NOTE_MAX = 500
#: The most ``state=all`` lists.
LIST_MAX = 2000


def described(alert: Alert) -> dict[str, Any]:
    """The API's shape plus the alert in words, in each language."""
    out = alert.json()
    out["headline"] = {lang: headline(alert, lang) for lang in LANGUAGES}
    out["text"] = {lang: sentence(alert, lang) for lang in LANGUAGES}
    return out


def _body() -> dict[str, Any]:
    if request.is_json:
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else {}
    return dict(request.form)


def _text(value: Any) -> str:
    return str(value or "").strip()[:NOTE_MAX]


def _scope_or_error() -> Scope | Response:
    try:
        return scope_for(request.args.get("region"), request.args.get("agency"), strict=True)
    except ContractError as error:
        return _json({"error": error.reason}, 400)


def _actor(body: dict[str, Any]) -> str:
    return actions.who(current_principal(), body.get("by"))


@alerts_api.get("/api/v1/alerts")
def list_alerts() -> Response:
    state = request.args.get("state", "open")
    if state not in ("open", "all"):
        return _json({"error": f"state must be open or all (got {state[:20]!r})"}, 400)
    raw = request.args.get("limit", "500").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= LIST_MAX:
        return _json({"error": f"limit must be a whole number from 1 to {LIST_MAX}"}, 400)
    scope = _scope_or_error()
    if isinstance(scope, Response):
        return scope
    return _json([a.json() for a in alerts_for(services().store, scope, state, int(raw))])


def _alert_in_scope(n: int) -> Alert | Response:
    alert = alert_in_scope(services().store, f"AL-{n}", scope_for())
    if alert is None:
        return _json({"error": f"no alert AL-{n} in your scope"}, 404)
    return alert


@alerts_api.get("/api/v1/alerts/version")
def version() -> Response:
    """A number that changes with every change of any alert: pages poll it (one ``GET`` of Redis) and
    redraw their lists only when it moves. With the store unreachable: ``{"version": null, "down":
    true}``, a 200 as the live feed's (``app/feed.py``) — a page asks again in a moment, and its own
    refresh says the store is down; a 503 four times a second would fill the browser's console."""
    try:
        store = services().store
        current = store.alerts.version()
        answer: dict[str, Any] = {"version": current}
        known = request.args.get("known", "")
        if known.lstrip("-").isdigit() and int(known) != current:
            answer["fresh"] = _fresh(store)
        return _json(answer)
    except StoreUnavailable:
        return _json({"version": None, "down": True})


#: Alerts raised this recently come with a version answer that moved (``fresh``), at most this many.
FRESH_MS, FRESH_MAX = 60_000, 3


def _fresh(store: Any) -> list[dict[str, Any]]:
    """The newest open alerts of the asking page's scope (``?region=&agency=``, clamped to the caller's)
    raised in the last minute, in both languages: the page shows them at once, before its own redraw
    (one round trip of Dash's less, a few hundred ms at the wall and on the command view)."""
    scope = scope_for(request.args.get("region"), request.args.get("agency"))
    now = int(time.time() * 1000)
    newest = [Alert.from_record(r) for r in store.alerts.records(store.alerts.open_ids()[:20])]
    out = []
    for alert in newest:
        if now - alert.raised_at > FRESH_MS or not visible(alert, scope):
            continue
        word = f"alert.severity.{alert.severity}"
        out.append({"id": alert.id, "severity": alert.severity, "raised_at": alert.raised_at,
                    "colour": colour(alert.severity),
                    "severity_word": {lang: t(word, lang) for lang in LANGUAGES},
                    "headline": {lang: headline(alert, lang) for lang in LANGUAGES},
                    "text": {lang: sentence(alert, lang) for lang in LANGUAGES}})
        if len(out) == FRESH_MAX:
            break
    return out


@alerts_api.get("/api/v1/alerts/AL-<int:n>")
def one_alert(n: int) -> Response:
    alert = _alert_in_scope(n)
    return alert if isinstance(alert, Response) else _json(described(alert))


@alerts_api.post("/api/v1/alerts/AL-<int:n>/<action>")
def act(n: int, action: str) -> Response:
    """A person acts, by the rules every page follows too (:func:`app.alerts.actions.act`)."""
    body = _body()
    outcome = actions.act(services().store, scope_for(), current_principal(), f"AL-{n}", action,
                          int(time.time() * 1000), note=body.get("note"), to=body.get("to"),
                          named=body.get("by"), audit=audit_trail.event)
    if outcome.alert is None or outcome.result in ("refused", "invalid"):
        return _json({"error": outcome.reason}, 404 if action not in ACTIONS else outcome.status)
    now = described(outcome.alert)
    if not outcome.done:
        return _json({"error": outcome.reason, "alert": now}, outcome.status)
    return _json(now)


@alerts_api.get("/api/v1/alerts/rules")
def rules() -> Response:
    store = services().store
    worker = store.alerts.worker()
    try:
        listed = orjson.loads(worker.get("rules") or "[]")
    except orjson.JSONDecodeError:
        listed = []
    return _json({"rules": listed, "silences": store.alerts.silences(),
                  "worker": {k: v for k, v in worker.items() if k != "rules"}})


def _national() -> Response | None:
    principal = current_principal()
    if principal is None or principal.role not in (Role.leadership, Role.admin):
        return _json({"error": "silencing a rule needs a national role (leadership or admin)"}, 403)
    return None


@alerts_api.post("/api/v1/alerts/rules/<rule>/silence")
def silence(rule: str) -> Response:
    refused = _national()
    if refused:
        return refused
    body = _body()
    raw, reason = str(body.get("minutes", "")).strip(), _text(body.get("reason"))
    if not raw.isdigit() or not 1 <= int(raw) <= 7 * 24 * 60:
        return _json({"error": "minutes must be a whole number from 1 to 10080 (a week)"}, 400)
    if not reason:
        return _json({"error": "a silence needs a reason"}, 400)
    now = int(time.time() * 1000)
    until = now + int(raw) * 60_000
    services().store.alerts.silence(rule[:64], until, reason, _actor(body), now)
    audit_trail.event("alert", action="silence", rule=rule[:64], until=until, note=reason)
    return _json({"rule": rule[:64], "until": until, "reason": reason})


@alerts_api.delete("/api/v1/alerts/rules/<rule>/silence")
def unsilence(rule: str) -> Response:
    refused = _national()
    if refused:
        return refused
    ended = services().store.alerts.unsilence(rule[:64], _actor({}), int(time.time() * 1000))
    audit_trail.event("alert", action="unsilence", rule=rule[:64])
    return _json({"rule": rule[:64], "ended": ended}, 200 if ended else 404)
