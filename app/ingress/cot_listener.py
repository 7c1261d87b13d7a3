"""``python -m app cot``: the Cursor on Target listener — TAK devices and servers write units and incidents.

Three doors, each opened only when configured (docs/standards.md, "Cursor on Target (TAK)"):

* **TLS** (``BASIRA_COT_TLS_PORT``, TAK's 8089) with client certificates (``ssl.CERT_REQUIRED`` against
  ``BASIRA_COT_TLS_CA``): the certificate's common name names a token of the users file, whose scope
  applies (:mod:`.accounts`). A certificate naming no account that may write is refused and recorded.
* **plain TCP** (``BASIRA_COT_TCP_PORT``, 8087) and **UDP** (``BASIRA_COT_UDP_PORT``, 6969; unicast, and
  the multicast group 239.2.3.1 joined) — unauthenticated, so only when ``BASIRA_COT_PLAIN_ACCOUNT``
  names the account whose scope they write in: a private network, or the demo on 127.0.0.1.

Two halves. The asyncio half (:class:`CotListener`) accepts, cuts streams and datagrams into messages
(:mod:`.cot`), counts each sender's messages per minute — in this process: every message of a sender
reaches this one listener, so no shared counter is needed — and answers TAK pings. It never touches
Redis: it queues each message for the writer thread (:class:`Intake`), which reads it, maps it, writes it
through the :class:`~.gate.Gate` (refusals to ``<prefix>:rejected`` with their reasons), keeps a copy of
the units (:mod:`.mirror`) to honour their stale times, and writes the audit trail: a summary per sender
and minute (who, from where, how many messages, written, refused, ignored, dropped), plus each
connection's opening and closing — never one entry per message.

No message stops it: what cannot be read is refused and the next one is read; an exception in handling
one is logged and the listener goes on; while Redis is away the writer waits and retries.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import logging
import queue
import socket
import ssl
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.contract import Scope, Stream, UnitStatus

from ..store import StoreUnavailable
from .accounts import Accounts, Producer
from .cot import PING, CotError, Mapping, Piece, StreamReader, pong, read_datagram, stale_fields, to_entries
from .gate import Gate
from .mirror import Mirror

if TYPE_CHECKING:
    from app.settings import Settings
    from app.store import Store

log = logging.getLogger("basira.cot")
audit_log = logging.getLogger("basira.audit")

SOURCE = "cot"
#: The writer's tick: the units' copy refreshed and stale times checked this often (s).
TICK_S = 1.0
#: The audit trail's summary of each sender: one entry per this many seconds of activity.
SUMMARY_S = 60.0
#: Messages waiting for the writer; beyond this they are dropped (and counted) rather than held.
QUEUE_MAX = 20_000
#: Open TCP/TLS connections at once; further ones are closed at once (and recorded).
MAX_CONNECTIONS = 1024
#: UDP senders remembered for their rate windows; the idle ones are forgotten beyond this.
MAX_UDP_SENDERS = 10_000
#: Who the audit trail names for the stale-time transitions the listener writes itself.
STALE_WRITER = "cot:stale-time"


@dataclass(eq=False)
class Sender:
    """One TCP/TLS connection or one UDP sender address, and the account it writes as."""

    key: str
    transport: str  # tcp, tls, udp
    ip: str
    producer: Producer
    writer: asyncio.StreamWriter | None = None
    window: float = 0.0  # when its current minute began (monotonic)
    count: int = 0  # messages in that minute
    dropped: int = 0  # messages dropped (over the limit, or the queue full), not yet summarised
    told: bool = False  # the minute's over-limit refusal is recorded
    closing: bool = False
    totals: Counter[str] = field(default_factory=Counter)


def common_name(cert: dict[str, Any] | None) -> str | None:
    """The subject's common name (CN) of a peer certificate as ``ssl`` gives it."""
    for rdn in (cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


def tls_context(cert: Path, key: Path, ca: Path) -> ssl.SSLContext:
    """A server context that requires a client certificate signed by ``ca`` (TLS 1.2 or newer)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    context.load_verify_locations(cafile=str(ca))
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def _raw_fields(piece: Piece) -> dict[str, str]:
    """What a refused message keeps in its rejected entry: its first bytes (protobuf as base64)."""
    raw = piece.raw or piece.payload[:2048]
    if piece.kind == "proto" or (raw[:1] == b"\xbf"):
        return {"raw_b64": base64.b64encode(raw).decode()}
    return {"raw": raw.decode("utf-8", "surrogateescape")}


class Intake:
    """The writer thread's work: read, map and write each message; the units' stale times; the audit
    trail's summaries (see the module). Its methods other than :meth:`put` run on that thread only."""

    def __init__(
        self,
        store: Store,
        mapping: Mapping,
        accounts: Accounts,
        *,
        max_bytes: int,
        stamp: str | None = None,
        behind_ms: int = 60_000,
    ) -> None:
        self.store = store
        self.gate = Gate(store)
        self.mapping = mapping
        self.accounts = accounts
        self.max_bytes = max_bytes
        self.stamp = stamp
        self.mirror = Mirror(store, ("unit",), behind_ms)
        self.queue: queue.Queue[tuple[str, Any, Any]] = queue.Queue(QUEUE_MAX)
        self.loop: asyncio.AbstractEventLoop | None = None  # to close a connection from this thread
        self.minute: dict[Sender, Counter[str]] = {}
        self.senders_with_drops: set[Sender] = set()  # added to by the listener's loop (set.add is atomic)
        self._swept: dict[str, int] = {}  # unit id → the stale time a stale entry was written for
        self._pending: tuple[str, Any, Any] | None = None  # an item to retry once Redis is back
        self._next_tick = 0.0
        self._next_summary = time.monotonic() + SUMMARY_S
        self._down_logged = 0.0
        self.handled = 0

    # -- the queue (any thread) ---------------------------------------------------------------------

    def put(self, kind: str, sender: Any, payload: Any = None) -> bool:
        """Queue an item for the writer; ``False`` when the queue is full (the caller counts a drop)."""
        try:
            self.queue.put_nowait((kind, sender, payload))
            return True
        except queue.Full:
            return False

    # -- the writer thread -------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set; then write what the audit trail still owes."""
        while not stop.is_set():
            self.step(0.25)
        deadline = time.monotonic() + 2.0  # what was received before the stop is still written
        while not self.queue.empty() and time.monotonic() < deadline:
            self.step()
        with contextlib.suppress(StoreUnavailable):
            self.flush_summaries()

    def step(self, wait_s: float = 0.0) -> None:
        """Handle one queued item (waiting up to ``wait_s`` for one), and tick when it is time."""
        item = self._pending
        self._pending = None
        if item is None:
            try:
                item = self.queue.get(timeout=wait_s) if wait_s else self.queue.get_nowait()
            except queue.Empty:
                item = None
        try:
            if item is not None:
                self.dispatch(item)
            if time.monotonic() >= self._next_tick:
                self.tick()
        except StoreUnavailable as error:
            self._pending = item
            if time.monotonic() - self._down_logged > 30:
                self._down_logged = time.monotonic()
                log.warning("Redis unavailable (%s): CoT messages wait in the listener's queue", error)
            time.sleep(1.0)
        except Exception:  # noqa: BLE001 - no message may stop the listener
            log.exception("a CoT item could not be handled; going on")

    def dispatch(self, item: tuple[str, Any, Any]) -> None:
        kind, sender, payload = item
        if kind == "msg":
            self.handle(sender, payload)
        elif kind == "limited":
            self.gate.refuse(SOURCE, f"rate limit: more than {payload} messages a minute from {sender.key}; "
                             "the rest of this minute's are dropped (the audit trail counts them)",
                             {"_from": sender.ip, "_via": sender.transport}, who=sender.producer.name)
            self._count(sender, "refused")
        elif kind == "audit":
            self.audit(payload)
        self.handled += 1

    def handle(self, sender: Sender, piece: Piece) -> None:
        """One message of ``sender``: read, mapped, written through the gate, or refused with a reason."""
        self._count(sender, "messages")
        producer = self._still_allowed(sender)
        if producer is None:
            return
        raw = {"_from": sender.ip, "_via": sender.transport}
        try:
            event = piece.read(self.max_bytes)
        except CotError as error:
            self.gate.refuse(SOURCE, error.reason, {**_raw_fields(piece), **raw}, who=producer.name)
            self._count(sender, "refused")
            return
        if event is None:
            self._count(sender, "ignored")
            return
        rule = self.mapping.rule_for(event)
        incident = None
        if rule is not None and rule.to == "incident" and not event.ours:
            found = self.store.live.incident(event.uid, Scope())
            incident = found.get("properties") if found else None
        mapped = to_entries(event, self.mapping, int(time.time() * 1000),
                            unit=self.mirror.get("unit", event.uid), incident=incident, stamp=self.stamp)
        if mapped.kind == "ignored":
            self._count(sender, "ignored")
            return
        result = self.gate.submit(SOURCE, mapped.entries, producer.scope, who=producer.name)
        if result.written:
            self._count(sender, "units" if mapped.kind == "unit" else "incidents", len(result.written))
        if result.refused:
            self._count(sender, "refused", len(result.refused))

    def _still_allowed(self, sender: Sender) -> Producer | None:
        """The sender's account as it is now (a token removed or re-scoped takes effect at once)."""
        producer = sender.producer
        if producer.via == "open":
            return producer
        now = self.accounts.producer(producer.name, producer.via)
        if now is not None:
            sender.producer = now
            return now
        reason = f"account {producer.name} may no longer write: {self.accounts.why_not(producer.name)}"
        if not sender.closing:
            sender.closing = True
            where = {"_from": sender.ip, "_via": sender.transport}
            self.gate.refuse(SOURCE, reason, where, who=producer.name)
            self.audit({"event": "denied", "user": producer.name, "role": producer.role, "via": producer.via,
                        "ip": sender.ip, "transport": sender.transport, "reason": reason})
            if sender.writer is not None and self.loop is not None:
                self.loop.call_soon_threadsafe(sender.writer.close)
        self._count(sender, "refused")
        return None

    def tick(self) -> None:
        """Each second: the units' copy brought up to date, stale times honoured, summaries when due."""
        self._next_tick = time.monotonic() + TICK_S
        self.mirror.refresh()
        self.sweep(int(time.time() * 1000))
        if time.monotonic() >= self._next_summary:
            self.flush_summaries()

    def sweep(self, now_ms: int) -> int:
        """Write ``stale`` for each unit whose report's stale time has passed with no newer report;
        returns how many. The entry is dated at the stale time (never before the report), so a newer
        report wins over it whatever order the two arrive in."""
        units = self.mirror.features["unit"]
        written = 0
        for unit_id, feature in units.items():
            props = feature.get("properties") or {}
            stale = props.get("stale")
            if not isinstance(stale, int) or stale > now_ms or props.get("status") == UnitStatus.stale.value:
                continue
            if self._swept.get(unit_id) == stale:
                continue  # written already; the copy has not seen it applied yet
            fields = stale_fields(feature, self.stamp)
            if fields is None:
                continue
            self._swept[unit_id] = stale
            result = self.gate.submit(SOURCE, [(Stream.units, fields)], Scope(), who=STALE_WRITER)
            written += len(result.written)
        self._swept = {
            k: v for k, v in self._swept.items()
            if k in units and (units[k].get("properties") or {}).get("status") != UnitStatus.stale.value
        }
        return written

    def _count(self, sender: Sender, what: str, n: int = 1) -> None:
        self.minute.setdefault(sender, Counter())[what] += n
        sender.totals[what] += n

    def flush_summaries(self) -> None:
        """One audit entry per sender active since the last flush: who wrote what, from where."""
        self._next_summary = time.monotonic() + SUMMARY_S
        active, self.minute = self.minute, {}
        dropping = [s for s in list(self.senders_with_drops) if s.dropped]
        self.senders_with_drops.difference_update(dropping)
        for sender in {*active, *dropping}:
            counts = active.get(sender, Counter())
            dropped, sender.dropped = sender.dropped, 0
            producer = sender.producer
            self.audit({
                "event": "ingress", "user": producer.name, "role": producer.role, "via": producer.via,
                "ip": sender.ip, "transport": sender.transport, "messages": counts["messages"] + dropped,
                "units": counts["units"], "incidents": counts["incidents"], "refused": counts["refused"],
                "ignored": counts["ignored"], "dropped": dropped,
            })

    def audit(self, fields: dict[str, Any]) -> None:
        """Append one event to the audit trail (``<prefix>:audit``) and its log."""
        entry = {"ts": str(int(time.time() * 1000)), "source": SOURCE,
                 **{k: str(v)[:200] for k, v in fields.items() if v is not None}}
        audit_log.info("%s", " ".join(f"{k}={v!r}" for k, v in entry.items() if k != "ts"))
        self.store.audit.append(entry)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, listener: CotListener) -> None:
        self.listener = listener

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.listener.datagram(data, str(addr[0]))

    def error_received(self, exc: Exception) -> None:
        log.warning("UDP receive error: %s", exc)


