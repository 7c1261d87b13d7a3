# ruff: noqa: F811 - the fixtures of tests/test_auth_api.py, imported by name
"""Access control, second round (issue 10): callbacks judged as Dash executes them, revocable sessions,
an atomic sign-in limit, body limits before authentication, clamped requests in the audit trail, a
4xx for every bad request, 12-character passwords and a second factor (TOTP).

The real app (create_app) against a real Redis; crafted requests as an attacker would send them."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from email.utils import parsedate_to_datetime

import pyotp
import pytest
import requests

from app import create_app
from app.__main__ import main
from app.auth.guard import state
from app.auth.identify import SESSION_ID
from app.auth.users import Directory, UsersFile
from app.i18n import t
from tests.browser import serving
from tests.helpers import unreachable_redis_url
from tests.test_auth_api import (  # noqa: F401 - fixtures
    HTTPS,
    PASSWORD,
    accounts,
    bearer,
    events,
    feed,
    password_hash,
    refresh_body,
    router_body,
    secured,
    secured_settings,
    sign_in,
)

CALLBACK = "/_dash-update-component"
LOCATION = "_pages_location"


def pathname(value: str) -> dict:
    return {"id": LOCATION, "property": "pathname", "value": value}


SEARCH = {"id": LOCATION, "property": "search", "value": ""}


def router_with(inputs: list) -> dict:
    return {**router_body("/"), "inputs": inputs}


# --- 1. a callback is judged as Dash will execute it ---------------------------------------------------


@pytest.mark.parametrize(
    "inputs",
    [
        [pathname("/"), pathname("/demo")],  # Dash draws "/" (the first); the gate read "/demo" (the last)
        [pathname("/"), SEARCH, pathname("/demo")],  # one too many
        [SEARCH, pathname("/demo")],  # reordered: Dash would draw the page named by ""
        [pathname("/demo")],  # one missing
        [pathname("/demo"), SEARCH, SEARCH],  # duplicated
        [{"id": "_pages_other", "property": "pathname", "value": "/demo"}, SEARCH],  # another id
        [{**pathname("/demo"), "property": "hash"}, SEARCH],  # another property
        "not a list",
    ],
)
def test_a_router_request_that_is_not_the_registered_callback_is_refused(secured, inputs) -> None:
    app, _settings, _tokens = secured
    response = app.test_client().post(CALLBACK, json=router_with(inputs))
    assert response.status_code == 400 and response.is_json
    assert "live-root" not in response.get_data(as_text=True)


def test_a_wall_cannot_draw_another_page_by_naming_its_own_last(secured) -> None:
    app, _settings, _tokens = secured
    wall = app.test_client()
    sign_in(wall, "wall1")
    crafted = wall.post(CALLBACK, json=router_with([pathname("/ports"), pathname("/wall")]))
    assert crafted.status_code == 400 and "ports-root" not in crafted.get_data(as_text=True)
    assert wall.post(CALLBACK, json=router_with([pathname("/ports"), SEARCH])).status_code == 403
    assert wall.post(CALLBACK, json=router_with([pathname("/wall"), SEARCH])).status_code == 200
    anonymous = app.test_client()
    assert anonymous.post(CALLBACK, json=router_with([pathname("/"), SEARCH])).status_code == 401
    kiosk = anonymous.post(CALLBACK, json=router_with([pathname("/demo"), SEARCH]))
    assert kiosk.status_code == 200 and "kiosk-root" in kiosk.get_data(as_text=True)


def test_every_input_state_and_output_must_be_the_declared_one(secured) -> None:
    app, _settings, _tokens = secured
    http = app.test_client()
    sign_in(http, "ryd")
    good = refresh_body(app, {})
    assert http.post(CALLBACK, json=good).status_code == 200
    swapped = {**good, "inputs": [good["inputs"][1], good["inputs"][0], *good["inputs"][2:]]}
    missing_state = {**good, "state": good["state"][:-1]}
    other_pattern = json.loads(json.dumps(good))
    other_pattern["outputs"][0][0]["id"]["page"] = "kiosk"
    wrong_shape = {**good, "outputs": good["outputs"][1]}
    for body in (swapped, missing_state, other_pattern, wrong_shape, {**good, "output": "nobody.children"},
                 {**good, "inputs": None}, [good], {"output": 5}):
        response = http.post(CALLBACK, json=body)
        assert response.status_code == 400 and response.is_json, body
    assert http.post(CALLBACK, data="{not json", content_type="application/json").status_code == 400


# --- 2. sign-out ends the session on the server --------------------------------------------------------


def csrf_of(http) -> str:
    """The sign-out form's token, as the page bar carries it."""
    with http.session_transaction() as session:
        return session["csrf"]


