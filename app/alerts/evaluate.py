"""The rules, evaluated: which conditions hold now.

One function a kind, each from the worker's :class:`~.picture.Picture` (and the stream activity, the
port waits, the spike's normal) to the conditions that hold, keyed so that the same situation always
has the same key (``<rule>:<incident>``, ``<rule>:<region>``, ``<rule>:<zone>:unit:<id>``…). A
condition already held (``held``: it has an alert) is judged by the looser *clearing* threshold — the
hysteresis that keeps an alert from flapping at its edge: a spike clears only when its tail probability
is back above ``clear_alpha``, a port's wait only below ``clear_min``, a unit leaves a zone only once 25 m
outside it. A condition already held comes back bare (its key and rule): its alert was raised with its
facts, and the worker needs only to know it still holds — building the facts of a few hundred held
conditions every tick cost more than evaluating the 50 rules. Pure but for the data handed in.
"""

from __future__ import annotations

import math
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from app.contract import Stream
from app.geo import Port, Region

from .model import Alert
from .picture import AGENCIES, CATEGORIES, STATUSES, Columns, Picture
from .rules import Rule, RuleSet
from .spike import Baseline, poisson_tail
from .zones import Zone


@dataclass(frozen=True)
class Condition:
    """A situation a rule found, keyed so the same situation always has the same key; ``about`` holds
    what the alert raised for it says and concerns (:class:`~.model.Alert`'s fields: region, agency, the
    ids, lon/lat, facts)."""

    key: str
    rule: Rule
    about: dict[str, Any]

    def alert(self, now_ms: int) -> Alert:
        """The alert to raise for it (its id is given when it is raised)."""
        rule = self.rule
        return Alert(
            id="",
            rule=rule.id,
            kind=rule.kind,
            severity=rule.severity,
            condition=self.key,
            raised_at=now_ms,
            **self.about,
        )


def _found(key: str, rule: Rule, **about: Any) -> Condition:
    return Condition(key, rule, about)


@dataclass(frozen=True)
class Inputs:
    """What the rules read besides the picture."""

    now_ms: int
    picture: Picture
    regions: Mapping[str, Region]
    ports: Mapping[str, Port]
    baseline: Baseline
    port_waits: Mapping[str, tuple[int, float]]
    activity: Mapping[Stream, tuple[int, int | None, int | None]]
    clock_ms: int  # Redis's clock (stream ids are by it)
    response_target_s: float
    shapes: Mapping[str, tuple[Zone, ...]]


def _region_facts(inputs: Inputs, region: str) -> dict[str, str]:
    r = inputs.regions.get(region)
    return {"region_en": r.name_en, "region_ar": r.name_ar} if r else {}


def _rule_facts(rule: Rule) -> dict[str, str]:
    return {k: v for k, v in (("rule_name_en", rule.name_en), ("rule_name_ar", rule.name_ar)) if v}


def _incident_mask(rule: Rule, cols: Columns) -> np.ndarray:
    mask = np.ones(len(cols), dtype=bool)
    if rule.regions is not None:
        mask &= cols.in_regions(rule.regions)
    if rule.agencies is not None:
        mask &= np.isin(cols.agency, [AGENCIES.index(a.value) for a in rule.agencies])
    if rule.categories is not None:
        mask &= np.isin(cols.values["category"], [CATEGORIES.index(c.value) for c in rule.categories])
    if rule.priority is not None:
        mask &= cols.values["priority"] <= rule.priority
    return mask


def _incident_condition(rule: Rule, cols: Columns, i: int, inputs: Inputs, **facts: Any) -> Condition:
    incident_id = cols.ids[i]
    row = inputs.picture.incidents.get(incident_id, {})
    region = str(cols.region[i])
    return _found(
        key=f"{rule.id}:{incident_id}",
        rule=rule,
        region=region,
        agency=str(row.get("agency") or ""),
        incident=incident_id,
        lon=float(cols.lon[i]),
        lat=float(cols.lat[i]),
        facts={
            "priority": int(cols.values["priority"][i]),
            "category": row.get("category"),
            **_region_facts(inputs, region),
            **_rule_facts(rule),
            **facts,
        },
    )


