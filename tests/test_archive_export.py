"""Exports from the archive (``GET /api/v1/export``, app/archive/export.py) on the real app against real
Parquet files (written with the layout's own writer), a real DuckDB and a real Redis (access control).

The archive below is built so that each rule of what a record is has an incident that passes it and one
that fails it: open at ``from`` (opened 30 h before) or closed before it, an entry in the window or only
after ``to`` (the window is half-open), an out-of-order entry that must not apply, an incident that moved
region, a compacted hour lying beside its parts (each entry once), and a description written to break
every format.
"""

from __future__ import annotations

import html
import io
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import defusedxml.ElementTree as SafeET
import duckdb
import pandas as pd
import pytest
import redis
from flask.testing import FlaskClient
from pydantic import SecretStr
from shapely.geometry import Point, shape

from app import create_app
from app.archive import export as ex
from app.archive import keyframes, layout, replay
from app.archive.compact import COMPACTED, Maintenance
from app.auth.users import UsersFile, hash_token, new_token
from app.contract import REGION_TOKENS, Agency, Stream
from app.settings import Settings
from tests.helpers import now_ms

H, M = layout.HOUR_MS, 60_000
T0 = 1_796_360_400_000  # 2026-12-04T05:00:00Z (08:00 in Riyadh), an hour's start
WINDOW = f"from={T0}&to={T0 + 2 * H}"
RIYADH, MAKKAH, DAMMAM = (46.6753, 24.7136), (39.8262, 21.4225), (50.0888, 26.4207)
HOSTILE = ("</name><script>alert('x')</script>]]> & \"q\"\n"
           "=cmd|' /C calc'!A0\r\nحريق في مستودع 🔥🚒 — سطر ثالث")
FORMULA = "=cmd|' /C calc'!A0"
KML = "{http://www.opengis.net/kml/2.2}"
ALL_AGENCIES = tuple(a.value for a in Agency)


def inc(id: str, received: int, status: str = "new", *, ts: int | None = None, region: str = "SA-02",
        agency: str = "civil_defense", where: tuple[float, float] = MAKKAH, description: str | None = None,
        units: str | None = None, priority: int = 2, category: str = "fire", seq: int = 0) -> dict:
    """An incident row as the archiver writes it (``ts`` defaults to the time of receipt)."""
    return {"entry_ms": received, "entry_seq": seq, "ts": received if ts is None else ts, "region": region,
            "archived_ms": received + 50, "id": id, "status": status, "agency": agency, "category": category,
            "priority": priority, "lon": where[0], "lat": where[1], "description": description,
            "units": units, "future": False}


def pos(id: str, received: int, *, region: str = "SA-01", agency: str = "traffic",
        where: tuple[float, float] = RIYADH, status: str = "available", seq: int = 0) -> dict:
    return {"entry_ms": received, "entry_seq": seq, "ts": received - 500, "region": region,
            "archived_ms": received + 50, "id": id, "agency": agency, "status": status, "lon": where[0],
            "lat": where[1], "heading": 90.0, "speed": 40.0, "incident": None}


