"""Signing in and out, and the two small API views of access control.

* ``GET/POST /login`` — the sign-in page (plain HTML from this server, Arabic right to left or English,
  no Dash, no script), its failures rate-limited per address and per user name (:mod:`.ratelimit`);
  the form carries a token bound to the session, so another site cannot sign a browser in; users with
  a second factor also type their authenticator app's code (:mod:`.totp`), accepted once. In
  ``header`` mode it says to use the organisation's portal; with access control off it leads to the map.
* ``GET /logout`` asks; ``POST /logout`` with the form's token ends the session — on the server (its
  record in Redis is deleted, so a copy of the cookie is worthless) and in the browser. The page bars'
  "sign out" is such a form.
* ``GET /api/v1/whoami`` — the caller's identity and scope (for wall controllers and integrations).
* ``GET /api/v1/audit?count=`` — the newest audit events (``admin`` only).
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Blueprint, Response, current_app, g, redirect, render_template, request, session

from ..i18n import direction, fmt_int, group, lang_or, t
from ..store import StoreUnavailable
from . import audit
from . import totp as otp
from .guard import AccessControl, forbidden, state
from .identify import SESSION_AT, SESSION_ENDS, SESSION_FP, SESSION_ID, SESSION_USER
from .principals import Role
from .scope import scope_for
from .users import NAME, Account, fingerprint

log = logging.getLogger("basira.auth")

blueprint = Blueprint(
    "basira_auth", __name__,
    template_folder="templates", static_folder="static", static_url_path="/auth/static",
)
CSRF = "csrf"
PASSWORD_MAX = 1024
COUNT = re.compile(r"^[0-9]{1,6}$")


def _lang(control: AccessControl) -> str:
    return lang_or(request.values.get("lang"), control.settings.language)


def safe_next(value: Any) -> str | None:
    """A path on this server to return to after signing in; anything else (another site) is dropped."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if value.split("?", 1)[0] in ("/login", "/logout") or any(c in value for c in "\r\n\t"):
        return None
    return value[:512]


def _page(
    control: AccessControl, status: int, *, form: bool, error: str | None = None, note: str | None = None,
    user: str = "", next_path: str | None = None, seconds: int = 0, sign_out: bool = False,
) -> Response:
    """The sign-in page (``form``), the sign-out question (``sign_out``) or a notice, in the request's
    language."""
    lang = _lang(control)
    text = group("auth", lang)
    other = "en" if lang == "ar" else "ar"
    query = {"lang": other, **({"next": next_path} if next_path else {})}
    if form or sign_out:
        session.setdefault(CSRF, secrets.token_urlsafe(24))
    body = render_template(
        "basira_auth/login.html",
        lang=lang, dir=direction(lang), s=text, tagline=t("app.tagline", lang),
        form=form, user=user, next=next_path or "",
        error=text[error].format(seconds=fmt_int(seconds, lang)) if error else None,
        note=text[note] if note else None, csrf=session.get(CSRF, "") if form or sign_out else "",
        sign_out=sign_out,
        other_lang=other, other_href=f"/login?{urlencode(query)}",
        insecure=form and control.settings.cookie_secure and not control.identifier.secure(request)
        and request.host.split(":")[0] not in ("localhost", "127.0.0.1", "[::1]"),
    )
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def portal_page(control: AccessControl, status: int) -> Response:
    """``header`` mode: people sign in at the organisation's portal, not here."""
    return _page(control, status, form=False, note="portal")


def notice_page(control: AccessControl, status: int, note: str) -> Response:
    """A page saying one thing (``auth.<note>``), e.g. that sign-ins cannot be checked just now."""
    return _page(control, status, form=False, note=note)


@blueprint.get("/login")
def login_form() -> Response:
    control = state(current_app)
    if control.mode == "off":
        return redirect("/")
    if control.mode == "header":
        return portal_page(control, 200)
    next_path = safe_next(request.args.get("next"))
    if g.principal is not None:
        return redirect(next_path or g.principal.home)
    note = "signed_out" if request.args.get("out") else None
    return _page(control, 200, form=True, note=note, next_path=next_path)


