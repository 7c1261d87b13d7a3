"""Incident density: how many incidents were opened in each H3 hexagon over the last 1, 6 or 24 hours.

dash-leaflet has no heat layer, so the density is counted on the server and drawn as hexagons.
Why H3 and not a raster (``docs/layers.md`` has the measurements): a hexagon count is exact, and
small on the wire — a cell id and three counts — while a raster is an image per refresh and per
window, blurred, and cannot answer "how many here?" on hover. H3 cells nest, so the browser
(``assets/vendor/h3-js.umd.js``, ``basira.heatPart`` in ``assets/layers.js``) merges them into
coarser cells as the viewer zooms out and draws each one's outline itself: no polygon is ever sent.

What is sent per refresh: one Point feature per region (at its label point) whose ``cells`` map
each hexagon of that region to its counts ``[1 h, 6 h, 24 h]`` (a hexagon on a border belongs to
the region most of its incidents are in). All three windows come at once, so the window switch on
the map (:mod:`layers.switch`) redraws in the browser without asking the server.

The counts are of incidents *opened* in the window: the open ones (from the live picture) and the
closed ones from the history (``store.layers.closed_chunks``,
:meth:`app.store.layer_reads.LayerReads.closed_chunks`, which reads only what changed and keeps each
closed incident's H3 cell), in every region and outside them (at sea). The hexagons
are H3 resolution 5 (~250 km², 17 km across) for the Kingdom and 6 (~36 km², 6.5 km across) for a
region; the browser shows resolution 4 below zoom 6.5 and 5 below zoom 8.5, so a hexagon is
10–30 px wide at the zoom it is seen at. An aggregate is shared by every browser looking at that
scope and reused for a second per :data:`KEEP_PER_S` incidents in it (at most :data:`MAX_AGE_S`):
a busy day (100,000 incidents, ~0.1 s) is recounted every 5 s, a handful on every refresh
(``docs/layers.md`` has the measurements).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import h3.api.basic_int as h3
import numpy as np
from dash.development.base_component import Component

from app.contract import REGION_CODES, REGION_TOKENS, Scope
from app.geo import Points
from app.i18n import bilingual, digits, t

from .base import COORD_DECIMALS, Layer, Legend, LegendEntry, MapContext, feature_collection
from .geography import RegionInfo, point, regions_of_store
from .js import BASIRA
from .switch import switched_layer

#: The hexagons' function in assets/layers.js.
HEAT_PART = BASIRA("heatPart")

if TYPE_CHECKING:
    from .reads import Reads

#: Its pane: above the choropleth (300), below the region names (450).
PANE = "basira-heat"
PANE_Z = 350
#: The windows, in hours, in the order of each cell's counts; the switch offers them in this order.
WINDOWS_H: tuple[int, ...] = (1, 6, 24)
DEFAULT_WINDOW = 24
#: Resolution of the cells sent for the Kingdom and for one region.
NATIONAL_RES = 5
REGION_RES = 6
#: An aggregate is reused for a second per KEEP_PER_S incidents counted in it, at most MAX_AGE_S:
#: its cost grows with that number (100,000 take ~0.1 s), and density over hours moves slowly.
KEEP_PER_S = 20_000
MAX_AGE_S = 5.0
#: Five classes of a cell's count relative to the busiest cell shown (log scale), low to high.
RAMP: tuple[str, ...] = ("#5c2a7e", "#9c3587", "#d9466f", "#f6804f", "#fdc65f")
HOUR_MS = 3_600_000


def cells_of(points: Points) -> np.ndarray:
    """The H3 cell (``uint64``) of each point at :data:`REGION_RES`, the finest shown.

    ``h3`` has no array API: one call per point (~0.6 µs with the integer API, twice that with
    strings). Closed incidents' cells are computed once per incident (:meth:`Chunk.derive`).
    """
    to_cell = h3.latlng_to_cell
    return np.fromiter(
        (to_cell(y, x, REGION_RES) for x, y in zip(points.lon.tolist(), points.lat.tolist(), strict=True)),
        dtype=np.uint64,
        count=len(points),
    )


def coarser(cells: np.ndarray, res: int) -> np.ndarray:
    """``cells`` (at :data:`REGION_RES`) at resolution ``res``: the parents of the distinct ones."""
    if res == REGION_RES or not len(cells):
        return cells
    distinct, inverse = np.unique(cells, return_inverse=True)
    parents = np.fromiter((h3.cell_to_parent(int(c), res) for c in distinct), dtype=np.uint64,
                          count=len(distinct))
    return parents[inverse]


def aggregate(points: Points, cells: np.ndarray, now_ms: int, res: int) -> dict[str, dict[str, list[int]]]:
    """Region token → {cell id: [count over each of :data:`WINDOWS_H`]} for the incidents opened in
    the longest window; ``cells`` holds each point's cell at :data:`REGION_RES`. Each cell goes to
    the region holding most of its incidents (ties: the first)."""
    recent = points.opened >= now_ms - max(WINDOWS_H) * HOUR_MS
    points, cells = points.where(recent), cells[recent]
    if not len(points):
        return {}
    distinct, cell_index = np.unique(coarser(cells, res), return_inverse=True)
    tokens = REGION_TOKENS
    per_region = np.bincount(cell_index * len(tokens) + points.region,
                             minlength=len(distinct) * len(tokens)).reshape(len(distinct), len(tokens))
    owner = per_region.argmax(axis=1)
    counts = np.stack(
        [np.bincount(cell_index, weights=points.opened >= now_ms - h * HOUR_MS, minlength=len(distinct))
         for h in WINDOWS_H],
        axis=1,
    ).astype(int)
    out: dict[str, dict[str, list[int]]] = {}
    for cell, region, row in zip(distinct.tolist(), owner.tolist(), counts.tolist(), strict=True):
        out.setdefault(str(tokens[region]), {})[h3.int_to_str(cell)] = row
    return out


def _anchor(info: RegionInfo | None, cells: dict[str, list[int]]) -> dict[str, Any]:
    """Where a region's feature stands: its label point; for incidents outside every region (at
    sea, say), the centre of their busiest hexagon."""
    if info is not None:
        return point(info)
    busiest = max(cells, key=lambda c: cells[c][-1])
    lat, lon = h3.cell_to_latlng(h3.str_to_int(busiest))
    return {"type": "Point", "coordinates": [round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS)]}


class Heatmap(Layer):
    key = "heatmap"
    title_key = "layer.heatmap"
    live = True
    shown = False

    def component(self, ctx: MapContext) -> list[Component]:
        return [switched_layer(self, ctx, PANE, PANE_Z, pointToLayer=HEAT_PART)]

    def hideout(self, lang: str, settings: Any) -> dict[str, Any]:
        hours = {h: digits(t("heat.hours", lang, n=h), lang) for h in WINDOWS_H}
        return {
            "lang": lang,
            "pane": PANE,
            "ramp": list(RAMP),
            "windows": list(WINDOWS_H),
            "labels": {
                "count": t("heat.count", lang),
                "windows": {str(h): t("heat.last", lang, window=label) for h, label in hours.items()},
            },
            "control": {
                "kind": "heatmap",
                "title": t("heat.switch", lang),
                "options": [{"value": str(h), "label": hours[h]}
                            for h in (DEFAULT_WINDOW, *(w for w in WINDOWS_H if w != DEFAULT_WINDOW))],
                "note": {str(h): t("heat.note", lang) for h in WINDOWS_H},
            },
        }

    def data(self, store: Reads, scope: Scope) -> dict[str, Any]:
        regions = regions_of_store(store)  # read once per process, outside the timed computation
        return store.cached(("heatmap", scope.token), lambda: self._compute(store, scope, regions))

    def _compute(
        self, store: Reads, scope: Scope, regions: dict[str, RegionInfo]
    ) -> tuple[dict[str, Any], float]:
        """The scope's FeatureCollection, and how long it may be reused (seconds)."""
        now_ms = store.now_ms()
        since = now_ms - max(WINDOWS_H) * HOUR_MS
        parts = [store.incident_rows(scope).points()]
        fine = [cells_of(parts[0])]
        for chunk in store.closed_chunks(scope, since):
            closed, closed_cells = chunk.derive("heatmap.cells", cells_of)
            parts.append(closed)
            fine.append(closed_cells)
        points = Points.join(parts)
        res = NATIONAL_RES if set(REGION_CODES) <= set(scope.regions) else REGION_RES
        features = []
        for token, cells in sorted(aggregate(points, np.concatenate(fine), now_ms, res).items()):
            totals = [sum(row[i] for row in cells.values()) for i in range(len(WINDOWS_H))]
            features.append(
                {
                    "type": "Feature",
                    "id": token,
                    "geometry": _anchor(regions.get(token), cells),
                    "properties": {"id": token, "region": token, "res": res, "total": totals,
                                   "cells": cells},
                }
            )
        return feature_collection(features), min(MAX_AGE_S, len(points) / KEEP_PER_S)

    def legend(self) -> Legend:
        return Legend(
            title=self.title,
            entries=(
                LegendEntry(RAMP[0], bilingual("heat.legend.low"), "hex"),
                LegendEntry(RAMP[2], bilingual("heat.legend.window"), "hex"),
                LegendEntry(RAMP[-1], bilingual("heat.legend.high"), "hex"),
            ),
        )
