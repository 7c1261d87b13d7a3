"""Least privilege in Redis itself: ``deploy/users.acl`` loaded by a real Redis 7, each process as its user.

A private ``redis-server`` (7.0 or newer, from PATH: the ACL's read-only key patterns ``%R~`` are
Redis 7's) starts on a free loopback port with ``aclfile`` pointing to the repository's file, made
ready the way an operator does it (:func:`app.acl.render`: test passwords added as SHA-256 hashes).
Its prefix is ``sa``, the file's own. Then, on the negative side, the producer, the web app and the
ingest worker are refused (NOPERM) what is not theirs; on the positive side the real ingest worker,
the real web app (pages, API, feed, sign-in and its audit trail) and the simulator do their whole
jobs as their users — and Redis's own ``ACL LOG`` shows that nothing they did was refused, which
also catches refusals the application swallows (the live feed answers ``{"down": true}`` to any
Redis error). Without Redis 7 these tests fail, they do not skip: ``.ci/run`` installs it.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pyotp
import pytest
import redis
from pydantic import SecretStr

from app import create_app
from app.acl import ACL_FILE, password_hash, render, users
from app.auth.users import UsersFile, hash_token, new_token
from app.contract import INPUT_STREAMS
from app.ingest import IngestWorker
from app.settings import Settings
from app.store import Store, connect, use_credentials
from app.store.embedded import free_port
from tests.eido_documents import RIYADH as EIDO_RIYADH
from tests.eido_documents import fire_in_makkah
from tests.helpers import call, incident, now_ms, port_entry, quick_hash, unit
from tests.test_auth_api import refresh_body, router_body
from tests.test_cap_in import flood_in_makkah

MIN_REDIS = (7, 0)
PREFIX = "sa"
PASSWORDS = {name: f"test-password-of-{name}" for name in users(ACL_FILE.read_text()) if name != "default"}
STREAMS = [s.key(PREFIX) for s in INPUT_STREAMS]
#: State keys the producer and the web app must not touch (one of each kind of state).
STATE = {
    "hash": ["sa:inc:idx", "sa:inc:live:SA-02:civil_defense", "sa:unit:idx", "sa:meta", "sa:stats",
             "sa:port:wait", "sa:calls:SA-02:1"],
    "zset": ["sa:inc:closed", "sa:chg:inc:SA-02:civil_defense"],
    "stream": ["sa:rejected"],
}
RIYADH = ("24.7136", "46.6753")
WEB_PASSWORD = "a long enough password for the test"
TOTP_SECRET = pyotp.random_base32()


def redis7() -> Path:
    """``redis-server`` from PATH, 7.0 or newer; the test fails (never skips) without one."""
    found = shutil.which("redis-server")
    version = ""
    if found:
        out = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=10).stdout
        match = re.search(r"v=(\d+)\.(\d+)\.\d+", out)
        version = match[0] if match else out.strip()
        if match and (int(match[1]), int(match[2])) >= MIN_REDIS:
            return Path(found)
    pytest.fail(
        f"the Redis ACL tests need redis-server {'.'.join(map(str, MIN_REDIS))} or newer on PATH "
        f"(found: {found or 'none'} {version}); install Debian's redis-server package (.ci/run does)",
        pytrace=False,
    )


def _start(binary: Path, workdir: Path, aclfile: Path) -> tuple[subprocess.Popen[bytes], int]:
    for _attempt in range(5):  # a free port can be taken between the probe and the bind
        port = free_port()
        process = subprocess.Popen(
            [str(binary), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(workdir),
             "--save", "", "--appendonly", "no", "--daemonize", "no", "--aclfile", str(aclfile),
             "--loglevel", "warning", "--logfile", str(workdir / "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        probe = redis.Redis(port=port, username="basira-admin", password=PASSWORDS["basira-admin"],
                            socket_connect_timeout=0.5, socket_timeout=1)
        deadline = time.monotonic() + 10
        try:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    # ours, not a server started side by side (another worker's) on the same port
                    if probe.ping() and int(probe.info("server")["process_id"]) == process.pid:
                        return process, port
                except redis.ConnectionError:
                    pass
                time.sleep(0.02)
        finally:
            probe.close()
        _stop(process)
    log_file = workdir / "redis.log"
    log = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
    pytest.fail(f"redis-server with {aclfile} did not start:\n{log}", pytrace=False)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def acl_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL (without credentials) of a private Redis 7 running ``deploy/users.acl`` with test passwords."""
    binary = redis7()
    workdir = tmp_path_factory.mktemp("redis-acl")
    aclfile = workdir / "users.acl"
    aclfile.write_text(render(ACL_FILE.read_text(), PREFIX, PASSWORDS))
    process, port = _start(binary, workdir, aclfile)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


