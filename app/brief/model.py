"""The brief's content: figures from the archive, set out in one language — what the page (Jinja,
``templates/basira_brief/brief.html``) and the PDF (:mod:`.pdf`) both draw, so they cannot differ.

:func:`figures` reads the archive (language-free: :func:`app.archive.stats.compare` and an
:func:`app.archive.timeline.timeline` per serious incident) and keeps the answer a while —
an hour for a day that is over, a minute for the 24 hours ending now — so the page and then its PDF
cost one read. :func:`document` formats it for a language.

**The window** (:func:`app.archive.stats.day_window`): ``date`` is a Riyadh calendar day, and the
brief covers it 00:00–24:00 (UTC+3); for today — the day is not over — it covers the 24 hours ending
now (to the minute): a morning brief then shows last night whole. No ``date``: today.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from hijridate import Gregorian

from ..archive import stats, timeline
from ..contract import Scope
from ..i18n import digits, fmt_duration, fmt_int, fmt_percent, group, riyadh, t
from ..planning import PlanningError
from ..reference import Reference
from . import charts

if TYPE_CHECKING:
    from ..settings import Settings

DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
#: How many ports the brief lists: the busiest and those whose queue went past the target.
PORT_ROWS = 8
#: Units named per serious incident before "+n".
UNITS_SHOWN = 6
#: How long a computed brief is kept: a day that is over cannot change (after the late entries'
#: hour); the 24 hours ending now move on.
KEEP_DONE_S = 3600.0
KEEP_LIVE_S = 60.0
CACHE_SIZE = 24


class BadDate(ValueError):
    """``date`` is not a calendar date written ``YYYY-MM-DD``."""


class NoArchive(LookupError):
    """The archive holds nothing for the window; ``span`` is what it does hold (epoch hours) or ``None``."""

    def __init__(self, day: date, span: tuple[int, int] | None) -> None:
        super().__init__(f"no archive for {day.isoformat()}")
        self.day = day
        self.span = span


def today(now_ms: int) -> date:
    return stats.riyadh_day(now_ms)


def parse_day(raw: Any, now_ms: int) -> date:
    """The Riyadh day a request names (``None`` or empty: today); :class:`BadDate` otherwise."""
    if raw is None or raw == "":
        return today(now_ms)
    if not isinstance(raw, str) or not DATE.match(raw):
        raise BadDate("expected YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadDate("no such date") from None


def window_of(day: date, now_ms: int) -> stats.Window:
    """The brief's window for ``day`` (the module docstring); today's ends at the current minute."""
    return stats.day_window(day, now_ms - now_ms % 60_000)


# --- reading, kept a while ------------------------------------------------------------------------

_cache: OrderedDict[tuple, tuple[float, dict[str, Any]]] = OrderedDict()
_lock = threading.Lock()


def _remembered(key: tuple, keep_s: float, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] > now:
            _cache.move_to_end(key)
            return hit[1]
    value = make()  # outside the lock: two first requests may both read; neither waits on the other
    with _lock:
        _cache[key] = (now + keep_s, value)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def _planning(reference: Reference) -> Any:
    try:
        return reference.planning
    except (PlanningError, ValueError):
        return None  # no wait targets: the brief shows the waits without them


def figures(settings: Settings, scope: Scope, day: date, now_ms: int) -> dict[str, Any]:
    """The archive's figures for ``day`` and ``scope`` (language-free)::

        {"window": Window, "compare": stats.compare(…), "timelines": {id: timeline | None},
         "coverage": {...}, "scope": Scope (the one counted)}

    Raises :class:`NoArchive` when no hour of the window is archived."""
    root = Path(settings.archive_dir)
    window = window_of(day, now_ms)
    if not stats.archived_hours(root, window):
        raise NoArchive(day, stats.archive_span(root))
    reference = Reference.from_settings(settings)
    coverage = reference.coverage(settings.covered)
    counted = coverage.counted(scope)
    targets = stats.Targets.from_settings(settings)
    done = window.end_ms + stats.LATE_MS <= now_ms

    def make() -> dict[str, Any]:
        compared = stats.compare(root, window, counted, targets, planning=_planning(reference))
        lives = {
            item["id"]: timeline.timeline(root, item["id"], item["opened"], counted, targets=targets,
                                          now_ms=now_ms)
            for item in compared["now"]["serious"]
        }
        return {"window": window, "compare": compared, "timelines": lives,
                "coverage": coverage.describe(scope), "scope": counted}

    key = (str(root.resolve()), window.start_ms, window.end_ms, counted.token, targets, settings.covered)
    return _remembered(key, KEEP_DONE_S if done else KEEP_LIVE_S, make)


# --- words and numbers ------------------------------------------------------------------------------


def clock(ms: int | None, lang: str) -> str:
    """``14:05`` Riyadh time."""
    return t("kpi.na", lang) if ms is None else digits(riyadh(ms).strftime("%H:%M"), lang)


def day_label(ms: int, lang: str) -> str:
    """``Tue 2026-03-10 · 21 Ramadan 1447``: the Riyadh day of ``ms``, Gregorian and Hijri."""
    when = riyadh(ms)
    text = f"{t(f'weekday.{when.weekday()}', lang)} {when:%Y-%m-%d}"
    try:
        h = Gregorian(when.year, when.month, when.day).to_hijri()
        text += f" · {h.day} {h.month_name('ar' if lang == 'ar' else 'en')} {h.year}"
    except (ValueError, OverflowError):
        pass
    return digits(text, lang)


def region_name(reference: Reference, code: str, lang: str) -> str:
    region = reference.regions.get(code)
    if region is None:
        return t("popup.outside", lang) if code == "outside" else code
    return region.name_ar if lang == "ar" else region.name_en


def scope_label(scope: Scope, reference: Reference, lang: str) -> str:
    """``Saudi Arabia`` / ``Makkah`` / ``Riyadh، Makkah · Traffic``: what the brief covers."""
    comma = "، " if lang == "ar" else ", "
    regions = [scope.region] if scope.region else scope.limit_regions
    agencies = [scope.agency] if scope.agency else scope.limit_agencies
    parts = [t("place.national", lang) if regions is None
             else comma.join(region_name(reference, code, lang) for code in regions)]
    if agencies is not None:
        parts.append(comma.join(t(f"agency.{a}", lang) for a in agencies))
    return " · ".join(parts)


#: Figures of the compare table: (path in a summary, label key, kind, which way is better).
COMPARED: tuple[tuple[str, str, str, int], ...] = (
    ("incidents.opened", "brief.kpi.opened", "count", 0),
    ("dispatch.p50_s", "brief.cmp.dispatch_p50", "duration", -1),
    ("dispatch.p90_s", "brief.cmp.dispatch_p90", "duration", -1),
    ("dispatch.within", "brief.cmp.dispatch_within", "share", 1),
    ("response.p50_s", "brief.cmp.response_p50", "duration", -1),
    ("response.p90_s", "brief.cmp.response_p90", "duration", -1),
    ("response.within", "brief.cmp.response_within", "share", 1),
    ("calls.total", "brief.kpi.calls", "count", 0),
    ("calls.answered_15s_share", "brief.kpi.answered15", "share", 1),
    ("calls.abandoned", "brief.kpi.abandoned", "count", -1),
    ("ports.travellers", "brief.kpi.travellers", "count", 0),
)


def value_text(value: Any, kind: str, lang: str) -> str:
    if kind == "duration":
        return fmt_duration(value, lang)
    if kind == "share":
        return fmt_percent(value, lang)
    return fmt_int(value, lang)


def change_text(change: dict[str, Any] | None, kind: str, lang: str) -> str:
    """``+3 (+100%)``, ``−15 s``, ``+5 pts``, ``±0 s``; ``—`` without a figure to compare. The sign is
    the shown figure's: a change that rounds to nothing is ``±0``, never ``−0``."""
    if change is None or change["change"] is None:
        return t("kpi.na", lang)
    amount = change["change"]

    def signed(size: float, shown: str) -> str:
        return ("±" if not size else "+" if amount > 0 else "−") + shown

    if kind == "duration":
        return signed(round(abs(amount)), fmt_duration(abs(amount), lang))
    if kind == "share":
        points = round(abs(amount) * 100)
        return signed(points, t("brief.pts", lang, n=fmt_int(points, lang)))
    text = signed(round(abs(amount)), fmt_int(abs(amount), lang))
    ratio = change["ratio"]
    if ratio is not None:
        decimals = 1 if 0.0005 <= abs(ratio) < 0.01 else 0  # −0.4%, not −0%
        shown = round(abs(ratio) * 100, decimals)
        text += f" ({signed(shown, fmt_percent(abs(ratio), lang, decimals))})"
    return text


