"""Every browser function the Python side names is defined in assets/*.js.

Two kinds of names, one namespace (``basira``):

* dash-leaflet functional props, built with :class:`layers.js.Namespace` (which records each name
  it built, :data:`layers.js.BUILT`): ``basira.fn`` or ``basira.<page>.fn`` is defined when a file
  assigns ``window.basira = Object.assign({}, window.basira, …)`` and, in that file, the page's
  object (``<page>: {``) and the function (``fn:``) are keys;
* Dash clientside callbacks, ``ClientsideFunction("basira.<page>", fn)``: defined when a file assigns
  ``window.dash_clientside["basira.<page>"]`` (or ``window.dash_clientside.basira`` for the shared
  ``"basira"``) and has ``fn`` as a key or assigns ``….fn =``.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import app.pages
import layers
from layers.js import BUILT, Namespace

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
CLIENTSIDE = re.compile(r'ClientsideFunction\(\s*"([^"]+)",\s*"([^"]+)"\s*\)')


def _sources() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(ASSETS.glob("*.js"))}


def _import_all() -> set[str]:
    """Import every layer and page module, so each module-level name is built."""
    assert layers.LAYERS
    for info in pkgutil.walk_packages(app.pages.__path__, app.pages.__name__ + "."):
        importlib.import_module(info.name)
    return set(BUILT)


def _has_key(source: str, key: str) -> bool:
    return re.search(rf"(?<![\w.$]){re.escape(key)}\s*:", source) is not None


def leaflet_defined(name: str, sources: dict[str, str]) -> bool:
    """Whether ``name`` (``basira.fn`` / ``basira.page.fn``) is defined in one of ``sources``."""
    root, *inner, fn = name.split(".")
    assign = re.compile(rf"window\.{root}\s*=\s*Object\.assign\(\s*\{{\}},\s*window\.{root}\s*,")
    return any(
        assign.search(src) and all(re.search(rf"\b{p}\s*:\s*\{{", src) for p in inner) and _has_key(src, fn)
        for src in sources.values()
    )


def clientside_defined(namespace: str, fn: str, sources: dict[str, str]) -> bool:
    """Whether ``window.dash_clientside[namespace][fn]`` is defined in one of ``sources``."""
    ns = re.escape(namespace)
    owner = rf'window\.dash_clientside(?:\["{ns}"\]' + (rf"|\.{ns}" if namespace.isidentifier() else "") + ")"
    assign = re.compile(owner + r"\s*=\s*Object\.assign\(")
    member = re.compile(owner + rf"\.{re.escape(fn)}\s*=")
    return any(
        (assign.search(src) and _has_key(src, fn)) or member.search(src) for src in sources.values()
    )


def _clientside_uses() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in (ROOT / "app").rglob("*.py"):
        found.update(CLIENTSIDE.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_functional_prop_is_defined() -> None:
    names = _import_all()
    sources = _sources()
    assert {"basira.portMarker", "basira.unitPoint", "basira.command.inFocus"} <= names
    missing = sorted(n for n in names if not leaflet_defined(n, sources))
    assert not missing, f"named in Python, not defined in assets/*.js: {missing}"


def test_every_clientside_function_is_defined() -> None:
    uses = _clientside_uses()
    assert ("basira", "paceAndWatch") in uses
    sources = _sources()
    missing = sorted(u for u in uses if not clientside_defined(*u, sources))
    assert not missing, f"ClientsideFunction names not defined in assets/*.js: {missing}"


def test_one_namespace() -> None:
    """Every name lives under ``basira`` (no basiraCommand, basira_wall …)."""
    assert all(name.split(".")[0] == "basira" for name in _import_all())
    assert all(ns == "basira" or ns.startswith("basira.") for ns, _ in _clientside_uses())


def test_a_misspelled_name_fails() -> None:
    sources = _sources()
    assert leaflet_defined("basira.portMarker", sources)
    assert not leaflet_defined("basira.portMarkr", sources)
    assert leaflet_defined("basira.command.focusStyle", sources)
    assert not leaflet_defined("basira.command.focusStyl", sources)
    assert not leaflet_defined("basira.wall.focusStyle", sources)
    assert clientside_defined("basira.command", "legendOpen", sources)
    assert not clientside_defined("basira.command", "legendOpn", sources)


def test_namespace_builds_the_variable() -> None:
    assert Namespace("basira", "map")("pointToLayer") == {"variable": "basira.map.pointToLayer"}
    assert "basira.map.pointToLayer" in BUILT
    BUILT.discard("basira.map.pointToLayer")
    with pytest.raises(ValueError):
        Namespace("basira")("not a name")
