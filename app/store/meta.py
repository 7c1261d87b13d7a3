"""The store's bookkeeping (``<p>:meta``): whether it is a demo store, how fresh its picture is, and
Redis's clock. The part ``store.meta``.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from .connection import server_time
from .errors import guarded

if TYPE_CHECKING:
    import redis

    from .keys import Keys


class NotADemoStore(Exception):
    """``mark_demo()`` on a store that an entry not written by the simulator has reached: synthetic
    data must never be mixed with real data, nor real data shown as a demo."""


@guarded
class Meta:
    """Demo mark, freshness times and Redis's clock, under one prefix."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    # -- the demo mark -------------------------------------------------------------------------

    def is_demo(self) -> bool:
        """True when the store is marked as holding synthetic (demo) data only, and no entry that
        the simulator did not write has reached it (meta ``real``)."""
        demo, real = self.client.hmget(self.keys.meta, ["demo", "real"])
        return _is_demo(demo, real)

    def mark_demo(self) -> str:
        """Mark the store as synthetic data (the simulator does this before writing) and return the
        stamp the simulator must write into every entry (field ``SIM_STAMP``).

        The stamp is a secret made once per store and kept in meta ``demo_token``, which producers'
        Redis user cannot read; marking again returns the same one, so entries a stopped simulator
        left unapplied keep counting as its own. The ingest worker ends the demo at the first entry
        without it (``lua.END_DEMO``). Raises :class:`NotADemoStore` once such an entry has
        reached the store (meta ``real``): it can never be marked again.
        """
        meta = self.keys.meta
        if self.real_since() is not None:
            raise NotADemoStore(self._not_a_demo_store())
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hsetnx(meta, "demo_token", secrets.token_urlsafe(32))
            pipe.hset(meta, "demo", "1")
            pipe.hget(meta, "demo_token")
            pipe.hget(meta, "real")
            _new, _set, token, real = pipe.execute()
        if real is not None:  # the worker ended the demo between the two round trips
            raise NotADemoStore(self._not_a_demo_store())
        return str(token)

    def real_since(self) -> int | None:
        """When the first entry not written by the simulator was applied or rejected (ms; meta
        ``real``), or ``None`` when none has been — a store that is, or may still become, a demo."""
        value = self.client.hget(self.keys.meta, "real")
        return int(value) if value is not None else None

    def holds_data(self) -> bool:
        """True when the store holds incidents or units, or any input stream has entries."""
        keys = self.keys
        # a key at a time: shards' slots differ on a cluster
        with self.client.pipeline(transaction=False) as pipe:
            for key in [*(k for shard in keys.each_shard for k in (shard.incident_index, shard.unit_index)),
                        *keys.input_streams()]:
                pipe.exists(key)
            return any(pipe.execute())

    def _not_a_demo_store(self) -> str:
        return (f"{self.keys.prefix}:* on this Redis has received entries not written by the simulator, "
                "so it can never be a demo store. Use another BASIRA_STREAM_PREFIX or another Redis.")

    # -- freshness -----------------------------------------------------------------------------

    def freshness(self) -> dict[str, int | None]:
        """``as_of`` (newest event time), ``applied_at`` (last commit) and ``caught_up_at`` (the last
        moment an ingest worker had read everything there was), epoch ms or ``None``, in one read.

        The picture is live while ``caught_up_at`` is recent: a quiet hour with no events is still
        live, but a dead or overwhelmed worker stops advancing it.
        """
        return self.glance()[0]

    def glance(self) -> tuple[dict[str, int | None], bool]:
        """:meth:`freshness` and :meth:`is_demo` in one read: what a live page's refresh asks of the
        store every second, for every viewer (one round trip fewer each: issue 17)."""
        names = ("as_of", "applied_at", "caught_up_at")
        *values, demo, real = self.client.hmget(self.keys.meta, [*names, "demo", "real"])
        times = {name: int(v) if v else None for name, v in zip(names, values, strict=True)}
        return times, _is_demo(demo, real)

    def as_of(self) -> int | None:
        """Event time (epoch ms) of the newest event applied, or ``None`` for an empty store."""
        value = self.client.hget(self.keys.meta, "as_of")
        return int(value) if value else None

    def applied_at(self) -> int | None:
        """Wall-clock time (epoch ms) of the last batch an ingest worker applied."""
        value = self.client.hget(self.keys.meta, "applied_at")
        return int(value) if value else None

    def progress_at(self) -> int | None:
        """Redis's time (ms) of the last commit or heartbeat of any ingest worker (meta ``progress_at``)."""
        value = self.client.hget(self.keys.meta, "progress_at")
        return int(value) if value else None

    # -- Redis's clock -------------------------------------------------------------------------

    def clock_ms(self) -> int:
        """Redis's clock, in ms: the clock the change sets and ``progress_at`` are scored by."""
        seconds, micros = server_time(self.client, self.keys.meta)
        return seconds * 1000 + micros // 1000


def _is_demo(demo: str | None, real: str | None) -> bool:
    """Meta's ``demo`` and ``real``: marked as the simulator's, and no other producer's entry since."""
    return demo == "1" and real is None
