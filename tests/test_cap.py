"""CAP 1.2 for every alert (issue 14): each document validates against OASIS's own schema
(``app/alerts/schemas/CAP-v1.2.xsd``, with ``xmlschema``), says its times in Riyadh's offset (never
``Z``), carries both languages, follows the message rules (open → ``Alert``; acknowledged, assigned,
escalated → ``Update``; resolved → ``Update`` + ``AllClear``), and escapes whatever a producer wrote.
Over the API (real app, real Redis): ``/api/v1/alerts/AL-<n>.cap`` and the Atom feed of open alerts,
under the JSON API's scope rules. XML is parsed with defusedxml only."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import defusedxml.ElementTree as SafeET
import pytest
import xmlschema
from pydantic import SecretStr

from app import create_app
from app.alerts.cap import (
    CAP_MEDIA_TYPE,
    CAP_NS,
    atom_feed,
    cap_document,
    first_identifier,
    identifier,
)
from app.alerts.model import KINDS, Alert
from app.alerts.spike import Baseline
from app.alerts.text import sentence
from app.alerts.worker import AlertWorker
from app.auth.users import UsersFile, hash_token, new_token
from app.contract import REGION_CODES
from app.ingest import IngestWorker
from app.settings import Settings
from app.store import Store
from tests.helpers import incident, now_ms, unit

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "app" / "alerts" / "schemas" / "CAP-v1.2.xsd"
C = f"{{{CAP_NS}}}"
A = "{http://www.w3.org/2005/Atom}"
SENDER = "basira.911.sa"
RAISED = 1_796_360_181_000  # 2026-12-04 07:56:21 in Riyadh
#: CAP 1.2's date-time: seconds, and a numeric offset (the schema's own pattern).
CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")
MAKKAH = {"region_en": "Makkah", "region_ar": "منطقة مكة المكرمة"}
RIYADH = {"region_en": "Riyadh", "region_ar": "منطقة الرياض"}
HARAM = [[39.82, 21.42], [39.83, 21.42], [39.83, 21.43], [39.82, 21.43]]  # [lon, lat], open ring


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA_PATH))


def valid(schema: xmlschema.XMLSchema, body: bytes):
    """``body`` parsed (defusedxml) and validated against OASIS's schema; its root."""
    root = SafeET.fromstring(body)
    schema.validate(root)
    return root


def alert_of(kind: str, n: int = 17, **more) -> Alert:
    """An alert of ``kind`` with the facts the alerts worker writes for it."""
    base = {"id": f"AL-{n}", "rule": f"r-{kind}", "kind": kind, "severity": "severe",
            "condition": f"r-{kind}:x", "raised_at": RAISED}
    shapes = {
        "unassigned": {"region": "SA-02", "agency": "patrol", "incident": "INC-1", "lon": 39.8262,
                       "lat": 21.4225, "facts": {"category": "fire", "priority": 1, "waited_s": 75,
                                                 **MAKKAH}},
        "response_breach": {"region": "SA-02", "agency": "red_crescent", "incident": "INC-2", "lon": 39.2,
                            "lat": 21.5, "facts": {"category": "medical", "priority": 1, "elapsed_s": 900,
                                                   "target_s": 600, **MAKKAH}},
        "spike": {"region": "SA-02", "facts": {"count": 31, "expected": 9.4, "p": 1e-6, "window_s": 900,
                                               **MAKKAH}},
        "geofence": {"region": "SA-02", "agency": "traffic", "unit": "U-7", "zone": "haram", "lon": 39.8262,
                     "lat": 21.4225, "facts": {"zone_en": "The Holy Mosque", "zone_ar": "المسجد الحرام",
                                               "when": "inside", **MAKKAH,
                                               "zone_polygon": HARAM}},
        "port_wait": {"region": "SA-01", "port": "air-ruh", "lon": 46.70, "lat": 24.96,
                      "facts": {"port_en": "King Khalid International Airport", "port_ar": "مطار الملك خالد",
                                "wait_min": 52, "threshold_min": 45, **RIYADH}},
        "stale_producer": {"stream": "incidents", "facts": {"quiet_s": 240, "usual_gap_s": 0.5}},
    }
    return Alert(**{**base, **shapes[kind], **more})


