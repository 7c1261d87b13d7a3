"""Replay on the command view, without a browser: the moment in the URL, and the page's refresh drawing
the archive's picture at a moment — against a real archive (real streams, ingest worker, archiver,
Parquet, DuckDB; ``tests/replay_scene.py``) and the real Dash callback, posted as the browser posts it.

What the page draws at ``at=T`` is compared with ``GET /api/v1/snapshot?at=T`` (itself proved equal to
the live picture seen at T by ``tests/test_archive_replay.py``): the same incidents and units on the map,
the same KPIs, the same list. Scope is the viewer's, as live. A moment outside the archive, an empty
archive: a notice in the page's language, and live — never a traceback. The incident timeline's panel
and tracks are drawn from ``app.archive.timeline``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from app import create_app
from app.archive import layout as archive_layout
from app.archive.timeline import timeline
from app.auth.users import UsersFile, hash_token, new_token
from app.contract import Scope
from app.i18n import LANGUAGES, STRINGS, missing
from app.pages.command import timebar
from app.pages.command import timeline as panel
from app.pages.command.drill import View
from app.pages.command.replayed import ReplayReads, href
from app.pages.command.timebar import SPEEDS, Moment, within
from app.settings import Settings
from layers.reads import Reads
from tests.helpers import callback_body, html_components
from tests.replay_scene import Archived

HOUR = archive_layout.HOUR_MS
DAY = archive_layout.DAY_MS


@pytest.fixture(scope="module")
def archived(replay_archive: tuple[Settings, Archived]) -> Iterator[tuple[Settings, Archived]]:
    """Two and a half hours of the simulator in the archive (its first hour's unit positions thinned): the
    session's (``conftest.replay_archive``, shared with ``test_replay_browser.py``), which the module's
    tests only read."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("BASIRA_"):
                patch.delenv(name)
        yield replay_archive


def _refresh(app, http, time: dict | None, lang: str = "en", scope: dict | None = None,
             headers: dict | None = None) -> dict[str, Any]:
    """The page's refresh, posted as the browser posts it when the time bar changed."""
    values = {"live-pulse.data": None, "live-lang.value": lang, "live-scope.data": scope or {},
              "live-time.data": time}
    body = callback_body(app, "live-kpis-html.data", values, "live-time.data")
    reply = http.post("/_dash-update-component", json=body, headers=headers or {})
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    return reply.get_json()["response"]


def _parts(response: dict[str, Any], part: str) -> dict[str, Any]:
    """The data the refresh gave each map layer's ``part`` component (``feed``: incidents and units), by
    layer."""
    return {json.loads(key)["layer"]: props["data"] for key, props in response.items()
            if key.startswith("{") and json.loads(key).get("part") == part}


def _fed(response: dict[str, Any], layer: str) -> dict[str, Any]:
    """The data the refresh gave the map's ``layer`` (incidents or units), from the archive."""
    return _parts(response, "feed")[layer]


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every component in Dash's JSON of ``node``."""
    if isinstance(node, list):
        for item in node:
            yield from _nodes(item)
    elif isinstance(node, dict) and "props" in node:
        yield node
        yield from _nodes(node["props"].get("children"))


def _kpi(children: Any, key: str) -> str | None:
    """The ``data-value`` of the KPI tile ``key``."""
    tile = next(n for n in _nodes(children) if n["props"].get("data-kpi") == key)
    value = next(n for n in _nodes(tile) if "data-value" in n["props"])
    return value["props"]["data-value"]


def _text(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return " ".join(_text(n) for n in node)
    if isinstance(node, dict) and "props" in node:
        return _text(node["props"].get("children") or "")
    return ""


# --- the moment in the URL -----------------------------------------------------------------------------


def test_a_moment_comes_from_untrusted_values() -> None:
    t = 1_796_389_320_000
    assert Moment.parse(str(t)) == Moment(t)
    assert Moment.parse("2026-12-04T16:02:00+03:00") == Moment(1_796_389_320_000)
    assert Moment.parse("2026-12-04T16:02:00 03:00") == Moment(1_796_389_320_000)  # an unescaped "+"
    # a window needs both ends, the start first; the cursor is kept in it, or starts it
    assert Moment.parse(None, t, t + HOUR, "60") == Moment(t, t, t + HOUR, 60)
    assert Moment.parse(t - HOUR, t, t + HOUR) == Moment(t, t, t + HOUR)
    assert Moment.parse(t, t + HOUR, t) == Moment(t)
    assert Moment.parse(t, t, None, 60) == Moment(t, None, None, 60)
    # anything else is dropped, never an error: live
    for bad in ("yesterday", "2026-12-04T16:02:00", "١٧٩٦٣٨٩٣٢٠٠٠٠", "12", True, [t], {"at": t}):
        assert Moment.parse(bad) == Moment(), bad
    assert Moment.parse(t, speed="59").speed is None and Moment.parse(t, speed="x60").speed is None
    assert {Moment.parse(t, speed=str(n)).speed for n in SPEEDS} == set(SPEEDS)
    assert Moment.of({"at": t, "from": t, "to": t + 1000, "speed": 600, "push": True}).data() == {
        "at": t, "from": t, "to": t + 1000, "speed": 600}
    assert Moment(t, t, t + 1000, 60).query_pairs() == [
        ("at", str(t)), ("from", str(t)), ("to", str(t + 1000)), ("speed", "60")]
    assert href(View("SA-01", None, "I-1"), Moment(t), "ar") == f"?region=SA-01&incident=I-1&lang=ar&at={t}"
    assert href(View(), Moment(), None) == "?"


def test_a_moment_is_fitted_to_the_archive() -> None:
    span = (1_000 * HOUR, 1_010 * HOUR)
    inside = 1_005 * HOUR
    assert within(Moment(), span) == (Moment(), None)
    assert within(Moment(inside), None) == (Moment(), "empty")
    assert within(Moment(span[0] - 1), span) == (Moment(), "outside")
    assert within(Moment(span[1] + 1), span) == (Moment(), "outside")
    assert within(Moment(inside), span) == (Moment(inside), None)
    # a window is cut to the archive; playing without one plays to the archive's end
    cut, _ = within(Moment(inside, span[0] - HOUR, span[1] + HOUR, 60), span)
    assert (cut.start, cut.end, cut.speed) == (span[0], span[1], 60)
    played, _ = within(Moment(inside, speed=60), span)
    assert (played.start, played.end) == (inside, span[1])
    assert within(Moment(span[1], speed=60), span)[0].speed is None  # at the end already: paused


# --- the refresh at a moment ---------------------------------------------------------------------------


def test_the_refresh_draws_the_archives_picture_at_a_moment(archived) -> None:
    settings, scene = archived
    app = create_app(settings)
    http = app.test_client()
    at = scene.end_ms - 25 * 60_000
    snapshot = http.get(f"/api/v1/snapshot?at={at}").get_json()
    assert snapshot["replay"] is True and snapshot["incidents"]["features"], "nothing open at that moment"

    answer = _refresh(app, http, {"at": at, "from": None, "to": None, "speed": None})
    assert answer["live-frame"]["data"]["at"] == at and "error" not in answer["live-frame"]["data"]
    # the map: the moment's incidents and units, as the live layers draw them
    incidents, units = _fed(answer, "incidents"), _fed(answer, "units")
    assert {f["id"] for f in incidents["features"]} == {f["id"] for f in snapshot["incidents"]["features"]}
    assert {f["id"] for f in units["features"]} == {f["id"] for f in snapshot["units"]["features"]}
    drawn = {f["id"]: f["geometry"]["coordinates"] for f in units["features"]}
    assert drawn == {f["id"]: f["geometry"]["coordinates"] for f in snapshot["units"]["features"]}
    # the KPIs: the snapshot's, through the live widgets
    kpis, figures = html_components(answer["live-kpis-html"]["data"]), snapshot["kpis"]
    assert _kpi(kpis, "open") == str(figures["open_total"])
    dispatch = figures["dispatch_p50_s"]
    assert _kpi(kpis, "dispatch") == ("" if dispatch is None else str(dispatch))
    assert _kpi(kpis, "units") == str(figures["units_by_status"].get("available", 0))
    assert _kpi(kpis, "ports") == str(figures["port_travellers_1h"])
    # the list: every open incident then, each row linking to its view at the same moment
    panel = html_components(answer["live-incidents-html"]["data"])
    rows = [n for n in _nodes(panel) if "data-incident" in n["props"]]
    assert {r["props"]["data-incident"] for r in rows} == {f["id"] for f in snapshot["incidents"]["features"]}
    assert all(f"at={at}" in r["props"]["href"] for r in rows)
    # it cannot be mistaken for live
    assert answer["live-replay"]["hidden"] is False
    band = _text(answer["live-replay-text"]["children"])
    assert band.startswith("REPLAY · ") and band.endswith("Riyadh time — not live")
    assert answer["live-state"]["children"] == "Replay" and "is-replay" in answer["live-root"]["className"]
    # the refreshed layers are drawn from the snapshot too (here the test's request names these two)
    assert all(data["type"] == "FeatureCollection" for data in _parts(answer, "live").values())

    # back in live: the band goes, the feed draws the map again (the refresh leaves it alone)
    back = _refresh(app, http, {"at": None, "from": None, "to": None, "speed": None})
    assert back["live-replay"]["hidden"] is True and back["live-state"]["children"] != "Replay"
    assert _parts(back, "feed") == {}


def test_the_band_says_when_unit_tracks_are_thinned_in_both_languages(archived) -> None:
    settings, scene = archived
    app = create_app(settings)
    http = app.test_client()
    thinned = {"at": scene.start_ms + 20 * 60_000}
    english = _text(_refresh(app, http, thinned, "en")["live-replay-text"]["children"])
    arabic = _text(_refresh(app, http, thinned, "ar")["live-replay-text"]["children"])
    assert "unit tracks thinned to one position a minute" in english
    assert arabic.startswith("إعادة عرض · ") and "ليس مباشراً" in arabic
    assert "مسارات الوحدات مخففة إلى موقع واحد كل دقيقة" in arabic
    full = _refresh(app, http, {"at": scene.end_ms - 10 * 60_000}, "en")["live-replay-text"]["children"]
    assert "thinned" not in _text(full)


def test_scope_in_replay_is_the_viewers_as_live(archived, tmp_path) -> None:
    settings, scene = archived
    users = tmp_path / "users.toml"
    edit = UsersFile(users)
    token = new_token()
    edit.put("tokens", "riyadh", "commander", ["SA-01"], None, hash_token(token))
    edit.save()
    secured = settings.model_copy(update={"auth_mode": "password", "users_file": users,
                                          "secret_key": SecretStr("k" * 40)})
    app = create_app(secured)
    http = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    at = scene.end_ms - 25 * 60_000
    everywhere = create_app(settings).test_client().get(f"/api/v1/snapshot?at={at}").get_json()
    assert {f["properties"]["region"] for f in everywhere["units"]["features"]} - {"SA-01"}, "one region only"
    for asked in ({}, {"region": "SA-02", "agency": None, "incident": None}):  # Makkah: clamped to Riyadh
        answer = _refresh(app, http, {"at": at}, scope=asked, headers=bearer)
        for layer in ("incidents", "units"):
            assert {f["properties"]["region"] for f in _fed(answer, layer)["features"]} <= {"SA-01"}
        riyadh = [f["id"] for f in everywhere["units"]["features"] if f["properties"]["region"] == "SA-01"]
        assert sorted(f["id"] for f in _fed(answer, "units")["features"]) == sorted(riyadh)
    # and without credentials, nothing
    anonymous = callback_body(app, "live-kpis-html.data", {"live-time.data": {"at": at}}, "live-time.data")
    assert http.post("/_dash-update-component", json=anonymous).status_code in (401, 403)


def test_a_moment_the_archive_does_not_hold_says_so_and_stays_live(archived, tmp_path) -> None:
    settings, scene = archived
    app = create_app(settings)
    http = app.test_client()
    before = scene.span[0] - DAY
    answer = _refresh(app, http, {"at": before}, "en")
    assert answer["live-frame"]["data"] == {"at": before, "error": "outside"}
    assert "The archive does not cover" in answer["live-replay-note"]["children"]
    assert "back to live" in answer["live-replay-note"]["children"]
    assert "live-kpis-html" not in answer and "live-replay" not in answer  # the picture is left as it was
    arabic = _refresh(app, http, {"at": before}, "ar")["live-replay-note"]["children"]
    assert arabic.startswith("الأرشيف لا يغطي") and "عُدنا إلى المباشر" in arabic

    # the page opened at such a moment opens live, and says why
    from app.pages.command.layout import layout

    with app.test_request_context("/"):
        page = layout(lang="en", at=str(before))
    tree = json.loads(json.dumps(page, default=lambda c: c.to_plotly_json()))
    note = next(n for n in _nodes(tree) if n["props"].get("id") == timebar.TB.note)
    assert "The archive does not cover" in note["props"]["children"]
    assert "is-shown" in note["props"]["className"]
    store = next(n for n in _nodes(tree) if n["props"].get("id") == timebar.TB.time)
    assert store["props"]["data"]["at"] is None
    band = next(n for n in _nodes(tree) if n["props"].get("id") == timebar.TB.band)
    assert band["props"]["hidden"] is True

    # an empty archive: the same, and the bar says there is nothing to replay yet
    empty = settings.model_copy(update={"archive_dir": tmp_path / "nothing"})
    app = create_app(empty)
    answer = _refresh(app, app.test_client(), {"at": scene.end_ms}, "en")
    assert answer["live-frame"]["data"]["error"] == "empty"
    assert answer["live-replay-note"]["children"].startswith("The archive is empty")
    with app.test_request_context("/"):
        tree = json.loads(json.dumps(layout(lang="ar", at=str(scene.end_ms)),
                                     default=lambda c: c.to_plotly_json()))
    bar = next(n for n in _nodes(tree) if n["props"].get("id") == timebar.TB.bar)
    assert "is-empty" in bar["props"]["className"] and "is-live" in bar["props"]["className"]
    note = next(n for n in _nodes(tree) if n["props"].get("id") == timebar.TB.note)
    assert note["props"]["children"].startswith("الأرشيف فارغ")


# --- the incident timeline -----------------------------------------------------------------------------


def test_the_timeline_panel_and_tracks(archived) -> None:
    settings, scene = archived
    at = scene.end_ms - 25 * 60_000
    app = create_app(settings)
    snapshot = app.test_client().get(f"/api/v1/snapshot?at={at}").get_json()
    stories = [s for s in (timeline(settings.archive_dir, f["id"], at, Scope(), now_ms=scene.end_ms + HOUR)
                           for f in snapshot["incidents"]["features"]) if s]
    story = max(stories, key=lambda s: (len(s["statuses"]), len(s["units"])))
    assert story["units"], "no incident with units in the scene"
    with app.test_request_context("/"):
        drawn = json.loads(json.dumps(panel.draw(story, "en", at), default=lambda c: c.to_plotly_json()))
    steps = [n["props"] for n in _nodes(drawn) if "data-status" in n["props"]]
    assert [s["data-status"] for s in steps] == [s["status"] for s in story["statuses"]]
    assert all(("is-after" in s["className"]) == (int(s["data-ts"]) > at) for s in steps)
    judged = {n["props"]["data-judge"]: n["props"] for n in _nodes(drawn) if "data-judge" in n["props"]}
    for key in ("dispatch", "response"):
        verdict = {None: "pending", True: "met", False: "missed"}[story[key]["met"]]
        assert f"is-{verdict}" in judged[key]["className"]
    assert {n["props"]["data-unit"] for n in _nodes(drawn) if "data-unit" in n["props"]} == {
        u["id"] for u in story["units"]}
    lines = panel.tracks(story)["features"]
    assert lines and all(f["geometry"]["type"] == "LineString" for f in lines)
    assert {f["id"] for f in lines} <= {u["id"] for u in story["units"]}
    (south, west), (north, east) = panel.bounds(story)
    assert south < story["lat"] < north and west < story["lon"] < east


# --- the rest ------------------------------------------------------------------------------------------


def test_every_replay_string_is_in_both_languages_and_reaches_the_browser() -> None:
    assert missing() == []
    words = timebar.words()
    assert set(words) == set(LANGUAGES)
    keys = {k for k in STRINGS if k.startswith("replay.")}
    assert all(set(words[lang]) == keys for lang in LANGUAGES)
    assert any(k.startswith("timeline.") for k in STRINGS)


def test_a_replayed_snapshot_reads_as_the_store_does_for_the_layers() -> None:
    snapshot = {"incidents": {"features": []}, "units": {"features": []}, "ports": []}
    reads = ReplayReads(snapshot, None, 1_700_000_000_000)
    for name in ("now_ms", "incidents", "incident_rows", "units", "unit_trails", "calls_by_region",
                 "port_summary", "closed_chunks", "cached"):
        assert callable(getattr(reads, name)), name
        assert callable(getattr(Reads, name)), name
    assert reads.now_ms() == 1_700_000_000_000  # the replayed moment: what was recent then is drawn so
    assert reads.cached("k", lambda: ("value", 1.0)) == "value"
