"""The "more workers" benchmark (``python -m benchmarks.workers``) measures what it says — properties
only, never timings.

Its ingest part at a tiny scale: 1, 2 and 4 ``python -m app ingest`` processes in one consumer group
drain the same preloaded entries, and every entry ends up in the state exactly once whatever the
number of workers (the state holds one thing per entry, the ``stats`` counters and the workers' own
counts add up to the entries); the doc's table has a row per worker count and, without cluster
figures, the cluster's column says it waits for them. The same on a 3-primary loopback cluster (the
prefix one slot): every entry applied once, Redis's CPU counted on every node, the columns filled.
"""

from __future__ import annotations

from dataclasses import replace

import redis

from benchmarks import workers
from benchmarks.harness import Children, start_redis

ENTRIES = 1_500


def test_every_entry_is_applied_once_across_one_two_and_four_workers() -> None:
    plan = replace(workers.QUICK, entries=ENTRIES, reference=True)
    with Children() as children, start_redis() as server:  # its own server: the benchmark flushes it
        client = redis.Redis.from_url(server.url, decode_responses=True)
        figures = workers.ingest_figures(children, server.url, client, plan)
    assert list(figures["ingest"]) == ["1", "2", "4"]
    for k, drain in figures["ingest"].items():
        assert len(drain["worker_cpu_s"]) == len(drain["shares"]) == int(k)
        assert sum(drain["written"].values()) == drain["entries"] == ENTRIES
        assert drain["state"] == drain["written"]  # one incident, unit, call or port count per entry
        assert drain["counted"] == ENTRIES  # a second application would have counted again
        assert sum(drain["shares"]) == ENTRIES  # the workers' own counts: none took an entry twice
        assert drain["once"] and drain["rate"] > 0
    reference = figures["reference"]  # the simulator's own ids: fewer things, each entry counted once
    assert reference["workers"] == 1 and reference["counted"] == ENTRIES and reference["once"]
    assert sum(reference["state"].values()) < ENTRIES
    # as main() keeps them, per Redis
    section, rows = section_and_rows(plan, {name: {"single": value} for name, value in figures.items()})
    assert [row.split(" | ")[0] for row in rows] == ["| 1", "| 2", "| 4"]
    assert all(row.endswith(f"| {workers.CLUSTER_PENDING} | | | |") and "| yes |" in row for row in rows)
    text = "\n".join(section)
    assert "min(min(K, C − 1) / w, 1 / r)" in text and "with their ids as it wrote them" in text


def test_distinct_entries_keep_the_simulators_mix_with_every_id_unique() -> None:
    entries = workers.distinct_entries(3_000)
    ids = [fields["id"] for _stream, fields in entries if "id" in fields]
    assert len(entries) == 3_000 and len(ids) == len(set(ids))
    assert {stream.value for stream, _ in entries} == {"incidents", "units", "calls", "ports"}


def section_and_rows(plan: object, figures: dict) -> tuple[list[str], list[str]]:
    """The doc's "Workers" section for ``figures`` (with a run's fixed facts: date, load, machine), and
    the rows of its ingest table."""
    section = workers.section({
        **figures,
        "plan": vars(plan), "date": "today", "seconds": 1.0, "load_start": 0.5, "load_end": 0.7,
        "machine": {"cores": 2, "cpu": "x", "memory_gb": 1.0, "redis": "7"},
    })  # fmt: skip
    start = section.index(next(line for line in section if line.startswith("| ingest workers")))
    return section, section[start + 2 : section.index("", start)]


def test_the_cluster_columns_apply_every_entry_once_with_every_nodes_cpu() -> None:
    plan = replace(workers.QUICK, entries=ENTRIES)
    with Children() as children:
        cluster = workers.cluster_ingest_figures(children, plan)
    run = cluster["topology"]
    assert run["prefix"] == "{bw}" and len(run["nodes"]) == 6 and run["slot_primary"] in run["nodes"]
    for k, drain in cluster["ingest"].items():
        assert sum(drain["shares"]) == drain["counted"] == ENTRIES, k
        assert drain["state"] == drain["written"] and drain["once"]
        assert set(drain["nodes_cpu_s"]) == set(run["nodes"])
        assert abs(sum(drain["nodes_cpu_s"].values()) - drain["redis_cpu_s"]) < 1e-9
        others = [n for n in run["nodes"] if n.startswith("primary-") and n != run["slot_primary"]]
        # the state's shards are on the other primaries too: they do a real share of the work (with
        # one slot for everything they spent ~2 % of the slot's primary's CPU, cluster chatter alone)
        assert len(others) == 2
        assert sum(drain["nodes_cpu_s"][n] for n in others) > 0.2 * drain["nodes_cpu_s"][run["slot_primary"]]
    single = cluster["ingest"]  # stands in for one Redis's figures: only the section's shape is checked
    section, rows = section_and_rows(plan, {
        "ingest": {"single": single, "cluster": cluster["ingest"]},
        "projection": {"single": workers.projection(workers.Drain(**{
            name: value for name, value in single["1"].items()
            if name in workers.Drain.__dataclass_fields__}))},
        "cluster_run": {**run, "primaries": 3, "replicas_per_primary": 1, "date": "today", "seconds": 1.0,
                        "load_start": 0.5, "load_end": 0.7},
    })  # fmt: skip
    assert [row.split(" | ")[0] for row in rows] == ["| 1", "| 2", "| 4"]
    assert all(workers.CLUSTER_PENDING not in row and row.endswith("| yes |") for row in rows)
    assert "one prefix spread over the primaries" in "\n".join(section)
