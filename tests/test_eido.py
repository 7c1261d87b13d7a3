"""NENA EIDO in: ``POST /api/v1/eido`` on the real app against a real Redis, then the real ingest worker.

The documents (tests/eido_documents.py) are built in the shape of NENA's published EIDO sample and schema
— ``github.com/NENA911/EIDO-JSON``: ``Samples/Sample call transfer EIDO.json`` (commit c83c21b) and
``Schema/openapi.yaml`` (branch NENA-STA-021.1b, commit c3b8d20), with the registry values of
``Documentation/NENA-STA-021.1b EIDO JSON_2022.docx`` — with Makkah's and Riyadh's places and agencies.

What is shown: an EIDO becomes an incident, its call and its unit, which ``/api/v1/snapshot`` shows once
the ingest worker has applied them; a later EIDO of the same incident (its Incident Tracking Identifier)
updates it, and a Closed one closes it; a call-transfer EIDO whose caller has no point is answered with
why; a document that is not an EIDO is refused (400) and recorded; producer tokens write their own scope
only (a Makkah CAD's Riyadh incident: 403, in ``<p>:rejected``), at their rate (429), audited; the
producer role opens no page and reads no API.
"""

from __future__ import annotations

import orjson
import pytest
import redis
from pydantic import SecretStr

from app import create_app
from app.auth.principals import InvalidAccount, Principal
from app.auth.users import UsersFile, hash_token, new_token
from app.contract import Category, Scope, Stream
from app.ingest import IngestWorker
from app.ingress import eido, pidf
from app.settings import Settings
from app.store import Store
from tests.eido_documents import (
    CALL_ID,
    CIVIC,
    ENGINE,
    INCIDENT_ID,
    MAKKAH,
    RIYADH,
    TRACKING,
    call_transfer,
    circle,
    fire_in_makkah,
    point,
    polygon,
)
from tests.eido_documents import pidf as pidf_doc
from tests.helpers import now_ms

#: name → (role, regions): the tokens of the users file.
TOKENS = {
    "makkah-cad": ("producer", ["SA-02"]),
    "national-cad": ("producer", None),
    "ryd-commander": ("commander", ["SA-01"]),
}


def post(http, doc, token: str | None = None, **more):  # noqa: ANN001, ANN201 - Flask's test client
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = doc if isinstance(doc, bytes) else orjson.dumps(doc)
    return http.post("/api/v1/eido", data=body, headers=headers, content_type="application/json", **more)


def apply(settings: Settings) -> Store:
    store = Store.from_settings(settings)
    IngestWorker(store, settings).work(burst=True)
    return store


@pytest.fixture
def tokens(tmp_path) -> tuple:
    path = tmp_path / "users.toml"
    edit = UsersFile(path)
    secrets = {}
    for name, (role, regions) in TOKENS.items():
        secrets[name] = new_token()
        edit.put("tokens", name, role, regions, None, hash_token(secrets[name]))
    edit.save()
    return path, secrets


@pytest.fixture
def secured(settings: Settings, tokens) -> tuple:
    path, secrets = tokens
    current = settings.model_copy(update={"auth_mode": "password", "users_file": path,
                                          "secret_key": SecretStr("k" * 40)})
    return create_app(current).test_client(), current, secrets


# --- the mapping, pure -----------------------------------------------------------------------------------


