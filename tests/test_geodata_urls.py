"""The basemap's geodata (``/geo/regions.geojson``, neighbours, labels) by versioned URLs: the pages ask
for ``?v=<the start of the file's ETag>``, served as immutable, so a browser never asks again for the
same version — and never draws an old one: new regions (or an upgrade that changes the labels) give new
URLs. Unversioned, a file was cached for an hour, so regions changed by an operator, or an upgrade's
labels, could be drawn stale for that long; any request without the current version is revalidated."""

from __future__ import annotations

import re
from pathlib import Path

from app import create_app
from app.settings import Settings
from layers.basemap import LABELS_FILE, NEIGHBOURS_FILE, REGIONS_FILE, geo_url
from tests.test_auth_api import router_body

VERSIONED = re.compile(r"/geo/(regions|neighbors|labels)\.geojson\?v=([0-9a-f]{12})")


def test_the_pages_ask_for_versioned_geodata_that_is_cached_for_good(settings: Settings) -> None:
    app = create_app(settings)
    http = app.test_client()
    # the command view as its router callback sends it (the JSON writes "/" as "\u002f")
    page = http.post("/_dash-update-component", json=router_body("/")).get_data(as_text=True)
    page = page.replace("\\u002f", "/")
    asked = {match.group(0) for match in VERSIONED.finditer(page)}
    assert {url.split("?")[0] for url in asked} == {"/geo/regions.geojson", "/geo/neighbors.geojson",
                                                     "/geo/labels.geojson"}
    assert asked == {geo_url(settings, name) for name in (REGIONS_FILE, NEIGHBOURS_FILE, LABELS_FILE)}
    for url in asked:
        answer = http.get(url)
        assert answer.status_code == 200 and answer.get_json()["type"] == "FeatureCollection"
        assert answer.cache_control.immutable and answer.cache_control.max_age == 365 * 24 * 3600
        assert http.get(url, headers={"If-None-Match": answer.headers["ETag"]}).status_code == 304
    # without the version, or with another: revalidated every time
    for other in ("/geo/regions.geojson", "/geo/regions.geojson?v=000000000000"):
        answer = http.get(other)
        assert answer.status_code == 200 and answer.cache_control.no_cache
        assert not answer.cache_control.immutable and answer.cache_control.max_age is None


def test_changed_regions_get_a_new_url(settings: Settings, tmp_path: Path) -> None:
    before = geo_url(settings, REGIONS_FILE)
    changed = tmp_path / "regions.geojson"
    text = Path(settings.regions_file).read_text()
    changed.write_text(text.replace('"name_en":"Riyadh"', '"name_en":"Ar Riyadh"', 1))
    assert changed.read_text() != text
    moved = settings.model_copy(update={"regions_file": changed})
    after = geo_url(moved, REGIONS_FILE)
    assert VERSIONED.fullmatch(after) and after != before
    assert geo_url(moved, NEIGHBOURS_FILE) == geo_url(settings, NEIGHBOURS_FILE)  # the same file: its URL
    http = create_app(moved).test_client()
    served = http.get(after)
    assert served.cache_control.immutable and b"Ar Riyadh" in served.data
    # changed again while the app runs: the pages' new URL serves the new bytes, the old one is revalidated
    changed.write_text(text.replace('"name_en":"Riyadh"', '"name_en":"Riyadh Region"', 1))
    latest = geo_url(moved, REGIONS_FILE)
    assert latest not in (after, before)
    served = http.get(latest)
    assert served.cache_control.immutable and b"Riyadh Region" in served.data
    stale = http.get(after)
    assert stale.cache_control.no_cache and not stale.cache_control.immutable
    assert b"Riyadh Region" in stale.data
    # broken since: the URL loses its version, and the bytes read at start are served, revalidated
    changed.write_text("{ not json")
    assert geo_url(moved, REGIONS_FILE) == "/geo/regions.geojson"
    kept = http.get("/geo/regions.geojson")
    assert kept.status_code == 200 and kept.cache_control.no_cache and b"Ar Riyadh" in kept.data
