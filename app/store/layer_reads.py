"""What the map layers read (:class:`layers.reads.Reads`), in one part: ``store.layers``.

The live picture (``incidents``, ``units``, ``incident_rows``, ``port_summary``, ``kpis``) comes from the
live part (:mod:`.reads`) and the heatmap's ``closed_chunks`` from the history part (:mod:`.history`),
both handed over at construction; beyond them, batched into pipelines and cached where they can be:

* :meth:`LayerReads.port_series` — one port's hourly arrivals and departures by traveller category
  over the last 24 hours and the same hours a week earlier (the port panel).
* :meth:`LayerReads.calls_by_region` — the 911 call counters of the last hour, region by region, in
  one pipeline (the calls layer).
* :meth:`LayerReads.unit_trails` — recent positions of many units, read only for the units that have
  reported since their trail was last read (the units layer).
* :meth:`LayerReads.official_alerts` — the official alerts (CAP in, :mod:`.capin`) in force now (the
  official alerts layer).
* :meth:`LayerReads.for_refresh` — these reads for one page refresh: each scope's incidents, rows and
  units read once, and the KPIs counted from them (what the command, wall and kiosk views read
  through).
* :meth:`LayerReads.cached` — a short-lived memo for aggregates derived from these reads (the
  heatmap's hexagons), shared by every browser that asks for the same scope, kept for as long as
  the computation says (longer for costlier ones).

The caches live on this part (one per store, so one per application), are bounded, and never outlive what
they mirror: entries are checked against, or keyed by, the version of the data they were read from
(a cell's history, a unit's last report).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from ..contract import Direction, Scope, TravellerCategory
from .errors import guarded
from .keys import DAY_MS, HOUR_MS

if TYPE_CHECKING:
    import redis

    from ..geo import Port
    from ..reference import Reference
    from .capin import OfficialAlerts
    from .history import History
    from .history_points import Chunk
    from .incident_rows import IncidentRows
    from .keys import Keys
    from .reads import Live

T = TypeVar("T")

#: Hours in a port series, and how far back its comparison lies.
SERIES_HOURS = 24
WEEK_HOURS = 7 * 24
#: Units whose trail is kept in memory, at most (a fleet is a few thousand units; beyond this, units
#: have left it, and the cache starts afresh with the units asked for). A trail is ``trail_points``
#: ``[lon, lat, ts]`` lists, ~170 bytes a point: at the default 10 points ~1.7 KB a unit, ~9 MB for the
#: soak's fleet of 5,000 and ~35 MB at this cap (one call asking for more units keeps them all).
TRAIL_CACHE_MAX = 20_000
#: Memoised aggregates kept at most (the soonest to expire go first beyond it). Keys are a layer and a
#: scope — 14 regions (and the nation) by 6 agencies (and all) is ~100 — and values live seconds
#: (the heatmap's: at most ``layers.heatmap.MAX_AGE_S``), so this is a guard against a caller keying
#: by something unbounded, not a limit met in use.
MEMO_MAX = 256


@dataclass
class _Caches:
    """What :class:`LayerReads` keeps between refreshes."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    #: unit id → (ts of the unit's last report, trail); at most :data:`TRAIL_CACHE_MAX` units beyond
    #: those of the current call
    trails: dict[str, tuple[int, list[list[float]]]] = field(default_factory=dict)
    #: memo key → (expires at, monotonic s; value); only unexpired ones after each computation, and at
    #: most :data:`MEMO_MAX`
    memo: dict[Any, tuple[float, Any]] = field(default_factory=dict)


