"""A Dash callback request is judged as Dash will execute it: it must be exactly the registered callback.

Dash dispatches ``/_dash-update-component`` on the ``output`` field alone and then passes the
request's ``inputs`` and ``state`` to the function **by position** (``dash/backends/_flask.py``:
``inputs_to_vals(inputs_list + states_list)``), whatever ids they carry. So a request whose inputs are
not the declared ones can make the function see something other than what the gate read — two
``_pages_location.pathname`` inputs, ``/`` then ``/demo``: the gate read the kiosk's path, Dash drew the
command view. :func:`check` refuses (HTTP 400) any request whose inputs, state or outputs differ from the
callback's declaration in number, order, id or property; after it, what the gate reads by id is what
the function receives by position.

Pattern-matching ids (``{"layer": ["ALL"], "page": "live", …}``) are matched as Dash matches them: the
same keys, the same fixed values, any value where the pattern has a wildcard; ``ALL``/``ALLSMALLER``
expect a list of such items, ``MATCH`` and fixed ids one item.
"""

from __future__ import annotations

import json
from typing import Any

from dash._utils import split_callback_id
from werkzeug.exceptions import BadRequest

WILDCARDS = ('["ALL"]', '["MATCH"]', '["ALLSMALLER"]')
MANY = ('["ALL"]', '["ALLSMALLER"]')  # the wildcards that stand for a list of components


class BadCallback(BadRequest):
    """A callback request that is not exactly one of the app's registered callbacks."""


def _pattern(id_: str) -> dict[str, Any] | None:
    if not id_.startswith("{"):
        return None
    try:
        decoded = json.loads(id_)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


def _one(sent: Any, declared_id: str, prop: str, pattern: dict[str, Any] | None) -> bool:
    """Is ``sent`` one item (``{"id", "property", …}``) of the declared dependency?"""
    if not isinstance(sent, dict) or sent.get("property") != prop:
        return False
    id_ = sent.get("id")
    if pattern is None:
        return id_ == declared_id
    if not isinstance(id_, dict) or set(id_) != set(pattern):
        return False
    for key, want in pattern.items():
        if json.dumps(want) in WILDCARDS:
            if not isinstance(id_[key], str | int | float | bool):
                return False
        elif id_[key] != want:
            return False
    return True


def matches(sent: Any, declared: dict[str, Any]) -> bool:
    """Does ``sent`` (one entry of a request's ``inputs``, ``state`` or ``outputs``) fit ``declared``
    (``{"id": …, "property": …}`` from Dash's callback map)?"""
    declared_id, prop = declared.get("id"), declared.get("property")
    if not isinstance(declared_id, str) or not isinstance(prop, str):
        return False
    pattern = _pattern(declared_id)
    many = pattern is not None and any(json.dumps(v) in MANY for v in pattern.values())
    if many:
        return isinstance(sent, list) and all(_one(item, declared_id, prop, pattern) for item in sent)
    return _one(sent, declared_id, prop, pattern)


def _all_match(sent: Any, declared: list[dict[str, Any]]) -> bool:
    return isinstance(sent, list) and len(sent) == len(declared) and all(
        matches(item, want) for item, want in zip(sent, declared, strict=True)
    )


def check(body: Any, callback_map: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The registered callback ``body`` asks for; raises :class:`BadCallback` unless its inputs, state
    and outputs are exactly the declared ones (number, order, ids, properties)."""
    if not isinstance(body, dict):
        raise BadCallback("a callback request is a JSON object")
    output = body.get("output")
    spec = callback_map.get(output) if isinstance(output, str) else None
    if spec is None:
        raise BadCallback("no such callback")
    if not _all_match(body.get("inputs"), spec.get("inputs", [])):
        raise BadCallback("the inputs are not the callback's")
    if not _all_match(body.get("state", []), spec.get("state", [])):
        raise BadCallback("the state is not the callback's")
    if not spec.get("no_output"):
        parts = split_callback_id(output)
        sent = body.get("outputs")
        fits = _all_match(sent, parts) if isinstance(parts, list) else matches(sent, parts)
        if not fits:
            raise BadCallback("the outputs are not the callback's")
    return spec
