"""The phased roll-out (issue 12): ``BASIRA_COVERED_REGIONS`` names the regions the center covers now.

An uncovered region's entries are stored as any other and counted apart in ``/metrics``; national
figures (the command view's KPIs and summary, the API's, the wall's) leave its figures out and say so,
while a drill-down into it shows its own figures, labelled "not yet connected"; the maps hatch it
(drawn in a browser in ``tests/test_layers_browser.py``). Real Redis, real ingest worker, no mocks.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app import create_app
from app.__main__ import main
from app.contract import REGION_CODES, Scope, Stream
from app.ingest import IngestWorker
from app.pages._kit import places as _places
from app.pages._kit import widgets as w
from app.pages.command import summary as _summary
from app.pages.wall import panels
from app.reference import CoverageError, Reference
from app.settings import Settings
from app.store import Store
from layers import LAYERS, by_key
from tests.helpers import call, callback_body, incident, port_entry, unit
from tests.helpers import now_ms as now

#: The seed's center went live in Makkah first, then Riyadh.
COVERED = "SA-02,SA-01"
UNCOVERED = tuple(code for code in REGION_CODES if code not in ("SA-01", "SA-02"))


def _covered(settings: Settings) -> Settings:
    return settings.model_copy(update={"covered_regions": COVERED})


def _feed(client, settings: Settings, store: Store) -> None:
    """Makkah (connected), Dammam in the Eastern Province and Madinah (not yet): an incident each, a unit
    and a call in Dammam, travellers through Jeddah's airport and Dammam's port."""
    add = client.xadd
    p = settings.stream_prefix
    add(Stream.incidents.key(p), incident("MK1"))  # Makkah, priority 1
    add(Stream.incidents.key(p), incident("EP1", priority="2", lat="26.40", lon="50.10"))
    add(Stream.incidents.key(p), incident("MD1", priority="1", lat="24.47", lon="39.61"))
    add(Stream.units.key(p), unit("U-EP", lat="26.41", lon="50.11"))
    add(Stream.calls.key(p), call("C-MK", region="SA-02"))
    add(Stream.calls.key(p), call("C-EP", region="SA-04"))
    add(Stream.ports.key(p), port_entry("air-jed", travellers="100"))
    add(Stream.ports.key(p), port_entry("sea-dammam", travellers="40"))
    IngestWorker(store, settings).work(burst=True)


# --- the setting ------------------------------------------------------------------------------------


def test_the_setting_names_the_covered_regions_and_a_bad_code_stops_the_start(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.covered is None and Reference.bundled().coverage(settings.covered).complete
    assert Settings(covered_regions=" SA-02 , SA-01 ").covered == frozenset({"SA-01", "SA-02"})
    assert Settings(covered_regions=" ").covered is None
    with pytest.raises(ValidationError):
        Settings(covered_regions="SA-2;SA-01")

    # SA-13 has the shape of a code but is no region (the Kingdom's codes skip it): named, with the right ones
    bad = settings.model_copy(update={"covered_regions": "SA-02,SA-13"})
    with pytest.raises(CoverageError, match=r"SA-13.*ksa_regions\.geojson \(SA-01, SA-02, .*SA-14\)"):
        Store.from_settings(bad)
    with pytest.raises(ValueError, match="SA-13"):
        create_app(bad)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("BASIRA_STREAM_PREFIX", settings.stream_prefix)
    monkeypatch.setenv("BASIRA_COVERED_REGIONS", "SA-13,SA-02")
    for command in ("ingest", "serve"):
        with pytest.raises(SystemExit) as stopped:
            main([command])
        assert "Not starting: BASIRA_COVERED_REGIONS names SA-13" in str(stopped.value.code)


# --- ingest and /metrics -------------------------------------------------------------------------------


def test_an_uncovered_regions_entries_are_stored_and_counted_apart_in_metrics(client, settings) -> None:
    settings = _covered(settings)
    store = Store.from_settings(settings)
    _feed(client, settings, store)

    # nothing dropped: stored and readable as any other
    for incident_id in ("MK1", "EP1", "MD1"):
        assert store.live.incident(incident_id, Scope()) is not None
    assert [u["id"] for u in store.live.units(Scope("SA-04"))] == ["U-EP"]
    stats = store.streams.stats()
    assert stats["ingested:incidents"] == 3 and stats["ingested:units"] == 1
    assert {k: v for k, v in stats.items() if k.startswith("uncovered:")} == {
        "uncovered:incidents:SA-04": 1, "uncovered:incidents:SA-03": 1, "uncovered:units:SA-04": 1,
        "uncovered:calls:SA-04": 1, "uncovered:ports:SA-04": 1,
    }

    # counted with the commit that acknowledges the entries: another run finds nothing more to count
    IngestWorker(store, settings).work(burst=True)
    assert store.streams.stats()["uncovered:incidents:SA-04"] == 1

    text = create_app(settings).test_client().get("/metrics").get_data(as_text=True)
    assert "# TYPE basira_entries_uncovered_total counter" in text
    assert 'basira_entries_uncovered_total{region="SA-04",stream="incidents"} 1.0' in text
    assert 'basira_entries_uncovered_total{region="SA-03",stream="incidents"} 1.0' in text
    assert 'basira_entries_uncovered_total{region="SA-04",stream="units"} 1.0' in text
    assert 'basira_entries_ingested_total{stream="incidents"} 3.0' in text  # still applied, so still counted
    uncovered = [line for line in text.splitlines() if line.startswith("basira_entries_uncovered_total{")]
    assert len(uncovered) == 5 and not any('"SA-02"' in line for line in uncovered)


def test_a_commit_redis_refuses_counts_only_what_was_applied(client, settings) -> None:
    """A batch that fails on one entry is committed entry by entry (tests/test_ingest_poison.py): the
    counters of the failed transaction are taken back, the uncovered ones with the others."""
    settings = _covered(settings)
    store = Store.from_settings(settings)
    client.hset(store.keys.incident_index, "CORRUPT", "not|a|valid|record")
    key = Stream.incidents.key(settings.stream_prefix)
    for name in ("EP0", "EP1", "CORRUPT", "EP2"):
        client.xadd(key, incident(name, lat="26.40", lon="50.10"))  # Dammam: not yet connected
    IngestWorker(store, settings).work(burst=True)
    assert store.streams.stats() == {"ingested:incidents": 3, "rejected:incidents": 1,
                                     "uncovered:incidents:SA-04": 3}


# --- national figures: the store's KPIs, the command summary and page, the wall -------------------------


def test_national_figures_leave_uncovered_regions_out_and_say_so(client, settings) -> None:
    settings = _covered(settings)
    store = Store.from_settings(settings)
    _feed(client, settings, store)
    now_ms = now()

    nation = store.live.kpis(Scope(), now_ms)
    assert nation["open_total"] == 1 and nation["open_by_priority"]["1"] == 1  # Makkah's; not Madinah's P1
    assert nation["units_total"] == 0  # the one unit is in the Eastern Province
    assert nation["calls_1h"] == 1  # Makkah's call, not Dammam's
    assert nation["port_travellers_1h"] == 100  # Jeddah's airport, not Dammam's port
    assert nation["coverage"] == {"regions": 13, "connected": 2, "excluded": list(UNCOVERED),
                                  "not_connected": False}
    # the same with lists already read (the refresh's reads, the API), and for one agency
    assert store.layers.for_refresh().kpis(Scope(), now_ms) == nation
    assert store.live.kpis(Scope(), now_ms, incidents=store.live.incidents(Scope())) == nation
    assert store.live.kpis(Scope(agency="civil_defense"), now_ms)["open_total"] == 1

    # a drill-down into a region not yet connected: its own figures, marked as such
    eastern = store.live.kpis(Scope("SA-04"), now_ms)
    assert eastern["open_total"] == 1 and eastern["units_total"] == 1 and eastern["calls_1h"] == 1
    assert eastern["coverage"] == {"regions": 13, "connected": 2, "excluded": [], "not_connected": True}
    assert store.live.kpis(Scope("SA-02"), now_ms)["coverage"]["not_connected"] is False

    # the command summary (built once per scope per tick) carries the same KPIs; its list and map still
    # show every stored incident
    with create_app(settings).app_context():  # the page's clock is the app's (Services.clock)
        shared = _summary.summary(store, Scope(), ["regions"], 60_000)
    assert shared["kpis"]["open_total"] == 1 and shared["kpis"]["coverage"]["excluded"] == list(UNCOVERED)
    assert shared["total"] == 3
    drawn = {f["id"]: f["properties"]["open"] for f in shared["layers"]["regions"]["features"]}
    assert drawn["SA-04"] == 1 and drawn["SA-03"] == 1

    # the KPI strip says so, in both languages; a region not yet connected says that
    def note(kpis, lang):
        found = [c for c in w.kpi_strip(kpis, lang) if "basira-coverage-note" in (c.className or "")]
        return found[0].children if found else None

    assert note(nation, "en") == "2 of 13 regions connected · figures exclude the others"
    assert note(nation, "ar").startswith("٢ من ١٣ منطقة متصلة")
    assert note(eastern, "en").startswith("Not yet connected")
    assert note(store.live.kpis(Scope("SA-02"), now_ms), "en") is None

    # the wall's national stop card leaves them out too
    tallies = _places.tally(store.live.incidents(Scope()), store.live.units(Scope()))
    assert panels.tallies_data(tallies, nation["coverage"]["excluded"])[_places.NATIONAL] == [1, 1, 0]
    assert panels.tallies_data(tallies)[_places.NATIONAL] == [3, 2, 1]


def test_the_command_page_says_what_its_figures_leave_out(client, settings) -> None:
    settings = _covered(settings)
    app = create_app(settings)
    _feed(client, settings, Store.from_settings(settings))
    http = app.test_client()

    def refresh(scope: dict) -> str:
        values = {"live-pulse.data": {"at": 1}, "live-lang.value": "en", "live-scope.data": scope}
        body = callback_body(app, "live-kpis-html.data", values, "live-pulse.data")
        reply = http.post("/_dash-update-component", json=body)
        assert reply.status_code == 200
        return reply.get_json()["response"]["live-kpis-html"]["data"]

    national = refresh({})
    assert "2 of 13 regions connected · figures exclude the others" in national
    assert 'data-coverage="national"' in national
    eastern = refresh({"region": "SA-04", "agency": None, "incident": None})
    assert "Not yet connected" in eastern and "figures exclude" not in eastern
    assert "regions connected" not in refresh({"region": "SA-02", "agency": None, "incident": None})


# --- the API ----------------------------------------------------------------------------------------


def test_the_api_reports_national_figures_as_the_pages_do_and_every_entry(client, settings) -> None:
    settings = _covered(settings)
    app = create_app(settings)
    _feed(client, settings, Store.from_settings(settings))
    http = app.test_client()

    nation = http.get("/api/v1/snapshot").get_json()
    assert nation["kpis"]["open_total"] == 1
    assert nation["kpis"]["coverage"]["excluded"] == list(UNCOVERED)
    assert {f["id"] for f in nation["incidents"]["features"]} == {"MK1", "EP1", "MD1"}  # nothing withheld
    eastern = http.get("/api/v1/snapshot?region=SA-04").get_json()
    assert eastern["kpis"]["open_total"] == 1 and eastern["kpis"]["coverage"]["not_connected"] is True

    # every region connected (the default): nothing left out, nothing to say
    full = create_app(settings.model_copy(update={"covered_regions": None})).test_client()
    everything = full.get("/api/v1/snapshot").get_json()["kpis"]
    assert everything["open_total"] == 3
    assert everything["coverage"] == {"regions": 13, "connected": 13, "excluded": [], "not_connected": False}


# --- the hatched layer, on the pages that draw it ----------------------------------------------------------


def _router(path: str) -> dict:
    return {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"},
                        {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": "?lang=en"}],
            "changedPropIds": ["_pages_location.pathname"]}


def test_the_hatch_and_its_legend_line_only_while_a_region_is_not_yet_connected(settings) -> None:
    layer = by_key("coverage")
    covered = _covered(settings)
    assert not layer.applies(settings) and layer.applies(covered)
    assert layer.hideout("en", covered)["uncovered"] == list(UNCOVERED)
    assert "Not yet connected" in str(w.legend(LAYERS, "en", None, covered))
    assert "غير متصلة بعد" in str(w.legend(LAYERS, "ar", None, covered))
    assert "Not yet connected" not in str(w.legend(LAYERS, "en", None, settings))
    assert "coverage" in w.shown_layers(LAYERS, covered)
    assert "coverage" not in w.shown_layers(LAYERS, settings)

    # the command view, the wall and the kiosk draw it (and the wall's legend names it) only when set
    for config, expected in ((covered, True), (settings, False)):
        http = create_app(config).test_client()
        for path in ("/", "/wall", "/demo"):
            page = http.post("/_dash-update-component", json=_router(path)).get_data(as_text=True)
            assert ('"layer":"coverage"' in page.replace(" ", "")) is expected, (path, expected)
            if path == "/wall":
                assert ("Not yet connected" in page) is expected
