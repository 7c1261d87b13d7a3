"""The exhibition kiosk at ``/demo``: Basira's story on a demo store's data, and nothing else.
May import: settings, contract, reference, store, layers, Dash and ``.._kit``.

``layout`` (ids, drawing, the story panel), ``callbacks``, ``story`` (the chapters and their figures).
"""

from __future__ import annotations

from .callbacks import register_callbacks
from .layout import PAGE, PATH, layout

__all__ = ["PAGE", "PATH", "layout", "register_callbacks"]
