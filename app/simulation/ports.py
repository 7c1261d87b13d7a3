"""Border-port traffic: travellers per port, direction and category every minute, and the queue wait.

Each port has a yearly volume (international travellers, both directions — rough orders of
magnitude for a demo, not official statistics), a traveller mix by kind of port, and a weekly
rhythm (:mod:`.rhythm`). A Hajj or Umrah season multiplies the pilgrims, above all at Jeddah and
Madinah. Counts are Poisson draws around the expected flow. The wait is a fluid queue: passport
control is staffed for the hour's expected flow, though not in full proportion at the peaks (nor,
in season, to the crowds), and whoever it cannot clear waits their turn; so a Thursday evening at
the King Fahd Causeway builds a queue of two hours or more that drains overnight, while an ordinary
hour shows only the processing time. Ports not in the table get the typical volume and mix of
their kind.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..contract import Direction, PortEvent, Stream, TravellerCategory, to_fields
from ..geo import Port
from .pilgrimage import season_multipliers
from .rhythm import GCC, PORT_PROFILES

MINUTES_PER_YEAR = 365 * 24 * 60

#: International travellers per year, both directions, millions.
ANNUAL_M: dict[str, float] = {
    "land-king-fahd-causeway": 25.0, "land-salwa": 1.0, "land-al-batha": 3.0, "land-al-khafji": 2.0,
    "land-al-raqi": 1.0, "land-jadidat-arar": 0.8, "land-al-haditha": 3.0, "land-halat-ammar": 1.5,
    "land-al-durra": 0.2, "land-al-wadiah": 1.5, "land-al-tuwal": 0.3, "land-alb": 0.2,
    "land-al-khadra": 0.3,
    "air-jed": 25.0, "air-ruh": 14.0, "air-dmm": 5.0, "air-med": 4.0, "air-ahb": 0.3, "air-tif": 0.2,
    "air-elq": 0.3, "air-tuu": 0.2, "air-hof": 0.1, "air-ynb": 0.1, "air-giz": 0.05, "air-has": 0.1,
    "air-ulh": 0.1, "air-rsi": 0.05, "air-num": 0.05,
    "sea-jeddah": 0.8, "sea-duba": 0.4, "sea-yanbu": 0.05, "sea-dammam": 0.02, "sea-jazan": 0.02,
    "sea-jubail": 0.01,
}  # fmt: skip
DEFAULT_ANNUAL_M = {"land": 0.5, "air": 0.2, "sea": 0.02}

CATEGORIES: tuple[TravellerCategory, ...] = tuple(TravellerCategory)
DIRECTIONS: tuple[Direction, ...] = tuple(Direction)

#: Shares of citizen, resident, visitor, pilgrim.
MIX: dict[str, tuple[float, float, float, float]] = {
    "gcc": (0.50, 0.30, 0.19, 0.01),
    "land": (0.15, 0.45, 0.25, 0.15),
    "air": (0.35, 0.40, 0.18, 0.07),
    "sea": (0.10, 0.35, 0.15, 0.40),
    # Umrah goes on all year: pilgrims are a large share at the two holy cities' airports.
    "air-jed": (0.28, 0.34, 0.13, 0.25),
    "air-med": (0.20, 0.25, 0.10, 0.45),
}

#: Pilgrim multipliers by season: a port id, else its class.
PILGRIM_BOOST: dict[str, dict[str, float]] = {
    "none": {},
    "hajj": {"air-jed": 8.0, "air-med": 6.0, "sea-jeddah": 6.0, "air-tif": 3.0, "land": 4.0, "gcc": 3.0,
             "air": 2.0, "sea": 2.0},
    "umrah": {"air-jed": 2.5, "air-med": 2.5, "sea-jeddah": 2.0, "air-tif": 2.0, "land": 1.5, "gcc": 1.5,
              "air": 1.3, "sea": 1.3},
}  # fmt: skip

#: Minutes of processing with no queue at an ordinary hour (passport control, customs).
BASE_WAIT_MIN = {"land": 6.0, "gcc": 6.0, "air": 10.0, "sea": 20.0}
#: Passport control is staffed for the expected flow of the hour, but not in full proportion at
#: the peaks: it clears HEADROOM × mean × rhythm**STAFFING travellers a minute (at least
#: MIN_CAPACITY, two open desks), so the busiest evenings queue while ordinary hours do not.
CAPACITY_HEADROOM = 1.2
STAFFING = 0.75
MIN_CAPACITY = 2.0
#: In season, posts are staffed up, though not quite in step with the crowds.
SEASON_STAFFING = 0.85
#: Travellers per vehicle at a land crossing.
OCCUPANCY = {"gcc": 2.2, "land": 3.0}
MAX_WAIT_MIN = 600.0


def port_class(port: Port) -> str:
    """``gcc`` (a land crossing to a Gulf state), ``land``, ``air`` or ``sea``."""
    if port.kind == "land":
        return "gcc" if port.neighbor in GCC else "land"
    return port.kind if port.kind in ("air", "sea") else "land"


def expected_per_minute(port: Port) -> np.ndarray:
    """Travellers a minute per direction at an average hour out of season, by category."""
    annual = ANNUAL_M.get(port.id, DEFAULT_ANNUAL_M.get(port.kind, 0.2)) * 1e6
    return annual / 2 / MINUTES_PER_YEAR * np.array(MIX.get(port.id, MIX[port_class(port)]))


def pilgrim_boost(port: Port, season: str) -> float:
    """How many times the usual pilgrims a season brings to ``port`` at its height."""
    boosts = PILGRIM_BOOST[season]
    return boosts.get(port.id, boosts.get(port_class(port), 1.0))


class PortTraffic:
    """Every port's minute-by-minute counts and queues, drawn from a seeded numpy generator."""

    def __init__(self, ports: dict[str, Port], season: str, rng: np.random.Generator) -> None:
        if season not in PILGRIM_BOOST:
            raise ValueError(f"unknown season {season!r}: expected one of {', '.join(PILGRIM_BOOST)}")
        self.rng = rng
        self.ports = [ports[k] for k in sorted(ports)]
        self.classes = [port_class(p) for p in self.ports]
        base = np.zeros((len(self.ports), len(CATEGORIES)))
        capacity = np.zeros(len(self.ports))
        for i, port in enumerate(self.ports):
            usual = expected_per_minute(port)
            boosted = usual.copy()
            boosted[3] *= pilgrim_boost(port, season)
            base[i] = boosted
            in_season = float(boosted.sum() / usual.sum()) ** SEASON_STAFFING
            capacity[i] = usual.sum() * CAPACITY_HEADROOM * in_season
        self._base = base  # expected travellers per minute per direction, by category
        self._capacity = capacity  # travellers cleared per minute at an average hour
        self._backlog = np.zeros((len(self.ports), len(DIRECTIONS)))
        self._base_wait = np.array([BASE_WAIT_MIN[c] for c in self.classes])
        pairs = zip(self.ports, self.classes, strict=True)
        self._occupancy = [OCCUPANCY.get(c) if p.kind == "land" else None for p, c in pairs]

    def step(self, ts: int) -> tuple[np.ndarray, np.ndarray]:
        """Draw the minute ending at ``ts``: travellers [port, direction, category] and the queue
        wait in minutes [port, direction] (ports in id order).
        """
        factors = np.array(
            [[PORT_PROFILES[(cls, d.value)].factor(ts) for d in DIRECTIONS] for cls in self.classes]
        )
        counts = self.rng.poisson(factors[:, :, None] * self._base[:, None, :])
        capacity = np.maximum(MIN_CAPACITY, self._capacity[:, None] * factors**STAFFING)
        self._backlog = np.maximum(0.0, self._backlog + counts.sum(axis=2) - capacity)
        # Busier hours are slower even without a queue (fuller halls, longer lines at each desk).
        load = np.minimum(1.2, factors * self._base.sum(axis=1)[:, None] / capacity)
        processing = self._base_wait[:, None] * (0.6 + 0.6 * load)
        waits = processing + np.minimum(MAX_WAIT_MIN, self._backlog / capacity)
        return counts, waits

    def counted(self, ts: int) -> list[tuple[int, Direction, TravellerCategory, int, int | None, float]]:
        """The minute ending at ``ts`` as values: (port index, direction, category, travellers,
        vehicles, wait in minutes), one per port, direction and category with travellers, or one with
        zero travellers when a port-direction saw nobody (to carry its wait). Advances the traffic."""
        counts, waits = self.step(ts)
        out = []
        for i in range(len(self.ports)):
            occupancy = self._occupancy[i]
            for j, direction in enumerate(DIRECTIONS):
                wait = round(float(waits[i, j]), 1)
                row = counts[i, j]
                for k in [k for k in range(len(CATEGORIES)) if row[k] > 0] or [0]:
                    travellers = int(row[k])
                    vehicles = None
                    if occupancy is not None:
                        vehicles = max(1, round(travellers / occupancy)) if travellers else 0
                    out.append((i, direction, CATEGORIES[k], travellers, vehicles, wait))
        return out

    def minute(self, ts: int) -> list[tuple[Stream, dict[str, str]]]:
        """The entries for the minute ending at ``ts`` (:meth:`counted`, as the stream's entries)."""
        if not self.ports:
            return []
        return [
            (Stream.ports, to_fields(PortEvent(port=self.ports[i].id, direction=d, category=c, travellers=n,
                                               vehicles=vehicles, wait_min=wait, ts=ts)))
            for i, d, c, n, vehicles, wait in self.counted(ts)
        ]


