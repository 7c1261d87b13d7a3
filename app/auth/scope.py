"""The one scope clamp every page, callback and API view calls: :func:`scope_for`, :func:`require`.

Re-exported from :mod:`app.auth` (callers import them from there). They live in a module of their own
so the sign-in views (:mod:`.web`, ``/api/v1/whoami``) can call :func:`scope_for` without importing
the package that assembles access control: imports in :mod:`app.auth` go one way, down to here.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context, request, session

from ..contract import ContractError, Scope
from ..store import StoreUnavailable
from . import audit
from .guard import EXTENSION, AccessControl
from .identify import SESSION_ID
from .principals import OPEN, AccessDenied, Principal, clamp

#: A viewer's page asking again for the same thing beyond their scope is recorded once per this long.
CLAMPED_ONCE_S = 600


def control() -> AccessControl | None:
    """The current app's access control (``None`` when none is installed); inside an app context."""
    return current_app.extensions.get(EXTENSION)


def current_principal() -> Principal | None:
    """Who the current request is from; ``None`` without credentials. Outside a request: ``None``.

    With access control off (or not installed) everyone is :data:`~.principals.OPEN`.
    """
    if not has_request_context():
        return None
    installed = control()
    if installed is None or installed.mode == "off":
        return OPEN
    return getattr(g, "principal", None)


def scope_for(region: Any = None, agency: Any = None, *, strict: bool = False) -> Scope:
    """The scope the current request may read, for the ``region`` and ``agency`` it asks for (``None``
    or ``""``: all). THE function pages, callbacks and the API call before reading the store.

    * Pages (``strict=False``): clamped — an unknown or forbidden region/agency reads as "all", and
      "all" means all of the viewer's own; without credentials, nothing at all.
    * API (``strict=True``): raises :class:`~app.contract.ContractError` for an unknown name (400)
      and :class:`AccessDenied` (a 403, recorded in the audit trail) for one outside the scope.
    """
    region = region if isinstance(region, str) else None
    agency = agency if isinstance(agency, str) else None
    unknown = False
    try:
        asked = Scope.parse(region, agency)
    except ContractError:
        if strict:
            raise
        asked, unknown = Scope(), True
    principal = current_principal()
    try:
        scope = clamp(principal, asked, strict=strict)
    except AccessDenied as error:
        audit.event("denied", reason=error.description, path=_path())
        raise
    if principal is not None and (unknown or scope.region != asked.region or scope.agency != asked.agency):
        _record_clamped(principal, region, agency, asked, unknown)
    return scope


def _record_clamped(
    principal: Principal, region: str | None, agency: str | None, asked: Scope, unknown: bool
) -> None:
    """A page asked for more than the viewer may see and was given their own scope instead: record it as
    ``denied`` (a hand-made request leaves a trace), once per session and request per
    :data:`CLAMPED_ONCE_S` — a wall refreshing the same request every few seconds writes one entry."""
    installed = control()
    if installed is None or installed.mode == "off":
        return
    if unknown:
        reason = f"unknown region/agency {region or '-'}/{agency or '-'}"[:120]
    else:
        try:
            clamp(principal, asked, strict=True)
            return  # "all" narrowed to the viewer's own: what every limited viewer asks, no tampering
        except AccessDenied as error:
            reason = f"{error.description} (clamped to the viewer's scope)"
    session_id = session.get(SESSION_ID, "") if principal.via == "session" else ""
    who = f"{principal.via}|{principal.name}|{session_id}"
    try:
        first = installed.sessions.first_time(f"{who}|{reason}", CLAMPED_ONCE_S)
    except (StoreUnavailable, OSError):  # Redis away: record it every time rather than never
        first = True
    if first:
        audit.event("denied", reason=reason, path=_path())


def require(region: str | None, agency: str | None = None) -> None:
    """Raise :class:`AccessDenied` (recorded) unless a thing of ``region`` (and ``agency``) is in scope —
    for what is fetched by id: an incident's detail, a port's forecast."""
    if not scope_for().covers(region, agency):
        audit.event("denied", reason=f"{region}/{agency or '-'} is outside the scope", path=_path())
        raise AccessDenied("outside your scope")


def _path() -> str | None:
    return request.path if has_request_context() else None
