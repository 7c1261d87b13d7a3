"""The nearest available units of an incident (issue 14): the ETA model's numbers, the ranking and its
rules, ``GET /api/v1/incidents/<id>/nearest`` with access control on, and the command view's list and
lines — against a real Redis (the entries go in through the streams and the ingest worker), no mocks.

The model's numbers are checked as stated in ``app/nearest.py`` and ``docs/nearest.md``; a change of one
of them should fail here first, and be a decision.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from app import create_app
from app.auth.users import UsersFile, hash_token, new_token
from app.contract import Scope, Stream
from app.geo import City
from app.nearest import (
    MAX_N,
    MODEL,
    Areas,
    areas_of,
    candidates_scope,
    haversine_m,
    lower_bound_s,
    rank,
    suggest,
    trip,
)
from app.pages.command import nearest as panel
from app.reference import Reference
from app.store import Store
from tests.browser import feed
from tests.helpers import callback_body, html_components, incident, now_ms, unit

MINUTE = 60_000
KM_PER_DEG_LAT = math.pi * 6371.0 / 180  # 111.19 km

# --- the model's numbers -------------------------------------------------------------------------------


def test_the_models_numbers_are_the_stated_ones() -> None:
    assert MODEL.circuity == 1.3
    assert MODEL.speeds_kmh == {"urban": 30.0, "town": 50.0, "rural": 90.0}
    assert MODEL.max_position_age_s == 600.0  # ten minutes: twenty missed 30-second reports
    assert MODEL.city_population == 100_000 and MODEL.outskirts == 1.5
    described = MODEL.describe()
    assert described["circuity"] == 1.3 and described["speeds_kmh"]["rural"] == 90.0
    assert described["max_position_age_s"] == 600.0


@pytest.mark.parametrize(("population", "km"), [
    (4_205_961, 21.3),  # Riyadh
    (1_578_722, 14.4),  # Makkah
    (1_000_000, 12.0),
    (100_000, 4.8),
    (20_000, 2.5),
    (5_000, 2.0),  # never below 2 km
])
def test_a_places_radius_grows_with_the_power_0_4_of_its_population(population: int, km: float) -> None:
    assert MODEL.radius_km(population) == pytest.approx(km, abs=0.05)


def test_great_circle_distance() -> None:
    assert haversine_m(0, 0, 1, 0) == pytest.approx(KM_PER_DEG_LAT * 1000, rel=1e-9)
    assert haversine_m(0, 0, 0, 90) == pytest.approx(math.pi / 2 * 6_371_000, rel=1e-9)
    riyadh_jeddah = haversine_m(24.68773, 46.72185, 21.49012, 39.18624)
    assert 840_000 < riyadh_jeddah < 860_000  # ~850 km as the crow flies
    assert haversine_m(21.5, 39.2, 21.5, 39.2) == 0.0


def _offset(lat: float, lon: float, east_km: float = 0.0, north_km: float = 0.0) -> tuple[float, float]:
    return lat + north_km / KM_PER_DEG_LAT, lon + east_km / (KM_PER_DEG_LAT * math.cos(math.radians(lat)))


#: One city of a million people (urban within 12 km, town-speed outskirts to 18 km) and one town of
#: 20,000 (2.5 km) 100 km east of it, in the middle of nowhere.
CITY = City("City", "مدينة", "SA-01", 24.0, 46.0, 1_000_000)
TOWN = City("Town", "بلدة", "SA-01", *_offset(24.0, 46.0, east_km=100), 20_000)


@pytest.fixture(scope="module")
def areas() -> Areas:
    return Areas([CITY, TOWN])


def test_each_area_speed_and_the_circuity(areas: Areas) -> None:
    desert = _offset(24.0, 46.0, north_km=60)
    far = _offset(*desert, north_km=10)
    open_road = trip(areas, *far, *desert)
    assert open_road.distance_m == pytest.approx(10_000, rel=1e-3)
    assert open_road.road_m == pytest.approx(13_000, rel=1e-3)
    assert open_road.eta_s == pytest.approx(13_000 / (90 / 3.6), rel=1e-3)  # 520 s
    assert open_road.area == "rural"
    across = trip(areas, *_offset(24.0, 46.0, east_km=-1), *_offset(24.0, 46.0, east_km=1))
    assert across.eta_s == pytest.approx(2_600 / (30 / 3.6), rel=1e-3)  # 312 s
    assert across.area == "urban"
    in_town = trip(areas, *_offset(TOWN.lat, TOWN.lon, north_km=-1), *_offset(TOWN.lat, TOWN.lon, north_km=1))
    assert in_town.eta_s == pytest.approx(2_600 / (50 / 3.6), rel=1e-3)
    assert in_town.area == "town"


def test_a_trip_is_split_where_it_crosses_each_areas_edge(areas: Areas) -> None:
    """From 30 km north into the city's centre: 12 km of open road, 6 of outskirts, 12 of city."""
    shares = areas.split(*_offset(24.0, 46.0, north_km=30), 24.0, 46.0)
    assert shares == pytest.approx({"rural": 0.4, "town": 0.2, "urban": 0.4}, abs=0.002)
    into = trip(areas, *_offset(24.0, 46.0, north_km=30), 24.0, 46.0)
    expected = 39_000 * (0.4 / (90 / 3.6) + 0.2 / (50 / 3.6) + 0.4 / (30 / 3.6))
    assert into.eta_s == pytest.approx(expected, rel=0.005)
    assert into.road_by_area_m == pytest.approx({"rural": 15_600, "town": 7_800, "urban": 15_600}, abs=80)
    # straight through the city, and past the town without touching it
    through = areas.split(*_offset(24.0, 46.0, east_km=-30), *_offset(24.0, 46.0, east_km=30))
    assert through == pytest.approx({"rural": 24 / 60, "town": 12 / 60, "urban": 24 / 60}, abs=0.002)
    assert areas.split(*_offset(TOWN.lat, TOWN.lon, north_km=5), *_offset(TOWN.lat, TOWN.lon, north_km=10))[
        "rural"] == 1.0


