"""Built once, served to all: answers that every client of a scope shares, kept in Redis as bytes.
The part ``store.built``.

The live feed's answers (:mod:`app.feed`) and the command view's per-scope summary
(:mod:`app.pages.live`) are the same for every browser looking at the same scope at the same tick.
:meth:`Built.built_once` names such an answer; the first web worker to ask takes a short ``SET NX``
lock and builds it, the others wait for its bytes, so the work per tick does not grow with the number
of clients. The bytes live a few seconds; the lock is never released, only left to expire, so a late
worker that finds it taken finds the bytes too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import redis
from redis.cluster import RedisCluster

from .connection import server_time
from .errors import guarded

if TYPE_CHECKING:
    from .keys import Keys

#: A builder's lock lasts this long (a worker killed mid-build frees it by itself).
LOCK_TTL_MS = 5_000
#: How often a waiting worker looks for the bytes (s), and every how many looks it tries the lock: free
#: again with no bytes means the builder died or outran its lock, and the waiter that takes it builds.
WAIT_STEP_S = 0.005
RELOCK_EVERY = 10
#: The longest a worker waits for others' builds before building the answer itself, whatever the lock.
WAIT_MAX_S = 30.0
#: A recorded build cost is forgotten after this long (the scope has gone quiet or small).
COST_TTL_S = 600


@guarded
class Built:
    """Answers built once and shared. ``raw`` gives the client on the same server that answers in
    ``bytes`` (:func:`.connection.bytes_client`, made on first use)."""

    def __init__(self, client: redis.Redis, keys: Keys, raw: Callable[[], redis.Redis]) -> None:
        self.client = client
        self.keys = keys
        self._raw = raw

    def tick(self, family: str, base_ms: int, share: float) -> tuple[int, int]:
        """``(tick, period_ms)`` by Redis's clock for answers of ``family`` (e.g. ``command``) that
        are rebuilt every ``base_ms`` — or less often when building one costs more than ``share`` of
        that, so that a large scope (100,000 incidents) cannot keep the web workers busy rebuilding
        it. The cost is the last build's, recorded by :meth:`built_once`."""
        cost_key = self.keys.built_cost(family)
        if isinstance(self.client, RedisCluster):  # TIME cannot be pipelined there: two round trips
            (seconds, micros), cost = server_time(self.client, cost_key), self.client.get(cost_key)
        else:
            pipe = self.client.pipeline(transaction=False)
            pipe.time()
            pipe.get(cost_key)
            (seconds, micros), cost = pipe.execute()
        period = max(base_ms, math.ceil(int(cost or 0) / share / base_ms) * base_ms)
        return (int(seconds) * 1000 + int(micros) // 1000) // period, period

    def built_once(
        self, name: str, build: Callable[[], bytes], ttl_ms: int, family: str | None = None,
        previous: str | None = None,
    ) -> bytes:
        """The bytes named ``name``: from Redis when built already, else built here — once.

        The first worker to ask takes the lock and builds; the others poll for its bytes for as long
        as a build takes — one of them takes the lock over and builds only when it has lapsed with no
        bytes (the builder died, or its build outlasted :data:`LOCK_TTL_MS`), so a slow build is still
        done once, not once per waiting request. With a ``family``, the build's cost (ms) is recorded
        for :meth:`tick`. With a ``previous`` name (the same answer one tick earlier), a request that
        finds the build under way gets those bytes at once, when they are still kept, instead of
        waiting for the new ones: only the builder waits for its build.
        """
        key = self.keys.built(name)
        body = self._raw().get(key)
        if body is not None:
            return body
        lock = self.keys.built_lock(name)
        if not self.client.set(lock, "1", nx=True, px=LOCK_TTL_MS):
            if previous is not None and (body := self._raw().get(self.keys.built(previous))) is not None:
                return body
            body = self._wait_for(key, lock)
        else:
            body = self._raw().get(key)  # built between our first look and the lock?
        if body is not None:
            return body
        started = time.perf_counter()
        body = build()
        pipe = self._raw().pipeline(transaction=True)
        pipe.set(key, body, px=ttl_ms)
        pipe.incr(self.keys.built_count)
        if family is not None:
            pipe.set(self.keys.built_cost(family), int((time.perf_counter() - started) * 1000), ex=COST_TTL_S)
        pipe.execute()
        return body

    def _wait_for(self, key: str, lock: str) -> bytes | None:
        """Another worker's bytes at ``key``; ``None`` when this worker took ``lock`` over (or waited
        :data:`WAIT_MAX_S`) and is to build them."""
        deadline = time.monotonic() + WAIT_MAX_S
        looks = 0
        while time.monotonic() < deadline:
            time.sleep(WAIT_STEP_S)
            body = self._raw().get(key)
            if body is not None:
                return body
            looks += 1
            if looks % RELOCK_EVERY == 0 and self.client.set(lock, "1", nx=True, px=LOCK_TTL_MS):
                return self._raw().get(key)  # the lock lapsed: ours now (unless the bytes just came)
        return None

    def builds(self) -> int:
        """How many shared answers were built so far (by every web worker)."""
        return int(self.client.get(self.keys.built_count) or 0)