@dataclass
class Doors:
    """What the listener listens on: ``host``; plain TCP and UDP ports with the account they write as
    (``plain``); the TLS port with its context. ``None``: that door stays shut. Port 0: any free port."""

    host: str
    plain: Producer | None = None
    tcp_port: int | None = None
    udp_port: int | None = None
    tls_port: int | None = None
    tls: ssl.SSLContext | None = None
    multicast_group: str = ""
    multicast_interface: str = "0.0.0.0"


class CotListener:
    """The asyncio half (see the module): accepts, frames, rate-limits, answers pings, queues."""

    def __init__(self, intake: Intake, accounts: Accounts, doors: Doors, per_minute: int) -> None:
        self.intake = intake
        self.accounts = accounts
        self.doors = doors
        self.per_minute = per_minute
        self.bound: dict[str, tuple[str, int]] = {}  # door → (host, port) actually bound
        self._servers: list[asyncio.Server] = []
        self._udp: asyncio.DatagramTransport | None = None
        self._udp_senders: dict[str, Sender] = {}
        self._connections = 0
        self._open: set[asyncio.StreamWriter] = set()

    # -- starting and stopping ------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the configured doors (raises ``OSError`` when a port cannot be had)."""
        loop = asyncio.get_running_loop()
        self.intake.loop = loop
        doors = self.doors
        if doors.plain is not None and doors.tcp_port is not None:
            server = await asyncio.start_server(lambda r, w: self._connection(r, w, "tcp"), doors.host,
                                                doors.tcp_port, reuse_address=True)
            self._servers.append(server)
            self.bound["tcp"] = server.sockets[0].getsockname()[:2]
        if doors.tls is not None and doors.tls_port is not None:
            server = await asyncio.start_server(lambda r, w: self._connection(r, w, "tls"), doors.host,
                                                doors.tls_port, ssl=doors.tls, reuse_address=True,
                                                ssl_handshake_timeout=15)
            self._servers.append(server)
            self.bound["tls"] = server.sockets[0].getsockname()[:2]
        if doors.plain is not None and doors.udp_port is not None:
            sock = self._udp_socket()
            transport, _protocol = await loop.create_datagram_endpoint(lambda: _Datagrams(self), sock=sock)
            self._udp = transport
            self.bound["udp"] = sock.getsockname()[:2]

    def _udp_socket(self) -> socket.socket:
        doors = self.doors
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        sock.bind((doors.host, doors.udp_port or 0))
        sock.setblocking(False)
        if doors.multicast_group and not ipaddress.ip_address(doors.host).is_loopback:
            try:
                membership = struct.pack("4s4s", socket.inet_aton(doors.multicast_group),
                                         socket.inet_aton(doors.multicast_interface or "0.0.0.0"))
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
                self.bound["multicast"] = (doors.multicast_group, sock.getsockname()[1])
            except OSError as error:  # no multicast route (a container): unicast still works
                log.warning("could not join the multicast group %s (%s); UDP unicast only",
                            doors.multicast_group, error)
        return sock

    async def close(self) -> None:
        """Stop accepting, and end the open connections (each reads what it has and records its close)."""
        for server in self._servers:
            server.close()
        if self._udp is not None:
            self._udp.close()
        for writer in list(self._open):
            writer.close()
        for _ in range(40):  # their tasks end once their reads see the close (about one loop turn)
            if not self._open:
                break
            await asyncio.sleep(0.05)
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)

    # -- admitting messages ---------------------------------------------------------------------------

    def _admit(self, sender: Sender) -> bool:
        """Count a message against its sender's minute; ``False`` to drop it."""
        now = time.monotonic()
        if now - sender.window >= 60.0:
            sender.window, sender.count, sender.told = now, 0, False
        sender.count += 1
        if sender.count <= self.per_minute:
            return True
        sender.dropped += 1
        self.intake.senders_with_drops.add(sender)
        if not sender.told:
            sender.told = self.intake.put("limited", sender, self.per_minute)
        return False

    def _queue(self, sender: Sender, piece: Piece) -> None:
        if not self._admit(sender):
            return
        if not self.intake.put("msg", sender, piece):
            sender.dropped += 1
            self.intake.senders_with_drops.add(sender)

    def _audit(self, fields: dict[str, Any]) -> None:
        self.intake.put("audit", None, fields)

    # -- TCP and TLS --------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                          transport: str) -> None:
        peer = writer.get_extra_info("peername") or ("?", 0)
        ip, port = str(peer[0]), int(peer[1])
        producer = self._producer_of(writer, transport, ip)
        if producer is None or self._connections >= MAX_CONNECTIONS:
            if producer is not None:
                self._audit({"event": "denied", "user": producer.name, "ip": ip, "transport": transport,
                             "reason": f"more than {MAX_CONNECTIONS} connections open"})
            writer.close()
            return
        self._connections += 1
        self._open.add(writer)
        sender = Sender(f"{transport}:{ip}:{port}", transport, ip, producer, writer, time.monotonic())
        self._audit({"event": "cot_connected", "user": producer.name, "role": producer.role,
                     "via": producer.via, "ip": ip, "transport": transport})
        stream = StreamReader(self.intake.max_bytes)
        try:
            while not sender.closing:
                data = await reader.read(65_536)
                if not data:
                    break
                for piece in stream.feed(data):
                    if piece.kind == "xml" and _is_ping(piece.payload):
                        writer.write(pong(int(time.time() * 1000)))
                    self._queue(sender, piece)
        except (ConnectionError, ssl.SSLError, OSError, asyncio.IncompleteReadError) as error:
            log.info("CoT connection %s ended: %s", sender.key, error)
        finally:
            self._connections -= 1
            self._open.discard(writer)
            self._audit({"event": "cot_closed", "user": producer.name, "role": producer.role,
                         "via": producer.via, "ip": ip, "transport": transport})
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 2)

    def _producer_of(self, writer: asyncio.StreamWriter, transport: str, ip: str) -> Producer | None:
        if transport != "tls":
            return self.doors.plain
        name = common_name(writer.get_extra_info("peercert"))
        producer = self.accounts.producer(name, "tls") if name else None
        if producer is None:
            reason = self.accounts.why_not(name) if name else "the client certificate has no common name"
            self._audit({"event": "denied", "user": name or "-", "via": "tls", "ip": ip,
                         "transport": transport, "reason": f"CoT client certificate refused: {reason}"})
        return producer

    # -- UDP ------------------------------------------------------------------------------------------

    def datagram(self, data: bytes, ip: str) -> None:
        plain = self.doors.plain
        if plain is None:
            return
        sender = self._udp_senders.get(ip)
        if sender is None:
            if len(self._udp_senders) >= MAX_UDP_SENDERS:
                cutoff = time.monotonic() - 120
                self._udp_senders = {k: s for k, s in self._udp_senders.items() if s.window > cutoff}
            sender = self._udp_senders[ip] = Sender(f"udp:{ip}", "udp", ip, plain, None, time.monotonic())
        self._queue(sender, read_datagram(data, self.intake.max_bytes))


