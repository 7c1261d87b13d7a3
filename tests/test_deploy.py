"""``deploy/`` holds together: the compose set, the systemd units and the example settings name only
commands Basira has, settings it reads, and users ``deploy/users.acl`` defines — and carry no secret.

These are the checks that need no Docker daemon and no systemd: the files are read as data. Where the
tools exist they are asked too: ``systemd-analyze verify`` (Debian's systemd; the units rewritten to
run this checkout) and ``docker compose config`` (or the older ``docker-compose``), which validates
the compose file against the Compose specification without pulling or starting anything. A missing
tool skips its test, saying which. ``tests/test_deploy_sentinel.py`` starts the Redis servers and a
Sentinel from these files.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices

from app.__main__ import build_parser
from app.acl import ACL_FILE, env_name, users
from app.schemas import env_name as setting_env_name
from app.settings import ROOT, Settings

DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
COMPOSE = DEPLOY / "compose.yaml"
PROCFILE = ROOT / "Procfile"
#: The files an operator copies or runs, where a setting's name can be mistyped.
DEPLOY_FILES = sorted(p for p in DEPLOY.rglob("*") if p.is_file() and p.name != ".gitignore") + [PROCFILE]
ACL_USERS = [name for name in users(ACL_FILE.read_text()) if name != "default"]
#: Where a Basira process runs from on a host (docs/operations.md, "Run on Sentinel").
INSTALL = "/opt/basira"


def setting_names() -> set[str]:
    """Every environment variable a setting is read from (``BASIRA_<FIELD>``, the conventional
    ``REDIS_URL``/``REDIS_SENTINELS``, and any other alias)."""
    names = set()
    for field, info in Settings.model_fields.items():
        names.add(setting_env_name(field))
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
        elif isinstance(alias, str):
            names.add(alias)
    return names


def known_names() -> set[str]:
    """Settings, and the ACL users' passwords ``python -m app acl`` reads (``BASIRA_ACL_PASSWORD_WEB`` …)."""
    return setting_names() | {env_name(user) for user in ACL_USERS}


def app_command_exists(command: str, capsys: pytest.CaptureFixture[str]) -> bool:
    """Whether ``python -m app <command>`` is one of Basira's commands (its ``--help`` exits 0)."""
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([command, "--help"])
    capsys.readouterr()
    return exited.value.code == 0


def procfile_web() -> list[str]:
    """The Procfile's web command, as arguments, without its environment and bind address."""
    line = next(line for line in PROCFILE.read_text().splitlines() if line.startswith("web:"))
    words = shlex.split(line.removeprefix("web:"))
    return [w for w in words if "=" not in w or w.startswith("--")]


def without_bind(words: list[str]) -> list[str]:
    out, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word == "--bind":
            skip = True
        else:
            out.append(word)
    return out


def unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A unit file's sections, each a list of ``(key, value)`` in order: systemd keys repeat
    (``EnvironmentFile=``), which :mod:`configparser` would merge."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        else:
            key, _, value = line.partition("=")
            current.append((key.strip(), value.strip()))
    return sections


def values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [value for k, value in section if k == key]


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


# --- every name is real ----------------------------------------------------------------------------


def test_every_setting_named_in_deploy_files_is_a_real_one() -> None:
    known = known_names()
    for path in DEPLOY_FILES:
        named = set(re.findall(r"\b(?:BASIRA|REDIS)_[A-Z0-9_]*[A-Z0-9]\b", path.read_text()))
        unknown = sorted(named - known)
        assert not unknown, f"{path.relative_to(ROOT)} names what no setting reads: {unknown}"


def test_the_sentinel_settings_exist() -> None:
    """The names the deployment relies on (docs/operations.md, "Run on Sentinel")."""
    assert {"REDIS_SENTINELS", "BASIRA_REDIS_MASTER", "BASIRA_REDIS_SENTINEL_USERNAME",
            "BASIRA_REDIS_SENTINEL_PASSWORD", "BASIRA_REDIS_USERNAME", "BASIRA_REDIS_PASSWORD",
            "BASIRA_REDIS_WAIT_REPLICAS", "BASIRA_REDIS_WAIT_MS"} <= setting_names()


