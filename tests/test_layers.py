"""Every map layer keeps the Layer contract; live layers read their scope from a real Redis.

One parametrised test walks every layer in ``layers.LAYERS``, so a new layer is covered the moment
it is added to the tuple.
"""

from __future__ import annotations

import json

import orjson
import pytest
import shapely
from dash.development.base_component import Component

from app.contract import Scope, Stream
from app.i18n import LANGUAGES, STRINGS, fmt_duration, fmt_int, fmt_percent, missing
from app.ingest import IngestWorker
from app.store import Store
from layers import LAYERS, LIVE_PART, MapContext, by_key
from layers.base import COORD_DECIMALS, LAYER_ID_TYPE
from layers.basemap import LABELS_FILE, NEIGHBOURS_FILE, REGIONS_FILE, geodata
from tests.helpers import call, incident, now_ms, port_entry, unit


def _components(root: Component | list[Component]) -> list[Component]:
    roots = root if isinstance(root, list) else [root]
    found = []
    for component in roots:
        found.append(component)
        found.extend(child for _path, child in component._traverse_with_paths())
    return found


def _official(ref: str, region: str, lon: float, lat: float) -> dict:
    """An official alert (CAP in, as ``store.capin`` keeps it) of one square area around a point."""
    square = [[lon - 0.1, lat - 0.1], [lon + 0.1, lat - 0.1], [lon + 0.1, lat + 0.1], [lon - 0.1, lat + 0.1],
              [lon - 0.1, lat - 0.1]]
    return {"ref": ref, "status": "Actual", "severity": "Severe", "urgency": "Immediate",
            "certainty": "Likely", "headline": {"en": f"Flood warning {ref}", "ar": "تحذير من السيول"},
            "event": {"en": "Flood"}, "expires": now_ms() + 3_600_000,
            "areas": [{"desc": region, "polygon": square}], "regions": [region]}


def _feed(client, settings, store: Store) -> None:
    """Two incidents and a unit in Makkah, one incident and one unit in Riyadh, through ingest; and
    travellers through a port and 911 calls in each of the two regions; and an official alert (CAP in)
    over each of the two cities."""
    prefix = settings.stream_prefix
    long_text = "<b>not html</b> " + "x" * 600
    for fields in (
        incident("MK1", description=long_text[:500]),
        incident("MK2", agency="traffic", category="collision", priority="3", lat="21.431234567", lon="39.8"),
        incident("RY1", agency="traffic", category="collision", priority="2", lat="24.7136", lon="46.6753"),
    ):
        client.xadd(Stream.incidents.key(prefix), fields)
    client.xadd(Stream.units.key(prefix), unit("U1", heading="90", speed="70"))
    client.xadd(Stream.units.key(prefix), unit("U2", agency="traffic", lat="24.71", lon="46.67"))
    for port, region in (("air-jed", "SA-02"), ("air-ruh", "SA-01")):
        client.xadd(Stream.ports.key(prefix), port_entry(port))
        client.xadd(Stream.calls.key(prefix), call(f"C-{region}", region=region))
    IngestWorker(store, settings).work(burst=True)
    store.capin.put(_official("ncm.gov.sa,MK", "SA-02", 39.8262, 21.4225))
    store.capin.put(_official("ncm.gov.sa,RY", "SA-01", 46.6753, 24.7136))


def test_layer_keys_are_unique() -> None:
    keys = [layer.key for layer in LAYERS]
    assert len(keys) == len(set(keys))
    assert all(by_key(key) is layer for key, layer in zip(keys, LAYERS, strict=True))


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.key)
def test_layer_contract(layer, client, settings) -> None:
    assert layer.key and layer.key.isidentifier()
    for lang in LANGUAGES:
        assert layer.title[lang].strip(), f"{layer.key}: no {lang} title"

        # component(): dash components, every id from the shared factory, one live part if live
        parts = layer.component(MapContext(page="test", lang=lang, settings=settings))
        assert parts and all(isinstance(part, Component) for part in parts)
        ids = [c.id for c in _components(parts) if getattr(c, "id", None) is not None]
        assert ids, f"{layer.key}: no addressable component"
        for cid in ids:
            assert cid == {"type": LAYER_ID_TYPE, "page": "test", "layer": layer.key, "part": cid["part"]}
        assert sum(cid["part"] == LIVE_PART for cid in ids) == (1 if layer.live else 0)

        # hideout(): JSON for the browser, naming its language
        hideout = layer.hideout(lang, settings)
        assert hideout["lang"] == lang
        json.dumps(hideout)

        # legend(): a bilingual title and bilingual entries with a colour each
        legend = layer.legend()
        assert legend.title[lang].strip() and legend.entries
        for entry in legend.entries:
            assert entry.label[lang].strip()
            assert entry.colour.startswith("#")

    # data(): a FeatureCollection of the scope for live layers, nothing for static ones
    store = Store.from_settings(settings)
    if not layer.live:
        assert layer.data(store.layers, Scope()) is None
        return
    assert layer.data(store.layers, Scope()) == {"type": "FeatureCollection", "features": []}
    _feed(client, settings, store)
    nation = layer.data(store.layers, Scope())
    makkah = layer.data(store.layers, Scope.parse("SA-02"))
    riyadh_traffic = layer.data(store.layers, Scope.parse("SA-01", "traffic"))
    assert nation["type"] == "FeatureCollection"
    nation_ids = {f["id"] for f in nation["features"]}
    makkah_ids = {f["id"] for f in makkah["features"]}
    assert makkah_ids and makkah_ids < nation_ids
    assert [f["properties"]["region"] for f in riyadh_traffic["features"]] == ["SA-01"]
    json.dumps(nation)
    for feature in nation["features"]:
        # points; the official alerts' areas are polygons
        assert feature["type"] == "Feature" and feature["geometry"]["type"] in ("Point", "Polygon")
        # dash-leaflet's clustering matches markers between renders by properties.id
        assert feature["properties"]["id"] == feature["id"]
        coordinates = feature["geometry"]["coordinates"]
        points = coordinates[0] if feature["geometry"]["type"] == "Polygon" else [coordinates]
        for value in (v for point in points for v in point):
            assert round(value, COORD_DECIMALS) == value


