"""Exports from the archive: any scope and window as GeoJSON, CSV or KML, streamed (docs/archive.md#exports).

``GET /api/v1/export`` (:mod:`app.api_export`) asks here; this module holds the queries and the three
writers and knows nothing of Flask or Dash, so a command or a test can export with no web server.

**What one record is.** The archive's axis is the time of *receipt* (the stream entry id), so a window
``[from, to)`` is a range of receipt times, half-open (an entry received at ``to`` belongs to the next
window; adjacent windows never share an entry):

* ``incidents`` (the default): one record per incident that was open at some moment of the window or
  changed in it (closing included) — exactly: its state at ``from`` was open, or an entry of it received
  in the window was applied. The record is its state at the window's end (or at its closing), by the
  live store's own rule (per id, in order of receipt, an entry applies only if its ``ts`` is not older
  than the ``ts`` held), with its lifecycle times ``opened`` (the first applied entry's ``ts``),
  ``dispatched`` and ``on_scene`` (the first applied entry of that status) and ``closed`` (the ``ts`` of
  the closing state, empty while open). Scope applies to that final state's region and agency, as the
  live store files an incident by its current cell.
* ``units``: one record per archived unit position received in the window (a Point each), filtered by
  the position's own region and agency. Hours past ``archive_full_days`` hold thinned positions
  (``thinned-<N>s.parquet``); the file says so.

**How far back.** An incident open during the window may have been opened long before it. The state
before the window is the **keyframe** of ``from``'s hour (:mod:`.keyframes`: every incident open at that
hour's start, with its lifecycle times, however old — the state replay starts from), and the entries
from that hour's start on are folded in. An hour without a keyframe (a young archive; the current hour
before the archiver's upkeep has closed it) falls back to the entries received in the
:data:`LOOKBACK_MS` (7 days) before ``from``: an incident with no entry in those 7 days and none in the
window is then left out, and one opened earlier shows as ``opened`` the ``ts`` of its oldest entry
within them (the GeoJSON member says which: ``"keyframe"``, ``"lookback_hours"``). The fold reads seven
narrow columns (id, entry id, ts, status, region, agency); only the final rows are read whole.

**Streaming.** Only the partitions of the hours in the look-back and the window are listed
(:func:`.layout.partition`, :func:`.layout.files`), never a glob over the whole archive. Incidents: one
DuckDB statement folds the entries into a temporary table of the records (one row per incident, not
the file), which gives the count; the records then leave in batches of :data:`CHUNK_ROWS`, each written
and handed on before the next is read. Units: one hour at a time. No writer ever holds more than a
batch of output, so memory stays flat however large the file.

**Counting first.** :meth:`Export.count` is exact when it is taken and cheap (the incidents' fold, or a
``count`` over the units' hours); the API sends it as ``X-Basira-Records`` before the first byte, so a
client can show progress, and check that it received every record (a failure mid-stream can only cut
the file short).

**Every file says what it is.** GeoJSON: the foreign member ``"basira"`` (title in Arabic and English,
scope, window, generated, records). KML: the Document's ``<name>`` and ``<description>`` in both
languages. CSV: its header row (machine names), after a UTF-8 byte-order mark so spreadsheet programs
read Arabic right; the file name says scope and window.

**Untrusted text** (descriptions, ids, unit lists): written by the JSON encoder in GeoJSON, XML-escaped
in KML (characters XML 1.0 cannot carry become U+FFFD), and in CSV quoted as needed and prefixed with
``'`` when a cell starts with ``= + - @``, a tab or a carriage return (no spreadsheet formula).
"""

from __future__ import annotations

import csv
import html
import io
import logging
import re
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ..contract import REGION_TOKENS, Agency, Stream, parse_ts
from ..i18n import LANGUAGES, fmt_clock, fmt_date, fmt_int, t
from . import layout
from .replay import INCIDENT_STATE, keyframe_folder

log = logging.getLogger("basira.archive")

