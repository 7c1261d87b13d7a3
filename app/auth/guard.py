"""The gate every request passes: who is asking (on ``flask.g.principal``), and may they reach this?

:func:`install` puts :func:`guard` first among the app's ``before_request`` hooks — before Dash's own,
which build the pages' validation layouts on the first request — and the security headers after every
response. The rules, by path:

* static files (``/assets/``, Dash's bundles, ``/geo/``), ``/healthz``, ``/readyz``, ``/login``,
  ``/logout`` and Dash's shell (``/_dash-layout``, ``/_dash-dependencies``): open, no data in them;
* ``/metrics``: a national principal, unless ``BASIRA_METRICS_OPEN``;
* ``/api/…``: any principal (401 without); each view narrows to the principal's scope (403 beyond);
* ``/_dash-update-component``: the pages of the callback's *outputs* (read from the ``output`` field
  Dash dispatches on, never from the client's other fields; a page's ids are ``<page>-…``, or patterns
  with ``"page": <page>`` or a ``"type"`` of ``<page>-…``) must be open to the principal; the
  kiosk's callbacks (:data:`PUBLIC_PAGES`) are open to anyone — it shows a demo store or nothing;
  the pages router (``_pages_content``) is judged by the path it is asked to draw;
* any other path is a page: the kiosk is open; others send a visitor without a session to ``/login``
  and a ``wall`` account to ``/wall``.

With ``BASIRA_AUTH_MODE=off`` every request is :data:`~.principals.OPEN` (everything, as before).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from dash._utils import split_callback_id
from flask import Flask, Response, current_app, g, redirect, request

from . import audit
from .audit import AuditTrail
from .headers import ContentSecurityPolicy, secure_headers
from .identify import BadCredentials, Identifier
from .principals import OPEN, Principal
from .ratelimit import LoginLimiter

if TYPE_CHECKING:
    import dash

    from ..geo import Region
    from ..settings import Settings

log = logging.getLogger("basira.auth")

EXTENSION = "basira_auth"
#: Pages anyone may open, signed in or not: the kiosk, which only ever shows a demo store.
PUBLIC_PAGES = frozenset({"kiosk"})
OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/", "/auth/static/", "/geo/")
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/_favicon.ico", "/favicon.ico", "/_dash-layout",
                        "/_dash-dependencies", "/_reload-hash"})
SIGN_IN_PATHS = frozenset({"/login", "/logout"})
CALLBACK_PATH = "/_dash-update-component"
ROUTER_OUTPUTS = frozenset({"_pages_content", "_pages_store"})
ROUTER_LOCATION = "_pages_location"


@dataclass
class AccessControl:
    """The app's access control: its settings, how it identifies, what it records and limits."""

    settings: Settings
    identifier: Identifier
    audit: AuditTrail
    limiter: LoginLimiter
    csp: ContentSecurityPolicy | None
    dash_app: dash.Dash
    pages: dict[str, str]  # path → page name
    regions: dict[str, Region]

    @property
    def mode(self) -> str:
        return self.settings.auth_mode

    def client_ip(self) -> str:
        return self.identifier.client_ip(request)

    def page_of(self, path: str | None) -> str | None:
        if not isinstance(path, str):
            return None
        return self.pages.get(path.rstrip("/") or "/")


def state(app: Flask) -> AccessControl:
    """The access control installed on ``app``."""
    return app.extensions[EXTENSION]


def install(server: Flask, control: AccessControl) -> None:
    server.extensions[EXTENSION] = control
    server.before_request_funcs.setdefault(None, []).insert(0, guard)
    server.after_request(add_headers)


# --- answers ------------------------------------------------------------------------------------------


def _json(payload: dict[str, Any], status: int) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def login_url(next_path: str | None = None) -> str:
    """``/login``, with the page to come back to."""
    return f"/login?next={quote(next_path, safe='/')}" if next_path else "/login"


