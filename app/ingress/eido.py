"""NENA's Emergency Incident Data Object (EIDO, NENA-STA-021.1b-2022, JSON) → Basira's stream entries.
Pure: no I/O, no clock (the caller says when "now" is); :mod:`.receive` hands the entries to the gate.

Followed: the standard's JSON schema and sample as NENA publishes them, ``github.com/NENA911/EIDO-JSON``
(``Schema/openapi.yaml`` and ``Samples/Sample call transfer EIDO.json``, branch NENA-STA-021.1b at commit
c3b8d20, and the same files on ``main`` at 7f62055, the 021.1.1 draft), and the registries of the
standard's text (``Documentation/NENA-STA-021.1b EIDO JSON_2022.docx``, chapter 3: Incident Type, Incident
Status, Primary and Secondary Unit Status). ``docs/standards.md`` ("NENA EIDO") gives the mapping in full.

An EIDO is the state of one incident as its sender knows it when sending (§2: "only known current
state"), so each EIDO becomes, for Basira, the incident's latest change:

* the EIDO itself (its ``$id`` *is* the Incident Tracking Identifier, §2.2) with its ``incidentComponent``
  → one ``incidents`` entry, ``id`` = the tracking identifier (made a contract id by :func:`contract_id`,
  the same every time, so a later EIDO updates the same incident);
* each ``callComponent`` → a ``calls`` entry once the call was answered or ended (a call still ringing
  is left for a later EIDO);
* each ``emergencyResourceComponent`` → a ``units`` entry where the unit's position is known.

What has no place in the contract (persons, vehicles, notes but the first, additional data, media…) is
not read. Locations arrive as PIDF-LO (:mod:`.pidf`); one given only by reference (a URL) is not
fetched. A component that cannot become an entry is *skipped* with its reason (the answer lists them);
an entry the contract or the producer's scope refuses is the gate's to refuse.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.contract import Agency, Category, IncidentStatus, Stream, UnitStatus, parse_ts

from . import pidf

Entry = tuple[Stream, dict[str, str]]

#: The only EIDO structure version of NENA-STA-021.1 (eidoVersion "1.0"; a minor version is not breaking).
VERSION_MAJOR = "1"
#: Longest description kept (the contract's limit).
DESCRIPTION_MAX = 500
_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_NOT_ID = re.compile(r"[^A-Za-z0-9._:-]+")
_TAGS = re.compile(r"<[^>]*>")
#: The constant part of NENA's identifiers (STA-010): incident, call and data component URNs.
_URN_PREFIX = re.compile(r"^urn:emergency:uid:(?:incidentid|callid|eidodatacomponent):", re.IGNORECASE)

#: NENA's Incident Type registry (APCO ANS 2.103.2-2019 codes, STA-021.1b §3.2) → Basira's categories.
#: Codes not listed are ``other``; the sender's own text stays in the description.
CATEGORY_OF_TYPE: dict[str, Category] = {
    **dict.fromkeys((
        "FAIRC", "FAPT", "FARSON", "FBRUSH", "FELEC", "FFUEL", "FMARINE", "FOTHER", "FREPORT", "FSMOKE",
        "FSTRU", "FTRAILER", "FTRAIN", "FTRASH", "FTRUCK", "FUNK", "FVEH", "EXPLOS", "ALRF", "ALRHEAT",
        "ALRPULL", "ALRWTR", "ALRBOX", "ALRGAS", "ALRKPAD", "ALRPROPN", "ALRNGAS", "ALRCO2",
    ), Category.fire),
    **dict.fromkeys(("MVA", "MVAHR", "MVAINJY", "MVAUNK", "MVCP"), Category.collision),
    **dict.fromkeys((
        "BURGLARY", "LARCENY", "ROBBERY", "SHOPLIFT", "CARJACK", "VEHSTLN", "PROPSTLN", "ALRBA", "ALRBS",
        "ALRROBA", "ALRROBS",
    ), Category.theft),
    **dict.fromkeys((
        "ABDOM", "ALLERGIC", "ALRDEFIB", "ALRMED", "ALS", "BACK", "BLEEDING", "BLS", "BURN", "CARDIAC",
        "CHESPAIN", "CHOKE", "DIABETIC", "EYE", "FALL", "HEADACHE", "HEMRG", "NCRCPRF", "OD", "PERUNCON",
        "PREG", "RESP", "RESPARR", "SEIZURE", "SICK", "STROKE", "TRAUMA", "TRAUMAP", "EXPOSURE", "ELEC",
        "MCI", "TRANSFER", "BITE", "PANDEMIC",
    ), Category.medical),
    **dict.fromkeys((
        "ASSAULT", "FAS", "FASX", "NCRASLTWF", "STABBING", "SHOOT", "ACTSHOOT", "DVA", "HOMICIDE", "FIGHT",
        "ABUSE", "SEXOFFNS",
    ), Category.assault),
    **dict.fromkeys((
        "RESCUE", "SAR", "XTRICATE", "ENTRAP", "BLDCLPSE", "BRGCLPSE", "NCRELEV", "WATER", "DROWN",
        "MISBOATR", "AIR", "TRAINDRL", "TRAIN", "NCRTRANS",
    ), Category.rescue),
    **dict.fromkeys((
        "HAZMAT", "CHEMICAL", "GASLEAK", "GASLEAKI", "GASLEAKO", "RADIAT", "BIO", "ODOR", "ALRCO",
        "ELECHZD",
    ), Category.hazmat),
    **dict.fromkeys(("THAZ", "WIRES", "HAZ"), Category.road_hazard),
    **dict.fromkeys(("DISVEH", "VEHASST", "VEHLOCK", "TOW"), Category.breakdown),
    **dict.fromkeys((
        "DISORD", "NOISE", "CRWD", "CU1", "CU2", "CU3", "CIVDIS", "DVNA", "INTOX", "LIQUOR", "SCRM", "EDP",
        "MNTL", "MTLV",
    ), Category.disturbance),
    **dict.fromkeys(("PERMISS", "ABDUCTF", "ABDUCTNF", "RUNAWAY"), Category.missing_person),
    **dict.fromkeys(("SUSP", "PERSUSP", "VEHSUSP", "PROW", "BOMB"), Category.suspicious),
    "VANDAL": Category.vandalism,
    **dict.fromkeys(("RECKDRV", "DUI", "TSTOP", "PARKING", "CRIMTRAF", "ELUDING", "PURSUIT"),
                    Category.traffic_violation),
}

#: NENA's Incident Status registry (§3.3) → Basira's incident status; the furthest one listed wins.
STATUS_OF_INCIDENT: dict[str, IncidentStatus] = {
    "Active": IncidentStatus.new, "NewLocation": IncidentStatus.new, "ReOpened": IncidentStatus.new,
    "ResourcesAssigned": IncidentStatus.dispatched, "ResourcesEnroute": IncidentStatus.dispatched,
    "ResourcesOnscene": IncidentStatus.on_scene, "FireUnderControl": IncidentStatus.on_scene,
    "StructureCleared": IncidentStatus.on_scene,
    "Closed": IncidentStatus.closed, "Cancelled": IncidentStatus.closed,
}
_STATUS_RANK = {IncidentStatus.new: 0, IncidentStatus.dispatched: 1, IncidentStatus.on_scene: 2,
                IncidentStatus.closed: 3}

#: Secondary Unit Status registry (§3.10) values that say where a unit is in its assignment.
_ON_SCENE = frozenset({"OnScene", "Arrived", "PatientContact", "TrafficStop"})
_DISPATCHED = frozenset({"Dispatched", "EnRoute", "Assigned", "AcknowledgedTransmission", "Transporting",
                         "Backup", "Delayed", "Staging"})
_OUT = frozenset({"OutofService", "OffDuty", "EquipmentIssues", "Unmanned"})

#: An agency's type (IANA's urn:emergency:service:responder registry, without that prefix) → Basira's
#: agency, by its first label: ``police.federal`` is ``police``. The operator's map comes first.
AGENCY_OF_TYPE: dict[str, Agency] = {
    "police": Agency.patrol, "fire": Agency.civil_defense, "ems": Agency.red_crescent,
    "mountain_rescue": Agency.civil_defense, "coast_guard": Agency.civil_defense,
}
#: Words in an emergency resource's type (§3.11) that say its agency, when nothing else does.
AGENCY_OF_RESOURCE: tuple[tuple[str, Agency], ...] = (
    ("ambulance", Agency.red_crescent), ("medic", Agency.red_crescent), ("paramedic", Agency.red_crescent),
    ("fire", Agency.civil_defense), ("engine", Agency.civil_defense), ("ladder", Agency.civil_defense),
    ("tanker", Agency.civil_defense), ("hazmat", Agency.civil_defense), ("rescue", Agency.civil_defense),
    ("traffic", Agency.traffic), ("police", Agency.patrol), ("patrol", Agency.patrol),
    ("swat", Agency.patrol), ("bomb", Agency.patrol),
)
#: A category's own agency: what a call-taking agency's incident is most likely answered by.
AGENCY_OF_CATEGORY: dict[Category, Agency] = {
    Category.fire: Agency.civil_defense, Category.hazmat: Agency.civil_defense,
    Category.rescue: Agency.civil_defense, Category.flood: Agency.civil_defense,
    Category.medical: Agency.red_crescent,
    Category.collision: Agency.traffic, Category.traffic_violation: Agency.traffic,
    Category.breakdown: Agency.road_security, Category.road_hazard: Agency.road_security,
}
#: A call's priority (STA-023's priorityIdentifier) → Basira's priority, when the incident gives none.
PRIORITY_OF_CALL = {"highest": 1, "high": 2, "normal": 3, "low": 4, "lowest": 4}


class NotEido(ValueError):
    """A document that is not an EIDO of NENA-STA-021.1; ``reason`` says what is wrong, for the sender."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Options:
    """How to read agencies: the operator's map (an agency's ``$id`` or type → Basira's agency) and the
    agency of an incident when nothing says one (``BASIRA_EIDO_AGENCIES``, ``BASIRA_EIDO_AGENCY``)."""

    agency_default: Agency = Agency.patrol
    agencies: Mapping[str, Agency] = field(default_factory=dict)

    @classmethod
    def parse(cls, default: str, mapping: str) -> Options:
        """From the settings' text: ``default`` an agency, ``mapping`` ``key=agency`` pairs, comma-separated
        (``traffic.riyadh.gov.sa=traffic, police.highway=road_security``). Raises ``ValueError`` naming
        what is wrong."""
        try:
            agency = Agency(default)
        except ValueError:
            raise ValueError(f"unknown agency {default!r}: expected one of {', '.join(Agency)}") from None
        pairs: dict[str, Agency] = {}
        for part in (p.strip() for p in mapping.split(",") if p.strip()):
            key, sep, value = part.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"{part!r}: expected key=agency")
            try:
                pairs[key.strip().lower()] = Agency(value.strip())
            except ValueError:
                raise ValueError(f"{part!r}: unknown agency {value.strip()!r}: expected one of "
                                 f"{', '.join(Agency)}") from None
        return cls(agency, pairs)


