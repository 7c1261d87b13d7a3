"""Basira's boundaries, read from the source with ``ast`` (issue 11): what may import what.

Every ``.py`` under ``app/`` and ``layers/`` is parsed and every import in it is found, at module
level, inside functions and inside ``if TYPE_CHECKING:`` blocks. Imports inside functions count
everywhere: they run when the function is called, and that is how cycles used to hide.

Type-only imports (``if TYPE_CHECKING:``) never run, so they are left out of the two runtime rules —
no import cycles, and what the ingest worker loads — where ``TYPE_CHECKING`` is the sanctioned way to
name a type without a runtime edge. They count in every *boundary* rule (redis, layers → pages, the
one-way order): a type named across a forbidden boundary is still a dependency of the design; name a
protocol on the allowed side instead (as :class:`layers.reads.Reads` does for the store).

Exceptions are few and named, each with its reason, in the constants below.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "layers")

#: The web stack: the ingest worker never loads any of it.
WEB_LIBRARIES = ("dash", "plotly", "dash_leaflet", "flask")
#: Modules allowed to import ``redis`` besides ``app/store/``: the simulator is a producer, and keeps
#: a client of its own (a producer never goes through the store).
REDIS_EXCEPTIONS = ("app.simulation",)
#: Modules allowed to read the process environment besides ``app/settings.py``. ``python -m app acl``
#: prints ``deploy/users.acl`` with each Redis user's password hashed, read from
#: ``BASIRA_ACL_PASSWORD_<USER>``: operator input for a file it writes, not the running process's
#: configuration (see ``docs/operations.md``).
ENVIRONMENT_EXCEPTIONS = ("app.__main__",)

#: The one-way order (lower never imports higher): settings → contract → store → layers → pages → web.
#: The first prefix that matches a module names its rank (so ``app.ports.service`` before ``app.ports``).
#:
#: 0 settings — read once, from the environment.
#: 1 contract and pure reference code: the models, the parsers, geometry and reference data, i18n
#:   texts, the pure port-planning core (no I/O besides reading the reference files).
#: 2 the store and what works through it without drawing anything: the ingest worker, the simulator
#:   (a producer), the rejected-entries tool, the port planner's service and evaluator, the services
#:   holder (the embedded Redis is in the store: ``app.store.embedded``).
#: 3 the map layers.
#: 4 pages, and the web pieces pages call: access control (``scope_for``, the audit trail) and the
#:   command map's feed view (the live page names its path).
#: 5 the web application and the command line, which assemble everything.
RANKS: tuple[tuple[str, int], ...] = (
    ("app.settings", 0),
    ("app.contract", 1),
    ("app.fastparse", 1),
    ("app.i18n", 1),
    ("app.kpis", 1),  # the KPI definitions, shared by the live store and replay
    ("app.geo", 1),
    ("app.planning", 1),  # the port planning table's loader, moved out of app.ports for app.reference
    ("app.reference", 1),
    ("app.hijri", 1),
    ("app.nearest", 1),  # the nearest units' ETA model and ranking (pure; reads through a protocol)
    ("app.schemas", 1),
    ("app.acl", 1),
    ("app.basemap", 2),  # the basemap's tiles: built from the reference data, served by the web app
    ("app.ports.service", 2),
    ("app.ports.evaluate", 2),  # the forecaster against the simulator's history (a command)
    ("app.ports", 1),
    ("app.store", 2),
    ("app.ingest", 2),
    ("app.prepare", 2),  # validation and regions, shared by the ingest worker and the archiver
    ("app.alerts", 2),  # the alert rules, their evaluation and the alerts worker
    ("app.ingress", 2),  # the standards' adapters (CoT, EIDO, CAP in): through the gate to the streams
    ("app.openapi", 1),  # the OpenAPI document of /api/v1: data, one module per route family
    ("app.ogc", 2),  # OGC API – Features: the collections' reads, the items query, its OpenAPI document
    ("app.archive", 2),  # the Parquet archive: its writer (a stream consumer) and its DuckDB reader
    ("app.rejected", 2),
    ("app.simulation", 2),
    ("app.services", 2),
    ("layers", 3),
    ("app.auth", 4),
    ("app.feed", 4),
    ("app.pages", 4),
    ("app.api", 5),
    ("app.api_ports", 5),
    ("app.api_alerts", 5),  # /api/v1/alerts: lists, acting on them
    ("app.api_cap", 5),  # /api/v1/alerts/AL-<n>.cap, /api/v1/alerts.atom: CAP 1.2 (app.alerts.cap)
    ("app.api_nearest", 5),  # GET /api/v1/incidents/<id>/nearest (app.nearest)
    ("app.api_ogc", 5),  # /ogc: OGC API – Features (app.ogc)
    ("app.api_openapi", 5),  # GET /api/v1/openapi.json (app.openapi)
    ("app.api_export", 5),  # GET /api/v1/export: the archive as GeoJSON, CSV, KML (app.archive.export)
    ("app.api_ingress", 5),  # POST /api/v1/eido, POST /api/v1/cap: the standards in (app.ingress)
    ("app.brief", 5),  # /brief, /brief.pdf: the leadership brief (a blueprint; reads app.archive.stats)
    ("app.web", 5),
    ("app.__main__", 5),
    ("app", 5),  # app/__init__.py: create_app
)

#: Modules allowed to name keys besides ``app/store/``: the contract names the streams producers
#: write to and ``<prefix>:rejected`` (the producers' contract, docs/events.md); ``app.acl`` rewrites
#: the key patterns of ``deploy/users.acl`` for another prefix.
KEY_EXCEPTIONS = ("app.contract", "app.acl")
#: Key families the store names (``app/store/keys.py``): a string outside ``app/store/`` that starts
#: with one after the prefix (``f"{prefix}:meta"``, ``"sa:audit"``) builds a key by hand.
KEY_FAMILIES = (
    "inc", "unit", "kpi", "port", "porth", "calls", "seen", "chg", "built", "audit", "auth",
    "stats", "meta", "rejected", "incidents", "units", "ports", "alert", "alerts", "ingress", "capin",
)
#: A key after the prefix: ``:meta`` (ends there) or ``:auth:`` (goes on).
KEY_AFTER_PREFIX = re.compile(rf":(?:{'|'.join(KEY_FAMILIES)})(?::|$)")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (or the package a name is imported from)
    line: int
    in_function: bool
    type_only: bool

    def __str__(self) -> str:
        where = " (type only)" if self.type_only else " (in a function)" if self.in_function else ""
        return f"{self.source}:{self.line} imports {self.target}{where}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of ``app`` and ``layers``, by dotted name."""
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports_of(name: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    known = modules()
    found: list[Import] = []

    def record(node: ast.Import | ast.ImportFrom, in_function: bool, type_only: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(name, alias.name, node.lineno, in_function, type_only))
            return
        if node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            target = ".".join([*base, node.module] if node.module else base)
        else:
            target = node.module or ""
        # ``from pkg import sub`` depends on the submodule, not on the rest of ``pkg``.
        subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
        if len(subs) < len(node.names):
            found.append(Import(name, target, node.lineno, in_function, type_only))
        found.extend(Import(name, sub, node.lineno, in_function, type_only) for sub in subs)

    def visit(node: ast.AST, in_function: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit_one(stmt, in_function, True)
                for stmt in child.orelse:
                    visit_one(stmt, in_function, type_only)
                continue
            visit_one(child, in_function, type_only)

    def visit_one(node: ast.AST, in_function: bool, type_only: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            record(node, in_function, type_only)
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        visit(node, inner, type_only)

    visit(tree, False, False)
    return found


@cache
def all_imports() -> tuple[Import, ...]:
    return tuple(imp for name, path in modules().items() for imp in _imports_of(name, path))


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _internal(target: str) -> str | None:
    """The known module ``target`` names (itself, or the nearest enclosing known module)."""
    known = modules()
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


def runtime_graph() -> dict[str, set[str]]:
    """Module → the modules of ``app``/``layers`` it imports at runtime (type-only imports left out)."""
    graph: dict[str, set[str]] = {name: set() for name in modules()}
    for imp in all_imports():
        if imp.type_only or not _within(imp.target, "app") and not _within(imp.target, "layers"):
            continue
        target = _internal(imp.target)
        if target and target != imp.source:
            graph[imp.source].add(target)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The components of more than one node (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


def unit_of(module: str) -> str:
    """A module's unit for the package-level cycle check: its first-level package (``app.ports``,
    ``app.simulation``, ``layers``), or the module itself when it sits directly in ``app``."""
    parts = module.split(".")
    if parts[0] == "layers":
        return "layers"
    if len(parts) >= 2 and (ROOT / "app" / parts[1]).is_dir():
        return ".".join(parts[:2])
    return module


def rank(module: str) -> int:
    for prefix, value in RANKS:
        if _within(module, prefix):
            return value
    raise AssertionError(f"{module} has no rank: add it to RANKS in tests/test_boundaries.py")


def ingest_closure() -> set[str]:
    """The modules the ingest worker may load: ``app.ingest`` and, transitively, every module it
    imports — at module level or inside a function (a function it calls may run it) — plus each
    one's enclosing packages, whose ``__init__`` runs first (only their module level: importing
    ``app.store`` does not call ``app.create_app``)."""
    module_level: dict[str, set[str]] = {name: set() for name in modules()}
    every: dict[str, set[str]] = {name: set() for name in modules()}
    for imp in all_imports():
        if imp.type_only:
            continue
        every[imp.source].add(imp.target)
        if not imp.in_function:
            module_level[imp.source].add(imp.target)
    seen: set[str] = set()
    loaded: set[str] = {"app.ingest"}
    todo: list[tuple[str, bool]] = [("app.ingest", True)]
    while todo:
        name, called = todo.pop()
        key = name if called else f"{name} (package)"
        if key in seen:
            continue
        seen.add(key)
        targets = every.get(name, set()) if called else module_level.get(name, set())
        for target in targets:
            loaded.add(target)
            internal = _internal(target) if _within(target, "app") or _within(target, "layers") else None
            if internal:
                todo.append((internal, True))
                parent = internal.rpartition(".")[0]
                while parent:
                    loaded.add(parent)
                    todo.append((parent, False))
                    parent = parent.rpartition(".")[0]
    return loaded


# --- (a) the ingest worker never loads the web stack, pages or layers --------------------------


def test_the_ingest_worker_never_imports_dash_pages_or_layers() -> None:
    loaded = ingest_closure()
    forbidden = [*WEB_LIBRARIES, "app.pages", "layers", "app.web", "app.auth"]
    bad = sorted(m for m in loaded if any(_within(m, f) for f in forbidden))
    assert not bad, f"app.ingest reaches {bad}"


def test_importing_the_ingest_worker_loads_no_web_library() -> None:
    """The same rule at runtime, which also catches imports ``ast`` cannot see."""
    check = (
        "import sys, app.ingest\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {WEB_LIBRARIES + ('layers',)!r}"
        " or m.startswith('app.pages'))\n"
        "print(' '.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --- (b) only the store imports redis ------------------------------------------------------------


def test_only_the_store_imports_redis() -> None:
    allowed = ("app.store", *REDIS_EXCEPTIONS)
    bad = [
        str(imp) for imp in all_imports()
        if _within(imp.target, "redis") and not any(_within(imp.source, a) for a in allowed)
    ]
    assert not bad, "\n".join(bad)


# --- (c) only settings reads the environment -----------------------------------------------------

ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_reads(name: str, path: Path) -> list[str]:
    """``os.environ``/``os.getenv``…, ``from os import environ``, and dotenv, in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT_NAMES
                and isinstance(node.value, ast.Name) and node.value.id == "os"):
            found.append(f"{name}:{node.lineno} os.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [f"{name}:{node.lineno} from os import {a.name}" for a in node.names
                      if a.name in ENVIRONMENT_NAMES]
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"{name}:{node.lineno} imports {n}" for n in names if _within(n, "dotenv")]
    return found


def test_only_settings_reads_the_environment() -> None:
    allowed = ("app.settings", *ENVIRONMENT_EXCEPTIONS)
    bad = [
        read for name, path in modules().items() if name not in allowed
        for read in environment_reads(name, path)
    ]
    assert not bad, "\n".join(bad)


def test_the_environment_exceptions_still_read_it() -> None:
    """An exception that no longer reads the environment is removed from the list."""
    for name in ENVIRONMENT_EXCEPTIONS:
        assert environment_reads(name, modules()[name]), f"{name} no longer reads the environment"


# --- (d) layers never import pages ---------------------------------------------------------------


def test_layers_never_import_pages() -> None:
    bad = [
        str(imp) for imp in all_imports()
        if _within(imp.source, "layers")
        and (_within(imp.target, "app.pages") or _within(imp.target, "app.web"))
    ]
    assert not bad, "\n".join(bad)


def test_the_feed_does_not_import_layers() -> None:
    """The feed serves the store's Features; the geometry it shares with layers is in ``app.geo``."""
    bad = [str(imp) for imp in all_imports() if imp.source == "app.feed" and _within(imp.target, "layers")]
    assert not bad, "\n".join(bad)


def test_layers_reach_the_store_only_through_reads() -> None:
    """Layers name the store's types only for type checking; at runtime they get a ``Reads``."""
    bad = [
        str(imp) for imp in all_imports()
        if _within(imp.source, "layers") and _within(imp.target, "app.store") and not imp.type_only
    ]
    assert not bad, "\n".join(bad)


def test_the_store_has_every_read_layers_use() -> None:
    """The store's part for layers (``store.layers``) has every read of ``Reads``."""
    from app.store.layer_reads import LayerReads
    from layers.reads import Reads

    wanted = [name for name, value in vars(Reads).items() if callable(value) and not name.startswith("_")]
    assert wanted and all(callable(getattr(LayerReads, name, None)) for name in wanted), wanted


# --- (e) no import cycles ------------------------------------------------------------------------


def test_no_import_cycles_between_modules() -> None:
    assert strongly_connected(runtime_graph()) == []


def test_no_import_cycles_between_packages() -> None:
    """The same between packages (``app.ports`` ↔ ``app.simulation`` was one) and ``app``'s own modules."""
    graph: dict[str, set[str]] = {}
    for source, targets in runtime_graph().items():
        unit = unit_of(source)
        graph.setdefault(unit, set()).update(unit_of(t) for t in targets if unit_of(t) != unit)
    for targets in list(graph.values()):
        for target in targets:
            graph.setdefault(target, set())
    # ``app`` (create_app) imports the pieces it assembles inside its function; it is the top.
    graph.pop("app", None)
    for targets in graph.values():
        targets.discard("app")
    assert strongly_connected(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


# --- (f) one way down ----------------------------------------------------------------------------


def test_every_module_has_a_rank() -> None:
    for name in modules():
        rank(name)


def test_a_lower_layer_never_imports_a_higher_one() -> None:
    bad = []
    for imp in all_imports():
        if not (_within(imp.target, "app") or _within(imp.target, "layers")):
            continue
        target = _internal(imp.target)
        if target and rank(target) > rank(imp.source):
            bad.append(f"{imp} (rank {rank(imp.source)} → {rank(target)})")
    assert not bad, "\n".join(bad)


# --- no module outside app/store/ names a Redis key ----------------------------------------------


def key_names(name: str, path: Path) -> list[str]:
    """String literals that build a key by hand: an f-string that puts ``:`` and a name after a
    placeholder naming a prefix (``f"{prefix}:meta"``, ``f"{store.keys.prefix}:{stream}"``), or
    one that puts a key family after any placeholder (``f"{p}:auth:"``), or a plain literal
    ``":rejected"`` / ``"sa:audit"`` / ``"%s:meta"``. Docstrings are left out (they describe keys);
    ``f"{prefix}:*"`` in a message is not a key."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    in_fstrings = {
        id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for before, part in zip(node.values, node.values[1:], strict=False):
                if not (isinstance(before, ast.FormattedValue) and isinstance(part, ast.Constant)):
                    continue
                text = str(part.value)
                prefixed = "prefix" in ast.unparse(before.value).lower()
                if KEY_AFTER_PREFIX.match(text) and not prefixed and not _seeded(node):
                    found.append(f"{name}:{node.lineno} f-string …{text!r}")
                elif prefixed and re.match(r":(\w|$)", text):
                    found.append(f"{name}:{node.lineno} {ast.unparse(node)}")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docstrings and id(node) not in in_fstrings
              and re.match(r"^(?:\w+|%s|\{\w*\})?" + KEY_AFTER_PREFIX.pattern, node.value)):
            found.append(f"{name}:{node.lineno} {node.value!r}")
    return found


def _seeded(node: ast.JoinedStr) -> bool:
    """A random seed's name (``f"basira:{seed}:ports"``), not a key."""
    first = node.values[0]
    return isinstance(first, ast.Constant) and str(first.value).startswith("basira:")


def test_the_key_check_sees_keys_built_by_hand() -> None:
    assert KEY_AFTER_PREFIX.match(":meta") and KEY_AFTER_PREFIX.match(":auth:ip")
    assert not KEY_AFTER_PREFIX.match(":metadata") and not KEY_AFTER_PREFIX.match(": meta")


def test_no_module_outside_the_store_names_a_key() -> None:
    bad = [
        hit for name, path in modules().items()
        if not _within(name, "app.store") and name not in KEY_EXCEPTIONS
        for hit in key_names(name, path)
    ]
    assert not bad, "\n".join(bad)


def unmanaged_pipelines(source: str) -> list[int]:
    """Lines of ``source`` where a Redis pipeline is made other than as a ``with`` block's context.

    A pipeline that carries scripts takes its connection when it loads them, before ``execute``'s own
    clean-up; when that step fails, only the ``with`` block (or the pipeline's end as garbage) gives
    the connection back — and a store that waits for replicas writes on one connection."""
    tree = ast.parse(source)
    managed = {id(item.context_expr) for node in ast.walk(tree) if isinstance(node, ast.With)
               for item in node.items}
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "pipeline" and id(node) not in managed]


def test_the_pipeline_check_sees_a_pipeline_outside_a_with_block() -> None:
    assert unmanaged_pipelines("pipe = client.pipeline(transaction=True)\npipe.execute()\n") == [1]
    assert unmanaged_pipelines("with client.pipeline() as pipe:\n    pipe.execute()\n") == []


def test_every_redis_pipeline_is_a_with_block() -> None:
    bad = [f"{name}:{line}" for name, path in modules().items()
           for line in unmanaged_pipelines(path.read_text())]
    assert not bad, "make these `with ….pipeline(…) as pipe:` blocks: " + ", ".join(bad)
