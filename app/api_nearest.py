"""``GET /api/v1/incidents/<id>/nearest?n=3``: an incident's nearest available units, fastest first.

A thin view over :func:`app.nearest.suggest` (the model, the ranking and which units are candidates are
there, and ``docs/nearest.md`` states them): the caller's scope from :func:`app.auth.scope_for`, the
store's live reads, the reference data's places.

* ``n``: how many units, 1–20 (default 3); anything else is a 400 with a JSON ``{"error"}``.
* An incident that is unknown or outside the caller's scope is a 404 — the same answer for both, so an
  id beyond the scope reveals nothing. Units are read from every region of the caller's scope, of the
  incident's agency only.
* A closed incident: 200 with an empty ``units`` list, ``"closed": true`` and a ``note`` saying why.
* The store down: 503 (the app's handlers in :mod:`app.api`).
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, request

from .api import _json
from .auth import scope_for
from .nearest import DEFAULT_N, MAX_N, areas_of, suggest
from .services import services

nearest_api = Blueprint("nearest_api", __name__)


class BadQuery(ValueError):
    """A query parameter that cannot be used; the message is for the caller."""


def parse_n(raw: str | None) -> int:
    """``n`` of the query: a whole number from 1 to :data:`~app.nearest.MAX_N` (absent: the default)."""
    if raw is None:
        return DEFAULT_N
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_N:
        raise BadQuery(f"n must be a whole number from 1 to {MAX_N} (got {raw[:10]!r})")
    return int(text)


@nearest_api.get("/api/v1/incidents/<incident_id>/nearest")
def nearest_units(incident_id: str) -> Response:
    """The incident's ``n`` nearest available units of its agency in the caller's scope, fastest first."""
    try:
        n = parse_n(request.args.get("n"))
    except BadQuery as error:
        return _json({"error": str(error)}, 400)
    scope = scope_for(strict=True)
    store = services().store
    ranking = suggest(store.live, areas_of(store.reference), incident_id, scope, n=n,
                      now_ms=int(time.time() * 1000))
    if ranking is None:
        return _json({"error": f"no incident {incident_id[:64]!r} in your scope"}, 404)
    return _json(ranking.as_dict())
