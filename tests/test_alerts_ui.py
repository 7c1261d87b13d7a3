"""The alerts on the pages, without a browser: the rules of acting (shared by the API and the command
view), the command view's section and pins, the wall's list and card data, the chime — against a real
Redis, through the real app where access control decides (a Dash callback posted as the browser does).

The browser tests (``tests/test_alerts_browser.py``) check that the pages learn of an alert without
a reload, that a click acknowledges it, and the wall's card and sound.
"""

from __future__ import annotations

import io
import json
import sys
import wave
from pathlib import Path

import pytest
from dash import html
from pydantic import SecretStr

from app import create_app
from app.alerts import actions
from app.alerts.listing import alerts_for
from app.alerts.model import Alert
from app.auth.principals import OPEN, Principal
from app.auth.users import UsersFile, hash_token, new_token
from app.contract import Scope
from app.i18n import LANGUAGES, STRINGS
from app.pages._kit import alerts as kit
from app.pages.command import alerts as section
from app.pages.command.drill import View
from app.pages.wall import alerts as wall
from app.settings import Settings
from app.store import Store
from tests.helpers import now_ms

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import alert_sound  # noqa: E402  (tools/ is not a package)

COMMANDER = Principal.make("amal", "commander", ["SA-01"], None)
LEADER = Principal.make("lead", "leadership")
DISPLAY = Principal.make("wall-1", "wall")


def raise_alert(store: Store, kind: str = "spike", severity: str = "severe", region: str = "SA-02",
                ago_ms: int = 0, **fields: object) -> str:
    """An alert raised as the worker raises it (the store's exactly-once script)."""
    alert_id = store.alerts.next_id()
    record = Alert(id=alert_id, rule=f"test-{kind}", kind=kind, severity=severity, condition=f"c:{alert_id}",
                   raised_at=now_ms() - ago_ms, region=region, **fields)  # type: ignore[arg-type]
    assert store.alerts.raise_alert(record.condition, alert_id, record.fields() | {"id": alert_id}, now_ms(),
                                    0) == 1
    return alert_id


SPIKE = {"facts": {"count": 14, "expected": 3.2, "window_s": 900, "region_en": "Makkah",
                   "region_ar": "مكة المكرمة"}, "lon": 39.83, "lat": 21.42}


@pytest.fixture
def store(settings: Settings) -> Store:
    return Store.from_settings(settings)


# --- acting: one set of rules ---------------------------------------------------------------------------


def test_a_person_acts_within_their_scope_and_every_attempt_is_audited(store: Store) -> None:
    makkah = raise_alert(store, **SPIKE)
    riyadh = raise_alert(store, "port_wait", "moderate", "SA-01", port="air-ruh", lon=46.7, lat=24.96)
    trail: list[tuple[str, dict]] = []

    def audit(name: str, **fields: object) -> None:
        trail.append((name, fields))

    scope = Scope(limit_regions=("SA-01",))

    def act(alert_id: str, action: str, actor=COMMANDER, **more) -> actions.Outcome:  # noqa: ANN001
        return actions.act(store, scope, actor, alert_id, action, now_ms(), audit=audit, **more)

    # outside the commander's scope: as if it did not exist (nothing recorded, nothing audited)
    assert act(makkah, "acknowledge").result == "unknown"
    assert store.alerts.record(makkah).get("acknowledged_by") is None
    # a display account never acts; an unknown action; an assignment needs a name
    assert act(riyadh, "acknowledge", DISPLAY).result == "refused"
    assert act(riyadh, "delete").result == "invalid"
    assert act(riyadh, "assign", to="  ").result == "invalid"
    assert trail == []

    done = act(riyadh, "acknowledge", note="  on it  ")
    assert done.result == "ok" and done.status == 200 and done.alert is not None
    assert (done.alert.acknowledged_by, done.alert.acknowledge_note) == ("amal", "on it")
    again = act(riyadh, "acknowledge")
    assert (again.result, again.status, again.alert.acknowledged_by) == ("already", 409, "amal")
    assigned = act(riyadh, "assign", to="Sgt. Faisal", note="x" * 900)
    assert assigned.result == "ok" and assigned.alert.assigned_to == "Sgt. Faisal"
    assert len(assigned.alert.assign_note) == actions.NOTE_MAX
    assert act(riyadh, "resolve").result == "ok"
    assert act(riyadh, "resolve").result == "resolved"
    assert [(n, f["action"], f["outcome"]) for n, f in trail] == [
        ("alert", "acknowledge", "ok"), ("alert", "acknowledge", "already"), ("alert", "assign", "ok"),
        ("alert", "resolve", "ok"), ("alert", "resolve", "resolved")]
    assert trail[0][1]["alert"] == riyadh and trail[0][1]["note"] == "on it"
    assert trail[2][1]["to"] == "Sgt. Faisal"


