"""An incident's life and a unit's day: how long each step takes, and the records the scenario keeps.

Times are *simulated* seconds: the scenario divides them by its ``time_scale`` (see
:mod:`.scenario`). They are plausible for a national 911 service, not measured: dispatch within
30 s–3 min of opening (faster for the urgent), a drive at 60–110 km/h over roads 1.3× longer than the
straight line, 10–40 minutes on scene, the drive back to base, now and then a spell out of service.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

from ..contract import CallOutcome, IncidentStatus
from .catalog import Kind
from .fleet import Unit

#: Seconds from opening to dispatch, by priority (the dispatcher reads, decides, radios).
DISPATCH_DELAY_S = {1: (30, 60), 2: (45, 120), 3: (60, 180), 4: (90, 180)}
#: Highway incidents lie this far (on average) beyond the last town.
HIGHWAY_INCIDENT_KM = 25.0
ROAD_FACTOR = 1.3  # road distance ÷ straight-line distance
#: A drive to an incident takes at least a minute and at most 25 (beyond that the unit is shown
#: covering the ground faster than a road speed, its reported speed capped at 140 km/h): a remote
#: call should not leave a unit crawling across the wall for an hour.
TRAVEL_S = (60, 25 * 60)
RETURN_S = (30, 2 * 3600)
SCENE_S = (10 * 60, 40 * 60)
MAX_WAIT_S = 3600  # an incident nobody could be sent to for this long is closed unattended
MOVE_EVERY_S = 5  # position reports of a moving unit (but at most one a second of entry time)
HEARTBEAT_MS = 30_000  # position reports of a parked unit, entry time (not scaled)
OUT_OF_SERVICE_P = 0.04  # chance a unit back at base goes out of service (fuel, shift change, repair)
OUT_OF_SERVICE_S = (3600, 4 * 3600)
INITIAL_OUT_OF_SERVICE = 0.05


@dataclass(slots=True, eq=False)
class Incident:
    """An open incident; forgotten as soon as it closes."""

    id: str
    kind: Kind
    priority: int
    lat: float
    lon: float
    region: str
    description: str
    status: IncidentStatus = IncidentStatus.new
    units: list[Unit] = field(default_factory=list)
    waiting: bool = False  # opened, but no unit of its agency was free


@dataclass(slots=True, eq=False)
class Call:
    """A 911 call in progress; written (once) when it ends."""

    id: str
    ts: int
    answered_ts: int | None
    outcome: CallOutcome
    region: str
    lat: float | None = None
    lon: float | None = None
    incident: str | None = None


def run_tag(seed: int, start_ms: int) -> str:
    """Five characters that make a run's incident and call ids unique (``INC-K3F9Q-000001``)."""
    digest = hashlib.blake2b(f"{seed}:{start_ms}".encode(), digest_size=5).digest()
    return base64.b32encode(digest).decode()[:5]