def as_user(url: str, user: str) -> redis.Redis:
    """A client signed in as ``user``, made the way the application makes its own."""
    client = connect(url)
    use_credentials(client, user, PASSWORDS[user])
    return client


@pytest.fixture
def admin(acl_url: str) -> Iterator[redis.Redis]:
    """The admin, on an empty server with an empty ACL log (this server is private to this module)."""
    client = as_user(acl_url, "basira-admin")
    client.flushall()
    client.execute_command("ACL", "LOG", "RESET")
    yield client
    client.close()


def settings_for(url: str, user: str, **more: object) -> Settings:
    return Settings(redis_url=url, stream_prefix=PREFIX, redis_username=user,
                    redis_password=SecretStr(PASSWORDS[user]), **more)


def refused(admin: redis.Redis) -> list[str]:
    """What Redis refused since the last reset, as ``user: reason object (context)`` lines."""
    out = []
    for entry in admin.execute_command("ACL", "LOG"):
        fields = entry if isinstance(entry, dict) else dict(zip(entry[::2], entry[1::2], strict=True))
        out.append(f"{fields['username']}: {fields['reason']} {fields['object']} ({fields['context']})")
    return out


def assert_noperm(client: redis.Redis, *command: object) -> None:
    with pytest.raises(redis.exceptions.NoPermissionError):  # Redis's NOPERM
        client.execute_command(*command)


# --- the file itself ---------------------------------------------------------------------------------


def test_the_file_loads_with_every_user_and_no_way_in_without_one(acl_url: str, admin: redis.Redis) -> None:
    assert set(admin.execute_command("ACL", "USERS")) == set(PASSWORDS) | {"default"}
    default = next(line for line in admin.execute_command("ACL", "LIST") if line.startswith("user default "))
    assert " off " in default
    with pytest.raises(redis.AuthenticationError):
        redis.Redis.from_url(acl_url).ping()  # no user: no entry
    with pytest.raises(redis.AuthenticationError):
        redis.Redis.from_url(acl_url, username="basira-web", password="wrong").ping()
    # The repository's file has no password at all: each user is locked until the operator sets one.
    assert "#" not in ACL_FILE.read_text() and ">" not in ACL_FILE.read_text()


def test_credentials_in_redis_url_work_and_settings_override_them(acl_url: str, admin: redis.Redis) -> None:
    in_url = acl_url.replace("redis://", f"redis://basira-producer:{PASSWORDS['basira-producer']}@")
    producer = Store.from_settings(Settings(redis_url=in_url, stream_prefix=PREFIX)).client
    assert producer.xadd("sa:calls", call("C1"))
    web = Store.from_settings(settings_for(in_url, "basira-web")).client  # settings win over the URL
    assert_noperm(web, "DEL", "sa:calls")  # the producer may not, nor may the web app
    assert_noperm(web, "HSET", "sa:inc:idx", "X", "forged")
    assert web.xlen("sa:calls") == 1