STATES = {
    "open": {},
    "acknowledged": {"acknowledged_by": "amal", "acknowledged_at": RAISED + 30_000},
    "assigned": {"acknowledged_by": "amal", "acknowledged_at": RAISED + 30_000, "assigned_to": "U-9",
                 "assigned_by": "amal", "assigned_at": RAISED + 60_000},
    "escalated": {"escalated_at": RAISED + 300_000},
    "resolved": {"acknowledged_by": "amal", "acknowledged_at": RAISED + 30_000,
                 "resolved_at": RAISED + 600_000},
    "cleared": {"resolved_at": RAISED + 600_000},  # the condition cleared: the worker resolved it
}


def texts(root, path: str) -> list[str]:
    return [e.text or "" for e in root.iterfind(path)]


def param(info, name: str) -> str | None:
    for p in info.iterfind(f"{C}parameter"):
        if p.findtext(f"{C}valueName") == name:
            return p.findtext(f"{C}value")
    return None


# --- the document ------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_in_every_state_validates(schema, kind: str, state: str) -> None:
    alert = alert_of(kind, **STATES[state])
    root = valid(schema, cap_document(alert, sender=SENDER, demo=False))
    assert root.tag == f"{C}alert"
    for path in (f"{C}sent", f"{C}info/{C}onset"):
        for value in texts(root, path):
            assert CAP_TIME.match(value) and value.endswith("+03:00") and "Z" not in value, value
    infos = root.findall(f"{C}info")
    assert [i.findtext(f"{C}language") for i in infos] == ["ar-SA", "en-US"]
    for info, lang in zip(infos, ("ar", "en"), strict=True):
        assert info.findtext(f"{C}description") == sentence(alert, lang)
        assert info.findtext(f"{C}headline")
        assert info.findtext(f"{C}severity") == "Severe"
        assert info.findtext(f"{C}certainty") == ("Likely" if kind == "spike" else "Observed")
        assert param(info, "rule") == f"r-{kind}" and param(info, "kind") == kind
        assert param(info, "alert") == "AL-17"
        assert info.findtext(f"{C}area/{C}areaDesc")
    assert re.search(r"[\u0600-\u06ff]", infos[0].findtext(f"{C}description") or ""), "no Arabic in ar-SA"
    assert root.findtext(f"{C}status") == "Actual" and root.findtext(f"{C}scope") == "Restricted"
    assert root.findtext(f"{C}restriction")
    kind_of_message = root.findtext(f"{C}msgType")
    responses = texts(root, f"{C}info/{C}responseType")
    if state == "open":
        assert kind_of_message == "Alert" and root.find(f"{C}references") is None and not responses
    else:
        assert kind_of_message == "Update"
        assert root.findtext(f"{C}references") == (
            f"{SENDER},{first_identifier(alert, SENDER)},2026-12-04T07:56:21+03:00")
    if state in ("resolved", "cleared"):
        assert responses == ["AllClear", "AllClear"]
        assert texts(root, f"{C}info/{C}urgency") == ["Past", "Past"]
    elif state != "open":
        assert not responses


def test_sent_is_riyadh_time_of_the_current_version() -> None:
    root = SafeET.fromstring(cap_document(alert_of("unassigned"), sender=SENDER, demo=False))
    assert root.findtext(f"{C}sent") == "2026-12-04T07:56:21+03:00"
    acked = alert_of("unassigned", **STATES["acknowledged"])
    root = SafeET.fromstring(cap_document(acked, sender=SENDER, demo=False))
    assert root.findtext(f"{C}sent") == "2026-12-04T07:56:51+03:00"
    assert root.findtext(f"{C}info/{C}onset") == "2026-12-04T07:56:21+03:00"


def test_identifiers_are_stable_per_version_and_new_per_state() -> None:
    versions = [alert_of("geofence", **STATES[s]) for s in ("open", "acknowledged", "assigned", "resolved")]
    ids = [identifier(a, SENDER) for a in versions]
    assert len(set(ids)) == 4
    assert ids[0] == first_identifier(versions[0], SENDER) == f"{SENDER}-AL-17-{RAISED}"
    assert all(i.startswith(ids[0]) for i in ids)
    # the same state always gives the same bytes (a consumer de-duplicates on sender, identifier, sent)
    twice = {cap_document(versions[2], sender=SENDER, demo=False) for _ in range(2)}
    assert len(twice) == 1


