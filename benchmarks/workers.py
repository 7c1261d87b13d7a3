"""``python -m benchmarks.workers``: more workers on one Redis (issue 16), run by ``make bench``.

1. **Ingest**: the simulator's entries (the demo's mix; every id made unique, so each entry adds one
   thing to the state) preloaded into a fresh private Redis, then drained by K = 1, 2, 4
   ``python -m app ingest`` processes in one consumer group, each its own consumer. The group is
   created at the end of the streams before the workers start, and moved to their beginning only once
   every worker has joined it and waits on its read: the clock starts then, with no process start-up
   in it, and stops when every input stream's group has nothing pending and no lag (polled every
   20 ms). Over exactly that span: each worker's CPU (user + system, psutil), Redis's (``INFO cpu``),
   and every core's (everyone's processes, the machine being shared). Afterwards the state is counted:
   every entry applied, none twice.
2. **Web**: the clients load of ``python -m benchmarks`` (100 clients, each the command view's
   refresh and live-feed request once a second, on a picture of 10,000 incidents and 2,000 units
   with 1,000 changes a second going in) against one gunicorn host, then spread evenly over two —
   separate processes on separate loopback ports, each the suite's set-up (2 workers × 4 threads),
   behind nothing but the same Redis. Latency, errors, updates answered a second, and each host's CPU
   (master and workers) per update answered.

3. **Ingest on a Redis Cluster**: the same entries, clock and done-condition on
   ``tests/redis_topology.py``'s loopback cluster (3 primaries, one replica each), the prefix a hash
   tag (``{bw}``): its streams, counters and commit transaction in one slot, the entries written
   straight to that slot's primary; the live state in the cluster's default 12 shards (``{bw/0}`` …),
   spread over the primaries. The workers use ``REDIS_URL=redis+cluster://…``, every primary is flushed
   between rounds, and Redis's CPU is every node's (primaries and replicas), the slot's primary's apart.
   The web on the cluster is not measured.

Writes ``benchmarks/workers.json`` and the "Workers" section of ``docs/benchmarks.md``; ``--quick``
runs it all at a small scale into ``artifacts/`` only; ``--update ingest|web|cluster`` measures one
part again and keeps the others.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import psutil
import redis

from app.contract import INPUT_STREAMS, Stream
from app.settings import CLUSTER_SHARDS
from app.store.connection import connect
from app.store.keys import DAY_MS, Keys

from . import browser, clients
from .harness import (
    ROOT,
    Child,
    Children,
    WebServer,
    app_env,
    applied,
    machine,
    percentile,
    replace_section,
    say,
    start_ingest,
    start_redis,
    start_web,
    wait_until,
    wait_web,
)
from .ingest import scenario_entries
from .load import Entry, Operations, xadd_all

DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "benchmarks" / "workers.json"
QUICK_RESULTS = ROOT / "artifacts" / "bench-workers-quick.json"
HEADING = "## Workers"
PREFIX = "bw"
#: The consumer group the ingest workers share here (passed to them, never read from this environment).
GROUP = "bench-workers"
#: Idle workers read again this often (ms; the deployed default is 1,000): when the group is moved
#: to the start of the streams, every worker is reading within this long. On a backlog a read never
#: waits, so the setting changes nothing else.
BLOCK_MS = 50
POLL_S = 0.02
#: The Redis set-ups measured: one Redis, and (ingest only) a Redis Cluster.
REDIS_KINDS = ("single", "cluster")
CLUSTER_PENDING = "after Cluster support lands"
#: The cluster's prefix: a hash tag, so that every key of it is in one slot (docs/operations.md).
CLUSTER_PREFIX = "{bw}"
#: The cluster measured: this many primaries, each with one replica (tests/redis_topology.py's rig).
CLUSTER_PRIMARIES = 3
WEB_CLUSTER = "not measured"


@dataclass(frozen=True)
class Plan:
    """The scale of one run."""

    quick: bool = False
    entries: int = 300_000
    rounds: int = 2
    workers: tuple[int, ...] = (1, 2, 4)
    hosts: tuple[int, ...] = (1, 2)
    clients: int = 100
    client_seconds: float = 30.0
    web_rounds: int = 2
    live_incidents: int = 10_000
    live_units: int = 2_000
    load_rate: float = 1_000.0
    #: Also drain the simulator's entries with their ids as written (one worker): what distinct ids cost.
    reference: bool = True


FULL = Plan()
QUICK = replace(FULL, quick=True, entries=6_000, rounds=1, clients=10, client_seconds=3.0, web_rounds=1,
                live_incidents=2_000, live_units=400, load_rate=200.0, reference=False)  # fmt: skip


# --- CPU ---------------------------------------------------------------------------------------------


def process_cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` so far (a process that has gone counts 0)."""
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def redis_cpu_s(client: redis.Redis) -> float:
    """Redis's own CPU seconds so far (all its threads; the commands run on one)."""
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


@dataclass
class CpuSpan:
    """CPU used between :meth:`start` and :meth:`stop`: named processes (each on its own), Redis's,
    and every core's — everyone's processes: the machine is shared."""

    client: redis.Redis
    #: name → the process ids to measure (read once, at the start).
    groups: dict[str, list[int]]
    wall_s: float = 0.0
    #: name → CPU seconds of each of its processes over the span.
    used_s: dict[str, list[float]] = field(default_factory=dict)
    redis_s: float = 0.0
    machine_busy: float = 0.0  # share of all cores' time spent busy, by any process
    #: Further Redis servers (a cluster's nodes: name → client); their CPU is in ``nodes_s`` and,
    #: when given, ``redis_s`` is their sum instead of ``client``'s.
    nodes: dict[str, redis.Redis] = field(default_factory=dict)
    nodes_s: dict[str, float] = field(default_factory=dict)
    _at: tuple[float, dict[str, list[float]], float, Any] | None = None

    def _now(self) -> tuple[float, dict[str, list[float]], float, Any]:
        used = {name: [process_cpu_s([pid]) for pid in pids] for name, pids in self.groups.items()}
        redis_now: Any = ({n: redis_cpu_s(c) for n, c in self.nodes.items()} if self.nodes
                          else redis_cpu_s(self.client))
        return time.monotonic(), used, redis_now, psutil.cpu_times()

    def start(self) -> None:
        self._at = self._now()

    def stop(self) -> None:
        assert self._at is not None, "start() first"
        (t0, used0, redis0, all0), (t1, used1, redis1, all1) = self._at, self._now()
        self.wall_s = t1 - t0
        self.used_s = {name: [b - a for a, b in zip(used0[name], used1[name], strict=True)] for name in used1}
        if self.nodes:
            self.nodes_s = {n: redis1[n] - redis0[n] for n in self.nodes}
            self.redis_s = sum(self.nodes_s.values())
        else:
            self.redis_s = redis1 - redis0
        idle = (all1.idle + getattr(all1, "iowait", 0.0)) - (all0.idle + getattr(all0, "iowait", 0.0))
        total = sum(all1) - sum(all0)
        self.machine_busy = 1 - idle / total if total > 0 else math.nan


# --- 1. ingest ---------------------------------------------------------------------------------------


def distinct_entries(count: int, seed: int = 7) -> list[Entry]:
    """``count`` of the simulator's entries with every id made unique (``<id>-<n>``).

    Each entry then adds one incident, unit or call to the state (ports are counted once per entry
    already), so counting the state shows that every entry was applied — and, with the ``stats``
    counters, none twice. It also keeps two workers from racing over one unit's updates, which the
    state would settle (the newer wins) but the count could not check. New things cost a little more
    to apply than updates (a new trail, a new index field): see the doc's note.
    """
    out: list[Entry] = []
    for n, (stream, fields) in enumerate(scenario_entries(count, seed=seed)):
        if "id" in fields:
            fields = {**fields, "id": f"{fields['id']}-{n:07d}"}
        out.append((stream, fields))
    return out


