"""What layers read from the store, as a protocol, and the per-refresh cache pages hand them.

:class:`Reads` names exactly the reads the layers call — nothing else of the store reaches them, so a
layer can be tested against any object with these methods, and ``layers/`` depends on the store's
shape only here. The store's part for layers, ``store.layers`` (:class:`app.store.layer_reads.LayerReads`),
has them. :class:`ReadCache` wraps that part for one refresh so that layers and the KPI strip asking for
the same lists cost one round of reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from app.contract import Scope
    from app.reference import Reference
    from app.store.history_points import Chunk
    from app.store.incident_rows import IncidentRow

T = TypeVar("T")


class Reads(Protocol):
    """The store's reads that layers use (``store.layers``, :class:`app.store.layer_reads.LayerReads`, has
    them; so has :class:`ReadCache`).

    The store's errors (:class:`app.store.StoreUnavailable`) propagate: the page decides how to show an
    unreachable store.
    """

    #: The reference data (region polygons, populated places) the layers' region figures come from.
    reference: Reference

    def incidents(self, scope: Scope) -> list[dict[str, Any]]:
        """The open incidents of ``scope`` as GeoJSON Features."""
        ...

    def incident_rows(self, scope: Scope) -> list[IncidentRow]:
        """The open incidents of ``scope`` as slim rows (never parsed whole)."""
        ...

    def units(self, scope: Scope) -> list[dict[str, Any]]:
        """The units of ``scope`` as GeoJSON Features."""
        ...

    def unit_trails(self, units: Iterable[Mapping[str, Any]]) -> dict[str, list[list[float]]]:
        """Recent positions (``[lon, lat, ts]``, oldest first) of each unit Feature in ``units``."""
        ...

    def calls_by_region(
        self, regions: Iterable[str], now_ms: int | None = None
    ) -> dict[str, dict[str, float]]:
        """The call counters of the last hour for each region."""
        ...

    def port_summary(self, now_ms: int | None = None) -> list[dict[str, Any]]:
        """Every port: travellers in the last hour by direction, and the latest queue wait."""
        ...

    def closed_chunks(self, scope: Scope, since_ms: int) -> list[Chunk]:
        """The closed incidents of each cell of ``scope`` closed at or after ``since_ms``."""
        ...

    def cached(self, key: Any, compute: Callable[[], tuple[T, float]]) -> T:
        """``compute()``'s value, reused under ``key`` for as long as it said."""
        ...


class ReadCache:
    """A store wrapper for one refresh: each scope's incidents and units are read from Redis once.

    Layers and the KPI strip ask for the same lists; this keeps a refresh at one round of reads.
    ``incident_rows`` (slim, never the whole Features parsed) serves the counts, the heatmap and the
    incident list; ``incidents`` (Features) only what draws whole incidents. Anything else is
    passed through to the store's part it wraps (``store.layers``).
    """

    def __init__(self, store: Any) -> None:
        self._store = store
        self._incidents: dict[str, list[dict[str, Any]]] = {}
        self._rows: dict[str, list[Any]] = {}
        self._units: dict[str, list[dict[str, Any]]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def incidents(self, scope: Scope) -> list[dict[str, Any]]:
        if scope.token not in self._incidents:
            self._incidents[scope.token] = self._store.incidents(scope)
        return self._incidents[scope.token]

    def incident_rows(self, scope: Scope) -> list[Any]:
        if scope.token not in self._rows:
            self._rows[scope.token] = self._store.incident_rows(scope)
        return self._rows[scope.token]

    def units(self, scope: Scope) -> list[dict[str, Any]]:
        if scope.token not in self._units:
            self._units[scope.token] = self._store.units(scope)
        return self._units[scope.token]

    def kpis(self, scope: Scope, now_ms: int | None = None) -> dict[str, Any]:
        """The store's KPIs of ``scope``, counted from the lists already read for this refresh."""
        return self._store.kpis(scope, now_ms, rows=self.incident_rows(scope), units=self.units(scope))