def test_categories_urgency_and_area(schema) -> None:
    def info_of(alert: Alert):
        return valid(schema, cap_document(alert, sender=SENDER, demo=False)).findall(f"{C}info")[1]

    assert info_of(alert_of("unassigned")).findtext(f"{C}category") == "Fire"  # the incident's category
    assert info_of(alert_of("response_breach")).findtext(f"{C}category") == "Health"
    assert info_of(alert_of("geofence")).findtext(f"{C}category") == "Security"
    assert info_of(alert_of("port_wait")).findtext(f"{C}category") == "Transport"
    assert info_of(alert_of("stale_producer")).findtext(f"{C}category") == "Infra"
    assert info_of(alert_of("spike")).findtext(f"{C}urgency") == "Expected"
    assert info_of(alert_of("unassigned")).findtext(f"{C}urgency") == "Immediate"

    zone = info_of(alert_of("geofence")).find(f"{C}area")
    assert zone.findtext(f"{C}areaDesc") == "The Holy Mosque, Makkah"
    ring = zone.findtext(f"{C}polygon").split()
    assert ring[0] == ring[-1] == "21.420000,39.820000" and len(ring) == 5  # lat,lon; closed
    assert zone.find(f"{C}circle") is None
    assert zone.findtext(f"{C}geocode/{C}valueName") == "ISO 3166-2"
    assert zone.findtext(f"{C}geocode/{C}value") == "SA-02"

    point = info_of(alert_of("unassigned")).find(f"{C}area")
    assert point.findtext(f"{C}circle") == "21.422500,39.826200 1"
    circled = alert_of("geofence", facts={"zone_en": "Stadium", "zone_circle": {"lon": 46.84, "lat": 24.79,
                                                                               "radius_m": 1500}})
    assert info_of(circled).findtext(f"{C}area/{C}circle") == "24.790000,46.840000 1.5"

    national = info_of(alert_of("stale_producer")).find(f"{C}area")
    assert national.findtext(f"{C}areaDesc") == "Kingdom of Saudi Arabia"
    assert national.findtext(f"{C}geocode/{C}valueName") == "ISO 3166-1"
    assert national.findtext(f"{C}geocode/{C}value") == "SA"
    assert national.find(f"{C}circle") is None  # no point: the area is the nation


def test_a_demo_store_sends_exercises(schema) -> None:
    root = valid(schema, cap_document(alert_of("spike"), sender=SENDER, demo=True))
    assert root.findtext(f"{C}status") == "Exercise"
    assert "synthetic" in root.findtext(f"{C}note")


HOSTILE = '</value><injected/>AL <&> "q" \'a\', \x01\x1b\ud800end'


def test_producer_text_is_escaped_and_cannot_break_the_document(schema) -> None:
    alert = alert_of("geofence", id=HOSTILE, unit=HOSTILE, incident=HOSTILE, zone=HOSTILE, rule=HOSTILE,
                     facts={"zone_en": HOSTILE, "zone_ar": HOSTILE, "region_en": HOSTILE,
                            "rule_name_en": HOSTILE, "zone_polygon": [["x", 1], [1]],
                            "zone_circle": {"lat": "nan"}},
                     acknowledged_by=HOSTILE, acknowledged_at=RAISED + 1)
    body = cap_document(alert, sender=SENDER, demo=False)
    assert b"<injected" not in body
    root = valid(schema, body)
    kept = '</value><injected/>AL <&> "q" \'a\', end'  # the characters XML cannot carry dropped
    info = root.findall(f"{C}info")[1]
    assert param(info, "unit") == kept and param(info, "acknowledgedBy") == kept
    assert info.findtext(f"{C}headline") == kept
    for value in (root.findtext(f"{C}identifier"), root.findtext(f"{C}references").split(",")[1],
                  root.findtext(f"{C}incidents")):
        assert not re.search(r"[\s,<&]", value), value  # CAP 1.2, 3.2.1: no spaces, commas, < or &
    other = alert_of("geofence", id=HOSTILE.replace("q", "r"))
    assert identifier(other, SENDER) != identifier(alert_of("geofence", id=HOSTILE), SENDER)


def test_the_atom_index_links_each_document() -> None:
    alerts = [alert_of("spike", n=1), alert_of("unassigned", n=2, **STATES["acknowledged"])]
    body = atom_feed(alerts, sender=SENDER, demo=False, feed_url="http://x/api/v1/alerts.atom",
                     cap_url=lambda a: f"http://x/api/v1/alerts/{a.id}.cap", now_ms=RAISED + 10**7)
    feed = SafeET.fromstring(body)
    assert feed.findtext(f"{A}updated") == "2026-12-04T07:56:51+03:00"  # the newest entry's
    links = [e.find(f"{A}link").attrib for e in feed.iterfind(f"{A}entry")]
    assert [(x["rel"], x["type"], x["href"]) for x in links] == [
        ("alternate", CAP_MEDIA_TYPE, "http://x/api/v1/alerts/AL-1.cap"),
        ("alternate", CAP_MEDIA_TYPE, "http://x/api/v1/alerts/AL-2.cap")]
    empty = SafeET.fromstring(atom_feed([], sender=SENDER, demo=False, feed_url="u", cap_url=str,
                                        now_ms=RAISED))
    assert empty.findtext(f"{A}updated") == "2026-12-04T07:56:21+03:00" and empty.find(f"{A}entry") is None


