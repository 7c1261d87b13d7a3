"""The archive: every applied entry, kept as Parquet, read with DuckDB (docs/archive.md).

``layout`` is the contract on disk; ``archiver`` the stream consumer that writes it
(``python -m app archive``); ``compact`` its upkeep and ``keyframes`` the state at each closed hour;
``replay`` the picture at any past moment; ``stats`` the figures of a window (and compare), ``timeline``
one incident's life, ``export`` a window as GeoJSON, CSV or KML; ``backfill`` a month of the simulator's
history written straight to Parquet. No Dash or Flask here, and no Redis but through :mod:`app.store`.
"""
