"""Access control without a server: roles and the scope clamp, the users file and its commands, the
proxy's addresses, the parsing of a Dash callback request."""

from __future__ import annotations

import io
import json
import os
import stat

import pytest

from app.__main__ import main
from app.auth import users as users_module
from app.auth.guard import callback_pages
from app.auth.headers import tile_origin
from app.auth.identify import parse_networks
from app.auth.principals import NOTHING, AccessDenied, InvalidAccount, Principal, Role, clamp
from app.auth.users import Directory, UsersFile, hash_password, hash_token, new_token
from app.contract import REGION_TOKENS, Scope
from tests.helpers import quick_hash

RIYADH_TRAFFIC = Principal.make("ryd", "commander", ["SA-01"], ["traffic"])
TWO_REGIONS = Principal.make("two", "commander", ["SA-04", "SA-01"])
LEADER = Principal.make("lead", "leadership")


# --- principals and the clamp ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "regions", "agencies", "needle"),
    [
        ("chief", None, None, "unknown role"),
        ("leadership", ["SA-01"], None, "whole Kingdom"),
        ("admin", None, ["traffic"], "whole Kingdom"),
        ("commander", None, None, "needs regions"),
        ("commander", ["SA-13"], None, "unknown region SA-13"),
        ("commander", ["outside"], None, "unknown region outside"),
        ("wall", None, ["police"], "unknown agency police"),
    ],
)
def test_accounts_that_cannot_work_are_refused(role, regions, agencies, needle) -> None:
    with pytest.raises(InvalidAccount, match=needle):
        Principal.make("x", role, regions, agencies)


def test_a_commander_asking_for_the_nation_gets_their_own_cell() -> None:
    assert clamp(RIYADH_TRAFFIC, Scope()) == Scope("SA-01", "traffic")
    assert clamp(RIYADH_TRAFFIC, Scope("SA-01")) == Scope("SA-01", "traffic")


def test_pages_clamp_what_is_beyond_the_scope_and_the_api_refuses_it() -> None:
    assert clamp(RIYADH_TRAFFIC, Scope("SA-02", "patrol")) == Scope("SA-01", "traffic")
    for asked in (Scope("SA-02"), Scope(None, "patrol"), Scope("outside")):
        with pytest.raises(AccessDenied):
            clamp(RIYADH_TRAFFIC, asked, strict=True)


def test_several_regions_become_a_limit_of_all() -> None:
    scope = clamp(TWO_REGIONS, Scope())
    assert scope.region is None and scope.regions == ("SA-01", "SA-04")
    assert scope.token == "SA-01+SA-04:all"  # never the nation's cache entry
    assert clamp(TWO_REGIONS, Scope("SA-04")) == Scope("SA-04")
    assert scope.covers("SA-04", "patrol") and not scope.covers("SA-02") and not scope.covers("outside")


def test_national_roles_get_what_they_ask_for() -> None:
    for asked in (Scope(), Scope("SA-02", "traffic"), Scope("outside")):
        assert clamp(LEADER, asked, strict=True) == asked


def test_no_principal_reads_nothing() -> None:
    assert clamp(None, Scope("SA-02")) == NOTHING
    assert NOTHING.regions == () and NOTHING.agencies == () and NOTHING.token == "none:none"
    with pytest.raises(AccessDenied):
        clamp(None, Scope(), strict=True)


def test_scope_limits_keep_the_old_behaviour_when_absent() -> None:
    assert Scope().regions == REGION_TOKENS and Scope().token == "all:all"
    assert Scope("SA-02", "traffic").token == "SA-02:traffic"
    assert all(type(a) is str for a in Scope().agencies)
    with pytest.raises(ValueError, match="outside the scope's limit"):
        Scope("SA-02", limit_regions=("SA-01",))


def test_wall_accounts_open_only_the_wall_and_the_kiosk() -> None:
    wall = Principal.make("w", "wall", ["SA-02"])
    assert wall.may_open("wall") and wall.may_open("kiosk") and not wall.may_open("live")
    assert wall.home == "/wall" and LEADER.home == "/" and LEADER.may_open("live")
    assert LEADER.national and not wall.national


# --- the users file -----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_the_users_file_round_trips_and_stores_only_hashes(tmp_path, suffix) -> None:
    path = tmp_path / f"users{suffix}"
    edit = UsersFile(path)
    edit.put("users", "amal.o", "commander", ["SA-01"], ["traffic"], quick_hash("correct horse"))
    token = new_token()
    edit.put("tokens", "wall-1", "wall", ["SA-02"], None, hash_token(token))
    edit.save()
    text = path.read_text(encoding="utf-8")
    assert "correct horse" not in text and token not in text
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

    directory = Directory(path)
    assert directory.verify("amal.o", "correct horse").principal == Principal.make(
        "amal.o", "commander", ["SA-01"], ["traffic"]
    )
    assert directory.verify("amal.o", "wrong") is None
    assert directory.verify("nobody", "correct horse") is None
    account = directory.token(token)
    assert account is not None and account.principal.role is Role.wall and account.principal.via == "token"
    assert directory.token(token + "x") is None and directory.token("not-a-token") is None


