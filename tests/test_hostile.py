"""Hostile and malformed entries, generated: each is rejected with a reason or safely accepted.

Over 10,000 entries per run (wrong types, NaN and infinities, out-of-range coordinates, huge
strings, control characters, mixed scripts, HTML/JS in text fields, duplicate ids, timestamps far
in the past or future), written with XADD as a producer would and drained by the real worker
against a real Redis. The worker must never stop, every entry must be accounted for (applied or
rejected, nothing left pending), and whatever was accepted must be valid state.
"""

from __future__ import annotations

import math

import orjson
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from app.contract import REGION_CODES, Agency, Category, IncidentStatus, Scope, Stream, UnitStatus
from app.ingest import IngestWorker
from app.store import Store

NOW_MS = 1_795_886_100_000  # 2026-11-28T14:15Z; the worker's clock in these tests

EXAMPLES = 220
PER_EXAMPLE = 50  # 11,000 entries per run

nasty_text = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60),
    st.sampled_from([
        "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "javascript:alert(1)",
        "\x00\x01\x1b[31m", "‮RTL override‬", "حريق <b>كبير</b> 🔥", "' OR 1=1 --",
        "x" * 10_000, "y" * 501, "z" * 500, "", " ", "\n\t",
    ]),
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "1e309", "91", "-181", "21.4225", "39.8262", "abc", ""]),
)
timestamps = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**16).map(str),
    st.sampled_from([
        str(NOW_MS), str(NOW_MS + 10**12), "0", "2026-11-28T17:00:00", "2026-11-28T17:00:00+03:00",
        "1970-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "yesterday",
    ]),
)


def enum_or_junk(values: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(values), nasty_text)


incident_entries = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.sampled_from(["DUP-1", "DUP-2", "T1"]), nasty_text),
        "status": enum_or_junk([s.value for s in IncidentStatus]),
        "agency": enum_or_junk([a.value for a in Agency]),
        "category": enum_or_junk([c.value for c in Category]),
        "priority": st.one_of(st.sampled_from(["1", "2", "3", "4"]), numbers),
        "lat": numbers,
        "lon": numbers,
        "ts": timestamps,
        "region": enum_or_junk(list(REGION_CODES)),
        "description": nasty_text,
        "units": nasty_text,
        "extra": nasty_text,
    },
)
unit_entries = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.sampled_from(["U-1", "U-2"]), nasty_text),
        "agency": enum_or_junk([a.value for a in Agency]),
        "status": enum_or_junk([s.value for s in UnitStatus]),
        "lat": numbers, "lon": numbers, "ts": timestamps, "heading": numbers, "speed": numbers,
        "incident": nasty_text,
    },
)  # fmt: skip
entries = st.lists(
    st.one_of(
        st.tuples(st.just(Stream.incidents), incident_entries),
        st.tuples(st.just(Stream.units), unit_entries),
    ),
    min_size=PER_EXAMPLE,
    max_size=PER_EXAMPLE,
)


def test_hostile_entries_never_stop_the_worker(client, settings):
    store = Store.from_settings(settings)
    worker = IngestWorker(store, settings, clock=lambda: NOW_MS / 1000)
    written = {"n": 0}

    @hsettings(max_examples=EXAMPLES, deadline=None, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture])
    @given(batch=entries)
    def run(batch: list[tuple[Stream, dict[str, str]]]) -> None:
        pipe = client.pipeline(transaction=False)
        for stream, fields in batch:
            # A producer cannot send an empty entry: XADD needs at least one field.
            pipe.xadd(stream.key(settings.stream_prefix), fields or {"nothing": ""})
        pipe.execute()
        written["n"] += len(batch)
        worker.work(burst=True)

    run()
    assert written["n"] >= 10_000
    stats = store.streams.stats()
    handled = sum(v for k, v in stats.items() if k.startswith(("ingested:", "rejected:")))
    assert handled == written["n"], stats
    for stream in (Stream.incidents, Stream.units):
        assert client.xpending(stream.key(settings.stream_prefix), settings.ingest_group)["pending"] == 0

    # Whatever was accepted is valid state: finite coordinates in range, known enums, bounded text.
    for feature in store.live.incidents(Scope()) + store.live.units(Scope()):
        lon, lat = feature["geometry"]["coordinates"]
        assert math.isfinite(lon) and math.isfinite(lat) and -90 <= lat <= 90 and -180 <= lon <= 180
        props = feature["properties"]
        assert props["agency"] in Agency.__members__
        assert len(props.get("description") or "") <= 500
        assert not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in props.get("description") or "")
    # Every rejected entry carries a reason and the original fields.
    for _id, fields in client.xrange(store.keys.rejected, count=500):
        assert fields["reason"] and isinstance(orjson.loads(fields["fields"]), dict)
