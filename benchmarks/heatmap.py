"""The heatmap at 100,000 incidents: time to aggregate, bytes on the wire (``docs/layers.md``).

``python -m benchmarks.heatmap [--incidents 100000] [--open 2000]`` writes that many synthetic
incidents into a private Redis (``REDIS_URL`` when set, under a throw-away key prefix), through the
store's real write path (the ingest worker's Lua scripts): positions drawn as the simulator draws
them (around the populated places and along the roads between them), opening times spread over
the last 24 hours, all but ``--open`` of them closed since. Then it times the heatmap layer's
``data()`` for the Kingdom and for the busiest region:

* cold — the first read in a process: every closed incident's Feature is read and parsed once;
* warm — the next aggregate (what the page pays every few seconds): the history's ids and closing
  times, the open incidents, the H3 cells of every point, the counting;
* cached — a refresh within the reuse time of the last aggregate.

and the size of what one refresh sends (JSON, and gzipped as the app serves it).
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import statistics
import time
import uuid

import orjson
import redis

from app.contract import Agency, Category, IncidentEvent, IncidentStatus, Scope, Stream
from app.settings import Settings
from app.simulation.world import World, cumulative, spread_km
from app.store import Batch, Store
from app.store.embedded import start_embedded
from layers.heatmap import Heatmap, cells_of

HOUR_MS = 3_600_000


def _points(world: World, n: int, rng: random.Random) -> list[tuple[float, float, str]]:
    """Where ``n`` incidents happen: three in four near a place (by population), the rest on roads."""
    places = cumulative([c.population for c in world.cities])
    roads = cumulative([r.weight for r in world.roads])
    out = []
    for _ in range(n):
        if rng.random() < 0.75:
            city = rng.choices(world.cities, cum_weights=places)[0]
            out.append(world.near(rng, city, spread_km(city)))
        else:
            out.append(world.on_road(rng, rng.choices(world.roads, cum_weights=roads)[0], 30.0))
    return out


def write(store: Store, world: World, n: int, still_open: int, now_ms: int, seed: int = 7) -> None:
    """``n`` incidents opened over the last 24 h; all but ``still_open`` closed a little later."""
    rng = random.Random(seed)
    agencies, categories = list(Agency), list(Category)
    opened = sorted(now_ms - rng.randrange(24 * HOUR_MS) for _ in range(n))
    events: list[tuple[str, object, str]] = []
    for i, ((lat, lon, region), ts) in enumerate(zip(_points(world, n, rng), opened, strict=True)):
        common = {"id": f"B{i}", "agency": rng.choice(agencies), "category": rng.choice(categories),
                  "priority": rng.randint(1, 4), "lat": lat, "lon": lon}
        events.append(("0-0", IncidentEvent(status=IncidentStatus.new, ts=ts, **common), region))
        if i < n - still_open:
            closed = min(now_ms - 1, ts + rng.randrange(10 * 60_000, 90 * 60_000))
            events.append(("0-0", IncidentEvent(status=IncidentStatus.closed, ts=closed, **common), region))
    for start in range(0, len(events), 2000):
        store.apply.commit(Batch(Stream.incidents, events=events[start : start + 2000]), now_ms=now_ms)


def _ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.0f} ms (min {min(seconds) * 1000:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    server = None if os.environ.get("REDIS_URL") else start_embedded()
    url = os.environ.get("REDIS_URL") or server.url  # type: ignore[union-attr]
    settings = Settings(redis_url=url, stream_prefix=f"bench{uuid.uuid4().hex[:8]}")
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        world = World.from_settings(settings)
        now_ms = int(time.time() * 1000)
        started = time.perf_counter()
        write(Store.from_settings(settings, client), world, args.incidents, args.open, now_ms)
        took = time.perf_counter() - started
        print(f"wrote {args.incidents:,} incidents ({args.open:,} open) in {took:.1f} s")
        layer = Heatmap()
        for name, scope in (("Kingdom", Scope()), ("Makkah region", Scope.parse("SA-02"))):
            store = Store.from_settings(settings, client)  # a fresh process's store: nothing cached
            cold, warm, cached = [], [], []
            for run in range(args.runs):
                store.layers.forget_memo()
                t0 = time.perf_counter()
                data = layer.data(store.layers, scope)
                (cold if run == 0 else warm).append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                layer.data(store.layers, scope)
                cached.append(time.perf_counter() - t0)
            body = orjson.dumps(data)
            cells = sum(len(f["properties"]["cells"]) for f in data["features"])
            counted = sum(f["properties"]["total"][-1] for f in data["features"])
            print(f"{name}: {counted:,} incidents in 24 h → {cells:,} hexagons "
                  f"(resolution {data['features'][0]['properties']['res']})")
            print(f"  cold {_ms(cold)} · warm {_ms(warm)} · cached {_ms(cached)}")
            print(f"  one refresh: {len(body):,} B JSON, {len(gzip.compress(body)):,} B gzipped")
        points = store.history.closed_points(Scope(), now_ms - 24 * HOUR_MS)
        t0 = time.perf_counter()
        cells_of(points)
        print(f"H3 cells of {len(points):,} points: {(time.perf_counter() - t0) * 1000:.0f} ms")
    finally:
        keys = list(client.scan_iter(match=f"{settings.stream_prefix}:*", count=1000))
        for start in range(0, len(keys), 500):
            client.unlink(*keys[start : start + 500])
        client.close()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