@dataclass
class Mapped:
    """What an EIDO became: its entries (each with the component it came from), what could not become
    one and why (``skipped``: data lost, as a location that is only an area), what is left for a later EIDO
    (``waiting``: a call still ringing), and the incident's contract id."""

    incident: str
    entries: list[Entry] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    waiting: list[tuple[str, str]] = field(default_factory=list)

    def add(self, source: str, stream: Stream, fields: dict[str, str]) -> None:
        self.entries.append((stream, fields))
        self.sources.append(source)


def contract_id(raw: str) -> str:
    """An EIDO identifier as a contract id (1–64 of ``A–Z a–z 0–9 . _ : -``), the same every time.

    NENA's identifiers are URNs (STA-010: ``urn:emergency:uid:incidentid:<unique>:<agency>``); their
    constant prefix is dropped (``8c1f02a7d4:psap.makkah.example.sa``), which leaves the agency's domain
    room within 64 characters. What is then a contract id is kept; anything else keeps its allowed
    characters, cut, and 10 hex of its SHA-256, so two identifiers that differ stay different
    (``engine52@fd.example`` → ``engine52_fd.example:3f1a…``)."""
    short = _URN_PREFIX.sub("", raw, count=1)
    if _ID_OK.match(short):
        return short
    tag = hashlib.sha256(raw.encode()).hexdigest()[:10]
    kept = _NOT_ID.sub("_", short).strip("_")[:64 - 11] or "eido"
    return f"{kept}:{tag}"


