"""The scenario: a deterministic, I/O-free generator of stream entries.

:class:`Scenario` is a discrete-event simulation. Everything that will happen — a call coming in, an
incident opening, a dispatch, a unit arriving, a position report, a port's minute closing — is an
event on one heap ordered by (time, sequence number); :meth:`Scenario.advance` pops events up to a
time and returns the entries they produce, in order. It reads no clock and does no I/O, and every
random draw comes from generators seeded by ``seed``; so the same seed, start time and options give
the same entries however the calls to ``advance`` are sliced.

Time. Entry times (``ts``) follow the real clock: arrivals, calls and port traffic happen at their
real rates. ``time_scale`` speeds up what happens *to* incidents and units — dispatch delay, travel,
time on scene, the drive back, time out of service — so with 10 an incident's life of ~40 minutes
plays out in ~4, and units visibly cross the map. (Response and dispatch times are then shortened
by the same factor; the call-answer times and port counts are not.)
"""

from __future__ import annotations

import hashlib
import heapq
import random

import numpy as np

from ..contract import (
    Agency,
    CallEvent,
    CallOutcome,
    IncidentEvent,
    IncidentStatus,
    Stream,
    UnitEvent,
    UnitStatus,
    to_fields,
)
from . import catalog
from .fleet import Fleet, Unit, build_fleet, default_fleet_size
from .lifecycle import (
    DISPATCH_DELAY_S,
    HEARTBEAT_MS,
    HIGHWAY_INCIDENT_KM,
    INITIAL_OUT_OF_SERVICE,
    MAX_WAIT_S,
    MOVE_EVERY_S,
    OUT_OF_SERVICE_P,
    OUT_OF_SERVICE_S,
    RETURN_S,
    ROAD_FACTOR,
    SCENE_S,
    TRAVEL_S,
    Call,
    Incident,
    run_tag,
)
from .ports import PortTraffic
from .rhythm import INCIDENTS, SEASONS, Arrivals
from .world import World, bearing_deg, cumulative, distance_km, offset, spread_km

Entry = tuple[Stream, dict[str, str]]

#: Incident opens per second (daily mean) when none is given: ~8,600 incidents a day nationwide.
DEFAULT_RATE = 0.1
#: Season multipliers of incident weight at the holy cities (crowds).
SEASON_CITY_BOOST = {"hajj": {"Makkah": 3.0, "Madinah": 1.5}, "umrah": {"Makkah": 1.5, "Madinah": 1.3}}

(_CALL, _EXTRA_CALL, _OPEN, _DISPATCH, _ARRIVE, _CLOSE, _TICK, _IN_SERVICE, _PORTS, _CALL_END,
 _GIVE_UP) = range(11)  # fmt: skip


