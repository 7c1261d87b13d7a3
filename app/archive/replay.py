"""The picture at any past moment, recomputed from the archive: what ``?at=`` shows.

**The rule is the live store's.** At a moment *T* the live store held, per incident and per unit, the
entry with the newest ``ts`` among the entries received by *T* (later receipt wins a tie), an
incident's lifecycle times from the first entry that applied with each status, and the counters of
the current and previous clock hour. Replay applies the same rule to the archive's rows received by
*T* — the archive is partitioned by receipt for exactly this — and hands the results to the same KPI
definitions (:mod:`app.kpis`), so a replayed picture equals the live one that was seen at *T*.

**Keyframes make a seek cheap.** Folding a month of entries for every seek would take minutes, so at
each closed hour the archive keeps the state at that hour's start (:mod:`.keyframes`:
``keyframes/date=…/hour=…/{incidents,units,waits}.parquet``). A seek reads the newest keyframe at or
before *T* and folds in at most the hour or so of rows since — a few hundred thousand rows at the demo's
rate, which DuckDB does in well under a second. Without a keyframe (a young archive, or before the
archiver's upkeep has run) it folds from the archive's first hour.

Kept in a keyframe: every unit; every open incident, and those closed in the last ``KEEP_CLOSED_MS``
(enough for the duration KPIs of the last two clock hours, and for a late entry about a recently
closed incident to be judged as the live store would). Counters (port travellers, calls) are read from
the hours they count, received up to ``COUNT_LATE_MS`` before their hour.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from .. import kpis as figures
from ..contract import Scope, Stream
from . import layout

HOUR_MS = layout.HOUR_MS
WEEK_MS = 7 * layout.DAY_MS
#: Closed incidents stay in a keyframe this long after their last entry.
KEEP_CLOSED_MS = 2 * HOUR_MS
#: Counter entries (ports, calls) are looked for from this long before the hours they count (an entry
#: is received after its ``ts``, except a clock a little ahead).
COUNT_LATE_MS = HOUR_MS
KEYFRAMES = "keyframes"
#: How long the archive's span and list of keyframes are reused before being read again (seconds).
CACHE_S = 2.0
#: States of recent moments kept as bases for the next seeks (per process), and how far behind the clock
#: a moment must be to serve as one (the archiver writes what it holds every few seconds).
RECENT_STATES = 4
SETTLED_MS = 5 * 60_000

INCIDENT_STATE = pa.schema(list(layout.SCHEMAS[Stream.incidents]) + [
    pa.field("opened", pa.int64()), pa.field("dispatched", pa.int64()), pa.field("on_scene", pa.int64()),
])
UNIT_STATE = layout.SCHEMAS[Stream.units]
WAIT_STATE = pa.schema([
    pa.field("port", pa.string(), nullable=False), pa.field("ts", pa.int64(), nullable=False),
    pa.field("wait_min", pa.float64()), pa.field("entry_ms", pa.int64(), nullable=False),
    pa.field("entry_seq", pa.int32(), nullable=False),
])
STATE_SCHEMAS = {"incidents": INCIDENT_STATE, "units": UNIT_STATE, "waits": WAIT_STATE}


class OutsideArchive(ValueError):
    """A moment the archive does not cover (before its first entry or after its last)."""


@dataclass
class State:
    """Per-entity state at a moment, as Arrow tables (the schemas of :data:`STATE_SCHEMAS`)."""

    at_ms: int
    incidents: pa.Table
    units: pa.Table
    waits: pa.Table

    @classmethod
    def empty(cls, at_ms: int) -> State:
        return cls(at_ms, *(s.empty_table() for s in (INCIDENT_STATE, UNIT_STATE, WAIT_STATE)))


def keyframe_folder(root: Path, hour: int) -> Path:
    """The keyframe of hour ``hour``: the state just before it began (everything received earlier)."""
    when = layout.utc_hour(hour * HOUR_MS)
    return root / KEYFRAMES / f"date={when:%Y-%m-%d}" / f"hour={when:%H}"


def keyframe_hours(root: Path) -> list[int]:
    """Hours (epoch) that have a complete keyframe, oldest first."""
    base = root / KEYFRAMES
    if not base.is_dir():
        return []
    return sorted(layout.hour_of(folder) for folder in base.glob("date=*/hour=*")
                  if (folder / "units.parquet").exists() and (folder / "done").exists())


def read_keyframe(root: Path, hour: int) -> State:
    import pyarrow.parquet as pq

    folder = keyframe_folder(root, hour)
    return State(hour * HOUR_MS - 1, *(pq.read_table(folder / f"{name}.parquet").cast(STATE_SCHEMAS[name])
                                   for name in ("incidents", "units", "waits")))


def stream_files(root: Path, stream: Stream, first_hour: int, last_hour: int) -> list[str]:
    """The archive's files of ``stream`` received in hours ``first_hour`` … ``last_hour``."""
    out: list[str] = []
    for hour in range(first_hour, last_hour + 1):
        out += [str(p) for p in layout.files(layout.partition(root, stream, hour))]
    return out


