"""The ports API on the real app (create_app) against a real Redis: forecast, CSV plan, national view."""

from __future__ import annotations

import csv
import io

import pytest

from app import create_app


@pytest.fixture(scope="module")
def backfilled(port_history):
    """An app over eight weeks of synthetic port history (shared by the module's tests; read-only)."""
    settings, _store = port_history
    return create_app(settings).test_client()


@pytest.mark.parametrize(
    ("url", "status", "needle"),
    [
        ("/api/v1/ports/nowhere/forecast", 404, "unknown port 'nowhere'"),
        ("/api/v1/ports/nowhere/plan.csv", 404, "unknown port"),
        ("/api/v1/ports/air-jed/forecast?hours=0", 400, "hours must be a whole number from 1 to 168"),
        ("/api/v1/ports/air-jed/forecast?hours=169", 400, "from 1 to 168"),
        ("/api/v1/ports/air-jed/forecast?hours=abc", 400, "got 'abc'"),
        ("/api/v1/ports/air-jed/forecast?hours=-5", 400, "from 1 to 168"),
        ("/api/v1/ports/air-jed/plan.csv?hours=500", 400, "from 1 to 168"),
        ("/api/v1/ports/pressure?hours=0", 400, "from 1 to 168"),
        ("/api/v1/ports/air-jed/forecast?pilgrims=lots", 400, "pilgrims: expected a change in percent"),
        ("/api/v1/ports/air-jed/forecast?counters_closed=two", 400, "counters_closed"),
    ],
)
def test_inputs_are_validated(backfilled, url, status, needle):
    response = backfilled.get(url)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert needle in response.get_json()["error"]


def test_forecast_gives_hourly_predictions_staff_and_roster(backfilled):
    body = backfilled.get("/api/v1/ports/land-king-fahd-causeway/forecast?hours=72").get_json()
    assert body["port"]["name_ar"] == "جسر الملك فهد" and body["demo"] is True
    assert body["hours"] == 72 and len(body["hourly"]) == 72 and body["first_hour"].endswith("+03:00")
    assert body["model"]["history_hours"] >= 50 * 24
    assert [s["shift"] for s in body["planning"]["shifts"]] == ["00–08", "08–16", "16–24"]
    hour = body["hourly"][0]
    for side in ("arrival", "departure"):
        assert 0 <= hour[side]["lower"] <= hour[side]["travellers"] <= hour[side]["upper"]
        fields = {"citizen", "resident", "visitor", "pilgrim", "vehicles", "counters_needed", "lanes_needed"}
        assert fields <= set(hour[side])
    assert hour["staff_short"] == max(0, hour["staff_needed"] - hour["staff_rostered"])
    assert sum(h["arrival"]["travellers"] for h in body["hourly"]) > 72 * 500  # a busy crossing
    assert body["summary"]["status"] in ("ok", "tight", "short")


def test_whatif_recomputes_the_plan(backfilled):
    base = backfilled.get("/api/v1/ports/air-jed/forecast?hours=24").get_json()
    busier = backfilled.get("/api/v1/ports/air-jed/forecast?hours=24&pilgrims=%2B50%25").get_json()
    assert busier["whatif"] == {"pilgrims": "+50%"}
    need = [h["staff_needed"] for h in base["hourly"]]
    more = [h["staff_needed"] for h in busier["hourly"]]
    assert all(m >= n for m, n in zip(more, need, strict=True)) and sum(more) > sum(need)
    closed = backfilled.get("/api/v1/ports/air-jed/forecast?hours=24&counters_closed=40").get_json()
    assert closed["planning"]["counters"]["arrival"] == base["planning"]["counters"]["arrival"] - 40
    assert closed["summary"]["capacity_short_hours"] > 0 and closed["summary"]["status"] == "short"


def test_plan_csv_opens_in_excel(backfilled):
    response = backfilled.get("/api/v1/ports/land-king-fahd-causeway/plan.csv?hours=24&visitors=-10%25")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="basira-plan-land-king-fahd-causeway-' in response.headers["Content-Disposition"]
    raw = response.data
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 1 + 24
    header = rows[0]
    assert header[:3] == ["Port", "المنفذ", "Scenario · السيناريو"]
    assert "Officers short · العجز في الأفراد" in header and len(set(header)) == len(header)
    first = dict(zip(header, rows[1], strict=True))
    assert first["المنفذ"] == "جسر الملك فهد" and first["Scenario · السيناريو"] == "visitors -10%"
    assert first["Hour (Riyadh) · الساعة"].endswith(":00")
    assert int(first["Officers needed · الأفراد المطلوبون"]) > 0


def test_pressure_lists_every_port_worst_first(backfilled):
    body = backfilled.get("/api/v1/ports/pressure?hours=72").get_json()
    ports = body["ports"]
    assert len(ports) == 34 and body["hours"] == 72
    order = {"short": 0, "tight": 1, "ok": 2}
    keys = [(order[p["status"]], -p["short_officer_hours"], -p["capacity_short_hours"], -p["pressure"])
            for p in ports]
    assert keys == sorted(keys)
    fields = {"id", "name_ar", "name_en", "region", "pressure", "worst_hour", "peak_travellers", "status"}
    assert fields <= set(ports[0])


def test_store_down_is_a_503_not_a_traceback(settings):
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    client = create_app(down).test_client()
    response = client.get("/api/v1/ports/air-jed/forecast?hours=24")
    assert response.status_code == 503 and "unavailable" in response.get_json()["error"]
