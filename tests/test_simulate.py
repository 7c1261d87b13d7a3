"""The scenario simulator: deterministic, valid by the contract, and plausible.

The pure core (:class:`app.simulation.Scenario`) is tested without Redis and without a clock, at a
high ``time_scale`` so that thousands of complete incident lifecycles fit in a simulated hour; the
runner is tested once against the real Redis of the session. No test asserts on timing.
"""

from __future__ import annotations

import collections
import hashlib
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import orjson
import pytest
import redis

from app.contract import (
    REGION_CODES,
    Agency,
    Category,
    ContractError,
    IncidentEvent,
    Stream,
    parse,
)
from app.settings import ROOT, Settings
from app.simulation import Scenario, World, default_fleet_size, run
from app.simulation.catalog import KINDS
from app.simulation.ports import PortTraffic
from app.simulation.rhythm import INCIDENTS, Arrivals

RIYADH = timezone(timedelta(hours=3))
HOUR_MS = 3_600_000


def riyadh_ms(year: int, month: int, day: int, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=RIYADH).timestamp() * 1000)


TUESDAY_10 = riyadh_ms(2026, 11, 24, 10)  # Tuesday 24 November 2026, 10:00 Riyadh


@pytest.fixture(scope="module")
def world() -> World:
    return World.from_settings(Settings())


SPAN_MS = 30 * 60_000


@pytest.fixture(scope="module")
def run_half_hour(world: World) -> tuple[Scenario, list[tuple[Stream, dict[str, str]]]]:
    """Half a simulated hour: ~3,600 incidents, each life 100× faster than real, 200 units."""
    scenario = Scenario(world, seed=11, start_ms=TUESDAY_10, rate=2.0, units=200, time_scale=100)
    return scenario, scenario.advance(TUESDAY_10 + SPAN_MS)


@pytest.fixture(scope="module")
def hour(run_half_hour: tuple) -> list[tuple[Stream, dict[str, str]]]:
    return run_half_hour[1]


def of(entries: list[tuple[Stream, dict[str, str]]], stream: Stream) -> list[dict[str, str]]:
    return [fields for s, fields in entries if s is stream]


# --- determinism ---------------------------------------------------------------------------------


def _scenario(world: World, seed: int) -> Scenario:
    return Scenario(world, seed=seed, start_ms=TUESDAY_10, rate=1.0, units=80, time_scale=10)


def test_same_seed_same_entries_however_sliced(world: World) -> None:
    end = TUESDAY_10 + 10 * 60_000
    whole = _scenario(world, 5).advance(end)
    sliced_scenario = _scenario(world, 5)
    sliced: list = []
    for t in range(TUESDAY_10, end + 1, 7_919):
        sliced += sliced_scenario.advance(t)
    sliced += sliced_scenario.advance(end)
    assert len(whole) > 1000
    assert sliced == whole


def test_different_seed_different_entries(world: World) -> None:
    end = TUESDAY_10 + 5 * 60_000
    five, six = _scenario(world, 5).advance(end), _scenario(world, 6).advance(end)
    for entries in (five, six):  # two runs that wrote nothing would differ in nothing
        assert len(entries) > 100 and {s for s, _ in entries} == set(Stream)
    assert five != six


_DIGEST_SCRIPT = """
import collections, hashlib, orjson
from app.settings import Settings
from app.simulation import Scenario, World
s = Scenario(World.from_settings(Settings()), seed=9, start_ms={start}, rate=1.0, units=80, time_scale=10)
entries = [[k.value, f] for k, f in s.advance({end})]
print(orjson.dumps({{"digest": hashlib.sha256(orjson.dumps(entries)).hexdigest(),
                    "per_stream": collections.Counter(k for k, _ in entries)}}).decode())
"""