def _columns(schema: pa.Schema, prefix: str = "") -> str:
    return ", ".join(f'{prefix}"{name}"' for name in schema.names)


def fold(base: State, root: Path, at_ms: int, con: duckdb.DuckDBPyConnection) -> State:
    """The state at ``at_ms``: ``base`` (the state at its own moment) with every entry received after
    it and up to ``at_ms`` applied by the live store's rules."""
    first, last = (base.at_ms + 1) // HOUR_MS, at_ms // HOUR_MS
    lo, hi = base.at_ms, at_ms

    def rows(stream: Stream) -> str:
        files = stream_files(root, stream, first, last)
        schema = layout.SCHEMAS[stream]
        if not files:
            return f"(SELECT {_columns(schema)} FROM {stream.value}_empty)"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {stream.value}_files AS SELECT {_columns(schema)} FROM "
                    f"read_parquet({files!r}, hive_partitioning=0) "
                    f"WHERE entry_ms > {int(lo)} AND entry_ms <= {int(hi)}")
        return f"{stream.value}_files"

    for stream in (Stream.incidents, Stream.units, Stream.ports):
        con.register(f"{stream.value}_empty", layout.SCHEMAS[stream].empty_table())
    con.register("base_incidents", base.incidents)
    con.register("base_units", base.units)
    con.register("base_waits", base.waits)

    # Per unit, the row with the newest (ts, receipt): arg_max over a struct of the row is about three
    # times faster than ranking every row with a window.
    unit_cols = _columns(UNIT_STATE)
    units = con.sql(f"""
        SELECT unnest(arg_max(r, (ts, entry_ms, entry_seq))) FROM (
            SELECT id, ts, entry_ms, entry_seq, struct_pack({unit_cols}) AS r
            FROM (SELECT {unit_cols} FROM base_units UNION ALL SELECT {unit_cols} FROM {rows(Stream.units)}))
        GROUP BY id
    """).to_arrow_table().select(UNIT_STATE.names).cast(UNIT_STATE)

    waits = con.sql(f"""
        SELECT port, ts, wait_min, entry_ms, entry_seq FROM (
            SELECT port, ts, wait_min, entry_ms, entry_seq FROM base_waits UNION ALL
            SELECT port, ts, CAST(wait_min AS DOUBLE), entry_ms, entry_seq FROM {rows(Stream.ports)}
            WHERE wait_min IS NOT NULL)
        QUALIFY row_number() OVER (PARTITION BY port ORDER BY ts DESC, entry_ms DESC, entry_seq DESC) = 1
    """).to_arrow_table().cast(WAIT_STATE)

    inc_cols = _columns(layout.SCHEMAS[Stream.incidents])
    incidents = con.sql(f"""
        WITH new AS (SELECT {inc_cols} FROM {rows(Stream.incidents)}),
        judged AS (
            SELECT new.*,
                greatest(coalesce(max(new.ts) OVER (PARTITION BY new.id ORDER BY new.entry_ms, new.entry_seq
                                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), -1),
                         coalesce(b.ts, -1)) AS held
            FROM new LEFT JOIN base_incidents b ON b.id = new.id
        ),
        applied AS (SELECT * FROM judged WHERE ts >= held),
        latest AS (
            SELECT {_columns(layout.SCHEMAS[Stream.incidents])},
                min(ts) OVER w AS first_ts,
                min(ts) FILTER (WHERE status = 'dispatched') OVER w AS first_dispatched,
                min(ts) FILTER (WHERE status = 'on_scene') OVER w AS first_on_scene
            FROM applied
            WINDOW w AS (PARTITION BY id)
            QUALIFY row_number() OVER (PARTITION BY id ORDER BY entry_ms DESC, entry_seq DESC) = 1
        )
        SELECT {_columns(layout.SCHEMAS[Stream.incidents], 'l.')},
            coalesce(b.opened, l.first_ts) AS opened,
            coalesce(b.dispatched, l.first_dispatched) AS dispatched,
            coalesce(b.on_scene, l.first_on_scene) AS on_scene
        FROM latest l LEFT JOIN base_incidents b ON b.id = l.id
        UNION ALL
        SELECT {_columns(INCIDENT_STATE)} FROM base_incidents WHERE id NOT IN (SELECT id FROM latest)
    """).to_arrow_table().cast(INCIDENT_STATE)
    return State(at_ms, incidents, units, waits)


