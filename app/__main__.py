"""Basira's commands: ``python -m app {demo,serve,ingest,archive,alerts,drill,simulate,rejected,acl,schemas,
basemap,user,token,eido-subscribe,cap-feed,cot,tak-out}``.

Each command builds the settings once (environment, then its own flags) and says what it started
and where to look.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .contract import INPUT_STREAMS
from .settings import ROOT, Settings
from .store import StoreUnavailable

log = logging.getLogger("basira")


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        name: getattr(args, name)
        for name in ("host", "port", "sim_rate", "sim_seed", "sim_time_scale", "sim_backfill_s")
        if getattr(args, name, None) is not None
    }
    return Settings(**overrides)


class _Resend:
    """A ``KeyboardInterrupt`` lost in a finalizer, to be raised again (:func:`_interrupt_again`): whether
    the main thread is inside the unraisable hook now, where a handler's exception is only printed too,
    and whether the SIGTERM is still to be raised."""

    in_hook = False
    waiting = False


def _interrupt(_signum: int, _frame: object) -> None:
    """SIGTERM ends a command the way Ctrl-C does, so every ``finally`` runs. Not inside the unraisable
    hook, where it would be lost: there it is left to :func:`_send_until_raised`, which sends it again."""
    if _Resend.in_hook:
        return
    _Resend.waiting = False
    raise KeyboardInterrupt


def _interrupt_again(unraisable: Any) -> None:
    """``sys.unraisablehook``: a Ctrl-C or SIGTERM whose ``KeyboardInterrupt`` was raised inside a
    finalizer is sent again to the main thread. Python runs a signal's handler between any two steps, a
    ``__del__``'s too (redis-py's cluster pipeline has one, run after every pipeline), and an exception
    raised there is only printed: the command went on as if never asked to stop, until killed (seen: the
    alerts worker on a Redis Cluster ignored one SIGTERM in seven under load). A SIGTERM is sent again
    until it is raised outside this hook: sent once, a moment later, it could still land in here on a
    loaded machine — while the hook waited for the sending thread to start — and be lost again (seen in
    the suite under load, issue 17). Python's own Ctrl-C handler is sent once."""
    if not isinstance(unraisable.exc_value, KeyboardInterrupt) or threading.current_thread() is not \
            threading.main_thread():
        sys.__unraisablehook__(unraisable)
        return
    _Resend.in_hook = True
    try:
        if signal.getsignal(signal.SIGTERM) is _interrupt:
            if not _Resend.waiting:
                _Resend.waiting = True
                threading.Thread(target=_send_until_raised, name="basira-resend", daemon=True).start()
        else:
            again = threading.Timer(0.01, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT))
            again.daemon = True
            again.start()
    finally:
        _Resend.in_hook = False


def _send_until_raised() -> None:
    """SIGTERM to the main thread every 20 ms until :func:`_interrupt` has raised it outside the hook."""
    main = threading.main_thread().ident
    while _Resend.waiting:
        time.sleep(0.02)
        if _Resend.waiting and main is not None:
            signal.pthread_kill(main, signal.SIGTERM)


