"""The gate every standard's adapter writes through: validated by the contract, kept to the producer's
scope, written to the input streams as a producer would — and what is refused is in ``<p>:rejected``."""

from __future__ import annotations

import redis

from app.contract import Scope, Stream
from app.ingest import IngestWorker
from app.ingress.gate import Gate
from app.settings import Settings
from app.store import Store
from tests.helpers import incident, unit

RIYADH = {"lat": "24.7136", "lon": "46.6753"}


def test_the_gate_writes_what_passes_and_refuses_the_rest_with_reasons(client: redis.Redis,
                                                                        settings: Settings) -> None:
    store = Store.from_settings(settings)
    gate = Gate(store)
    makkah_cad = Scope(limit_regions=("SA-02",), limit_agencies=None)
    result = gate.submit("test", [
        (Stream.incidents, incident("IN1")),  # at the Grand Mosque: Makkah
        (Stream.units, unit("RU1", **RIYADH)),  # Riyadh: not theirs
        (Stream.units, unit("BAD", lat="91")),
    ], makkah_cad, who="makkah-cad")
    assert len(result.written) == 1 and not result.ok
    reasons = dict(result.refused)
    assert "outside the producer's scope: SA-01/civil_defense" in reasons[1]
    assert "lat" in reasons[2]
    IngestWorker(store, settings).work(burst=True)
    assert [f["id"] for f in store.live.incidents(Scope())] == ["IN1"]
    assert store.live.units(Scope()) == []
    rejected = [fields for _id, fields in store.rejected.newest(10)]
    assert {r["stream"] for r in rejected} == {"ingress:test"}
    assert any("RU1" in r["fields"] and "makkah-cad" in r["fields"] for r in rejected)
    assert store.streams.stats()["rejected:ingress:test"] == 2


def test_an_adapters_unreadable_message_is_recorded_with_its_reason(client: redis.Redis,
                                                                   settings: Settings) -> None:
    store = Store.from_settings(settings)
    Gate(store).refuse("cot", "malformed XML: not well-formed (line 1)", {"raw": "<event"})
    (_id, fields), = store.rejected.newest(1)
    assert fields["stream"] == "ingress:cot" and fields["reason"].startswith("malformed XML")
    assert fields["entry_id"] == "" and '"raw":"<event"' in fields["fields"]
