"""A location as PIDF-LO (RFC 4119, shapes of RFC 5491 / the OGC GeoShape profile) → the one point Basira
keeps, and a note of what it leaves out. Pure: parsed with ``defusedxml`` (a DTD — entities, external
references, the billion laughs — is refused before anything is expanded).

An incident, a call or a unit is a point in Basira's contract. Of a PIDF-LO this keeps:

* a ``gml:Point`` — its position;
* a shape with a centre — ``gs:Circle``, ``gs:Sphere``, ``gs:Ellipse``, ``gs:Ellipsoid``, ``gs:ArcBand``
  — its centre, the shape's size kept as the uncertainty (a circle's or sphere's radius, an ellipse's
  semi-major axis, an arc band's outer radius, in metres);
* a civic address (``ca:civicAddress``) — as one line of text, for the incident's description.

It drops, and says so in :attr:`Location.dropped`: polygons and prisms (an area has no one point — a
document whose only location is an area is refused by the caller, never guessed), any further shape after
the first one, altitude, the confidence, the method and the usage rules. ``docs/events.md`` ("PIDF-LO")
tells the same to producers.

Coordinates are those of EPSG 4326 / 4979, latitude first, as RFC 5491 requires; a shape in any other
reference system is dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

GML = "http://www.opengis.net/gml"
GS = "http://www.opengis.net/pidflo/1.0"
CIVIC = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
#: The reference systems RFC 5491 allows: 2D and 3D WGS 84, latitude first.
WGS84 = ("urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG::4979")
METRES = "urn:ogc:def:uom:EPSG::9001"
#: Longest PIDF-LO read (characters): a location is a few KB; a larger one is not a location.
MAX_TEXT = 65_536

#: Shapes kept by their centre, and the element holding their size (the uncertainty) in metres.
CENTRED = {
    f"{{{GML}}}Point": None,
    f"{{{GS}}}Circle": f"{{{GS}}}radius",
    f"{{{GS}}}Sphere": f"{{{GS}}}radius",
    f"{{{GS}}}Ellipse": f"{{{GS}}}semiMajorAxis",
    f"{{{GS}}}Ellipsoid": f"{{{GS}}}semiMajorAxis",
    f"{{{GS}}}ArcBand": f"{{{GS}}}outerRadius",
}
#: Areas: no one point; dropped.
AREAS = {f"{{{GML}}}Polygon": "a polygon", f"{{{GS}}}Prism": "a prism"}
#: The civic address elements (RFC 5139), in the order a one-line address reads.
CIVIC_ORDER = ("NAM", "LMK", "HNO", "HNS", "PRD", "A6", "RD", "STS", "POD", "LOC", "A5", "A4", "A3", "A2",
               "A1", "PC", "country")


class PidfError(ValueError):
    """A PIDF-LO that cannot be read; ``reason`` says why, for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Location:
    """What Basira keeps of one PIDF-LO: a point (or none), how it was given, its uncertainty, the civic
    address as a line, and what was left out."""

    lat: float | None = None
    lon: float | None = None
    shape: str | None = None
    uncertainty_m: float | None = None
    civic: str | None = None
    dropped: tuple[str, ...] = field(default_factory=tuple)

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None

    def note(self) -> str:
        """A short note for a description: the civic address, how the point was given, what was dropped."""
        parts = []
        if self.civic:
            parts.append(self.civic)
        if self.shape and self.shape != "Point":
            size = f" ±{self.uncertainty_m:.0f} m" if self.uncertainty_m is not None else ""
            parts.append(f"centre of a {self.shape.lower()}{size}")
        return "; ".join(parts)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _position(shape: Element) -> tuple[float, float] | str:
    """The shape's ``gml:pos`` as (lat, lon), or why not."""
    srs = shape.get("srsName", "")
    if srs not in WGS84:
        return f"{_local(shape.tag)} in {srs[:60] or 'no reference system'} (only EPSG 4326/4979 are read)"
    pos = shape.find(f"{{{GML}}}pos")
    if pos is None or not (pos.text or "").split():
        return f"{_local(shape.tag)} without a gml:pos"
    numbers = (pos.text or "").split()
    try:
        lat, lon = float(numbers[0]), float(numbers[1])
    except (IndexError, ValueError):
        return f"{_local(shape.tag)} with an unreadable gml:pos {(pos.text or '')[:40]!r}"
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return f"{_local(shape.tag)} at {lat}, {lon}: outside the globe"
    return lat, lon


def _metres(shape: Element, size_tag: str | None) -> float | None:
    if size_tag is None:
        return None
    size = shape.find(size_tag)
    if size is None or size.get("uom", METRES) != METRES:
        return None
    try:
        value = float((size.text or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _civic(element: Element) -> str:
    values = {_local(child.tag): " ".join((child.text or "").split()) for child in element}
    return ", ".join(values[name] for name in CIVIC_ORDER if values.get(name))


def read(text: str) -> Location:
    """The point of a PIDF-LO document (see the module); raises :class:`PidfError` for one that is not
    well-formed, carries a DTD, or is larger than :data:`MAX_TEXT`."""
    if len(text) > MAX_TEXT:
        raise PidfError(f"larger than {MAX_TEXT} characters")
    try:
        root = SafeET.fromstring(text.strip(), forbid_dtd=True)
    except DefusedXmlException as error:
        raise PidfError(f"refused: {type(error).__name__} (no DTD or entities in a location)") from None
    except ParseError as error:
        raise PidfError(f"not well-formed XML ({error})") from None
    point: tuple[float, float] | None = None
    shape_name: str | None = None
    uncertainty: float | None = None
    civic: str | None = None
    dropped: list[str] = []
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in CENTRED:
            if point is not None:
                dropped.append(f"a further {_local(tag)}")
                continue
            where = _position(element)
            if isinstance(where, str):
                dropped.append(where)
                continue
            point, shape_name, uncertainty = where, _local(tag), _metres(element, CENTRED[tag])
        elif tag in AREAS:
            dropped.append(AREAS[tag])
        elif tag == f"{{{CIVIC}}}civicAddress":
            line = _civic(element)
            if civic is None and line:
                civic = line
            elif line:
                dropped.append("a further civic address")
    if point is None:
        return Location(civic=civic, dropped=tuple(dropped))
    return Location(point[0], point[1], shape_name, uncertainty, civic, tuple(dropped))
