"""A process's copy of the live incidents and/or units, kept current by the store's change sets.

The CoT listener keeps the units (their status, which a TAK position report must not undo, and their
stale times, which it honours); ``tak-out`` keeps both, and sends TAK what changed. Both do what the
alerts worker's picture does (:mod:`app.alerts.picture`): read everything at start — and whenever the
copy falls further behind than the change sets reach — then, each tick, only the ids in the change sets
since the last cut of Redis's clock (``store.feed.changes``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from app.contract import Scope

if TYPE_CHECKING:
    from app.store import Store


@dataclass
class Delta:
    """What one refresh changed of one kind: the Features put (new or changed) and the ids gone.
    ``full``: the copy was read whole (a start, or too far behind) — ``put`` then holds everything."""

    put: list[dict[str, Any]] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    full: bool = False


class Mirror:
    """Features by id for each kind in ``kinds`` (``inc``, ``unit``), as the store holds them."""

    def __init__(self, store: Store, kinds: Iterable[str], behind_ms: int) -> None:
        self.store = store
        self.kinds = tuple(kinds)
        self.behind_ms = behind_ms  # the change sets' reach: further behind, read everything again
        self.features: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in self.kinds}
        self.cut: int | None = None

    def get(self, kind: str, item_id: str) -> dict[str, Any] | None:
        """The Feature's properties of ``item_id`` (``None``: not known)."""
        feature = self.features[kind].get(item_id)
        return feature.get("properties") if feature else None

    def refresh(self) -> dict[str, Delta]:
        """Bring the copy up to Redis's clock now; what changed, by kind."""
        now = self.store.meta.clock_ms()
        full = self.cut is None or now - self.cut > self.behind_ms
        out: dict[str, Delta] = {}
        for kind in self.kinds:
            out[kind] = self._read_all(kind) if full else self._read_changes(kind, self.cut or now, now)
        self.cut = now
        return out

    def _read_all(self, kind: str) -> Delta:
        live = self.store.live
        texts = live.incidents_json(Scope()) if kind == "inc" else live.units_json(Scope())
        features = [orjson.loads(text) for text in texts]
        before = self.features[kind]
        self.features[kind] = {str(f["id"]): f for f in features if f.get("id") is not None}
        return Delta(put=features, gone=[i for i in before if i not in self.features[kind]], full=True)

    def _read_changes(self, kind: str, since: int, until: int) -> Delta:
        changes = self.store.feed.changes(kind, Scope(), since, until)
        delta = Delta(gone=list(changes.gone))
        for text in changes.put:
            feature = orjson.loads(text)
            if feature.get("id") is None:
                continue
            self.features[kind][str(feature["id"])] = feature
            delta.put.append(feature)
        for item_id in changes.gone:
            self.features[kind].pop(item_id, None)
        return delta