def test_deterministic_across_processes(world: World) -> None:
    """No dependence on string hashing or anything else that varies between interpreters."""
    start, end = TUESDAY_10, TUESDAY_10 + 5 * 60_000
    script = _DIGEST_SCRIPT.format(start=start, end=end)
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        outputs.append(orjson.loads(out.stdout))
    # Not two empty runs: each wrote entries to every stream, as this process does with the same seed.
    here = Scenario(world, seed=9, start_ms=start, rate=1.0, units=80, time_scale=10).advance(end)
    per_stream = dict(collections.Counter(s.value for s, _ in here))
    assert set(per_stream) == {s.value for s in Stream} and sum(per_stream.values()) > 100
    digest = hashlib.sha256(orjson.dumps([[s.value, f] for s, f in here])).hexdigest()
    assert outputs == [{"digest": digest, "per_stream": per_stream}] * 2


# --- validity ------------------------------------------------------------------------------------


def test_every_entry_follows_the_contract(world: World, hour: list) -> None:
    ports = frozenset(world.ports)
    now = TUESDAY_10 + SPAN_MS
    for stream, fields in hour:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())
        try:
            parse(stream, fields, ports=ports, now_ms=now)
        except ContractError as error:
            pytest.fail(f"{stream.value} entry {fields} rejected: {error.reason}")
    assert {s for s, _ in hour} == set(Stream)


# --- incidents -----------------------------------------------------------------------------------


def test_all_thirteen_regions_get_incidents_on_land(world: World, hour: list) -> None:
    opened = [f for f in of(hour, Stream.incidents) if f["status"] == "new"]
    assert {f["region"] for f in opened} == set(REGION_CODES)
    # The region given is the one the polygons assign: every point is on the Kingdom's land.
    assigned = world.index.assign([float(f["lon"]) for f in opened], [float(f["lat"]) for f in opened])
    assert assigned == [f["region"] for f in opened]


def test_agency_category_priority_mix(hour: list) -> None:
    opened = [parse(Stream.incidents, f) for f in of(hour, Stream.incidents) if f["status"] == "new"]
    assert isinstance(opened[0], IncidentEvent)
    allowed = {(k.agency, k.category) for k in KINDS}
    assert {(e.agency, e.category) for e in opened} <= allowed
    assert {e.agency for e in opened} == set(Agency)
    assert {e.category for e in opened if e.agency is Agency.red_crescent} == {Category.medical}
    share_p1 = sum(e.priority == 1 for e in opened) / len(opened)
    assert 0.04 <= share_p1 <= 0.10
    assert all(e.description and " — " in e.description for e in opened)  # English — Arabic


def test_lifecycle_order_per_incident(hour: list) -> None:
    lives: dict[str, list[tuple[int, str, str]]] = collections.defaultdict(list)
    for f in of(hour, Stream.incidents):
        lives[f["id"]].append((int(f["ts"]), f["status"], f.get("units", "")))
    complete = 0
    for events in lives.values():
        statuses = [s for _, s, _ in events]
        times = [t for t, _, _ in events]
        assert times == sorted(times)
        assert statuses == ["new", "dispatched", "on_scene", "closed"][: len(statuses)]
        assert all(units for _, s, units in events if s != "new")
        complete += statuses[-1] == "closed"
    assert complete > 0.9 * len(lives)


def test_closed_incidents_are_forgotten(run_half_hour: tuple) -> None:
    scenario, entries = run_half_hour
    statuses = {f["id"]: f["status"] for f in of(entries, Stream.incidents)}
    still_open = sum(1 for s in statuses.values() if s != "closed")
    assert scenario.stats()["open"] == still_open
    assert still_open < 0.05 * len(statuses)


def test_an_overwhelmed_fleet_stays_bounded(world: World) -> None:
    """Far more incidents than units: the backlog waits, then closes unattended — memory is bounded."""
    scenario = Scenario(world, seed=4, start_ms=TUESDAY_10, rate=3.0, units=20, time_scale=100)
    entries = scenario.advance(TUESDAY_10 + 10 * 60_000)
    stats = scenario.stats()
    assert stats["waiting"] > 0
    assert stats["open"] < 400  # ~3/s × 36 s of patience (an hour ÷ 100), not the 1,800 that arrived
    lives = collections.defaultdict(list)
    for f in of(entries, Stream.incidents):
        lives[f["id"]].append(f["status"])
    assert any(life == ["new", "closed"] for life in lives.values())


