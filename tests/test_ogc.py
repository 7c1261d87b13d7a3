"""OGC API – Features at ``/ogc``, by the standard's requirements and with a real GIS client.

* GDAL's OGC API – Features driver (``ogrinfo``/``ogr2ogr`` of Debian's ``gdal-bin``, in another process)
  against the app served on a free loopback port: it lists the five collections, and pulls incidents with
  a bbox (``-spat``) and a time window (``-where`` on the ``time`` field, which the driver sends to the
  server as ``datetime``, as its debug log shows) page by page (``PAGE_SIZE``, so through the ``next``
  links) — and the output has exactly the features, ids and coordinates, that ``/api/v1/snapshot`` has in
  that box and window. With access control on, a commander's token (in a header file, as a QGIS or GDAL
  user passes it) gets its region's only, and no token gets nothing. Without ``ogrinfo`` these tests fail,
  they do not skip: ``.ci/run`` installs ``gdal-bin`` (``make gdal-deps``).
* The requirements of the conformance classes claimed (core, geojson, oas30), checked on the answers:
  the landing page's links, conformance, collections and their extents, the items' ``numberMatched``,
  ``numberReturned``, ``timeStamp`` and links — walking ``next`` visits every feature exactly once, and
  ``prev`` walks back — ``bbox``, ``datetime``, ``limit``, 400 for an unknown parameter or a bad value,
  404 for an unknown collection or feature, and the scope.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from pydantic import SecretStr
from werkzeug.serving import make_server

from app import create_app
from app.alerts.model import Alert
from app.auth.users import UsersFile, hash_token, new_token
from app.contract import Stream
from app.ingest import IngestWorker
from app.ogc.query import MAX_LIMIT
from app.settings import Settings
from app.store import Store
from tests.helpers import incident, now_ms, port_entry, unit

CONFORMANCE = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
}
COLLECTIONS = ["incidents", "units", "ports", "regions", "alerts"]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: Where the incidents are: (region, lat, lon) around Riyadh, Makkah and Dammam.
PLACES = [("SA-01", 24.70, 46.67), ("SA-02", 21.42, 39.82), ("SA-04", 26.42, 50.08)]
#: A box around Riyadh and Makkah (not Dammam): west, south, east, north.
BOX = (39.0, 21.0, 47.5, 25.5)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def ogr(tool: str) -> str:
    """``ogrinfo``/``ogr2ogr`` from PATH; the test fails (never skips) without it."""
    found = shutil.which(tool)
    if not found:
        pytest.fail(f"{tool} is not installed: the OGC API – Features tests need GDAL's command-line tools "
                    "(Debian: apt-get install gdal-bin; `make gdal-deps` and .ci/run install them)",
                    pytrace=False)
    return found


def run(*args: str, config: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A GDAL tool, its HTTP answers never cached between runs, its debug log on stderr."""
    options = [item for name, value in {"GDAL_HTTP_TIMEOUT": "60", **(config or {})}.items()
               for item in ("--config", name, value)]
    return subprocess.run([ogr(args[0]), *options, *args[1:]], capture_output=True, text=True, timeout=120)


@dataclass(frozen=True)
class World:
    """One store for the module, its app, and the app served twice: access control off, and on with a
    Riyadh commander's token and a national one."""

    settings: Settings
    http: Any
    served: str
    secured: str
    token: str
    national: str


