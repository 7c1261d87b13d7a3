"""Time in the tests: the app's clock pinned mid-hour, and ages checked against the time measured.

What a page shows depends on when it is shown in two ways, and a test of it must hold whenever it runs
and however loaded the machine is:

* **Counts of the last hour** (travellers through a port, 911 calls) are kept per clock hour, and the
  previous hour counts pro rata of how far the current one has run: the same entries give other
  figures once a run crosses the top of an hour. A test that asserts such a count exactly runs the app
  on a :class:`Clock` started mid-hour (:meth:`Clock.mid_hour`; ``tests.browser.serving(settings,
  clock)`` hands it to ``create_app``, ``tests.browser.feed(..., clock=clock)`` to the ingest worker)
  and writes its entries at that clock's times: it has half an hour before the top of an hour, at
  whatever time of day it starts.
* **Ages** ("last update 10 min ago") grow while a test waits for the page: a test asserts the range
  between the instants it measured before the page counted and after it read (:func:`age_within`),
  not one value.
"""

from __future__ import annotations

import re
import time

HOUR_MS = 3_600_000


def wall_ms() -> int:
    """The machine's clock, in epoch ms."""
    return time.time_ns() // 1_000_000


class Clock:
    """A clock (epoch ms) that runs at the machine's pace from ``start_ms``."""

    def __init__(self, start_ms: int) -> None:
        self.start_ms = start_ms
        self._origin_ns = time.monotonic_ns()

    @classmethod
    def mid_hour(cls) -> Clock:
        """A clock started in the middle of the last clock hour that has ended (30 to 90 minutes ago):
        it reaches the top of an hour — or of a day, in UTC and in Riyadh (UTC+3) alike — only half an
        hour later, and what a test writes at its times is in the past of the machine's clock (as the
        ingest worker requires) and of Redis's."""
        return cls((wall_ms() // HOUR_MS - 1) * HOUR_MS + HOUR_MS // 2)

    def now_ms(self) -> int:
        """Now by this clock (what ``create_app(clock=…)`` takes)."""
        return self.start_ms + (time.monotonic_ns() - self._origin_ns) // 1_000_000

    def seconds(self) -> float:
        """Now by this clock in epoch seconds (what ``IngestWorker(clock=…)`` takes)."""
        return self.now_ms() / 1000


#: An age as ``app.i18n.fmt_duration`` writes it in English: "45 s", "4 min 12 s", "10 min",
#: "1 h 5 min", "2 d 3 h".
_DURATION = re.compile(r"(?:(\d+) d )?(?:(\d+) h)? ?(?:(\d+) min)? ?(?:(\d+) s)?")


def shown_seconds(text: str) -> tuple[int, int]:
    """The least and the most whole seconds an English age written by ``app.i18n.fmt_duration`` stands
    for: itself up to an hour (rounded to the second), a minute's worth past an hour (it drops the
    seconds), an hour's past a day. Raises ``ValueError`` for any other text."""
    match = _DURATION.fullmatch(text.strip())
    if not match or not any(match.groups()):
        raise ValueError(f"not an age: {text!r}")
    d, h, m, s = (int(g) if g else 0 for g in match.groups())
    least = ((d * 24 + h) * 60 + m) * 60 + s
    spread = 3599 if d else 59 if h else 0
    return least, least + spread


def age_within(text: str, low_ms: float, high_ms: float) -> bool:
    """Whether the English age ``text`` can be an age between ``low_ms`` and ``high_ms`` as the page
    rounds it (:func:`shown_seconds`): the page counted it at an instant the test bounds by two it
    measured, one before the page could count and one after the test read it."""
    least, most = shown_seconds(text)
    return least <= round(high_ms / 1000) and most >= round(low_ms / 1000)
