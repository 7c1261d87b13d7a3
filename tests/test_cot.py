"""Cursor on Target (issue 15): TAK's reports kept in the units' contract; the listener; tak-out."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import takproto
from defusedxml.ElementTree import fromstring as defused_fromstring

from app import create_app, fastparse
from app.contract import Agency, ContractError, Scope, Stream, UnitStatus, parse
from app.ingest import IngestWorker
from app.ingress.accounts import Accounts, Producer
from app.ingress.cot import (
    CotError,
    Mapped,
    MappingError,
    StreamReader,
    cot_time,
    load_mapping,
    parse_mapping,
    parse_xml,
    read_datagram,
    stale_fields,
    to_entries,
)
from app.ingress.cot_listener import CotListener, Doors, serve, tls_context
from app.ingress.cot_out import parse_targets
from app.ingress.cot_out import serve as tak_out
from app.settings import DATA_DIR, Settings
from app.store import Store
from app.store.embedded import free_port
from tests.helpers import incident, now_ms, unit

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


# --- reading CoT: XML and TAK protobuf, hardened ---------------------------------------------------------

MAX = 65_536
MAPPING = load_mapping(DATA_DIR / "cot_mapping.toml")


def cot_xml(uid: str = "ANDROID-1", kind: str = "a-f-G-U-i-l", *, lat: float = 21.4225, lon: float = 39.8262,
            how: str = "m-g", stale_s: float = 120, time_ms: int | None = None,
            callsign: str | None = "Falcon 1", detail: str = "", ce: str = "5", le: str = "9999999") -> bytes:
    """A CoT event as ATAK sends one (pytak writes the same shape)."""
    at = time_ms if time_ms is not None else now_ms()
    contact = f'<contact callsign="{callsign}" endpoint="*:-1:stcp"/>' if callsign else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<event version="2.0" uid="{uid}" '
            f'type="{kind}" how="{how}" time="{cot_time(at)}" start="{cot_time(at)}" '
            f'stale="{cot_time(at + int(stale_s * 1000))}"><point lat="{lat}" lon="{lon}" hae="12.5" '
            f'ce="{ce}" le="{le}"/><detail>{contact}{detail}</detail></event>').encode()


def mapped(data: bytes, **known: object) -> Mapped:
    return to_entries(parse_xml(data, MAX), MAPPING, now_ms(), **known)  # type: ignore[arg-type]


def test_a_unit_report_keeps_position_errors_track_team_call_sign_and_stale_time() -> None:
    at = now_ms()
    data = cot_xml(time_ms=at, detail='<__group name="Cyan" role="Team Lead"/>'
                   '<track course="90.5" speed="10"/><takv platform="ATAK-CIV"/>')
    event = parse_xml(data, MAX)
    assert (event.uid, event.type, event.lat, event.lon, event.ce, event.le) == (
        "ANDROID-1", "a-f-G-U-i-l", 21.4225, 39.8262, 5.0, None)  # 9999999: CoT's "unknown"
    result = to_entries(event, MAPPING, at)
    assert result.kind == "unit"
    (stream, fields), = result.entries
    assert stream is Stream.units
    assert fields == {"id": "ANDROID-1", "agency": "patrol", "status": "available", "lat": "21.4225",
                      "lon": "39.8262", "ts": str(at), "heading": "90.5", "speed": "36",
                      "callsign": "Falcon 1", "group": "Cyan", "group_role": "Team Lead", "ce": "5",
                      "stale": str(at + 120_000)}
    parse(Stream.units, fields, now_ms=at)  # a valid entry


@pytest.mark.parametrize(("kind", "agency"), [
    ("a-f-G-U-i-l", "patrol"),  # law enforcement
    ("a-f-G-U-i-l-x", "patrol"),
    ("a-f-G-U-i-f", "civil_defense"),  # fire
    ("a-f-G-U-i-m-h", "red_crescent"),  # medical
    ("a-f-G-E-V-C", "patrol"),  # any other friendly ground unit: the file's catch-all
    ("a-f-G", "patrol"),
])
def test_friendly_ground_units_map_to_agencies_by_type(kind: str, agency: str) -> None:
    result = mapped(cot_xml(kind=kind))
    assert result.kind == "unit" and result.entries[0][1]["agency"] == agency


@pytest.mark.parametrize(("kind", "how", "why"), [
    ("a-f-A-M-F", "m-g", "no rule for type a-f-A-M-F"),  # a friendly aircraft: not a ground unit
    ("a-f-G-U-i-l", "h-g-i-g-o", "rule 1 ignores it"),  # a friendly marker someone placed by hand
    ("t-x-c-t", "m-g", "no rule for type t-x-c-t"),  # a ping
    ("b-t-f", "h-g-i-g-o", "no rule for type b-t-f"),  # chat
])
def test_what_is_not_a_unit_or_an_incident_is_ignored_with_its_reason(kind: str, how: str, why: str) -> None:
    result = mapped(cot_xml(kind=kind, how=how))
    assert (result.kind, result.entries, result.why) == ("ignored", [], why)


def test_basiras_own_output_heard_back_is_ignored() -> None:
    assert mapped(cot_xml(detail='<__basira kind="unit" id="U1"/>')).why.startswith("Basira's own output")


@pytest.mark.parametrize(("kind", "how", "expected"), [
    ("b-a-o-tbl", "h-e", {"agency": "patrol", "category": "other", "priority": "1", "status": "new"}),  # 911
    ("b-a-o-can", "h-e", {"status": "closed"}),  # the 911 alert cancelled
    ("b-m-p-s-m", "h-g-i-g-o", {"category": "other", "priority": "3", "status": "new"}),  # a spot marker
    ("a-h-G", "h-g-i-g-o", {"category": "suspicious", "priority": "2"}),  # a hostile marker placed by hand
])
def test_alerts_and_markers_map_to_incidents(kind: str, how: str, expected: dict[str, str]) -> None:
    result = mapped(cot_xml(uid="ANDROID-1-9-1-1", kind=kind, how=how,
                            detail="<remarks>Officer needs help</remarks>"))
    assert result.kind == "incident"
    (stream, fields), = result.entries
    assert stream is Stream.incidents and expected.items() <= fields.items()
    assert fields["id"] == "ANDROID-1-9-1-1" and fields["description"] == "Officer needs help"
    parse(Stream.incidents, fields)


def test_an_incident_without_remarks_is_described_by_who_sent_it() -> None:
    result = mapped(cot_xml(kind="b-a-o-tbl", callsign="Falcon 1"))
    assert result.entries[0][1]["description"] == "TAK b-a-o-tbl from Falcon 1"


def test_a_report_past_its_stale_time_is_written_stale() -> None:
    late = mapped(cot_xml(time_ms=now_ms() - 600_000, stale_s=60))
    assert late.entries[0][1]["status"] == "stale"


def test_a_position_report_does_not_undo_the_centers_dispatch() -> None:
    dispatched = mapped(cot_xml(), unit={"status": "dispatched", "incident": "T9"})
    assert (dispatched.entries[0][1]["status"], dispatched.entries[0][1]["incident"]) == ("dispatched", "T9")
    back = mapped(cot_xml(), unit={"status": "stale"})  # a stale unit reporting again is live again
    assert back.entries[0][1]["status"] == "available" and "incident" not in back.entries[0][1]


def test_a_triaged_incident_keeps_the_centers_status_agency_priority_and_units() -> None:
    known = {"status": "dispatched", "agency": "red_crescent", "category": "medical", "priority": 2,
             "units": ["RC-1"]}
    again = mapped(cot_xml(kind="b-a-o-tbl"), incident=known).entries[0][1]
    assert (again["status"], again["agency"], again["category"], again["priority"], again["units"]) == (
        "dispatched", "red_crescent", "medical", "2", "RC-1")
    cancelled = mapped(cot_xml(kind="b-a-o-can"), incident=known).entries[0][1]
    assert (cancelled["status"], cancelled["agency"]) == ("closed", "red_crescent")


def test_a_team_can_stand_for_an_agency() -> None:
    mapping = parse_mapping({"rule": [
        {"type": "a-f-G*", "group": "yellow", "to": "unit", "agency": "traffic"},
        {"type": "a-f-G*", "to": "unit", "agency": "road_security"},
    ]})
    yellow = to_entries(parse_xml(cot_xml(detail='<__group name="Yellow" role="Team Member"/>'), MAX),
                        mapping, now_ms())
    other = to_entries(parse_xml(cot_xml(), MAX), mapping, now_ms())
    assert (yellow.entries[0][1]["agency"], other.entries[0][1]["agency"]) == ("traffic", "road_security")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<event version="2.0" uid="&lol9;" type="a-f-G" how="m-g" time="2026-11-28T17:00:00Z"
 stale="2026-11-28T17:02:00Z"><point lat="21" lon="39"/></event>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE event [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<event version="2.0" uid="U1" type="a-f-G" how="m-g" time="2026-11-28T17:00:00Z"
 stale="2026-11-28T17:02:00Z"><point lat="21" lon="39"/><detail><remarks>&xxe;</remarks></detail></event>"""