def _serve(settings: Settings) -> None:
    """Serve the web app with waitress until Ctrl-C or SIGTERM."""
    from waitress import create_server

    from . import create_app

    server = create_server(create_app(settings), host=settings.host, port=settings.port, threads=8)
    signal.signal(signal.SIGTERM, _interrupt)
    url = f"http://{settings.host}:{settings.port}/"
    print(f"Basira · بصيرة is serving at {url}  (API: {url}api/v1/snapshot, metrics: {url}metrics)",
          flush=True)
    if settings.auth_mode == "off":
        print("Access control is OFF: anyone who can reach this address sees every region and agency "
              "(BASIRA_AUTH_MODE=password or header turns it on; see docs/access.md).", flush=True)
    else:
        print(f"Access control: {settings.auth_mode} mode.", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def _require_redis(settings: Settings) -> None:
    from .store.connection import configuration_problem

    if problem := configuration_problem(settings):
        sys.exit(f"Not starting: {problem}.")


def _require_coverage(settings: Settings) -> None:
    """Stop, naming them, on codes in BASIRA_COVERED_REGIONS that are not regions; else say which
    regions are connected when some are not (the phased roll-out)."""
    from .reference import CoverageError, Reference

    try:
        coverage = Reference.from_settings(settings).coverage(settings.covered)
    except CoverageError as error:
        sys.exit(f"Not starting: {error}.")
    if not coverage.complete:
        print(f"Coverage: {len(coverage.covered)} of {len(coverage.regions)} regions connected "
              f"({', '.join(sorted(coverage.covered))}); the others are shown as not yet connected, left out "
              "of national figures, and their entries counted apart in /metrics.", flush=True)


def cmd_serve(args: argparse.Namespace) -> None:
    settings = _settings(args)
    _require_redis(settings)
    _require_coverage(settings)
    _serve(settings)


def cmd_ingest(args: argparse.Namespace) -> None:
    from .ingest import IngestWorker, quiet_gc
    from .store import Store

    settings = _settings(args)
    _require_redis(settings)
    _require_coverage(settings)
    worker = IngestWorker(Store.from_settings(settings), settings)
    quiet_gc()
    print(f"Ingest worker {settings.ingest_consumer} reading {settings.stream_prefix}:* "
          f"(group {settings.ingest_group}); Ctrl-C to stop.", flush=True)
    worker.work()


def cmd_archive(args: argparse.Namespace) -> None:
    """The archiver (a consumer group of its own on the streams), or a demo backfill of the archive."""
    settings = _settings(args)
    if args.backfill_demo:
        from .archive.backfill import BackfillRefused, backfill_demo

        try:
            backfill_demo(settings, days=args.backfill_demo, seed=settings.sim_seed, force=args.force)
        except BackfillRefused as error:
            sys.exit(str(error))
        return
    from .archive.archiver import Archiver
    from .store import Store

    _require_redis(settings)
    archiver = Archiver(Store.from_settings(settings), settings)
    print(f"Archiver {settings.ingest_consumer} reading {settings.stream_prefix}:* (group "
          f"{settings.archive_group}) into {settings.archive_dir}; Ctrl-C to stop. | "
          f"المؤرشف يكتب إلى {settings.archive_dir}", flush=True)
    archiver.work()


def cmd_alerts(args: argparse.Namespace) -> None:
    """The alerts worker; or, with ``--check``, a rules file checked (errors with their lines)."""
    settings = _settings(args)
    if args.check:
        from .alerts.rules import RulesError, parse_rules
        from .alerts.zones import ZoneError, load_zones

        try:
            zones = load_zones(settings.zones_file)
            rules = parse_rules(Path(args.check).read_text(encoding="utf-8"), args.check, zones)
        except (RulesError, ZoneError, OSError, UnicodeDecodeError) as error:
            print(error, file=sys.stderr)
            sys.exit(2)
        print(f"{args.check}: {len(rules.rules)} rules, all valid ({', '.join(r.id for r in rules.rules)})")
        return
    from .alerts.worker import AlertWorker
    from .store import Store

    _require_redis(settings)
    _require_coverage(settings)
    worker = AlertWorker(Store.from_settings(settings), settings)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"Alerts worker {worker.holder}: {len(worker.rules.rules)} rules from {worker.rules.source}, "
          f"every {settings.alerts_tick_ms} ms, into {worker.store.keys.alerts}; Ctrl-C to stop. | "
          "عامل التنبيهات يعمل", flush=True)
    try:
        worker.work()
    except KeyboardInterrupt:
        worker.stop()


