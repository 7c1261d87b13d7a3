"""Built once, served to all: answers that every client of a scope shares, kept in Redis as bytes.
The part ``store.built``.

The live feed's answers (:mod:`app.feed`) and the command view's per-scope summary
(:mod:`app.pages.live`) are the same for every browser looking at the same scope at the same tick.
:meth:`Built.built_once` names such an answer; the first web worker to ask takes a short ``SET NX``
lock and builds it, the others wait for its bytes, so the work per tick does not grow with the number
of clients. The bytes live a few seconds; the lock is never released, only left to expire, so a late
worker that finds it taken finds the bytes too.

An answer rebuilt every tick (the command view's summary) may also be built *behind* its askers: the
worker that takes the lock of a tick not yet built answers with an earlier tick's bytes, when still
kept, and builds the new ones in a thread of its own. Then no request waits for a build at all — a
lone viewer's refresh used to wait for every tick's build (at 10,000 incidents ~0.3 s of CPU on a slow
core), though the build is the same whoever triggers it.

A long build (a scope's summary at 100,000 incidents reads and drops every incident's text; the live
feed's whole picture joins them all) leaves glibc's heap holding what it freed: the next build reuses
it, but the worker's resident memory stays at the peak. After a build that took
:data:`GIVE_BACK_MS` or more, the worker hands the free pages back to the system (``malloc_trim``):
at 100,000 incidents one summary's incident rows left ~45 MB resident that ``malloc_trim`` returned.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import redis
from redis.cluster import RedisCluster

from .connection import server_time
from .errors import guarded

if TYPE_CHECKING:
    from .keys import Keys

log = logging.getLogger(__name__)

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
#: A worker holds the bytes of a name it read or built this long (s) at most, and this many bytes of
#: them in all, none larger than the last (a whole picture at 100,000 incidents, ~2.5 MB, is rare: it
#: is read from Redis each time).
HELD_S = 3.0
HELD_BYTES = 8 << 20
HELD_LARGEST = 1 << 20
#: A build this long (ms) or longer has allocated enough that its freed memory is handed back (see the
#: module); a short one is not worth the heap walk.
GIVE_BACK_MS = 100


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or ``None`` elsewhere (musl, macOS): then nothing is handed back."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def give_back() -> bool:
    """Hand the free pages of the C heap back to the system; ``False`` when this libc cannot."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


class Held:
    """The bytes of built names this worker read or built lately: at most :data:`HELD_S` each (or the
    name's time to live in Redis, if shorter) and :data:`HELD_BYTES` in all, the oldest dropped first.

    Safe only for what never changes under one name — :meth:`Built.built_once`'s answers, not the
    ``latest`` of a family, which each build writes again."""

    def __init__(self, seconds: float = HELD_S, most: int = HELD_BYTES, largest: int = HELD_LARGEST,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.most, self.largest, self.clock = seconds, most, largest, clock
        self._held: dict[str, tuple[float, bytes]] = {}  # in the order put
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        entry = self._held.get(key)
        return entry[1] if entry is not None and entry[0] > self.clock() else None

    def put(self, key: str, body: bytes, ttl_ms: int) -> None:
        if len(body) > self.largest:
            return
        now = self.clock()
        with self._lock:
            old = self._held.pop(key, None)
            if old is not None:
                self._size -= len(old[1])
            self._held[key] = (now + min(self.seconds, ttl_ms / 1000), body)
            self._size += len(body)
            for name in list(self._held):  # the oldest first: drop what lapsed, then what is too much
                until, held = self._held[name]
                if until > now and self._size <= self.most:
                    break
                del self._held[name]
                self._size -= len(held)

    def clear(self) -> None:
        """Hold nothing (as a worker that has read nothing yet)."""
        with self._lock:
            self._held.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._held)


