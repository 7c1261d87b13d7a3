"""The results: a table in the terminal, ``benchmarks/results.json``, ``docs/benchmarks.md`` and its plot.

Each :class:`Row` is one target of issue 4: Basira's figure, the baseline's (or, for ingest, the
raw consumer's), their ratio, the target and whether it is met. ``docs/benchmarks.md`` adds the
machine, the command, the date, how each figure is measured and — for each target missed — the
figure, the reason and what would close it (:data:`MISSES`, keyed by the row).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from .harness import ROOT

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


def write_doc(
    rows: list[Row], context: dict[str, Any], methods: str, misses: dict[str, str], path: Path = DOC
) -> Path:
    """``docs/benchmarks.md``: the table, the machine, the command, the date, methods, misses."""
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
        f"{machine['os']}; Python {machine['python']}, Redis {machine['redis']}",
        f"- **Load average** (1 min) at the start and the end: {context['load_start']:.2f} and "
        f"{context['load_end']:.2f}. Everything — Redis, the ingest worker, the loader, gunicorn, "
        "Chromium and the clients — shares these cores; on a busy machine every figure is worse than "
        "its capacity.",
        "",
    ]
    lines += ["| " + " | ".join(line) + " |" for line in table(rows)[:1]]
    lines += ["| " + " | ".join("---" for _ in table(rows)[0]) + " |"]
    lines += ["| " + " | ".join(line) + " |" for line in table(rows)[1:]]
    lines += ["", "Not measured yet: *server work per tick — built once per scope whatever the number of "
              "clients*. Today each client's refresh builds its own payload (see the misses below); the "
              "property belongs in the test suite (a count of builds per tick) once the push/delta design "
              "lands.", ""]
    if context.get("plot"):
        lines += [f"![Basira against the baseline]({Path(context['plot']).name})", ""]
    lines += [methods.strip(), ""]
    missed = [row for row in rows if not row.met]
    if missed:
        lines += ["## Targets missed: the figure, the reason, what would close it", ""]
        for row in missed:
            text = explain(misses.get(row.key, "No analysis recorded."), context.get("figures", {}))
            lines += [f"### {row.metric}: {_num(row.basira, row.unit)} (target {row.target})", "", text, ""]
    path.write_text("\n".join(lines).rstrip() + "\n")
    return path


def context(
    command: str, started: float, machine: dict[str, Any], plot_path: Path | None,
    figures: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "command": command, "started": started, "seconds": datetime.now(UTC).timestamp() - started,
        "machine": machine, "load_start": machine["load"][0], "load_end": os.getloadavg()[0],
        "plot": str(plot_path) if plot_path else None, "figures": figures or {},
    }  # fmt: skip
