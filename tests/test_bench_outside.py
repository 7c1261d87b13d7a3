"""Issue 17's outside view of ingest (``benchmarks/outside.py``) measures what it says — properties only,
never timings: the producer's command line is well formed and writes valid entries with distinct ids,
and, for each shape at a tiny scale, every entry written is applied once (the live state holds as many
incidents and units as distinct ids were written, none rejected) and the bare consumer reads them all.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter

import orjson
import redis

from app import fastparse
from app.contract import Stream, parse
from app.store.keys import Keys
from benchmarks import outside, report
from benchmarks.harness import Children, start_redis

URL = "redis://127.0.0.1:6399/0"


def _fill(value: str, rng: random.Random, keyspace: int) -> str:
    """What ``redis-benchmark`` sends for a placeholder: a 12-digit number below the keyspace."""
    while outside.RAND in value:
        value = value.replace(outside.RAND, f"{rng.randrange(keyspace):012d}", 1)
    return value


def test_the_producer_command_line_is_well_formed_and_writes_valid_entries() -> None:
    now = int(time.time() * 1000)
    rng = random.Random(1)
    for shape in outside.SHAPES:
        plan = outside.writes(shape, 200_000)
        streams = [w.stream for w in plan]
        assert len(streams) == len(set(streams))
        assert set(streams) == ({Stream(shape)} if shape != "mix" else set(Stream))
        assert 200_000 <= sum(w.count for w in plan) < 200_000 + outside.PIPELINE * len(plan)
        for write in plan:
            argv = outside.redis_benchmark_argv("/usr/bin/redis-benchmark", URL, "bo", write, now)
            assert argv[0] == "/usr/bin/redis-benchmark"
            options, command = argv[1 : argv.index("XADD")], argv[argv.index("XADD") :]
            assert options[-1] == "-q"  # quiet, then each option with its value
            pairs = dict(zip(options[:-1:2], options[1:-1:2], strict=True))
            assert pairs == {"-h": "127.0.0.1", "-p": "6399", "-c": str(outside.CLIENTS),
                             "-P": str(outside.PIPELINE), "-n": str(write.count), "-r": str(write.keyspace)}
            # whole pipelines (redis-benchmark sends no part of one), half as many ids as entries
            assert write.count % outside.PIPELINE == 0 and write.keyspace == write.count // 2 > 0
            assert command[:3] == ["XADD", f"bo:{write.stream.value}", "*"]
            fields = command[3:]
            assert len(fields) % 2 == 0 and len(set(fields[::2])) == len(fields) // 2
            given = dict(zip(fields[::2], fields[1::2], strict=True))
            assert all("{" not in v for v in given.values())  # every time filled in
            # the placeholder is in the id only (calls, incidents, units); ports have no id
            placed = [k for k, v in given.items() if outside.RAND in v]
            assert placed == ([] if write.stream is Stream.ports else ["id"])
            assert int(given["ts"]) <= now
            # as written: valid by the contract, and by its fast path (the ordinary entry)
            entry = {k: _fill(v, rng, write.keyspace) for k, v in given.items()}
            ports = {"land-king-fahd-causeway"}
            parse(write.stream, entry, now_ms=now, ports=ports)
            assert fastparse.quick(write.stream, entry, now_ms=now, ports=ports) is not None
    # a password, a user and a database reach redis-benchmark as its options
    assert outside.connection_args("redis://bench:s3cret@10.0.0.1:6380/2") == [
        "-h", "10.0.0.1", "-p", "6380", "-a", "s3cret", "--user", "bench", "--dbnum", "2"]  # fmt: skip


def test_the_mix_follows_the_shares_given() -> None:
    plan = {w.stream: w.count for w in outside.writes("mix", 100_000, outside.MIX_SHARES)}
    for stream, share in outside.MIX_SHARES.items():
        assert abs(plan[stream] - 100_000 * share) <= outside.PIPELINE
    entries = [(Stream.units, {})] * 9 + [(Stream.incidents, {})]
    assert outside.shares(entries) == {Stream.units: 0.9, Stream.incidents: 0.1}


def test_the_python_loader_writes_what_redis_benchmark_would(client, prefix) -> None:
    plan = outside.writes("mix", 600)
    now = int(time.time() * 1000)
    outside.python_produce(client, prefix, plan, now, seed=3)
    for write in plan:
        entries = client.xrange(write.stream.key(prefix))
        assert len(entries) == write.count
        for _id, fields in entries:
            parse(write.stream, fields, now_ms=now + 1, ports={"land-king-fahd-causeway"})
        if write.stream is not Stream.ports:
            ids = Counter(f["id"] for _i, f in entries)
            assert all(len(i.split("-")[1]) == 12 and int(i.split("-")[1]) < write.keyspace for i in ids)
            assert 1 < len(ids) < write.count  # distinct ids, and ids that come again


def _check(client: redis.Redis, shape: str, result: outside.ShapeResult, producer: outside.Producer) -> None:
    """What one shape's last round left behind: every entry applied once, all read by the bare consumer."""
    prefix, keys = f"bo_{shape}_0", Keys(f"bo_{shape}_0")
    assert result.producer == producer.label and result.external == (producer.binary is not None)
    written = {s: client.xrange(s.key(prefix)) for s in Stream}
    assert result.written == sum(len(e) for e in written.values()) >= 1_000
    ids = {s: {f["id"] for _i, f in written[s]} for s in (Stream.incidents, Stream.units)}
    assert client.hlen(keys.incident_index) == len(ids[Stream.incidents])
    assert client.hlen(keys.unit_index) == len(ids[Stream.units])
    assert result.ids == result.state == len(ids[Stream.incidents]) + len(ids[Stream.units]) > 0
    stats = client.hgetall(f"{prefix}:stats")
    for stream, entries in written.items():
        assert int(stats.get(f"ingested:{stream.value}", 0)) == len(entries)
    assert not any(k.startswith("rejected:") and int(v) for k, v in stats.items())
    assert client.xlen(keys.rejected) == 0 and result.rejected == 0
    assert int(client.get(f"{prefix}:raw:done")) == result.bare_read == result.written
    assert result.exact and result.basira.rate > 0 and result.bare.rate > 0
    figures = outside.figures({shape: result})
    assert figures[f"ingest_outside_{shape}_exact"] == 1
    assert figures[f"ingest_outside_{shape}_external"] == float(producer.binary is not None)
    assert figures[f"ingest_outside_{shape}_ratio"] == result.basira.rate / result.bare.rate


