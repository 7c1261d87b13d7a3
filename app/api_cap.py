"""The alerts in CAP 1.2, for systems that speak the standard rather than Basira's JSON.

Routes:

* ``GET /api/v1/alerts/AL-<n>.cap`` — the alert's current CAP message (:mod:`app.alerts.cap`), as
  ``application/common-alerting-protocol+xml``;
* ``GET /api/v1/alerts.atom?region=&agency=`` — an Atom feed of the open alerts in the caller's scope,
  most pressing first, each entry linking its CAP document (a CAP feed's usual index).

Scope is the JSON API's (:mod:`app.alerts.listing`): an alert unknown or outside the caller's scope is
the same 404, so an id beyond the scope reveals nothing; ``region``/``agency`` of the feed as in
``GET /api/v1/alerts`` (400 unknown, 403 outside the scope). ``status`` is ``Exercise`` while the store
holds synthetic data (:meth:`app.store.meta.Meta.is_demo`). Data is the viewer's: ``no-store``.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, request, url_for

from .alerts.cap import ATOM_MEDIA_TYPE, CAP_MEDIA_TYPE, atom_feed, cap_document
from .alerts.listing import alert_in_scope, alerts_for
from .alerts.model import Alert
from .api import _json
from .auth import scope_for
from .contract import ContractError
from .services import services

cap_api = Blueprint("cap_api", __name__)
#: The most entries the feed lists (the most pressing first, as every list orders them).
FEED_MAX = 500


def _xml(body: bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.charset = "utf-8"
    response.headers["Cache-Control"] = "no-store"
    return response


def _cap_url(alert: Alert) -> str:
    number = alert.id.removeprefix("AL-")
    return url_for("cap_api.cap_of", n=int(number), _external=True) if number.isdigit() else ""


@cap_api.get("/api/v1/alerts/AL-<int:n>.cap")
def cap_of(n: int) -> Response:
    """One alert's current CAP message; 404 when unknown or outside the caller's scope."""
    current = services()
    alert = alert_in_scope(current.store, f"AL-{n}", scope_for())
    if alert is None:
        return _json({"error": f"no alert AL-{n} in your scope"}, 404)
    body = cap_document(alert, sender=current.settings.cap_sender, demo=current.store.meta.is_demo())
    return _xml(body, CAP_MEDIA_TYPE)


@cap_api.get("/api/v1/alerts.atom")
def open_alerts_feed() -> Response:
    """The open alerts in the caller's scope (``region``/``agency`` narrow it) as an Atom index."""
    try:
        scope = scope_for(request.args.get("region"), request.args.get("agency"), strict=True)
    except ContractError as error:
        return _json({"error": error.reason}, 400)
    current = services()
    alerts = [a for a in alerts_for(current.store, scope, "open", FEED_MAX) if _cap_url(a)]
    body = atom_feed(alerts, sender=current.settings.cap_sender, demo=current.store.meta.is_demo(),
                     feed_url=request.url, cap_url=_cap_url, now_ms=int(time.time() * 1000))
    return _xml(body, ATOM_MEDIA_TYPE)
