"""The users file: people (hashed passwords) and API clients (hashed tokens), their roles and scopes.

``BASIRA_USERS_FILE`` names it; TOML (``.toml``) or JSON (anything else), the same shape::

    [users."amal"]
    role = "commander"
    regions = ["SA-01"]
    agencies = ["traffic"]
    password = "scrypt:32768:8:1$…"          # werkzeug's scrypt hash, never the password
    totp = "JBSWY3DPEHPK3PXP…"                # optional: the TOTP secret (a second factor; admins must)

    [tokens."wall-controller-1"]
    role = "wall"
    sha256 = "9f2c…"                          # SHA-256 of the token, never the token

:class:`Directory` reads it for the web app and re-reads it when it changes (a user removed or
re-scoped takes effect within a second, without a restart; a file that no longer parses is logged
and the last good one kept). :class:`UsersFile` edits it for ``python -m app user|token``.
Passwords are hashed with scrypt (slow on purpose); tokens are 256 random bits, so a plain SHA-256
is enough to store them. A TOTP secret is kept as it is (the server must compute the codes from it): the
file is written owner-only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from .principals import InvalidAccount, Principal

log = logging.getLogger("basira.auth")

#: User and token names: what a person can type and a log can show.
NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
#: Every token starts with this, so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "bsr_"
SECTIONS = ("users", "tokens")
_FIELDS = {
    "users": {"role", "regions", "agencies", "password", "totp"},
    "tokens": {"role", "regions", "agencies", "sha256"},
}
#: How often, at most, the web app looks at the file's modification time.
RECHECK_S = 1.0
#: A TOTP secret: base32, at least 128 bits (``pyotp.random_base32()`` gives 160).
TOTP_SECRET = re.compile(r"^[A-Z2-7]{26,128}=*$")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh API token (shown once; only its hash is stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def fingerprint(password_hash: str) -> str:
    """A short digest of a stored hash: a session remembers it, so a new password ends old sessions."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Account:
    """One entry of the file: its principal and its stored secret (a password hash or a token hash)."""

    principal: Principal
    secret: str
    totp: str | None = None  # the TOTP secret of a user with a second factor


def _account(section: str, name: str, entry: Any) -> Account:
    where = f"{section}.{name}"
    if not NAME.match(name):
        raise InvalidAccount(f"{where}: a name is 1–64 of A–Z a–z 0–9 . _ @ -")
    if not isinstance(entry, dict):
        raise InvalidAccount(f"{where}: expected a table of role, regions, agencies, …")
    unknown = set(entry) - _FIELDS[section]
    if unknown:
        raise InvalidAccount(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    secret_field = "password" if section == "users" else "sha256"
    secret = entry.get(secret_field)
    if not isinstance(secret, str) or not secret:
        raise InvalidAccount(f"{where}: {secret_field} is missing")
    lists = {}
    for field in ("regions", "agencies"):
        value = entry.get(field)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise InvalidAccount(f"{where}: {field} must be a list of names")
        lists[field] = value or None
    try:
        principal = Principal.make(
            name, str(entry.get("role", "")), lists["regions"], lists["agencies"],
            via="session" if section == "users" else "token",
        )
    except InvalidAccount as error:
        raise InvalidAccount(f"{where}: {error}") from None
    totp = entry.get("totp")
    if totp is not None and not (isinstance(totp, str) and TOTP_SECRET.match(totp)):
        raise InvalidAccount(f"{where}: totp must be a base32 secret of at least 26 characters "
                             "(python -m app user add NAME --totp makes one)")
    return Account(principal, secret, totp)


def read_raw(path: Path) -> dict[str, dict[str, Any]]:
    """The file as ``{"users": {...}, "tokens": {...}}`` (empty sections when it does not exist)."""
    if not path.exists():
        return {section: {} for section in SECTIONS}
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text or "{}")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise InvalidAccount(f"{path}: {error}") from None
    if not isinstance(data, dict) or set(data) - set(SECTIONS):
        raise InvalidAccount(f"{path}: expected only the sections {', '.join(SECTIONS)}")
    return {section: dict(data.get(section) or {}) for section in SECTIONS}


def parse(raw: dict[str, dict[str, Any]]) -> tuple[dict[str, Account], dict[str, Account]]:
    """Users by name and tokens by hash; raises :class:`InvalidAccount` naming the bad entry."""
    users = {name: _account("users", name, entry) for name, entry in raw["users"].items()}
    tokens: dict[str, Account] = {}
    for name, entry in raw["tokens"].items():
        account = _account("tokens", name, entry)
        tokens[account.secret.lower()] = account
    return users, tokens


