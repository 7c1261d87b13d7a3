"""When things happen: the daily and weekly rhythm of incidents and of port traffic, and the seasons.

Everything runs on Riyadh time (UTC+3, no daylight saving); the weekend is Friday–Saturday. A
profile is a 7 × 24 table of factors (Monday first, hour 0 first), normalised so the week averages
1: a rate multiplied by it keeps its weekly mean. Between whole hours the factor is interpolated, so
a rate never jumps at the top of the hour.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
RIYADH_OFFSET_MS = 3 * HOUR_MS
#: 1970-01-01 (day 0 of the epoch) was a Thursday; weekdays count from Monday = 0.
_EPOCH_WEEKDAY = 3

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

Season = Literal["none", "hajj", "umrah"]
SEASONS: tuple[str, ...] = ("none", "hajj", "umrah")


def riyadh_hour(ts_ms: int) -> float:
    """Hours since Monday 00:00 Riyadh time, 0 ≤ h < 168, for the week containing ``ts_ms``."""
    local = ts_ms + RIYADH_OFFSET_MS
    weekday = (local // DAY_MS + _EPOCH_WEEKDAY) % 7
    return weekday * 24 + (local % DAY_MS) / HOUR_MS


class Profile:
    """A weekly rhythm: factor(ts) with a weekly mean of 1."""

    def __init__(self, table: Sequence[Sequence[float]]) -> None:
        flat = [float(v) for day in table for v in day]
        if len(flat) != 168 or min(flat) < 0:
            raise ValueError("a profile is 7 days × 24 non-negative hourly factors")
        mean = sum(flat) / len(flat)
        self.hours = tuple(v / mean for v in flat)
        self.peak = max(self.hours)

    def factor(self, ts_ms: int) -> float:
        """The rhythm at ``ts_ms`` (linear between whole hours)."""
        h = riyadh_hour(ts_ms)
        i = int(h)
        frac = h - i
        return self.hours[i] * (1.0 - frac) + self.hours[(i + 1) % 168] * frac


def _week(hours: Sequence[float], *tweaks: tuple[Sequence[int], range, float]) -> list[list[float]]:
    """The same day seven times, with (days, hours, multiplier) tweaks applied."""
    table = [list(hours) for _ in range(7)]
    for days, span, factor in tweaks:
        for d in days:
            for h in span:
                table[d][h] *= factor
    return table


# --- incidents -------------------------------------------------------------------------------

_INCIDENT_DAY = (
    0.95, 0.80, 0.65, 0.50, 0.42, 0.45, 0.60, 0.85, 0.95, 0.95, 0.95, 1.00,
    1.00, 1.00, 1.05, 1.10, 1.15, 1.20, 1.25, 1.30, 1.35, 1.35, 1.25, 1.10,
)  # fmt: skip

#: Quiet before dawn, busy in the evening; Thursday and Friday nights (the weekend's eves) busiest;
#: Friday morning, until the noon prayer, the quietest time of the week.
INCIDENTS = Profile(
    _week(
        _INCIDENT_DAY,
        ((THU, FRI), range(20, 24), 1.2),
        ((FRI, SAT), range(0, 4), 1.3),
        ((FRI,), range(5, 12), 0.65),
    )
)

# --- ports -----------------------------------------------------------------------------------

_LAND_DAY = (
    0.40, 0.30, 0.25, 0.20, 0.20, 0.30, 0.50, 0.80, 1.00, 1.10, 1.10, 1.10,
    1.10, 1.10, 1.20, 1.30, 1.40, 1.50, 1.60, 1.60, 1.50, 1.30, 1.00, 0.70,
)  # fmt: skip
_AIR_DAY = (
    0.85, 0.95, 1.00, 0.90, 0.70, 0.60, 0.70, 0.90, 1.00, 1.00, 1.00, 1.00,
    1.00, 1.00, 1.00, 1.10, 1.10, 1.10, 1.10, 1.10, 1.10, 1.10, 1.00, 0.90,
)  # fmt: skip
_SEA_DAY = (
    0.10, 0.10, 0.10, 0.10, 0.10, 0.20, 0.50, 1.00, 1.60, 1.80, 1.80, 1.60,
    1.50, 1.50, 1.60, 1.60, 1.50, 1.30, 1.00, 0.80, 0.60, 0.40, 0.20, 0.10,
)  # fmt: skip

#: Neighbours whose citizens and Saudi weekenders cross by road for the weekend.
GCC = frozenset({"BHR", "ARE", "QAT", "KWT", "OMN"})

PORT_PROFILES: dict[tuple[str, str], Profile] = {
    # Thursday afternoon and evening: the weekend exodus to Bahrain, the Emirates, Qatar, Kuwait;
    # Saturday evening: everybody comes home. Friday is busier than a working day both ways.
    ("gcc", "departure"): Profile(
        _week(
            _LAND_DAY,
            ((THU,), range(13, 24), 2.2),
            ((FRI,), range(0, 2), 1.6),
            ((FRI,), range(2, 24), 1.3),
        )
    ),
    ("gcc", "arrival"): Profile(
        _week(
            _LAND_DAY,
            ((SAT,), range(14, 24), 2.0),
            ((FRI,), range(14, 24), 1.3),
            ((THU,), range(16, 24), 1.3),
        )
    ),
    ("land", "departure"): Profile(_week(_LAND_DAY, ((FRI,), range(24), 0.8), ((SAT, SUN), range(24), 1.1))),
    ("land", "arrival"): Profile(_week(_LAND_DAY, ((FRI,), range(24), 0.8), ((SAT, SUN), range(24), 1.1))),
    ("air", "departure"): Profile(_week(_AIR_DAY, ((THU,), range(24), 1.15), ((WED,), range(24), 1.05))),
    ("air", "arrival"): Profile(_week(_AIR_DAY, ((SAT, SUN), range(24), 1.12))),
    ("sea", "departure"): Profile(_week(_SEA_DAY, ((FRI,), range(24), 0.7))),
    ("sea", "arrival"): Profile(_week(_SEA_DAY, ((FRI,), range(24), 0.7))),
}


class Arrivals:
    """A Poisson process whose rate follows a weekly profile, by thinning (Lewis & Shedler).

    Candidates are drawn at the profile's peak rate and each is kept with probability
    rate(t) / peak, so the draws come only from the caller's seeded generator.
    """

    def __init__(self, mean_per_s: float, profile: Profile) -> None:
        if mean_per_s <= 0:
            raise ValueError("an arrival rate must be positive")
        self.mean_per_s = mean_per_s
        self.profile = profile
        self._peak = mean_per_s * profile.peak

    def rate(self, ts_ms: int) -> float:
        """Arrivals per second at ``ts_ms``."""
        return self.mean_per_s * self.profile.factor(ts_ms)

    def next_after(self, t_ms: int, rng: random.Random) -> int:
        """The time (epoch ms) of the next arrival after ``t_ms``."""
        t = t_ms
        while True:
            t += max(1, round(rng.expovariate(self._peak) * 1000))
            if rng.random() * self._peak <= self.rate(t):
                return t