def test_incident_arrivals_follow_the_week(world: World) -> None:
    """Friday morning, before the noon prayer, is quieter than a Tuesday morning."""
    arrivals = Arrivals(1.0, INCIDENTS)

    def count(start: int, hours: int) -> int:
        r, t, n = random.Random(1), start, 0
        while (t := arrivals.next_after(t, r)) < start + hours * HOUR_MS:
            n += 1
        return n

    tuesday = count(riyadh_ms(2026, 11, 24, 6), 5)
    friday = count(riyadh_ms(2026, 11, 27, 6), 5)
    assert friday < 0.8 * tuesday
    night = count(riyadh_ms(2026, 11, 24, 3), 2)
    evening = count(riyadh_ms(2026, 11, 24, 19), 2)
    assert night < 0.5 * evening


# --- units ---------------------------------------------------------------------------------------


def test_fleet_covers_every_region_and_agency(world: World) -> None:
    scenario = Scenario(world, seed=1, start_ms=TUESDAY_10, rate=0.1)
    units = scenario.fleet.units
    assert len(units) == default_fleet_size(0.1, 1.0)
    assert 300 <= len(units) <= 1000
    assert len({u.id for u in units}) == len(units)
    cover = {(u.agency, world.region_of(u.base_lat, u.base_lon)) for u in units}
    for agency in Agency:
        assert {r for a, r in cover if a is agency} == set(REGION_CODES), agency
    assert len(Scenario(world, seed=1, start_ms=TUESDAY_10, units=2000).fleet.units) == 2000


def test_units_move_and_carry_their_incident(hour: list) -> None:
    reports = of(hour, Stream.units)
    positions: dict[str, set[tuple[str, str]]] = collections.defaultdict(set)
    for r in reports:
        positions[r["id"]].add((r["lat"], r["lon"]))
        assigned = r["status"] in ("dispatched", "on_scene")
        assert ("incident" in r) == assigned, r
    assert sum(len(p) > 1 for p in positions.values()) > 100
    assert any(float(r["speed"]) >= 40 for r in reports if r["status"] == "dispatched")
    assert any(r["status"] == "out_of_service" for r in reports)
    # A unit on scene is at the incident it was sent to.
    places = {f["id"]: (f["lat"], f["lon"]) for f in of(hour, Stream.incidents)}
    on_scene = [r for r in reports if r["status"] == "on_scene"]
    assert on_scene
    assert all(places[r["incident"]] == (r["lat"], r["lon"]) for r in on_scene)


# --- calls ---------------------------------------------------------------------------------------


def test_every_incident_has_its_call_and_calls_look_real(hour: list) -> None:
    calls = [parse(Stream.calls, f) for f in of(hour, Stream.calls)]
    # Calls are written when they end (up to ~5 minutes after they came in): leave out the last ones.
    cutoff = TUESDAY_10 + SPAN_MS - 6 * 60_000
    opened = {f["id"] for f in of(hour, Stream.incidents) if f["status"] == "new" and int(f["ts"]) < cutoff}
    by_incident = {c.incident for c in calls if c.outcome == "incident"}  # type: ignore[union-attr]
    assert opened and opened <= by_incident
    outcomes = collections.Counter(c.outcome for c in calls)  # type: ignore[union-attr]
    assert set(outcomes) == {"incident", "advice", "transfer", "abandoned", "nuisance"}
    assert outcomes["incident"] > outcomes["abandoned"] > 0
    for c in calls:
        assert (c.answered_ts is None) == (c.outcome == "abandoned")  # type: ignore[union-attr]
    waits = [c.answered_ts - c.ts for c in calls if c.answered_ts is not None]  # type: ignore[union-attr]
    within_15 = sum(w <= 15_000 for w in waits) / len(waits)
    assert 0.8 <= within_15 <= 0.97
    assert max(waits) > 20_000  # there is a tail