def test_who_is_recorded() -> None:
    assert actions.who(COMMANDER, "someone else") == "amal"  # a signed-in name is never overridden
    assert actions.who(OPEN, " Huda ") == "Huda (unverified)"
    assert actions.who(OPEN) == "anonymous"
    assert actions.who(None) == "-"
    assert not actions.may_act(DISPLAY) and not actions.may_act(None)
    assert actions.may_act(COMMANDER) and actions.may_act(LEADER) and actions.may_act(OPEN)


def test_the_api_acts_through_the_same_rules(settings: Settings, store: Store) -> None:
    alert_id = raise_alert(store, **SPIKE)
    http = create_app(settings).test_client()
    base = f"/api/v1/alerts/{alert_id}"
    assert http.post(f"{base}/assign", json={}).status_code == 400
    assert http.post(f"{base}/explode", json={}).status_code == 404
    first = http.post(f"{base}/acknowledge", json={"note": "seen", "by": "Huda"})
    assert first.status_code == 200 and first.get_json()["acknowledged_by"] == "Huda (unverified)"
    again = http.post(f"{base}/acknowledge", json={})
    assert again.status_code == 409 and "already acknowledged" in again.get_json()["error"]
    audited = [e for e in store.audit.recent(20) if e.get("event") == "alert"]
    assert [(e["action"], e["outcome"]) for e in reversed(audited)] == [("acknowledge", "ok"),
                                                                         ("acknowledge", "already")]


# --- the command view's section ---------------------------------------------------------------------------


def alerts_of(store: Store, scope: Scope | None = None) -> list[Alert]:
    return alerts_for(store, scope or Scope(), "open")


