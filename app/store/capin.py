"""Official alerts taken in as CAP 1.2 (an alerting authority's warnings): stored until they expire. The
part ``store.capin``; :mod:`app.ingress.cap_in` reads and checks the documents, the "Official alerts"
layer (:mod:`layers.official`) draws what :meth:`OfficialAlerts.in_force` returns.

An official alert is not an incident: it never enters the streams. Each is one JSON string,
``<prefix>:capin:alert:<digest of sender,identifier>``, which Redis deletes at the alert's ``expires``
(``SET … PXAT``); ``<prefix>:capin:expiry`` scores each by that time, so the alerts in force are read
in one range, and the read filters by its ``now`` too (an alert never outlives its expiry on the map,
whatever the clock of Redis). ``<prefix>:capin:version`` moves with every change. Only plain commands the
web app's Redis user may run (no scripts), each change in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson

from .errors import guarded
from .sessions import digest

if TYPE_CHECKING:
    import redis

    from .keys import Keys

#: The most alerts read at once (a national warning service has tens in force, not thousands).
READ_MAX = 2000


def alert_digest(ref: str) -> str:
    """The key part of the alert named ``ref`` (CAP's ``sender,identifier``)."""
    return digest(ref, 32)


def _now() -> int:
    return int(time.time() * 1000)


@guarded
class OfficialAlerts:
    """Stores official alerts until their expiry, replaces and cancels them, reads those in force."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def put(self, alert: dict[str, Any], replaces: Iterable[str] = (), now_ms: int | None = None) -> bool:
        """Store ``alert`` (its ``ref`` names it, ``expires`` in ms ends it) and remove those it
        ``replaces`` (their refs), in one transaction. ``False`` (nothing changed but the removals) when
        it has expired already."""
        now = _now() if now_ms is None else now_ms
        expires = int(alert["expires"])
        with self.client.pipeline(transaction=True) as pipe:
            for ref in replaces:
                self._remove(pipe, alert_digest(ref))
            stored = expires > now
            if stored:
                name = alert_digest(alert["ref"])
                pipe.set(self.keys.capin_alert(name), orjson.dumps(alert), pxat=expires)
                pipe.zadd(self.keys.capin_expiry, {name: expires})
            pipe.zremrangebyscore(self.keys.capin_expiry, "-inf", now)
            pipe.incr(self.keys.capin_version)
            pipe.execute()
        return stored

    def cancel(self, refs: Iterable[str]) -> None:
        """Remove the alerts named by ``refs`` (a CAP ``Cancel``'s references)."""
        with self.client.pipeline(transaction=True) as pipe:
            for ref in refs:
                self._remove(pipe, alert_digest(ref))
            pipe.incr(self.keys.capin_version)
            pipe.execute()

    def _remove(self, pipe: Any, name: str) -> None:
        pipe.delete(self.keys.capin_alert(name))
        pipe.zrem(self.keys.capin_expiry, name)

    def get(self, refs: Iterable[str]) -> list[dict[str, Any]]:
        """The stored alerts among ``refs`` (those gone or never stored are left out)."""
        names = [alert_digest(ref) for ref in refs]
        if not names:
            return []
        values = self.client.mget([self.keys.capin_alert(name) for name in names])
        return [orjson.loads(value) for value in values if value]

    def in_force(self, now_ms: int | None = None) -> list[dict[str, Any]]:
        """The alerts not yet expired at ``now_ms`` (default: now), soonest to expire first."""
        now = _now() if now_ms is None else now_ms
        names = self.client.zrangebyscore(self.keys.capin_expiry, f"({now}", "+inf", start=0, num=READ_MAX)
        if not names:
            return []
        values = self.client.mget([self.keys.capin_alert(name) for name in names])
        alerts = [orjson.loads(value) for value in values if value]
        return [alert for alert in alerts if int(alert.get("expires", 0)) > now]

    def version(self, now_ms: int | None = None) -> str:
        """What the layer was drawn from: the change counter and how many alerts are in force now (so
        an alert expiring changes it too)."""
        now = _now() if now_ms is None else now_ms
        with self.client.pipeline(transaction=False) as pipe:
            pipe.get(self.keys.capin_version)
            pipe.zcount(self.keys.capin_expiry, f"({now}", "+inf")
            changes, alive = pipe.execute()
        return f"{changes or 0}:{alive}"
