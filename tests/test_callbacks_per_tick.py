"""How many callbacks the command view's browser runs each second, read off the app's callback map.

Each callback Dash runs in the browser — a clientside one too — goes through dash-renderer's store:
several state changes, each of them passing over every component of the page. At one refresh a
second on a page open all day, that is most of what dash-renderer costs the page (issue 17: the
command view's CPU; ten callbacks a second took ~34 ms/s of its JavaScript, six ~21). So what a tick
and a refresh's answer start is kept to what they need, and this test says how much that is.
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


def test_a_tick_and_a_refresh_start_six_callbacks(settings: Settings) -> None:
    callbacks = state(create_app(settings)).dash_app.callback_map
    tick = _listening(callbacks, {f"{ID.tick}.n_intervals"})
    # the pace (a pulse, when the last refresh has answered), the watchdog's look, the timeline's slot
    assert tick == sorted([f"{PULSE}.data", f"{ID.watchdog}.className", f"{TL.anchor}.data"]), tick

    refresh = _listening(callbacks, {f"{PULSE}.data"})
    assert len(refresh) == 1, refresh  # the pulse starts the refresh, and nothing else
    answered = _outputs(refresh[0]) - {f"{TB.frame}.data"}  # a replay's frame: a live answer leaves it
    assert {f"{ID.kpis_html}.data", f"{ID.incidents_html}.data", f"{ID.asof_html}.data",
            f"{ID.beat}.data"} <= answered
    # what the answer starts: the panel's three texts put in place by one callback, and the watchdog
    started = _listening(callbacks, answered)
    assert started == [f"{ID.sheet_count}.children", f"{ID.watchdog}.className"], started