def test_each_shape_applies_every_entry_once_and_the_bare_consumer_reads_them_all() -> None:
    # redis-benchmark when there is one (else the fallback, labelled), and the fallback for one shape
    runs = [(outside.Producer(), shape) for shape in outside.SHAPES] + [(outside.Producer(None), "incidents")]
    with Children() as children, start_redis() as server:  # its own server: the benchmark flushes it
        client = redis.Redis.from_url(server.url, decode_responses=True)
        for producer, shape in runs:
            result = outside.measure(children, server.url, client, shape, 1_000, 1, producer, keep=True)
            _check(client, shape, result, producer)
    assert outside.Producer(None).label.startswith("Python loader")


def _figures(shape: str, basira: float, bare: float) -> dict[str, float]:
    key = f"ingest_outside_{shape}"
    return {key: basira, f"{key}_bare": bare, f"{key}_ratio": basira / bare, f"{key}_process_us": 15.0,
            f"{key}_redis_us": 7.5, f"{key}_bare_process_us": 10.0, f"{key}_bare_redis_us": 3.0,
            f"{key}_met": float(basira >= 50_000 and basira >= 0.5 * bare), f"{key}_entries": 200_000.0,
            f"{key}_ids": 86_500.0, f"{key}_state": 86_500.0, f"{key}_handled": 200_000.0,
            f"{key}_rejected": 0.0, f"{key}_bare_read": 200_000.0, f"{key}_exact": 1.0,
            f"{key}_external": 1.0, f"{key}_rounds": 2.0}  # fmt: skip


def test_the_outside_section_is_written_in_place_and_its_figures_merged(tmp_path) -> None:
    figures = {**_figures("incidents", 21_000.0, 43_000.0), **_figures("units", 60_000.0, 90_000.0),
               "ingest_outside_started": 0.0, "ingest_outside_load_start": 1.5}  # fmt: skip
    lines = report.outside_section(figures)
    assert lines[0] == report.OUTSIDE_HEADING
    assert ("| incidents only | redis-benchmark | 200,000 (86,500) | 21,000 entries/s | 43,000 entries/s | "
            "0.488× | 15.0 µs | 7.50 µs | ≥ 50,000 and ≥ 0.5 × bare | **no** |") in lines
    assert any(line.startswith("| units only |") and line.endswith("| yes |") for line in lines)
    assert not any(line.startswith("| the mix |") for line in lines)  # not measured: no row
    doc = tmp_path / "benchmarks.md"
    rest = "## How each figure is measured\n\nhow\n\n## Soak\n\nsoak\n"
    doc.write_text("# Benchmarks\n\n| headline |\n\n" + rest)
    report.write_outside(figures, doc)
    once = doc.read_text()
    report.write_outside(figures, doc)
    assert doc.read_text() == once and once.count(report.OUTSIDE_HEADING) == 1
    assert once.index("| headline |") < once.index(report.OUTSIDE_HEADING) < once.index("## How each")
    assert once.endswith(rest)
    assert report.outside_section({"ingest": 1.0}) == []
    # a full run writes it under the headline table, before the methods
    machine = {"cores": 2, "cpu": "x", "memory_gb": 1.0, "os": "Linux", "python": "3", "redis": "7",
               "load": (0.1, 0.1, 0.1)}  # fmt: skip
    rows = [report.Row("ingest", "Ingest", "entries/s", 37_051.0, 67_029.0, "≥ 50,000",
                       lambda b, _: b >= 50_000)]
    full = report.write_doc(rows, report.context("make bench", time.time(), machine, None),
                            "## How each figure is measured", {}, path=tmp_path / "full.md", sections=lines)
    text = full.read_text()
    headline = text.index("| Ingest | 37,051 entries/s |")
    assert headline < text.index(report.OUTSIDE_HEADING) < text.index("## How")
    # results.json: the outside view's figures replaced, the rest as it was, numbers only
    results = tmp_path / "results.json"
    results.write_bytes(orjson.dumps({"ingest": 37_051.0, "ingest_outside_mix": 1.0}))
    report.merge_json({**figures, "ingest": 1.0, "ingest_outside_x": math.nan}, "ingest_outside_", results)
    merged = orjson.loads(results.read_bytes())
    assert merged["ingest"] == 37_051.0 and "ingest_outside_mix" not in merged
    assert merged["ingest_outside_incidents"] == 21_000.0 and "ingest_outside_x" not in merged
