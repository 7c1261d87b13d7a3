"""Basira's one settings object.

Every knob lives here, read once from the environment (``BASIRA_*``, plus the conventional
``REDIS_URL``) when the application, the worker or a command starts — never at import. Each field
has a default and a description; ``docs/settings.md`` lists them all and a test keeps the two in step.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "assets" / "data"
#: Shards of the live state on Redis Cluster when ``BASIRA_REDIS_SHARDS`` does not say (docs/operations.md).
CLUSTER_SHARDS = 12


def is_cluster_url(url: str | None) -> bool:
    """Whether ``url`` names a Redis Cluster (``redis+cluster://``, ``rediss+cluster://``)."""
    return bool(url) and url.split("://", 1)[0].endswith("+cluster")


class Settings(BaseSettings):
    """Configuration for the web app, the ingest worker and the commands."""

    model_config = SettingsConfigDict(env_prefix="BASIRA_", extra="ignore")

    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("REDIS_URL", "BASIRA_REDIS_URL"),
        description="Redis to use (REDIS_URL). Unset: `demo` starts an embedded server.",
    )
    redis_username: str | None = Field(
        default=None,
        description="Redis ACL user this process signs in as (`basira-web`, `basira-ingest`, "
        "`basira-simulator`, `basira-admin`; see `deploy/users.acl`), in place of any user in REDIS_URL.",
    )
    redis_password: SecretStr | None = Field(
        default=None,
        description="Password of `redis_username` (or of Redis's default user), in place of any in "
        "REDIS_URL. Unset: the URL's, if any.",
    )
    redis_sentinels: str | None = Field(
        default=None,
        validation_alias=AliasChoices("REDIS_SENTINELS", "BASIRA_REDIS_SENTINELS"),
        pattern=r"^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$",
        description="Redis Sentinels to ask for the primary (REDIS_SENTINELS=host:port,host:port,…): "
        "when set, every process connects to the primary of `redis_master` through them, follows a "
        "failover, and REDIS_URL is not used. See docs/operations.md, \"Run on Sentinel\".",
    )
    redis_cluster: bool = Field(
        default=False,
        validation_alias=AliasChoices("REDIS_CLUSTER", "BASIRA_REDIS_CLUSTER"),
        description="REDIS_URL names a node of a Redis Cluster (as a `redis+cluster://` URL does): the "
        "client learns the others and follows the cluster's failovers. The prefix must then be a hash "
        "tag (`BASIRA_STREAM_PREFIX={sa}`). See docs/operations.md, \"Run on Redis Cluster\".",
    )
    redis_shards: int = Field(
        default=0,
        ge=0,
        le=256,
        description="In how many slots the live incidents and units are kept (0: 12 on Redis Cluster, "
        "1 elsewhere). Each incident and unit stays in one shard (a hash of its id); on Redis Cluster the "
        "shards spread one centre's state, and its ingest writes, over the primaries. Every process of a "
        "centre must use the same number, and changing it needs an empty store (docs/operations.md).",
    )
    redis_master: str = Field(
        default="basira",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="The name the Sentinels monitor the primary by (`sentinel monitor <name> …`).",
    )
    redis_sentinel_username: str | None = Field(
        default=None, description="User to sign in to the Sentinels as, when they require one.",
    )
    redis_sentinel_password: SecretStr | None = Field(
        default=None, description="Password of the Sentinels (`requirepass` or `redis_sentinel_username`'s).",
    )
    redis_wait_replicas: int = Field(
        default=0,
        ge=0,
        le=16,
        description="After each ingest commit and each write taken in through Basira (the ingress "
        "routes, the CoT listener), WAIT until this many replicas hold it (0: do not wait). Replication "
        "is asynchronous: a failover loses what the primary acknowledged and no replica had; waiting "
        "narrows that to writes not yet acknowledged. Measured cost: docs/benchmarks.md, \"Failover\".",
    )
    redis_wait_ms: int = Field(
        default=200,
        ge=1,
        le=10_000,
        description="How long one WAIT for `redis_wait_replicas` may take (ms); past it the write "
        "stands, is counted as `unreplicated` in the stats, and work goes on.",
    )
    stream_prefix: str = Field(
        default="sa",
        pattern=r"^([A-Za-z0-9_.-]{1,32}|\{[A-Za-z0-9_.-]{1,32}\}[A-Za-z0-9_.-]{0,16})$",
        description="Prefix of every stream and key: `<prefix>:incidents`, `<prefix>:units`, … In braces "
        "(`{sa}`) it is a Redis Cluster hash tag: every key in one slot, as the transactions need.",
    )
    demo_store: bool = Field(
        default=False,
        description="Mark the store as synthetic (demo) data when the simulator writes to it.",
    )
    regions_file: Path = Field(
        default=DATA_DIR / "ksa_regions.geojson",
        description="GeoJSON of the 13 regions (properties code, name_en, name_ar) used for "
        "point-in-polygon region assignment; drop in official boundaries here.",
    )
    neighbors_file: Path = Field(
        default=DATA_DIR / "ksa_neighbors.geojson",
        description="GeoJSON of the Kingdom's outline and neighbouring countries (offline basemap).",
    )
    ports_file: Path = Field(
        default=DATA_DIR / "ksa_ports.csv", description="Table of border ports (id, names, kind, …)."
    )
    ports_planning_file: Path = Field(
        default=DATA_DIR / "ksa_port_planning.csv",
        description="Each port's planning assumptions (counters, lanes, processing times, wait target, "
        "roster per shift) for the staffing plan; see docs/ports.md.",
    )
    cities_file: Path = Field(
        default=DATA_DIR / "ksa_cities.csv",
        description="Populated places with population (the simulator places incidents near them).",
    )
    ingest_group: str = Field(
        default="basira-ingest", description="Consumer group the ingest workers share."
    )
    ingest_consumer: str = Field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
        description="This worker's consumer name in the group (default: host-pid).",
    )
    ingest_batch: int = Field(
        default=500, ge=1, le=10_000, description="Entries read per stream per round trip."
    )
    ingest_pipelined: bool = Field(
        default=True,
        description="Send the ingest worker's commits without waiting, on its own thread (one Redis, "
        "not sharded, no replicas waited for); false: commit on a second thread.",
    )
    ingest_block_ms: int = Field(
        default=1000, ge=0, description="How long one read waits for new entries (ms)."
    )
    reclaim_idle_ms: int = Field(
        default=30_000,
        ge=1,
        description="Pending entries idle this long belong to a dead consumer and are reclaimed.",
    )
    ingest_max_deliveries: int = Field(
        default=5,
        ge=1,
        description="An entry delivered this many times without being applied (the workers that "
        "took it died) is dead-lettered to `<prefix>:rejected` instead of being retried.",
    )
    stream_retention_hours: float = Field(
        default=2.0,
        gt=0,
        description="Stream entries older than this are trimmed (XTRIM MINID), never unapplied ones.",
    )
    history_hours: float = Field(
        default=24.0, gt=0, description="How long closed incidents stay in the history."
    )
    history_max: int = Field(
        default=500_000, ge=1000,
        description="Hard cap on closed incidents kept in the history — and on those each web worker "
        "mirrors for the heatmap beyond the scope it is answering (~41 bytes each; docs/architecture.md, "
        "\"In-process caches\").",
    )
    trail_points: int = Field(
        default=10, ge=0, le=100, description="Recent positions kept per unit for its trail."
    )
    port_history_days: int = Field(
        default=9, ge=2, description="Days of hourly port counts kept (a week ago + today)."
    )
    archive_dir: Path = Field(
        default=Path("var/archive"),
        description="Where the archiver writes the Parquet archive of every applied entry "
        "(`stream=<s>/date=<YYYY-MM-DD>/hour=<HH>/*.parquet`, docs/archive.md), and replay, exports "
        "and the brief read it. Relative paths are from the working directory.",
    )
    archive_group: str = Field(
        default="basira-archive", description="Consumer group of the archiver (its own, beside ingest's)."
    )
    archive_flush_s: float = Field(
        default=5.0, gt=0, le=300,
        description="The archiver writes what it holds at least this often (seconds): the most a replay "
        "of the last minutes lags the live picture.",
    )
    archive_flush_rows: int = Field(
        default=50_000, ge=100, description="… or as soon as it holds this many entries."
    )
    archive_retention_days: int = Field(
        default=400, ge=1,
        description="Days of archive kept (400: a Hijri year and a season); older days are deleted.",
    )
    archive_full_days: float = Field(
        default=2.0, ge=0,
        description="Unit positions younger than this (days) are kept every one; older ones are thinned.",
    )
    archive_thin_s: int = Field(
        default=60, ge=1, le=3600,
        description="Thinned unit positions: one per unit per this many seconds (and every change of "
        "status or incident).",
    )
    rules_file: Path | None = Field(
        default=None,
        description="TOML file of alert rules (docs/alerts.md); re-read when it changes, and a bad file "
        "(reported with its line numbers) leaves the rules in force. Unset: the default rules.",
    )
    zones_file: Path | None = Field(
        default=DATA_DIR / "ksa_zones.geojson",
        description="GeoJSON of guarded zones (polygons, or points with `radius_m`; names in both languages; "
        "optional active periods, Hijri dates included) that geofence rules name. The shipped file has "
        "examples: the Haram, the Prophet's Mosque, Jamarat and Arafat in the Hajj days, two stadiums.",
    )
    alerts_tick_ms: int = Field(
        default=250, ge=50, le=1000,
        description="How often the alerts worker evaluates the rules (ms; at least once a second).",
    )
    alerts_max_lag_s: float = Field(
        default=5.0, gt=0,
        description="While the ingest worker is further behind than this (s), the alerts worker judges only "
        "silent streams: the state is old, and an incident whose dispatch waits in the backlog would look "
        "unassigned. Alerts raised stay as they are until it has caught up.",
    )
    alerts_escalate_min: float = Field(
        default=5.0, ge=0,
        description="A severe or extreme alert nobody acknowledged this long (minutes) escalates to "
        "leadership (a rule's `escalate_after_min` overrides; 0: never).",
    )
    alerts_retention_days: float = Field(
        default=90.0, gt=0, description="Resolved alerts are kept this long (days), then forgotten."
    )
    ready_max_lag_s: float = Field(
        default=30.0, gt=0, description="`/readyz` fails when ingest is further behind than this."
    )
    refresh_ms: int = Field(
        default=1000, ge=250, description="How often the pages fetch the live picture (ms)."
    )
    # 125: half the wait for the next cut of 250 (XADD → drawn ~240 → ~135 ms on average under the bench's
    # load), at the same requests a page: the feed's answers carry the alerts' version, whose poll of four
    # a second they replaced (issue 17)
    feed_ms: int = Field(
        default=125,
        ge=50,
        le=5000,
        description="The live map's tick (ms): incidents and units are sent as what changed each tick.",
    )
    feed_whole_ms: int = Field(
        default=2000,
        ge=50,
        le=30_000,
        description="A new page's whole picture of the live map is cut on this coarser grid (ms, rounded "
        "to whole ticks): pages that open within one share one build, then catch up by the ticks since.",
    )
    feed_horizon_s: float = Field(
        default=120.0,
        ge=5,
        description="Changes kept for the live map's deltas; a browser further behind gets everything.",
    )
    stale_after_s: float = Field(
        default=15.0, gt=0, description="The picture counts as stale when its data is older."
    )
    tile_url: str | None = Field(
        default=None,
        description="Optional raster tile URL template (say, a local tile server); never required.",
    )
    basemap: Path | None = Field(
        default=None,
        description="A PMTiles v3 file in the Protomaps basemap schema (say, a street-level extract of the "
        "Kingdom; see docs/basemap.md). Unset, missing or unreadable: the shipped Kingdom basemap, and the "
        "page says which one it shows.",
    )
    covered_regions: str | None = Field(
        default=None,
        pattern=r"^\s*(SA-\d{2}\s*(,\s*SA-\d{2}\s*)*)?$",
        description="Comma-separated region codes the center covers now (its phased roll-out, e.g. "
        "`SA-02,SA-01`). Unset: all 13. The others show as not yet connected and stay out of national "
        "figures; their entries are still stored and counted apart in `/metrics`.",
    )
    host: str = Field(default="127.0.0.1", description="Address `serve` and `demo` listen on.")
    port: int = Field(default=8050, ge=1, le=65535, description="Port `serve` and `demo` listen on.")
    sim_rate: float = Field(
        default=1.0, gt=0, description="Simulator: incident opens per second (daily mean)."
    )
    sim_time_scale: float = Field(
        default=10.0,
        gt=0,
        description="Simulator: how many times faster incident lives and unit movements play out "
        "(entry times stay on the real clock; response KPIs shrink by the same factor).",
    )
    sim_backfill_s: float = Field(
        default=300.0,
        ge=0,
        description="Simulator: seconds of history written at start, so the map is full at once.",
    )
    sim_seed: int = Field(default=7, description="Simulator: random seed (same seed, same events).")
    language: str = Field(
        default="ar", pattern="^(ar|en)$", description="Default language of the pages."
    )
    # --- the command view's KPI targets ---
    dispatch_target_s: float = Field(
        default=90.0,
        gt=0,
        description="Target for call-to-dispatch (s): the KPI is green while 90% of incidents are "
        "dispatched within it, amber while only the median is, red beyond (NFPA 1221 allows 64 s to "
        "process 90% of alarms, plus the call-taking).",
    )
    response_target_s: float = Field(
        default=600.0,
        gt=0,
        description="Target for call-to-on-scene (s): the KPI is green while 90% of incidents have a unit "
        "on scene within it, amber while only the median does, red beyond.",
    )
    # --- the video wall (/wall) and the exhibition kiosk (/demo) ---
    wall_language: str = Field(
        default="ar", pattern="^(ar|en)$", description="Language of the video wall (`/wall?lang=` overrides)."
    )
    tour_interval_s: float = Field(
        default=20.0,
        ge=1,
        description="Video wall: seconds on each stop of its tour (the nation, then each region).",
    )
    wall_alert_s: float = Field(
        default=60.0,
        ge=2,
        description="Video wall: longest a new priority-1 incident holds the tour (it is released earlier, "
        "after at least 10 s, once the incident is dispatched).",
    )
    wall_alert_sound: bool = Field(
        default=False,
        description="Video wall: play a short chime when a severe or extreme alert is shown full width "
        "(`/wall?sound=1` turns it on for one screen, `?sound=0` off). A browser that blocks sound until "
        "someone touches the page says so on the wall (\"Sound blocked — tap to allow\").",
    )
    kiosk_chapter_s: float = Field(
        default=15.0, ge=2, description="Exhibition kiosk: seconds on each chapter of its attract loop."
    )
    kiosk_idle_s: float = Field(
        default=45.0, ge=2, description="Exhibition kiosk: seconds without a touch before the loop resumes."
    )
    # --- access control (docs/access.md) ---
    auth_mode: Literal["off", "password", "header"] = Field(
        default="off",
        description="Who may see what: `off` (anyone sees everything; the demo's default, said at start-up "
        "and on the pages), `password` (users of `users_file` sign in at /login), `header` (a single-sign-on "
        "proxy at `trusted_proxies` names the user in headers). API tokens work in both modes that are on.",
    )
    users_file: Path | None = Field(
        default=None,
        description="TOML or JSON file of users (hashed passwords), API tokens (hashed) and their roles "
        "and scopes; written by `python -m app user|token`, re-read when it changes.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs the session cookies. Unset: a random key per process (a warning says so): "
        "sessions then end when the process restarts and do not span several web workers.",
    )
    cookie_secure: bool = Field(
        default=True,
        description="Send the session cookie over HTTPS only (and send HSTS on HTTPS requests). Turn off "
        "only for a plain-HTTP trial on a private network.",
    )
    session_hours: float = Field(
        default=12.0, gt=0, description="A sign-in lasts this long (a shift), then the user signs in again."
    )
    wall_session_hours: float = Field(
        default=720.0,
        gt=0,
        description="A `wall` account's sign-in lasts this long (nobody is at its keyboard).",
    )
    login_attempts_per_minute: int = Field(
        default=5,
        ge=1,
        description="Sign-in attempts allowed per minute from one address, and for one user name.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks (CIDR) of the reverse proxies trusted to name the "
        "user (`header` mode) and the client's address (X-Forwarded-For, X-Forwarded-Proto).",
    )
    auth_header_prefix: str = Field(
        default="X-Remote-",
        pattern=r"^[A-Za-z0-9-]{1,40}$",
        description="`header` mode: the proxy's headers are this prefix plus User, Role, Regions and "
        "Agencies (regions and agencies comma-separated; without Role, the user's entry in `users_file` "
        "says).",
    )
    metrics_open: bool = Field(
        default=False,
        description="With access control on, `/metrics` still needs a national account or token unless "
        "this is true (a scraper on a private network).",
    )
    csp: bool = Field(
        default=True,
        description="Send the Content-Security-Policy header (scripts only from this server and Dash's "
        "hashed inline scripts).",
    )
    audit_max_entries: int = Field(
        default=100_000,
        ge=1000,
        description="Entries kept (about) in the audit trail stream `<prefix>:audit`.",
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=65_536,
        description="Largest request body accepted from a signed-in user, token or proxy-named user (413 "
        "beyond; Dash's largest callback bodies are a few KB). Sets Flask's MAX_CONTENT_LENGTH.",
    )
    anonymous_body_bytes: int = Field(
        default=65_536,
        ge=4096,
        description="Largest request body accepted before authentication (the sign-in form, the kiosk's "
        "callbacks): checked from Content-Length and while the body streams in, before it is parsed (413).",
    )
    cap_sender: str = Field(
        default="basira.911.sa",
        pattern=r"^[^\s,<&]{1,128}$",
        description="CAP 1.2 `sender` of the alerts' CAP documents (`/api/v1/alerts/AL-<n>.cap`): the "
        "center's globally unique name, e.g. its domain; no spaces, commas, `<` or `&` (CAP forbids them).",
    )

    # --- the field's standards taken in (docs/standards.md) ---
    ingress_per_minute: int = Field(
        default=600,
        ge=1,
        description="Messages (EIDO or CAP documents) each producer may send in a minute, counted in "
        "Redis over every web worker and listener; beyond it HTTP 429 with Retry-After (a STA-024 "
        "subscription answers 503).",
    )
    ingress_max_bytes: int = Field(
        default=524_288,
        ge=4096,
        description="Largest EIDO or CAP document taken (bytes; HTTP 413 beyond). Also bounded by "
        "`max_body_bytes`.",
    )
    eido_agency: str = Field(
        default="patrol",
        description="NENA EIDO: Basira's agency for an incident when neither the responding agency (by "
        "`eido_agencies`, or its type: police, fire, ems) nor the incident's category says one.",
    )
    eido_agencies: str = Field(
        default="",
        description="NENA EIDO: comma-separated `key=agency` pairs, the key an EIDO agency's `$id` or its "
        "`agencyType` (e.g. `traffic.riyadh.gov.sa=traffic,police.highway=road_security`); they come "
        "before the built-in types.",
    )
    eido_notifier_url: str | None = Field(
        default=None,
        pattern=r"^wss?://\S+$",
        description="NENA STA-024: the EIDO notifier (a CAD's or PSAP's `wss://…/IncidentData/ent`) that "
        "`python -m app eido-subscribe` subscribes to for new incidents' EIDOs. Unset: none.",
    )
    eido_notifier_producer: str | None = Field(
        default=None,
        description="The producer token (its name in `users_file`) whose scope the subscription's EIDOs "
        "are written in, and who the audit trail says wrote them. Unset: the whole Kingdom, as "
        "`eido-notifier`.",
    )
    eido_notifier_bearer: SecretStr | None = Field(
        default=None,
        description="A token sent to the notifier as `Authorization: Bearer` when subscribing, if it "
        "asks for one.",
    )
    eido_notifier_cert: Path | None = Field(
        default=None,
        description="PEM file with this subscriber's TLS client certificate and key (STA-024's mutual "
        "TLS).",
    )
    eido_notifier_ca: Path | None = Field(
        default=None,
        description="PEM file of the certificate authorities the notifier's certificate is checked "
        "against (default: the system's).",
    )
    eido_subscribe_expires_s: int = Field(
        default=3600,
        ge=60,
        description="How long a STA-024 subscription asks to last (seconds); renewed before it ends.",
    )
    cap_feed_url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="An alerting authority's CAP 1.2 feed (a CAP document, or an Atom/RSS feed linking "
        "CAP documents) that `python -m app cap-feed` polls. Unset: official alerts come by "
        "POST /api/v1/cap only.",
    )
    cap_feed_every_s: float = Field(
        default=60.0, ge=5, description="How often the CAP feed is polled (seconds)."
    )
    cap_feed_producer: str | None = Field(
        default=None,
        description="The producer token (its name in `users_file`) whose scope the feed's alerts are "
        "kept to. Unset: the whole Kingdom (a national authority's feed), as `cap-feed`.",
    )
    cap_default_hours: float = Field(
        default=6.0,
        gt=0,
        description="An official alert that gives no `expires` leaves the map this many hours after it "
        "was sent (CAP 1.2 makes `expires` optional).",
    )

    # --- Cursor on Target (TAK) in and out (docs/standards.md) ---
    cot_enabled: bool = Field(
        default=False,
        description="`demo`: also run the CoT listener (`python -m app cot`) inside the demo, on 127.0.0.1 "
        "only, taking plain TCP and UDP from this machine in the whole Kingdom's scope.",
    )
    cot_host: str = Field(
        default="0.0.0.0", description="Address `python -m app cot` listens on (TCP, TLS and UDP)."
    )
    cot_tcp_port: int = Field(
        default=8087, ge=1, le=65535,
        description="Plain CoT over TCP (TAK's 8087); listened on only when `cot_plain_account` is set.",
    )
    cot_udp_port: int = Field(
        default=6969, ge=1, le=65535,
        description="CoT over UDP, unicast and multicast (TAK's 6969); listened on only when "
        "`cot_plain_account` is set.",
    )
    cot_multicast_group: str = Field(
        default="239.2.3.1",
        pattern=r"^(2(2[4-9]|3\d)(\.\d{1,3}){3})?$",
        description="Multicast group the UDP listener joins (TAK's situational-awareness group; empty: "
        "none). Not joined when listening on a loopback address.",
    )
    cot_multicast_interface: str = Field(
        default="0.0.0.0",
        description="Address of the interface the multicast group is joined on (0.0.0.0: the system's "
        "choice).",
    )
    cot_tls_port: int = Field(
        default=8089, ge=1, le=65535,
        description="CoT over TLS with client certificates (TAK's 8089); listened on when `cot_tls_cert`, "
        "`cot_tls_key` and `cot_tls_ca` are set.",
    )
    cot_tls_cert: Path | None = Field(default=None, description="PEM file of the CoT listener's certificate.")
    cot_tls_key: Path | None = Field(default=None, description="PEM file of its private key.")
    cot_tls_ca: Path | None = Field(
        default=None,
        description="PEM file of the certificate authorities whose client certificates the CoT listener "
        "accepts. A certificate's common name (CN) must name a token in `users_file` whose role may write "
        "(`producer`, or `admin`): its scope applies, and the audit trail names it.",
    )
    cot_plain_account: str | None = Field(
        default=None,
        description="The token (its name in `users_file`) whose scope applies to plain TCP and UDP CoT, "
        "which nothing authenticates — a private network only. Unset: no plain listeners. With access "
        "control off and no users file, any name stands for the whole Kingdom.",
    )
    cot_mapping_file: Path = Field(
        default=DATA_DIR / "cot_mapping.toml",
        description="TOML or JSON rules: which CoT events (type, `how`, `__group`) become units or incidents "
        "of which agency, and the CoT type of each agency's units sent to TAK. Checked at start (errors "
        "name the rule and the field).",
    )
    cot_max_bytes: int = Field(
        default=65_536, ge=1024, le=16_777_216,
        description="Largest CoT message taken (bytes of one XML event or TAK protobuf message); a larger "
        "one is refused and skipped, and the listener reads on.",
    )
    cot_per_minute: int = Field(
        default=3000, ge=1,
        description="CoT messages taken per minute from one TCP/TLS connection or one UDP sender address, "
        "counted in the listener's process; the rest of that minute's are dropped (one entry in "
        "`<prefix>:rejected` says so, the audit trail counts them).",
    )
    tak_out_targets: str = Field(
        default="",
        description="Where `python -m app tak-out` sends the center's incidents and units as CoT: "
        "space-separated URLs `tcp://host:8087`, `tls://host:8089` (a TAK server, with `tak_out_cert`, "
        "`tak_out_key`, `tak_out_ca`) or `udp://239.2.3.1:6969` (multicast or unicast), each with its own "
        "scope and options: `?region=SA-02,SA-01&agency=patrol&format=protobuf&ttl=1`.",
    )
    tak_out_cert: Path | None = Field(
        default=None, description="PEM file of the client certificate `tak-out` presents to `tls://` targets."
    )
    tak_out_key: Path | None = Field(default=None, description="PEM file of its private key.")
    tak_out_ca: Path | None = Field(
        default=None,
        description="PEM file of the authorities a `tls://` target's certificate is checked against "
        "(default: the system's).",
    )
    tak_out_refresh_s: float = Field(
        default=60.0, ge=5,
        description="`tak-out` sends each target its whole picture this often (seconds); in between, each "
        "second, what changed.",
    )
    tak_out_stale_s: float = Field(
        default=180.0, ge=10,
        description="Stale time of the events `tak-out` sends (seconds after sending); longer than "
        "`tak_out_refresh_s`, so they stay live on TAK maps until the next refresh.",
    )

    @property
    def covered(self) -> frozenset[str] | None:
        """The region codes of :attr:`covered_regions`, or ``None`` when every region is covered."""
        if not self.covered_regions or not self.covered_regions.strip():
            return None
        return frozenset(code.strip().upper() for code in self.covered_regions.split(",") if code.strip())

    @property
    def on_cluster(self) -> bool:
        """Whether a Redis Cluster is named (``REDIS_CLUSTER=1`` or a ``redis+cluster://`` URL)."""
        return bool(self.redis_url) and (self.redis_cluster or is_cluster_url(self.redis_url))

    @property
    def store_shards(self) -> int:
        """The shards of the live state (:attr:`redis_shards`, or its default for the kind of Redis)."""
        return self.redis_shards or (CLUSTER_SHARDS if self.on_cluster else 1)

    @property
    def redis_configured(self) -> bool:
        """Whether a Redis is named (a URL or Sentinels); ``demo`` starts one when none is."""
        return bool(self.redis_url or self.sentinel_addresses)

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        """The ``(host, port)`` of each Sentinel in :attr:`redis_sentinels` (empty when unset)."""
        if not self.redis_sentinels:
            return []
        pairs = (item.strip().rsplit(":", 1) for item in self.redis_sentinels.split(",") if item.strip())
        return [(host, int(port)) for host, port in pairs]
