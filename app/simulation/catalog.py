"""What happens: the mix of incidents by agency, category and priority, and what 911 calls are like.

The shares are plausible for a national 911 service, not measured: about a third of incidents go
to the security patrols, a quarter to traffic police, a fifth to the Red Crescent, a tenth each to
civil defense and road security (on the highways between towns). Priority 1 is rare (~7%).
Descriptions are short and bilingual, as a call-taker's summary would be on a bilingual wall.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..contract import Agency, CallOutcome, Category
from ..geo import City


@dataclass(frozen=True)
class Kind:
    """One kind of incident: who handles it, what it is, how weighty (P(priority 1..4))."""

    agency: Agency
    category: Category
    weight: float
    priorities: tuple[float, float, float, float]

    @property
    def on_highway(self) -> bool:
        """Road security works the highways between towns, not the streets of a town."""
        return self.agency is Agency.road_security


_A, _C = Agency, Category
KINDS: tuple[Kind, ...] = (
    Kind(_A.patrol, _C.theft, 9.0, (0.01, 0.10, 0.50, 0.39)),
    Kind(_A.patrol, _C.disturbance, 8.0, (0.02, 0.13, 0.50, 0.35)),
    Kind(_A.patrol, _C.suspicious, 6.0, (0.01, 0.09, 0.45, 0.45)),
    Kind(_A.patrol, _C.assault, 5.0, (0.10, 0.35, 0.45, 0.10)),
    Kind(_A.patrol, _C.vandalism, 4.0, (0.00, 0.05, 0.40, 0.55)),
    Kind(_A.patrol, _C.missing_person, 2.0, (0.15, 0.45, 0.35, 0.05)),
    Kind(_A.patrol, _C.other, 1.0, (0.00, 0.10, 0.50, 0.40)),
    Kind(_A.traffic, _C.collision, 12.0, (0.06, 0.30, 0.50, 0.14)),
    Kind(_A.traffic, _C.traffic_violation, 6.0, (0.00, 0.05, 0.40, 0.55)),
    Kind(_A.traffic, _C.breakdown, 4.0, (0.00, 0.05, 0.35, 0.60)),
    Kind(_A.traffic, _C.road_hazard, 3.0, (0.02, 0.18, 0.50, 0.30)),
    Kind(_A.road_security, _C.collision, 4.5, (0.15, 0.40, 0.35, 0.10)),
    Kind(_A.road_security, _C.breakdown, 2.5, (0.02, 0.13, 0.45, 0.40)),
    Kind(_A.road_security, _C.road_hazard, 2.0, (0.05, 0.25, 0.45, 0.25)),
    Kind(_A.civil_defense, _C.fire, 5.0, (0.20, 0.40, 0.30, 0.10)),
    Kind(_A.civil_defense, _C.rescue, 2.5, (0.25, 0.40, 0.30, 0.05)),
    Kind(_A.civil_defense, _C.flood, 1.5, (0.15, 0.35, 0.35, 0.15)),
    Kind(_A.civil_defense, _C.hazmat, 0.7, (0.30, 0.40, 0.25, 0.05)),
    Kind(_A.red_crescent, _C.medical, 20.0, (0.10, 0.35, 0.40, 0.15)),
)

#: Share of the fleet per agency: demand, plus coverage for the agencies whose ground is wide
#: (road security's highways) or whose worst calls take two crews (civil defense).
FLEET_SHARES: dict[Agency, float] = {
    _A.patrol: 0.31,
    _A.traffic: 0.22,
    _A.road_security: 0.13,
    _A.civil_defense: 0.13,
    _A.red_crescent: 0.21,
}

#: Short codes for unit ids: ``PAT-SA01-007``.
UNIT_CODES: dict[Agency, str] = {
    _A.patrol: "PAT",
    _A.traffic: "TRF",
    _A.road_security: "RSC",
    _A.civil_defense: "CDF",
    _A.red_crescent: "SRC",
}

_LABELS: dict[Category, tuple[str, str]] = {
    _C.fire: ("Fire", "حريق"),
    _C.collision: ("Vehicle collision", "حادث تصادم"),
    _C.theft: ("Theft", "سرقة"),
    _C.medical: ("Medical emergency", "حالة إسعافية"),
    _C.assault: ("Assault", "اعتداء"),
    _C.flood: ("Flooding", "سيول"),
    _C.rescue: ("Rescue", "إنقاذ"),
    _C.hazmat: ("Hazardous materials", "مواد خطرة"),
    _C.road_hazard: ("Road hazard", "عائق على الطريق"),
    _C.breakdown: ("Vehicle breakdown", "تعطل مركبة"),
    _C.disturbance: ("Disturbance", "إخلال بالنظام العام"),
    _C.missing_person: ("Missing person", "شخص مفقود"),
    _C.suspicious: ("Suspicious activity", "اشتباه"),
    _C.vandalism: ("Vandalism", "إتلاف ممتلكات"),
    _C.traffic_violation: ("Traffic violation", "مخالفة مرورية"),
    _C.other: ("Other", "بلاغ آخر"),
}


def describe_near(category: Category, city: City) -> str:
    """``Fire near Jeddah — حريق قرب جدة``."""
    en, ar = _LABELS[category]
    return f"{en} near {city.name_en} — {ar} قرب {city.name_ar}"


def describe_road(category: Category, a: City, b: City) -> str:
    """``Vehicle collision on the Riyadh–Al Kharj road — حادث تصادم على طريق الرياض–الخرج``."""
    en, ar = _LABELS[category]
    return f"{en} on the {a.name_en}–{b.name_en} road — {ar} على طريق {a.name_ar}–{b.name_ar}"


def draw_priority(rng: random.Random, kind: Kind) -> int:
    """Priority 1..4 from the kind's distribution."""
    return rng.choices((1, 2, 3, 4), weights=kind.priorities)[0]


# --- 911 calls -------------------------------------------------------------------------------

#: Calls that open no incident, per call that does (so ~1.7 calls per incident in all).
EXTRA_CALLS_PER_INCIDENT = 0.7
#: What those extra calls turn out to be.
EXTRA_OUTCOMES: tuple[tuple[CallOutcome, float], ...] = (
    (CallOutcome.advice, 0.35),
    (CallOutcome.nuisance, 0.35),
    (CallOutcome.transfer, 0.15),
    (CallOutcome.abandoned, 0.15),
)
#: Share of calls with no caller location (landlines, no handset fix): the region only.
NO_LOCATION_SHARE = 0.2


def answer_ms(rng: random.Random, load: float) -> int:
    """Ring time before a call-taker answers (ms).

    Most calls are answered within a few seconds; a tail, heavier when the floor is busy (``load``
    is the current rhythm, ~1 on average), waits 10–90 s. On average about 90% are answered within
    15 s and 94% within 20 s — right at the NENA standard, so the KPI has something to show.
    """
    tail = 0.08 * load
    u = rng.random()
    if u < tail * 0.75:
        return round(rng.uniform(10.0, 25.0) * 1000)
    if u < tail:
        return round(rng.uniform(20.0, 90.0) * 1000)
    return round((1.0 + rng.gammavariate(2.0, 2.5)) * 1000)


def talk_ms(rng: random.Random, outcome: CallOutcome) -> int:
    """How long an answered call lasts (or an unanswered one rings before the caller hangs up)."""
    low, high = {
        CallOutcome.incident: (60, 240),
        CallOutcome.advice: (60, 300),
        CallOutcome.transfer: (30, 120),
        CallOutcome.nuisance: (10, 60),
        CallOutcome.abandoned: (3, 40),
    }[outcome]
    return round(rng.uniform(low, high) * 1000)
