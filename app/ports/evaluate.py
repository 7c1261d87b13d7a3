"""Is the forecaster any good? It against the seasonal-naive forecast, on held-out history.

``python -m app.ports.evaluate`` draws 900 days of hourly history for every port with the
simulator (:func:`app.simulation.ports.hourly_history`: the weekly rhythm, Hajj, Umrah and Eid on
their Umm al-Qura dates, day-to-day swings, Poisson noise), then forecasts the next 72 hours from
an origin every 25 hours over the last year — each forecast sees only the history before its
origin (rolling origin) — with both the model and the seasonal-naive benchmark (each hour as the
same hour a week earlier). It prints the errors as a Markdown table (``docs/ports.md`` holds the
result) and, with ``--plot``, draws two example forecasts to a PNG (needs matplotlib).

Errors are on each port's travellers per direction per hour. MASE divides the mean absolute error
by the in-sample mean absolute error of the seasonal-naive forecast (Hyndman & Koehler, 2006), per
series, then averages over the 68 series; WAPE is the total absolute error over the total traffic
(MAPE is undefined for the many hours with no traveller at a small port).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from ..reference import Reference
from ..simulation.ports import hourly_history
from . import CATEGORIES, DIRECTIONS, riyadh_day
from .forecast import forecast, history_needed, seasonal_naive
from .seasons import season_of, to_day

HORIZON = 72


@dataclass
class Errors:
    """Running sums for one model over many forecasts."""

    abs_error: dict[str, float] = field(default_factory=dict)
    hours: dict[str, int] = field(default_factory=dict)

    def add(self, series: str, errors: np.ndarray) -> None:
        self.abs_error[series] = self.abs_error.get(series, 0.0) + float(np.abs(errors).sum())
        self.hours[series] = self.hours.get(series, 0) + errors.size


@dataclass
class Tally:
    """Both models' errors, the actual volume and the interval's hits, overall and in season."""

    model: Errors = field(default_factory=Errors)
    naive: Errors = field(default_factory=Errors)
    volume: dict[str, float] = field(default_factory=dict)
    inside: int = 0
    total: int = 0


def _travellers(counts: np.ndarray) -> np.ndarray:
    return counts[:, :, : len(CATEGORIES)].sum(axis=2).astype(float)


def evaluate(end: date, days: int, eval_days: int, every: int, seed: int) -> tuple[dict[str, Tally], dict]:
    """Run the rolling-origin comparison; returns tallies (``all``, ``season``, ``ordinary``) and
    the scale (in-sample seasonal-naive MAE) per series."""
    ports = Reference.bundled().ports
    end_hour = to_day(end) * 24
    first_hour = end_hour - days * 24
    eval_start = days * 24 - eval_days * 24
    tallies = {name: Tally() for name in ("all", "season", "ordinary")}
    scales: dict[str, float] = {}
    rng = np.random.default_rng(seed)
    for n, (port_id, counts) in enumerate(hourly_history(ports, first_hour, days * 24, rng), start=1):
        t = _travellers(counts)
        train = t[:eval_start]
        for d, direction in enumerate(DIRECTIONS):
            scales[f"{port_id}:{direction}"] = float(np.abs(train[168:, d] - train[:-168, d]).mean())
        for origin in range(eval_start, len(t) - HORIZON + 1, every):
            span = min(origin, history_needed(first_hour + origin, HORIZON))
            f = forecast(counts[origin - span : origin], first_hour + origin - span, HORIZON)
            naive = seasonal_naive(t[:origin], HORIZON)
            truth = t[origin : origin + HORIZON]
            in_season = np.array([season_of(riyadh_day(first_hour + origin + h)) is not None
                                  for h in range(HORIZON)])
            for name, mask in (("all", slice(None)), ("season", in_season), ("ordinary", ~in_season)):
                tally = tallies[name]
                for d, direction in enumerate(DIRECTIONS):
                    series = f"{port_id}:{direction}"
                    y = truth[mask, d]
                    tally.model.add(series, f.travellers[mask, d] - y)
                    tally.naive.add(series, naive[mask, d] - y)
                    tally.volume[series] = tally.volume.get(series, 0.0) + float(y.sum())
                    tally.inside += int(((y >= f.lower[mask, d]) & (y <= f.upper[mask, d])).sum())
                    tally.total += y.size
        print(f"  {n}/{len(ports)} {port_id}", flush=True)
    return tallies, scales


def summary(tally: Tally, scales: dict[str, float]) -> dict[str, float]:
    """MASE (mean over series) and WAPE of both models, and the interval's coverage."""
    out: dict[str, float] = {}
    for name, errors in (("model", tally.model), ("naive", tally.naive)):
        mase = [errors.abs_error[s] / errors.hours[s] / scales[s]
                for s in errors.hours if errors.hours[s] and scales[s] > 0]
        out[f"{name}_mase"] = float(np.mean(mase)) if mase else float("nan")
        out[f"{name}_wape"] = sum(errors.abs_error.values()) / max(sum(tally.volume.values()), 1e-9)
    out["coverage"] = tally.inside / max(tally.total, 1)
    out["hours"] = tally.total
    return out