def trend(change: dict[str, Any] | None, better: int) -> str:
    """``better``/``worse``/``same`` (a CSS class): which way a change went, for figures where one
    way is better (``better``: 1 higher, -1 lower, 0 neither)."""
    if change is None or not change["change"] or not better:
        return "same"
    return "better" if (change["change"] > 0) == (better > 0) else "worse"


def met_state(met: bool | None) -> str:
    """A duration against its target as a state: ``meets``, ``misses`` or ``none`` (not reached)."""
    return "none" if met is None else "meets" if met else "misses"


def _link(day: date, lang: str, pdf: bool = False) -> str:
    return ("/brief.pdf?" if pdf else "/brief?") + urlencode({"date": day.isoformat(), "lang": lang})


def document(settings: Settings, scope: Scope, day: date, lang: str, now_ms: int) -> dict[str, Any]:
    """The brief in ``lang``: every text and figure formatted, every chart drawn (see the template)."""
    got = figures(settings, scope, day, now_ms)
    reference = Reference.from_settings(settings)
    window: stats.Window = got["window"]
    compared = got["compare"]
    now, week = compared["now"], compared["week"]
    rtl = lang == "ar"
    live = day == today(now_ms)
    deltas_week = compared["deltas"]["week"]

    def tile(key: str, value: str, sub: str, state: str = "plain",
             chart: charts.Chart | None = None) -> dict[str, Any]:
        return {"label": t(key, lang), "value": value, "sub": sub, "state": state, "shape": chart,
                "chart": charts.to_svg(chart) if chart is not None else None}

    def vs_week(path: str, kind: str) -> str:
        if deltas_week is None:
            return t("brief.vs_week", lang, change=t("brief.no_data", lang))
        return t("brief.vs_week", lang, change=change_text(deltas_week[path], kind, lang))

    def against(judged: dict[str, Any], name: str) -> dict[str, Any]:
        sub = t("brief.target_line", lang, median=fmt_duration(judged["p50_s"], lang),
                target=fmt_duration(judged["target_s"], lang), within=fmt_percent(judged["within"], lang))
        meter = charts.meter(judged["p90_s"], judged["target_s"], judged["state"], rtl=rtl,
                             label=t(f"brief.state.{judged['state']}", lang))
        return tile(name, fmt_duration(judged["p90_s"], lang), sub, judged["state"], meter)

    calls = now["calls"]
    tiles = [
        tile("brief.kpi.opened", fmt_int(now["incidents"]["opened"], lang),
             vs_week("incidents.opened", "count")),
        against(now["dispatch"], "brief.kpi.dispatch"),
        against(now["response"], "brief.kpi.response"),
        tile("brief.kpi.calls", fmt_int(calls["total"], lang),
             t("brief.calls_line", lang, share=fmt_percent(calls["answered_15s_share"], lang),
               abandoned=fmt_int(calls["abandoned"], lang))),
        tile("brief.kpi.travellers", fmt_int(now["ports"]["travellers"], lang),
             vs_week("ports.travellers", "count")),
    ]
    hour_labels = [clock(window.start_ms + i * stats.HOUR_MS, lang) for i in range(window.hours)]
    hourly = charts.hourly(now["incidents"]["by_hour"], week["incidents"]["by_hour"] if week else None,
                           hour_labels, rtl=rtl, label=t("brief.chart.hours", lang),
                           number=lambda n: fmt_int(n, lang))

    regions = []
    region_deltas = deltas_week["by_region"] if deltas_week else {}
    for code, row in now["regions"].items():
        by_region = calls["by_region"].get(code, {})
        answered = by_region.get("answered", 0)
        dispatch, response = row["dispatch"], row["response"]
        meter = charts.meter(response["p90_s"], response["target_s"], response["state"], rtl=rtl,
                             label=t(f"brief.state.{response['state']}", lang))
        regions.append({
            "name": region_name(reference, code, lang),
            "opened": fmt_int(row["opened"], lang),
            "change": change_text(region_deltas.get(code), "count", lang) if deltas_week
            else t("brief.no_data", lang),
            "dispatch": fmt_duration(dispatch["p90_s"], lang), "dispatch_state": dispatch["state"],
            "response": fmt_duration(response["p90_s"], lang), "response_state": response["state"],
            "meter": charts.to_svg(meter),
            "calls": fmt_int(by_region.get("total", 0), lang),
            "answered15": fmt_percent(by_region.get("within_15s", 0) / answered if answered else None, lang),
        })

    targets = stats.Targets.from_settings(settings)
    serious = [_serious(item, got["timelines"].get(item["id"]), window, reference, targets, lang, rtl)
               for item in now["serious"]]
    ports = _ports(now["ports"]["ports"], reference, lang, rtl)
    comparison = _comparison(compared, lang)

    notices = []
    if now["archived_hours"] < now["hours"]:
        notices.append(t("brief.partial", lang, hours=fmt_int(now["archived_hours"], lang),
                         total=fmt_int(now["hours"], lang)))
    if got["coverage"]["excluded"]:
        excluded = got["coverage"]["excluded"]
        names = ("، " if rtl else ", ").join(region_name(reference, c, lang) for c in excluded)
        notices.append(t("brief.excluded", lang, regions=names))
    if any(item.get("thinned") for item in got["timelines"].values() if item):
        notices.append(t("brief.thinned", lang))

    other = "en" if rtl else "ar"
    tomorrow = day + timedelta(days=1)
    if live:
        span = t("brief.window_live", lang, day=day_label(window.end_ms, lang),
                 time=clock(window.end_ms, lang))
    else:
        span = t("brief.window_day", lang, day=day_label(window.start_ms, lang))
    return {
        "lang": lang, "dir": "rtl" if rtl else "ltr", "other_lang": other,
        "title": t("brief.title", lang),
        "scope": scope_label(got["scope"], reference, lang),
        "span": span,
        "made": t("brief.made", lang, day=digits(riyadh(now_ms).strftime("%Y-%m-%d"), lang),
                  time=clock(now_ms, lang)),
        "notices": notices,
        "tiles": tiles,
        "hourly": charts.to_svg(hourly), "hourly_chart": hourly,
        "hourly_legend": {"now": t("brief.legend.now", lang),
                          "then": t("brief.legend.week", lang) if week else None},
        "regions": regions,
        "serious": serious,
        "ports": ports,
        "compare": comparison,
        "links": {
            "other": _link(day, other), "pdf": _link(day, lang, pdf=True),
            "previous": _link(day - timedelta(days=1), lang),
            "next": _link(tomorrow, lang) if tomorrow <= today(now_ms) else None,
        },
        "s": _texts(lang),
        "date": day.isoformat(),
    }


