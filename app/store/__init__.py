"""Lives here: the store, the only code that talks to Redis — ``Store`` and its parts, one per concern.
May import: ``redis``, and below it only settings, contract, geo, reference and the ports' pure core.

``Store`` composes the parts and keeps only a small facade (``ping``, ``from_settings``, the ports
table): ``store.streams`` (:mod:`.streams`: consumer groups, reading, reclaiming, trimming, lag,
counters), ``store.apply`` (:mod:`.apply`: applying validated batches atomically), ``store.live``
(:mod:`.reads`: the live picture of a scope, with :mod:`.incident_rows`), ``store.layers``
(:mod:`.layer_reads`: what the map layers read, :class:`layers.reads.Reads`), ``store.feed``
(:mod:`.feed_reads`), ``store.built`` (:mod:`.built`: answers built once and shared), ``store.history``
(:mod:`.history`: closed incidents, the heatmap's mirror, expiry), ``store.port_history``
(:mod:`.port_history`), ``store.rejected`` (:mod:`.rejected`), ``store.audit`` (:mod:`.audit`),
``store.sessions`` (:mod:`.sessions`: sessions, sign-in limits, TOTP steps), ``store.alerts``
(:mod:`.alerts`: raised, acted on, read), ``store.ingress`` (:mod:`.ingress`: producers' rate windows),
``store.capin`` (:mod:`.capin`: official alerts taken in as CAP, until they expire) and ``store.meta``
(:mod:`.meta`: demo mark, freshness, Redis's clock). Parts never reach into each other; one that needs
another is handed it. Every part raises :class:`StoreUnavailable` (or :class:`StoreRefused`) instead of
redis's errors (:mod:`.errors`). Server-side scripts are in :mod:`.lua`; ``docs/architecture.md``
draws the key layout.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import redis

from ..geo import Port
from ..reference import Reference
from .alerts import Alerts
from .apply import Apply, Batch, CommitRefused
from .audit import AuditLog
from .built import Built
from .capin import OfficialAlerts
from .connection import bytes_client, connect, connect_settings, use_credentials
from .errors import StoreRefused, StoreUnavailable, is_systemic
from .feed_reads import FeedReads
from .history import History
from .ingress import IngressLimits
from .keys import Keys
from .layer_reads import LayerReads
from .meta import Meta, NotADemoStore
from .port_history import PortHistory
from .reads import Live
from .rejected import RejectedEntries
from .replication import Replication
from .sessions import AuthStore
from .streams import Streams

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = [
    "Batch", "CommitRefused", "Keys", "NotADemoStore", "Store", "StoreRefused", "StoreUnavailable",
    "connect", "is_systemic", "use_credentials",
]


class Store:
    """Basira's state in one Redis under one key prefix: the parts, composed (see the module's docstring).

    The facade is kept small on purpose: :meth:`ping` (readiness asks it, and it must never raise),
    :meth:`from_settings`, ``ports``, the ports table (reference data several parts and the port
    pages share), ``reference``, the :class:`~app.reference.Reference` it comes from (by default
    the bundled files), and ``coverage``, the regions connected now (``covered``: their codes, ``None``
    for all; checked against the reference's regions, :class:`~app.reference.CoverageError` otherwise):
    ``store.apply`` counts the entries of the others apart, ``store.live`` leaves them out of national
    KPIs. ``client`` and ``keys`` are the parts' own, for tests and the simulator (a producer).
    """

    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "sa",
        *,
        reference: Reference | None = None,
        trail_points: int = 10,
        history_hours: float = 24.0,
        history_max: int = 500_000,
        port_history_days: int = 9,
        rejected_maxlen: int = 100_000,
        audit_max_entries: int = 100_000,
        covered: frozenset[str] | None = None,
        wait_replicas: int = 0,
        wait_ms: int = 200,
        shards: int = 1,
    ) -> None:
        self.client = client
        self.keys = keys = Keys(prefix, shards)
        self.reference = reference or Reference.bundled()
        self.ports: dict[str, Port] = self.reference.ports
        self.coverage = self.reference.coverage(covered)
        port_ttl_s = port_history_days * 86_400
        raw = functools.cache(lambda: bytes_client(client))  # made on first use: answers in bytes
        self.meta = Meta(client, keys)
        # One writer of its own for the ingest commits, one for what ingress takes in (:mod:`.replication`).
        self.streams = Streams(client, keys, self.meta,
                               Replication(client, wait_replicas, wait_ms, (keys.meta,)))
        self.apply = Apply(
            client,
            self.keys,
            trail_points=trail_points,
            trail_ttl_ms=int(history_hours * 3_600_000),
            duration_ttl_s=8 * 86_400,
            port_ttl_s=port_ttl_s,
            rejected_maxlen=rejected_maxlen,
            uncovered=frozenset(self.coverage.uncovered),
            replication=Replication(client, wait_replicas, wait_ms,
                                    (keys.meta, *(shard.meta for shard in keys.each_shard))),
        )
        self.live = Live(client, keys, self.ports, self.coverage)
        self.history = History(client, keys, int(history_hours * 3_600_000), history_max)
        self.capin = OfficialAlerts(client, keys)
        self.layers = LayerReads(
            client, keys, live=self.live, history=self.history, ports=self.ports, reference=self.reference,
            official=self.capin,
        )
        self.feed = FeedReads(client, keys, raw)
        self.built = Built(client, keys, raw)
        self.port_history = PortHistory(client, keys, self.ports, port_ttl_s)
        self.rejected = RejectedEntries(client, keys)
        self.audit = AuditLog(client, keys, audit_max_entries)
        self.sessions = AuthStore(client, keys)
        self.alerts = Alerts(client, keys)
        self.ingress = IngressLimits(client, keys)

    @classmethod
    def from_settings(cls, settings: Settings, client: redis.Redis | None = None) -> Store:
        """A store configured by ``settings``; a Redis must be named by then (``REDIS_URL`` or
        ``REDIS_SENTINELS``: :func:`.connection.connect_settings`)."""
        if client is None:
            client = connect_settings(settings)
        return cls(
            client,
            settings.stream_prefix,
            # the operator's own files: ports, and the boundaries and population the layers figure by
            reference=Reference.from_settings(settings),
            trail_points=settings.trail_points,
            history_hours=settings.history_hours,
            history_max=settings.history_max,
            port_history_days=settings.port_history_days,
            audit_max_entries=settings.audit_max_entries,
            covered=settings.covered,
            wait_replicas=settings.redis_wait_replicas,
            wait_ms=settings.redis_wait_ms,
            shards=settings.store_shards,
        )

    def ping(self) -> bool:
        """True when Redis answers; never raises."""
        try:
            return bool(self.client.ping())
        except (redis.RedisError, OSError):
            return False