FORMATS: tuple[str, ...] = ("geojson", "csv", "kml")
#: What can be exported (``stream=``): incidents (default) or unit positions.
STREAMS: tuple[Stream, ...] = (Stream.incidents, Stream.units)
#: The longest window of an export: a month and a day (a Hijri or Gregorian month, with its edges).
MAX_WINDOW_MS = 31 * layout.DAY_MS
#: Unit positions are nine entries in ten: a day of them at the national scope is already millions of
#: rows (hundreds of MB of GeoJSON). A longer track is a replay's job, or several exports.
MAX_UNITS_WINDOW_MS = layout.DAY_MS
#: The window when ``from`` is not given: the day before ``to``.
DEFAULT_WINDOW_MS = layout.DAY_MS
#: How far before ``from`` an incident's earlier entries are looked for (see the module's docstring).
LOOKBACK_MS = 7 * layout.DAY_MS
#: Records per batch read from DuckDB and written out as one chunk.
CHUNK_ROWS = 5_000
#: A DuckDB connection per export: a few threads (a web worker serves others meanwhile), bounded
#: memory, and room to spill a very large fold to the system's temporary folder.
DUCKDB_THREADS = 2
DUCKDB_MEMORY = "512MB"

CONTENT_TYPES = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "kml": "application/vnd.google-earth.kml+xml",
}
#: Riyadh keeps UTC+3 all year (no daylight saving): a fixed offset formats faster than the zone database.
RIYADH_TZ = timezone(timedelta(hours=3))

#: The columns of a record, in file order. ``lon``/``lat`` are the geometry (and CSV columns).
INCIDENT_COLUMNS = (
    "id", "status", "priority", "category", "agency", "region", "opened", "dispatched", "on_scene",
    "closed", "updated", "description", "units", "lon", "lat",
)
UNIT_COLUMNS = (
    "id", "agency", "status", "region", "time", "received", "heading", "speed", "incident", "lon", "lat",
)
COLUMNS: dict[Stream, tuple[str, ...]] = {Stream.incidents: INCIDENT_COLUMNS, Stream.units: UNIT_COLUMNS}
#: Columns holding text from outside (producers): neutralised in CSV, escaped in KML.
TEXT_COLUMNS = frozenset({"id", "description", "units", "incident"})


class ExportError(ValueError):
    """A request that cannot be exported, with a reason fit for a 400 answer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- what was asked ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Receipt times ``[from_ms, to_ms)``."""

    from_ms: int
    to_ms: int


def parse_format(value: str | None) -> str:
    """``geojson`` (the default when absent), ``csv`` or ``kml``; anything else is an :class:`ExportError`."""
    chosen = (value or "geojson").strip().lower()
    if chosen not in FORMATS:
        raise ExportError(f"unknown format {chosen[:20]!r}: expected one of {', '.join(FORMATS)}")
    return chosen


def parse_stream(value: str | None) -> Stream:
    """``incidents`` (the default) or ``units``."""
    chosen = (value or Stream.incidents.value).strip().lower()
    for stream in STREAMS:
        if stream.value == chosen:
            return stream
    raise ExportError(f"unknown stream {chosen[:20]!r}: expected one of {', '.join(STREAMS)}")


def parse_window(from_value: str | None, to_value: str | None, now_ms: int,
                 stream: Stream = Stream.incidents) -> Window:
    """The window asked for, from epoch ms or ISO 8601 with an offset (:func:`app.contract.parse_ts`,
    the producers' own rule: a time without an offset is refused, not guessed).

    Missing ``to``: now. Missing ``from``: a day before ``to``. ``from`` not before ``to``, or a window
    longer than :data:`MAX_WINDOW_MS` (:data:`MAX_UNITS_WINDOW_MS` for units), is an :class:`ExportError`.
    """
    to_ms = _time("to", to_value) if (to_value or "").strip() else now_ms
    from_ms = _time("from", from_value) if (from_value or "").strip() else to_ms - DEFAULT_WINDOW_MS
    if from_ms >= to_ms:
        raise ExportError("'from' must be before 'to'")
    longest = MAX_UNITS_WINDOW_MS if stream is Stream.units else MAX_WINDOW_MS
    if to_ms - from_ms > longest:
        days = longest // layout.DAY_MS
        raise ExportError(f"the window is longer than {days} day{'s' if days > 1 else ''} "
                          f"(at most {days * 24} hours for {stream.value}): export it in parts")
    return Window(from_ms, to_ms)


