"""The video wall at ``/wall``: the national picture for a room, touring the regions by itself.
May import: settings, contract, reference, store, layers, auth, Dash and ``.._kit``.

``layout`` (ids and drawing), ``callbacks``, ``panels`` (header, ranking, feed, alert), ``clock``,
``alerts`` (the open alerts, a severe one full width, the chime).
"""

from __future__ import annotations

from .callbacks import register_callbacks
from .layout import PAGE, PATH, layout

__all__ = ["PAGE", "PATH", "layout", "register_callbacks"]
