"""Every in-process cache of a web worker holds what its docstring says, and no more (issue 16: a
national picture runs for days on a wall, and the soak saw a worker grow without end).

Against a real Redis, fed through the streams and the ingest worker. Each test states one bound:
the heatmap's mirror of the history keeps numbers only (a few dozen bytes an incident), computes
what a caller derives once per incident, forgets what closed before the window, and holds at most
``history_max`` incidents beyond the scope being answered; the layers' trail cache and memo are
bounded by count; the built answers a worker holds, by bytes and time.
"""

from __future__ import annotations

import numpy as np

from app.contract import Scope, Stream
from app.geo import Points
from app.store import Store, layer_reads
from app.store.built import Held
from app.store.history_points import ROW_BYTES
from app.store.keys import HOUR_MS
from tests.browser import feed
from tests.helpers import incident, now_ms, unit

MAKKAH = ("21.4225", "39.8262")
RIYADH = ("24.7136", "46.6753")


def _closed(ids: list[str], at_ms: int, where: tuple[str, str] = MAKKAH, **fields: object) -> list[dict]:
    """Each of ``ids`` opened an hour before ``at_ms`` and closed at ``at_ms``."""
    lat, lon = where
    out = []
    for n, incident_id in enumerate(ids):
        out.append(incident(incident_id, lat=lat, lon=lon, ts=at_ms - HOUR_MS + n, **fields))
        out.append(incident(incident_id, lat=lat, lon=lon, status="closed", ts=at_ms + n, **fields))
    return out


def test_the_mirror_keeps_a_few_dozen_bytes_an_incident(client, settings) -> None:
    store = Store.from_settings(settings)
    now = now_ms()
    feed(client, settings, {Stream.incidents: _closed([f"C{n}" for n in range(300)], now - 2 * HOUR_MS)})
    points = store.history.closed_points(Scope(), now - 24 * HOUR_MS)
    assert len(points) == 300
    count, size = store.history.mirrored()
    assert count == 300
    # the columns (and the heatmap's H3 cells, once derived) with the doubling's slack at most
    assert size <= 2 * ROW_BYTES * count + 16 * ROW_BYTES * 60  # + the smallest capacity of each chunk


def test_what_a_caller_derives_is_computed_once_per_incident(client, settings) -> None:
    store = Store.from_settings(settings)
    now = now_ms()
    scope = Scope.parse("SA-02", "civil_defense")
    feed(client, settings, {Stream.incidents: _closed(["A1", "A2", "A3"], now - 3 * HOUR_MS)})
    computed: list[int] = []

    def opened(points: Points) -> np.ndarray:
        computed.append(len(points))
        return points.opened.copy()

    (chunk,) = store.history.closed_chunks(scope, now - 24 * HOUR_MS)
    points, values = chunk.derive("opened", opened)
    assert computed == [3] and values.tolist() == points.opened.tolist()
    assert chunk.derive("opened", opened)[1].tolist() == points.opened.tolist() and computed == [3]

    feed(client, settings, {Stream.incidents: _closed(["B1", "B2"], now - HOUR_MS)})
    (chunk,) = store.history.closed_chunks(scope, now - 24 * HOUR_MS)
    points, values = chunk.derive("opened", opened)
    assert computed == [3, 2]  # the two new incidents only
    assert len(points) == 5 and values.tolist() == points.opened.tolist()


def test_the_mirror_forgets_what_closed_before_the_window(client, settings) -> None:
    store = Store.from_settings(settings)
    now = now_ms()
    scope = Scope.parse("SA-02", "civil_defense")
    feed(client, settings, {Stream.incidents: [
        *_closed(["OLD1", "OLD2"], now - 3 * HOUR_MS), *_closed(["NEW1"], now - 30 * 60_000),
    ]})  # fmt: skip
    (chunk,) = store.history.closed_chunks(scope, now - 4 * HOUR_MS)
    assert chunk.count == 3
    chunk.derive("opened", lambda p: p.opened.copy())
    # the window moved on by more than an hour: the two older closings go, from every column
    (swept,) = store.history.closed_chunks(scope, now - HOUR_MS)
    assert swept is chunk and chunk.count == 1 and store.history.mirrored()[0] == 1
    points, values = chunk.derive("opened", lambda p: p.opened.copy())
    assert len(points) == 1 and values.tolist() == points.opened.tolist()
    # and the count check still holds: nothing is read afresh
    (again,) = store.history.closed_chunks(scope, now - HOUR_MS)
    assert again is chunk and len(store.history.closed_points(scope, now - HOUR_MS)) == 1