def _time(name: str, value: str | None) -> int:
    try:
        return parse_ts(value)
    except ValueError as error:
        raise ExportError(f"'{name}': {error}") from None


# --- reading the archive -----------------------------------------------------------------------------


def hour_files(root: Path, stream: Stream, first_ms: int, end_ms: int) -> list[tuple[int, list[Path]]]:
    """The finished files of each hour of receipt that overlaps ``[first_ms, end_ms)``, oldest first —
    only those partitions are looked at (a stat per hour), never the whole archive."""
    found = []
    for hour in range(first_ms // layout.HOUR_MS, (end_ms - 1) // layout.HOUR_MS + 1):
        folder = layout.partition(root, stream, hour)
        if folder.is_dir() and (paths := layout.files(folder)):
            found.append((hour, paths))
    return found


def _connect(spill: str) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection of its own for one export, spilling (if ever) into ``spill``: a folder of
    this export's, as DuckDB's spill files are named alike in every process."""
    return duckdb.connect(config={
        "threads": DUCKDB_THREADS, "memory_limit": DUCKDB_MEMORY,
        "preserve_insertion_order": True,  # the records table is read back in the order it was made
        "temp_directory": spill,
    })


def read_incident_keyframe(root: Path, hour: int) -> pa.Table | None:
    """The incidents of the keyframe of ``hour`` (the state just before it began, :mod:`.keyframes`),
    or ``None`` when that hour has no finished keyframe."""
    folder = keyframe_folder(root, hour)
    path = folder / "incidents.parquet"
    if not (folder / "done").exists() or not path.exists():
        return None
    return pq.read_table(path).cast(INCIDENT_STATE)


def _reader(query: duckdb.DuckDBPyRelation, rows: int) -> Iterator[pa.RecordBatch]:
    """A query's result, ``rows`` at a time, as DuckDB produces it (DuckDB 2 names it
    ``to_arrow_reader``, 1.x ``fetch_record_batch``)."""
    method = getattr(query, "to_arrow_reader", None) or query.fetch_record_batch
    return method(rows)


def _paths(groups: list[tuple[int, list[Path]]]) -> list[str]:
    return [str(p) for _, paths in groups for p in paths]


#: One statement. ``base``: the incidents at the start of the rows (a keyframe's, or none); ``{rows}``:
#: the entries received from then until ``to``. Each base incident goes first in its id's entries (entry
#: id -1-0: the held state), so the apply rule is one running maximum — an entry applies when its ts is
#: not older than every earlier one of its id (the ts held) — with no join of the many entries. Then the
#: lifecycle per id (the base's times first), the choice (open at ``from``, or an entry applied in the
#: window) and the scope, then the final rows read whole, each once: compaction may leave a file and its
#: parts side by side for a moment, and an entry read twice changes no minimum, maximum or last value,
#: so only the final rows need de-duplicating. Sorted once, here.
_INCIDENTS_SQL = """
CREATE TEMP TABLE records AS
WITH raw AS (
    SELECT id, entry_ms, entry_seq, ts, status, region, agency
    FROM {rows} WHERE entry_ms >= $start AND entry_ms < $to
    UNION ALL
    SELECT id, -1, 0, ts, status, region, agency FROM base
), marked AS (
    SELECT *, entry_ms::HUGEINT * 4294967296 + entry_seq AS k,
           ts >= coalesce(max(ts) OVER (PARTITION BY id ORDER BY entry_ms, entry_seq
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), ts) AS applies
    FROM raw
), life AS (
    SELECT id,
           min(ts) FILTER (WHERE entry_ms >= 0) AS opened,
           min(ts) FILTER (WHERE entry_ms >= 0 AND status = 'dispatched') AS dispatched,
           min(ts) FILTER (WHERE entry_ms >= 0 AND status = 'on_scene') AS on_scene,
           arg_max(status, k) FILTER (WHERE entry_ms < $from) AS status_at_from,
           bool_or(entry_ms >= $from) AS touched,
           arg_max(status, k) AS status, arg_max(region, k) AS region, arg_max(agency, k) AS agency,
           arg_max(ts, k) AS updated, arg_max(entry_ms, k) AS last_ms, arg_max(entry_seq, k) AS last_seq
    FROM marked WHERE applies GROUP BY id
), chosen AS (
    SELECT l.id, coalesce(b.opened, l.opened) AS opened, coalesce(b.dispatched, l.dispatched) AS dispatched,
           coalesce(b.on_scene, l.on_scene) AS on_scene, l.status, l.region, l.agency, l.updated,
           l.last_ms, l.last_seq
    FROM life l LEFT JOIN base b ON b.id = l.id
    WHERE (l.touched OR coalesce(l.status_at_from <> 'closed', false))
      AND list_contains($regions, l.region) AND list_contains($agencies, l.agency)
), final AS (
    SELECT c.*, f.priority, f.category, f.description, f.units, f.lon, f.lat
    FROM chosen c JOIN {rows} f ON f.entry_ms = c.last_ms AND f.entry_seq = c.last_seq AND f.id = c.id
    WHERE f.entry_ms >= $start AND f.entry_ms < $to
    QUALIFY row_number() OVER (PARTITION BY c.id) = 1
    UNION ALL
    SELECT c.*, b.priority, b.category, b.description, b.units, b.lon, b.lat
    FROM chosen c JOIN base b ON b.id = c.id WHERE c.last_ms = -1
)
SELECT id, status, priority, category, agency, region, opened, dispatched, on_scene,
       CASE WHEN status = 'closed' THEN updated END AS closed, updated, description, units, lon, lat
