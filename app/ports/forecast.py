"""Hourly forecasts of a port's traffic, per direction and kind, with an 80% interval.

The model is multiplicative, each piece estimated from the port's own history:

    expected(hour) = level × week profile(hour of week) × season(Hijri day) × recent anomaly(hour)

* **season** — for a day inside a Hijri season window (:mod:`.seasons`), last Hijri year's ratio at
  the same offset from the anchor: that day's count over the same weekday's mean on the 28 days
  nearest last year's window that lie outside every season (so Hajj is not measured against the
  end of Ramadan) — a 3-day mean, so one odd day does not make a season. History is
  divided by it before anything else is estimated, so a season in progress does not pass for a new
  level. Without a year of history the factor is 1.
* **week profile** — the shape of each of the last :data:`WEEKS` weeks (hour count ÷ that week's
  mean), averaged with more weight on recent weeks; series with few travellers (pilgrims at a small
  port, say) borrow the shape of all travellers of that direction, in proportion to how thin they are.
* **level** — the mean hourly count of the last week.
* **recent anomaly** — how far the last 24 hours ran above or below the model, fading by half a
  day ahead (a busy spell tends to last a day or two).

The interval comes from the model's own errors: it is backtested from :data:`CALIBRATION_ORIGINS`
origins in the three weeks before now, and the 10th and 90th percentiles of the errors — scaled by
a variance that grows like Poisson noise for small counts and proportionally for large ones — are
kept for each day ahead. ``docs/ports.md`` compares the model with the seasonal-naive forecast
(same hour last week) on held-out history.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import CATEGORIES, HOURS_PER_WEEK, RIYADH_OFFSET_H, riyadh_day
from .seasons import season_of, window_days

WEEKS = 6
#: Weight of each earlier week in the profile, relative to the one after it.
WEEK_DECAY = 0.8
#: A series with this many counts per hour-of-week slot (over all the weeks) keeps half its own shape.
SHRINK_COUNTS = 30.0
#: The recent anomaly counts fully at the forecast origin and fades by this factor per day ahead.
ANOMALY_FADE = 0.5
ANOMALY_PRIOR = 20.0
#: Backtest origins for the interval: one every 25 hours (so every hour of day comes up), ending a
#: week before now so each has a week of actuals after it.
CALIBRATION_ORIGINS = 14
LOWER_Q, UPPER_Q = 0.10, 0.90
#: Ordinary days (outside every season window) a season is measured against: four of each weekday.
BASELINE_DAYS = 28
#: Hours of history the model can use: the profile weeks, the backtests, and a Hijri year and a bit.
SHORT_HISTORY_H = (WEEKS + 1) * HOURS_PER_WEEK + 7 * 24 + CALIBRATION_ORIGINS * 25
LONG_HISTORY_H = 520 * 24


@dataclass(frozen=True)
class Forecast:
    """Expected counts per hour ``[hour, direction, kind]`` from epoch hour ``first_hour``, and the
    80% interval ``[hour, direction]`` of the travellers (all categories) of each direction."""

    first_hour: int
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    history_hours: int
    seasonal_days: int

    @property
    def travellers(self) -> np.ndarray:
        """Expected travellers ``[hour, direction]``."""
        return self.mean[:, :, : len(CATEGORIES)].sum(axis=2)


def history_needed(origin: int, horizon: int) -> int:
    """Hours of history to read for a forecast from ``origin``: a Hijri year and a bit when a season
    window touches the weeks the model looks at or the hours it forecasts, else only those weeks."""
    first_day = riyadh_day(origin - SHORT_HISTORY_H)
    last_day = riyadh_day(origin + horizon - 1)
    if any(season_of(day) is not None for day in range(first_day, last_day + 1)):
        return LONG_HISTORY_H
    return SHORT_HISTORY_H


# --- seasons -----------------------------------------------------------------------------------


def _daily(hist: np.ndarray, first_hour: int) -> tuple[np.ndarray, int]:
    """Daily totals by Riyadh day ``[day, direction, kind]`` and the first day's number."""
    lead = (first_hour + RIYADH_OFFSET_H) % 24
    n_days = -(-(lead + len(hist)) // 24)
    padded = np.zeros((n_days * 24, *hist.shape[1:]))
    padded[lead : lead + len(hist)] = hist
    return padded.reshape(n_days, 24, *hist.shape[1:]).sum(axis=1), riyadh_day(first_hour)


def _window_ratios(daily: np.ndarray, day0: int, window, year: int) -> np.ndarray | None:
    """Last Hijri year's ratios over ``window`` (``[offset, direction, kind]``), or None if the
    history does not reach back to it."""
    previous = window_days(window, year - 1)
    if previous is None:
        return None
    span = range(previous.start - 1, previous.stop + 1)  # a day either side for the 3-day mean
    if span.stop > day0 + len(daily):
        return None
    base = ordinary_days_around(previous.start, previous.stop)
    if base[0] < day0 or base[-1] >= day0 + len(daily):
        return None
    baseline = daily[base - day0]
    if baseline[..., : len(CATEGORIES)].sum() == 0:
        return None  # the archive has a hole there
    weekday = (base + 3) % 7
    by_weekday = np.stack([baseline[weekday == w].mean(axis=0) for w in range(7)])
    actual = daily[span.start - day0 : span.stop - day0]
    expected = by_weekday[(np.arange(span.start, span.stop) + 3) % 7]
    num = actual[:-2] + actual[1:-1] + actual[2:]
    den = expected[:-2] + expected[1:-1] + expected[2:]
    return (num + 1.5) / (den + 1.5)


def ordinary_days_around(first: int, stop: int) -> np.ndarray:
    """The :data:`BASELINE_DAYS` days nearest to days ``first`` … ``stop − 1``, on either side,
    that fall in no season window — four of each weekday."""
    found: list[int] = []
    per_weekday = [0] * 7
    for step in range(1, 400):
        for d in (first - step, stop - 1 + step):
            if season_of(d) is None and per_weekday[(d + 3) % 7] < BASELINE_DAYS // 7:
                found.append(d)
                per_weekday[(d + 3) % 7] += 1
        if len(found) == BASELINE_DAYS:
            break
    return np.array(sorted(found))


def season_factors(hist: np.ndarray, first_hour: int, last_hour: int) -> tuple[np.ndarray, int]:
    """Season factors ``[hour, direction, kind]`` for epoch hours ``first_hour`` … ``last_hour − 1``
    (which may run past the history), and how many of those days had one."""
    daily, day0 = _daily(hist, first_hour)
    days = range(riyadh_day(first_hour), riyadh_day(last_hour - 1) + 1)
    factors = np.ones((len(days), *hist.shape[1:]))
    ratios: dict[tuple[str, int], np.ndarray | None] = {}
    seasonal = 0
    for i, day in enumerate(days):
        season = season_of(day)
        if season is None:
            continue
        key = (season.window.name, season.year)
        if key not in ratios:
            ratios[key] = _window_ratios(daily, day0, season.window, season.year)
        found = ratios[key]
        if found is not None:
            factors[i] = found[season.offset - season.window.first]
            seasonal += 1
    hours = np.arange(first_hour, last_hour)
    return factors[(hours + RIYADH_OFFSET_H) // 24 - days.start], seasonal


# --- the point forecast ------------------------------------------------------------------------


def point_forecast(adjusted: np.ndarray, future_factors: np.ndarray) -> np.ndarray:
    """Expected counts for ``len(future_factors)`` hours after the end of ``adjusted`` (history
    already divided by its season factors), ``[hour, direction, kind]``."""
    horizon = len(future_factors)
    weeks = min(WEEKS, len(adjusted) // HOURS_PER_WEEK)
    if weeks == 0:
        level = adjusted.mean(axis=0) if len(adjusted) else np.zeros(adjusted.shape[1:])
        return level[None] * future_factors
    recent = adjusted[len(adjusted) - weeks * HOURS_PER_WEEK :]
    block = recent.reshape(weeks, HOURS_PER_WEEK, *adjusted.shape[1:])
    weekly = block.mean(axis=1)  # [week, direction, kind]
    weights = WEEK_DECAY ** np.arange(weeks - 1, -1, -1)
    shape = np.divide(block, weekly[:, None], out=np.ones_like(block), where=weekly[:, None] > 0)
    own = np.tensordot(weights, shape, axes=1) / weights.sum()
    travellers = block[..., : len(CATEGORIES)].sum(axis=-1)
    t_weekly = travellers.mean(axis=1)
    t_shape = np.divide(
        travellers, t_weekly[:, None], out=np.ones_like(travellers), where=t_weekly[:, None] > 0
    )
    common = (np.tensordot(weights, t_shape, axes=1) / weights.sum())[..., None]
    per_slot = block.sum(axis=(0, 1)) / HOURS_PER_WEEK
    trust = per_slot / (per_slot + SHRINK_COUNTS)
    profile = trust * own + (1 - trust) * common  # [hour of week, direction, kind]
    level = weekly[-1]
    # The last 24 hours against the model: a spell above or below it fades by half a day ahead.
    fitted = level * profile[-24:]
    anomaly = (adjusted[-24:].sum(axis=0) + ANOMALY_PRIOR) / (fitted.sum(axis=0) + ANOMALY_PRIOR)
    fade = ANOMALY_FADE ** ((np.arange(horizon) + 1) / 24)
    persistence = anomaly[None] ** fade[:, None, None]
    return level * profile[np.arange(horizon) % HOURS_PER_WEEK] * persistence * future_factors


def seasonal_naive(hist: np.ndarray, horizon: int) -> np.ndarray:
    """The benchmark: each hour as it was the same hour a week before (repeated weekly beyond)."""
    last_week = hist[len(hist) - HOURS_PER_WEEK :]
    return last_week[np.arange(horizon) % HOURS_PER_WEEK].astype(float)


# --- the whole forecast ------------------------------------------------------------------------


def _scale(mean: np.ndarray, dispersion: float) -> np.ndarray:
    return np.sqrt(mean + dispersion * mean**2 + 0.25)


def forecast(hist: np.ndarray, first_hour: int, horizon: int) -> Forecast:
    """Forecast the ``horizon`` hours after the history ``hist`` (``[hour, direction, kind]`` counts
    from epoch hour ``first_hour``), with the 80% interval of each direction's travellers."""
    hist = np.asarray(hist, dtype=float)
    origin = first_hour + len(hist)
    factors, seasonal_days = season_factors(hist, first_hour, origin + horizon)
    adjusted = hist / factors[: len(hist)]
    mean = point_forecast(adjusted, factors[len(hist) : len(hist) + horizon])
    travellers = mean[:, :, : len(CATEGORIES)].sum(axis=2)
    dispersion, quantiles = _calibrate(hist, adjusted, factors)
    day = np.minimum(np.arange(horizon) // 24, len(quantiles) - 1)
    spread = _scale(travellers, dispersion)
    lower = np.maximum(0.0, travellers + quantiles[day, 0][:, None] * spread)
    upper = travellers + quantiles[day, 1][:, None] * spread
    used = int((hist.sum(axis=(1, 2)) > 0).sum())
    return Forecast(origin, mean, lower, upper, used, seasonal_days)


def _calibrate(hist: np.ndarray, adjusted: np.ndarray, factors: np.ndarray) -> tuple[float, np.ndarray]:
    """The dispersion and the per-day-ahead error quantiles ``[day, (lower, upper)]`` from backtests."""
    week = 7 * 24
    actual, predicted = [], []
    for j in range(CALIBRATION_ORIGINS):
        cut = len(hist) - week - j * 25
        if cut < 2 * HOURS_PER_WEEK:
            break
        p = point_forecast(adjusted[:cut], factors[cut : cut + week])[:, :, : len(CATEGORIES)].sum(axis=2)
        actual.append(hist[cut : cut + week, :, : len(CATEGORIES)].sum(axis=2))
        predicted.append(p)
    if len(actual) < 3:
        return 0.01, np.array([[-1.2816, 1.2816]] * 7)  # Normal 80%, a 10% proportional error
    y, p = np.stack(actual), np.stack(predicted)  # [origin, hour, direction]
    dispersion = float(max(0.0, ((y - p) ** 2 - p).sum() / max((p**2).sum(), 1e-9)))
    z = (y - p) / _scale(p, dispersion)
    by_day = z.reshape(len(z), 7, 24, z.shape[-1]).transpose(1, 0, 2, 3).reshape(7, -1)
    return dispersion, np.quantile(by_day, [LOWER_Q, UPPER_Q], axis=1).T