def _texts(lang: str) -> dict[str, str]:
    """The brief's fixed words (``brief.*``), for the template and the PDF."""
    return group("brief", lang)


def _serious(item: dict[str, Any], story: dict[str, Any] | None, window: stats.Window, reference: Reference,
             targets: stats.Targets, lang: str, rtl: bool) -> dict[str, Any]:
    """One of the most serious incidents: its headline, times, units and strip."""
    life = story or {  # not found again (cannot happen while the archive is unchanged): the row alone
        **item, "statuses": [], "units": [],
        "dispatch": {"met": None, "target_s": targets.dispatch_s},
        "response": {"met": None, "target_s": targets.response_s},
    }
    opened = life["opened"]

    def after(ms: int | None) -> str:
        if ms is None:
            return t("kpi.na", lang)
        return t("brief.after", lang, time=clock(ms, lang), delay=fmt_duration((ms - opened) / 1000, lang))

    units = [u["id"] for u in life["units"]]
    more = len(units) - UNITS_SHOWN
    shown = ("، " if rtl else ", ").join(units[:UNITS_SHOWN]) + (f" +{more}" if more > 0 else "")
    arrivals = [
        t("brief.unit_arrived", lang, unit=u["id"],
          delay=fmt_duration((u["arrived"] - u["assigned"]) / 1000, lang))
        for u in life["units"][:3] if u.get("arrived") is not None
    ]
    ticks = (fmt_duration(life["dispatch"]["target_s"], lang),
             fmt_duration(life["response"]["target_s"], lang))
    strip = charts.strip(life, window.end_ms, rtl=rtl, label=t("brief.strip", lang), tick_labels=ticks)
    dispatch_state, response_state = (met_state(life["dispatch"]["met"]), met_state(life["response"]["met"]))
    return {
        "id": item["id"],
        "headline": " · ".join((t("priority.short", lang, n=digits(str(item["priority"]), lang)),
                                t(f"category.{item['category']}", lang),
                                region_name(reference, item["region"], lang),
                                t(f"agency.{item['agency']}", lang))),
        "opened": clock(opened, lang),
        "dispatched": after(life["dispatched"]), "dispatch_state": dispatch_state,
        "on_scene": after(life["on_scene"]), "response_state": response_state,
        "closed": after(life["closed"]) if life.get("closed") else t("brief.still_open", lang),
        "units": shown if units else t("kpi.na", lang),
        "arrivals": arrivals,
        "steps": " · ".join(t(f"incident_status.{step['status']}", lang) + " " + clock(step["ts"], lang)
                            for step in life["statuses"]),
        "strip": charts.to_svg(strip), "strip_chart": strip,
    }


