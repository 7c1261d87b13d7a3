"""The basemap's tiles: built from the shipped geodata, chosen (or refused) by BASIRA_BASEMAP, served
by range.

The app is the real one (``create_app``) against the real Redis; the files are real PMTiles — the
shipped Kingdom basemap and the tests' own street-level fixture (``tests/pmtiles_fixture.py``).
"""

from __future__ import annotations

import gzip
import logging
import math
from pathlib import Path

import mapbox_vector_tile
import pytest
import shapely
from pmtiles.reader import MemorySource, MmapSource, Reader
from pmtiles.tile import Compression, TileType
from pydantic import SecretStr

from app import create_app
from app.auth.users import UsersFile, hash_token, new_token
from app.basemap import BASEMAP_URL, resolve
from app.basemap.build import ATTRIBUTION, SHIPPED, _Archive, arabic_name, build, locality_min_zoom
from app.basemap.source import safe_attribution
from layers.basemap import Basemap
from tests.pmtiles_fixture import write_fixture


@pytest.fixture(scope="module")
def fixture_file(tmp_path_factory) -> Path:
    return write_fixture(tmp_path_factory.mktemp("basemap") / "olaya.pmtiles")


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _decoded(path: Path, z: int, lon: float, lat: float) -> dict:
    with open(path, "rb") as handle:
        data = Reader(MmapSource(handle)).get(z, *_tile_of(lon, lat, z))
    return mapbox_vector_tile.decode(gzip.decompress(data)) if data else {}


# --- the shipped basemap -------------------------------------------------------------------------------


def test_the_build_is_reproducible_and_names_towns_in_both_languages(settings, tmp_path) -> None:
    report = build(settings, tmp_path / "kingdom.pmtiles")
    # byte for byte the committed file: `python -m app basemap build` rebuilds exactly what ships
    assert report.path.read_bytes() == SHIPPED.read_bytes()
    assert report.unique < report.tiles  # open sea and inland desert are stored once
    riyadh = _decoded(SHIPPED, 10, 46.72, 24.69)
    places = {f["properties"]["name:en"]: f["properties"] for f in riyadh["places"]["features"]}
    assert places["Riyadh"]["name:ar"] == "الرياض" and places["Riyadh"]["kind"] == "locality"
    assert places["Riyadh"]["population_rank"] > 9
    assert {"earth"} <= set(riyadh) and "roads" not in riyadh  # land, and no invented streets
    # the sea is water, with its name in both languages
    red_sea = _decoded(SHIPPED, 4, 38.2, 21.0)
    names = {f["properties"].get("name:ar") for f in red_sea["water"]["features"]}
    assert "البحر الأحمر" in names
    # a small town only from zoom 10: it is in a tile there and not in its parent at zoom 8
    assert locality_min_zoom(600) == 10 and locality_min_zoom(5_000_000) == 4
    with open(SHIPPED, "rb") as handle:
        reader = Reader(MmapSource(handle))
        header, meta = reader.header(), reader.metadata()
    assert header["max_zoom"] == 10 and meta["attribution"] == ATTRIBUTION
    assert "GeoNames" in meta["attribution"] and "OpenStreetMap" in meta["attribution"]


def test_geonames_places_of_500_people_and_more_are_in_the_tiles(settings) -> None:
    from app.basemap.build import towns

    places = towns(settings.cities_file)
    assert len(places) > 150  # GeoNames' Saudi places ≥ 500 and the table's towns
    assert all(p.population >= 500 or p.population == 0 for p in places)
    # a GeoNames town with its Arabic name from the alternate names (Az Zabyah, not in the table)
    zabyah = next(p for p in places if p.name_en == "Az̧ Z̧abyah")
    assert zabyah.name_ar == "الظبية"
    # GeoNames' direction marks are dropped (Turaif's first Arabic-script name is "طريف\u200e\u200e")
    turaif = next(p for p in places if p.name_en == "Turaif")
    assert turaif.name_ar == "طريف"


def test_an_arabic_name_is_arabic_not_persian_urdu_or_half_latin() -> None:
    # Buraydah's alternate names, in GeoNames' order: the Urdu-lettered and half-Latin ones come first
    assert arabic_name(["Buraidah", "brydہ", "بریده", "بريده"]) == "بريده"
    assert arabic_name(["Tabuk", "تبوک", "تبوك"]) == "تبوك"
    assert arabic_name(["Sultanah"]) == "" and arabic_name(None) == ""