def cmd_drill(args: argparse.Namespace) -> None:
    """A scripted situation for the alert rules, written to a demo store's streams in real time."""
    from .simulation import World
    from .simulation import drill as drills
    from .store import NotADemoStore, Store

    settings = _settings(args)
    _require_redis(settings)
    _refuse_real_store(settings)
    store = Store.from_settings(settings)
    try:
        stamp = store.meta.mark_demo()
    except NotADemoStore as error:
        sys.exit(f"Refusing to write a drill: {error}")
    now = int(time.time() * 1000)
    if args.drill == "spike":
        world = World.from_settings(settings)
        try:
            timeline = drills.spike_incidents(world, args.region, args.count, args.seed or now % 100_000, now,
                                              args.over)
        except ValueError as error:
            sys.exit(str(error))
        what = f"{args.count} incidents around {args.region}'s largest city over {args.over:g} s"
        if args.close_after:
            timeline += drills.closing(timeline, args.close_after)
            what += f", closed again {args.close_after:g} s later"
    else:
        from .alerts.zones import ZoneError, load_zones

        try:
            zones = load_zones(settings.zones_file)
        except (ZoneError, OSError) as error:
            sys.exit(f"zones file: {error}")
        if args.zone not in zones:
            sys.exit(f"no zone {args.zone!r} in {settings.zones_file} (it has: {', '.join(sorted(zones))})")
        zone = zones[args.zone]
        radius = zone.circle_m or 700.0
        timeline = drills.crossing(zone.lon, zone.lat, radius, args.unit, now, speed_kmh=args.speed)
        what = f"unit {args.unit} driving through {zone.name_en} (about {len(timeline) * 2} s)"
    print(f"Drill: {what}. | تمرين جارٍ", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        for written in drills.play(store.client, settings.stream_prefix, timeline, stamp):
            if written % 10 == 0 or written == len(timeline):
                print(f"  {written}/{len(timeline)} entries written", flush=True)
    except KeyboardInterrupt:
        print("Drill stopped.", flush=True)


def _simulator(settings: Settings, args: argparse.Namespace, stop: threading.Event) -> None:
    from .simulation import World, run
    from .store import NotADemoStore, Store

    store = Store.from_settings(settings)
    try:
        stamp = store.meta.mark_demo()
    except NotADemoStore as error:  # a real entry arrived after _refuse_real_store looked
        log.error("not simulating: %s", error)
        sys.exit(f"Refusing to write synthetic data: {error}")
    if getattr(args, "backfill_ports", None):
        from .simulation.port_backfill import backfill_ports

        # Beside the live simulation, not before it: the map fills at once, the port history
        # (seconds of work) arrives while the viewer looks at it.
        def backfill() -> None:
            try:
                backfill_ports(store, args.backfill_ports, seed=settings.sim_seed)
            except (StoreUnavailable, OSError) as error:
                if not stop.is_set():  # at shutdown the store goes first: nothing to report
                    log.error("port history backfill failed: %s", error)

        threading.Thread(target=backfill, name="port-backfill", daemon=True).start()
    run(
        store.client,
        settings.stream_prefix,
        rate=settings.sim_rate,
        seed=settings.sim_seed,
        time_scale=settings.sim_time_scale,
        season=args.season,
        units=args.units,
        duration=getattr(args, "duration", None),
        backfill_s=settings.sim_backfill_s,
        world=World.from_settings(settings),
        stop=stop,
        stamp=stamp,
        date_backfill=getattr(args, "fresh_streams", False),
    )


def _refuse_real_store(settings: Settings) -> None:
    """Synthetic data must never mix with operational data: refuse a store that holds real data."""
    from .store import Store

    store = Store.from_settings(settings)
    if store.meta.is_demo():
        return
    if store.meta.real_since() is not None:
        sys.exit(f"Refusing to write synthetic data: {settings.stream_prefix}:* on this Redis has received "
                 "entries not written by the simulator, so it can never be a demo store again. Use another "
                 "BASIRA_STREAM_PREFIX or another Redis.")
    if store.meta.holds_data():
        sys.exit(f"Refusing to write synthetic data: {settings.stream_prefix}:* on this Redis holds data "
                 "that is not marked as a demo store. Use another BASIRA_STREAM_PREFIX or another Redis.")


def cmd_simulate(args: argparse.Namespace) -> None:
    settings = _settings(args)
    _require_redis(settings)
    _refuse_real_store(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _simulator(settings, args, stop)
    except KeyboardInterrupt:
        stop.set()


def cmd_demo(args: argparse.Namespace) -> None:
    """Store (embedded unless REDIS_URL is set) + simulator + ingest worker + web, in one process."""
    from .alerts.worker import AlertWorker
    from .archive.archiver import Archiver
    from .ingest import IngestWorker
    from .store import Store
    from .store.embedded import start_embedded

    settings = _settings(args)
    _require_coverage(settings)
    embedded = None
    if not settings.redis_configured:
        embedded = start_embedded()
        # the embedded server has no ACL users: whatever user the environment names is not for it
        settings = settings.model_copy(
            update={"redis_url": embedded.url, "redis_username": None, "redis_password": None})
        print(f"Started an embedded Redis at {embedded.url} (producers can XADD to it too; their first "
              "entry ends the demo: /demo then shows nothing).", flush=True)

    settings = settings.model_copy(update={"demo_store": True})
    _refuse_real_store(settings)
    stop = threading.Event()
    worker = IngestWorker(Store.from_settings(settings), settings)
    archiver = Archiver(Store.from_settings(settings), settings)
    alerts = AlertWorker(Store.from_settings(settings), settings)
    # The archive's history: a month of the simulator's, written first into an empty archive. It ends at
    # the start of this hour; the live simulator starts there (its own backfill through the streams).
    history_days = args.backfill_archive if _archive_is_empty(settings) else 0
    if history_days and embedded is not None:
        # A new server's streams, and an archive that ends at this hour's start: the simulator starts
        # there, dating its backfill's stream ids as they happened (nothing archived overlaps them).
        args.fresh_streams = True
        hour_ms = 3_600_000
        since_hour = (time.time() * 1000 % hour_ms) / 1000
        settings = settings.model_copy(update={"sim_backfill_s": max(settings.sim_backfill_s, since_hour)})
    archiver.store.streams.ensure_groups(settings.archive_group)  # the streams are kept for it meanwhile
    print(f"Archiving every applied entry to {settings.archive_dir} (replay, exports, the brief)"
          + (f", after writing {history_days} days of demo history into it (minutes; progress below)"
             if history_days else "") + f". | أرشفة كل الأحداث في {settings.archive_dir}", flush=True)

    def archive() -> None:
        if history_days:
            from .archive.backfill import backfill_demo

            try:
                backfill_demo(settings, days=history_days, seed=settings.sim_seed, stop=stop)
            except Exception as error:  # noqa: BLE001 - the live demo goes on without the history
                log.error("the archive's demo history could not be written: %s", error)
        if not stop.is_set():
            archiver.work()

    threads = [
        threading.Thread(target=worker.work, name="ingest", daemon=True),
        threading.Thread(target=archive, name="archive", daemon=True),
        threading.Thread(target=alerts.work, name="alerts", daemon=True),
        threading.Thread(target=_simulator, args=(settings, args, stop), name="simulator", daemon=True),
    ]
    if settings.cot_enabled:
        threads += _demo_cot(settings, stop)
    for thread in threads:
        thread.start()
    try:
        _serve(settings)
    finally:
        stop.set()
        worker.stop()
        archiver.stop()
        alerts.stop()
        for thread in threads:
            thread.join(timeout=5)
        if embedded is not None:
            embedded.stop()


def _archive_is_empty(settings: Settings) -> bool:
    """No Parquet file in the archive folder yet (a first demo, or a new folder)."""
    root = Path(settings.archive_dir)
    return not root.is_dir() or next(root.glob("stream=*/*/*/*.parquet"), None) is None


def _ingress_producer(settings: Settings, name: str | None, default: str, via: str):  # noqa: ANN202
    """Who a worker of the standards writes as: the producer token ``name`` of the users file (its scope
    applies; the token itself is never needed), or — unset — ``default`` for the whole Kingdom."""
    from .auth.principals import InvalidAccount, Role, clamp
    from .auth.users import UsersFile
    from .contract import Scope
    from .ingress.receive import Producer

    if not name:
        return Producer(default, Scope(), role="producer", via=via)
    if settings.users_file is None:
        sys.exit(f"{name!r} names a producer token, but there is no users file: set BASIRA_USERS_FILE.")
    try:
        tokens = {p.name: p for p in UsersFile(Path(settings.users_file)).entries("tokens")}
    except InvalidAccount as error:
        sys.exit(f"Cannot read the users file: {error}")
    principal = tokens.get(name)
    if principal is None or principal.role is not Role.producer:
        sys.exit(f"No producer token {name!r} in {settings.users_file} (python -m app token add {name} "
                 "--role producer --region …).")
    return Producer(principal.name, clamp(principal, Scope()), role="producer", via=via)


def _ingress(settings: Settings):  # noqa: ANN202 - app.ingress's
    from .ingress.receive import Ingress
    from .store import Store

    _require_redis(settings)
    try:
        return Ingress(Store.from_settings(settings), settings)
    except ValueError as error:  # BASIRA_EIDO_AGENCY / BASIRA_EIDO_AGENCIES
        sys.exit(f"Not starting: {error}")


def _run_until_stopped(worker: Any, says: str) -> None:
    """Say what started, then ``worker.run(stop)`` until Ctrl-C or SIGTERM (an ingress worker's loop)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, _interrupt)
    print(says, flush=True)
    try:
        worker.run(stop)
    except KeyboardInterrupt:
        stop.set()


def cmd_eido_subscribe(args: argparse.Namespace) -> None:
    """NENA STA-024: subscribe to an EIDO notifier and take the EIDOs it sends (docs/standards.md)."""
    from .ingress.sta024 import Subscriber

    settings = _settings(args)
    if not settings.eido_notifier_url:
        sys.exit("No notifier: set BASIRA_EIDO_NOTIFIER_URL (the CAD's wss://…/IncidentData/ent).")
    producer = _ingress_producer(settings, settings.eido_notifier_producer, "eido-notifier", "subscription")
    _run_until_stopped(Subscriber(_ingress(settings), settings, producer),
                       f"Subscribing to {settings.eido_notifier_url} for new incidents' EIDOs as "
                       f"{producer.name} ({producer.scope.token}); Ctrl-C to stop. | الاشتراك في بلاغات EIDO")


def cmd_cap_feed(args: argparse.Namespace) -> None:
    """Poll an alerting authority's CAP 1.2 feed into the official alerts layer (docs/standards.md)."""
    from .ingress.cap_feed import CapFeed

    settings = _settings(args)
    if not settings.cap_feed_url:
        sys.exit("No feed: set BASIRA_CAP_FEED_URL (a CAP document, or an Atom/RSS feed of them).")
    producer = _ingress_producer(settings, settings.cap_feed_producer, "cap-feed", "feed")
    _run_until_stopped(CapFeed(_ingress(settings), settings, producer),
                       f"Polling {settings.cap_feed_url} every {settings.cap_feed_every_s:g} s as "
                       f"{producer.name} ({producer.scope.token}); Ctrl-C to stop. | "
                       "متابعة التنبيهات الرسمية")


def _cot_mapping(settings: Settings):  # noqa: ANN202 - app.ingress.cot's Mapping
    """The CoT mapping file, checked; a bad one stops the command with its errors."""
    from .ingress.cot import MappingError, load_mapping

    try:
        return load_mapping(settings.cot_mapping_file)
    except MappingError as error:
        sys.exit(f"CoT mapping file: {error}")


def _cot_accounts(settings: Settings):  # noqa: ANN202 - app.ingress.accounts's Accounts
    """The token accounts CoT may write as (the users file; none with access control off and no file)."""
    from .ingress.accounts import Accounts

    try:
        return Accounts(settings.users_file, open_access=settings.auth_mode == "off")
    except (OSError, ValueError) as error:
        sys.exit(f"Cannot read the users file {settings.users_file}: {error}")


def cmd_cot(args: argparse.Namespace) -> None:
    """The Cursor on Target listener: TAK devices and servers write units and incidents (standards.md)."""
    from .ingress.cot_listener import describe, plan_doors, serve
    from .store import Store

    settings = _settings(args)
    _require_redis(settings)
    _require_coverage(settings)
    mapping, accounts = _cot_mapping(settings), _cot_accounts(settings)
    try:
        doors = plan_doors(settings, accounts)
    except ValueError as error:
        sys.exit(f"Not starting the CoT listener: {error}")
    if doors.plain is not None and doors.plain.via == "open":
        print(f"Plain CoT is taken as {doors.plain.name} for the whole Kingdom: access control is off and "
              "there is no users file (docs/standards.md).", flush=True)

    def started(listener: object) -> None:
        print(f"CoT listener: {describe(listener)}; mapping {mapping.source} ({len(mapping.rules)} rules); "
              f"units and incidents through the gate into {settings.stream_prefix}:*; Ctrl-C to stop. | "
              "مستقبل CoT يعمل", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        serve(Store.from_settings(settings), settings, mapping, accounts, doors, stop=stop, started=started)
    except KeyboardInterrupt:
        stop.set()
    except OSError as error:
        sys.exit(f"The CoT listener could not open its ports: {error}")


def _demo_cot(settings: Settings, stop: threading.Event) -> list[threading.Thread]:
    """The demo's CoT listener (BASIRA_COT_ENABLED): on 127.0.0.1 only, plain TCP and UDP written for the
    whole Kingdom, stamped as the demo's own (a unit sent from this machine does not end the demo)."""
    from .contract import Scope
    from .ingress.accounts import Producer
    from .ingress.cot_listener import describe, plan_doors, serve
    from .store import Store

    mapping, accounts = _cot_mapping(settings), _cot_accounts(settings)
    plain = Producer(settings.cot_plain_account or "demo-tak", "open", Scope(), "open")
    try:
        doors = plan_doors(settings, accounts, host="127.0.0.1", plain=plain)
    except ValueError as error:
        sys.exit(f"Not starting the demo's CoT listener: {error}")
    store = Store.from_settings(settings)
    stamp = store.meta.mark_demo()

    def started(listener: object) -> None:
        print(f"CoT listener: {describe(listener)} — point pytak or ATAK at it (docs/standards.md). | "
              "مستقبل CoT على هذا الجهاز", flush=True)

    def run() -> None:
        try:
            serve(store, settings, mapping, accounts, doors, stop=stop, stamp=stamp, started=started)
        except OSError as error:
            log.error("the demo's CoT listener did not start (%s); the demo goes on without it", error)

    return [threading.Thread(target=run, name="cot", daemon=True)]


def cmd_tak_out(args: argparse.Namespace) -> None:
    """The center's incidents and units to TAK servers or a mesh, as CoT (docs/standards.md)."""
    from .ingress.cot_out import parse_targets, serve
    from .store import Store

    settings = _settings(args)
    _require_redis(settings)
    try:
        targets = parse_targets(settings.tak_out_targets)
    except ValueError as error:
        sys.exit(f"BASIRA_TAK_OUT_TARGETS: {error}")
    if not targets:
        sys.exit("No TAK targets: set BASIRA_TAK_OUT_TARGETS (e.g. tls://tak.example:8089?region=SA-02 or "
                 "udp://239.2.3.1:6969).")
    mapping = _cot_mapping(settings)
    where = ", ".join(f"{t.name} ({t.scope.token}, {t.format})" for t in targets)
    print(f"Sending the center's picture as CoT to {where}; Ctrl-C to stop. | إرسال الصورة إلى TAK",
          flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        serve(Store.from_settings(settings), settings, mapping, targets, stop=stop)
    except KeyboardInterrupt:
        stop.set()
    except (ValueError, OSError) as error:
        sys.exit(f"tak-out: {error}")


def cmd_schemas(args: argparse.Namespace) -> None:
    from .schemas import write_schemas, write_settings_doc

    for path in write_schemas(Path(args.out)):
        print(f"wrote {path}")
    print(f"wrote {write_settings_doc(ROOT / 'docs' / 'settings.md')}")


def cmd_basemap(args: argparse.Namespace) -> None:
    from .basemap.build import main as build_basemap

    sys.exit(build_basemap(_settings(args), Path(args.out) if args.out else None, args.max_zoom))


def cmd_rejected(args: argparse.Namespace) -> None:
    from .rejected import resubmit, summary
    from .store import Store

    settings = _settings(args)
    _require_redis(settings)
    store = Store.from_settings(settings)
    if args.resubmit or args.dry_run:
        refused: list = []
        n = resubmit(store, reason=args.reason, stream=args.stream, dry_run=args.dry_run, refused=refused)
        verb = "would re-submit" if args.dry_run else "re-submitted"
        print(f"{verb} {n} entries to their streams; the ingest worker validates them again.")
        for item in refused:
            print(f"refused: {item.refusal}")
        return
    counts = summary(store)
    if not counts:
        print(f"No rejected entries in {store.rejected.key}.")
        return
    print(f"{sum(counts.values())} rejected entries in {store.rejected.key}:")
    for (stream, kind), n in counts.most_common():
        print(f"{n:8d}  {stream:<16} {kind}")


def cmd_acl(args: argparse.Namespace) -> None:
    """Print deploy/users.acl for this prefix with the passwords given, hashed: the file Redis loads."""
    import os

    from pydantic import ValidationError

    from .acl import env_name, missing, passwords_from, render, users

    text = Path(args.file).read_text(encoding="utf-8")
    try:
        prefix = (Settings(stream_prefix=args.prefix) if args.prefix else Settings()).stream_prefix
    except ValidationError:
        sys.exit(f"not a valid key prefix: {args.prefix!r} (letters, digits, _ . -; at most 32)")
    passwords = passwords_from(os.environ, users(text), sys.stdin if args.stdin else ())
    try:
        rendered = render(text, prefix, passwords)
    except ValueError as error:
        sys.exit(str(error))
    for name in missing(text, passwords):
        print(f"warning: {name} has no password and cannot sign in (set {env_name(name)} or give "
              f"'{name} <password>' on stdin with --stdin)", file=sys.stderr)
    sys.stdout.write(rendered)


def _days(text: str) -> int:
    from .simulation.port_backfill import parse_span

    try:
        return parse_span(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description="Basira · بصيرة")
    commands = parser.add_subparsers(dest="command", required=True)

    def web_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
        p.add_argument("--port", type=int, help="port to listen on (default 8050)")

    def sim_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--rate", dest="sim_rate", type=float,
                       help="incident opens per second, daily mean (default 1)")
        p.add_argument("--seed", dest="sim_seed", type=int, help="random seed (default 7)")
        p.add_argument("--season", choices=("none", "hajj", "umrah"), default="none",
                       help="pilgrim season at the ports (default none)")
        p.add_argument("--time-scale", dest="sim_time_scale", type=float,
                       help="how many times faster incident lives and unit movements play out; "
                       "entry times stay on the real clock (default 10)")
        p.add_argument("--backfill", dest="sim_backfill_s", type=float,
                       help="seconds of history to write at start (default 300)")
        p.add_argument("--units", type=int, help="fleet size (default: sized from the rate)")
        p.add_argument("--backfill-ports", metavar="SPAN", type=_days,
                       help="first archive this much hourly port history for the forecasts, "
                       "e.g. 520d or 8w (demo: 520d; 0: none)")

    demo = commands.add_parser("demo", help="embedded store + simulator + ingest + web: the whole thing")
    web_flags(demo)
    sim_flags(demo)
    demo.add_argument("--backfill-archive", metavar="SPAN", type=_days,
                      help="days of demo history written into an empty archive before archiving live "
                      "(default 30d; 0: none)")
    demo.set_defaults(func=cmd_demo, backfill_ports=520, backfill_archive=30)

    serve = commands.add_parser("serve", help="the web app alone (needs REDIS_URL)")
    web_flags(serve)
    serve.set_defaults(func=cmd_serve)

    ingest = commands.add_parser("ingest", help="an ingest worker (needs REDIS_URL)")
    ingest.set_defaults(func=cmd_ingest)

    archive = commands.add_parser(
        "archive", help="archive every applied entry as Parquet (BASIRA_ARCHIVE_DIR; needs REDIS_URL)")
    archive.add_argument("--backfill-demo", metavar="SPAN", type=_days,
                         help="instead, write SPAN (e.g. 30d) of the simulator's history straight to the "
                         "archive, ending at the start of the current hour, keyframes included (no Redis "
                         "needed)")
    archive.add_argument("--seed", dest="sim_seed", type=int, help="simulator seed for --backfill-demo")
    archive.add_argument("--force", action="store_true",
                         help="with --backfill-demo: replace hours the archive already holds (else refused)")
    archive.set_defaults(func=cmd_archive)

    alerts = commands.add_parser(
        "alerts", help="the alerts worker: evaluates the rules every tick (needs REDIS_URL)")
    alerts.add_argument("--check", metavar="RULES_FILE",
                        help="instead, check a rules file and print its errors with their lines (exit 2)")
    alerts.set_defaults(func=cmd_alerts)

    drill = commands.add_parser(
        "drill", help="a scripted situation for the alert rules, written to a demo store (needs REDIS_URL)")
    drill_kinds = drill.add_subparsers(dest="drill", required=True)
    spike = drill_kinds.add_parser("spike", help="a burst of incidents around a region's largest city")
    spike.add_argument("--region", default="SA-02", help="region code (default SA-02, Makkah)")
    spike.add_argument("--count", type=int, default=200, help="incidents (default 200)")
    spike.add_argument("--over", type=float, default=30.0, help="seconds they arrive over (default 30)")
    spike.add_argument("--close-after", type=float, default=300.0,
                       help="close them again this many seconds later (default 300; 0: never)")
    spike.add_argument("--seed", type=int, default=0, help="placement seed (default: from the clock)")
    geofence = drill_kinds.add_parser("geofence", help="a unit driving through a guarded zone")
    geofence.add_argument("--zone", default="haram-makkah", help="zone id (default haram-makkah)")
    geofence.add_argument("--unit", default="DRILL-U1", help="the unit's id (default DRILL-U1)")
    geofence.add_argument("--speed", type=float, default=80.0, help="its speed, km/h (default 80)")
    drill.set_defaults(func=cmd_drill)

    simulate = commands.add_parser("simulate", help="write synthetic operations to the streams")
    sim_flags(simulate)
    simulate.add_argument("--duration", type=float, help="stop after this many seconds")
    simulate.set_defaults(func=cmd_simulate)

    rejected = commands.add_parser("rejected", help="list rejected entries by reason; re-submit them")
    rejected.add_argument("--resubmit", action="store_true", help="write them back to their streams")
    rejected.add_argument("--dry-run", action="store_true", help="count what --resubmit would write")
    rejected.add_argument("--reason", help="only entries whose reason contains this text")
    rejected.add_argument("--stream", choices=[s.value for s in INPUT_STREAMS], help="only this stream")
    rejected.set_defaults(func=cmd_rejected)

    acl = commands.add_parser(
        "acl", help="print the Redis ACL users (deploy/users.acl) for this prefix, passwords hashed",
        description="Passwords come from BASIRA_ACL_PASSWORD_<ROLE> (PRODUCER, SIMULATOR, INGEST, WEB, "
        "ALERTS, COT, REPLICATION, SENTINEL, ADMIN: the user's name after basira-) or, with --stdin, from "
        "'<user> <password>' lines; they are written as SHA-256 hashes.")
    acl.add_argument("--prefix", help="key prefix (default: BASIRA_STREAM_PREFIX, else sa)")
    acl.add_argument("--file", default=str(ROOT / "deploy" / "users.acl"), help="the ACL file to start from")
    acl.add_argument("--stdin", action="store_true", help="read '<user> <password>' lines from stdin")
    acl.set_defaults(func=cmd_acl)

    eido_subscribe = commands.add_parser(
        "eido-subscribe", help="NENA STA-024: subscribe to a CAD's EIDO notifier (BASIRA_EIDO_NOTIFIER_URL)")
    eido_subscribe.set_defaults(func=cmd_eido_subscribe)
    cap_feed = commands.add_parser(
        "cap-feed", help="poll an alerting authority's CAP 1.2 feed (BASIRA_CAP_FEED_URL): official alerts")
    cap_feed.set_defaults(func=cmd_cap_feed)

    cot = commands.add_parser(
        "cot", help="the Cursor on Target listener: TAK devices and servers write units and incidents "
        "(BASIRA_COT_*; needs REDIS_URL)")
    cot.set_defaults(func=cmd_cot)
    tak_out = commands.add_parser(
        "tak-out", help="send the center's incidents and units to TAK as CoT (BASIRA_TAK_OUT_TARGETS; needs "
        "REDIS_URL)")
    tak_out.set_defaults(func=cmd_tak_out)

    schemas = commands.add_parser("schemas", help="write the JSON Schemas of the streams")
    schemas.add_argument("--out", default=str(ROOT / "docs" / "schemas"))
    schemas.set_defaults(func=cmd_schemas)

    basemap = commands.add_parser("basemap", help="the offline basemap's vector tiles")
    basemap_commands = basemap.add_subparsers(dest="basemap_command", required=True)
    basemap_build = basemap_commands.add_parser(
        "build", help="build the Kingdom basemap (PMTiles) from the shipped geodata and GeoNames' places"
    )
    basemap_build.add_argument("--out", help="where to write it (default: assets/data/ksa_basemap.pmtiles)")
    basemap_build.add_argument("--max-zoom", type=int, default=10, choices=range(4, 13), metavar="4-12",
                               help="deepest zoom written (default 10; the browser over-zooms past it)")
    basemap_build.set_defaults(func=cmd_basemap)

    from .auth.cli import add_commands  # user, token: the users file of access control

    add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    sys.unraisablehook = _interrupt_again
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
