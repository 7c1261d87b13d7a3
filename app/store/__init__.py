"""The store: the only code in Basira that talks to Redis.

``Store`` is one object with three faces, each in its own module: :mod:`.streams` (consumer groups,
reading, reclaiming, trimming), :mod:`.apply` (applying validated batches atomically, the part
``store.apply``) and
:mod:`.reads` (the live picture of a scope), with :mod:`.layer_reads` and :mod:`.feed_reads` for
the map's layers and the live feed, and :mod:`.built` for answers built once and shared. Key names
are in :mod:`.keys`, server-side scripts in :mod:`.lua`. ``docs/architecture.md`` draws the key
layout.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

import redis

from ..geo import Port, load_ports
from .apply import Apply, Batch, CommitRefused
from .built import Built
from .feed_reads import FeedReads
from .incident_rows import IncidentRows
from .keys import Keys
from .layer_reads import LayerReads
from .port_history import PortHistory
from .reads import StateReads
from .streams import StreamOps

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["Batch", "CommitRefused", "Keys", "NotADemoStore", "Store", "connect"]


def connect(url: str, **options: object) -> redis.Redis:
    """A client for ``url`` (``redis://``, ``rediss://`` or ``unix://``), answering in ``str``.

    redis-py uses hiredis to parse replies when it is installed, which makes stream reads several
    times faster; it is a dependency for that reason.
    """
    options.setdefault("socket_timeout", 10)
    options.setdefault("socket_connect_timeout", 5)
    options.setdefault("health_check_interval", 30)
    # Producers write bytes: one that is not UTF-8 must not kill the reader. It comes back as a lone
    # surrogate (at no cost; hiredis honours this), the contract rejects it, and
    # ``text.encode("utf-8", "surrogateescape")`` gives the original bytes back.
    options.setdefault("encoding_errors", "surrogateescape")
    return redis.Redis.from_url(url, decode_responses=True, **options)


def use_credentials(client: redis.Redis, username: str | None, password: str | None) -> None:
    """Sign ``client`` in as ``username`` with ``password`` (its Redis ACL user), in place of any the
    URL names: each process runs as its own user (``deploy/users.acl``), whatever the shared URL says.

    ``None`` leaves the URL's own value (or none). Takes effect for every connection the client
    opens from now on; call it before the first command.
    """
    kwargs = client.connection_pool.connection_kwargs
    if username is not None:
        kwargs["username"] = username
    if password is not None:
        kwargs["password"] = password


class NotADemoStore(Exception):
    """``mark_demo()`` on a store that an entry not written by the simulator has reached: synthetic
    data must never be mixed with real data, nor real data shown as a demo."""


class Store(StreamOps, StateReads, IncidentRows, LayerReads, FeedReads, Built, PortHistory):
    """Basira's state in one Redis under one key prefix."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "sa",
        *,
        ports_file: Path | None = None,
        trail_points: int = 10,
        history_hours: float = 24.0,
        history_max: int = 500_000,
        port_history_days: int = 9,
        rejected_maxlen: int = 100_000,
    ) -> None:
        from ..settings import DATA_DIR  # settings' constant only; no environment is read

        self.client = client
        self.keys = Keys(prefix)
        self.ports: dict[str, Port] = load_ports(ports_file or DATA_DIR / "ksa_ports.csv")
        self.history_ms = int(history_hours * 3_600_000)
        self.history_max = history_max
        self.port_ttl_s = port_history_days * 86_400
        self.apply = Apply(
            client,
            self.keys,
            trail_points=trail_points,
            trail_ttl_ms=int(history_hours * 3_600_000),
            duration_ttl_s=8 * 86_400,
            port_ttl_s=self.port_ttl_s,
            rejected_maxlen=rejected_maxlen,
        )

    @classmethod
    def from_settings(cls, settings: Settings, client: redis.Redis | None = None) -> Store:
        """A store configured by ``settings``; ``settings.redis_url`` must be set by then."""
        if client is None:
            if not settings.redis_url:
                raise ValueError("no Redis configured: set REDIS_URL, or use `python -m app demo`")
            client = connect(settings.redis_url)
            password = settings.redis_password.get_secret_value() if settings.redis_password else None
            use_credentials(client, settings.redis_username, password)
        store = cls(
            client,
            settings.stream_prefix,
            ports_file=settings.ports_file,
            trail_points=settings.trail_points,
            history_hours=settings.history_hours,
            history_max=settings.history_max,
            port_history_days=settings.port_history_days,
        )
        # The operator's own boundary and population files, for the layers' region figures.
        store.regions_file = settings.regions_file
        store.cities_file = settings.cities_file
        return store

    def ping(self) -> bool:
        """True when Redis answers; never raises."""
        try:
            return bool(self.client.ping())
        except (redis.RedisError, OSError):
            return False

    def is_demo(self) -> bool:
        """True when the store is marked as holding synthetic (demo) data only, and no entry that
        the simulator did not write has reached it (meta ``real``)."""
        demo, real = self.client.hmget(self.keys.meta, ["demo", "real"])
        return demo == "1" and real is None

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
        pipe = self.client.pipeline(transaction=True)
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

    def _not_a_demo_store(self) -> str:
        return (f"{self.keys.prefix}:* on this Redis has received entries not written by the simulator, "
                "so it can never be a demo store. Use another BASIRA_STREAM_PREFIX or another Redis.")

    def mark_caught_up(self, now_ms: int) -> None:
        """Record that an ingest worker has just read everything there was (its heartbeat), and that
        it is making progress (``progress_at``, by Redis's clock, which readiness compares)."""
        self.apply.mark_caught_up(now_ms)

    def expire_history(self, now_ms: int | None = None) -> int:
        """Forget closed incidents older than the history window, and any beyond the cap.

        Runs now and then from the ingest worker; returns how many incidents were forgotten.
        """
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        cutoff = now_ms - self.history_ms
        old = self.client.zrangebyscore(self.keys.incident_closed, "-inf", f"({cutoff}")
        excess = self.client.zcard(self.keys.incident_closed) - len(old) - self.history_max
        if excess > 0:
            old += self.client.zrange(self.keys.incident_closed, len(old), len(old) + excess - 1)
        forgotten = 0
        for start in range(0, len(old), 1000):
            chunk = old[start : start + 1000]
            where = self.client.hmget(self.keys.incident_index, chunk)
            pipe = self.client.pipeline(transaction=True)
            for incident_id, value in zip(chunk, where, strict=True):
                if value:
                    _ts, region, agency, status, *_ = value.split("|")
                    if status != "closed":  # reopened meanwhile: not ours to forget
                        continue
                    pipe.zrem(self.keys.incident_history(region, agency), incident_id)
                    pipe.hdel(self.keys.incident_history_features(region, agency), incident_id)
                    pipe.hdel(self.keys.incident_index, incident_id)
                pipe.zrem(self.keys.incident_closed, incident_id)
                forgotten += 1
            pipe.execute()
        return forgotten


