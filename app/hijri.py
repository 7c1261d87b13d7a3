"""The Umm al-Qura (Hijri) calendar as Riyadh days: the one piece the port forecaster
(:mod:`app.ports.seasons`) and the simulator (:mod:`app.simulation.pilgrimage`) share.

Days are Riyadh calendar days counted from 1970-01-01. Dates come from ``hijridate`` (Umm al-Qura
tables, 1343–1500 AH); outside them a conversion answers ``None``. Pure: imports nothing of Basira.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from hijridate import Gregorian, Hijri

EPOCH = date(1970, 1, 1)


def to_day(d: date) -> int:
    return (d - EPOCH).days


def from_day(day: int) -> date:
    return EPOCH + timedelta(days=day)


@lru_cache(maxsize=4096)
def hijri_day(hijri_year: int, month: int, day: int) -> int | None:
    """The Riyadh day of a Hijri date, or None outside the Umm al-Qura tables."""
    try:
        g = Hijri(hijri_year, month, day).to_gregorian()
    except (ValueError, OverflowError):
        return None
    return to_day(date(g.year, g.month, g.day))


@lru_cache(maxsize=65536)
def hijri_year(day: int) -> int | None:
    """The Hijri (Umm al-Qura) year of a Riyadh day, or None outside the tables."""
    d = from_day(day)
    try:
        return Gregorian(d.year, d.month, d.day).to_hijri().year
    except (ValueError, OverflowError):
        return None