def test_incident_layer_data(client, settings) -> None:
    store = Store.from_settings(settings)
    _feed(client, settings, store)
    data = by_key("incidents").data(store.layers, Scope())
    by_id = {f["id"]: f for f in data["features"]}
    # most urgent drawn last (on top)
    assert [f["properties"]["priority"] for f in data["features"]] == [3, 2, 1]
    description = by_id["MK1"]["properties"]["description"]
    assert description.startswith("<b>not html</b>")  # text as written; the browser escapes it
    assert len(description) <= 200 and description.endswith("…")
    assert by_id["MK2"]["geometry"]["coordinates"][1] == pytest.approx(21.43123, abs=1e-9)


def test_reads_for_a_refresh_read_each_list_once(client, settings) -> None:
    store = Store.from_settings(settings)
    _feed(client, settings, store)
    reads = store.layers.for_refresh()
    scope = Scope.parse("SA-02")
    assert reads.incidents(scope) is reads.incidents(scope)
    assert reads.incident_rows(scope) is reads.incident_rows(scope)
    assert reads.units(scope) is reads.units(scope)
    assert store.layers.incidents(scope) is not store.layers.incidents(scope)  # the part itself reads afresh
    now_ms = 1_800_000_000_000
    assert reads.kpis(scope, now_ms) == store.live.kpis(scope, now_ms)
    assert reads.port_summary(now_ms) == store.live.port_summary(now_ms)
    assert reads._caches is store.layers._caches  # trails and the memo are the part's


def test_basemap_geodata_labels_sit_inside_their_places(settings) -> None:
    files = geodata(settings)
    assert set(files) == {REGIONS_FILE, NEIGHBOURS_FILE, LABELS_FILE}
    regions = {
        f["properties"]["code"]: shapely.from_geojson(orjson.dumps(f["geometry"]))
        for f in orjson.loads(files[REGIONS_FILE])["features"]
    }
    labels = orjson.loads(files[LABELS_FILE])["features"]
    region_labels = [f for f in labels if f["properties"]["kind"] == "region"]
    assert {f["properties"]["code"] for f in region_labels} == set(regions)
    for label in region_labels:
        props = label["properties"]
        assert props["name_ar"] and props["name_en"] and not props["name_ar"].startswith("منطقة ")
        assert regions[props["code"]].contains(shapely.Point(label["geometry"]["coordinates"]))
    countries = {f["properties"]["code"] for f in labels if f["properties"]["kind"] == "country"}
    assert "SAU" not in countries and {"YEM", "JOR", "ARE"} <= countries


def test_every_string_is_in_both_languages() -> None:
    assert missing() == []
    assert all(list(texts)[:1] == ["ar"] for texts in STRINGS.values()), "Arabic first"


def test_numbers_follow_the_language() -> None:
    assert fmt_int(12345, "en") == "12,345"
    assert fmt_int(12345, "ar") == "١٢٬٣٤٥"
    assert fmt_percent(0.905, "ar", 1) == "٩٠٫٥٪"
    assert fmt_duration(252, "en") == "4 min 12 s"
    assert fmt_duration(3900, "ar") == "١ س ٥ د"
    assert fmt_int(None, "en") == "—"


def test_sea_colour_is_the_map_background() -> None:
    from pathlib import Path

    from layers.basemap import SEA

    css = (Path(__file__).resolve().parent.parent / "assets" / "basira.css").read_text(encoding="utf-8")
    assert f"--sea: {SEA};" in css