def read_document(body: bytes) -> dict[str, Any]:
    """The EIDO in ``body`` (UTF-8 JSON), checked for the members NENA-STA-021.1 requires of every EIDO
    (§2.2: ``$id``, ``lastUpdateTimeStamp``, ``updatedByAgencyReference``, ``eidoVersion``,
    ``issuingElementIdentification``, ``agencyComponent``). Raises :class:`NotEido` with the reason."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise NotEido(f"not JSON: {error}") from None
    return check_shape(doc)


def check_shape(doc: Any) -> dict[str, Any]:
    """``doc`` when it has the shape of an EIDO (see :func:`read_document`); raises :class:`NotEido`."""
    if not isinstance(doc, dict):
        kinds = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
        raise NotEido(f"an EIDO is a JSON object (NENA-STA-021.1 §2.2), not {kinds.get(type(doc), 'null')}")
    missing = [name for name in ("$id", "lastUpdateTimeStamp", "eidoVersion", "issuingElementIdentification",
                                 "agencyComponent") if name not in doc]
    if missing:
        raise NotEido(f"not an EIDO: missing {', '.join(missing)} (required by NENA-STA-021.1 §2.2)")
    if not isinstance(doc["$id"], str) or not doc["$id"].strip():
        raise NotEido("$id (the Incident Tracking Identifier) must be a non-empty string")
    version = doc["eidoVersion"]
    if not isinstance(version, str) or version.split(".")[0] != VERSION_MAJOR:
        raise NotEido(f"eidoVersion {str(version)[:10]!r}: this reader takes version 1.x EIDOs")
    if not isinstance(doc["agencyComponent"], list) or not doc["agencyComponent"]:
        raise NotEido("agencyComponent must be an array of at least one agency (NENA-STA-021.1 §2.2)")
    for name in ("callComponent", "emergencyResourceComponent", "locationComponent", "agencyComponent",
                 "dispatchComponent", "notesComponent"):
        value = doc.get(name)
        if value is not None and not (isinstance(value, list) and all(isinstance(c, dict) for c in value)):
            raise NotEido(f"{name} must be an array of objects")
    incident = doc.get("incidentComponent")
    if incident is not None and not isinstance(incident, dict) and not (
        isinstance(incident, list) and len(incident) == 1 and isinstance(incident[0], dict)
    ):
        raise NotEido("incidentComponent must be an object (NENA-STA-021.1: at most one)")
    try:
        parse_ts(doc["lastUpdateTimeStamp"])
    except ValueError as error:
        raise NotEido(f"lastUpdateTimeStamp: {error}") from None
    return doc


def _ref(value: Any) -> str | None:
    """The ``$id`` a reference names (``{"$ref": "…"}``; a bare string, as early drafts wrote, too)."""
    if isinstance(value, dict) and isinstance(value.get("$ref"), str):
        return value["$ref"]
    return value if isinstance(value, str) else None


def _refs(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    return [r for r in (_ref(item) for item in items) if r]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _clip(text: str, limit: int = DESCRIPTION_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Reader:
    """One EIDO being read: its components by ``$id``, the locations read once each."""

    def __init__(self, doc: dict[str, Any], options: Options) -> None:
        self.doc = doc
        self.options = options
        self.by_id: dict[str, dict[str, Any]] = {}
        for name, value in doc.items():
            if name.endswith("Component") and isinstance(value, list):
                for component in value:
                    if isinstance(component, dict) and isinstance(component.get("$id"), str):
                        self.by_id.setdefault(component["$id"], component)
        self.agencies = {c["$id"]: c for c in doc.get("agencyComponent") or []
                         if isinstance(c, dict) and isinstance(c.get("$id"), str)}
        self._places: dict[str, pidf.Location | str] = {}

    # -- locations ------------------------------------------------------------------------------

    def place(self, ref: str) -> pidf.Location | str:
        """The location component ``ref`` read (a :class:`~.pidf.Location`), or why it cannot be."""
        if ref not in self._places:
            self._places[ref] = self._read_place(ref)
        return self._places[ref]

    def _read_place(self, ref: str) -> pidf.Location | str:
        component = self.by_id.get(ref)
        if component is None:
            return f"location {ref[:60]!r} is not in the EIDO's locationComponent"
        value = component.get("locationByValue")
        if isinstance(value, str) and value.strip():
            try:
                return pidf.read(value)
            except pidf.PidfError as error:
                return f"location {ref[:60]!r}: PIDF-LO {error.reason}"
        if component.get("locationByReferenceUrl"):
            return f"location {ref[:60]!r} is given by reference only (a URL Basira does not fetch)"
        return f"location {ref[:60]!r} has no locationByValue"

    def where(self, refs: list[str]) -> tuple[pidf.Location | None, list[str]]:
        """The first of ``refs`` with a point, and the reasons the ones before it had none (or the first
        location without a point, for its civic address, when none has one)."""
        reasons: list[str] = []
        fallback: pidf.Location | None = None
        for ref in refs:
            place = self.place(ref)
            if isinstance(place, str):
                reasons.append(place)
            elif place.has_point:
                return place, reasons
            else:
                fallback = fallback or place
                what = "; ".join(place.dropped) or "no point"
                reasons.append(f"location {ref[:60]!r}: {what}")
        return fallback, reasons

    # -- agencies -------------------------------------------------------------------------------

    def agency_of(self, agency_ref: str | None) -> Agency | None:
        """Basira's agency for the EIDO agency ``agency_ref``: the operator's map by its ``$id``, then by
        its ``agencyType`` (whole, then its first label), then the built-in types; ``None`` when none says."""
        if not agency_ref:
            return None
        mapped = self.options.agencies
        if agency_ref.lower() in mapped:
            return mapped[agency_ref.lower()]
        component = self.agencies.get(agency_ref, {})
        for kind in _strings(component.get("agencyType")):
            kind = kind.lower().removeprefix("urn:emergency:service:responder.")
            first = kind.split(".")[0]
            for key in (kind, first):
                if key in mapped:
                    return mapped[key]
            if first in AGENCY_OF_TYPE:
                return AGENCY_OF_TYPE[first]
        return None

    def responding_agency(self) -> str | None:
        """The EIDO agency that responds: the one a dispatch names, else the one in the ``Dispatched``
        role, else the incident's owner, else the incident's last updater."""
        for dispatch in self.doc.get("dispatchComponent") or []:
            if ref := _ref(dispatch.get("agencyReference")):
                return ref
        for role in ("Dispatched", "Dispatching"):
            for agency_id, component in self.agencies.items():
                if role in _strings(component.get("agencyRoleDescriptionRegistryText")):
                    return agency_id
        for agency_id, component in self.agencies.items():
            if component.get("incidentOwningAgencyIndicator") is True:
                return agency_id
        incident = self.incident_component() or {}
        updater = incident.get("updatedByAgencyReference") or self.doc.get("updatedByAgencyReference")
        return _ref(updater)

    def incident_component(self) -> dict[str, Any] | None:
        incident = self.doc.get("incidentComponent")
        if isinstance(incident, list):
            return incident[0] if incident else None
        return incident if isinstance(incident, dict) else None


def _category(incident: dict[str, Any]) -> Category:
    code = str(incident.get("incidentTypeCommonRegistryText") or "").strip().upper()
    return CATEGORY_OF_TYPE.get(code, Category.other)


def _priority(incident: dict[str, Any], calls: list[dict[str, Any]]) -> int:
    """NENA's common priority, 0–10 with 10 the highest (§2.9), as Basira's 1 (most urgent) … 4; else the
    most urgent of the calls' priorities; else 3."""
    common = incident.get("incidentCommonPriorityNumber")
    if isinstance(common, int | float) and not isinstance(common, bool) and 0 <= common <= 10:
        return 1 if common >= 8 else 2 if common >= 5 else 3 if common >= 3 else 4
    from_calls = [PRIORITY_OF_CALL[c["priorityIdentifier"]] for c in calls
                  if c.get("priorityIdentifier") in PRIORITY_OF_CALL]
    return min(from_calls) if from_calls else 3