def fill(settings: Settings, client: redis.Redis) -> None:
    """Thirty open incidents over three regions and the last hour (a minute apart), units, a port's counts,
    a closed incident, and two open alerts (one of Makkah with a place, one of the nation without)."""
    prefix = settings.stream_prefix
    start = now_ms() - 45 * 60_000
    for n in range(30):
        _region, lat, lon = PLACES[n % 3]
        client.xadd(Stream.incidents.key(prefix),
                    incident(f"INC-{n:03d}", lat=lat + n / 1000, lon=lon + n / 1000, ts=start + n * 60_000,
                             agency="traffic" if n % 2 else "civil_defense"))
    client.xadd(Stream.incidents.key(prefix), incident("GONE-1", ts=start))
    client.xadd(Stream.incidents.key(prefix), incident("GONE-1", status="closed", ts=start + 1))
    for n in range(6):
        _region, lat, lon = PLACES[n % 3]
        client.xadd(Stream.units.key(prefix), unit(f"U-{n}", lat=lat, lon=lon))
    client.xadd(Stream.ports.key(prefix), port_entry())
    store = Store.from_settings(settings)
    IngestWorker(store, settings).work(burst=True)
    for alert in (Alert(id="", rule="haram", kind="geofence", severity="severe", condition="geofence:U-1",
                        raised_at=now_ms(), region="SA-02", agency="civil_defense", unit="U-1", lon=39.826,
                        lat=21.4225),
                  Alert(id="", rule="silent", kind="stale_producer", severity="moderate",
                        condition="stale:incidents", raised_at=now_ms(), stream="incidents")):
        alert_id = store.alerts.next_id()
        fields = {**alert.fields(), "id": alert_id, "condition": f"{alert.condition}:{alert_id}"}
        assert store.alerts.raise_alert(fields["condition"], alert_id, fields, alert.raised_at, 0) == 1


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="basira-ogc-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def world(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings(redis_url=redis_url, stream_prefix=f"t{uuid.uuid4().hex[:12]}", auth_mode="off")
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    fill(settings, client)
    path = tmp_path_factory.mktemp("ogc") / "users.toml"
    users = UsersFile(path)
    token, national = new_token(), new_token()
    users.put("tokens", "ryd-gis", "commander", ["SA-01"], None, hash_token(token))
    users.put("tokens", "lead-gis", "leadership", None, None, hash_token(national))
    users.save()
    secured = settings.model_copy(update={"auth_mode": "password", "users_file": path,
                                          "secret_key": SecretStr("k" * 40)})
    try:
        with serving(settings) as open_url, serving(secured) as secured_url:
            yield World(settings, create_app(settings).test_client(), open_url, secured_url, token, national)
    finally:
        for key in client.scan_iter(match=f"{settings.stream_prefix}:*", count=1000):
            client.unlink(key)
        client.close()


@pytest.fixture
def http(world: World) -> Any:
    return world.http


@pytest.fixture
def served(world: World) -> str:
    return world.served