def test_the_incident_component_maps_to_the_contracts_fields() -> None:
    doc = eido.check_shape(fire_in_makkah(now_ms()))
    mapped = eido.to_entries(doc)
    assert mapped.incident == INCIDENT_ID and not mapped.skipped and not mapped.waiting
    by_stream = {stream: fields for stream, fields in mapped.entries}
    incident = by_stream[Stream.incidents]
    # the Incident Tracking Identifier, without its constant urn:emergency:uid:incidentid: prefix
    assert incident["id"] == INCIDENT_ID == eido.contract_id(TRACKING)
    assert (incident["status"], incident["category"], incident["priority"]) == ("dispatched", "fire", "1")
    assert incident["agency"] == "civil_defense"  # the Dispatched agency's type: fire
    assert (float(incident["lat"]), float(incident["lon"])) == MAKKAH
    assert incident["description"] == "Residential building fire — Smoke from the 3rd floor — 12, Ajyad, " \
                                      "Makkah, Makkah, SA"
    assert incident["units"] == eido.contract_id(ENGINE)
    unit = by_stream[Stream.units]
    assert unit["id"] == eido.contract_id(ENGINE) and unit["id"].startswith("engine12_cd.makkah")
    assert (unit["status"], unit["agency"], unit["incident"]) == ("dispatched", "civil_defense", INCIDENT_ID)
    call = by_stream[Stream.calls]
    assert (call["id"], call["outcome"], call["incident"]) == (CALL_ID, "incident", INCIDENT_ID)
    assert float(call["lat"]) == pytest.approx(MAKKAH[0] + 0.002)  # the caller's circle's centre


def test_contract_ids_are_kept_when_they_fit_and_made_stable_when_not() -> None:
    assert eido.contract_id("urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us") == \
        "a56e556d871:bcf.state.pa.us"
    assert eido.contract_id("RY-42") == "RY-42"
    made = eido.contract_id("engine52@riversideFD.riverside.ca")
    assert made == eido.contract_id("engine52@riversideFD.riverside.ca")  # the same every time
    assert made != eido.contract_id("engine52_riversideFD.riverside.ca")
    long_urn = "urn:emergency:uid:incidentid:" + "a" * 80 + ":psap.example"
    assert len(eido.contract_id(long_urn)) <= 64 and eido.contract_id(long_urn) == eido.contract_id(long_urn)


@pytest.mark.parametrize(("code", "category"), [
    ("FSTRU", Category.fire), ("MVAINJY", Category.collision), ("CARDIAC", Category.medical),
    ("HAZMAT", Category.hazmat), ("SAR", Category.rescue), ("PERMISS", Category.missing_person),
    ("911H", Category.other), ("NOT-A-CODE", Category.other),
])
def test_incident_types_map_to_categories_and_unknown_ones_to_other(code, category) -> None:
    doc = fire_in_makkah(now_ms())
    doc["incidentComponent"]["incidentTypeCommonRegistryText"] = code
    incident = next(f for s, f in eido.to_entries(eido.check_shape(doc)).entries if s is Stream.incidents)
    assert incident["category"] == category.value


def test_the_operators_agency_map_comes_first_and_its_errors_are_named() -> None:
    options = eido.Options.parse("traffic", f"{eido.Options.parse('patrol', '').agency_default}=patrol, "
                                            f"{'cd.makkah.example.sa'}=red_crescent")
    doc = eido.check_shape(fire_in_makkah(now_ms()))
    incident = next(f for s, f in eido.to_entries(doc, options).entries if s is Stream.incidents)
    assert incident["agency"] == "red_crescent"
    with pytest.raises(ValueError, match="unknown agency 'navy'"):
        eido.Options.parse("patrol", "fire=navy")
    with pytest.raises(ValueError, match="expected key=agency"):
        eido.Options.parse("patrol", "fire")


def test_pidf_lo_keeps_a_point_or_a_centre_and_says_what_it_drops() -> None:
    here = pidf.read(pidf_doc(circle(21.42, 39.83, 150), CIVIC))
    assert (here.lat, here.lon, here.shape, here.uncertainty_m) == (21.42, 39.83, "Circle", 150.0)
    assert here.civic == "12, Ajyad, Makkah, Makkah, SA" and "centre of a circle ±150 m" in here.note()
    area = pidf.read(pidf_doc(polygon(21.42, 39.83)))
    assert not area.has_point and area.dropped == ("a polygon",)
    both = pidf.read(pidf_doc(point(21.4, 39.8) + polygon(21.42, 39.83)))
    assert both.has_point and both.dropped == ("a polygon",)
    other_crs = pidf.read(pidf_doc(point(21.4, 39.8).replace("EPSG::4326", "EPSG::3857")))
    assert not other_crs.has_point and "only EPSG 4326/4979" in other_crs.dropped[0]
    with pytest.raises(pidf.PidfError, match="DTDForbidden"):
        pidf.read('<!DOCTYPE p [<!ENTITY a "aaaa">]>'
                  '<presence xmlns="urn:ietf:params:xml:ns:pidf">&a;</presence>')
    with pytest.raises(pidf.PidfError, match="not well-formed"):
        pidf.read("<presence><gml:Point")


