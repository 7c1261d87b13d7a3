"""Where the wall and the kiosk take the map: the nation and each region, with bounds and names.

The bounds come from the region polygons the settings name (an operator's official boundaries
move the tour with them), through the reference data (:class:`app.reference.Reference`). The
figures of a region — open incidents, the critical ones among them, free units — are counted from
the national lists a page has already read, so a page that shows every region still reads Redis
once per refresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from app.contract import Scope
from app.i18n import t
from app.reference import Reference

#: The tour's first stop: the whole Kingdom.
NATIONAL = "national"
#: The Kingdom's extent (south-west, north-east), used when the regions file gives none.
KINGDOM_BOUNDS = ((16.3, 34.5), (32.2, 55.7))


@dataclass(frozen=True)
class Place:
    """A stop of the wall's tour or the kiosk's region picker."""

    code: str  # NATIONAL or a region code
    name_ar: str
    name_en: str
    bounds: tuple[tuple[float, float], tuple[float, float]]  # ((south, west), (north, east))

    def name(self, lang: str) -> str:
        return self.name_ar if lang == "ar" else self.name_en

    def short_name(self, lang: str) -> str:
        """The name without "منطقة" ("region"), as the map labels write it."""
        return self.name(lang).removeprefix("منطقة ")

    def view(self) -> dict[str, Any]:
        """What the browser needs to fly here (see ``assets/modes.js``)."""
        (south, west), (north, east) = self.bounds
        return {"code": self.code, "bounds": [[south, west], [north, east]]}


@lru_cache(maxsize=4)
def regions(reference: Reference) -> tuple[Place, ...]:
    """The regions of the reference data in code order, with their bounds (worked out once per
    :class:`~app.reference.Reference`: ``store.reference`` or ``Reference.from_settings(settings)``)."""
    places = []
    for code, (west, south, east, north) in reference.region_bounds.items():
        region = reference.regions[code]
        places.append(
            Place(
                code=code,
                name_ar=region.name_ar or code,
                name_en=region.name_en or code,
                bounds=((round(south, 4), round(west, 4)), (round(north, 4), round(east, 4))),
            )
        )
    return tuple(sorted(places, key=lambda p: p.code))


def national(places: Iterable[Place]) -> Place:
    """The whole Kingdom: the union of the regions' bounds."""
    places = list(places)
    if not places:
        bounds = KINGDOM_BOUNDS
    else:
        bounds = (
            (min(p.bounds[0][0] for p in places), min(p.bounds[0][1] for p in places)),
            (max(p.bounds[1][0] for p in places), max(p.bounds[1][1] for p in places)),
        )
    return Place(NATIONAL, t("place.national", "ar"), t("place.national", "en"), bounds)


def tour(reference: Reference, scope: Scope | None = None) -> tuple[Place, ...]:
    """The wall's tour: the nation, then each region in code order — or, for a viewer whose access is
    limited to some regions (``scope``, from :func:`app.auth.scope_for`), just those regions."""
    places = regions(reference)
    if scope is None or (scope.region is None and scope.limit_regions is None):
        return (national(places), *places)
    mine = tuple(p for p in places if p.code in scope.regions)
    return mine or (national(places),)  # nothing in scope: an empty map of the Kingdom


def by_code(places: Iterable[Place], code: str | None) -> Place | None:
    return next((p for p in places if p.code == code), None)


# --- figures per region ------------------------------------------------------------------------------


@dataclass
class Tally:
    """Open incidents, the priority-1 ones among them, and units by status, in one region."""

    open: int = 0
    critical: int = 0
    units_free: int = 0
    units_busy: int = 0


def tally(incidents: Iterable[Mapping[str, Any]], units: Iterable[Mapping[str, Any]]) -> dict[str, Tally]:
    """Figures per region code (and ``"outside"``) from national lists of incident and unit Features."""
    out: dict[str, Tally] = {}
    for feature in incidents:
        props = feature.get("properties") or {}
        row = out.setdefault(str(props.get("region")), Tally())
        row.open += 1
        if props.get("priority") == 1:
            row.critical += 1
    for feature in units:
        props = feature.get("properties") or {}
        row = out.setdefault(str(props.get("region")), Tally())
        if props.get("status") == "available":
            row.units_free += 1
        elif props.get("status") in ("dispatched", "on_scene"):
            row.units_busy += 1
    return out


def total(tallies: Mapping[str, Tally], excluded: Iterable[str] = ()) -> Tally:
    """The national figures: the sum over every region (and the points outside them) but the
    ``excluded`` ones (regions not yet connected: the KPIs' ``coverage["excluded"]``)."""
    out = Tally()
    left_out = set(excluded)
    for code, row in tallies.items():
        if code in left_out:
            continue
        out.open += row.open
        out.critical += row.critical
        out.units_free += row.units_free
        out.units_busy += row.units_busy
    return out
