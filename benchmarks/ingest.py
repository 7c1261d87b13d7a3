"""Ingest throughput: one ``python -m app ingest`` process against a raw consumer, same entries, same run.

The entries are the simulator's (:class:`app.simulation.Scenario`, the demo's mix: mostly unit
positions, then incidents, calls and ports), generated before timing and written to the streams
in one go. Then each consumer drains them in its own process and consumer group while the suite
polls its progress counter every 20 ms; the rate is the slope between 10 % and 90 % done, so
neither the process's start-up nor its last partial batch counts. Over the same window the CPU
time of the consumer's process and of Redis says where each entry's cost lies.

The raw path (``python -m benchmarks.ingest``) is the least a consumer can do: ``XREADGROUP``,
then per entry one pipelined ``HSET`` of its fields and one ``XACK`` — no validation, no regions,
no state rules.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import psutil
import redis

from app.contract import INPUT_STREAMS
from app.settings import Settings
from app.simulation import Scenario, World

from .harness import Child, Children, applied, say, start_ingest
from .load import Entry, xadd_all

#: Simulated time advanced per slice while generating entries (ms).
_SLICE_MS = 60_000


def scenario_entries(count: int, seed: int = 7) -> list[Entry]:
    """``count`` entries of the demo's scenario (1 incident/s, time ×10), ending now."""
    world = World.from_settings(Settings())
    span_ms = int(count / 80 * 1000) + _SLICE_MS  # the demo writes ~90 entries per simulated second
    start = int(time.time() * 1000) - span_ms
    sim = Scenario(world, seed=seed, start_ms=start, rate=1.0, time_scale=10.0)
    out: list[Entry] = []
    while len(out) < count and sim.now_ms < start + 10 * span_ms:
        out += sim.advance(sim.now_ms + _SLICE_MS)
    return out[:count]


@dataclass
class Drain:
    """One consumer draining the entries, between 10 % and 90 % done."""

    rate: float  # entries per second
    process_us: float  # CPU of the consumer's process per entry
    redis_us: float  # CPU of Redis per entry


def drain(child: Child, done: Callable[[], int], total: int, timeout: float, client: redis.Redis) -> Drain:
    """Poll ``done()`` every 20 ms (with the CPU used so far by ``child`` and by Redis) until it
    reaches ``total``; measure between the samples at 10 % and at 90 %."""
    samples: list[tuple[float, int, float, float]] = []
    deadline = time.monotonic() + timeout
    next_say = time.monotonic() + 2.0
    while True:
        count = done()
        now = time.monotonic()
        samples.append((now, count, _process_cpu_s(child), _redis_cpu_s(client)))
        if count >= total:
            break
        if not child.alive():
            raise RuntimeError(f"{child.name} exited:\n{child.tail()}")
        if now > deadline:
            raise TimeoutError(f"{child.name}: {count:,} of {total:,} entries after {timeout:g} s")
        if now >= next_say:
            say(f"  {child.name}: {count:,}/{total:,} entries")
            next_say = now + 2.0
        time.sleep(0.02)
    start = next(s for s in samples if s[1] >= 0.1 * total)
    end = next(s for s in samples if s[1] >= 0.9 * total)
    entries = max(end[1] - start[1], 1)
    return Drain(entries / max(end[0] - start[0], 1e-6), (end[2] - start[2]) / entries * 1e6,
                 (end[3] - start[3]) / entries * 1e6)


def _redis_cpu_s(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _process_cpu_s(child: Child) -> float:
    try:
        times = psutil.Process(child.pid).cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return times.user + times.system


@dataclass
class Throughput:
    """Each consumer's best round."""

    basira: Drain
    raw: Drain

    @property
    def ratio(self) -> float:
        return self.basira.rate / self.raw.rate


def drain_by(bare: bool, children: Children, redis_url: str, client: redis.Redis, prefix: str,
             total: int, label: str) -> Drain:
    """One drain of the ``total`` entries under ``prefix``, timed: by one ``python -m app ingest``, or
    (``bare``) by the bare consumer (this module's ``main``); the process is ``label``, stopped after."""
    if bare:
        argv = [sys.executable, "-m", "benchmarks.ingest", "--url", redis_url, "--prefix", prefix]
        child = children.start(label, argv)
        done: Callable[[], int] = lambda: int(client.get(f"{prefix}:raw:done") or 0)  # noqa: E731
    else:
        child = start_ingest(children, redis_url, prefix, name=label)
        done = lambda: applied(client, prefix)  # noqa: E731
    result = drain(child, done, total, 600, client)
    children.stop(child)
    return result


def throughput(
    children: Children, redis_url: str, client: redis.Redis, entries: list[Entry], rounds: int
) -> Throughput:
    """The best of ``rounds`` for each consumer (noise on a shared machine only ever slows one down)."""
    best: dict[str, Drain] = {}
    total = len(entries)
    for n in range(rounds):
        prefix = f"bi{n}"
        client.flushdb()
        xadd_all(client, prefix, entries)
        for name in ("basira", "raw") if n % 2 == 0 else ("raw", "basira"):
            result = drain_by(name != "basira", children, redis_url, client, prefix, total,
                              "ingest" if name == "basira" else "raw")
            if name not in best or result.rate > best[name].rate:
                best[name] = result
            say(f"  round {n + 1}/{rounds}: {name} {result.rate:,.0f} entries/s; CPU per entry: "
                f"{result.process_us:.1f} µs in the process, {result.redis_us:.1f} µs in Redis")
    client.flushdb()
    return Throughput(best["basira"], best["raw"])


# --- the raw consumer --------------------------------------------------------------------------------


def raw_consume(client: redis.Redis, prefix: str, group: str = "bench-raw", batch: int = 500) -> None:
    """Read, write each entry's fields to a hash, acknowledge; until killed."""
    streams = {f"{prefix}:{s.value}": ">" for s in INPUT_STREAMS}
    for key in streams:
        try:
            client.xgroup_create(key, group, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
    while True:
        for key, items in client.xreadgroup(group, "raw", streams, count=batch, block=1000) or []:
            pipe = client.pipeline(transaction=False)
            for entry_id, fields in items:
                pipe.hset(f"{key}:raw", fields.get("id") or entry_id, orjson.dumps(fields))
                pipe.xack(key, group, entry_id)
            pipe.incrby(f"{prefix}:raw:done", len(items))
            pipe.execute()


def main() -> None:
    parser = argparse.ArgumentParser(description="the raw consumer of the ingest benchmark")
    parser.add_argument("--url", required=True)
    parser.add_argument("--prefix", required=True)
    args = parser.parse_args()
    try:
        raw_consume(redis.Redis.from_url(args.url, decode_responses=True), args.prefix)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
