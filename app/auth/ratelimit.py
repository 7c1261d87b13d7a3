"""Sign-in attempts per minute, per client address and per user name, counted in Redis before the
password is checked.

Each attempt is counted first (:meth:`app.store.sessions.AuthStore.take_attempt`, one transaction of
``INCR``): the counter's answer decides, so of any number of attempts arriving at once at most
``BASIRA_LOGIN_ATTEMPTS_PER_MINUTE`` are checked, the others get HTTP 429 until the minute is over —
even with the right password, so guessing gains nothing. An attempt that succeeds is given back: a
control room whose staff all come from one address can sign in together at a change of shift (at most
the limit of them in the same instant).

Keys ``<prefix>:auth:ip:<address>`` and ``<prefix>:auth:user:<digest of the name>`` (and their ``:ok``
twins, what was given back) live for the minute, so every web worker counts the same attempts. While
Redis cannot be reached each process counts on its own, under a lock, so the limit still holds (per
worker) rather than falling open.
"""

from __future__ import annotations

import logging
import threading
import time

from ..store import StoreUnavailable
from ..store.sessions import WINDOW_S, AuthStore

log = logging.getLogger("basira.auth")
LOCAL_MAX = 10_000


class LoginLimiter:
    def __init__(self, store: AuthStore, per_minute: int) -> None:
        self.store = store
        self.per_minute = per_minute
        self._local: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def take(self, ip: str, user: str) -> int:
        """Count an attempt now: 0 when it may be checked, else the seconds until the minute is over."""
        try:
            return self.store.take_attempt(ip, user, self.per_minute)
        except (StoreUnavailable, OSError) as error:
            log.warning("login rate limit counted in this process only (%s)", error)
            return self._local_take(ip, user)

    def succeeded(self, ip: str, user: str) -> None:
        """Give a successful attempt back: successes do not count against the limit."""
        try:
            self.store.give_back(ip, user)
        except (StoreUnavailable, OSError):
            self._local_give_back(ip, user)

    def _local_keys(self, ip: str, user: str) -> tuple[str, str]:
        return f"ip:{ip}", f"user:{user.strip().lower()}"

    def _local_take(self, ip: str, user: str) -> int:
        now = time.monotonic()
        with self._lock:
            if len(self._local) > LOCAL_MAX:
                self._local = {k: v for k, v in self._local.items() if v[0] > now}
            counts = {}
            for key in self._local_keys(ip, user):
                until, count = self._local.get(key, (0.0, 0))
                counts[key] = (until, count) if until > now else (now + WINDOW_S, 0)
            if any(count >= self.per_minute for _until, count in counts.values()):
                full = [until for until, count in counts.values() if count >= self.per_minute]
                return max(int(until - now) + 1 for until in full)
            for key, (until, count) in counts.items():
                self._local[key] = (until, count + 1)
            return 0

    def _local_give_back(self, ip: str, user: str) -> None:
        with self._lock:
            for key in self._local_keys(ip, user):
                until, count = self._local.get(key, (0.0, 0))
                if count:
                    self._local[key] = (until, count - 1)
