"""Who sent this request: an API token, a signed-in session, or the single-sign-on proxy's headers.

:class:`Identifier` is built once per app from the settings and the :class:`~.users.Directory`;
:meth:`Identifier.principal` answers for one request. Only the trusted proxies
(``BASIRA_TRUSTED_PROXIES``) are believed about who the user is (``header`` mode) and where the
client is (``X-Forwarded-For``); anyone else's such headers are ignored.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass

from flask import Request, session
from werkzeug.exceptions import ServiceUnavailable, Unauthorized

from ..store import StoreUnavailable
from ..store.sessions import AuthStore
from .principals import InvalidAccount, Principal, Role
from .users import Directory, fingerprint

log = logging.getLogger("basira.auth")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Session fields: the user's name, their password hash's fingerprint, the sign-in time (epoch s), the
#: session's random id (its record in Redis: :class:`~app.store.sessions.AuthStore`), when it ends.
SESSION_USER, SESSION_FP, SESSION_AT, SESSION_ID, SESSION_ENDS = "user", "fp", "at", "sid", "ends"


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.5, 10.1.0.0/16"`` → networks. Raises ``ValueError`` naming a bad entry."""
    networks = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"BASIRA_TRUSTED_PROXIES: {part[:40]!r} is not an address or network") from None
    return tuple(networks)


class BadCredentials(Unauthorized):
    """Credentials were given but are not valid (an unknown token, a proxy header naming no role)."""


class SessionsUnavailable(ServiceUnavailable):
    """A session cookie was sent but Redis, which knows whether it is still signed in, cannot be reached:
    the request is refused (503), never served on the cookie alone."""

    description = "cannot check your sign-in: the session store is unreachable; try again shortly"


@dataclass(frozen=True)
class Identifier:
    mode: str
    directory: Directory
    proxies: tuple[Network, ...]
    header_prefix: str
    session_s: float
    wall_session_s: float
    sessions: AuthStore

    def lifetime(self, principal: Principal) -> float:
        """How long a sign-in of ``principal`` lasts, in seconds (a wall's is longer)."""
        return self.wall_session_s if principal.role is Role.wall else self.session_s

    def trusted(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    def client_ip(self, request: Request) -> str:
        """The client's address: the connection's, or — when that is a trusted proxy — the nearest
        address in ``X-Forwarded-For`` that is not one of ours."""
        address = request.remote_addr or "-"
        if not self.trusted(address):
            return address
        for hop in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
            hop = hop.strip()
            if hop and not self.trusted(hop):
                return hop[:64]
        return address

    def secure(self, request: Request) -> bool:
        """Did the client reach us over HTTPS (directly, or through a trusted TLS-terminating proxy)?"""
        if request.is_secure:
            return True
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        return forwarded == "https" and self.trusted(request.remote_addr)

    def principal(self, request: Request) -> Principal | None:
        """The principal of ``request``, or ``None`` when it carries no credentials.

        Raises :class:`BadCredentials` for credentials that are present but wrong: a request with a
        bad token is refused, never served as anonymous.
        """
        authorization = request.headers.get("Authorization", "")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise BadCredentials("use Authorization: Bearer <token>")
            account = self.directory.token(token.strip())
            if account is None:
                raise BadCredentials("unknown or revoked token")
            return account.principal
        if self.mode == "header":
            return self._from_headers(request)
        if self.mode == "password":
            return self._from_session()
        return None

    def _from_session(self) -> Principal | None:
        """The signed-in user, when the cookie names one whose password is unchanged, whose sign-in has not
        expired, and whose session is still open in Redis (signing out deletes it there)."""
        name, session_id = session.get(SESSION_USER), session.get(SESSION_ID)
        if not isinstance(name, str):
            return None
        account = self.directory.user(name)
        if account is None or session.get(SESSION_FP) != fingerprint(account.secret) or not isinstance(
            session_id, str
        ):
            session.clear()  # removed, the password changed, or a cookie from before sessions were kept
            return None
        started = session.get(SESSION_AT)
        if not isinstance(started, int | float) or time.time() - started > self.lifetime(account.principal):
            session.clear()
            return None
        try:
            open_for = self.sessions.session_user(session_id)
        except (StoreUnavailable, OSError) as error:
            raise SessionsUnavailable() from error
        if open_for != name:
            session.clear()  # signed out (here or on another device), or expired on the server
            return None
        return account.principal

    def _from_headers(self, request: Request) -> Principal | None:
        if not self.trusted(request.remote_addr):
            if request.headers.get(self.header_prefix + "User"):
                log.warning("ignored %sUser from %s: not a trusted proxy", self.header_prefix,
                            request.remote_addr)
            return None
        name = request.headers.get(self.header_prefix + "User", "").strip()
        if not name:
            return None
        role = request.headers.get(self.header_prefix + "Role", "").strip()
        if not role:
            # The proxy names the user only: the users file says what they may see.
            account = self.directory.user(name)
            if account is None:
                raise BadCredentials(
                    f"{name[:64]} has no role (no {self.header_prefix}Role, not in the users file)"
                )
            return Principal(account.principal.name, account.principal.role, account.principal.regions,
                             account.principal.agencies, via="header")
        try:
            return Principal.make(
                name[:64], role,
                _list(request.headers.get(self.header_prefix + "Regions")),
                _list(request.headers.get(self.header_prefix + "Agencies")),
                via="header",
            )
        except InvalidAccount as error:
            raise BadCredentials(f"the proxy's headers for {name[:64]}: {error}") from None


def _list(value: str | None) -> list[str] | None:
    """A comma-separated header value; ``None`` when absent, empty or ``*`` (all)."""
    if value is None or value.strip() in ("", "*"):
        return None
    return [part.strip() for part in value.split(",") if part.strip()]