# --- over HTTP, through the ingest worker -----------------------------------------------------------------


def test_an_eido_becomes_an_incident_its_call_and_its_unit(client: redis.Redis, settings: Settings) -> None:
    http = create_app(settings).test_client()
    at = now_ms()
    answer = post(http, fire_in_makkah(at))
    assert answer.status_code == 202, answer.get_json()
    body = answer.get_json()
    assert body["incident"] == INCIDENT_ID and body["refused"] == [] and body["skipped"] == []
    assert [(w["component"], w["stream"]) for w in body["written"]] == [
        ("incidentComponent", "incidents"), ("callComponent[0]", "calls"),
        ("emergencyResourceComponent[0]", "units")]
    store = apply(settings)
    snapshot = http.get("/api/v1/snapshot?region=SA-02").get_json()
    (incident,) = snapshot["incidents"]["features"]
    assert incident["id"] == INCIDENT_ID
    props = incident["properties"]
    assert (props["status"], props["category"], props["agency"], props["priority"]) == \
        ("dispatched", "fire", "civil_defense", 1)
    assert "Ajyad" in props["description"]
    (engine,) = snapshot["units"]["features"]
    assert engine["properties"]["incident"] == INCIDENT_ID and engine["properties"]["status"] == "dispatched"
    # read at the call's own start (90 s before the document's time), in its clock hour: read at the
    # wall clock, a run in the first 90 s of an hour counts it pro rata from the hour before (0.979)
    assert store.layers.calls_by_region(["SA-02"], at - 90_000)["SA-02"]["total"] == 1
    assert store.streams.stats().get("rejected:incidents", 0) == 0


def test_a_later_eido_updates_the_same_incident_and_a_closed_one_closes_it(
    client: redis.Redis, settings: Settings
) -> None:
    http = create_app(settings).test_client()
    start = now_ms() - 60_000
    assert post(http, fire_in_makkah(start)).status_code == 202
    apply(settings)
    on_scene = fire_in_makkah(start + 30_000, statuses=("ResourcesOnscene",), unit_secondary=("OnScene",))
    assert post(http, on_scene).status_code == 202
    apply(settings)
    (incident,) = http.get("/api/v1/snapshot").get_json()["incidents"]["features"]
    assert incident["id"] == INCIDENT_ID and incident["properties"]["status"] == "on_scene"
    (engine,) = http.get("/api/v1/snapshot").get_json()["units"]["features"]
    assert engine["properties"]["status"] == "on_scene"
    closed = fire_in_makkah(start + 50_000, statuses=("Closed",), unit_secondary=("Cleared",))
    closed["emergencyResourceComponent"][0]["primaryUnitStatusRegistryText"] = "Available"
    answer = post(http, closed)
    assert answer.status_code == 202
    apply(settings)
    picture = http.get("/api/v1/snapshot").get_json()
    assert picture["incidents"]["features"] == []  # closed: out of the live picture
    assert picture["units"]["features"][0]["properties"]["status"] == "available"


def test_a_call_transfer_eido_whose_caller_has_no_point_says_why(
    client: redis.Redis, settings: Settings
) -> None:
    """The shape of NENA's "Sample call transfer EIDO": a civic address and a location by reference."""
    http = create_app(settings).test_client()
    answer = post(http, call_transfer(now_ms()))
    assert answer.status_code == 422
    (skipped,) = answer.get_json()["skipped"]
    assert skipped["component"] == "callComponent[0]"
    assert "location 'loc-civic': no point" in skipped["reason"]
    assert "given by reference only (a URL Basira does not fetch)" in skipped["reason"]
    (_id, rejected), = Store.from_settings(settings).rejected.newest(1)
    assert rejected["stream"] == "ingress:eido" and "no point location for call" in rejected["reason"]


