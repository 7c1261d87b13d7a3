"""Access control on the real app (create_app) against a real Redis: who gets what, by session, token
and proxy header; the sign-in page, its rate limit and cookies; the headers; the audit trail."""

from __future__ import annotations

import logging
import re

import pyotp
import pytest
from pydantic import SecretStr

from app import create_app
from app.auth import audit, auth_banner, principal_label, scope_for
from app.auth.guard import PUBLIC_PAGES, callback_pages, state
from app.auth.users import UsersFile, hash_token, new_token
from app.contract import Scope, Stream
from app.ingest import IngestWorker
from app.store import Store
from tests.helpers import callback_body, incident, port_entry, quick_hash, unit

PASSWORD = "a long enough password"
#: name → (role, regions, agencies); each is a user (signs in) and a token (``<name>-token``).
ACCOUNTS = {
    "ryd": ("commander", ["SA-01"], ["traffic"]),
    "two": ("commander", ["SA-01", "SA-04"], None),
    "lead": ("leadership", None, None),
    "wall1": ("wall", ["SA-01"], None),
    "root": ("admin", None, None),
}
RIYADH, MAKKAH, DAMMAM = ("24.7136", "46.6753"), ("21.4225", "39.8262"), ("26.4207", "50.0888")
HTTPS = "https://localhost"


@pytest.fixture(scope="module")
def password_hash() -> str:
    return quick_hash(PASSWORD)  # hashed once for every account of the module


@pytest.fixture
def accounts(tmp_path, password_hash) -> tuple:
    path = tmp_path / "users.toml"
    edit = UsersFile(path)
    tokens = {}
    for name, (role, regions, agencies) in ACCOUNTS.items():
        # an admin signs in with a second factor (password mode requires it)
        edit.put("users", name, role, regions, agencies, password_hash,
                 totp=pyotp.random_base32() if role == "admin" else None)
        tokens[name] = new_token()
        edit.put("tokens", f"{name}-token", role, regions, agencies, hash_token(tokens[name]))
    edit.save()
    return path, tokens


def secured_settings(settings, path, **more):
    return settings.model_copy(update={"auth_mode": "password", "users_file": path,
                                       "secret_key": SecretStr("k" * 40), **more})


@pytest.fixture
def secured(settings, accounts):
    path, tokens = accounts
    current = secured_settings(settings, path)
    return create_app(current), current, tokens


def feed(client, settings) -> None:
    p = settings.stream_prefix
    for fields in (
        incident("RY-T", agency="traffic", category="collision", lat=RIYADH[0], lon=RIYADH[1]),
        incident("RY-P", agency="patrol", category="theft", lat=RIYADH[0], lon=RIYADH[1]),
        incident("MK-T", agency="traffic", category="collision", lat=MAKKAH[0], lon=MAKKAH[1]),
        incident("DM-C", agency="civil_defense", lat=DAMMAM[0], lon=DAMMAM[1]),
    ):
        client.xadd(Stream.incidents.key(p), fields)
    client.xadd(Stream.units.key(p), unit("U-RY", agency="traffic", lat=RIYADH[0], lon=RIYADH[1]))
    client.xadd(Stream.units.key(p), unit("U-MK", agency="traffic", lat=MAKKAH[0], lon=MAKKAH[1]))
    client.xadd(Stream.ports.key(p), port_entry("air-jed"))
    IngestWorker(Store.from_settings(settings), settings).work(burst=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(http, name: str, password: str = PASSWORD, **extra):
    page = http.get("/login", base_url=HTTPS)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True))
    form = {"user": name, "password": password, "csrf": csrf[1] if csrf else "", **extra}
    return http.post("/login", data=form, base_url=HTTPS)


def ids(payload: dict, layer: str) -> set[str]:
    return {f["id"] for f in payload[layer]["features"]}


def events(client, settings) -> list[dict[str, str]]:
    return [fields for _id, fields in client.xrange(f"{settings.stream_prefix}:audit")]


# --- the API: 401 without credentials, the caller's scope, 403 beyond it -----------------------------------


