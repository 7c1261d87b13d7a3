"""``GET /basemap.pmtiles``: the basemap file, by byte range, to every page (public, like ``/geo/``).

protomaps-leaflet reads a PMTiles archive with ``Range`` requests: the header and root directory
first, then each tile's bytes. Flask's conditional ``send_file`` answers them — ``206`` with
``Content-Range``, ``416`` for a range past the end, ``If-Range`` honoured (a stale validator gets the
whole file), ``304`` for a matching ``If-None-Match`` — with ``application/vnd.pmtiles``. The file is
never compressed on the way (its tiles already are, and a compressed range would mean nothing):
Flask-Compress (Dash's ``compress=True``) compresses any answer whose type is in its
``COMPRESS_MIMETYPES`` — streamed files and ``206`` ranges included — and ``application/vnd.pmtiles``
is not one of them (``tests/test_basemap.py`` asks as a browser does, ``gzip, deflate, br, zstd``);
``Cache-Control: no-transform`` tells a proxy in front not to compress it either. Which file is
decided by :func:`app.basemap.resolve` at each request (memoised), so a replaced file is picked up
without a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import flask

from .source import BASEMAP_URL, resolve

if TYPE_CHECKING:
    from app.settings import Settings

MIMETYPE = "application/vnd.pmtiles"
#: A page asks with the file's version in its query (``?v=<etag>``), so a long cache life is safe.
MAX_AGE_S = 3600


def blueprint(settings: Settings) -> flask.Blueprint:
    """The blueprint serving :data:`BASEMAP_URL`; logs at once which basemap it will serve."""
    resolve(settings)  # a missing or broken BASIRA_BASEMAP is reported at start-up, not at first view
    bp = flask.Blueprint("basira_basemap", __name__)

    @bp.route(BASEMAP_URL, methods=["GET", "HEAD"])
    def basemap() -> flask.Response:
        source = resolve(settings)
        response = flask.send_file(
            source.path, mimetype=MIMETYPE, conditional=True, etag=source.etag, max_age=MAX_AGE_S,
        )
        response.headers["Accept-Ranges"] = "bytes"
        response.cache_control.public = True
        response.cache_control.no_transform = True  # a proxy must not compress (or re-range) it
        return response

    return bp