@blueprint.post("/login")
def login_submit() -> Response:
    control = state(current_app)
    if control.mode != "password":
        return redirect("/login")
    name = request.form.get("user", "").strip()[:64]
    password = request.form.get("password", "")
    next_path = safe_next(request.form.get("next"))
    sent, kept = request.form.get(CSRF, ""), session.get(CSRF, "")
    if not kept or not hmac.compare_digest(str(sent), str(kept)):
        return _page(control, 400, form=True, error="expired", user=name, next_path=next_path)
    ip = control.client_ip()
    wait = control.limiter.take(ip, name)  # counted before the password is checked: parallel guesses too
    if wait:
        audit.event("login_blocked", attempt=name)
        response = _page(control, 429, form=True, error="limited", user=name, next_path=next_path,
                         seconds=wait)
        response.headers["Retry-After"] = str(wait)
        return response
    account = None
    if NAME.match(name) and 0 < len(password) <= PASSWORD_MAX:
        account = control.identifier.directory.verify(name, password)
    try:
        if account is not None and not _second_factor(control, account, request.form.get("code", "")):
            account = None
    except (StoreUnavailable, OSError) as error:
        log.warning("sign-in of %s not possible: %s", name, error)
        return notice_page(control, 503, "unavailable")
    if account is None:
        audit.event("login_failed", attempt=name)
        return _page(control, 401, form=True, error="failed", user=name, next_path=next_path)
    lifetime = control.identifier.lifetime(account.principal)
    session_id, now = secrets.token_urlsafe(32), int(time.time())
    try:
        control.sessions.open_session(session_id, name, int(lifetime))
    except (StoreUnavailable, OSError) as error:
        log.warning("sign-in of %s not possible: %s", name, error)
        return notice_page(control, 503, "unavailable")
    control.limiter.succeeded(ip, name)
    session.clear()  # a fresh session: nothing from before the sign-in carries over
    session.permanent = True
    session.update({SESSION_USER: name, SESSION_FP: fingerprint(account.secret), SESSION_AT: now,
                    SESSION_ID: session_id, SESSION_ENDS: now + int(lifetime),
                    CSRF: secrets.token_urlsafe(24)})
    g.principal = account.principal
    audit.event("login")
    if control.settings.cookie_secure and not control.identifier.secure(request):
        log.warning("sign-in over plain HTTP while BASIRA_COOKIE_SECURE is on: browsers other than on "
                    "localhost will not keep the session cookie")
    return redirect(next_path or account.principal.home)


def _second_factor(control: AccessControl, account: Account, code: str) -> bool:
    """Does ``code`` complete the sign-in of ``account``? True without a second factor — except for an
    admin, who must have one (``python -m app user add NAME --role admin --totp``)."""
    if account.totp is None:
        if account.principal.role is Role.admin:
            log.error("admin %s has no second factor (TOTP) and may not sign in: add it with "
                      "python -m app user add %s --role admin --totp", account.principal.name,
                      account.principal.name)
            return False
        return True
    step = otp.matching_step(account.totp, code[:16], control.clock())
    return step is not None and control.sessions.use_totp_step(account.principal.name, step, otp.keep_s())


@blueprint.route("/logout", methods=["GET", "POST"])
def logout() -> Response:
    """``GET``: a button that signs out (an old link, or another site's, ends nothing); ``POST`` with the
    form's token: the session ends on the server and in the browser."""
    control = state(current_app)
    if control.mode == "off":
        return redirect("/")
    if control.mode == "header":
        return portal_page(control, 200)
    if request.method == "GET":
        if g.principal is None:
            return redirect(f"/login?{urlencode({'lang': _lang(control)})}")
        return _page(control, 200, form=False, sign_out=True)
    cross_site = request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none")
    forged = not hmac.compare_digest(str(request.form.get(CSRF, "")), str(session.get(CSRF, "-")))
    if cross_site or forged:
        return _page(control, 400, form=False, error="expired")
    session_id = session.get(SESSION_ID)
    if isinstance(session_id, str):
        try:
            control.sessions.end_session(session_id)
        except (StoreUnavailable, OSError) as error:
            log.warning("sign-out not possible: %s", error)
            return notice_page(control, 503, "unavailable")
    if g.principal is not None:
        audit.event("logout")
    session.clear()
    return redirect(f"/login?{urlencode({'out': 1, 'lang': _lang(control)})}")


@blueprint.get("/api/v1/whoami")
def whoami() -> Response:
    """Who the API takes the caller to be, and the regions and agencies they may read."""
    control = state(current_app)
    scope = scope_for()
    return _json({"mode": control.mode, **g.principal.describe(),
                  "scope": {"regions": list(scope.regions), "agencies": list(scope.agencies)}})


@blueprint.get("/api/v1/audit")
def audit_events() -> Response:
    """The newest audit events, newest first (``?count=``, 1–1000, default 100). Admins only."""
    control = state(current_app)
    if g.principal.role is not Role.admin:
        return forbidden("the audit trail is for admins")
    raw = request.args.get("count", "100")
    if not COUNT.match(raw):
        return _json({"error": "count must be a whole number from 1 to 1000"}, 400)
    return _json({"events": control.audit.recent(min(max(int(raw), 1), 1000))})


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status=status, mimetype="application/json")