def test_without_credentials_the_api_answers_401_and_the_probes_stay_open(secured) -> None:
    app, _settings, _tokens = secured
    http = app.test_client()
    for path in ("/api/v1/snapshot", "/api/v1/ports/pressure", "/api/v1/whoami", "/api/v1/audit", "/metrics"):
        response = http.get(path)
        assert response.status_code == 401, path
        assert response.is_json and "error" in response.get_json()
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert http.get("/healthz").status_code == 200
    assert http.get("/readyz").status_code in (200, 503)  # open: it says whether Redis and ingest are fine


@pytest.mark.parametrize("authorization", ["Bearer bsr_not-a-token", "Bearer ", "Basic cnlkOnB3", "bsr_x"])
def test_bad_credentials_are_refused_not_ignored(secured, authorization) -> None:
    app, _settings, _tokens = secured
    response = app.test_client().get("/api/v1/snapshot", headers={"Authorization": authorization})
    assert response.status_code == 401


@pytest.mark.parametrize("how", ["token", "session"])
def test_a_riyadh_traffic_commander_reads_riyadh_traffic_only(client, secured, how) -> None:
    app, settings, tokens = secured
    feed(client, settings)
    http = app.test_client()
    headers = bearer(tokens["ryd"]) if how == "token" else {}
    if how == "session":
        assert sign_in(http, "ryd").status_code == 302

    own = http.get("/api/v1/snapshot", headers=headers)
    assert own.status_code == 200
    body = own.get_json()
    assert ids(body, "incidents") == {"RY-T"} and ids(body, "units") == {"U-RY"}
    assert body["scope"] == {"region": "SA-01", "agency": "traffic",
                             "regions": ["SA-01"], "agencies": ["traffic"]}
    assert body["ports"] and {p["region"] for p in body["ports"]} == {"SA-01"}
    assert body["kpis"]["open_total"] == 1
    assert http.get("/api/v1/snapshot?region=SA-01&agency=traffic", headers=headers).status_code == 200

    for query in ("region=SA-02", "agency=patrol", "region=SA-01&agency=civil_defense", "region=outside"):
        refused = http.get(f"/api/v1/snapshot?{query}", headers=headers)
        assert refused.status_code == 403, query
        assert refused.is_json and "outside your scope" in refused.get_json()["error"]
    assert http.get("/api/v1/snapshot?region=SA-99", headers=headers).status_code == 400
    assert [e["reason"] for e in events(client, settings) if e["event"] == "denied"][:1] == [
        "region SA-02 is outside your scope"
    ]


def test_a_commander_of_two_regions_reads_both_and_nothing_else(client, secured) -> None:
    app, settings, tokens = secured
    feed(client, settings)
    http = app.test_client()
    body = http.get("/api/v1/snapshot", headers=bearer(tokens["two"])).get_json()
    assert ids(body, "incidents") == {"RY-T", "RY-P", "DM-C"}
    assert body["scope"]["region"] is None and body["scope"]["regions"] == ["SA-01", "SA-04"]
    assert {p["region"] for p in body["ports"]} == {"SA-01", "SA-04"}
    assert body["kpis"]["open_total"] == 3
    assert ids(http.get("/api/v1/snapshot?region=SA-04", headers=bearer(tokens["two"])).get_json(),
               "incidents") == {"DM-C"}
    assert http.get("/api/v1/snapshot?region=SA-02", headers=bearer(tokens["two"])).status_code == 403


def test_a_commander_of_two_regions_does_not_count_other_regions_travellers(client, secured) -> None:
    app, settings, tokens = secured
    feed(client, settings)  # 120 travellers at Jeddah airport (Makkah region)
    body = app.test_client().get("/api/v1/snapshot", headers=bearer(tokens["two"])).get_json()
    assert body["kpis"]["port_travellers_1h"] == 0


def test_leadership_sees_the_nation(client, secured) -> None:
    app, settings, tokens = secured
    feed(client, settings)
    body = app.test_client().get("/api/v1/snapshot", headers=bearer(tokens["lead"])).get_json()
    assert ids(body, "incidents") == {"RY-T", "RY-P", "MK-T", "DM-C"} and len(body["ports"]) == 34


