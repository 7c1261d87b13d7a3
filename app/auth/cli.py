"""``python -m app user …`` and ``python -m app token …``: manage the users file (``BASIRA_USERS_FILE``).

::

    python -m app user add amal --role commander --region SA-01 --agency traffic   # asks for the password
    python -m app user add root --role admin --totp          # prints the TOTP secret once (admins need it)
    printf '%s\\n' "$PW" | python -m app user add ops --role leadership --password-stdin
    python -m app token add wall-1 --role wall --region SA-02                       # prints the token once
    python -m app user list;  python -m app token remove wall-1

The web app re-reads the file when it changes: no restart is needed.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from ..contract import REGION_CODES, Agency
from . import totp as otp
from .principals import InvalidAccount, Principal, Role
from .users import UsersFile, hash_password, hash_token, new_token

#: ASVS 4.0 2.1.1: at least 12 characters (it was 10 before; passwords set then still work).
MIN_PASSWORD = 12


def _file(args: argparse.Namespace) -> UsersFile:
    from ..settings import Settings

    path = args.file or Settings().users_file
    if path is None:
        sys.exit("No users file: set BASIRA_USERS_FILE (e.g. /etc/basira/users.toml) or pass --file.")
    try:
        return UsersFile(Path(path))
    except InvalidAccount as error:
        sys.exit(f"Cannot read the users file: {error}")


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            sys.exit("The two passwords differ; nothing was changed.")
    if len(password) < MIN_PASSWORD:
        sys.exit(f"A password needs at least {MIN_PASSWORD} characters; nothing was changed. (It was 10 "
                 "before: a shorter password set then still signs in — ask its user to choose a new one, "
                 "set with this same command.)")
    return password


def _describe(principal: Principal) -> str:
    regions = ",".join(sorted(principal.regions)) if principal.regions is not None else "all regions"
    agencies = ",".join(sorted(principal.agencies)) if principal.agencies is not None else "all agencies"
    return f"{principal.name:<24} {principal.role.value:<11} {regions} · {agencies}"


def cmd_account(args: argparse.Namespace) -> None:
    section = "users" if args.command == "user" else "tokens"
    users = _file(args)
    if args.action == "list":
        for principal in users.entries(section):
            print(_describe(principal))
        return
    if args.action == "remove":
        if not users.remove(section, args.name):
            sys.exit(f"No {args.command} {args.name!r} in {users.path}.")
        users.save()
        print(f"Removed {args.command} {args.name} from {users.path}.")
        return
    token = new_token() if section == "tokens" else None
    with_totp = section == "users" and args.totp
    if section == "users" and args.role == Role.admin.value and not with_totp:
        sys.exit("An admin needs a second factor: add --totp (its secret goes into an authenticator app); "
                 "nothing was changed.")
    secret = hash_token(token) if token else hash_password(_password(args))
    totp_secret = otp.new_secret() if with_totp else None
    try:
        principal = users.put(section, args.name, args.role, _split(args.region), _split(args.agency), secret,
                              totp=totp_secret)
    except InvalidAccount as error:
        sys.exit(f"Not saved: {error}")
    users.save()
    if totp_secret:
        print(f"Saved {args.command} {_describe(principal)} in {users.path}, with a second factor.")
        print("Add it to the user's authenticator app now — it is shown only this once (scan the URI as a "
              "QR code, or type the secret):")
        print(otp.uri(totp_secret, args.name))
        print(f"secret: {totp_secret}")
        return
    # A token goes alone to stdout (TOKEN=$(python -m app token add …)); what is said about it, to stderr.
    said = sys.stderr if token else sys.stdout
    print(f"Saved {args.command} {_describe(principal)} in {users.path}.", file=said)
    if token:
        print("The token follows; it is shown only now (only its hash is stored):", file=sys.stderr)
        print(token)


def add_commands(commands: Any) -> None:
    """Add ``user`` and ``token`` to ``python -m app``'s sub-commands."""
    for kind, help_text in (("user", "people who sign in (hashed passwords)"),
                            ("token", "API tokens for integrations and wall controllers (hashed)")):
        parser = commands.add_parser(kind, help=f"manage the users file: {help_text}")
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help=f"add or replace a {kind}")
        add.add_argument("name")
        add.add_argument("--role", required=True, choices=[r.value for r in Role])
        add.add_argument("--region", action="append", metavar="CODE",
                         help=f"a region it may see (repeat, or comma-separate): {', '.join(REGION_CODES)}")
        add.add_argument("--agency", action="append", metavar="NAME",
                         help=f"an agency it may see (repeat, or comma-separate): {', '.join(Agency)}")
        if kind == "user":
            add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
            add.add_argument("--totp", action="store_true",
                             help="a second factor: make a TOTP secret, print it once (admins need it)")
        remove = actions.add_parser("remove", help=f"remove a {kind}")
        remove.add_argument("name")
        actions.add_parser("list", help=f"list the {kind}s")
        for sub in (add, remove, actions.choices["list"]):
            sub.add_argument("--file", help="the users file (default: BASIRA_USERS_FILE)")
        parser.set_defaults(func=cmd_account)
