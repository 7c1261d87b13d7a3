"""The audit trail: who signed in (or failed to), who signed out, who looked at which scope, who was refused.

Each event is one entry of the Redis stream ``<prefix>:audit`` (trimmed to about
``BASIRA_AUDIT_MAX_ENTRIES``) and one line of the ``basira.audit`` log, so nothing is lost while Redis
is away. Fields (all strings): ``ts`` (epoch ms), ``event``, ``user``, ``role``, ``via``, ``ip``, and
per event ``page``, ``scope``, ``from``, ``reason``, ``path``. Events:

* ``login``, ``login_failed``, ``login_blocked`` (rate limit), ``logout``;
* ``scope`` — a viewer changed what they look at (the pages call :func:`scope_changed`);
* ``denied`` — a request for something outside the principal's scope or role;
* ``ingress`` — a producer's document taken (:mod:`app.ingress.receive`: an EIDO, a CAP alert).

Read it with ``GET /api/v1/audit`` (admin) or ``redis-cli XREVRANGE <prefix>:audit + - COUNT 20``.
Writing never raises: an audit failure is logged, and the request goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Flask, Request, current_app, g, has_request_context, request

from ..store import StoreUnavailable

if TYPE_CHECKING:
    from ..contract import Scope
    from ..store.audit import AuditLog
    from .principals import Principal

log = logging.getLogger("basira.audit")
FIELD_MAX = 200
#: Where :meth:`AuditTrail.init_app` keeps the app's trail (``app.extensions``).
EXTENSION = "basira_audit"


class AuditTrail:
    """Records events: in the log, and through the store's audit part (``store.audit``) in its stream.

    ``client_ip`` tells a request's client address (access control's, which knows the trusted proxies):
    the trail is handed it, so it needs nothing else of access control.
    """

    def __init__(self, stream: AuditLog, client_ip: Callable[[Request], str]) -> None:
        self.stream = stream
        self.client_ip = client_ip

    def init_app(self, app: Flask) -> None:
        """Make this the trail :func:`event` records to in ``app``'s requests."""
        app.extensions[EXTENSION] = self

    def record(self, event: str, principal: Principal | None, ip: str, **fields: Any) -> None:
        entry = {
            "ts": str(int(time.time() * 1000)),
            "event": event,
            "user": principal.name if principal else "-",
            "role": principal.role.value if principal else "-",
            "via": principal.via if principal else "-",
            "ip": ip,
        }
        entry.update({k: str(v)[:FIELD_MAX] for k, v in fields.items() if v is not None})
        log.info("%s", " ".join(f"{k}={v!r}" for k, v in entry.items() if k != "ts"))
        try:
            self.stream.append(entry)
        except StoreUnavailable as error:
            log.warning("audit event not stored (%s); it is in this log only", error)

    def recent(self, count: int = 100) -> list[dict[str, str]]:
        """The newest ``count`` events, newest first (each with its stream ``id``)."""
        return self.stream.recent(count)


def event(name: str, **fields: Any) -> None:
    """Record ``name`` for the current request's principal and address (outside a request: nothing)."""
    if not has_request_context():
        return
    trail: AuditTrail = current_app.extensions[EXTENSION]
    trail.record(name, getattr(g, "principal", None), trail.client_ip(request), **fields)


def scope_changed(page: str, scope: Scope, previous: Scope | None = None) -> None:
    """A viewer changed what they look at on ``page`` (call it where the page's view changes, with the
    scope :func:`app.auth.scope_for` returned)."""
    event("scope", page=page, scope=scope.token, **{"from": previous.token if previous else None})
