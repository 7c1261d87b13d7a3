"""What the live feed (:mod:`app.feed`) reads and keeps: change sets, Redis's clock, built answers.

The apply scripts record every change of an incident or unit in its scope cell's change set (id →
when, by Redis's clock; see :meth:`.keys.Keys.changes`). A feed answer is then either the whole
picture of a scope (the live hashes, as stored: never parsed) or what changed between two cuts of
that clock: the ids in the change sets, looked up again in the live hashes — found means "put this
Feature", not found means "remove it". An id can sit in two cells' change sets (a unit that crossed
a region border); found in either, it is put.

Built answers are cached in Redis as gzip bytes, so every web worker serves the same bytes and a
scope's answer is built once whatever the number of clients; a short ``SET NX`` lock makes the other
workers wait for the first one's build rather than repeat it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import redis

if TYPE_CHECKING:
    from ..contract import Scope
    from . import Store

#: The two kinds of live features the feed carries, by their change-set name.
KINDS = ("inc", "unit")
#: The field of the stats hash counting feed builds (whole or delta), over all web workers.
BUILDS_FIELD = "feed:builds"


@dataclass
class Changes:
    """One kind's changes between two cuts: Feature texts to put, ids to remove."""

    put: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)


class FeedReads:
    """Mixin of :class:`~app.store.Store`: the feed's reads and its cache."""

    def clock_ms(self: Store) -> int:
        """Redis's clock, in ms: the clock the change sets are scored by."""
        seconds, micros = self.client.time()
        return int(seconds) * 1000 + int(micros) // 1000

    def live_json(self: Store, kind: str, scope: Scope) -> list[str]:
        """Every live Feature text of one kind in ``scope``."""
        return self.incidents_json(scope) if kind == "inc" else self.units_json(scope)

    def changes(self: Store, kind: str, scope: Scope, since_ms: int, until_ms: int) -> Changes:
        """What of ``kind`` changed in ``scope`` at ``since_ms <= t < until_ms`` (Redis clock)."""
        cells = self._cells(scope)
        live = self.keys.incident_live if kind == "inc" else self.keys.unit_live
        pipe = self.client.pipeline(transaction=False)
        for region, agency in cells:
            pipe.zrangebyscore(self.keys.changes(kind, region, agency), since_ms, f"({until_ms}")
        id_lists = pipe.execute()
        pipe = self.client.pipeline(transaction=False)
        asked = []
        for (region, agency), ids in zip(cells, id_lists, strict=True):
            if ids:
                pipe.hmget(live(region, agency), ids)
                asked.append(ids)
        found: dict[str, str | None] = {}
        for ids, values in zip(asked, pipe.execute(), strict=True):
            for item, value in zip(ids, values, strict=True):
                if value is not None:
                    found[item] = value
                else:
                    found.setdefault(item, None)
        out = Changes()
        for item, value in found.items():
            if value is None:
                out.gone.append(item)
            else:
                out.put.append(value)
        return out

    def trim_changes(self: Store, before_ms: int) -> None:
        """Forget changes older than ``before_ms`` (a client that far behind gets the whole picture)."""
        from ..contract import Scope

        pipe = self.client.pipeline(transaction=False)
        for kind in KINDS:
            for region, agency in self._cells(Scope()):
                pipe.zremrangebyscore(self.keys.changes(kind, region, agency), "-inf", f"({before_ms}")
        pipe.execute()

    # -- built answers -----------------------------------------------------------------------

    @property
    def raw_client(self: Store) -> redis.Redis:
        """A client on the same server answering in ``bytes`` (the cached answers are gzip)."""
        client = getattr(self, "_raw_client", None)
        if client is None:
            pool = self.client.connection_pool
            kwargs = {**pool.connection_kwargs, "decode_responses": False}
            client = redis.Redis(
                connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
            )
            self._raw_client = client
        return client

    def feed_body(self: Store, name: str) -> bytes | None:
        return self.raw_client.get(self.keys.feed_body(name))

    def keep_feed_body(self: Store, name: str, body: bytes, ttl_ms: int) -> None:
        """Cache a built answer and count the build. Its lock is left to expire: the answer never needs
        building again, and a late worker that finds the lock taken finds the bytes too."""
        pipe = self.raw_client.pipeline(transaction=True)
        pipe.set(self.keys.feed_body(name), body, px=ttl_ms)
        pipe.hincrby(self.keys.stats, BUILDS_FIELD, 1)
        pipe.execute()

    def lock_feed_body(self: Store, name: str, ttl_ms: int) -> bool:
        """True when this caller is the one to build ``name`` (nobody else is at it)."""
        return bool(self.client.set(self.keys.feed_lock(name), "1", nx=True, px=ttl_ms))

    def feed_builds(self: Store) -> int:
        """How many feed answers were built so far (by every web worker)."""
        return int(self.client.hget(self.keys.stats, BUILDS_FIELD) or 0)
