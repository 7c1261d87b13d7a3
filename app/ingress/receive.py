"""Taking one message of a standard — an EIDO, a CAP alert — from a producer: the same steps whichever
way it came (``POST /api/v1/eido``, ``POST /api/v1/cap``, a STA-024 subscription, the CAP feed poller).

1. **Rate**: one message counted against the producer's window (``BASIRA_INGRESS_PER_MINUTE``,
   :class:`app.store.ingress.IngressLimits`) before anything is read: 429 beyond it.
2. **Size**: at most ``BASIRA_INGRESS_MAX_BYTES``: 413 beyond it.
3. **Read** (:mod:`.eido`, :mod:`.cap_in`): a document that cannot be read is refused whole — 400, and
   ``<prefix>:rejected`` records it (``ingress:eido``, ``ingress:cap``) with the reason and its first bytes.
4. **Scope and write**: an EIDO's entries go through :class:`.gate.Gate` (the contract, the producer's
   scope, ``XADD``); an official alert is kept to the producer's scope by the regions its areas touch and
   stored by ``store.capin``. Refusals are recorded in ``<prefix>:rejected`` with their reasons, and the
   rest is taken: one bad entry loses nothing else.
5. **Audit**: every message taken is an ``ingress`` event — who, the source, how many entries were written,
   refused, skipped — through the ``audit`` callable the caller hands in (the web app's trail with the
   request's principal and address; :func:`store_audit` for the workers).

The answer (:class:`Outcome`) is an HTTP status and a JSON body; the STA-024 subscriber turns it into an
``eventResponse``. No Flask here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.contract import Scope

from . import cap_in, eido
from .gate import OUTSIDE_SCOPE, Gate

if TYPE_CHECKING:
    from app.settings import Settings
    from app.store import Store

log = logging.getLogger("basira.ingress")
#: How much of an unreadable document ``<prefix>:rejected`` keeps (the rejected stream cuts at 16 KB).
RAW_KEPT = 2000


@dataclass(frozen=True)
class Producer:
    """Who sends: a name (a token's, ``anonymous`` with access control off, ``cap-feed``…), the scope it
    may write, and for the audit trail its role, how it came and from where."""

    name: str
    scope: Scope
    role: str = "producer"
    via: str = "token"
    ip: str = "-"


@dataclass
class Outcome:
    """The answer to one message: an HTTP status, its JSON body, and when to try again (429)."""

    status: int
    body: dict[str, Any]
    retry_after_s: int | None = None


#: ``audit(producer, source, fields)``: record that a producer's message was taken.
Audit = Callable[[Producer, str, dict[str, Any]], None]


def store_audit(store: Store) -> Audit:
    """An :data:`Audit` writing to the store's audit trail directly (the workers: no request, no Flask),
    in the trail's own shape (docs/access.md)."""
    audit_log = logging.getLogger("basira.audit")

    def record(producer: Producer, source: str, fields: dict[str, Any]) -> None:
        entry = {"ts": str(int(time.time() * 1000)), "event": "ingress", "user": producer.name,
                 "role": producer.role, "via": producer.via, "ip": producer.ip, "source": source,
                 **{k: str(v)[:200] for k, v in fields.items() if v is not None}}
        audit_log.info("%s", " ".join(f"{k}={v!r}" for k, v in entry.items() if k != "ts"))
        try:
            store.audit.append(entry)
        except Exception as error:  # noqa: BLE001 - the audit never stops the ingress; the log has it
            audit_log.warning("audit event not stored (%s); it is in this log only", error)

    return record


class Ingress:
    """The steps above, for one store and its settings."""

    def __init__(self, store: Store, settings: Settings, audit: Audit | None = None) -> None:
        self.store = store
        self.settings = settings
        self.gate = Gate(store)
        self.options = eido.Options.parse(settings.eido_agency, settings.eido_agencies)
        self.audit = audit or store_audit(store)

    # -- the common steps --------------------------------------------------------------------------

    def admit(self, producer: Producer, size: int | None) -> Outcome | None:
        """The rate and size checks: ``None`` when the message may be read, else the refusal."""
        wait_ms = self.store.ingress.take(producer.name, self.settings.ingress_per_minute)
        if wait_ms:
            seconds = max(1, -(-wait_ms // 1000))
            log.warning("ingress: %s is over %d messages a minute; refused for %d s", producer.name,
                        self.settings.ingress_per_minute, seconds)
            return Outcome(429, {"error": f"more than {self.settings.ingress_per_minute} messages a minute "
                                 f"from {producer.name}: try again in {seconds} s"}, seconds)
        limit = self.settings.ingress_max_bytes
        if size is not None and size > limit:
            return Outcome(413, {"error": f"the document is larger than {limit} bytes"})
        return None

    def _unreadable(self, source: str, reason: str, raw: bytes | str, producer: Producer) -> Outcome:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        self.gate.refuse(source, reason, {"raw": text[:RAW_KEPT]}, producer.name)
        self.audit(producer, source, {"status": 400, "written": 0, "refused": 1, "reason": reason})
        return Outcome(400, {"error": reason})

    # -- NENA EIDO -----------------------------------------------------------------------------------

    def eido(self, body: bytes, producer: Producer) -> Outcome:
        """One EIDO as JSON bytes (``POST /api/v1/eido``)."""
        if (refused := self.admit(producer, len(body))) is not None:
            return refused
        try:
            doc = eido.read_document(body)
        except eido.NotEido as error:
            return self._unreadable("eido", error.reason, body, producer)
        return self._eido(doc, producer)

    def eido_object(self, doc: Any, producer: Producer, size: int | None = None) -> Outcome:
        """One EIDO already parsed from JSON (a STA-024 notification carries them in an array)."""
        if (refused := self.admit(producer, size)) is not None:
            return refused
        try:
            checked = eido.check_shape(doc)
        except eido.NotEido as error:
            return self._unreadable("eido", error.reason, repr(doc)[:RAW_KEPT], producer)
        return self._eido(checked, producer)

    def _eido(self, doc: dict[str, Any], producer: Producer) -> Outcome:
        mapped = eido.to_entries(doc, self.options)
        submitted = self.gate.submit("eido", mapped.entries, producer.scope, producer.name)
        refused_at = dict(submitted.refused)
        written, refused = [], []
        ids = iter(submitted.written)
        for n, ((stream, fields), source) in enumerate(zip(mapped.entries, mapped.sources, strict=True)):
            if n in refused_at:
                refused.append({"component": source, "stream": stream.value, "id": fields.get("id"),
                                "reason": refused_at[n]})
            else:
                written.append({"component": source, "stream": stream.value, "id": fields.get("id"),
                                "entry": next(ids)})
        for source, reason in mapped.skipped:  # what could not become an entry is a loss: recorded
            self.gate.refuse("eido", reason, {"component": source, "incident": mapped.incident},
                             producer.name)
        body: dict[str, Any] = {
            "incident": mapped.incident, "written": written, "refused": refused,
            "skipped": [{"component": s, "reason": r} for s, r in mapped.skipped],
            "waiting": [{"component": s, "reason": r} for s, r in mapped.waiting],
        }
        if written or not (refused or mapped.skipped):
            status = 202
        elif refused and all(r["reason"].startswith(OUTSIDE_SCOPE) for r in refused):
            status = 403
        else:
            status = 422  # a readable EIDO none of whose components could be taken: every reason given
        if status != 202:
            body["error"] = "; ".join([r["reason"] for r in refused]
                                      + [f"{s}: {r}" for s, r in mapped.skipped])[:1000]
        self.audit(producer, "eido", {"status": status, "incident": mapped.incident, "written": len(written),
                                      "refused": len(refused), "skipped": len(mapped.skipped)})
        return Outcome(status, body)

    # -- CAP 1.2 ---------------------------------------------------------------------------------------

    def cap(self, body: bytes, producer: Producer, now_ms: int | None = None) -> Outcome:
        """One CAP 1.2 document (``POST /api/v1/cap``, the feed poller)."""
        if (refused := self.admit(producer, len(body))) is not None:
            return refused
        try:
            root = cap_in.parse(body)
            message = cap_in.read(root, self.store.reference.region_index, self.settings.cap_default_hours)
        except (cap_in.NotCap, ValueError) as error:
            reason = error.reason if isinstance(error, cap_in.NotCap) else f"not valid CAP 1.2: {error}"
            return self._unreadable("cap", reason, body, producer)
        now = int(time.time() * 1000) if now_ms is None else now_ms
        alert = message.alert
        regions = set(alert["regions"]) if alert else set()
        for earlier in self.store.capin.get(message.references):
            regions.update(earlier.get("regions") or [])
        outside = sorted(r for r in regions if not producer.scope.covers(r))
        body_out: dict[str, Any] = {"ref": message.ref, "msgType": message.msg_type, "status": message.status}
        if outside:
            reason = (f"{OUTSIDE_SCOPE}: the alert's areas touch {', '.join(outside)} (it may write "
                      f"{producer.scope.token})")
            self.gate.refuse("cap", reason, {"ref": message.ref, "regions": ",".join(sorted(regions))},
                             producer.name)
            self.audit(producer, "cap", {"status": 403, "id": message.ref, "written": 0, "refused": 1})
            return Outcome(403, {**body_out, "error": reason})
        if message.msg_type == "Cancel":
            self.store.capin.cancel(message.references)
            self.audit(producer, "cap", {"status": 202, "id": message.ref,
                                         "cancelled": len(message.references)})
            return Outcome(202, {**body_out, "cancelled": message.references})
        if alert is None or message.not_drawn:
            if alert is not None and message.status in cap_in.DRAWN:  # a real alert we cannot draw: a loss
                self.gate.refuse("cap", message.not_drawn or "", {"ref": message.ref}, producer.name)
            self.audit(producer, "cap", {"status": 202, "id": message.ref, "written": 0,
                                         "reason": message.not_drawn})
            return Outcome(202, {**body_out, "stored": False, "reason": message.not_drawn})
        alert = {**alert, "by": producer.name, "received_at": now}
        replaces = message.references if message.msg_type == "Update" else []
        stored = self.store.capin.put(alert, replaces, now_ms=now)
        out = {**body_out, "stored": stored, "expires": alert["expires"], "regions": alert["regions"],
               "severity": alert["severity"], "areas": len(alert["areas"])}
        if not stored:
            out["reason"] = "already expired: nothing to draw"
        self.audit(producer, "cap", {"status": 202, "id": message.ref, "written": int(stored),
                                     "regions": ",".join(alert["regions"])})
        return Outcome(202, out)
