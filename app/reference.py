"""The reference data — regions, ports, populated places, the region index and the port planning
table — loaded once from the files the settings name, and shared by the store, the ingest worker,
layers and pages.

:meth:`Reference.from_settings` answers the same object for the same files (per process), and each
table is read the first time it is asked for: the ingest worker builds the region index (~0.1 s) and
never reads the planning table; the web app reads the ports and regions and never builds the index.
The files are settings, so an operator can drop in official boundaries without touching code; a
changed file is read again when the process restarts.

:meth:`Reference.coverage` checks the regions the center covers now (``BASIRA_COVERED_REGIONS``, its phased
roll-out) against the regions of the reference data: a :class:`Coverage`, or a :class:`CoverageError`
naming the codes that are not regions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .contract import Scope
from .geo import (
    City,
    Port,
    Region,
    RegionIndex,
    load_cities,
    load_ports,
    load_regions,
    region_bounds,
    region_index,
)
from .planning import Planning, load_planning

if TYPE_CHECKING:
    from .settings import Settings


class CoverageError(ValueError):
    """``BASIRA_COVERED_REGIONS`` names a code that is not one of the reference data's regions."""


@dataclass(frozen=True)
class Coverage:
    """The regions the center covers now (its phased roll-out), among all the regions.

    ``regions``: every region code of the reference data, in order; ``covered``: those connected now
    (all of them unless ``BASIRA_COVERED_REGIONS`` says otherwise). An uncovered region's entries are
    stored like any other; its figures stay out of the national ones (:meth:`counted`), and the maps
    hatch it as not yet connected.
    """

    regions: tuple[str, ...]
    covered: frozenset[str]

    @classmethod
    def everything(cls, regions: tuple[str, ...]) -> Coverage:
        return cls(tuple(regions), frozenset(regions))

    @property
    def complete(self) -> bool:
        """Every region is connected (the default)."""
        return all(code in self.covered for code in self.regions)

    @property
    def uncovered(self) -> tuple[str, ...]:
        """The regions not yet connected, in code order."""
        return tuple(code for code in self.regions if code not in self.covered)

    def connected(self, region: str) -> bool:
        """Whether a thing of region token ``region`` counts: a connected region, or a point outside
        every region (``outside``: no region's figure, so none to leave out)."""
        return region in self.covered or region not in self.regions

    def counted(self, scope: Scope) -> Scope:
        """The scope whose figures stand for ``scope``'s: ``scope`` itself when it names one region
        (a drill-down shows a region's own figures, connected or not) or nothing is left out; else
        ``scope`` without the regions not yet connected (the national figures)."""
        if scope.region is not None or self.complete:
            return scope
        kept = tuple(r for r in scope.regions if self.connected(r))
        if len(kept) == len(scope.regions):
            return scope
        return Scope(None, scope.agency, kept, scope.limit_agencies)

    def describe(self, scope: Scope) -> dict[str, object]:
        """What the figures of ``scope`` leave out, as the KPIs carry it (``docs/events.md``):
        ``regions`` and ``connected`` (how many of them), ``excluded`` (the regions of ``scope`` left
        out of its figures) and ``not_connected`` (``scope`` is one region not yet connected)."""
        counted = self.counted(scope)
        return {
            "regions": len(self.regions),
            "connected": sum(code in self.covered for code in self.regions),
            "excluded": [r for r in scope.regions if r not in counted.regions],
            "not_connected": scope.region is not None and not self.connected(scope.region),
        }


class Reference:
    """Basira's reference tables, each read from its file on first use."""

    def __init__(
        self, regions_file: Path, cities_file: Path, ports_file: Path, planning_file: Path | None = None
    ) -> None:
        self.regions_file = Path(regions_file)
        self.cities_file = Path(cities_file)
        self.ports_file = Path(ports_file)
        self.planning_file = Path(planning_file) if planning_file is not None else None

    @classmethod
    def from_settings(cls, settings: Settings) -> Reference:
        """The reference data of the files ``settings`` names: one object per set of files."""
        return _shared(settings.regions_file, settings.cities_file, settings.ports_file,
                       settings.ports_planning_file)

    @classmethod
    def bundled(cls) -> Reference:
        """The reference data of the files shipped in ``assets/data`` (the settings' defaults)."""
        from .settings import DATA_DIR  # settings' constant only; no environment is read

        return _shared(DATA_DIR / "ksa_regions.geojson", DATA_DIR / "ksa_cities.csv",
                       DATA_DIR / "ksa_ports.csv", DATA_DIR / "ksa_port_planning.csv")

    @cached_property
    def regions(self) -> dict[str, Region]:
        """The regions by code, with their population summed from the populated places."""
        return load_regions(self.regions_file, self.cities_file)

    @cached_property
    def region_bounds(self) -> dict[str, tuple[float, float, float, float]]:
        """Each region's bounding box, ``(west, south, east, north)``, by code (where maps fly to)."""
        return region_bounds(self.regions_file)

    @cached_property
    def ports(self) -> dict[str, Port]:
        """The ports table, by id."""
        return load_ports(self.ports_file)

    @cached_property
    def cities(self) -> list[City]:
        """Populated places, largest first."""
        return load_cities(self.cities_file)

    @cached_property
    def region_index(self) -> RegionIndex:
        """Point → region code (shared with every other user of the same polygon file)."""
        return region_index(self.regions_file)

    def coverage(self, covered: frozenset[str] | None) -> Coverage:
        """The regions the center covers (``Settings.covered``: ``None`` for all of them). Raises
        :class:`CoverageError` naming every code that is not one of these regions."""
        codes = tuple(sorted(self.regions))
        if covered is None:
            return Coverage.everything(codes)
        unknown = sorted(set(covered) - set(codes))
        if unknown:
            raise CoverageError(
                f"BASIRA_COVERED_REGIONS names {', '.join(unknown)}, not "
                f"{'one of the regions' if len(unknown) == 1 else 'regions'} of {self.regions_file.name} "
                f"({', '.join(codes)})"
            )
        return Coverage(codes, frozenset(covered))

    @cached_property
    def planning(self) -> Planning:
        """The port planning table, checked against the ports table (raises ``PlanningError``)."""
        if self.planning_file is None:
            raise ValueError("no planning file given")
        return load_planning(self.planning_file, frozenset(self.ports))


@lru_cache(maxsize=8)
def _shared(regions_file: Path, cities_file: Path, ports_file: Path, planning_file: Path | None) -> Reference:
    return Reference(regions_file, cities_file, ports_file, planning_file)
