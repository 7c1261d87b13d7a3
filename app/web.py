"""Mounting the Dash pages on Basira's Flask server.

:func:`create_dash` is called by ``app.create_app`` with the settings loaded once and the store
built from them. The pages' layouts find both through :func:`app.services.services` (set on
``server.extensions["basira"]`` by ``create_app``, or here when missing); their callbacks get them
passed in. It registers each page of :data:`app.pages.PAGES` with its callbacks, and serves the basemap
geodata from the files the settings name and its vector tiles (:mod:`app.basemap.serve`). Everything
the browser loads comes from this server — dash's own bundles (``serve_locally``), ``assets/`` (CSS,
the namespaced JS), the geodata and the tiles — so the app works with no internet at all.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dash
import flask
import plotly.io.json as plotly_json
from dash.exceptions import DependencyException

from layers.basemap import GEO_URL, VERSION_CHARS, geodata_files

from .archive.replay import Replay
from .basemap.serve import blueprint as basemap_tiles
from .brief import blueprint as brief
from .i18n import direction, t
from .pages import PAGES
from .services import EXTENSION, Services

if TYPE_CHECKING:
    from .settings import Settings

ASSETS = Path(__file__).resolve().parent.parent / "assets"
TITLE = "Basira · بصيرة"
#: The installable web app's manifest (:func:`_manifest`), linked from every page's head.
MANIFEST_PATH = "/manifest.webmanifest"
#: The bar's colour (``--panel`` in assets/basira.css): a phone's status bar, an installed app's title bar.
THEME_COLOUR = "#121c27"
#: The page's background (``--bg``): an installed app's splash screen.
BACKGROUND_COLOUR = "#0b1118"
#: The app's icons (drawn by ``tools/icons.py``): file → (size, purpose).
ICONS_URL = "/assets/icons/"
ICONS: dict[str, tuple[int, str]] = {
    "basira-192.png": (192, "any"),
    "basira-512.png": (512, "any"),
    "basira-maskable-192.png": (192, "maskable"),
    "basira-maskable-512.png": (512, "maskable"),
}
TOUCH_ICON = ICONS_URL + "basira-touch-180.png"  # iOS's home screen: opaque, square, 180 px

_INDEX = """<!DOCTYPE html>
<html lang="{lang}" dir="{dir}">
    <head>
        {{%metas%}}
        <title>{{%title%}}</title>
        {{%favicon%}}
        <link rel="manifest" href="{manifest}">
        <meta name="theme-color" content="{theme}">
        <link rel="apple-touch-icon" href="{touch_icon}">
        {{%css%}}
    </head>
    <body class="basira-body">
        {{%app_entry%}}
        <footer>
            {{%config%}}
            {{%scripts%}}
            {{%renderer%}}
        </footer>
    </body>
