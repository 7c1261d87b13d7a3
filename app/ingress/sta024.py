"""NENA STA-024's EIDO conveyance, the subscriber's side: Basira subscribes to a notifier (a CAD's or a
PSAP's EIDO server) over a WebSocket and takes the EIDOs it is notified of. ``python -m app eido-subscribe``
runs :class:`Subscriber` until stopped.

STA-024 (NENA-STA-024.1a-2023, and the 2025 revision 024.1.1) puts the WebSocket *server* at the
notifier: a subscriber connects (``wss://<notifier>/IncidentData/ent``, sub-protocol
``emergency-ent1.0``), sends ``subscribe`` (``requestType`` EIDO, ``requestSubType`` new: every new
incident), and is answered ``subscribeResponse``; the notifier then sends ``event`` messages, each with a
``notification`` array of EIDOs, which the subscriber answers with ``eventResponse`` (``statusCode``
200, or 400/413/503 with the reason); it renews the subscription (``subscribe`` with its
``subscriptionId``) before ``expires``; a notifier's ``terminate`` is answered ``terminateResponse``.

Followed: the message schema NENA publishes for STA-024.1.1, ``github.com/NENA911/WebSocket-Subscribe-
Notify`` (``schema/websocket.yaml``, v1.1, commit 518ad6c), and for the sub-protocol name and the
notifier's path the public reading of STA-024.1a in PhrSite/Ng911CadIfLib (``CadIfWebSocketClient.cs``).
The standard's text was not at hand; docs/standards.md says what is and is not done (no ``qualFilter``,
no ``minRate``/``maxRate``, no EIDO retrieval or dereference service).

Each EIDO goes through :class:`.receive.Ingress` like a posted one — the same rate window, size limit,
gate, scope and audit — as the producer named by ``BASIRA_EIDO_NOTIFIER_PRODUCER`` (a producer token's
entry in the users file: its scope applies), else as ``eido-notifier`` for the whole Kingdom. Transport
security is the notifier's TLS (``wss://``), with a client certificate for STA-024's mutual
authentication (``BASIRA_EIDO_NOTIFIER_CERT``) and, if the notifier asks for one, a bearer token.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
import websocket

from .receive import Ingress, Outcome, Producer

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger("basira.ingress.sta024")

SUBPROTOCOL = "emergency-ent1.0"
#: What a subscriber accepts (STA-024: the MIME type of the request type, with its major versions).
ACCEPTS = 'application/emergency.eido+json; version="1"'
#: Renew the subscription when this share of its period has passed.
RENEW_AT = 0.8
#: Waits between reconnections: doubled after each failure, up to the last.
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
#: How long one read waits before the loop looks at the clock and the stop flag.
POLL_S = 1.0
#: An ``event`` may carry several EIDOs: at most this many documents' worth of bytes in one message.
EVENT_DOCUMENTS_MAX = 16

#: Our answer's HTTP status → the ``eventResponse`` status codes STA-024 allows (200, 400, 413, 503, …).
EVENT_STATUS = {202: 200, 400: 400, 403: 400, 413: 413, 422: 400, 429: 503}


def event_response(transaction: str, outcomes: list[Outcome]) -> dict[str, Any]:
    """The ``eventResponse`` to a notification whose EIDOs had ``outcomes``: 200 when every one was taken,
    else the first refusal's status and every reason."""
    worst = next((o for o in outcomes if o.status != 202), None)
    if worst is None:
        written = sum(len(o.body.get("written", [])) for o in outcomes)
        return {"eventResponse": {"transactionId": transaction, "statusCode": 200,
                                  "statusText": f"OK: {len(outcomes)} EIDO(s), {written} entries written"}}
    reasons = "; ".join(str(o.body.get("error", "")) for o in outcomes if o.status != 202)
    return {"eventResponse": {"transactionId": transaction, "statusCode": EVENT_STATUS.get(worst.status, 500),
                              "statusText": reasons[:500] or "refused"}}