FROM final ORDER BY opened, id
"""

_ONCE = "QUALIFY row_number() OVER (PARTITION BY entry_ms, entry_seq) = 1"


def _iso_sql(column: str, name: str | None = None) -> str:
    """SQL for :func:`iso` of an epoch-ms column: formatted by DuckDB, in C++, ~4 M values/s
    (Python's ``datetime.isoformat`` manages ~0.3 M/s, and was most of an export's time)."""
    return f"strftime(epoch_ms({column}) + INTERVAL 3 HOUR, '%Y-%m-%dT%H:%M:%S.%g+03:00') AS {name or column}"


#: What leaves the archive: times as ISO 8601 in Riyadh time, coordinates to 6 decimals (~0.1 m).
_INCIDENT_OUT = (
    "id, status, priority, category, agency, region, "
    + ", ".join(_iso_sql(c) for c in ("opened", "dispatched", "on_scene", "closed", "updated"))
    + ", description, units, round(lon, 6) AS lon, round(lat, 6) AS lat"
)
_UNIT_FIELDS = (f"id, agency, status, region, {_iso_sql('ts', 'time')}, {_iso_sql('entry_ms', 'received')}, "
                "heading, speed, incident, round(lon, 6) AS lon, round(lat, 6) AS lat")
_UNITS_WHERE = ("entry_ms >= $from AND entry_ms < $to "
                "AND list_contains($regions, region) AND list_contains($agencies, agency)")


@dataclass
class Export:
    """One export: the archive at ``root``, a stream, a window and the scope's regions and agencies.

    :meth:`count` first (it lists the files and, for incidents, folds them), then :meth:`batches`
    once; :meth:`close` always (the API closes it when the response is done, read or not).
    """

    root: Path
    stream: Stream
    window: Window
    regions: tuple[str, ...]
    agencies: tuple[str, ...]
    lookback_ms: int = LOOKBACK_MS
    chunk_rows: int = CHUNK_ROWS
    #: The thinning intervals (seconds) of the hours read, if any were thinned.
    thinned_s: set[int] = field(default_factory=set)
    #: Incidents: whether the state before the window came from a keyframe (else from the look-back).
    keyframe: bool = False
    _con: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)
    _spill: str | None = field(default=None, repr=False)
    _count: int | None = field(default=None, repr=False)
    _hours: list[tuple[int, list[Path]]] = field(default_factory=list, repr=False)

    def _params(self, **more: Any) -> dict[str, Any]:
        return {"from": self.window.from_ms, "to": self.window.to_ms, "regions": list(self.regions),
                "agencies": list(self.agencies), **more}

    def count(self) -> int:
        """The number of records the export holds (exact now). Retried when compaction replaced a file
        between listing and reading (the rows are then in the file that replaced it)."""
        if self._count is not None:
            return self._count
        for attempt in range(3):
            try:
                self._count = self._prepare()
                return self._count
            except duckdb.IOException:
                if attempt == 2:
                    raise
                log.info("export: a file of the archive was replaced while read; listing again")
        raise AssertionError("unreachable")

    def _prepare(self) -> int:
        if self._con is None:
            self._spill = tempfile.mkdtemp(prefix="basira-export-")
            # removed by close(), or when the export is dropped unclosed (a caller that only counted)
            weakref.finalize(self, shutil.rmtree, self._spill, True)
            self._con = _connect(self._spill)
        con = self._con
        if self.stream is Stream.incidents:
            return self._fold(con)
        self._hours = hour_files(self.root, self.stream, self.window.from_ms, self.window.to_ms)
        self.thinned_s = {int(m[1]) for _, paths in self._hours for p in paths
                          if (m := re.fullmatch(r"thinned-(\d+)s\.parquet", p.name))}
        if not self._hours or not self.regions or not self.agencies:
            self._hours = []
            return 0
        sql = (f"SELECT count(*) FROM (SELECT DISTINCT entry_ms, entry_seq FROM "
               f"read_parquet($paths, hive_partitioning=0) WHERE {_UNITS_WHERE})")
        return con.execute(sql, self._params(paths=_paths(self._hours))).fetchall()[0][0]

    def _fold(self, con: duckdb.DuckDBPyConnection) -> int:
        """The incidents' records into the temporary table ``records``; their number. The state before
        the window comes from the keyframe of ``from``'s hour when there is one (every incident open
        then, however long ago it opened: the state replay starts from), else from the entries of the
        :attr:`lookback_ms` before ``from``."""
        con.execute("DROP TABLE IF EXISTS records").fetchall()
        if not self.regions or not self.agencies:
            return 0
        hour = self.window.from_ms // layout.HOUR_MS
        base = read_incident_keyframe(self.root, hour)
        self.keyframe = base is not None
        start = hour * layout.HOUR_MS if base is not None else self.window.from_ms - self.lookback_ms
        self._hours = hour_files(self.root, self.stream, start, self.window.to_ms)
        con.register("base", base if base is not None else INCIDENT_STATE.empty_table())
        params = self._params(start=start)
        if self._hours:
            rows = "read_parquet($paths, hive_partitioning=0)"
            params["paths"] = _paths(self._hours)
        else:
            rows = "no_rows"
            con.register(rows, layout.SCHEMAS[Stream.incidents].empty_table())
        con.execute(_INCIDENTS_SQL.format(rows=rows), params).fetchall()
        return con.execute("SELECT count(*) FROM records").fetchall()[0][0]

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The records, :attr:`chunk_rows` at a time, in :data:`COLUMNS` order: incidents by opening
        time then id; unit positions by receipt."""
        self.count()
        if not self._count:
            return
        con = self._con
        assert con is not None
        if self.stream is Stream.incidents:
            # In the table's order (opened, id: sorted once, when it was made; DuckDB keeps insertion
            # order), formatted as they stream out: nothing is sorted or held again here.
            yield from _reader(con.sql(f"SELECT {_INCIDENT_OUT} FROM records"), self.chunk_rows)
            return
        for hour, paths in self._hours:
            yield from self._unit_hour(con, hour, paths)

    def _unit_hour(self, con: duckdb.DuckDBPyConnection, hour: int,
                   paths: list[Path]) -> Iterator[pa.RecordBatch]:
        for attempt in range(2):
            # Each entry once (a compacted file may sit beside its parts for a moment), then by receipt.
            once = _ONCE if len(paths) > 1 else ""
            sql = (f"SELECT {_UNIT_FIELDS} FROM read_parquet($paths, hive_partitioning=0) "
                   f"WHERE {_UNITS_WHERE} {once} ORDER BY entry_ms, entry_seq")
            sent = False
            try:
                # The sort reads the whole hour before the first batch: a file replaced by compaction
                # fails here, before anything of the hour was sent, so the hour can be read again.
                for batch in _reader(con.sql(sql, params=self._params(paths=[str(p) for p in paths])),
                                     self.chunk_rows):
                    sent = True
                    yield batch
                return
            except duckdb.IOException:
                if attempt or sent:
                    raise
                paths = layout.files(layout.partition(self.root, self.stream, hour))  # compacted meanwhile
                if not paths:
                    return

    def close(self) -> None:
        """Release the DuckDB connection (and its temporary table and spill folder); safe to call twice."""
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._spill is not None:
            shutil.rmtree(self._spill, ignore_errors=True)
            self._spill = None


