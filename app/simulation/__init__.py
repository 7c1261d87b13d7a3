"""The scenario simulator: realistic synthetic operations, written to the streams like any producer.

Lives here: the synthetic world, its generator and its runner (a producer with a Redis client of its own).
May import: settings, contract, geo, reference, hijri, redis; the store only for types; never ports,
layers, pages.

One module per concept:

- :mod:`.world` — places, highways, ports and the land test, read from the reference files;
- :mod:`.rhythm` — Riyadh time, the daily and weekly rhythm of incidents and ports, the seasons;
- :mod:`.catalog` — the mix of incidents (agency, category, priority) and of 911 calls;
- :mod:`.fleet` — the units: sizing, bases, positions, the nearest free unit;
- :mod:`.lifecycle` — how long each step of an incident's life takes; the records kept while it lasts;
- :mod:`.ports` — border-port counts and queue waits;
- :mod:`.pilgrimage` — Hajj, Umrah and Eid by Umm al-Qura date;
- :mod:`.port_backfill` — hourly port history written straight into the long-term archive;
- :mod:`.scenario` — :class:`Scenario`, the pure, deterministic event generator (no I/O, no clock);
- :mod:`.runner` — :func:`run`, which advances a scenario in real time and writes it to Redis.

Every entry is built with the contract's models and :func:`app.contract.to_fields`, so it is valid
by construction.
"""

from .fleet import default_fleet_size
from .rhythm import SEASONS
from .runner import run, write_entries
from .scenario import DEFAULT_RATE, Entry, Scenario
from .world import World

__all__ = [
    "DEFAULT_RATE",
    "SEASONS",
    "Entry",
    "Scenario",
    "World",
    "default_fleet_size",
    "run",
    "write_entries",
]