def test_acl_command_moves_the_prefix_and_hashes_the_passwords(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.__main__ import main

    monkeypatch.setenv("BASIRA_ACL_PASSWORD_WEB", "web secret")
    monkeypatch.setattr("sys.stdin", io.StringIO("basira-ingest ingest secret\n"))
    main(["acl", "--prefix", "ops", "--stdin"])
    out, err = capsys.readouterr()
    lines = {line.split()[1]: line for line in out.splitlines()}
    assert set(lines) == set(users(ACL_FILE.read_text()))
    assert lines["basira-web"].endswith(password_hash("web secret")) and "web secret" not in out
    assert lines["basira-ingest"].endswith(password_hash("ingest secret"))
    assert "%R~ops:*" in lines["basira-web"] and "~ops:incidents" in lines["basira-producer"]
    assert "(~ops:audit +xadd)" in lines["basira-web"]
    assert ":sa:" not in out and " ~sa:" not in out and "~sa:" not in out
    assert "basira-producer has no password" in err and "basira-web has no password" not in err


# --- the negative side: refused what is not theirs ---------------------------------------------------


def test_a_producer_may_only_xadd_to_the_four_input_streams(acl_url: str, admin: redis.Redis) -> None:
    producer = as_user(acl_url, "basira-producer")
    for key, fields in zip(STREAMS, (incident("P1"), unit("U1"), port_entry(), call("C1")), strict=True):
        assert producer.xadd(key, fields)
    pipe = producer.pipeline(transaction=True)  # several entries at once, atomically
    pipe.xadd("sa:incidents", incident("P2"))
    pipe.xadd("sa:units", unit("U2"))
    assert all(pipe.execute())
    admin.hset("sa:inc:idx", "X", "1|SA-02|patrol|new|1||")
    for key in STATE["hash"]:
        assert_noperm(producer, "HSET", key, "f", "v")
        assert_noperm(producer, "HGETALL", key)
        assert_noperm(producer, "DEL", key)
    for key in STATE["zset"] + STATE["stream"]:
        assert_noperm(producer, "DEL", key)
    for key in ("sa:rejected", "sa:audit"):
        assert_noperm(producer, "XREAD", "COUNT", "1", "STREAMS", key, "0")
    for key in STREAMS:
        assert_noperm(producer, "XREAD", "COUNT", "1", "STREAMS", key, "0")
        assert_noperm(producer, "XRANGE", key, "-", "+")
        assert_noperm(producer, "XLEN", key)
        assert_noperm(producer, "DEL", key)
        assert_noperm(producer, "XTRIM", key, "MAXLEN", "0")
        assert_noperm(producer, "XDEL", key, "0-1")
        assert_noperm(producer, "XGROUP", "CREATE", key, "g", "0")
    assert_noperm(producer, "XREADGROUP", "GROUP", "basira-ingest", "me", "STREAMS", "sa:incidents", ">")
    for key in ("sa:meta", "sa:rejected", "sa:audit", "sa:built:x", "sa:auth:x", "other:incidents"):
        assert_noperm(producer, "XADD", key, "*", "a", "b")
    assert_noperm(producer, "EVAL", "return redis.call('HSET', 'sa:inc:idx', 'X', 'y')", "0")
    assert_noperm(producer, "KEYS", "*")
    assert_noperm(producer, "FLUSHALL")
    assert_noperm(producer, "ACL", "LIST")
    assert admin.hgetall("sa:inc:idx") == {"X": "1|SA-02|patrol|new|1||"}
    assert [admin.xlen(key) for key in STREAMS] == [2, 2, 1, 1]


def test_the_web_app_cannot_write_the_input_streams_or_the_state(acl_url: str, admin: redis.Redis) -> None:
    """The web app takes the standards in (``POST /api/v1/eido``, ``/api/v1/cap``): it appends to the input
    streams as a producer does, and records refusals in ``sa:rejected`` — ``XADD``, nothing else. It cannot
    delete, trim, re-group or rewrite a stream, nor write any of the state the ingest worker keeps."""
    web = as_user(acl_url, "basira-web")
    admin.hset("sa:inc:idx", "X", "1|SA-02|patrol|new|1||")
    admin.xadd("sa:incidents", incident("P1"))
    for key in STREAMS + ["sa:rejected"]:
        assert_noperm(web, "DEL", key)
        assert_noperm(web, "XGROUP", "CREATE", key, "g", "0", "MKSTREAM")
        assert_noperm(web, "XTRIM", key, "MAXLEN", "0")
        assert_noperm(web, "XDEL", key, "1-1")
        assert_noperm(web, "XACK", key, "basira-ingest", "1-1")
        assert_noperm(web, "RENAME", key, "sa:ingress:stolen")
    assert web.xadd("sa:incidents", incident("APPENDED"))  # as a producer would: the ingest worker validates
    assert web.hincrby("sa:ingress:stats", "rejected:ingress:eido", 1) == 1  # the adapters' own counters
    for key in STATE["hash"]:
        assert_noperm(web, "HSET", key, "f", "v")
        assert_noperm(web, "DEL", key)
        assert_noperm(web, "SET", key, "v")
    assert_noperm(web, "HINCRBY", "sa:stats", "ingested:incidents", "1")
    assert_noperm(web, "ZADD", "sa:chg:inc:SA-02:civil_defense", "1", "X")
    assert_noperm(web, "RENAME", "sa:inc:idx", "sa:built:stolen")
    # a script runs with its caller's rights: every command in it is checked
    assert_noperm(web, "EVAL", "return redis.call('HSET', KEYS[1], 'X', 'forged')", "1", "sa:inc:idx")
    assert_noperm(web, "FLUSHDB")
    assert_noperm(web, "ACL", "SETUSER", "basira-web", "~*")
    # the audit trail: appended to, never deleted, trimmed or rewritten by the web app (ASVS V7.3.3)
    for command in (("DEL", "sa:audit"), ("XTRIM", "sa:audit", "MAXLEN", "0"), ("XDEL", "sa:audit", "1-1"),
                    ("UNLINK", "sa:audit"), ("RENAME", "sa:audit", "sa:auth:x"), ("EXPIRE", "sa:audit", "1")):
        assert_noperm(web, *command)
    # what it may do: read the state and the streams' progress, write its own keys
    assert web.hgetall("sa:inc:idx") == {"X": "1|SA-02|patrol|new|1||"}
    assert web.xrange("sa:incidents", count=1)
    assert web.set("sa:built:feed:x", b"answer", px=1000)
    assert web.xadd("sa:audit", {"event": "login"})
    assert web.incr("sa:auth:ip:127.0.0.1") == 1
    assert web.set("sa:capin:alert:x", "{}", px=1000) and web.incr("sa:ingress:rate:x") == 1
    assert_noperm(web, "SET", "sa:capin", "x")  # its own keys only
    assert admin.hgetall("sa:inc:idx") == {"X": "1|SA-02|patrol|new|1||"} and admin.xlen("sa:incidents") == 2


def test_the_ingest_worker_cannot_touch_access_control_or_administer(
    acl_url: str, admin: redis.Redis
) -> None:
    ingest = as_user(acl_url, "basira-ingest")
    for key in ("sa:auth:ip:127.0.0.1", "sa:built:feed:x"):
        assert_noperm(ingest, "SET", key, "1")
        assert_noperm(ingest, "GET", key)
    assert_noperm(ingest, "XADD", "sa:audit", "*", "event", "forged")
    assert_noperm(ingest, "XRANGE", "sa:audit", "-", "+")
    assert_noperm(ingest, "FLUSHALL")
    assert_noperm(ingest, "KEYS", "*")
    assert_noperm(ingest, "CONFIG", "GET", "*")
    assert_noperm(ingest, "ACL", "LIST")


# --- the positive side: each process does its whole job as its user -----------------------------------


def _produce(acl_url: str) -> None:
    producer = as_user(acl_url, "basira-producer")
    t = now_ms()
    producer.xadd("sa:incidents", incident("MK1", ts=t - 5000))
    producer.xadd("sa:incidents", incident("MK1", status="dispatched", units="U1", ts=t - 4000))
    producer.xadd("sa:incidents", incident("RY1", agency="traffic", category="collision", priority="2",
                                           lat=RIYADH[0], lon=RIYADH[1], ts=t - 3000))
    producer.xadd("sa:incidents", incident("OLD", ts=t - 4000))
    producer.xadd("sa:incidents", incident("OLD", status="closed", ts=t - 3000))
    producer.xadd("sa:incidents", {"id": "BAD", "status": "burning"})  # rejected
    producer.xadd("sa:units", unit("U1", status="dispatched", incident="MK1", ts=t - 4000))
    producer.xadd("sa:units", unit("U1", status="on_scene", incident="MK1", lat="21.4226", ts=t - 2000))
    producer.xadd("sa:units", unit("U2", agency="traffic", lat=RIYADH[0], lon=RIYADH[1]))
    producer.xadd("sa:ports", port_entry("air-jed"))
    producer.xadd("sa:ports", port_entry("air-jed", direction="departure", category="visitor", wait_min=35))
    producer.xadd("sa:calls", call("C1"))
    producer.xadd("sa:calls", call("C2", outcome="abandoned", answered_ts=""))
    producer.close()


def _ingest(acl_url: str, **more: object) -> IngestWorker:
    settings = settings_for(acl_url, "basira-ingest", reclaim_idle_ms=1, **more)
    worker = IngestWorker(Store.from_settings(settings), settings)
    worker.work(burst=True)
    return worker


def test_the_ingest_worker_applies_producers_entries_and_maintains_the_store(
    acl_url: str, admin: redis.Redis
) -> None:
    _produce(acl_url)
    worker = _ingest(acl_url)
    assert (worker.applied, worker.rejected) == (12, 1)
    assert set(admin.hkeys("sa:inc:idx")) == {"MK1", "RY1", "OLD"}
    assert "MK1" in admin.hkeys("sa:inc:live:SA-02:civil_defense")
    assert admin.hget("sa:unit:idx", "U1") and admin.llen("sa:unit:trail:U1") == 2
    assert admin.xlen("sa:rejected") == 1 and admin.hget("sa:stats", "rejected:incidents") == "1"
    assert admin.hget("sa:port:wait", "air-jed") and admin.keys("sa:calls:SA-02:*")
    assert admin.hget("sa:meta", "as_of") and admin.hget("sa:meta", "applied_at")

    # A consumer that died holding entries: another worker takes them over (XAUTOCLAIM) and applies them.
    producer = as_user(acl_url, "basira-producer")
    producer.xadd("sa:incidents", incident("LATE"))
    dead = settings_for(acl_url, "basira-ingest", ingest_consumer="dead")
    Store.from_settings(dead).streams.read_new(dead.ingest_group, "dead", 10, None)
    time.sleep(0.01)
    assert _ingest(acl_url).applied == 1 and admin.hexists("sa:inc:idx", "LATE")
    # One that has already failed as many deliveries as allowed is dead-lettered to sa:rejected.
    producer.xadd("sa:incidents", incident("POISON"))
    Store.from_settings(dead).streams.read_new(dead.ingest_group, "dead", 10, None)
    time.sleep(0.01)
    assert _ingest(acl_url, ingest_max_deliveries=1).rejected == 1
    assert admin.xlen("sa:rejected") == 2 and not admin.hexists("sa:inc:idx", "POISON")

    # Maintenance three days on: trims the streams and change sets, rolls the ports up into the
    # archive, forgets the closed incident past the history window.
    store = worker.store
    later = IngestWorker(store, worker.settings, clock=lambda: time.time() + 3 * 86_400)
    later.maintain()
    assert not admin.hexists("sa:inc:idx", "OLD") and admin.zcard("sa:inc:closed") == 0
    assert admin.keys("sa:porth:air-jed:*") and admin.exists("sa:porth:full")
    assert store.streams.lag_ms(worker.settings.ingest_group) == 0
    assert refused(admin) == []


def test_the_archiver_archives_as_the_ingest_user(acl_url: str, admin: redis.Redis, tmp_path: Path) -> None:
    from app.archive.archiver import Archiver

    _produce(acl_url)
    settings = settings_for(acl_url, "basira-ingest", archive_dir=tmp_path / "archive")
    archiver = Archiver(Store.from_settings(settings), settings)
    archiver.work(burst=True)
    assert (archiver.archived, archiver.skipped) == (12, 1)
    assert admin.xpending("sa:incidents", settings.archive_group)["pending"] == 0
    assert refused(admin) == []


def _users_file(tmp_path: Path) -> Path:
    from app.auth.users import UsersFile

    path = tmp_path / "users.toml"
    edit = UsersFile(path)
    hashed = quick_hash(WEB_PASSWORD)
    edit.put("users", "lead", "leadership", None, None, hashed)
    edit.put("users", "ryd", "commander", ["SA-01"], None, hashed)
    edit.put("users", "root", "admin", None, None, hashed, totp=TOTP_SECRET)
    edit.save()
    return path


def _sign_in(http, name: str, password: str = WEB_PASSWORD, **more: str):  # noqa: ANN001, ANN202 - a test client
    page = http.get("/login", base_url="https://localhost")
    assert page.status_code == 200, page.get_data(as_text=True)[:200]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True))
    form = {"user": name, "password": password, "csrf": csrf[1] if csrf else "", **more}
    return http.post("/login", data=form, base_url="https://localhost")