# --- what the file says about itself -----------------------------------------------------------------


@dataclass(frozen=True)
class About:
    """What a file says it is: the stream, the scope (as asked and as read), the window, when made."""

    stream: Stream
    window: Window
    region: str | None
    agency: str | None
    regions: tuple[str, ...]
    agencies: tuple[str, ...]
    scope_token: str
    generated_ms: int
    records: int
    thinned_s: tuple[int, ...] = ()
    keyframe: bool = False

    def title(self, lang: str) -> str:
        return t(f"export.title.{self.stream.value}", lang)

    def describe(self, lang: str) -> str:
        """One paragraph: scope, window (Riyadh time), what a record is, how many, thinning."""
        every, comma = t("export.all", lang), "، " if lang == "ar" else ", "
        if self.region:
            regions = self.region
        else:
            regions = every if set(REGION_TOKENS) <= set(self.regions) else comma.join(self.regions)
        if self.agency:
            agencies = t(f"agency.{self.agency}", lang)
        elif {a.value for a in Agency} <= set(self.agencies):
            agencies = every
        else:
            agencies = comma.join(t(f"agency.{a}", lang) for a in self.agencies)
        scope = t("export.scope", lang, regions=regions or "—", agencies=agencies or "—")
        start = f"{fmt_date(self.window.from_ms, lang)} {fmt_clock(self.window.from_ms, lang)}"
        end = f"{fmt_date(self.window.to_ms, lang)} {fmt_clock(self.window.to_ms, lang)}"
        parts = [t("export.window", lang, scope=scope, start=start, end=end),
                 t(f"export.record.{self.stream.value}", lang, records=fmt_int(self.records, lang))]
        parts += [t("export.thinned", lang, seconds=fmt_int(s, lang)) for s in self.thinned_s]
        return ". ".join(parts) + "."

    def filename(self, fmt: str) -> str:
        """``basira-incidents-SA-01-all-20261204T0100Z-20261204T0300Z.geojson``: ASCII, scope and window."""
        def stamp(ms: int) -> str:
            return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y%m%dT%H%MZ")
        scope = re.sub(r"[^A-Za-z0-9_+-]", "-", self.scope_token.replace(":", "-"))
        return (f"basira-{self.stream.value}-{scope}-{stamp(self.window.from_ms)}-"
                f"{stamp(self.window.to_ms)}.{fmt}")

    def member(self) -> dict[str, Any]:
        """The GeoJSON foreign member ``"basira"`` (and the ``count`` answer)."""
        return {
            "export": self.stream.value,
            "title": {lang: self.title(lang) for lang in LANGUAGES},
            "description": {lang: self.describe(lang) for lang in LANGUAGES},
            "scope": {"region": self.region, "agency": self.agency, "regions": list(self.regions),
                      "agencies": list(self.agencies)},
            "from": iso(self.window.from_ms), "to": iso(self.window.to_ms),
            "from_ms": self.window.from_ms, "to_ms": self.window.to_ms,
            "axis": "receipt", "generated": iso(self.generated_ms), "records": self.records,
            "keyframe": self.keyframe,
            "lookback_hours": (LOOKBACK_MS // layout.HOUR_MS
                               if self.stream is Stream.incidents and not self.keyframe else 0),
            "thinned_s": list(self.thinned_s),
        }