def text_of(component: object) -> str:
    """Every text under a component, joined."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(c) for c in component)
    children = getattr(component, "children", None)
    return "" if children is None else text_of(children)


def find(component: object, predicate) -> list:  # noqa: ANN001
    """Components under ``component`` (itself included) that match."""
    found = []
    if isinstance(component, list | tuple):
        for c in component:
            found += find(c, predicate)
        return found
    if predicate(component):
        found.append(component)
    children = getattr(component, "children", None)
    if children is not None and not isinstance(children, str):
        found += find(children, predicate)
    return found


def classed(name: str):  # noqa: ANN201
    return lambda c: name in (getattr(c, "className", "") or "").split()


def test_the_section_rows_say_what_where_when_and_who(store: Store) -> None:
    spike = raise_alert(store, ago_ms=4 * 60_000, **SPIKE)
    p1 = raise_alert(store, "unassigned", "extreme", "SA-02", incident="INC-7", agency="civil_defense",
                     lon=39.82, lat=21.43, facts={"category": "fire", "priority": 1, "waited_s": 75,
                                                  "region_en": "Makkah", "region_ar": "مكة المكرمة"})
    silent = raise_alert(store, "stale_producer", "minor", "", stream="calls",
                         facts={"quiet_s": 300, "usual_gap_s": 5})
    store.alerts.act(spike, "assign", "amal", now_ms(), "", "Sgt. Faisal")
    listed = alerts_of(store)
    assert [a.id for a in listed] == [p1, spike, silent]  # most severe first
    now = now_ms()
    parts = section.drawn(listed, "en", now, View("SA-02"), may_act=True)
    assert text_of(parts["head"]).startswith("Alerts 3")
    rows = parts["rows"]
    first, second, third = (text_of(r) for r in rows)
    assert "Extreme" in first and "Incident without a unit" in first and "Fire" in first
    assert "Not acknowledged" in first and "Makkah" in first
    assert "Severe" in second and "14 new incidents in Makkah in the last 15 min" in second
    assert "4 min ago" in second and "Acknowledged by amal" in second and "Assigned to Sgt. Faisal" in second
    assert "the Kingdom" in third and "Nothing on the calls stream" in third
    # the incident's alert links to its view (as the incident list does); "show on map" where there is a place
    links = find(rows[0], lambda c: isinstance(c, html.A))
    assert links[0].href == "?region=SA-02&incident=INC-7&lang=en" and getattr(links[0], "data-nav") == "1"
    fly = find(rows[1], classed("basira-alert-fly"))[0]
    assert (getattr(fly, "data-lon"), getattr(fly, "data-lat"), getattr(fly, "data-map")) == \
        ("39.83", "21.42", "live-map")
    assert not find(rows[2], classed("basira-alert-fly"))  # a silent stream has no place
    # the actions: acknowledge only until someone has; assigning needs a name field
    acts = {c.id["action"] for c in find(rows, lambda c: isinstance(getattr(c, "id", None), dict)
                                         and c.id.get("type") == section.ACT) if c.id["alert"] == spike}
    assert acts == {"resolve", "assign"}
    assert find(rows[0], lambda c: getattr(c, "id", None) == {"type": section.TO, "alert": p1})
    # a display account's view: no buttons at all
    watching = section.drawn(listed, "en", now, View(), may_act=False)["rows"]
    assert not find(watching, classed("basira-alert-do"))
    # pins: the alerts with a place, their words for the tooltip
    pins = parts["pins"]["features"]
    assert [f["id"] for f in pins] == [p1, spike]
    assert pins[0]["properties"]["severity"] == "extreme"
    assert pins[0]["geometry"]["coordinates"] == [39.82, 21.43]
    assert parts["sheet"] and "Severe alerts: 2" in text_of(parts["sheet"])
    assert parts["more_hidden"]  # three rows: nothing to show more of


def test_three_rows_show_the_rest_behind_show_all_and_escalated_come_first(store: Store) -> None:
    ids = [raise_alert(store, "port_wait", "moderate", "SA-01", port=f"p{n}", ago_ms=n * 1000)
           for n in range(5)]
    store.alerts.escalate(ids[4], now_ms())  # the oldest, escalated: first
    listed = alerts_of(store)
    assert listed[0].id == ids[4]
    parts = section.drawn(listed, "ar", now_ms(), View(), may_act=True)
    rows = parts["rows"]
    assert [("is-extra" in r.className) for r in rows] == [False, False, False, True, True]
    assert "is-escalated" in rows[0].className and "مُصعَّد" in text_of(rows[0])
    assert not parts["more_hidden"] and "عرض الكل (٥)" in text_of(parts["more"])
    assert text_of(parts["head"]).startswith("التنبيهات ٥")
    assert parts["sheet"] == []  # none severe


def test_scope_decides_what_the_section_lists(store: Store) -> None:
    riyadh = raise_alert(store, "port_wait", "moderate", "SA-01", agency="", port="air-ruh")
    raise_alert(store, **SPIKE)  # Makkah
    traffic = raise_alert(store, "unassigned", "severe", "SA-01", agency="traffic", incident="T-1")
    nation = raise_alert(store, "stale_producer", "severe", "", stream="units")
    ryd_traffic = Scope(limit_regions=("SA-01",), limit_agencies=("traffic",))
    assert {a.id for a in alerts_of(store, ryd_traffic)} == {riyadh, traffic, nation}
    ryd_patrol = Scope(limit_regions=("SA-01",), limit_agencies=("patrol",))
    assert {a.id for a in alerts_of(store, ryd_patrol)} == {riyadh, nation}


def test_a_replay_shows_no_alerts_and_says_why() -> None:
    for lang, words in (("en", "Alerts are shown live only"), ("ar", "التنبيهات تُعرض في البث المباشر فقط")):
        parts = section.replaying(lang)
        assert words in text_of(parts["head"]) and parts["rows"] == [] and parts["pins"]["features"] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_outcomes_in_words(lang: str) -> None:
    alert = Alert(id="AL-3", rule="r", kind="spike", severity="severe", condition="c", raised_at=1,
                  acknowledged_by="amal", acknowledged_at=2, assigned_to="Faisal")
    for result in ("ok", "already", "resolved", "unknown", "refused", "invalid"):
        for action in actions.ACTIONS:
            said = section.outcome_text(actions.Outcome(result, alert), "AL-3", action, lang)
            assert said.children and "{" not in said.children
            assert getattr(said, "data-outcome") == result
    assert section.outcome_text(actions.Outcome("already", alert), "AL-3", "acknowledge", "en").children == \
        "AL-3 was already acknowledged by amal"


def test_every_alert_string_is_in_both_languages() -> None:
    keys = [k for k in STRINGS if k.startswith("alert.")]
    assert len(keys) > 40
    assert all(set(STRINGS[k]) == set(LANGUAGES) and all(STRINGS[k].values()) for k in keys)


# --- through the app: the page's callbacks with access control on --------------------------------------


@pytest.fixture
def secured(settings: Settings, tmp_path: Path):
    path = tmp_path / "users.toml"
    edit = UsersFile(path)
    tokens = {}
    for name, role, regions in (("ryd", "commander", ["SA-01"]), ("lead", "leadership", None),
                                ("wall1", "wall", None)):
        tokens[name] = new_token()
        edit.put("tokens", name, role, regions, None, hash_token(tokens[name]))
    edit.save()
    current = settings.model_copy(update={"auth_mode": "password", "users_file": path,
                                          "secret_key": SecretStr("k" * 40)})
    return create_app(current), tokens


def key_of(app, marker: str) -> str:  # noqa: ANN001
    """The registered callback whose outputs name ``marker`` (its key, as the browser posts it)."""
    from app.auth.guard import state

    return next(k for k in state(app).dash_app.callback_map if marker in k)


def draw_body(app, scope: dict) -> dict:  # noqa: ANN001
    """The section's callback as the browser posts it when the poller heard a new version."""
    from dash._utils import split_callback_id

    key = key_of(app, "live-alerts-head.children")
    inputs = [("live-alerts-version", "data", 1), ("live-alerts-clock", "n_intervals", None),
              ("live-lang", "value", "en"), ("live-scope", "data", scope), ("live-time", "data", None)]
    return {"output": key, "outputs": split_callback_id(key),
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
            "state": [{"id": "live-alerts-shown", "property": "data", "value": None}],
            "changedPropIds": ["live-alerts-version.data"]}