def test_the_web_app_serves_everything_as_its_user(
    acl_url: str, admin: redis.Redis, tmp_path: Path
) -> None:
    _produce(acl_url)
    _ingest(acl_url)
    admin.execute_command("ACL", "LOG", "RESET")
    settings = settings_for(acl_url, "basira-web", auth_mode="password", users_file=_users_file(tmp_path),
                            secret_key=SecretStr("k" * 40))
    app = create_app(settings)
    http = app.test_client()
    assert _sign_in(http, "lead", "not the password").status_code == 401
    assert _sign_in(http, "lead", WEB_PASSWORD).status_code in (302, 303)

    snapshot = http.get("/api/v1/snapshot").get_json()
    assert {f["id"] for f in snapshot["incidents"]["features"]} == {"MK1", "RY1"}
    for since in ("", "&since=0"):
        feed = http.get(f"/api/v1/feed?region=SA-02{since}")
        assert feed.status_code == 200 and b'"down"' not in feed.data and b"MK1" in feed.data
    ready = http.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    metrics = http.get("/metrics").get_data(as_text=True)
    assert 'basira_entries_ingested_total{stream="incidents"} 5.0' in metrics
    for scope in ({}, {"region": "SA-02", "agency": None, "incident": None}):
        refresh = http.post("/_dash-update-component", json=refresh_body(app, scope))
        assert refresh.status_code == 200 and "MK1" in refresh.get_data(as_text=True)
    for path in ("/", "/ports", "/wall"):
        assert http.post("/_dash-update-component", json=router_body(path)).status_code == 200
    forecast = http.get("/api/v1/ports/air-jed/forecast?hours=24")
    assert forecast.status_code == 200
    assert http.get("/api/v1/ports/pressure").status_code == 200
    assert http.get("/api/v1/whoami").status_code == 200
    with http.session_transaction() as session:
        csrf = session.get("csrf", "")
    assert http.post("/logout", data={"csrf": csrf}, base_url="https://localhost").status_code in (302, 303)
    assert http.get("/api/v1/whoami").status_code == 401

    # A commander of another region: refused (403) and clamped, both written to the audit trail once.
    commander = app.test_client()
    assert _sign_in(commander, "ryd").status_code in (302, 303)
    assert commander.get("/api/v1/snapshot?region=SA-02").status_code == 403
    for _twice in range(2):
        clamped = commander.post("/_dash-update-component", json=refresh_body(app, {"region": "SA-02"}))
        assert clamped.status_code == 200 and "MK1" not in clamped.get_data(as_text=True)
    # An admin signs in with a TOTP code (used once) and reads the audit trail.
    root = app.test_client()
    assert _sign_in(root, "root", code=pyotp.TOTP(TOTP_SECRET).now()).status_code in (302, 303)
    trail = root.get("/api/v1/audit?count=50")
    assert trail.status_code == 200 and "login" in trail.get_data(as_text=True)

    assert admin.keys("sa:built:*") and admin.exists("sa:built:count")
    events = [fields["event"] for _id, fields in admin.xrange("sa:audit")]
    assert {"login", "login_failed", "logout", "denied"} <= set(events)
    assert admin.keys("sa:auth:*")
    assert refused(admin) == []


