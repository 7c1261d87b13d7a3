"""The forecaster: beats the seasonal-naive forecast on seasonal data with noise, knows the Hijri seasons."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from app.geo import load_ports
from app.ports import HOURS_PER_WEEK, hour_of_week, riyadh_day
from app.ports.forecast import LONG_HISTORY_H, SHORT_HISTORY_H, forecast, history_needed, seasonal_naive
from app.ports.seasons import hijri_day, previous_occurrence, season_of, to_day
from app.settings import DATA_DIR
from app.simulation.ports import hourly_history

#: Monday 2026-11-02 00:00 Riyadh, as an epoch hour.
MONDAY = to_day(date(2026, 11, 2)) * 24 - 3


def synthetic(weeks: int, level: float, seed: int, noise: float = 0.08) -> np.ndarray:
    """Hourly counts [hour, direction, kind] with a daily and weekly cycle, a day-to-day wobble and
    Poisson noise; the week starts on a Monday (Riyadh)."""
    rng = np.random.default_rng(seed)
    hours = weeks * HOURS_PER_WEEK
    h = np.arange(hours)
    daily = 1 + 0.6 * np.sin(2 * np.pi * ((h % 24) - 9) / 24)
    weekday = (h // 24) % 7
    weekly = np.where(weekday == 3, 1.5, np.where(weekday == 4, 0.7, 1.0))  # busy Thursday, quiet Friday
    wobble = np.exp(rng.normal(0, noise, hours // 24 + 1))[h // 24]
    mix = np.array([0.3, 0.4, 0.2, 0.1, 0.35])
    directions = np.array([1.0, 0.8])
    rate = level * (daily * weekly * wobble)[:, None, None] * mix[None, None, :] * directions[None, :, None]
    return rng.poisson(rate)


def mae(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


@pytest.mark.parametrize(("level", "seed"), [(8.0, 1), (60.0, 2), (900.0, 3)])
def test_beats_seasonal_naive_on_seasonal_data_with_noise(level, seed):
    data = synthetic(14, level, seed)
    model_errors, naive_errors = [], []
    for origin in range(9 * HOURS_PER_WEEK, 14 * HOURS_PER_WEEK - 72, 29):  # rolling origin
        f = forecast(data[:origin], MONDAY, 72)
        truth = data[origin : origin + 72, :, :4].sum(axis=2)
        model_errors.append(mae(f.travellers, truth))
        naive_errors.append(mae(seasonal_naive(data[:origin, :, :4].sum(axis=2), 72), truth))
    assert np.mean(model_errors) < 0.9 * np.mean(naive_errors)


def test_forecast_shape_interval_and_cycle():
    data = synthetic(10, 200.0, 4)
    f = forecast(data, MONDAY, 72)
    assert f.mean.shape == (72, 2, 5) and f.lower.shape == f.upper.shape == (72, 2)
    assert f.first_hour == MONDAY + len(data)
    assert (f.lower >= 0).all() and (f.lower <= f.travellers).all() and (f.travellers <= f.upper).all()
    # the daily cycle survives: the forecast peaks in the afternoon and bottoms out at night
    hours = [(f.first_hour + h + 3) % 24 for h in range(72)]
    peak, trough = hours[int(np.argmax(f.travellers[:, 0]))], hours[int(np.argmin(f.travellers[:, 0]))]
    assert 12 <= peak <= 18 and (trough >= 21 or trough <= 6)
    assert f.history_hours == len(data)


def test_the_interval_covers_most_actuals():
    data = synthetic(16, 150.0, 5)
    inside = total = 0
    for origin in range(10 * HOURS_PER_WEEK, 16 * HOURS_PER_WEEK - 72, 31):
        f = forecast(data[:origin], MONDAY, 72)
        truth = data[origin : origin + 72, :, :4].sum(axis=2)
        inside += int(((truth >= f.lower) & (truth <= f.upper)).sum())
        total += truth.size
    assert 0.65 <= inside / total <= 0.95


def test_little_or_no_history():
    nothing = forecast(np.zeros((0, 2, 5)), MONDAY, 24)
    assert nothing.mean.shape == (24, 2, 5) and not nothing.mean.any() and nothing.history_hours == 0
    three_days = forecast(synthetic(1, 50.0, 6)[:72], MONDAY, 24)
    assert three_days.mean.shape == (24, 2, 5) and three_days.travellers.sum() > 0


def test_hijri_windows_fall_on_umm_al_qura_dates():
    # Umm al-Qura: 1 Ramadan 1447 = 18 February 2026; 8 Dhu al-Hijjah 1447 = 25 May 2026.
    assert hijri_day(1447, 9, 1) == to_day(date(2026, 2, 18))
    assert hijri_day(1447, 12, 8) == to_day(date(2026, 5, 25))
    ramadan = season_of(to_day(date(2026, 2, 18)))
    assert ramadan is not None and ramadan.window.name == "ramadan" and ramadan.offset == 0
    hajj = season_of(to_day(date(2026, 5, 25)) + 3)
    assert hajj is not None and hajj.window.name == "hajj" and hajj.offset == 3 and hajj.year == 1447
    assert previous_occurrence(hajj) == hijri_day(1446, 12, 8) + 3
    assert season_of(to_day(date(2026, 11, 28))) is None


def test_history_needed_reaches_back_a_hijri_year_near_a_season():
    quiet = to_day(date(2026, 11, 28)) * 24
    before_hajj = (hijri_day(1447, 12, 8) - 20) * 24
    assert history_needed(quiet, 72) == SHORT_HISTORY_H
    assert history_needed(before_hajj, 72) == LONG_HISTORY_H


@pytest.fixture(scope="module")
def jeddah() -> tuple[int, np.ndarray]:
    """Two years of the simulator's Jeddah airport, with Hajj and Umrah on their Hijri dates."""
    ports = {k: v for k, v in load_ports(DATA_DIR / "ksa_ports.csv").items() if k == "air-jed"}
    first = to_day(date(2024, 11, 1)) * 24
    hours = to_day(date(2026, 8, 1)) * 24 - first
    (_, counts), = hourly_history(ports, first, hours, np.random.default_rng(11))
    return first, counts


def test_learns_hajj_from_last_hijri_year(jeddah):
    first, counts = jeddah
    hajj = hijri_day(1447, 12, 8)
    model, naive, seasonal_days = [], [], []
    for day in range(hajj - 30, hajj + 25, 3):  # the run-up to Hajj and the departures after it
        origin = day * 24 + 6 - first
        span = history_needed(first + origin, 72)
        f = forecast(counts[origin - span : origin], first + origin - span, 72)
        truth = counts[origin : origin + 72, :, :4].sum(axis=2)
        model.append(mae(f.travellers, truth))
        naive.append(mae(seasonal_naive(counts[:origin, :, :4].sum(axis=2), 72), truth))
        seasonal_days.append(f.seasonal_days)
    assert min(seasonal_days) > 0
    assert np.mean(model) < 0.6 * np.mean(naive)


def test_hour_of_week_is_riyadh_time():
    assert hour_of_week(MONDAY) == 0
    assert hour_of_week(MONDAY + 3 * 24 + 18) == 3 * 24 + 18  # Thursday 18:00
    assert riyadh_day(MONDAY) == to_day(date(2026, 11, 2))
