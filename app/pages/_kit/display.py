"""What the two unattended modes — the video wall and the exhibition kiosk — share.

* :func:`layers_for` — the built-in layers a mode draws, chosen by key from ``layers.LAYERS`` (in its
  drawing order). A key whose layer does not exist (yet) is skipped, so a mode keeps working as
  layers are added or removed; a layer a mode does not name is simply not drawn there, nor one that
  does not apply under the settings (``Layer.applies``).
* :func:`mode_map` — the map of a mode: no zoom buttons (nobody is at a mouse), fractional zoom so a
  region fills the screen, every drawn layer's credit in the attribution control.
* :func:`figure` — one large number with its label, legible across a room.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import dash_leaflet as dl
from dash import html

from layers import LAYERS, Layer, MapContext

from . import widgets as w


def layers_for(keys: Iterable[str], settings: Any | None = None) -> tuple[Layer, ...]:
    """The layers of ``LAYERS`` whose key is in ``keys`` (and that apply under ``settings``, when
    given), in drawing order."""
    wanted = set(keys)
    return tuple(w.applying((layer for layer in LAYERS if layer.key in wanted), settings))


def mode_map(map_id: str, ctx: MapContext, layers: Sequence[Layer], bounds: Any, **options: Any) -> dl.Map:
    """The Leaflet map of a mode page, fitted to ``bounds`` (``[[south, west], [north, east]]``), with
    those of ``layers`` that apply under ``ctx.settings``."""
    layers = w.applying(layers, ctx.settings)
    return dl.Map(
        id=map_id,
        bounds=bounds,
        minZoom=4,
        maxZoom=18,
        zoomSnap=0.25,
        zoomControl=False,
        # The page moves the map (``viewport``) and never reads its view back; tracking it would send
        # every move to the server, and dash-leaflet's tracker fails on a map made from ``bounds``.
        trackViewport=False,
        attributionControl=False,  # replaced by one that credits every drawn layer
        className="basira-map mode-map",
        children=[
            *(part for layer in layers for part in layer.component(ctx)),
            dl.AttributionControl(prefix=w.attribution(layers), position="bottomright"),
        ],
        **{**w.MAP_OPTIONS, **options},
    )


def brand() -> html.Div:
    """The product's name, in Arabic and English, as each mode's header starts."""
    return w.brand(kind="mode")


def figure(key: str, label: str, value: str, detail: str = "", tone: str = "") -> html.Div:
    """One large figure: the value over its label (and an optional line of detail)."""
    return html.Div(
        className=f"mode-figure {tone}".strip(),
        **{"data-figure": key},
        children=[
            html.Div(value, className="mode-figure-value"),
            html.Div(label, className="mode-figure-label"),
            html.Div(detail, className="mode-figure-detail") if detail else None,
        ],
    )
