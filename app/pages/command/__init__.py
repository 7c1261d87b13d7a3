"""The command view at ``/``: the live map, KPIs and incidents of a scope, drilled down by clicks.
May import: settings, contract, reference, store, layers, auth, feed, Dash, ``.._kit`` and the port panel.

``layout`` (ids and drawing), ``callbacks``, ``drill`` (the view in the URL), ``summary`` (a scope's
summary, built once per tick), ``incidents`` (the list and the card).
"""

from __future__ import annotations

from .callbacks import register_callbacks
from .layout import PAGE, PATH, layout

__all__ = ["PAGE", "PATH", "layout", "register_callbacks"]
