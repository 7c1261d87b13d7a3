"""Every id a callback names is in a page: the check Dash would run in the browser, run here instead.

The app sets ``suppress_callback_exceptions=True`` (``app/web.py``): without it Dash builds a
"validation layout" from every page's layout on each server's first request and embeds it in every
page's HTML for the browser to check its callbacks against — all the pages' components in each page
(369 kB on an empty store; the ports page forecasting every port to build it). The guarantee that check
gave — a callback never names an id that no page has, which would otherwise fail silently in a
production page — is kept by this test: the pages' layouts and the app's own, against the callback map.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import dash
from dash.development.base_component import Component

from app import create_app
from app.auth.guard import state
from app.settings import Settings

#: Dash's wildcards in a pattern-matching id (``{"type": "x", "index": ALL}`` is sent as ``["ALL"]``).
WILDCARDS = (["ALL"], ["MATCH"], ["ALLSMALLER"])


def _ids(layout: Any) -> Iterator[Any]:
    if isinstance(layout, Component):
        if getattr(layout, "id", None) is not None:
            yield layout.id
        for _path, child in layout._traverse_with_paths():
            if getattr(child, "id", None) is not None:
                yield child.id
    elif isinstance(layout, list | tuple):
        for item in layout:
            yield from _ids(item)


def _named(spec: dict[str, Any]) -> Iterator[str | dict[str, Any]]:
    """The ids a callback names: each output's, input's and state's (a pattern id as a dict)."""
    outputs = spec["output"] if isinstance(spec["output"], list) else [spec["output"]]
    raw = [output.component_id_str() for output in outputs]
    raw += [item["id"] for part in ("inputs", "state") for item in spec.get(part) or []]
    for name in raw:
        yield json.loads(name) if name.startswith("{") else name


def _matches(named: str | dict[str, Any], present: list[Any]) -> bool:
    """``named`` is in ``present``; a pattern id with a wildcard is matched by any number of components,
    none included (the alerts' buttons exist only while an alert does), as Dash matches it."""
    if not isinstance(named, dict):
        return named in present
    if any(value in WILDCARDS for value in named.values()):
        return True
    for candidate in present:
        if isinstance(candidate, dict) and candidate.keys() == named.keys() and all(
            value in WILDCARDS or candidate[key] == value for key, value in named.items()
        ):
            return True
    return False


def test_every_callback_names_ids_its_pages_have(settings: Settings) -> None:
    app = create_app(settings)
    http = app.test_client()
    assert http.get("/").status_code == 200  # the first request registers the pages' router callbacks
    dash_app = state(app).dash_app
    with app.test_request_context("/"):
        layouts = [dash_app.layout() if callable(dash_app.layout) else dash_app.layout]
        for page in dash.page_registry.values():
            layouts.append(page["layout"]() if callable(page["layout"]) else page["layout"])
    present = list(_ids(layouts))
    assert len(present) > 100  # every page's components, not an empty layout
    assert not _matches("live-no-such-id", present) and not _matches({"type": "no-such"}, present)
    missing = sorted({json.dumps(named, sort_keys=True) if isinstance(named, dict) else named
                      for spec in dash_app.callback_map.values() for named in _named(spec)
                      if not _matches(named, present)})
    assert missing == [], f"callbacks name ids that no page has: {missing}"
