"""Answers built once and shared (app/store/built.py), and the command view's summary built on it,
against a real Redis: however many viewers ask at one tick, one build."""

from __future__ import annotations

import threading

import orjson

from app import create_app
from app.contract import Scope, Stream
from app.ingest import IngestWorker
from app.pages.command import summary as _summary
from app.store import Store
from app.store.built import Held
from tests.helpers import incident, unit


def ask_at_once(store: Store, name: str, body: bytes, askers: int) -> tuple[list[bytes], int, int]:
    """``askers`` threads asking for ``name`` at once: the answers they got, how many times the build ran,
    and how many builds the store counted meanwhile."""
    calls: list[int] = []

    def build() -> bytes:
        calls.append(1)
        return body

    before = store.built.builds()
    out: list[bytes] = []
    threads = [threading.Thread(target=lambda: out.append(store.built.built_once(name, build, 5_000)))
               for _ in range(askers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return out, len(calls), store.built.builds() - before


def test_one_build_for_many_askers_and_the_same_bytes_for_all(settings):
    out, built, counted = ask_at_once(Store.from_settings(settings), "x:1", b"answer", 12)
    assert out == [b"answer"] * 12 and built == 1 and counted == 1


def test_a_builder_that_died_is_replaced_by_one_waiter_not_by_all(settings, client):
    """The lock of a builder that died lapses with no bytes: one waiter takes it over and builds, the
    others wait for its bytes (before, every waiter built after 3 s of waiting)."""
    store = Store.from_settings(settings)
    client.set(store.keys.built_lock("y:1"), "1", px=300)  # a builder took it, then died
    out, built, counted = ask_at_once(store, "y:1", b"again", 6)
    assert out == [b"again"] * 6 and built == 1 and counted == 1


def test_while_another_worker_builds_a_tick_the_previous_ticks_answer_is_given_at_once(settings, client):
    """Only the builder waits for its build: a request that finds the tick's build under way gets the
    previous tick's bytes, when kept, and builds nothing; with none kept it waits for the new ones."""
    store = Store.from_settings(settings)
    store.built.built_once("p:1", lambda: b"tick 1", 5_000)
    client.set(store.keys.built_lock("p:2"), "1", px=5_000)  # another worker is building tick 2
    calls: list[int] = []

    def build() -> bytes:
        calls.append(1)
        return b"tick 2, built again"

    assert store.built.built_once("p:2", build, 5_000, previous="p:1") == b"tick 1"
    assert calls == []
    client.set(store.keys.built("p:2"), b"tick 2")  # the builder's bytes arrive
    assert store.built.built_once("p:2", build, 5_000, previous="p:1") == b"tick 2" and calls == []
    # no previous answer kept: the request waits for the builder's bytes, as before
    client.set(store.keys.built_lock("q:2"), "1", px=5_000)
    arrives = threading.Timer(0.2, lambda: client.set(store.keys.built("q:2"), b"q 2"))
    arrives.start()
    assert store.built.built_once("q:2", build, 5_000, previous="q:1") == b"q 2" and calls == []
    arrives.join()  # its SET may still be reading its reply: the client is closed after the test


def test_a_costly_family_is_rebuilt_less_often(settings, client):
    store = Store.from_settings(settings)
    _tick, period = store.built.tick("fam", 1000, 0.4)
    assert period == 1000  # nothing known yet: every refresh
    client.set(store.keys.built_cost("fam"), 3_000)  # a build took 3 s
    _tick, period = store.built.tick("fam", 1000, 0.4)
    assert period == 8000  # 3 s is at most 40 % of the time between builds
    store.built.built_once("fam:1", lambda: b"1", 5_000, family="fam")
    assert int(client.get(store.keys.built_cost("fam"))) < 1000  # the last build's cost replaces it


def test_the_command_summary_is_built_once_per_scope_per_tick(settings, client):
    store = Store.from_settings(settings)
    p = settings.stream_prefix
    for n in range(30):
        client.xadd(Stream.incidents.key(p), incident(f"I{n}", priority=str(1 + n % 4)))
    client.xadd(Stream.units.key(p), unit("U1"))
    IngestWorker(store, settings).work(burst=True)
    refresh_ms = 60_000  # one tick for the whole test, unless it straddles a minute
    keys = ["regions", "calls"]
    family = f"command:{Scope().token}:{','.join(keys)}"
    first, _period = store.built.tick(family, refresh_ms, 0.4)
    ticks = (first, first + 1)
    assert not any(client.exists(store.keys.built(f"{family}:{t}")) for t in ticks)  # nothing built yet
    before = store.built.builds()
    out: list[dict] = []
    ready = threading.Barrier(10)
    app = create_app(settings)  # the page's clock is the app's (Services.clock), as in a request

    def ask() -> None:
        with app.app_context():
            ready.wait()  # all ten at once
            out.append(_summary.summary(store, Scope(), keys, refresh_ms))

    threads = [threading.Thread(target=ask) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(out) == 10
    # Each answer is named by the tick it was built for (``first``, or the next if a minute began
    # meanwhile). Neither was built before, so each name took at least one build: as many builds as
    # names is exactly one build per scope per tick, however many asked at once.
    names = {o["name"] for o in out}
    assert names and names <= {f"{family}:{t}" for t in ticks}
    assert store.built.builds() - before == len(names)
    for name in names:  # and everyone of a tick got the same answer
        assert len({orjson.dumps(o) for o in out if o["name"] == name}) == 1
    assert out[0]["total"] == 30 and len(out[0]["top"]) == 30 and out[0]["kpis"]["open_total"] == 30
    assert [f["properties"]["priority"] for f in out[0]["top"][:8]] == [1] * 8  # most urgent first
    assert set(out[0]["layers"]) == set(keys)


def test_a_tick_built_behind_its_askers_answers_the_earlier_tick_at_once_and_is_built_once(settings, client):
    """With ``behind``, the request that takes a tick's lock gets the newest earlier tick still kept and
    the build runs in a thread: no request waits for it (the build below cannot finish until the test
    lets it, so an answer proves nobody waited), it is built once, and its bytes are kept."""
    store = Store.from_settings(settings)
    store.built.built_once("b:1", lambda: b"tick 1", 5_000)
    release, calls = threading.Event(), []

    def build() -> bytes:
        calls.append(1)
        assert release.wait(timeout=60)
        return b"tick 3"

    before = store.built.builds()
    answers = [store.built.built_once("b:3", build, 5_000, family="b", previous=["b:2", "b:1"], behind=True)
               for _ in range(5)]
    assert answers == [b"tick 1"] * 5  # tick 2 never built: the newest kept is tick 1
    release.set()
    for _ in range(600):
        if client.exists(store.keys.built("b:3")):
            break
        threading.Event().wait(0.05)
    assert store.built.built_once("b:3", build, 5_000, previous=["b:2", "b:1"], behind=True) == b"tick 3"
    assert calls == [1] and store.built.builds() - before == 1
    assert client.exists(store.keys.built_cost("b"))
    # nothing earlier kept: the builder builds before it answers, as without ``behind``
    assert store.built.built_once("c:9", lambda: b"c 9", 5_000, previous=["c:8"], behind=True) == b"c 9"


def test_a_refresh_from_a_built_tick_waits_for_no_build_and_the_next_tick_is_built_behind(settings, client):
    """The command summary: once a scope has a summary kept, a refresh at a tick not yet built answers
    with the kept one and starts the tick's build; the refreshes after it get the new tick's."""
    store = Store.from_settings(settings)
    p = settings.stream_prefix
    for n in range(5):
        client.xadd(Stream.incidents.key(p), incident(f"I{n}"))
    IngestWorker(store, settings).work(burst=True)
    app = create_app(settings)
    keys = ["regions"]
    family = f"command:{Scope().token}:{','.join(keys)}"
    with app.app_context():
        first = _summary.summary(store, Scope(), keys, 60_000)  # none kept: built before the answer
        assert first["total"] == 5
        tick, _period = store.built.tick(family, 60_000, 0.4)
        # the same summary, kept under the tick before: the next refresh finds its own tick not built
        client.rename(store.keys.built(first["name"]), store.keys.built(f"{family}:{tick - 1}"))
        client.delete(store.keys.built_lock(first["name"]))
        store.built.held.clear()  # as a worker that had not read this tick's (it holds what it read)
        client.xadd(Stream.incidents.key(p), incident("I5"))
        IngestWorker(store, settings).work(burst=True)
        before = store.built.builds()
        answer = _summary.summary(store, Scope(), keys, 60_000)
        assert answer["total"] == 5  # the kept summary, at once: the new incident is not in it yet
        for _ in range(600):  # the tick's build, behind
            if store.built.builds() - before == 1:
                break
            threading.Event().wait(0.05)
        later = _summary.summary(store, Scope(), keys, 60_000)
    assert later["total"] == 6 and store.built.builds() - before == 1


def test_a_long_build_hands_its_freed_memory_back(settings, monkeypatch):
    """After a build of :data:`GIVE_BACK_MS` or more the worker hands the C heap's free pages back
    (glibc's ``malloc_trim``): a summary at 100,000 incidents otherwise left the worker resident at its
    peak. (A build's own length is the cue: a slow one allocated enough to matter.) On glibc the hand
    back itself is real; the test only counts that it was asked for."""
    import time

    from app.store import built as built_module

    # Counted for this test's thread only: a build an earlier test left running behind its askers (in a
    # thread of this process) may end meanwhile and hand back too.
    handed: list[int] = []
    monkeypatch.setattr(built_module, "give_back", lambda: handed.append(threading.get_ident()) or True)
    mine = [threading.get_ident()]
    store = Store.from_settings(settings)

    def slow() -> bytes:
        garbage = [bytes(600) for _ in range(20_000)]  # ~12 MB through malloc, dropped at once
        del garbage
        time.sleep(built_module.GIVE_BACK_MS / 1000 + 0.05)
        return b"slow"

    assert store.built.built_once("g:1", slow, 5_000) == b"slow" and [h for h in handed if h in mine] == mine
    assert store.built.built_once("g:1", slow, 5_000) == b"slow"  # kept: no build, no hand back
    assert [h for h in handed if h in mine] == mine


def test_a_worker_reads_a_names_bytes_from_redis_once_and_holds_them_a_moment(settings, client):
    """A built name's bytes never change, so a worker that has read them answers from what it holds
    (the hundred viewers of a scope it serves in a tick: one read, not a hundred) — but only for a
    moment: then it reads Redis again."""
    store = Store.from_settings(settings)
    moment = [0.0]
    store.built.held = Held(seconds=3.0, clock=lambda: moment[0])
    assert store.built.built_once("h:1", lambda: b"tick 1", 5_000) == b"tick 1"
    client.delete(store.keys.built("h:1"))  # gone from Redis: only what the worker holds has it
    calls: list[int] = []

    def build() -> bytes:
        calls.append(1)
        return b"built again"

    assert store.built.built_once("h:1", build, 5_000) == b"tick 1" and calls == []
    moment[0] = 3.5  # past the hold: Redis is asked (and, with nothing there, it is built again)
    client.delete(store.keys.built_lock("h:1"))
    assert store.built.built_once("h:1", build, 5_000) == b"built again" and calls == [1]

