"""`python -m app demo` from the outside, as a new user runs it: embedded Redis, live data, the API.

This is the "Done when" of the live picture: the demo serves incidents and units, an entry a
producer writes with XADD shows up in the snapshot (and ends the demo: the simulator's entries alone
keep a store a demo store), and a malformed one lands in `sa:rejected`.
Waits are bounded polls (never timing assertions): the machine may be slow, the result may not be.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import redis
import requests

from app.store.embedded import free_port

ROOT = Path(__file__).resolve().parent.parent
#: The longest the demo may take to answer one request (s): one process runs the simulator, the ingest
#: worker, the archiver, the alerts worker and the web server, and on a loaded machine (load 15) a
#: snapshot asked during its first seconds took more than 10 s.
ANSWER_S = 30


def wait_for(predicate, timeout_s: float, what: str):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what} after {timeout_s:g} s")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASIRA_") and k != "REDIS_URL"}
    archive = tmp_path_factory.mktemp("demo") / "archive"
    env["BASIRA_ARCHIVE_DIR"] = str(archive)  # not the checkout's var/archive
    process = subprocess.Popen(
        # the simulator's own backfill as a new user gets it (300 s: the map full at once; with 60 s
        # the test waited tens of seconds for incidents in five regions); a month of archive history
        # takes minutes: not here
        [sys.executable, "-m", "app", "demo", "--port", str(port), "--backfill-archive", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        redis_url = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if match := re.search(r"embedded Redis at (redis://\S+)", line):
                redis_url = match[1]
            if "is serving at" in line:
                break
        assert redis_url and "is serving at" in lines[-1], "".join(lines)
        yield {"url": f"http://127.0.0.1:{port}", "redis_url": redis_url, "archive": str(archive)}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            out, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        if "Traceback" in out:
            print("".join(lines) + out)
        assert "Traceback" not in out
        assert process.returncode == 0


def snapshot(base: str, query: str = "") -> dict:
    return orjson.loads(requests.get(f"{base}/api/v1/snapshot{query}", timeout=ANSWER_S).content)


def test_demo_serves_live_incidents_and_units(demo):
    def spread() -> dict | None:
        # Wait until the picture covers several regions (the first snapshot may come early).
        s = snapshot(demo["url"])
        return s if len({f["properties"]["region"] for f in s["incidents"]["features"]}) >= 5 else None

    first = wait_for(spread, 60, "incidents in five regions")
    assert first["units"]["features"], "no units"
    assert first["demo"] is True
    # Units move: some unit's position changes between two snapshots.
    before = {f["id"]: f["geometry"]["coordinates"] for f in first["units"]["features"]}

    def moved() -> bool:
        now = {f["id"]: f["geometry"]["coordinates"] for f in snapshot(demo["url"])["units"]["features"]}
        return any(now.get(k) not in (None, v) for k, v in before.items())

    wait_for(moved, 30, "a unit to move")
    assert snapshot(demo["url"])["demo"] is True  # the simulator's own entries keep it a demo store
    page = requests.get(demo["url"] + "/", timeout=ANSWER_S)
    assert page.status_code == 200 and "Basira" in page.text


def test_a_geofence_drill_raises_an_alert_and_resolves_it(demo):
    """Before any real entry (which ends the demo store, and drills with it): a unit drives through the
    Haram; the demo's alerts worker raises the zone's alert and resolves it when the unit is out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASIRA_")}
    env["REDIS_URL"] = demo["redis_url"]
    drill = subprocess.run([sys.executable, "-m", "app", "drill", "geofence", "--speed", "400"], cwd=ROOT,
                           env=env, capture_output=True, text=True, timeout=120)
    assert drill.returncode == 0 and "Traceback" not in drill.stderr, drill.stdout + drill.stderr

    def resolved() -> dict | None:
        answer = requests.get(f"{demo['url']}/api/v1/alerts?state=all", timeout=ANSWER_S)
        alerts = orjson.loads(answer.content)
        return next((a for a in alerts if a["unit"] == "DRILL-U1" and a["resolved_at"]), None)

    alert = wait_for(resolved, 30, "the Haram alert of DRILL-U1 raised and resolved")
    assert alert["zone"] == "haram-makkah" and alert["kind"] == "geofence" and alert["region"] == "SA-02"


def test_a_producers_entry_appears_and_a_bad_one_is_rejected(demo):
    client = redis.Redis.from_url(demo["redis_url"], decode_responses=True)
    now = str(int(time.time() * 1000))
    client.xadd("sa:incidents", {"id": "T1", "status": "new", "agency": "civil_defense",
                                 "category": "fire", "priority": "1", "lat": "21.4225",
                                 "lon": "39.8262", "ts": now})  # fmt: skip
    bad_id = client.xadd("sa:incidents", {"id": "T2", "status": "new", "agency": "civil_defense",
                                          "category": "fire", "priority": "1", "lat": "abc",
                                          "lon": "39.8262", "ts": now})  # fmt: skip

    def has_t1() -> bool:
        return any(f["id"] == "T1" for f in snapshot(demo["url"], "?region=SA-02")["incidents"]["features"])

    wait_for(has_t1, 10, "T1 in the SA-02 snapshot")
    # An entry the simulator did not write: the store is no longer a demo store (the kiosk refuses it).
    assert snapshot(demo["url"])["demo"] is False

    def rejected() -> dict | None:
        recent = client.xrevrange("sa:rejected", count=50)
        return next((f for _i, f in recent if f["entry_id"] == bad_id), None)

    entry = wait_for(rejected, 10, "T2 in sa:rejected")
    assert "lat" in entry["reason"]


def test_the_demo_archives_what_it_applies_and_replays_it(demo):
    archive = Path(demo["archive"])

    def archived() -> list[Path] | None:
        found = [p for s in ("incidents", "units") for p in archive.glob(f"stream={s}/*/*/*.parquet")]
        return found if {p.parts[-4] for p in found} == {"stream=incidents", "stream=units"} else None

    wait_for(archived, 60, "the archiver's first parts")
    live = snapshot(demo["url"])
    moment = int(live["as_of"])

    def replayed() -> dict | None:
        answer = requests.get(demo["url"] + f"/api/v1/snapshot?at={moment}", timeout=ANSWER_S)
        return answer.json() if answer.status_code == 200 else None

    again = wait_for(replayed, 30, "the moment just seen to be in the archive")
    assert again["replay"] is True and again["at"] == moment
    assert again["units"]["features"] and again["incidents"]["features"]
