"""The live feed of the map's incidents and units: what changed, built once per scope per tick.

The command view's map does not get its points through Dash's refresh callback (which would rebuild
and re-send every open incident and unit, for every browser, every second). Instead
``assets/feed.js`` asks ``GET /api/v1/feed?region=&agency=&since=<cut>`` once per tick and applies
the answer to the map's two clustered layers:

* Time is cut into ticks of ``settings.feed_ms`` by **Redis's clock** — the same clock the apply
  scripts score the change sets with (:mod:`app.store.feed_reads`) — so a cut is exact: every
  change scored before it has been committed when the cut is read.
* With no ``since`` (a new page, or one more than ``feed_horizon_s`` behind) the answer is the
  whole picture of the scope, at a cut on a coarser grid (``settings.feed_whole_ms``, 2 s): every page
  that opens or falls behind within those 2 s shares one build of it, not one per tick — at 100,000
  incidents a whole picture was seconds of a web worker's CPU when it carried every Feature (issue 17:
  52–72 % of the web workers' CPU under 100 clients went to whole pictures, one per 250 ms cut), and
  is ~0.15 s with the incidents' slim rows (:func:`part`). It is read after its cut: the
  page then asks for the ticks since that cut, whose parts carry each change again (a Feature's
  current text, an id that left), so what it shows is exact from the next answer on. Otherwise one
  *part* per tick since then: the Features that changed in
  that tick and the ids that left — or, more than :data:`MAX_PARTS` ticks behind, one part of what
  changed since then (a page that took long to draw a large whole picture is not sent it again).
  Either way the stored texts are concatenated, never parsed (the units that moved are parsed once,
  for their trails).
* Each tick's part is built once per scope, by one web worker, and kept in Redis
  (:mod:`app.store.built`); an answer (its parts joined and compressed) is named by scope, ``since``
  and cut, so browsers in step share its bytes too. The work per tick does not grow with the number
  of clients, and browsers that ask at different moments still share the parts.
* The ``X-Basira-Next`` header says how long until the next cut, so browsers ask just after it;
  ``X-Basira-Cut`` repeats the answer's cut (for clients that need not read the body to know it).
* ``X-Basira-Alerts`` carries the alerts' version (:func:`app.api_alerts.version`'s number), so a page
  that reads the feed hears of a new alert from it and asks ``/api/v1/alerts/version`` only when the
  number moved (``assets/alerts.js``), instead of four times a second besides the feed: one request a
  tick fewer for every open command view (an idle command view in headless Chromium, medians of four
  12 s windows each way: Chromium 0.127 → 0.107 CPU-s/s, with the app serving it 0.173 → 0.147; issue 17).

Joining incidents to their units' positions (and back) is done by the browser, which holds both;
a moving unit therefore does not re-send its incident. Scope: :func:`app.auth.scope_for`, clamped as
for the pages (a region beyond the viewer's scope reads as all of theirs, never as another's).
"""

from __future__ import annotations

import gzip
import logging
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson
from flask import Blueprint, Response, request

from .auth import scope_for
from .contract import Scope
from .geo import trail_offsets
from .services import services
from .store import Store, StoreUnavailable

log = logging.getLogger(__name__)
feed_api = Blueprint("feed", __name__)

FEED_PATH = "/api/v1/feed"
#: A built answer stays in Redis this long: long enough for every client of a tick to fetch it.
BODY_TTL_MS = 10_000
#: A browser further behind than this many ticks gets one part of every change since, not dozens of
#: parts. (It got the whole picture once: at 100,000 incidents a slow machine took longer than this to
#: draw the first, so it was sent another — issue 17, first render.)
MAX_PARTS = 40
#: A tick's part stays in Redis while a browser may still ask for it (MAX_PARTS ticks), and this long more.
PART_MARGIN_MS = 10_000
#: With the store down, ask again after this long.
DOWN_RETRY_MS = 1000
#: Features joined per piece of a whole picture (see :func:`_chunks`).
CHUNK = 2_000
#: zlib's window bits for a gzip stream.
GZIP_WBITS = 16 + zlib.MAX_WBITS
#: gzip levels. Deltas: each client's answer is compressed once per (since, cut), so with a tick of
#: 125 ms and 100 clients at 1 update/s it is up to ~60 builds a second; at level 6 a second's changes
#: (~200 kB of JSON) took 2.6 ms, at level 1 0.95 ms for 28 % more bytes — and the 100 clients' p95
#: went 1,439 → 293–909 ms in the bench's live phase (issue 17). Whole pictures are large and rare.
DELTA_LEVEL, WHOLE_LEVEL = 1, 3


