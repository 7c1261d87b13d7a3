"""Access control's state in Redis: signed-in sessions, sign-in attempts, used TOTP codes, and which
audit events were already recorded. The part ``store.sessions``. Every key is under ``<prefix>:auth:``
(:class:`~.keys.Keys`).

Only plain commands the web app's Redis user may run (``SET``, ``GET``, ``INCR``, ``DEL``, ``MULTI``):
no scripts, no ``WATCH``. Methods raise :class:`~.errors.StoreUnavailable` when Redis cannot be
reached; :mod:`app.auth` decides what that means (a session check fails closed, the sign-in limit
counts in the process).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from .errors import guarded

if TYPE_CHECKING:
    import redis

    from .keys import Keys

WINDOW_S = 60


def digest(value: str, size: int = 32) -> str:
    """A short, printable SHA-256 of ``value``: a key never holds a session id or a typed name itself."""
    return hashlib.sha256(value.encode()).hexdigest()[:size]


@guarded
class AuthStore:
    """Sessions, the sign-in limit's counters, TOTP steps and audit de-duplication, under one prefix."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    # --- sessions: a random id in the signed cookie, its digest → the user name here -------------------

    def open_session(self, session_id: str, user: str, seconds: int) -> None:
        """Record a new session of ``user`` for ``seconds`` (its whole lifetime: never extended)."""
        self.client.set(self.keys.auth_session(digest(session_id)), user, ex=max(int(seconds), 1))

    def session_user(self, session_id: str) -> str | None:
        """The user of a live session; ``None`` when it ended (signed out, expired) or never existed."""
        return self.client.get(self.keys.auth_session(digest(session_id)))

    def end_session(self, session_id: str) -> None:
        """Sign a session out, on every web worker at once."""
        self.client.delete(self.keys.auth_session(digest(session_id)))

    # --- sign-in attempts: counted before the password is checked -----------------------------------

    def _counters(self, ip: str, user: str) -> list[tuple[str, str]]:
        typed = digest(user.strip().lower(), 24)
        return [(self.keys.auth_attempts(kind, who), self.keys.auth_granted(kind, who))
                for kind, who in (("ip", ip), ("user", typed))]

    def take_attempt(self, ip: str, user: str, per_minute: int) -> int:
        """Count one sign-in attempt from ``ip`` for ``user`` and say whether it may go on: 0 when it may
        (then :meth:`give_back` it if it succeeds), else the seconds until the minute is over (the
        attempt is given back at once).

        Atomic: each attempt's ``INCR`` returns a different number, so however many arrive at once, at
        most ``per_minute`` of them see a number within the limit.
        """
        with self.client.pipeline(transaction=True) as pipe:
            for counted, granted in self._counters(ip, user):
                pipe.set(counted, 0, ex=WINDOW_S, nx=True)
                pipe.set(granted, 0, ex=WINDOW_S, nx=True)
                pipe.incr(counted)
                pipe.get(granted)
                pipe.ttl(counted)
            replies = pipe.execute()
        wait = 0
        for i in range(2):
            counted, granted, ttl = replies[5 * i + 2], int(replies[5 * i + 3] or 0), replies[5 * i + 4]
            if counted - granted > per_minute:
                wait = max(wait, int(ttl) if ttl and ttl > 0 else 1)
        if wait:
            self.give_back(ip, user)
        return wait

    def give_back(self, ip: str, user: str) -> None:
        """Return an attempt to the minute's allowance (a sign-in that succeeded, or one refused)."""
        with self.client.pipeline(transaction=True) as pipe:
            for _counted, granted in self._counters(ip, user):
                pipe.set(granted, 0, ex=WINDOW_S, nx=True)  # the minute may have ended meanwhile
                pipe.incr(granted)
            pipe.execute()

    # --- TOTP: each code is accepted once -------------------------------------------------------------

    def use_totp_step(self, user: str, step: int, keep_s: int) -> bool:
        """Record that ``user`` signed in with the code of time step ``step``; ``False`` when that code,
        or a newer one, was used already (a replay)."""
        who = digest(user)
        last = self.client.get(self.keys.auth_totp(who))
        if last is not None and int(last) >= step:
            return False
        if not self.client.set(self.keys.auth_totp_used(who, step), 1, ex=keep_s, nx=True):
            return False
        self.client.set(self.keys.auth_totp(who), step, ex=keep_s)
        return True

    # --- audit: record a repeated event once per period -----------------------------------------------

    def first_time(self, what: str, seconds: int) -> bool:
        """True the first time ``what`` is asked about within ``seconds`` (on every web worker)."""
        return bool(self.client.set(self.keys.auth_once(digest(what)), 1, ex=seconds, nx=True))
