"""``python -m app tak-out``: the center's picture to TAK — its incidents and units as Cursor on Target.

Each target of ``BASIRA_TAK_OUT_TARGETS`` is a TAK server (``tcp://``, or ``tls://`` with this process's
client certificate) or a UDP address (the mesh's multicast group ``udp://239.2.3.1:6969``, or unicast),
with its own scope in its query (``?region=SA-02&agency=patrol``): a connection sees only what its scope
covers, as a commander's view would. ATAK and WinTAK users on that server or mesh then see the center's
incidents and units beside their own.

What is sent (:func:`incident_cot`, :func:`unit_cot`):

* an open incident → a **spot-map marker** (``b-m-p-s-m``) coloured by priority, its label
  ``P1 fire · <id>``, its status, agency and description in the remarks. Not ``b-a-o-tbl``: that is a
  device's own 911 alert, and every ATAK that receives one sounds its emergency alarm — a center's
  hundred open incidents must not. Not an atom (``a-u-G``…): those are forces and tracks, and an incident
  is neither friend nor foe;
* a unit → a friendly ground unit of its agency's CoT type (``a-f-G-U-i-l`` police, ``-f`` fire, ``-m``
  medical: the reverse of the mapping file, :meth:`~.cot.Mapping.unit_type`), heading and speed as its
  track. Units whose reports came from TAK (they carry TAK's ``stale`` time) are left out: TAK already
  has them, and a copy under a second uid would show each device twice;
* an incident closed, or anything that leaves a target's scope → a delete (``t-x-d-d`` with
  ``__forcedelete``), so it leaves TAK maps too.

Every event carries ``<__basira>``, which Basira's own listener ignores (a multicast loop never feeds
Basira its own picture back), and a stale time ``BASIRA_TAK_OUT_STALE_S`` ahead. The process keeps a copy
of the live picture by the store's change sets (:mod:`.mirror`), sends what changed each second, and the
whole picture of each scope every ``BASIRA_TAK_OUT_REFRESH_S`` and at each (re)connection. XML by
default; ``format=protobuf`` sends TAK protocol version 1 (mesh framing over UDP, stream framing over
TCP — only to a peer that takes it without negotiating).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from xml.etree.ElementTree import Element, SubElement, tostring

from app.contract import REGION_CODES, Agency, Scope

from ..store import StoreUnavailable
from .cot import OURS, Mapping, cot_time
from .mirror import Delta, Mirror

if TYPE_CHECKING:
    from app.settings import Settings
    from app.store import Store

log = logging.getLogger("basira.tak_out")

UNKNOWN = "9999999"
INCIDENT_UID = "basira.inc."
UNIT_UID = "basira.unit."
#: Spot-map colours (ARGB as TAK writes them: a signed 32-bit integer) by priority.
PRIORITY_ARGB = {1: -65536, 2: -32768, 3: -256, 4: -16776961}  # red, orange, yellow, blue
#: Messages waiting for one target; beyond it the queue is emptied and the whole picture sent again.
QUEUE_MAX = 50_000
TICK_S = 1.0
#: A datagram burst pauses this often (datagrams), so a full refresh does not flood a mesh's receivers.
BURST = 200


@dataclass(frozen=True)
class Target:
    """One place to send to, with its scope and options (see :func:`parse_targets`)."""

    scheme: str  # tcp, tls, udp
    host: str
    port: int
    scope: Scope = field(default_factory=Scope)
    format: str = "xml"  # xml, protobuf
    ttl: int = 1  # multicast hops

    @property
    def name(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def _names(values: list[str], known: Iterable[str], what: str, url: str) -> tuple[str, ...] | None:
    names = tuple(sorted({v.strip() for value in values for v in value.split(",") if v.strip()}))
    unknown = [n for n in names if n not in set(known)]
    if unknown:
        raise ValueError(f"{url}: unknown {what} {', '.join(unknown)}")
    return names or None


def parse_targets(text: str) -> list[Target]:
    """``tcp://host:port``, ``tls://host:port`` or ``udp://host:port``, space-separated, each with optional
    ``region`` and ``agency`` (comma-separated: the scope), ``format`` (``xml``, ``protobuf``) and ``ttl``.
    Raises ``ValueError`` naming the target and what is wrong."""
    targets = []
    for url in text.split():
        parts = urlsplit(url)
        if parts.scheme not in ("tcp", "tls", "udp"):
            raise ValueError(f"{url}: the scheme must be tcp, tls or udp")
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or not port:
            raise ValueError(f"{url}: give a host and a port (tcp://tak.example:8087)")
        query = parse_qs(parts.query)
        unknown = sorted(set(query) - {"region", "agency", "format", "ttl"})
        if unknown:
            raise ValueError(f"{url}: unknown option(s) {', '.join(unknown)} (region, agency, format, ttl)")
        regions = _names(query.get("region", []), REGION_CODES, "region", url)
        agencies = _names(query.get("agency", []), Agency.__members__, "agency", url)
        form = (query.get("format") or ["xml"])[-1]
        if form not in ("xml", "protobuf"):
            raise ValueError(f"{url}: format must be xml or protobuf")
        try:
            ttl = int((query.get("ttl") or ["1"])[-1])
        except ValueError:
            ttl = -1
        if not 0 <= ttl <= 255:
            raise ValueError(f"{url}: ttl must be 0…255")
        targets.append(Target(parts.scheme, parts.hostname, port, Scope(limit_regions=regions,
                                                                        limit_agencies=agencies), form, ttl))
    return targets


# --- the events -----------------------------------------------------------------------------------------


def _event(uid: str, kind: str, how: str, now_ms: int, start_ms: int, stale_ms: int,
           coordinates: list[float], ce: Any = None, le: Any = None) -> tuple[Element, Element]:
    event = Element("event", {
        "version": "2.0", "uid": uid, "type": kind, "how": how, "time": cot_time(now_ms),
        "start": cot_time(min(start_ms, now_ms)), "stale": cot_time(stale_ms),
    })
    SubElement(event, "point", {
        "lat": f"{float(coordinates[1]):.6f}", "lon": f"{float(coordinates[0]):.6f}", "hae": "0",
        "ce": f"{float(ce):g}" if isinstance(ce, int | float) else UNKNOWN,
        "le": f"{float(le):g}" if isinstance(le, int | float) else UNKNOWN,
    })
    return event, SubElement(event, "detail")


def _text(event: Element) -> bytes:
    body = tostring(event, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _ours(detail: Element, kind: str, props: dict[str, Any], feature_id: str, names: Iterable[str]) -> None:
    mark = {"kind": kind, "id": feature_id}
    mark.update({name: str(props[name]) for name in names if props.get(name) is not None})
    SubElement(detail, OURS, mark)


def incident_cot(feature: dict[str, Any], now_ms: int, stale_ms: int) -> bytes:
    """An open incident as a spot-map marker (see the module for the choice of type)."""
    props = feature.get("properties") or {}
    incident_id = str(feature["id"])
    priority = props.get("priority") if props.get("priority") in PRIORITY_ARGB else 4
    event, detail = _event(INCIDENT_UID + incident_id, "b-m-p-s-m", "h-e", now_ms,
                           int(props.get("ts") or now_ms), stale_ms, feature["geometry"]["coordinates"])
    SubElement(detail, "contact", {"callsign": f"P{priority} {props.get('category', '')} · {incident_id}"})
    argb = str(PRIORITY_ARGB[priority])
    SubElement(detail, "color", {"argb": argb})
    SubElement(detail, "usericon", {"iconsetpath": f"COT_MAPPING_SPOTMAP/b-m-p-s-m/{argb}"})
    words = [props.get("status"), props.get("agency"), props.get("region")]
    units = props.get("units") or []
    if units:
        words.append("units " + ", ".join(str(u) for u in units))
    remarks = " · ".join(str(w) for w in words if w)
    if props.get("description"):
        remarks += f"\n{props['description']}"
    SubElement(detail, "remarks").text = remarks
    _ours(detail, "incident", props, incident_id, ("region", "agency", "status", "priority", "category"))
    return _text(event)


def from_tak(props: dict[str, Any]) -> bool:
    """A unit whose reports came from TAK (they carry TAK's ``stale`` time): TAK has it already."""
    return props.get("stale") is not None


def unit_cot(feature: dict[str, Any], mapping: Mapping, now_ms: int, stale_ms: int) -> bytes:
    """A unit as a friendly ground unit of its agency's CoT type."""
    props = feature.get("properties") or {}
    unit_id = str(feature["id"])
    agency = str(props.get("agency") or "")
    event, detail = _event(UNIT_UID + unit_id, mapping.unit_type(agency), "m-g", now_ms,
                           int(props.get("ts") or now_ms), stale_ms, feature["geometry"]["coordinates"],
                           props.get("ce"), props.get("le"))
    SubElement(detail, "contact", {"callsign": str(props.get("callsign") or unit_id)})
    if props.get("group"):
        role = str(props.get("group_role") or "")
        SubElement(detail, "__group", {"name": str(props["group"]), "role": role})
    heading, speed = props.get("heading"), props.get("speed")
    if isinstance(heading, int | float) or isinstance(speed, int | float):
        SubElement(detail, "track", {
            "course": f"{float(heading):g}" if isinstance(heading, int | float) else "0",
            "speed": f"{float(speed) / 3.6:.2f}" if isinstance(speed, int | float) else "0",  # km/h → m/s
        })
    words = [agency, props.get("status"), f"incident {props['incident']}" if props.get("incident") else None]
    SubElement(detail, "remarks").text = " · ".join(str(w) for w in words if w)
    _ours(detail, "unit", props, unit_id, ("region", "agency", "status", "incident"))
    return _text(event)


def delete_cot(uid: str, now_ms: int) -> bytes:
    """TAK's delete of the marker ``uid`` (``t-x-d-d``, forced: ATAK removes it at once)."""
    event, detail = _event(f"basira.delete.{uid}", "t-x-d-d", "h-g-i-g-o", now_ms, now_ms, now_ms + 20_000,
                           [0.0, 0.0])
    SubElement(detail, "link", {"uid": uid, "relation": "none", "type": "none"})
    SubElement(detail, "__forcedelete")
    SubElement(detail, OURS, {"kind": "delete"})
    return _text(event)


def encode(xml: bytes, target: Target) -> bytes:
    """An event as ``target`` takes it: XML, or TAK protocol version 1 (mesh framing over UDP, stream
    framing over TCP)."""
    if target.format == "xml":
        return xml
    import takproto

    version = takproto.TAKProtoVer.MESH if target.scheme == "udp" else takproto.TAKProtoVer.STREAM
    return bytes(takproto.xml2proto(xml, version))  # our own XML, just made: nothing hostile to parse


# --- one target -----------------------------------------------------------------------------------------


class Link:
    """One target: what it should see, what it has been sent (uids), and its connection."""

    def __init__(self, target: Target, out: TakOut) -> None:
        self.target = target
        self.out = out
        self.sent: set[str] = set()
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.up = False
        self.resync = False
        self.messages = 0

    def covers(self, props: dict[str, Any]) -> bool:
        return self.target.scope.covers(props.get("region"), props.get("agency"))

    def _put(self, xml: bytes) -> None:
        if not self.up:
            return  # a (re)connection sends the whole picture
        if self.queue.qsize() >= QUEUE_MAX:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.resync = True
            return
        self.queue.put_nowait(encode(xml, self.target))

    def update(self, kind: str, delta: Delta, now_ms: int) -> None:
        """Send what ``delta`` changed of ``kind`` within the target's scope; delete what left it."""
        prefix = INCIDENT_UID if kind == "inc" else UNIT_UID
        present = set()
        for feature in delta.put:
            uid = prefix + str(feature["id"])
            present.add(uid)
            inside = self.covers(feature.get("properties") or {})
            xml = self.out.render(kind, feature, now_ms) if inside else None
            if xml is not None:
                self._put(xml)
                self.sent.add(uid)
            elif uid in self.sent:
                self._put(delete_cot(uid, now_ms))
                self.sent.discard(uid)
        gone = [prefix + i for i in delta.gone]
        if delta.full:  # what was sent and is no longer there at all
            gone += [uid for uid in self.sent if uid.startswith(prefix) and uid not in present]
        for uid in gone:
            if uid in self.sent:
                self._put(delete_cot(uid, now_ms))
                self.sent.discard(uid)

    def everything(self, mirror: Mirror, now_ms: int) -> None:
        """The whole picture of the target's scope (a refresh, or a new connection)."""
        for kind in ("inc", "unit"):
            self.update(kind, Delta(put=list(mirror.features[kind].values()), full=True), now_ms)

    async def run(self, stop: asyncio.Event) -> None:
        """Keep the connection (reconnecting with back-off), and write what is queued."""
        delay = 1.0
        while not stop.is_set():
            try:
                if self.target.scheme == "udp":
                    await self._udp(stop)
                else:
                    await self._stream(stop)
                delay = 1.0
            except (OSError, ssl.SSLError, TimeoutError) as error:
                log.warning("TAK target %s: %s; trying again in %.0f s", self.target.name, error, delay)
            finally:
                if self.up:
                    self.up = False
                    self.out.audit("tak_out_closed", self.target)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 30.0)

    def _connected(self) -> None:
        self.up, self.sent, self.resync = True, set(), False
        self.queue = asyncio.Queue()
        self.out.audit("tak_out_connected", self.target)
        self.everything(self.out.mirror, int(time.time() * 1000))

    async def _stream(self, stop: asyncio.Event) -> None:
        target = self.target
        context = self.out.tls if target.scheme == "tls" else None
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(target.host, target.port, ssl=context,
                                    server_hostname=target.host if context else None), 15)
        log.info("TAK target %s connected (scope %s)", target.name, target.scope.token)
        self._connected()

        async def drain_incoming() -> None:  # a TAK server sends too (pings, others' positions): read it away
            while await reader.read(65_536):
                pass

        incoming = asyncio.create_task(drain_incoming())
        try:
            while not stop.is_set() and not incoming.done():
                try:
                    data = await asyncio.wait_for(self.queue.get(), 0.5)
                except TimeoutError:
                    continue
                writer.write(data)
                self.messages += 1
                if self.queue.empty():
                    await writer.drain()
            if incoming.done() and not stop.is_set():
                raise ConnectionResetError("the TAK server closed the connection")
        finally:
            incoming.cancel()
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 2)

    async def _udp(self, stop: asyncio.Event) -> None:
        target = self.target
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("b", target.ttl))
        sock.setblocking(False)
        sock.connect((target.host, target.port))
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, sock=sock)
        self._connected()
        try:
            sent = 0
            while not stop.is_set():
                try:
                    data = await asyncio.wait_for(self.queue.get(), 0.5)
                except TimeoutError:
                    continue
                transport.sendto(data)
                self.messages += 1
                sent += 1
                if sent % BURST == 0:
                    await asyncio.sleep(0.01)
        finally:
            transport.close()


