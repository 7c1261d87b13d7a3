"""Access control: who may see which regions and agencies, enforced on the server for every request.

``create_app`` calls :func:`init_auth` once. After that every request carries a principal on
``flask.g`` (set by :mod:`.guard` before anything else runs), and pages, callbacks and API views ask
for data through ONE function:

* :func:`scope_for` ``(region, agency)`` → the :class:`~app.contract.Scope` to read. Pages call it
  with what the viewer asked for and get it clamped to what they may see; the API calls it with
  ``strict=True`` and a request beyond the principal's scope becomes a 403.
* :func:`require` — for one thing named by id (an incident, a port): 403 unless it lies in scope.
* :func:`current_principal`, :func:`auth_banner`, :func:`principal_label`, :func:`logout_form` — what
  a page shows about the viewer; :func:`app.auth.audit.scope_changed` records a change of view.

The pieces: :mod:`.scope` (:func:`scope_for`, :func:`require`, :func:`current_principal`, re-exported
here), :mod:`.principals` (roles, the clamp), :mod:`.users` (the users file), :mod:`.identify`
(token, session, proxy headers), :mod:`.guard` (the gate), :mod:`.callbacks` (a Dash callback request
is exactly a registered one), :mod:`.web` (sign-in pages), :mod:`.totp` (the second factor),
:mod:`.headers` (security headers, CSP), :mod:`.audit`, :mod:`.ratelimit`, :mod:`.cli`. Their state in
Redis (sessions, attempts, used codes) is kept by :mod:`app.store.sessions`.
``docs/access.md`` is the operator's guide.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any

from flask import Flask, g, has_request_context, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import RequestEntityTooLarge

from ..i18n import t
from ..reference import Reference
from ..services import EXTENSION as SERVICES
from .audit import AuditTrail
from .guard import AccessControl, install, too_large
from .headers import ContentSecurityPolicy
from .identify import SESSION_ENDS, Identifier, parse_networks
from .principals import AccessDenied, Principal, Role
from .ratelimit import LoginLimiter
from .scope import CLAMPED_ONCE_S, current_principal, require, scope_for
from .scope import control as _control
from .users import Directory
from .web import CSRF, blueprint, notice_page

if TYPE_CHECKING:
    import dash

    from ..settings import Settings

__all__ = [
    "CLAMPED_ONCE_S", "AccessDenied", "Principal", "Role", "auth_banner", "current_principal", "init_auth",
    "logout_form", "principal_label", "require", "scope_for",
]  # fmt: skip

log = logging.getLogger("basira.auth")
SESSION_COOKIE = "basira_session"


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie, expiring when the sign-in it carries ends (a wall's later than a person's),
    not at the longest lifetime of any."""

    def get_expiration_time(self, app: Flask, session: Any) -> datetime | None:
        ends = session.get(SESSION_ENDS)
        if session.permanent and isinstance(ends, int | float):
            return datetime.fromtimestamp(ends, UTC)
        return super().get_expiration_time(app, session)