def unassigned(rule: Rule, inputs: Inputs, held: Container[str]) -> list[Condition]:
    """An incident of the rule's scope still ``new`` with no unit ``after_s`` after it opened."""
    cols = inputs.picture.incident_columns()
    if not len(cols):
        return []
    waited = (inputs.now_ms - cols.values["opened"]) / 1000
    mask = (
        _incident_mask(rule, cols)
        & (cols.values["status"] == STATUSES.index("new"))
        & (cols.values["units"] == 0)
        & (waited >= rule.after_s)
    )
    out = []
    for i in np.flatnonzero(mask):
        key = f"{rule.id}:{cols.ids[i]}"
        if key in held:
            out.append(Condition(key, rule, {}))
        else:
            waited_s = round(float(waited[i]))
            out.append(_incident_condition(rule, cols, i, inputs, waited_s=waited_s, after_s=rule.after_s))
    return out


def response_breach(rule: Rule, inputs: Inputs, held: Container[str]) -> list[Condition]:
    """An open incident of the rule's scope with no unit on scene longer than the target after it opened."""
    cols = inputs.picture.incident_columns()
    if not len(cols):
        return []
    target = rule.target_s or inputs.response_target_s
    elapsed = (inputs.now_ms - cols.values["opened"]) / 1000
    mask = _incident_mask(rule, cols) & np.isnan(cols.values["on_scene"]) & (elapsed > target)
    out = []
    for i in np.flatnonzero(mask):
        key = f"{rule.id}:{cols.ids[i]}"
        if key in held:
            out.append(Condition(key, rule, {}))
        else:
            elapsed_s = round(float(elapsed[i]))
            out.append(_incident_condition(rule, cols, i, inputs, elapsed_s=elapsed_s, target_s=target))
    return out


def spike(rule: Rule, inputs: Inputs, held: Container[str]) -> list[Condition]:
    """A region's openings in the last window improbably many for its normal (:mod:`.spike`)."""
    out = []
    window_ms = int(rule.window_s * 1000)
    for region in inputs.regions:
        if not rule.covers_region(region) or not inputs.baseline.knows(region):
            continue
        count = inputs.picture.opened_between(region, inputs.now_ms - window_ms, inputs.now_ms + 1)
        expected = inputs.baseline.expected(region, window_ms, inputs.now_ms)
        tail = poisson_tail(count, expected)
        key = f"{rule.id}:{region}"
        holds = tail < rule.clear_alpha if key in held else (tail < rule.alpha and count >= rule.min_count)
        if holds:
            out.append(
                _found(
                    key=key,
                    rule=rule,
                    region=region,
                    lon=None,
                    lat=None,
                    facts={
                        "count": count,
                        "expected": round(expected, 2),
                        "p": tail,
                        "window_s": rule.window_s,
                        "normal": inputs.baseline.source,
                        **_region_facts(inputs, region),
                        **_rule_facts(rule),
                    },
                )
            )
    return out


def _zone_shape(zone: Zone) -> dict[str, Any]:
    """The zone's outline for the alert's CAP document: a circle, or its (largest) polygon's ring."""
    if zone.circle_m:
        return {"zone_circle": {"lon": zone.lon, "lat": zone.lat, "radius_m": zone.circle_m}}
    outline = max(getattr(zone.outline, "geoms", [zone.outline]), key=lambda p: p.area)
    ring = outline.exterior.simplify(0.0001)
    return {"zone_polygon": [[round(x, 5), round(y, 5)] for x, y in ring.coords]}


