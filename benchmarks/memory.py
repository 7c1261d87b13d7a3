"""Memory with a large picture and a day of history: Redis ``used_memory`` and web-worker RSS.

Waiting 24 hours is not an option, so the history is *synthesised at speed and extrapolated*:

1. The simulator (1 incident/s, real-time lives: ~200 entries/s, mostly unit positions) writes
   ``sample_hours`` of operations, with their event times *and* stream entry ids spread over the
   last ``sample_hours`` (as if written then), and the ingest worker applies them — as it would
   have, live. Redis is measured after each half of the entries; what the second half added per
   entry, × 200 entries/s × 3,600 s, is what a further hour of history adds (by then the fleet and
   the day's counters exist; what still grows is the streams, the closed incidents, the once-only
   sets and the hourly KPIs — the history's part linear in time until its 24 h window closes, the
   streams' until the default stream retention (``BASIRA_STREAM_RETENTION_HOURS``) trims them).
2. The large picture — ``incidents`` open incidents and 2,000 units — is written on top.
3. Redis at 24 h = measured now + the rest's growth per hour × (24 − ``sample_hours``) + the
   streams' growth per hour × the hours of retention still to fill.

Web-worker RSS is measured, not extrapolated: the largest gunicorn worker after each has served
the page's refresh for the large picture several times (the live page reads the open picture,
not the history).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from app.contract import INPUT_STREAMS
from app.settings import Settings
from app.simulation import Scenario, World

from .harness import say, wait_until
from .load import Entry

#: Entries per second the history stands for (the target's rate).
HISTORY_RATE = 200.0
#: The history window the target speaks of.
DAY_HOURS = 24.0


def used_mb(client: redis.Redis) -> float:
    return client.info("memory")["used_memory"] / 2**20


def history(start_ms: int, end_ms: int, seed: int = 9) -> list[Entry]:
    """The simulator's operations between ``start_ms`` and ``end_ms`` (real-time lives, ~200/s)."""
    sim = Scenario(World.from_settings(Settings()), seed=seed, start_ms=start_ms, rate=1.0, time_scale=1.0)
    out: list[Entry] = []
    while sim.now_ms < end_ms:
        out += sim.advance(min(end_ms, sim.now_ms + 60_000))
    return out


def xadd_dated(
    client: redis.Redis, prefix: str, entries: list[Entry], last: dict[str, tuple[int, int]]
) -> None:
    """``XADD`` with explicit ids at each entry's time, so that trimming by age treats them as written
    then. ``last`` holds each stream's last id (kept increasing across calls: a call is written when
    it ends, after its ``ts``)."""
    for start in range(0, len(entries), 5_000):
        pipe = client.pipeline(transaction=False)
        for stream, fields in entries[start : start + 5_000]:
            key = stream.key(prefix)
            ms, seq = last.get(key, (0, -1))
            ts = int(fields["ts"])
            ms, seq = (ts, 0) if ts > ms else (ms, seq + 1)
            last[key] = (ms, seq)
            pipe.xadd(key, fields, id=f"{ms}-{seq}")  # type: ignore[arg-type]
        pipe.execute()


@dataclass
class RedisMemory:
    measured_mb: float
    growth_mb_per_hour: float
    sample_hours: float
    entries_per_s: float
    #: Of ``growth_mb_per_hour``, the streams' part (entries × their size), and how long they keep it.
    stream_mb_per_hour: float = 0.0
    retention_hours: float = DAY_HOURS

    @property
    def at_24h_mb(self) -> float:
        # what is not the streams grows or stays (history, counters); a negative difference of two
        # noisy readings (the allocator) counts as none
        rest = max(0.0, self.growth_mb_per_hour - self.stream_mb_per_hour)
        kept = min(self.retention_hours, DAY_HOURS) - min(self.retention_hours, self.sample_hours)
        return self.measured_mb + rest * (DAY_HOURS - self.sample_hours) + self.stream_mb_per_hour * kept


def write_history(
    client: redis.Redis, prefix: str, sample_hours: float, applied: Callable[[], int], timeout: float
) -> tuple[float, float, float]:
    """Write ``sample_hours`` of history in two halves; the growth per hour at 200 entries/s (what
    the second half added, per entry, × 200 × 3,600), the streams' share of it (measured the same
    way, ``MEMORY USAGE`` of the streams), and the rate the sample ran at."""
    now = int(time.time() * 1000)
    entries = history(now - int(sample_hours * 3_600_000), now)
    rate = len(entries) / (sample_hours * 3600)
    say(f"  history: {len(entries):,} entries for {sample_hours:g} h ({rate:,.0f}/s)")
    halves = entries[: len(entries) // 2], entries[len(entries) // 2 :]
    last: dict[str, tuple[int, int]] = {}
    done = applied()
    readings = []
    for part in halves:
        xadd_dated(client, prefix, part, last)
        done += len(part)
        wait_until(lambda d=done: applied() >= d, timeout, every=0.2, what="the history to be applied")
        readings.append((used_mb(client), streams(client, prefix).bytes / 2**20))
    per_hour = HISTORY_RATE * 3600 / max(len(halves[1]), 1)
    growth = (readings[1][0] - readings[0][0]) * per_hour
    stream_growth = (readings[1][1] - readings[0][1]) * per_hour
    return growth, stream_growth, rate


@dataclass
class Streams:
    entries: int
    bytes: int

    @property
    def bytes_per_entry(self) -> float:
        return self.bytes / self.entries if self.entries else 0.0


def streams(client: redis.Redis, prefix: str) -> Streams:
    """What the input streams hold and take (``MEMORY USAGE … SAMPLES 0``: every node counted)."""
    entries = size = 0
    for stream in INPUT_STREAMS:
        key = stream.key(prefix)
        entries += client.xlen(key)
        size += client.memory_usage(key, samples=0) or 0
    return Streams(entries, size)
