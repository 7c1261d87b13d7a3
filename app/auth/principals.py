"""Who is asking, and what they may see: :class:`Principal`, its :class:`Role`, and the one clamp.

A principal is a person (signed in, or named by the single-sign-on proxy) or a client holding an
API token. Its scope is a set of regions and a set of agencies, each ``None`` for "all":

* ``wall`` — a read-only display account: the video wall (``/wall``) and the kiosk, in its scope;
* ``commander`` — one or more regions and/or agencies (at least one of the two is limited);
* ``leadership`` — the nation;
* ``admin`` — the nation, plus the audit trail;
* ``producer`` — an API token of a producer system (a CAD, an alerting authority): it may only *write*,
  through the ingress routes (:data:`PRODUCER_PATHS`), in its scope — it opens no page and reads no
  API. Tokens only: never a person who signs in, nor a role a proxy may name.

:func:`clamp` turns the scope a request asks for into the scope it may have. Pure: no Flask, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from werkzeug.exceptions import Forbidden

from ..contract import REGION_CODES, Agency, Scope


class Role(StrEnum):
    wall = "wall"
    commander = "commander"
    leadership = "leadership"
    admin = "admin"
    producer = "producer"


#: The pages a ``wall`` account may open (by page name); every other role may open every page.
WALL_PAGES = frozenset({"wall", "kiosk"})
#: The paths a ``producer`` token may reach: the ingress routes (EIDO, CAP; docs/standards.md), and
#: ``whoami`` to check its own token and scope. Every other path answers it 403.
PRODUCER_PATHS = frozenset({"/api/v1/eido", "/api/v1/eido/ws", "/api/v1/cap", "/api/v1/whoami"})
#: The roles that may write through the ingress routes: a producer in its scope, and an admin (the
#: operator trying a document; with access control off everyone is an admin).
WRITERS = frozenset({"producer", "admin"})
#: Nothing at all: what a request without credentials reads (a layout built before anyone signed in).
NOTHING = Scope(limit_regions=(), limit_agencies=())


class AccessDenied(Forbidden):
    """A request for something outside the principal's scope or role (HTTP 403)."""


class InvalidAccount(ValueError):
    """An account (in the users file or the proxy's headers) that cannot be used; says why."""


def _names(values: Iterable[str] | None, known: Iterable[str], what: str) -> frozenset[str] | None:
    if values is None:
        return None
    chosen = frozenset(v.strip() for v in values if v and v.strip())
    unknown = sorted(chosen - set(known))
    if unknown:
        raise InvalidAccount(f"unknown {what} {', '.join(unknown)[:80]}")
    return chosen or None


@dataclass(frozen=True)
class Principal:
    """An identity with a role and a scope (``None``: all regions / all agencies).

    ``via`` says how it was established: ``session``, ``token``, ``header`` or ``open`` (access
    control is off). Build one with :meth:`make`, which checks the role against the scope.
    """

    name: str
    role: Role
    regions: frozenset[str] | None = None
    agencies: frozenset[str] | None = None
    via: str = "session"

    @classmethod
    def make(
        cls,
        name: str,
        role: str,
        regions: Iterable[str] | None = None,
        agencies: Iterable[str] | None = None,
        via: str = "session",
    ) -> Principal:
        """Raises :class:`InvalidAccount` for an unknown role, region or agency, a national role given
        a scope, or a commander without one."""
        try:
            role_ = Role(role)
        except ValueError:
            expected = ", ".join(Role)
            raise InvalidAccount(f"unknown role {str(role)[:20]!r}: expected one of {expected}") from None
        regions_ = _names(regions, REGION_CODES, "region")
        agencies_ = _names(agencies, Agency.__members__, "agency")
        limited = regions_ is not None or agencies_ is not None
        if role_ in (Role.leadership, Role.admin) and limited:
            raise InvalidAccount(f"{role_} sees the whole Kingdom: give it no regions or agencies")
        if role_ is Role.commander and not limited:
            raise InvalidAccount("a commander needs regions, agencies or both (or use the leadership role)")
        if role_ is Role.producer and via != "token":
            raise InvalidAccount("producer is a role for API tokens only (python -m app token add NAME "
                                 "--role producer --region …)")
        return cls(name, role_, regions_, agencies_, via)

    @property
    def national(self) -> bool:
        """True when the scope is unlimited (every region, every agency)."""
        return self.regions is None and self.agencies is None

    @property
    def home(self) -> str:
        """Where this principal lands after signing in."""
        return "/wall" if self.role is Role.wall else "/"

    def may_open(self, page: str) -> bool:
        """May this principal open the page named ``page`` (a page module's ``PAGE``)? (A producer opens
        none: :func:`.guard.producer_gate` refuses it everything but :data:`PRODUCER_PATHS`.)"""
        return self.role is not Role.wall or page in WALL_PAGES

    def may_call(self, path: str) -> bool:
        """May this principal reach the API path ``path``? Everyone may, but a producer: only the
        ingress routes (:data:`PRODUCER_PATHS`)."""
        return self.role is not Role.producer or path.rstrip("/") in PRODUCER_PATHS

    @property
    def may_write(self) -> bool:
        """May this principal write through the ingress routes (a producer, or an admin)?"""
        return self.role.value in WRITERS

    def describe(self) -> dict[str, object]:
        """The principal as JSON-ready data (``/api/v1/whoami``, the audit trail)."""
        return {
            "name": self.name,
            "role": self.role.value,
            "regions": sorted(self.regions) if self.regions is not None else None,
            "agencies": sorted(self.agencies) if self.agencies is not None else None,
            "via": self.via,
        }


#: Everyone, when access control is off.
OPEN = Principal("anonymous", Role.admin, via="open")


def _narrow(
    asked: str | None, allowed: frozenset[str] | None, strict: bool, what: str
) -> tuple[str | None, tuple[str, ...] | None]:
    """One axis of :func:`clamp`: the chosen value and the limit of "all"."""
    if allowed is None:
        return asked, None
    if asked is not None and asked in allowed:
        return asked, None
    if asked is not None and strict:
        raise AccessDenied(f"{what} {asked} is outside your scope")
    if len(allowed) == 1:
        return next(iter(allowed)), None
    return None, tuple(sorted(allowed))


def clamp(principal: Principal | None, asked: Scope, *, strict: bool = False) -> Scope:
    """The part of ``asked`` that ``principal`` may read.

    * Inside the principal's scope: ``asked`` itself.
    * "All" (``None``) on an axis the principal is limited on: their regions or agencies — the one
      they have, or all of theirs as a limit.
    * A region or agency outside it: :class:`AccessDenied` when ``strict`` (the API answers 403),
      else as if "all" had been asked (the pages show what the viewer may see).
    * No principal: :data:`NOTHING` (``strict``: ``AccessDenied``) — never more than nothing.
    """
    if principal is None:
        if strict:
            raise AccessDenied("sign in first")
        return NOTHING
    region, regions = _narrow(asked.region, principal.regions, strict, "region")
    agency, agencies = _narrow(asked.agency, principal.agencies, strict, "agency")
    return Scope(region, agency, regions, agencies)
