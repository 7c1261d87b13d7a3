"""One incident's whole life, from the archive: the incident timeline.

The command view (live or replayed) and the leadership brief draw it from one call::

    timeline(root, incident_id, around_ms, scope=None, *, targets=DEFAULT_TARGETS, max_hours=48, now_ms=None)
        -> dict | None

``around_ms`` is a moment the caller knows the incident existed (the replay cursor, now, or its
opening time): the archive is searched from that hour, backwards in growing steps (1, 2, 4 … hours)
until the opening entry is found, and forwards until the closing one, never further than
``max_hours`` either way nor past ``now_ms`` — so a click reads a handful of hour folders, not the
archive. ``None`` when the incident is not found in reach **or lies outside** ``scope`` (callers
answer 404 for both: nothing tells an outsider that the id exists).

The answer, plain data (times in epoch ms; durations in seconds)::

    {
      "id": "T1",
      "region": "SA-02", "agency": "civil_defense", "category": "fire", "priority": 1,
      "lat": 21.42, "lon": 39.82, "description": "Kitchen fire",      # its latest applied entry
      "status": "closed",                                              # latest applied status
      "opened": 1764824400000, "dispatched": …, "on_scene": …, "closed": … | None,
      "statuses": [{"status": "new", "ts": …, "received_ms": …}, …],   # each change of status applied
      "ignored": 0,            # entries not applied: older than the state held when they arrived
      "units": [{"id": "CD-MKH-12", "agency": "civil_defense",
                 "assigned": …, "released": … | None,                  # first and last named for it
                 "arrived": … | None,   # its own on-scene report, else the incident's on scene
                 "track": [[lon, lat, ts], …]}, …],                    # assigned → arrived, ≤ 200 points
      "dispatch": {"seconds": 64.0 | None, "target_s": 90.0, "met": True | None},   # call-to-dispatch
      "response": {"seconds": 410.0 | None, "target_s": 600.0, "met": True | None}, # call-to-scene
      "thinned": False,        # a track passed through hours whose positions are thinned
      "complete": True,        # the opening entry ("new") was found
    }

The rules are the live store's (``app/store/lua.py`` ``APPLY_INCIDENTS``, :mod:`.stats`): in order of
receipt, an entry applies only if its ``ts`` is not older than the one held; opened, dispatched and
on scene are the ``ts`` of the first applied entry (with that status). A unit is *assigned* from the
first applied entry that lists it (or its own first report naming the incident, if earlier) and
*released* at the first applied entry that no longer lists it; its track is its reported positions
from assignment to arrival (its own first ``on_scene`` report for the incident, else the incident's
on scene), thinned evenly to :data:`MAX_TRACK_POINTS`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..contract import Scope, Stream
from .stats import DEFAULT_TARGETS, HOUR_MS, LATE_MS, Targets, paths, query

#: How far from ``around_ms`` the search goes, each way (hours).
MAX_HOURS = 48
#: Unit positions are read for at most this long after the first assignment.
TRACK_MAX_MS = 6 * HOUR_MS
#: A track longer than this is thinned evenly (first and last kept): enough for a drawn line.
MAX_TRACK_POINTS = 200

ENTRIES_SQL = """
SELECT entry_ms, entry_seq, ts, status, region, agency, category, priority, lat, lon, description, units
FROM read_parquet($paths, hive_partitioning = 0) WHERE id = $id
"""
UNITS_SQL = """
SELECT id, ts, status, agency, lat, lon, incident
FROM read_parquet($paths, hive_partitioning = 0)
WHERE (list_contains($units, id) OR incident = $incident) AND ts >= $start AND ts <= $end
ORDER BY id, ts, entry_ms, entry_seq
"""
ENTRY_FIELDS = ("entry_ms", "entry_seq", "ts", "status", "region", "agency", "category", "priority", "lat",
                "lon", "description", "units")


def _read(root: Path, incident_id: str, first_hour: int, last_hour: int) -> list[dict[str, Any]]:
    files = paths(root, Stream.incidents, first_hour * HOUR_MS, (last_hour + 1) * HOUR_MS)
    if not files:
        return []
    rows = query(ENTRIES_SQL, {"paths": files, "id": incident_id})
    return [dict(zip(ENTRY_FIELDS, row, strict=True)) for row in rows]


def find(root: Path, incident_id: str, around_ms: int, max_hours: int = MAX_HOURS,
         now_ms: int | None = None) -> list[dict[str, Any]]:
    """Every archived entry of ``incident_id`` near ``around_ms``, in order of receipt, each once.

    Backwards from ``around_ms``'s hour in steps of 1, 2, 4 … hours until the earliest entry found is
    an opening (``new``) one; forwards likewise until the latest is a closing one; ``max_hours`` each
    way at most, and never past ``now_ms``'s hour."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    anchor = around_ms // HOUR_MS
    found: dict[tuple[int, int], dict[str, Any]] = {}

    def add(first: int, last: int) -> list[dict[str, Any]]:
        for entry in _read(root, incident_id, first, last):
            found[(entry["entry_ms"], entry["entry_seq"])] = entry
        return [found[k] for k in sorted(found)]

    ordered: list[dict[str, Any]] = []
    high, step, lowest = anchor, 1, anchor - max_hours
    while high >= lowest and not (ordered and ordered[0]["status"] == "new"):
        low = max(lowest, high - step + 1)
        ordered = add(low, high)
        high, step = low - 1, step * 2
    low, step, highest = anchor + 1, 1, min(anchor + max_hours, now_ms // HOUR_MS)
    while low <= highest and not (ordered and ordered[-1]["status"] == "closed"):
        high = min(highest, low + step - 1)
        ordered = add(low, high)
        low, step = high + 1, step * 2
    return ordered


def _units_of(entry: dict[str, Any]) -> list[str]:
    return [u.strip() for u in (entry["units"] or "").split(",") if u.strip()]


def _judge(start: int | None, end: int | None, target_s: float) -> dict[str, Any]:
    seconds = (end - start) / 1000 if start is not None and end is not None else None
    return {"seconds": seconds, "target_s": target_s, "met": None if seconds is None else seconds <= target_s}


def _thin(points: list[list[float]], most: int = MAX_TRACK_POINTS) -> list[list[float]]:
    if len(points) <= most:
        return points
    step = (len(points) - 1) / (most - 1)
    return [points[round(i * step)] for i in range(most)]


def life(entries: list[dict[str, Any]], targets: Targets = DEFAULT_TARGETS) -> dict[str, Any] | None:
    """The timeline of an incident from its entries in order of receipt (without the units' tracks)."""
    applied: list[dict[str, Any]] = []
    ignored = 0
    for entry in entries:
        if applied and entry["ts"] < applied[-1]["ts"]:
            ignored += 1
            continue
        applied.append(entry)
    if not applied:
        return None
    latest = applied[-1]
    opened = applied[0]["ts"]
    first = {status: next((e["ts"] for e in applied if e["status"] == status), None)
             for status in ("dispatched", "on_scene")}
    statuses = []
    for entry in applied:
        if not statuses or statuses[-1]["status"] != entry["status"]:
            statuses.append({"status": entry["status"], "ts": entry["ts"], "received_ms": entry["entry_ms"]})
    # each unit's stint: from the first applied entry naming it to the first after that no longer does
    stints: dict[str, dict[str, Any]] = {}
    for entry in applied:
        named = _units_of(entry)
        for unit in named:
            stint = stints.setdefault(unit, {"id": unit, "agency": None, "assigned": entry["ts"],
                                             "released": None, "arrived": None, "track": []})
            stint["released"] = None
        for unit, stint in stints.items():
            if unit not in named and stint["released"] is None:
                stint["released"] = entry["ts"]
    closed = latest["ts"] if latest["status"] == "closed" else None
    return {
        "id": None,
        **{k: latest[k] for k in ("region", "agency", "category", "lat", "lon", "description")},
        "priority": int(latest["priority"]),
        "status": latest["status"],
        "opened": opened, "dispatched": first["dispatched"], "on_scene": first["on_scene"], "closed": closed,
        "statuses": statuses,
        "ignored": ignored,
        "units": list(stints.values()),
        "dispatch": _judge(opened, first["dispatched"], targets.dispatch_s),
        "response": _judge(opened, first["on_scene"], targets.response_s),
        "thinned": False,
        "complete": applied[0]["status"] == "new",
    }


def _with_incident(stint: dict[str, Any], on_scene: int | None) -> int | None:
    """A unit without an on-scene report of its own arrived with the incident's on scene, if it was
    assigned by then and not yet released."""
    if on_scene is None or stint["assigned"] > on_scene:
        return None
    return on_scene if stint["released"] is None or stint["released"] > on_scene else None


def tracks(root: Path, incident_id: str, story: dict[str, Any], now_ms: int) -> None:
    """Fill in each assigned unit's track, agency and arrival in ``story`` (from the units stream), and
    add units that reported the incident as theirs without being listed by it."""
    start = min([u["assigned"] for u in story["units"]] + [story["dispatched"] or story["opened"]])
    end = min(story["closed"] or story["on_scene"] or now_ms, start + TRACK_MAX_MS, now_ms)
    end = max(end, story["on_scene"] or end)
    files = paths(root, Stream.units, start - 60_000, end + LATE_MS)
    story["thinned"] = any(Path(f).name.startswith("thinned-") for f in files)
    params = {"paths": files, "units": [u["id"] for u in story["units"]], "incident": incident_id,
              "start": start - 60_000, "end": end}
    rows = query(UNITS_SQL, params) if files else []
    by_unit: dict[str, list[tuple]] = {}
    for row in rows:
        by_unit.setdefault(row[0], []).append(row)
    units = {u["id"]: u for u in story["units"]}
    for unit_id, reports in by_unit.items():
        own = [r for r in reports if r[6] == incident_id]
        stint = units.get(unit_id)
        if stint is None:
            if not own:
                continue
            stint = units[unit_id] = {"id": unit_id, "agency": None, "assigned": own[0][1], "released": None,
                                      "arrived": None, "track": []}
        elif own and own[0][1] < stint["assigned"]:
            stint["assigned"] = own[0][1]
        stint["agency"] = reports[-1][3]
        arrived = next((r[1] for r in own if r[2] == "on_scene" and r[1] >= stint["assigned"]), None)
        stint["arrived"] = arrived if arrived is not None else _with_incident(stint, story["on_scene"])
        until = stint["arrived"] if stint["arrived"] is not None else (stint["released"] or end)
        points: list[list[float]] = []
        for _, ts, _, _, lat, lon, _ in reports:
            if stint["assigned"] <= ts <= until and (not points or points[-1][2] != ts):
                points.append([lon, lat, ts])
        stint["track"] = _thin(points)
    for stint in units.values():
        stint["agency"] = stint["agency"] or story["agency"]
        if stint["id"] not in by_unit:
            stint["arrived"] = _with_incident(stint, story["on_scene"])
    story["units"] = sorted(units.values(), key=lambda u: (u["assigned"], u["id"]))


def timeline(root: Path, incident_id: str, around_ms: int, scope: Scope | None = None, *,
             targets: Targets = DEFAULT_TARGETS, max_hours: int = MAX_HOURS,
             now_ms: int | None = None) -> dict[str, Any] | None:
    """The whole life of ``incident_id`` (the module docstring has the shape), or ``None`` when it is
    not found within ``max_hours`` of ``around_ms`` or lies outside ``scope`` (``None``: no limit)."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    story = life(find(Path(root), incident_id, around_ms, max_hours, now_ms), targets)
    if story is None or (scope is not None and not scope.covers(story["region"], story["agency"])):
        return None
    story["id"] = incident_id
    tracks(Path(root), incident_id, story, now_ms)
    return story


__all__ = ["MAX_HOURS", "MAX_TRACK_POINTS", "find", "life", "timeline", "tracks"]
