"""Reference geography: region assignment by point-in-polygon, and the ports and cities tables."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest

from app.contract import OUTSIDE, REGION_CODES
from app.geo import RegionIndex, load_cities, load_ports, load_regions, region_index
from app.settings import DATA_DIR

REGIONS = DATA_DIR / "ksa_regions.geojson"
CITIES = DATA_DIR / "ksa_cities.csv"
PORTS = DATA_DIR / "ksa_ports.csv"

PLACES = [
    ("Makkah, the Grand Mosque", 21.4225, 39.8262, "SA-02"),
    ("Riyadh", 24.7136, 46.6753, "SA-01"),
    ("Dammam", 26.4207, 50.0888, "SA-04"),
    ("Madinah", 24.4672, 39.6111, "SA-03"),
    ("the Red Sea", 21.5, 38.5, OUTSIDE),
    ("the Arabian Gulf", 27.0, 51.0, OUTSIDE),
    ("Amman", 31.95, 35.93, OUTSIDE),
    ("Dubai", 25.2, 55.27, OUTSIDE),
]


@pytest.mark.parametrize(("name", "lat", "lon", "code"), PLACES, ids=[p[0] for p in PLACES])
def test_point_lands_in_its_region(name: str, lat: float, lon: float, code: str) -> None:
    assert region_index(REGIONS).assign_one(lon, lat) == code


def test_assign_is_vectorised_and_keeps_order() -> None:
    index = region_index(REGIONS)
    lons = [p[2] for p in PLACES]
    lats = [p[1] for p in PLACES]
    assert index.assign(lons, lats) == [p[3] for p in PLACES]
    assert index.assign([], []) == []


def test_every_city_lands_in_its_own_region() -> None:
    cities = load_cities(CITIES)
    assert len(cities) > 50
    got = region_index(REGIONS).assign([c.lon for c in cities], [c.lat for c in cities])
    wrong = [(c.name_en, c.region, g) for c, g in zip(cities, got, strict=True) if c.region != g]
    assert wrong == []


def test_cities_largest_first_and_every_region_has_people() -> None:
    cities = load_cities(CITIES)
    assert [c.population for c in cities] == sorted((c.population for c in cities), reverse=True)
    assert {c.region for c in cities} == set(REGION_CODES)


def test_ports_load_with_unique_ids() -> None:
    with open(PORTS, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ports = load_ports(PORTS)
    assert len(rows) == len(ports) == 34
    for port in ports.values():
        assert port.region in REGION_CODES
        assert port.kind in {"land", "air", "sea"}
        assert port.name_en and port.name_ar
        assert 15 < port.lat < 33 and 34 < port.lon < 56


def test_regions_carry_bilingual_names_and_population() -> None:
    regions = load_regions(REGIONS, CITIES)
    assert sorted(regions) == list(REGION_CODES)
    for region in regions.values():
        assert region.name_en and region.name_ar and region.population > 0


def _copy_regions(tmp_path: Path, edit) -> Path:
    collection = orjson.loads(REGIONS.read_bytes())
    collection["features"] = edit(collection["features"])
    path = tmp_path / "regions.geojson"
    path.write_bytes(orjson.dumps(collection))
    return path


def test_regions_file_missing_a_region_is_refused(tmp_path: Path) -> None:
    path = _copy_regions(tmp_path, lambda fs: [f for f in fs if f["properties"]["code"] != "SA-09"])
    with pytest.raises(ValueError, match="SA-09"):
        RegionIndex(path)


def test_regions_file_with_an_unknown_code_is_refused(tmp_path: Path) -> None:
    def rename(features: list[dict]) -> list[dict]:
        features[0]["properties"]["code"] = "SA-13"
        return features

    with pytest.raises(ValueError, match="SA-13"):
        RegionIndex(_copy_regions(tmp_path, rename))


def test_reference_data_is_loaded_once_per_set_of_files() -> None:
    from app.reference import Reference
    from app.settings import Settings

    reference = Reference.from_settings(Settings())
    assert Reference.from_settings(Settings()) is reference
    assert reference.ports is reference.ports and len(reference.ports) > 0
    assert set(reference.regions) == set(REGION_CODES)