def test_a_call_still_ringing_waits_for_a_later_eido(client: redis.Redis, settings: Settings) -> None:
    http = create_app(settings).test_client()
    body = post(http, fire_in_makkah(now_ms(), call_answered=False)).get_json()
    assert [w["stream"] for w in body["written"]] == ["incidents", "units"]
    (waiting,) = body["waiting"]
    assert waiting["component"] == "callComponent[0]" and "not answered yet" in waiting["reason"]


@pytest.mark.parametrize(("document", "reason"), [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "an EIDO is a JSON object"),
    (orjson.dumps({"$id": "x", "eidoVersion": "1.0"}),
     "missing lastUpdateTimeStamp, issuingElementIdentification"),
    (orjson.dumps({**fire_in_makkah(1_800_000_000_000), "eidoVersion": "2.0"}),
     "this reader takes version 1.x"),
    (orjson.dumps({**fire_in_makkah(1_800_000_000_000), "agencyComponent": []}), "agencyComponent must be"),
    (orjson.dumps({**fire_in_makkah(1_800_000_000_000), "lastUpdateTimeStamp": "2026-12-04T10:00:00"}),
     "lastUpdateTimeStamp: time has no UTC offset"),
])
def test_a_document_that_is_not_an_eido_is_refused_with_its_reason(
    client: redis.Redis, settings: Settings, document: bytes, reason: str
) -> None:
    http = create_app(settings).test_client()
    answer = post(http, document)
    assert answer.status_code == 400 and reason in answer.get_json()["error"]
    (_id, rejected), = Store.from_settings(settings).rejected.newest(1)
    assert rejected["stream"] == "ingress:eido" and reason in rejected["reason"]
    assert client.xlen(Stream.incidents.key(settings.stream_prefix)) == 0


def test_a_hostile_location_is_refused_and_the_rest_is_taken(client: redis.Redis, settings: Settings) -> None:
    doc = fire_in_makkah(now_ms())
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            '<presence xmlns="urn:ietf:params:xml:ns:pidf">&lol2;</presence>')
    doc["locationComponent"][2]["locationByValue"] = bomb  # the engine's position
    body = post(create_app(settings).test_client(), doc).get_json()
    assert [w["stream"] for w in body["written"]] == ["incidents", "calls"]
    (skipped,) = body["skipped"]
    assert skipped["component"] == "emergencyResourceComponent[0]" and "DTDForbidden" in skipped["reason"]


def test_an_incident_whose_only_location_is_an_area_is_not_guessed(
    client: redis.Redis, settings: Settings
) -> None:
    doc = fire_in_makkah(now_ms())
    doc["locationComponent"][0]["locationByValue"] = pidf_doc(polygon(*MAKKAH))
    doc["incidentComponent"]["locationReference"] = [{"$ref": "loc-incident"}]
    doc["callComponent"][0]["locationReference"] = [{"$ref": "loc-incident"}]
    body = post(create_app(settings).test_client(), doc).get_json()
    assert "incidents" not in [w["stream"] for w in body["written"]]
    reason = body["skipped"][0]["reason"]
    assert "no point location to place the incident (location 'loc-incident': a polygon)" in reason


def test_a_document_over_the_size_limit_is_413(client: redis.Redis, settings: Settings) -> None:
    small = settings.model_copy(update={"ingress_max_bytes": 4096})
    answer = post(create_app(small).test_client(), fire_in_makkah(now_ms()))
    assert answer.status_code == 413 and "larger than 4096 bytes" in answer.get_json()["error"]


# --- producers: tokens, scope, rate, audit -----------------------------------------------------------------


