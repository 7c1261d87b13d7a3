"""Basira (بصيرة): real-time situational awareness for a unified 911 operations center.

Lives here: ``create_app``, which assembles settings → contract → store → layers → pages → web.
May import: anything of Basira, but only inside ``create_app`` (the ingest worker imports this package).

``create_app(settings)`` builds the web application; ``app:server`` is the WSGI entry for
gunicorn (made on first access, so importing the package reads no environment and touches no
Redis — the ingest worker imports this package too, and must never pull in Dash).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask import Flask

    from .settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, *, clock: Callable[[], int] | None = None) -> Flask:
    """Build the Flask server with the API and the Dash pages mounted on it, behind access control.

    ``settings`` defaults to one read from the environment now; ``clock`` (epoch ms) to the machine's
    clock (:attr:`app.services.Services.clock`: the pages' "now"). Raises ``ValueError`` when no
    Redis is configured (``REDIS_URL``; ``python -m app demo`` starts one for you), when
    ``BASIRA_COVERED_REGIONS`` names a code that is not a region (:class:`app.reference.CoverageError`,
    naming it) or access control is configured in a way that cannot work (see :func:`app.auth.init_auth`).
    """
    from flask import Flask

    from .api import api, register_error_handlers
    from .api_alerts import alerts_api
    from .api_cap import cap_api
    from .api_export import export_api
    from .api_ingress import ingress_api
    from .api_nearest import nearest_api
    from .api_ogc import ogc_api
    from .api_openapi import openapi_api
    from .api_ports import ports_api
    from .archive.replay import Replay
    from .auth import init_auth
    from .feed import feed_api
    from .pages import PAGES
    from .services import EXTENSION, Services, wall_clock_ms
    from .settings import Settings
    from .store import Store
    from .web import create_dash

    settings = settings or Settings()
    store = Store.from_settings(settings)
    server = Flask(__name__)
    server.config["JSON_SORT_KEYS"] = False
    server.extensions[EXTENSION] = Services(settings, store, Replay.for_store(settings, store),
                                            clock=clock or wall_clock_ms)
    server.register_blueprint(api)
    server.register_blueprint(ports_api)
    server.register_blueprint(export_api)
    server.register_blueprint(nearest_api)
    server.register_blueprint(alerts_api)
    server.register_blueprint(cap_api)
    server.register_blueprint(feed_api)
    server.register_blueprint(ingress_api)  # POST /api/v1/eido, /api/v1/cap: the standards in
    server.register_blueprint(ogc_api)  # /ogc: OGC API – Features (before Dash's catch-all)
    server.register_blueprint(openapi_api)  # /api/v1/openapi.json
    register_error_handlers(server)
    dash_app = create_dash(server, settings, store)
    init_auth(server, settings, dash_app, PAGES)  # last: the gate goes first, and hashes Dash's scripts
    return server


def __getattr__(name: str) -> Any:
    # `gunicorn app:server` looks this attribute up: build the app then, once.
    if name == "server":
        global server
        server = create_app()
        return server
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
