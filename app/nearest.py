"""Decision support: an incident's nearest available units, ranked by estimated time to arrive.

A dispatcher choosing whom to send wants the unit that arrives first, not the one nearest as the crow
flies: a unit ten kilometres out on the highway beats one eight kilometres away across a city. There
is no road network yet (the offline basemap carries none), so the time is estimated from the
great-circle distance and the kind of country the trip crosses. ``GET /api/v1/incidents/<id>/nearest``
(:mod:`app.api_nearest`) and the command view's incident card (:mod:`app.pages.command.nearest`) both
ask :func:`suggest`, so the two can never disagree; ``docs/nearest.md`` states the model for people.

**The model** (every number is a field of :class:`Model`, and the API answers them with each ranking):

* ``distance_m`` — the great-circle (haversine) distance between the unit's last position and the
  incident, on a sphere of 6,371 km.
* ``road_m = distance_m × 1.3`` — roads are not straight. Published road-circuity studies put the ratio
  of road to straight-line distance between about 1.2 and 1.4 (by country: Ballou, Rahardja & Sakai
  2002; in metropolitan areas: Giacomin & Levinson 2015; higher for short trips); 1.3 is their middle,
  and Saudi dual carriageways, whose median U-turns add a detour to many short trips, sit no lower.
* The straight line is split where it enters and leaves each place's area, and each part is driven at
  its area's speed: **urban 30 km/h** (a city's streets, junctions and traffic, even with lights and
  siren), **town 50 km/h** (a town's main roads, a city's outskirts), **rural 90 km/h** (open road and
  highway: posted 120–140 km/h, but the average of an emergency trip includes getting on and off it).
  ``eta_s = Σ part's road_m / speed``. No time to get going is added: it is the same for every unit.
* Area types come from the populated places the project carries (``assets/data/ksa_cities.csv``,
  :attr:`app.reference.Reference.cities`): a place of population ``p`` covers a disc of radius
  ``r(p) = 12 km × (p / 1,000,000)^0.4`` (at least 2 km). A city's built-up area grows with its
  population to about the power 0.8 in cross-city studies (denser big cities), so its radius to the
  power 0.4; 12 km at a million makes Riyadh (4.2 M people, about 1,500 km² built up: a circle of
  ~22 km) 21 km, Makkah 14 km, Buraydah 11 km, a town of 100,000 5 km and one of 20,000 2.5 km.
  Within ``r`` of a place of at least **100,000** people is *urban*; within ``1.5 r`` of one (its
  outskirts and ring roads), or within ``r`` of a smaller place, is *town*; anywhere else is *rural*.

**The ranking** (:func:`rank`): only units whose ``status`` is ``available``, whose agency is the
incident's, whose region and agency lie in the caller's scope (checked here again, whatever the caller
read), and whose last position is at most **10 minutes** old — a unit reports every 30 s or so (the
simulator's parked units every 30 s, a moving one more often), so twenty missed reports mean its
position is unknown, not merely late. Fastest estimated arrival first; ties by great-circle distance,
then by unit id, so the same picture always gives the same order. A closed incident gets no
suggestion (an empty list, saying so).

Pure: no Flask, no Redis, no Dash. :func:`suggest` reads through any object with the two reads of
``store.live`` (:class:`LiveReads`), so the tests and both callers hand it the real store.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from .contract import IncidentStatus, Scope, UnitStatus

if TYPE_CHECKING:
    from .geo import City
    from .reference import Reference

EARTH_RADIUS_M = 6_371_000.0
#: Area types, fastest last (the order ties of :attr:`Trip.area` fall back on: the slower wins).
AREAS: tuple[str, ...] = ("urban", "town", "rural")
#: How many units a caller may ask for, and how many it gets when it does not say.
DEFAULT_N, MAX_N = 3, 20


@dataclass(frozen=True)
class Model:
    """The ETA model's numbers (see the module's text for where each comes from)."""

    #: road distance ÷ great-circle distance
    circuity: float = 1.3
    #: average emergency driving speed by area type, km/h
    urban_kmh: float = 30.0
    town_kmh: float = 50.0
    rural_kmh: float = 90.0
    #: a unit whose last position is older than this is not suggested (its position is unknown)
    max_position_age_s: float = 600.0
    #: a place of at least this many people is a city (urban core, town-speed outskirts)
    city_population: int = 100_000
    #: a place's radius at a million people, km, and how it grows with population (r ∝ p^exponent)
    radius_km_at_million: float = 12.0
    radius_exponent: float = 0.4
    #: no place is smaller than this, km (a village's own streets)
    min_radius_km: float = 2.0
    #: a city's outskirts reach this many times its radius, driven at town speed
    outskirts: float = 1.5

    @property
    def speeds_kmh(self) -> dict[str, float]:
        """The speed of each area type, km/h."""
        return {"urban": self.urban_kmh, "town": self.town_kmh, "rural": self.rural_kmh}

    def radius_km(self, population: float) -> float:
        """The radius of the area a place of ``population`` covers."""
        scaled = self.radius_km_at_million * (max(population, 0.0) / 1_000_000) ** self.radius_exponent
        return max(self.min_radius_km, scaled)

    def describe(self) -> dict[str, Any]:
        """The numbers as the API answers them (``model`` of every ranking)."""
        return {
            "circuity": self.circuity,
            "speeds_kmh": self.speeds_kmh,
            "max_position_age_s": self.max_position_age_s,
            "areas": {
                "urban": f"within r of a place of at least {self.city_population:,} people",
                "town": f"within {self.outskirts:g} r of such a city, or within r of a smaller place",
                "rural": "anywhere else: open road and highway",
                "r_km": f"max({self.min_radius_km:g}, {self.radius_km_at_million:g} × "
                        f"(population / 1,000,000)^{self.radius_exponent:g})",
            },
        }


MODEL = Model()


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine, on a sphere of 6,371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


# --- area types ------------------------------------------------------------------------------------

_M_PER_DEG = math.pi * EARTH_RADIUS_M / 180.0


@dataclass(frozen=True)
class _Disc:
    lat: float
    lon: float
    radius_m: float
    area: str  # "urban" or "town"


class Areas:
    """The area type of any point and of any straight trip, from the populated places.

    Each place is a disc (a city two: its urban core and its town-speed outskirts). Distances to the
    discs are measured on a local flat projection (equirectangular at the trip's middle latitude): a
    disc is at most ~35 km across, where the projection is off by far less than a street.
    """

    def __init__(self, places: Iterable[City], model: Model = MODEL) -> None:
        self.model = model
        discs = []
        for place in places:
            radius = model.radius_km(place.population) * 1000
            if place.population >= model.city_population:
                discs.append(_Disc(place.lat, place.lon, radius, "urban"))
                discs.append(_Disc(place.lat, place.lon, radius * model.outskirts, "town"))
            else:
                discs.append(_Disc(place.lat, place.lon, radius, "town"))
        self.discs: tuple[_Disc, ...] = tuple(discs)
        self._reach_deg = max((d.radius_m for d in discs), default=0.0) / _M_PER_DEG

    def _near(self, south: float, west: float, north: float, east: float) -> list[_Disc]:
        """The discs that may touch the box (a cheap cut before any geometry)."""
        pad = self._reach_deg
        lon_pad = pad / max(0.1, math.cos(math.radians((south + north) / 2)))
        return [d for d in self.discs
                if south - pad <= d.lat <= north + pad and west - lon_pad <= d.lon <= east + lon_pad]

    def area_of(self, lat: float, lon: float) -> str:
        """``urban``, ``town`` or ``rural`` at a point."""
        return _classify(0.0, 0.0, _project(self._near(lat, lon, lat, lon), lat, lon))

    def split(self, lat0: float, lon0: float, lat1: float, lon1: float) -> dict[str, float]:
        """The share (0–1) of the straight line from the first point to the second in each area type."""
        shares = dict.fromkeys(AREAS, 0.0)
        discs = self._near(min(lat0, lat1), min(lon0, lon1), max(lat0, lat1), max(lon0, lon1))
        if not discs:
            shares["rural"] = 1.0
            return shares
        mid_lat, mid_lon = (lat0 + lat1) / 2, (lon0 + lon1) / 2
        projected = _project(discs, mid_lat, mid_lon)
        (ax, ay), (bx, by) = _xy(lat0, lon0, mid_lat, mid_lon), _xy(lat1, lon1, mid_lat, mid_lon)
        dx, dy = bx - ax, by - ay
        cuts = {0.0, 1.0}
        a = dx * dx + dy * dy
        if a > 0:
            for cx, cy, r2, _area in projected:  # where the line crosses each disc's edge
                fx, fy = ax - cx, ay - cy
                b = 2 * (fx * dx + fy * dy)
                c = fx * fx + fy * fy - r2
                disc = b * b - 4 * a * c
                if disc <= 0:
                    continue
                root = math.sqrt(disc)
                cuts.update(t for t in ((-b - root) / (2 * a), (-b + root) / (2 * a)) if 0.0 < t < 1.0)
        ordered = sorted(cuts)
        for t0, t1 in zip(ordered, ordered[1:], strict=False):
            t = (t0 + t1) / 2  # each piece lies wholly inside or outside every disc: its middle says which
            shares[_classify(ax + t * dx, ay + t * dy, projected)] += t1 - t0
        if a == 0:  # both ends at one point
            shares[_classify(ax, ay, projected)] = 1.0
        return shares


def _xy(lat: float, lon: float, lat0: float, lon0: float) -> tuple[float, float]:
    """Metres east and north of (lat0, lon0), equirectangular."""
    return (lon - lon0) * _M_PER_DEG * math.cos(math.radians(lat0)), (lat - lat0) * _M_PER_DEG


def _project(discs: list[_Disc], lat0: float, lon0: float) -> list[tuple[float, float, float, str]]:
    return [(*_xy(d.lat, d.lon, lat0, lon0), d.radius_m * d.radius_m, d.area) for d in discs]


def _classify(x: float, y: float, projected: list[tuple[float, float, float, str]]) -> str:
    found = "rural"
    for cx, cy, r2, area in projected:
        if (x - cx) ** 2 + (y - cy) ** 2 <= r2:
            if area == "urban":
                return "urban"
            found = "town"
    return found


@lru_cache(maxsize=4)
def areas_of(reference: Reference, model: Model = MODEL) -> Areas:
    """The :class:`Areas` of a reference data set's places (built once per set of files)."""
    return Areas(reference.cities, model)


# --- one trip --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trip:
    """The estimate for one unit to one incident."""

    distance_m: float
    road_m: float
    eta_s: float
    #: road metres in each area type
    road_by_area_m: dict[str, float]

    @property
    def area(self) -> str:
        """The area type most of the trip lies in (of equal parts, the slower)."""
        return max(AREAS, key=lambda a: (round(self.road_by_area_m[a], 3), -AREAS.index(a)))


def trip(areas: Areas, lat0: float, lon0: float, lat1: float, lon1: float) -> Trip:
    """The estimate from (lat0, lon0) — the unit — to (lat1, lon1) — the incident."""
    model = areas.model
    distance = haversine_m(lat0, lon0, lat1, lon1)
    road = distance * model.circuity
    shares = areas.split(lat0, lon0, lat1, lon1)
    by_area = {area: road * share for area, share in shares.items()}
    eta = sum(metres / (model.speeds_kmh[area] / 3.6) for area, metres in by_area.items())
    return Trip(distance, road, eta, by_area)


def lower_bound_s(distance_m: float, model: Model) -> float:
    """No trip of ``distance_m`` can be estimated faster than this (all of it at the fastest speed)."""
    return distance_m * model.circuity / (max(model.speeds_kmh.values()) / 3.6)


# --- the ranking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """One suggested unit, as the API answers it."""

    rank: int
    id: str
    agency: str
    status: str
    region: str
    lon: float
    lat: float
    distance_m: int
    road_m: int
    eta_s: float
    area: str
    road_by_area_m: dict[str, int]
    position_age_s: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Ranking:
    """The answer for one incident: its nearest available units, fastest first."""

    incident: str
    agency: str
    status: str
    lon: float | None
    lat: float | None
    at: int
    units: list[Suggestion]
    #: the incident is closed: nothing is suggested
    closed: bool = False
    #: units of the incident's agency in scope that were left out, by reason (none is out of scope)
    excluded: dict[str, int] = field(default_factory=dict)
    model: Model = MODEL

    @property
    def note(self) -> str | None:
        """Why the list is empty, in a sentence for API callers (the page has its own words)."""
        if self.closed:
            return "the incident is closed: no units are suggested"
        if self.lat is None:
            return "the incident has no position"
        if not self.units:
            return "no available unit of the incident's agency with a known position in your scope"
        return None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "incident": self.incident,
            "agency": self.agency,
            "status": self.status,
            "closed": self.closed,
            "at": self.at,
            "model": self.model.describe(),
            "units": [s.as_dict() for s in self.units],
            "excluded": dict(self.excluded),
        }
        if self.note:
            body["note"] = self.note
        return body


