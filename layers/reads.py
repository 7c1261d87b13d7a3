"""What layers read from the store, as a protocol.

:class:`Reads` names exactly the reads the layers call — nothing else of the store reaches them, so a
layer can be tested against any object with these methods, and ``layers/`` depends on the store's
shape only here. The store's part for layers, ``store.layers`` (:class:`app.store.layer_reads.LayerReads`),
has them; pages hand layers that part's view for one refresh (``store.layers.for_refresh()``), in which
each scope's lists are read once for the layers and the KPI strip alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from app.contract import Scope
    from app.reference import Reference
    from app.store.history_points import Chunk
    from app.store.incident_rows import IncidentRows

T = TypeVar("T")


class Reads(Protocol):
    """The store's reads that layers use (``store.layers``, :class:`app.store.layer_reads.LayerReads`, has
    them, and so has its view for one refresh, ``store.layers.for_refresh()``).

    The store's errors (:class:`app.store.StoreUnavailable`) propagate: the page decides how to show an
    unreachable store.
    """

    #: The reference data (region polygons, populated places) the layers' region figures come from.
    reference: Reference

    def now_ms(self) -> int:
        """The instant these reads are of (epoch ms): a live refresh's (the page's clock), a replay's
        moment, or now. Layers count "the last hour" and what is "recent" from it, never from the
        machine's clock, so a refresh's layers agree with its KPIs."""
        ...

    def incidents(self, scope: Scope) -> list[dict[str, Any]]:
        """The open incidents of ``scope`` as GeoJSON Features."""
        ...

    def incident_rows(self, scope: Scope) -> IncidentRows:
        """The open incidents of ``scope`` as columns of their slim rows (their Features not read)."""
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

    def official_alerts(self, now_ms: int | None = None) -> list[dict[str, Any]]:
        """The official alerts (CAP in) in force at ``now_ms`` (default: now), each with its areas as
        polygons, severity, urgency, headlines and expiry."""
        ...

    def cached(self, key: Any, compute: Callable[[], tuple[T, float]]) -> T:
        """``compute()``'s value, reused under ``key`` for as long as it said."""
        ...
