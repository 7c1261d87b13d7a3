"""OGC API – Features: pygeoapi with a Basira provider, or the thin ``/ogc`` blueprint? Measured, not guessed.

    .venv/bin/pip install --target /tmp/pga-lib pygeoapi     # once; kept out of the project's venv
    .venv/bin/python -m benchmarks.ogc_choice --pygeoapi-lib /tmp/pga-lib [--incidents 10000]

Each candidate runs in fresh child processes of the same interpreter (pygeoapi's directory is appended to
``sys.path``, so where both need a package the project's version is used):

* **import**: the time and resident memory that loading the OGC layer adds to a process that has already
  loaded Flask, the store and access control (what Basira's web process has either way);
* **serving**: Basira's whole app (``create_app``) with the layer mounted — thin at ``/ogc``, pygeoapi's
  blueprint at ``/pga`` with :class:`benchmarks.ogc_pygeoapi_provider.BasiraProvider` — over a store of
  ``--incidents`` open incidents: the first and the median of 7 requests for all of them
  (``limit`` = that many), for a bbox of Riyadh, and for one feature; the process's RSS afterwards;
* **scope**: with access control on, a commander's token of one region asks each for every incident:
  does it get only its region's?

Prints a table (Markdown) and writes nothing; the figures in ``docs/standards.md`` come from a run of it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RIYADH_BBOX = "46.4,24.5,47.0,24.9"
PROVIDER = "benchmarks.ogc_pygeoapi_provider.BasiraProvider"


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _pygeoapi_config(directory: Path, lib: str) -> None:
    """pygeoapi's configuration (its YAML) and OpenAPI document, made the way its docs say, with its own
    command; both named through the environment, which is how pygeoapi is configured."""
    import yaml

    collections = {
        name: {"type": "collection", "title": name, "description": name, "keywords": [name],
               "extents": {"spatial": {"bbox": [34.49, 16.37, 55.67, 32.16],
                                       "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
               "providers": [{"type": "feature", "name": PROVIDER, "data": name, "id_field": "id"}]}
        for name in ("incidents", "units", "ports", "regions", "alerts")
    }
    config = {
        "server": {"bind": {"host": "127.0.0.1", "port": 5000}, "url": "http://localhost",
                   "api_rules": {"url_prefix": "pga", "api_version": "1.0.0"},
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8", "languages": ["en-US"],
                   "limits": {"default_items": 10, "max_items": 10_000}, "pretty_print": False,
                   "map": {"url": "https://example.org/{z}/{x}/{y}.png", "attribution": "none"}},
        "logging": {"level": "ERROR"},
        "metadata": {"identification": {"title": "Basira", "description": "Basira", "keywords": ["911"],
                                        "keywords_type": "theme", "terms_of_service": "none",
                                        "url": "http://localhost"},
                     "license": {"name": "none", "url": "http://localhost"},
                     "provider": {"name": "Basira", "url": "http://localhost"},
                     "contact": {"name": "Basira", "url": "http://localhost", "email": "none@example.org"}},
        "resources": collections,
    }
    (directory / "config.yml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYGEOAPI_CONFIG": str(directory / "config.yml"),
           "PYGEOAPI_OPENAPI": str(directory / "openapi.yml")}
    script = (f"import sys; sys.path[:0] = [{str(ROOT)!r}]; sys.path.append({lib!r}); "
              "from pygeoapi import cli; cli()")
    subprocess.run([sys.executable, "-c", script, "openapi", "generate",
                    str(directory / "config.yml"), "--output-file", str(directory / "openapi.yml")],
                   env=env, check=True, capture_output=True, timeout=300)


# --- the children -------------------------------------------------------------------------------------


def child_import(kind: str) -> dict[str, Any]:
    """What loading the layer adds to a process that has loaded Flask, the store and access control."""
    import flask  # noqa: F401

    import app.auth  # noqa: F401
    import app.store  # noqa: F401

    before_rss, started = _rss_mb(), time.perf_counter()
    if kind == "thin":
        import app.api_ogc  # noqa: F401
    else:
        import pygeoapi.flask_app  # noqa: F401

        import benchmarks.ogc_pygeoapi_provider  # noqa: F401
    return {"import_s": time.perf_counter() - started, "import_rss_mb": _rss_mb() - before_rss}


def _timed(client: Any, url: str, headers: dict[str, str], runs: int = 7) -> dict[str, Any]:
    times, statuses, body = [], set(), b""
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append(time.perf_counter() - started)
        statuses.add(response.status_code)
        body = response.data
    return {"first_ms": times[0] * 1000, "median_ms": statistics.median(times) * 1000,
            "status": sorted(statuses), "bytes": len(body)}


def child_serve(
    kind: str, redis_url: str, prefix: str, incidents: int, users: str, token: str
) -> dict[str, Any]:
    """Basira's app with the layer, over the filled store: response times, RSS, and the scope check."""
    from app import create_app
    from app.settings import Settings

    settings = Settings(redis_url=redis_url, stream_prefix=prefix, auth_mode="password", users_file=users,
                        secret_key="s" * 32)
    server = create_app(settings)
    base = "/ogc"
    shim = {"on": False}
    if kind == "pygeoapi":
        from pygeoapi.flask_app import BLUEPRINT
        from werkzeug.datastructures import Headers

        server.register_blueprint(BLUEPRINT)
        base = "/pga"

        @server.after_request  # registered last, so it runs first
        def headers_back(response: Any) -> Any:
            """pygeoapi's views set ``response.headers`` to a plain dict, which Basira's own after-request
            work (security headers, the session cookie) cannot add to: put a real header set back."""
            if shim["on"] and isinstance(response.headers, dict):
                response.headers = Headers(response.headers)
            return response

    client = server.test_client()
    national = {"Authorization": f"Bearer {token}-national"}
    limit = f"limit={incidents}"
    unshimmed = client.get(f"{base}/collections/incidents/items?limit=1&f=json", headers=national)
    shim["on"] = True
    out: dict[str, Any] = {
        "unshimmed_status": unshimmed.status_code,
        "all": _timed(client, f"{base}/collections/incidents/items?{limit}&f=json", national),
        "bbox": _timed(client, f"{base}/collections/incidents/items?{limit}&bbox={RIYADH_BBOX}&f=json",
                       national),
        "one": _timed(client, f"{base}/collections/incidents/items/I00042?f=json", national),
        "rss_mb": _rss_mb(),
    }
    answer = client.get(f"{base}/collections/incidents/items?{limit}&f=json",
                        headers={"Authorization": f"Bearer {token}-commander"})
    features = answer.get_json().get("features", []) if answer.is_json else []
    regions = {f["properties"]["region"] for f in features}
    out["scope"] = {"status": answer.status_code, "regions": sorted(regions)}
    anonymous = client.get(f"{base}/collections/incidents/items?limit=1")
    out["anonymous_status"] = anonymous.status_code
    return out