def test_area_types_from_the_projects_places() -> None:
    areas = areas_of(Reference.bundled())
    riyadh = (24.68773, 46.72185)
    assert areas.area_of(*riyadh) == "urban"
    assert areas.area_of(*_offset(*riyadh, north_km=26)) == "town"  # past 21 km, within 32: the outskirts
    assert areas.area_of(*_offset(*riyadh, north_km=45)) == "rural"
    assert areas.area_of(25.97, 45.0) == "rural"  # the desert west of Shaqra
    assert areas.area_of(21.42664, 39.82563) == "urban"  # Makkah
    assert areas.area_of(26.4, 43.5) in ("town", "rural")
    khabra = next(c for c in Reference.bundled().cities if c.name_en == "Al Khabra")  # 16,906 people
    assert areas.area_of(khabra.lat, khabra.lon) == "town"
    assert areas_of(Reference.bundled()) is areas  # built once per set of files


# --- the ranking ---------------------------------------------------------------------------------------


def _feature(kind: str, id: str, lat: float, lon: float, **props: Any) -> dict[str, Any]:
    base = {"region": "SA-01", "agency": "traffic"}
    if kind == "unit":
        base |= {"status": "available", "ts": NOW}
    else:
        base |= {"status": "new", "priority": 1, "category": "collision"}
    return {"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {**base, **props}}


NOW = 1_750_000_000_000
EVERYWHERE = Scope()


def _ids(ranking) -> list[str]:  # noqa: ANN001
    return [s.id for s in ranking.units]


def test_the_fastest_arrival_comes_first_not_the_nearest(areas: Areas) -> None:
    """An incident 11 km east of the city's centre, near its edge: a unit 14 km away across the city takes
    36 min; one 16 km away out on the open road 20 min. The ETA ranks, not the distance."""
    scene = _feature("incident", "I", *_offset(24.0, 46.0, east_km=11))
    across = _feature("unit", "A-CITY", *_offset(24.0, 46.0, east_km=-3))
    outside = _feature("unit", "B-ROAD", *_offset(24.0, 46.0, east_km=27))
    ranking = rank(scene, [across, outside], areas, scope=EVERYWHERE, now_ms=NOW)
    assert _ids(ranking) == ["B-ROAD", "A-CITY"]
    road, city = ranking.units
    assert road.distance_m > city.distance_m
    assert road.eta_s == pytest.approx(20_800 * (9 / 16 / 25 + 6 / 16 / (50 / 3.6) + 1 / 16 / (30 / 3.6)),
                                       rel=0.005)
    assert city.eta_s == pytest.approx(18_200 / (30 / 3.6), rel=0.005)
    assert (road.rank, city.rank) == (1, 2)
    assert road.area == "rural" and city.area == "urban"
    assert abs(city.road_m - city.distance_m * 1.3) <= 1


def test_only_available_units_of_the_incidents_agency_in_scope_with_a_known_position(areas: Areas) -> None:
    here = (24.0, 46.0)
    scene = _feature("incident", "I", *here)
    near = _offset(*here, east_km=0.2)
    units = [
        _feature("unit", "OK-FAR", *_offset(*here, east_km=5)),
        _feature("unit", "OOS", *near, status="out_of_service"),
        _feature("unit", "DISPATCHED", *near, status="dispatched", incident="X"),
        _feature("unit", "ON-SCENE", *near, status="on_scene", incident="X"),
        _feature("unit", "PATROL", *near, agency="patrol"),
        _feature("unit", "OTHER-REGION", *near, region="SA-02"),
        _feature("unit", "STALE", *near, ts=NOW - 11 * MINUTE),
        _feature("unit", "NO-TS", *near, ts=None),
        {"type": "Feature", "id": "NO-GEOMETRY", "geometry": None,
         "properties": {"region": "SA-01", "agency": "traffic", "status": "available", "ts": NOW}},
        _feature("unit", "FRESH-ENOUGH", *_offset(*here, east_km=1), ts=NOW - 9 * MINUTE),
        _feature("unit", "AHEAD", *_offset(*here, east_km=2), ts=NOW + 5_000),  # a clock a little ahead
    ]
    riyadh_only = Scope(None, None, ("SA-01",), None)
    ranking = rank(scene, units, areas, scope=riyadh_only, now_ms=NOW, n=MAX_N)
    assert _ids(ranking) == ["FRESH-ENOUGH", "AHEAD", "OK-FAR"]
    assert ranking.excluded == {"not_available": 3, "stale": 1, "no_position": 2}  # nothing about the rest
    assert [s.position_age_s for s in ranking.units] == [540.0, 0.0, 0.0]
    assert all(s.status == "available" and s.agency == "traffic" for s in ranking.units)
    # the same units for a viewer of both regions: the other region's unit now counts
    both = Scope(None, None, ("SA-01", "SA-02"), None)
    assert _ids(rank(scene, units, areas, scope=both, now_ms=NOW, n=MAX_N))[0] == "OTHER-REGION"
    # a scope without the agency: nothing at all
    patrol_only = Scope(None, None, ("SA-01",), ("patrol",))
    assert _ids(rank(scene, units, areas, scope=patrol_only, now_ms=NOW, n=MAX_N)) == []


def test_n_and_ties_are_deterministic(areas: Areas) -> None:
    here = (24.0, 46.0)
    scene = _feature("incident", "I", *here)
    spot = _offset(*here, north_km=2)
    units = [_feature("unit", name, *spot) for name in ("U-C", "U-A", "U-B")]
    units.append(_feature("unit", "U-FAR", *_offset(*here, north_km=3)))
    for order in (units, list(reversed(units))):
        assert _ids(rank(scene, order, areas, scope=EVERYWHERE, now_ms=NOW)) == ["U-A", "U-B", "U-C"]
    assert _ids(rank(scene, units, areas, scope=EVERYWHERE, now_ms=NOW, n=1)) == ["U-A"]
    assert len(rank(scene, units, areas, scope=EVERYWHERE, now_ms=NOW, n=50).units) == 4


def test_the_search_that_stops_early_finds_what_trying_every_unit_finds() -> None:
    areas = areas_of(Reference.bundled())
    rng = random.Random(14)
    for _round in range(20):
        lat, lon = rng.uniform(21.0, 26.0), rng.uniform(39.0, 50.0)
        scene = _feature("incident", "I", lat, lon)
        units = [_feature("unit", f"U{k:03d}", lat + rng.gauss(0, 0.6), lon + rng.gauss(0, 0.6))
                 for k in range(150)]
        n = rng.choice((1, 3, 5, 20))
        ranked = rank(scene, units, areas, scope=EVERYWHERE, now_ms=NOW, n=n)
        every = sorted(
            (round(trip(areas, *reversed(u["geometry"]["coordinates"]), lat, lon).eta_s, 1),
             round(haversine_m(*reversed(u["geometry"]["coordinates"]), lat, lon), 3), u["id"])
            for u in units
        )
        assert [(s.eta_s, s.id) for s in ranked.units] == [(e, i) for e, _d, i in every[:n]]
        for s in ranked.units:
            assert s.eta_s >= lower_bound_s(s.distance_m, MODEL) - 0.1


def test_a_closed_incident_gets_no_suggestion_and_says_so(areas: Areas) -> None:
    scene = _feature("incident", "I", 24.0, 46.0, status="closed")
    ranking = rank(scene, [_feature("unit", "U", 24.0, 46.01)], areas, scope=EVERYWHERE, now_ms=NOW)
    assert ranking.closed and ranking.units == []
    assert "closed" in ranking.as_dict()["note"]


def test_candidates_are_read_in_every_region_of_the_scope_for_the_incidents_agency_only() -> None:
    assert candidates_scope(Scope(), "traffic") == Scope(None, "traffic", Scope().regions, None)
    limited = Scope(None, None, ("SA-01", "SA-02"), ("traffic", "patrol"))
    assert candidates_scope(limited, "patrol").regions == ("SA-01", "SA-02")
    assert candidates_scope(limited, "patrol").agencies == ("patrol",)
    assert candidates_scope(limited, "civil_defense") is None


# --- through the store and the API, access control on --------------------------------------------------

JEDDAH = (21.5433, 39.1728)
MAKKAH = (21.4225, 39.8262)
MADINAH = (24.4686, 39.6142)
RIYADH = (24.7136, 46.6753)
#: token name → (regions, agencies)
TOKENS = {
    "makkah": (["SA-02"], None),
    "west": (["SA-02", "SA-03"], None),
    "riyadh": (["SA-01"], None),
    "makkah-patrol": (["SA-02"], ["patrol"]),
}


def _scene(client, settings) -> None:  # noqa: ANN001
    """A traffic incident in Jeddah, and units of every kind around it and further away."""
    now = now_ms()

    def at(point: tuple[float, float], east_km: float = 0.0, north_km: float = 0.0) -> dict[str, str]:
        lat, lon = _offset(*point, east_km=east_km, north_km=north_km)
        return {"lat": f"{lat:.5f}", "lon": f"{lon:.5f}"}

    units = [
        unit("T-NEAR", agency="traffic", **at(JEDDAH, east_km=1.5)),
        unit("T-MID", agency="traffic", **at(JEDDAH, east_km=6)),  # (south is "outside": the coast)
        unit("T-FAR", agency="traffic", **at(JEDDAH, north_km=15)),
        unit("T-OOS", agency="traffic", status="out_of_service", **at(JEDDAH, east_km=0.3)),
        unit("T-DISPATCHED", agency="traffic", status="dispatched", incident="X1", **at(JEDDAH, east_km=0.4)),
        unit("T-SCENE", agency="traffic", status="on_scene", incident="X2", **at(JEDDAH, east_km=0.2)),
        unit("T-STALE", agency="traffic", ts=now - 11 * MINUTE, **at(JEDDAH, east_km=0.5)),
        unit("P-NEAR", agency="patrol", **at(JEDDAH, east_km=0.1)),
        unit("T-MAKKAH", agency="traffic", **at(MAKKAH)),
        unit("T-MADINAH", agency="traffic", **at(MADINAH)),
        unit("T-RIYADH", agency="traffic", **at(RIYADH)),
    ]
    incidents = [
        incident("J1", agency="traffic", category="collision", priority=2, lat=JEDDAH[0], lon=JEDDAH[1]),
        incident("J2", agency="traffic", lat=JEDDAH[0], lon=JEDDAH[1], ts=now - 5 * MINUTE),
        incident("J2", agency="traffic", lat=JEDDAH[0], lon=JEDDAH[1], status="closed"),
    ]
    feed(client, settings, {Stream.incidents: incidents, Stream.units: units})


@pytest.fixture
def world(client, settings, tmp_path) -> Iterator[tuple[Any, Any, dict[str, dict[str, str]]]]:  # noqa: ANN001
    """The scene, and the app with access control on and one bearer token per :data:`TOKENS` entry."""
    _scene(client, settings)
    edit = UsersFile(tmp_path / "users.toml")
    headers = {}
    for name, (regions, agencies) in TOKENS.items():
        token = new_token()
        edit.put("tokens", name, "commander", regions, agencies, hash_token(token))
        headers[name] = {"Authorization": f"Bearer {token}"}
    edit.save()
    secured = settings.model_copy(update={"auth_mode": "password", "users_file": tmp_path / "users.toml",
                                          "secret_key": SecretStr("k" * 40)})
    yield create_app(secured), secured, headers


def _get(app, path: str, headers: dict[str, str]):  # noqa: ANN001, ANN202
    return app.test_client().get(path, headers=headers)


def test_the_api_ranks_the_available_units_in_the_callers_scope(world) -> None:
    app, _settings, headers = world
    reply = _get(app, "/api/v1/incidents/J1/nearest?n=3", headers["makkah"])
    assert reply.status_code == 200 and reply.is_json
    body = reply.get_json()
    assert body["incident"] == "J1" and body["agency"] == "traffic" and body["closed"] is False
    assert isinstance(body["at"], int)
    assert body["model"]["circuity"] == 1.3
    assert body["model"]["speeds_kmh"] == {"urban": 30.0, "town": 50.0, "rural": 90.0}
    assert body["model"]["max_position_age_s"] == 600.0
    assert [u["id"] for u in body["units"]] == ["T-NEAR", "T-MID", "T-FAR"]
    first = body["units"][0]
    assert set(first) >= {"id", "agency", "status", "region", "lon", "lat", "distance_m", "road_m", "eta_s",
                          "area", "position_age_s"}
    assert first["status"] == "available" and first["region"] == "SA-02" and first["area"] == "urban"
    assert 1_400 < first["distance_m"] < 1_600
    assert first["road_m"] == pytest.approx(first["distance_m"] * 1.3, abs=1)
    assert first["eta_s"] == pytest.approx(first["road_m"] / (30 / 3.6), rel=0.01)
    assert [u["eta_s"] for u in body["units"]] == sorted(u["eta_s"] for u in body["units"])
    assert body["excluded"] == {"not_available": 3, "stale": 1, "no_position": 0}
    # the default is 3, and up to 20 may be asked for; the caller's scope bounds the candidates
    assert len(_get(app, "/api/v1/incidents/J1/nearest", headers["makkah"]).get_json()["units"]) == 3

    def ids(who: str) -> list[str]:
        body = _get(app, "/api/v1/incidents/J1/nearest?n=20", headers[who]).get_json()
        return [u["id"] for u in body["units"]]

    assert ids("makkah") == ["T-NEAR", "T-MID", "T-FAR", "T-MAKKAH"]  # never Madinah's, Riyadh's, the rest
    assert ids("west") == ["T-NEAR", "T-MID", "T-FAR", "T-MAKKAH", "T-MADINAH"]  # across the border, in scope


@pytest.mark.parametrize("n", ["0", "21", "-1", "three", "", "2.5", "٣"])
def test_a_bad_n_is_a_400_with_a_reason(world, n: str) -> None:
    app, _settings, headers = world
    reply = _get(app, f"/api/v1/incidents/J1/nearest?n={n}", headers["makkah"])
    assert reply.status_code == 400 and "n must be a whole number from 1 to 20" in reply.get_json()["error"]


def test_an_unknown_incident_or_one_outside_the_scope_is_a_404(world) -> None:
    app, _settings, headers = world
    for who, path in (("makkah", "/api/v1/incidents/NOPE/nearest"),
                      ("riyadh", "/api/v1/incidents/J1/nearest"),  # another region's
                      ("makkah-patrol", "/api/v1/incidents/J1/nearest")):  # another agency's
        reply = _get(app, path, headers[who])
        assert reply.status_code == 404, who
        assert reply.get_json() == {"error": f"no incident {path.split('/')[4]!r} in your scope"}
    assert app.test_client().get("/api/v1/incidents/J1/nearest").status_code == 401


def test_a_closed_incident_answers_an_empty_list_and_says_so(world) -> None:
    app, _settings, headers = world
    body = _get(app, "/api/v1/incidents/J2/nearest", headers["makkah"]).get_json()
    assert body["closed"] is True and body["units"] == []
    assert body["note"] == "the incident is closed: no units are suggested"


def test_suggest_reads_through_the_store(client, settings) -> None:  # noqa: ANN001
    _scene(client, settings)
    store = Store.from_settings(settings)
    areas = areas_of(store.reference)
    ranking = suggest(store.live, areas, "J1", Scope(), n=5, now_ms=now_ms())
    assert ranking is not None
    assert [s.id for s in ranking.units] == ["T-NEAR", "T-MID", "T-FAR", "T-MAKKAH", "T-MADINAH"]
    assert suggest(store.live, areas, "J1", Scope(None, None, ("SA-01",), None), now_ms=now_ms()) is None


# --- the command view: the list under the card and the lines on the map --------------------------------


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _nodes(item)
    elif isinstance(node, dict) and "props" in node:
        yield node
        yield from _nodes(node["props"].get("children"))


def _plain(components: Any) -> Any:
    return json.loads(json.dumps(components, default=lambda c: c.to_plotly_json()))


def _text(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return " ".join(_text(n) for n in node)
    if isinstance(node, dict) and "props" in node:
        return _text(node["props"].get("children") or "")
    return ""


def _refresh(app, headers: dict[str, str], scope: dict[str, Any], lang: str = "en", shown: str | None = None,
             time: dict | None = None) -> dict[str, Any]:  # noqa: ANN001
    """The command view's refresh, posted as the browser posts it."""
    values = {"live-pulse.data": {"at": 1}, "live-lang.value": lang, "live-scope.data": scope,
              "live-time.data": time, "live-shown.data": shown}
    body = callback_body(app, "live-kpis-html.data", values, "live-pulse.data")
    reply = app.test_client().post("/_dash-update-component", json=body, headers=headers)
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    return reply.get_json()["response"]


def test_the_panel_lists_the_three_nearest_and_the_map_draws_their_lines(world) -> None:
    app, _settings, headers = world
    view = {"region": "SA-02", "agency": "traffic", "incident": "J1"}
    answer = _refresh(app, headers["makkah"], view)
    children = html_components(answer["live-incidents-html"]["data"])
    section = next(n for n in _nodes(children) if "basira-nearest" == n["props"].get("className"))
    rows = [n for n in _nodes(section) if n["props"].get("data-unit")]
    assert [r["props"]["data-unit"] for r in rows] == ["T-NEAR", "T-MID", "T-FAR"]
    assert "is-nearest" in rows[0]["props"]["className"] and "is-nearest" not in rows[1]["props"]["className"]
    text = _text(section)
    assert text.startswith("Nearest available units") and "Nearest" in _text(rows[0])
    assert "Available" in _text(rows[0]) and "1.5 km" in _text(rows[0]) and "ETA 4 min" in _text(rows[0])
    # the card comes first, then the list, then how it is estimated
    kinds = [n["props"].get("className") for n in children]
    assert kinds.index("basira-card") < kinds.index("basira-nearest") < kinds.index("basira-nearest-model")
    model = _text(children[kinds.index("basira-nearest-model")])
    assert "× 1.3" in model and "30 km/h in cities" in model and "over 10 min old" in model
    lines = [n for n in answer["live-nearest"]["children"] if n["type"] == "Polyline"]
    assert len(lines) == 3
    assert all(line["props"]["positions"][1] == [JEDDAH[0], JEDDAH[1]] for line in lines)
    nearest = [line for line in lines if "is-nearest" in line["props"]["className"]]
    near = _offset(*JEDDAH, east_km=1.5)  # where T-NEAR stands
    assert len(nearest) == 1 and nearest[0]["props"]["positions"][0] == pytest.approx(list(near), abs=1e-5)
    assert "T-NEAR: ETA 4 min (1.5 km)" in _text(nearest[0])

    # nothing changed: neither the card nor the lines are sent again (the digest)
    again = _refresh(app, headers["makkah"], view, shown=answer["live-shown"]["data"])
    assert "live-incidents-html" not in again and "live-nearest" not in again

    # back to the list: the lines go
    listed = _refresh(app, headers["makkah"], {"region": "SA-02", "agency": "traffic"},
                      shown=answer["live-shown"]["data"])
    assert listed["live-nearest"]["children"] == []


def test_the_panel_in_arabic(world) -> None:
    app, _settings, headers = world
    answer = _refresh(app, headers["makkah"], {"incident": "J1"}, lang="ar")
    section = next(n for n in _nodes(html_components(answer["live-incidents-html"]["data"]))
                   if n["props"].get("className") == "basira-nearest")
    text = _text(section)
    assert text.startswith("أقرب الوحدات المتاحة") and "الأقرب" in text
    assert "١٫٥ كم" in text and "الوصول خلال ٤ د" in text and "متاحة" in text
    assert not any(c.isascii() and c.isdigit() for c in text)  # Arabic-Indic digits only


def test_a_closed_incident_shows_no_units_and_says_so(world) -> None:
    app, _settings, headers = world
    answer = _refresh(app, headers["makkah"], {"incident": "J2"})
    panel = html_components(answer["live-incidents-html"]["data"])
    assert "The incident is closed: no units are suggested" in _text(panel)
    assert answer["live-nearest"]["children"] == []


def test_a_replay_shows_nothing_of_it(world) -> None:
    app, _settings, headers = world
    answer = _refresh(app, headers["makkah"], {"incident": "J1"}, time={"at": now_ms() - 3_600_000})
    assert answer["live-nearest"]["children"] == []
    assert "basira-nearest" not in json.dumps(answer.get("live-incidents-html", {}))


def test_the_lists_words_and_figures() -> None:
    assert panel.eta_minutes(1) == 1 and panel.eta_minutes(60) == 1 and panel.eta_minutes(61) == 2
    assert panel.distance_text(1_520, "en") == "1.5 km" and panel.distance_text(48_400, "en") == "48 km"
    assert panel.distance_text(1_520, "ar") == "١٫٥ كم"
    assert panel.section(None, "en") == [] and panel.lines(None, "en") == []
