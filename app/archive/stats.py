"""After-action figures over the archive, with DuckDB: what a window of time looked like, and how it
compares with the same window a week and a Hijri year earlier.

Everything here reads the Parquet archive (:mod:`.layout`) — only the hours a question needs — and
answers plain data (dicts, lists, numbers; times in epoch ms, durations in seconds). The leadership
brief (:mod:`app.brief`) draws it; the command view's compare panel can too.

**Definitions** (the live store's, so a figure of yesterday means what the KPI strip meant then):

* An incident's life follows the ingest rule (``app/store/lua.py`` ``APPLY_INCIDENTS``): per id, in
  order of receipt (``entry_ms``, ``entry_seq``), an entry applies only if its ``ts`` is not older
  than the newest applied so far; *opened* is the ``ts`` of the first applied entry, *dispatched* and
  *on scene* the ``ts`` of the first applied entry with that status; it is *closed* when its latest
  applied entry says so. Its region, agency, category and priority are those of its latest applied
  entry; its *units* are the most units any applied entry names (the most committed to it at once).
* To know when an incident seen in a window was opened, entries received up to :data:`LOOKBACK_MS`
  before the window are read too (an incident opened longer before that is taken as opened at its
  first entry in that span); entries received up to :data:`LATE_MS` after the window's end still
  count for it (late deliveries).
* **Counts** by region, agency, category, priority and hour: incidents *opened* in the window.
* **Call-to-dispatch** (opened → dispatched) and **call-to-scene** (opened → on scene): incidents that
  reached that state in the window (the KPI strip's rule), as p50/p90 (:func:`app.kpis.percentile`)
  and the share within the target; ``state`` is ``meets`` when p90 is within the target, ``near`` when
  only the median is, ``misses`` otherwise, ``none`` without data.
* **Calls**: each call id once (its first entry), by the time it was received (``ts``); answered
  within 15 s / 20 s as shares of the answered calls; calls have no agency, so an agency scope counts
  the calls of its regions.
* **Ports**: travellers are summed per entry (each entry counts an interval); a port's *peak hour* is
  the hour of the window with most travellers (both directions); its *max wait* the largest
  ``wait_min`` reported in the window, against the planning table's ``target_wait_min``.
* **Most serious incidents** (:func:`summary`'s ``serious``): incidents with an applied change in
  the window, ranked by priority (1 first), then units (the most at once; more first), then length of
  life (opened → closed, or → the window's end while still open; longer first), then id.
* A window is *archived* when at least one of its hours has a partition in any stream
  (``archived_hours``); a comparison window that is not answers ``None`` ("no data").

Windows are half-open ``[start_ms, end_ms)``. :func:`day_window` gives the brief's: a Riyadh calendar
day (00:00–24:00, UTC+3), or, for today, the 24 hours ending now.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from hijridate import Gregorian

from .. import hijri
from ..contract import INPUT_STREAMS, REGION_CODES, Agency, Category, Scope, Stream
from ..kpis import percentile
from . import layout

if TYPE_CHECKING:
    from ..planning import Planning
    from ..settings import Settings

HOUR_MS = layout.HOUR_MS
DAY_MS = layout.DAY_MS
WEEK_MS = 7 * DAY_MS
#: Riyadh's clock: UTC+3 all year (no daylight saving).
RIYADH = timezone(timedelta(hours=3), "Asia/Riyadh")
RIYADH_OFFSET_MS = 3 * HOUR_MS
#: How far before a window incident entries are read, to find when its incidents were opened.
LOOKBACK_MS = 12 * HOUR_MS
#: Entries received this long after a window's end still count for it (late deliveries).
LATE_MS = HOUR_MS
#: How many incidents :func:`summary` ranks as the most serious.
SERIOUS = 5


@dataclass(frozen=True)
class Targets:
    """The response targets figures are judged against (seconds): ``dispatch_target_s`` and
    ``response_target_s`` of the settings."""

    dispatch_s: float = 90.0
    response_s: float = 600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Targets:
        return cls(settings.dispatch_target_s, settings.response_target_s)


#: The settings' defaults (tests and tools without settings).
DEFAULT_TARGETS = Targets()


@dataclass(frozen=True)
class Window:
    """A span of time, ``[start_ms, end_ms)`` in epoch ms."""

    start_ms: int
    end_ms: int

    def __post_init__(self) -> None:
        if self.end_ms <= self.start_ms:
            raise ValueError("a window must end after it starts")

    def shifted(self, ms: int) -> Window:
        return Window(self.start_ms + ms, self.end_ms + ms)

    @property
    def hours(self) -> int:
        """How many one-hour slices the window has (the last may be shorter)."""
        return -(-(self.end_ms - self.start_ms) // HOUR_MS)

    def describe(self) -> dict[str, int]:
        return {"start_ms": self.start_ms, "end_ms": self.end_ms}


def riyadh_day(ms: int) -> date:
    """The Riyadh calendar day of an instant."""
    return datetime.fromtimestamp(ms / 1000, RIYADH).date()


def day_start_ms(day: date) -> int:
    """00:00 Riyadh of ``day``, in epoch ms."""
    return int(datetime(day.year, day.month, day.day, tzinfo=RIYADH).timestamp() * 1000)


def day_window(day: date, now_ms: int | None = None) -> Window:
    """The brief's window for ``day``: the Riyadh day 00:00–24:00 (UTC+3); when ``day`` is today, the
    24 hours ending now (a morning brief then covers last night whole, not six hours of today)."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if day == riyadh_day(now_ms):
        return Window(now_ms - DAY_MS, now_ms)
    start = day_start_ms(day)
    return Window(start, start + DAY_MS)