def cut_of(now_ms: int, tick_ms: int) -> int:
    """The last tick boundary at or before ``now_ms``."""
    return now_ms - now_ms % tick_ms


def part(store: Store, scope: Scope, since: int | None, cut: int) -> bytes:
    """One part of an answer, as JSON: the whole scope when ``since`` is ``None``, else the changes in
    ``[since, cut)``. Shape: ``{"inc": {"put", "gone"}, "unit": {"put", "gone", "trail"}}`` — ``put``
    holds GeoJSON Features, ``gone`` ids, ``trail`` unit id → offsets; a whole scope's incidents come as
    ``inc.rows`` instead: their slim rows (:mod:`app.store.incident_rows`), each a string of
    comma-separated values, what the map draws of each — the rest of an incident (its description) is
    read when it is opened (``assets/basira.js``)."""
    return b"".join(_chunks(store, scope, since, cut))


def _chunks(store: Store, scope: Scope, since: int | None, cut: int) -> Iterator[bytes]:
    """:func:`part`'s JSON in pieces, so that a whole picture can be compressed as it is written
    rather than held twice over: a whole picture's incidents are read a few scope cells at a time, as
    the pieces are asked for (see :meth:`app.store.feed_reads.FeedReads.slim_json_parts`).

    Why slim rows: at 100,000 incidents their Features are ~36 MB of JSON (2.5 MB compressed), which
    the web worker compressed and the browser downloaded and parsed before the map's first clusters
    while Dash started the page on the same cores; their rows are ~8 MB."""
    kinds: dict[str, tuple[Iterable[Sequence[bytes | str]], list[str]]] = {}
    units: Sequence[bytes | str]
    rows: Iterable[Sequence[bytes]] = ()
    if since is None:
        units = store.feed.live_json("unit", scope)
        rows = store.feed.slim_json_parts(scope)
        kinds["inc"] = ((), [])
        kinds["unit"] = ([units], [])
    else:
        for kind in ("inc", "unit"):
            changes = store.feed.changes(kind, scope, since, cut)
            kinds[kind] = ([changes.put], changes.gone)
            if kind == "unit":
                units = changes.put
    trails = _trails(store, units)
    yield b"{"
    for kind in ("inc", "unit"):
        groups, gone = kinds[kind]
        yield b'"' + kind.encode() + b'":{'
        if kind == "inc" and since is None:  # each row a JSON string as it is (it needs no escaping)
            yield b'"rows":['
            yield from _joined([b'"' + row + b'"' for row in group] for group in rows)
            yield b"],"
        yield b'"put":['
        yield from _joined(groups)
        yield b'],"gone":' + orjson.dumps(gone)
        yield b',"trail":' + orjson.dumps(trails) + b"}}" if kind == "unit" else b"},"


def _joined(groups: Iterable[Sequence[bytes | str]]) -> Iterator[bytes]:
    """The texts of ``groups`` joined by commas, :data:`CHUNK` at a time."""
    first = True
    for texts in groups:
        for start in range(0, len(texts), CHUNK):
            chunk = [t if isinstance(t, bytes) else t.encode() for t in texts[start : start + CHUNK]]
            yield (b"" if first else b",") + b",".join(chunk)
            first = False


def tick_part(store: Store, scope: Scope, cut: int, tick_ms: int) -> bytes:
    """The changes of the one tick that ends at ``cut``: built once per scope, whoever asks."""
    ttl_ms = MAX_PARTS * tick_ms + PART_MARGIN_MS
    name = _tick_name(scope, cut)
    return store.built.built_once(name, lambda: part(store, scope, cut - tick_ms, cut), ttl_ms)


def _tick_name(scope: Scope, cut: int) -> str:
    return f"feed:{scope.token}:tick:{cut}"


def tick_parts(store: Store, scope: Scope, since: int, cut: int, tick_ms: int) -> list[bytes]:
    """The parts of every tick in ``(since, cut]``, in order: those built already read at once (one
    round trip for all), the rest built (or waited for) one by one."""
    cuts = range(since + tick_ms, cut + 1, tick_ms)
    kept = store.built.kept([_tick_name(scope, c) for c in cuts])
    return [body if body is not None else tick_part(store, scope, c, tick_ms)
            for c, body in zip(cuts, kept, strict=True)]