def table(results: dict[str, dict[str, float]]) -> str:
    lines = [
        "| hours forecast | forecaster MASE | seasonal-naive MASE | forecaster WAPE | seasonal-naive WAPE "
        "| 80% interval covers |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    labels = {"all": "all", "season": "in a Hijri season window", "ordinary": "outside the seasons"}
    for name, r in results.items():
        lines.append(
            f"| {labels[name]} ({int(r['hours']):,} port-direction-hours) | {r['model_mase']:.3f} "
            f"| {r['naive_mase']:.3f} | {r['model_wape']:.1%} | {r['naive_wape']:.1%} | {r['coverage']:.1%} |"
        )
    return "\n".join(lines)


def plot(path: Path, end: date, days: int, seed: int) -> None:
    """Two example forecasts: the King Fahd Causeway on an ordinary week, Jeddah airport before Hajj."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .seasons import hijri_day

    ports = Reference.bundled().ports
    end_hour = to_day(end) * 24
    first_hour = end_hour - days * 24
    series = dict(hourly_history(ports, first_hour, days * 24, np.random.default_rng(seed)))
    hajj = hijri_day(1447, 12, 8)
    wednesday = to_day(end) - (to_day(end) + 3 - 2) % 7 - 7  # the Wednesday of the week before ``end``
    cases = [
        ("land-king-fahd-causeway", 1, wednesday * 24 + 10 - 3,
         "King Fahd Causeway, departures, from a Wednesday 10:00 (the Thursday exodus to Bahrain ahead)"),
        ("air-jed", 0, (hajj - 12) * 24 + 10 - 3,
         "King Abdulaziz Intl (Jeddah), arrivals, from 10:00 twelve days before Hajj 1447 "
         "(the Hijri season)"),
    ]
    fig, axes = plt.subplots(len(cases), 1, figsize=(11, 7.5), constrained_layout=True)
    for ax, (port_id, d, origin_hour, title) in zip(axes, cases, strict=True):
        counts = series[port_id]
        origin = origin_hour - first_hour
        span = min(origin, history_needed(origin_hour, HORIZON))
        f = forecast(counts[origin - span : origin], origin_hour - span, HORIZON)
        t = _travellers(counts)
        past = np.arange(-96, 0)
        ahead = np.arange(HORIZON)
        ax.plot(past, t[origin + past, d], color="0.45", lw=1.2, label="history")
        ax.plot(ahead, t[origin + ahead, d], color="black", lw=1.4, label="actual (held out)")
        ax.fill_between(ahead, f.lower[:, d], f.upper[:, d], color="tab:blue", alpha=0.2,
                        label="80% interval")
        ax.plot(ahead, f.travellers[:, d], color="tab:blue", lw=2, label="forecast")
        ax.plot(ahead, seasonal_naive(t[:origin], HORIZON)[:, d], color="tab:orange", lw=1.2, ls="--",
                label="seasonal naive (same hour last week)")
        ax.axvline(0, color="0.6", lw=0.8)
        ax.set_title(title)
        ax.set_xlabel("hours from the forecast origin")
        ax.set_ylabel("travellers per hour")
        ax.legend(loc="upper left", fontsize=8, ncols=3)
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.ports.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 11, 28),
                        help="the day the synthetic history ends (default 2026-11-28)")
    parser.add_argument("--days", type=int, default=900, help="days of history drawn (default 900)")
    parser.add_argument("--eval-days", type=int, default=365, help="days held out at the end (default 365)")
    parser.add_argument("--every", type=int, default=25, help="hours between forecast origins (default 25)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plot", type=Path, help="also draw two example forecasts to this PNG")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tallies, scales = evaluate(args.end, args.days, args.eval_days, args.every, args.seed)
    print(table({name: summary(t, scales) for name, t in tallies.items()}))
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.plot:
        plot(args.plot, args.end, args.days, args.seed)


if __name__ == "__main__":
    main()
