"""The Hijri seasons that move port traffic: Ramadan (the Umrah peak, then Eid al-Fitr) and Hajj.

Both follow the Umm al-Qura calendar, so they come about eleven days earlier every Gregorian year:
a forecaster that only knows the week cannot see them coming, and one that compares with the same
Gregorian date last year looks in the wrong place. A season here is a *window* of days around an
anchor date — 1 Ramadan, 8 Dhu al-Hijjah — and a day inside it is known by its offset from the
anchor, which lines up this year's season with last year's day by day.

Dates come from ``hijridate`` (Umm al-Qura tables, 1343–1500 AH); outside them there is no season.
Days are Riyadh calendar days counted from 1970-01-01.
"""

from __future__ import annotations

from dataclasses import dataclass

# The calendar itself is shared with the simulator; these names stay importable from here.
from ..hijri import EPOCH, from_day, hijri_day, hijri_year, to_day

__all__ = [
    "EPOCH", "WINDOWS", "SeasonDay", "Window", "from_day", "hijri_day", "hijri_year",
    "previous_occurrence", "season_of", "to_day", "window_days",
]


@dataclass(frozen=True)
class Window:
    """Days ``first``…``last`` (inclusive) around the anchor Hijri month/day of each year."""

    name: str
    month: int
    day: int
    first: int
    last: int

    def __len__(self) -> int:
        return self.last - self.first + 1


#: Ramadan: Umrah arrivals from a week before it, the last ten nights, Eid al-Fitr, the departures
#: after it. Hajj: arrivals through Dhu al-Qa'dah, the days of Hajj (8–13 Dhu al-Hijjah) with Eid
#: al-Adha, and the departures over the following weeks. The two never overlap (they are ~97 days apart).
WINDOWS: tuple[Window, ...] = (
    Window("ramadan", 9, 1, -10, 50),
    Window("hajj", 12, 8, -40, 45),
)


@dataclass(frozen=True)
class SeasonDay:
    """A day inside a season window: which window, its offset from the anchor, and the Hijri year."""

    window: Window
    offset: int
    year: int


def season_of(day: int) -> SeasonDay | None:
    """The season window a Riyadh day falls in, if any."""
    year = hijri_year(day)
    if year is None:
        return None
    for window in WINDOWS:
        for y in (year - 1, year, year + 1):
            anchor = hijri_day(y, window.month, window.day)
            if anchor is not None and window.first <= day - anchor <= window.last:
                return SeasonDay(window, day - anchor, y)
    return None


def previous_occurrence(season: SeasonDay) -> int | None:
    """The Riyadh day, one Hijri year earlier, at the same offset from that year's anchor."""
    anchor = hijri_day(season.year - 1, season.window.month, season.window.day)
    return None if anchor is None else anchor + season.offset


def window_days(window: Window, year: int) -> range | None:
    """The Riyadh days of ``window`` in Hijri year ``year``."""
    anchor = hijri_day(year, window.month, window.day)
    return None if anchor is None else range(anchor + window.first, anchor + window.last + 1)