def _is_ping(payload: bytes) -> bool:
    return f'type="{PING}"'.encode() in payload or f"type='{PING}'".encode() in payload


# --- running it -----------------------------------------------------------------------------------------


def plan_doors(settings: Settings, accounts: Accounts, *, host: str | None = None,
               plain: Producer | None = None) -> Doors:
    """The doors ``settings`` open. Raises ``ValueError`` (for the operator) for a plain account that may
    not write, TLS files only partly given or unreadable, or no door open at all."""
    if plain is None and settings.cot_plain_account:
        plain = accounts.producer(settings.cot_plain_account, "plain")
        if plain is None:
            raise ValueError(f"BASIRA_COT_PLAIN_ACCOUNT: {accounts.why_not(settings.cot_plain_account)}")
    files = (settings.cot_tls_cert, settings.cot_tls_key, settings.cot_tls_ca)
    context = None
    if any(files):
        if not all(files):
            raise ValueError("TLS needs all three of BASIRA_COT_TLS_CERT, _KEY and _CA")
        if settings.users_file is None:
            raise ValueError("TLS client certificates name tokens of the users file: set BASIRA_USERS_FILE")
        try:
            context = tls_context(*files)  # type: ignore[arg-type]
        except (OSError, ssl.SSLError) as error:
            raise ValueError(f"the CoT listener's TLS files cannot be used: {error}") from None
    if plain is None and context is None:
        raise ValueError("nothing to listen on: set BASIRA_COT_PLAIN_ACCOUNT (plain TCP and UDP, a private "
                         "network) and/or BASIRA_COT_TLS_CERT, _KEY and _CA (TLS with client certificates)")
    return Doors(host or settings.cot_host, plain, settings.cot_tcp_port, settings.cot_udp_port,
                 settings.cot_tls_port, context, settings.cot_multicast_group,
                 settings.cot_multicast_interface)