def test_the_web_app_takes_the_standards_in_as_its_user(
    acl_url: str, admin: redis.Redis, tmp_path: Path
) -> None:
    """An EIDO and a CAP alert posted with a producer token, one refused by its scope: written, refused,
    stored, audited and counted as ``basira-web`` — and Redis refused nothing."""
    path = tmp_path / "users.toml"
    token = new_token()
    edit = UsersFile(path)
    edit.put("tokens", "makkah-cad", "producer", ["SA-02"], None, hash_token(token))
    edit.save()
    settings = settings_for(acl_url, "basira-web", auth_mode="password", users_file=path,
                            secret_key=SecretStr("k" * 40))
    http = create_app(settings).test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    makkah = fire_in_makkah(now_ms())
    assert http.post("/api/v1/eido", data=orjson.dumps(makkah), headers=headers).status_code == 202
    riyadh = fire_in_makkah(now_ms(), where=EIDO_RIYADH, tracking="urn:emergency:uid:incidentid:7:psap.r.sa")
    assert http.post("/api/v1/eido", data=orjson.dumps(riyadh), headers=headers).status_code == 403
    assert http.post("/api/v1/eido", data=b"not json", headers=headers).status_code == 400
    assert http.post("/api/v1/cap", data=flood_in_makkah(), headers=headers).status_code == 202
    assert [admin.xlen(key) for key in STREAMS] == [1, 1, 0, 1]
    assert admin.xlen("sa:rejected") == 4 and admin.hget("sa:ingress:stats", "rejected:ingress:eido") == "4"
    assert admin.keys("sa:capin:alert:*") and admin.keys("sa:ingress:rate:*")
    assert "ingress" in {fields["event"] for _id, fields in admin.xrange("sa:audit")}
    assert refused(admin) == []
    _ingest(acl_url)
    assert admin.hexists("sa:inc:idx", "8c1f02a7d4:psap.makkah.911.example.sa")
    assert refused(admin) == []


