"""Open incidents as columns — what the KPIs, the region counts, the heatmap and the incident list need
of each, and what the map draws of each in a whole picture — read without parsing their Features.

Each open incident's slim row is kept beside its Feature by the apply script
(:meth:`.keys.Keys.incident_slim`): one line of comma-separated values,
``id,lon,lat,priority,status,region,agency,category,units,opened`` (:data:`SLIM_COLUMNS`; ``units``
space-separated), ~80 bytes where its Feature is ~360 (the producer's description most of it). None of
its values can hold a comma, a space, a quote or a backslash (ids match the contract's
``[A-Za-z0-9._:-]``, the rest are our own tokens and numbers), so it needs no quoting, as CSV or inside
a JSON string.

A summary of the national scope at 100,000 open incidents reads those rows (~8 MB) and parses them as
one CSV with pyarrow's reader into :class:`IncidentRows`, numpy columns (~20 ms on the benchmark's
machines; the web workers import pyarrow already, pandas not), which the summary's parts count and
sort without a Python object per incident. Parsing the Features took over a second of a web worker's
CPU, reading them with regular expressions 0.4–0.5 s, and even JSON arrays of the same values parsed
by orjson ~0.5 s (a Python object for every value of every row: issue 17, first render).

A store written before the rows were kept has Features without rows; a cell whose rows are fewer than
its Features is read from its Features instead (:func:`slim_of`, :func:`.reads.slim_rows`), so what is
read is whole.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import numpy as np
import orjson

from ..contract import OUTSIDE, REGION_TOKENS, Agency, IncidentStatus
from ..geo import Points

#: A slim row's values, in order (``lua.APPLY_INCIDENTS`` adds ``opened``, which only it knows).
SLIM_COLUMNS = ("id", "lon", "lat", "priority", "status", "region", "agency", "category", "units", "opened")
#: The statuses of an open incident and the agencies, in the order of :class:`IncidentRows`' codes.
STATUSES: tuple[str, ...] = tuple(s.value for s in IncidentStatus if s is not IncidentStatus.closed)
AGENCIES: tuple[str, ...] = tuple(a.value for a in Agency)


def slim_head(ident: str, lon: float, lat: float, priority: int, status: str, region: str, agency: str,
              category: str, units: Iterable[str]) -> str:
    """A slim row up to its last value, ``opened`` (the apply script adds it: only it knows)."""
    return f"{ident},{lon},{lat},{priority},{status},{region},{agency},{category},{' '.join(units)},"


@functools.cache
def _reader() -> tuple[Any, Any, Any, Any, type[Exception]]:
    """pyarrow's CSV reader and its options for slim rows — imported on first use: the web workers
    read rows, the ingest worker (which imports the store) never does."""
    import pyarrow as pa
    from pyarrow import csv

    coded = pa.dictionary(pa.int32(), pa.string())
    convert = csv.ConvertOptions(
        include_columns=list(_FIELDS),
        column_types={"id": pa.string(), "lon": pa.float64(), "lat": pa.float64(), "priority": pa.int8(),
                      "status": coded, "region": coded, "agency": coded, "opened": pa.int64()},
        null_values=[], strings_can_be_null=False,  # an empty number refuses the batch (read row by row)
    )
    return (csv.read_csv, csv.ReadOptions(column_names=list(SLIM_COLUMNS), use_threads=False),
            csv.ParseOptions(invalid_row_handler=lambda _row: "skip"), convert, pa.ArrowException)


class IncidentRow(NamedTuple):
    """One open incident, slim: one of the few the incident list shows (read whole by id)."""

    id: str
    priority: int
    status: str
    region: str
    agency: str
    opened: int
    lon: float
    lat: float


@dataclass(frozen=True)
class IncidentRows:
    """The open incidents of a scope as parallel columns: ``status``, ``region`` and ``agency`` as
    indexes into :data:`STATUSES`, :data:`~app.contract.REGION_TOKENS` and :data:`AGENCIES` (a
    count by any of them is a ``bincount``)."""

    id: np.ndarray  # str objects
    lon: np.ndarray
    lat: np.ndarray
    priority: np.ndarray  # int8, 1 most urgent
    status: np.ndarray  # int8
    region: np.ndarray  # int8
    agency: np.ndarray  # int8
    opened: np.ndarray  # epoch ms, int64

    @classmethod
    def empty(cls) -> IncidentRows:
        small, wide, real = np.zeros(0, np.int8), np.zeros(0, np.int64), np.zeros(0)
        return cls(np.zeros(0, object), real, real, small, small, small, small, wide)

    @classmethod
    def of_slim(cls, texts: Sequence[str] | Sequence[bytes]) -> IncidentRows:
        """The rows of slim row texts, parsed as one CSV; a text that is not a slim row is left out
        (they are Basira's own: none is expected)."""
        if not texts:
            return cls.empty()
        read_csv, read, parse, convert, unreadable = _reader()
        data = b"\n".join(t if isinstance(t, bytes) else t.encode() for t in texts)
        try:
            table = read_csv(io.BytesIO(data), read_options=read, parse_options=parse,
                             convert_options=convert)
        except unreadable:
            return cls.of([row for row in map(_row_of, texts) if row is not None])
        column = table.column
        return cls(
            np.array(column("id").combine_chunks().to_pylist(), object),
            _numbers(column("lon"), np.float64),
            _numbers(column("lat"), np.float64),
            _numbers(column("priority"), np.int8),
            _codes(column("status"), STATUSES),
            _codes(column("region"), REGION_TOKENS),
            _codes(column("agency"), AGENCIES),
            _numbers(column("opened"), np.int64),
        )

    @classmethod
    def of(cls, rows: Iterable[IncidentRow]) -> IncidentRows:
        """Columns of rows made one by one (a replayed moment's incidents)."""
        rows = list(rows)
        if not rows:
            return cls.empty()

        def index(table: tuple[str, ...], values: Iterable[str]) -> np.ndarray:
            where = {v: i for i, v in enumerate(table)}
            return np.fromiter((where.get(v, -1) for v in values), np.int8, count=len(rows))

        return cls(
            np.array([r.id for r in rows], object),
            np.fromiter((r.lon for r in rows), float, count=len(rows)),
            np.fromiter((r.lat for r in rows), float, count=len(rows)),
            np.fromiter((r.priority for r in rows), np.int8, count=len(rows)),
            index(STATUSES, (r.status for r in rows)),
            index(REGION_TOKENS, (r.region for r in rows)),
            index(AGENCIES, (r.agency for r in rows)),
            np.fromiter((r.opened for r in rows), np.int64, count=len(rows)),
        )

    def __len__(self) -> int:
        return len(self.id)

    def where(self, mask: np.ndarray) -> IncidentRows:
        return IncidentRows(*(getattr(self, name)[mask] for name in _FIELDS))

    def in_regions(self, regions: Iterable[str]) -> IncidentRows:
        """Those in ``regions`` (tokens)."""
        wanted = [REGION_TOKENS.index(r) for r in regions if r in REGION_TOKENS]
        return self.where(np.isin(self.region, wanted))

    def most_urgent(self, n: int) -> list[IncidentRow]:
        """The ``n`` most urgent, in order: priority 1 before 4, then the longest open."""
        order = np.lexsort((self.opened, self.priority))[:n]
        return [IncidentRow(str(self.id[i]), int(self.priority[i]), _at(STATUSES, self.status[i]),
                            _at(REGION_TOKENS, self.region[i]), _at(AGENCIES, self.agency[i]),
                            int(self.opened[i]), float(self.lon[i]), float(self.lat[i])) for i in order]

    def by_region(self) -> dict[str, tuple[int, int]]:
        """Region token → (open incidents, of which priority 1), for the regions that have any."""
        size = len(REGION_TOKENS)
        valid = self.region >= 0
        region = self.region[valid]
        counts = np.bincount(region, minlength=size)
        p1 = np.bincount(region[self.priority[valid] == 1], minlength=size)
        return {REGION_TOKENS[i]: (int(counts[i]), int(p1[i])) for i in np.flatnonzero(counts)}

    def pairs(self) -> list[tuple[int, str]]:
        """(priority, status) of each, as the KPIs count them (grouped: counted, not looped over)."""
        known = (self.status >= 0) & (self.priority >= 1) & (self.priority <= 4)
        combined = (self.priority[known].astype(np.int64) - 1) * len(STATUSES) + self.status[known]
        counts = np.bincount(combined, minlength=4 * len(STATUSES))
        out: list[tuple[int, str]] = []
        for code in np.flatnonzero(counts):
            out += [(int(code) // len(STATUSES) + 1, STATUSES[int(code) % len(STATUSES)])] * int(counts[code])
        return out

    def points(self) -> Points:
        """Position, opening time and region of each (:class:`app.geo.Points`, for the heatmap)."""
        region = np.where(self.region >= 0, self.region, REGION_TOKENS.index(OUTSIDE)).astype(np.int8)
        return Points(self.lon, self.lat, self.opened, region)


#: The columns of :class:`IncidentRows`, in order: the slim row's values it reads.
_FIELDS = tuple(f.name for f in fields(IncidentRows))


def _numbers(column: Any, dtype: type) -> np.ndarray:
    """A pyarrow column or array of numbers (no nulls: they are refused when read) as a numpy array, read
    from its buffer — pyarrow's own ``to_numpy`` imports pandas (~0.25 s and ~30 MB a web worker,
    which needs pandas for nothing else)."""
    array = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    size = np.dtype(dtype).itemsize
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * size).copy()


def _codes(column: Any, table: tuple[str, ...]) -> np.ndarray:
    """A dictionary-encoded column's values (a pyarrow ``ChunkedArray``) as indexes into ``table``
    (-1: not in it)."""
    coded = column.combine_chunks()
    where = {v: i for i, v in enumerate(table)}
    lookup = np.array([where.get(v, -1) for v in coded.dictionary.to_pylist()] or [-1], np.int8)
    return lookup[_numbers(coded.indices, np.int32)]


def _at(table: tuple[str, ...], code: int) -> str:
    return table[code] if 0 <= code < len(table) else ""


def _row_of(text: str | bytes) -> IncidentRow | None:
    """One slim row parsed alone (when the batch's CSV could not be read)."""
    try:
        values = (text.decode() if isinstance(text, bytes) else text).split(",")
        ident, lon, lat, priority, status, region, agency, _category, _units, opened = values
        return IncidentRow(ident, int(priority), status, region, agency, int(opened), float(lon), float(lat))
    except ValueError:
        return None


def slim_of(text: str | bytes) -> bytes | None:
    """The slim row of a stored incident Feature (for a store written before the rows were kept);
    ``None`` for a text that is not an incident Feature with a position."""
    try:
        feature = orjson.loads(text)
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"][:2]
        head = slim_head(feature["id"], float(lon), float(lat), int(props.get("priority") or 4),
                         props["status"], props["region"], props["agency"], props.get("category") or "",
                         props.get("units") or [])
        return f"{head}{int(props.get('opened') or props['ts'])}".encode()
    except (KeyError, TypeError, ValueError, orjson.JSONDecodeError):
        return None