@guarded
class LayerReads:
    """The reads of the map layers (see the module's docstring): :class:`layers.reads.Reads`.

    ``reference`` is the reference data (:class:`app.reference.Reference`, the settings' files) whose
    regions and populated places the layers label and weigh regions by."""

    def __init__(
        self, client: redis.Redis, keys: Keys, *, live: Live, history: History, ports: dict[str, Port],
        reference: Reference, official: OfficialAlerts,
    ) -> None:
        self.client = client
        self.keys = keys
        self.live = live
        self.history = history
        self.ports = ports
        self.reference = reference
        self.official = official
        self._caches = _Caches()
        #: (what, scope token) → list, in a view for one refresh (:meth:`for_refresh`); ``None`` here
        self._lists: dict[tuple[str, str], list[Any]] | None = None
        #: the instant a view for one refresh is of (:meth:`for_refresh`); ``None``: now, at each read
        self._at: int | None = None

    def _layer_caches(self) -> _Caches:
        return self._caches

    def for_refresh(self, now_ms: int | None = None) -> LayerReads:
        """These reads for one refresh (a page's tick): each scope's ``incidents``, ``incident_rows`` and
        ``units`` are read once, so layers and the KPI strip asking for the same lists cost one round of
        reads; and, given the refresh's instant ``now_ms`` (the page's clock), every figure of "the last
        hour" and every "recent" is counted at that one instant (:meth:`now_ms`), so the layers and the
        KPI strip of a refresh agree even across the top of an hour. Everything else (trails, the memo)
        is shared with this part."""
        view = copy.copy(self)
        view._lists = {}
        view._at = now_ms
        return view

    def now_ms(self) -> int:
        """The instant these reads are of (epoch ms): the refresh's (:meth:`for_refresh`), else now."""
        return int(time.time() * 1000) if self._at is None else self._at

    # -- the live picture (the live part's reads; read once per refresh by :meth:`for_refresh`) --

    def _once(self, what: str, scope: Scope, read: Callable[[Scope], list[Any]]) -> list[Any]:
        if self._lists is None:  # the part itself: always read afresh
            return read(scope)
        key = (what, scope.token)
        if key not in self._lists:
            self._lists[key] = read(scope)
        return self._lists[key]

    def incidents(self, scope: Scope) -> list[dict[str, Any]]:
        """The open incidents of ``scope`` as GeoJSON Features (:meth:`.reads.Live.incidents`);
        only what draws whole incidents uses them."""
        return self._once("incidents", scope, self.live.incidents)

    def incident_rows(self, scope: Scope) -> IncidentRows:
        """The open incidents of ``scope`` as columns (:meth:`.reads.Live.incident_rows`): the counts,
        the heatmap and the incident list."""
        return self._once("rows", scope, self.live.incident_rows)

    def units(self, scope: Scope) -> list[dict[str, Any]]:
        """The units of ``scope`` as GeoJSON Features (:meth:`.reads.Live.units`)."""
        return self._once("units", scope, self.live.units)

    def port_summary(self, now_ms: int | None = None) -> list[dict[str, Any]]:
        """Every port's last hour and queue wait (:meth:`.reads.Live.port_summary`) at ``now_ms``
        (default: :meth:`now_ms`)."""
        return self.live.port_summary(self.now_ms() if now_ms is None else now_ms)

    def kpis(self, scope: Scope, now_ms: int | None = None) -> dict[str, Any]:
        """The headline figures of ``scope`` (:meth:`.reads.Live.kpis`) at ``now_ms`` (default:
        :meth:`now_ms`), counted from the rows and units read through these reads."""
        return self.live.kpis(scope, self.now_ms() if now_ms is None else now_ms,
                              rows=self.incident_rows(scope), units=self.units(scope))

    def closed_chunks(self, scope: Scope, since_ms: int) -> list[Chunk]:
        """The heatmap's mirror of the history of ``scope`` (:meth:`.history.History.closed_chunks`)."""
        return self.history.closed_chunks(scope, since_ms)

    # -- a short-lived memo ------------------------------------------------------------------

    def cached(self, key: Any, compute: Callable[[], tuple[T, float]]) -> T:
        """The value of ``compute()``, reused by later calls with the same ``key`` for as long as
        ``compute`` said (it returns ``(value, seconds to keep it)``).

        Computations are serialised, so browsers asking at the same moment wait for one result
        instead of each computing it. Exceptions propagate; nothing is cached for them. Bounded: what
        has expired is dropped at each computation, and at most :data:`MEMO_MAX` values are kept.
        """
        caches = self._layer_caches()
        with caches.lock:
            now = time.monotonic()
            hit = caches.memo.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
            value, keep_s = compute()
            caches.memo = {k: v for k, v in caches.memo.items() if v[0] > now}
            if keep_s > 0:
                caches.memo[key] = (time.monotonic() + keep_s, value)
            if len(caches.memo) > MEMO_MAX:
                kept = sorted(caches.memo.items(), key=lambda kv: kv[1][0])[-MEMO_MAX:]
                caches.memo = dict(kept)
            return value

    def held(self) -> dict[str, int]:
        """How many entries the caches of this part hold now (``trails``: units, ``memo``: values) —
        what their bounds, :data:`TRAIL_CACHE_MAX` and :data:`MEMO_MAX`, hold."""
        caches = self._layer_caches()
        with caches.lock:
            return {"trails": len(caches.trails), "memo": len(caches.memo)}

    def forget_memo(self) -> None:
        """Drop every memoised value (a benchmark's cold run)."""
        with self._caches.lock:
            self._caches.memo = {}

    # -- ports ----------------------------------------------------------------------------------

    def port_series(self, port_id: str, now_ms: int | None = None) -> dict[str, Any]:
        """Hourly travellers through one port: the last 24 clock hours and the same hours a week earlier.

        Returns ``hours`` (epoch hours, oldest first, the current one last), ``now`` and
        ``week_ago`` as ``{direction: {category: [count per hour]}}``, and the latest queue wait
        (``wait_min``, ``wait_ts``). Raises ``KeyError`` for a port not in the ports table.
        """
        if port_id not in self.ports:
            raise KeyError(port_id)
        now_ms = self.now_ms() if now_ms is None else now_ms
        last = now_ms // HOUR_MS
        hours = list(range(last - SERIES_HOURS + 1, last + 1))
        spans = {"now": hours, "week_ago": [h - WEEK_HOURS for h in hours]}
        names = [(d.value, c.value) for d in Direction for c in TravellerCategory]
        # One HMGET per day key: the 24 hours of a span straddle at most two epoch days.
        by_day: dict[int, list[str]] = {}
        for span in spans.values():
            for h in span:
                by_day.setdefault(h * HOUR_MS // DAY_MS, []).extend(f"{h}:{d}:{c}" for d, c in names)
        with self.client.pipeline(transaction=False) as pipe:
            for day, fields in by_day.items():
                pipe.hmget(self.keys.port_day(port_id, day), fields)
            pipe.hget(self.keys.port_wait, port_id)
            replies = pipe.execute()
        wait = replies.pop()
        counts: dict[str, int] = {}
        for fields, values in zip(by_day.values(), replies, strict=True):
            counts.update((f, int(v)) for f, v in zip(fields, values, strict=True) if v is not None)
        series: dict[str, Any] = {"hours": hours}
        for name, span in spans.items():
            series[name] = {
                d.value: {c.value: [counts.get(f"{h}:{d.value}:{c.value}", 0) for h in span]
                          for c in TravellerCategory}
                for d in Direction
            }
        ts, _, minutes = wait.partition("|") if wait else ("", "", "")
        series["wait_min"] = float(minutes) if minutes else None
        series["wait_ts"] = int(ts) if ts else None
        return series

    # -- 911 calls ---------------------------------------------------------------------------------

    def calls_by_region(
        self, regions: Iterable[str], now_ms: int | None = None
    ) -> dict[str, dict[str, float]]:
        """The call counters of the last hour for each region, in one pipeline.

        Same window as :meth:`~app.store.reads.StateReads.calls` (the current clock hour, plus the
        previous one pro rata) at ``now_ms`` (default: :meth:`now_ms`); regions without calls are left out.
        """
        now_ms = self.now_ms() if now_ms is None else now_ms
        hour = now_ms // HOUR_MS
        regions = list(regions)
        with self.client.pipeline(transaction=False) as pipe:
            for region in regions:
                pipe.hgetall(self.keys.calls_hour(region, hour))
                pipe.hgetall(self.keys.calls_hour(region, hour - 1))
            replies = pipe.execute()
        previous_weight = 1.0 - (now_ms % HOUR_MS) / HOUR_MS
        out: dict[str, dict[str, float]] = {}
        for n, region in enumerate(regions):
            totals: dict[str, float] = {}
            for reply, weight in ((replies[2 * n], 1.0), (replies[2 * n + 1], previous_weight)):
                for name, value in reply.items():
                    totals[name] = totals.get(name, 0.0) + int(value) * weight
            if totals.get("total"):
                out[region] = totals
        return out

    # -- unit trails -------------------------------------------------------------------------------

    def unit_trails(self, units: Iterable[Mapping[str, Any]]) -> dict[str, list[list[float]]]:
        """Recent positions (``[lon, lat, ts]``, oldest first) of each unit Feature in ``units``.

        A unit's trail changes only when it reports, so a trail is read again only when the unit's
        ``ts`` differs from the one it was read at: after the first refresh, a pipelined ``LRANGE``
        per unit that moved, not per unit (2,000 units reporting every 10 s: ~200 per second).
        """
        caches = self._layer_caches()
        known = caches.trails
        wanted: dict[str, int] = {}
        for feature in units:
            unit_id, ts = feature.get("id"), (feature.get("properties") or {}).get("ts")
            if isinstance(unit_id, str) and isinstance(ts, int):
                wanted[unit_id] = ts
        stale = [u for u, ts in wanted.items() if (hit := known.get(u)) is None or hit[0] != ts]
        if stale:
            with self.client.pipeline(transaction=False) as pipe:
                for unit_id in stale:
                    pipe.lrange(self.keys.shard_of(unit_id).unit_trail(unit_id), 0, -1)
                for unit_id, points in zip(stale, pipe.execute(), strict=True):
                    known[unit_id] = (wanted[unit_id], [orjson.loads(p) for p in reversed(points)])
        if len(known) > TRAIL_CACHE_MAX:  # units that have left the fleet: start afresh
            caches.trails = {u: known[u] for u in wanted if u in known}
        return {u: known[u][1] for u in wanted if u in known}

    def official_alerts(self, now_ms: int | None = None) -> list[dict[str, Any]]:
        """The official alerts (CAP in) in force at ``now_ms`` (default: :meth:`now_ms`), from
        :meth:`.capin.OfficialAlerts.in_force`."""
        return self.official.in_force(self.now_ms() if now_ms is None else now_ms)
