"""A plan as data: hourly rows for the API, and the CSV a planner opens in Excel.

Times are Riyadh local (UTC+3, no daylight saving), written with their offset in JSON. The CSV is
UTF-8 with a byte-order mark — without it Excel reads UTF-8 as the local code page and the Arabic
turns to mojibake — with CRLF line ends, one header row in English and Arabic, and one row per hour.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from typing import Any

from ..geo import Port
from ..planning import Planning
from . import CATEGORIES, DIRECTIONS, HOUR_MS
from .plan import Plan, Summary

RIYADH = timezone(timedelta(hours=3), "AST")


def riyadh_time(hour: int) -> datetime:
    """The start of epoch hour ``hour`` in Riyadh."""
    return datetime.fromtimestamp(hour * 3600, RIYADH)


def iso(hour: int) -> str:
    return riyadh_time(hour).isoformat()


def _r(value: float) -> float:
    return round(float(value), 1)


def hour_rows(plan: Plan, planning: Planning) -> list[dict[str, Any]]:
    """One dict per hour: expected traffic per direction with its interval, positions and officers."""
    rows = []
    short, capacity = plan.staff_short, plan.capacity_short
    for h in range(plan.hours):
        row: dict[str, Any] = {
            "start": iso(plan.first_hour + h),
            "start_ms": (plan.first_hour + h) * HOUR_MS,
            "shift": planning.shifts[int(plan.shift[h])].label,
        }
        for d, direction in enumerate(DIRECTIONS):
            side: dict[str, Any] = {
                "travellers": _r(plan.travellers[h, d]),
                "lower": _r(plan.lower[h, d]),
                "upper": _r(plan.upper[h, d]),
            }
            side.update({c: _r(plan.by_category[h, d, i]) for i, c in enumerate(CATEGORIES)})
            side["vehicles"] = _r(plan.vehicles[h, d])
            side["counters_needed"] = int(plan.counters_needed[h, d])
            side["lanes_needed"] = int(plan.lanes_needed[h, d])
            row[direction] = side
        row.update(
            staff_needed=int(plan.staff_needed[h]),
            staff_needed_upper=int(plan.staff_needed_upper[h]),
            staff_rostered=int(plan.staff_rostered[h]),
            staff_short=int(short[h]),
            capacity_short=int(capacity[h]),
        )
        rows.append(row)
    return rows


def summary_dict(summary: Summary) -> dict[str, Any]:
    return {
        "status": summary.status,
        "pressure": summary.pressure,
        "worst_hour": iso(summary.worst_hour),
        "peak_travellers": summary.peak_travellers,
        "peak_hour": iso(summary.peak_hour),
        "staff_needed_max": summary.staff_needed_max,
        "short_hours": summary.short_hours,
        "short_officer_hours": summary.short_officer_hours,
        "capacity_short_hours": summary.capacity_short_hours,
    }


#: (key in an hour row or a direction's dict, header): the CSV's columns, in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("date", "Date (Riyadh) · التاريخ"),
    ("time", "Hour (Riyadh) · الساعة"),
    ("shift", "Shift · الوردية"),
    ("arrival.travellers", "Arrivals expected · القادمون المتوقعون"),
    ("arrival.lower", "Arrivals low (80%) · الحد الأدنى للقادمين"),
    ("arrival.upper", "Arrivals high (80%) · الحد الأعلى للقادمين"),
    ("arrival.pilgrim", "Arriving pilgrims · الحجاج والمعتمرون القادمون"),
    ("arrival.vehicles", "Arriving vehicles · المركبات القادمة"),
    ("departure.travellers", "Departures expected · المغادرون المتوقعون"),
    ("departure.lower", "Departures low (80%) · الحد الأدنى للمغادرين"),
    ("departure.upper", "Departures high (80%) · الحد الأعلى للمغادرين"),
    ("departure.pilgrim", "Departing pilgrims · الحجاج والمعتمرون المغادرون"),
    ("departure.vehicles", "Departing vehicles · المركبات المغادرة"),
    ("arrival.counters_needed", "Arrival counters needed · منصات القدوم المطلوبة"),
    ("departure.counters_needed", "Departure counters needed · منصات المغادرة المطلوبة"),
    ("arrival.lanes_needed", "Arrival vehicle lanes needed · مسارات القدوم المطلوبة"),
    ("departure.lanes_needed", "Departure vehicle lanes needed · مسارات المغادرة المطلوبة"),
    ("staff_needed", "Officers needed · الأفراد المطلوبون"),
    ("staff_needed_upper", "Officers needed (high) · الأفراد المطلوبون (الحد الأعلى)"),
    ("staff_rostered", "Officers rostered · الأفراد المجدولون"),
    ("staff_short", "Officers short · العجز في الأفراد"),
    ("capacity_short", "Positions short · العجز في المنصات والمسارات"),
)


def plan_csv(plan: Plan, planning: Planning, port: Port) -> bytes:
    """The plan as CSV bytes for Excel (BOM, CRLF), headed by the port and the scenario."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    scenario = "; ".join(f"{k} {v}" for k, v in plan.whatif.describe().items()) or "baseline · الأساس"
    writer.writerow(["Port", "المنفذ", "Scenario · السيناريو", *(h for _, h in COLUMNS)])
    for row in hour_rows(plan, planning):
        start = datetime.fromisoformat(row["start"])
        flat = {"date": start.strftime("%Y-%m-%d"), "time": start.strftime("%H:00"), **row}
        values = []
        for key, _ in COLUMNS:
            if "." in key:
                side, name = key.split(".")
                value = flat[side][name]
            else:
                value = flat[key]
            values.append(round(value) if isinstance(value, float) else value)
        writer.writerow([port.name_en, port.name_ar, scenario, *values])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