def _round(value: float) -> float:
    return round(value, 5)


def incident_feature(row: dict[str, Any]) -> dict[str, Any]:
    """An incident's Feature exactly as the live store keeps it (:func:`app.store.apply.incident_head`
    closed by the apply script with the lifecycle times)."""
    props: dict[str, Any] = {
        "region": row["region"], "agency": row["agency"], "status": row["status"],
        "priority": row["priority"], "category": row["category"], "ts": row["ts"],
        "description": row["description"], "units": row["units"].split(",") if row["units"] else [],
    }
    if row["future"]:
        props["future"] = True
    props.update(opened=row["opened"], dispatched=row["dispatched"], on_scene=row["on_scene"])
    return {"type": "Feature", "id": row["id"],
            "geometry": {"type": "Point", "coordinates": [_round(row["lon"]), _round(row["lat"])]},
            "properties": props}


def unit_feature(row: dict[str, Any]) -> dict[str, Any]:
    """A unit's Feature exactly as the live store keeps it (:func:`app.store.apply.unit_feature`)."""
    return {"type": "Feature", "id": row["id"],
            "geometry": {"type": "Point", "coordinates": [_round(row["lon"]), _round(row["lat"])]},
            "properties": {"region": row["region"], "agency": row["agency"], "status": row["status"],
                           "ts": row["ts"], "heading": row["heading"], "speed": row["speed"],
                           "incident": row["incident"]}}