# --- the parent ---------------------------------------------------------------------------------------


def _fill(redis_url: str, prefix: str, incidents: int) -> None:
    import random

    import redis

    from app.contract import Stream
    from app.ingest import IngestWorker
    from app.settings import Settings
    from app.store import Store

    client = redis.Redis.from_url(redis_url)
    rng = random.Random(15)
    now = int(time.time() * 1000)
    pipe = client.pipeline(transaction=False)
    for n in range(incidents):
        lat, lon = (rng.uniform(24.5, 24.9), rng.uniform(46.4, 47.0)) if n % 4 == 0 else \
            (rng.uniform(21.3, 21.6), rng.uniform(39.7, 39.9))
        pipe.xadd(Stream.incidents.key(prefix), {
            "id": f"I{n:05d}", "status": "new", "agency": "civil_defense", "category": "fire",
            "priority": "2", "lat": f"{lat:.5f}", "lon": f"{lon:.5f}",
            "ts": str(now - rng.randrange(3_600_000))})
    pipe.execute()
    settings = Settings(redis_url=redis_url, stream_prefix=prefix)
    IngestWorker(Store.from_settings(settings), settings).work(burst=True)


def _users_file(directory: Path, token: str) -> Path:
    from app.auth.users import hash_token as digest  # the users file's own (docs/access.md)

    path = directory / "users.toml"
    path.write_text(
        f'[tokens."bench-national"]\nrole = "leadership"\nsha256 = "{digest(token + "-national")}"\n\n'
        f'[tokens."bench-commander"]\nrole = "commander"\nregions = ["SA-01"]\n'
        f'sha256 = "{digest(token + "-commander")}"\n'
    )
    return path