# --- over the API, against a real Redis ---------------------------------------------------------------


def raise_alert(store: Store, alert: Alert) -> str:
    """Raise ``alert`` the way the alerts worker does (a fresh id from the store); its id."""
    alert_id = store.alerts.next_id()
    fields = {**alert.fields(), "id": alert_id, "condition": f"{alert.condition}:{alert_id}"}
    assert store.alerts.raise_alert(fields["condition"], alert_id, fields, alert.raised_at, 0) == 1
    return alert_id


def feed_ids(http, query: str = "", **kw) -> list[str]:
    response = http.get(f"/api/v1/alerts.atom{query}", **kw)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/atom+xml"
    feed = SafeET.fromstring(response.data)
    hrefs = [e.find(f"{A}link").get("href") for e in feed.iterfind(f"{A}entry")]
    return [urlsplit(h).path.removeprefix("/api/v1/alerts/").removesuffix(".cap") for h in hrefs]


def test_every_kind_over_the_api(schema, settings: Settings) -> None:
    store = Store.from_settings(settings)
    http = create_app(settings).test_client()
    ids = {kind: raise_alert(store, alert_of(kind)) for kind in KINDS}
    for kind, alert_id in ids.items():
        response = http.get(f"/api/v1/alerts/{alert_id}.cap")
        assert response.status_code == 200 and response.mimetype == CAP_MEDIA_TYPE
        assert response.headers["Cache-Control"] == "no-store"
        root = valid(schema, response.data)
        assert root.findtext(f"{C}msgType") == "Alert" and root.findtext(f"{C}status") == "Actual"
        assert param(root.find(f"{C}info"), "kind") == kind
        assert root.findtext(f"{C}sender") == settings.cap_sender

    # a person acknowledges one, resolves another: Update, then Update + AllClear
    first, second = ids["unassigned"], ids["geofence"]
    assert http.post(f"/api/v1/alerts/{first}/acknowledge", json={"by": "amal"}).status_code == 200
    assert http.post(f"/api/v1/alerts/{second}/resolve", json={"by": "amal"}).status_code == 200
    acked = valid(schema, http.get(f"/api/v1/alerts/{first}.cap").data)
    assert acked.findtext(f"{C}msgType") == "Update" and not acked.findall(f"{C}info/{C}responseType")
    assert param(acked.find(f"{C}info"), "acknowledgedBy") == "amal (unverified)"
    resolved = valid(schema, http.get(f"/api/v1/alerts/{second}.cap").data)
    assert resolved.findtext(f"{C}msgType") == "Update"
    assert texts(resolved, f"{C}info/{C}responseType") == ["AllClear", "AllClear"]

    # the feed lists exactly the open ones, and each link is a valid document
    listed = feed_ids(http)
    assert sorted(listed) == sorted(set(ids.values()) - {second})
    for alert_id in listed:
        valid(schema, http.get(f"/api/v1/alerts/{alert_id}.cap").data)

    assert http.get("/api/v1/alerts/AL-999999.cap").status_code == 404
    assert http.get("/api/v1/alerts.atom?region=SA-99").status_code == 400


def test_a_demo_store_serves_exercises(schema, settings: Settings) -> None:
    store = Store.from_settings(settings)
    store.meta.mark_demo()
    alert_id = raise_alert(store, alert_of("spike"))
    root = valid(schema, create_app(settings).test_client().get(f"/api/v1/alerts/{alert_id}.cap").data)
    assert root.findtext(f"{C}status") == "Exercise"


def test_the_sender_is_a_setting(schema, settings: Settings) -> None:
    current = settings.model_copy(update={"cap_sender": "soc.example.sa"})
    alert_id = raise_alert(Store.from_settings(current), alert_of("port_wait"))
    root = valid(schema, create_app(current).test_client().get(f"/api/v1/alerts/{alert_id}.cap").data)
    assert root.findtext(f"{C}sender") == "soc.example.sa"
    assert root.findtext(f"{C}identifier").startswith("soc.example.sa-")
    with pytest.raises(ValueError):
        Settings(cap_sender="two words")