def test_the_sea_fills_every_tile_where_there_is_no_land() -> None:
    """Water is each tile's area minus the land, so there is no edge where the data's extent ends: the
    zoom-3 tile of the Kingdom reaches from 0° to 45° E, beyond the extent's western edge (20° E)."""
    tile = _decoded(SHIPPED, 3, 30.0, 24.0)

    def area(layer: str, box: shapely.Polygon) -> float:
        return sum(shapely.make_valid(shapely.geometry.shape(f["geometry"])).intersection(box).area
                   for f in tile[layer]["features"] if "Polygon" in f["geometry"]["type"])

    west = shapely.box(0, 0, 1800, 4096)  # 0°–19.8° E: no land in the data there, so all sea
    assert area("water", west) > 0.999 * west.area and area("earth", west) == 0
    whole = shapely.box(0, 0, 4096, 4096)
    assert abs(area("water", whole) + area("earth", whole) - whole.area) < 0.01 * whole.area


def test_the_metadata_says_what_the_file_is(settings) -> None:
    with open(SHIPPED, "rb") as handle:
        reader = Reader(MmapSource(handle))
        header, meta = reader.header(), reader.metadata()
    assert header["tile_type"] == TileType.MVT and header["tile_compression"] == Compression.GZIP
    assert header["clustered"] and header["tile_contents_count"] < header["addressed_tiles_count"]
    assert meta["name"] == "Basira Kingdom basemap" and "no streets" in meta["description"]
    assert (meta["minzoom"], meta["maxzoom"]) == (0, 10) and meta["center"] == [45.0, 24.0, 5]
    west, south, east, north = meta["bounds"]
    assert west < 34.4 and south < 16.3 and east > 55.7 and north > 32.2  # the whole Kingdom
    layers = {layer["id"]: layer["fields"] for layer in meta["vector_layers"]}
    assert list(layers) == ["earth", "water", "boundaries", "places", "pois"]
    assert {"ref", "ref:ar", "ref:en", "population_rank", "name:ar"} <= set(layers["places"])
    # the regions carry their short names as ref: the style names regions by ref below zoom 6
    tile = _decoded(SHIPPED, 5, 46.7, 24.7)
    riyadh = next(f["properties"] for f in tile["places"]["features"] if f["properties"]["kind"] == "region"
                  and f["properties"]["name:en"] == "Riyadh")
    assert (riyadh["ref:ar"], riyadh["ref:en"]) == ("الرياض", "Riyadh")


class _Colliding(bytes):
    """Tile bytes whose ``hash()`` collides with every other's."""

    def __hash__(self) -> int:
        return 7


def test_identical_tiles_are_stored_once_by_their_bytes_not_their_hash(tmp_path) -> None:
    """pmtiles' writer keys repeated tiles by ``hash()``; two different tiles that collided would share
    one's bytes. The build's writer compares the bytes themselves."""
    tiles = {0: _Colliding(b"sea"), 1: _Colliding(b"land"), 2: _Colliding(b"sea"), 3: _Colliding(b"sea"),
             4: _Colliding(b"land")}
    path = tmp_path / "dedup.pmtiles"
    with open(path, "wb") as handle:
        writer = _Archive(handle)
        for tile_id, data in tiles.items():
            writer.write_tile(tile_id, data)
        writer.finalize({"tile_type": TileType.MVT, "tile_compression": Compression.NONE,
                         "min_lon_e7": 0, "min_lat_e7": 0, "max_lon_e7": 0, "max_lat_e7": 0,
                         "center_zoom": 0, "center_lon_e7": 0, "center_lat_e7": 0}, {})
    reader = Reader(MemorySource(path.read_bytes()))
    assert [reader.get(*zxy) for zxy in ((0, 0, 0), (1, 0, 0), (1, 0, 1), (1, 1, 1), (1, 1, 0))] == [
        b"sea", b"land", b"sea", b"sea", b"land"]
    header = reader.header()
    assert header["tile_contents_count"] == 2 and header["addressed_tiles_count"] == 5
    assert header["tile_entries_count"] == 4  # tiles 2 and 3: one run


# --- which file ---------------------------------------------------------------------------------------


def test_an_operator_file_is_drawn_with_its_own_credit(settings, fixture_file) -> None:
    source = resolve(settings.model_copy(update={"basemap": fixture_file}))
    assert not source.shipped and source.problem is None
    assert (source.min_zoom, source.max_zoom) == (10, 15)
    assert source.name == "Olaya fixture"
    assert "Basira test fixture" in source.attribution and "openstreetmap.org" in source.attribution
    hideout = Basemap().hideout("en", settings.model_copy(update={"basemap": fixture_file}))
    assert hideout["vector"]["maxZoom"] == 15
    assert "Basemap: olaya.pmtiles" in hideout["vector"]["attribution"]


