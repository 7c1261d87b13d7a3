"""The long-term port archive on a real Redis: rollup from the ingest path, backfill, seasons in place."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from app.contract import Stream
from app.ingest import IngestWorker
from app.ports import CATEGORIES, DIRECTIONS, HOUR_MS, KINDS
from app.ports.seasons import hijri_day, to_day
from app.simulation.port_backfill import backfill_ports, parse_span
from app.simulation.ports import hourly_history
from app.store import Store
from app.store.keys import DAY_MS
from app.store.port_history import ARCHIVE_DAYS, archive_key
from tests.helpers import now_ms

PORT = "land-king-fahd-causeway"


def port_entry(ts: int, direction: str, category: str, travellers: int, vehicles: int | None = None) -> dict:
    fields = {"port": PORT, "direction": direction, "category": category, "travellers": str(travellers),
              "ts": str(ts), "wait_min": "12"}
    if vehicles is not None:
        fields["vehicles"] = str(vehicles)
    return fields


def archive(client, prefix: str) -> dict[str, dict[str, str]]:
    """The archive's month hashes (not the marker of the hourly full rollup)."""
    keys = sorted(client.scan_iter(f"{prefix}:porth:*"))
    return {key: client.hgetall(key) for key in keys if client.type(key) == "hash"}


@pytest.fixture
def store(settings, client) -> Store:
    return Store.from_settings(settings)


