"""Border ports: the national view at ``/ports``, and the port panel other pages open over their map.
May import: settings, contract, reference, ports, store, layers, auth, Dash and ``.._kit``.

``layout`` (the national view's rows and drawing), ``callbacks``, ``panel`` (the panel and its
"Now" chart), ``plan`` (its "Forecast & staff" tab), ``charts`` (the plan's figures).
"""

from __future__ import annotations

from .callbacks import register_callbacks
from .layout import PAGE, PATH, layout

__all__ = ["PAGE", "PATH", "layout", "register_callbacks"]