# --- the process ----------------------------------------------------------------------------------------


class TakOut:
    """The links, the picture's copy they share, and the tick that feeds them (see the module)."""

    def __init__(self, store: Store, mapping: Mapping, targets: list[Target], *, refresh_s: float,
                 stale_s: float, behind_ms: int, tls: ssl.SSLContext | None = None) -> None:
        self.store = store
        self.mapping = mapping
        self.refresh_s = refresh_s
        self.stale_ms = int(stale_s * 1000)
        self.tls = tls
        self.mirror = Mirror(store, ("inc", "unit"), behind_ms)
        self.links = [Link(target, self) for target in targets]
        self._audits: list[dict[str, str]] = []

    def render(self, kind: str, feature: dict[str, Any], now_ms: int) -> bytes | None:
        """The CoT of one Feature (``None``: not sent — a unit TAK has already)."""
        props = feature.get("properties") or {}
        if not (feature.get("geometry") or {}).get("coordinates"):
            return None
        if kind == "inc":
            return incident_cot(feature, now_ms, now_ms + self.stale_ms)
        if from_tak(props):
            return None
        return unit_cot(feature, self.mapping, now_ms, now_ms + self.stale_ms)

    def audit(self, event: str, target: Target) -> None:
        """Who receives the center's picture, in the audit trail (written by the tick, off the loop)."""
        self._audits.append({"ts": str(int(time.time() * 1000)), "event": event, "user": "tak-out",
                             "target": target.name, "scope": target.scope.token, "source": "tak-out"})

    def _tick_io(self) -> dict[str, Delta]:
        """The blocking half of a tick (Redis): refresh the copy, write the audit entries owed."""
        deltas = self.mirror.refresh()
        audits, self._audits = self._audits, []
        for entry in audits:
            log.info("audit %s", entry)
            self.store.audit.append(entry)
        return deltas

    async def run(self, stop: threading.Event) -> None:
        halt = asyncio.Event()
        tasks = [asyncio.create_task(link.run(halt)) for link in self.links]
        next_full = time.monotonic() + self.refresh_s
        try:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    deltas = await asyncio.to_thread(self._tick_io)
                except StoreUnavailable as error:
                    log.warning("Redis unavailable (%s); TAK targets keep what they have", error)
                    await asyncio.sleep(TICK_S)
                    continue
                now = int(time.time() * 1000)
                full = time.monotonic() >= next_full
                if full:
                    next_full = time.monotonic() + self.refresh_s
                for link in self.links:
                    if full or link.resync:
                        link.resync = False
                        link.everything(self.mirror, now)
                    else:
                        for kind, delta in deltas.items():
                            link.update(kind, delta, now)
                await asyncio.sleep(max(0.0, TICK_S - (time.monotonic() - started)))
        finally:
            halt.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(StoreUnavailable):
                await asyncio.to_thread(self._tick_io)


def client_context(cert: Any, key: Any, ca: Any) -> ssl.SSLContext:
    """The TLS context for ``tls://`` targets: the system's authorities (or ``ca``), this client's
    certificate when given."""
    context = ssl.create_default_context(cafile=str(ca) if ca else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert:
        context.load_cert_chain(str(cert), str(key) if key else None)
    return context


def serve(store: Store, settings: Settings, mapping: Mapping, targets: list[Target], *,
          stop: threading.Event) -> None:
    """Run ``tak-out`` until ``stop`` is set."""
    if settings.tak_out_stale_s <= settings.tak_out_refresh_s:
        raise ValueError("BASIRA_TAK_OUT_STALE_S must be longer than BASIRA_TAK_OUT_REFRESH_S, or TAK maps "
                         "would grey the picture out between refreshes")
    tls = None
    if any(t.scheme == "tls" for t in targets):
        tls = client_context(settings.tak_out_cert, settings.tak_out_key, settings.tak_out_ca)
    out = TakOut(store, mapping, targets, refresh_s=settings.tak_out_refresh_s,
                 stale_s=settings.tak_out_stale_s, behind_ms=int(settings.feed_horizon_s * 1000), tls=tls)
    asyncio.run(out.run(stop))