def test_rollup_copies_what_ingest_counted_and_is_idempotent(client, settings, store):
    now = now_ms()
    hour = now // HOUR_MS
    entries = [
        port_entry(now, "arrival", "resident", 120, vehicles=45),
        # earlier in the same clock hour, whenever the test runs (a minute back left it in the hour
        # before in the first minute of an hour: 120 counted for the hour, not 150)
        port_entry(now - now % HOUR_MS // 2, "arrival", "resident", 30, vehicles=10),
        port_entry(now - 2 * HOUR_MS, "departure", "citizen", 7),
        port_entry(now - 30 * HOUR_MS, "arrival", "pilgrim", 3),  # yesterday or the day before
    ]
    for fields in entries:
        client.xadd(Stream.ports.key(settings.stream_prefix), fields)
    IngestWorker(store, settings).work(burst=True)

    # The reads see the counts (day hashes merged with the archive) ...
    before = store.port_history.port_hours(PORT, hour - 40, 41, now)
    assert before.sum() == 120 + 30 + 45 + 10 + 7 + 3
    # ... and the worker's maintenance has already archived them: exactly what a rollup writes
    first = archive(client, settings.stream_prefix)
    assert first
    days = range(now // DAY_MS - 2, now // DAY_MS + 1)
    written = store.port_history.rollup_ports(now, days)
    assert written == len({(now - e) // DAY_MS for e in (0, 2 * HOUR_MS, 30 * HOUR_MS)})
    assert archive(client, settings.stream_prefix) == first  # rolling up again changes nothing
    assert store.port_history.rollup_ports(now, days) == written
    assert archive(client, settings.stream_prefix) == first

    counts = store.port_history.port_hours(PORT, hour - 40, 41, now)
    assert (counts == before).all()
    a, resident, vehicles = DIRECTIONS.index("arrival"), KINDS.index("resident"), KINDS.index("vehicles")
    assert counts[-1, a, resident] == 150 and counts[-1, a, vehicles] == 55
    assert counts[-3, DIRECTIONS.index("departure"), KINDS.index("citizen")] == 7

    # Once the day hashes are gone, the archive alone holds the same numbers.
    for key in client.scan_iter(f"{settings.stream_prefix}:port:{PORT}:*"):
        client.delete(key)
    assert (store.port_history.port_hours(PORT, hour - 40, 41, now) == before).all()
    ttl_days = client.ttl(archive_key(settings.stream_prefix, PORT, now // DAY_MS)) / 86_400
    assert ttl_days >= ARCHIVE_DAYS


def test_rollup_keeps_the_larger_count_cell_by_cell(client, settings, store):
    now = now_ms()
    day = now // DAY_MS
    backfilled = np.zeros((1, len(DIRECTIONS), len(KINDS), 24), dtype=np.int64)
    backfilled[0, 0, 0, :] = 100  # citizens arriving, every hour
    store.port_history.write_port_days(PORT, day, backfilled)
    client.xadd(Stream.ports.key(settings.stream_prefix), port_entry(now, "arrival", "citizen", 250))
    client.xadd(Stream.ports.key(settings.stream_prefix), port_entry(now, "departure", "visitor", 4))
    IngestWorker(store, settings).work(burst=True)
    store.port_history.rollup_ports(now, [day])
    counts = store.port_history.port_hours(PORT, day * 24, 24, now)
    this_hour = now // HOUR_MS - day * 24
    assert counts[this_hour, 0, 0] == 250 and counts[(this_hour + 1) % 24, 0, 0] == 100
    assert counts[this_hour, 1, KINDS.index("visitor")] == 4


def test_backfill_writes_the_generators_counts_and_is_idempotent(client, settings, store):
    now = to_day(date(2026, 11, 28)) * DAY_MS + 14 * HOUR_MS + 5 * 60_000  # 14:05 UTC
    lines: list[str] = []
    written = backfill_ports(store, 14, seed=3, now_ms=now, progress=lines.append)
    assert written == 15 * len(store.ports)
    assert lines[0].startswith("Backfilling 14 days") and "34/34" in lines[-2]
    first = archive(client, settings.stream_prefix)

    end_hour = now // HOUR_MS
    first_hour = (end_hour // 24 - 14) * 24
    expected = dict(hourly_history(store.ports, first_hour, end_hour - first_hour, np.random.default_rng(3)))
    for port_id in (PORT, "air-jed", "sea-duba"):
        got = store.port_history.port_hours(port_id, first_hour, end_hour - first_hour + 10, now)
        assert (got[: end_hour - first_hour] == expected[port_id]).all()  # counts add up, hour by hour
        assert not got[end_hour - first_hour :].any()  # the current hour and later are left to live data
    assert expected["air-jed"][:, :, KINDS.index("vehicles")].sum() == 0  # no cars at an airport

    backfill_ports(store, 14, seed=3, now_ms=now, progress=None)
    assert archive(client, settings.stream_prefix) == first


def test_backfill_puts_hajj_and_umrah_on_their_hijri_dates():
    from app.geo import load_ports
    from app.settings import DATA_DIR

    ports = {k: v for k, v in load_ports(DATA_DIR / "ksa_ports.csv").items() if k == "air-jed"}
    first = to_day(date(2026, 1, 1)) * 24
    (_, counts), = hourly_history(ports, first, 250 * 24, np.random.default_rng(5))
    pilgrims = counts[:, :, CATEGORIES.index("pilgrim")]

    def per_day(days: range, direction: int) -> float:
        return float(pilgrims[days.start * 24 - first : days.stop * 24 - first, direction].sum() / len(days))

    hajj = hijri_day(1447, 12, 8)  # 25 May 2026
    ramadan = hijri_day(1447, 9, 1)  # 18 February 2026
    ordinary = per_day(range(hajj + 60, hajj + 80), 0)
    assert per_day(range(hajj - 12, hajj - 2), 0) > 5 * ordinary  # pilgrims arrive before Hajj…
    leaving = per_day(range(hajj + 6, hajj + 20), 1)
    assert leaving > 5 * per_day(range(hajj + 60, hajj + 80), 1)  # …and leave after it
    assert per_day(range(hajj + 6, hajj + 20), 0) < 1.5 * ordinary
    assert per_day(range(ramadan + 20, ramadan + 28), 0) > 1.8 * ordinary  # the last ten nights of Ramadan


def test_parse_span():
    assert parse_span("8w") == 56 and parse_span("400d") == 400 and parse_span("30") == 30
    with pytest.raises(ValueError):
        parse_span("two months")


def test_default_rollup_goes_back_the_whole_window_once_an_hour(client, settings, store):
    now = now_ms()
    old = now - 5 * DAY_MS
    client.xadd(Stream.ports.key(settings.stream_prefix), port_entry(old, "arrival", "visitor", 9))
    client.xadd(Stream.ports.key(settings.stream_prefix), port_entry(now, "arrival", "visitor", 2))
    IngestWorker(store, settings).work(burst=True)
    client.delete(f"{settings.stream_prefix}:porth:full")  # a new hour (the worker's took this one)
    assert store.port_history.rollup_ports(now) == 2  # the first call of the hour: every day still held
    assert store.port_history.rollup_ports(now) == 1  # later calls: today and yesterday only
    key = archive_key(settings.stream_prefix, PORT, old // DAY_MS)
    assert client.hget(key, str(old // DAY_MS)) is not None