# --- weeks of history at once ----------------------------------------------------------------

#: Day-to-day swings of a port's volume around its rhythm (weather, fares, events): the log of the
#: level follows an AR(1) with this daily standard deviation and persistence.
DAILY_NOISE_SD = 0.06
DAILY_NOISE_AR = 0.6
#: Traffic grows from year to year; a history ends at today's volume.
ANNUAL_GROWTH = 0.05


def _profile_table(cls: str) -> np.ndarray:
    """The weekly factors of a port class as [hour of week, direction], averaged over each hour."""
    table = np.array([PORT_PROFILES[(cls, d.value)].hours for d in DIRECTIONS]).T
    return (table + np.roll(table, -1, axis=0)) / 2  # the factor at half past, between whole hours


def hourly_history(
    ports: dict[str, Port], first_hour: int, hours: int, rng: np.random.Generator
) -> Iterator[tuple[str, np.ndarray]]:
    """Hourly counts for ``hours`` epoch hours from ``first_hour``, port by port (in id order).

    Yields ``(port id, counts)`` with counts shaped ``[hour, direction, kind]``: the four traveller
    categories, then vehicles (land crossings; zero elsewhere). The weekly rhythm is the live
    simulator's; the pilgrim seasons and Eid holidays fall on their Umm al-Qura dates
    (:mod:`.pilgrimage`); volumes wander a little from day to day and grow by
    :data:`ANNUAL_GROWTH` a year. The draws are Poisson, so the series are as noisy as real counts.
    """
    epoch_hours = first_hour + np.arange(hours, dtype=np.int64)
    local = epoch_hours + 3  # Riyadh
    days = local // 24
    week_hour = ((days + 3) % 7) * 24 + local % 24
    day_list, day_index = np.unique(days, return_inverse=True)
    years_before_end = (epoch_hours - epoch_hours[-1]) / (24 * 365.25)
    growth = (1 + ANNUAL_GROWTH) ** years_before_end
    tables = {cls: _profile_table(cls) for cls in {port_class(p) for p in ports.values()}}
    for port_id in sorted(ports):
        port = ports[port_id]
        cls = port_class(port)
        noise = np.zeros(len(day_list))
        shocks = rng.normal(0.0, DAILY_NOISE_SD * np.sqrt(1 - DAILY_NOISE_AR**2), len(day_list))
        for i in range(1, len(day_list)):
            noise[i] = DAILY_NOISE_AR * noise[i - 1] + shocks[i]
        season = season_multipliers(day_list, pilgrim_boost(port, "hajj"), pilgrim_boost(port, "umrah"), cls)
        rate = (
            expected_per_minute(port)[None, None, :] * 60
            * tables[cls][week_hour][:, :, None]
            * season[day_index]
            * (np.exp(noise)[day_index] * growth)[:, None, None]
        )  # fmt: skip
        counts = np.zeros((hours, len(DIRECTIONS), len(CATEGORIES) + 1), dtype=np.int64)
        counts[:, :, : len(CATEGORIES)] = rng.poisson(rate)
        occupancy = OCCUPANCY.get(cls) if port.kind == "land" else None
        if occupancy is not None:
            counts[:, :, -1] = rng.poisson(counts[:, :, : len(CATEGORIES)].sum(axis=2) / occupancy)
        yield port_id, counts