def about(export: Export, region: str | None, agency: str | None, scope_token: str,
          generated_ms: int) -> About:
    """What the file of ``export`` will say it is (counts it, if not yet counted)."""
    records = export.count()
    return About(export.stream, export.window, region, agency, export.regions, export.agencies,
                 scope_token, generated_ms, records, tuple(sorted(export.thinned_s)), export.keyframe)


# --- the writers ------------------------------------------------------------------------------------


def iso(ms: int | None) -> str | None:
    """Epoch ms as ISO 8601 in Riyadh time, to the millisecond (``2026-12-04T08:00:00.123+03:00``)."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms // 1000, RIYADH_TZ).replace(microsecond=ms % 1000 * 1000).isoformat(
        timespec="milliseconds")


def _rows(batch: pa.RecordBatch, columns: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """A batch's rows as dicts in ``columns`` order (formatted already by the query)."""
    data = {name: batch.column(name).to_pylist() for name in columns}
    for values in zip(*(data[name] for name in columns), strict=True):
        yield dict(zip(columns, values, strict=True))


def geojson(export: Export, info: About) -> Iterator[bytes]:
    """RFC 7946: one FeatureCollection of Points (lon, lat), ids, no ``crs``; the header, then the
    Features a batch at a time, then the footer."""
    header = orjson.dumps({"type": "FeatureCollection", "basira": info.member()})
    yield header[:-1] + b',"features":[\n'
    first = True
    for batch in export.batches():
        features = []
        for row in _rows(batch, COLUMNS[export.stream]):
            lon, lat = row.pop("lon"), row.pop("lat")
            if export.stream is Stream.incidents:
                row["units"] = row["units"].split(",") if row["units"] else []
            features.append(orjson.dumps({"type": "Feature", "id": row["id"],
                                          "geometry": {"type": "Point", "coordinates": [lon, lat]},
                                          "properties": row}))
        if features:
            yield (b"" if first else b",\n") + b",\n".join(features)
            first = False
    yield b"\n]}\n"