def test_the_app_hashes_passwords_with_scrypt_at_full_cost_and_verifies_any_cost(tmp_path) -> None:
    """Accounts the app makes get werkzeug's scrypt at N=32768; a stored hash is verified by the
    parameters it names, so the suite's accounts (``tests.helpers.quick_hash``, N=1024) sign in the same
    way, only faster."""
    strong = hash_password("correct horse")
    assert strong.startswith("scrypt:32768:8:1$") and "correct horse" not in strong
    edit = UsersFile(tmp_path / "users.toml")
    edit.put("users", "strong", "leadership", None, None, strong)
    edit.put("users", "quick", "leadership", None, None, quick_hash("battery staple"))
    edit.save()
    directory = Directory(tmp_path / "users.toml")
    assert directory.verify("strong", "correct horse") is not None
    assert directory.verify("quick", "battery staple") is not None
    assert directory.verify("strong", "battery staple") is None
    assert directory.verify("quick", "correct horse") is None


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('[users."a"]\nrole = "leadership"\n', "password is missing"),
        ('[users."a"]\nrole = "boss"\npassword = "x"\n', "users.a: unknown role"),
        ('[users."a b"]\nrole = "leadership"\npassword = "x"\n', "a name is"),
        ('[users."a"]\nrole = "commander"\npassword = "x"\nregion = ["SA-01"]\n', "unknown field"),
        ('[people."a"]\n', "expected only the sections"),
        ("[users\n", "users.toml"),
    ],
)
def test_a_bad_users_file_says_which_entry_and_why(tmp_path, content, needle) -> None:
    path = tmp_path / "users.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidAccount, match=needle):
        Directory(path)


def test_a_changed_file_is_read_again_and_a_broken_one_is_not(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(users_module, "RECHECK_S", 0.0)
    path = tmp_path / "users.json"
    edit = UsersFile(path)
    edit.put("users", "amal", "leadership", None, None, quick_hash("correct horse"))
    edit.save()
    directory = Directory(path)
    assert directory.user("amal").principal.role is Role.leadership

    edit.put("users", "amal", "commander", ["SA-03"], None, edit.raw["users"]["amal"]["password"])
    edit.save()
    assert directory.user("amal").principal.regions == frozenset({"SA-03"})

    path.write_text("{ not json", encoding="utf-8")
    assert directory.user("amal").principal.regions == frozenset({"SA-03"})  # the last good file


def test_the_commands_add_list_and_remove_users_and_tokens(tmp_path, monkeypatch, capsys) -> None:
    path = tmp_path / "users.toml"
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    main(["user", "add", "amal", "--role", "commander", "--region", "SA-01,SA-04", "--agency", "traffic",
          "--password-stdin", "--file", str(path)])
    assert "Saved user amal" in capsys.readouterr().out
    main(["token", "add", "wall-1", "--role", "wall", "--file", str(path)])
    token = capsys.readouterr().out.strip()  # the token alone on stdout: TOKEN=$(python -m app token add …)
    assert token.startswith("bsr_") and "\n" not in token

    directory = Directory(path)
    amal = directory.verify("amal", "a long enough password")
    assert amal.principal.regions == frozenset({"SA-01", "SA-04"})
    assert directory.token(token).principal.name == "wall-1"

    main(["user", "list", "--file", str(path)])
    assert "amal" in capsys.readouterr().out
    main(["token", "remove", "wall-1", "--file", str(path)])
    assert Directory(path).token(token) is None


def test_the_commands_refuse_what_cannot_work(tmp_path, monkeypatch) -> None:
    path = tmp_path / "users.toml"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(SystemExit, match="at least 12"):
        main(["user", "add", "amal", "--role", "leadership", "--password-stdin", "--file", str(path)])
    with pytest.raises(SystemExit, match="needs regions"):
        main(["token", "add", "t", "--role", "commander", "--file", str(path)])
    assert not path.exists()


# --- addresses, tiles, callbacks ------------------------------------------------------------------------


def test_trusted_proxies_are_addresses_or_networks() -> None:
    networks = parse_networks(" 10.0.0.5, 192.168.0.0/16 ,, ::1 ")
    assert [str(n) for n in networks] == ["10.0.0.5/32", "192.168.0.0/16", "::1/128"]
    with pytest.raises(ValueError, match="not an address"):
        parse_networks("10.0.0.5, proxy.local")


def test_tile_servers_are_allowed_images() -> None:
    assert tile_origin("https://{s}.tiles.local:8443/{z}/{x}/{y}.png") == "https://*.tiles.local:8443"
    assert tile_origin(None) is None and tile_origin("/tiles/{z}/{x}/{y}.png") is None


def test_a_callback_is_judged_by_the_output_dash_dispatches_on() -> None:
    known = {"live", "wall", "kiosk"}
    layer = json.dumps({"layer": ["ALL"], "page": "kiosk", "part": "live", "type": "basira-layer"},
                       separators=(",", ":"))
    assert callback_pages({"output": f"..{layer}.data...kiosk-story.children.."}, known) == ({"kiosk"}, ())
    assert callback_pages({"output": "live-kpis.children", "outputs": [{"id": "kiosk-x"}]}, known) == (
        {"live"}, ())
    router = {"output": ".._pages_content.children..._pages_store.data..",
              "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/demo"}]}
    assert callback_pages(router, known) == (set(), ("/demo",))
    # every path a router request names is judged (the request must also be the registered one: 400)
    two = {**router, "inputs": [{**router["inputs"][0], "value": "/"}, *router["inputs"]]}
    assert callback_pages(two, known) == (set(), ("/", "/demo"))
    region_buttons = json.dumps({"code": ["ALL"], "type": "kiosk-region"}, separators=(",", ":"))
    assert callback_pages({"output": f"{region_buttons}.children"}, known) == ({"kiosk"}, ())
    assert callback_pages({"output": "something-else.children"}, known) == ({None}, ())
    assert callback_pages("garbage", known) == ({None}, ())
