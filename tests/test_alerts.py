"""The alert rules against a real Redis: each kind fires exactly once on a scripted scenario and resolves
when it clears; nothing fires on a quiet one; escalation, silences, the lease; and the rules file's bad
inputs. Scenarios go through the ingest worker, as producers' entries would (the alerts worker reads the
state it wrote), and the worker's clock is handed in where a scenario needs time to pass."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import redis
from hijridate import Hijri

from app.alerts.model import Alert
from app.alerts.spike import Baseline
from app.alerts.worker import AlertWorker
from app.contract import REGION_CODES
from app.ingest import IngestWorker
from app.settings import Settings
from app.store import Store
from tests.helpers import incident, now_ms, port_entry, unit

#: Makkah's normal for the spike scenarios: 12 openings an hour, every hour, learnt over 28 days.
MAKKAH_NORMAL = Baseline(
    hourly={code: (12.0,) * 24 for code in REGION_CODES},
    weekday={code: (1.0,) * 7 for code in REGION_CODES},
    days=28,
    source="test",
)
HARAM = (39.8262, 21.4225)
OUTSIDE_HARAM = (39.8500, 21.4400)  # about 3 km north-east


def write(client: redis.Redis, settings: Settings, stream: str, *entries: dict[str, str]) -> None:
    for fields in entries:
        client.xadd(f"{settings.stream_prefix}:{stream}", fields)


def ingest(settings: Settings) -> None:
    IngestWorker(Store.from_settings(settings), settings).work(burst=True)


def worker_for(settings: Settings, **more: object) -> AlertWorker:
    settings = settings.model_copy(update=more) if more else settings
    return AlertWorker(Store.from_settings(settings), settings, baseline=MAKKAH_NORMAL)


def alerts_of(store: Store, rule: str | None = None) -> list[Alert]:
    alerts = [Alert.from_record(r) for r in store.alerts.records(store.alerts.recent_ids(10_000))]
    return [a for a in alerts if rule is None or a.rule == rule]


def test_unassigned_fires_once_and_resolves_when_a_unit_is_dispatched(
    client: redis.Redis, settings: Settings
) -> None:
    worker = worker_for(settings)
    opened = now_ms() - 61_000
    write(
        client,
        settings,
        "incidents",
        incident("P1", ts=opened),
        incident("P2", priority=2, ts=opened),
        incident("FRESH", ts=now_ms()),
    )
    ingest(settings)
    assert worker.tick().raised == 1
    assert worker.tick().raised == 0  # held: not raised again
    (alert,) = alerts_of(worker.store, "p1-unassigned")
    assert (alert.incident, alert.kind, alert.severity, alert.region, alert.open) == (
        "P1",
        "unassigned",
        "severe",
        "SA-02",
        True,
    )
    assert alert.facts["waited_s"] >= 61 and alert.facts["region_en"] == "Makkah"
    write(client, settings, "incidents", incident("P1", status="dispatched", units="U1", ts=now_ms()))
    ingest(settings)
    assert worker.tick().cleared == 1
    (alert,) = alerts_of(worker.store, "p1-unassigned")
    assert alert.resolved_at is not None and alert.resolved_by == ""
    events = [e["event"] for e in reversed(worker.store.alerts.events())]
    assert events == ["raised", "resolved"]


def test_response_breach_fires_and_resolves_on_scene(client: redis.Redis, settings: Settings) -> None:
    worker = worker_for(settings, response_target_s=600)
    opened = now_ms() - 700_000
    write(
        client,
        settings,
        "incidents",
        incident("R1", ts=opened),
        incident("R1", status="dispatched", units="U1", ts=opened + 30_000),
    )
    ingest(settings)
    worker.tick()
    (alert,) = alerts_of(worker.store, "p1-response")
    assert alert.incident == "R1" and alert.facts["target_s"] == 600 and alert.facts["elapsed_s"] >= 700
    write(client, settings, "incidents", incident("R1", status="on_scene", units="U1", ts=now_ms()))
    ingest(settings)
    worker.tick()
    assert alerts_of(worker.store, "p1-response")[0].resolved_at is not None
    assert len(alerts_of(worker.store, "p1-response")) == 1


def test_a_spike_in_makkah_fires_once_and_clears_when_the_window_passes(
    client: redis.Redis, settings: Settings
) -> None:
    worker = worker_for(settings)
    now = now_ms()
    # 40 openings in Makkah in 3 minutes, where 12 an hour (3 in 15 minutes) is normal
    write(
        client,
        settings,
        "incidents",
        *[
            incident(f"S{n}", priority=3, status="dispatched", units=f"U{n}", ts=now - 180_000 + n * 4_000)
            for n in range(40)
        ],
    )
    # and a normal trickle in Riyadh
    write(
        client,
        settings,
        "incidents",
        *[
            incident(
                f"Q{n}",
                priority=3,
                status="dispatched",
                units="U9",
                lat=24.71,
                lon=46.67,
                ts=now - n * 300_000,
            )
            for n in range(3)
        ],
    )
    ingest(settings)
    for _ in range(3):
        worker.tick(now)
    (alert,) = alerts_of(worker.store, "region-spike")
    assert (alert.region, alert.kind, alert.severity) == ("SA-02", "spike", "severe")
    assert alert.facts["count"] == 40 and alert.facts["p"] < 1e-4 and alert.facts["expected"] == 3.0
    worker.tick(now + 16 * 60_000)  # the window has passed: none of them count any more
    assert alerts_of(worker.store, "region-spike")[0].resolved_at is not None


def test_a_unit_crossing_the_haram_raises_then_resolves(client: redis.Redis, settings: Settings) -> None:
    worker = worker_for(settings)
    lon, lat = OUTSIDE_HARAM
    write(client, settings, "units", unit("G1", lon=lon, lat=lat, ts=now_ms() - 3000))
    ingest(settings)
    assert worker.tick().raised == 0
    write(client, settings, "units", unit("G1", lon=HARAM[0], lat=HARAM[1], ts=now_ms() - 2000))
    ingest(settings)
    assert worker.tick().raised == 1
    (alert,) = alerts_of(worker.store, "guarded-zones")
    assert (alert.unit, alert.zone, alert.kind) == ("G1", "haram-makkah", "geofence")
    assert alert.facts["zone_en"].startswith("The Grand Mosque")
    write(client, settings, "units", unit("G1", lon=lon, lat=lat, ts=now_ms() - 1000))
    ingest(settings)
    assert worker.tick().cleared == 1
    assert alerts_of(worker.store, "guarded-zones")[0].resolved_at is not None


def test_a_zone_outside_its_period_raises_nothing(client: redis.Redis, settings: Settings) -> None:
    """Jamarat is guarded only in the Hajj days (Dhu al-Hijjah 7–13): on other days a unit there is fine."""
    worker = worker_for(settings)
    jamarat = worker.zones["jamarat"]
    write(client, settings, "units", unit("J1", lon=jamarat.lon, lat=jamarat.lat))
    ingest(settings)
    worker.tick(now_ms())
    g = Hijri(1448, 12, 9).to_gregorian()  # the day of Arafah, 1448: 2027-05-15 (Umm al-Qura)
    hajj_day = int(
        datetime(g.year, g.month, g.day, 12, tzinfo=timezone(timedelta(hours=3))).timestamp() * 1000
    )
    assert jamarat.active(hajj_day) and not jamarat.active(now_ms())
    assert alerts_of(worker.store, "guarded-zones") == []
    worker.tick(hajj_day)
    assert [a.zone for a in alerts_of(worker.store, "guarded-zones")] == ["jamarat"]


def test_port_wait_fires_above_45_holds_above_40_and_clears_below(
    client: redis.Redis, settings: Settings
) -> None:
    worker = worker_for(settings)
    write(client, settings, "ports", port_entry("air-jed", wait_min=50, ts=now_ms() - 3000))
    ingest(settings)
    worker.tick()
    (alert,) = alerts_of(worker.store, "port-wait")
    assert alert.port == "air-jed" and alert.facts["wait_min"] == 50
    write(client, settings, "ports", port_entry("air-jed", wait_min=42, ts=now_ms() - 2000))
    ingest(settings)
    assert worker.tick().cleared == 0  # 42 is still above the clearing line (40): no flapping at 45
    write(client, settings, "ports", port_entry("air-jed", wait_min=30, ts=now_ms() - 1000))
    ingest(settings)
    assert worker.tick().cleared == 1
    assert len(alerts_of(worker.store, "port-wait")) == 1


def test_a_silent_stream_raises_and_clears_when_entries_come_again(
    client: redis.Redis, settings: Settings
) -> None:
    worker = worker_for(settings)
    key = f"{settings.stream_prefix}:calls"
    start = worker.store.meta.clock_ms() - 600_000
    for n in range(20):  # one every 15 s, ten minutes ago, then nothing
        client.xadd(key, {"x": "1"}, id=f"{start + n * 15_000}-0")
    worker.tick()
    (alert,) = alerts_of(worker.store, "stale-producer")
    assert alert.stream == "calls" and alert.severity == "severe" and alert.region == ""
    assert alert.facts["usual_gap_s"] == 15 and alert.facts["quiet_s"] >= 300
    client.xadd(key, {"x": "1"})
    worker.tick()
    assert alerts_of(worker.store, "stale-producer")[0].resolved_at is not None


def test_nothing_fires_on_a_quiet_scenario(client: redis.Redis, settings: Settings) -> None:
    worker = worker_for(settings)
    now = now_ms()
    write(
        client,
        settings,
        "incidents",
        *[
            incident(f"N{n}", priority=1 + n % 4, status="dispatched", units=f"U{n}", ts=now - n * 290_000)
            for n in range(4)
        ],
    )
    write(
        client,
        settings,
        "units",
        *[unit(f"U{n}", lon=OUTSIDE_HARAM[0], lat=OUTSIDE_HARAM[1]) for n in range(4)],
    )
    write(client, settings, "ports", port_entry("air-jed", wait_min=20))
    ingest(settings)
    for _ in range(3):
        report = worker.tick(now)
        assert report.evaluated and report.raised == 0
    assert alerts_of(worker.store) == []


def test_a_silenced_rule_raises_nothing_until_its_silence_ends(
    client: redis.Redis, settings: Settings
) -> None:
    worker = worker_for(settings)
    now = now_ms()
    worker.store.alerts.silence("p1-unassigned", now + 60_000, "drill in progress", "ops", now)
    write(client, settings, "incidents", incident("P1", ts=now - 61_000))
    ingest(settings)
    worker.tick(now)
    assert alerts_of(worker.store) == []
    worker.tick(now + 61_000)
    assert [a.incident for a in alerts_of(worker.store)] == ["P1"]
    assert any(
        e["event"] == "silenced" and e["note"] == "drill in progress" for e in worker.store.alerts.events()
    )


def test_a_severe_alert_nobody_acknowledges_escalates_once(client: redis.Redis, settings: Settings) -> None:
    worker = worker_for(settings, alerts_escalate_min=5)
    now = now_ms()
    write(client, settings, "incidents", incident("E1", ts=now - 61_000), incident("E2", ts=now - 61_000))
    ingest(settings)
    worker.tick(now)
    first, second = sorted(alerts_of(worker.store), key=lambda a: a.incident)
    assert worker.store.alerts.act(second.id, "acknowledge", "cmdr", now + 1000) == "ok"
    worker.tick(now + 4 * 60_000)
    assert all(a.escalated_at is None for a in alerts_of(worker.store))
    worker.tick(now + 6 * 60_000)
    worker.tick(now + 7 * 60_000)
    by_incident = {a.incident: a for a in alerts_of(worker.store)}
    assert by_incident["E1"].escalated_at == now + 6 * 60_000
    assert by_incident["E2"].escalated_at is None  # acknowledged in time
    assert [e["event"] for e in worker.store.alerts.events()].count("escalated") == 1


def test_only_the_lease_holder_evaluates(client: redis.Redis, settings: Settings) -> None:
    one, two = (
        worker_for(settings),
        AlertWorker(Store.from_settings(settings), settings, holder="other", baseline=MAKKAH_NORMAL),
    )
    write(client, settings, "incidents", incident("L1", ts=now_ms() - 61_000))
    ingest(settings)
    assert one.tick().evaluated and not two.tick().evaluated
    assert len(alerts_of(one.store)) == 1


def test_a_condition_cleared_is_not_raised_again_within_its_minimum_gap(
    client: redis.Redis, settings: Settings
) -> None:
    worker = worker_for(settings)
    lon, lat = OUTSIDE_HARAM
    for n, (x, y) in enumerate([HARAM, (lon, lat), HARAM]):
        write(client, settings, "units", unit("F1", lon=x, lat=y, ts=now_ms() - 3000 + n * 1000))
        ingest(settings)
        worker.tick()
    assert len(alerts_of(worker.store, "guarded-zones")) == 1  # back inside within 5 minutes: not again
    given = client.get(worker.store.keys.alert_seq)
    now = now_ms()
    for _ in range(3):  # the gap's end is remembered: no script call, no alert number, every tick
        worker.tick(now)
    assert client.get(worker.store.keys.alert_seq) == given
    worker.tick(now + 301_000)  # the gap is over and F1 is still inside: raised again, once
    assert len(alerts_of(worker.store, "guarded-zones")) == 2


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[[rule]]\nkind = "nope"\n', 2, "unknown kind 'nope'"),
        (
            '[[rule]]\nkind = "unassigned"\n\n[[rule]]\nkind = "geofence"\n'
            "polygon = [[39.8, 21.4], [39.9, 21.5]]\n",
            6,
            "at least 3 points",
        ),
        (
            '[[rule]]\nkind = "geofence"\n'
            "polygon = [[39.8, 21.4], [39.9, 21.5], [39.8, 21.5], [39.9, 21.4]]\n",
            3,
            "not a valid polygon",
        ),
        ('[[rule]]\nkind = "geofence"\npolygon = [[21.4, 39.8], [21.5, 39.9], [21.4, 39.9]]\n', 3, "swapped"),
        (
            '[[rule]]\nkind = "spike"\n# Makkah and a typo\nregions = ["SA-02", "SA-99"]\n',
            4,
            "unknown region 'SA-99'",
        ),
        ('[[rule]]\nkind = "geofence"\nzones = ["nowhere"]\n', 3, "unknown zone 'nowhere'"),
        ('[[rule]]\nkind = "port_wait"\nthreshold_mins = 45\n', 3, "unknown setting 'threshold_mins'"),
        ('[[rule]]\nkind = "unassigned"\nafter_s = "soon"\n', 3, "after_s"),
        (
            '[[rule]]\nkind = "unassigned"\nid = "a"\n[[rule]]\nkind = "spike"\nid = "a"\n',
            6,
            "already used (line 1)",
        ),
        ('[[rule]\nkind = "spike"\n', 1, "not valid TOML"),
    ],
)
def test_a_bad_rules_file_names_its_line_and_keeps_the_rules_in_force(
    settings: Settings, tmp_path, text: str, line: int, words: str
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[rule]]\nid = "mine"\nkind = "unassigned"\npriority = 2\nafter_s = 30\n', encoding="utf-8"
    )
    worker = worker_for(settings, rules_file=path)
    assert [r.id for r in worker.rules.rules] == ["mine"]
    path.write_text(text, encoding="utf-8")
    assert worker.load_rules() is False
    assert f"rules.toml:{line}: " in (worker.rules_error or "") and words in (worker.rules_error or "")
    assert [r.id for r in worker.rules.rules] == ["mine"]  # the good rules stay
    worker.tick()
    assert words in worker.store.alerts.worker()["rules_error"]
    path.write_text('[[rule]]\nid = "fixed"\nkind = "unassigned"\n', encoding="utf-8")
    assert worker.load_rules() is True and [r.id for r in worker.rules.rules] == ["fixed"]


def test_the_default_rules_include_the_p1_rule_and_a_spike_rule_per_region(settings: Settings) -> None:
    worker = worker_for(settings)
    by_id = {r.id: r for r in worker.rules.rules}
    p1 = by_id["p1-unassigned"]
    assert (p1.kind, p1.priority, p1.after_s) == ("unassigned", 1, 60)
    spike = by_id["region-spike"]
    assert spike.kind == "spike" and spike.regions is None  # judged region by region, every region
    assert settings.alerts_tick_ms <= 1000


def test_a_rules_file_with_an_inline_circle_and_outside_watch(
    client: redis.Redis, settings: Settings, tmp_path
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[rule]]\nid = "post"\nkind = "geofence"\nwhen = "outside"\nunits = ["GUARD"]\nseverity = "severe"\n'
        f"circle = {{ lon = {HARAM[0]}, lat = {HARAM[1]}, radius_m = 400 }}\n",
        encoding="utf-8",
    )
    worker = worker_for(settings, rules_file=path)
    write(
        client,
        settings,
        "units",
        unit("GUARD", lon=HARAM[0], lat=HARAM[1], ts=now_ms() - 2000),
        unit("OTHER", lon=OUTSIDE_HARAM[0], lat=OUTSIDE_HARAM[1]),
    )
    ingest(settings)
    assert worker.tick().raised == 0
    write(client, settings, "units", unit("GUARD", lon=OUTSIDE_HARAM[0], lat=OUTSIDE_HARAM[1], ts=now_ms()))
    ingest(settings)
    worker.tick()
    (alert,) = alerts_of(worker.store)
    assert (alert.unit, alert.rule, alert.facts["when"]) == ("GUARD", "post", "outside")


def test_a_store_outage_is_the_stores_error_which_the_loop_waits_out(settings: Settings) -> None:
    from app.store import StoreUnavailable

    broken = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    worker = AlertWorker(Store.from_settings(broken), broken, baseline=MAKKAH_NORMAL)
    with pytest.raises(StoreUnavailable):
        worker.tick()


def test_a_drilled_spike_in_makkah_is_caught_by_the_live_normal_before_the_archive_has_one(
    client: redis.Redis, settings: Settings, tmp_path
) -> None:
    from app.simulation import World, drill

    settings = settings.model_copy(update={"archive_dir": tmp_path / "no-archive-yet"})
    now = now_ms()
    # two hours of Makkah's normal: an opening every five minutes
    write(
        client,
        settings,
        "incidents",
        *[
            incident(f"H{n}", priority=3, status="dispatched", units="U1", ts=now - 7_200_000 + n * 300_000)
            for n in range(24)
        ],
    )
    ingest(settings)
    worker = AlertWorker(Store.from_settings(settings), settings)
    assert worker.tick().raised == 0
    assert worker.normal.source.startswith("live history") and worker.normal.knows("SA-02")
    timeline = drill.spike_incidents(
        World.from_settings(settings), "SA-02", 60, seed=1, now_ms=now, over_s=30
    )
    assert len(list(drill.play(client, settings.stream_prefix, timeline, None, sleep=lambda _s: None))) == 60
    ingest(settings)
    worker.tick()
    (alert,) = alerts_of(worker.store, "region-spike")
    assert alert.region == "SA-02" and alert.facts["count"] >= 60
    assert alert.facts["normal"].startswith("live history") and alert.facts["expected"] < 5


def test_a_drilled_unit_drives_through_the_haram_and_out(client: redis.Redis, settings: Settings) -> None:
    from app.simulation import drill

    worker = worker_for(settings)
    haram = worker.zones["haram-makkah"]
    timeline = drill.crossing(haram.lon, haram.lat, 700, "DRILL-U1", now_ms())
    states = []
    for _written in drill.play(client, settings.stream_prefix, timeline, None, sleep=lambda _s: None):
        ingest(settings)
        worker.tick()
        (alert,) = alerts_of(worker.store, "guarded-zones") or (None,)
        states.append(None if alert is None else "open" if alert.open else "resolved")
    # outside, then inside (raised once), then out again (resolved): never raised twice
    assert states[0] is None and "open" in states and states[-1] == "resolved"
    assert len(alerts_of(worker.store, "guarded-zones")) == 1


def test_metrics_count_open_alerts_by_severity_and_the_workers_tick(
    client: redis.Redis, settings: Settings
) -> None:
    from app import create_app

    worker = worker_for(settings)
    http = create_app(settings).test_client()
    assert "basira_alerts_tick_age_seconds" not in http.get("/metrics").get_data(as_text=True)
    write(client, settings, "incidents", incident("M1", ts=now_ms() - 61_000))
    ingest(settings)
    worker.tick()
    text = http.get("/metrics").get_data(as_text=True)
    assert 'basira_alerts_open{severity="severe"} 1.0' in text
    assert 'basira_alerts_open{severity="minor"} 0.0' in text
    assert "basira_alerts_tick_age_seconds" in text and "basira_alerts_tick_cpu_seconds" in text


def test_while_ingest_is_behind_only_silent_streams_are_judged(
    client: redis.Redis, settings: Settings
) -> None:
    """A P1 whose dispatch waits in ingest's backlog would look unassigned: nothing is raised on old state,
    and what was raised stands until the state is current again."""
    worker = worker_for(settings, alerts_max_lag_s=5)
    now = now_ms()
    key = f"{settings.stream_prefix}:incidents"
    client.xadd(key, incident("B1", ts=now - 70_000), id=f"{now - 60_000}-0")
    ingest(settings)
    assert worker.tick().raised == 1  # B1, caught up: raised
    # its dispatch arrives, but ingest has not applied it, and it has waited 10 s: ingest is behind
    client.xadd(key, incident("B1", status="dispatched", units="U1", ts=now - 10_000), id=f"{now - 10_000}-0")
    client.xadd(key, incident("B2", ts=now - 65_000), id=f"{now - 9_000}-0")
    report = worker.tick()
    assert worker.behind and report.raised == 0 and report.cleared == 0
    assert worker.store.alerts.worker()["behind"] == "1"
    ingest(settings)
    report = worker.tick()
    assert not worker.behind and (report.raised, report.cleared) == (1, 1)  # B2 raised, B1 cleared


def test_a_moved_version_brings_the_new_alerts_of_the_pages_scope(
    client: redis.Redis, settings: Settings
) -> None:
    """The poller's fast path: with the number it last heard, the answer carries the alerts raised since
    (the page shows them before its redraw) — the asking page's scope only."""
    from app import create_app

    worker = worker_for(settings)
    http = create_app(settings).test_client()
    known = http.get("/api/v1/alerts/version").get_json()["version"]
    write(client, settings, "incidents", incident("V1", ts=now_ms() - 61_000))
    ingest(settings)
    worker.tick()
    moved = http.get(f"/api/v1/alerts/version?known={known}&region=SA-02").get_json()
    assert moved["version"] != known
    (fresh,) = moved["fresh"]
    assert fresh["severity"] == "severe" and fresh["colour"].startswith("#")
    assert fresh["headline"]["en"] == "Priority-1 incident without a unit" and fresh["text"]["ar"]
    assert http.get(f"/api/v1/alerts/version?known={known}&region=SA-01").get_json()["fresh"] == []
    assert "fresh" not in http.get(f"/api/v1/alerts/version?known={moved['version']}").get_json()
    assert "fresh" not in http.get("/api/v1/alerts/version?known=x").get_json()