def _unit_status(resource: dict[str, Any]) -> UnitStatus:
    primary = str(resource.get("primaryUnitStatusRegistryText") or "")
    secondary = set(_strings(resource.get("secondaryUnitStatusRegistryText")))
    if secondary & _ON_SCENE:
        return UnitStatus.on_scene
    if secondary & _DISPATCHED:
        return UnitStatus.dispatched
    if primary == "NotAvailable" or secondary & _OUT:
        return UnitStatus.out_of_service
    return UnitStatus.available


def _when(component: dict[str, Any], fallback: Any) -> str:
    """A component's time: its own ``lastUpdateTimeStamp``, else the EIDO's (the contract reads it)."""
    value = component.get("lastUpdateTimeStamp")
    return value if isinstance(value, str) and value.strip() else str(fallback)


def to_entries(doc: dict[str, Any], options: Options | None = None) -> Mapped:
    """The entries of one EIDO (checked by :func:`check_shape`): see the module for the mapping."""
    reader = _Reader(doc, options or Options())
    incident_id = contract_id(doc["$id"].strip())
    out = Mapped(incident_id)
    stamp = doc["lastUpdateTimeStamp"]
    incident = reader.incident_component()
    calls = [c for c in doc.get("callComponent") or [] if isinstance(c, dict)]

    category = _category(incident) if incident else Category.other
    agency = (reader.agency_of(reader.responding_agency()) or AGENCY_OF_CATEGORY.get(category)
              or reader.options.agency_default)

    # units first: the incident lists those on it, and a unit on scene without a position is at it
    unit_fields: list[tuple[str, dict[str, str], UnitStatus, pidf.Location | None, list[str]]] = []
    for n, resource in enumerate(doc.get("emergencyResourceComponent") or []):
        source = f"emergencyResourceComponent[{n}]"
        raw_id = resource.get("$id")
        if not isinstance(raw_id, str) or not raw_id.strip():
            out.skipped.append((source, "no $id (the unit's id)"))
            continue
        status = _unit_status(resource)
        active = resource.get("activeOnIncidentId")
        on_this = active is None or (isinstance(active, str) and active.strip() == doc["$id"].strip())
        fields = {"id": contract_id(raw_id.strip()), "status": status.value, "ts": _when(resource, stamp),
                  "agency": (_resource_agency(reader, resource, raw_id) or agency).value}
        if on_this and status in (UnitStatus.dispatched, UnitStatus.on_scene):
            fields["incident"] = incident_id
        elif isinstance(active, str) and active.strip():
            fields["incident"] = contract_id(active.strip())
        place, reasons = reader.where(_refs(resource.get("unitLocationReference")))
        unit_fields.append((source, fields, status, place, reasons))

    assigned = (UnitStatus.dispatched, UnitStatus.on_scene)
    on_incident = [f["id"] for _s, f, status, _p, _r in unit_fields
                   if f.get("incident") == incident_id and status in assigned]

    if incident is not None:
        status = _incident_status(incident, [s for _x, f, s, _p, _r in unit_fields
                                             if f.get("incident") == incident_id])
        refs = _refs(incident.get("locationReference"))
        for call in calls:
            refs += [r for r in _refs(call.get("locationReference")) if r not in refs]
        place, reasons = reader.where(refs)
        fields = {"id": incident_id, "status": status.value, "agency": agency.value,
                  "category": category.value, "priority": str(_priority(incident, calls)),
                  "ts": _when(incident, stamp)}
        description = _description(reader, incident, place)
        if description:
            fields["description"] = description
        if on_incident:
            fields["units"] = ",".join(on_incident[:50])
        if place is not None and place.has_point:
            fields["lat"], fields["lon"] = repr(place.lat), repr(place.lon)
            out.add("incidentComponent", Stream.incidents, fields)
            incident_place: pidf.Location | None = place
        else:
            why = "; ".join(reasons) or "no locationReference"
            out.skipped.append(("incidentComponent", f"no point location to place the incident ({why})"))
            incident_place = None
    else:
        incident_place = None

    for n, call in enumerate(calls):
        _call_entry(reader, out, n, call, incident_id if incident is not None else None, incident_place)

    for source, fields, status, place, reasons in unit_fields:
        if place is not None and place.has_point:
            fields["lat"], fields["lon"] = repr(place.lat), repr(place.lon)
        elif status is UnitStatus.on_scene and fields.get("incident") == incident_id and incident_place:
            fields["lat"], fields["lon"] = repr(incident_place.lat), repr(incident_place.lon)
        else:
            why = "; ".join(reasons) or "no unitLocationReference"
            out.skipped.append((source, f"no position for unit {fields['id']} ({why})"))
            continue
        out.add(source, Stream.units, fields)
    return out