def _position(feature: Mapping[str, Any]) -> tuple[float, float] | None:
    """``(lat, lon)`` of a Point Feature, or ``None`` when it has no usable position."""
    try:
        lon, lat = feature["geometry"]["coordinates"][:2]
        lat, lon = float(lat), float(lon)
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _props(feature: Mapping[str, Any]) -> Mapping[str, Any]:
    props = feature.get("properties")
    return props if isinstance(props, Mapping) else {}


def rank(
    incident: Mapping[str, Any],
    units: Iterable[Mapping[str, Any]],
    areas: Areas,
    *,
    scope: Scope,
    now_ms: int,
    n: int = DEFAULT_N,
) -> Ranking:
    """The ``n`` units that would reach ``incident`` (a Feature) first, of ``units`` (Features).

    Units are tried nearest first by great-circle distance, and the search stops as soon as even the
    fastest possible trip of the next one (:func:`lower_bound_s`) could not beat the ``n``-th found: a
    national fleet costs a few dozen estimates, not one per unit.
    """
    model = areas.model
    props = _props(incident)
    agency, status = str(props.get("agency") or ""), str(props.get("status") or "")
    where = _position(incident)
    answer = {"incident": str(incident.get("id") or props.get("id") or ""), "agency": agency,
              "status": status, "lat": where[0] if where else None, "lon": where[1] if where else None,
              "at": now_ms, "model": model}
    if status == IncidentStatus.closed.value:
        return Ranking(**answer, units=[], closed=True)
    excluded = {"not_available": 0, "stale": 0, "no_position": 0}
    regions, agencies = frozenset(scope.regions), frozenset(scope.agencies)  # Scope builds them per call
    candidates: list[tuple[float, str, float, float, Mapping[str, Any], float]] = []
    for unit in units:
        uprops = _props(unit)
        region, unit_agency = uprops.get("region"), uprops.get("agency")
        if unit_agency != agency or region not in regions or unit_agency not in agencies:
            continue  # never counted: what lies beyond the scope is not even hinted at
        if uprops.get("status") != UnitStatus.available.value:
            excluded["not_available"] += 1
            continue
        at = _position(unit)
        ts = uprops.get("ts")
        if at is None or not isinstance(ts, int | float):
            excluded["no_position"] += 1
            continue
        age_s = max(0.0, (now_ms - ts) / 1000)
        if age_s > model.max_position_age_s:
            excluded["stale"] += 1
            continue
        if where is None:
            continue
        distance = haversine_m(at[0], at[1], where[0], where[1])
        candidates.append((round(distance, 3), str(unit.get("id")), at[0], at[1], uprops, age_s))
    if where is None:
        return Ranking(**answer, units=[], excluded=excluded)
    candidates.sort(key=lambda c: (c[0], c[1]))
    best: list[tuple[tuple[float, float, str], Suggestion]] = []
    n = max(1, min(int(n), MAX_N))
    for distance, unit_id, lat, lon, uprops, age_s in candidates:
        if len(best) == n and round(lower_bound_s(distance, model), 1) > best[-1][0][0]:
            break  # every unit left is further, so at least this slow: none can enter
        estimate = trip(areas, lat, lon, where[0], where[1])
        eta = round(estimate.eta_s, 1)
        key = (eta, distance, unit_id)
        if len(best) == n and key >= best[-1][0]:
            continue
        suggestion = Suggestion(
            rank=0, id=unit_id, agency=agency, status=str(uprops.get("status")),
            region=str(uprops.get("region")), lon=lon, lat=lat, distance_m=round(distance),
            road_m=round(estimate.road_m), eta_s=eta, area=estimate.area,
            road_by_area_m={a: round(m) for a, m in estimate.road_by_area_m.items()},
            position_age_s=round(age_s, 1),
        )
        bisect.insort(best, (key, suggestion), key=lambda item: item[0])
        del best[n:]
    chosen = [Suggestion(**{**asdict(s), "rank": i + 1}) for i, (_key, s) in enumerate(best)]
    return Ranking(**answer, units=chosen, excluded=excluded)


