"""NENA STA-024's EIDO conveyance: Basira (``app.ingress.sta024.Subscriber``, on ``websocket-client``)
subscribes to a notifier served by another WebSocket implementation — the ``websockets`` library's server,
in a thread of this test, playing a CAD's EIDO notifier — and takes what it is notified of.

The messages are those of NENA's published schema for STA-024.1.1
(``github.com/NENA911/WebSocket-Subscribe-Notify``, ``schema/websocket.yaml`` v1.1, commit 518ad6c):
``subscribe`` → ``subscribeResponse``; ``event`` (a ``notification`` array of EIDOs) → ``eventResponse``;
``terminate`` → ``terminateResponse``; the sub-protocol ``emergency-ent1.0`` as in PhrSite/Ng911CadIfLib.
The EIDOs are tests/eido_documents.py's (NENA's sample's shape, sources there).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from websockets.sync.server import ServerConnection, serve

from app.contract import Scope
from app.ingest import IngestWorker
from app.ingress.receive import Ingress, Producer
from app.ingress.sta024 import SUBPROTOCOL, Subscriber
from app.settings import Settings
from app.store import Store
from tests.eido_documents import INCIDENT_ID, RIYADH, fire_in_makkah
from tests.helpers import now_ms

#: Long enough for a loaded machine; a guard against a hang, not a measure of speed.
WAIT_S = 60


class Notifier:
    """A notifier's side of STA-024, scripted: what it received, and the moment it was done."""

    def __init__(self, events: list[list[Any]]) -> None:
        self.events = events
        self.received: list[dict[str, Any]] = []
        self.subprotocol: str | None = None
        self.done = threading.Event()

    def _recv(self, ws: ServerConnection) -> dict[str, Any]:
        message = json.loads(ws.recv(timeout=WAIT_S))
        self.received.append(message)
        return message

    def handle(self, ws: ServerConnection) -> None:
        self.subprotocol = ws.subprotocol
        subscribe = self._recv(ws)["subscribe"]
        ws.send(json.dumps({"subscribeResponse": {"requestId": subscribe["requestId"],
                                                  "subscriptionId": "sub-1", "expires": 3600,
                                                  "statusCode": 200, "statusText": "OK"}}))
        for n, notification in enumerate(self.events, start=1):
            ws.send(json.dumps({"event": {"subscriptionId": "sub-1", "transactionId": f"tx-{n}",
                                          "notification": notification}}))
            self._recv(ws)
        ws.send(json.dumps({"terminate": {"requestId": "end-1", "subscriptionId": "sub-1"}}))
        self._recv(ws)
        self.done.set()
        ws.recv(timeout=WAIT_S)  # until the subscriber goes


@pytest.fixture
def notifier() -> Iterator[tuple[Notifier, str]]:
    makkah = fire_in_makkah(now_ms())
    riyadh = fire_in_makkah(now_ms(), where=RIYADH, tracking="urn:emergency:uid:incidentid:31:psap.ryd.sa")
    script = Notifier([[makkah, {"not": "an EIDO"}], [riyadh]])
    server = serve(script.handle, "127.0.0.1", 0, subprotocols=[SUBPROTOCOL])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield script, f"ws://127.0.0.1:{server.socket.getsockname()[1]}/IncidentData/ent"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_basira_subscribes_takes_notified_eidos_and_answers_each(
    client: redis.Redis, settings: Settings, notifier: tuple[Notifier, str]
) -> None:
    script, url = notifier
    current = settings.model_copy(update={"eido_notifier_url": url})
    store = Store.from_settings(current)
    makkah_cad = Producer("makkah-cad", Scope(region="SA-02"), via="subscription", ip="127.0.0.1")
    subscriber = Subscriber(Ingress(store, current), current, makkah_cad)
    stop = threading.Event()
    runner = threading.Thread(target=subscriber.run, args=(stop,), daemon=True)
    runner.start()
    try:
        assert script.done.wait(WAIT_S), f"the conversation did not finish: {script.received}"
    finally:
        stop.set()
        runner.join(timeout=WAIT_S)
    assert script.subprotocol == SUBPROTOCOL
    subscribe, first, second, terminated = script.received
    assert {k: subscribe["subscribe"][k] for k in ("requestType", "requestSubType", "expires")} == \
        {"requestType": "EIDO", "requestSubType": "new", "expires": 3600}
    # the first notification: the Makkah EIDO was taken, the other document was not an EIDO
    assert first["eventResponse"]["transactionId"] == "tx-1" and first["eventResponse"]["statusCode"] == 400
    assert "missing $id, lastUpdateTimeStamp" in first["eventResponse"]["statusText"]
    # the second: a Riyadh incident, outside a Makkah CAD's scope
    assert second["eventResponse"]["statusCode"] == 400
    assert "outside the producer's scope: SA-01" in second["eventResponse"]["statusText"]
    assert terminated == {"terminateResponse": {"requestId": "end-1", "subscriptionId": "sub-1",
                                                "statusCode": 200, "statusText": "OK"}}
    assert subscriber.taken == 3
    IngestWorker(store, current).work(burst=True)
    assert [f["id"] for f in store.live.incidents(Scope())] == [INCIDENT_ID]
    reasons = [fields["reason"] for _id, fields in store.rejected.newest(10)]
    assert any("outside the producer's scope: SA-01" in r for r in reasons)
    assert any("missing $id" in r for r in reasons)
    audited = [e for e in store.audit.recent(10) if e["event"] == "ingress"]
    assert {(e["user"], e["via"], e["status"]) for e in audited} == {
        ("makkah-cad", "subscription", "202"), ("makkah-cad", "subscription", "400"),
        ("makkah-cad", "subscription", "403")}


def test_a_notifier_that_cannot_be_reached_is_tried_again_until_stopped(settings: Settings) -> None:
    current = settings.model_copy(update={"eido_notifier_url": "ws://127.0.0.1:9/IncidentData/ent"})
    attempts: list[str] = []
    stop = threading.Event()

    def refused(url: str, **_options: object) -> None:
        attempts.append(url)
        if len(attempts) == 2:
            stop.set()
        raise ConnectionRefusedError("refused")

    subscriber = Subscriber(Ingress(Store.from_settings(current), current),  # type: ignore[arg-type]
                            current, Producer("eido-notifier", Scope()), connect=refused)  # type: ignore[arg-type]
    subscriber.run(stop)
    assert attempts == [current.eido_notifier_url] * 2