@pytest.mark.parametrize("damage", ["missing", "corrupt", "truncated", "directory"])
def test_a_file_that_cannot_be_drawn_falls_back_to_the_shipped_basemap(
    damage, settings, fixture_file, tmp_path, caplog
) -> None:
    path = tmp_path / "sa.pmtiles"
    if damage == "corrupt":
        path.write_bytes(b"this is not a PMTiles archive" * 10)
    elif damage == "truncated":
        path.write_bytes(fixture_file.read_bytes()[:100])
    elif damage == "directory":
        path.mkdir()
    chosen = settings.model_copy(update={"basemap": path})
    with caplog.at_level(logging.WARNING, logger="basira.basemap"):
        source = resolve(chosen)
        app = create_app(chosen)  # the start-up says it once, in one line
    assert source.shipped and source.path == SHIPPED
    assert source.problem and str(path) in source.problem
    lines = [r.getMessage() for r in caplog.records if r.name == "basira.basemap"]
    assert len(lines) == 1, lines  # resolve() is memoised: the start-up and every page say it once
    assert f"BASIRA_BASEMAP={path}" in lines[0] and "shipped Kingdom basemap" in lines[0]
    reason = {"missing": "no such file", "corrupt": "not a PMTiles v3 file (bad magic)",
              "truncated": "truncated (100 bytes", "directory": "a directory"}[damage]
    assert reason in lines[0] and reason in source.problem
    # the page says which basemap it shows, and that the configured one could not be read
    assert "the configured file could not be read" in Basemap().hideout("en", chosen)["vector"]["attribution"]
    response = app.test_client().get(BASEMAP_URL, headers={"Range": "bytes=0-6"})
    assert response.status_code == 206 and response.data == b"PMTiles"


def test_an_attribution_keeps_only_text_and_web_links() -> None:
    hostile = '<a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)> © <a href="https://osm.org">OSM</a>'
    assert safe_attribution(hostile) == (
        'x © <a href="https://osm.org" target="_blank" rel="noopener">OSM</a>'
    )
    assert safe_attribution("<b>unclosed <a href='https://a.example'>link") == (
        'unclosed <a href="https://a.example" target="_blank" rel="noopener">link</a>'
    )


# --- serving --------------------------------------------------------------------------------------------


BROWSER_ENCODINGS = "gzip, deflate, br, zstd"


@pytest.fixture
def http(settings, fixture_file):
    return create_app(settings.model_copy(update={"basemap": fixture_file})).test_client()


def test_ranges_are_answered_206_with_the_files_bytes(http, fixture_file) -> None:
    body = fixture_file.read_bytes()
    response = http.get(BASEMAP_URL, headers={"Range": "bytes=0-126", "Accept-Encoding": "gzip, br"})
    assert response.status_code == 206
    assert response.headers["Content-Type"] == "application/vnd.pmtiles"
    assert response.headers["Content-Range"] == f"bytes 0-126/{len(body)}"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "Content-Encoding" not in response.headers  # a range is never compressed
    assert response.data == body[:127]
    # a browser's Accept-Encoding: Flask-Compress would compress even a streamed 206 with br or zstd
    # (gzip alone it keeps for whole answers) were the type one it compresses
    middle = http.get(BASEMAP_URL, headers={"Range": "bytes=1000-1999", "Accept-Encoding": BROWSER_ENCODINGS})
    assert middle.status_code == 206 and middle.data == body[1000:2000]
    assert "Content-Encoding" not in middle.headers
    assert "no-transform" in middle.headers["Cache-Control"]
    whole = http.get(BASEMAP_URL, headers={"Accept-Encoding": BROWSER_ENCODINGS})
    assert whole.status_code == 200 and whole.data == body and "Content-Encoding" not in whole.headers
    head = http.head(BASEMAP_URL)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(body)


def test_a_range_past_the_end_is_416(http, fixture_file) -> None:
    size = fixture_file.stat().st_size
    response = http.get(BASEMAP_URL, headers={"Range": f"bytes={size + 10}-{size + 20}"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{size}"


def test_if_range_and_etags(http, fixture_file) -> None:
    body = fixture_file.read_bytes()
    etag = http.head(BASEMAP_URL).headers["ETag"]
    assert etag
    same = http.get(BASEMAP_URL, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert same.status_code == 206 and same.data == body[:10]
    stale = http.get(BASEMAP_URL, headers={"Range": "bytes=0-9", "If-Range": '"an-older-file"'})
    assert stale.status_code == 200 and stale.data == body  # a changed file: all of it, not a mixed range
    assert http.get(BASEMAP_URL, headers={"If-None-Match": etag}).status_code == 304


def test_the_tiles_are_open_like_the_geodata_under_access_control(settings, fixture_file, tmp_path) -> None:
    users = UsersFile(tmp_path / "users.toml")
    users.put("tokens", "lead-token", "leadership", None, None, hash_token(new_token()))
    users.save()
    app = create_app(settings.model_copy(update={
        "auth_mode": "password", "users_file": users.path, "secret_key": SecretStr("k" * 40),
        "basemap": fixture_file,
    }))
    http = app.test_client()
    assert http.get(BASEMAP_URL, headers={"Range": "bytes=0-6"}).status_code == 206
    assert http.get("/api/v1/snapshot").status_code == 401  # while the data stays closed