def test_the_simulator_writes_a_demo_store_as_its_user(acl_url: str, admin: redis.Redis) -> None:
    from app.__main__ import _refuse_real_store, _simulator
    from app.simulation.port_backfill import backfill_ports

    settings = settings_for(acl_url, "basira-simulator", sim_rate=5.0, sim_backfill_s=60.0)
    _refuse_real_store(settings)  # reads the store's mark and whether it holds data
    args = argparse.Namespace(backfill_ports=None, season="hajj", units=20, duration=1.0)
    _simulator(settings, args, threading.Event())
    assert backfill_ports(Store.from_settings(settings), 3, progress=None) > 0
    _refuse_real_store(settings)  # a demo store now: may be written again
    assert admin.hget("sa:meta", "demo") == "1"
    assert all(admin.xlen(key) > 0 for key in STREAMS)
    assert admin.keys("sa:porth:*")
    assert refused(admin) == []
    simulator = as_user(acl_url, "basira-simulator")
    assert_noperm(simulator, "XRANGE", "sa:incidents", "-", "+")
    assert_noperm(simulator, "HSET", "sa:inc:idx", "X", "forged")
    assert_noperm(simulator, "DEL", "sa:incidents")

    # The simulator's entries (stamped) keep the store a demo store; one producer's entry ends it, and
    # the producer cannot read the stamp to pass for the simulator.
    admin.execute_command("ACL", "LOG", "RESET")
    _ingest(acl_url)
    assert admin.hget("sa:meta", "demo") == "1" and not admin.hexists("sa:meta", "real")
    producer = as_user(acl_url, "basira-producer")
    assert_noperm(producer, "HGET", "sa:meta", "demo_token")
    producer.xadd("sa:units", unit("REAL1"))
    _ingest(acl_url)
    assert not admin.hexists("sa:meta", "demo") and admin.hexists("sa:meta", "real")
    with pytest.raises(SystemExit, match="never be a demo store"):
        _refuse_real_store(settings)
    assert [line for line in refused(admin) if not line.startswith("basira-producer:")] == []