def test_the_ports_api_keeps_to_the_callers_regions(secured) -> None:
    app, _settings, tokens = secured
    http = app.test_client()
    ryd = bearer(tokens["ryd"])
    assert http.get("/api/v1/ports/air-jed/forecast?hours=6", headers=ryd).status_code == 403
    assert http.get("/api/v1/ports/air-jed/plan.csv?hours=6", headers=ryd).status_code == 403
    assert http.get("/api/v1/ports/air-ruh/forecast?hours=6", headers=ryd).status_code == 200
    pressure = http.get("/api/v1/ports/pressure?hours=6", headers=ryd).get_json()
    assert pressure["ports"] and {p["region"] for p in pressure["ports"]} == {"SA-01"}
    national = http.get("/api/v1/ports/pressure?hours=6", headers=bearer(tokens["lead"])).get_json()
    assert len(national["ports"]) == 34


def test_whoami_metrics_and_the_audit_trail_by_role(secured) -> None:
    app, _settings, tokens = secured
    http = app.test_client()
    me = http.get("/api/v1/whoami", headers=bearer(tokens["two"])).get_json()
    assert me["name"] == "two-token" and me["via"] == "token" and me["scope"]["regions"] == ["SA-01", "SA-04"]
    assert http.get("/metrics", headers=bearer(tokens["ryd"])).status_code == 403  # counts of every region
    assert http.get("/metrics", headers=bearer(tokens["lead"])).status_code == 200
    assert http.get("/api/v1/audit", headers=bearer(tokens["lead"])).status_code == 403
    trail = http.get("/api/v1/audit?count=5", headers=bearer(tokens["root"]))
    assert trail.status_code == 200 and trail.get_json()["events"][0]["event"] == "denied"


def test_metrics_can_be_left_open_for_a_scraper(settings, accounts) -> None:
    app = create_app(secured_settings(settings, accounts[0], metrics_open=True))
    assert app.test_client().get("/metrics").status_code == 200


# --- pages and Dash callbacks -------------------------------------------------------------------------


def test_pages_send_visitors_to_sign_in_except_the_kiosk(secured) -> None:
    app, _settings, tokens = secured
    http = app.test_client()
    for path in ("/", "/wall", "/?region=SA-02"):
        response = http.get(path)
        assert response.status_code == 302 and response.location.startswith("/login?next=/"), path
    assert http.get("/demo").status_code == 200
    for open_path in ("/assets/basira.css", "/auth/static/login.css", "/_dash-layout", "/_dash-dependencies"):
        assert http.get(open_path).status_code == 200, open_path

    wall = app.test_client()
    assert sign_in(wall, "wall1").location == "/wall"
    assert wall.get("/").location == "/wall"  # a display account opens the wall, not the command view
    assert wall.get("/wall").status_code == 200


def test_every_callback_belongs_to_a_page_and_the_kiosks_are_public(secured) -> None:
    """The gate knows a callback's page by its output ids (``<page>-…``, or patterns naming the page):
    an id that follows neither would lock the kiosk's visitors and the wall accounts out of it."""
    app, _settings, _tokens = secured
    control = state(app)
    known = set(control.pages.values())
    for key in control.dash_app.callback_map:
        pages, route = callback_pages({"output": key}, known)
        assert None not in pages, key
        if any(p in PUBLIC_PAGES for p in pages):
            assert pages <= PUBLIC_PAGES, f"a callback mixes the kiosk with another page: {key}"


def refresh_body(app, scope: dict) -> dict:
    """The command page's refresh callback as the browser posts it (built from the registered callback)."""
    values = {"live-pulse.data": {"at": 1}, "live-lang.value": "en", "live-scope.data": scope}
    return callback_body(app, "live-kpis-html.data", values, "live-pulse.data")


