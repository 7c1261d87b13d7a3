"""What a request needs from the application: its settings, its store and its clock.

``create_app`` puts one :class:`Services` on ``app.extensions["basira"]``; views and Dash
callbacks reach it through :func:`services`, never through module globals.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from .archive.replay import Replay
    from .settings import Settings
    from .store import Store

EXTENSION = "basira"


def wall_clock_ms() -> int:
    """Now by the machine's clock, in epoch milliseconds (the unit of every time the store keeps)."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store

    #: The archive read at past moments (``BASIRA_ARCHIVE_DIR``): replay, timelines, the brief.
    replay: Replay

    #: "Now" for the pages and ``/api/v1/snapshot`` (epoch ms): what their figures of the last hour,
    #: their ages and their freshness are counted at (``app.pages._kit.live.now_ms`` reads it, and hands
    #: it to the layers through ``store.layers.for_refresh``). The machine's clock, unless ``create_app``
    #: was given another: a test pins it mid-hour, so that its counts cannot change with the top of an
    #: hour.
    clock: Callable[[], int] = field(default=wall_clock_ms)


def services() -> Services:
    """The current application's services (inside a request or an app context)."""
    return current_app.extensions[EXTENSION]