XXE_PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE event [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<event uid="U1"/>"""


@pytest.mark.parametrize(("data", "reason"), [
    (BILLION_LAUGHS, "XML with a DTD refused"),
    (XXE, "XML with a DTD refused"),
    (XXE_PARAMETER, "XML with a DTD refused"),
    (b'<event version="2.0" uid="U1" type="a-f-G"', "malformed XML"),
    (b"\xff\xfe<event/>", "malformed XML"),
    (b"<events/>", "not a CoT event: the root element is <events>"),
    (cot_xml(lat=91.5), "point out of range: lat 91.5 is not within -90…90"),
    (cot_xml(lon=-180.01), "point out of range: lon -180.01 is not within -180…180"),
    (cot_xml().replace(b'lat="21.4225"', b'lat="NaN"'), "point lat is not a finite number"),
    (cot_xml().replace(b'<point lat="21.4225" lon="39.8262"', b'<spot lat="21" lon="39"'),
     "event has no <point>"),
    (cot_xml(uid=""), "event has no uid"),
    (cot_xml().replace(b' time="', b' tyme="'), "event has no time time"),
    (cot_xml().replace(b' time="20', b' time="yesterday 20'), "is not an xs:dateTime"),
    (cot_xml(detail="<remarks>" + "x" * MAX + "</remarks>"), "oversize message"),
])
def test_what_cannot_be_read_is_refused_with_its_reason(data: bytes, reason: str) -> None:
    with pytest.raises(CotError) as refused:
        parse_xml(data, MAX)
    assert reason in refused.value.reason


def proto(xml: bytes, framing: str) -> bytes:
    """``xml`` as TAK protobuf, made by takproto (the TAK clients' own library)."""
    version = takproto.TAKProtoVer.MESH if framing == "mesh" else takproto.TAKProtoVer.STREAM
    return bytes(takproto.xml2proto(xml, version))


@pytest.mark.parametrize("framing", ["mesh", "stream"])
def test_tak_protobuf_reads_as_the_same_event_as_its_xml(framing: str) -> None:
    xml = cot_xml(detail='<__group name="Cyan" role="Team Lead"/><track course="45" speed="2.5"/>'
                  "<remarks>on patrol</remarks>")
    piece = read_datagram(proto(xml, framing), MAX)
    assert piece.kind == "proto"
    assert piece.read(MAX) == parse_xml(xml, MAX)


def test_a_datagram_of_another_tak_protocol_version_or_a_broken_header_is_refused() -> None:
    body = proto(cot_xml(), "mesh")[3:]
    with pytest.raises(CotError, match="TAK protocol version 2 is not supported"):
        read_datagram(b"\xbf\x02\xbf" + body, MAX).read(MAX)
    with pytest.raises(CotError, match="does not match"):
        read_datagram(b"\xbf\x05" + body, MAX).read(MAX)
    with pytest.raises(CotError, match="malformed TAK protobuf"):
        read_datagram(b"\xbf\x01\xbf\xff\xff\xff", MAX).read(MAX)


def test_a_mesh_announcement_without_an_event_is_nothing_to_write() -> None:
    from takproto.proto import TakMessage

    message = TakMessage()
    message.takControl.minProtoVersion = message.takControl.maxProtoVersion = 1
    assert read_datagram(b"\xbf\x01\xbf" + message.SerializeToString(), MAX).read(MAX) is None


def test_a_stream_is_cut_into_its_messages_whatever_the_chunks() -> None:
    events = [cot_xml(uid="X1"), proto(cot_xml(uid="P1"), "stream"), b"\r\n", cot_xml(uid="X2"),
              proto(cot_xml(uid="P2"), "stream")]
    data = b"".join(events)
    for size in (1, 7, 1000, len(data)):
        reader = StreamReader(MAX)
        pieces = [p for n in range(0, len(data), size) for p in reader.feed(data[n:n + size])]
        assert [p.read(MAX).uid for p in pieces] == ["X1", "P1", "X2", "P2"]  # type: ignore[union-attr]


def test_an_oversize_or_broken_message_costs_that_message_and_the_stream_reads_on() -> None:
    small = 4096
    big_xml = cot_xml(uid="BIG", detail="<remarks>" + "x" * small + "</remarks>")
    big_proto = proto(cot_xml(uid="BIGP", detail="<remarks>" + "y" * small + "</remarks>"), "stream")
    unterminated = b"<event uid='never-ends'>" + b"z" * (small * 2)
    data = b"".join([big_xml, cot_xml(uid="A"), big_proto, cot_xml(uid="B"), b"hello</event>",
                     unterminated, b"</event>", cot_xml(uid="C")])
    reader = StreamReader(small)
    outcomes = []
    for n in range(0, len(data), 512):
        for piece in reader.feed(data[n:n + 512]):
            try:
                outcomes.append(piece.read(small).uid)  # type: ignore[union-attr]
            except CotError as error:
                outcomes.append(error.reason.split(":")[0])
    assert outcomes == ["oversize message", "A", "oversize message", "B", "malformed XML",
                        "oversize message", "C"]


# --- the mapping file ------------------------------------------------------------------------------------


def test_the_shipped_mapping_is_valid_and_its_reverse_gives_each_agency_a_type() -> None:
    assert MAPPING.source.endswith("cot_mapping.toml") and len(MAPPING.rules) >= 8
    assert {a.value: MAPPING.unit_type(a.value) for a in Agency} == {
        "patrol": "a-f-G-U-i-l", "traffic": "a-f-G-U-i-l", "road_security": "a-f-G-U-i-l",
        "civil_defense": "a-f-G-U-i-f", "red_crescent": "a-f-G-U-i-m"}


@pytest.mark.parametrize(("text", "error"), [
    ('[[rule]]\ntype = "a-f-G*"\nto = "unit"\nagency = "polise"\n',
     "rule 1: agency 'polise' is not one of patrol"),
    ('[[rule]]\ntype = "a-f-G*"\nto = "unit"\n', "rule 1: a rule to unit needs agency"),
    ('[[rule]]\ntype = "a-f-G*"\nto = "unit"\nagency = "patrol"\ncolour = "red"\n',
     "rule 1: unknown field(s) colour"),
    ('[[rule]]\ntype = "b-a-o-tbl"\nto = "incident"\nagency = "patrol"\ncategory = "other"\npriority = 7\n',
     "rule 1: priority must be 1, 2, 3 or 4"),
    ('[[rule]]\ntype = "a-*-G"\nto = "ignore"\n', "is not a CoT pattern"),
    ('[[rule]]\ntype = "a-f-G*"\nto = "units"\n', "to must be one of unit, incident, ignore"),
    ('[[rule]]\ntype = "a-f-G*"\nto = "ignore"\n[out]\npatrol = "b-m-p"\n', "[out]: patrol = 'b-m-p'"),
    ('[[rule]\ntype = "a-f-G*"\n', "line 1"),
    ("", "no rules"),
])
def test_a_bad_mapping_file_is_refused_naming_the_rule_and_the_field(tmp_path: Path, text: str,
                                                                     error: str) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as refused:
        load_mapping(path)
    assert str(path) in str(refused.value) and error in str(refused.value)


def test_a_mapping_file_may_be_json(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps({"rule": [{"type": "a-f-G*", "to": "unit", "agency": "traffic"}]}))
    assert load_mapping(path).rule_for(parse_xml(cot_xml(), MAX)).agency == "traffic"  # type: ignore[union-attr]


def test_a_stale_unit_is_written_from_its_last_report() -> None:
    feature = {"type": "Feature", "id": "ANDROID-1",
               "geometry": {"type": "Point", "coordinates": [39.8262, 21.4225]},
               "properties": {"region": "SA-02", "agency": "patrol", "status": "available", "ts": 1000,
                              "heading": 90.0, "speed": 30.0, "incident": None, "callsign": "Falcon 1",
                              "ce": 5.0, "stale": 5000}}
    fields = stale_fields(feature)
    assert fields == {"id": "ANDROID-1", "agency": "patrol", "status": "stale", "lat": "21.4225",
                      "lon": "39.8262", "ts": "5000", "stale": "5000", "heading": "90", "ce": "5",
                      "callsign": "Falcon 1"}
    assert stale_fields({**feature, "properties": {**feature["properties"], "stale": None}}) is None


# --- the listener: real TAK clients (pytak) in processes of their own -------------------------------------

ROOT = Path(__file__).resolve().parent.parent
MAKKAH = ("21.43", "39.82")
RIYADH = ("24.7136", "46.6753")
USERS = """
[tokens."makkah-tak"]
role = "producer"
regions = ["SA-02"]
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"

[tokens."wall-1"]
role = "wall"
sha256 = "1111111111111111111111111111111111111111111111111111111111111111"
"""


def wait_for(condition: Callable[[], Any], what: str, limit_s: float = 60) -> Any:
    """Wait until ``condition()`` is truthy and return it (the limit only keeps a broken run from hanging:
    nothing here asserts how long it took)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not seen")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """A process of its own (``python -m app …`` or a pytak script), its output read as it comes."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.lines: list[str] = []
        self.popen = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def wait_line(self, text: str) -> None:
        wait_for(lambda: self.saw(text) or self.popen.poll() is not None, f"{text!r} from {self.popen.args}")
        assert self.saw(text), "\n".join(self.lines[-30:])

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self._reader.join(10)
        return int(self.popen.returncode)


def app_env(settings: Settings, **values: object) -> dict[str, str]:
    """The environment of an ``app`` process for this test's Redis and prefix, and ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASIRA_") and k != "REDIS_URL"}
    env.update({"REDIS_URL": str(settings.redis_url), "BASIRA_STREAM_PREFIX": settings.stream_prefix,
                "PYTHONUNBUFFERED": "1"})
    env.update({f"BASIRA_{k.upper()}": str(v) for k, v in values.items()})
    return env


@pytest.fixture
def ingest(settings: Settings) -> Iterator[Store]:
    """The ingest worker, running in a thread for the test (the listener's entries are applied as any)."""
    store = Store.from_settings(settings)
    worker = IngestWorker(store, settings.model_copy(update={"ingest_block_ms": 100}))
    thread = threading.Thread(target=worker.work, daemon=True)
    thread.start()
    yield store
    worker.stop()
    thread.join(10)


def snapshot_units(http: Any) -> dict[str, dict[str, Any]]:
    answer = http.get("/api/v1/snapshot").get_json()
    return {f["id"]: f for f in answer["units"]["features"]}


def audit_entries(store: Store) -> list[dict[str, str]]:
    return [e for e in store.audit.recent(500) if e.get("source") == "cot"]


def rejected_cot(store: Store) -> list[dict[str, str]]:
    return [fields for _id, fields in store.rejected.newest(500) if fields.get("stream") == "ingress:cot"]


def test_units_sent_by_pytak_over_tcp_udp_and_protobuf_appear_in_the_snapshot(
        settings: Settings, ingest: Store, tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    users.write_text(USERS, encoding="utf-8")
    tcp, udp = free_port(), free_udp_port()
    listener = Process(["-m", "app", "cot"], app_env(
        settings, cot_host="127.0.0.1", cot_tcp_port=tcp, cot_udp_port=udp, cot_plain_account="makkah-tak",
        users_file=users))
    clients: list[Process] = []
    try:
        listener.wait_line("CoT listener:")
        for url, proto, spec in [
            (f"tcp+wo://127.0.0.1:{tcp}", False, f"TCP-1,a-f-G-U-i-l,{MAKKAH[0]},{MAKKAH[1]},Falcon 1"),
            (f"udp+wo://127.0.0.1:{udp}", False, f"UDP-1,a-f-G-U-i-m,{MAKKAH[0]},{MAKKAH[1]},Crescent 7"),
            (f"tcp+wo://127.0.0.1:{tcp}", True, f"PB-1,a-f-G-U-i-f,{MAKKAH[0]},{MAKKAH[1]},Engine 3"),
            (f"udp+wo://127.0.0.1:{udp}", True, f"PBU-1,a-f-G-E-V,{MAKKAH[0]},{MAKKAH[1]},Rover"),
            (f"tcp+wo://127.0.0.1:{tcp}", False, f"RUH-1,a-f-G-U-i-l,{RIYADH[0]},{RIYADH[1]},Far Away"),
        ]:
            clients.append(Process(["tests/tak_client.py", url, spec, *(["--proto"] if proto else [])]))
        http = create_app(settings).test_client()
        wanted = {"TCP-1": "patrol", "UDP-1": "red_crescent", "PB-1": "civil_defense", "PBU-1": "patrol"}
        units = wait_for(lambda: (found := snapshot_units(http)).keys() >= wanted.keys() and found,
                         "the four units in /api/v1/snapshot")
        assert {uid: units[uid]["properties"]["agency"] for uid in wanted} == wanted
        falcon = units["TCP-1"]["properties"]
        assert (falcon["callsign"], falcon["group"], falcon["group_role"], falcon["ce"], falcon["heading"],
                falcon["speed"], falcon["status"], falcon["region"]) == (
            "Falcon 1", "Cyan", "Team Member", 8.0, 45.0, 45.0, "available", "SA-02")  # 12.5 m/s = 45 km/h
        assert falcon["stale"] > falcon["ts"]
        assert units["TCP-1"]["geometry"]["coordinates"] == [39.82, 21.43]
        # Makkah's token may not write Riyadh: refused with the reason, and who sent it
        refusal = wait_for(lambda: [r for r in rejected_cot(ingest) if "RUH-1" in r["fields"]], "RUH-1's")
        assert "outside the producer's scope: SA-01/patrol" in refusal[0]["reason"]
        assert json.loads(refusal[0]["fields"])["_by"] == "makkah-tak"
        assert "RUH-1" not in snapshot_units(http)
    finally:
        for client in clients:
            client.stop()
        assert listener.stop() == 0, "\n".join(listener.lines[-30:])
    entries = audit_entries(ingest)
    summaries = [e for e in entries if e["event"] == "ingress"]
    assert {e["user"] for e in entries} == {"makkah-tak"}
    assert sum(int(e["units"]) for e in summaries) == 4 and sum(int(e["refused"]) for e in summaries) == 1
    assert {e["transport"] for e in summaries} == {"tcp", "udp"}
    assert sum(e["event"] == "cot_connected" for e in entries) == 3  # one per TCP connection
    assert all(e["via"] == "plain" for e in entries)


def test_a_plain_account_that_may_not_write_stops_the_listener_with_the_reason(
        settings: Settings, tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    users.write_text(USERS, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "app", "cot"], cwd=ROOT, capture_output=True, text=True,
                         env=app_env(settings, cot_plain_account="wall-1", users_file=users), timeout=120)
    assert run.returncode != 0
    assert "token 'wall-1' has role 'wall', which may not write" in run.stderr


@contextlib.contextmanager
def listening(store: Store, settings: Settings, accounts: Accounts | None = None, *, plain: bool = True,
              tls: ssl.SSLContext | None = None, **changes: object) -> Iterator[CotListener]:
    """The listener in a thread of this process, on free loopback ports (plain ones as ``field-test``, a
    national producer)."""
    settings = settings.model_copy(update=changes)
    field = Producer("field-test", "producer", Scope(), "plain") if plain else None
    accounts = accounts or Accounts(None, open_access=True)
    doors = Doors("127.0.0.1", field, 0 if plain else None, 0 if plain else None, 0 if tls else None, tls)
    stop, box = threading.Event(), {}
    thread = threading.Thread(target=serve, args=(store, settings, MAPPING, accounts, doors), daemon=True,
                              kwargs={"stop": stop, "started": lambda it: box.setdefault("it", it)})
    thread.start()
    wait_for(lambda: "it" in box or not thread.is_alive(), "the listener started")
    try:
        yield box["it"]
        assert thread.is_alive(), "the listener stopped"
    finally:
        stop.set()
        thread.join(30)


def send_tcp(address: tuple[str, int], *messages: bytes) -> None:
    with socket.create_connection(address) as sock:
        for message in messages:
            sock.sendall(message)


def test_hostile_and_broken_input_is_refused_with_reasons_and_the_listener_reads_on(
        settings: Settings, ingest: Store) -> None:
    with listening(ingest, settings.model_copy(update={"cot_max_bytes": 4096})) as listener:
        send_tcp(listener.bound["tcp"], BILLION_LAUGHS, XXE,
                 b"<event uid='x' type='a-f-G'><point lat='1' lon='2'></event>",
                 cot_xml(uid="FAR", lat=95.0),
                 cot_xml(uid="BIG", detail="<remarks>" + "x" * 5000 + "</remarks>"),
                 cot_xml(uid="GOOD-1", lat=float(MAKKAH[0]), lon=float(MAKKAH[1])),
                 cot_xml(uid="ANDROID-9-1-1", kind="b-a-o-tbl", detail="<remarks>Officer down</remarks>"))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for datagram in (b"\xbf\x07\xbf\x00", b"not xml at all", proto(cot_xml(uid="GOOD-2"), "mesh")):
                udp.sendto(datagram, listener.bound["udp"])
        wait_for(lambda: {"GOOD-1", "GOOD-2"} <= {f["id"] for f in ingest.live.units(Scope())}, "good units")
        incident = wait_for(lambda: ingest.live.incident("ANDROID-9-1-1", Scope()), "the 911 incident")
        props = incident["properties"]
        assert (props["priority"], props["description"]) == (1, "Officer down")
        reasons = wait_for(lambda: len(found := [r["reason"] for r in rejected_cot(ingest)]) >= 7 and found,
                           "seven refusals")
    assert sum("XML with a DTD refused" in r for r in reasons) == 2  # the billion laughs and the XXE
    assert sum("malformed XML" in r for r in reasons) == 2  # the broken event and the datagram of prose
    for expected in ("point out of range: lat 95", "oversize message", "TAK protocol version 7 is not"):
        assert any(expected in r for r in reasons), (expected, reasons)
    assert "root:" not in json.dumps(rejected_cot(ingest))  # nothing of /etc/passwd was ever read


def test_each_sender_is_held_to_its_messages_a_minute(settings: Settings, ingest: Store) -> None:
    with listening(ingest, settings, cot_per_minute=3) as listener:
        send_tcp(listener.bound["tcp"], *(cot_xml(uid=f"R-{n}") for n in range(5)))
        wait_for(lambda: any("rate limit" in r["reason"] for r in rejected_cot(ingest)), "the rate refusal")
    assert sorted(f["id"] for f in ingest.live.units(Scope())) == ["R-0", "R-1", "R-2"]
    summary, = [e for e in audit_entries(ingest) if e["event"] == "ingress"]
    assert (summary["user"], summary["messages"], summary["units"], summary["dropped"]) == (
        "field-test", "5", "3", "2")


def test_a_unit_past_its_stale_time_leaves_the_live_picture_marked_stale_and_comes_back(
        settings: Settings, ingest: Store) -> None:
    with listening(ingest, settings) as listener:
        send_tcp(listener.bound["tcp"], cot_xml(uid="BRIEF", stale_s=1.5))
        unit_of = lambda: {f["id"]: f for f in ingest.live.units(Scope())}.get("BRIEF")  # noqa: E731
        live = wait_for(unit_of, "the unit")
        assert live["properties"]["status"] == "available"
        stale = wait_for(lambda: (u := unit_of()) and u["properties"]["status"] == "stale" and u, "stale")
        assert stale["properties"]["stale"] == live["properties"]["stale"]  # written at its own stale time
        assert stale["geometry"] == live["geometry"]  # where it was last seen
        assert [e for e in audit_entries(ingest) if e.get("user") == "cot:stale-time"] == []  # not a sender
        send_tcp(listener.bound["tcp"], cot_xml(uid="BRIEF", stale_s=120))
        wait_for(lambda: (u := unit_of()) and u["properties"]["status"] == "available", "live again")


def make_pki(where: Path, *clients: str) -> dict[str, tuple[Path, Path]]:
    """A test authority, a server certificate for localhost/127.0.0.1 and a client certificate per common
    name in ``clients``, made by openssl: ``{name: (certificate, key)}``, ``ca`` the authority's."""
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=where, check=True, capture_output=True)

    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Test TAK CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    out = {"ca": (where / "ca.pem", where / "ca.key")}
    for name, usage in [("localhost", "serverAuth"), *((c, "clientAuth") for c in clients)]:
        (where / f"{name}.ext").write_text(f"extendedKeyUsage={usage}\n" + (
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n" if usage == "serverAuth" else ""))
        openssl("req", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
        out[name] = (where / f"{name}.pem", where / f"{name}.key")
    return out


def test_tls_client_certificates_name_the_token_whose_scope_applies(settings: Settings, ingest: Store,
                                                                    tmp_path: Path) -> None:
    pki = make_pki(tmp_path, "makkah-tak", "wall-1", "stranger")
    users = tmp_path / "users.toml"
    users.write_text(USERS, encoding="utf-8")
    context = tls_context(*pki["localhost"], pki["ca"][0])
    clients = []
    with listening(ingest, settings, Accounts(users), plain=False, tls=context) as listener:
        port = listener.bound["tls"][1]
        try:
            for name, uid, (lat, lon) in [("makkah-tak", "TLS-1", MAKKAH), ("makkah-tak", "TLS-RUH", RIYADH),
                                           ("wall-1", "TLS-WALL", MAKKAH), ("stranger", "TLS-X", MAKKAH)]:
                cert, key = pki[name]
                clients.append(Process(["tests/tak_client.py", f"tls://127.0.0.1:{port}",
                                        f"{uid},a-f-G-U-i-l,{lat},{lon}", "--tls", str(cert), str(key),
                                        str(pki["ca"][0])]))
            wait_for(lambda: any(f["id"] == "TLS-1" for f in ingest.live.units(Scope())), "TLS-1")
            refusals = lambda: [e for e in audit_entries(ingest) if e["event"] == "denied"]  # noqa: E731
            denied = wait_for(lambda: len(refusals()) >= 2 and refusals(), "two refused certificates")
            wait_for(lambda: any("TLS-RUH" in r["fields"] for r in rejected_cot(ingest)), "TLS-RUH refused")
        finally:
            for client in clients:
                client.stop()
    assert {f["id"] for f in ingest.live.units(Scope())} == {"TLS-1"}
    assert {e["user"]: e["reason"] for e in denied} == {
        "wall-1": "CoT client certificate refused: token 'wall-1' has role 'wall', which may not write "
                  "(it must be one of producer, admin)",
        "stranger": "CoT client certificate refused: no token 'stranger' in the users file"}
    connected = [e for e in audit_entries(ingest) if e["event"] == "cot_connected"]
    assert [(e["user"], e["via"], e["transport"]) for e in connected] == [("makkah-tak", "tls", "tls")] * 2


def test_a_token_removed_from_the_users_file_stops_writing_at_once(settings: Settings, ingest: Store,
                                                                  tmp_path: Path) -> None:
    pki = make_pki(tmp_path, "makkah-tak")
    users = tmp_path / "users.toml"
    users.write_text(USERS, encoding="utf-8")
    context = tls_context(*pki["localhost"], pki["ca"][0])
    client_context = ssl.create_default_context(cafile=str(pki["ca"][0]))
    client_context.load_cert_chain(*pki["makkah-tak"])
    with listening(ingest, settings, Accounts(users, recheck_s=0), plain=False, tls=context) as listener, \
            socket.create_connection(listener.bound["tls"]) as raw, \
            client_context.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(cot_xml(uid="BEFORE", lat=float(MAKKAH[0]), lon=float(MAKKAH[1])))
        wait_for(lambda: any(f["id"] == "BEFORE" for f in ingest.live.units(Scope())), "BEFORE")
        users.write_text(USERS[USERS.index('[tokens."wall-1"]'):], encoding="utf-8")  # makkah-tak removed
        later = time.time() + 5
        os.utime(users, (later, later))  # a modification time of its own, whatever the clock's grain
        tls.sendall(cot_xml(uid="AFTER", lat=float(MAKKAH[0]), lon=float(MAKKAH[1])))
        wait_for(lambda: any("may no longer write" in r["reason"] for r in rejected_cot(ingest)), "refused")
        assert wait_for(lambda: tls.recv(1024) == b"", "the connection closed") is not None
    assert "AFTER" not in {f["id"] for f in ingest.live.units(Scope())}


# --- tak-out: the center's picture to TAK, heard by pytak ---------------------------------------------------


def picture(store: Store) -> None:
    """Makkah and Riyadh: an incident and a unit each, and a unit whose reports came from TAK."""
    store.streams.produce([
        (Stream.incidents, incident("MK1", description="Kitchen fire, 3rd floor")),
        (Stream.incidents, incident("RY1", agency="traffic", category="collision", priority="2",
                                    lat=RIYADH[0], lon=RIYADH[1])),
        (Stream.units, unit("MK-P1", agency="patrol", lat=MAKKAH[0], lon=MAKKAH[1], heading="90")),
        (Stream.units, unit("RY-RC1", agency="red_crescent", lat=RIYADH[0], lon=RIYADH[1])),
        (Stream.units, unit("ANDROID-7", agency="patrol", callsign="Falcon 7", stale=now_ms() + 600_000)),
    ])
    live = store.live
    wait_for(lambda: len(live.units(Scope())) == 3 and len(live.incidents(Scope())) == 2, "applied")


def heard(receiver: Process) -> dict[str, dict[str, Any]]:
    """What a pytak receiver printed, by uid (the latest of each)."""
    return {e["uid"]: e for e in (json.loads(line) for line in receiver.lines if line.startswith("{"))}


def test_tak_out_sends_each_target_its_own_scope_and_pytak_hears_it(settings: Settings,
                                                                   ingest: Store) -> None:
    picture(ingest)
    makkah_port, riyadh_port = free_udp_port(), free_udp_port()
    makkah = Process(["tests/tak_receiver.py", f"udp+ro://127.0.0.1:{makkah_port}"])
    riyadh = Process(["tests/tak_receiver.py", f"udp+ro://127.0.0.1:{riyadh_port}", "--proto"])
    out = None
    try:
        makkah.wait_line("READY")
        riyadh.wait_line("READY")
        targets = (f"udp://127.0.0.1:{makkah_port}?region=SA-02 "
                   f"udp://127.0.0.1:{riyadh_port}?region=SA-01&format=protobuf")
        out = Process(["-m", "app", "tak-out"], app_env(settings, tak_out_targets=targets))
        wait_for(lambda: heard(makkah).keys() >= {"basira.inc.MK1", "basira.unit.MK-P1"}, "Makkah's picture")
        wait_for(lambda: heard(riyadh).keys() >= {"basira.inc.RY1", "basira.unit.RY-RC1"}, "Riyadh's picture")
        fire, patrol = heard(makkah)["basira.inc.MK1"], heard(makkah)["basira.unit.MK-P1"]
        assert (fire["type"], fire["callsign"], fire["format"]) == ("b-m-p-s-m", "P1 fire · MK1", "xml")
        assert (round(fire["lat"], 4), round(fire["lon"], 4)) == (21.4225, 39.8262)
        assert (patrol["type"], patrol["callsign"], patrol["how"]) == ("a-f-G-U-i-l", "MK-P1", "m-g")
        crash, ambulance = heard(riyadh)["basira.inc.RY1"], heard(riyadh)["basira.unit.RY-RC1"]
        assert (crash["type"], crash["format"], round(crash["lat"], 4)) == ("b-m-p-s-m", "protobuf", 24.7136)
        assert ambulance["type"] == "a-f-G-U-i-m"  # the Red Crescent: TAK's medical unit
        # each its own scope only, and never a unit TAK itself reported
        assert not any("RY" in uid for uid in heard(makkah)) and not any("MK" in uid for uid in heard(riyadh))
        assert not any("ANDROID-7" in uid for uid in [*heard(makkah), *heard(riyadh)])
        # an incident closed leaves TAK maps too
        ingest.streams.produce([(Stream.incidents, incident("MK1", status="closed"))])
        deleted = wait_for(lambda: heard(makkah).get("basira.delete.basira.inc.MK1"), "MK1's delete")
        assert deleted["type"] == "t-x-d-d"
    finally:
        for process in (makkah, riyadh, *([out] if out else [])):
            process.stop()
    connected = [e for e in ingest.audit.recent(100) if e.get("event") == "tak_out_connected"]
    assert {(e["target"], e["scope"]) for e in connected} == {
        (f"udp://127.0.0.1:{makkah_port}", "SA-02:all"), (f"udp://127.0.0.1:{riyadh_port}", "SA-01:all")}


class Sink:
    """A stand-in TAK server on a free loopback port: it keeps every event a connection sends, and can
    drop its connection (a server restarting)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.events: list[tuple[int, Any]] = []  # (connection number, the event's root element)
        self.connection: socket.socket | None = None
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                self.connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            number, buffer = self.connections, b""
            try:
                while chunk := self.connection.recv(65_536):
                    buffer += chunk
                    while b"</event>" in buffer:
                        message, buffer = buffer.split(b"</event>", 1)
                        self.events.append((number, defused_fromstring(message.strip() + b"</event>",
                                                                       forbid_dtd=True)))
            except OSError:
                pass

    def uids(self, connection: int) -> set[str]:
        return {e.get("uid") for n, e in self.events if n == connection}


def test_tak_out_keeps_its_tcp_connection_and_sends_everything_again_after_a_reconnection(
        settings: Settings, ingest: Store) -> None:
    picture(ingest)
    sink = Sink()
    stop = threading.Event()
    targets = parse_targets(f"tcp://127.0.0.1:{sink.port}?agency=patrol")
    thread = threading.Thread(target=tak_out, args=(ingest, settings, MAPPING, targets),
                              kwargs={"stop": stop}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: sink.uids(1) >= {"basira.unit.MK-P1"}, "the first connection's picture")
        assert sink.uids(1) == {"basira.unit.MK-P1"}  # patrol's only, and no unit TAK itself reported
        ingest.streams.produce([(Stream.units, unit("MK-P2", agency="patrol"))])
        wait_for(lambda: "basira.unit.MK-P2" in sink.uids(1), "a change, sent as it happens")
        assert sink.connection is not None
        sink.connection.shutdown(socket.SHUT_RDWR)  # the server goes away …
        wait_for(lambda: sink.uids(2) >= {"basira.unit.MK-P1", "basira.unit.MK-P2"}, "… all sent again")
    finally:
        stop.set()
        thread.join(30)
        sink.server.close()
    event = next(e for n, e in sink.events if e.get("uid") == "basira.unit.MK-P2")
    assert event.find("detail/__basira").get("kind") == "unit"  # Basira's listener ignores its own


def test_the_listener_and_tak_out_processes_never_load_the_web_stack() -> None:
    check = ("import sys, app.ingress.cot_listener, app.ingress.cot_out\n"
             "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('dash', 'flask', 'plotly', 'layers') or m.startswith(('app.pages', 'app.auth')))))\n")
    out = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_tak_out_targets_are_checked() -> None:
    first, second = parse_targets("tls://tak.example:8089?region=SA-02,SA-01&agency=patrol udp://239.2.3.1:6969")
    assert (first.scheme, first.host, first.port, first.scope.token) == ("tls", "tak.example", 8089,
                                                                         "SA-01+SA-02:patrol")
    assert (second.scheme, second.scope.token, second.format, second.ttl) == ("udp", "all:all", "xml", 1)
    for bad, error in [("http://x:1", "scheme"), ("tcp://x", "port"), ("udp://x:1?region=SA-13", "region"),
                       ("udp://x:1?colour=red", "unknown option"), ("udp://x:1?format=json", "format")]:
        with pytest.raises(ValueError, match=error):
            parse_targets(bad)


def test_the_docs_example_puts_its_unit_on_the_map(settings: Settings, ingest: Store) -> None:
    """docs/standards.md's recipe: docs/examples/tak_unit.py (pytak) against a listener."""
    with listening(ingest, settings) as listener:
        host, port = listener.bound["tcp"]
        example = Process(["docs/examples/tak_unit.py", f"tcp://{host}:{port}", "--uid", "DOC-1",
                           "--type", "a-f-G-U-i-m"])
        try:
            unit_props = wait_for(lambda: next((f["properties"] for f in ingest.live.units(Scope())
                                                if f["id"] == "DOC-1"), None), "the example's unit")
        finally:
            example.stop()
    assert (unit_props["agency"], unit_props["callsign"], unit_props["region"]) == (
        "red_crescent", "Falcon 1", "SA-02")


def test_the_roles_that_may_write_are_the_http_ingress_roles() -> None:
    from app.auth.principals import WRITERS
    from app.ingress.accounts import WRITER_ROLES

    assert set(WRITER_ROLES) == set(WRITERS)


def test_the_units_kpi_shows_a_stale_chip_only_when_a_unit_is_stale() -> None:
    from app.pages._kit.widgets import _units_tile

    def chips(by_status: dict[str, int]) -> str:
        return str(_units_tile({"units_by_status": by_status}, "en"))

    assert "Stale" not in chips({"available": 3, "dispatched": 1})
    assert chips({"available": 3, "stale": 2}).count("basira-chip") == 5
