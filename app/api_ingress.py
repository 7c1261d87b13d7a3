"""The standards' HTTP ingress: NENA EIDO and CAP 1.2 documents posted by the systems a 911 center runs.

Routes (docs/standards.md):

* ``POST /api/v1/eido`` — one EIDO (NENA-STA-021.1, JSON; any content type: the body is read as it is).
  202 with the stream entries written (``written``: component, stream, id, entry id), those refused and
  why (``refused``), the components that could not become entries (``skipped``) and the calls left for a
  later EIDO (``waiting``); 400 for a document that is not an EIDO; 403 when every entry lies outside the
  token's scope; 422 when none of a readable EIDO could be taken.
* ``POST /api/v1/cap`` — one CAP 1.2 ``alert`` (XML). 202 with what was kept (``stored``, ``expires``,
  ``regions``); 400 for XML that is hostile, malformed or not valid CAP 1.2 (the schema's words); 403 when
  its areas touch a region outside the token's scope.
* ``GET /api/v1/eido/ws`` — 404 with what to do instead: NENA STA-024's WebSocket conveyance puts the
  WebSocket server at the *notifier* (the CAD), and Basira subscribes to it as a client
  (``python -m app eido-subscribe``, :mod:`app.ingress.sta024`); waitress, which serves Basira, cannot
  serve WebSockets either.

Who: a ``producer`` token in its scope, or an admin (with access control off, everyone): 401 without
credentials (the gate's), 403 for any other role. Every route answers 413 beyond
``BASIRA_INGRESS_MAX_BYTES`` and 429 (``Retry-After``) beyond ``BASIRA_INGRESS_PER_MINUTE`` messages a
minute from one producer; every message taken is an ``ingress`` event of the audit trail.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from .api import _json
from .auth import audit, current_principal
from .auth.principals import Principal, clamp
from .contract import Scope
from .ingress.receive import Ingress, Outcome, Producer
from .services import services

ingress_api = Blueprint("ingress_api", __name__)
#: Where the app keeps its :class:`~app.ingress.receive.Ingress` (``app.extensions``).
EXTENSION = "basira_ingress"


def _record(producer: Producer, source: str, fields: dict[str, object]) -> None:
    """The audit trail's ``ingress`` event, with the request's principal and address."""
    audit.event("ingress", source=source, path=request.path, **fields)


def ingress() -> Ingress:
    """This app's ingress (made on first use, from its store and settings)."""
    made = current_app.extensions.get(EXTENSION)
    if made is None:
        current = services()
        made = current_app.extensions.setdefault(EXTENSION, Ingress(current.store, current.settings, _record))
    return made


def _producer() -> Producer | Response:
    """The caller as a producer, or the refusal: only a producer token or an admin writes."""
    principal: Principal | None = current_principal()
    if principal is None:
        return _json({"error": "sign in first: send Authorization: Bearer <a producer token>"}, 401)
    if not principal.may_write:
        audit.event("denied", reason=f"{principal.role} may not write through {request.path}",
                    path=request.path)
        return _json({"error": "writing needs a producer token (python -m app token add NAME --role "
                      f"producer --region …); a {principal.role.value} may not"}, 403)
    address = request.remote_addr or "-"
    return Producer(principal.name, clamp(principal, Scope()), principal.role.value, principal.via, address)


def _answer(outcome: Outcome) -> Response:
    response = _json(outcome.body, outcome.status)
    if outcome.retry_after_s is not None:
        response.headers["Retry-After"] = str(outcome.retry_after_s)
    return response


def _body() -> bytes | Response:
    """The request's body, read only when its announced size is within the limit (413 otherwise)."""
    limit = services().settings.ingress_max_bytes
    if (request.content_length or 0) > limit:
        return _json({"error": f"the document is larger than {limit} bytes"}, 413)
    request.max_content_length = min(limit + 1, request.max_content_length or limit + 1)
    return request.get_data(cache=False)


def _take(kind: str) -> Response:
    """Who posts (401/403), the body (413), then the document taken by its standard's adapter."""
    producer = _producer()
    if isinstance(producer, Response):
        return producer
    body = _body()
    if isinstance(body, Response):
        return body
    return _answer(getattr(ingress(), kind)(body, producer))


@ingress_api.post("/api/v1/eido")
def post_eido() -> Response:
    """One NENA EIDO (JSON) → incidents, calls and units entries (see the module)."""
    return _take("eido")


@ingress_api.post("/api/v1/cap")
def post_cap() -> Response:
    """One CAP 1.2 alert (XML) → an official alert on the map until it expires (see the module)."""
    return _take("cap")


@ingress_api.route("/api/v1/eido/ws", methods=["GET", "POST"])
def eido_websocket() -> Response:
    """Not a WebSocket: says how STA-024's conveyance reaches Basira instead (see the module)."""
    return _json({
        "error": "Basira takes NENA STA-024's WebSocket conveyance as the subscriber: the notifier (your "
                 "CAD or PSAP) serves the WebSocket, and Basira connects to it — set "
                 "BASIRA_EIDO_NOTIFIER_URL and run python -m app eido-subscribe. Or POST each EIDO to "
                 "/api/v1/eido.",
        "post": "/api/v1/eido",
        "subscribe": "BASIRA_EIDO_NOTIFIER_URL",
    }, 404)