def describe(listener: CotListener) -> str:
    """What it listens on, for the start-up line."""
    parts = []
    plain = listener.doors.plain
    for door, (host, port) in listener.bound.items():
        if door == "tls":
            parts.append(f"TLS {host}:{port} (client certificates → users file tokens)")
        elif door == "multicast":
            parts.append(f"multicast {host}:{port}")
        else:
            assert plain is not None
            parts.append(f"{door.upper()} {host}:{port} (plain, as {plain.name}: {plain.scope.token})")
    return ", ".join(parts)


async def _serve(listener: CotListener, stop: threading.Event,
                 started: Callable[[CotListener], None]) -> None:
    await listener.start()
    started(listener)
    try:
        while not stop.is_set():
            await asyncio.sleep(0.2)
    finally:
        await listener.close()


def serve(
    store: Store,
    settings: Settings,
    mapping: Mapping,
    accounts: Accounts,
    doors: Doors,
    *,
    stop: threading.Event,
    stamp: str | None = None,
    started: Callable[[CotListener], None] = lambda _listener: None,
) -> None:
    """Run the listener (its asyncio loop on this thread, the writer on its own) until ``stop`` is set.
    Raises ``OSError`` when a port cannot be had (the writer then stops too; ``stop`` is left alone: in the
    demo it is the simulator's as well)."""
    intake = Intake(store, mapping, accounts, max_bytes=settings.cot_max_bytes, stamp=stamp,
                    behind_ms=int(settings.feed_horizon_s * 1000))
    listener = CotListener(intake, accounts, doors, settings.cot_per_minute)
    halt = threading.Event()
    writer = threading.Thread(target=intake.run, args=(halt,), name="cot-writer", daemon=True)
    writer.start()
    try:
        asyncio.run(_serve(listener, stop, started))
    finally:
        halt.set()
        writer.join(timeout=5)
