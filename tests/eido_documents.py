"""NENA EIDO documents for the tests, built in the shape of NENA's published ones.

Sources followed (NENA's own repository, github.com/NENA911/EIDO-JSON):

* ``Samples/Sample call transfer EIDO.json`` (commit c83c21b, 2022-05-27; the same file on ``main`` at
  7f62055 and on branch NENA-STA-021.1b at c3b8d20): the EIDO's ``$id`` as the Incident Tracking
  Identifier (``urn:emergency:uid:incidentid:<unique>:<agency>``), the common prologue of every component
  (``$id``, ``lastUpdateTimeStamp``, ``updatedByAgencyReference``), ``agencyComponent`` with
  ``agencyRoleDescriptionRegistryText`` and ``agencyType``, ``callComponent`` with ``callStartTimestamp``,
  ``answerDate``, ``callStateRegistryText`` and ``locationReference``s, and ``locationComponent``s given
  by value as PIDF-LO or by reference as a URL;
* ``Schema/openapi.yaml`` (NENA-STA-021.1b branch, c3b8d20): ``incidentComponent`` (one object, with
  ``incidentTypeCommonRegistryText``, ``incidentStatusCommonRegistryText``,
  ``incidentCommonPriorityNumber``, ``locationReference``), ``emergencyResourceComponent`` (with
  ``primaryUnitStatusRegistryText``, ``secondaryUnitStatusRegistryText``, ``unitLocationReference``),
  ``notesComponent``;
* the registries of the standard's text (``Documentation/NENA-STA-021.1b EIDO JSON_2022.docx``, chapter
  3) for the values: incident types (APCO codes such as ``FSTRU``), incident statuses
  (``ResourcesEnroute``, ``ResourcesOnscene``, ``Closed``), unit statuses (``NotAvailable``, ``EnRoute``,
  ``OnScene``).

The PIDF-LO locations follow RFC 4119 / RFC 5491 (``gml:Point``, ``gs:Circle``, ``gml:Polygon``, a civic
address of RFC 5139). The values — agencies, places, times — are ours: Makkah and Riyadh, not
Pennsylvania. NENA's files carry no licence, so none of their text is copied here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

MAKKAH = (21.4225, 39.8262)  # the Grand Mosque
RIYADH = (24.7136, 46.6753)
PSAP = "psap.makkah.911.example.sa"
CIVIL_DEFENSE = "cd.makkah.example.sa"
TRACKING = f"urn:emergency:uid:incidentid:8c1f02a7d4:{PSAP}"
#: The incident's id in Basira: the tracking identifier without its constant URN prefix.
INCIDENT_ID = f"8c1f02a7d4:{PSAP}"
CALL = f"urn:emergency:uid:callid:77aa19c3e0:{PSAP}"
CALL_ID = f"77aa19c3e0:{PSAP}"
ENGINE = f"engine12@{CIVIL_DEFENSE}"


def iso(epoch_ms: int) -> str:
    """An instant as the W3C date-time EIDOs carry (with its offset)."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds")