def _resource_agency(reader: _Reader, resource: dict[str, Any], raw_id: str) -> Agency | None:
    """A unit's agency: its agents' agency, else the agency of its ``$id`` (``resource@AgencyId``, §2.20),
    else its type's words; ``None`` when none says (the incident's agency then)."""
    for agent_ref in _refs(resource.get("agentReference")):
        agent = reader.by_id.get(agent_ref) or {}
        if found := reader.agency_of(_ref(agent.get("agencyReference"))):
            return found
    _name, at, agency_id = raw_id.partition("@")
    if at and (found := reader.agency_of(agency_id.strip())):
        return found
    kind = " ".join(_strings(resource.get("emergencyResourceTypeCommonRegistryText"))
                    + _strings(resource.get("emergencyResourceTypeInternalText"))).lower()
    return next((agency for word, agency in AGENCY_OF_RESOURCE if word in kind), None)


def _incident_status(incident: dict[str, Any], unit_statuses: list[UnitStatus]) -> IncidentStatus:
    """The furthest of the incident's common statuses; without one, what its units say."""
    found = [STATUS_OF_INCIDENT[s] for s in _strings(incident.get("incidentStatusCommonRegistryText"))
             if s in STATUS_OF_INCIDENT]
    if found:
        return max(found, key=_STATUS_RANK.__getitem__)
    if UnitStatus.on_scene in unit_statuses:
        return IncidentStatus.on_scene
    if UnitStatus.dispatched in unit_statuses:
        return IncidentStatus.dispatched
    return IncidentStatus.new


