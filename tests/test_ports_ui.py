"""The ports' pages without a browser: the what-if and CSV link helpers, the national view's rows and
strips, and the scope — on the real app over a real Redis with eight weeks of port history."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from pydantic import SecretStr

from app import create_app
from app.auth.guard import state
from app.auth.users import UsersFile
from app.pages.ports.charts import hour_label, nice_ticks
from app.pages.ports.layout import LEVELS, national_rows, strip_background
from app.pages.ports.plan import csv_href, whatif_of
from app.ports.plan import WhatIf
from app.ports.service import PortPlanner, planner
from tests.helpers import quick_hash

PASSWORD = "a long enough password"
HTTPS = "https://localhost"


# --- pure helpers ---------------------------------------------------------------------------------


def test_the_whatif_controls_make_the_whatif_and_ignore_anything_else() -> None:
    assert whatif_of(0, 0, 0).is_baseline
    assert whatif_of(30, 2, 1).describe() == {"pilgrims": "+30%", "counters_closed": 2, "lanes_closed": 1}
    # a hand-made request: values that are not choices count as no change
    assert whatif_of(37, -1, "2").is_baseline and whatif_of(None, True, 10_000).is_baseline


def test_the_csv_link_carries_the_whatif_the_api_reads_back() -> None:
    whatif = whatif_of(100, 3, 0)
    href = csv_href("land-king-fahd-causeway", whatif)
    parts = urlsplit(href)
    assert parts.path == "/api/v1/ports/land-king-fahd-causeway/plan.csv"
    query = dict(parse_qsl(parts.query))
    assert query["hours"] == "72" and WhatIf.parse(query) == whatif
    assert csv_href("air-jed", WhatIf()) == "/api/v1/ports/air-jed/plan.csv?hours=72"
    assert csv_href("a/b?c", WhatIf()).startswith("/api/v1/ports/a%2Fb%3Fc/plan.csv?")


def test_hours_are_named_in_riyadh_time_in_both_languages() -> None:
    hour = int(datetime(2025, 3, 6, 15, tzinfo=UTC).timestamp()) // 3600  # Thursday 18:00 Riyadh
    assert hour_label(hour, "en") == "Thu 18:00"
    assert hour_label(hour, "ar") == "الخميس ١٨:٠٠"
    values, text = nice_ticks(1234, "ar")
    assert values[-1] >= 1234 and text[1] == "٥٠٠"


def test_the_strip_runs_in_the_reading_direction_one_stop_pair_per_hour() -> None:
    levels = ("ok", "tight", "short", "capacity")
    ltr, rtl = strip_background(levels, "en"), strip_background(levels, "ar")
    assert ltr.startswith("linear-gradient(to right,") and rtl.startswith("linear-gradient(to left,")
    assert re.findall(r"#[0-9a-f]{6}", ltr) == [LEVELS[level] for level in levels]
    assert "0.000% 25.000%" in ltr and "75.000% 100.000%" in ltr
    assert strip_background((), "en") == "none"


# --- on a store with history --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def history(port_history):
    return port_history


def test_the_national_rows_are_the_pressure_order_with_each_ports_peak_shortfall(history) -> None:
    settings, store = history
    plans = PortPlanner.from_settings(settings, store)
    rows = national_rows(plans, store.ports.values())
    assert [r.port.id for r in rows] == [port for port, _ in plans.pressure(72)]
    for row in rows:
        plan = plans.plan(row.port.id, 72)
        assert len(row.levels) == 72 and set(row.levels) <= set(LEVELS)
        assert row.peak_short == int(plan.staff_short.max())
        if row.peak_short:
            assert plan.staff_short[row.peak_short_hour - plan.first_hour] == row.peak_short
            assert row.levels.count("short") + row.levels.count("capacity") >= 1
        else:
            assert row.peak_short_hour is None
    assert rows[0].summary.status == "short"  # the synthetic roster runs short somewhere


# --- the scope, through the real callbacks ------------------------------------------------------------


@pytest.fixture(scope="module")
def secured(history, tmp_path_factory):
    """The app with access control on, over the module's history: ``ryd`` commands Riyadh (SA-01) only."""
    settings, _store = history
    path = tmp_path_factory.mktemp("users") / "users.toml"
    edit = UsersFile(path)
    digest = quick_hash(PASSWORD)
    edit.put("users", "ryd", "commander", ["SA-01"], None, digest)
    edit.put("users", "lead", "leadership", None, None, digest)
    edit.save()
    return create_app(settings.model_copy(update={"auth_mode": "password", "users_file": path,
                                                  "secret_key": SecretStr("k" * 40)}))


