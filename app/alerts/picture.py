"""The alerts worker's copy of the live picture, kept current by what changed — the same change sets
the live map's feed reads (``store.feed``), so rules see exactly the state the pages show.

At start (and whenever it falls further behind than the change sets reach) it reads everything: the
open incidents, the units, and every incident opened in the longest spike window (from the index, so
incidents already closed count too). Each tick after that it reads only the ids that changed since its
last cut of Redis's clock. Rules then work on columns (:class:`Columns`: numpy arrays), so 50 rules over
10,000 incidents cost masks, not Python loops. The columns are kept in place as things change
(:class:`_Table`: a slot per id, freed slots reused), so a tick pays for what changed plus one
compaction of the live slots — not for rebuilding 10,000 rows in Python, which cost ~60 ms a tick.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from app.contract import Agency, Category, Scope

if TYPE_CHECKING:
    from app.store import Store

AGENCIES: tuple[str, ...] = tuple(a.value for a in Agency)
CATEGORIES: tuple[str, ...] = tuple(c.value for c in Category)
STATUSES = ("new", "dispatched", "on_scene", "closed")
_AGENCY = {name: n for n, name in enumerate(AGENCIES)}
_CATEGORY = {name: n for n, name in enumerate(CATEGORIES)}
_STATUS = {name: n for n, name in enumerate(STATUSES)}


@dataclass
class Columns:
    """The open incidents (or the units) as parallel arrays, index ``i`` being ``ids[i]``."""

    ids: list[str]
    lon: np.ndarray
    lat: np.ndarray
    region: np.ndarray  # region tokens (object array)
    agency: np.ndarray  # index into AGENCIES
    values: dict[str, np.ndarray]
    region_code: np.ndarray | None = None  # index into ``region_codes``: masks by integers
    region_codes: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def in_regions(self, regions: tuple[str, ...] | list[str]) -> np.ndarray:
        """Which rows lie in one of ``regions`` (a boolean array)."""
        if self.region_code is None:
            return np.isin(self.region, list(regions))
        codes = [self.region_codes[r] for r in regions if r in self.region_codes]
        return np.isin(self.region_code, codes) if codes else np.zeros(len(self), dtype=bool)


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else np.nan


class _Table:
    """Columns kept in place: a slot per id (a freed slot is reused), each field a numpy array that
    grows by doubling; :meth:`columns` compacts the live slots into a :class:`Columns`."""

    def __init__(self, values: dict[str, Any], region_codes: dict[str, int], capacity: int = 1024) -> None:
        self.region_codes = region_codes  # shared by the tables; grows as regions are met
        self._dtypes: dict[str, Any] = {
            "lon": float, "lat": float, "region_code": np.int32, "agency": np.int16, **values,
        }  # fmt: skip
        self._values = tuple(values)
        self.slot: dict[str, int] = {}
        self._free: list[int] = []
        self._size = 0
        self.alive = np.zeros(capacity, dtype=bool)
        self.ids = np.full(capacity, None, dtype=object)
        self.region = np.full(capacity, None, dtype=object)
        self.arrays = {name: np.zeros(capacity, dtype=dtype) for name, dtype in self._dtypes.items()}

    def _grow(self) -> None:
        capacity = 2 * len(self.alive)

        def grown(old: np.ndarray, fill: Any) -> np.ndarray:
            new = np.full(capacity, fill, dtype=old.dtype)
            new[: len(old)] = old
            return new

        self.alive = grown(self.alive, False)
        self.ids = grown(self.ids, None)
        self.region = grown(self.region, None)
        self.arrays = {name: grown(array, 0) for name, array in self.arrays.items()}

    def put(self, key: str, row: dict[str, Any]) -> None:
        """Write ``row`` (``lon``, ``lat``, ``region``, ``agency`` index, and the table's values)."""
        slot = self.slot.get(key)
        if slot is None:
            if self._free:
                slot = self._free.pop()
            else:
                if self._size == len(self.alive):
                    self._grow()
                slot = self._size
                self._size += 1
            self.slot[key] = slot
            self.alive[slot] = True
            self.ids[slot] = key
        region = row["region"]
        if self.region[slot] != region:
            self.region[slot] = region
            code = self.region_codes.get(region)
            if code is None:
                code = self.region_codes[region] = len(self.region_codes)
            self.arrays["region_code"][slot] = code
        arrays = self.arrays
        arrays["lon"][slot] = row["lon"]
        arrays["lat"][slot] = row["lat"]
        arrays["agency"][slot] = row["agency"]
        for name in self._values:
            arrays[name][slot] = row[name]

    def remove(self, key: str) -> None:
        slot = self.slot.pop(key, None)
        if slot is not None:
            self.alive[slot] = False
            self.ids[slot] = None
            self.region[slot] = None
            self._free.append(slot)

    def columns(self) -> Columns:
        live = np.flatnonzero(self.alive[: self._size])
        a = self.arrays
        return Columns(
            ids=self.ids[live].tolist(),
            lon=a["lon"][live],
            lat=a["lat"][live],
            region=self.region[live],
            agency=a["agency"][live],
            values={name: a[name][live] for name in self._values},
            region_code=a["region_code"][live],
            region_codes=self.region_codes,
        )


_INCIDENT_VALUES = {"category": np.int16, "status": np.int16, "priority": np.int16, "opened": float,
                    "on_scene": float, "units": np.int32}  # fmt: skip


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
        self._new_tables()

    def _new_tables(self) -> None:
        codes: dict[str, int] = {}
        self._tables = {"inc": _Table(_INCIDENT_VALUES, codes), "unit": _Table({}, codes)}

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
        self.incidents, self.units = {}, {}
        self._new_tables()
        for text in self.store.live.incidents_json(scope):
            self._put_incident(orjson.loads(text))
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
            self._drop_incident(incident_id)
        if unseen:  # opened and closed between two ticks: still an opening
            for incident_id, (region, _a, _s, opened) in self.store.live.index_of(unseen).items():
                if opened is not None:
                    self._count_opening(incident_id, region, opened)
        units = self.store.feed.changes("unit", scope, since, until)
        for text in units.put:
            self._put_unit(orjson.loads(text))
        for unit_id in units.gone:
            self.units.pop(unit_id, None)
            self._tables["unit"].remove(unit_id)
        return len(incidents.put) + len(incidents.gone) + len(units.put) + len(units.gone)

    def _drop_incident(self, incident_id: str) -> None:
        self.incidents.pop(incident_id, None)
        self._tables["inc"].remove(incident_id)

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
            self._drop_incident(incident_id)
        else:
            self.incidents[incident_id] = row
            self._tables["inc"].put(incident_id, {
                "lon": _num(lon), "lat": _num(lat), "region": row["region"],
                "agency": _AGENCY.get(row["agency"], -1),
                "category": _CATEGORY.get(row["category"], -1),
                "status": _STATUS.get(row["status"], -1),
                "priority": row["priority"] if isinstance(row["priority"], int) else 4,
                "opened": _num(row["opened"]), "on_scene": _num(row["on_scene"]), "units": row["units"],
            })  # fmt: skip
        if isinstance(row["opened"], int):
            self._count_opening(incident_id, row["region"], row["opened"])

    def _put_unit(self, feature: dict[str, Any]) -> None:
        props = feature.get("properties") or {}
        unit_id = str(feature.get("id") or "")
        if not unit_id:
            return
        lon, lat = (feature.get("geometry") or {}).get("coordinates") or (np.nan, np.nan)
        row = {
            "id": unit_id,
            "lon": lon,
            "lat": lat,
            "region": props.get("region") or "outside",
            "agency": props.get("agency"),
            "status": props.get("status"),
            "ts": props.get("ts"),
            "incident": props.get("incident"),
        }
        self.units[unit_id] = row
        self._tables["unit"].put(unit_id, {
            "lon": _num(lon), "lat": _num(lat), "region": row["region"],
            "agency": _AGENCY.get(row["agency"], -1),
        })  # fmt: skip

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
        """Incidents of ``region`` opened in ``[start_ms, end_ms)`` (bisected: the queue is sorted)."""
        queue = self.openings.get(region)
        if not queue:
            return 0
        return bisect_left(queue, (end_ms,)) - bisect_left(queue, (start_ms,))

    def incident_columns(self) -> Columns:
        if "inc" not in self._columns:
            self._columns["inc"] = self._tables["inc"].columns()
        return self._columns["inc"]

    def unit_columns(self) -> Columns:
        if "unit" not in self._columns:
            self._columns["unit"] = self._tables["unit"].columns()
        return self._columns["unit"]
