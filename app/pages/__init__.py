"""Basira's pages: one module per page, each with a ``PAGE`` name, a ``PATH``, a ``layout(**query)``
whose arguments all default, and a ``register_callbacks(app, context)`` for its callbacks.

Lives here: the Dash pages and the ``_``-prefixed helpers they share.
May import: settings, contract, reference, store, layers, auth, Dash; never ``app.web`` or ``app.api``.

``PAGES`` is the explicit tuple :func:`app.web.create_dash` registers. Callbacks are registered on
each Dash app (never with the global ``dash.callback``), so several apps can live in one process.
Helpers the pages share live in the ``_``-prefixed modules.
"""

from __future__ import annotations

from types import ModuleType

from . import kiosk, live, ports, wall

PAGES: tuple[ModuleType, ...] = (live, wall, kiosk, ports)

__all__ = ["PAGES"]
