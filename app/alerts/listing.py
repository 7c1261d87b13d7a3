"""Which alerts a scope sees, in the order every list shows them — shared by the API and the pages.

An alert of a region (and agency) belongs to the scopes that cover it; one of the nation (a silent
stream) to every scope. Nobody sees, or can act on, an alert outside their scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import Alert, ordered

if TYPE_CHECKING:
    from app.contract import Scope
    from app.store import Store


def visible(alert: Alert, scope: Scope) -> bool:
    """Whether ``scope`` may see ``alert`` (a nation's alert: every scope)."""
    if not alert.region:
        return True
    return scope.covers(alert.region, alert.agency or None)


def alerts_for(store: Store, scope: Scope, state: str = "open", limit: int = 500) -> list[Alert]:
    """The alerts ``scope`` may see — the open ones, or the newest ``limit`` of all — in
    :func:`~.model.ordered` order (open first, escalated, most severe, newest)."""
    ids = store.alerts.open_ids() if state == "open" else store.alerts.recent_ids(limit)
    alerts = [Alert.from_record(r) for r in store.alerts.records(ids)]
    return ordered([a for a in alerts if visible(a, scope)])[:limit]


def alert_in_scope(store: Store, alert_id: str, scope: Scope) -> Alert | None:
    """One alert, when it exists and ``scope`` may see it."""
    record = store.alerts.record(alert_id)
    if record is None:
        return None
    alert = Alert.from_record(record)
    return alert if visible(alert, scope) else None
