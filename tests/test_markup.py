"""``app.pages._kit.markup``: Dash ``html`` components written as HTML text, for the command view's parts
that change every refresh (the KPI strip, the incident panel). Everything a producer sent is escaped;
a component that needs Dash is refused rather than silently written as dead markup."""

from __future__ import annotations

import pytest
from dash import dcc, html

from app.pages._kit import widgets as w
from app.pages._kit.markup import to_html
from tests.helpers import html_components


def test_texts_and_attributes_are_escaped_and_attributes_written_as_html_names() -> None:
    node = html.A(["<script>alert(1)</script> & co", html.B(3), None, html.Br()], href="/q?a=1&b=\"2\"",
                  className="basira-row", style={"backgroundColor": "#ff3b3b", "zIndex": 2}, title="x'y",
                  hidden=True, tabIndex=0, **{"data-incident": "<MK1>", "aria-current": True})  # fmt: skip
    text = to_html(node)
    assert text.startswith('<a class="basira-row" hidden href="/q?a=1&amp;b=&quot;2&quot;" '
                           'style="background-color:#ff3b3b;z-index:2" tabindex="0" title="x&#x27;y" ')
    assert ' data-incident="&lt;MK1&gt;"' in text and ' aria-current="true"' in text
    assert text.endswith('>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co<b>3</b><br></a>')
    # read back as the browser reads it: the same tree, the producer's text as text
    [link] = html_components(text)
    assert link["props"]["data-incident"] == "<MK1>" and link["props"]["className"] == "basira-row"
    assert link["props"]["children"][0] == "<script>alert(1)</script> & co"


def test_a_component_that_needs_dash_is_refused() -> None:
    with pytest.raises(TypeError, match="counts clicks"):
        to_html(html.Div(html.Button("go", n_clicks=0)))
    with pytest.raises(TypeError, match="only dash.html"):
        to_html(html.Div(dcc.Input(value="x")))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_kpi_strip_reads_back_as_its_components(lang: str) -> None:
    """What the page shows from the text is what the components say: every element, class, data
    attribute and text of the strip, in both languages."""
    components = w.kpi_strip({"open_total": 12, "open_by_priority": {"1": 2, "4": 10}}, lang)

    def tree(node):  # noqa: ANN001, ANN202
        if isinstance(node, (list, tuple)):
            return [tree(n) for n in node if n is not None and n != ""]  # an empty text is no node
        if isinstance(node, (str, int, float)):
            return str(node)
        props = node.to_plotly_json()["props"]
        children = props.get("children")
        out = {k: v for k, v in props.items() if k != "children" and v is not None and k != "style"}
        children = [] if children is None else children if isinstance(children, (list, tuple)) else [children]
        return {"type": type(node).__name__, "props": {**out, "children": tree(children)}}

    def read(node):  # noqa: ANN001, ANN202
        if isinstance(node, str):
            return node
        props = {k: v for k, v in node["props"].items() if k not in ("children", "style")}
        children = [read(c) for c in node["props"]["children"]]
        return {"type": node["type"], "props": {**props, "children": children}}

    assert [read(n) for n in html_components(to_html(components))] == tree(components)
