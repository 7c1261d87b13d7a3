"""Lives here: alerts — the rules (``rules.py``, ``zones.py``), their evaluation (``picture.py``,
``evaluate.py``, ``spike.py``), the worker that raises, clears and escalates them (``worker.py``,
``python -m app alerts``), an alert's record and words (``model.py``, ``text.py``), who sees one
(``listing.py``), people's actions on one (``actions.py``) and its CAP 1.2 document (``cap.py``).

May import: settings, contract, geo, reference, i18n, and the store (never Dash or Flask): the worker
runs beside ingest, and the web app's routes (``app/api_alerts.py``, ``app/api_cap.py``) and pages call
in. docs/alerts.md tells the rules; docs/architecture.md the keys.
"""