def test_a_cookie_copied_before_sign_out_is_refused_after_it(client, secured) -> None:
    app, settings, _tokens = secured
    http = app.test_client()
    sign_in(http, "lead")
    copied = http.get_cookie("basira_session").value
    out = http.post("/logout", data={"csrf": csrf_of(http)}, base_url=HTTPS)
    assert out.status_code == 302 and out.location.startswith("/login?out=1")
    thief = app.test_client()
    thief.set_cookie("basira_session", copied)
    assert thief.get("/api/v1/whoami", base_url=HTTPS).status_code == 401
    assert events(client, settings)[-1]["event"] == "logout"
    assert not list(client.scan_iter(f"{settings.stream_prefix}:auth:session:*"))


def test_sign_out_needs_a_post_with_the_forms_token(secured) -> None:
    app, _settings, _tokens = secured
    http = app.test_client()
    sign_in(http, "lead")
    page = http.get("/logout", base_url=HTTPS)  # an old link or another site's <img>: asks, ends nothing
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    assert http.post("/logout", data={"csrf": "forged"}, base_url=HTTPS).status_code == 400
    assert http.post("/logout", base_url=HTTPS).status_code == 400
    assert http.get("/api/v1/whoami", base_url=HTTPS).status_code == 200


def test_the_cookie_lasts_as_long_as_the_server_keeps_the_session(client, secured) -> None:
    app, settings, _tokens = secured
    for name, hours in (("ryd", settings.session_hours), ("wall1", settings.wall_session_hours)):
        http = app.test_client()
        cookie = sign_in(http, name).headers["Set-Cookie"]
        lasts = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie)[1]).timestamp() - time.time()
        assert abs(lasts - hours * 3600) < 120, (name, lasts)
        keys = list(client.scan_iter(f"{settings.stream_prefix}:auth:session:*"))
        ttls = sorted(client.ttl(key) for key in keys)
        assert any(abs(ttl - hours * 3600) < 120 for ttl in ttls), (name, ttls)


def test_sessions_fail_closed_when_redis_is_unreachable(settings, accounts) -> None:
    current = secured_settings(settings, accounts[0])
    http = create_app(current).test_client()
    assert sign_in(http, "ryd").status_code == 302
    cookie = http.get_cookie("basira_session").value
    with unreachable_redis_url() as url:
        away = create_app(current.model_copy(update={"redis_url": url}))
        other = away.test_client()
        other.set_cookie("basira_session", cookie)
        api = other.get("/api/v1/whoami", base_url=HTTPS)
        assert api.status_code == 503 and "sign" in api.get_json()["error"]
        page = other.get("/", base_url=HTTPS)
        assert page.status_code == 503 and "Traceback" not in page.get_data(as_text=True)
        assert "تعذّر" in page.get_data(as_text=True)
        assert other.post(CALLBACK, json=router_body("/"), base_url=HTTPS).status_code == 503


# --- 3. the sign-in limit holds under parallel attempts -----------------------------------------------