@pytest.fixture
def commander(world: World) -> tuple[str, str, str]:
    return world.secured, world.token, world.national


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _gdal_time(ms: int) -> str:
    """A moment as an OGR SQL timestamp literal (UTC)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y/%m/%d %H:%M:%S")


def _snapshot(base: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    import requests

    response = requests.get(f"{base}/api/v1/snapshot", headers=headers or {}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _as_pulled(features: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    return {f["properties"]["id"] if "id" in f["properties"] else f["id"]:
            tuple(round(c, 5) for c in f["geometry"]["coordinates"]) for f in features}


# --- GDAL, the real client ------------------------------------------------------------------------------


def test_ogrinfo_lists_the_collections(served: str) -> None:
    out = run("ogrinfo", "-ro", "-q", f"OAPIF:{served}/ogc")
    assert out.returncode == 0, out.stderr
    listed = re.findall(r"^\d+: (\w+) \(title: ", out.stdout, re.M)
    assert listed == COLLECTIONS
    summary = run("ogrinfo", "-ro", "-so", f"OAPIF:{served}/ogc", "incidents")
    assert summary.returncode == 0, summary.stderr
    assert "Feature Count: 31" in summary.stdout  # numberMatched: 30 open, 1 closed within the window
    assert re.search(r"^time: DateTime", summary.stdout, re.M)  # what -where turns into a datetime query


def test_ogr2ogr_pulls_incidents_by_bbox_and_datetime_as_the_snapshot_has_them(served: str,
                                                                              tmp_path: Path) -> None:
    snapshot = _snapshot(served)["incidents"]["features"]
    times = sorted(f["properties"]["ts"] for f in snapshot)
    since, until = times[5] // 1000 * 1000, times[24] // 1000 * 1000  # whole seconds, as in OGR SQL
    west, south, east, north = BOX
    expected = {f["id"]: tuple(round(c, 5) for c in f["geometry"]["coordinates"]) for f in snapshot
                if west <= f["geometry"]["coordinates"][0] <= east
                and south <= f["geometry"]["coordinates"][1] <= north
                and since <= f["properties"]["ts"] <= until}
    assert 5 < len(expected) < len(snapshot)  # the filters do select, and not everything
    out = tmp_path / "incidents.geojson"
    result = run("ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{served}/ogc", "incidents",
                 "-oo", "PAGE_SIZE=4", "-spat", *map(str, BOX),
                 "-where", f"time >= '{_gdal_time(since)}' AND time <= '{_gdal_time(until)}'",
                 config={"CPL_DEBUG": "ON"})
    assert result.returncode == 0, result.stderr
    asked = [u for u in re.findall(r"Fetch\((\S+)\)", result.stderr) if "/collections/incidents/items" in u]
    queries = [parse_qs(urlsplit(u).query) for u in asked[1:]]  # (the first page tells the driver the fields)
    assert queries and all("bbox" in q and "datetime" in q for q in queries), asked  # the server filters
    pulled = _as_pulled(json.loads(out.read_text())["features"])
    assert pulled == expected
    assert len(queries) >= len(expected) / 4, asked  # page by page …
    assert all("cursor" in q for q in queries[1:]), asked  # … through the next links


def test_a_commanders_token_pulls_only_its_region(commander: tuple[str, str, str], tmp_path: Path) -> None:
    base, token, national = commander
    header = tmp_path / "headers.txt"
    header.write_text(f"Authorization: Bearer {token}\n")
    out = tmp_path / "mine.geojson"
    result = run("ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{base}/ogc", "incidents",
                 config={"GDAL_HTTP_HEADER_FILE": str(header)})
    assert result.returncode == 0, result.stderr
    pulled = json.loads(out.read_text())["features"]
    mine = _snapshot(base, {"Authorization": f"Bearer {token}"})["incidents"]["features"]
    assert {f["properties"]["region"] for f in pulled} == {"SA-01"}
    assert _as_pulled(pulled) == _as_pulled(mine)
    everything = _snapshot(base, {"Authorization": f"Bearer {national}"})["incidents"]["features"]
    assert len(everything) > len(mine)
    refused = run("ogrinfo", "-ro", "-so", f"OAPIF:{base}/ogc")
    assert refused.returncode != 0 and "401" in refused.stderr + refused.stdout


# --- the standard's requirements ----------------------------------------------------------------------


def test_the_landing_page_links_the_definition_conformance_and_data(http: Any) -> None:
    response = http.get("/ogc")
    assert response.status_code == 200 and response.mimetype == "application/json"
    links = {link["rel"]: link for link in response.get_json()["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(links)
    for rel, link in links.items():
        answer = http.get(urlsplit(link["href"]).path)
        assert answer.status_code == 200, rel
        assert answer.content_type.replace(" ", "").startswith(link["type"].replace(" ", "")), rel
    assert http.get("/ogc/").get_json() == response.get_json()
    assert set(http.get("/ogc/conformance").get_json()["conformsTo"]) == CONFORMANCE


def test_the_collections_describe_themselves(http: Any) -> None:
    answer = http.get("/ogc/collections").get_json()
    assert any(link["rel"] == "self" for link in answer["links"])
    assert [c["id"] for c in answer["collections"]] == COLLECTIONS
    for collection in answer["collections"]:
        assert collection["crs"] == [CRS84] and collection["extent"]["spatial"]["crs"] == CRS84
        (west, south, east, north), = collection["extent"]["spatial"]["bbox"]
        assert 34 < west < east < 56 and 16 < south < north < 33  # the Kingdom
        rels = {link["rel"]: link for link in collection["links"]}
        assert rels["items"]["type"] == "application/geo+json"
        assert urlsplit(rels["items"]["href"]).path == f"/ogc/collections/{collection['id']}/items"
        alone = http.get(f"/ogc/collections/{collection['id']}").get_json()
        for described in (alone, collection):  # (the window's start moves with the clock)
            described["extent"].pop("temporal", None)
        assert alone == collection
    incidents = http.get("/ogc/collections/incidents").get_json()["extent"]["temporal"]
    (start, end), = incidents["interval"]
    assert RFC3339.match(start) and end is None
    assert "temporal" not in http.get("/ogc/collections/regions").get_json()["extent"]  # no time
    missing = http.get("/ogc/collections/nope")
    assert missing.status_code == 404 and missing.get_json()["code"] == "NotFound"


def _items(http: Any, url: str, **headers: str) -> dict[str, Any]:
    response = http.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json(force=True)
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == len(body["features"]) and body["numberMatched"] >= body["numberReturned"]
    assert RFC3339.match(body["timeStamp"])
    assert any(link["rel"] == "self" for link in body["links"])
    return body


def _link(body: dict[str, Any], rel: str) -> str | None:
    found = [link["href"] for link in body["links"] if link["rel"] == rel]
    assert len(found) <= 1
    if not found:
        return None
    parts = urlsplit(found[0])
    return f"{parts.path}?{parts.query}"


def test_next_links_walk_every_feature_once_and_prev_walks_back(http: Any) -> None:
    first = _items(http, "/ogc/collections/incidents/items?limit=7")
    assert first["numberMatched"] == 31 and _link(first, "prev") is None  # 30 open, 1 closed in the window
    pages, url = [], "/ogc/collections/incidents/items?limit=7"
    while url:
        page = _items(http, url)
        assert page["numberReturned"] <= 7
        pages.append(page)
        url = _link(page, "next")
    ids = [f["id"] for page in pages for f in page["features"]]
    assert len(ids) == len(set(ids)) == 31 and ids == sorted(ids)
    assert [p["numberReturned"] for p in pages] == [7, 7, 7, 7, 3]
    back = _items(http, _link(pages[-1], "prev"))
    assert [f["id"] for f in back["features"]] == [f["id"] for f in pages[-2]["features"]]
    cursor = parse_qs(urlsplit(_link(pages[1], "next")).query)
    assert set(cursor) == {"limit", "cursor"}  # the query is kept, the cursor opaque


def test_a_closed_incident_is_served_in_its_window(http: Any) -> None:
    gone = http.get("/ogc/collections/incidents/items/GONE-1")
    assert gone.status_code == 200 and gone.get_json()["properties"]["status"] == "closed"
    assert gone.mimetype == "application/geo+json"
    assert RFC3339.match(gone.get_json()["properties"]["time"])
    assert {link["rel"] for link in gone.get_json()["links"]} >= {"self", "collection"}


def test_bbox_and_datetime_select(http: Any) -> None:
    everything = _items(http, "/ogc/collections/incidents/items?limit=100")["features"]
    west, south, east, north = BOX
    boxed = _items(http, f"/ogc/collections/incidents/items?bbox={west},{south},{east},{north}")
    assert {f["properties"]["region"] for f in boxed["features"]} == {"SA-01", "SA-02"}
    assert boxed["numberMatched"] == sum(f["properties"]["region"] in ("SA-01", "SA-02") for f in everything)
    times = sorted(_ms(f["properties"]["time"]) for f in everything)
    lo, hi = times[3], times[9]
    iso = lambda ms: datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")  # noqa: E731
    for query, chosen in [
        (f"{iso(lo)}/{iso(hi)}", [t for t in times if lo <= t <= hi]),
        (f"../{iso(hi)}", [t for t in times if t <= hi]),
        (f"{iso(lo)}/..", [t for t in times if t >= lo]),
        (f"{iso(lo)}/", [t for t in times if t >= lo]),
        (iso(lo), [lo]),
    ]:
        body = _items(http, f"/ogc/collections/incidents/items?datetime={query.replace('+', '%2B')}")
        assert sorted(_ms(f["properties"]["time"]) for f in body["features"]) == chosen, query
    day = datetime.fromtimestamp(lo / 1000, UTC).date().isoformat()
    assert _items(http, f"/ogc/collections/incidents/items?datetime={day}")["numberMatched"] >= 1
    timeless = _items(http, "/ogc/collections/regions/items?datetime=2026-01-01T00:00:00Z/..")
    assert timeless["numberMatched"] == 0
    riyadh = _items(http, "/ogc/collections/regions/items?bbox=46.6,24.6,46.8,24.8")  # polygons that meet it
    assert [f["id"] for f in riyadh["features"]] == ["SA-01"]
    assert _items(http, "/ogc/collections/incidents/items?bbox=170,-10,-170,10")["numberMatched"] == 0


@pytest.mark.parametrize("query", [
    "bbox=1,2,3", "bbox=1,2,3,4,5,6", "bbox=a,b,c,d", "bbox=0,95,1,96", "bbox=0,10,1,5", "bbox=nan,1,2,3",
    "datetime=yesterday", "datetime=2026-12-04T10:00:00",
    "datetime=2026-12-04T11:00:00Z/2026-12-04T10:00:00Z",
    "datetime=../..%2F..", "datetime=", "limit=0", "limit=-3", "limit=ten", "limit=%D9%A5", "cursor=zzz",
    "f=html", "unknown=1", "region=SA-01",
])
def test_a_bad_query_is_a_400_that_says_why(http: Any, query: str) -> None:
    response = http.get(f"/ogc/collections/incidents/items?{query}")
    assert response.status_code == 400, query
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue" and body["description"]


def test_limit(http: Any) -> None:
    assert _items(http, "/ogc/collections/incidents/items")["numberReturned"] == 31  # default 100 ≥ 31
    assert _items(http, "/ogc/collections/incidents/items?limit=2")["numberReturned"] == 2
    huge = _items(http, f"/ogc/collections/incidents/items?limit={MAX_LIMIT * 10}")  # served as the maximum
    assert huge["numberReturned"] == 31 and f"limit={MAX_LIMIT}" in _link(huge, "self")


def test_content_types_and_f(http: Any) -> None:
    geo = http.get("/ogc/collections/units/items?f=json")
    assert geo.status_code == 200 and geo.mimetype == "application/geo+json"
    plain = http.get("/ogc/collections/units/items", headers={"Accept": "application/json"})
    assert plain.mimetype == "application/json"
    assert http.get("/ogc/collections?f=json").status_code == 200
    assert http.get("/ogc/collections?bbox=1,2,3,4").status_code == 400  # not a parameter of this resource
    ports = _items(http, "/ogc/collections/ports/items?limit=100")
    assert ports["numberMatched"] == 34 and all(f["geometry"]["type"] == "Point" for f in ports["features"])


def test_alerts_are_features_the_nations_without_a_place(http: Any) -> None:
    alerts = _items(http, "/ogc/collections/alerts/items")["features"]
    by_kind = {f["properties"]["kind"]: f for f in alerts}
    assert by_kind["geofence"]["geometry"] == {"type": "Point", "coordinates": [39.826, 21.4225]}
    assert by_kind["stale_producer"]["geometry"] is None
    one = http.get(f"/ogc/collections/alerts/items/{by_kind['geofence']['id']}")
    assert one.status_code == 200 and one.get_json()["properties"]["severity"] == "severe"


def test_unknown_features_and_paths_are_json_404s(http: Any) -> None:
    for path in ("/ogc/collections/incidents/items/NOPE", "/ogc/collections/nope/items", "/ogc/nope/x",
                 "/ogc/collections/alerts/items/AL-999", "/ogc/collections/regions/items/SA-13"):
        response = http.get(path)
        assert response.status_code == 404 and response.mimetype == "application/json", path


def test_links_are_https_behind_a_trusted_tls_proxy(world: World) -> None:
    behind = create_app(world.settings.model_copy(update={"trusted_proxies": "127.0.0.1"})).test_client()
    forwarded = {"X-Forwarded-Proto": "https"}
    hrefs = [link["href"] for link in behind.get("/ogc", headers=forwarded).get_json()["links"]]
    assert hrefs and all(h.startswith("https://") for h in hrefs)
    page = behind.get("/ogc/collections/incidents/items?limit=5", headers=forwarded).get_json()
    assert _link_href(page, "next").startswith("https://")
    direct = world.http.get("/ogc", headers=forwarded).get_json()["links"]  # not from a trusted proxy
    assert all(link["href"].startswith("http://") for link in direct)


def _link_href(body: dict[str, Any], rel: str) -> str:
    return next(link["href"] for link in body["links"] if link["rel"] == rel)


def test_the_scope_is_the_tokens(commander: tuple[str, str, str]) -> None:
    import requests

    base, token, _national = commander
    mine = {"Authorization": f"Bearer {token}"}
    for path in ("/ogc", "/ogc/collections/incidents/items", "/ogc/api"):
        refused = requests.get(f"{base}{path}", timeout=10, allow_redirects=False)
        assert refused.status_code == 401 and refused.headers["Content-Type"] == "application/json", path
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    for collection in ("incidents", "units", "ports", "regions"):
        body = requests.get(f"{base}/ogc/collections/{collection}/items", headers=mine, timeout=10).json()
        regions = {f["properties"].get("region", f["id"]) for f in body["features"]}
        assert regions <= {"SA-01"}, collection
    assert [f["id"] for f in requests.get(f"{base}/ogc/collections/regions/items", headers=mine,
                                          timeout=10).json()["features"]] == ["SA-01"]
    makkah = requests.get(f"{base}/ogc/collections/incidents/items/INC-001", headers=mine, timeout=10)
    assert makkah.status_code == 404  # Makkah's, beyond the token: the same answer as an unknown id
    alerts = requests.get(f"{base}/ogc/collections/alerts/items", headers=mine, timeout=10).json()["features"]
    assert [f["properties"]["kind"] for f in alerts] == ["stale_producer"]  # the nation's only
