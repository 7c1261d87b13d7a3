"""Who may write through a listener: the token accounts of the users file, by name, and their scopes.

A TAK device or server proves who it is with a TLS client certificate; its common name (CN) names a
token in the users file (``BASIRA_USERS_FILE``, ``[tokens."<name>"]``, made by ``python -m app token
add``), whose role must allow writing and whose regions and agencies are the scope it may write — a
Makkah TAK server's certificate writes Makkah only. Plain TCP and UDP, which nothing authenticates, write
in the scope of the account ``BASIRA_COT_PLAIN_ACCOUNT`` names.

This reads the same file as :mod:`app.auth.users`, on its own: the listener is a worker process and
importing :mod:`app.auth` would load the web stack (Flask, Dash) into it. It reads only the tokens'
names, roles, regions and agencies — never a secret — and checks them as strictly (an account with an
unknown region or role is not used). Like the web app it looks at the file again when it changes (at
most every second), so a token removed or re-scoped stops writing within a second, without a restart.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.contract import REGION_CODES, Agency, Scope

log = logging.getLogger("basira.ingress")

#: Roles whose tokens may write: a ``producer`` (a CAD, a TAK server) in its scope, and an ``admin`` (the
#: operator trying a device) anywhere — as for the HTTP ingress routes (``app.auth.principals.WRITERS``).
WRITER_ROLES = ("producer", "admin")
#: Roles that see (and so may write) the whole Kingdom without regions or agencies of their own.
NATIONAL_ROLES = ("admin", "leadership")
RECHECK_S = 1.0


@dataclass(frozen=True)
class Producer:
    """An account allowed to write: its ``name`` (what the audit trail records), ``role``, the ``scope`` it
    may write, and ``via`` — how it was established: ``tls`` (a client certificate), ``plain`` (the
    plain account) or ``open`` (access control off: no users file, the whole Kingdom)."""

    name: str
    role: str
    scope: Scope
    via: str


def _scope(entry: dict[str, Any]) -> Scope:
    """The scope of a token's entry; raises ``ValueError`` for names that are not regions or agencies."""
    limits: dict[str, tuple[str, ...] | None] = {}
    for name, known in (("regions", REGION_CODES), ("agencies", tuple(Agency.__members__))):
        value = entry.get(name)
        if value is None or value == []:
            limits[name] = None
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name} must be a list of names")
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValueError(f"unknown {name} {', '.join(unknown)[:80]}")
        limits[name] = tuple(sorted(set(value)))
    return Scope(limit_regions=limits["regions"], limit_agencies=limits["agencies"])


class Accounts:
    """The users file's token accounts, re-read when the file changes (see the module).

    ``path``: the users file (``None``: there is none). ``open_access``: access control is off — then,
    with no users file, any name is an account of the whole Kingdom (the demo), as the web app lets
    anyone see everything. ``recheck_s``: how often, at most, the file's modification time is looked at.
    """

    def __init__(self, path: Path | None, open_access: bool = False, recheck_s: float = RECHECK_S) -> None:
        self.path = Path(path) if path else None
        self.open_access = open_access
        self.recheck_s = recheck_s
        self._lock = threading.Lock()
        self._tokens: dict[str, dict[str, Any]] = {}
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        if self.path is not None:
            self._load()

    def _load(self) -> None:
        assert self.path is not None
        stat = self.path.stat()
        text = self.path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if self.path.suffix == ".toml" else json.loads(text or "{}")
        tokens = data.get("tokens") if isinstance(data, dict) else None
        self._tokens = dict(tokens) if isinstance(tokens, dict) else {}
        self._stamp = (stat.st_mtime_ns, stat.st_size)

    def _fresh(self) -> None:
        if self.path is None or time.monotonic() - self._checked < self.recheck_s:
            return
        with self._lock:
            self._checked = time.monotonic()
            try:
                stat = self.path.stat()
                if (stat.st_mtime_ns, stat.st_size) != self._stamp:
                    self._load()
                    log.info("users file %s re-read: %d tokens", self.path, len(self._tokens))
            except (OSError, ValueError) as error:  # TOML and JSON errors are ValueErrors
                log.error("users file %s not re-read, keeping the last good one: %s", self.path, error)

    def producer(self, name: str, via: str) -> Producer | None:
        """The account ``name`` as a writer, or ``None`` (see :meth:`why_not`)."""
        return self._resolve(name, via)[0]

    def why_not(self, name: str) -> str:
        """Why ``name`` may not write (for the audit trail and the operator)."""
        return self._resolve(name, "tls")[1]

    def _resolve(self, name: str, via: str) -> tuple[Producer | None, str]:
        if self.path is None:
            if self.open_access:
                return Producer(name, "open", Scope(), "open"), ""
            return None, "no users file (BASIRA_USERS_FILE) names the accounts that may write"
        self._fresh()
        entry = self._tokens.get(name)
        if not isinstance(entry, dict):
            return None, f"no token {name[:64]!r} in the users file"
        role = entry.get("role")
        if role not in WRITER_ROLES:
            return None, f"token {name[:64]!r} has role {str(role)[:20]!r}, which may not write " \
                         f"(it must be one of {', '.join(WRITER_ROLES)})"
        try:
            scope = _scope(entry)
        except ValueError as error:
            return None, f"token {name[:64]!r}: {error}"
        if role in NATIONAL_ROLES and (scope.limit_regions is not None or scope.limit_agencies is not None):
            return None, f"token {name[:64]!r}: {role} sees the whole Kingdom: no regions or agencies"
        return Producer(name, str(role), scope, via), ""