class Subscriber:
    """Keeps one subscription to one notifier: connects, subscribes, takes notifications, renews, and
    connects again after a failure (see the module)."""

    def __init__(self, ingress: Ingress, settings: Settings, producer: Producer,
                 connect: Callable[..., websocket.WebSocket] = websocket.create_connection) -> None:
        if not settings.eido_notifier_url:
            raise ValueError("no notifier: set BASIRA_EIDO_NOTIFIER_URL (wss://…/IncidentData/ent)")
        self.ingress = ingress
        self.settings = settings
        self.producer = producer
        self.url = settings.eido_notifier_url
        self.connect = connect
        self.subscription: str | None = None
        self.renew_at = 0.0
        self.taken = 0  # EIDOs answered, whatever became of them
        self.connected = threading.Event()

    # -- the connection ----------------------------------------------------------------------------

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"subprotocols": [SUBPROTOCOL], "timeout": 10}
        settings = self.settings
        if settings.eido_notifier_bearer is not None:
            options["header"] = [f"Authorization: Bearer {settings.eido_notifier_bearer.get_secret_value()}"]
        if self.url.startswith("wss://"):
            context = ssl.create_default_context(cafile=str(settings.eido_notifier_ca)
                                                 if settings.eido_notifier_ca else None)
            if settings.eido_notifier_cert:
                context.load_cert_chain(str(settings.eido_notifier_cert))
            options["sslopt"] = {"context": context}
        return options

    def run(self, stop: threading.Event) -> None:
        """Subscribe and take notifications until ``stop`` is set, reconnecting after failures."""
        failures = 0
        while not stop.is_set():
            try:
                ws = self.connect(self.url, **self._options())
            except (OSError, websocket.WebSocketException) as error:
                wait = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                failures += 1
                log.warning("EIDO notifier %s unreachable (%s); trying again in %.0f s", self.url, error,
                            wait)
                stop.wait(wait)
                continue
            failures = 0
            try:
                self.session(ws, stop)
            except (OSError, websocket.WebSocketException) as error:
                log.warning("EIDO notifier %s: connection lost (%s)", self.url, error)
            finally:
                self.connected.clear()
                self.subscription = None
                ws.close()
            stop.wait(BACKOFF_S[0])

    def session(self, ws: websocket.WebSocket, stop: threading.Event) -> None:
        """One connection: subscribe, then answer what the notifier sends until it closes or ``stop``."""
        ws.settimeout(POLL_S)
        self.connected.set()
        self.subscribe(ws)
        while not stop.is_set():
            if self.subscription and time.monotonic() >= self.renew_at:
                self.subscribe(ws)
            try:
                text = ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            if not text:  # the notifier closed the connection
                return
            reply = self.handle(text if isinstance(text, str) else text.decode("utf-8", "replace"))
            if reply is not None:
                ws.send(orjson.dumps(reply).decode())

    def subscribe(self, ws: websocket.WebSocket) -> None:
        """Ask for every new incident's EIDOs, or renew the subscription held."""
        request: dict[str, Any] = {"requestId": str(uuid.uuid4()),
                                   "expires": self.settings.eido_subscribe_expires_s}
        if self.subscription:
            request["subscriptionId"] = self.subscription
        else:
            request.update(requestType="EIDO", requestSubType="new", requestAccepts=ACCEPTS)
        # until the answer comes, do not ask again for a while
        self.renew_at = time.monotonic() + RENEW_AT * self.settings.eido_subscribe_expires_s
        ws.send(orjson.dumps({"subscribe": request}).decode())

    # -- the messages ------------------------------------------------------------------------------

    def handle(self, text: str) -> dict[str, Any] | None:
        """The answer to one message of the notifier (``None`` when it needs none)."""
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            log.warning("EIDO notifier %s sent something that is not JSON (%d bytes); ignored", self.url,
                        len(text))
            return None
        if not isinstance(message, dict) or len(message) != 1:
            log.warning("EIDO notifier %s sent a message of no known kind; ignored", self.url)
            return None
        kind, body = next(iter(message.items()))
        body = body if isinstance(body, dict) else {}
        if kind == "subscribeResponse":
            self._subscribed(body)
        elif kind == "event":
            return self._event(body, len(text))
        elif kind == "terminate":
            log.warning("EIDO notifier %s ended subscription %s", self.url, body.get("subscriptionId"))
            self.subscription = None
            self.renew_at = time.monotonic() + BACKOFF_S[-1]  # subscribe again, after a pause
            return {"terminateResponse": {"requestId": body.get("requestId", ""),
                                          "subscriptionId": body.get("subscriptionId", ""),
                                          "statusCode": 200, "statusText": "OK"}}
        elif kind in ("unsubscribeResponse", "response"):
            log.info("EIDO notifier %s: %s %s", self.url, kind, body.get("statusText", ""))
        else:
            log.warning("EIDO notifier %s sent %r, which a subscriber does not take; ignored", self.url,
                        kind[:40])
        return None

    def _subscribed(self, body: dict[str, Any]) -> None:
        if body.get("statusCode") != 200 or not isinstance(body.get("subscriptionId"), str):
            log.error("EIDO notifier %s refused the subscription: %s %s", self.url, body.get("statusCode"),
                      str(body.get("statusText", ""))[:200])
            self.subscription = None
            self.renew_at = time.monotonic() + BACKOFF_S[-1]
            return
        self.subscription = body["subscriptionId"]
        expires = body.get("expires")
        asked = self.settings.eido_subscribe_expires_s
        period = expires if isinstance(expires, int) and expires > 0 else asked
        self.renew_at = time.monotonic() + RENEW_AT * period
        log.info("subscribed to %s's new incidents (subscription %s, %d s)", self.url, self.subscription,
                 period)

    def _event(self, body: dict[str, Any], size: int) -> dict[str, Any]:
        transaction = str(body.get("transactionId", ""))
        if size > EVENT_DOCUMENTS_MAX * self.settings.ingress_max_bytes:
            return {"eventResponse": {"transactionId": transaction, "statusCode": 413,
                                      "statusText": "notification too large"}}
        notification = body.get("notification")
        if not isinstance(notification, list):
            return {"eventResponse": {"transactionId": transaction, "statusCode": 400,
                                      "statusText": "an event carries a notification array of EIDOs"}}
        outcomes = [self.ingress.eido_object(doc, self.producer, size=len(orjson.dumps(doc)))
                    for doc in notification]
        self.taken += len(outcomes)
        return event_response(transaction, outcomes)