class Scenario:
    """Synthetic operations across the Kingdom; see the module docstring."""

    def __init__(
        self,
        world: World,
        *,
        seed: int,
        start_ms: int,
        rate: float = DEFAULT_RATE,
        units: int | None = None,
        season: str = "none",
        time_scale: float = 1.0,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive (incident opens per second)")
        if not 0 < time_scale <= 1000:
            raise ValueError("time_scale must be in (0, 1000]")
        if season not in SEASONS:
            raise ValueError(f"unknown season {season!r}: expected one of {', '.join(SEASONS)}")
        self.world, self.seed, self.start_ms, self.now_ms = world, seed, int(start_ms), int(start_ms)
        self.rate, self.season, self.time_scale = rate, season, float(time_scale)
        self.tag = run_tag(seed, self.start_ms)
        streams = {name: random.Random(f"basira:{seed}:{name}") for name in ("fleet", "inc", "call", "ops")}
        self._rf, self._ri, self._rc, self._ro = (streams[k] for k in ("fleet", "inc", "call", "ops"))
        ports_seed = int.from_bytes(hashlib.sha256(f"basira:{seed}:ports".encode()).digest()[:8], "big")
        self.ports = PortTraffic(world.ports, season, np.random.default_rng(ports_seed))
        size = units if units is not None else default_fleet_size(rate, self.time_scale)
        if size < 1:
            raise ValueError("units must be at least 1")
        self.fleet = Fleet(build_fleet(world, size, self._rf))

        boost = SEASON_CITY_BOOST.get(season, {})
        self._city_cum = cumulative([c.population * boost.get(c.name_en, 1.0) for c in world.cities])
        self._plain_cum = cumulative([float(c.population) for c in world.cities])
        self._road_cum = cumulative([r.weight for r in world.roads])
        kinds = [k for k in catalog.KINDS if world.roads or not k.on_highway]
        self._kinds, self._kind_cum = kinds, cumulative([k.weight for k in kinds])
        self._incidents = Arrivals(rate, INCIDENTS)
        self._extra_calls = Arrivals(rate * catalog.EXTRA_CALLS_PER_INCIDENT, INCIDENTS)
        self._move_ms = max(1000, round(MOVE_EVERY_S * 1000 / self.time_scale))

        self._heap: list[tuple[int, int, int, object, int]] = []
        self._seq = 0
        self._n_incidents = self._n_calls = 0
        self._open: dict[str, Incident] = {}
        self._waiting: dict[Agency, list[tuple[int, int, int, Incident]]] = {a: [] for a in Agency}
        self._out: list[Entry] = []
        self.counts: dict[Stream, int] = {s: 0 for s in Stream}
        self._handlers = (
            self._on_call, self._on_extra_call, self._on_open, self._on_dispatch, self._on_arrive,
            self._on_close, self._on_tick, self._on_in_service, self._on_ports, self._on_call_end,
            self._on_give_up,
        )  # fmt: skip

        t0 = self.start_ms
        for unit in self.fleet.units:
            if self._rf.random() < INITIAL_OUT_OF_SERVICE:
                unit.status = UnitStatus.out_of_service
                self.fleet.set_free(unit, False)
                self._at(t0 + self._scaled(self._rf.uniform(600, OUT_OF_SERVICE_S[1])), _IN_SERVICE, unit)
            self._at(t0, _TICK, unit, unit.gen)
        self._at(t0 - t0 % 60_000 + 60_000, _PORTS)
        self._at(self._incidents.next_after(t0, self._ri), _CALL)
        self._at(self._extra_calls.next_after(t0, self._rc), _EXTRA_CALL)

    # --- the public surface ------------------------------------------------------------------

    def advance(self, until_ms: int) -> list[Entry]:
        """Run the simulation up to and including ``until_ms``; the entries produced, in order."""
        out = self._out = []
        heap, handlers = self._heap, self._handlers
        while heap and heap[0][0] <= until_ms:
            t, _, kind, obj, gen = heapq.heappop(heap)
            self.now_ms = t
            handlers[kind](t, obj, gen)
        self.now_ms = max(self.now_ms, until_ms)
        for stream, _ in out:
            self.counts[stream] += 1
        return out

    def stats(self) -> dict[str, int]:
        """What is going on now: open and waiting incidents, units by state, entries so far."""
        units = self.fleet.units
        out_of_service = sum(1 for u in units if u.status is UnitStatus.out_of_service)
        free = self.fleet.count_free()
        return {
            "open": len(self._open),
            "waiting": sum(1 for q in self._waiting.values() for *_, i in q if i.waiting),
            "units": len(units),
            "busy": len(units) - free - out_of_service,
            "out_of_service": out_of_service,
            **{f"entries_{s.value}": n for s, n in self.counts.items()},
        }

    # --- plumbing ------------------------------------------------------------------------------

    def _at(self, t: int, kind: int, obj: object = None, gen: int = 0) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (int(t), self._seq, kind, obj, gen))

    def _scaled(self, seconds: float) -> int:
        """Simulated seconds of an incident's or unit's life → milliseconds of entry time."""
        return max(1, round(seconds * 1000 / self.time_scale))

    def _emit_incident(self, inc: Incident, t: int) -> None:
        event = IncidentEvent(
            id=inc.id, status=inc.status, agency=inc.kind.agency, category=inc.kind.category,
            priority=inc.priority, lat=inc.lat, lon=inc.lon, ts=t, region=inc.region,
            description=inc.description, units=tuple(u.id for u in inc.units),
        )  # fmt: skip
        self._out.append((Stream.incidents, to_fields(event)))

    def _emit_unit(self, unit: Unit, t: int) -> None:
        lat, lon = unit.where(t)
        event = UnitEvent(
            id=unit.id, agency=unit.agency, status=unit.status, lat=round(lat, 5), lon=round(lon, 5),
            ts=t, heading=round(unit.heading) % 360, speed=round(unit.speed) if unit.moving(t) else 0,
            incident=unit.incident.id if unit.incident is not None else None,  # type: ignore[attr-defined]
        )  # fmt: skip
        self._out.append((Stream.units, to_fields(event)))

    # --- calls and incidents -------------------------------------------------------------------

    def _on_call(self, t: int, _obj: object, _gen: int) -> None:
        """A call that will open an incident: where, what, and when the incident opens."""
        rng = self._ri
        self._at(self._incidents.next_after(t, rng), _CALL)
        kind = rng.choices(self._kinds, cum_weights=self._kind_cum)[0]
        if kind.on_highway:
            road = rng.choices(self.world.roads, cum_weights=self._road_cum)[0]
            lat, lon, region = self.world.on_road(rng, road, HIGHWAY_INCIDENT_KM)
            description = catalog.describe_road(kind.category, road.a, road.b)
        else:
            city = rng.choices(self.world.cities, cum_weights=self._city_cum)[0]
            lat, lon, region = self.world.near(rng, city, spread_km(city))
            description = catalog.describe_near(kind.category, city)
        self._n_incidents += 1
        inc = Incident(
            f"INC-{self.tag}-{self._n_incidents:06d}", kind, catalog.draw_priority(rng, kind),
            round(lat, 5), round(lon, 5), region, description,
        )  # fmt: skip
        answered = t + catalog.answer_ms(self._rc, INCIDENTS.factor(t))
        opened = answered + round(self._rc.uniform(20, 90) * 1000)
        ended = max(answered + catalog.talk_ms(self._rc, CallOutcome.incident), opened + 5000)
        self._at(opened, _OPEN, inc)
        call = self._call(t, answered, CallOutcome.incident, inc.region, inc.lat, inc.lon, inc.id)
        self._at(ended, _CALL_END, call)

    def _call(
        self, t: int, answered: int | None, outcome: CallOutcome, region: str,
        lat: float, lon: float, incident: str | None = None,
    ) -> Call:  # fmt: skip
        self._n_calls += 1
        call = Call(f"CALL-{self.tag}-{self._n_calls:06d}", t, answered, outcome, region, incident=incident)
        if self._rc.random() >= catalog.NO_LOCATION_SHARE:
            # The handset's fix, within ~100 m of the caller.
            lat, lon = offset(lat, lon, self._rc.gauss(0, 0.1), self._rc.gauss(0, 0.1))
            call.lat, call.lon = round(lat, 5), round(lon, 5)
        return call

    def _on_extra_call(self, t: int, _obj: object, _gen: int) -> None:
        """A call that opens no incident: advice, a transfer, a nuisance, or abandoned while ringing."""
        rng = self._rc
        self._at(self._extra_calls.next_after(t, rng), _EXTRA_CALL)
        outcomes, weights = zip(*catalog.EXTRA_OUTCOMES, strict=True)
        outcome = rng.choices(outcomes, weights)[0]
        city = rng.choices(self.world.cities, cum_weights=self._plain_cum)[0]
        lat, lon, region = self.world.near(rng, city, spread_km(city))
        if outcome is CallOutcome.abandoned:
            answered, ended = None, t + catalog.talk_ms(rng, outcome)
        else:
            answered = t + catalog.answer_ms(rng, INCIDENTS.factor(t))
            ended = answered + catalog.talk_ms(rng, outcome)
        self._at(ended, _CALL_END, self._call(t, answered, outcome, region, lat, lon))

    def _on_call_end(self, _t: int, call: Call, _gen: int) -> None:
        event = CallEvent(
            id=call.id, ts=call.ts, answered_ts=call.answered_ts, lat=call.lat, lon=call.lon,
            region=call.region, outcome=call.outcome, incident=call.incident,
        )  # fmt: skip
        self._out.append((Stream.calls, to_fields(event)))

    def _on_open(self, t: int, inc: Incident, _gen: int) -> None:
        self._open[inc.id] = inc
        self._emit_incident(inc, t)
        self._at(t + self._scaled(self._ro.uniform(*DISPATCH_DELAY_S[inc.priority])), _DISPATCH, inc)

    def _on_dispatch(self, t: int, inc: Incident, _gen: int) -> None:
        if not self._send_units(inc, t):
            inc.waiting = True
            self._seq += 1
            heapq.heappush(self._waiting[inc.kind.agency], (inc.priority, t, self._seq, inc))
            self._at(t + self._scaled(MAX_WAIT_S), _GIVE_UP, inc)

    def _send_units(self, inc: Incident, t: int) -> bool:
        """Dispatch the nearest free unit(s) of the incident's agency; False when none is free."""
        wanted = 2 if inc.priority == 1 else 1
        for _ in range(wanted):
            unit = self.fleet.nearest_free(inc.kind.agency, inc.lat, inc.lon, t)
            if unit is None:
                break
            inc.units.append(unit)
            unit.status, unit.incident = UnitStatus.dispatched, inc
            fast = inc.priority <= 2
            self._drive(unit, t, inc.lat, inc.lon, (80, 110) if fast else (60, 100), TRAVEL_S, free=False)
        if not inc.units:
            return False
        inc.status = IncidentStatus.dispatched
        self._emit_incident(inc, t)
        return True

    def _on_give_up(self, t: int, inc: Incident, _gen: int) -> None:
        if inc.waiting:  # nobody could go: closed unattended (another service, or the caller gave up)
            inc.waiting = False
            inc.status = IncidentStatus.closed
            self._emit_incident(inc, t)
            self._open.pop(inc.id, None)

    def _on_close(self, t: int, inc: Incident, _gen: int) -> None:
        inc.status = IncidentStatus.closed
        self._emit_incident(inc, t)
        self._open.pop(inc.id, None)
        for unit in inc.units:
            unit.status, unit.incident = UnitStatus.available, None
            self._drive(unit, t, unit.base_lat, unit.base_lon, (50, 90), RETURN_S, free=True)
        self._serve_waiting(inc.kind.agency, t)

    def _serve_waiting(self, agency: Agency, t: int) -> None:
        """Send freed units to the most urgent, longest-waiting incidents of their agency."""
        queue = self._waiting[agency]
        while queue:
            inc = queue[0][3]
            if not inc.waiting:
                heapq.heappop(queue)
                continue
            if not self._send_units(inc, t):
                return
            heapq.heappop(queue)
            inc.waiting = False

    # --- units ---------------------------------------------------------------------------------

    def _drive(
        self, unit: Unit, t: int, lat: float, lon: float, speeds: tuple[int, int], limits: tuple[int, int],
        *, free: bool,
    ) -> None:  # fmt: skip
        """Start a leg from where the unit is now to (lat, lon), report it, and time its arrival."""
        here_lat, here_lon = unit.where(t)
        km = distance_km(here_lat, here_lon, lat, lon) * ROAD_FACTOR
        speed = self._ro.uniform(*speeds)
        seconds = min(max(km / speed * 3600, limits[0]), limits[1])
        unit.gen += 1
        if km < 0.05:  # already there
            self.fleet.set_leg(unit, lat, lon, lat, lon, t, t, 0.0)
            arrive = t
        else:
            arrive = t + self._scaled(seconds)
            unit.heading = bearing_deg(here_lat, here_lon, lat, lon)
            shown = min(140.0, km / (seconds / 3600))
            self.fleet.set_leg(unit, here_lat, here_lon, lat, lon, t, arrive, shown)
        self.fleet.set_free(unit, free)
        self._emit_unit(unit, t)
        self._at(arrive, _ARRIVE, unit, unit.gen)
        if t + self._move_ms < arrive:
            self._at(t + self._move_ms, _TICK, unit, unit.gen)

    def _on_arrive(self, t: int, unit: Unit, gen: int) -> None:
        if gen != unit.gen:
            return
        unit.gen += 1
        self.fleet.set_leg(unit, unit.lat1, unit.lon1, unit.lat1, unit.lon1, t, t, 0.0)
        inc = unit.incident
        if unit.status is UnitStatus.dispatched and isinstance(inc, Incident):
            unit.status = UnitStatus.on_scene
            if inc.status is IncidentStatus.dispatched:
                inc.status = IncidentStatus.on_scene
                self._emit_incident(inc, t)
                self._at(t + self._scaled(self._ro.uniform(*SCENE_S)), _CLOSE, inc)
        elif self._ro.random() < OUT_OF_SERVICE_P:  # back at base
            unit.status = UnitStatus.out_of_service
            self.fleet.set_free(unit, False)
            self._at(t + self._scaled(self._ro.uniform(*OUT_OF_SERVICE_S)), _IN_SERVICE, unit, unit.gen)
        self._emit_unit(unit, t)
        self._at(t + self._heartbeat(), _TICK, unit, unit.gen)

    def _on_in_service(self, t: int, unit: Unit, gen: int) -> None:
        if gen != unit.gen or unit.status is not UnitStatus.out_of_service:
            return
        unit.gen += 1
        unit.status = UnitStatus.available
        self.fleet.set_free(unit, True)
        self._emit_unit(unit, t)
        self._at(t + self._heartbeat(), _TICK, unit, unit.gen)
        self._serve_waiting(unit.agency, t)

    def _on_tick(self, t: int, unit: Unit, gen: int) -> None:
        """A routine position report: often while moving, now and then while parked."""
        if gen != unit.gen:
            return
        self._emit_unit(unit, t)
        if unit.moving(t):
            if t + self._move_ms < unit.t1:
                self._at(t + self._move_ms, _TICK, unit, gen)
        else:
            self._at(t + self._heartbeat(), _TICK, unit, gen)

    def _heartbeat(self) -> int:
        return round(HEARTBEAT_MS * self._ro.uniform(0.8, 1.2))

    def _on_ports(self, t: int, _obj: object, _gen: int) -> None:
        self._out.extend(self.ports.minute(t))
        self._at(t + 60_000, _PORTS)
