"""The reference data — regions, ports, populated places, the region index and the port planning
table — loaded once from the files the settings name, and shared by the store, the ingest worker,
layers and pages.

:meth:`Reference.from_settings` answers the same object for the same files (per process), and each
table is read the first time it is asked for: the ingest worker builds the region index (~0.1 s) and
never reads the planning table; the web app reads the ports and regions and never builds the index.
The files are settings, so an operator can drop in official boundaries without touching code; a
changed file is read again when the process restarts.
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

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

    @cached_property
    def planning(self) -> Planning:
        """The port planning table, checked against the ports table (raises ``PlanningError``)."""
        if self.planning_file is None:
            raise ValueError("no planning file given")
        return load_planning(self.planning_file, frozenset(self.ports))


@lru_cache(maxsize=8)
def _shared(regions_file: Path, cities_file: Path, ports_file: Path, planning_file: Path | None) -> Reference:
    return Reference(regions_file, cities_file, ports_file, planning_file)
