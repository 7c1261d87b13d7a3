"""The archive's layout on disk: the contract other tools read (docs/archive.md).

Every applied entry of the four input streams is kept as a row of Apache Parquet, in one folder per
stream and hour of **receipt** (the stream entry id's time, UTC — not the event's ``ts``)::

    <archive>/stream=incidents/date=2026-12-04/hour=05/part-1764824400123-0_1764824409876-3.parquet
    <archive>/stream=units/date=2026-12-04/hour=05/hour.parquet            (the hour, compacted)
    <archive>/stream=units/date=2026-11-20/hour=05/thinned-60s.parquet     (positions thinned)

Partitioning by receipt, not event time, is what makes the archive append-only: a late or
out-of-order entry lands in the hour it arrived, so an hour once closed never changes, and the
picture at any moment *T* is exactly what the live store held at *T* — per id, the entry with the
newest ``ts`` among those received by *T* (the ingest worker's rule). Hive-style names
(``key=value``) let DuckDB, Trino, Spark or pandas read the partitions as columns.

Files are immutable: written under a dot-name, flushed to disk (fsync), renamed into place and the
folder synced, so a reader (or a process killed mid-write) never sees half a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..contract import Stream

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

#: Columns every stream's rows share: where the entry sits in its stream, and Basira's derived fields.
#: ``entry_ms``/``entry_seq`` are the stream entry id (``<entry_ms>-<entry_seq>``: Redis's time of
#: receipt and a sequence number), the key that makes archiving idempotent; ``region`` is the region
#: the entry was filed under (the producer's, or assigned from the point, or ``outside``);
#: ``archived_ms`` is when the archiver took it in.
COMMON = [
    pa.field("entry_ms", pa.int64(), nullable=False),
    pa.field("entry_seq", pa.int32(), nullable=False),
    pa.field("ts", pa.int64(), nullable=False),
    pa.field("region", pa.string(), nullable=False),
    pa.field("archived_ms", pa.int64(), nullable=False),
]

SCHEMAS: dict[Stream, pa.Schema] = {
    Stream.incidents: pa.schema(COMMON + [
        pa.field("id", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("agency", pa.string(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("priority", pa.int8(), nullable=False),
        pa.field("lat", pa.float64(), nullable=False),
        pa.field("lon", pa.float64(), nullable=False),
        pa.field("description", pa.string()),
        pa.field("units", pa.string()),  # comma-separated, as on the wire
        pa.field("future", pa.bool_(), nullable=False),  # ts more than a minute ahead of its receipt
    ]),
    Stream.units: pa.schema(COMMON + [
        pa.field("id", pa.string(), nullable=False),
        pa.field("agency", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("lat", pa.float64(), nullable=False),
        pa.field("lon", pa.float64(), nullable=False),
        pa.field("heading", pa.float32()),
        pa.field("speed", pa.float32()),
        pa.field("incident", pa.string()),
    ]),
    Stream.ports: pa.schema(COMMON + [
        pa.field("port", pa.string(), nullable=False),
        pa.field("direction", pa.string(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("travellers", pa.int32(), nullable=False),
        pa.field("vehicles", pa.int32()),
        pa.field("wait_min", pa.float32()),
    ]),
    Stream.calls: pa.schema(COMMON + [
        pa.field("id", pa.string(), nullable=False),
        pa.field("answered_ts", pa.int64()),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("outcome", pa.string(), nullable=False),
        pa.field("incident", pa.string()),
    ]),
}

#: How each stream's rows are sorted inside a compacted hour: by entity, then time, which is what
#: lets Parquet's delta and dictionary encodings (and zstd) shrink a unit's track to a few bytes a point.
SORT_KEYS: dict[Stream, list[str]] = {
    Stream.incidents: ["id", "entry_ms", "entry_seq"],
    Stream.units: ["id", "entry_ms", "entry_seq"],
    Stream.ports: ["port", "entry_ms", "entry_seq"],
    Stream.calls: ["entry_ms", "entry_seq"],
}


def utc_hour(ms: int) -> datetime:
    return datetime.fromtimestamp((ms // HOUR_MS) * HOUR_MS / 1000, UTC)


def partition(root: Path, stream: Stream, hour: int) -> Path:
    """The folder of ``stream``'s entries received in epoch hour ``hour`` (``ms // HOUR_MS``)."""
    when = utc_hour(hour * HOUR_MS)
    return root / f"stream={stream.value}" / f"date={when:%Y-%m-%d}" / f"hour={when:%H}"


def hour_of(folder: Path) -> int:
    """The epoch hour of a partition folder (the inverse of :func:`partition`)."""
    date = folder.parent.name.removeprefix("date=")
    hour = folder.name.removeprefix("hour=")
    when = datetime.strptime(f"{date} {hour}", "%Y-%m-%d %H").replace(tzinfo=UTC)
    return int(when.timestamp() * 1000) // HOUR_MS


def hours(root: Path, stream: Stream) -> Iterator[tuple[int, Path]]:
    """Every partition of ``stream`` as (epoch hour, folder), oldest first."""
    base = root / f"stream={stream.value}"
    if not base.is_dir():
        return
    for day in sorted(base.glob("date=*")):
        for folder in sorted(day.glob("hour=*")):
            if folder.is_dir():
                yield hour_of(folder), folder


def files(folder: Path) -> list[Path]:
    """The finished Parquet files of a partition (never a file still being written)."""
    return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))


def glob(root: Path, stream: Stream) -> str:
    """The glob of a stream's whole archive (DuckDB: ``read_parquet(<glob>, hive_partitioning=1)``)."""
    return str(root / f"stream={stream.value}" / "*" / "*" / "*.parquet")


def table(stream: Stream, rows: Iterable[dict] | dict[str, list]) -> pa.Table:
    """Rows (dicts, or columns) as an Arrow table of the stream's schema."""
    schema = SCHEMAS[stream]
    if isinstance(rows, dict):
        return pa.Table.from_pydict(rows, schema=schema)
    return pa.Table.from_pylist(list(rows), schema=schema)


def write_atomic(path: Path, data: pa.Table, metadata: dict[str, str] | None = None) -> Path:
    """Write ``data`` to ``path`` so that it is either there whole or not at all, and durable.

    The file is written under a dot-name in the same folder, fsync'd, renamed over ``path`` and the
    folder fsync'd: after a crash at any point there is the old state or the new, never a torn file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if metadata:
        data = data.replace_schema_metadata({**(data.schema.metadata or {}), **metadata})
    try:
        pq.write_table(
            data, tmp, compression="zstd", compression_level=6, use_dictionary=True,
            write_statistics=True, row_group_size=1_000_000,
        )
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    sync_dir(path.parent)
    return path


def sync_dir(folder: Path) -> None:
    """Make a rename or unlink in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def part_name(first: tuple[int, int], last: tuple[int, int]) -> str:
    """A part's file name, from the ids of its first and last entries: unique per write."""
    return f"part-{first[0]}-{first[1]}_{last[0]}-{last[1]}.parquet"


def entry_key(entry_id: str) -> tuple[int, int]:
    """``"1764824400123-4"`` → ``(1764824400123, 4)``."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