def _stream_keys(prefix: str = PREFIX) -> dict[Stream, str]:
    return {stream: stream.key(prefix) for stream in INPUT_STREAMS}


def _group(client: redis.Redis, key: str) -> dict[str, Any] | None:
    try:
        return next((g for g in client.xinfo_groups(key) if g["name"] == GROUP), None)
    except redis.ResponseError:  # no such stream
        return None


def drained(client: redis.Redis, prefix: str = PREFIX) -> bool:
    """Every input stream's group has delivered everything (lag 0) and has nothing unacknowledged."""
    for key in _stream_keys(prefix).values():
        group = _group(client, key)
        if group is None or group["pending"]:
            return False
        lag = group.get("lag")
        if lag is None:  # Redis could not count it: compare the last ids instead
            if group["last-delivered-id"] != client.xinfo_stream(key)["last-generated-id"]:
                return False
        elif lag:
            return False
    return True


def _joined(client: redis.Redis, names: list[str], prefix: str = PREFIX) -> bool:
    """Every one of ``names`` is a consumer of the group on every input stream (it has read once)."""
    for key in _stream_keys(prefix).values():
        try:
            present = {c["name"] for c in client.xinfo_consumers(key, GROUP)}
        except redis.ResponseError:
            return False
        if not set(names) <= present:
            return False
    return True