def init_auth(
    server: Flask, settings: Settings, dash_app: dash.Dash, pages: Sequence[ModuleType]
) -> AccessControl:
    """Install access control on ``server`` (after the pages are mounted: the CSP needs Dash's scripts).

    Raises ``ValueError`` for settings that cannot work (``password`` mode without a users file,
    ``header`` mode without trusted proxies, a short secret key, an admin without a second factor) and
    :class:`~.principals.InvalidAccount` for a users file with a bad entry: better at start-up than a
    door that silently stays open or shut.
    """
    mode = settings.auth_mode
    if mode == "password" and settings.users_file is None:
        raise ValueError("BASIRA_AUTH_MODE=password needs BASIRA_USERS_FILE (python -m app user add …)")
    proxies = parse_networks(settings.trusted_proxies)
    if mode == "header" and not proxies:
        raise ValueError("BASIRA_AUTH_MODE=header needs BASIRA_TRUSTED_PROXIES: without it anyone could "
                         "claim to be anyone")
    secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
    if secret and len(secret) < 32:
        raise ValueError("BASIRA_SECRET_KEY must be at least 32 characters (python -c 'import secrets; "
                         "print(secrets.token_hex(32))')")
    if not secret:
        secret = secrets.token_hex(32)
        if mode == "password":
            log.warning("BASIRA_SECRET_KEY is not set: sessions are signed with a random key of this "
                        "process, so they end when it restarts and are not valid in other web workers")
    server.secret_key = secret
    longest = max(settings.session_hours, settings.wall_session_hours)
    server.session_interface = SessionCookies()
    server.register_error_handler(RequestEntityTooLarge, lambda _error: too_large(
        settings.max_body_bytes if getattr(g, "principal", None) else settings.anonymous_body_bytes))
    server.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=longest),
        SESSION_REFRESH_EACH_REQUEST=False,  # the sign-in time in the session is what expires
    )
    store = server.extensions[SERVICES].store
    sessions = store.sessions
    directory = Directory(settings.users_file)
    admins = directory.without_second_factor(Role.admin.value)
    if mode == "password" and admins:
        raise ValueError(f"admin account(s) {', '.join(admins)} have no second factor (TOTP), which password "
                         "mode requires of admins: python -m app user add NAME --role admin --totp")
    identifier = Identifier(
        mode, directory, proxies, settings.auth_header_prefix,
        settings.session_hours * 3600, settings.wall_session_hours * 3600, sessions,
    )
    trail = AuditTrail(store.audit, identifier.client_ip)
    trail.init_app(server)
    control = AccessControl(
        settings=settings,
        identifier=identifier,
        audit=trail,
        limiter=LoginLimiter(sessions, settings.login_attempts_per_minute),
        csp=ContentSecurityPolicy(dash_app, settings.tile_url) if settings.csp else None,
        dash_app=dash_app,
        pages={page.PATH: page.PAGE for page in pages},
        regions=Reference.from_settings(settings).regions,
        sessions=sessions,
        notice=notice_page,
    )
    install(server, control)
    server.register_blueprint(blueprint)
    if mode == "off":
        log.warning("ACCESS CONTROL IS OFF: anyone who can reach this server sees every region and agency "
                    "(set BASIRA_AUTH_MODE=password or header; see docs/access.md)")
    else:
        log.info("access control: %s mode, %d accounts in %s", mode, len(control.identifier.directory),
                 settings.users_file or "no users file")
    return control


def auth_banner(lang: str) -> str | None:
    """The notice a page shows while access control is off (``None`` when it is on)."""
    if not has_request_context():
        return None
    control = _control()
    return t("auth.off", lang) if control is None or control.mode == "off" else None


def principal_label(lang: str) -> str | None:
    """``amal · قائد · الرياض · المرور``: who is signed in and what they see (``None`` when nobody is, or
    access control is off)."""
    control = _control() if has_request_context() else None
    principal = current_principal()
    if control is None or control.mode == "off" or principal is None:
        return None
    parts = [principal.name, t(f"role.{principal.role.value}", lang)]
    if principal.national:
        parts.append(t("place.national", lang))
    if principal.regions is not None:
        regions = sorted(principal.regions)
        names = [getattr(control.regions.get(code), f"name_{lang}", code) for code in regions]
        parts.append(("، " if lang == "ar" else ", ").join(names))
    if principal.agencies is not None:
        names = [t(f"agency.{agency}", lang) for agency in sorted(principal.agencies)]
        parts.append(("، " if lang == "ar" else ", ").join(names))
    return " · ".join(parts)


def logout_form() -> tuple[str, str] | None:
    """Where a "sign out" button posts and the token it carries (``None`` when there is nothing to sign
    out of). Sign-out is a ``POST`` with the token: a link from anywhere cannot end a session."""
    control = _control() if has_request_context() else None
    if control is None or control.mode != "password" or current_principal() is None:
        return None
    token = session.setdefault(CSRF, secrets.token_urlsafe(24))
    return "/logout", token