#: A spreadsheet reads a cell starting with one of these as a formula (OWASP's CSV injection list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutral(value: str | None) -> str | None:
    """A text cell a spreadsheet will not run: ``'`` before a leading ``= + - @``, tab or CR."""
    if value is not None and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _columns(batch: pa.RecordBatch, columns: tuple[str, ...]) -> dict[str, list[Any]]:
    return {name: batch.column(name).to_pylist() for name in columns}


def csv_rows(export: Export, info: About) -> Iterator[bytes]:
    """RFC 4180 CSV (UTF-8 with a byte-order mark, CRLF): the header row, then a chunk per batch.
    Column by column: only the text columns are looked at, and ``csv`` writes the rows in C."""
    columns = COLUMNS[export.stream]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield "\ufeff".encode() + buffer.getvalue().encode()
    for batch in export.batches():
        buffer.seek(0)
        buffer.truncate()
        data = _columns(batch, columns)
        for name in TEXT_COLUMNS & data.keys():
            data[name] = [_neutral(v) for v in data[name]]
        writer.writerows(zip(*data.values(), strict=True))  # None is written as an empty cell
        yield buffer.getvalue().encode()


#: Characters XML 1.0 cannot carry at all, escaped or not.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: A carriage return as a reference: written as is, an XML parser would read it as a line feed.
_XML_MORE = {"\r": "&#13;"}


