"""Port history for planners: hourly counts per port × direction × kind, kept for more than a year.
The part ``store.port_history``.

The ingest worker counts port entries into one hash per port and epoch day (``<p>:port:<port>:<day>``,
fields ``<hour>:<direction>:<kind>``), once per stream entry, and lets it expire after
``port_history_days``. Forecasts need more: a year and a bit, so that last year's Hajj and Ramadan
are still there when this year's come (a Hijri year is 354–355 days; 400 days leaves room for the
weeks before a season). Those days live in an **archive**, one small hash per port and month:

``<p>:porth:<port>:<YYYYMM>``  field ``<epoch day>`` → 240 counts, comma-separated, in the order
direction (arrival, departure) × kind (citizen, resident, visitor, pilgrim, vehicles) × UTC hour 0–23.

A day is one field of ~0.5–1 KB, not 240 fields of ~70 bytes each (``docs/ports.md`` measures both).
Each month key expires :data:`ARCHIVE_DAYS` after the month ends, so every day stays at least that long.

The archive is **derived**, never counted into: :meth:`PortHistory.rollup_ports` recomputes whole days
from the day hashes and writes them with ``HSET`` (taking, cell by cell, the larger of what the
archive holds and what the day hash holds, which is what a later rollup would write anyway). Run it
twice, or from two workers at once, and the archive is the same. Reads merge the day hashes still
alive into the archive the same way, so hours not yet rolled up are never missing.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from ..ports import DIRECTIONS, KINDS
from .errors import guarded
from .keys import DAY_MS, HOUR_MS, Keys

if TYPE_CHECKING:
    import redis

    from ..geo import Port

#: Days every archived day is kept, at least.
ARCHIVE_DAYS = 520
#: Counts in one archived day: direction × kind × hour.
DAY_SHAPE = (len(DIRECTIONS), len(KINDS), 24)
#: Days rolled up on every call: today and yesterday, where late entries still land.
RECENT_DAYS = 2


def _month(day: int) -> date:
    d = date(1970, 1, 1) + timedelta(days=day)
    return d.replace(day=1)


def archive_key(prefix: str, port: str, day: int) -> str:
    """The archive hash holding epoch ``day`` of ``port`` (:meth:`.keys.Keys.port_archive`)."""
    return Keys(prefix).port_archive(port, _month(day).strftime("%Y%m"))


def _expire_at(day: int) -> int:
    """Epoch seconds when the month key holding ``day`` may go: ARCHIVE_DAYS after the month ends."""
    first = _month(day)
    days_in_month = calendar.monthrange(first.year, first.month)[1]
    end = (first - date(1970, 1, 1)).days + days_in_month
    return (end + ARCHIVE_DAYS) * 86_400


def pack_day(counts: np.ndarray) -> str:
    """[direction, kind, hour] counts → the archive's text form."""
    return ",".join(map(str, np.asarray(counts, dtype=np.int64).reshape(-1).tolist()))


def unpack_day(value: str) -> np.ndarray:
    """The archive's text form → [direction, kind, hour] counts."""
    return np.array(value.split(","), dtype=np.int64).reshape(DAY_SHAPE)


def _day_hash_counts(day: int, fields: dict[str, str]) -> np.ndarray:
    """A live day hash (``<hour>:<direction>:<kind>`` → count) as [direction, kind, hour] counts."""
    out = np.zeros(DAY_SHAPE, dtype=np.int64)
    first_hour = day * 24
    for name, value in fields.items():
        hour, direction, kind = name.split(":")
        h = int(hour) - first_hour
        if 0 <= h < 24 and direction in DIRECTIONS and kind in KINDS:
            out[DIRECTIONS.index(direction), KINDS.index(kind), h] = int(value)
    return out