def test_the_mirror_holds_at_most_history_max_beyond_the_scope_asked(client, settings) -> None:
    now = now_ms()
    feed(client, settings, {Stream.incidents: [
        *_closed(["M1", "M2", "M3", "M4"], now - 2 * HOUR_MS, MAKKAH),
        *_closed(["R1", "R2", "R3", "R4"], now - 2 * HOUR_MS, RIYADH, agency="traffic"),
    ]})  # fmt: skip
    # Redis holds all eight; this reader's mirror may hold five beyond the scope it answers
    store = Store.from_settings(settings.model_copy(update={"history_max": 5}))
    day_ago = now - 24 * HOUR_MS
    assert len(store.history.closed_points(Scope.parse("SA-02"), day_ago)) == 4
    assert store.history.mirrored()[0] == 4
    assert len(store.history.closed_points(Scope.parse("SA-01"), day_ago)) == 4
    assert store.history.mirrored()[0] == 4  # Makkah's cells, least recently asked, were dropped
    assert len(store.history.closed_points(Scope.parse("SA-02"), day_ago)) == 4  # and read afresh
    # the scope being answered is never dropped (Redis's own cap, `history_max`, bounds it)
    assert len(store.history.closed_points(Scope(), day_ago)) == 8
    assert store.history.mirrored()[0] == 8


# --- the layers' trail cache and memo -------------------------------------------------------------


def test_the_trail_cache_holds_at_most_its_cap_beyond_the_units_asked(client, settings, monkeypatch) -> None:
    monkeypatch.setattr(layer_reads, "TRAIL_CACHE_MAX", 4)
    store = Store.from_settings(settings)
    feed(client, settings, {Stream.units: [unit(f"U{n}", ts=now_ms() - n) for n in range(6)]})
    units = {f["id"]: f for f in store.live.units(Scope())}
    assert set(store.layers.unit_trails([units[u] for u in ("U0", "U1", "U2")])) == {"U0", "U1", "U2"}
    assert store.layers.held()["trails"] == 3
    # three more: six would pass the cap, so the cache keeps only the units of this call
    assert set(store.layers.unit_trails([units[u] for u in ("U3", "U4", "U5")])) == {"U3", "U4", "U5"}
    assert store.layers.held()["trails"] == 3
    assert set(store.layers.unit_trails([units["U0"]])) == {"U0"}  # read again: it was dropped


def test_the_memo_keeps_at_most_memo_max_values(client, settings, monkeypatch) -> None:
    monkeypatch.setattr(layer_reads, "MEMO_MAX", 5)
    store = Store.from_settings(settings)
    for n in range(12):  # keyed by something unbounded, each kept an hour
        assert store.layers.cached(("by", n), lambda n=n: (n, 3600.0)) == n
    assert store.layers.held()["memo"] == 5
    assert store.layers.cached(("by", 11), lambda: (-1, 3600.0)) == 11  # the latest to expire: kept
    assert store.layers.cached(("by", 0), lambda: (-1, 3600.0)) == -1  # the soonest: dropped


def test_what_a_worker_holds_is_bounded():
    """At most so many bytes in all (the oldest dropped first), nothing larger than the largest, and
    nothing past its name's time to live when that is shorter than the hold."""
    moment = [0.0]
    held = Held(seconds=3.0, most=10, largest=6, clock=lambda: moment[0])
    held.put("a", b"aaaa", 5_000)
    held.put("b", b"bbbb", 5_000)
    held.put("c", b"cccc", 5_000)  # 12 bytes: "a" goes
    assert (held.get("a"), held.get("b"), held.get("c")) == (None, b"bbbb", b"cccc")
    held.put("big", b"x" * 7, 5_000)
    assert held.get("big") is None and len(held) == 2
    held.put("short", b"s", 1_000)
    moment[0] = 1.5
    assert held.get("short") is None and held.get("b") == b"bbbb"
