"""The command view's summary of a scope — KPIs, the most urgent incidents, the refreshed layers —
built once per scope per refresh tick and shared by every browser and web worker.

Computing it reads every open incident's slim row (:mod:`app.store.incident_rows`, as columns) and
every unit of the scope (at 100,000 incidents and 2,000 units ~0.45 s of a web worker's CPU on the
benchmark's machines, the first in a worker ~0.7 s); a hundred leadership laptops on the national view
would otherwise each pay that every second. :meth:`app.store.Store.built_once` names it by scope and
tick (Redis's clock, so every worker agrees on the tick) and keeps the bytes for a few seconds; each
refresh then costs a read of them and the rendering of its own language. The map's incidents and
units are not in it: they come from the live feed (:mod:`app.feed`).

A tick's summary is built *behind* its viewers (:meth:`app.store.built.Built.built_once`,
``behind``): the refresh that finds it not yet built answers with the last one still kept and starts
the build in a thread, so no viewer's refresh waits for a build — measured on the benchmark's slow
cores at 10,000 incidents, a build was ~0.25–0.4 s of CPU when the rows were read from the Features,
and a refresh served from a built tick ~8 ms. A viewer may then see the KPIs and the list one tick
later than the store has them, as every viewer but the builder already did; the first summary of a
scope (none kept) is still built before the answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from app.contract import Scope
from app.store import Store
from layers import by_key

from .._kit.live import now_ms
from .._kit.markup import to_html
from . import incidents

#: A summary stays in Redis this long past its tick: longer than any refresh interval.
SUMMARY_TTL_MS = 10_000
#: A scope's summary is rebuilt every refresh, or less often when building it would take more than
#: this share of the time between builds (at 100,000 open incidents a build is seconds of CPU).
BUILD_SHARE = 0.4


def summary(store: Store, scope: Scope, layer_keys: Sequence[str], refresh_ms: int) -> dict[str, Any]:
    """``{"kpis", "top", "total", "layers", "digests", "as_of", "applied_at", "name"}`` of ``scope`` at
    this tick: the KPIs, the :data:`~.incidents.LIST_LIMIT` most urgent open incidents (Features), how
    many are open, each of ``layer_keys``' data and a digest of it (a browser that has a layer's digest
    is not sent its data again), the store's times when it was built, and its name.

    While this tick's is built (behind the viewers, see the module), every refresh answers with the
    previous tick's, or else the scope's newest (kept as long as a tick's, under ``<family>:latest``,
    so that it outlives a change of the period): a viewer never waits for a build,
    unless the scope has none kept. ``name`` is then the earlier tick's, so what is drawn from it
    (:func:`drawn`) is that tick's too; its ``as_of`` says how fresh it is."""
    family = f"command:{scope.token}:{','.join(layer_keys)}"
    tick, period = store.built.tick(family, refresh_ms, BUILD_SHARE)
    name = f"{family}:{tick}"
    now = now_ms()  # read here, in the request: the build may run in a thread of its own
    body = store.built.built_once(name, lambda: _build(store, scope, layer_keys, name, now),
                                  SUMMARY_TTL_MS + period, family=family,
                                  previous=[f"{family}:{tick - 1}", f"{family}:latest"], behind=True,
                                  latest=(f"{family}:latest", SUMMARY_TTL_MS + period))
    return orjson.loads(body)


def drawn(store: Store, shared: dict[str, Any], key: str, draw: Callable[[], Any]) -> str:
    """What ``draw()`` returns (Dash components) for the summary ``shared`` as HTML text
    (:func:`.._kit.markup.to_html`, put in place by ``assets/markup.js``), drawn once for every viewer
    who sees the same thing — ``key`` names what else it depends on (language, view): building and
    serialising hundreds of components for each viewer, every refresh, was most of a refresh's cost,
    and mounting them as Dash components most of the page's."""
    def text() -> bytes:
        return to_html(draw()).encode()

    return store.built.built_once(f"{shared['name']}:{key}", text, SUMMARY_TTL_MS).decode()


def _digest(data: Any) -> str:
    """A short digest of a layer's data, as JSON. Data written in the same order gives the same digest;
    the same data in another order (a hash read back from Redis in another order) gives another, and is
    only sent again. The official alerts' layer (CAP in), which changes apart from the streams, is in the
    summary's layers like the rest: its digest moves when they do."""
    return hashlib.blake2b(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY), digest_size=8).hexdigest()


def _build(store: Store, scope: Scope, layer_keys: Sequence[str], name: str, now: int) -> bytes:
    # ``now``: the page's clock when asked; the KPIs and the layers are counted at this one instant
    reads = store.layers.for_refresh(now)
    times = store.meta.freshness()  # first: the figures below are at least this recent
    rows = reads.incident_rows(scope)
    # most urgent first (priority 1 before 4), then the longest open; only those are parsed whole
    top = rows.most_urgent(incidents.LIST_LIMIT)
    texts = store.live.incident_texts(top)  # only the rows shown are read whole
    layers = {key: by_key(key).data(reads, scope) for key in layer_keys}
    return orjson.dumps(
        {
            "kpis": reads.kpis(scope, now),
            "top": [orjson.loads(text) for text in texts],
            "total": len(rows),
            "layers": layers,
            "digests": {key: _digest(data) for key, data in layers.items()},
            "as_of": times["as_of"],
            "applied_at": times["applied_at"],
            "name": name,
        },
        option=orjson.OPT_SERIALIZE_NUMPY,
    )