def signed_in(app, name: str):
    http = app.test_client()
    page = http.get("/login", base_url=HTTPS)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True))
    http.post("/login", data={"user": name, "password": PASSWORD, "csrf": csrf[1]}, base_url=HTTPS)
    return http


def callback_body(app, output_part: str, values: dict[str, object], changed: str) -> dict:
    """The request the browser makes for the registered callback whose output names ``output_part``."""
    dash_app = state(app).dash_app
    key = next(k for k in dash_app.callback_map if output_part in k)
    spec = dash_app.callback_map[key]

    def item(dep: dict) -> dict:
        id_ = json.loads(dep["id"]) if dep["id"].startswith("{") else dep["id"]
        name = id_["layer"] if isinstance(id_, dict) else id_
        return {"id": id_, "property": dep["property"], "value": values.get(f"{name}.{dep['property']}")}

    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in key.strip(".").split("...")]
    return {"output": key, "outputs": outputs, "inputs": [item(d) for d in spec["inputs"]],
            "state": [item(d) for d in spec["state"]], "changedPropIds": [changed]}


def router_body(path: str, search: str = "") -> dict:
    return {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"},
                        {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": ["_pages_location.pathname"]}


def test_the_national_view_lists_only_the_viewers_ports(secured) -> None:
    listed = re.compile(r'"data-port":\s*"([^"]+)"')
    commander = signed_in(secured, "ryd").post("/_dash-update-component",
                                               json=router_body("/ports", "?lang=en"))
    assert commander.status_code == 200
    assert listed.findall(commander.get_data(as_text=True)) == ["air-ruh"]
    leader = signed_in(secured, "lead").post("/_dash-update-component", json=router_body("/ports"))
    assert len(listed.findall(leader.get_data(as_text=True))) == 34


def test_the_port_panel_and_its_plan_stay_closed_beyond_the_viewers_regions(secured) -> None:
    http = signed_in(secured, "ryd")
    hideout = {"lang": "en"}

    def panel(port: str):
        values = {"live-port-chosen.data": port, "ports.hideout": hideout, "live-port-panel.hidden": True}
        body = callback_body(secured, "live-port-name.children", values, "live-port-chosen.data")
        return http.post("/_dash-update-component", json=body)

    def plan(port: str):
        values = {"live-port-chosen.data": port, "live-port-tabs.value": "plan", "ports.hideout": hideout,
                  "live-port-plan-pilgrims.value": 30, "live-port-plan-counters.value": 0,
                  "live-port-plan-lanes.value": 0}
        return http.post("/_dash-update-component",
                         json=callback_body(secured, "live-port-plan-body.children", values,
                                            "live-port-plan-pilgrims.value"))

    theirs = panel("air-ruh")
    assert theirs.status_code == 200 and "King Khalid" in theirs.get_data(as_text=True)
    foreign = panel("air-jed")
    assert foreign.status_code == 200
    body = foreign.get_json()["response"]
    assert body["live-port-panel"]["hidden"] is True
    assert "King Abdulaziz" not in foreign.get_data(as_text=True)

    drawn = plan("air-ruh")
    assert drawn.status_code == 200 and "basira-plan-verdicts" in drawn.get_data(as_text=True)
    assert "pilgrims=%2B30%25" in drawn.get_data(as_text=True)
    assert plan("air-jed").status_code == 204  # nothing computed, nothing sent


def test_the_planner_is_the_apps_one(history) -> None:
    settings, _store = history
    app = create_app(settings)
    assert planner(app) is planner(app)
