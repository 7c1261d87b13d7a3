"""What a request needs from the application: its settings and its store.

``create_app`` puts one :class:`Services` on ``app.extensions["basira"]``; views and Dash
callbacks reach it through :func:`services`, never through module globals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from .archive.replay import Replay
    from .settings import Settings
    from .store import Store

EXTENSION = "basira"


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store

    #: The archive read at past moments (``BASIRA_ARCHIVE_DIR``): replay, timelines, the brief.
    replay: Replay


def services() -> Services:
    """The current application's services (inside a request or an app context)."""
    return current_app.extensions[EXTENSION]