def unauthorized(control: AccessControl, reason: str = "sign in first") -> Response:
    """401 for a request without (valid) credentials: JSON for machines, the sign-in page for people."""
    path = request.path
    if path.startswith("/api/") or path in (CALLBACK_PATH, "/metrics"):
        body: dict[str, Any] = {"error": reason}
        if control.mode == "password" and path == CALLBACK_PATH:
            body["login"] = login_url()
        elif control.mode == "header" and path == CALLBACK_PATH:
            body["reload"] = True
        response = _json(body, 401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="basira"'
        return response
    if control.mode == "password":
        return redirect(login_url(request.full_path.rstrip("?")))
    from .web import portal_page

    return portal_page(control, 401)


def forbidden(reason: str, **fields: Any) -> Response:
    audit.event("denied", reason=reason, path=request.path, **fields)
    return _json({"error": reason}, 403)


# --- the gate -----------------------------------------------------------------------------------------


def guard() -> Response | None:
    """``before_request``: set ``g.principal``; answer 401/403 (or a redirect) when it may not pass."""
    control = state(current_app)
    path = request.path
    g.principal = None
    if control.mode == "off":
        g.principal = OPEN
        return None
    if path.startswith(OPEN_PREFIXES) or path in OPEN_PATHS:
        return None
    try:
        g.principal = control.identifier.principal(request)
    except BadCredentials as error:
        if path in SIGN_IN_PATHS:
            return None
        audit.event("denied", reason=error.description, path=path)
        return unauthorized(control, error.description or "invalid credentials")
    principal: Principal | None = g.principal
    if path in SIGN_IN_PATHS:
        return None
    if path == "/metrics":
        if control.settings.metrics_open:
            return None
        if principal is None:
            return unauthorized(control)
        return None if principal.national else forbidden("metrics need a national account or token")
    if path.startswith("/api/"):
        return None if principal is not None else unauthorized(control)
    if path == CALLBACK_PATH:
        return _callback(control, principal)
    return _page(control, principal, path)


def _page(control: AccessControl, principal: Principal | None, path: str) -> Response | None:
    page = control.page_of(path)
    if page in PUBLIC_PAGES:
        return None
    if principal is None:
        return unauthorized(control)
    if page is not None and not principal.may_open(page):
        audit.event("denied", reason=f"{principal.role} may not open {page}", path=path)
        return redirect(principal.home)
    return None


def callback_pages(body: Any, known: set[str]) -> tuple[set[str | None], str | None]:
    """The page of each output of a Dash callback request (``None``: no page's), and — for the pages
    router — the path it is asked to draw. Reads the ``output`` field, the one Dash dispatches on."""
    output = body.get("output") if isinstance(body, dict) else None
    if not isinstance(output, str):
        return {None}, None
    parts = split_callback_id(output)
    pages: set[str | None] = set()
    routing = False
    for part in parts if isinstance(parts, list) else [parts]:
        id_ = part["id"]
        if id_.startswith("{"):
            try:
                decoded = json.loads(id_)
            except ValueError:
                decoded = {}
            decoded = decoded if isinstance(decoded, dict) else {}
            # a page's pattern ids name it in "page" ({"page": "live", …}) or prefix their "type" with it
            page = decoded.get("page")
            if page not in known:
                page = str(decoded.get("type", "")).split("-", 1)[0]
            pages.add(page if page in known else None)
        elif id_ in ROUTER_OUTPUTS:
            routing = True
        else:
            prefix = id_.split("-", 1)[0]
            pages.add(prefix if prefix in known else None)
    path = None
    if routing:
        for item in body.get("inputs") or []:
            if not isinstance(item, dict) or item.get("property") != "pathname":
                continue
            if item.get("id") == ROUTER_LOCATION:
                path = item.get("value") if isinstance(item.get("value"), str) else "/"
        path = path or "/"
    return pages, path


def _callback(control: AccessControl, principal: Principal | None) -> Response | None:
    known = set(control.pages.values())
    pages, route = callback_pages(request.get_json(silent=True, cache=True), known)
    if route is not None:
        pages.add(control.page_of(route))
    if pages and pages <= PUBLIC_PAGES:
        return None
    if principal is None:
        return unauthorized(control)
    refused = sorted(p for p in pages if p is not None and not principal.may_open(p))
    if refused:
        return forbidden(f"{principal.role} may not use {', '.join(refused)}")
    return None


def add_headers(response: Response) -> Response:
    control = state(current_app)
    path = request.path
    private = control.mode != "off" and (path.startswith("/api/") or path in (CALLBACK_PATH, "/metrics"))
    hsts = control.settings.cookie_secure and control.identifier.secure(request)
    return secure_headers(response, request, csp=control.csp, hsts=hsts, private=private)
