"""Lives here: the adapters of the standards the center's other systems speak — Cursor on Target (TAK),
NENA EIDO, CAP 1.2 — each turning its messages into stream entries through :class:`.gate.Gate`, the one
way in (validated by the contract, kept to the producer's scope, then written to the input streams as a
producer would). docs/standards.md tells each.

May import: settings, contract, geo, reference and the store (never Dash or Flask: the HTTP routes in
``app/api_ingress.py`` and the listeners call in).
"""
