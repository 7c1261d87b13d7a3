"""Dash ``html`` components written out as HTML text, for parts of a page that change every refresh.

Why: when a callback replaces a component's ``children``, Dash's renderer mounts every new component
afresh and, for each one, tells every component of the page that its store changed. The command view's
KPI strip and incident list are a few hundred components; at 1,000 entries/s both change every second,
and that bookkeeping was most of the page's JavaScript time (issue 17: ~350 store notifications a
second, each run by every component on the page). The same components written as HTML and put in place
by one assignment (``assets/markup.js``) cost the browser a parse and a layout, and Dash nothing.
The same holds for a large part that seldom changes: every Dash component on a page is told of every
change to Dash's store, all day (the legend was 119 of the command view's 382 components).

What may be written: ``dash.html`` components only, with their plain properties — what a page's
markup holds (classes, titles, ``data-*``/``aria-*`` attributes, links, styles). A component that
needs Dash (an id a callback listens to, ``n_clicks``, ``dcc``) raises ``TypeError``: such a part must
stay a Dash component. Every text and attribute value is escaped; nothing a producer sent can become
markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from typing import Any

from dash import html
from dash.development.base_component import Component

#: Elements with no closing tag.
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                   "track", "wbr"})  # fmt: skip
#: Dash's names of HTML attributes that differ from the attribute.
_RENAMED = {"className": "class", "htmlFor": "for", "tabIndex": "tabindex", "colSpan": "colspan",
            "rowSpan": "rowspan", "dateTime": "datetime", "accessKey": "accesskey",
            "contentEditable": "contenteditable", "spellCheck": "spellcheck",
            "autoFocus": "autofocus"}  # fmt: skip
#: Dash's own properties, never attributes.
_DASH_ONLY = frozenset({"children", "loading_state", "disable_n_clicks", "n_clicks_timestamp", "key"})
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def to_html(node: Any) -> str:
    """``node`` — a component, a text, a number, ``None`` or a list of them — as HTML text."""
    if node is None or node is False:
        return ""
    if isinstance(node, str):
        return escape(node, quote=False)
    if isinstance(node, (int, float)):
        return escape(str(node), quote=False)
    if isinstance(node, Iterable) and not isinstance(node, Component):
        return "".join(to_html(child) for child in node)
    if not isinstance(node, Component) or node._namespace != html.Div._namespace:
        raise TypeError(f"only dash.html components can be written as HTML, not {type(node).__name__}")
    props = node.to_plotly_json()["props"]
    if "n_clicks" in props:
        raise TypeError(f"{type(node).__name__} counts clicks: it must stay a Dash component")
    tag = type(node).__name__.lower()
    attributes = "".join(_attribute(name, value) for name, value in props.items()
                         if name not in _DASH_ONLY and value is not None)
    if tag in _VOID:
        return f"<{tag}{attributes}>"
    return f"<{tag}{attributes}>{to_html(props.get('children'))}</{tag}>"


def _attribute(name: str, value: Any) -> str:
    if name == "style":
        value = ";".join(f"{_CAMEL.sub('-', k).lower()}:{v}" for k, v in value.items())
    elif isinstance(value, bool):
        if name.startswith(("data-", "aria-")):
            value = "true" if value else "false"
        else:  # hidden, disabled, open…: present or absent
            return f" {_RENAMED.get(name, name)}" if value else ""
    return f' {_RENAMED.get(name, name)}="{escape(str(value), quote=True)}"'
