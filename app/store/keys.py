"""Every Redis key Basira uses, in one place (``docs/architecture.md`` lists them with their shapes).

The live state is partitioned by *scope cell* — one region token × one agency — so that any scope
(nation, region, agency, region × agency) is read as the union of a known, small set of hashes,
never by scanning. Time-bucketed counters use the epoch hour (``ts // 3_600_000``) or epoch day
(``ts // 86_400_000``) in the key name and expire on their own.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property

from ..contract import INPUT_STREAMS, REGION_TOKENS, Agency, Stream, rejected_key, shard_prefix

HOUR_MS = 3_600_000
DAY_MS = 86_400_000

#: Every scope cell, region token × agency, in the order the apply scripts receive the cells' keys
#: (``lua.CELLS``): what an incident or unit may be in, or may have been in before an event moves it.
CELL_REGIONS: tuple[str, ...] = REGION_TOKENS
CELL_AGENCIES: tuple[str, ...] = tuple(a.value for a in Agency)


@dataclass(frozen=True)
class Keys:
    """Key names under one prefix.

    ``shards``: in how many parts the per-thing live state is kept (``BASIRA_REDIS_SHARDS``; 1 on one
    Redis). Every incident and unit belongs to one shard for good (a hash of its id), and everything an
    apply script writes for it — the index, the scope cells, the change sets, the closed history, the
    trail, the durations — is named by that shard's :class:`Keys` (:meth:`shard_of`), under
    :func:`shard_prefix`: on Redis Cluster each shard is a slot of its own, so a centre's state spreads
    over the primaries while every script still touches one slot. The streams, counters, ports, calls,
    alerts and the rest stay under the prefix itself (one slot: the commit's transaction needs them
    together). Readers of a scope read each cell in every shard (:attr:`each_shard`), pipelined.
    """

    prefix: str
    shards: int = 1

    @cached_property
    def each_shard(self) -> tuple[Keys, ...]:
        """The keys of every shard, in shard order: ``(self,)`` when the state is not sharded."""
        if self.shards <= 1:
            return (self,)
        return tuple(Keys(shard_prefix(self.prefix, n)) for n in range(self.shards))

    def shard_of(self, thing_id: str) -> Keys:
        """The keys of the shard that holds incident or unit ``thing_id`` (the same in every process)."""
        if self.shards <= 1:
            return self
        return self.each_shard[zlib.crc32(thing_id.encode("utf-8", "surrogateescape")) % self.shards]

    # streams
    def stream(self, stream: Stream) -> str:
        return stream.key(self.prefix)

    def input_streams(self) -> list[str]:
        """STREAM keys producers write to, one per input stream (``<p>:incidents``…)."""
        return [s.key(self.prefix) for s in INPUT_STREAMS]

    @property
    def rejected(self) -> str:
        return rejected_key(self.prefix)

    # incidents
    @property
    def incident_index(self) -> str:
        """HASH id → "ts|region|agency|status|opened|dispatched|on_scene" (last applied event)."""
        return f"{self.prefix}:inc:idx"

    def incident_live(self, region: str, agency: str) -> str:
        """HASH id → GeoJSON Feature (JSON) of the open incidents of one scope cell."""
        return f"{self.prefix}:inc:live:{region}:{agency}"

    def incident_slim(self, region: str, agency: str) -> str:
        """HASH id → the open incident's slim row, ``id,lon,lat,priority,status,region,agency,category,
        units,opened`` — what the map draws and a summary counts, kept beside its Feature by
        ``lua.APPLY_INCIDENTS`` so that a whole picture or a cold summary of 100,000 incidents reads ~8 MB
        of rows instead of ~36 MB of Features (:mod:`.incident_rows`)."""
        return f"{self.prefix}:inc:slim:{region}:{agency}"

    def incident_history(self, region: str, agency: str) -> str:
        """ZSET id scored by closing time; the features are in ``incident_history_features``."""
        return f"{self.prefix}:inc:hist:{region}:{agency}"

    def incident_history_features(self, region: str, agency: str) -> str:
        """HASH id → GeoJSON Feature (JSON) of a closed incident."""
        return f"{self.prefix}:inc:histf:{region}:{agency}"

    def incident_cells(self) -> list[str]:
        """The keys of every scope cell an incident may be in, 5 a cell in ``CELL_REGIONS`` ×
        ``CELL_AGENCIES`` order: live, history, history features, change set, slim rows
        (``lua.APPLY_INCIDENTS``)."""
        return [key for r in CELL_REGIONS for a in CELL_AGENCIES
                for key in (self.incident_live(r, a), self.incident_history(r, a),
                            self.incident_history_features(r, a), self.changes("inc", r, a),
                            self.incident_slim(r, a))]

    @property
    def incident_closed(self) -> str:
        """ZSET id scored by closing time, over all scopes: what to forget when history expires."""
        return f"{self.prefix}:inc:closed"

    def duration(self, metric: str, region: str, agency: str, hour: int) -> str:
        """HASH incident id → milliseconds, e.g. metric ``dispatch`` (opened → dispatched)."""
        return f"{self.prefix}:kpi:{metric}:{region}:{agency}:{hour}"

    # units
    @property
    def unit_index(self) -> str:
        """HASH id → "ts|region|agency" (last applied position)."""
        return f"{self.prefix}:unit:idx"

    def unit_live(self, region: str, agency: str) -> str:
        """HASH id → GeoJSON Feature (JSON) of the units of one scope cell."""
        return f"{self.prefix}:unit:live:{region}:{agency}"

    def unit_cells(self) -> list[str]:
        """The keys of every scope cell a unit may be in, 2 a cell in ``CELL_REGIONS`` ×
        ``CELL_AGENCIES`` order: live, change set (``lua.APPLY_UNITS``)."""
        return [key for r in CELL_REGIONS for a in CELL_AGENCIES
                for key in (self.unit_live(r, a), self.changes("unit", r, a))]

    def unit_trail(self, unit_id: str) -> str:
        """LIST of "[lon,lat,ts]", newest first, capped at ``trail_points``."""
        return f"{self.prefix}:unit:trail:{unit_id}"

    # ports
    def port_day(self, port: str, day: int) -> str:
        """HASH "<hour>:<direction>:<category|vehicles>" → count, for one port and epoch day."""
        return f"{self.prefix}:port:{port}:{day}"

    @property
    def port_wait(self) -> str:
        """HASH port id → "ts|wait_min" (latest queue wait)."""
        return f"{self.prefix}:port:wait"

    def port_archive(self, port: str, month: str) -> str:
        """HASH epoch day → 240 comma-separated counts, one month (``YYYYMM``) of a port's archive
        (:mod:`.port_history`)."""
        return f"{self.prefix}:porth:{port}:{month}"

    @property
    def port_rollup_marker(self) -> str:
        """STRING: when the last full-window rollup of the port archive ran (``SET NX EX 3600``)."""
        return f"{self.prefix}:porth:full"

    # calls
    def calls_hour(self, region: str, hour: int) -> str:
        """HASH counter → count: total, answered, within_15s, within_20s, answer_ms, <outcome>."""
        return f"{self.prefix}:calls:{region}:{hour}"

    # once-only counting
    def seen(self, stream: Stream, day: int) -> str:
        """SET of what was already counted (entry id for ports, call id for calls), per epoch day."""
        return f"{self.prefix}:seen:{stream.value}:{day}"

    # the live feed (app/feed.py)
    def changes(self, kind: str, region: str, agency: str) -> str:
        """ZSET id → when it last changed (Redis clock, ms), per kind (``inc``/``unit``) and scope cell.

        Written by the apply scripts with every change, including a thing leaving the cell; trimmed
        to the feed's horizon by the ingest worker's maintenance."""
        return f"{self.prefix}:chg:{kind}:{region}:{agency}"

    # answers built once and shared (app/store/built.py)
    def built(self, name: str) -> str:
        """STRING: one built answer (bytes), for a few seconds, e.g. ``feed:<scope>:<since>:<cut>``."""
        return f"{self.prefix}:built:{name}"

    def built_cost(self, family: str) -> str:
        """STRING: how long the last build of a ``family`` of answers took (ms), to space them out."""
        return f"{self.prefix}:built:cost:{family}"

    @property
    def built_count(self) -> str:
        """STRING: how many answers were built, by every web worker (its own key, not a field of
        ``stats``: the web app's Redis user may write under ``built:`` but not the worker's counters)."""
        return f"{self.prefix}:built:count"

    def built_lock(self, name: str) -> str:
        """STRING held (SET NX PX) by the one web worker building ``built(name)``."""
        return f"{self.prefix}:built:lock:{name}"

    # alerts (app/store/alerts.py): the stream other systems read, and the records behind it
    @property
    def alerts(self) -> str:
        """STREAM: every alert event (raised, acknowledged, assigned, resolved, escalated, silenced)."""
        return f"{self.prefix}:alerts"

    def alert(self, alert_id: str) -> str:
        """HASH: one alert's record (id, rule, kind, severity, region, raised_at, who acted, …)."""
        return f"{self.prefix}:alert:rec:{alert_id}"

    @property
    def alert_raised(self) -> str:
        """ZSET alert id → raised_at: every alert kept (the retention's and ``state=all``'s index)."""
        return f"{self.prefix}:alert:raised"

    @property
    def alert_open(self) -> str:
        """ZSET alert id → raised_at: the alerts not yet resolved."""
        return f"{self.prefix}:alert:open"

    @property
    def alert_conditions(self) -> str:
        """HASH condition → alert id, while the condition holds (raised once; cleared when it ends)."""
        return f"{self.prefix}:alert:cond"

    @property
    def alert_cleared(self) -> str:
        """HASH condition → when it last cleared (ms): the minimum gap before it may be raised again."""
        return f"{self.prefix}:alert:cleared"

    @property
    def alert_seq(self) -> str:
        """STRING: the last alert number given (``AL-<n>``)."""
        return f"{self.prefix}:alert:seq"

    @property
    def alert_version(self) -> str:
        """STRING: bumped with every change of any alert; pages poll it to know when to redraw."""
        return f"{self.prefix}:alert:version"

    @property
    def alert_silences(self) -> str:
        """HASH rule id → JSON {until, reason, by, at}: rules silenced for a while."""
        return f"{self.prefix}:alert:silence"

    @property
    def alert_lease(self) -> str:
        """STRING: the alerts worker that evaluates now (SET NX PX): one evaluation per tick."""
        return f"{self.prefix}:alert:lease"

    @property
    def alert_worker(self) -> str:
        """HASH: the evaluating worker's last tick (holder, ticked_at, tick_ms, rules, errors)."""
        return f"{self.prefix}:alert:worker"

    # access control (app/store/sessions.py): everything of it is under <prefix>:auth:, plus the audit stream
    @property
    def audit(self) -> str:
        """STREAM: access control's audit trail (ts, event, user, role, via, ip, …)."""
        return f"{self.prefix}:audit"

    def auth_session(self, digest: str) -> str:
        """STRING user name, for one signed-in session (``digest``: SHA-256 of its random id, 32 hex);
        expires with the session. Deleting it signs the session out on every web worker."""
        return f"{self.prefix}:auth:session:{digest}"

    def auth_attempts(self, kind: str, who: str) -> str:
        """STRING counter of sign-in attempts in the current minute, per ``kind`` ``ip`` (the client's
        address) or ``user`` (SHA-256 of the typed name, 24 hex): counted before the password is checked;
        expires after 60 s."""
        return f"{self.prefix}:auth:{kind}:{who}"

    def auth_granted(self, kind: str, who: str) -> str:
        """STRING counter of those attempts given back in the same minute (a sign-in that succeeded, an
        attempt refused by the limit): created with ``auth_attempts`` in one transaction, so both expire
        together."""
        return f"{self.prefix}:auth:{kind}:{who}:ok"

    def auth_totp(self, digest: str) -> str:
        """STRING: the last TOTP time step a user signed in with (``digest``: of the user name)."""
        return f"{self.prefix}:auth:totp:{digest}"

    def auth_totp_used(self, digest: str, step: int) -> str:
        """STRING set (NX) when a user's code of time step ``step`` is accepted, so it is accepted once;
        expires after a few steps."""
        return f"{self.prefix}:auth:totp:{digest}:{step}"

    def auth_once(self, digest: str) -> str:
        """STRING: an audit event already recorded (``digest`` of who and what), so a page refreshing the
        same out-of-scope request is recorded once per ten minutes, not every few seconds."""
        return f"{self.prefix}:auth:once:{digest}"

    # the standards' ingress (app/store/ingress.py): producers' rate windows, refusals counted
    def ingress_rate(self, digest: str) -> str:
        """STRING counter of the messages one producer (``digest``: SHA-256 of its name, 24 hex) sent in
        its current window: created with the window's first message for 60 s (``SET NX PX``), so every
        web worker and listener counts the same messages."""
        return f"{self.prefix}:ingress:rate:{digest}"

    @property
    def ingress_stats(self) -> str:
        """HASH ``rejected:ingress:<source>`` → count: what the adapters refused (``<p>:rejected``). Kept
        apart from ``stats`` so the processes that take ingress (the web app) never write the ingest
        worker's counters; :meth:`~.streams.Streams.stats` reports both."""
        return f"{self.prefix}:ingress:stats"

    # official alerts taken in as CAP 1.2 (app/store/capin.py)
    def capin_alert(self, digest: str) -> str:
        """STRING: one official alert (JSON: areas as polygons, severity, urgency, headlines, expiry…),
        ``digest`` of its CAP ``sender,identifier``; expires at the alert's own ``expires``."""
        return f"{self.prefix}:capin:alert:{digest}"

    @property
    def capin_expiry(self) -> str:
        """ZSET alert digest → its ``expires`` (ms): the alerts in force are those scored after now."""
        return f"{self.prefix}:capin:expiry"

    @property
    def capin_version(self) -> str:
        """STRING: bumped with every official alert stored or cancelled (pages redraw the layer then)."""
        return f"{self.prefix}:capin:version"

    # bookkeeping
    @property
    def stats(self) -> str:
        """HASH "ingested:<stream>" / "rejected:<stream>" / "lost:<stream>" /
        "uncovered:<stream>:<region>" → count."""
        return f"{self.prefix}:stats"

    @property
    def meta(self) -> str:
        """HASH: demo ("1" for a synthetic-data store), demo_token (the simulator's secret stamp,
        made by ``mark_demo``; never shown), real (ms when the first entry the simulator did not
        write was applied or rejected: the store is never a demo store again; ``demo`` and
        ``demo_token`` are removed in the same transaction), as_of (newest event time applied),
        applied_at (last commit), caught_up_at (last time a worker had read everything), progress_at
        (last commit or heartbeat, by Redis's clock: what readiness compares), all ms."""
        return f"{self.prefix}:meta"
