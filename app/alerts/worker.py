"""The alerts worker (``python -m app alerts``; ``demo`` starts one): evaluates the rules every tick
and raises, clears and escalates alerts.

* **One evaluation per tick, however many run.** Workers share a lease in Redis (``<p>:alert:lease``,
  a few ticks long, renewed each tick by its holder); the others wait, ready to take over.
* **Once per condition.** Each condition found is raised by one script that checks and writes the
  condition's mapping with the alert (``store.alerts.raise_alert``): a worker killed mid-tick raised
  the conditions it got to, exactly once each; the next tick (its own after a restart, or another
  worker's) finds the rest still holding and raises them — none lost, none twice. A condition that no
  longer holds is cleared, which resolves its alert; it is not raised again within the rule's
  ``min_gap_s``.
* **The rules file is re-read when it changes** (and the zones file); a bad file is logged with its
  line numbers and the rules in force stay (:class:`~.rules.RulesError`).
* **Escalation**: an open severe or extreme alert nobody acknowledged within ``escalate_after_min``
  (the rule's, else ``BASIRA_ALERTS_ESCALATE_MIN``) is marked escalated: leadership sees it first.

Never imports Dash; reads and writes Redis only through ``app.store``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from app.store import StoreUnavailable

from .evaluate import Condition, Inputs, evaluate
from .model import SEVERE_OR_MORE, Alert
from .picture import Picture
from .rules import RulesError, RuleSet, default_rules, parse_rules
from .spike import Baseline, from_archive, from_live
from .zones import Zone, ZoneError, load_zones

if TYPE_CHECKING:
    from app.settings import Settings
    from app.store import Store

log = logging.getLogger("basira.alerts")

#: New alerts one rule raises in one tick at most (a flood of thousands would drown the page and the
#: people reading it; the rest still hold and are raised over the next ticks).
MAX_NEW_PER_RULE = 50
#: The rule kinds judged while the ingest worker is behind (their inputs are not the state).
JUDGED_WHILE_BEHIND = frozenset({"stale_producer"})
#: How often the open alerts are checked for escalation, and old ones forgotten (ms).
ESCALATE_EVERY_MS = 5_000
FORGET_EVERY_MS = 600_000
#: How often the spike's normal is learnt again from the archive (ms): hourly, every two minutes while
#: the archive has too little (a demo's archive fills in its first ten to fifteen minutes).
LEARN_EVERY_MS = 3_600_000
LEARN_AGAIN_MS = 120_000
#: Live history kept for the stand-in normal (ms), and how often that normal is recomputed.
LIVE_SPAN_MS = 2 * 3_600_000
LIVE_EVERY_MS = 60_000


@dataclass
class TickReport:
    """What one tick did (for tests, logs and the bench)."""

    evaluated: bool
    held: int = 0
    raised: int = 0
    cleared: int = 0
    escalated: int = 0
    changed: int = 0
    cpu_ms: float = 0.0


class AlertWorker:
    """Evaluates the rules against ``store`` every ``settings.alerts_tick_ms`` (see the module)."""

    def __init__(
        self, store: Store, settings: Settings, *, holder: str | None = None, baseline: Baseline | None = None
    ) -> None:
        self.store = store
        self.settings = settings
        self.holder = holder or settings.ingest_consumer
        self.tick_ms = settings.alerts_tick_ms
        self._stop = threading.Event()
        self.zones: dict[str, Zone] = {}
        self.rules: RuleSet = default_rules({})
        self.rules_error: str | None = None
        self._stamps: tuple[float | None, float | None] | None = None
        self.load_rules()
        self.baseline = baseline or Baseline()
        self.live_baseline = Baseline()
        self._live_at = 0
        self._learnt_at: int | None = 0 if baseline is None else None
        self._learning = False
        window = max([r.window_s for r in self.rules.of_kind("spike")] or [900.0])
        self.picture = Picture(
            store,
            opening_window_ms=int(max(window, 3600) * 1000),
            behind_ms=int(settings.feed_horizon_s * 1000),
        )
        self.behind = False
        self._gap: dict[str, int] = {}  # condition → when its minimum gap ends (ms)
        self._escalated_at = 0
        self._forgot_at = 0
        self.ticks = 0

    # --- the rules -------------------------------------------------------------------------------
    def _stamp(self, path: Path | None) -> float | None:
        try:
            return path.stat().st_mtime_ns if path else None
        except OSError:
            return -1.0

    def load_rules(self) -> bool:
        """(Re)read the zones and rules files when they changed; ``True`` when new rules took effect.
        A file that cannot be read or used leaves the rules in force, and says why (logged, and on the
        worker's beat for ``/api/v1/alerts/rules``)."""
        rules_path, zones_path = self.settings.rules_file, self.settings.zones_file
        stamps = (self._stamp(rules_path), self._stamp(zones_path))
        if stamps == self._stamps:
            return False
        self._stamps = stamps
        try:
            zones = load_zones(zones_path)
            if rules_path is None:
                rules = default_rules(zones)
            else:
                rules = parse_rules(Path(rules_path).read_text(encoding="utf-8"), str(rules_path), zones)
        except (RulesError, ZoneError, OSError, UnicodeDecodeError) as error:
            self.rules_error = str(error)
            log.error("alert rules not changed: %s", error)
            return False
        self.zones, self.rules, self.rules_error = zones, rules, None
        log.info(
            "alert rules from %s: %d rules (%s)",
            rules.source,
            len(rules.rules),
            ", ".join(r.id for r in rules.rules),
        )
        return True

    # --- the normal of the spike rules -------------------------------------------------------------
    def _learn(self, now_ms: int) -> None:
        """Learn the spike rules' normal from the archive, in the background, at start and hourly (never
        when one was handed in: tests and the bench give their own)."""
        if (
            self._learnt_at is None
            or self._learning
            or not self.rules.of_kind("spike")
            or now_ms - self._learnt_at < LEARN_EVERY_MS
        ):
            return
        self._learning = True
        self._learnt_at = now_ms

        def learn() -> None:
            try:
                self.baseline = from_archive(Path(self.settings.archive_dir), now_ms)
                log.info("spike normal learnt from %s (%.1f days)", self.baseline.source, self.baseline.days)
            except Exception as error:  # noqa: BLE001 - a bad archive leaves the spike rules unjudged
                log.error("spike normal not learnt: %s", error)
            finally:
                self._learning = False

        threading.Thread(target=learn, name="alerts-learn", daemon=True).start()

    # --- one tick ----------------------------------------------------------------------------------
    def tick(self, now_ms: int | None = None) -> TickReport:
        """Evaluate once (if this worker holds the lease): raise what newly holds, clear what ended,
        escalate what waited too long."""
        started = time.process_time()
        if not self.store.alerts.hold_lease(self.holder, max(3 * self.tick_ms, 2000)):
            return TickReport(evaluated=False)
        self.load_rules()
        now = int(time.time() * 1000) if now_ms is None else now_ms
        self._learn(now)
        changed = self.picture.refresh()
        held = self.store.alerts.conditions()
        if not self.baseline.trusted and self._learnt_at is not None:  # the live stand-in, meanwhile
            if now - self._live_at >= LIVE_EVERY_MS:
                window = max([int(r.window_s * 1000) for r in self.rules.of_kind("spike")] or [900_000])
                self.live_baseline = from_live(self.picture.openings, now, window, LIVE_SPAN_MS)
                self._live_at = now
        inputs = Inputs(
            now_ms=now,
            picture=self.picture,
            regions=self.store.reference.regions,
            ports=self.store.ports,
            baseline=self.normal,
            port_waits=self.store.live.port_waits(),
            activity=self.store.streams.activity(),
            clock_ms=self.store.meta.clock_ms(),
            response_target_s=self.settings.response_target_s,
            shapes=self.rules.shapes,
        )
        # While ingest catches up the state is old: judge only what does not depend on it (silent
        # streams), and leave every other condition as it was until the state is current again.
        lag_ms = self.store.streams.lag_ms(self.settings.ingest_group, now)
        self.behind = lag_ms > self.settings.alerts_max_lag_s * 1000
        judged = (
            self.rules
            if not self.behind
            else RuleSet(
                tuple(r for r in self.rules.rules if r.kind in JUDGED_WHILE_BEHIND),
                self.rules.source,
                self.rules.shapes,
            )
        )
        judged_ids = {r.id for r in judged.rules}
        found = evaluate(judged, inputs, held)
        report = TickReport(evaluated=True, held=len(held), changed=changed)
        silenced = self._silenced(now)
        per_rule: dict[str, int] = {}
        for key, condition in found.items():
            if key in held or condition.rule.id in silenced:
                continue
            if per_rule.get(condition.rule.id, 0) >= MAX_NEW_PER_RULE:
                continue
            per_rule[condition.rule.id] = per_rule.get(condition.rule.id, 0) + 1
            report.raised += self._raise(condition, now)
        for key, alert_id in held.items():
            if key.split(":", 1)[0] not in judged_ids and key.split(":", 1)[0] in self._rule_ids():
                continue  # not judged this tick (ingest is behind): it stands
            if key not in found and self.store.alerts.clear(key, alert_id, now):
                report.cleared += 1
        if now - self._escalated_at >= ESCALATE_EVERY_MS:
            self._escalated_at = now
            report.escalated = self._escalate(now)
        if now - self._forgot_at >= FORGET_EVERY_MS:
            self._forgot_at = now
            self._gap = {key: until for key, until in self._gap.items() if until > now}
            self.store.alerts.forget(now - self.settings.alerts_retention_days * 86_400_000, now - 86_400_000)
        report.cpu_ms = (time.process_time() - started) * 1000
        self.ticks += 1
        self.store.alerts.beat(
            {
                "holder": self.holder,
                "ticked_at": now,
                "tick_cpu_ms": round(report.cpu_ms, 2),
                "rules_source": self.rules.source,
                "behind": "1" if self.behind else "",
                "rules_error": self.rules_error or "",
                "rules": orjson.dumps([r.summary() for r in self.rules.rules]).decode(),
                "baseline": f"{self.normal.source} ({self.normal.days:.1f} days)",
            }
        )
        return report

    def _rule_ids(self) -> set[str]:
        return {r.id for r in self.rules.rules}

    @property
    def normal(self) -> Baseline:
        """The spike rules' normal: the archive's once it has enough days, else the live stand-in."""
        return self.baseline if self.baseline.trusted or self._learnt_at is None else self.live_baseline

    def _silenced(self, now: int) -> set[str]:
        return {
            rule
            for rule, s in self.store.alerts.silences().items()
            if isinstance(s.get("until"), int | float) and s["until"] > now
        }

    def _raise(self, condition: Condition, now: int) -> int:
        rule = condition.rule
        alert = condition.alert(now)
        if self._gap.get(condition.key, 0) > now:  # cleared a moment ago: not again within its gap
            return 0
        alert_id = self.store.alerts.next_id()
        fields = {**alert.fields(), "id": alert_id}
        outcome = self.store.alerts.raise_alert(
            condition.key, alert_id, fields, now, int(rule.min_gap_s * 1000)
        )
        if outcome < 0:  # remember the gap's end: no script call (and no id) for it every tick meanwhile
            self._gap[condition.key] = now - outcome
        if outcome == 1:
            log.info("alert %s raised: %s (%s)", alert_id, condition.key, rule.severity)
        return 1 if outcome == 1 else 0

    def _escalate(self, now: int) -> int:
        by_rule = {r.id: r for r in self.rules.rules}
        escalated = 0
        for record in self.store.alerts.records(self.store.alerts.open_ids()):
            alert = Alert.from_record(record)
            if alert.severity not in SEVERE_OR_MORE or alert.acknowledged_at or alert.escalated_at:
                continue
            rule = by_rule.get(alert.rule)
            minutes = (
                rule.escalate_after_min
                if rule and rule.escalate_after_min is not None
                else self.settings.alerts_escalate_min
            )
            if (
                minutes
                and now - alert.raised_at >= minutes * 60_000
                and self.store.alerts.escalate(alert.id, now)
            ):
                escalated += 1
                log.warning("alert %s escalated: unacknowledged for %.0f min", alert.id, minutes)
        return escalated

    # --- the loop ----------------------------------------------------------------------------------
    def work(self) -> None:
        """Tick until :meth:`stop`; a store outage is waited out, never fatal."""
        backoff = 0.5
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.tick()
                backoff = 0.5
            except StoreUnavailable as error:
                log.warning("alerts worker: store unavailable (%s); retrying in %.1fs", error, backoff)
                self._stop.wait(backoff)
                # at most 2 s: a failover takes seconds, and alerts must resume with the picture
                backoff = min(backoff * 2, 2.0)
                continue
            except Exception:  # noqa: BLE001 - a rule's bug must not stop every other rule for good
                log.exception("alerts worker: tick failed; next tick goes on")
            self._stop.wait(max(0.0, self.tick_ms / 1000 - (time.monotonic() - started)))

    def stop(self) -> None:
        self._stop.set()