def _child(args: list[str], lib: str, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.ogc_choice", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"child {args[:2]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pygeoapi-lib", required=True, help="a directory holding pygeoapi (pip --target)")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--redis-url", help="a Redis to use (default: a private one, started and stopped)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pygeoapi_lib not in sys.path:
        sys.path.append(args.pygeoapi_lib)
    if args.child:
        kind, what, *rest = args.child
        if what == "import":
            result = child_import(kind)
        else:
            result = child_serve(kind, rest[0], rest[1], int(rest[2]), rest[3], rest[4])
        print(json.dumps(result))
        return
    from app.store.embedded import start_embedded

    embedded = None if args.redis_url else start_embedded()
    redis_url = args.redis_url or embedded.url  # type: ignore[union-attr]
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    token = f"bsr_{uuid.uuid4().hex}"
    try:
        with tempfile.TemporaryDirectory(prefix="basira-ogc-") as tmp:
            directory = Path(tmp)
            _pygeoapi_config(directory, args.pygeoapi_lib)
            users = _users_file(directory, token)
            env = {**os.environ, "PYGEOAPI_CONFIG": str(directory / "config.yml"),
                   "PYGEOAPI_OPENAPI": str(directory / "openapi.yml")}
            _fill(redis_url, prefix, args.incidents)
            results: dict[str, dict[str, Any]] = {}
            for kind in ("thin", "pygeoapi"):
                common = ["--pygeoapi-lib", args.pygeoapi_lib, "--child", kind]
                imports = [_child([*common, "import"], args.pygeoapi_lib, env) for _ in range(3)]
                results[kind] = {
                    "import_s": statistics.median(i["import_s"] for i in imports),
                    "import_rss_mb": statistics.median(i["import_rss_mb"] for i in imports),
                    **_child([*common, "serve", redis_url, prefix, str(args.incidents), str(users), token],
                             args.pygeoapi_lib, env),
                }
    finally:
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.unlink(key)
        if embedded is not None:
            embedded.stop()
    _report(results, args.incidents)


def _report(results: dict[str, dict[str, Any]], incidents: int) -> None:
    rows = [
        ("import time added (s)", lambda r: f"{r['import_s']:.2f}"),
        ("RSS added by importing (MB)", lambda r: f"{r['import_rss_mb']:.0f}"),
        (f"all {incidents:,} incidents: first / median (ms)",
         lambda r: f"{r['all']['first_ms']:.0f} / {r['all']['median_ms']:.0f} ({r['all']['status']})"),
        ("bbox of Riyadh: first / median (ms)",
         lambda r: f"{r['bbox']['first_ms']:.0f} / {r['bbox']['median_ms']:.0f} ({r['bbox']['status']})"),
        ("one feature by id: median (ms)", lambda r: f"{r['one']['median_ms']:.0f} ({r['one']['status']})"),
        ("RSS of the whole web process after (MB)", lambda r: f"{r['rss_mb']:.0f}"),
        ("commander of SA-01 gets (status, regions)",
         lambda r: f"{r['scope']['status']}, {', '.join(r['scope']['regions']) or 'none'}"),
        ("no credentials, access control on", lambda r: str(r["anonymous_status"])),
        ("mounted as it comes: status of a request", lambda r: str(r["unshimmed_status"])),
    ]
    print("| measured | thin blueprint | pygeoapi + Basira provider |")
    print("| --- | --- | --- |")
    for label, cell in rows:
        print(f"| {label} | {cell(results['thin'])} | {cell(results['pygeoapi'])} |")


if __name__ == "__main__":
    main()