</html>
"""


#: The script tag of Dash's ``@babel/polyfill`` (core-js 2 and regenerator-runtime, for the browsers of 2018).
_POLYFILL_TAG = re.compile(r'<script src="[^"]*/deps/polyfill@[^"]*"></script>\s*')


class _Dash(dash.Dash):
    """Dash, its pages without ``@babel/polyfill``: every browser Basira supports (a wall's Chromium, a
    laptop's, a phone's Safari or Chrome) has what core-js 2 fills in, and parsing and running it cost
    each page load ~0.15 s of the main thread (of ~1.5 s booting Dash; 35 kB) before anything is drawn
    (issue 17, first render). Its other half, ``regeneratorRuntime``, which dash-renderer and dcc call
    when they load a component lazily, is served alone: ``assets/vendor/regenerator-runtime.js``
    (loaded with the assets, before the renderer)."""

    def interpolate_index(self, **kwargs: str) -> str:
        kwargs["scripts"] = _POLYFILL_TAG.sub("", kwargs.get("scripts", ""), count=1)
        return super().interpolate_index(**kwargs)


def create_dash(server: flask.Flask, settings: Settings, store: Any) -> dash.Dash:
    """Mount Basira's pages at ``/`` on ``server`` and return the Dash app.

    ``store`` is the :class:`app.store.Store` the pages read. Raises ``OSError`` when a geodata file
    named in the settings cannot be read (better at start-up than as a blank map).
    """
    context = server.extensions.get(EXTENSION)
    if context is None:  # (create_app has made them; not made again only to be thrown away)
        context = server.extensions[EXTENSION] = Services(settings, store, Replay.for_store(settings, store))
    server.register_blueprint(_geodata_blueprint(settings))
    server.register_blueprint(basemap_tiles(settings))
    server.register_blueprint(brief)  # /brief, /brief.pdf: the leadership brief (before Dash's catch-all)
    # Dash serialises every callback answer through plotly's JSON writer. Its "orjson" engine first
    # walks the whole answer in Python to clean it; the "json" engine lets the standard library's C
    # encoder walk it and converts only the components. A refresh of the command view (its KPI strip
    # and incident list are hundreds of components) at 10,000 incidents: 32 → 25 ms, builds included.
    plotly_json.config.default_engine = "json"
    app = _Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="",  # the pages are registered explicitly below, not discovered
        assets_folder=str(ASSETS),
        serve_locally=True,
        compress=True,
        title=TITLE,
        update_title=None,  # no "Updating..." flicker in the tab on every refresh
        # True: Dash would otherwise build a "validation layout" from every page's layout on each app's
        # first request (the ports page forecasting every port) and embed it in every page's HTML — all
        # the pages' components in each one's _dash-config (the page 373 kB instead of 7 on an empty
        # store) for the browser to parse and check. What that check guarantees, every id a callback
        # names exists in some page, is a test instead (tests/test_callback_ids.py).
        suppress_callback_exceptions=True,
        include_pages_meta=False,
        index_string=_INDEX.format(lang=settings.language, dir=direction(settings.language),
                                   manifest=MANIFEST_PATH, theme=THEME_COLOUR, touch_icon=TOUCH_ICON),
        meta_tags=[
            {"name": "viewport", "content": "width=device-width, initial-scale=1"},
            {"name": "color-scheme", "content": "dark"},
        ],
    )
    _keep_api_paths_off_the_pages(server)
    server.add_url_rule(MANIFEST_PATH, "basira_manifest", _manifest(settings))
    server.register_error_handler(DependencyException, _not_a_bundle)
    for page in PAGES:
        dash.register_page(page.__name__, path=page.PATH, name=page.PAGE, title=TITLE, layout=page.layout)
        page.register_callbacks(app, context)
    return app


def _not_a_bundle(error: DependencyException) -> flask.Response:
    """``/_dash-component-suites/<package>/<path>`` that names no registered bundle — another package, a
    ``..`` path (Dash refuses it with this exception, which Flask would answer 500): a plain 404."""
    return flask.Response("not found\n", status=404, mimetype="text/plain")


def _keep_api_paths_off_the_pages(server: flask.Flask) -> None:
    """Dash answers every unknown path with the page (its ``/<path:path>`` catch-all). An unknown API
    path must stay a 404 (which the app's error handlers turn into JSON), so claim ``/api/`` first."""

    def api_not_found(rest: str) -> flask.Response:
        flask.abort(404)

    server.add_url_rule("/api/<path:rest>", "basira_api_not_found", api_not_found)


def _geodata_blueprint(settings: Settings) -> flask.Blueprint:
    """``/geo/<name>``: the basemap's files (:func:`layers.basemap.geodata`, from the settings' paths).

    Read once per version of the files (:func:`layers.basemap.geodata_files`); served with an ETag and as
    ``application/json`` so the compression Dash enables applies (~4× smaller). The pages ask for each
    file by its versioned URL (:func:`layers.basemap.geo_url`), which is cached for good; any other
    request is revalidated each time, so changed geodata is never drawn from a browser's cache.
    """
    started = geodata_files(settings)  # at start: a missing or broken file fails here, not as a blank map
    blueprint = flask.Blueprint("basira_geo", __name__, url_prefix=GEO_URL.rstrip("/"))

    def current() -> tuple[dict[str, bytes], dict[str, str]]:
        """The files as they are now — what :func:`layers.basemap.geo_url` versions the pages' URLs by,
        so a URL's version and the bytes served under it agree — or, should a file have gone or broken
        since, those read at start (then served without a version's promise: revalidated)."""
        try:
            return geodata_files(settings)
        except (OSError, ValueError):
            return started

    @blueprint.get("/<name>")
    def serve_geodata(name: str) -> flask.Response:
        files, etags = current()
        if name not in files:
            flask.abort(404)
        response = flask.Response(files[name], mimetype="application/json")
        response.set_etag(etags[name])
        response.cache_control.public = True
        if flask.request.args.get("v") == etags[name][:VERSION_CHARS]:  # the pages' URLs: for good
            response.cache_control.max_age = 365 * 24 * 3600
            response.cache_control.immutable = True
        else:  # unversioned, or another version's: asked again each time (a 304 while unchanged)
            response.cache_control.no_cache = True
        return response.make_conditional(flask.request)

    return blueprint


def _manifest(settings: Settings) -> Any:
    """The view of ``/manifest.webmanifest``: what makes Basira an installable web app (a phone's
    home screen, a desktop's app list). It opens ``/``, the command view, whose figures, list and map
    layers are the signed-in viewer's own scope (:func:`app.auth.scope_for` reads "all" as all of
    theirs; a wall account is sent on to ``/wall``) — and, signed out, the sign-in page first. Static
    text, no data: open to anyone (``app.auth.guard``).

    There is no service worker: an installed Basira never shows a page or a figure from a cache as if
    it were current — offline, it says it cannot reach the server, as the browser does.
    """
    lang = settings.language
    body = flask.json.dumps({
        "id": "/",
        "name": TITLE,
        "short_name": t("app.name", lang),
        "description": t("app.tagline", lang),
        "lang": lang,
        "dir": direction(lang),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": ICONS_URL + name, "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
            for name, (size, purpose) in ICONS.items()
        ],
    }, ensure_ascii=False).encode()
    etag = hashlib.sha256(body).hexdigest()[:32]

    def manifest() -> flask.Response:
        response = flask.Response(body, mimetype="application/manifest+json")
        response.set_etag(etag)
        response.cache_control.no_cache = True  # revalidated (the ETag), so a new release is seen
        return response.make_conditional(flask.request)

    return manifest
