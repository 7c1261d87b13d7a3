"""A small street-level PMTiles file the tests make themselves: Riyadh's Olaya in the Protomaps schema.

What an operator's extract holds, in miniature: land, a grid of named streets with King Fahd Road
through it, blocks of buildings, and the district named in Arabic and English — at zooms 10 to 15,
over a box about 18 km across. Written with the same packages as the shipped basemap
(mapbox-vector-tile, pmtiles), so serving, rendering and the fall-back are tested on a real file.
"""

from __future__ import annotations

from pathlib import Path

import shapely
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from app.basemap.build import EXTENT, encode_tile, tile_bounds, tile_range, to_mercator

#: The district's centre, and the box the file covers (lon/lat).
OLAYA = (46.6855, 24.6905)
BBOX = (46.60, 24.62, 46.78, 24.76)
MIN_ZOOM, MAX_ZOOM = 10, 15
ROAD = {"name": "طريق الملك فهد", "name:ar": "طريق الملك فهد", "name:en": "King Fahd Road"}
DISTRICT = {"name": "العليا", "name:ar": "العليا", "name:en": "Al Olaya"}
ATTRIBUTION = 'Basira test fixture · © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'


def _sources() -> dict[str, list[tuple[object, dict[str, object]]]]:
    west, south, east, north = BBOX
    lon, lat = OLAYA
    earth = [(shapely.box(*BBOX), {"kind": "earth"})]
    roads = [(shapely.LineString([(lon, south), (lon, north)]), {"kind": "major_road", **ROAD})]
    for i in range(-8, 9):  # minor streets every ~500 m, both ways
        if i:
            roads.append((shapely.LineString([(lon + i * 0.005, south), (lon + i * 0.005, north)]),
                          {"kind": "minor_road", "name": f"Street {i + 9}", "name:en": f"Street {i + 9}"}))
        roads.append((shapely.LineString([(west, lat + i * 0.005), (east, lat + i * 0.005)]),
                      {"kind": "minor_road", "name": f"Road {i + 9}", "name:en": f"Road {i + 9}"}))
    buildings = [
        (shapely.box(lon + i * 0.005 + 0.0007, lat + j * 0.005 + 0.0007,
                     lon + i * 0.005 + 0.0043, lat + j * 0.005 + 0.0043), {"kind": "building"})
        for i in range(-4, 4) for j in range(-4, 4)
    ]
    water = [(shapely.box(lon - 0.0045, lat - 0.0180, lon - 0.0010, lat - 0.0155), {"kind": "water"})]
    places = [(shapely.Point(lon + 0.0025, lat + 0.0025),
               {"kind": "locality", "min_zoom": MIN_ZOOM, "population_rank": 9, **DISTRICT})]
    return {"earth": earth, "water": water, "buildings": buildings, "roads": roads, "places": places}


def write_fixture(path: Path) -> Path:
    """Write the fixture to ``path`` and return it."""
    sources = {
        layer: [(to_mercator(geometry), props) for geometry, props in features]
        for layer, features in _sources().items()
    }
    tiles: dict[int, bytes] = {}
    for z in range(MIN_ZOOM, MAX_ZOOM + 1):
        for x, y in tile_range(z, BBOX):
            bounds = tile_bounds(z, x, y)
            pad = (bounds[2] - bounds[0]) * 64 / EXTENT
            box = (bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad)
            layers = []
            for name, features in sources.items():
                clipped = []
                for geometry, props in features:
                    part = shapely.clip_by_rect(geometry, *box)
                    inside = part.geom_type != "Point" or shapely.box(*bounds).contains(part)
                    if not part.is_empty and inside:
                        clipped.append({"geometry": part, "properties": props})
                if clipped:
                    layers.append({"name": name, "features": clipped})
            tiles[zxy_to_tileid(z, x, y)] = encode_tile(layers, bounds)
    with open(path, "wb") as handle:
        writer = Writer(handle)
        for tile_id in sorted(tiles):
            writer.write_tile(tile_id, tiles[tile_id])
        west, south, east, north = BBOX
        writer.finalize(
            {
                "tile_type": TileType.MVT, "tile_compression": Compression.GZIP,
                "min_lon_e7": int(west * 1e7), "min_lat_e7": int(south * 1e7),
                "max_lon_e7": int(east * 1e7), "max_lat_e7": int(north * 1e7),
                "center_zoom": 14, "center_lon_e7": int(OLAYA[0] * 1e7), "center_lat_e7": int(OLAYA[1] * 1e7),
            },
            {"name": "Olaya fixture", "attribution": ATTRIBUTION,
             "vector_layers": [{"id": name, "fields": {}} for name in sources]},
        )
    return path
