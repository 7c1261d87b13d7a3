"""Alerts in Redis: the part ``store.alerts``. The alerts worker (:mod:`app.alerts.worker`) raises and
clears them; people acknowledge, assign and resolve them through the web app; everyone reads them.

An alert is a hash of text fields (``<p>:alert:rec:<id>``, shapes in :mod:`app.alerts.model`), indexed
by ``<p>:alert:raised`` (every alert kept) and ``<p>:alert:open`` (not yet resolved). Every change is
also an event on the stream ``<p>:alerts``, which other systems read. Exactly-once raising rests on
one mapping, ``<p>:alert:cond`` (condition → alert id): a condition held has its alert, and the
script that raises (:data:`.lua.RAISE_ALERT`) checks and writes it in one step — a worker killed
mid-tick, or two workers at once, cannot raise a condition twice. ``<p>:alert:version`` is bumped with
every change, so a page knows by one ``GET`` whether to redraw.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import orjson

from . import lua
from .connection import register_script
from .errors import guarded

if TYPE_CHECKING:
    import redis

    from .keys import Keys

#: Events kept (about) on ``<p>:alerts``.
STREAM_MAXLEN = 100_000
#: Actions a person can take (:meth:`Alerts.act`).
ACTIONS = ("acknowledge", "assign", "resolve")


@guarded
class Alerts:
    """Raising, clearing, acting on and reading alerts (see the module's docstring)."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self._raise = register_script(client, lua.RAISE_ALERT)
        self._clear = register_script(client, lua.CLEAR_ALERT)
        self._act = register_script(client, lua.ACT_ON_ALERT)
        self._escalate = register_script(client, lua.ESCALATE_ALERT)
        self._lease = register_script(client, lua.HOLD_LEASE)

    # --- the worker's side ---------------------------------------------------------------------
    def hold_lease(self, holder: str, ttl_ms: int) -> bool:
        """Take or renew the evaluating worker's lease; ``False`` while another worker holds it."""
        return bool(self._lease(keys=[self.keys.alert_lease], args=[holder, ttl_ms]))

    def conditions(self) -> dict[str, str]:
        """Every condition held now → its alert id."""
        return self.client.hgetall(self.keys.alert_conditions)

    def next_id(self) -> str:
        """A new alert id, ``AL-<n>`` (an id a refused raise took is not given again)."""
        return f"AL-{self.client.incr(self.keys.alert_seq)}"

    def raise_alert(self, condition: str, alert_id: str, fields: Mapping[str, str], now_ms: int,
                    min_gap_ms: int) -> int:
        """Raise ``alert_id`` for ``condition`` with the record ``fields`` (text): 1 raised, 0 the
        condition already has an alert, negative: it cleared less than ``min_gap_ms`` ago, and minus
        that many ms of the gap are left."""
        k = self.keys
        args: list[str | int] = [condition, alert_id, now_ms, min_gap_ms, STREAM_MAXLEN]
        for name, value in fields.items():
            args += [name, value]
        return int(self._raise(
            keys=[k.alert_conditions, k.alert_cleared, k.alert(alert_id), k.alert_raised, k.alert_open,
                  k.alerts, k.alert_version],
            args=args))

    def clear(self, condition: str, alert_id: str, now_ms: int) -> int:
        """``condition`` no longer holds: 2 its alert resolved now, 1 a person had resolved it already,
        0 ``condition`` was not ``alert_id``'s (cleared before)."""
        k = self.keys
        return int(self._clear(
            keys=[k.alert_conditions, k.alert_cleared, k.alert(alert_id), k.alert_open, k.alerts,
                  k.alert_version],
            args=[condition, alert_id, now_ms, STREAM_MAXLEN]))

    def escalate(self, alert_id: str, now_ms: int) -> bool:
        """Mark an alert nobody acknowledged as escalated (once); ``False`` if it needs not be."""
        k = self.keys
        return bool(self._escalate(keys=[k.alert(alert_id), k.alerts, k.alert_version],
                                   args=[alert_id, now_ms, STREAM_MAXLEN]))

    def beat(self, fields: Mapping[str, str | int | float]) -> None:
        """The evaluating worker's last tick, for ``/metrics`` and ``/readyz``-like checks."""
        self.client.hset(self.keys.alert_worker, mapping=dict(fields))

    def worker(self) -> dict[str, str]:
        return self.client.hgetall(self.keys.alert_worker)

    def forget(self, before_ms: int, cleared_before_ms: int) -> int:
        """Delete resolved alerts raised before ``before_ms`` and minimum-gap marks older than
        ``cleared_before_ms``; returns how many alerts went."""
        k = self.keys
        old = self.client.zrangebyscore(k.alert_raised, "-inf", f"({before_ms}")
        still_open = set(self.client.zrangebyscore(k.alert_open, "-inf", f"({before_ms}")) if old else set()
        gone = [alert_id for alert_id in old if alert_id not in still_open]
        with self.client.pipeline(transaction=False) as pipe:
            for start in range(0, len(gone), 500):
                chunk = gone[start:start + 500]
                pipe.delete(*[k.alert(alert_id) for alert_id in chunk])
                pipe.zrem(k.alert_raised, *chunk)
            marks = self.client.hgetall(k.alert_cleared)
            stale = [c for c, at in marks.items() if not at.isdigit() or int(at) < cleared_before_ms]
            if stale:
                pipe.hdel(k.alert_cleared, *stale)
            pipe.execute()
        return len(gone)

    # --- people's side -------------------------------------------------------------------------
    def act(self, alert_id: str, action: str, by: str, now_ms: int, note: str = "",
            assignee: str = "") -> str:
        """``action`` (one of :data:`ACTIONS`) on an alert by the person ``by``: ``ok``, ``already``
        (acknowledged before), ``resolved`` (nothing more to do) or ``unknown``."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        k = self.keys
        return str(self._act(keys=[k.alert(alert_id), k.alert_open, k.alerts, k.alert_version],
                             args=[alert_id, action, by, now_ms, note, assignee, STREAM_MAXLEN]))

    def silence(self, rule: str, until_ms: int, reason: str, by: str, now_ms: int) -> None:
        """Silence ``rule`` until ``until_ms`` (its conditions raise nothing meanwhile); on the stream too."""
        k = self.keys
        record = orjson.dumps({"until": until_ms, "reason": reason, "by": by, "at": now_ms}).decode()
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(k.alert_silences, rule, record)
            pipe.xadd(k.alerts, {"event": "silenced", "at": now_ms, "rule": rule, "until": until_ms,
                                 "by": by, "note": reason}, maxlen=STREAM_MAXLEN, approximate=True)
            pipe.incr(k.alert_version)
            pipe.execute()

    def unsilence(self, rule: str, by: str, now_ms: int) -> bool:
        """End a rule's silence early; ``False`` when it had none."""
        k = self.keys
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hdel(k.alert_silences, rule)
            pipe.xadd(k.alerts, {"event": "unsilenced", "at": now_ms, "rule": rule, "by": by},
                      maxlen=STREAM_MAXLEN, approximate=True)
            pipe.incr(k.alert_version)
            return bool(pipe.execute()[0])

    # --- reading -------------------------------------------------------------------------------
    def silences(self) -> dict[str, dict[str, object]]:
        """Rule id → its silence (``until``, ``reason``, ``by``, ``at``), expired ones included."""
        stored = self.client.hgetall(self.keys.alert_silences)
        return {rule: orjson.loads(text) for rule, text in stored.items()}

    def version(self) -> int:
        return int(self.client.get(self.keys.alert_version) or 0)

    def open_ids(self) -> list[str]:
        """The ids of the open alerts, newest first."""
        return self.client.zrevrange(self.keys.alert_open, 0, -1)

    def recent_ids(self, limit: int) -> list[str]:
        """The ids of the newest ``limit`` alerts kept, open or resolved."""
        return self.client.zrevrange(self.keys.alert_raised, 0, max(0, limit - 1))

    def records(self, ids: Iterable[str]) -> list[dict[str, str]]:
        """The records of ``ids`` (those that still exist), in that order."""
        ids = list(ids)
        with self.client.pipeline(transaction=False) as pipe:
            for alert_id in ids:
                pipe.hgetall(self.keys.alert(alert_id))
            return [record for record in pipe.execute() if record]

    def open_severities(self) -> list[str]:
        """The severity of each open alert (for ``/metrics``): one pipelined ``HGET`` each."""
        with self.client.pipeline(transaction=False) as pipe:
            for alert_id in self.open_ids():
                pipe.hget(self.keys.alert(alert_id), "severity")
            return [s for s in pipe.execute() if s]

    def record(self, alert_id: str) -> dict[str, str] | None:
        return self.client.hgetall(self.keys.alert(alert_id)) or None

    def events(self, count: int = 100) -> list[dict[str, str]]:
        """The newest ``count`` events of the stream, newest first (each with its stream ``entry``)."""
        return [{"entry": entry_id, **fields}
                for entry_id, fields in self.client.xrevrange(self.keys.alerts, count=count)]