def router_body(path: str) -> dict:
    return {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"},
                        {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"]}


def test_callbacks_need_a_principal_except_the_kiosks(secured) -> None:
    app, _settings, _tokens = secured
    http = app.test_client()
    refused = http.post("/_dash-update-component", json=refresh_body(app, {"region": "SA-02"}))
    assert refused.status_code == 401 and refused.get_json()["login"] == "/login"
    assert http.post("/_dash-update-component", json=router_body("/")).status_code == 401
    kiosk = http.post("/_dash-update-component", json=router_body("/demo"))
    assert kiosk.status_code == 200 and "kiosk-root" in kiosk.get_data(as_text=True)

    wall = app.test_client()
    sign_in(wall, "wall1")
    assert wall.post("/_dash-update-component", json=refresh_body(app, {})).status_code == 403
    assert wall.post("/_dash-update-component", json=router_body("/")).status_code == 403


def test_a_hand_made_refresh_for_another_region_returns_only_the_commanders_data(client, secured) -> None:
    app, settings, _tokens = secured
    feed(client, settings)
    http = app.test_client()
    sign_in(http, "ryd")
    response = http.post("/_dash-update-component",
                         json=refresh_body(app, {"region": "SA-02", "agency": None, "incident": None}))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "RY-T" in text
    for foreign in ("MK-T", "RY-P", "DM-C", "U-MK"):
        assert foreign not in text


def test_scope_for_clamps_for_pages_inside_a_request(secured) -> None:
    app, _settings, tokens = secured
    with app.test_request_context("/api/v1/whoami", headers=bearer(tokens["ryd"])):
        app.preprocess_request()
        assert scope_for("SA-02", "patrol") == Scope("SA-01", "traffic")
        assert scope_for("nonsense", 42) == Scope("SA-01", "traffic")
        assert principal_label("en") == "ryd-token · Commander · Riyadh · Traffic police"
        assert principal_label("ar") == "ryd-token · قائد · منطقة الرياض · المرور"
        assert auth_banner("en") is None
    with app.test_request_context("/"):
        assert scope_for() == Scope(limit_regions=(), limit_agencies=())  # no principal: nothing


# --- signing in and out -----------------------------------------------------------------------------------


def test_signing_in_sets_a_strict_cookie_and_is_recorded(client, secured) -> None:
    app, settings, _tokens = secured
    http = app.test_client()
    wrong = sign_in(http, "ryd", "not the password")
    assert wrong.status_code == 401 and "غير صحيحة" in wrong.get_data(as_text=True)
    right = sign_in(http, "ryd", next="/?region=SA-01")
    assert right.status_code == 302 and right.location == "/?region=SA-01"
    cookie = right.headers["Set-Cookie"]
    assert cookie.startswith("basira_session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert http.get("/api/v1/whoami").get_json()["name"] == "ryd"
    kinds = [(e["event"], e.get("attempt", e["user"])) for e in events(client, settings)]
    assert kinds == [("login_failed", "ryd"), ("login", "ryd")]
    assert events(client, settings)[1]["ip"] == "127.0.0.1"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/logout", "javascript:x"])
def test_after_signing_in_only_a_local_page_is_followed(secured, target) -> None:
    app, _settings, _tokens = secured
    assert sign_in(app.test_client(), "lead", next=target).location == "/"


def test_a_sign_in_without_the_forms_token_is_refused(secured) -> None:
    app, _settings, _tokens = secured
    response = app.test_client().post("/login", data={"user": "ryd", "password": PASSWORD})
    assert response.status_code == 400 and "basira_session=ryd" not in response.headers.get("Set-Cookie", "")


def test_failed_sign_ins_are_rate_limited_per_address_and_per_user(client, secured) -> None:
    app, settings, _tokens = secured
    http = app.test_client()
    for name in ("lead", "two", "ryd", "wall1", "lead", "two"):  # a room signing in at a change of shift
        assert sign_in(app.test_client(), name).status_code == 302
    statuses = [sign_in(http, "ryd", "guess").status_code for _ in range(5)]
    assert statuses == [401] * 5
    blocked = sign_in(http, "ryd")  # even the right password, this minute
    assert blocked.status_code == 429 and 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert "محاولات كثيرة" in blocked.get_data(as_text=True)  # the page speaks the default language, Arabic
    assert events(client, settings)[-1]["event"] == "login_blocked"

    elsewhere = app.test_client()  # another address, same user name: the user's counter holds
    elsewhere.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert sign_in(elsewhere, "ryd").status_code == 429
    assert sign_in(elsewhere, "lead").status_code == 302  # another user from there is fine


def test_signing_out_ends_the_session_but_not_from_another_site(client, secured) -> None:
    app, settings, _tokens = secured
    http = app.test_client()
    sign_in(http, "lead")
    with http.session_transaction() as session:
        token = session["csrf"]
    refused = http.post("/logout", data={"csrf": token}, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 400
    assert http.get("/logout").status_code == 200  # a GET only asks
    assert http.get("/api/v1/whoami").status_code == 200
    out = http.post("/logout", data={"csrf": token}, headers={"Sec-Fetch-Site": "same-origin"})
    assert out.status_code == 302 and out.location.startswith("/login?out=1")
    assert http.get("/api/v1/whoami").status_code == 401
    assert events(client, settings)[-1]["event"] == "logout"
    assert "تم تسجيل خروجك" in http.get(out.location).get_data(as_text=True)


def test_a_removed_user_or_a_new_password_ends_their_sessions(secured, accounts, monkeypatch) -> None:
    from app.auth import users as users_module

    monkeypatch.setattr(users_module, "RECHECK_S", 0.0)
    app, _settings, _tokens = secured
    path = accounts[0]
    ryd, lead = app.test_client(), app.test_client()
    sign_in(ryd, "ryd")
    sign_in(lead, "lead")
    edit = UsersFile(path)
    edit.remove("users", "ryd")
    edit.put("users", "lead", "leadership", None, None, quick_hash("another long password"))
    edit.save()
    assert ryd.get("/api/v1/whoami").status_code == 401
    assert lead.get("/api/v1/whoami").status_code == 401


def test_the_sign_in_page_speaks_arabic_right_to_left_and_english(secured) -> None:
    app, _settings, _tokens = secured
    http = app.test_client()
    arabic = http.get("/login").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic and "تسجيل الدخول" in arabic
    english = http.get("/login?lang=en&next=/wall").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english and "User name" in english
    assert 'name="next" value="/wall"' in english and "lang=ar" in english


# --- headers ----------------------------------------------------------------------------------------------


def test_security_headers_and_a_policy_without_eval(secured) -> None:
    app, _settings, tokens = secured
    http = app.test_client()
    page = http.get("/demo", base_url=HTTPS)
    for name, value in (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                        ("Referrer-Policy", "same-origin")):
        assert page.headers[name] == value
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    policy = page.headers["Content-Security-Policy"]
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert script_src.startswith("script-src 'self' 'sha256-") and "unsafe" not in script_src
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    for inline in re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>",
                             page.get_data(as_text=True), flags=re.S):
        import base64
        import hashlib

        digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src  # every inline script Dash wrote is allowed by hash
    assert "Strict-Transport-Security" not in http.get("/demo").headers  # not over plain HTTP
    api = http.get("/api/v1/whoami", headers=bearer(tokens["lead"]))
    assert api.headers["Cache-Control"] == "no-store" and "Authorization" in api.headers["Vary"]


# --- the audit trail --------------------------------------------------------------------------------------


def test_scope_changes_are_recorded_and_the_trail_is_bounded(client, secured) -> None:
    app, settings, tokens = secured
    with app.test_request_context("/", headers=bearer(tokens["two"])):
        app.preprocess_request()
        audit.scope_changed("live", scope_for("SA-04"), previous=scope_for())
    entry = events(client, settings)[-1]
    assert entry["event"] == "scope" and entry["user"] == "two-token" and entry["page"] == "live"
    assert (entry["scope"], entry["from"]) == ("SA-04:all", "SA-01+SA-04:all")

    trail = state(app).audit
    trail.stream.maxlen = 1000
    for n in range(1600):
        trail.record("scope", None, "127.0.0.1", page=str(n))
    assert client.xlen(f"{settings.stream_prefix}:audit") < 1600


# --- header mode: a single-sign-on proxy names the user ---------------------------------------------------


@pytest.fixture
def behind_proxy(settings, accounts):
    current = settings.model_copy(update={"auth_mode": "header", "users_file": accounts[0],
                                          "trusted_proxies": "10.0.0.5, 10.9.0.0/16"})
    return create_app(current)


def proxied(app, address: str):
    http = app.test_client()
    http.environ_base["REMOTE_ADDR"] = address
    return http


def test_the_proxys_headers_are_believed_only_from_the_proxy(client, settings, behind_proxy) -> None:
    feed(client, settings)
    headers = {"X-Remote-User": "nasser", "X-Remote-Role": "commander", "X-Remote-Regions": "SA-02",
               "X-Remote-Agencies": "traffic"}
    trusted = proxied(behind_proxy, "10.0.0.5")
    body = trusted.get("/api/v1/snapshot", headers=headers).get_json()
    assert ids(body, "incidents") == {"MK-T"}
    assert trusted.get("/api/v1/whoami", headers=headers).get_json()["via"] == "header"
    assert trusted.get("/", headers=headers).status_code == 200

    spoofed = proxied(behind_proxy, "192.0.2.7")  # the same headers from anyone else mean nothing
    assert spoofed.get("/api/v1/snapshot", headers=headers).status_code == 401
    page = spoofed.get("/", headers=headers)
    assert page.status_code == 401 and "بوابة" in page.get_data(as_text=True)


def test_the_proxy_may_name_only_the_user_and_the_users_file_says_the_rest(behind_proxy) -> None:
    http = proxied(behind_proxy, "10.9.3.4")
    me = http.get("/api/v1/whoami", headers={"X-Remote-User": "two"}).get_json()
    assert me["role"] == "commander" and me["regions"] == ["SA-01", "SA-04"]
    assert http.get("/api/v1/whoami", headers={"X-Remote-User": "stranger"}).status_code == 401
    bad = {"X-Remote-User": "x", "X-Remote-Role": "commander"}  # a commander of nothing
    assert http.get("/api/v1/whoami", headers=bad).status_code == 401


def test_the_client_address_comes_from_the_trusted_proxy(behind_proxy) -> None:
    with behind_proxy.test_request_context(
        "/", environ_base={"REMOTE_ADDR": "10.0.0.5"},
        headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.1, 10.9.0.2", "X-Forwarded-Proto": "https"},
    ):
        control = state(behind_proxy)
        from flask import request

        assert control.client_ip() == "198.51.100.1"  # the nearest hop that is not ours
        assert control.identifier.secure(request)
    with behind_proxy.test_request_context("/", environ_base={"REMOTE_ADDR": "192.0.2.7"},
                                           headers={"X-Forwarded-For": "10.0.0.1"}):
        assert state(behind_proxy).client_ip() == "192.0.2.7"


# --- turning it on wrongly, and leaving it off ------------------------------------------------------------


@pytest.mark.parametrize(
    ("update", "needle"),
    [
        ({"auth_mode": "password"}, "needs BASIRA_USERS_FILE"),
        ({"auth_mode": "header"}, "needs BASIRA_TRUSTED_PROXIES"),
        ({"auth_mode": "password", "secret_key": SecretStr("short")}, "at least 32"),
    ],
)
def test_settings_that_cannot_work_stop_the_start(settings, accounts, update, needle) -> None:
    if update.get("secret_key"):
        update["users_file"] = accounts[0]
    with pytest.raises(ValueError, match=needle):
        create_app(settings.model_copy(update=update))


def test_with_access_control_off_everything_is_open_and_said_so(settings, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="basira.auth"):
        app = create_app(settings)
    assert "ACCESS CONTROL IS OFF" in caplog.text
    http = app.test_client()
    assert http.get("/api/v1/whoami").get_json()["via"] == "open"
    assert http.get("/").status_code == 200 and http.get("/login").location == "/"
    with app.test_request_context("/"):
        app.preprocess_request()
        assert auth_banner("ar").startswith("التحكم في الوصول متوقف")
        assert principal_label("en") is None and scope_for("SA-02") == Scope("SA-02")


def test_a_random_secret_key_is_warned_about(settings, accounts, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="basira.auth"):
        create_app(settings.model_copy(update={"auth_mode": "password", "users_file": accounts[0]}))
    assert "BASIRA_SECRET_KEY is not set" in caplog.text