@guarded
class Built:
    """Answers built once and shared. ``raw`` gives the client on the same server that answers in
    ``bytes`` (:func:`.connection.bytes_client`, made on first use)."""

    def __init__(self, client: redis.Redis, keys: Keys, raw: Callable[[], redis.Redis]) -> None:
        self.client = client
        self.keys = keys
        self._raw = raw
        self.held = Held()

    def tick(self, family: str, base_ms: int, share: float) -> tuple[int, int]:
        """``(tick, period_ms)`` by Redis's clock for answers of ``family`` (e.g. ``command``) that
        are rebuilt every ``base_ms`` — or less often when building one costs more than ``share`` of
        that, so that a large scope (100,000 incidents) cannot keep the web workers busy rebuilding
        it. The cost is the last build's, recorded by :meth:`built_once`."""
        cost_key = self.keys.built_cost(family)
        if isinstance(self.client, RedisCluster):  # TIME cannot be pipelined there: two round trips
            (seconds, micros), cost = server_time(self.client, cost_key), self.client.get(cost_key)
        else:
            with self.client.pipeline(transaction=False) as pipe:
                pipe.time()
                pipe.get(cost_key)
                (seconds, micros), cost = pipe.execute()
        period = max(base_ms, math.ceil(int(cost or 0) / share / base_ms) * base_ms)
        return (int(seconds) * 1000 + int(micros) // 1000) // period, period

    def built_once(
        self, name: str, build: Callable[[], bytes], ttl_ms: int, family: str | None = None,
        previous: str | Sequence[str] = (), behind: bool = False, latest: tuple[str, int] | None = None,
    ) -> bytes:
        """The bytes named ``name``: from Redis when built already, else built here — once.

        The first worker to ask takes the lock and builds; the others poll for its bytes for as long
        as a build takes — one of them takes the lock over and builds only when it has lapsed with no
        bytes (the builder died, or its build outlasted :data:`LOCK_TTL_MS`), so a slow build is still
        done once, not once per waiting request. With a ``family``, the build's cost (ms) is recorded
        for :meth:`tick`. With ``previous`` names (the same answer at earlier ticks, newest first), a
        request that finds the build under way gets the newest of those still kept, at once, instead
        of waiting for the new bytes: only the builder waits for its build. With ``behind``, the
        builder does not wait either: when an earlier answer is kept it gets that one and the build
        runs in a thread (see the module); with none kept it builds before answering, as without.
        ``latest``: ``(name, ttl_ms)`` under which each build also keeps its bytes, as the newest of
        its family — a ``previous`` that outlives a change of the family's period (:meth:`tick`).

        ``name``'s bytes, once this worker has read or built them, are answered from :attr:`held`
        for a few seconds (see the module); an earlier tick's never are held under ``name``.
        """
        key = self.keys.built(name)
        body = self.held.get(key)
        if body is not None:
            return body
        body, own = self._read_or_build(key, name, build, ttl_ms, family, previous, behind, latest)
        if own:
            self.held.put(key, body, ttl_ms)
        return body

    def _read_or_build(
        self, key: str, name: str, build: Callable[[], bytes], ttl_ms: int, family: str | None,
        previous: str | Sequence[str], behind: bool, latest: tuple[str, int] | None,
    ) -> tuple[bytes, bool]:
        """:meth:`built_once`'s bytes from Redis or built, and whether they are ``name``'s own (not an
        earlier tick's, answered while its build runs)."""
        earlier = [previous] if isinstance(previous, str) else list(previous)
        body = self._raw().get(key)
        if body is not None:
            return body, True
        lock = self.keys.built_lock(name)
        if not self.client.set(lock, "1", nx=True, px=LOCK_TTL_MS):
            if earlier and (body := self._newest(earlier)) is not None:
                return body, False
            body = self._wait_for(key, lock)
        else:
            body = self._raw().get(key)  # built between our first look and the lock?
            if body is None and behind and earlier and (kept := self._newest(earlier)) is not None:
                threading.Thread(target=self._build_behind, args=(name, build, ttl_ms, family, latest),
                                 name=f"built {name}", daemon=True).start()
                return kept, False
        if body is not None:
            return body, True
        return self._build_and_keep(name, build, ttl_ms, family, latest), True

    def kept(self, names: Sequence[str]) -> list[bytes | None]:
        """The bytes of each of ``names`` that are built already, ``None`` for the rest — one round trip
        (an answer joining eight ticks' parts looked each up in turn: eight)."""
        return self._raw().mget([self.keys.built(n) for n in names]) if names else []

    def _newest(self, names: list[str]) -> bytes | None:
        """The first of ``names`` whose bytes are still kept (one round trip)."""
        return next((body for body in self.kept(names) if body is not None), None)

    def _build_and_keep(
        self, name: str, build: Callable[[], bytes], ttl_ms: int, family: str | None,
        latest: tuple[str, int] | None,
    ) -> bytes:
        started = time.perf_counter()
        body = build()
        cost_ms = int((time.perf_counter() - started) * 1000)
        with self._raw().pipeline(transaction=True) as pipe:
            pipe.set(self.keys.built(name), body, px=ttl_ms)
            pipe.incr(self.keys.built_count)
            if latest is not None:
                pipe.set(self.keys.built(latest[0]), body, px=latest[1])
            if family is not None:
                pipe.set(self.keys.built_cost(family), cost_ms, ex=COST_TTL_S)
            pipe.execute()
        if cost_ms >= GIVE_BACK_MS:
            give_back()
        return body

    def _build_behind(
        self, name: str, build: Callable[[], bytes], ttl_ms: int, family: str | None,
        latest: tuple[str, int] | None,
    ) -> None:
        """A build in its own thread: nobody waits for it, so a failure is only said in the log (the
        lock lapses, and a later request builds again)."""
        try:
            self._build_and_keep(name, build, ttl_ms, family, latest)
        except Exception as error:  # noqa: BLE001 — a thread of its own: nothing above it would say it
            log.warning("building %s behind its askers failed: %r", name, error)

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
