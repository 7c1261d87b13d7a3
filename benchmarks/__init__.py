"""Basira's benchmark suite: ``python -m benchmarks`` (``make bench``; ``--quick`` for a smoke check).

Every figure is measured on this machine, in one run, with honest set-up: a private Redis server,
producers writing at a fixed rate, a real ``python -m app ingest`` process, the web app under
gunicorn, a real headless Chromium, and the naive Dash app of :mod:`benchmarks.baseline_app`
measured on the same data beside Basira. One module per concern:

- :mod:`.harness` — the Redis server, child processes, progress lines, the machine, percentiles;
- :mod:`.load` — synthetic operations: the seeded picture, the background loader, probes;
- :mod:`.ingest` — ingest throughput against a raw consumer;
- :mod:`.outside` — issue 17's outside view of ingest: incidents only, units only and the mix, each
  written by ``redis-benchmark`` and drained by one ingest process and by the bare consumer;
- :mod:`.browser` — Chromium: end-to-end latency, bytes on the wire, first render and zoom;
- :mod:`.clients` — many concurrent clients replaying the page's refresh;
- :mod:`.memory` — Redis and web-worker memory with a large picture and a day of history;
- :mod:`.phases` — the three phases (ingest; live load; large picture) and the scale of a run;
- :mod:`.flames` — issue 17's py-spy flame graphs of the ingest worker and of a web worker under the
  load (``python -m benchmarks --flames``, ``make bench-flames``), kept in ``docs/img/``;
- :mod:`.report` and :mod:`.notes` — the table, ``benchmarks/results.json``, ``docs/benchmarks.md``
  with its plot, and the prose that explains a missed target;
- :mod:`.run` — the command;
- :mod:`.alerts` (with :mod:`.spike_days`) — issue 14's figures, ``python -m benchmarks.alerts`` (also run by
  ``make bench``): the alerts worker's CPU per tick, the spike rule's false alarms, alert latency;
- :mod:`.workers` — issue 16's "more workers", ``python -m benchmarks.workers`` (also run by ``make bench``):
  ingest with 1, 2 and 4 processes in one consumer group, the web app on 1 and 2 gunicorn hosts, the
  CPU per entry and per update, and the projection to a machine with more cores;
- :mod:`.soak` — issue 5's soak (not part of CI): 30 minutes at 500 entries/s with 20 clients
  (``--minutes N``: each run length keeps its own record);
- :mod:`.heap` (with :mod:`.heap_conf`) — issue 16's heap profile (not part of CI): the soak's set-up
  with ``tracemalloc`` in one web worker and the ingest worker, their snapshots diffed.
"""
