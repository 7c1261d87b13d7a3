"""Redis ACL users for a deployment: ``deploy/users.acl`` made ready to install (``python -m app acl``).

``deploy/users.acl`` names one Redis user per kind of process — and, for a replicated set, the
replica's (``basira-replication``) and the Sentinels' (``basira-sentinel``) — for the default prefix
``sa`` and without passwords (a user with none cannot sign in). :func:`render` turns it into the file a Redis
server loads: its key patterns moved to another prefix, and each user's password added as
``#<sha256>`` — the form Redis keeps in an ACL file, so no password is ever written in clear.
``docs/operations.md`` ("Redis users (ACL)") says which process runs as which user and how to
install the file. Redis 7.0 or newer: the web user's read-only key pattern (``%R~``) is Redis 7's.

Redis ACL files cannot hold comments before Redis 8.8: the explanations are in the docs, not the
file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping

from .contract import shard_prefix
from .settings import ROOT

#: The repository's ACL file: every user, for prefix :data:`FILE_PREFIX`, without passwords.
ACL_FILE = ROOT / "deploy" / "users.acl"
#: The key prefix the repository's file is written for.
FILE_PREFIX = "sa"
#: Environment variables the passwords are read from: this plus the user's role, e.g. ``WEB``.
ENV_PREFIX = "BASIRA_ACL_PASSWORD_"

#: The key patterns whose keys a sharded store keeps under its shards' prefixes too (``keys.Keys``):
#: the incidents, the units, their durations and change sets — and ``*``, all of them.
SHARDED_FAMILIES = ("inc:", "unit:", "kpi:", "chg:", "*")
#: A key pattern rule: ``~pattern``, ``%R~pattern``, ``%W~pattern`` or ``%RW~pattern``.
_KEY_RULE = re.compile(r"^(%R?W?~|~)(.*)$")


def password_hash(password: str) -> str:
    """The ``#<hex>`` rule Redis stores for ``password`` (its SHA-256)."""
    return "#" + hashlib.sha256(password.encode("utf-8")).hexdigest()


def users(text: str) -> list[str]:
    """The user names an ACL file defines, in order."""
    return [line.split()[1] for line in text.splitlines() if line.startswith("user ")]


def env_name(user: str) -> str:
    """The environment variable holding ``user``'s password: ``basira-web`` → ``BASIRA_ACL_PASSWORD_WEB``."""
    role = user.removeprefix("basira-")
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", role).upper()


def _move(rule: str, prefix: str) -> list[str]:
    """``rule`` for ``prefix``: a key pattern under ``sa:`` moved there, and again under the prefix's
    shards (``{sa/*}:``, :func:`app.store.keys.shard_prefix`), which hold the live state of a sharded
    store (``BASIRA_REDIS_SHARDS``); any other rule as it is."""
    # A selector's first rule carries its opening parenthesis: "(~sa:audit".
    opening = "(" if rule.startswith("(") else ""
    match = _KEY_RULE.match(rule.removeprefix("("))
    if not match or not match[2].startswith(f"{FILE_PREFIX}:"):
        return [rule]
    rest = match[2][len(FILE_PREFIX) + 1 :]
    moved = [f"{opening}{match[1]}{prefix}:{rest}"]
    if rest.startswith(SHARDED_FAMILIES):
        moved.append(f"{match[1]}{shard_prefix(prefix, '*')}:{rest}")
    return moved


def render(text: str, prefix: str = FILE_PREFIX, passwords: Mapping[str, str] | None = None) -> str:
    """``text`` (an ACL file) with its ``sa:`` key patterns moved to ``prefix`` and each user of
    ``passwords`` given its password (as a hash, after the line's other rules, so a ``resetpass``
    earlier on the line cannot undo it). Raises ``ValueError`` for a password of an unknown user."""
    passwords = dict(passwords or {})
    unknown = set(passwords) - set(users(text))
    if unknown:
        raise ValueError(f"no such user in the ACL file: {', '.join(sorted(unknown))}")
    out = []
    for line in text.splitlines():
        if line.startswith("user "):
            words = [moved for word in line.split() for moved in _move(word, prefix)]
            if words[1] in passwords:
                words.append(password_hash(passwords[words[1]]))
            line = " ".join(words)
        out.append(line)
    return "\n".join(out) + "\n"


def passwords_from(
    environ: Mapping[str, str], names: Iterable[str], lines: Iterable[str] = ()
) -> dict[str, str]:
    """Passwords by user: from ``BASIRA_ACL_PASSWORD_<ROLE>`` variables, then ``<user> <password>``
    lines (which win); empty values are ignored."""
    found = {name: environ[env_name(name)] for name in names if environ.get(env_name(name))}
    for line in lines:
        user, _, password = line.strip().partition(" ")
        if user and password.strip():
            found[user] = password.strip()
    return found


def missing(text: str, passwords: Mapping[str, str]) -> list[str]:
    """Users that stay without a password (cannot sign in), but for the default user, which is off."""
    return [name for name in users(text) if name != "default" and name not in passwords]