def test_the_alerts_worker_and_the_web_app_handle_alerts_as_their_users(
    acl_url: str, admin: redis.Redis, tmp_path: Path
) -> None:
    from app.alerts.spike import Baseline
    from app.alerts.worker import AlertWorker

    producer = as_user(acl_url, "basira-producer")
    producer.xadd("sa:incidents", incident("ALERTME", ts=now_ms() - 120_000))
    producer.close()
    _ingest(acl_url)
    admin.execute_command("ACL", "LOG", "RESET")
    settings = settings_for(acl_url, "basira-alerts")
    worker = AlertWorker(Store.from_settings(settings), settings, baseline=Baseline())
    assert worker.tick().evaluated
    alert_id = next(fields["id"] for _id, fields in admin.xrange("sa:alerts")
                    if fields.get("incident") == "ALERTME" and fields["event"] == "raised")

    web = settings_for(acl_url, "basira-web", auth_mode="password", users_file=_users_file(tmp_path),
                       secret_key=SecretStr("k" * 40))
    http = create_app(web).test_client()
    assert _sign_in(http, "lead").status_code in (302, 303)
    listed = http.get("/api/v1/alerts?state=open").get_json()
    assert alert_id in [a["id"] for a in listed]
    acked = http.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={"note": "on it"})
    assert acked.status_code == 200 and acked.get_json()["acknowledged_by"] == "lead"
    silenced = http.post("/api/v1/alerts/rules/port-wait/silence", json={"minutes": 30, "reason": "works"})
    assert silenced.status_code == 200
    assert worker.tick().evaluated
    events = [fields["event"] for _id, fields in admin.xrange("sa:alerts")]
    assert {"raised", "acknowledge", "silenced"} <= set(events)
    assert refused(admin) == []