def write_parts(root: Path, stream: Stream, rows: list[dict]) -> None:
    """One part per hour of receipt, named as the archiver names them."""
    by_hour: dict[int, list[dict]] = {}
    for row in rows:
        by_hour.setdefault(row["entry_ms"] // H, []).append(row)
    for hour, group in by_hour.items():
        group.sort(key=lambda r: (r["entry_ms"], r["entry_seq"]))
        first, last = group[0], group[-1]
        name = layout.part_name((first["entry_ms"], first["entry_seq"]),
                                (last["entry_ms"], last["entry_seq"]))
        layout.write_atomic(layout.partition(root, stream, hour) / name, layout.table(stream, group))


INCIDENT_ROWS = [
    inc("OLD-OPEN", T0 - 30 * H, region="SA-04", where=DAMMAM),  # open at `from`, opened 30 h before
    inc("OLD-CLOSED", T0 - 3 * H), inc("OLD-CLOSED", T0 - H, "closed"),  # closed before the window
    inc("TOO-OLD", T0 - 8 * 24 * H),  # beyond the 7-day look-back
    # Riyadh traffic: the whole life inside the window
    inc("IN", T0 + 10 * M, region="SA-01", agency="traffic", where=RIYADH, category="collision"),
    inc("IN", T0 + 20 * M, "dispatched", region="SA-01", agency="traffic", where=RIYADH, units="U1",
        category="collision"),
    inc("IN", T0 + 40 * M, "on_scene", region="SA-01", agency="traffic", where=RIYADH, units="U1,U2",
        category="collision"),
    # opened before, closed in the window's 2nd hour (seq 1: the entry (T0 - H)-0 is OLD-CLOSED's)
    inc("CLOSES", T0 - H, region="SA-04", where=DAMMAM, seq=1),
    inc("CLOSES", T0 + H + 5, "closed", region="SA-04", where=DAMMAM),
    inc("AFTER", T0 + 2 * H),  # received exactly at `to`: the next window's
    # an entry received later but dated earlier does not apply; one received after `to` is not seen
    inc("LATE", T0 + 5 * M), inc("LATE", T0 + 50 * M, "closed", ts=T0 + M),
    inc("LATE", T0 + 2 * H + M, "closed"),
    # … also when the entry it loses to came before the window (in a keyframe, or the look-back)
    inc("STALE", T0 - 30 * M, region="SA-05", agency="patrol", category="theft"),
    inc("STALE", T0 + 20 * M, "closed", ts=T0 - 40 * M, region="SA-05", agency="patrol", category="theft"),
    # filed in Makkah, then in Riyadh: scoped by where it stood at the end
    inc("MOVED", T0 + 5 * M, seq=1), inc("MOVED", T0 + 30 * M, "dispatched", region="SA-01", where=RIYADH),
    inc("HOSTILE", T0 + 15 * M, description=HOSTILE, units="U9"),
    inc("FORMULA", T0 + 16 * M, description=FORMULA, agency="red_crescent", category="medical"),
]
NATIONAL = {"OLD-OPEN", "IN", "CLOSES", "LATE", "STALE", "MOVED", "HOSTILE", "FORMULA"}


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("export") / "archive"
    write_parts(root, Stream.incidents, INCIDENT_ROWS)
    # A compaction that crashed after writing hour.parquet and before deleting the parts: both are there.
    folder = layout.partition(root, Stream.incidents, T0 // H)
    layout.write_atomic(folder / COMPACTED, layout.table(
        Stream.incidents, [r for r in INCIDENT_ROWS if r["entry_ms"] // H == T0 // H]))
    assert len(layout.files(folder)) == 2
    return root


@pytest.fixture(scope="module")
def http(redis_url, archive) -> Iterator[FlaskClient]:
    """One app over the archive for the module's read-only tests (an app's first request costs ~0.4 s)."""
    prefix = f"t{uuid.uuid4().hex[:12]}"
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("BASIRA_")]:
            patch.delenv(name)
        app = create_app(Settings(redis_url=redis_url, stream_prefix=prefix, archive_dir=archive))
    yield app.test_client()
    connection = redis.Redis.from_url(redis_url)
    keys = list(connection.scan_iter(match=f"{prefix}:*"))
    if keys:
        connection.unlink(*keys)
    connection.close()


def features_of(reply) -> dict[str, dict]:
    body = json.loads(reply.get_data())
    return {f["id"]: f for f in body["features"]}


# --- GeoJSON -------------------------------------------------------------------------------------------


def test_geojson_is_rfc7946_and_holds_exactly_the_incidents_of_the_window(http) -> None:
    reply = http.get(f"/api/v1/export?format=geojson&{WINDOW}")
    assert reply.status_code == 200 and reply.is_streamed
    assert reply.mimetype == "application/geo+json"
    body = json.loads(reply.get_data())
    assert body["type"] == "FeatureCollection" and "crs" not in body
    features = body["features"]
    assert {f["id"] for f in features} == NATIONAL and len(features) == len(NATIONAL)  # each once
    assert int(reply.headers["X-Basira-Records"]) == body["basira"]["records"] == len(NATIONAL)
    for feature in features:
        geometry = shape(feature["geometry"])
        assert isinstance(geometry, Point) and feature["geometry"]["type"] == "Point"
        assert feature["id"] == feature["properties"]["id"]
    opened = [(f["properties"]["opened"], f["id"]) for f in features]
    assert opened == sorted(opened)  # by opening time, then id
    byid = {f["id"]: f for f in features}
    assert shape(byid["IN"]["geometry"]).coords[0] == RIYADH  # lon, lat
    assert {lang: bool(text) for lang, text in body["basira"]["title"].items()} == {"ar": True, "en": True}
    assert body["basira"]["from_ms"] == T0 and body["basira"]["to_ms"] == T0 + 2 * H
    # untrusted text travels as JSON strings, intact
    assert byid["HOSTILE"]["properties"]["description"] == HOSTILE
    assert byid["FORMULA"]["properties"]["description"] == FORMULA


def test_each_record_is_the_state_at_the_window_end_with_its_lifecycle(http) -> None:
    byid = {k: f["properties"] for k, f in features_of(http.get(f"/api/v1/export?{WINDOW}")).items()}
    assert byid["IN"] == {
        "id": "IN", "status": "on_scene", "priority": 2, "category": "collision", "agency": "traffic",
        "region": "SA-01", "opened": ex.iso(T0 + 10 * M), "dispatched": ex.iso(T0 + 20 * M),
        "on_scene": ex.iso(T0 + 40 * M), "closed": None, "updated": ex.iso(T0 + 40 * M),
        "description": None, "units": ["U1", "U2"],
    }
    assert byid["IN"]["opened"] == "2026-12-04T08:10:00.000+03:00"  # Riyadh time, with its offset
    assert byid["OLD-OPEN"]["status"] == "new" and byid["OLD-OPEN"]["opened"] == ex.iso(T0 - 30 * H)
    assert byid["CLOSES"]["status"] == "closed" and byid["CLOSES"]["closed"] == ex.iso(T0 + H + 5)
    assert byid["CLOSES"]["opened"] == ex.iso(T0 - H)
    # the entry dated earlier did not apply; the closing after `to` is the next window's
    assert byid["LATE"]["status"] == "new" and byid["LATE"]["closed"] is None
    assert byid["STALE"]["status"] == "new" and byid["STALE"]["updated"] == ex.iso(T0 - 30 * M)
    assert byid["MOVED"]["region"] == "SA-01" and byid["MOVED"]["dispatched"] == ex.iso(T0 + 30 * M)


def test_the_next_window_sees_what_came_at_and_after_its_start(http) -> None:
    later = features_of(http.get(f"/api/v1/export?from={T0 + 2 * H}&to={T0 + 3 * H}"))
    # AFTER was received at this window's `from`; LATE closed in it; IN, MOVED … were open at its start
    assert {"AFTER", "LATE", "IN", "MOVED", "OLD-OPEN"} <= set(later) and "CLOSES" not in later
    assert later["LATE"]["properties"]["status"] == "closed"


def test_iso_8601_with_an_offset_means_the_same_window(http) -> None:
    by_ms = http.get(f"/api/v1/export?{WINDOW}&count=1").get_json()
    by_iso = http.get("/api/v1/export?from=2026-12-04T08:00:00%2B03:00&to=2026-12-04T07:00:00Z&count=1")
    assert by_iso.status_code == 200
    assert by_iso.get_json()["records"] == by_ms["records"] == len(NATIONAL)
    assert (by_iso.get_json()["from_ms"], by_iso.get_json()["to_ms"]) == (T0, T0 + 2 * H)


def test_missing_times_default_to_the_last_day(http) -> None:
    before = now_ms()
    body = http.get("/api/v1/export?count=1").get_json()
    assert before <= body["to_ms"] <= now_ms() and body["to_ms"] - body["from_ms"] == 24 * H
    only_to = http.get(f"/api/v1/export?to={T0 + 2 * H}&count=1").get_json()
    assert (only_to["from_ms"], only_to["to_ms"]) == (T0 - 22 * H, T0 + 2 * H)


# --- CSV and KML ---------------------------------------------------------------------------------------


def test_csv_parses_with_pandas_and_neutralises_formulas(http) -> None:
    reply = http.get(f"/api/v1/export?format=csv&{WINDOW}")
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    raw = reply.get_data()
    assert raw.startswith("\ufeff".encode())  # so a spreadsheet reads the Arabic as UTF-8
    table = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(table.columns) == list(ex.INCIDENT_COLUMNS)
    assert set(table["id"]) == NATIONAL and len(table) == int(reply.headers["X-Basira-Records"])
    rows = table.set_index("id")
    assert rows.loc["FORMULA", "description"] == "'" + FORMULA  # no formula in a spreadsheet
    assert rows.loc["HOSTILE", "description"] == HOSTILE  # starts with "<": intact, newlines and all
    assert rows.loc["IN", "units"] == "U1,U2" and rows.loc["IN", "closed"] == ""
    assert (float(rows.loc["IN", "lon"]), float(rows.loc["IN", "lat"])) == RIYADH


def test_kml_parses_safely_and_keeps_hostile_text_as_text(http) -> None:
    reply = http.get(f"/api/v1/export?format=kml&{WINDOW}")
    assert reply.status_code == 200 and reply.mimetype == "application/vnd.google-earth.kml+xml"
    root = SafeET.fromstring(reply.get_data())
    assert root.tag == f"{KML}kml"
    document = root.find(f"{KML}Document")
    name = document.findtext(f"{KML}name")
    assert "بصيرة" in name and "Basira" in name
    about = document.findtext(f"{KML}description")
    assert "بتوقيت الرياض" in about and "Riyadh time" in about
    placemarks = {p.findtext(f"{KML}name"): p for p in document.iter(f"{KML}Placemark")}
    assert set(placemarks) == NATIONAL
    # escaped twice (a viewer draws HTML): parsed, it is inert HTML text that unescapes to the original
    described = placemarks["HOSTILE"].findtext(f"{KML}description")
    assert described == html.escape(HOSTILE) and html.unescape(described) == HOSTILE  # even its CR
    assert "<script>" not in described
    assert all(element.tag.startswith(KML) for element in root.iter())  # no <script>, no stray element
    point = placemarks["IN"].findtext(f"{KML}Point/{KML}coordinates")
    assert tuple(float(v) for v in point.split(",")) == RIYADH
    span = placemarks["CLOSES"].find(f"{KML}TimeSpan")
    assert span.findtext(f"{KML}begin") == ex.iso(T0 - H) and span.findtext(f"{KML}end") == ex.iso(T0 + H + 5)
    data = {d.get("name"): d.findtext(f"{KML}value") for d in placemarks["IN"].iter(f"{KML}Data")}
    assert data["status"] == "on_scene" and data["units"] == "U1,U2"


def add_keyframes(root: Path, hours: list[int]) -> None:
    """The keyframes of ``hours`` as the archiver's upkeep writes them (the replay's own fold)."""
    con = duckdb.connect()
    start = replay.State.empty(keyframes.first_hour(root) * H - 1)
    for hour in hours:
        keyframes.write(root, hour, replay.fold(start, root, hour * H - 1, con))
    con.close()


@pytest.fixture(scope="module")
def keyframed(archive, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("keyframed") / "archive"
    shutil.copytree(archive, root)
    add_keyframes(root, [T0 // H - 1, T0 // H, T0 // H + 2])
    return root


def exported(root: Path, start: int, end: int) -> tuple[ex.Export, dict[str, dict]]:
    job = ex.Export(root, Stream.incidents, ex.Window(start, end), REGION_TOKENS, ALL_AGENCIES)
    body = json.loads(b"".join(ex.write("geojson", job, ex.about(job, None, None, "all:all", T0))))
    return job, {f["id"]: f["properties"] for f in body["features"]}


def test_a_keyframe_brings_incidents_opened_before_the_look_back(keyframed) -> None:
    job, records = exported(keyframed, T0, T0 + 2 * H)
    assert job.keyframe and set(records) == NATIONAL | {"TOO-OLD"}  # opened 8 days before, still open
    assert records["TOO-OLD"]["opened"] == ex.iso(T0 - 8 * 24 * H)
    job, records = exported(keyframed, T0 + H, T0 + 2 * H)  # no keyframe for this hour: 7 days back
    assert not job.keyframe and "TOO-OLD" not in records and "OLD-OPEN" in records


@pytest.mark.parametrize(("start", "end"), [
    (T0, T0 + 2 * H), (T0 + 30 * M, T0 + H + 30 * M), (T0 + 2 * H, T0 + 3 * H), (T0 - H, T0 + H),
    (T0 + 11 * M, T0 + 15 * M + 1),
])
def test_every_record_is_what_replay_folds(keyframed, start, end) -> None:
    """The export agrees with replay's own fold (app/archive/replay.py) exactly: its records are the
    incidents open at ``from`` plus those an entry of the window applied to, each as replay has it at
    the window's last moment."""
    con = duckdb.connect()
    empty = replay.State.empty(keyframes.first_hour(keyframed) * H - 1)
    before = replay.fold(empty, keyframed, start - 1, con).incidents.to_pylist()
    after = {r["id"]: r for r in replay.fold(empty, keyframed, end - 1, con).incidents.to_pylist()}
    con.close()
    expected = {r["id"] for r in before if r["status"] != "closed"}
    expected |= {i for i, r in after.items() if r["entry_ms"] >= start}
    job, records = exported(keyframed, start, end)
    assert job.keyframe and set(records) == expected
    for id, record in records.items():
        state = after[id]
        assert record == {
            "id": id, "status": state["status"], "priority": state["priority"], "category": state["category"],
            "agency": state["agency"], "region": state["region"], "opened": ex.iso(state["opened"]),
            "dispatched": ex.iso(state["dispatched"]), "on_scene": ex.iso(state["on_scene"]),
            "closed": ex.iso(state["ts"]) if state["status"] == "closed" else None,
            "updated": ex.iso(state["ts"]), "description": state["description"],
            "units": state["units"].split(",") if state["units"] else [],
        }


def test_characters_xml_cannot_carry_are_replaced_not_fatal(tmp_path) -> None:
    root = tmp_path / "archive"
    write_parts(root, Stream.incidents, [inc("CTRL", T0 + M, description="bell\x07 vt\x0b nul\x00 end")])
    job = ex.Export(root, Stream.incidents, ex.Window(T0, T0 + H), REGION_TOKENS, ALL_AGENCIES)
    kml = b"".join(ex.write("kml", job, ex.about(job, None, None, "all:all", T0)))
    placemark = SafeET.fromstring(kml).find(f"{KML}Document/{KML}Placemark")
    assert placemark.findtext(f"{KML}description") == "bell\ufffd vt\ufffd nul\ufffd end"


# --- scope, errors and access control --------------------------------------------------------------------


@pytest.mark.parametrize(("query", "expected"), [
    ("region=SA-01", {"IN", "MOVED"}),
    ("region=SA-02", {"HOSTILE", "FORMULA", "LATE"}),
    ("agency=traffic", {"IN"}),
    ("region=SA-02&agency=red_crescent", {"FORMULA"}),
    ("region=SA-04&agency=traffic", set()),
])
def test_scope_filters_exactly(http, query, expected) -> None:
    reply = http.get(f"/api/v1/export?{query}&{WINDOW}")
    assert set(features_of(reply)) == expected
    assert int(reply.headers["X-Basira-Records"]) == len(expected)


def test_the_file_name_says_scope_and_window(http) -> None:
    reply = http.get(f"/api/v1/export?format=csv&region=SA-01&agency=traffic&{WINDOW}")
    assert reply.headers["Content-Disposition"] == (
        'attachment; filename="basira-incidents-SA-01-traffic-20261204T0500Z-20261204T0700Z.csv"')


@pytest.mark.parametrize(("query", "needle"), [
    ("format=xlsx", "unknown format"),
    ("format=kml&stream=ports", "unknown stream"),
    ("from=yesterday", "'from'"),
    ("from=2026-12-04T08:00:00", "offset"),  # ambiguous without an offset
    ("to=1796360400", "2000"),  # seconds, not milliseconds
    (f"from={T0}&to={T0}", "before"),
    (f"from={T0 + H}&to={T0}", "before"),
    (f"from={T0}&to={T0 + 31 * 24 * H + 1}", "31 days"),
    (f"stream=units&from={T0}&to={T0 + 24 * H + 1}", "24 hours"),
    ("count=maybe", "count"),
    ("region=SA-13", "unknown region"),
    ("agency=police", "unknown agency"),
])
def test_bad_requests_are_a_clear_400(http, query, needle) -> None:
    reply = http.get(f"/api/v1/export?{query}")
    assert reply.status_code == 400 and reply.mimetype == "application/json"
    assert needle in reply.get_json()["error"]


def test_a_window_of_31_days_is_allowed(http) -> None:
    reply = http.get(f"/api/v1/export?from={T0 - 29 * 24 * H}&to={T0 + 2 * 24 * H}&count=1")
    assert reply.status_code == 200 and reply.get_json()["records"] >= len(NATIONAL)


def test_an_empty_archive_is_an_empty_valid_file(settings, tmp_path) -> None:
    http = create_app(settings.model_copy(update={"archive_dir": tmp_path / "none"})).test_client()
    for fmt in ex.FORMATS:
        reply = http.get(f"/api/v1/export?format={fmt}&{WINDOW}")
        assert reply.status_code == 200 and reply.headers["X-Basira-Records"] == "0"
    assert json.loads(http.get(f"/api/v1/export?{WINDOW}").get_data())["features"] == []
    SafeET.fromstring(http.get(f"/api/v1/export?format=kml&{WINDOW}").get_data())


@pytest.fixture
def secured(settings, archive, tmp_path):
    path = tmp_path / "users.toml"
    users = UsersFile(path)
    tokens = {}
    for name, role, regions, agencies in (("ryd", "commander", ["SA-01"], ["traffic"]),
                                          ("lead", "leadership", None, None)):
        tokens[name] = new_token()
        users.put("tokens", f"{name}-token", role, regions, agencies, hash_token(tokens[name]))
    users.save()
    current = settings.model_copy(update={"auth_mode": "password", "users_file": path, "archive_dir": archive,
                                          "secret_key": SecretStr("k" * 40)})
    return create_app(current).test_client(), {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}


def test_access_control_keeps_an_export_to_the_callers_scope(secured) -> None:
    http, as_ = secured
    assert http.get(f"/api/v1/export?{WINDOW}").status_code == 401
    # a Riyadh traffic commander: "all" means theirs; Makkah or another agency is a 403
    assert set(features_of(http.get(f"/api/v1/export?{WINDOW}", headers=as_["ryd"]))) == {"IN"}
    for beyond in ("region=SA-02", "agency=civil_defense", "region=SA-01&agency=patrol"):
        reply = http.get(f"/api/v1/export?{beyond}&{WINDOW}", headers=as_["ryd"])
        assert reply.status_code == 403 and "error" in reply.get_json()
    counted = http.get(f"/api/v1/export?{WINDOW}&count=1", headers=as_["ryd"]).get_json()
    assert counted["records"] == 1 and counted["scope"]["regions"] == ["SA-01"]
    assert set(features_of(http.get(f"/api/v1/export?{WINDOW}", headers=as_["lead"]))) == NATIONAL


# --- units, streaming -----------------------------------------------------------------------------------


def test_unit_positions_one_point_each_scoped_and_thinning_said(settings, tmp_path) -> None:
    root = tmp_path / "archive"
    rows = [pos("U1", T0 + i * M) for i in range(0, 120, 7)]  # Riyadh traffic, both hours
    rows += [pos("U2", T0 + 3 * M, region="SA-02", agency="civil_defense", where=MAKKAH)]
    rows += [pos("U1", T0 + 2 * H)]  # the next window's
    write_parts(root, Stream.units, rows)
    # the first hour also thinned (an old hour): its file names its interval
    first = layout.partition(root, Stream.units, T0 // H)
    layout.write_atomic(first / "thinned-60s.parquet", layout.table(
        Stream.units, [r for r in rows if r["entry_ms"] // H == T0 // H]))
    http = create_app(settings.model_copy(update={"archive_dir": root})).test_client()
    body = json.loads(http.get(f"/api/v1/export?stream=units&{WINDOW}").get_data())
    inside = [r for r in rows if T0 <= r["entry_ms"] < T0 + 2 * H]
    assert len(body["features"]) == body["basira"]["records"] == len(inside)  # each entry once
    in_order = sorted(r["entry_ms"] for r in inside)
    assert [f["properties"]["received"] for f in body["features"]] == [ex.iso(ms) for ms in in_order]
    assert all(isinstance(shape(f["geometry"]), Point) for f in body["features"])
    assert body["basira"]["thinned_s"] == [60] and "60" in body["basira"]["description"]["en"]
    riyadh = http.get(f"/api/v1/export?stream=units&format=csv&region=SA-01&{WINDOW}").get_data()
    table = pd.read_csv(io.BytesIO(riyadh), dtype=str, encoding="utf-8-sig")
    assert set(table["id"]) == {"U1"} and len(table) == len(inside) - 1


def test_compaction_between_counting_and_streaming_loses_nothing(settings, tmp_path) -> None:
    """The archiver's upkeep may replace an hour's parts by ``hour.parquet`` while an export streams:
    incidents were folded when counted; a unit hour listed before is listed again."""
    root = tmp_path / "archive"
    positions = [pos("U1", T0 + i * M, seq=i) for i in range(10)]
    for row in positions:  # a part per position, as a busy archiver writes them
        write_parts(root, Stream.units, [row])
    write_parts(root, Stream.incidents, [inc("A", T0 + M)])
    write_parts(root, Stream.incidents, [inc("A", T0 + 2 * M, "dispatched")])
    jobs = {stream: ex.Export(root, stream, ex.Window(T0, T0 + H), REGION_TOKENS, ALL_AGENCIES)
            for stream in (Stream.incidents, Stream.units)}
    infos = {stream: ex.about(job, None, None, "all:all", T0) for stream, job in jobs.items()}
    upkeep = Maintenance(root, settings)
    for stream in jobs:
        assert upkeep.compact_hour(stream, layout.partition(root, stream, T0 // H)) == 1
    assert [p.name for p in layout.files(layout.partition(root, Stream.units, T0 // H))] == [COMPACTED]
    units = json.loads(b"".join(ex.write("geojson", jobs[Stream.units], infos[Stream.units])))
    assert len(units["features"]) == infos[Stream.units].records == len(positions)
    incidents = json.loads(b"".join(ex.write("geojson", jobs[Stream.incidents], infos[Stream.incidents])))
    assert [f["properties"]["status"] for f in incidents["features"]] == ["dispatched"]


def test_the_file_leaves_in_chunks_of_records(archive) -> None:
    """Streamed: a header, a chunk per batch of records, a footer — the whole is never built first."""
    job = ex.Export(archive, Stream.incidents, ex.Window(T0, T0 + 2 * H), REGION_TOKENS, ALL_AGENCIES,
                    chunk_rows=2)
    info = ex.about(job, None, None, "all:all", T0)
    chunks = list(ex.write("geojson", job, info))
    assert len(chunks) == 2 + -(-len(NATIONAL) // 2)  # header + ⌈records / 2⌉ batches + footer
    assert len(json.loads(b"".join(chunks))["features"]) == len(NATIONAL)
    assert job._con is None and job._spill is None  # closed once the last chunk was out
