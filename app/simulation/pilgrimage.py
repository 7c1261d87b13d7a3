"""When the pilgrims come and go, and when the Kingdom travels for Eid — by Umm al-Qura date.

This is the simulator's ground truth for the seasons of the port history it writes (the forecaster
never reads it: it learns each season from last year's history instead). Shapes are piecewise
linear in days from an anchor, between 0 (no season) and 1 (the season's full strength):

* **Hajj** (anchor 8 Dhu al-Hijjah): arrivals build over the five weeks before and stop as the days
  of Hajj begin; departures start after the days of Tashreeq and fade over five weeks.
* **Umrah in Ramadan** (anchor 1 Ramadan): arrivals all month, strongest in the last ten nights;
  departures mostly after Eid al-Fitr.
* **Eid holidays** (1 Shawwal and 10 Dhu al-Hijjah): citizens and residents leave just before Eid
  and come back a few days after, by road to the Gulf states above all.

A port's pilgrim multiplier at full strength is the simulator's ``PILGRIM_BOOST`` for the season.
"""

from __future__ import annotations

import numpy as np

from ..hijri import hijri_day, hijri_year

# (offset in days, strength) keypoints; outside the first and last keypoint the strength is 0.
HAJJ_ARRIVAL = ((-35, 0.0), (-10, 1.0), (-2, 1.0), (1, 0.0))
HAJJ_DEPARTURE = ((3, 0.0), (6, 1.0), (20, 1.0), (40, 0.0))
UMRAH_ARRIVAL = ((-7, 0.0), (0, 0.6), (19, 0.6), (20, 1.0), (27, 1.0), (30, 0.0))
UMRAH_DEPARTURE = ((-1, 0.0), (0, 0.3), (19, 0.3), (29, 1.0), (36, 1.0), (50, 0.0))
EID_LEAVE = ((-4, 0.0), (-3, 1.0), (1, 1.0), (2, 0.0))
EID_RETURN = ((2, 0.0), (3, 1.0), (7, 1.0), (8, 0.0))
#: Citizens and residents travelling for Eid, at full strength: ×1.8 their usual flow.
EID_BOOST = {"gcc": 0.8, "land": 0.5, "air": 0.4, "sea": 0.2}

ANCHORS = {"hajj": (12, 8), "umrah": (9, 1), "eid_fitr": (10, 1), "eid_adha": (12, 10)}


def _strength(offsets: np.ndarray, keypoints: tuple[tuple[int, float], ...]) -> np.ndarray:
    ks, vs = zip(*keypoints, strict=True)
    return np.interp(offsets, ks, vs, left=0.0, right=0.0)


def _offsets(days: np.ndarray, anchor: str) -> np.ndarray:
    """Each day's offset from the nearest anchor (previous, this or next Hijri year)."""
    month, day = ANCHORS[anchor]
    out = np.full(len(days), 10_000, dtype=np.int64)
    years = {hijri_year(int(d)) for d in days} - {None}
    for year in sorted({y + k for y in years for k in (-1, 0, 1)}):
        at = hijri_day(year, month, day)
        if at is None:
            continue
        offset = days - at
        out = np.where(np.abs(offset) < np.abs(out), offset, out)
    return out


def season_multipliers(
    days: np.ndarray, hajj_boost: float, umrah_boost: float, port_class: str
) -> np.ndarray:
    """Multipliers of the usual flow for Riyadh days ``days``: ``[day, direction, category]``.

    Directions are arrival, departure; categories citizen, resident, visitor, pilgrim.
    """
    days = np.asarray(days, dtype=np.int64)
    out = np.ones((len(days), 2, 4))
    hajj = _offsets(days, "hajj")
    umrah = _offsets(days, "umrah")
    out[:, 0, 3] += (hajj_boost - 1) * _strength(hajj, HAJJ_ARRIVAL)
    out[:, 1, 3] += (hajj_boost - 1) * _strength(hajj, HAJJ_DEPARTURE)
    out[:, 0, 3] += (umrah_boost - 1) * _strength(umrah, UMRAH_ARRIVAL)
    out[:, 1, 3] += (umrah_boost - 1) * _strength(umrah, UMRAH_DEPARTURE)
    eid = EID_BOOST.get(port_class, 0.0)
    for anchor in ("eid_fitr", "eid_adha"):
        k = _offsets(days, anchor)
        out[:, 1, :2] += eid * _strength(k, EID_LEAVE)[:, None]
        out[:, 0, :2] += eid * _strength(k, EID_RETURN)[:, None]
    return out
