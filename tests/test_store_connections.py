"""A refused commit gives its connection back.

A store that waits for replicas writes on one connection (:mod:`app.store.replication`). A commit's
transaction carries scripts, which redis-py loads (``SCRIPT EXISTS``/``SCRIPT LOAD``) on the
pipeline's connection before ``MULTI``; when that step failed, the pipeline kept the connection until
it was garbage — and a failed round's error, held in a cycle with the committer's future, kept it for
as long as the cyclic collector did not run, which in an ingest process is rarely (``quiet_gc``). Every
commit after it was refused with "Too many connections": a Sentinel failover left a worker retrying for
minutes with entries pending (issue 17's CI run).

Redis refuses for real here: the test's own ACL user may not run ``SCRIPT`` for a while, then may.
"""

from __future__ import annotations

import gc
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
from pydantic import SecretStr

from app.contract import Stream
from app.ingest import IngestWorker
from app.settings import Settings
from app.store import Store
from app.store.errors import StoreUnavailable, is_systemic
from tests.helpers import incident
from tests.redis_topology import applied_incidents, poll


@dataclass
class Refusing:
    """Settings signed in as a user of this test that may run scripts only when allowed, on a store
    that waits for one replica: one writing connection."""

    client: redis.Redis  # the admin's
    user: str
    password: str
    settings: Settings

    def allow_scripts(self, allowed: bool) -> None:
        self.client.execute_command("ACL", "SETUSER", self.user, "reset", "on", f">{self.password}", "~*",
                                    "&*", "+@all", "+script" if allowed else "-script")

    def refusals(self) -> int:
        """How many of this user's commands Redis refused (its ``ACL LOG``)."""
        return sum(int(entry["count"]) for entry in self.client.acl_log(1000)
                   if entry["username"] == self.user)


@pytest.fixture
def refusing(client: redis.Redis, settings: Settings, prefix: str) -> Iterator[Refusing]:
    user, password = f"basira-test-{prefix}", secrets.token_hex(16)
    refusing = Refusing(client, user, password, settings.model_copy(update={
        "redis_username": user, "redis_password": SecretStr(password),
        "redis_wait_replicas": 1, "redis_wait_ms": 1,  # no replica here: each WAIT gives up after 1 ms
        "reclaim_idle_ms": 200, "ingest_block_ms": 50,
    }))
    refusing.allow_scripts(False)
    try:
        yield refusing
    finally:
        client.execute_command("ACL", "DELUSER", user)


def test_a_refused_commit_gives_its_connection_back_even_while_its_error_is_kept(refusing, client, prefix
                                                                                ) -> None:
    settings = refusing.settings
    store = Store.from_settings(settings)
    batch = IngestWorker(store, settings).prepare(Stream.incidents, [("1-0", incident("R1"))])
    try:
        store.apply.commit(batch)
    except StoreUnavailable as error:
        refused = error  # kept: its traceback holds the failed commit's frames
    else:
        pytest.fail("a user without SCRIPT committed a transaction that carries scripts")
    assert is_systemic(refused) and isinstance(refused.cause, redis.exceptions.NoPermissionError), refused

    refusing.allow_scripts(True)
    store.apply.commit(batch)  # before the fix: "Too many connections", for as long as `refused` lived
    assert applied_incidents(client, prefix) == {"R1"}


def test_a_worker_refused_for_a_while_applies_everything_once_allowed(refusing, client, prefix) -> None:
    settings = refusing.settings
    store = Store.from_settings(settings)
    key = Stream.incidents.key(prefix)
    for n in range(50):
        client.xadd(key, incident(f"R{n}"))
    worker = IngestWorker(store, settings)
    group = settings.ingest_group
    thread = threading.Thread(target=worker.work, name="refused-worker", daemon=True)
    gc.disable()  # as rare as in an ingest process: nothing may wait for a collection to be freed
    try:
        thread.start()
        # read and refused: the entries are pending with the worker, nothing applied
        poll(lambda: client.xpending(key, group)["pending"] == 50, 30, "the worker to read all 50")
        poll(lambda: refusing.refusals() >= 1, 30, "Redis to refuse the worker's commit")
        assert worker.applied == 0 and not applied_incidents(client, prefix)
        refusing.allow_scripts(True)
        poll(lambda: len(applied_incidents(client, prefix)) == 50, 60, "the worker to apply all 50, allowed")
        poll(lambda: client.xpending(key, group)["pending"] == 0, 30, "every entry acknowledged")
    finally:
        worker.stop()
        thread.join(30)
        gc.enable()
    assert not thread.is_alive()
    assert int(client.hget(f"{prefix}:stats", "ingested:incidents")) == 50