class Directory:
    """The accounts the web app knows, from the users file (none when there is no file)."""

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._users: dict[str, Account] = {}
        self._tokens: dict[str, Account] = {}
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._dummy = ""
        if self.path is not None:
            if not self.path.exists():
                raise InvalidAccount(f"the users file {self.path} does not exist (python -m app user add …)")
            self._load()

    def _load(self) -> None:
        assert self.path is not None
        stat = self.path.stat()
        users, tokens = parse(read_raw(self.path))
        self._users, self._tokens, self._stamp = users, tokens, (stat.st_mtime_ns, stat.st_size)

    def _fresh(self) -> None:
        """Re-read the file when it changed (checked at most every :data:`RECHECK_S`)."""
        if self.path is None or time.monotonic() - self._checked < RECHECK_S:
            return
        with self._lock:
            self._checked = time.monotonic()
            try:
                stat = self.path.stat()
                if (stat.st_mtime_ns, stat.st_size) != self._stamp:
                    self._load()
                    log.info("users file %s re-read: %d users, %d tokens", self.path, len(self._users),
                             len(self._tokens))
            except (OSError, InvalidAccount) as error:
                log.error("users file %s not re-read, keeping the last good one: %s", self.path, error)

    def user(self, name: str) -> Account | None:
        self._fresh()
        return self._users.get(name)

    def token(self, token: str) -> Account | None:
        """The account of an API token, or ``None``."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        self._fresh()
        return self._tokens.get(hash_token(token))

    def verify(self, name: str, password: str) -> Account | None:
        """The account when ``password`` is right; ``None`` otherwise, in about the same time whether the
        user exists or not (an unknown name is checked against a throwaway hash)."""
        account = self.user(name)
        if account is None:
            if not self._dummy:
                self._dummy = hash_password(secrets.token_hex(16))
            check_password_hash(self._dummy, password)
            return None
        return account if check_password_hash(account.secret, password) else None

    def without_second_factor(self, role: str) -> list[str]:
        """The users of ``role`` who have no TOTP secret."""
        self._fresh()
        return sorted(name for name, a in self._users.items() if a.principal.role == role and not a.totp)

    def __len__(self) -> int:
        return len(self._users) + len(self._tokens)


# --- editing the file (python -m app user|token) --------------------------------------------------


def _toml_value(value: Any) -> str:
    # A JSON string is a valid TOML basic string (the same escapes), and so is a list of them.
    return json.dumps(value, ensure_ascii=False)


def to_toml(raw: dict[str, dict[str, Any]]) -> str:
    lines = ["# Basira: users and API tokens (python -m app user|token). Secrets are stored hashed only.", ""]
    for section in SECTIONS:
        for name, entry in sorted(raw[section].items()):
            lines.append(f"[{section}.{json.dumps(name)}]")
            lines += [f"{key} = {_toml_value(value)}" for key, value in entry.items() if value is not None]
            lines.append("")
    return "\n".join(lines)


class UsersFile:
    """The users file as the commands edit it: add or remove an entry, list them, save atomically."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.raw = read_raw(self.path)

    def put(self, section: str, name: str, role: str, regions: list[str] | None, agencies: list[str] | None,
            secret: str, totp: str | None = None) -> Principal:
        """Add or replace an entry (``totp``: a user's TOTP secret); returns its principal. Raises
        :class:`InvalidAccount`."""
        entry: dict[str, Any] = {"role": role}
        if regions:
            entry["regions"] = sorted(set(regions))
        if agencies:
            entry["agencies"] = sorted(set(agencies))
        entry["password" if section == "users" else "sha256"] = secret
        if totp:
            entry["totp"] = totp
        account = _account(section, name, entry)
        self.raw[section][name] = entry
        return account.principal

    def remove(self, section: str, name: str) -> bool:
        return self.raw[section].pop(name, None) is not None

    def entries(self, section: str) -> list[Principal]:
        return [_account(section, name, entry).principal for name, entry in sorted(self.raw[section].items())]

    def save(self) -> None:
        """Write the file (owner-only permissions), replacing it in one step."""
        text = to_toml(self.raw) if self.path.suffix == ".toml" else json.dumps(self.raw, indent=2) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, self.path)
