"""A person acts on an alert — acknowledge, assign, resolve — by one set of rules, for the API and the pages.

``POST /api/v1/alerts/<id>/<action>`` (:mod:`app.api_alerts`) and the buttons of the command view
(:mod:`app.pages.command.alerts`) both call :func:`act`, so a page can never allow what the API refuses
or record less than it does: a display account (role ``wall``) may not act; nobody acts on an alert
outside their scope (:func:`.listing.alert_in_scope` — such an alert is "unknown" to them, as the API's
404 says); assigning needs a name; the note and the name are trimmed to a length; the store records the
action atomically (:meth:`app.store.alerts.Alerts.act`) and every attempt, refused or not, goes to the
audit trail through the ``audit`` callable the web side hands in (``app.auth.audit.event``: this module
sits below access control in the layers, and knows nothing of Flask or requests).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .listing import alert_in_scope
from .model import Alert

if TYPE_CHECKING:
    from app.contract import Scope
    from app.store import Store

#: What a person can do to an alert (the store's ``ACTIONS``, in the order the pages show them).
ACTIONS: tuple[str, ...] = ("acknowledge", "assign", "resolve")
#: Longest note kept, in characters.
NOTE_MAX = 500
#: Longest name (of who acts, or of whom an alert is assigned to), in characters.
NAME_MAX = 64
#: The role that may look but never act: a wall's display account.
DISPLAY_ROLE = "wall"

#: An outcome → the API's status. ``ok``: done; ``already``: acknowledged before (an acknowledge only);
#: ``resolved``: nothing more to do; ``unknown``: no such alert in the caller's scope; ``refused``: a
#: display account; ``invalid``: an unknown action, or an assignment without a name.
STATUS: Mapping[str, int] = {"ok": 200, "already": 409, "resolved": 409, "unknown": 404, "refused": 403,
                             "invalid": 400}


class Actor(Protocol):
    """Who acts — what :class:`app.auth.Principal` carries (named here, not imported: access control is
    above this module in the layers)."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> Any: ...

    @property
    def via(self) -> str: ...


@dataclass(frozen=True)
class Outcome:
    """What came of an action: ``result`` (a key of :data:`STATUS`), the alert as it is now (``None``
    when the caller may not see it), and, when refused, why — in English, for the API's ``error``."""

    result: str
    alert: Alert | None = None
    reason: str = ""

    @property
    def done(self) -> bool:
        return self.result == "ok"

    @property
    def status(self) -> int:
        return STATUS[self.result]


def clean(value: Any, limit: int = NOTE_MAX) -> str:
    """Text from a person (a note, a name): stripped, at most ``limit`` characters."""
    return str(value or "").strip()[:limit]


def may_act(actor: Actor | None) -> bool:
    """Whether ``actor`` may act on alerts at all: someone known, and not a display account."""
    return actor is not None and str(getattr(actor.role, "value", actor.role)) != DISPLAY_ROLE


def who(actor: Actor | None, named: Any = "") -> str:
    """The name recorded for an action: the signed-in person's; with access control off (``via``
    ``open``) the name the caller gave, marked unverified, else ``anonymous``; ``-`` for nobody."""
    if actor is None:
        return "-"
    if actor.via == "open":
        given = clean(named, NAME_MAX)
        return f"{given} (unverified)" if given else "anonymous"
    return actor.name


def act(store: Store, scope: Scope, actor: Actor | None, alert_id: str, action: str, now_ms: int, *,
        note: Any = "", to: Any = "", named: Any = "", audit: Callable[..., None] | None = None) -> Outcome:
    """``actor`` does ``action`` to ``alert_id`` within ``scope`` (the actor's own, from
    ``app.auth.scope_for``); every attempt on an alert they may see is handed to ``audit`` (``event``
    "alert": action, alert, rule, outcome, note)."""
    if action not in ACTIONS:
        return Outcome("invalid", reason=f"unknown action {action[:20]!r}: one of {', '.join(ACTIONS)}")
    if not may_act(actor):
        return Outcome("refused", reason="a display account cannot act on alerts")
    alert = alert_in_scope(store, alert_id, scope)
    if alert is None:
        return Outcome("unknown", reason=f"no alert {alert_id[:20]} in your scope")
    note, to = clean(note), clean(to, NAME_MAX)
    if action == "assign" and not to:
        return Outcome("invalid", alert, "assign needs 'to': who takes it")
    result = store.alerts.act(alert.id, action, who(actor, named), now_ms, note, to)
    if audit is not None:
        audit("alert", action=action, alert=alert.id, rule=alert.rule, outcome=result, note=note or None,
              to=to or None)
    if result == "unknown":  # gone between the read and the act (forgotten)
        return Outcome("unknown", reason=f"no alert {alert.id}")
    record = store.alerts.record(alert.id)
    now = Alert.from_record(record) if record else alert
    if result == "already":
        return Outcome("already", now, f"{alert.id} is already acknowledged")
    if result == "resolved":
        return Outcome("resolved", now, f"{alert.id} is already resolved")
    return Outcome("ok", now)
