"""``GET /api/v1/export``: any scope and window of the archive as GeoJSON, CSV or KML, streamed.

The fixed names (outside checks rely on them): ``format=geojson|csv|kml``, ``from``, ``to``, ``region``,
``agency``. Besides them: ``stream=incidents|units`` (what a record is, :mod:`app.archive.export`) and
``count=1`` (answer ``{"records": n, ...}`` instead of the file, for a client to decide or show progress).

Everything that can be refused is checked before the first byte — the scope by
:func:`app.auth.scope_for` exactly as the snapshot does (an unknown name 400, beyond the caller's scope
403), the format, the stream and the window (400 with a JSON reason) — and the records are counted then
(``X-Basira-Records``), so the body that follows is the file and nothing else. A thin view: the
queries and writers are in :mod:`app.archive.export`, which knows nothing of Flask.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, request

from .api import _json
from .archive.export import (
    CONTENT_TYPES,
    Export,
    ExportError,
    about,
    parse_format,
    parse_stream,
    parse_window,
    write,
)
from .auth import scope_for
from .contract import ContractError
from .services import services

export_api = Blueprint("export_api", __name__)

_YES, _NO = ("1", "true", "yes"), ("", "0", "false", "no")


@export_api.get("/api/v1/export")
def export() -> Response:
    """The file (or, with ``count=1``, how many records it would hold) of the caller's scope and window."""
    args = request.args
    try:
        scope = scope_for(args.get("region"), args.get("agency"), strict=True)
    except ContractError as error:
        return _json({"error": error.reason}, 400)
    now_ms = int(time.time() * 1000)
    try:
        fmt = parse_format(args.get("format"))
        stream = parse_stream(args.get("stream"))
        window = parse_window(args.get("from"), args.get("to"), now_ms, stream)
        count_only = _flag(args.get("count"))
    except ExportError as error:
        return _json({"error": error.reason}, 400)
    job = Export(services().settings.archive_dir, stream, window, scope.regions, scope.agencies)
    try:
        info = about(job, scope.region, scope.agency, scope.token, now_ms)
    except BaseException:
        job.close()
        raise
    if count_only:
        job.close()
        return _json(info.member())
    response = Response(write(fmt, job, info), content_type=CONTENT_TYPES[fmt])
    response.call_on_close(job.close)  # also when the client leaves before the first chunk
    response.headers["Content-Disposition"] = f'attachment; filename="{info.filename(fmt)}"'
    response.headers["X-Basira-Records"] = str(info.records)
    response.headers["Cache-Control"] = "no-store"
    return response


def _flag(value: str | None) -> bool:
    chosen = (value or "").strip().lower()
    if chosen in _YES:
        return True
    if chosen in _NO:
        return False
    raise ExportError(f"'count' is 1 or 0, not {chosen[:10]!r}")