# --- reading through the store ---------------------------------------------------------------------


class LiveReads(Protocol):
    """The two reads of ``store.live`` (:class:`app.store.reads.Live`) a suggestion needs."""

    def incident(self, incident_id: str, scope: Scope) -> dict[str, Any] | None: ...

    def units(self, scope: Scope) -> list[dict[str, Any]]: ...


def candidates_scope(scope: Scope, agency: str) -> Scope | None:
    """Where an incident's candidates are read: every region of ``scope`` — a unit across a region's
    border may well be nearest — but only the incident's agency; ``None`` when it is not in ``scope``."""
    if agency not in scope.agencies:
        return None
    return Scope(None, agency, tuple(scope.regions), None)


def suggest_for(
    feature: Mapping[str, Any], live: LiveReads, areas: Areas, scope: Scope, *, n: int, now_ms: int
) -> Ranking:
    """The ranking for an incident Feature already read (in ``scope``): its candidates are read here."""
    props = _props(feature)
    agency = str(props.get("agency") or "")
    where = candidates_scope(scope, agency)
    closed = props.get("status") == IncidentStatus.closed.value
    units = live.units(where) if where is not None and not closed else []
    return rank(feature, units, areas, scope=scope, now_ms=now_ms, n=n)


def suggest(
    live: LiveReads, areas: Areas, incident_id: str, scope: Scope, *, n: int = DEFAULT_N, now_ms: int
) -> Ranking | None:
    """The ranking for incident ``incident_id``; ``None`` when it is unknown or outside ``scope`` (the
    two are not told apart, so an id outside the scope reveals nothing)."""
    feature = live.incident(incident_id, scope)
    if feature is None:
        return None
    return suggest_for(feature, live, areas, scope, n=n, now_ms=now_ms)