def test_the_cot_listener_and_tak_out_do_their_jobs_as_basira_cot(acl_url: str, admin: redis.Redis) -> None:
    """The CoT processes (docs/standards.md) write the input streams, refusals and the audit trail, and read
    the picture; nothing else — and nothing they do is refused."""
    from app.ingress.cot_out import parse_targets
    from app.ingress.cot_out import serve as tak_out
    from tests.test_cot import cot_xml, free_udp_port, listening, send_tcp, wait_for

    cot = as_user(acl_url, "basira-cot")
    for command in (("HSET", "sa:unit:idx", "U1", "x"), ("XTRIM", "sa:units", "MAXLEN", "0"),
                    ("XDEL", "sa:audit", "0-1"), ("DEL", "sa:rejected"), ("SET", "sa:auth:x", "1"),
                    ("XGROUP", "CREATE", "sa:units", "g", "$", "MKSTREAM"),
                    ("HINCRBY", "sa:stats", "x", "1")):
        assert_noperm(cot, *command)
    cot.close()
    admin.execute_command("ACL", "LOG", "RESET")
    settings = settings_for(acl_url, "basira-cot")
    store = Store.from_settings(settings)
    with listening(store, settings) as listener:
        send_tcp(listener.bound["tcp"], cot_xml(uid="COT-1"), b"<event>not CoT</event>",
                 cot_xml(uid="COT-2", stale_s=0.5))
        wait_for(lambda: admin.xlen("sa:units") >= 2 and admin.xlen("sa:rejected") >= 1, "written, refused")
        _ingest(acl_url)
        wait_for(lambda: any(f.get("status") == "stale" for _id, f in admin.xrange("sa:units")), "COT-2's")
    audit = [fields for _id, fields in admin.xrange("sa:audit")]
    assert any(f.get("event") == "ingress" and f.get("source") == "cot" for f in audit)
    stop = threading.Event()
    thread = threading.Thread(target=tak_out, args=(store, settings, _cot_mapping(),
                                                    parse_targets(f"udp://127.0.0.1:{free_udp_port()}")),
                              kwargs={"stop": stop}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: any(f.get("event") == "tak_out_connected" for _id, f in admin.xrange("sa:audit")),
                 "tak-out at work")
    finally:
        stop.set()
        thread.join(30)
    assert refused(admin) == []


def _cot_mapping():  # noqa: ANN202
    from app.ingress.cot import load_mapping
    from app.settings import DATA_DIR

    return load_mapping(DATA_DIR / "cot_mapping.toml")
