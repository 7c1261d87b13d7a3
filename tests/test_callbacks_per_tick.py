"""How many callbacks the command view's browser runs each second, read off the app's callback map.

Each callback Dash runs in the browser — a clientside one too — goes through dash-renderer's store:
several state changes, each of them passing over every component of the page. At one refresh a
second on a page open all day, that is most of what dash-renderer costs the page (issue 17: the
command view's CPU; ten callbacks a second took ~34 ms/s of its JavaScript, six ~21). So what a tick
and a refresh's answer start is kept to what they need — three a second now — and this test says how
much that is.
"""

from __future__ import annotations

from typing import Any

from app import create_app
from app.auth.guard import state
from app.pages.command.layout import ID
from app.pages.command.timebar import TB
from app.pages.command.timeline import TL
from app.settings import Settings

#: The command view's pulse: what its tick asks the refresh with (``.._kit.live.pulse_store``).
PULSE = "live-pulse"


def _listening(callback_map: dict[str, Any], props: set[str]) -> list[str]:
    """The outputs (callback map keys) of the callbacks that any of ``props`` (``id.prop``) starts."""
    return sorted(key for key, spec in callback_map.items()
                  if any(f"{i['id']}.{i['property']}" in props for i in spec["inputs"]))


def _outputs(key: str) -> set[str]:
    """A callback map key's outputs as ``id.prop`` (several are joined as ``..a.p...b.q..``)."""
    return {part for part in key.strip(".").split("...") if part}


def test_a_tick_and_a_refresh_start_three_callbacks(settings: Settings) -> None:
    callbacks = state(create_app(settings)).dash_app.callback_map
    tick = _listening(callbacks, {f"{ID.tick}.n_intervals"})
    # one: the pace (a pulse, when the last refresh has answered) and the watchdog's look together
    assert len(tick) == 1 and _outputs(tick[0]) == {f"{PULSE}.data", f"{ID.watchdog}.className"}, tick
    assert not _listening(callbacks, {f"{ID.beat}.data"})  # the beat is read at the tick, not listened to

    refresh = _listening(callbacks, {f"{PULSE}.data"})
    assert len(refresh) == 1, refresh  # the pulse starts the refresh, and nothing else
    answered = _outputs(refresh[0]) - {f"{TB.frame}.data"}  # a replay's frame: a live answer leaves it
    assert {f"{ID.kpis_html}.data", f"{ID.incidents_html}.data", f"{ID.asof_html}.data",
            f"{ID.beat}.data"} <= answered
    # what the answer starts: the panel's three texts put in place by one callback
    started = _listening(callbacks, answered)
    assert started == [f"{ID.sheet_count}.children"], started


def test_the_timeline_is_read_again_on_an_interval_of_its_own(settings: Settings) -> None:
    """Live, a chosen incident's life is read again every ``LIVE_EVERY_MS`` (15 s) by an interval of its
    own; on the page's tick that callback ran every second to change nothing fourteen times in fifteen."""
    from dash import dcc

    from app.pages.command.timeline import LIVE_EVERY_MS, stores

    callbacks = state(create_app(settings)).dash_app.callback_map
    assert _listening(callbacks, {f"{TL.every}.n_intervals"}) == [f"{TL.anchor}.data"]
    every = next(c for c in stores() if isinstance(c, dcc.Interval))
    assert (every.id, every.interval) == (TL.every, LIVE_EVERY_MS)