def _ports(rows: list[dict[str, Any]], reference: Reference, lang: str, rtl: bool) -> list[dict[str, Any]]:
    """The busiest ports and those whose queue passed its target, at most :data:`PORT_ROWS`."""
    over = [p for p in rows if p["over_target"]]
    chosen = {p["id"] for p in sorted(over, key=lambda p: -(p["max_wait_min"] or 0))[: PORT_ROWS // 2]}
    for p in rows:
        if len(chosen) >= PORT_ROWS:
            break
        chosen.add(p["id"])
    out = []
    for p in rows:
        if p["id"] not in chosen:
            continue
        port = reference.ports.get(p["id"])
        name = (port.name_ar if lang == "ar" else port.name_en) if port else p["id"]
        peak = p["by_hour"].index(p["peak_travellers"]) if p["peak_travellers"] else -1
        state = "none" if p["over_target"] is None else "misses" if p["over_target"] else "meets"
        spark = charts.spark(p["by_hour"], peak, rtl=rtl, label=t("brief.chart.port", lang))
        out.append({
            "name": name,
            "travellers": fmt_int(p["travellers"], lang),
            "peak": t("brief.peak", lang, time=clock(p["peak_hour_ms"], lang),
                      n=fmt_int(p["peak_travellers"], lang)),
            "spark": charts.to_svg(spark), "spark_chart": spark,
            "wait": t("brief.wait", lang, wait=fmt_int(p["max_wait_min"], lang),
                      target=fmt_int(p["target_wait_min"], lang)) if p["max_wait_min"] is not None
            else t("kpi.na", lang),
            "wait_state": state,
            "over": t("brief.hours_over", lang, n=fmt_int(p["hours_over"], lang)) if p["hours_over"] else "",
        })
    return out


def _comparison(compared: dict[str, Any], lang: str) -> dict[str, Any]:
    """The compare table: each figure now, a week earlier and a Hijri year earlier, with the changes."""
    windows = compared["windows"]
    heads = {
        "now": t("brief.cmp.now", lang),
        "week": t("brief.cmp.week", lang, day=day_label(windows["week"]["start_ms"], lang)),
        "hijri": t("brief.cmp.hijri", lang, day=day_label(windows["hijri"]["start_ms"], lang))
        if windows["hijri"] else t("brief.cmp.hijri_none", lang),
    }
    rows = []
    for path, key, kind, better in COMPARED:
        row = {"label": t(key, lang),
               "now": value_text(stats.pick(compared["now"], path.split(".")), kind, lang)}
        for name in ("week", "hijri"):
            then = compared[name]
            if then is None:
                row[name], row[f"{name}_change"], row[f"{name}_trend"] = t("brief.no_data", lang), "", "same"
                continue
            change = compared["deltas"][name][path]
            row[name] = value_text(stats.pick(then, path.split(".")), kind, lang)
            row[f"{name}_change"] = change_text(change, kind, lang)
            row[f"{name}_trend"] = trend(change, better)
        rows.append(row)
    return {"heads": heads, "rows": rows, "week": compared["week"] is not None,
            "hijri": compared["hijri"] is not None}


def no_archive_text(error: NoArchive, lang: str) -> str:
    """Says which days the archive does hold (or that it is empty)."""
    if error.span is None:
        return t("brief.archive_empty", lang)
    first, last = (stats.riyadh_day(h * stats.HOUR_MS) for h in error.span)
    return t("brief.archive_span", lang, first=digits(first.isoformat(), lang),
             last=digits(last.isoformat(), lang))
