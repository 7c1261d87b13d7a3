"""The archive: every applied entry, kept as Parquet, read with DuckDB (docs/archive.md).

``layout`` is the contract on disk; ``archiver`` the stream consumer that writes it
(``python -m app archive``); ``compact`` its upkeep; ``replay`` the picture at any past moment;
``backfill`` a month of the simulator's history written straight to Parquet.
No Dash here, and no Redis but through :mod:`app.store`.
"""