def xml_text(value: Any) -> str:
    """``value`` as XML character data: escaped, with characters XML forbids replaced by U+FFFD."""
    return escape(_NOT_XML.sub("\ufffd", str(value)), _XML_MORE)


def _xml_column(values: list[Any]) -> list[str | None]:
    """:func:`xml_text` of a column, each distinct value once (statuses, agencies, regions repeat)."""
    memo: dict[Any, str] = {}
    out: list[str | None] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        text = memo.get(value)
        if text is None:
            text = memo[value] = xml_text(value)
        out.append(text)
    return out


def kml(export: Export, info: About) -> Iterator[bytes]:
    """KML 2.2: a Document named and described in Arabic and English, a Placemark per record (its id as
    name, TimeSpan opened–closed or a TimeStamp, every field as ExtendedData, a Point).

    KML viewers (Google Earth among them) draw a Placemark's description and data as HTML, so text from
    outside is HTML-escaped first and XML-escaped then: an XML parser reads ``&lt;script&gt;``, a
    balloon shows ``<script>`` as text, and ``html.unescape`` gives back the original exactly. The exact
    text, unescaped, is in the GeoJSON and CSV exports."""
    name = " · ".join(info.title(lang) for lang in LANGUAGES)
    described = "\n\n".join(info.describe(lang) for lang in LANGUAGES)
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">\n<Document>\n'
        f"<name>{xml_text(name)}</name>\n<description>{xml_text(described)}</description>\n"
    ).encode()
    columns = COLUMNS[export.stream]
    fields = [c for c in columns if c not in ("lon", "lat")]
    opening = [f'<Data name="{c}"><value>' for c in fields]
    incidents = export.stream is Stream.incidents
    for batch in export.batches():
        data = _columns(batch, columns)
        for c in TEXT_COLUMNS & data.keys():  # HTML in a balloon: shown as text, never run
            data[c] = [None if v is None else html.escape(v) for v in data[c]]
        text = {c: _xml_column(data[c]) for c in fields}
        out = []
        for i, (lon, lat) in enumerate(zip(data["lon"], data["lat"], strict=True)):
            if incidents:
                closed = text["closed"][i]
                when = (f"<TimeSpan><begin>{text['opened'][i]}</begin>"
                        + (f"<end>{closed}</end>" if closed else "") + "</TimeSpan>")
                about = text["description"][i] or ""
            else:
                when, about = f"<TimeStamp><when>{text['time'][i]}</when></TimeStamp>", ""
            extended = "".join(f"{tag}{value}</value></Data>" for tag, c in zip(opening, fields, strict=True)
                               if (value := text[c][i]) is not None)
            out.append(
                f"<Placemark><name>{text['id'][i]}</name><description>{about}</description>{when}"
                f"<ExtendedData>{extended}</ExtendedData>"
                f"<Point><coordinates>{lon},{lat}</coordinates></Point></Placemark>\n"
            )
        yield "".join(out).encode()
    yield b"</Document>\n</kml>\n"


WRITERS: dict[str, Callable[[Export, About], Iterator[bytes]]] = {
    "geojson": geojson, "csv": csv_rows, "kml": kml,
}


def write(fmt: str, export: Export, info: About) -> Iterator[bytes]:
    """The file, chunk by chunk; the export is closed when the last chunk is out (or the reader
    stops). A failure mid-stream is logged and ends the file early (never a traceback into it): the
    reader sees fewer records than ``info.records``, and GeoJSON and KML do not parse."""
    try:
        yield from WRITERS[fmt](export, info)
    except Exception:  # noqa: BLE001 - logged with its traceback; the client sees a short file
        log.exception("export of %s (%s) failed mid-stream", export.stream.value, fmt)
    finally:
        export.close()
