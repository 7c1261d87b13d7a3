"""Failed sign-ins per minute, per client address and per user name, counted in Redis.

After ``BASIRA_LOGIN_ATTEMPTS_PER_MINUTE`` failures from one address, or for one user name, further
attempts are refused (HTTP 429) until that minute is over — even with the right password, so guessing
gains nothing. Successful sign-ins are not counted: a control room whose staff all come from one
address can sign in together at a change of shift.

Keys ``<prefix>:auth:ip:<address>`` and ``<prefix>:auth:user:<digest of the name>`` are counters of
the current one-minute window (created with a 60 s expiry, which ``INCR`` keeps), so every web
worker counts the same failures. While Redis cannot be reached each process counts on its own, so
the limit still holds (per worker) rather than falling open.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time

import redis

log = logging.getLogger("basira.auth")
WINDOW_S = 60
LOCAL_MAX = 10_000


class LoginLimiter:
    def __init__(self, client: redis.Redis, prefix: str, per_minute: int) -> None:
        self.client = client
        self.prefix = prefix
        self.per_minute = per_minute
        self._local: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def keys(self, ip: str, user: str) -> tuple[str, str]:
        # A user name is whatever was typed: a digest keeps the key short and printable.
        typed = hashlib.sha256(user.strip().lower().encode()).hexdigest()[:24]
        return f"{self.prefix}:auth:ip:{ip}", f"{self.prefix}:auth:user:{typed}"

    def wait(self, ip: str, user: str) -> int:
        """0 when an attempt may be made now, else the seconds until the window ends."""
        keys = self.keys(ip, user)
        try:
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.get(key)
                pipe.ttl(key)
            replies = pipe.execute()
            counts = [(int(replies[0] or 0), replies[1]), (int(replies[2] or 0), replies[3])]
        except (redis.RedisError, OSError) as error:
            log.warning("login rate limit read in this process only (%s)", error)
            counts = [self._local_count(key) for key in keys]
        return max((max(int(ttl), 1) for count, ttl in counts if count >= self.per_minute), default=0)

    def failed(self, ip: str, user: str) -> None:
        """Count one failed attempt for the address and for the user name."""
        keys = self.keys(ip, user)
        try:
            pipe = self.client.pipeline(transaction=True)
            for key in keys:
                pipe.set(key, 0, ex=WINDOW_S, nx=True)
                pipe.incr(key)
            pipe.execute()
        except (redis.RedisError, OSError) as error:
            log.warning("login rate limit counted in this process only (%s)", error)
            for key in keys:
                self._local_add(key)

    def _local_count(self, key: str) -> tuple[int, int]:
        now = time.monotonic()
        with self._lock:
            until, count = self._local.get(key, (0.0, 0))
        return (count, int(until - now) + 1) if until > now else (0, 0)

    def _local_add(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._local) > LOCAL_MAX:
                self._local = {k: v for k, v in self._local.items() if v[0] > now}
            until, count = self._local.get(key, (0.0, 0))
            if until <= now:
                until, count = now + WINDOW_S, 0
            self._local[key] = (until, count + 1)