@guarded
class PortHistory:
    """The long-term port archive, and the day hashes it merges. ``ports`` is the ports table;
    ``port_ttl_s`` how long the day hashes live (``port_history_days``)."""

    def __init__(self, client: redis.Redis, keys: Keys, ports: dict[str, Port], port_ttl_s: int) -> None:
        self.client = client
        self.keys = keys
        self.ports = ports
        self.port_ttl_s = port_ttl_s

    def write_port_days(self, port: str, first_day: int, days: np.ndarray) -> None:
        """Archive whole days (``[day, direction, kind, hour]``) from ``first_day``, replacing them.

        For writers that know whole days: the history backfill. Idempotent.
        """
        with self.client.pipeline(transaction=False) as pipe:
            by_key: dict[str, dict[str, str]] = {}
            for i, counts in enumerate(days):
                day = first_day + i
                by_key.setdefault(archive_key(self.keys.prefix, port, day), {})[str(day)] = pack_day(counts)
            for key, mapping in by_key.items():
                pipe.hset(key, mapping=mapping)
                pipe.expireat(key, _expire_at(int(next(iter(mapping)))))
            pipe.execute()

    def port_hours(self, port: str, first_hour: int, hours: int, now_ms: int) -> np.ndarray:
        """Counts ``[hour, direction, kind]`` for ``hours`` epoch hours from ``first_hour``.

        One pipelined round trip: the archive's days, merged (cell by cell, the larger) with the
        day hashes of the last ``port_history_days`` days, which are authoritative for hours the
        archive has not caught up with. Hours with no data are zero.
        """
        first_day = first_hour * HOUR_MS // DAY_MS
        last_day = (first_hour + hours - 1) * HOUR_MS // DAY_MS
        days = list(range(first_day, last_day + 1))
        merged = self._port_days(port, days, now_ms)
        flat = merged.transpose(0, 3, 1, 2).reshape(len(days) * 24, *DAY_SHAPE[:2])
        start = first_hour - first_day * 24
        return flat[start : start + hours]

    def _port_days(self, port: str, days: list[int], now_ms: int) -> np.ndarray:
        """[day, direction, kind, hour] for ``days``: archive and live day hashes merged."""
        with self.client.pipeline(transaction=False) as pipe:
            by_key: dict[str, list[int]] = {}
            for day in days:
                by_key.setdefault(archive_key(self.keys.prefix, port, day), []).append(day)
            for key, key_days in by_key.items():
                pipe.hmget(key, [str(d) for d in key_days])
            live = [d for d in days if d > now_ms // DAY_MS - self.port_ttl_s // 86_400]
            for day in live:
                pipe.hgetall(self.keys.port_day(port, day))
            replies = pipe.execute()
        out = np.zeros((len(days), *DAY_SHAPE), dtype=np.int64)
        index = {d: i for i, d in enumerate(days)}
        for key_days, values in zip(by_key.values(), replies[: len(by_key)], strict=True):
            for day, value in zip(key_days, values, strict=True):
                if value:
                    out[index[day]] = unpack_day(value)
        for day, fields in zip(live, replies[len(by_key) :], strict=True):
            if fields:
                np.maximum(out[index[day]], _day_hash_counts(day, fields), out=out[index[day]])
        return out

    def rollup_ports(self, now_ms: int, days: Iterable[int] | None = None) -> int:
        """Copy the live day hashes into the archive; returns how many port-days were written.

        By default (``days`` None) it rolls up today and yesterday (UTC epoch days), where late
        entries still land — call it every minute or so, as the ingest worker's maintenance does —
        and, once an hour (whichever worker gets there first), every day the day hashes still hold,
        so the archive ends up complete whatever was missed. Idempotent: each archived day becomes
        the cell-wise larger of itself and the day hash, so repeating a rollup changes nothing.
        """
        today = now_ms // DAY_MS
        if days is None:
            hourly = self.client.set(self.keys.port_rollup_marker, str(now_ms), nx=True, ex=3600)
            back = self.port_ttl_s // 86_400 if hourly else RECENT_DAYS
            days = range(today - back + 1, today + 1)
        wanted = sorted(set(days))
        with self.client.pipeline(transaction=False) as pipe:
            pairs = [(port, day) for port in self.ports for day in wanted]
            for port, day in pairs:
                pipe.hgetall(self.keys.port_day(port, day))
            live = pipe.execute()
        todo = [(port, day, fields) for (port, day), fields in zip(pairs, live, strict=True) if fields]
        grouped = _group_by_key(self.keys.prefix, todo)
        for key, rows in grouped.items():
            pipe.hmget(key, [str(day) for day, _ in rows])
        archived = pipe.execute()
        for (key, rows), current in zip(grouped.items(), archived, strict=True):
            mapping = {}
            for (day, counts), old in zip(rows, current, strict=True):
                mapping[str(day)] = pack_day(np.maximum(counts, unpack_day(old)) if old else counts)
            pipe.hset(key, mapping=mapping)
            pipe.expireat(key, _expire_at(rows[0][0]))
        pipe.execute()
        return len(todo)


def _group_by_key(
    prefix: str, todo: list[tuple[str, int, dict[str, str]]]
) -> dict[str, list[tuple[int, np.ndarray]]]:
    grouped: dict[str, list[tuple[int, np.ndarray]]] = {}
    for port, day, fields in todo:
        grouped.setdefault(archive_key(prefix, port, day), []).append((day, _day_hash_counts(day, fields)))
    return grouped