def act_body(app, alert_id: str, action: str, note: str = "", to: str = "") -> dict:  # noqa: ANN001
    """A click on a row's button as the browser posts it (the pattern inputs as lists)."""
    button = {"type": section.ACT, "alert": alert_id, "action": action}
    ids = json.dumps(button, sort_keys=True, separators=(",", ":"))
    return {
        "output": key_of(app, "live-alerts-outcome.children"),
        "outputs": [{"id": "live-alerts-outcome", "property": "children"},
                    {"id": "live-alerts-version", "property": "data"}],
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
        "state": [[{"id": {"type": section.NOTE, "alert": alert_id}, "property": "value", "value": note}],
                  [{"id": {"type": section.TO, "alert": alert_id}, "property": "value", "value": to}],
                  {"id": "live-lang", "property": "value", "value": "en"}],
        "changedPropIds": [f"{ids}.n_clicks"],
    }


def post(http, body: dict, token: str):  # noqa: ANN001, ANN201
    return http.post("/_dash-update-component", json=body, headers={"Authorization": f"Bearer {token}"})


def test_a_commander_sees_and_acts_on_their_regions_alerts_only(store: Store, secured) -> None:
    app, tokens = secured
    http = app.test_client()
    makkah = raise_alert(store, **SPIKE)
    riyadh = raise_alert(store, "port_wait", "severe", "SA-01", port="air-ruh", lon=46.7, lat=24.96)

    # the section asked for the nation (a hand-made request too) lists the commander's region only
    drawn = post(http, draw_body(app, {"region": "SA-02"}), tokens["ryd"])
    assert drawn.status_code == 200, drawn.get_data(as_text=True)[:300]
    answer = drawn.get_data(as_text=True)
    assert riyadh in answer and makkah not in answer
    national = post(http, draw_body(app, {}), tokens["lead"]).get_data(as_text=True)
    assert riyadh in national and makkah in national

    # acting outside the scope: "not in your scope", nothing recorded
    outside = post(http, act_body(app, makkah, "acknowledge"), tokens["ryd"])
    assert outside.status_code == 200 and '"data-outcome":"unknown"' in outside.get_data(as_text=True)
    assert store.alerts.record(makkah).get("acknowledged_at") is None
    # inside: recorded (who, when, note) and audited; the answer moves the section's version
    inside = post(http, act_body(app, riyadh, "acknowledge", note="on my way"), tokens["ryd"])
    said = inside.get_json()["response"]
    assert said["live-alerts-outcome"]["children"]["props"]["data-outcome"] == "ok"
    assert said["live-alerts-version"]["data"] == store.alerts.version()
    record = store.alerts.record(riyadh)
    assert (record["acknowledged_by"], record["acknowledge_note"]) == ("ryd", "on my way")
    assert abs(int(record["acknowledged_at"]) - now_ms()) < 60_000
    audited = [e for e in store.audit.recent(20) if e.get("event") == "alert"]
    assert audited and audited[0]["user"] == "ryd" and audited[0]["alert"] == riyadh
    assert audited[0]["outcome"] == "ok" and audited[0]["note"] == "on my way"
    # a wall account cannot even reach the command view's callbacks
    assert post(http, act_body(app, riyadh, "resolve"), tokens["wall1"]).status_code == 403