class Replay:
    """Reads of the archive at past moments, for the API, the command view and the brief.

    ``root``: the archive folder; ``ports``: the ports table (id → :class:`~app.geo.Port`);
    ``coverage``: the regions connected (national KPIs leave the others out, as live ones do).
    Thread-safe: each call opens its own DuckDB connection (cheap, in-process).
    """

    def __init__(self, root: Path, ports: dict[str, Any], coverage: Any) -> None:
        self.root = Path(root)
        self.ports = ports
        self.coverage = coverage
        self._lock = threading.Lock()
        self._span: tuple[float, tuple[int, int] | None] | None = None  # (when read, span)
        self._keyframes: tuple[float, list[int]] | None = None
        # One in-process DuckDB, opened at the first read (an app that never replays, or each of the
        # tests' apps, does not pay for it); each call takes a cursor of its own (a connection costs
        # ~30 ms, a cursor ~2 ms, and a cursor is safe to use beside others on other threads).
        self._db: duckdb.DuckDBPyConnection | None = None
        self._db_lock = threading.Lock()
        # The states of the last moments asked for, as bases for the next: a player asks for moments
        # seconds apart, and folding 15 s of rows onto the last frame beats an hour onto a keyframe.
        self._recent: list[State] = []
        self._counted: dict[tuple, list[tuple]] = {}  # settled counter rows, oldest first

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        if self._db is None:
            with self._db_lock:
                if self._db is None:
                    self._db = duckdb.connect()
        return self._db.cursor()

    @classmethod
    def for_store(cls, settings: Any, store: Any) -> Replay:
        """The replay of ``settings.archive_dir`` with the store's ports table and coverage."""
        return cls(settings.archive_dir, store.ports, store.coverage)

    # -- what the archive covers --------------------------------------------------------------

    def span(self) -> tuple[int, int] | None:
        """(first, last) entry time of receipt archived, epoch ms; ``None`` for an empty archive. Read
        again at most every ``CACHE_S`` seconds (the archiver adds a part every few seconds)."""
        with self._lock:
            if self._span is not None and time.monotonic() - self._span[0] < CACHE_S:
                return self._span[1]
        found = self._read_span()
        with self._lock:
            self._span = (time.monotonic(), found)
        return found

    def _keyframe_hours(self) -> list[int]:
        with self._lock:
            if self._keyframes is not None and time.monotonic() - self._keyframes[0] < CACHE_S:
                return self._keyframes[1]
        found = keyframe_hours(self.root)
        with self._lock:
            self._keyframes = (time.monotonic(), found)
        return found

    def _read_span(self) -> tuple[int, int] | None:
        first = last = None
        for stream in (Stream.units, Stream.incidents):
            hours = list(layout.hours(self.root, stream))
            hours = [(h, f) for h, f in hours if layout.files(f)]
            if not hours:
                continue
            con = self._cursor()
            lo = con.execute("SELECT min(entry_ms) FROM read_parquet($f, hive_partitioning=0)",
                             {"f": [str(p) for p in layout.files(hours[0][1])]}).fetchone()[0]
            hi = con.execute("SELECT max(entry_ms) FROM read_parquet($f, hive_partitioning=0)",
                             {"f": [str(p) for p in layout.files(hours[-1][1])]}).fetchone()[0]
            con.close()
            first = lo if first is None else min(first, lo)
            last = hi if last is None else max(last, hi)
        return (int(first), int(last)) if first is not None and last is not None else None

    def thinned(self, at_ms: int) -> bool:
        """Whether unit positions around ``at_ms`` are thinned (replay says so on screen)."""
        folder = layout.partition(self.root, Stream.units, at_ms // HOUR_MS)
        return any(p.name.startswith("thinned-") for p in layout.files(folder))

    # -- the state ----------------------------------------------------------------------------

    def state(self, at_ms: int) -> State:
        """Per-entity state at ``at_ms``: the newest base at or before it — a keyframe, or the state of
        a moment asked for recently — folded forward."""
        hours = [h for h in self._keyframe_hours() if h * HOUR_MS - 1 <= at_ms]
        with self._lock:
            recent = [s for s in self._recent if s.at_ms <= at_ms]
        base = max(recent, key=lambda s: s.at_ms, default=None)
        if hours and (base is None or base.at_ms < hours[-1] * HOUR_MS - 1):
            base = read_keyframe(self.root, hours[-1])
        elif base is None:
            span = self.span()
            start = span[0] if span else at_ms
            base = State.empty(min(start, at_ms) - 1)
        con = self._cursor()
        try:
            state = fold(base, self.root, at_ms, con)
        finally:
            con.close()
        # Only a moment the archiver is done with may serve as a base: rows of a later moment may
        # still be on their way to disk (the archiver writes every few seconds).
        if at_ms < time.time() * 1000 - SETTLED_MS:
            with self._lock:
                self._recent = [*self._recent[-(RECENT_STATES - 1):], state]
        return state

    def snapshot(self, at_ms: int, scope: Scope, *, check: bool = True) -> dict[str, Any]:
        """The picture of ``scope`` at ``at_ms``: the shape of ``GET /api/v1/snapshot`` plus
        ``"replay": true``, ``"at"`` and ``"thinned"``. Raises :class:`OutsideArchive` for a moment the
        archive does not cover (``check=False``: answer anyway, for tests and the keyframes)."""
        if check:
            span = self.span()
            if span is None or not span[0] <= at_ms <= max(span[1], span[0]):
                raise OutsideArchive(at_ms if span is None else (at_ms, span))
        state = self.state(at_ms)
        regions, agencies = frozenset(scope.regions), frozenset(scope.agencies)
        all_incidents, all_units = state.incidents.to_pylist(), state.units.to_pylist()
        incident_rows = [r for r in all_incidents if r["region"] in regions and r["agency"] in agencies]
        unit_rows = [r for r in all_units if r["region"] in regions and r["agency"] in agencies]
        incidents = [incident_feature(r) for r in incident_rows if r["status"] != "closed"]
        units = [unit_feature(r) for r in unit_rows]
        every_port = self.port_summary(at_ms, state)
        as_of = max((min(r["ts"], r["entry_ms"]) for r in (*all_units, *all_incidents)), default=None)
        return {
            "scope": {"region": scope.region, "agency": scope.agency,
                      "regions": list(scope.regions), "agencies": list(scope.agencies)},
            "as_of": as_of,
            "incidents": {"type": "FeatureCollection", "features": incidents},
            "units": {"type": "FeatureCollection", "features": units},
            "ports": [p for p in every_port if p["region"] in regions],
            "kpis": self.kpis(scope, at_ms, state, incident_rows, units, every_port),
            "replay": True,
            "at": at_ms,
            "thinned": self.thinned(at_ms),
        }

    # -- the figures --------------------------------------------------------------------------

    def kpis(self, scope: Scope, at_ms: int, state: State, incident_rows: list[dict[str, Any]],
             units: list[dict[str, Any]], ports: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The KPIs of ``scope`` at ``at_ms`` by :func:`app.kpis.figures`, from the archive; ``ports``:
        every port's line at ``at_ms`` (:meth:`port_summary`), when the caller has it."""
        ports = self.port_summary(at_ms, state) if ports is None else ports
        counted = self.coverage.counted(scope)
        keep = frozenset(counted.regions)
        hour = at_ms // HOUR_MS
        rows = [r for r in incident_rows if r["region"] in keep]
        dispatch = [r["dispatched"] - r["opened"] for r in rows
                    if r["dispatched"] is not None and r["dispatched"] // HOUR_MS in (hour, hour - 1)]
        response = [r["on_scene"] - r["opened"] for r in rows
                    if r["on_scene"] is not None and r["on_scene"] // HOUR_MS in (hour, hour - 1)]
        return figures.figures(
            agencies=counted.agencies,
            pairs=[(r["priority"], r["status"]) for r in rows if r["status"] != "closed"],
            units=(f["properties"] for f in units if f["properties"]["region"] in keep),
            dispatch=dispatch,
            response=response,
            calls=self.calls(counted, at_ms),
            travellers=_travellers(counted, ports),
            travellers_week_ago=_travellers(
                counted, self.port_summary(at_ms - WEEK_MS, None, received_by=at_ms)),
            coverage=self.coverage.describe(scope),
        )

    def _counted_rows(self, stream: Stream, ts_from: int, ts_to: int, received_by: int,
                      columns: str) -> list[tuple]:
        """Rows of a counter stream whose ``ts`` is in [ts_from, ts_to), received by ``received_by``,
        in order of receipt. The rows of a settled hour of receipt are read once and kept (a player
        asks for the same two clock hours frame after frame), then cut at ``received_by``."""
        last_hour = received_by // HOUR_MS
        key = (stream, ts_from, ts_to, last_hour, columns)
        with self._lock:
            rows = self._counted.get(key)
        if rows is None:
            files = stream_files(self.root, stream, (ts_from - COUNT_LATE_MS) // HOUR_MS, last_hour)
            if not files:
                return []
            # a settled hour is read whole; the hour still being written only up to the moment asked
            settled = (last_hour + 1) * HOUR_MS < time.time() * 1000 - SETTLED_MS
            con = self._cursor()
            try:
                rows = con.execute(
                    f"SELECT entry_ms, {columns} FROM read_parquet($f, hive_partitioning=0) "
                    "WHERE entry_ms <= $by AND ts >= $lo AND ts < $hi "
                    "QUALIFY row_number() OVER (PARTITION BY entry_ms, entry_seq) = 1 "
                    "ORDER BY entry_ms, entry_seq",
                    {"f": files, "by": (last_hour + 1) * HOUR_MS if settled else received_by,
                     "lo": ts_from, "hi": ts_to}).fetchall()
            finally:
                con.close()
            if settled:
                with self._lock:
                    self._counted[key] = rows
                    while len(self._counted) > RECENT_STATES * 3:
                        self._counted.pop(next(iter(self._counted)))
        return [row[1:] for row in rows if row[0] <= received_by]

    def port_counts(self, at_ms: int, received_by: int | None = None) -> dict[str, dict[str, int]]:
        """Per port, ``<hour>:<direction>:<category>`` → travellers for the clock hour of ``at_ms`` and
        the one before, as the live day hashes hold them (each entry counted once)."""
        hour = at_ms // HOUR_MS
        received_by = at_ms if received_by is None else received_by
        counts: dict[str, dict[str, int]] = {}
        for port, ts, direction, category, travellers in self._counted_rows(
                Stream.ports, (hour - 1) * HOUR_MS, (hour + 1) * HOUR_MS, received_by,
                "port, ts, direction, category, travellers"):
            name = f"{ts // HOUR_MS}:{direction}:{category}"
            mine = counts.setdefault(port, {})
            mine[name] = mine.get(name, 0) + travellers
        return counts

    def port_summary(self, at_ms: int, state: State | None = None,
                     received_by: int | None = None) -> list[dict[str, Any]]:
        """Every port's line at ``at_ms`` (:func:`app.kpis.port_row`): last hour's travellers, latest wait."""
        counts = self.port_counts(at_ms, received_by)
        waits: dict[str, str] = {}
        if state is not None:
            for row in state.waits.to_pylist():
                waits[row["port"]] = f"{row['ts']}|{row['wait_min']:g}"
        return [figures.port_row(port_id, port, counts.get(port_id, {}), waits.get(port_id), at_ms)
                for port_id, port in self.ports.items()]

    def calls(self, scope: Scope, at_ms: int) -> dict[str, float]:
        """The call counters of the scope's regions over the last hour at ``at_ms`` (each call once)."""
        hour = at_ms // HOUR_MS
        regions = frozenset(scope.regions)
        seen: set[tuple[str, int]] = set()
        # one counter hash per region and hour, summed in the live store's order (floating point)
        by_hour: dict[int, dict[str, dict[str, int]]] = {
            h: {r: {} for r in scope.regions} for h in (hour, hour - 1)}
        for call_id, ts, answered_ts, outcome, region in self._counted_rows(
                Stream.calls, (hour - 1) * HOUR_MS, (hour + 1) * HOUR_MS, at_ms,
                "id, ts, answered_ts, outcome, region"):
            once = (call_id, ts // layout.DAY_MS)
            if once in seen:
                continue
            seen.add(once)
            if region not in regions:
                continue
            counters = by_hour[ts // HOUR_MS][region]
            _add(counters, {"total": 1, outcome: 1})
            if answered_ts is not None:
                wait = answered_ts - ts
                _add(counters, {"answered": 1, "answer_ms": wait, "within_15s": int(wait <= 15_000),
                                "within_20s": int(wait <= 20_000)})
        return figures.calls_last_hour(by_hour[hour].values(), by_hour[hour - 1].values(), at_ms)


def _travellers(scope: Scope, ports: list[dict[str, Any]]) -> int:
    """Travellers through the scope's ports in the last hour, from every port's line."""
    regions = frozenset(scope.regions)
    return sum(p["arrivals_1h"] + p["departures_1h"] for p in ports if p["region"] in regions)


def _add(counters: dict[str, int], more: dict[str, int]) -> None:
    for name, n in more.items():
        counters[name] = counters.get(name, 0) + n
