"""The wire contract, field by field: what producers may write, and what is refused and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.contract import (
    MAX_FUTURE_MS,
    MODELS,
    OUTSIDE,
    REGION_CODES,
    Agency,
    CallEvent,
    CallOutcome,
    Category,
    ContractError,
    Direction,
    IncidentEvent,
    IncidentStatus,
    PortEvent,
    Scope,
    Stream,
    TravellerCategory,
    UnitEvent,
    UnitStatus,
    json_schema,
    parse,
    rejected_key,
    to_fields,
)
from app.geo import load_ports
from app.schemas import SCHEMAS_DIR, schema_files, write_schemas
from app.settings import Settings

TS = 1_795_886_100_000  # 2026-11-28T20:15:00+03:00
TS_ISO = "2026-11-28T20:15:00+03:00"

VALID: dict[Stream, dict[str, str]] = {
    Stream.incidents: {
        "id": "T1", "status": "new", "agency": "civil_defense", "category": "fire", "priority": "1",
        "lat": "21.4225", "lon": "39.8262", "ts": str(TS),
    },
    Stream.units: {
        "id": "U-7", "agency": "traffic", "status": "available", "lat": "24.7136", "lon": "46.6753",
        "ts": str(TS),
    },
    Stream.ports: {
        "port": "land-king-fahd-causeway", "direction": "arrival", "travellers": "120",
        "category": "resident", "ts": str(TS),
    },
    Stream.calls: {"id": "C1", "ts": str(TS), "outcome": "incident", "lat": "21.4225", "lon": "39.8262"},
}  # fmt: skip

REQUIRED: dict[Stream, tuple[str, ...]] = {
    Stream.incidents: ("id", "status", "agency", "category", "priority", "lat", "lon", "ts"),
    Stream.units: ("id", "agency", "status", "lat", "lon", "ts"),
    Stream.ports: ("port", "direction", "travellers", "category", "ts"),
    Stream.calls: ("id", "ts", "outcome"),
}

PORT_IDS = frozenset(load_ports(Settings.model_fields["ports_file"].default))


def entry(stream: Stream, **changes: str) -> dict[str, str]:
    """A valid entry of ``stream`` with some fields changed (``None`` removes a field)."""
    fields = {**VALID[stream], **changes}
    return {k: v for k, v in fields.items() if v is not None}


def refused(stream: Stream, fields: dict[str, str], **kwargs) -> str:
    """The reason ``fields`` is refused (fails the test if it is accepted)."""
    with pytest.raises(ContractError) as caught:
        parse(stream, fields, **kwargs)
    reason = caught.value.reason
    assert reason and str(caught.value) == reason
    return reason


# --- valid entries and required fields -------------------------------------------------------


@pytest.mark.parametrize("stream", list(VALID))
def test_minimal_valid_entry_parses_to_its_model(stream: Stream) -> None:
    event = parse(stream, VALID[stream], ports=PORT_IDS, now_ms=TS)
    assert type(event) is MODELS[stream]
    assert event.stream is stream
    assert event.ts == TS


def test_incident_fields_are_typed() -> None:
    event = parse(Stream.incidents, VALID[Stream.incidents])
    assert isinstance(event, IncidentEvent)
    assert (event.status, event.agency, event.category) == ("new", "civil_defense", "fire")
    assert event.priority == 1
    assert (event.lat, event.lon) == (21.4225, 39.8262)
    assert event.region is None and event.description is None and event.units == ()


@pytest.mark.parametrize("stream", list(REQUIRED))
def test_required_fields_are_the_documented_ones(stream: Stream) -> None:
    model = MODELS[stream]
    assert tuple(n for n, f in model.model_fields.items() if f.is_required()) == REQUIRED[stream]
    assert json_schema(stream)["required"] == list(REQUIRED[stream])


@pytest.mark.parametrize(
    ("stream", "field"), [(stream, field) for stream, fields in REQUIRED.items() for field in fields]
)
def test_missing_required_field_is_refused_by_name(stream: Stream, field: str) -> None:
    assert f"{field}: required field missing" in refused(stream, entry(stream, **{field: None}))


@pytest.mark.parametrize(
    ("stream", "field"), [(stream, field) for stream, fields in REQUIRED.items() for field in fields]
)
def test_blank_required_field_counts_as_missing(stream: Stream, field: str) -> None:
    assert f"{field}: required field missing" in refused(stream, entry(stream, **{field: ""}))


def test_every_missing_field_is_reported() -> None:
    reason = refused(Stream.units, {})
    for field in ("id", "agency", "status", "lat"):
        assert field in reason


# --- enums -----------------------------------------------------------------------------------

ENUMS = [
    (Stream.incidents, "status", IncidentStatus),
    (Stream.incidents, "agency", Agency),
    (Stream.incidents, "category", Category),
    (Stream.units, "agency", Agency),
    (Stream.units, "status", UnitStatus),
    (Stream.ports, "direction", Direction),
    (Stream.ports, "category", TravellerCategory),
    (Stream.calls, "outcome", CallOutcome),
]


@pytest.mark.parametrize(("stream", "field", "enum"), ENUMS)
def test_every_enum_value_is_accepted(stream: Stream, field: str, enum: type) -> None:
    for member in enum:
        assert getattr(parse(stream, entry(stream, **{field: member.value})), field) == member


@pytest.mark.parametrize(("stream", "field", "enum"), ENUMS)
@pytest.mark.parametrize("bad", ["bogus", "FIRE_", "New", "x"])
def test_unknown_enum_value_is_refused_by_name(stream: Stream, field: str, enum: type, bad: str) -> None:
    reason = refused(stream, entry(stream, **{field: bad}))
    assert reason.startswith(f"{field}:")
    assert repr(bad) in reason


def test_category_list_is_the_documented_one() -> None:
    assert [c.value for c in Category] == [
        "fire", "collision", "theft", "medical", "assault", "flood", "rescue", "hazmat", "road_hazard",
        "breakdown", "disturbance", "missing_person", "suspicious", "vandalism", "traffic_violation",
        "other",
    ]  # fmt: skip


@pytest.mark.parametrize("stream", [Stream.incidents, Stream.calls])
def test_region_codes(stream: Stream) -> None:
    for code in REGION_CODES:
        assert parse(stream, entry(stream, region=code)).region == code
    for bad in ("SA-13", "SA-1", "sa-01", OUTSIDE, "Riyadh"):
        assert refused(stream, entry(stream, region=bad)).startswith("region:")


# --- ids -------------------------------------------------------------------------------------

ID_FIELDS = [
    (Stream.incidents, "id"),
    (Stream.units, "id"),
    (Stream.units, "incident"),
    (Stream.calls, "id"),
    (Stream.calls, "incident"),
]


@pytest.mark.parametrize(("stream", "field"), ID_FIELDS)
@pytest.mark.parametrize("good", ["a" * 64, "T1", "CAD:2026.11-28_0001", "0"])
def test_good_ids(stream: Stream, field: str, good: str) -> None:
    assert getattr(parse(stream, entry(stream, **{field: good})), field) == good


@pytest.mark.parametrize(("stream", "field"), ID_FIELDS)
@pytest.mark.parametrize("bad", ["a" * 65, "a b", "a/b", "a;b", "T1*", "حادث", "a\nb", "x,y"])
def test_bad_ids_are_refused_by_name(stream: Stream, field: str, bad: str) -> None:
    assert refused(stream, entry(stream, **{field: bad})).startswith(f"{field}:")


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("priority", ["1", "2", "3", "4"])
def test_priorities_one_to_four(priority: str) -> None:
    assert parse(Stream.incidents, entry(Stream.incidents, priority=priority)).priority == int(priority)


@pytest.mark.parametrize("priority", ["0", "5", "x", "-1", "1.5", "nan"])
def test_bad_priority_is_refused(priority: str) -> None:
    assert refused(Stream.incidents, entry(Stream.incidents, priority=priority)).startswith("priority:")


@pytest.mark.parametrize("stream", [Stream.incidents, Stream.units, Stream.calls])
@pytest.mark.parametrize(
    ("field", "value"),
    [("lat", "-90"), ("lat", "90"), ("lat", " 21.5 "), ("lon", "-180"), ("lon", "180"), ("lon", "1e1")],
)
def test_coordinates_within_bounds(stream: Stream, field: str, value: str) -> None:
    assert getattr(parse(stream, entry(stream, **{field: value})), field) == float(value)


@pytest.mark.parametrize("stream", [Stream.incidents, Stream.units, Stream.calls])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lat", "90.0001"), ("lat", "-90.0001"), ("lat", "NaN"), ("lat", "inf"), ("lat", "-Infinity"),
        ("lat", "abc"), ("lat", "21,4"), ("lon", "180.0001"), ("lon", "-181"), ("lon", "nan"),
        ("lon", "inf"), ("lon", "abc"),
    ],
)  # fmt: skip
def test_bad_coordinates_are_refused_by_name(stream: Stream, field: str, value: str) -> None:
    assert refused(stream, entry(stream, **{field: value})).startswith(f"{field}:")


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("heading", "0", True), ("heading", "359.5", True), ("heading", "360", True),
        ("heading", "361", False), ("heading", "-1", False), ("heading", "nan", False),
        ("speed", "0", True), ("speed", "120.5", True), ("speed", "401", False), ("speed", "-3", False),
        ("speed", "fast", False),
    ],
)  # fmt: skip
def test_unit_heading_and_speed(field: str, value: str, ok: bool) -> None:
    fields = entry(Stream.units, **{field: value})
    if ok:
        assert getattr(parse(Stream.units, fields), field) == float(value)
    else:
        assert refused(Stream.units, fields).startswith(f"{field}:")


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("travellers", "0", True), ("travellers", "100000", True), ("travellers", "-1", False),
        ("travellers", "3.5", False), ("travellers", "many", False), ("travellers", "100001", False),
        ("vehicles", "0", True), ("vehicles", "-2", False), ("wait_min", "12.5", True),
        ("wait_min", "-1", False), ("wait_min", "1441", False), ("wait_min", "inf", False),
    ],
)  # fmt: skip
def test_port_counts(field: str, value: str, ok: bool) -> None:
    fields = entry(Stream.ports, **{field: value})
    if ok:
        assert getattr(parse(Stream.ports, fields), field) == float(value)
    else:
        assert refused(Stream.ports, fields).startswith(f"{field}:")


# --- time ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (str(TS), TS),
        (TS_ISO, TS),
        ("2026-11-28T17:15:00Z", TS),
        ("2026-11-28T17:15:00z", TS),
        ("2026-11-28T17:15:00+00:00", TS),
        ("2026-11-28T20:15:00.250+03:00", TS + 250),
        ("2026-11-28 20:15:00+03:00", TS),
        (f" {TS} ", TS),
    ],
)
def test_timestamps_accepted(value: str, expected: int) -> None:
    assert parse(Stream.incidents, entry(Stream.incidents, ts=value)).ts == expected


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("2026-11-28T20:15:00", "offset"),  # naive: Riyadh or UTC? refused, not guessed
        (str(TS // 1000), "seconds"),  # epoch seconds are out of range as milliseconds
        ("946684799999", "2000"),  # before 2000
        ("4102444800000", "2000"),  # 2100 and later
        ("yesterday", "ISO 8601"),
        ("28/11/2026 20:15", "ISO 8601"),
        ("1.7e12", "ISO 8601"),
    ],
)
def test_bad_timestamps_are_refused_with_a_hint(value: str, hint: str) -> None:
    reason = refused(Stream.incidents, entry(Stream.incidents, ts=value))
    assert reason.startswith("ts:")
    assert hint in reason


def test_far_future_refused_only_against_a_clock() -> None:
    ahead = str(TS + MAX_FUTURE_MS + 1)
    assert "future" in refused(Stream.units, entry(Stream.units, ts=ahead), now_ms=TS)
    assert parse(Stream.units, entry(Stream.units, ts=ahead)).ts == TS + MAX_FUTURE_MS + 1
    near = str(TS + MAX_FUTURE_MS - 1000)
    assert parse(Stream.units, entry(Stream.units, ts=near), now_ms=TS).ts == int(near)


def test_call_times() -> None:
    answered = parse(Stream.calls, entry(Stream.calls, answered_ts=str(TS + 9000)))
    assert isinstance(answered, CallEvent) and answered.answered_ts == TS + 9000
    assert parse(Stream.calls, entry(Stream.calls, answered_ts=str(TS))).answered_ts == TS
    assert "answered_ts" in refused(Stream.calls, entry(Stream.calls, answered_ts=str(TS - 1)))
    assert refused(Stream.calls, entry(Stream.calls, answered_ts="soon")).startswith("answered_ts:")


# --- text and lists --------------------------------------------------------------------------


def test_description_limit() -> None:
    assert len(parse(Stream.incidents, entry(Stream.incidents, description="د" * 500)).description) == 500
    reason = refused(Stream.incidents, entry(Stream.incidents, description="x" * 501))
    assert reason.startswith("description:")
    assert len(reason) < 200  # the reason quotes a prefix of the input, not all of it


def test_description_control_characters_are_stripped() -> None:
    text = "Fire\x00 at\x07 the\x1b[31m mall\x7f\tsecond floor\nexit B — حريق"
    event = parse(Stream.incidents, entry(Stream.incidents, description=text))
    assert event.description == "Fire at the[31m mall\tsecond floor\nexit B — حريق"


def test_units_list_parsing() -> None:
    event = parse(Stream.incidents, entry(Stream.incidents, units=" U1, U2,,U3 ,"))
    assert event.units == ("U1", "U2", "U3")
    assert parse(Stream.incidents, entry(Stream.incidents, units="U1")).units == ("U1",)
    assert parse(Stream.incidents, VALID[Stream.incidents]).units == ()
    assert refused(Stream.incidents, entry(Stream.incidents, units="U1,bad id")).startswith("units:")
    many = ",".join(f"U{i}" for i in range(51))
    assert "50" in refused(Stream.incidents, entry(Stream.incidents, units=many))


# --- absent, blank and extra fields ----------------------------------------------------------


def test_extra_fields_are_ignored() -> None:
    event = parse(Stream.incidents, entry(Stream.incidents, source="cad-7", seq="991", note=""))
    assert event == parse(Stream.incidents, VALID[Stream.incidents])
    assert not hasattr(event, "source")


@pytest.mark.parametrize(
    ("stream", "field", "empty"),
    [
        (Stream.incidents, "region", None), (Stream.incidents, "description", None),
        (Stream.incidents, "units", ()), (Stream.units, "heading", None), (Stream.units, "speed", None),
        (Stream.units, "incident", None), (Stream.ports, "vehicles", None),
        (Stream.ports, "wait_min", None), (Stream.calls, "answered_ts", None),
        (Stream.calls, "incident", None),
    ],
)  # fmt: skip
def test_blank_optional_field_is_absent(stream: Stream, field: str, empty: object) -> None:
    assert getattr(parse(stream, entry(stream, **{field: ""})), field) == empty


# --- ports and calls -------------------------------------------------------------------------


def test_port_ids_checked_against_the_table_when_given() -> None:
    unknown = entry(Stream.ports, port="land-atlantis")
    assert "port:" in refused(Stream.ports, unknown, ports=PORT_IDS)
    assert parse(Stream.ports, unknown).port == "land-atlantis"  # no table, no check
    for port in sorted(PORT_IDS):
        assert isinstance(parse(Stream.ports, entry(Stream.ports, port=port), ports=PORT_IDS), PortEvent)


def test_call_needs_a_place() -> None:
    assert "lat" in refused(Stream.calls, entry(Stream.calls, lon=None))
    assert "lat" in refused(Stream.calls, entry(Stream.calls, lat=None))
    assert "region" in refused(Stream.calls, entry(Stream.calls, lat=None, lon=None))
    by_region = parse(Stream.calls, entry(Stream.calls, lat=None, lon=None, region="SA-04"))
    assert (by_region.region, by_region.lat, by_region.lon) == ("SA-04", None, None)
    both = parse(Stream.calls, entry(Stream.calls, region="SA-02"))
    assert (both.region, both.lat) == ("SA-02", 21.4225)


# --- round trip ------------------------------------------------------------------------------

RICH: dict[Stream, dict[str, str]] = {
    Stream.incidents: entry(
        Stream.incidents, status="dispatched", region="SA-02", description="Kitchen fire, 3rd floor\nحريق",
        units="U1,U2", priority="2", ts=TS_ISO,
    ),
    Stream.units: entry(Stream.units, heading="270", speed="88.5", incident="T1", status="dispatched"),
    Stream.ports: entry(Stream.ports, vehicles="14", wait_min="22.5", category="pilgrim"),
    Stream.calls: entry(Stream.calls, answered_ts=str(TS + 12_000), incident="T1", region="SA-02"),
}  # fmt: skip


@pytest.mark.parametrize("stream", list(RICH))
@pytest.mark.parametrize("fields", ["minimal", "rich"])
def test_to_fields_round_trips_through_parse(stream: Stream, fields: str) -> None:
    event = parse(stream, (VALID if fields == "minimal" else RICH)[stream])
    flat = to_fields(event)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in flat.items())
    assert parse(stream, flat) == event
    assert to_fields(parse(stream, flat)) == flat


def test_to_fields_writes_epoch_ms_and_plain_numbers() -> None:
    flat = to_fields(parse(Stream.units, RICH[Stream.units]))
    assert flat["ts"] == str(TS)
    assert flat["heading"] == "270"
    assert flat["speed"] == "88.5"
    assert (flat["lat"], flat["lon"]) == ("24.7136", "46.6753")


# --- names and scope -------------------------------------------------------------------------


def test_stream_keys() -> None:
    assert [s.key("sa") for s in Stream] == ["sa:incidents", "sa:units", "sa:ports", "sa:calls"]
    assert rejected_key("sa") == "sa:rejected"


@pytest.mark.parametrize(
    ("region", "agency", "token"),
    [
        (None, None, "all:all"), ("", " ", "all:all"), ("SA-02", None, "SA-02:all"),
        (None, "traffic", "all:traffic"), (" SA-14 ", "red_crescent", "SA-14:red_crescent"),
        (OUTSIDE, None, "outside:all"),
    ],
)  # fmt: skip
def test_scope_parse(region: str | None, agency: str | None, token: str) -> None:
    scope = Scope.parse(region, agency)
    assert scope.token == token
    assert scope.regions == ((scope.region,) if scope.region else (*REGION_CODES, OUTSIDE))
    assert scope.agencies == ((scope.agency,) if scope.agency else tuple(Agency))


@pytest.mark.parametrize(
    ("region", "agency", "word"),
    [("SA-13", None, "region"), ("riyadh", None, "region"), (None, "police", "agency"),
     (None, "Traffic", "agency"), ("SA-01", "x" * 500, "agency")],
)  # fmt: skip
def test_scope_parse_refuses_unknown_values(region: str | None, agency: str | None, word: str) -> None:
    with pytest.raises(ContractError) as caught:
        Scope.parse(region, agency)
    assert word in caught.value.reason
    assert len(caught.value.reason) < 300


# --- JSON Schemas ----------------------------------------------------------------------------


def test_committed_schemas_match_the_code(tmp_path: Path) -> None:
    written = write_schemas(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{s.value}.schema.json" for s in REQUIRED)
    committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMAS_DIR.glob("*.schema.json")}
    assert committed == schema_files(), "docs/schemas is stale: run `python -m app schemas`"
    for path in written:
        assert path.read_text(encoding="utf-8") == committed[path.name]


@pytest.mark.parametrize("stream", list(REQUIRED))
def test_schema_describes_the_entry(stream: Stream) -> None:
    schema = json_schema(stream)
    assert schema["type"] == "object" and schema["additionalProperties"] is True
    assert set(schema["properties"]) == set(MODELS[stream].model_fields)


def test_models_cover_the_streams() -> None:
    assert set(MODELS) == set(REQUIRED)
    assert {IncidentEvent, UnitEvent, PortEvent, CallEvent} == set(MODELS.values())


# -- strictness: what Python's float()/int()/strip() would let through --------------------------


@pytest.mark.parametrize("field, value", [
    ("category", " fire"), ("category", "fire "), ("status", "new\t"), ("agency", " patrol "),
    ("region", " SA-02"), ("id", " T1"),
])
def test_enums_and_ids_with_surrounding_spaces_are_refused(field: str, value: str) -> None:
    with pytest.raises(ContractError, match=field):
        parse(Stream.incidents, {**VALID[Stream.incidents], field: value})


@pytest.mark.parametrize("field, value", [
    ("lat", "٢١.٤"), ("lon", "٣٩٫٨"), ("ts", "١٧٩٥٨٨٦١٠٠٠٠٠"), ("priority", "١"), ("lat", "２１.４"),
    ("lat", "2_1.4"),
])
def test_numbers_and_times_in_other_than_ascii_digits_are_refused(field: str, value: str) -> None:
    with pytest.raises(ContractError, match=field) as refused:
        parse(Stream.incidents, {**VALID[Stream.incidents], field: value})
    if field != "priority" and "_" not in value:
        assert "ASCII digits" in refused.value.reason


def test_numbers_and_times_may_still_carry_surrounding_spaces() -> None:
    event = parse(Stream.incidents, {**VALID[Stream.incidents], "lat": " 21.5 ", "ts": f" {TS} "})
    assert event.lat == 21.5 and event.ts == TS


@pytest.mark.parametrize("fields, named", [
    ({"description": "ok \udcff\udcfe"}, "description: not valid UTF-8 (got 'ok \\xff\\xfe')"),
    ({"note\udcc3": "x"}, "field name 'note\\xc3': not valid UTF-8"),
    ({"extra": "\udced\udca0\udc80"}, "extra: not valid UTF-8"),
])
def test_names_and_values_that_were_not_utf8_are_refused(fields: dict[str, str], named: str) -> None:
    with pytest.raises(ContractError) as refused:
        parse(Stream.incidents, {**VALID[Stream.incidents], **fields})
    assert named in refused.value.reason
