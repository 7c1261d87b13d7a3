"""The gate every request passes: who is asking (on ``flask.g.principal``), and may they reach this?

:func:`install` puts :func:`guard` first among the app's ``before_request`` hooks — before Dash's own,
which build the pages' validation layouts on the first request — and the security headers after every
response. The rules, by path:

* static files (``/assets/``, Dash's bundles, ``/geo/``, the basemap's ``/basemap.pmtiles``, the web
  app's ``/manifest.webmanifest``), ``/healthz``, ``/readyz``, ``/login``, ``/logout`` and Dash's shell
  (``/_dash-layout``, ``/_dash-dependencies``): open, no data in them;
* ``/metrics``: a national principal, unless ``BASIRA_METRICS_OPEN``;
* ``/api/…`` and ``/ogc`` (OGC API – Features, :mod:`app.api_ogc`): any principal (401 without); each view
  narrows to the principal's scope (403 beyond);
* ``/_dash-update-component``: the request must be exactly a registered callback — its inputs, state
  and outputs the declared ones, in order (:mod:`.callbacks`; else 400) — and the pages of its
  *outputs* (read from the ``output`` field Dash dispatches on; a page's ids are ``<page>-…``, or
  patterns with ``"page": <page>`` or a ``"type"`` of ``<page>-…``) must be open to the principal; the
  kiosk's callbacks (:data:`PUBLIC_PAGES`) are open to anyone — it shows a demo store or nothing;
  the pages router (``_pages_content``) is judged by the path it is asked to draw. This part runs as
  the *last* ``before_request`` hook (:func:`callback_gate`), after Dash's own have registered the
  router's callback on the first request;
* any other path is a page: the kiosk is open; others send a visitor without a session to ``/login``
  and a ``wall`` account to ``/wall``;
* a ``producer`` token only writes: it reaches the ingress routes and nothing else
  (:func:`producer_gate`, the hook right after :func:`guard`; 403 elsewhere).

Bodies are limited before anything reads them: ``BASIRA_ANONYMOUS_BODY_BYTES`` until the caller is
identified, ``BASIRA_MAX_BODY_BYTES`` after (413, from ``Content-Length`` and while the body streams in).
A session that cannot be checked because Redis is away is refused with 503, never served.

With ``BASIRA_AUTH_MODE=off`` every request is :data:`~.principals.OPEN` (everything, as before).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from dash._utils import split_callback_id
from flask import Flask, Response, current_app, g, redirect, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..store.sessions import AuthStore
from . import audit
from .audit import AuditTrail
from .callbacks import BadCallback, check
from .headers import ContentSecurityPolicy, secure_headers
from .identify import BadCredentials, Identifier, SessionsUnavailable
from .principals import OPEN, PRODUCER_PATHS, Principal, Role
from .ratelimit import LoginLimiter

if TYPE_CHECKING:
    import dash

    from ..geo import Region
    from ..settings import Settings

log = logging.getLogger("basira.auth")

EXTENSION = "basira_auth"
#: Pages anyone may open, signed in or not: the kiosk, which only ever shows a demo store.
PUBLIC_PAGES = frozenset({"kiosk"})
OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/", "/auth/static/", "/geo/", "/basemap.pmtiles")
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/_favicon.ico", "/favicon.ico", "/_dash-layout",
                        "/_dash-dependencies", "/_reload-hash",
                        # browsers fetch it without cookies (app.web: static, no data)
                        "/manifest.webmanifest"})
SIGN_IN_PATHS = frozenset({"/login", "/logout"})
CALLBACK_PATH = "/_dash-update-component"
#: OGC API – Features: an API for GIS clients, gated as ``/api/`` is (its landing page is ``/ogc`` itself).
OGC_PATH = "/ogc"
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
    sessions: AuthStore
    #: A page saying one thing (``auth.<note>``) with a status — :func:`.web.notice_page`, handed in so
    #: the gate needs nothing of the sign-in views: ``header`` mode's portal page, the 503 notice.
    notice: Callable[[AccessControl, int, str], Response]
    #: The time TOTP codes are checked against (epoch s); a test may set its own clock.
    clock: Callable[[], float] = field(default=time.time)

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
    """The gate first among the ``before_request`` hooks, the callback check last (after Dash's)."""
    server.extensions[EXTENSION] = control
    hooks = server.before_request_funcs.setdefault(None, [])
    hooks.insert(0, guard)
    hooks.insert(1, producer_gate)
    hooks.append(callback_gate)
    server.after_request(add_headers)


# --- answers ------------------------------------------------------------------------------------------


def _json(payload: dict[str, Any], status: int) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def is_api(path: str) -> bool:
    """A machine's path: ``/api/…`` or OGC API – Features (``/ogc``, ``/ogc/…``) — answered in JSON, 401
    without credentials, never sent to the sign-in page."""
    return path.startswith("/api/") or path == OGC_PATH or path.startswith(OGC_PATH + "/")


def login_url(next_path: str | None = None) -> str:
    """``/login``, with the page to come back to."""
    return f"/login?next={quote(next_path, safe='/')}" if next_path else "/login"


def unauthorized(control: AccessControl, reason: str = "sign in first") -> Response:
    """401 for a request without (valid) credentials: JSON for machines, the sign-in page for people."""
    path = request.path
    if is_api(path) or path in (CALLBACK_PATH, "/metrics"):
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
    return control.notice(control, 401, "portal")  # what .web.portal_page answers


def forbidden(reason: str, **fields: Any) -> Response:
    audit.event("denied", reason=reason, path=request.path, **fields)
    return _json({"error": reason}, 403)


def too_large(limit: int) -> Response:
    return _json({"error": f"the request body is larger than {limit} bytes"}, 413)


def body_within(limit: int) -> bool:
    """Is the request's body at most ``limit`` bytes? Decided from ``Content-Length`` without reading
    it; a body streamed without one (chunked) is read here, at most ``limit + 1`` bytes, and kept for
    the view. Whatever reads the body later can read no more than ``limit`` (413 beyond)."""
    length = request.content_length
    if length is None and "wsgi.input_terminated" in request.environ:
        request.max_content_length = limit + 1
        try:
            if len(request.get_data(cache=True)) > limit:
                return False
        except RequestEntityTooLarge:
            return False
    request.max_content_length = limit
    return (length or 0) <= limit


def unavailable(control: AccessControl, error: SessionsUnavailable) -> Response:
    """503 while sessions cannot be checked: JSON for machines, a notice for people."""
    path = request.path
    if is_api(path) or path in (CALLBACK_PATH, "/metrics"):
        response = _json({"error": error.description}, 503)
    else:
        response = control.notice(control, 503, "unavailable")
    response.headers["Retry-After"] = "10"
    return response


# --- the gate -----------------------------------------------------------------------------------------


def guard() -> Response | None:
    """``before_request``: set ``g.principal``; answer 401/403 (or a redirect) when it may not pass."""
    control = state(current_app)
    path = request.path
    g.principal = None
    if control.mode == "off":
        g.principal = OPEN
        return None
    limits = control.settings
    request.max_content_length = limits.anonymous_body_bytes  # until we know who is asking
    if path.startswith(OPEN_PREFIXES) or path in OPEN_PATHS:
        return None if body_within(limits.anonymous_body_bytes) else too_large(limits.anonymous_body_bytes)
    try:
        g.principal = control.identifier.principal(request)
    except SessionsUnavailable as error:
        if path == "/login":
            return None
        log.warning("sessions cannot be checked: %s", error.description)
        return unavailable(control, error)
    except BadCredentials as error:
        if path in SIGN_IN_PATHS:
            return None
        audit.event("denied", reason=error.description, path=path)
        return unauthorized(control, error.description or "invalid credentials")
    principal: Principal | None = g.principal
    limit = limits.anonymous_body_bytes if principal is None else limits.max_body_bytes
    if not body_within(limit):
        return too_large(limit)
    if path in SIGN_IN_PATHS:
        return None
    if path == "/metrics":
        if control.settings.metrics_open:
            return None
        if principal is None:
            return unauthorized(control)
        return None if principal.national else forbidden("metrics need a national account or token")
    if is_api(path):
        return None if principal is not None else unauthorized(control)
    if path == CALLBACK_PATH:
        return None  # judged by callback_gate, once Dash has registered every callback
    return _page(control, principal, path)


def producer_gate() -> Response | None:
    """``before_request``, right after :func:`guard`: a ``producer`` token (a CAD, an alerting authority)
    only writes — it reaches the ingress routes (:data:`~.principals.PRODUCER_PATHS`) and the open paths,
    and is refused (403, audited) any page, callback, ``/metrics`` or other API."""
    principal: Principal | None = getattr(g, "principal", None)
    if principal is None or principal.role is not Role.producer:
        return None
    path = request.path
    if path.startswith(OPEN_PREFIXES) or path in OPEN_PATHS or principal.may_call(path):
        return None
    return forbidden(f"a producer token may only write through the ingress routes "
                     f"({', '.join(sorted(PRODUCER_PATHS))}), not reach {path[:80]}")


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


def callback_pages(body: Any, known: set[str]) -> tuple[set[str | None], tuple[str, ...]]:
    """The page of each output of a Dash callback request (``None``: no page's), and — for the pages
    router — every path it names (after :func:`.callbacks.check`, exactly one: the one Dash draws).
    Reads the ``output`` field, the one Dash dispatches on."""
    output = body.get("output") if isinstance(body, dict) else None
    if not isinstance(output, str):
        return {None}, ()
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
    routes: list[str] = []
    if routing:
        inputs = body.get("inputs")
        for item in inputs if isinstance(inputs, list) else []:
            if not isinstance(item, dict) or item.get("property") != "pathname":
                continue
            if item.get("id") == ROUTER_LOCATION:
                routes.append(item.get("value") if isinstance(item.get("value"), str) else "/")
        routes = routes or ["/"]
    return pages, tuple(routes)


def callback_gate() -> Response | None:
    """``before_request``, last: a ``/_dash-update-component`` request must be exactly a registered
    callback (400 otherwise), and its pages open to the principal (401/403 otherwise)."""
    if request.path != CALLBACK_PATH:
        return None
    control = state(current_app)
    body = request.get_json(silent=True, cache=True)
    try:
        check(body, control.dash_app.callback_map)
    except BadCallback as error:
        return _json({"error": error.description}, 400)
    if control.mode == "off":
        return None
    principal: Principal | None = g.principal
    pages, routes = callback_pages(body, set(control.pages.values()))
    pages.update(control.page_of(route) for route in routes)
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
    private = control.mode != "off" and (is_api(path) or path in (CALLBACK_PATH, "/metrics"))
    hsts = control.settings.cookie_secure and control.identifier.secure(request)
    return secure_headers(response, request, csp=control.csp, hsts=hsts, private=private)