def _description(reader: _Reader, incident: dict[str, Any], place: pidf.Location | None) -> str:
    """The sender's own words for the incident — its internal type text (or code), the first note — and
    what the location says beyond its point (a civic address, a circle's size)."""
    parts: list[str] = []
    kind = incident.get("incidentTypeInternalText") or incident.get("incidentTypeInternalCode") \
        or incident.get("incidentTypeCommonRegistryText")
    if isinstance(kind, str) and kind.strip():
        parts.append(kind.strip())
    for note_ref in _refs(incident.get("notesReference")):
        note = reader.by_id.get(note_ref) or {}
        text = note.get("notesActionComments")
        if isinstance(text, str) and text.strip():
            parts.append(_TAGS.sub(" ", text))  # HTML5 in the standard: its text only
            break
    if place is not None and place.note():
        parts.append(place.note())
    return _clip(" — ".join(parts))


def _call_entry(reader: _Reader, out: Mapped, n: int, call: dict[str, Any], incident_id: str | None,
                incident_place: pidf.Location | None) -> None:
    """One call as a ``calls`` entry (written once the call was answered or has ended)."""
    source = f"callComponent[{n}]"
    raw_id = call.get("$id")
    if not isinstance(raw_id, str) or not raw_id.strip():
        out.skipped.append((source, "no $id (the Call Identifier)"))
        return
    state = str(call.get("callStateRegistryText") or "")
    answered = call.get("answerDate")
    ended = state.lower() in ("callend", "callended")
    if not answered and not ended:
        said = state or "no state"
        out.waiting.append((source, f"call {contract_id(raw_id.strip())} not answered yet ({said}): taken "
                                    "when a later EIDO has it answered or ended"))
        return
    started = call.get("callStartTimestamp")
    fields = {"id": contract_id(raw_id.strip()),
              "ts": started if isinstance(started, str) else _when(call, reader.doc["lastUpdateTimeStamp"])}
    if isinstance(answered, str) and answered.strip():
        fields["answered_ts"] = answered
    if incident_id is not None:
        fields["outcome"], fields["incident"] = "incident", incident_id
    elif not answered:
        fields["outcome"] = "abandoned"
    else:
        fields["outcome"] = "transfer"  # an EIDO with a call and no incident comes with a transfer
    place, reasons = reader.where(_refs(call.get("locationReference")))
    if place is not None and place.has_point:
        fields["lat"], fields["lon"] = repr(place.lat), repr(place.lon)
    elif incident_place is not None:
        fields["lat"], fields["lon"] = repr(incident_place.lat), repr(incident_place.lon)
    else:
        why = "; ".join(reasons) or "no locationReference"
        out.skipped.append((source, f"no point location for call {fields['id']} ({why})"))
        return
    out.add(source, Stream.calls, fields)