def test_parallel_wrong_passwords_are_checked_at_most_the_limit(client, settings, accounts) -> None:
    settings = secured_settings(settings, accounts[0], cookie_secure=False)  # plain HTTP on loopback
    attempts = 12
    with serving(settings) as url:
        sessions, forms = [], []
        for _ in range(attempts):
            browser = requests.Session()
            page = browser.get(url + "/login").text
            forms.append(re.search(r'name="csrf" value="([^"]+)"', page)[1])
            sessions.append(browser)
        start = threading.Barrier(attempts)
        statuses: list[int] = []

        def attempt(browser: requests.Session, token: str) -> None:
            start.wait()
            answer = browser.post(url + "/login", data={"user": "ryd", "password": "a wrong guess!",
                                                        "csrf": token}, allow_redirects=False)
            statuses.append(answer.status_code)

        threads = [threading.Thread(target=attempt, args=pair) for pair in zip(sessions, forms, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    checked = [e for e in events(client, settings) if e["event"] == "login_failed"]
    assert len(checked) <= settings.login_attempts_per_minute
    assert sorted(statuses) == sorted([401] * len(checked) + [429] * (attempts - len(checked)))


# --- 4. bodies are limited, and more before authentication -------------------------------------------


class CountingStream(io.RawIOBase):
    """A request body of ``size`` bytes that counts how much of it the server read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:  # the test client measures the body so
        base = {0: 0, 1: self.position, 2: self.size}[whence]
        self.position = base + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.position)
        buffer[:n] = b" " * n
        self.position += n
        self.read_bytes += n
        return n


def test_a_large_anonymous_body_is_refused_before_it_is_read(secured) -> None:
    app, settings, _tokens = secured
    body = CountingStream(30 * 1024 * 1024)
    response = app.test_client().post(CALLBACK, input_stream=body, content_type="application/json",
                                      headers={"Content-Length": str(30 * 1024 * 1024)})
    assert response.status_code == 413 and response.is_json and body.read_bytes == 0
    assert app.test_client().post("/login", data="x" * (settings.anonymous_body_bytes + 1),
                                  content_type="application/x-www-form-urlencoded").status_code == 413


def test_a_streamed_anonymous_body_is_cut_at_the_limit(secured) -> None:
    app, settings, _tokens = secured
    body = CountingStream(30 * 1024 * 1024)
    response = app.test_client().post(
        CALLBACK, content_type="application/json",
        environ_overrides={"wsgi.input": body, "wsgi.input_terminated": True,  # as a server passes chunks
                           "HTTP_TRANSFER_ENCODING": "chunked"},
    )
    assert response.status_code == 413 and response.is_json
    assert body.read_bytes <= settings.anonymous_body_bytes + 64 * 1024


def test_signed_in_callbacks_may_send_more_up_to_the_limit(secured) -> None:
    app, settings, _tokens = secured
    http = app.test_client()
    sign_in(http, "ryd")
    big = refresh_body(app, {})
    big["state"][0]["value"] = "x" * (settings.anonymous_body_bytes * 2)  # more than before signing in
    assert http.post(CALLBACK, json=big).status_code == 200
    too_big = CountingStream(settings.max_body_bytes + 1)
    response = http.post(CALLBACK, input_stream=too_big, content_type="application/json",
                         headers={"Content-Length": str(settings.max_body_bytes + 1)})
    assert response.status_code == 413 and too_big.read_bytes == 0


# --- 5. the audit trail, bad requests, passwords, TOTP ------------------------------------------------


def test_a_clamped_request_is_recorded_as_denied_once(client, secured) -> None:
    app, settings, _tokens = secured
    feed(client, settings)
    http = app.test_client()
    sign_in(http, "ryd")
    for _ in range(3):  # a page refreshing the same forged scope: one entry, not one per refresh
        assert http.post(CALLBACK, json=refresh_body(app, {"region": "SA-02"})).status_code == 200
    denied = [e for e in events(client, settings) if e["event"] == "denied"]
    assert len(denied) == 1 and "SA-02" in denied[0]["reason"] and denied[0]["user"] == "ryd"
    assert http.post(CALLBACK, json=refresh_body(app, {"agency": "patrol"})).status_code == 200
    assert len([e for e in events(client, settings) if e["event"] == "denied"]) == 2
    assert http.post(CALLBACK, json=refresh_body(app, {"region": "SA-01"})).status_code == 200  # in scope
    assert len([e for e in events(client, settings) if e["event"] == "denied"]) == 2


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-component-suites/dash/..%2f..%2fsettings.py",
        "/_dash-component-suites/dash/../../settings.py",
        "/_dash-component-suites/dash/deps/..%2F..%2Fdash.py",
        "/_dash-component-suites/dash/dcc/..%5c..%5cdash.py",
        "/_dash-component-suites/dash/%2e%2e/%2e%2e/dash.py",
        "/_dash-component-suites/os/path.py",
        "/_dash-component-suites/nopkg/x.js",
        "/_dash-component-suites/dash/nothing.js",
    ],
)
def test_a_path_outside_the_bundles_is_a_404(secured, path) -> None:
    app, _settings, _tokens = secured
    response = app.test_client().get(path)
    assert response.status_code == 404 and "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("count", ["9" * 5000, "-1", "abc", "1e3", "0x10", " 5"])
def test_a_bad_audit_count_is_a_400(secured, count) -> None:
    app, _settings, tokens = secured
    response = app.test_client().get("/api/v1/audit", query_string={"count": count},
                                     headers=bearer(tokens["root"]))
    assert response.status_code == 400 and response.is_json


def test_passwords_need_twelve_characters(tmp_path, monkeypatch) -> None:
    path = tmp_path / "users.toml"
    monkeypatch.setattr("sys.stdin", io.StringIO("eleven char\n"))
    with pytest.raises(SystemExit, match="at least 12"):
        main(["user", "add", "amal", "--role", "leadership", "--password-stdin", "--file", str(path)])
    monkeypatch.setattr("sys.stdin", io.StringIO("twelve chars\n"))
    main(["user", "add", "amal", "--role", "leadership", "--password-stdin", "--file", str(path)])
    assert Directory(path).verify("amal", "twelve chars") is not None


def add_user(path, name: str, role: str, *more: str, password: str = PASSWORD, capsys=None,
             monkeypatch=None) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    main(["user", "add", name, "--role", role, "--password-stdin", "--file", str(path), *more])
    return capsys.readouterr().out


def test_the_command_prints_a_totp_secret_once_and_an_admin_needs_one(tmp_path, monkeypatch, capsys):
    path = tmp_path / "users.toml"
    said = add_user(path, "amal", "commander", "--region", "SA-01", "--totp", capsys=capsys,
                    monkeypatch=monkeypatch)
    uri = re.search(r"otpauth://totp/\S+", said)[0]
    secret = pyotp.parse_uri(uri).secret
    assert secret in said and UsersFile(path).raw["users"]["amal"]["totp"] == secret
    assert Directory(path).user("amal").totp == secret
    with pytest.raises(SystemExit, match="--totp"):
        add_user(path, "root", "admin", capsys=capsys, monkeypatch=monkeypatch)
    assert "root" not in UsersFile(path).raw["users"]


def test_an_admin_without_a_second_factor_stops_the_start(settings, tmp_path, password_hash) -> None:
    path = tmp_path / "users.toml"
    edit = UsersFile(path)
    edit.put("users", "root", "admin", None, None, password_hash)
    edit.save()
    with pytest.raises(ValueError, match="root.*TOTP"):
        create_app(secured_settings(settings, path))


def test_a_user_with_totp_needs_a_fresh_code(client, secured, accounts) -> None:
    app, settings, _tokens = secured
    control = state(app)
    secret = UsersFile(accounts[0]).raw["users"]["root"]["totp"]
    totp = pyotp.TOTP(secret)
    now = 1_765_000_000.0  # a controlled clock: the code depends on the time
    control.clock = lambda: now
    page = app.test_client().get("/login").get_data(as_text=True)
    assert 'name="code"' in page and 'autocomplete="one-time-code"' in page
    assert sign_in(app.test_client(), "root").status_code == 401  # the password alone is not enough
    assert sign_in(app.test_client(), "root", code="000000" if totp.at(now) != "000000" else "111111"
                   ).status_code == 401
    first = app.test_client()
    assert sign_in(first, "root", code=totp.at(now)).status_code == 302
    assert first.get("/api/v1/audit").status_code == 200
    assert sign_in(app.test_client(), "root", code=totp.at(now)).status_code == 401  # replayed
    now += 30
    assert sign_in(app.test_client(), "root", code=totp.at(now - 30)).status_code == 401  # still used
    assert sign_in(app.test_client(), "root", code=totp.at(now)).status_code == 302  # the next one
    english = app.test_client().get("/login?lang=en").get_data(as_text=True)
    assert t("auth.code", "en") in english and t("auth.code", "ar") in page
    failed = [e for e in events(client, settings) if e["event"] == "login_failed"]
    assert len(failed) == 4 and {e["attempt"] for e in failed} == {"root"}


# --- the ASVS rows of docs/access.md that no other test holds -----------------------------------------


def test_signing_in_starts_a_new_session_and_keeps_nothing_planted_before(client, secured) -> None:
    """ASVS 3.2.1: whatever a visitor's cookie held before signing in (planted by another) is gone after,
    and each sign-in gets a session id of its own."""
    app, settings, _tokens = secured
    http = app.test_client()
    http.get("/login", base_url=HTTPS)
    with http.session_transaction() as session:
        session[SESSION_ID] = "planted-by-an-attacker"
        session["planted"] = "yes"
    sign_in(http, "lead")
    with http.session_transaction() as session:
        first = dict(session)
    assert "planted" not in first and "planted-by-an-attacker" not in first.values()
    sign_in(app.test_client(), "lead")
    keys = list(client.scan_iter(f"{settings.stream_prefix}:auth:session:*"))
    assert len(keys) == 2  # two sign-ins, two server-side sessions


def test_the_audit_log_line_escapes_what_a_visitor_typed_and_never_holds_a_password(
    secured, caplog
) -> None:
    """ASVS 7.1.1 and 7.3.1: a typed user name cannot forge a log line; the password is never logged."""
    app, _settings, _tokens = secured
    forged = "ryd\nINFO basira.audit event='login' user='lead'"
    with caplog.at_level("INFO", logger="basira.audit"):
        sign_in(app.test_client(), forged, "a password typed in the clear")
    lines = [r.getMessage() for r in caplog.records if r.name == "basira.audit"]
    assert lines and all("\n" not in line for line in lines)
    assert any("login_failed" in line and "\\n" in line for line in lines)
    assert all("a password typed in the clear" not in line for line in lines)