# --- ports ---------------------------------------------------------------------------------------


def test_every_port_and_direction_reports(world: World, hour: list) -> None:
    seen = {(f["port"], f["direction"]) for f in of(hour, Stream.ports)}
    assert seen == {(p, d) for p in world.ports for d in ("arrival", "departure")}
    land = [f for f in of(hour, Stream.ports) if f["port"].startswith("land-") and f["travellers"] != "0"]
    assert land and all(int(f["vehicles"]) >= 1 for f in land)
    assert all("wait_min" in f for f in of(hour, Stream.ports))


def _pilgrims_at(world: World, season: str, start: int, port: str) -> int:
    """Pilgrims counted at ``port`` in the hour after ``start``, from the entries themselves."""
    traffic = PortTraffic(world.ports, season, np.random.default_rng(3))
    return sum(
        int(f["travellers"])
        for minute in range(1, 61)
        for _, f in traffic.minute(start + minute * 60_000)
        if f["port"] == port and f["category"] == "pilgrim"
    )


def _departures(world: World, start: int, hours: int, port: str) -> tuple[int, float]:
    """Departures counted at ``port`` over ``hours`` from ``start``, and the longest wait."""
    traffic = PortTraffic(world.ports, "none", np.random.default_rng(3))
    i = [p.id for p in traffic.ports].index(port)
    total, longest = 0, 0.0
    for minute in range(1, hours * 60 + 1):
        counts, waits = traffic.step(start + minute * 60_000)
        total += int(counts[i, 1].sum())
        longest = max(longest, float(waits[i, 1]))
    return total, longest


def test_thursday_evening_exodus_at_the_causeway(world: World) -> None:
    port = "land-king-fahd-causeway"
    tuesday, tuesday_wait = _departures(world, riyadh_ms(2026, 11, 24, 14), 8, port)
    thursday, thursday_wait = _departures(world, riyadh_ms(2026, 11, 26, 14), 8, port)
    assert thursday > 1.6 * tuesday
    assert thursday_wait > 3 * tuesday_wait


def test_hajj_season_brings_pilgrims_to_jeddah(world: World) -> None:
    start = riyadh_ms(2026, 11, 24, 10)
    plain = _pilgrims_at(world, "none", start, "air-jed")
    assert _pilgrims_at(world, "hajj", start, "air-jed") > 4 * plain > 0
    assert _pilgrims_at(world, "umrah", start, "air-jed") > 1.5 * plain


def test_bad_options_are_refused(world: World) -> None:
    with pytest.raises(ValueError, match="season"):
        Scenario(world, seed=1, start_ms=TUESDAY_10, season="ramadan")
    with pytest.raises(ValueError, match="rate"):
        Scenario(world, seed=1, start_ms=TUESDAY_10, rate=0)
    with pytest.raises(ValueError, match="time_scale"):
        Scenario(world, seed=1, start_ms=TUESDAY_10, time_scale=0)


# --- the runner, against Redis ------------------------------------------------------------------


def test_runner_writes_all_four_streams(client: redis.Redis, prefix: str, world: World) -> None:
    lines: list[str] = []
    stats = run(
        client, prefix, rate=2.0, seed=3, time_scale=10, units=60, duration=1.0, backfill_s=120,
        world=world, progress=lines.append, tick_s=0.1,
    )  # fmt: skip
    assert lines[0].startswith("Simulator started") and "بدأ المحاكي" in lines[0]
    ports = frozenset(world.ports)
    for stream in Stream:
        entries = client.xrange(stream.key(prefix))
        assert entries, stream
        assert len(entries) == stats[f"entries_{stream.value}"]
        for _entry_id, fields in entries:
            parse(stream, fields, ports=ports)