def pidf(shape: str, civic: str = "") -> str:
    """A PIDF-LO document (RFC 4119) with one location-info: ``shape`` (GML) and a civic address."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" '
        'xmlns:gml="http://www.opengis.net/gml" xmlns:gs="http://www.opengis.net/pidflo/1.0" '
        'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" '
        'xmlns:ca="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr" entity="pres:caller@example.sa">'
        f'<dm:device id="d1"><gp:geopriv><gp:location-info>{shape}{civic}</gp:location-info>'
        "<gp:usage-rules/><gp:method>GPS</gp:method></gp:geopriv></dm:device></presence>"
    )


def point(lat: float, lon: float) -> str:
    return (f'<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>{lat} {lon}</gml:pos>'
            "</gml:Point>")


def circle(lat: float, lon: float, radius_m: float) -> str:
    return (f'<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>{lat} {lon}</gml:pos>'
            f'<gs:radius uom="urn:ogc:def:uom:EPSG::9001">{radius_m}</gs:radius></gs:Circle>')


def polygon(lat: float, lon: float) -> str:
    ring = " ".join(f"{lat + dy} {lon + dx}" for dy, dx in ((0, 0), (0.01, 0), (0.01, 0.01), (0, 0)))
    return (f'<gml:Polygon srsName="urn:ogc:def:crs:EPSG::4326"><gml:exterior><gml:LinearRing>'
            f"<gml:posList>{ring}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>")


CIVIC = ("<ca:civicAddress><ca:country>SA</ca:country><ca:A1>Makkah</ca:A1><ca:A3>Makkah</ca:A3>"
         "<ca:RD>Ajyad</ca:RD><ca:HNO>12</ca:HNO></ca:civicAddress>")


def _prologue(component_id: str, at: str, agency: str = PSAP) -> dict[str, Any]:
    return {"$id": component_id, "lastUpdateTimeStamp": at, "updatedByAgencyReference": {"$ref": agency}}


def location(component_id: str, at: str, kind: str, by_value: str) -> dict[str, Any]:
    return {**_prologue(component_id, at), "locationTypeDescriptionRegistryText": kind,
            "locationByValue": by_value}


def fire_in_makkah(at_ms: int, *, statuses: tuple[str, ...] = ("ResourcesEnroute",),
                   unit_secondary: tuple[str, ...] = ("EnRoute",), where: tuple[float, float] = MAKKAH,
                   tracking: str = TRACKING, call_answered: bool = True, **more: Any) -> dict[str, Any]:
    """A residential fire near the Grand Mosque as a Makkah PSAP's CAD reports it: the incident (priority
    9 of 10), the 911 call that reported it (answered 10 s after it began, the caller located by a
    circle), the civil defence engine sent to it (with its position), its locations, a note."""
    at = iso(at_ms)
    lat, lon = where
    doc: dict[str, Any] = {
        **_prologue(tracking, at),
        "updatedByAgentReference": {"$ref": f"calltaker7@{PSAP}"},
        "eidoVersion": "1.0",
        "issuingElementIdentification": f"idx.{PSAP}",
        "incidentComponent": {
            **_prologue(f"urn:emergency:uid:eidodatacomponent:inc1:{PSAP}", at),
            "incidentTypeInternalCode": "F-101",
            "incidentTypeInternalText": "Residential building fire",
            "incidentTypeCommonRegistryText": "FSTRU",
            "incidentStatusCommonRegistryText": list(statuses),
            "incidentCommonPriorityNumber": 9,
            "locationReference": [{"$ref": "loc-incident"}],
            "notesReference": [{"$ref": "note-1"}],
        },
        "callComponent": [{
            **_prologue(CALL, at),
            "standardPrimaryCallType": "emergency",
            "direction": "incoming",
            "callStartTimestamp": iso(at_ms - 90_000),
            **({"answerDate": iso(at_ms - 80_000), "callStateRegistryText": "callAnswered"} if call_answered
               else {"callStateRegistryText": "callBegin"}),
            "locationReference": [{"$ref": "loc-caller"}],
        }],
        "emergencyResourceComponent": [{
            **_prologue(ENGINE, at, CIVIL_DEFENSE),
            "agentReference": [],
            "emergencyResourceTypeCommonRegistryText": "StructureFireEngineType1",
            "resourceAttributeRegistryText": [],
            "primaryUnitStatusRegistryText": "NotAvailable",
            "secondaryUnitStatusRegistryText": list(unit_secondary),
            "unitLocationReference": {"$ref": "loc-engine12"},
        }],
        "agencyComponent": [
            {**_prologue(PSAP, at), "agencyRoleDescriptionRegistryText": ["CallReceiving", "Dispatching"],
             "agencyType": ["psap"]},
            {**_prologue(CIVIL_DEFENSE, at, CIVIL_DEFENSE),
             "agencyRoleDescriptionRegistryText": ["Dispatched"], "agencyType": ["fire"]},
        ],
        "notesComponent": [{**_prologue("note-1", at),
                            "notesActionComments": "<p>Smoke from the 3rd floor</p>"}],
        "locationComponent": [
            location("loc-incident", at, "Incident", pidf(point(lat, lon), CIVIC)),
            location("loc-caller", at, "Caller", pidf(circle(lat + 0.002, lon - 0.001, 50))),
            location("loc-engine12", at, "UnitLocation", pidf(point(lat + 0.03, lon + 0.02))),
        ],
        "@context": {"@vocab": "./JSON-LD_Contexts/EmergencyIncidentDataObjectType.jsonld"},
    }
    doc.update(more)
    return doc


def call_transfer(at_ms: int) -> dict[str, Any]:
    """An EIDO in the shape of NENA's "Sample call transfer EIDO": a call handed on with the transfer, no
    incident yet, its caller located by a civic address (no point) and by reference (a URL)."""
    at = iso(at_ms)
    call_id = f"urn:emergency:uid:callid:5e1d0b9a42:{PSAP}"
    return {
        **_prologue(f"urn:emergency:uid:incidentid:5e1d0b9a42:{PSAP}", at),
        "eidoVersion": "1.0",
        "issuingElementIdentification": f"idx.{PSAP}",
        "callComponent": [{
            **_prologue(call_id, at), "queueIdentifier": f"sos@{PSAP}",
            "standardPrimaryCallType": "emergency", "direction": "incoming",
            "callStartTimestamp": iso(at_ms - 120_000), "answerDate": iso(at_ms - 110_000),
            "callStateRegistryText": "callAnswered",
            "locationReference": [{"$ref": "loc-civic"}, {"$ref": "loc-lbyr"}],
        }],
        "agencyComponent": [{**_prologue(PSAP, at), "agencyRoleDescriptionRegistryText": ["CallReceiving"],
                             "agencyType": ["psap"]}],
        "locationComponent": [
            location("loc-civic", at, "RoutingLocation", pidf("", CIVIC)),
            {**_prologue("loc-lbyr", at), "locationTypeDescriptionRegistryText": "Caller",
             "locationByReferenceUrl": "https://lrf.example.sa/loc?id=oasufdqwerjn12346"},
        ],
        "@context": {"@vocab": "./JSON-LD_Contexts/EmergencyIncidentDataObjectType.jsonld"},
    }