def test_a_makkah_cads_token_writes_makkah_and_is_refused_riyadh(client: redis.Redis, secured) -> None:
    http, settings, secrets = secured
    assert post(http, fire_in_makkah(now_ms())).status_code == 401  # no token
    assert post(http, fire_in_makkah(now_ms()), secrets["makkah-cad"]).status_code == 202
    riyadh = fire_in_makkah(now_ms(), where=RIYADH, tracking="urn:emergency:uid:incidentid:99:psap.ryd.sa")
    answer = post(http, riyadh, secrets["makkah-cad"])
    assert answer.status_code == 403
    refused = answer.get_json()["refused"]
    assert len(refused) == 3 and all("outside the producer's scope: SA-01" in r["reason"] for r in refused)
    assert "(it may write SA-02:all)" in refused[0]["reason"]
    store = apply(settings)
    assert [f["id"] for f in store.live.incidents(Scope())] == [INCIDENT_ID]
    rejected = [fields for _id, fields in store.rejected.newest(10)]
    assert len(rejected) == 3
    assert all(r["stream"] == "ingress:eido" and "makkah-cad" in r["fields"] for r in rejected)
    # a national producer may write Riyadh
    assert post(http, riyadh, secrets["national-cad"]).status_code == 202


def test_the_producers_rate_is_limited_per_minute(client: redis.Redis, secured) -> None:
    http, settings, secrets = secured
    limited = settings.model_copy(update={"ingress_per_minute": 2})
    http = create_app(limited).test_client()
    doc = fire_in_makkah(now_ms())
    assert [post(http, doc, secrets["makkah-cad"]).status_code for _ in range(2)] == [202, 202]
    third = post(http, doc, secrets["makkah-cad"])
    assert third.status_code == 429 and 1 <= int(third.headers["Retry-After"]) <= 60
    assert "more than 2 messages a minute from makkah-cad" in third.get_json()["error"]
    assert post(http, doc, secrets["national-cad"]).status_code == 202  # another producer, its own window


def test_every_write_is_in_the_audit_trail_with_who_wrote(client: redis.Redis, secured) -> None:
    http, settings, secrets = secured
    post(http, fire_in_makkah(now_ms()), secrets["makkah-cad"])
    post(http, b"nonsense", secrets["makkah-cad"])
    events = [fields for _id, fields in client.xrange(f"{settings.stream_prefix}:audit")
              if fields["event"] == "ingress"]
    assert [(e["user"], e["role"], e["via"], e["source"], e["status"], e["written"], e["refused"])
            for e in events] == [("makkah-cad", "producer", "token", "eido", "202", "3", "0"),
                                 ("makkah-cad", "producer", "token", "eido", "400", "0", "1")]
    assert events[0]["incident"] == INCIDENT_ID and events[0]["path"] == "/api/v1/eido"


def test_a_producer_token_only_writes(client: redis.Redis, secured) -> None:
    http, _settings, secrets = secured
    producer = {"Authorization": f"Bearer {secrets['national-cad']}"}
    assert http.get("/api/v1/whoami", headers=producer).get_json()["role"] == "producer"
    for path in ("/api/v1/snapshot", "/api/v1/alerts", "/metrics", "/", "/wall", "/api/v1/feed"):
        answer = http.get(path, headers=producer)
        assert answer.status_code == 403, path
        assert "a producer token may only write through the ingress routes" in answer.get_json()["error"]
    # another role may read, but not write
    commander = {"Authorization": f"Bearer {secrets['ryd-commander']}"}
    assert http.get("/api/v1/snapshot", headers=commander).status_code == 200
    answer = post(http, fire_in_makkah(now_ms()), secrets["ryd-commander"])
    assert answer.status_code == 403 and "writing needs a producer token" in answer.get_json()["error"]


def test_the_producer_role_is_for_tokens_only(tmp_path) -> None:
    with pytest.raises(InvalidAccount, match="producer is a role for API tokens only"):
        UsersFile(tmp_path / "u.toml").put("users", "cad", "producer", ["SA-02"], None, "scrypt:x")
    with pytest.raises(InvalidAccount, match="producer is a role for API tokens only"):
        Principal.make("cad", "producer", ["SA-02"], via="header")
    assert Principal.make("cad", "producer", ["SA-02"], via="token").may_write


def test_the_websocket_path_says_how_sta024_reaches_basira(client: redis.Redis, settings: Settings) -> None:
    answer = create_app(settings).test_client().get("/api/v1/eido/ws")
    assert answer.status_code == 404 and "BASIRA_EIDO_NOTIFIER_URL" in answer.get_json()["error"]