# --- the wall ---------------------------------------------------------------------------------------------


def test_the_wall_lists_alerts_and_shows_the_newest_unacknowledged_severe_one(store: Store) -> None:
    old = raise_alert(store, ago_ms=120_000, **SPIKE)
    moderate = raise_alert(store, "port_wait", "moderate", "SA-01", port="air-ruh")
    acked = raise_alert(store, "unassigned", "extreme", "SA-02", incident="I-1", ago_ms=1000)
    newest = raise_alert(store, "stale_producer", "extreme", "", stream="units")
    store.alerts.act(acked, "acknowledge", "amal", now_ms())
    listed = alerts_of(store)
    items = wall.severe_items(listed, "en")
    assert [i["id"] for i in items] == [newest, old]  # newest first; not the acknowledged, not the moderate
    assert items[0]["title"] == "Alert · Extreme" and items[0]["lat"] is None
    assert items[1]["headline"] == "Unusual rise in incidents" and items[1]["where"] == "Makkah"
    assert items[1]["status"] == "Not acknowledged" and not items[1]["near"]
    rows = wall.side_list(listed, "ar", now_ms())
    assert text_of(rows[0]).startswith("التنبيهات المفتوحة ٤")
    assert len(find(rows, lambda c: isinstance(c, html.Li))) == 4 and moderate in json.dumps(
        [getattr(li, "data-alert") for li in find(rows, lambda c: isinstance(c, html.Li))])
    assert wall.side_list([], "en", now_ms()) == []


def test_sound_is_off_unless_asked() -> None:
    assert Settings.model_fields["wall_alert_sound"].default is False
    assert wall.sound_on(False, None) is False and wall.sound_on(False, "1") is True
    assert wall.sound_on(True, "0") is False and wall.sound_on(True, "maybe") is True
    assert wall.config("en", True)["sound_url"] == "/assets/sounds/alert.wav"


def test_the_chime_is_the_one_the_tool_draws() -> None:
    """``assets/sounds/alert.wav`` is what ``tools/alert_sound.py`` draws (to a sample: another machine's
    libm may round one differently), short, and not clipped."""
    with wave.open(str(alert_sound.SOUND), "rb") as shipped:
        shape = (shipped.getnchannels(), shipped.getsampwidth(), shipped.getframerate())
        assert shape == (1, 2, alert_sound.RATE)
        frames = shipped.readframes(shipped.getnframes())
    got = memoryview(frames).cast("h").tolist()
    want = alert_sound.samples()
    assert len(got) == len(want) and max(abs(a - b) for a, b in zip(got, want, strict=True)) <= 1
    assert 0.3 < len(got) / alert_sound.RATE < 1.5 and max(map(abs, got)) < 32767
    with wave.open(io.BytesIO(alert_sound.drawn()), "rb") as drawn:
        assert drawn.getnframes() == len(want)


def test_pins_are_few() -> None:
    many = [Alert(id=f"AL-{n}", rule="r", kind="spike", severity="minor", condition=f"c{n}", raised_at=n,
                  lon=45.0, lat=24.0) for n in range(120)]
    assert len(kit.pins(many, "en")["features"]) == kit.PIN_LIMIT
