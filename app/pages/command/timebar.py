"""The command view's time bar: **Live** by default, or any moment of the archive, played at ×1 … ×600.

The time is a second part of the view, beside :class:`.drill.View`: a :class:`Moment` — a cursor
(``at``), perhaps a window (``from``–``to``) and, while playing, a speed. It is written in the URL with
the view (``/?region=SA-02&at=1764799200000&from=…&to=…&speed=60&lang=ar``), so a replay can be shared,
and each change the viewer makes is a history entry (the back button undoes a seek). The fixed names
``?at=`` and ``?from=&to=&speed=`` are read here from untrusted text (epoch ms or ISO 8601 with an
offset, :func:`app.contract.parse_ts`); anything unusable is dropped, never an error page.

What the page draws for a moment is the archive's own answer (:meth:`app.archive.replay.Replay.snapshot`,
the shape of ``GET /api/v1/snapshot?at=``), drawn by the page's refresh like the live picture
(:mod:`.replayed`). This module is the bar: its layout, the banner that makes a replay impossible to
mistake for live, the words the browser needs, and the callbacks that join them. The bar itself runs in
the browser (``assets/replay.js``): dragging, play (one frame at a time, each one snapshot — the next is
asked for when the last is drawn, at most every :data:`FRAME_MS`), the URL, the export links.

Why the page's one refresh draws replay too, rather than a callback of its own: Dash drops the answer of
a callback that is asked again before it answers, so with a single callback a live answer still in flight
when the viewer seeks can never land over the replayed picture (two callbacks writing the same KPIs
would race). During replay the refresh's interval is switched off (``basira.replay.sync``), so only the
bar asks for pictures.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html

from app.contract import parse_ts
from app.i18n import LANGUAGES, STRINGS, digits, fmt_clock, fmt_date, t

log = logging.getLogger(__name__)

#: The speeds offered: archive time per second of wall time (×60: a minute a second).
SPEEDS: tuple[int, ...] = (1, 10, 60, 600)
#: The speed play starts at when none was chosen.
DEFAULT_SPEED = 60
#: The least time between two frames while playing (ms): at most five a second, each one snapshot. A
#: frame is asked for only once the last one is drawn, so a slow answer lowers the rate, never piles up.
FRAME_MS = 200
#: The window presets (hours before the archive's end).
PRESETS_H: tuple[int, ...] = (1, 6, 24)
#: How often the page asks what the archive spans (ms): the bar's end follows the archiver.
SPAN_MS = 30_000
#: Where the export links go (``app/api_export.py``; a page may not import the web layer).
EXPORT_PATH = "/api/v1/export"
EXPORT_FORMATS: tuple[str, ...] = ("geojson", "csv", "kml")
#: What the bar's export counts without a window: the hour up to the cursor.
EXPORT_DEFAULT_MS = 3_600_000


class TB:
    """Component ids of the time bar and the replay (``live-`` prefixed: the command page's)."""

    time = "live-time"
    span = "live-span"
    span_tick = "live-span-tick"
    frame = "live-frame"
    ack = "live-replay-ack"
    words = "live-replay-words"
    bar = "live-timebar"
    slider = "live-slider"
    start = "live-tb-start"
    end = "live-tb-end"
    cursor = "live-tb-cursor"
    note = "live-replay-note"
    band = "live-replay"
    band_text = "live-replay-text"
    wfrom = "live-tb-from"
    wto = "live-tb-to"
    records = "live-tb-records"


# --- the moment (the time part of the view) -----------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    """What time the view shows: live (everything ``None``), or the archive at ``at``, perhaps within a
    window ``start``–``end`` (``?from=&to=``), playing at ``speed`` (``None``: paused)."""

    at: int | None = None
    start: int | None = None
    end: int | None = None
    speed: int | None = None

    @classmethod
    def parse(cls, at: Any = None, start: Any = None, end: Any = None, speed: Any = None) -> Moment:
        """The moment named by untrusted values (a query string): unusable parts are dropped.

        A window needs both ends, the start first; the cursor is kept inside it (no cursor: its start).
        A speed is one of :data:`SPEEDS` and needs a window to play in (without one it plays from the
        cursor to the archive's end, which :func:`within` supplies)."""
        cursor, lo, hi = _time(at), _time(start), _time(end)
        if lo is None or hi is None or lo >= hi:
            lo = hi = None
        if lo is not None and hi is not None:
            cursor = lo if cursor is None else min(max(cursor, lo), hi)
        pace = _speed(speed)
        if cursor is None:
            return cls()
        return cls(cursor, lo, hi, pace)

    @classmethod
    def of(cls, data: Any) -> Moment:
        """The moment held in the ``live-time`` store (written by ``assets/replay.js``)."""
        data = data if isinstance(data, Mapping) else {}
        return cls.parse(data.get("at"), data.get("from"), data.get("to"), data.get("speed"))

    @property
    def replay(self) -> bool:
        return self.at is not None

    def data(self, **extra: Any) -> dict[str, Any]:
        """The moment as the ``live-time`` store holds it (the URL's names)."""
        return {"at": self.at, "from": self.start, "to": self.end, "speed": self.speed, **extra}

    def query_pairs(self) -> list[tuple[str, str]]:
        """``at``, ``from``, ``to``, ``speed`` for a URL (what is unset left out)."""
        pairs = [("at", self.at), ("from", self.start), ("to", self.end), ("speed", self.speed)]
        return [(k, str(v)) for k, v in pairs if v is not None]


def _time(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int | str):
        return None
    text = value if isinstance(value, int) else value.strip().replace(" ", "+")  # an unescaped "+"
    try:
        return parse_ts(text)
    except ValueError:
        return None


def _speed(value: Any) -> int | None:
    try:
        speed = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return speed if speed in SPEEDS else None


def within(moment: Moment, span: tuple[int, int] | None) -> tuple[Moment, str | None]:
    """``moment`` made to fit the archive's ``span`` — or live, with the reason (``"empty"``,
    ``"outside"``) when it cannot: a page opened at a moment the archive does not hold says so and shows
    the live picture instead. A window is cut to the span; playing without one plays to its end."""
    if not moment.replay:
        return moment, None
    if span is None:
        return Moment(), "empty"
    first, last = span
    assert moment.at is not None
    if not first <= moment.at <= last:
        return Moment(), "outside"
    if moment.start is not None and moment.end is not None:
        start, end = max(moment.start, first), min(moment.end, last)
        if start >= end:
            return replace(moment, start=None, end=None), None
        return replace(moment, start=start, end=end), None
    if moment.speed is not None:
        if moment.at >= last:
            return replace(moment, speed=None), None
        return replace(moment, start=moment.at, end=last), None
    return moment, None


# --- what the page shows ------------------------------------------------------------------------------


def when(at_ms: int, lang: str) -> str:
    """``2026-12-04 01:00:00 Riyadh time`` — a moment as the banner and the notices say it."""
    return t("replay.when", lang, date=fmt_date(at_ms, lang), clock=fmt_clock(at_ms, lang))


def thinned_text(lang: str, thin_s: int) -> str:
    """"Unit tracks thinned to one position a minute" (or every ``thin_s`` seconds)."""
    if thin_s == 60:
        return t("replay.thinned", lang)
    return t("replay.thinned_s", lang, seconds=digits(str(thin_s), lang))


def band_text(at_ms: int | None, thinned: bool, lang: str, thin_s: int) -> list[Any]:
    """The replay banner's words: "REPLAY · <time, Riyadh> — not live", and the thinning when it applies."""
    if at_ms is None:
        return []
    parts: list[Any] = [html.Strong(t("replay.banner", lang, time=when(at_ms, lang)),
                                    className="basira-replay-what")]
    if thinned:
        parts.append(html.Span(thinned_text(lang, thin_s), className="basira-replay-thinned",
                               **{"data-thinned": "1"}))
    return parts


def notice(reason: str, lang: str, at_ms: int | None = None, span: tuple[int, int] | None = None) -> str:
    """Why the page shows live instead of the moment asked for (``outside``, ``empty``, ``unreadable``)."""
    if reason == "outside" and span is not None and at_ms is not None:
        return t("replay.outside", lang, at=when(at_ms, lang), first=when(span[0], lang),
                 last=when(span[1], lang))
    if reason in ("outside", "empty"):
        return t("replay.empty", lang)
    return t("replay.unreadable", lang)


def words() -> dict[str, dict[str, str]]:
    """Every ``replay.*`` string in every language, for ``assets/replay.js`` (it relabels the bar on a
    change of language without a round trip, and fills the counts and times it formats itself)."""
    return {lang: {key: texts[lang] for key, texts in STRINGS.items() if key.startswith("replay.")}
            for lang in LANGUAGES}


def _word(key: str, lang: str, tag: Any = html.Span, **attrs: Any) -> Any:
    """A piece of text ``assets/replay.js`` relabels when the language changes (``data-word``)."""
    return tag(t(key, lang), **{"data-word": key}, **attrs)


def band(lang: str, moment: Moment, thinned: bool, thin_s: int) -> html.Div:
    """The strong band across the top of a replay: what moment this is, that it is not live, and the way
    back. Hidden while live (the refresh shows and fills it with each replayed picture)."""
    return html.Div(
        id=TB.band,
        className="basira-replay-band",
        hidden=not moment.replay,
        role="status",
        children=[
            html.Div(band_text(moment.at, thinned, lang, thin_s), id=TB.band_text,
                     className="basira-replay-text"),
            _word("replay.back", lang, html.Button, type="button", className="basira-replay-back",
                  **{"data-replay": "live"}),
        ],
    )


def bar(lang: str, moment: Moment, span: tuple[int, int] | None, note: str | None) -> html.Div:
    """The time bar under the map. In the page's direction: in Arabic it reads, and runs, right to left
    (the slider's start is on the right). Live: the Live mark, the slider at its end, the window menu;
    in replay also play/pause, the speeds, the cursor's time and the export menu (``assets/replay.css``).
    Every control is at least 44 CSS px on a phone."""
    first, last = span if span else (0, 1)
    value = moment.at if moment.at is not None else last
    windowed = moment.start is not None and moment.end is not None
    lo, hi = (moment.start, moment.end) if windowed else (first, last)
    state = "is-replay" if moment.replay else "is-live"
    return html.Div(
        id=TB.bar,
        className=f"basira-timebar {state}{' is-empty' if span is None else ''}",
        role="group",
        # data-at: the moment of the last frame drawn (assets/replay.js sets it once one is)
        **{"aria-label": t("replay.bar", lang), "data-word-label": "replay.bar", "data-at": ""},
        children=[
            html.Div(
                className="basira-tb-controls",
                children=[
                    # live: pressed; in a replay, the way back (the band across the top says so in words)
                    html.Button(
                        type="button", className="basira-tb-live",
                        **{"data-replay": "live", "aria-pressed": "false" if moment.replay else "true",
                           "title": t("replay.back", lang), "data-word-title": "replay.back"},
                        children=[_word("replay.live", lang)],
                    ),
                    html.Button(
                        type="button", className="basira-tb-play", **{"data-replay": "play"},
                        children=[html.Span(className="basira-tb-icon", **{"aria-hidden": "true"}),
                                  _word("replay.play", lang, className="basira-tb-play-word"),
                                  _word("replay.pause", lang, className="basira-tb-pause-word")],
                    ),
                    html.Div(
                        className="basira-tb-speeds", role="group",
                        **{"aria-label": t("replay.speed", lang), "data-word-label": "replay.speed"},
                        children=[
                            html.Button(digits(f"×{n}", lang), type="button", className="basira-tb-speed",
                                        title=t("replay.speed_n", lang, n=digits(str(n), lang)),
                                        **{"data-replay": "speed", "data-speed": str(n),
                                           "aria-pressed": "true" if n == (moment.speed or DEFAULT_SPEED)
                                           else "false"})
                            for n in SPEEDS
                        ],
                    ),
                ],
            ),
            html.Div(
                className="basira-tb-track",
                children=[
                    html.Span(id=TB.start, className="basira-tb-edge", dir="ltr"),
                    html.Label(
                        className="basira-tb-slider-box",
                        children=[
                            _word("replay.slider", lang, className="basira-visually-hidden"),
                            dcc.Input(id=TB.slider, type="range", min=lo, max=hi, step=1000, value=value,
                                      className="basira-tb-slider", disabled=span is None),
                        ],
                    ),
                    html.Span(id=TB.end, className="basira-tb-edge", dir="ltr"),
                ],
            ),
            html.Output(id=TB.cursor, className="basira-tb-cursor", **{"aria-live": "off"}),
            _word("replay.no_archive", lang, className="basira-tb-empty"),
            _window_menu(lang),
            _export_menu(lang),
            html.Div(note or "", id=TB.note, className=f"basira-replay-note{' is-shown' if note else ''}",
                     role="alert"),
        ],
    )


def _window_menu(lang: str) -> html.Details:
    """Choose a window: the last 1, 6 or 24 hours of the archive, the whole archive, or two times."""
    return html.Details(
        className="basira-tb-menu basira-tb-window",
        children=[
            _word("replay.window", lang, html.Summary),
            html.Div(
                className="basira-tb-pop",
                children=[
                    html.Div(
                        className="basira-tb-presets",
                        children=[
                            html.Button(t("replay.window_last", lang, hours=digits(str(h), lang)),
                                        type="button", **{"data-replay": "window", "data-hours": str(h)})
                            for h in PRESETS_H
                        ] + [_word("replay.window_all", lang, html.Button, type="button",
                                   **{"data-replay": "window", "data-hours": "all"})],
                    ),
                    html.Label([_word("replay.window_from", lang),
                                dcc.Input(id=TB.wfrom, type="text", inputMode="numeric", debounce=True,
                                          placeholder="2026-12-04 01:00", className="basira-tb-when")]),
                    html.Label([_word("replay.window_to", lang),
                                dcc.Input(id=TB.wto, type="text", inputMode="numeric", debounce=True,
                                          placeholder="2026-12-04 03:00", className="basira-tb-when")]),
                    _word("replay.window_hint", lang, html.Small, className="basira-tb-hint"),
                    _word("replay.window_apply", lang, html.Button, type="button",
                          **{"data-replay": "apply"}),
                    _word("replay.window_bad", lang, html.Small, className="basira-tb-bad", role="alert"),
                ],
            ),
        ],
    )


def _export_menu(lang: str) -> html.Details:
    """The window shown, in the scope shown, as a file: GeoJSON first (the links' addresses and the
    count of records are filled in by ``assets/replay.js`` from the view)."""
    return html.Details(
        className="basira-tb-menu basira-tb-export",
        children=[
            _word("replay.export", lang, html.Summary),
            html.Div(
                className="basira-tb-pop",
                children=[
                    _word("replay.export_what", lang, html.P, className="basira-tb-what"),
                    html.Div(
                        className="basira-tb-formats",
                        children=[html.A(fmt.upper().replace("GEOJSON", "GeoJSON"), href=EXPORT_PATH,
                                         className="basira-tb-format", **{"data-format": fmt, "download": ""})
                                  for fmt in EXPORT_FORMATS],
                    ),
                    html.Span(id=TB.records, className="basira-tb-records", role="status"),
                ],
            ),
        ],
    )


def stores(moment: Moment, span: tuple[int, int] | None, lang: str) -> list[Any]:
    """The page's time: the moment (``live-time``), what the archive spans, the last frame drawn, the
    words in both languages and the bar's settings for ``assets/replay.js``, the span's slow tick."""
    return [
        dcc.Store(id=TB.time, data=moment.data(push=False)),
        dcc.Store(id=TB.span, data={"first": span[0], "last": span[1]} if span else None),
        dcc.Store(id=TB.frame, data=None),
        dcc.Store(id=TB.ack, data=None),
        dcc.Store(id=TB.words, data={"lang": lang, "words": words(), "speeds": list(SPEEDS),
                                     "default_speed": DEFAULT_SPEED, "frame_ms": FRAME_MS,
                                     "presets": list(PRESETS_H), "export": EXPORT_PATH,
                                     "export_default_ms": EXPORT_DEFAULT_MS}),
        dcc.Interval(id=TB.span_tick, interval=SPAN_MS),
    ]


def span_of(replay: Any) -> tuple[int, int] | None:
    """What the archive spans, or ``None`` when it is empty or cannot be read (logged): the bar then says
    there is no archive, and the page stays live."""
    try:
        return replay.span()
    except Exception as error:  # noqa: BLE001 — a broken archive must not break the live page
        log.warning("command page: the archive's span cannot be read (%s)", error)
        return None


# --- the callbacks ------------------------------------------------------------------------------------


def register(app: Dash, context: Any, ids: Any) -> None:
    """The bar's callbacks on the command page (``ids``: :class:`.layout.ID`).

    In the browser (``assets/replay.js``): the moment's changes and the bar's look (``sync``, which also
    switches the live refresh's interval off during a replay) and each frame drawn (``frame``: the next
    one is asked for from there). On the server: what the archive spans, every :data:`SPAN_MS`."""
    replay = context.replay

    app.clientside_callback(
        ClientsideFunction("basira.replay", "sync"),
        Output(ids.tick, "disabled"),
        Input(TB.time, "data"),
        Input(TB.span, "data"),
        Input(ids.lang, "value"),
        Input(ids.scope, "data"),
        State(TB.words, "data"),
    )
    app.clientside_callback(
        ClientsideFunction("basira.replay", "frame"),
        Output(TB.ack, "data"),
        Input(TB.frame, "data"),
        prevent_initial_call=True,
    )

    @app.callback(Output(TB.span, "data"), Input(TB.span_tick, "n_intervals"), prevent_initial_call=True)
    def span(_n: int | None) -> dict[str, int] | None:
        """What the archive spans now (the archiver keeps extending it)."""
        got = span_of(replay)
        return {"first": got[0], "last": got[1]} if got else None
