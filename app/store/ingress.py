"""The standards' ingress in Redis: how many messages each producer sent in its current window. The part
``store.ingress``; :mod:`app.ingress.receive` decides what to do with the count.

A fixed window per producer: its first message creates ``<prefix>:ingress:rate:<digest>`` for 60 s
(``SET NX PX``), each message counts one (``INCR``). The counter's answer decides, so however many web
workers and listeners take the same producer's messages at once, at most the limit pass in a window —
the sign-in limiter's pattern (:mod:`.sessions`). Only plain commands the web app's Redis user may run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import guarded
from .sessions import digest

if TYPE_CHECKING:
    import redis

    from .keys import Keys

#: The window's length.
WINDOW_MS = 60_000


@guarded
class IngressLimits:
    """Counts each producer's messages in its current window."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def take(self, producer: str, per_window: int) -> int:
        """Count one message of ``producer``: 0 when it is within ``per_window`` messages of its window,
        else the milliseconds until the window ends (the message is not to be taken)."""
        key = self.keys.ingress_rate(digest(producer, 24))
        with self.client.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, px=WINDOW_MS, nx=True)
            pipe.incr(key)
            pipe.pttl(key)
            _created, count, ttl = pipe.execute()
        if int(count) <= per_window:
            return 0
        return int(ttl) if ttl and int(ttl) > 0 else 1
