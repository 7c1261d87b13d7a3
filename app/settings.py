"""Basira's one settings object.

Every knob lives here, read once from the environment (``BASIRA_*``, plus the conventional
``REDIS_URL``) when the application, the worker or a command starts — never at import. Each field
has a default and a description; ``docs/settings.md`` lists them all and a test keeps the two in step.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "assets" / "data"


class Settings(BaseSettings):
    """Configuration for the web app, the ingest worker and the commands."""

    model_config = SettingsConfigDict(env_prefix="BASIRA_", extra="ignore")

    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("REDIS_URL", "BASIRA_REDIS_URL"),
        description="Redis to use (REDIS_URL). Unset: `demo` starts an embedded server.",
    )
    stream_prefix: str = Field(
        default="sa",
        pattern=r"^[A-Za-z0-9_.-]{1,32}$",
        description="Prefix of every stream and key: `<prefix>:incidents`, `<prefix>:units`, …",
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
    ingest_block_ms: int = Field(
        default=1000, ge=0, description="How long one read waits for new entries (ms)."
    )
    reclaim_idle_ms: int = Field(
        default=30_000,
        ge=1,
        description="Pending entries idle this long belong to a dead consumer and are reclaimed.",
    )
    stream_retention_hours: float = Field(
        default=24.0, gt=0, description="Stream entries older than this are trimmed (XTRIM MINID)."
    )
    history_hours: float = Field(
        default=24.0, gt=0, description="How long closed incidents stay in the history."
    )
    history_max: int = Field(
        default=500_000, ge=1000, description="Hard cap on closed incidents kept in the history."
    )
    trail_points: int = Field(
        default=10, ge=0, le=100, description="Recent positions kept per unit for its trail."
    )
    port_history_days: int = Field(
        default=9, ge=2, description="Days of hourly port counts kept (a week ago + today)."
    )
    ready_max_lag_s: float = Field(
        default=30.0, gt=0, description="`/readyz` fails when ingest is further behind than this."
    )
    refresh_ms: int = Field(
        default=1000, ge=250, description="How often the pages fetch the live picture (ms)."
    )
    stale_after_s: float = Field(
        default=15.0, gt=0, description="The picture counts as stale when its data is older."
    )
    tile_url: str | None = Field(
        default=None,
        description="Optional raster tile URL template (say, a local tile server); never required.",
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
