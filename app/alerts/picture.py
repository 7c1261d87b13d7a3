"""The alerts worker's copy of the live picture, kept current by what changed — the same change sets
the live map's feed reads (``store.feed``), so rules see exactly the state the pages show.

At start (and whenever it falls further behind than the change sets reach) it reads everything: the
open incidents, the units, and every incident opened in the longest spike window (from the index, so
incidents already closed count too). Each tick after that it reads only the ids that changed since its
last cut of Redis's clock. Rules then work on columns (:class:`Columns`: numpy arrays built once per
tick), so 50 rules over 10,000 incidents cost masks, not Python loops.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from app.contract import Agency, Category, Scope

if TYPE_CHECKING:
    from app.store import Store

AGENCIES: tuple[str, ...] = tuple(a.value for a in Agency)
CATEGORIES: tuple[str, ...] = tuple(c.value for c in Category)
STATUSES = ("new", "dispatched", "on_scene", "closed")


@dataclass
class Columns:
    """The open incidents (or the units) as parallel arrays, index ``i`` being ``ids[i]``."""

    ids: list[str]
    lon: np.ndarray
    lat: np.ndarray
    region: np.ndarray  # region tokens (object array)
    agency: np.ndarray  # index into AGENCIES
    values: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else np.nan


class Picture:
    """Open incidents, units and recent openings, by id, mirrored from the store (see the module)."""

    def __init__(self, store: Store, opening_window_ms: int, behind_ms: int) -> None:
        self.store = store
        self.opening_window_ms = opening_window_ms
        self.behind_ms = behind_ms  # the change sets' reach: further behind, read everything again
        self.incidents: dict[str, dict[str, Any]] = {}
        self.units: dict[str, dict[str, Any]] = {}
        self.openings: dict[str, deque[tuple[int, str]]] = {}  # region → (opened ms, id), oldest first
        self._opened: set[str] = set()  # ids already counted as an opening
        self.cut: int | None = None
        self.full_reads = 0
        self._columns: dict[str, Columns] = {}

    # --- keeping current ------------------------------------------------------------------------
    def refresh(self) -> int:
        """Bring the copy up to Redis's clock now; returns how many things changed."""
        now = self.store.meta.clock_ms()
        if self.cut is None or now - self.cut > self.behind_ms:
            changed = self._read_all(now)
        else:
            changed = self._read_changes(self.cut, now)
        self.cut = now
        self._forget_openings(now)
        if changed:
            self._columns.clear()
        return changed

    def _read_all(self, now: int) -> int:
        self.full_reads += 1
        scope = Scope()
        self.incidents = {}
        for text in self.store.live.incidents_json(scope):
            self._put_incident(orjson.loads(text))
        self.units = {}
        for text in self.store.live.units_json(scope):
            self._put_unit(orjson.loads(text))
        self.openings, self._opened = {}, set()
        for incident_id, region, _agency, opened in sorted(
            self.store.live.openings(now - self.opening_window_ms), key=lambda row: row[3]
        ):
            self._count_opening(incident_id, region, opened)
        return len(self.incidents) + len(self.units) + 1

    def _read_changes(self, since: int, until: int) -> int:
        scope = Scope()
        incidents = self.store.feed.changes("inc", scope, since, until)
        for text in incidents.put:
            self._put_incident(orjson.loads(text))
        unseen = [i for i in incidents.gone if i not in self._opened]
        for incident_id in incidents.gone:
            self.incidents.pop(incident_id, None)
        if unseen:  # opened and closed between two ticks: still an opening
            for incident_id, (region, _a, _s, opened) in self.store.live.index_of(unseen).items():
                if opened is not None:
                    self._count_opening(incident_id, region, opened)
        units = self.store.feed.changes("unit", scope, since, until)
        for text in units.put:
            self._put_unit(orjson.loads(text))
        for unit_id in units.gone:
            self.units.pop(unit_id, None)
        return len(incidents.put) + len(incidents.gone) + len(units.put) + len(units.gone)

    def _put_incident(self, feature: dict[str, Any]) -> None:
        props = feature.get("properties") or {}
        incident_id = str(feature.get("id") or props.get("id") or "")
        if not incident_id:
            return
        lon, lat = (feature.get("geometry") or {}).get("coordinates") or (np.nan, np.nan)
        row = {
            "id": incident_id,
            "lon": lon,
            "lat": lat,
            "region": props.get("region") or "outside",
            "agency": props.get("agency"),
            "category": props.get("category"),
            "status": props.get("status"),
            "priority": props.get("priority") or 4,
            "opened": props.get("opened") or props.get("ts"),
            "dispatched": props.get("dispatched"),
            "on_scene": props.get("on_scene"),
            "units": len(props.get("units") or ()),
        }
        if row["status"] == "closed":
            self.incidents.pop(incident_id, None)
        else:
            self.incidents[incident_id] = row
        if isinstance(row["opened"], int):
            self._count_opening(incident_id, row["region"], row["opened"])

    def _put_unit(self, feature: dict[str, Any]) -> None:
        props = feature.get("properties") or {}
        unit_id = str(feature.get("id") or "")
        if not unit_id:
            return
        lon, lat = (feature.get("geometry") or {}).get("coordinates") or (np.nan, np.nan)
        self.units[unit_id] = {
            "id": unit_id,
            "lon": lon,
            "lat": lat,
            "region": props.get("region") or "outside",
            "agency": props.get("agency"),
            "status": props.get("status"),
            "ts": props.get("ts"),
            "incident": props.get("incident"),
        }

    def _count_opening(self, incident_id: str, region: str, opened: int) -> None:
        if incident_id in self._opened:
            return
        self._opened.add(incident_id)
        queue = self.openings.setdefault(region, deque())
        if queue and opened < queue[-1][0]:  # out of order (a late entry): keep the queue sorted
            items = sorted([*queue, (opened, incident_id)])
            queue.clear()
            queue.extend(items)
        else:
            queue.append((opened, incident_id))

    def _forget_openings(self, now: int) -> None:
        horizon = now - self.opening_window_ms
        for queue in self.openings.values():
            while queue and queue[0][0] < horizon:
                self._opened.discard(queue.popleft()[1])

    # --- reading --------------------------------------------------------------------------------
    def opened_between(self, region: str, start_ms: int, end_ms: int) -> int:
        """Incidents of ``region`` opened in ``[start_ms, end_ms)``."""
        return sum(1 for opened, _ in self.openings.get(region, ()) if start_ms <= opened < end_ms)

    def incident_columns(self) -> Columns:
        if "inc" not in self._columns:
            rows = list(self.incidents.values())
            self._columns["inc"] = Columns(
                ids=[r["id"] for r in rows],
                lon=np.array([_num(r["lon"]) for r in rows], dtype=float),
                lat=np.array([_num(r["lat"]) for r in rows], dtype=float),
                region=np.array([r["region"] for r in rows], dtype=object),
                agency=np.array([_index(AGENCIES, r["agency"]) for r in rows], dtype=np.int16),
                values={
                    "category": np.array([_index(CATEGORIES, r["category"]) for r in rows], dtype=np.int16),
                    "status": np.array([_index(STATUSES, r["status"]) for r in rows], dtype=np.int16),
                    "priority": np.array(
                        [r["priority"] if isinstance(r["priority"], int) else 4 for r in rows], dtype=np.int16
                    ),
                    "opened": np.array([_num(r["opened"]) for r in rows], dtype=float),
                    "on_scene": np.array([_num(r["on_scene"]) for r in rows], dtype=float),
                    "units": np.array([r["units"] for r in rows], dtype=np.int32),
                },
            )
        return self._columns["inc"]

    def unit_columns(self) -> Columns:
        if "unit" not in self._columns:
            rows = list(self.units.values())
            self._columns["unit"] = Columns(
                ids=[r["id"] for r in rows],
                lon=np.array([_num(r["lon"]) for r in rows], dtype=float),
                lat=np.array([_num(r["lat"]) for r in rows], dtype=float),
                region=np.array([r["region"] for r in rows], dtype=object),
                agency=np.array([_index(AGENCIES, r["agency"]) for r in rows], dtype=np.int16),
                values={},
            )
        return self._columns["unit"]


def _index(names: tuple[str, ...], value: Any) -> int:
    try:
        return names.index(value)
    except ValueError:
        return -1
