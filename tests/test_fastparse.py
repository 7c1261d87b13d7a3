"""The ingest worker's fast path is the contract, faster: same events, same reasons, never more lenient.

Every entry below goes through both :func:`app.fastparse.parse` and the models
(:func:`app.contract.parse`); the two must agree exactly — the same event with the same fields
set, or the same :class:`ContractError` reason. The entries are the simulator's (what production
traffic looks like) and each valid entry with one field replaced by an awkward value.
"""

from __future__ import annotations

import pytest

from app import fastparse
from app.contract import ContractError, Stream, parse
from app.settings import Settings
from app.simulation import Scenario, World
from tests.test_contract import PORT_IDS, RICH, TS, VALID

NOW = TS + 60_000

#: Values that sit on the edges of what the models accept (numbers, times, ids, enums, blanks).
AWKWARD = (
    "", " ", "  7 ", "0", "00", "01", "1", "4", "5", "-0", "+1", "1.0", "1e1", "1_0", "١", "²", "nan",
    "inf", "-inf", "90", "90.0000001", "-90", "180", "-180.5", "360", "400", "400.01", "100000",
    "100001", "1440", "1441", "3.5", "-1", str(TS), str(TS + 86_400_000), str(TS + 2 * 86_400_000),
    str(TS // 1000), "2026-11-28T20:15:00+03:00", "2026-11-28T20:15:00", " new ", "NEW", "fire",
    "patrol", "Patrol", "available", "arrival", "pilgrim", "incident", "SA-02", "SA-13", "sa-02",
    "outside", "U1,U2", "U1,,U2 ,", "bad id", "x" * 64, "x" * 65, "a\x00b", "line\nbreak",
    "land-king-fahd-causeway", "land-atlantis", "T1", "ÄÖ", "حريق",
    " fire", "fire ", " SA-02", "٢١.٤", "２１", "١٧٩٥٨٨٦١٠٠٠٠٠", "2_1.5", " 21.5 ",
    "ok \udcff\udcfe", "\udced\udca0\udc80",
)  # fmt: skip


def outcome(parser, stream: Stream, fields: dict[str, str], ports) -> tuple:
    try:
        event = parser(stream, fields, ports=ports, now_ms=NOW)
    except ContractError as error:
        return ("refused", error.reason)
    return ("event", event, type(event), event.model_fields_set, event.model_dump())


def assert_same(stream: Stream, fields: dict[str, str], ports=PORT_IDS) -> None:
    assert outcome(fastparse.parse, stream, fields, ports) == outcome(parse, stream, fields, ports), fields


@pytest.mark.parametrize("stream", list(VALID))
def test_awkward_values_in_every_field(stream: Stream) -> None:
    fields = set(VALID[stream]) | set(RICH[stream]) | {"region", "heading", "speed", "answered_ts"}
    for base in (VALID[stream], RICH[stream]):
        for name in sorted(fields):
            for value in AWKWARD:
                assert_same(stream, {**base, name: value})
            assert_same(stream, {k: v for k, v in base.items() if k != name})
        assert_same(stream, base, ports=None)


def test_the_simulators_entries() -> None:
    world = World.from_settings(Settings())
    entries = Scenario(world, seed=3, start_ms=TS, rate=2.0, time_scale=10).advance(TS + 120_000)
    assert {s for s, _ in entries} == set(Stream)
    for stream, fields in entries:
        assert_same(stream, fields)
        # and the fast path itself took them: the models were not asked
        assert fastparse.quick(stream, fields, ports=PORT_IDS, now_ms=NOW) is not None, fields


def test_non_text_values_go_to_the_models() -> None:
    assert_same(Stream.units, {**VALID[Stream.units], "lat": 24.5})
    assert_same(Stream.incidents, {**VALID[Stream.incidents], "priority": 2})


def test_names_that_were_not_utf8_are_refused_alike() -> None:
    for stream in VALID:
        assert_same(stream, {**VALID[stream], "note\udcc3": "x"})
        assert_same(stream, {**RICH[stream], "\udcff": ""})
