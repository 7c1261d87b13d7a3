"""Basira's pages: one package per page, each with a ``PAGE`` name, a ``PATH``, a ``layout(**query)``
whose arguments all default, and a ``register_callbacks(app, context)`` for its callbacks.

Lives here: the Dash pages (``command/``, ``wall/``, ``kiosk/``, ``ports/``) and ``_kit/``, what they share.
May import: settings, contract, reference, store, layers, auth, Dash; never ``app.web`` or ``app.api``.

``PAGES`` is the explicit tuple :func:`app.web.create_dash` registers. Callbacks are registered on
each Dash app (never with the global ``dash.callback``), so several apps can live in one process.
Helpers the pages share live in ``_kit/``; a page imports another page's module only to show its
widget (the command view shows ``ports.panel``).
"""

from __future__ import annotations

from types import ModuleType

from . import command, kiosk, ports, wall

PAGES: tuple[ModuleType, ...] = (command, wall, kiosk, ports)

__all__ = ["PAGES"]