def geofence(rule: Rule, inputs: Inputs, held: Container[str]) -> list[Condition]:
    """A unit or incident of the rule's scope inside one of its zones (``when = "inside"``), or a watched
    unit outside them (``when = "outside"``), while the zone is guarded."""
    out = []
    for zone in inputs.shapes.get(rule.id, ()):
        if not zone.active(inputs.now_ms):
            continue
        zone_facts = {
            "zone_en": zone.name_en,
            "zone_ar": zone.name_ar,
            "when": rule.when,
            **_zone_shape(zone),
            **_rule_facts(rule),
        }
        for subject in rule.subjects:
            cols = inputs.picture.unit_columns() if subject == "unit" else inputs.picture.incident_columns()
            if not len(cols):
                continue
            scoped = np.ones(len(cols), dtype=bool)
            if rule.regions is not None:
                scoped &= cols.in_regions(rule.regions)
            if rule.agencies is not None:
                scoped &= np.isin(cols.agency, [AGENCIES.index(a.value) for a in rule.agencies])
            if subject == "incident":
                scoped &= _incident_mask(rule, cols)
            if rule.when == "outside":
                scoped &= np.isin(np.array(cols.ids, dtype=object), list(rule.units))
            # Only the points near the zone are tested against it (its margin's bounding box: a cheap
            # mask), and only those that could hold are looked at one by one: inside the margin for
            # "inside" (held ones stay until they leave it), outside the zone for "outside".
            west, south, east, north = zone.margin.bounds
            near = scoped & (cols.lon >= west) & (cols.lon <= east)
            near &= (cols.lat >= south) & (cols.lat <= north)
            inside = np.zeros(len(cols), dtype=bool)
            inside_loose = np.zeros(len(cols), dtype=bool)
            if near.any():
                at = np.flatnonzero(near)
                inside[at] = zone.inside(cols.lon[at], cols.lat[at])
                inside_loose[at] = shapely.contains_xy(zone.margin, cols.lon[at], cols.lat[at])
            candidates = scoped & (inside_loose if rule.when == "inside" else ~inside)
            for i in np.flatnonzero(candidates):
                thing = cols.ids[i]
                key = f"{rule.id}:{zone.id}:{subject}:{thing}"
                if rule.when == "inside":
                    holds = inside_loose[i] if key in held else inside[i]
                else:
                    holds = not inside[i] if key in held else not inside_loose[i]
                if holds and key in held:
                    out.append(Condition(key, rule, {}))
                elif holds:
                    region = str(cols.region[i])
                    out.append(
                        _found(
                            key=key,
                            rule=rule,
                            region=region,
                            agency=AGENCIES[cols.agency[i]] if cols.agency[i] >= 0 else "",
                            zone=zone.id,
                            lon=float(cols.lon[i]),
                            lat=float(cols.lat[i]),
                            **({"unit": thing} if subject == "unit" else {"incident": thing}),
                            facts={**zone_facts, **_region_facts(inputs, region)},
                        )
                    )
    return out


def port_wait(rule: Rule, inputs: Inputs, held: Container[str]) -> list[Condition]:
    """A port of the rule's scope whose latest queue wait is above the threshold (held: above
    ``clear_min``)."""
    out = []
    clear = rule.clear_min if rule.clear_min is not None else rule.threshold_min - 5
    for port_id, (ts, wait) in inputs.port_waits.items():
        port = inputs.ports.get(port_id)
        if port is None or not rule.covers_region(port.region) or (rule.ports and port_id not in rule.ports):
            continue
        key = f"{rule.id}:{port_id}"
        if wait >= rule.threshold_min or (key in held and wait > clear):
            out.append(
                _found(
                    key=key,
                    rule=rule,
                    region=port.region,
                    port=port_id,
                    lon=port.lon,
                    lat=port.lat,
                    facts={
                        "wait_min": wait,
                        "threshold_min": rule.threshold_min,
                        "wait_ts": ts,
                        "port_en": port.name_en,
                        "port_ar": port.name_ar,
                        **_region_facts(inputs, port.region),
                        **_rule_facts(rule),
                    },
                )
            )
    return out


def stale_producer(rule: Rule, inputs: Inputs, held: Container[str]) -> list[Condition]:
    """A stream quiet for longer than its own rhythm allows: with entries arriving at random at the rate
    the stream kept shows, a silence of ``t`` has chance ``exp(−t / gap)``; below ``quiet_alpha`` (and
    past ``min_quiet_s``) the producer has stopped. Held: until anything arrives."""
    out = []
    for stream in rule.streams:
        length, first, last = inputs.activity.get(stream, (0, None, None))
        if length < 10 or first is None or last is None or last <= first:
            continue  # too little seen to know its rhythm (or a stream not connected yet)
        gap_ms = (last - first) / (length - 1)
        limit_ms = max(rule.min_quiet_s * 1000, math.log(1 / rule.quiet_alpha) * gap_ms)
        quiet = inputs.clock_ms - last
        key = f"{rule.id}:{stream.value}"
        if quiet > limit_ms or (key in held and quiet > limit_ms / 2):
            out.append(
                _found(
                    key=key,
                    rule=rule,
                    stream=stream.value,
                    facts={
                        "quiet_s": round(quiet / 1000),
                        "usual_gap_s": round(gap_ms / 1000, 3),
                        "limit_s": round(limit_ms / 1000),
                        **_rule_facts(rule),
                    },
                )
            )
    return out


EVALUATORS = {
    "unassigned": unassigned,
    "response_breach": response_breach,
    "spike": spike,
    "geofence": geofence,
    "port_wait": port_wait,
    "stale_producer": stale_producer,
}


def evaluate(rules: RuleSet, inputs: Inputs, held: Container[str]) -> dict[str, Condition]:
    """Every condition that holds now, by key."""
    found: dict[str, Condition] = {}
    for rule in rules.rules:
        for condition in EVALUATORS[rule.kind](rule, inputs, held):
            found.setdefault(condition.key, condition)
    return found
