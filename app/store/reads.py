"""Reading the live picture for a scope — incidents, units, calls, ports, KPIs: the part ``store.live``
that pages and the API use.

A scope is the union of a few scope cells (region × agency), so every read here is a handful of
pipelined hash reads, never a scan.

The KPIs of a scope that does not name one region (the national figures) leave out the regions not
yet connected (:class:`app.reference.Coverage`, ``BASIRA_COVERED_REGIONS``) and say so in their
``coverage``; a region's own figures are its own, connected or not.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import orjson

from .. import kpis as figures
from ..contract import REGION_TOKENS, Direction, IncidentStatus, Scope, TravellerCategory
from .errors import guarded
from .incident_rows import IncidentRow, IncidentRows, slim_of
from .keys import DAY_MS, HOUR_MS

WEEK_MS = 7 * DAY_MS
#: Scope cells whose slim rows a whole picture of the live feed reads in one round trip
#: (:meth:`.feed_reads.FeedReads.slim_json_parts`; the national scope is 14 regions × 6 agencies: 84
#: cells, so seven round trips, each holding a twelfth of the rows).
CELLS_AT_ONCE = 12

if TYPE_CHECKING:
    import redis

    from ..geo import Port
    from ..reference import Coverage
    from .keys import Keys


def _now_ms() -> int:
    return int(time.time() * 1000)


def cells(scope: Scope) -> list[tuple[str, str]]:
    """The scope cells (region, agency) whose union is ``scope``."""
    return [(r, a) for r in scope.regions for a in scope.agencies]


def shard_cells(keys: Keys, scope: Scope) -> list[tuple[Keys, str, str]]:
    """The scope cells of ``scope`` in every shard (:attr:`.keys.Keys.each_shard`): (shard's keys,
    region, agency)."""
    return [(k, r, a) for k in keys.each_shard for r in scope.regions for a in scope.agencies]


def hash_values(client: redis.Redis, keys: list[str]) -> list[str]:
    """Every value of every hash in ``keys``, in one pipelined round trip."""
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.hvals(key)
        return [value for values in pipe.execute() for value in values]


def slim_rows(client: redis.Redis, part: list[tuple[Keys, str, str]], raw: bool = False) -> list:
    """The slim rows (:meth:`.keys.Keys.incident_slim`) of the open incidents of the scope cells ``part``,
    as ``client`` returns them (``str``, or ``bytes`` from a ``raw`` client), in one round trip. A cell with
    fewer rows than Features — its incidents stored before the rows were kept, or one closed between
    the two reads — has its rows made from its Features (one more round trip for it), so that what is
    read is whole."""
    with client.pipeline(transaction=False) as pipe:
        for k, r, a in part:
            pipe.hlen(k.incident_live(r, a))
            pipe.hvals(k.incident_slim(r, a))
        got = pipe.execute()
    out: list = []
    for n, (k, r, a) in enumerate(part):
        count, rows = got[2 * n], got[2 * n + 1]
        if len(rows) < count:
            made = [row for row in map(slim_of, client.hvals(k.incident_live(r, a))) if row is not None]
            rows = made if raw else [row.decode() for row in made]
        out += rows
    return out


@guarded
class Live:
    """Reads of the live picture for a scope. ``ports`` is the ports table (id → :class:`~app.geo.Port`);
    ``coverage`` the regions connected now, whose figures alone make the national KPIs."""

    def __init__(self, client: redis.Redis, keys: Keys, ports: dict[str, Port], coverage: Coverage) -> None:
        self.client = client
        self.keys = keys
        self.ports = ports
        self.coverage = coverage

    def _hash_values(self, keys: list[str]) -> list[str]:
        return hash_values(self.client, keys)

    def incidents_json(self, scope: Scope) -> list[str]:
        """The open incidents of ``scope`` as GeoJSON Feature JSON texts (cheapest form)."""
        return self._hash_values([k.incident_live(r, a) for k, r, a in shard_cells(self.keys, scope)])

    def units_json(self, scope: Scope) -> list[str]:
        return self._hash_values([k.unit_live(r, a) for k, r, a in shard_cells(self.keys, scope)])

    def incidents(self, scope: Scope) -> list[dict[str, Any]]:
        """The open incidents of ``scope`` as GeoJSON Feature dicts."""
        return [orjson.loads(text) for text in self.incidents_json(scope)]

    def units(self, scope: Scope) -> list[dict[str, Any]]:
        """The units of ``scope`` as GeoJSON Feature dicts."""
        return [orjson.loads(text) for text in self.units_json(scope)]

    def incident_rows(self, scope: Scope) -> IncidentRows:
        """The open incidents of ``scope`` as columns of their slim rows (:mod:`.incident_rows`: their
        Features are not read)."""
        scope_cells = shard_cells(self.keys, scope)
        return IncidentRows.of_slim(slim_rows(self.client, scope_cells))

    def incident_texts(self, rows: list[IncidentRow]) -> list[str]:
        """The stored Feature texts of the open incidents ``rows`` (from :meth:`incident_rows`), in
        their order, in one pipelined round trip; one closed meanwhile is left out."""
        with self.client.pipeline(transaction=False) as pipe:
            for row in rows:
                pipe.hget(self.keys.shard_of(row.id).incident_live(row.region, row.agency), row.id)
            return [text for text in pipe.execute() if text]

    def closed_incidents(self, scope: Scope, since_ms: int) -> list[dict[str, Any]]:
        """Incidents of ``scope`` closed at or after ``since_ms`` (from the bounded history)."""
        scope_cells = shard_cells(self.keys, scope)
        with self.client.pipeline(transaction=False) as pipe:
            for k, r, a in scope_cells:
                pipe.zrangebyscore(k.incident_history(r, a), since_ms, "+inf")
            id_lists = pipe.execute()
        with self.client.pipeline(transaction=False) as pipe:
            for (k, r, a), ids in zip(scope_cells, id_lists, strict=True):
                if ids:
                    pipe.hmget(k.incident_history_features(r, a), ids)
            return [orjson.loads(t) for texts in pipe.execute() for t in texts if t]

    def incident(self, incident_id: str, scope: Scope) -> dict[str, Any] | None:
        """One incident's Feature, open or closed (while in the history); ``None`` when unknown or
        outside ``scope`` (so a viewer can never open another region's or agency's incident by id)."""
        shard = self.keys.shard_of(incident_id)
        where = self.client.hget(shard.incident_index, incident_id)
        if not where:
            return None
        _ts, region, agency, status, *_ = where.split("|")
        if region not in scope.regions or agency not in scope.agencies:
            return None
        if status == IncidentStatus.closed.value:
            text = self.client.hget(shard.incident_history_features(region, agency), incident_id)
        else:
            text = self.client.hget(shard.incident_live(region, agency), incident_id)
        return orjson.loads(text) if text else None

    def trail(self, unit_id: str) -> list[list[float]]:
        """Recent positions of a unit, oldest first: ``[lon, lat, ts]``."""
        points = self.client.lrange(self.keys.shard_of(unit_id).unit_trail(unit_id), 0, -1)
        return [orjson.loads(p) for p in reversed(points)]

    def port_summary(self, now_ms: int | None = None) -> list[dict[str, Any]]:
        """Every port: travellers in the last hour by direction, and the latest queue wait."""
        now_ms = _now_ms() if now_ms is None else now_ms
        hour = now_ms // HOUR_MS
        hours = (hour, hour - 1)
        fields = {
            h: [f"{h}:{d.value}:{c.value}" for d in Direction for c in TravellerCategory] for h in hours
        }
        with self.client.pipeline(transaction=False) as pipe:
            for port_id in self.ports:
                for h in hours:
                    pipe.hmget(self.keys.port_day(port_id, h * HOUR_MS // DAY_MS), fields[h])
            pipe.hgetall(self.keys.port_wait)
            replies = pipe.execute()
        waits = replies.pop()
        out = []
        for n, (port_id, port) in enumerate(self.ports.items()):
            merged: dict[str, int] = {}
            for h, reply in zip(hours, replies[2 * n : 2 * n + 2], strict=True):
                for name, value in zip(fields[h], reply, strict=True):
                    if value is not None:
                        merged[name] = int(value)
            out.append(figures.port_row(port_id, port, merged, waits.get(port_id), now_ms))
        return out

    def _durations(self, metric: str, scope: Scope, now_ms: int) -> list[int]:
        hour = now_ms // HOUR_MS
        hours = (hour, hour - 1)
        keys = [k.duration(metric, r, a, h) for k, r, a in shard_cells(self.keys, scope) for h in hours]
        return [int(v) for v in self._hash_values(keys)]

    def calls(self, scope: Scope, now_ms: int | None = None) -> dict[str, float]:
        """911 call counters of the scope's regions over the last hour (calls have no agency)."""
        now_ms = _now_ms() if now_ms is None else now_ms
        hour = now_ms // HOUR_MS
        with self.client.pipeline(transaction=False) as pipe:
            for region in scope.regions:
                pipe.hgetall(self.keys.calls_hour(region, hour))
                pipe.hgetall(self.keys.calls_hour(region, hour - 1))
            replies = pipe.execute()
        return figures.calls_last_hour(replies[0::2], replies[1::2], now_ms)

    def kpis(
        self,
        scope: Scope,
        now_ms: int | None = None,
        incidents: list[dict[str, Any]] | None = None,
        units: list[dict[str, Any]] | None = None,
        rows: IncidentRows | None = None,
    ) -> dict[str, Any]:
        """The headline figures of a scope (see ``docs/events.md`` for their exact definitions).

        Pass ``incidents`` (Features) or ``rows`` (:meth:`incident_rows`) and ``units`` of ``scope``
        when the caller has already read them, to avoid a second read. A scope that names no region
        counts only the connected regions (:meth:`app.reference.Coverage.counted`: the lists are
        filtered, not read again); ``coverage`` says what was left out.
        """
        now_ms = _now_ms() if now_ms is None else now_ms
        counted = self.coverage.counted(scope)
        keep = None if counted is scope else frozenset(counted.regions)
        if rows is None:
            incidents = self.incidents(scope) if incidents is None else incidents
            props = [f["properties"] for f in incidents]
            pairs = [(p["priority"], p["status"]) for p in props if keep is None or p["region"] in keep]
        else:
            pairs = (rows if keep is None else rows.in_regions(keep)).pairs()
        units = self.units(scope) if units is None else units
        if keep is not None:
            units = [f for f in units if f["properties"]["region"] in keep]
        return figures.figures(
            agencies=counted.agencies,
            pairs=pairs,
            units=(f["properties"] for f in units),
            dispatch=self._durations("dispatch", counted, now_ms),
            response=self._durations("response", counted, now_ms),
            calls=self.calls(counted, now_ms),
            travellers=self._travellers(counted, now_ms),
            # the same 60 minutes a week earlier (port counts are kept `port_history_days` >= 8 days)
            travellers_week_ago=self._travellers(counted, now_ms - WEEK_MS),
            coverage=self.coverage.describe(scope),
        )

    def _travellers(self, scope: Scope, now_ms: int) -> int:
        """Travellers through the scope's ports in the 60 minutes up to ``now_ms``."""
        ports = [p for p in self.port_summary(now_ms) if p["region"] in scope.regions]
        return sum(p["arrivals_1h"] + p["departures_1h"] for p in ports)

    def openings(self, since_ms: int) -> list[tuple[str, str, str, int]]:
        """Every incident opened at or after ``since_ms``, open or closed since (while the index keeps
        it): (id, region, agency, opened ms). One read of the index: for a reader starting up (the
        alerts worker's spike counts), not for every tick."""
        out = []
        with self.client.pipeline(transaction=False) as pipe:
            for shard in self.keys.each_shard:
                pipe.hgetall(shard.incident_index)
            index = {incident_id: where for part in pipe.execute() for incident_id, where in part.items()}
        for incident_id, where in index.items():
            parts = where.split("|")
            if len(parts) >= 5 and parts[4].isdigit() and int(parts[4]) >= since_ms:
                out.append((incident_id, parts[1], parts[2], int(parts[4])))
        return out

    def index_of(self, incident_ids: list[str]) -> dict[str, tuple[str, str, str, int | None]]:
        """(region, agency, status, opened ms) of each incident the index knows, by id."""
        if not incident_ids:
            return {}
        out: dict[str, tuple[str, str, str, int | None]] = {}
        by_shard: dict[Keys, list[str]] = {}
        for incident_id in incident_ids:
            by_shard.setdefault(self.keys.shard_of(incident_id), []).append(incident_id)
        with self.client.pipeline(transaction=False) as pipe:  # one HMGET a shard
            for shard, ids in by_shard.items():
                pipe.hmget(shard.incident_index, ids)
            replies = pipe.execute()
        found = zip((i for ids in by_shard.values() for i in ids), (w for got in replies for w in got),
                    strict=True)
        for incident_id, where in found:
            parts = (where or "").split("|")
            if len(parts) >= 5:
                opened = int(parts[4]) if parts[4].isdigit() else None
                out[incident_id] = (parts[1], parts[2], parts[3], opened)
        return out

    def port_waits(self) -> dict[str, tuple[int, float]]:
        """Each port's latest queue wait: port id → (event time ms, minutes)."""
        out = {}
        for port_id, value in self.client.hgetall(self.keys.port_wait).items():
            ts, _, wait = value.partition("|")
            try:
                out[port_id] = (int(ts), float(wait))
            except ValueError:
                continue
        return out

    def open_counts(self) -> dict[str, int]:
        """Open incidents per region token (for metrics), one HLEN per cell."""
        scope_cells = shard_cells(self.keys, Scope())
        with self.client.pipeline(transaction=False) as pipe:
            for k, r, a in scope_cells:
                pipe.hlen(k.incident_live(r, a))
            counts = dict.fromkeys(REGION_TOKENS, 0)
            for (_k, r, _a), n in zip(scope_cells, pipe.execute(), strict=True):
                counts[r] += n
        return counts