def state_counts(client: redis.Redis, entries: list[Entry], prefix: str = PREFIX, shards: int = 1
                 ) -> dict[str, int]:
    """What the state holds of ``entries`` (with distinct ids): incidents and units indexed (in every
    shard: ``client`` is then a cluster's client), calls and port counts recorded once (the once-only
    sets of their days)."""
    keys = Keys(prefix, shards)
    stamps = [int(f["ts"]) for _, f in entries] + [int(time.time() * 1000)]
    days = range(min(stamps) // DAY_MS - 1, max(stamps) // DAY_MS + 2)
    pipe = client.pipeline(transaction=False)
    for shard in keys.each_shard:
        pipe.hlen(shard.incident_index)
        pipe.hlen(shard.unit_index)
    lengths = pipe.execute()
    return {
        Stream.incidents.value: sum(lengths[0::2]),
        Stream.units.value: sum(lengths[1::2]),
        Stream.calls.value: sum(int(client.scard(keys.seen(Stream.calls, d))) for d in days),
        Stream.ports.value: sum(int(client.scard(keys.seen(Stream.ports, d))) for d in days),
    }


_STOPPED = re.compile(r"stopped: (\d+) applied, (\d+) rejected")


def _handled(child: Child) -> int | None:
    """Entries a stopped worker says it handled (its last log line), or ``None``."""
    found = _STOPPED.findall(child.log.read_text(errors="replace")) if child.log.exists() else []
    return int(found[-1][0]) + int(found[-1][1]) if found else None


@dataclass
class Drain:
    """K workers draining the same preloaded entries."""

    workers: int
    entries: int
    seconds: float
    worker_cpu_s: list[float]
    redis_cpu_s: float
    machine_busy: float
    #: Entries each worker says it handled (``None``: it did not say).
    shares: list[int | None]
    #: Per stream: entries written, things in the state, and what the stats counted (applied + rejected).
    written: dict[str, int]
    state: dict[str, int]
    counted: int
    #: Whether every id was unique (:func:`distinct_entries`); if not, the state holds fewer things.
    distinct: bool = True
    #: The machine's load average (1 min) when the drain started.
    load: float = math.nan
    #: On a cluster: each node's CPU seconds over the span (``redis_cpu_s`` is their sum), and the
    #: node holding the prefix's slot.
    nodes_cpu_s: dict[str, float] | None = None
    slot_primary: str | None = None

    @property
    def rate(self) -> float:
        return self.entries / self.seconds

    @property
    def worker_us(self) -> float:
        """CPU of all the workers together per entry (µs)."""
        return sum(self.worker_cpu_s) / self.entries * 1e6

    @property
    def redis_us(self) -> float:
        return self.redis_cpu_s / self.entries * 1e6

    @property
    def slot_primary_us(self) -> float:
        """The slot's primary's CPU per entry (µs), on a cluster; NaN otherwise."""
        if not self.nodes_cpu_s or self.slot_primary is None:
            return math.nan
        return self.nodes_cpu_s[self.slot_primary] / self.entries * 1e6

    @property
    def cores_used(self) -> float:
        """Workers' and Redis's CPU over the wall time: how many cores they kept busy."""
        return (sum(self.worker_cpu_s) + self.redis_cpu_s) / self.seconds

    @property
    def once(self) -> bool:
        """Every entry counted once (a second application would count again) and, with distinct ids,
        in the state."""
        return (self.state == self.written or not self.distinct) and self.counted == self.entries

    def figures(self) -> dict[str, Any]:
        return {**asdict(self), "rate": self.rate, "worker_us": self.worker_us, "redis_us": self.redis_us,
                "slot_primary_us": self.slot_primary_us, "cores_used": self.cores_used,
                "once": self.once}  # fmt: skip


def drain(children: Children, redis_url: str, client: redis.Redis, entries: list[Entry], workers: int,
          timeout: float = 900.0, distinct: bool = True,
          cluster: Cluster | None = None) -> Drain:  # fmt: skip
    """Preload ``entries`` into a clean database, start ``workers`` ingest processes in one group, and
    time them from the moment the group is moved to the start of the streams to all acknowledged.

    ``cluster``: ``client`` is then the slot's primary (every key of the prefix is there: the
    entries are written straight to it), every primary is flushed first, and Redis's CPU is every
    node's, primaries and replicas."""
    load = os.getloadavg()[0]
    prefix = cluster.prefix if cluster else PREFIX
    for flushed in cluster.primaries if cluster else [client]:
        flushed.flushdb()
    xadd_all(client, prefix, entries)
    keys = _stream_keys(prefix)
    for key in keys.values():  # at the end: the workers join and wait, reading nothing yet
        client.xgroup_create(key, GROUP, id="$", mkstream=True)
    names = [f"bench-{workers}-{n}" for n in range(1, workers + 1)]
    started: list[Child] = []
    try:
        for name in names:
            env = app_env(
                redis_url, prefix, ingest_group=GROUP, ingest_consumer=name, ingest_block_ms=BLOCK_MS
            )
            started.append(children.start(name, [sys.executable, "-m", "app", "ingest"], env))

        def ready() -> bool:
            for child in started:
                if not child.alive():
                    raise RuntimeError(f"{child.name} exited:\n{child.tail()}")
            return _joined(client, names, prefix)

        wait_until(ready, 120, every=0.1, what=f"{workers} ingest workers to join {GROUP}")
        span = CpuSpan(client, {"workers": [c.pid for c in started]}, nodes=cluster.nodes if cluster else {})
        span.start()
        for key in keys.values():
            client.xgroup_setid(key, GROUP, "0", entries_read=0)
        deadline = time.monotonic() + timeout
        next_say = time.monotonic() + 5.0
        while not drained(client, prefix):
            now = time.monotonic()
            if now > deadline:
                raise TimeoutError(f"{workers} workers: {applied(client, prefix):,} of {len(entries):,} "
                                   f"entries after {timeout:g} s")  # fmt: skip
            if now >= next_say:
                say(f"  {workers} workers: {applied(client, prefix):,}/{len(entries):,} entries")
                next_say = now + 5.0
            for child in started:
                if not child.alive():
                    raise RuntimeError(f"{child.name} exited:\n{child.tail()}")
            time.sleep(POLL_S)
        span.stop()
    finally:
        for child in started:
            children.stop(child)
    written = Counter(stream.value for stream, _ in entries)
    return Drain(
        workers=workers, entries=len(entries), seconds=span.wall_s, worker_cpu_s=span.used_s["workers"],
        redis_cpu_s=span.redis_s, machine_busy=span.machine_busy,
        shares=[_handled(c) for c in started],
        written={s.value: written.get(s.value, 0) for s in INPUT_STREAMS},
        state=state_counts(cluster.state_client, entries, prefix, CLUSTER_SHARDS) if cluster
        else state_counts(client, entries, prefix),
        counted=applied(client, prefix), distinct=distinct,
        load=load, nodes_cpu_s=span.nodes_s or None, slot_primary=cluster.slot_primary if cluster else None,
    )  # fmt: skip


def ingest_scaling(
    children: Children, redis_url: str, client: redis.Redis, entries: list[Entry],
    counts: tuple[int, ...] = (1, 2, 4), rounds: int = 1, reference: list[Entry] | None = None,
    cluster: Cluster | None = None,
) -> dict[int | str, list[Drain]]:  # fmt: skip
    """Every round of each worker count (the order reversed every other round, so that a machine
    getting busier or quieter does not favour one count); the caller picks. ``reference``: the same
    number of entries with their ids as the simulator wrote them, drained by one worker each round
    (key ``"reference"``): what the distinct ids change."""
    out: dict[int | str, list[Drain]] = {k: [] for k in counts}
    for n in range(rounds):
        order: list[int | str] = list(counts if n % 2 == 0 else tuple(reversed(counts)))
        if reference is not None:
            out.setdefault("reference", [])
            order.insert(len(order) // 2, "reference")
        for k in order:
            if k == "reference":
                assert reference is not None
                result = drain(children, redis_url, client, reference, 1, distinct=False)
            else:
                result = drain(children, redis_url, client, entries, int(k), cluster=cluster)
            out[k].append(result)
            shares = ", ".join(f"{s:,}" if s is not None else "?" for s in result.shares)
            say(
                f"  round {n + 1}/{rounds}, {k if k != 'reference' else '1 (ids as simulated)'} workers: "
                f"{result.rate:,.0f} entries/s "
                f"in {result.seconds:.2f} s; "
                f"CPU per entry {result.worker_us:.1f} µs workers, {result.redis_us:.1f} µs Redis "
                + (f"(slot's primary {result.slot_primary_us:.1f} µs) " if cluster else "") +
                f"({result.cores_used:.2f} cores; every core {100 * result.machine_busy:.0f} % busy); "
                f"each worker's entries {shares}; applied once: {'yes' if result.once else 'NO'}"
            )
    for flushed in cluster.primaries if cluster else [client]:
        flushed.flushdb()
    return out


def ingest_figures(children: Children, redis_url: str, client: redis.Redis, plan: Plan) -> dict[str, Any]:
    """The ingest part at ``plan``'s scale: the best round of each worker count (``ingest``), every
    round (``ingest_rounds``) and the projection from the first count's best (``projection``)."""
    say(f"ingest: generating {plan.entries:,} simulator entries (distinct ids)")
    entries = distinct_entries(plan.entries)
    reference = scenario_entries(plan.entries) if plan.reference else None
    rounds = ingest_scaling(children, redis_url, client, entries, plan.workers, plan.rounds, reference)
    ref = rounds.pop("reference", None)
    return {
        "ingest": {str(k): best(rs).figures() for k, rs in rounds.items()},
        "ingest_rounds": {str(k): [d.figures() for d in rs] for k, rs in rounds.items()},
        "projection": projection(best(rounds[plan.workers[0]])),
        **({"reference": best(ref).figures(), "reference_rounds": [d.figures() for d in ref],
            "reference_projection": projection(best(ref))} if ref else {}),  # fmt: skip
    }


@dataclass
class Cluster:
    """A Redis Cluster to drain on: a client of every node (name → client), the primaries, the node
    holding the prefix's slot (its name) and a client of it."""

    prefix: str
    nodes: dict[str, redis.Redis]
    primaries: list[redis.Redis]
    slot_primary: str
    slot_client: redis.Redis
    #: The whole cluster's client (the state's shards are on every primary).
    state_client: redis.Redis | None = None
    #: The slot's primary's replica (its name), if it has one.
    slot_replica: str | None = None


@contextlib.contextmanager
def start_cluster(primaries: int = CLUSTER_PRIMARIES, replicas: bool = True) -> Iterator[tuple[str, Cluster]]:
    """tests/redis_topology.py's loopback cluster (``primaries`` primaries, one replica each): its
    ``REDIS_URL`` and the :class:`Cluster` to measure. ``replicas=False``: the replicas are stopped
    once it has formed (the rig always makes them), so that the primaries replicate to nobody."""
    from tests.redis_topology import cluster_topology, poll

    with cluster_topology(primaries=primaries) as topology:
        info = {s.port: s.client().info("replication") for s in topology.servers}
        slot = topology.primary_of(f"{CLUSTER_PREFIX}:stats")
        replica_of_slot = next((f"replica-{s.port}" for s in topology.servers
                                if info[s.port].get("master_port") == slot.port), None)  # fmt: skip
        if not replicas:
            for server in topology.servers:
                if info[server.port]["role"] != "master":
                    server.kill()
            replica_of_slot = None
            poll(lambda: all(not s.client().info("replication").get("connected_slaves")
                             and s.client().cluster("info")["cluster_state"] == "ok"
                             for s in topology.servers if s.running), 30, "the primaries alone")  # fmt: skip
        nodes = {f"{'primary' if info[s.port]['role'] == 'master' else 'replica'}-{s.port}":
                 s.client(socket_timeout=60) for s in topology.servers if s.running}  # fmt: skip
        name = f"primary-{slot.port}"
        yield topology.url, Cluster(
            prefix=CLUSTER_PREFIX, nodes=nodes, slot_primary=name, slot_client=nodes[name],
            primaries=[c for n, c in nodes.items() if n.startswith("primary-")], slot_replica=replica_of_slot,
            state_client=connect(topology.url),
        )


def cluster_ingest_figures(children: Children, plan: Plan, replicas: bool = True) -> dict[str, Any]:
    """The ingest part on a fresh loopback cluster: the same entries, clock and done-condition as on
    one Redis (no reference drain); the best round of each worker count and every round."""
    say(f"ingest on a {CLUSTER_PRIMARIES}-primary cluster: generating {plan.entries:,} entries "
        "(distinct ids)")
    entries = distinct_entries(plan.entries)
    with start_cluster(replicas=replicas) as (url, cluster):
        say(f"  cluster {url}: nodes {', '.join(cluster.nodes)}; {CLUSTER_PREFIX}'s slot on "
            f"{cluster.slot_primary}")  # fmt: skip
        rounds = ingest_scaling(children, url, cluster.slot_client, entries, plan.workers, plan.rounds,
                                cluster=cluster)  # fmt: skip
        nodes = list(cluster.nodes)
    return {
        "ingest": {str(k): best(rs).figures() for k, rs in rounds.items()},
        "ingest_rounds": {str(k): [d.figures() for d in rs] for k, rs in rounds.items()},
        "topology": {"primaries": CLUSTER_PRIMARIES, "replicas_per_primary": int(replicas), "nodes": nodes,
                     "prefix": CLUSTER_PREFIX, "slot_primary": cluster.slot_primary,
                     "slot_replica": cluster.slot_replica},  # fmt: skip
    }


def best(rounds: list[Drain]) -> Drain:
    """The fastest round (noise on a shared machine only ever slows one down)."""
    return max(rounds, key=lambda d: d.rate)


def projection(one: Drain, cores: tuple[int, ...] = (2, 4, 8, 16, 32)) -> dict[str, Any]:
    """Throughput on a machine of C cores with K = C − 1 workers, from one worker's CPU per entry.

    Ceiling: each worker keeps one core busy, one core is left to Redis, and Redis's one command
    thread caps the whole: ``min(min(K, C − 1) / w, 1 / r)`` entries/s, ``w`` and ``r`` the workers'
    and Redis's CPU seconds per entry. At one worker's measured pace instead (it also waits for its
    commits, so it keeps less than a core busy): ``min(min(K, C − 1) × rate₁, 1 / r)``.
    """
    w, r = one.worker_us / 1e6, one.redis_us / 1e6
    rows = []
    for c in cores:
        k = max(c - 1, 1)
        rows.append({"cores": c, "workers": k, "workers_ceiling": k / w, "redis_ceiling": 1 / r,
                     "ceiling": min(k / w, 1 / r), "at_one_pace": min(k * one.rate, 1 / r)})  # fmt: skip
    return {"worker_us": one.worker_us, "redis_us": one.redis_us, "one_rate": one.rate,
            "one_busy": one.rate * w, "redis_bound_workers": w / r, "rows": rows}  # fmt: skip


# --- 2. web ------------------------------------------------------------------------------------------


def capture_body(url: str, timeout: float = 60.0) -> str:
    """The command view's refresh, as Chromium sends it (the body the clients replay); Chromium is
    closed again before any load runs."""
    with browser.chromium() as driver:
        browser.open_page(driver, url + "/", browser.leaflet_ready, timeout=180)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(2.0)
            if body := browser.read_traffic(driver).replay_body():
                return body
    raise TimeoutError(f"no interval-driven refresh seen from {url} in {timeout:g} s")


def _host_pids(server: WebServer) -> list[int]:
    return [server.child.pid, *server.worker_pids()]


def load_hosts(servers: list[WebServer], body: str, n_clients: int, seconds: float, client: redis.Redis,
               others: dict[str, list[int]]) -> dict[str, Any]:  # fmt: skip
    """``n_clients`` clients spread evenly over ``servers`` for ``seconds``, all at once; each host's
    figures and CPU, and the CPU of ``others`` (ingest, loader, the clients' own process)."""
    h = len(servers)
    load = os.getloadavg()[0]
    split = [n_clients // h + (1 if i < n_clients % h else 0) for i in range(h)]
    groups = {f"host-{i + 1}": _host_pids(s) for i, s in enumerate(servers)} | others
    span = CpuSpan(client, groups)
    span.start()
    with ThreadPoolExecutor(max_workers=h) as pool:
        results = list(pool.map(
            lambda job: clients.replay(job[0].url, body, job[1], seconds, feed_path=browser.FEED_PATH),
            zip(servers, split, strict=True),
        ))  # fmt: skip
    span.stop()
    hosts = []
    for i, result in enumerate(results):
        cpu = sum(span.used_s[f"host-{i + 1}"])
        answered = len(result.latencies_ms)
        hosts.append({"clients": split[i], "answered": answered, "errors": result.errors,
                      "p50_ms": result.p50, "p95_ms": result.p95, "cpu_s": cpu,
                      "cpu_ms_per_update": 1000 * cpu / answered if answered else math.nan})  # fmt: skip
    latencies = [ms for r in results for ms in r.latencies_ms]
    return {
        "hosts": h, "clients": n_clients, "seconds": seconds, "wall_s": span.wall_s, "load": load,
        "latencies_ms": latencies,
        "answered": len(latencies), "errors": sum(r.errors for r in results),
        "per_host": hosts, "redis_cpu_s": span.redis_s, "machine_busy": span.machine_busy,
        **{f"{name}_cpu_s": sum(span.used_s[name]) for name in others},
    }  # fmt: skip


def settle(servers: list[WebServer], quiet_cores: float = 0.1, timeout: float = 30.0) -> float:
    """Wait until the hosts have worked off what the last round's clients left queued (their CPU over
    a second below ``quiet_cores``), so that it does not slow the next round; the seconds waited."""
    started = time.monotonic()
    pids = [pid for server in servers for pid in _host_pids(server)]
    while time.monotonic() - started < timeout:
        before = process_cpu_s(pids)
        time.sleep(1.0)
        if process_cpu_s(pids) - before < quiet_cores:
            break
    return time.monotonic() - started


def web_scaling(children: Children, redis_url: str, client: redis.Redis, plan: Plan) -> dict[str, Any]:
    """1 and 2 gunicorn hosts under the clients load (see the module's docstring), alternating
    ``web_rounds`` times; figures per host count, the rounds pooled."""
    client.flushdb()
    started = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "load_start": os.getloadavg()[0]}
    ingest = start_ingest(children, redis_url, PREFIX)
    servers = [start_web(children, f"web-{n}", "app:server", app_env(redis_url, PREFIX))
               for n in range(1, max(plan.hosts) + 1)]  # fmt: skip
    picture = Operations(plan.live_incidents, plan.live_units, seed=11).initial(int(time.time() * 1000))
    xadd_all(client, PREFIX, picture)
    wait_until(
        lambda: applied(client, PREFIX) >= len(picture),
        600,
        every=0.2,
        what=f"{len(picture):,} seeded entries to be applied",
    )
    for server in servers:
        wait_web(server)
    loader = children.start("loader", [
        sys.executable, "-m", "benchmarks.load", "--url", redis_url, "--prefix", PREFIX, "--seed", "11",
        "--incidents", str(plan.live_incidents), "--units", str(plan.live_units),
        "--rate", str(plan.load_rate),
    ])  # fmt: skip
    try:
        body = capture_body(servers[0].url)
        alone = {s.url: [clients.refresh_ms(s.url, body) for _ in range(3)] for s in servers}  # warms each
        others = {"ingest": [ingest.pid], "loader": [loader.pid], "clients": [os.getpid()]}
        runs: dict[int, list[dict[str, Any]]] = {h: [] for h in plan.hosts}
        for n in range(plan.web_rounds):
            for h in plan.hosts if n % 2 == 0 else tuple(reversed(plan.hosts)):
                run = load_hosts(servers[:h], body, plan.clients, plan.client_seconds, client, others)
                run["settled_s"] = settle(servers)
                runs[h].append(run)
                say(
                    f"  round {n + 1}/{plan.web_rounds}, {h} host(s): {run['answered']:,} updates answered, "
                    f"p50 {percentile(run['latencies_ms'], 50):,.0f} ms, "
                    f"p95 {percentile(run['latencies_ms'], 95):,.0f} ms, {run['errors']} errors; "
                    "CPU per update "
                    + ", ".join(f"{x['cpu_ms_per_update']:.1f} ms" for x in run["per_host"])
                    + f"; every core {100 * run['machine_busy']:.0f} % busy"
                )
    finally:
        for child in (loader, *(s.child for s in servers), ingest):
            children.stop(child)
    client.flushdb()
    return {"alone_ms": {str(i + 1): percentile(alone[s.url], 50) for i, s in enumerate(servers)},
            "hosts": {str(h): pooled(rs) for h, rs in runs.items()}, **started,
            "load_end": os.getloadavg()[0]}  # fmt: skip


def pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One host count's rounds together: latencies pooled, rates and CPU summed over the rounds."""
    latencies = [ms for r in runs for ms in r["latencies_ms"]]
    seconds = sum(r["seconds"] for r in runs)
    answered = sum(r["answered"] for r in runs)
    h = runs[0]["hosts"]
    per_host = []
    for i in range(h):
        cpu = sum(r["per_host"][i]["cpu_s"] for r in runs)
        got = sum(r["per_host"][i]["answered"] for r in runs)
        per_host.append({"clients": runs[0]["per_host"][i]["clients"], "answered": got,
                         "errors": sum(r["per_host"][i]["errors"] for r in runs),
                         "cpu_ms_per_update": 1000 * cpu / got if got else math.nan,
                         "cores_used": cpu / seconds})  # fmt: skip
    return {
        "hosts": h, "clients": runs[0]["clients"], "rounds": len(runs), "seconds": seconds,
        "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
        "errors": sum(r["errors"] for r in runs), "asked": answered + sum(r["errors"] for r in runs),
        "updates_per_s": answered / seconds,
        # each update is two requests: the refresh callback and the live feed's changes
        "requests_per_s": 2 * answered / seconds,
        "per_host": per_host,
        "redis_ms_per_update": (
            1000 * sum(r["redis_cpu_s"] for r in runs) / answered if answered else math.nan
        ),
        "redis_cores": sum(r["redis_cpu_s"] for r in runs) / seconds,
        "machine_busy": sum(r["machine_busy"] for r in runs) / len(runs),
        **{f"{name}_cores": sum(r[f"{name}_cpu_s"] for r in runs) / seconds
           for name in ("ingest", "loader", "clients")},
        "round_p95_ms": [percentile(r["latencies_ms"], 95) for r in runs],
        "round_load": [r["load"] for r in runs],
        "round_settled_s": [r["settled_s"] for r in runs],
    }  # fmt: skip


# --- the record -------------------------------------------------------------------------------------


def code_version() -> dict[str, Any]:
    """The commit measured, and any uncommitted changes to the code it runs (``app/``, ``layers/``,
    ``benchmarks/``): in a checkout shared with others, the working tree is what runs."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    changed = git("status", "--porcelain", "--", "app", "layers", "benchmarks")
    paths = [line[3:] for line in (changed or "").splitlines()]
    return {"commit": commit.strip() if commit else None,
            "uncommitted": sorted(p for p in paths if not p.endswith(".json"))}  # fmt: skip


def _n(v: float, digits: int = 0) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.{digits}f}"


def _cluster_cells(k: str, cluster: dict[str, dict[str, Any]] | None) -> str:
    """The cluster's cells of row ``k``: entries/s, speed-up, CPU per entry (workers; Redis on every
    node, the slot's primary's in brackets), applied once."""
    if not cluster or k not in cluster:
        return f"{CLUSTER_PENDING} | | | |"
    d, one = cluster[k], cluster[next(iter(cluster))]["rate"]
    return (f"{_n(d['rate'])} | {d['rate'] / one:.2f}× | {d['worker_us']:.1f} µs; {d['redis_us']:.1f} µs "
            f"({d['slot_primary_us']:.1f} µs) | {'yes' if d['once'] else 'NO'} |")


def ingest_table(drains: dict[str, dict[str, Any]], cluster: dict[str, dict[str, Any]] | None = None,
                 nodes: int = 2 * CLUSTER_PRIMARIES) -> list[str]:  # fmt: skip
    """One row per worker count: the single Redis's figures, and the cluster's columns."""
    one = drains["1"]["rate"]
    lines = [
        "| ingest workers (K) | entries/s, one Redis | speed-up vs K = 1 | CPU per entry, workers | "
        "CPU per entry, Redis | cores kept busy (workers + Redis) | every core busy (anyone's) | "
        "entries each worker applied | every entry applied once | entries/s, Redis Cluster | "
        f"speed-up vs K = 1, Cluster | CPU per entry, Cluster: workers; Redis, all {nodes} nodes (the "
        "slot's primary) | every entry applied once, Cluster |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for k, d in drains.items():
        shares = " / ".join(_n(s) if s is not None else "?" for s in d["shares"])
        lines.append(
            f"| {k} | {_n(d['rate'])} | {d['rate'] / one:.2f}× | {d['worker_us']:.1f} µs | "
            f"{d['redis_us']:.1f} µs | {d['cores_used']:.2f} | {100 * d['machine_busy']:.0f} % | {shares} | "
            f"{'yes' if d['once'] else 'NO'} | {_cluster_cells(k, cluster)}"
        )
    return lines


def cluster_lines(single: dict[str, dict[str, Any]], cluster: dict[str, dict[str, Any]],
                  run: dict[str, Any], cores: int, bare: dict[str, dict[str, Any]] | None = None,
                  bare_run: dict[str, Any] | None = None) -> list[str]:  # fmt: skip
    """What the cluster's columns show, in figures: one prefix's rate against one Redis's, where its
    Redis CPU went (the slot's primary, its replica, the other nodes)."""
    ks = [k for k in cluster if k in single]
    ratio = ", ".join(f"{cluster[k]['rate'] / single[k]['rate']:.2f}×" for k in ks)
    top = max(cluster, key=lambda k: cluster[k]["rate"])
    slot = run["slot_primary"]
    lines = []
    parts = []
    for k in ks:
        d = cluster[k]
        per = {n: s / d["entries"] * 1e6 for n, s in d["nodes_cpu_s"].items()}
        replicas = sum(v for n, v in per.items() if n.startswith("replica-"))
        others = sum(v for n, v in per.items() if n.startswith("primary-") and n != slot)
        mine = run.get("slot_replica") or max((n for n in per if n.startswith("replica-")),
                                              key=lambda n: per[n])  # fmt: skip
        parts.append(f"K = {k}: {per[slot]:.1f} µs on the slot's primary (one Redis: "
                     f"{single[k]['redis_us']:.1f} µs), {replicas:.1f} µs on the replicas ("
                     f"{per[mine]:.1f} µs on the slot's, `{mine}`), {others:.1f} µs on the other "
                     "primaries")  # fmt: skip
    one_k = ks[0]
    repl_share = [sum(v for n, v in cluster[k]["nodes_cpu_s"].items() if n.startswith("replica-"))
                  / cluster[k]["redis_cpu_s"] for k in ks]  # fmt: skip
    mine, single_us = cluster[one_k]["slot_primary_us"], single[one_k]["redis_us"]
    lines.append(
        f"**Redis Cluster ({run['primaries']} primaries, {run['replicas_per_primary']} replica each, all "
        f"on these {cores} cores): one prefix spread over the primaries.** The prefix (`{run['prefix']}`) "
        f"keeps its streams, counters and commits in one slot, on `{slot}`; its live incidents and units "
        f"are in {CLUSTER_SHARDS} shards, a slot each, spread over the {run['primaries']} primaries. At "
        f"K = {', '.join(ks)} the cluster ingested {ratio} what one Redis did (the most, "
        f"{_n(cluster[top]['rate'])} entries/s, at K = {top}; its own speed-up "
        f"{cluster[ks[-1]]['rate'] / cluster[one_k]['rate']:.2f}× from K = {one_k} to {ks[-1]}). The "
        f"busiest primary, the slot's, spent {mine:.1f} µs an entry against one Redis's {single_us:.1f} µs "
        f"— its own ceiling rises from {_n(1e6 / single_us)} to {_n(1e6 / mine)} entries/s — and the "
        "state's writes went to the other primaries. On these cores that does not show as speed: every "
        "node, replica and worker shares them, and the cluster does more work in all (a script a shard "
        "each batch instead of one, each write replicated); on separate hosts each primary works in "
        "parallel, and the slot's primary's figure is the one that bounds a centre."
    )
    lines.append("")
    lines.append(
        "Redis CPU per entry, where it went: " + "; ".join(parts) + ". "
        f"The replicas took {', '.join(f'{100 * x:.0f} %' for x in repl_share)} of all the cluster's Redis "
        "CPU: each write is executed again on its primary's replica (and the primary spends some sending "
        f"it). On a machine of {cores} cores that CPU comes out of the same cores the workers and the "
        "slot's primary need; on separate hosts it would not slow the primary beyond the sending. "
        f"Workers' CPU per entry: {cluster[one_k]['worker_us']:.1f} µs at K = {one_k} against "
        f"{single[one_k]['worker_us']:.1f} µs on one Redis (a script a shard each batch, and the cluster "
        "client's routing)."
    )
    if bare and bare_run:
        bk = [k for k in ks if k in bare]
        b0 = bk[0]
        with_r, without = cluster[b0]["slot_primary_us"], bare[b0]["slot_primary_us"]
        cost = [1 - cluster[k]["rate"] / bare[k]["rate"] for k in bk]
        lines += ["", (
            f"**The replicas apart.** The same cluster with its replicas stopped once formed (primaries "
            f"alone; `--update cluster-bare`, {bare_run['date']}, load average {bare_run['load_start']:.2f} "
            f"to {bare_run['load_end']:.2f}): " + ", ".join(f"{_n(bare[k]['rate'])}" for k in bk)
            + f" entries/s at K = {', '.join(bk)} (with replicas: "
            + ", ".join(f"{_n(cluster[k]['rate'])}" for k in bk) + "; one Redis: "
            + ", ".join(f"{_n(single[k]['rate'])}" for k in bk) + "), the slot's primary spending "
            + ", ".join(f"{bare[k]['slot_primary_us']:.1f} µs" for k in bk) + " per entry (with replicas "
            + ", ".join(f"{cluster[k]['slot_primary_us']:.1f} µs" for k in bk) + "; one Redis "
            + ", ".join(f"{single[k]['redis_us']:.1f} µs" for k in bk) + "). So having a replica to send "
            f"to cost the slot's primary {with_r - without:.1f} µs an entry at K = {b0}; the replicas' own "
            f"CPU comes on top. On these {cores} cores the replicas changed the rate by "
            + ", ".join(f"{-100 * c:+.0f} %" for c in cost) + f" at K = {', '.join(bk)}"
            + (" (the best of two rounds each, on a shared machine: a few % either way is noise)."
               if any(abs(c) < 0.05 for c in cost) else ".")
        )]  # fmt: skip
    return lines


def projection_lines(p: dict[str, Any], ref: dict[str, Any] | None = None) -> list[str]:
    """The projection's table; ``ref``: the same from the simulator's own ids, as a last column."""
    lines = [
        "| cores (C) | workers (K = C − 1) | workers' ceiling (K / w) | Redis's ceiling (1 / r) | "
        "projected: min of the two | at one worker's measured pace: min(K × rate₁, 1 / r) |"
        + (" projected, the simulator's own ids |" if ref else ""),
        "| --- | --- | --- | --- | --- | --- |" + (" --- |" if ref else ""),
    ]
    for n, row in enumerate(p["rows"]):
        lines.append(
            f"| {row['cores']} | {row['workers']} | {_n(row['workers_ceiling'])} | "
            f"{_n(row['redis_ceiling'])} | {_n(row['ceiling'])} | {_n(row['at_one_pace'])} |"
            + (f" {_n(ref['rows'][n]['ceiling'])} |" if ref else "")
        )
    return lines


def web_table(hosts: dict[str, dict[str, Any]], cluster: str = CLUSTER_PENDING) -> list[str]:
    lines = [
        "| gunicorn hosts | clients per host | updates answered/s (HTTP requests/s) | p50 | p95 | errors | "
        "CPU per update, each host | Redis CPU per update | every core busy (anyone's) | Redis Cluster |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for h, w in hosts.items():
        per = " / ".join(f"{x['cpu_ms_per_update']:.1f} ms" for x in w["per_host"])
        split = " / ".join(str(x["clients"]) for x in w["per_host"])
        lines.append(
            f"| {h} | {split} | {w['updates_per_s']:.1f} ({w['requests_per_s']:.1f}) | "
            f"{_n(w['p50_ms'])} ms | {_n(w['p95_ms'])} ms | {w['errors']} of {w['asked']:,} | {per} | "
            f"{w['redis_ms_per_update']:.2f} ms | "
            f"{100 * w['machine_busy']:.0f} % | {cluster} |"
        )
    return lines


def _code_line(code: dict[str, Any] | None) -> str:
    if not code or not code.get("commit"):
        return "Code: not recorded."
    text = f"Code: commit `{code['commit'][:10]}`"
    if code.get("uncommitted"):
        changed = ", ".join(f"`{p}`" for p in code["uncommitted"])
        return f"{text} with uncommitted changes to {changed}."
    return text + ", nothing uncommitted in `app/`, `layers/` or `benchmarks/`."


def bounded_lines(ingest: dict[str, dict[str, Any]], cores: int) -> list[str]:
    """What the table shows about the cores, in figures: the speed-up, the cores Basira's processes
    kept busy and the rest of the machine's, the CPU per entry as processes multiply."""
    ks = list(ingest)
    first, last = ingest[ks[0]], ingest[ks[-1]]
    ours = ", ".join(f"{ingest[k]['cores_used']:.2f}" for k in ks)
    rest = [max(cores * ingest[k]["machine_busy"] - ingest[k]["cores_used"], 0.0) for k in ks]
    others = ", ".join(f"{x:.2f}" for x in rest)
    top = max(ks, key=lambda k: ingest[k]["rate"])
    w0, w1 = first["worker_us"], last["worker_us"]
    cpu = (f"Workers' CPU per entry went from {w0:.1f} µs at K = {ks[0]} to {w1:.1f} µs at K = {ks[-1]}"
           + (": more processes than cores take turns on them, a cost a machine with a core per worker "
              "would probably not pay." if w1 > 1.1 * w0
              else ", about the same: the work per entry does not grow "
              "with the workers."))  # fmt: skip
    return [
        f"From {ks[0]} to {ks[-1]} workers the rate went from {_n(first['rate'])} to {_n(last['rate'])} "
        f"entries/s ({last['rate'] / first['rate']:.2f}×; the most, {_n(ingest[top]['rate'])}, at "
        f"K = {top}). "
        f"The workers and Redis kept {ours} cores busy at K = {', '.join(ks)}; the rest of the machine's "
        f"{cores} cores went to other processes ({others} cores: other people's tests and benchmarks, this "
        f"suite's own polling). There is no spare core for a further worker to use. {cpu}",
    ]  # fmt: skip


def web_bounded(hosts: dict[str, dict[str, Any]], cores: int) -> str:
    """The web part's change from one host to two, in words — as measured, whichever way it went."""
    hs = list(hosts)
    a, b = hosts[hs[0]], hosts[hs[-1]]
    used = [sum(x["cores_used"] for x in hosts[h]["per_host"]) for h in hs]
    cost = [u * 1000 / hosts[h]["updates_per_s"] for u, h in zip(used, hs, strict=True)]
    text = (f"From {hs[0]} to {hs[-1]} hosts the updates answered went from {a['updates_per_s']:.1f} to "
            f"{b['updates_per_s']:.1f} a second ({b['updates_per_s'] / a['updates_per_s']:.2f}×) and p95 "
            f"from {_n(a['p95_ms'])} to {_n(b['p95_ms'])} ms; gunicorn kept {used[0]:.2f} and then "
            f"{used[-1]:.2f} cores busy in all, {cost[0]:.1f} and {cost[-1]:.1f} ms of CPU per update. ")
    if b["updates_per_s"] > 1.1 * a["updates_per_s"]:
        return text + (
            "The second host did help here, but not with cores the first lacked: its gunicorn processes "
            "took a larger share of a machine shared with other people's processes, and spent less CPU "
            "per update (fewer threads per process contending for its interpreter lock, probably). "
            f"It cannot add cores: on {cores} cores every process shares them.")
    return text + f"A second host on the same {cores} cores divides them rather than adding any."


def section(f: dict[str, Any]) -> list[str]:
    """The "Workers" section of ``docs/benchmarks.md``."""
    m, plan = f["machine"], f["plan"]
    lines = [
        HEADING, "",
        f"More processes on one Redis (issue 16). Written by `make bench` (`python -m benchmarks.workers`), "
        f"{f['date']} ({f['seconds']:.0f} s), on {m['cores']} cores ({m['cpu']}), {m['memory_gb']:g} GB, "
        f"Redis {m['redis']}; load average {f['load_start']:.2f} at the start and {f['load_end']:.2f} at the "
        "end (the machine is shared: other people's tests may run beside it). " + _code_line(f.get("code"))
        + (" Its web part was measured again, apart (below)."
           if f.get("web", {}).get("single", {}).get("apart") else ""),
        "",
        f"**On this {m['cores']}-core machine the scaling is bounded by the cores.** The workers, Redis and "
        "(for the web) the hosts, the ingest worker, the loader and the clients all share these cores, so a "
        "second or fourth process shares the CPU the first had rather than adding to it. What carries over "
        "to a bigger machine is the CPU each entry and each update costs; the projection below is built "
        "on it.", "",
    ]  # fmt: skip
    if run := f.get("cluster_run"):
        lines += [
            f"Redis Cluster: the ingest part again on a loopback cluster of {run['primaries']} primaries, "
            f"{run['replicas_per_primary']} replica each (the cluster columns), measured apart, "
            f"{run['date']} (`--update cluster`, {run['seconds']:.0f} s): load average "
            f"{run['load_start']:.2f} at its start and {run['load_end']:.2f} at its end. "
            + _code_line(run.get("code")) + f" The web on the cluster: {WEB_CLUSTER}.", "",
        ]  # fmt: skip
    else:
        lines += [f"Redis Cluster: {CLUSTER_PENDING} (the tables have its column; the code measures "
                  "whichever Redis it is given).", ""]  # fmt: skip
    if ingest := f.get("ingest", {}).get("single"):
        p = f["projection"]["single"]
        counts = ", ".join(str(k) for k in plan["workers"])
        lines += [f"### Ingest: {plan['entries']:,} entries, {counts} processes in one consumer group", ""]
        cluster = f["ingest"].get("cluster")
        run = f.get("cluster_run") or {}
        lines += ingest_table(ingest, cluster, 2 * run.get("primaries", CLUSTER_PRIMARIES))
        lines += ["", *bounded_lines(ingest, m["cores"]), ""]
        if cluster and run:
            lines += [*cluster_lines(ingest, cluster, run, m["cores"], f["ingest"].get("cluster-bare"),
                                     f.get("cluster_bare_run")), ""]  # fmt: skip
        if ref := f.get("reference", {}).get("single"):
            lines += [
                f"The same number of the simulator's entries with their ids as it wrote them (mostly updates "
                f"of {ref['state']['units']:,} units' positions rather than new things), one worker: "
                f"{_n(ref['rate'])} entries/s, {ref['worker_us']:.1f} µs of worker CPU and "
                f"{ref['redis_us']:.1f} µs of Redis CPU per entry ({ref['cores_used']:.2f} cores kept busy).",
                "",
            ]  # fmt: skip
        lines += [
            f"**Projection.** With w = {p['worker_us']:.1f} µs of worker CPU and r = {p['redis_us']:.1f} µs "
            "of Redis CPU per entry (one worker, above), a machine of C cores running K workers ingests "
            "about **min(min(K, C − 1) / w, 1 / r)** entries a second: each worker keeps a core busy, one "
            "core is left to Redis, and Redis's single command thread caps the whole at 1 / r ≈ "
            f"{_n(1e6 / p['redis_us'])} entries/s — reached at about {p['redis_bound_workers']:.1f} workers. "
            f"That is a ceiling: one worker alone here ingested {_n(p['one_rate'])} entries/s, keeping "
            f"{100 * p['one_busy']:.0f} % of a core busy (it also waits for its commits), so the next column "
            "scales that pace instead.", "",
        ]  # fmt: skip
        if rp := f.get("reference_projection", {}).get("single"):
            lines[-2] += (
                f" Distinct ids are the costly case for Redis: with the simulator's own ids (w = "
                f"{rp['worker_us']:.1f} µs, r = {rp['redis_us']:.1f} µs) its ceiling is ≈ "
                f"{_n(1e6 / rp['redis_us'])} entries/s, reached at about {rp['redis_bound_workers']:.1f} "
                "workers (the last column)."
            )
        lines += projection_lines(p, f.get("reference_projection", {}).get("single"))
        lines += [
            "",
            f"The C = {m['cores']} row is this machine; the table above shows what it did. Beyond Redis's "
            "ceiling more workers only queue on Redis: raising it takes less Redis work per entry, or the "
            "entries spread over more than one Redis — which Cluster with one slot per prefix does not do "
            "for one prefix (its keys stay on one primary)"
            + ("; the cluster columns above show it." if cluster else "; the cluster column will show it."),
            "",
        ]  # fmt: skip
    if web := f.get("web", {}).get("single"):
        lines += [f"### Web: {plan['clients']} clients on 1 and 2 gunicorn hosts", ""]
        if web.get("apart"):
            lines += [f"Measured apart, {web['date']} (`--update web`): load average {web['load_start']:.2f} "
                      f"at its start and {web['load_end']:.2f} at its end. " + _code_line(web.get("code")),
                      ""]  # fmt: skip
        lines += web_table(web["hosts"], WEB_CLUSTER if f.get("cluster_run") else CLUSTER_PENDING)
        lines += ["", web_bounded(web["hosts"], m["cores"])]
        lines += ["", "Where the CPU went, in cores kept busy over the load (the rest of the machine is "
                  "other people's):", ""]  # fmt: skip
        for h, w in web["hosts"].items():
            hosts = " + ".join(f"{x['cores_used']:.2f}" for x in w["per_host"])
            loads = ", ".join(f"{x:.1f}" for x in w["round_load"])
            p95s = ", ".join(f"{_n(x)} ms" for x in w["round_p95_ms"])
            lines.append(
                f"- {h} host{'s' if h != '1' else ''}: gunicorn {hosts}, Redis {w['redis_cores']:.2f}, "
                f"the ingest worker {w['ingest_cores']:.2f}, the loader {w['loader_cores']:.2f}, the clients "
                f"{w['clients_cores']:.2f}; every core {100 * w['machine_busy']:.0f} % busy; p95 {p95s} and "
                f"load average {loads} at the start of its rounds."
            )
        lines += [""]
    lines += [
        "- **Ingest**: the simulator's entries (the demo's mix: mostly unit positions, then incidents, calls "
        "and ports) with every id made unique (`<id>-<n>`), so that each entry adds one thing to the state "
        "(and no two workers race over one unit's updates) — new things cost a little more to apply than "
        "updates: the line under the table gives the simulator's own entries for comparison. Preloaded into "
        "a fresh private Redis; the consumer group is created at the end of the streams, K `python -m app "
        "ingest` processes are started (each its own `BASIRA_INGEST_CONSUMER`; "
        f"`BASIRA_INGEST_BLOCK_MS={BLOCK_MS}` so that an idle worker reads again within {BLOCK_MS} ms — a "
        "read on a backlog never waits), and once all K have joined the group it is moved to the start of "
        "the streams (`XGROUP SETID … 0 ENTRIESREAD 0`): the clock starts there, without the processes' "
        "start-up, and stops when every input stream's group has nothing pending and lag 0 (polled every "
        f"{POLL_S * 1000:.0f} ms). CPU over exactly that span: each worker's user + system time (psutil), "
        "Redis's `used_cpu_user + used_cpu_sys`, and every core's busy share whoever used it. Afterwards the "
        "state is counted — incidents and units indexed, calls and port counts in their once-only sets — "
        "and must equal what was written per stream, with the `stats` counters equal to the entries (a "
        "second application would count again) and the workers' own counts adding up to them. "
        f"Best of {plan['rounds']} rounds per K (the order reversed every other round); every round, with "
        "the load average at its start, is in `benchmarks/workers.json`.",
        "- **Web**: as the clients figure of the table at the top: "
        f"{plan['live_incidents']:,} open incidents and {plan['live_units']:,} units, a loader writing "
        f"{plan['load_rate']:,.0f} changes a second and one ingest worker; each client one keep-alive "
        "session posting the command view's refresh (the body Chromium sent) and asking the live feed for "
        "its changes, once a second. The hosts are separate gunicorn processes on their own loopback ports "
        "(each 2 workers × 4 threads, `--preload`), sharing only Redis (and so each other's built answers); "
        "the clients are split evenly between them. An update answered is the refresh and the feed both "
        "answered (two requests); its latency is the slower of the two; an error is either failing or "
        f"taking over 10 s. {plan['client_seconds']:g} s per round, {plan['web_rounds']} rounds per host "
        "count alternating (after each, the hosts are left to work off what was queued), latencies pooled. "
        "CPU per update is each host's (master and workers) CPU over its updates answered.",
    ]  # fmt: skip
    if run := f.get("cluster_run"):
        lines += [
            f"- **Ingest on Redis Cluster**: `tests/redis_topology.py`'s cluster on loopback, "
            f"{run['primaries']} primaries with one replica each (formed with `CLUSTER MEET`, "
            "`ADDSLOTSRANGE`, `REPLICATE`; `cluster-node-timeout 1000`, no persistence), all on this "
            f"machine's {m['cores']} cores. The same entries, preloaded under the prefix `{run['prefix']}` "
            "(a hash tag: every key in one slot) straight into the slot's primary; the workers run with "
            "`REDIS_URL=redis+cluster://…`; the same group, clock and done-condition (read on the slot's "
            "primary). Every primary is flushed before each round. Redis's CPU is the sum over every node "
            "(primaries and replicas: a replica executes every write again), the slot's primary's given "
            f"apart. Best of {plan['rounds']} rounds per K; every round, with each node's CPU, is in "
            "`benchmarks/workers.json` (`ingest_rounds.cluster`). The web part was not run on the cluster.",
        ]  # fmt: skip
    return lines


def write_record(figures: dict[str, Any]) -> None:
    """``benchmarks/workers.json`` and the doc's section."""
    RESULTS.write_text(json.dumps(figures, indent=2, default=str))
    replace_section(DOC, HEADING, section(figures), before="## Soak")
    say(f"wrote {RESULTS} and {DOC}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workers", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small scale, figures to artifacts/ only")
    parts = ["ingest", "web", "cluster", "cluster-bare"]
    parser.add_argument("--only", choices=parts, help="one part (a trial: prints its figures, writes "
                        "nothing)")  # fmt: skip
    parser.add_argument("--update", choices=parts, help="measure one part again and replace it in "
                        "benchmarks/workers.json (the others kept), then write the doc; "
                        "ingest is one Redis's, cluster the cluster's ingest, cluster-bare the same with "
                        "the replicas stopped (not part of a full run)")  # fmt: skip
    parser.add_argument("--write-doc", action="store_true", help="measure nothing: write the doc's section "
                        "again from benchmarks/workers.json (after a change to its prose)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.write_doc:
        write_record(json.loads(RESULTS.read_text()))
        return
    plan = QUICK if args.quick else FULL
    only = args.only or args.update
    started = time.time()
    figures: dict[str, Any] = {"quick": plan.quick, "plan": asdict(plan), "code": code_version()}
    with ExitStack() as stack:
        children = stack.enter_context(Children())
        server = stack.enter_context(start_redis())
        client = redis.Redis.from_url(server.url, decode_responses=True)
        host = machine(client)
        figures |= {"machine": host, "load_start": host["load"][0]}
        say(f"workers ({'quick' if plan.quick else 'full'}): {host['cores']} cores, load average "
            f"{host['load'][0]:.2f}, Redis {host['redis']} at {server.url}")  # fmt: skip
        for kind, bare in (("cluster", False), ("cluster-bare", True)):  # ingest only, not the web
            if only != kind and (only is not None or bare):
                continue
            run = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "load_start": os.getloadavg()[0],
                   "code": figures["code"], "apart": bool(args.update)}  # fmt: skip
            at = time.time()
            got = cluster_ingest_figures(children, plan, replicas=not bare)
            figures.setdefault("ingest", {})[kind] = got["ingest"]
            figures.setdefault("ingest_rounds", {})[kind] = got["ingest_rounds"]
            figures[f"{kind.replace('-', '_')}_run"] = run | got["topology"] | {
                "load_end": os.getloadavg()[0], "seconds": time.time() - at}  # fmt: skip
        for kind in ("single",):  # the cluster's ingest is measured above
            if only in (None, "ingest"):
                for name, value in ingest_figures(children, server.url, client, plan).items():
                    figures.setdefault(name, {})[kind] = value
            if only in (None, "web"):
                if browser.available():
                    web = web_scaling(children, server.url, client, plan) | {"code": figures["code"],
                                                                              "apart": bool(args.update)}
                    figures.setdefault("web", {})[kind] = web
                else:
                    say("chromedriver not found: no web figures (apt install chromium chromium-driver)")
    figures |= {"load_end": os.getloadavg()[0], "seconds": time.time() - started,
                "date": datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M UTC")}  # fmt: skip
    if args.only:
        print(json.dumps(figures, indent=2, default=str))
        return
    if args.update and not plan.quick:
        record = json.loads(RESULTS.read_text())
        record.pop("cluster", None)  # the old "after Cluster support lands"
        run = ("date", "seconds", "load_start", "load_end", "machine", "code", "plan", "quick")
        if args.update in ("cluster", "cluster-bare"):
            for name in ("ingest", "ingest_rounds"):
                record.setdefault(name, {})[args.update] = figures[name][args.update]
            run = f"{args.update.replace('-', '_')}_run"
            record[run] = figures[run]
        else:
            for name in ("ingest", "ingest_rounds", "projection", "reference", "reference_rounds",
                         "reference_projection", *run) if args.update == "ingest" else ("web",):  # fmt: skip
                kept = record.pop(name, None)
                if name in figures:
                    record[name] = figures[name]
                    if name in ("ingest", "ingest_rounds") and isinstance(kept, dict):  # the clusters' kept
                        record[name] |= {k: v for k, v in kept.items() if k.startswith("cluster")}
        figures = record
    if plan.quick:
        QUICK_RESULTS.parent.mkdir(exist_ok=True)
        QUICK_RESULTS.write_text(json.dumps(figures, indent=2, default=str))
        say(f"wrote {QUICK_RESULTS.relative_to(ROOT)} (quick: the record is left alone)")
        return
    write_record(figures)


if __name__ == "__main__":
    main()