def _trails(store: Store, units: Sequence[bytes | str]) -> dict[str, list[int]]:
    """Each given unit's recent track, as offsets from where it is (see :func:`trail_offsets`)."""
    features = [orjson.loads(text) for text in units]
    if not features:
        return {}
    points = store.layers.unit_trails(features)
    out = {}
    for feature in features:
        offsets = trail_offsets(points.get(feature["id"]), feature["geometry"]["coordinates"])
        if offsets:
            out[feature["id"]] = offsets
    return out


def answer(store: Store, scope: Scope, since: int | None, cut: int, tick_ms: int) -> bytes:
    """The gzip answer for ``(scope, since, cut)``: ``{"cut", "since", "parts": [...]}`` — one part
    holding the whole scope when ``since`` is ``None``, else one per tick since then, in order (one in
    all when that would be more than :data:`MAX_PARTS`).

    Each tick's part is built once per scope (:func:`tick_part`), and each answer once per ``since``
    and cut: browsers asking at other moments share the parts, and browsers in step share the bytes.
    """
    name = f"feed:{scope.token}:{'all' if since is None else since}:{cut}"

    def gzipped() -> bytes:
        head = b'{"cut":%d,"since":%s,"parts":[' % (cut, b"null" if since is None else b"%d" % since)
        if since is None:  # compressed as it is written: never the whole picture twice in memory
            z = zlib.compressobj(WHOLE_LEVEL, zlib.DEFLATED, GZIP_WBITS)
            out = [z.compress(head), *(z.compress(c) for c in _chunks(store, scope, None, cut))]
            return b"".join([*out, z.compress(b"]}"), z.flush()])
        if (cut - since) // tick_ms > MAX_PARTS:  # far behind: one part of it all, for this answer only
            parts = [part(store, scope, since, cut)]
        else:
            parts = tick_parts(store, scope, since, cut, tick_ms)
        return gzip.compress(head + b",".join(parts) + b"]}", compresslevel=DELTA_LEVEL, mtime=0)

    return store.built.built_once(name, gzipped, BODY_TTL_MS)


def whole_grid_ms(settings: Any) -> int:
    """The grid of whole pictures' cuts: ``feed_whole_ms`` in whole ticks (a cut of it is a tick's cut)."""
    return settings.feed_ms * max(1, round(settings.feed_whole_ms / settings.feed_ms))


def _since(value: Any) -> int | None:
    try:
        since = int(value)
    except (TypeError, ValueError):
        return None
    return since if since >= 0 else None


@feed_api.get(FEED_PATH)
def live_feed() -> Response:
    """``?region=&agency=&since=``: the scope's incidents and units, whole or as changes since a cut.

    With the store unreachable the answer is ``{"down": true}`` (200, to be asked again in a second):
    the page's own state line says what is wrong, and a browser would log a 5xx as a console error
    on every wall screen, every tick."""
    try:
        return _live_feed()
    except (StoreUnavailable, OSError) as error:
        log.warning("live feed: store unreachable (%s)", error)
        return Response(b'{"down":true}', mimetype="application/json",
                        headers={"Cache-Control": "no-store", "X-Basira-Next": str(DOWN_RETRY_MS)})


def _live_feed() -> Response:
    context = services()
    store, settings = context.store, context.settings
    scope = scope_for(request.args.get("region"), request.args.get("agency"))
    since = _since(request.args.get("since"))
    now = store.meta.clock_ms()
    started = time.monotonic()
    cut = cut_of(now, settings.feed_ms)
    next_cut = cut + settings.feed_ms
    headers = {"Cache-Control": "no-store", "X-Basira-Next": str(next_cut - now),
               "X-Basira-Cut": str(cut), "X-Basira-Alerts": str(store.alerts.version())}
    tick = settings.feed_ms
    if since is not None and (since > cut or since % tick or since < cut - settings.feed_horizon_s * 1000):
        since = None  # not a cut of ours, or too far behind: the whole picture
    if since is None:  # the whole picture, on the coarser grid (see the module)
        cut = cut_of(now, whole_grid_ms(settings))
        headers["X-Basira-Cut"] = str(cut)
    if since == cut:
        return Response(b'{"cut":%d,"same":true}' % cut, mimetype="application/json", headers=headers)
    body = answer(store, scope, since, cut, tick)
    # counted from now, not from when the clock was read: the browser asks this long after the answer
    # arrives, and building the answer (a tick's part: ~25 ms) would otherwise put it that much past the cut
    headers["X-Basira-Next"] = str(max(0, next_cut - now - round((time.monotonic() - started) * 1000)))
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        headers["Content-Encoding"] = "gzip"
        headers["Vary"] = "Accept-Encoding"
    else:
        body = gzip.decompress(body)
    return Response(body, mimetype="application/json", headers=headers)
