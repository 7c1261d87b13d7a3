"""Cursor on Target (issue 15): TAK's reports kept in the units' contract; the listener; tak-out."""

from __future__ import annotations

import pytest
import redis

from app import fastparse
from app.contract import ContractError, Scope, Stream, UnitStatus, parse
from app.ingest import IngestWorker
from app.settings import Settings
from app.store import Store
from tests.helpers import now_ms, unit

# --- the contract: what a TAK report carries besides the position ---------------------------------------

TAK = {"callsign": "Falcon 1", "group": "Cyan", "group_role": "Team Lead", "ce": "4.5", "le": "9",
       "stale": "2026-11-28T20:16:00+03:00"}


def test_a_units_tak_fields_are_optional_and_parsed() -> None:
    event = parse(Stream.units, unit("U1", **TAK))
    assert (event.callsign, event.group, event.group_role, event.ce, event.le) == (
        "Falcon 1", "Cyan", "Team Lead", 4.5, 9.0)
    assert event.stale == 1_795_886_160_000
    plain = parse(Stream.units, unit("U1"))
    assert (plain.callsign, plain.group, plain.ce, plain.stale) == (None, None, None, None)
    assert parse(Stream.units, unit("U1", status="stale")).status is UnitStatus.stale


@pytest.mark.parametrize(("field", "value", "word"), [
    ("callsign", "x" * 65, "at most 64"),
    ("group", "y" * 65, "at most 64"),
    ("ce", "-1", "greater than or equal to 0"),
    ("le", "1000001", "less than or equal to 1000000"),
    ("stale", "yesterday", "ISO 8601"),
])
def test_bad_tak_fields_are_refused_by_name(field: str, value: str, word: str) -> None:
    with pytest.raises(ContractError) as refused:
        parse(Stream.units, unit("U1", **{field: value}))
    assert field in refused.value.reason and word in refused.value.reason


def test_a_call_sign_is_one_line() -> None:
    assert parse(Stream.units, unit("U1", callsign="Falcon\n1\x07")).callsign == "Falcon 1"


def test_the_fast_path_leaves_tak_reports_to_the_models_and_builds_the_same_events() -> None:
    with_tak, without = unit("U1", **TAK), unit("U2")
    assert fastparse.quick(Stream.units, with_tak) is None
    assert fastparse.parse(Stream.units, with_tak) == parse(Stream.units, with_tak)
    assert fastparse.quick(Stream.units, without) == parse(Stream.units, without)


def test_a_units_feature_carries_the_tak_fields_it_has_and_no_nulls(client: redis.Redis,
                                                                   settings: Settings) -> None:
    store = Store.from_settings(settings)
    stale = now_ms() + 60_000
    store.streams.produce([(Stream.units, unit("TAK1", **{**TAK, "stale": str(stale)})),
                           (Stream.units, unit("AVL1"))])
    IngestWorker(store, settings).work(burst=True)
    props = {f["id"]: f["properties"] for f in store.live.units(Scope())}
    kept = {k: props["TAK1"][k] for k in ("callsign", "group", "group_role", "ce", "le", "stale")}
    assert kept == {"callsign": "Falcon 1", "group": "Cyan", "group_role": "Team Lead", "ce": 4.5, "le": 9.0,
                    "stale": stale}
    assert set(props["AVL1"]) == {"region", "agency", "status", "ts", "heading", "speed", "incident"}
