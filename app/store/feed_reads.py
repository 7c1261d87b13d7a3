"""What the live feed (:mod:`app.feed`) reads: the live hashes as stored, and change sets. The part
``store.feed``.

The apply scripts record every change of an incident or unit in its scope cell's change set (id →
when, by Redis's clock; see :meth:`.keys.Keys.changes`). A feed answer is then either the whole
picture of a scope (the incidents' slim rows and the units' Features, as stored: never parsed) or
what changed between two cuts of that clock: the ids in the change sets, looked up again in the live
hashes — found means "put this Feature", not found means "remove it". An id can sit in two cells'
change sets (a unit that crossed a region border); found in either, it is put.

Cuts are taken by Redis's clock (:meth:`.meta.Meta.clock_ms`); built answers are shared through
:mod:`.built` (built once, whatever the number of clients).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..contract import Scope
from .errors import guarded
from .reads import CELLS_AT_ONCE, shard_cells, slim_rows

if TYPE_CHECKING:
    import redis

    from .keys import Keys

#: The two kinds of live features the feed carries, by their change-set name.
KINDS = ("inc", "unit")


@dataclass
class Changes:
    """One kind's changes between two cuts: Feature texts to put, ids to remove."""

    put: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)


@guarded
class FeedReads:
    """The feed's reads. ``raw`` gives the client on the same server that answers in ``bytes``."""

    def __init__(self, client: redis.Redis, keys: Keys, raw: Callable[[], redis.Redis]) -> None:
        self.client = client
        self.keys = keys
        self._raw = raw

    def live_json(self, kind: str, scope: Scope) -> list[bytes]:
        """Every live Feature text of one kind in ``scope``, as the bytes Redis holds (never decoded:
        at 100,000 incidents decoding and encoding again would cost a copy of it all)."""
        with self._raw().pipeline(transaction=False) as pipe:
            for keys, region, agency in shard_cells(self.keys, scope):
                pipe.hvals((keys.incident_live if kind == "inc" else keys.unit_live)(region, agency))
            return [value for values in pipe.execute() for value in values]

    def slim_json_parts(self, scope: Scope) -> Iterator[list[bytes]]:
        """The slim rows of the open incidents of ``scope`` (:meth:`.keys.Keys.incident_slim`), as the
        bytes Redis holds, in parts of :data:`CELLS_AT_ONCE` scope cells read as they are asked for —
        a whole picture's incidents: a quarter of their Features' bytes, and what the map draws."""
        scope_cells = shard_cells(self.keys, scope)
        for start in range(0, len(scope_cells), CELLS_AT_ONCE):
            yield slim_rows(self._raw(), scope_cells[start : start + CELLS_AT_ONCE], raw=True)

    def changes(self, kind: str, scope: Scope, since_ms: int, until_ms: int) -> Changes:
        """What of ``kind`` changed in ``scope`` at ``since_ms <= t < until_ms`` (Redis clock)."""
        scope_cells = shard_cells(self.keys, scope)
        with self.client.pipeline(transaction=False) as pipe:
            for keys, region, agency in scope_cells:
                pipe.zrangebyscore(keys.changes(kind, region, agency), since_ms, f"({until_ms}")
            id_lists = pipe.execute()
        with self.client.pipeline(transaction=False) as pipe:
            asked = []
            for (keys, region, agency), ids in zip(scope_cells, id_lists, strict=True):
                if ids:
                    live = keys.incident_live if kind == "inc" else keys.unit_live
                    pipe.hmget(live(region, agency), ids)
                    asked.append(ids)
            found: dict[str, str | None] = {}
            for ids, values in zip(asked, pipe.execute(), strict=True):
                for item, value in zip(ids, values, strict=True):
                    if value is not None:
                        found[item] = value
                    else:
                        found.setdefault(item, None)
        out = Changes()
        for item, value in found.items():
            if value is None:
                out.gone.append(item)
            else:
                out.put.append(value)
        return out

    def trim_changes(self, before_ms: int) -> None:
        """Forget changes older than ``before_ms`` (a client that far behind gets the whole picture)."""
        with self.client.pipeline(transaction=False) as pipe:
            for kind in KINDS:
                for keys, region, agency in shard_cells(self.keys, Scope()):
                    pipe.zremrangebyscore(keys.changes(kind, region, agency), "-inf", f"({before_ms}")
            pipe.execute()