def week_before(window: Window) -> Window:
    return window.shifted(-WEEK_MS)


def hijri_year_before(window: Window) -> Window | None:
    """The same window on the same Hijri (Umm al-Qura) date a year earlier — Ramadan's 3rd night
    against last year's 3rd night of Ramadan — or ``None`` outside the calendar's tables. A 30th of
    a month that had 29 days last year maps to its 29th."""
    day = riyadh_day(window.start_ms)
    try:
        h = Gregorian(day.year, day.month, day.day).to_hijri()
    except (ValueError, OverflowError):
        return None
    then = hijri.hijri_day(h.year - 1, h.month, h.day)
    if then is None and h.day == 30:
        then = hijri.hijri_day(h.year - 1, h.month, 29)
    if then is None:
        return None
    return window.shifted((then - hijri.to_day(day)) * DAY_MS)


# --- reading ----------------------------------------------------------------------------------------


def paths(root: Path, stream: Stream, start_ms: int, end_ms: int) -> list[str]:
    """The Parquet files of ``stream`` received in ``[start_ms, end_ms)`` — by hour folder, so a
    question about one day opens one day's files (and a few hours around it), not the archive."""
    found: list[str] = []
    for hour in range(start_ms // HOUR_MS, (end_ms - 1) // HOUR_MS + 1):
        found += [str(p) for p in layout.files(layout.partition(root, stream, hour))]
    return found


def archived_hours(root: Path, window: Window) -> int:
    """How many hours of ``window`` have a partition in any stream (0: the archive has nothing then)."""
    count = 0
    for hour in range(window.start_ms // HOUR_MS, (window.end_ms - 1) // HOUR_MS + 1):
        if any(layout.partition(root, s, hour).is_dir() for s in INPUT_STREAMS):
            count += 1
    return count


def bound(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The ``params`` that ``sql`` names (``$name``): DuckDB refuses a parameter a query does not use."""
    return {name: value for name, value in params.items() if re.search(rf"\${name}\b", sql)}


def query(sql: str, params: dict[str, Any]) -> list[tuple]:
    """Rows of one query, on a cursor of its own: the web app asks from many threads at once, and a
    DuckDB cursor may serve one thread while a shared connection may not (a cursor costs ~2 ms, a new
    in-memory database ~30)."""
    cursor = duckdb.cursor()
    try:
        return cursor.execute(sql, bound(sql, params)).fetchall()
    finally:
        cursor.close()


def _scope_params(scope: Scope) -> dict[str, Any]:
    return {"regions": list(scope.regions), "agencies": list(scope.agencies)}


#: Incident lives from their entries (the ingest rule; see the module docstring). Parameters: ``paths``,
#: ``received_by`` (entries received later are not read), ``start``/``end`` (the window, for ``active``).
LIFE_SQL = """
WITH raw AS (
    SELECT id, entry_ms * 1000000 + entry_seq AS k, ts, status, region, agency, category, priority,
           lat, lon, units
    FROM read_parquet($paths, hive_partitioning = 0)
    WHERE entry_ms < $received_by
), marked AS (
    SELECT *, max(ts) OVER (PARTITION BY id ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
              AS held
    FROM raw
), applied AS (
    SELECT * FROM marked WHERE held IS NULL OR ts >= held
)
SELECT id,
       min(ts) AS opened,
       min(ts) FILTER (WHERE status = 'dispatched') AS dispatched,
       min(ts) FILTER (WHERE status = 'on_scene') AS on_scene,
       arg_max(status, k) AS status,
       max(ts) AS last_ts,
       arg_max(region, k) AS region,
       arg_max(agency, k) AS agency,
       arg_max(category, k) AS category,
       arg_max(priority, k)::INTEGER AS priority,
       arg_max(lat, k) AS lat,
       arg_max(lon, k) AS lon,
       bool_or(ts >= $start AND ts < $end) AS active,
       coalesce(max(len(string_split(units, ','))), 0)::INTEGER AS units  -- NULL when none (the archiver)
FROM applied
GROUP BY id
"""


class Lives:
    """The incident lives behind a window's figures, held in an in-memory DuckDB table ``life`` (one
    row per incident in scope), so each figure is one small query over it."""

    COLUMNS = ("id", "opened", "dispatched", "on_scene", "status", "last_ts", "region", "agency",
               "category", "priority", "lat", "lon", "active", "units")

    def __init__(self, root: Path, window: Window, scope: Scope) -> None:
        self.window = window
        self.db = duckdb.cursor()  # its temporary table is its own
        files = paths(root, Stream.incidents, window.start_ms - LOOKBACK_MS, window.end_ms + LATE_MS)
        if files:
            self.db.execute(
                f"CREATE TEMP TABLE life AS SELECT * FROM ({LIFE_SQL}) "
                "WHERE list_contains($regions, region) AND list_contains($agencies, agency)",
                {"paths": files, "received_by": window.end_ms + LATE_MS, "start": window.start_ms,
                 "end": window.end_ms, **_scope_params(scope)},
            )
        else:  # nothing archived then: the same (empty) table
            self.db.execute(
                "CREATE TEMP TABLE life (id VARCHAR, opened BIGINT, dispatched BIGINT, on_scene BIGINT, "
                "status VARCHAR, last_ts BIGINT, region VARCHAR, agency VARCHAR, category VARCHAR, "
                "priority INTEGER, lat DOUBLE, lon DOUBLE, active BOOLEAN, units INTEGER)"
            )

    def close(self) -> None:
        self.db.close()

    def _rows(self, sql: str, **params: Any) -> list[tuple]:
        given = {"start": self.window.start_ms, "end": self.window.end_ms, **params}
        return self.db.execute(sql, bound(sql, given)).fetchall()

    def opened_by(self, column: str) -> dict[str, int]:
        """Incidents opened in the window, by ``region``, ``agency``, ``category`` or ``priority``."""
        assert column in ("region", "agency", "category", "priority")
        rows = self._rows(f"SELECT {column}, count(*) FROM life WHERE opened >= $start AND opened < $end "
                          f"GROUP BY {column}")
        return {str(key): int(n) for key, n in rows}

    def opened_by_hour(self) -> list[int]:
        """Incidents opened in each hour of the window, from its start."""
        counts = [0] * self.window.hours
        for bucket, n in self._rows("SELECT (opened - $start) // 3600000, count(*) FROM life "
                                    "WHERE opened >= $start AND opened < $end GROUP BY 1"):
            counts[int(bucket)] = int(n)
        return counts

    def durations(self, until: str) -> dict[str, list[int]]:
        """ms from opening to ``dispatched`` or ``on_scene``, of the incidents that reached it in the
        window, by region (``"*"``: all of them)."""
        assert until in ("dispatched", "on_scene")
        out: dict[str, list[int]] = {"*": []}
        for region, ms in self._rows(f"SELECT region, {until} - opened FROM life "
                                     f"WHERE {until} >= $start AND {until} < $end ORDER BY 2"):
            out["*"].append(int(ms))
            out.setdefault(region, []).append(int(ms))
        return out

    def serious(self, n: int = SERIOUS) -> list[dict[str, Any]]:
        """The ``n`` most serious incidents with a change in the window (the module docstring's rank)."""
        rows = self._rows(
            "SELECT *, (CASE WHEN status = 'closed' THEN last_ts ELSE greatest($end, last_ts) END) - opened "
            "AS life_ms FROM life WHERE active "
            "ORDER BY priority, units DESC, life_ms DESC, id LIMIT $n", n=n)
        out = []
        for row in rows:
            item = dict(zip((*self.COLUMNS, "life_ms"), row, strict=True))
            item["closed"] = item["last_ts"] if item["status"] == "closed" else None
            out.append(item)
        return out


def judge(values: list[int], target_s: float) -> dict[str, Any]:
    """Durations (ms) against a target (s): n, p50, p90 (s), the share within, and the state."""
    p50, p90 = percentile(values, 50), percentile(values, 90)
    within = sum(v <= target_s * 1000 for v in values) / len(values) if values else None
    if p90 is None or p50 is None:
        state = "none"
    elif p90 <= target_s:
        state = "meets"
    elif p50 <= target_s:
        state = "near"
    else:
        state = "misses"
    return {"n": len(values), "p50_s": p50, "p90_s": p90, "within": within, "target_s": target_s,
            "state": state}


CALLS_SQL = """
SELECT region,
       count(*) AS total,
       count(answered_ts) AS answered,
       count(*) FILTER (WHERE answered_ts - ts <= 15000) AS within_15s,
       count(*) FILTER (WHERE answered_ts - ts <= 20000) AS within_20s,
       count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned
FROM (
    SELECT * FROM read_parquet($paths, hive_partitioning = 0)
    QUALIFY row_number() OVER (PARTITION BY id ORDER BY entry_ms, entry_seq) = 1
)
WHERE ts >= $start AND ts < $end AND list_contains($regions, region)
GROUP BY region
"""


def calls(root: Path, window: Window, scope: Scope) -> dict[str, Any]:
    """The window's 911 calls in the scope's regions: totals, answer shares, abandoned; by region."""
    files = paths(root, Stream.calls, window.start_ms - HOUR_MS, window.end_ms + LATE_MS)
    rows = query(CALLS_SQL, {"paths": files, "start": window.start_ms, "end": window.end_ms,
                             "regions": list(scope.regions)}) if files else []
    names = ("total", "answered", "within_15s", "within_20s", "abandoned")
    by_region = {region: dict(zip(names, map(int, values), strict=True)) for region, *values in rows}
    total = {name: sum(r[name] for r in by_region.values()) for name in names}
    answered = total["answered"]
    return {
        **total,
        "answered_15s_share": total["within_15s"] / answered if answered else None,
        "answered_20s_share": total["within_20s"] / answered if answered else None,
        "by_region": by_region,
    }


PORTS_SQL = """
SELECT port, (ts - $start) // 3600000 AS bucket, direction,
       sum(travellers)::BIGINT AS travellers, max(wait_min) AS wait, arg_max(ts, wait_min) AS wait_at
FROM (
    SELECT * FROM read_parquet($paths, hive_partitioning = 0)
    QUALIFY row_number() OVER (PARTITION BY entry_ms, entry_seq) = 1
)
WHERE ts >= $start AND ts < $end AND list_contains($regions, region)
GROUP BY ALL
"""


def ports(root: Path, window: Window, scope: Scope, planning: Planning | None = None) -> dict[str, Any]:
    """Travellers through the scope's ports in the window: per port its total (by direction), peak
    hour and max wait against its target wait (``planning``: the planning table, when at hand).
    ``ports`` lists the ports with travellers, busiest first."""
    files = paths(root, Stream.ports, window.start_ms - HOUR_MS, window.end_ms + LATE_MS)
    rows = query(PORTS_SQL, {"paths": files, "start": window.start_ms, "end": window.end_ms,
                             "regions": list(scope.regions)}) if files else []
    by_port: dict[str, dict[str, Any]] = {}
    for port, bucket, direction, travellers, wait, wait_at in rows:
        item = by_port.setdefault(port, {
            "id": port, "travellers": 0, "arrivals": 0, "departures": 0,
            "by_hour": [0] * window.hours, "max_wait_min": None, "max_wait_at": None,
            "hours_over": 0, "_over": set(),
        })
        item["travellers"] += int(travellers)
        item["arrivals" if direction == "arrival" else "departures"] += int(travellers)
        item["by_hour"][int(bucket)] += int(travellers)
        if wait is not None and (item["max_wait_min"] is None or wait > item["max_wait_min"]):
            item["max_wait_min"], item["max_wait_at"] = float(wait), int(wait_at)
        target = _target_wait(planning, port)
        if wait is not None and target is not None and wait > target:
            item["_over"].add(int(bucket))
    out = []
    for item in by_port.values():
        peak = max(range(len(item["by_hour"])), key=lambda b: (item["by_hour"][b], -b))
        target = _target_wait(planning, item["id"])
        item.update(
            peak_hour_ms=window.start_ms + peak * HOUR_MS, peak_travellers=item["by_hour"][peak],
            target_wait_min=target, hours_over=len(item.pop("_over")),
            over_target=None if target is None or item["max_wait_min"] is None
            else item["max_wait_min"] > target,
        )
        out.append(item)
    out.sort(key=lambda p: (-p["travellers"], p["id"]))
    return {"travellers": sum(p["travellers"] for p in out), "ports": out}


def _target_wait(planning: Planning | None, port: str) -> float | None:
    if planning is None or port not in planning.ports:
        return None
    return planning.ports[port].target_wait_min


# --- a window's figures, and comparisons -----------------------------------------------------------


def summary(root: Path, window: Window, scope: Scope, targets: Targets = DEFAULT_TARGETS, *,
            planning: Planning | None = None, serious: int = SERIOUS) -> dict[str, Any]:
    """Everything the brief says about one window, for ``scope``::

        {"window": {"start_ms", "end_ms"}, "hours": 24, "archived_hours": 24,
         "incidents": {"opened": 812, "by_region": {"SA-01": 201, …}, "by_agency": {…},
                       "by_category": {…}, "by_priority": {"1": 40, …}, "by_hour": [31, 25, …]},
         "dispatch": judge(…), "response": judge(…),          # see judge(): n, p50_s, p90_s, within, state
         "regions": {"SA-01": {"opened": 201, "dispatch": judge(…), "response": judge(…)}, …},
         "calls": calls(…), "ports": ports(…),
         "serious": [{"id", "priority", "units", "opened", "dispatched", "on_scene", "closed",
                      "status", "region", "agency", "category", "lat", "lon", "life_ms", …}, …]}

    ``regions`` has every region of the scope (``outside`` only when something happened there)."""
    lives = Lives(root, window, scope)
    try:
        by_region = lives.opened_by("region")
        dispatch, response = lives.durations("dispatched"), lives.durations("on_scene")
        regions = {
            code: {"opened": by_region.get(code, 0),
                   "dispatch": judge(dispatch.get(code, []), targets.dispatch_s),
                   "response": judge(response.get(code, []), targets.response_s)}
            for code in scope.regions
            if code in REGION_CODES or by_region.get(code) or code in dispatch or code in response
        }
        by_priority = lives.opened_by("priority")
        result = {
            "window": window.describe(),
            "hours": window.hours,
            "archived_hours": archived_hours(root, window),
            "incidents": {
                "opened": sum(by_region.values()),
                "by_region": by_region,
                "by_agency": _ordered(lives.opened_by("agency"), [a.value for a in Agency]),
                "by_category": _ordered(lives.opened_by("category"), [c.value for c in Category]),
                "by_priority": {str(p): by_priority.get(str(p), 0) for p in range(1, 5)},
                "by_hour": lives.opened_by_hour(),
            },
            "dispatch": judge(dispatch["*"], targets.dispatch_s),
            "response": judge(response["*"], targets.response_s),
            "regions": regions,
            "calls": calls(root, window, scope),
            "ports": ports(root, window, scope, planning),
            "serious": lives.serious(serious),
        }
    finally:
        lives.close()
    return result


def _ordered(counts: dict[str, int], names: Iterable[str]) -> dict[str, int]:
    """Every name, in the contract's order, with its count (0 when none)."""
    return {name: counts.get(name, 0) for name in names}


#: The headline figures :func:`compare` sets side by side (paths into a summary).
HEADLINES: tuple[tuple[str, ...], ...] = (
    ("incidents", "opened"),
    ("dispatch", "p50_s"), ("dispatch", "p90_s"), ("dispatch", "within"),
    ("response", "p50_s"), ("response", "p90_s"), ("response", "within"),
    ("calls", "total"), ("calls", "answered_15s_share"), ("calls", "abandoned"),
    ("ports", "travellers"),
)


def pick(summary_: dict[str, Any], path: Sequence[str]) -> Any:
    """The figure at ``path`` in a summary (``("dispatch", "p90_s")``), or ``None``."""
    value: Any = summary_
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def delta(now: float | None, then: float | None) -> dict[str, float | None]:
    """``now - then`` and the relative change (``None`` when either is missing, or ``then`` is 0)."""
    if now is None or then is None:
        return {"change": None, "ratio": None}
    return {"change": now - then, "ratio": (now - then) / then if then else None}


def compare(root: Path, window: Window, scope: Scope, targets: Targets = DEFAULT_TARGETS, *,
            planning: Planning | None = None, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """``window`` beside the same window a week earlier and a Hijri year earlier::

        {"now": summary, "week": summary | None, "hijri": summary | None,
         "windows": {"now": {...}, "week": {...}, "hijri": {...} | None},
         "deltas": {"week": {"incidents.opened": {"change", "ratio"}, …,
                             "by_region": {"SA-01": {"change", "ratio"}, …},
                             "by_agency": {…}, "by_category": {…}},
                    "hijri": … | None}}

    A comparison window the archive does not reach (no partition in any of its hours) is ``None``
    and so are its deltas: the brief says "no data". ``current``: ``window``'s summary when the
    caller already has it."""
    now = current if current is not None else summary(root, window, scope, targets, planning=planning)
    windows = {"now": window, "week": week_before(window), "hijri": hijri_year_before(window)}
    described = {name: w.describe() if w else None for name, w in windows.items()}
    out: dict[str, Any] = {"now": now, "windows": described, "deltas": {}}
    for name in ("week", "hijri"):
        then_window = windows[name]
        then = None
        if then_window is not None and archived_hours(root, then_window):
            then = summary(root, then_window, scope, targets, planning=planning, serious=0)
        out[name] = then
        out["deltas"][name] = None if then is None else _deltas(now, then)
    return out


def _deltas(now: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {".".join(path): delta(pick(now, path), pick(then, path)) for path in HEADLINES}
    for part in ("by_region", "by_agency", "by_category"):
        a, b = now["incidents"][part], then["incidents"][part]
        out[part] = {key: delta(a.get(key, 0), b.get(key, 0)) for key in sorted(set(a) | set(b))}
    return out


def archive_span(root: Path) -> tuple[int, int] | None:
    """The first and last epoch hour any stream has a partition of, or ``None`` for an empty archive
    (reads folder names only)."""
    found: list[int] = []
    for stream in INPUT_STREAMS:
        hours = [hour for hour, _ in layout.hours(root, stream)]
        if hours:
            found += [hours[0], hours[-1]]
    return (min(found), max(found)) if found else None


__all__ = [
    "DAY_MS", "DEFAULT_TARGETS", "HOUR_MS", "LATE_MS", "LOOKBACK_MS", "RIYADH", "SERIOUS", "WEEK_MS",
    "Lives", "Targets", "Window", "archive_span", "archived_hours", "bound", "calls", "compare",
    "day_start_ms", "day_window", "delta", "hijri_year_before", "judge", "paths", "pick", "ports", "query",
    "riyadh_day", "summary", "week_before",
]  # fmt: skip