def test_scope_applies_to_documents_and_the_feed(schema, settings: Settings, tmp_path) -> None:
    path = tmp_path / "users.toml"
    users = UsersFile(path)
    tokens = {}
    for name, role, regions, agencies in (("ryd", "commander", ["SA-01"], ["traffic"]),
                                          ("lead", "leadership", None, None)):
        tokens[name] = new_token()
        users.put("tokens", f"{name}-token", role, regions, agencies, hash_token(tokens[name]))
    users.save()
    secured = settings.model_copy(update={"auth_mode": "password", "users_file": path,
                                          "secret_key": SecretStr("k" * 40)})
    store = Store.from_settings(secured)
    riyadh_traffic = raise_alert(store, alert_of("geofence", region="SA-01", facts=RIYADH))
    riyadh_police = raise_alert(store, alert_of("unassigned", region="SA-01", facts=RIYADH))
    makkah = raise_alert(store, alert_of("spike"))
    national = raise_alert(store, alert_of("stale_producer"))
    http = create_app(secured).test_client()
    ryd = {"Authorization": f"Bearer {tokens['ryd']}"}
    lead = {"Authorization": f"Bearer {tokens['lead']}"}

    for alert_id in (riyadh_traffic, national):
        assert http.get(f"/api/v1/alerts/{alert_id}.cap", headers=ryd).status_code == 200
    for alert_id in (riyadh_police, makkah, "AL-999999"):
        response = http.get(f"/api/v1/alerts/{alert_id}.cap", headers=ryd)
        assert response.status_code == 404 and b"<alert" not in response.data
    assert sorted(feed_ids(http, headers=ryd)) == sorted([riyadh_traffic, national])
    assert http.get("/api/v1/alerts.atom?region=SA-02", headers=ryd).status_code == 403
    assert sorted(feed_ids(http, headers=lead)) == sorted([riyadh_traffic, riyadh_police, makkah, national])
    # an alert of the nation (a silent stream) is every scope's
    assert sorted(feed_ids(http, "?region=SA-02", headers=lead)) == sorted([makkah, national])
    for alert_id in feed_ids(http, headers=lead):
        valid(schema, http.get(f"/api/v1/alerts/{alert_id}.cap", headers=lead).data)
    assert http.get(f"/api/v1/alerts/{national}.cap").status_code == 401  # nobody signed in: nothing
    assert http.get("/api/v1/alerts.atom").status_code == 401


def test_alerts_the_worker_raises_validate(schema, client, settings: Settings) -> None:
    """End to end, as in the demo: the alerts worker (default rules) raises a priority-1 incident left
    without a unit and a unit inside the Haram; both documents validate; the unit leaves, and its
    alert's document becomes an AllClear while the feed keeps only the other."""
    def write(stream: str, fields: dict[str, str]) -> None:
        client.xadd(f"{settings.stream_prefix}:{stream}", fields)
        IngestWorker(Store.from_settings(settings), settings).work(burst=True)

    quiet = Baseline(hourly={code: (12.0,) * 24 for code in REGION_CODES},
                     weekday={code: (1.0,) * 7 for code in REGION_CODES}, days=28, source="test")
    worker = AlertWorker(Store.from_settings(settings), settings, baseline=quiet)
    write("incidents", incident("P1", ts=now_ms() - 61_000))
    write("units", unit("G1", lon=39.8262, lat=21.4225, ts=now_ms() - 2000))  # inside the Haram
    assert worker.tick().raised == 2
    http = create_app(settings).test_client()
    by_kind = {}
    for alert_id in feed_ids(http):
        root = valid(schema, http.get(f"/api/v1/alerts/{alert_id}.cap").data)
        assert root.findtext(f"{C}msgType") == "Alert"
        by_kind[param(root.find(f"{C}info"), "kind")] = (alert_id, root)
    assert set(by_kind) == {"unassigned", "geofence"}
    _, fence = by_kind["geofence"]
    assert fence.findtext(f"{C}info/{C}area/{C}geocode/{C}value") == "SA-02"
    assert fence.findall(f"{C}info/{C}area/{C}circle") or fence.findall(f"{C}info/{C}area/{C}polygon")

    write("units", unit("G1", lon=39.8500, lat=21.4400, ts=now_ms() - 1000))  # 3 km out
    assert worker.tick().cleared == 1
    cleared = valid(schema, http.get(f"/api/v1/alerts/{by_kind['geofence'][0]}.cap").data)
    assert cleared.findtext(f"{C}msgType") == "Update"
    assert texts(cleared, f"{C}info/{C}responseType") == ["AllClear", "AllClear"]
    assert feed_ids(http) == [by_kind["unassigned"][0]]