def test_the_replication_and_sentinel_users_get_passwords_like_the_others(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.__main__ import main

    for user in ACL_USERS:
        monkeypatch.setenv(env_name(user), f"secret-of-{user}")
    main(["acl"])
    out, err = capsys.readouterr()
    assert env_name("basira-replication") == "BASIRA_ACL_PASSWORD_REPLICATION"
    assert env_name("basira-sentinel") == "BASIRA_ACL_PASSWORD_SENTINEL"
    assert err == "" and "secret-of" not in out
    lines = {line.split()[1]: line for line in out.splitlines()}
    hashed = _sha("secret-of-basira-replication")
    assert lines["basira-replication"].endswith(f" +psync +replconf +ping #{hashed}")
    assert "&__sentinel__:hello" in lines["basira-sentinel"] and "+slaveof" in lines["basira-sentinel"]


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


# --- the systemd units -------------------------------------------------------------------------------


def test_the_units_are_the_ones_the_docs_name() -> None:
    assert [p.name for p in UNITS] == [
        "basira-alerts.service", "basira-archive.service", "basira-cot.service", "basira-ingest@.service",
        "basira-tak-out.service", "basira-web@.service",
    ]


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_runs_a_basira_command_as_its_own_user_hardened(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sections = unit(path)
    service = sections["Service"]
    [start] = values(service, "ExecStart")
    words = shlex.split(start)
    if words[0] == f"{INSTALL}/.venv/bin/python":
        assert words[1:3] == ["-m", "app"] and len(words) == 4, start
        assert app_command_exists(words[3], capsys), f"{path.name}: no command `python -m app {words[3]}`"
    else:  # the web worker: the Procfile's command, on the instance's port
        assert words[0] == f"{INSTALL}/.venv/bin/gunicorn", start
        assert without_bind(words[1:]) == without_bind(procfile_web()[1:]) and "0.0.0.0:%i" in words
        assert "MALLOC_ARENA_MAX=2" in values(service, "Environment")
    assert values(service, "User") == ["basira"] and values(service, "WorkingDirectory") == [INSTALL]
    files = values(service, "EnvironmentFile")
    assert files[0] == "/etc/basira/basira.env" and len(files) == 2, files
    role = Path(files[1]).stem  # the process's own Redis user, as docs/operations.md gives it
    assert f"basira-{role}" in ACL_USERS
    assert values(service, "Restart") == ["on-failure"] and values(service, "KillSignal") == ["SIGTERM"]
    for key, value in [("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("PrivateTmp", "yes"),
                       ("ProtectHome", "yes")]:
        assert values(service, key) == [value], f"{path.name}: {key}={value}"
    # Only the archiver writes to disk: its archive folder, made for it.
    writable = values(service, "StateDirectory") + values(service, "ReadWritePaths")
    assert writable == (["basira/archive"] if path.name == "basira-archive.service" else [])
    assert values(sections["Install"], "WantedBy") == ["multi-user.target"]


def test_the_ingest_workers_consumer_names_differ_across_hosts() -> None:
    service = unit(DEPLOY / "systemd" / "basira-ingest@.service")["Service"]
    assert "BASIRA_INGEST_CONSUMER=%H-%i" in values(service, "Environment")


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    """Rewritten to run this checkout's virtual environment (``systemd-analyze`` checks that the
    command exists); templates verified as one instance each."""
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed (Debian: systemd)")
    venv_bin = Path(sys.executable).parent
    names = []
    for path in UNITS:
        text = path.read_text().replace(f"{INSTALL}/.venv/bin", str(venv_bin))
        text = text.replace(f"WorkingDirectory={INSTALL}", f"WorkingDirectory={ROOT}")
        name = path.name.replace("@.service", "@8050.service")
        (tmp_path / name).write_text(text)
        names.append(f"./{name}")
    result = subprocess.run([analyze, "verify", *names], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


# --- the compose set ---------------------------------------------------------------------------------


def test_compose_runs_every_process_through_the_sentinels_as_its_own_user(
    capsys: pytest.CaptureFixture[str],
) -> None:
    services = compose()["services"]
    basira = {name: s for name, s in services.items() if s.get("image") == "basira:local"}
    sentinels = sorted(name for name in services if name.startswith("sentinel-"))
    assert sentinels == ["sentinel-1", "sentinel-2", "sentinel-3"]
    assert sorted(n for n in services if n.startswith("redis-")) == ["redis-1", "redis-2"]
    commands: dict[str, int] = {}
    for name, service in basira.items():
        command = service["command"]
        if name == "acl":
            assert "python -m app acl" in command[-1]
            continue
        env = service["environment"]
        if command[0] == "gunicorn":
            assert without_bind(command[1:]) == without_bind(procfile_web()[1:])
            assert env["MALLOC_ARENA_MAX"] == "2"
            commands["web"] = commands.get("web", 0) + 1
        else:
            assert command[:3] == ["python", "-m", "app"] and app_command_exists(command[3], capsys)
            commands[command[3]] = commands.get(command[3], 0) + 1
        assert env["REDIS_SENTINELS"] == ",".join(f"{s}:26379" for s in sentinels)
        assert "REDIS_URL" not in env and env["BASIRA_REDIS_MASTER"] == "basira"
        user = env["BASIRA_REDIS_USERNAME"]
        assert user in ACL_USERS and env["BASIRA_REDIS_PASSWORD"].startswith("${" + env_name(user) + ":?")
    assert commands == {"ingest": 2, "web": 2, "archive": 1, "alerts": 1, "simulate": 1}
    assert services["simulate"]["profiles"] == ["demo"]  # not started by a plain `up`
    ingest = [s["environment"]["BASIRA_INGEST_CONSUMER"] for s in basira.values()
              if s["command"][-1] in ("ingest", "archive")]
    assert len(set(ingest)) == len(ingest)


def test_compose_holds_no_password_and_names_only_what_exists() -> None:
    text = COMPOSE.read_text()
    data = compose()
    for name, service in data["services"].items():
        env = service.get("environment") or {}
        for key, value in env.items():
            if "PASSWORD" in key:
                from_env_file = re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]*\}", str(value))
                assert from_env_file, f"{name}: {key} is not from deploy/.env"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name} mounts {source}, which is not in deploy/"
            else:
                assert source in data["volumes"], f"{name} mounts an undeclared volume {source}"
        for other in service.get("depends_on", {}):
            assert other in data["services"], f"{name} depends on {other}, not a service"
    assert "${BASIRA_ACL_PASSWORD_REPLICATION:?" in text
    example = DEPLOY / ".env.example"
    lines = [line for line in example.read_text().splitlines() if line and not line.startswith("#")]
    assert lines and all(re.fullmatch(r"[A-Z0-9_]+=", line) for line in lines), "placeholders only"
    interpolated = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    assert interpolated == {line.rstrip("=") for line in lines}
    assert interpolated == {env_name(u) for u in ACL_USERS} | {"BASIRA_REDIS_SENTINEL_PASSWORD"}
    ignored = subprocess.run(["git", "check-ignore", "-q", "deploy/.env"], cwd=ROOT, timeout=30)
    assert ignored.returncode == 0, "deploy/.env (the operator's passwords) must be ignored by git"


def _compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                 timeout=60).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_validates_the_file(tmp_path: Path) -> None:
    """``config`` parses, interpolates and validates against the Compose specification; it pulls and
    starts nothing, and needs no daemon."""
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no Docker Compose here (neither `docker compose` nor `docker-compose`): "
                    "the compose file is checked by the other tests of this module only")
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{env_name(u)}=test-{u}\n" for u in ACL_USERS)
                        + "BASIRA_REDIS_SENTINEL_PASSWORD=test-sentinels\n")
    empty = tmp_path / "empty.env"
    empty.write_text("")
    # Only the env file's passwords: a variable of this process's own would win over it.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BASIRA_", "REDIS_"))}

    def config(env_file: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, "--env-file", str(env_file), "-f", str(COMPOSE), "config", "-q"],
                              capture_output=True, text=True, timeout=120, env=env)

    result = config(env_file)
    assert result.returncode == 0, result.stderr
    missing = config(empty)
    assert missing.returncode != 0 and "set in deploy/.env" in missing.stderr  # no password: no start


# --- the picture of the topology -----------------------------------------------------------------------


def test_the_topology_picture_is_what_tools_topology_draws() -> None:
    from tools import topology

    assert topology.OUT.read_text(encoding="utf-8") == topology.draw(), "run python tools/topology.py"
    assert "docs/img/topology.svg" in (ROOT / "docs" / "operations.md").read_text()
