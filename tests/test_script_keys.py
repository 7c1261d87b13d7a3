"""Every key an apply script touches comes to it in ``KEYS`` (issue 11; what Redis ACL checks and Redis
Cluster needs, issue 16): no script builds a key name.

``MONITOR`` shows each command a script runs, right after the ``EVALSHA`` that ran it; every key those
commands name must be among the keys that ``EVALSHA`` declared. The entries exercise every path that
writes: incidents opened, dispatched, on scene, moved to another cell, closed and reopened; units
moving between cells with their trails; ports with a queue wait; calls answered or not.

``MONITOR`` sees every client's commands, not only this test's: the module runs on a Redis server of its
own (``redis_url`` below), never on the shared one (``REDIS_URL``, or the session's), where other tests —
in other worker processes under pytest-xdist — run scripts of their own at the same time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from app.contract import Stream
from app.ingest import IngestWorker
from app.settings import Settings
from app.store import Store
from app.store.embedded import start_embedded
from tests.helpers import call, incident, now_ms, port_entry, unit
from tests.redis_topology import redis_server_binary


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """This module's own Redis server (the ``client`` and ``settings`` fixtures use it): what MONITOR
    shows is this module's work alone."""
    with start_embedded(binary=redis_server_binary()) as server:
        yield server.url

#: Commands scripts run, and where their keys are (all take one key, the first argument, except HMGET's
#: fields, which are not keys).
_ONE_KEY = {"HSET", "HGET", "HMGET", "HDEL", "HEXISTS", "HINCRBY", "ZADD", "ZREM", "SADD", "LPUSH",
            "LTRIM", "EXPIRE", "PEXPIRE"}
_NO_KEY = {"TIME"}


def _entries() -> dict[Stream, list[dict[str, str]]]:
    t = now_ms() - 60_000
    riyadh = {"lat": "24.71", "lon": "46.67"}
    return {
        Stream.incidents: [
            incident("T1", ts=t),
            incident("T1", ts=t + 1_000, status="dispatched"),
            incident("T1", ts=t + 2_000, status="on_scene", agency="patrol"),  # another cell
            incident("T2", ts=t, **riyadh),
            incident("T2", ts=t + 3_000, status="closed", region="SA-02"),  # closed in another cell
            incident("T2", ts=t + 4_000, status="new", agency="traffic", **riyadh),  # reopened
            incident("T3", ts=t + 1_000, status="dispatched", agency="red_crescent"),
        ],
        Stream.units: [
            unit("U1", ts=t),
            unit("U1", ts=t + 1_000, **riyadh),  # another region
            unit("U1", ts=t + 2_000, agency="patrol", **riyadh),  # another agency
            unit("U2", ts=t),
            unit("U2", ts=t),  # replayed
        ],
        Stream.ports: [port_entry(ts=t), port_entry("air-ruh", ts=t, wait_min=5)],
        Stream.calls: [call("C1"), call("C2", answered_ts="", outcome="abandoned")],
    }


def _scripts_and_their_keys(monitor: redis.client.Monitor, end: str, prefixes: set[str]
                            ) -> list[tuple[set[str], list[str]]]:
    """(declared keys, keys used) of each script call seen until the ``ECHO end`` marker; ``prefixes``:
    those of the keys (an ``EVAL``'s source is one argument with spaces, which ``MONITOR``'s line as
    redis-py gives it does not tell apart: its key count is the number just before the first key)."""
    calls: list[tuple[set[str], list[str]]] = []
    for seen in monitor.listen():
        words = seen["command"].split(" ")
        if seen["client_type"] == "lua":
            name = words[0].upper()
            assert name in _ONE_KEY or name in _NO_KEY, f"a script ran {name}: say where its keys are"
            if name in _ONE_KEY:
                calls[-1][1].append(words[1])
        elif words[0].upper() == "EVALSHA":
            calls.append((set(words[3 : 3 + int(words[2])]), []))
        elif words[0].upper() == "EVAL":
            n = next(n for n in range(2, len(words) - 1)
                     if words[n].isdigit() and words[n + 1].split(":", 1)[0] in prefixes)
            calls.append((set(words[n + 1 : n + 1 + int(words[n])]), []))
        elif words[0].upper() == "ECHO" and words[1:] == [end]:
            return calls
    raise AssertionError("the monitor stopped")


@pytest.mark.parametrize("shards", [1, 4], ids=["one slot", "4 shards"])
def test_every_key_a_script_touches_is_passed_in_keys(client: redis.Redis, settings: Settings,
                                                     shards: int) -> None:
    """… and each batch is applied by one script call (a sharded store: one a shard, each within its
    shard's keys, so each in one slot on a cluster)."""
    settings = settings.model_copy(update={"ingest_batch": 500, "redis_shards": shards})
    store = Store.from_settings(settings)
    for stream, entries in _entries().items():
        for fields in entries:
            client.xadd(stream.key(settings.stream_prefix), fields)
    end = f"{settings.stream_prefix}:end"
    prefixes = {k.prefix for k in store.keys.each_shard} | {settings.stream_prefix}
    with client.monitor() as monitor:
        IngestWorker(store, settings).work(burst=True)
        store.apply.mark_caught_up(now_ms())
        client.echo(end)
        calls = _scripts_and_their_keys(monitor, end, prefixes)
    assert len(calls) >= 8  # incidents, units, ports and calls, each with its meta scripts
    used = [key for _declared, keys in calls for key in keys]
    assert any(":inc:hist:" in key for key in used) and any(":unit:trail:" in key for key in used)
    assert any(":kpi:dispatch:" in key for key in used) and any(":kpi:response:" in key for key in used)
    for declared, keys in calls:
        assert len({key.split(":", 1)[0] for key in declared}) == 1  # one prefix: one slot on a cluster
        assert all(key.split(":", 1)[0] in prefixes for key in declared)
        assert set(keys) <= declared, f"not in KEYS: {sorted(set(keys) - declared)}"
    # One apply call for the whole batch of a stream, per shard that holds some of its things.
    entries = _entries()
    for stream, index in ((Stream.incidents, "inc:idx"), (Stream.units, "unit:idx")):
        applying = [declared for declared, _keys in calls if any(k.endswith(f":{index}") for k in declared)]
        holders = {store.keys.shard_of(fields["id"]).prefix for fields in entries[stream]}
        assert len(applying) == len(holders) and len(holders) <= shards, (stream, len(applying))
    assert store.streams.stats()["ingested:incidents"] == 7
