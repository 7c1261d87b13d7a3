"""The planning file and the staffing plan: Erlang C per hour against the roster, and the what-if."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from app.geo import load_ports
from app.planning import PlanningError, load_planning
from app.ports.forecast import Forecast
from app.ports.plan import WhatIf, WhatIfError, make_plan, summarise
from app.ports.seasons import to_day
from app.settings import DATA_DIR

PORT_IDS = frozenset(load_ports(DATA_DIR / "ksa_ports.csv"))
HEADER = ("port,counters_arrival,counters_departure,lanes_arrival,lanes_departure,sec_citizen,sec_resident,"
          "sec_visitor,sec_pilgrim,sec_vehicle,officers_per_position,target_share,target_wait_min,"
          "staff_00_08,staff_08_16,staff_16_24")
#: 2026-11-29 00:00 Riyadh as an epoch hour.
MIDNIGHT = to_day(date(2026, 11, 29)) * 24 - 3


@pytest.fixture(scope="module")
def planning():
    return load_planning(DATA_DIR / "ksa_port_planning.csv", PORT_IDS)


def flat_forecast(travellers_per_h: float, pilgrim_share: float = 0.25, hours: int = 24,
                  vehicles_per_h: float = 0.0) -> Forecast:
    mix = np.array([0.3, 0.3, 0.15, 0.0])
    mix = mix / mix.sum() * (1 - pilgrim_share)
    mix[3] = pilgrim_share
    mean = np.zeros((hours, 2, 5))
    mean[:, :, :4] = travellers_per_h * mix
    mean[:, :, 4] = vehicles_per_h
    total = mean[:, :, :4].sum(axis=2)
    return Forecast(MIDNIGHT, mean, total * 0.9, total * 1.1, hours, 0)


def test_the_bundled_planning_file_covers_every_port(planning):
    assert set(planning.ports) == PORT_IDS
    assert [s.label for s in planning.shifts] == ["00–08", "08–16", "16–24"]
    jed = planning.ports["air-jed"]
    assert jed.counters[0] > 10 and jed.lanes == (0, 0) and jed.target_share == 0.9
    assert planning.ports["land-king-fahd-causeway"].lanes[0] > 0
    assert planning.shift_of(7) == 0 and planning.shift_of(8) == 1 and planning.shift_of(23) == 2


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("air-jed,10,10,0,0,35,60,110,140,90,1,0.9,15,5,5,5\n", "no planning row for"),
        ("nowhere,1,1,0,0,35,60,110,140,90,1,0.9,15,5,5,5\n", "unknown port 'nowhere'"),
        ("air-jed,ten,10,0,0,35,60,110,140,90,1,0.9,15,5,5,5\n", "line 2, counters_arrival: expected a"),
        ("air-jed,10,10,0,0,35,60,110,140,90,1,1.5,15,5,5,5\n", "target_share: 1.5 is outside"),
    ],
)
def test_planning_mistakes_are_named(tmp_path: Path, body, needle):
    path = tmp_path / "planning.csv"
    path.write_text(HEADER + "\n" + body, encoding="utf-8")
    with pytest.raises(PlanningError, match=needle):
        load_planning(path, PORT_IDS)


def test_shift_columns_must_cover_the_day(tmp_path: Path):
    path = tmp_path / "planning.csv"
    path.write_text(HEADER.replace("staff_16_24", "staff_16_22") + "\n", encoding="utf-8")
    with pytest.raises(PlanningError, match="end at 22"):
        load_planning(path, PORT_IDS)


def test_plan_follows_erlang_c_and_the_roster(planning):
    port = planning.ports["air-jed"]
    plan = make_plan(port, planning, flat_forecast(1500.0), 24)
    assert plan.hours == 24
    # 1500 an hour at ~75 s each is ~31 erlangs: a few more counters than that for 90% within 15 min
    assert 31 < plan.counters_needed[0, 0] < 40
    assert (plan.staff_needed == plan.counters_needed.sum(axis=1)).all()  # one officer per counter
    assert plan.staff_rostered[0] == port.roster[0] and plan.staff_rostered[12] == port.roster[1]
    assert (plan.staff_short == np.maximum(0, plan.staff_needed - plan.staff_rostered)).all()
    assert (plan.staff_needed_upper >= plan.staff_needed).all()


def test_more_pilgrims_need_more_officers(planning):
    port = planning.ports["air-jed"]
    base = make_plan(port, planning, flat_forecast(1500.0), 24)
    busier = make_plan(port, planning, flat_forecast(1500.0), 24, WhatIf.parse({"pilgrims": "+30%"}))
    assert busier.travellers.sum() == pytest.approx(base.travellers.sum() * (1 + 0.3 * 0.25))
    more, less = busier.staff_needed, base.staff_needed
    assert (more >= less).all() and more.sum() > less.sum()
    # pilgrims take longer than the average traveller: more officers than the extra heads alone
    assert more.sum() / less.sum() > busier.travellers.sum() / base.travellers.sum()


def test_closing_lanes_caps_capacity(planning):
    port = planning.ports["land-king-fahd-causeway"]
    forecast = flat_forecast(3000.0, pilgrim_share=0.01, vehicles_per_h=1300.0)
    base = make_plan(port, planning, forecast, 24)
    assert base.capacity_short.max() == 0
    needed = int(base.lanes_needed.max())
    closed = port.lanes[0] - needed + 3  # leaves three lanes fewer than needed at the busiest hour
    shut = make_plan(port, planning, forecast, 24, WhatIf.parse({"lanes_closed": str(closed)}))
    assert (shut.lanes_open == np.maximum(0, np.array(port.lanes) - closed)).all()
    assert shut.capacity_short.max() >= 3
    # officers cannot staff lanes that are shut: fewer are needed, and the summary says "short"
    assert shut.staff_needed.sum() < base.staff_needed.sum()
    assert summarise(shut).status == "short" and summarise(shut).capacity_short_hours > 0


def test_whatif_parsing():
    assert WhatIf.parse({}).is_baseline
    w = WhatIf.parse({"pilgrims": "+30%", "visitors": "-10", "counters_closed": "2", "other": "x"})
    assert w.scale[3] == pytest.approx(1.3) and w.scale[2] == pytest.approx(0.9) and w.counters_closed == 2
    assert w.describe() == {"visitors": "-10%", "pilgrims": "+30%", "counters_closed": 2}
    for bad in ({"pilgrims": "lots"}, {"pilgrims": "+2000%"}, {"lanes_closed": "-1"},
                {"counters_closed": "1.5"}):
        with pytest.raises(WhatIfError):
            WhatIf.parse(bad)


def test_no_traffic_needs_no_one(planning):
    plan = make_plan(planning.ports["air-tif"], planning, flat_forecast(0.0), 6)
    assert not plan.staff_needed.any() and summarise(plan).status == "ok"
