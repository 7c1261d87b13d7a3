"""Small builders shared by the tests: entries as producers write them."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager


def quick_hash(password: str) -> str:
    """A password hash for a test's account: werkzeug's scrypt at a small cost (N=1024, about a
    millisecond), which the app verifies as it does any stored hash, by the parameters the hash names.
    At the app's own cost (:func:`app.auth.users.hash_password`, tested in ``test_auth.py``) each
    sign-in of the suite took ~0.1 s of CPU: 11 s over a run."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password, method="scrypt:1024:8:1")


def now_ms() -> int:
    return int(time.time() * 1000)


def incident(id: str = "T1", **overrides: object) -> dict[str, str]:
    """An incident entry at Makkah's Grand Mosque, priority 1 fire, as flat strings."""
    fields = {
        "id": id,
        "status": "new",
        "agency": "civil_defense",
        "category": "fire",
        "priority": "1",
        "lat": "21.4225",
        "lon": "39.8262",
        "ts": str(now_ms()),
    }
    fields.update({k: str(v) for k, v in overrides.items()})
    return fields


def unit(id: str = "U1", **overrides: object) -> dict[str, str]:
    fields = {
        "id": id,
        "agency": "civil_defense",
        "status": "available",
        "lat": "21.43",
        "lon": "39.82",
        "ts": str(now_ms()),
    }
    fields.update({k: str(v) for k, v in overrides.items()})
    return fields


def port_entry(port: str = "air-jed", **overrides: object) -> dict[str, str]:
    """Travellers through a port: 120 citizens arriving now, a 20-minute queue."""
    fields = {
        "port": port,
        "direction": "arrival",
        "category": "citizen",
        "travellers": "120",
        "wait_min": "20",
        "ts": str(now_ms()),
    }
    fields.update({k: str(v) for k, v in overrides.items()})
    return fields


def call(id: str = "C1", **overrides: object) -> dict[str, str]:
    """A 911 call in Makkah received 30 s ago and answered after 8 s, that opened an incident."""
    received = now_ms() - 30_000
    fields = {
        "id": id,
        "ts": str(received),
        "answered_ts": str(received + 8_000),
        "region": "SA-02",
        "outcome": "incident",
    }
    fields.update({k: str(v) for k, v in overrides.items()})
    return fields


def simulated(token: str, entries: dict) -> dict:
    """``entries`` (stream → list of fields) as the simulator writes them to a demo store: each stamped
    with the store's token (what ``Store.mark_demo()`` returns). An entry without it is a real
    producer's, and ends the demo."""
    from app.contract import SIM_STAMP

    return {stream: [{**fields, SIM_STAMP: token} for fields in items] for stream, items in entries.items()}


def callback_body(app, marker: str, values: dict[str, object], changed: str,  # noqa: ANN001
                  layers: dict[str, tuple[str, ...]] | None = None) -> dict:
    """A registered Dash callback's request as the browser posts it: the callback whose outputs name
    ``marker`` (e.g. ``"live-kpis.children"``), built from its registration, with ``values`` by
    ``"<id>.<property>"`` (others ``None``) and ``changed`` as the input that fired. Pattern outputs
    are expanded for the layers ``layers`` gives their part (``"live"``, ``"fed"``), by default the
    incidents and units layers."""
    import json

    from dash._utils import split_callback_id

    from app.auth.guard import state

    dash_app = state(app).dash_app
    key = next(k for k in dash_app.callback_map if marker in k)
    spec = dash_app.callback_map[key]
    outputs: list = []
    for part in split_callback_id(key):
        if part["id"].startswith("{"):
            pattern = json.loads(part["id"])
            keys = (layers or {}).get(pattern.get("part"), ("incidents", "units"))
            outputs.append([{"id": {**pattern, "layer": layer}, "property": part["property"]}
                            for layer in keys])
        else:
            outputs.append(part)

    def item(dep: dict) -> dict:
        return {**dep, "value": values.get(f"{dep['id']}.{dep['property']}")}

    return {"output": key, "outputs": outputs, "inputs": [item(d) for d in spec["inputs"]],
            "state": [item(d) for d in spec["state"]], "changedPropIds": [changed]}


def html_components(text: str) -> list[dict]:
    """HTML text as the page's refresh sends a part of it (``app.pages._kit.markup``), read back into
    the shape of Dash's JSON of components — ``{"type": "Div", "props": {"className": …, "children":
    […], "data-…": …}}`` — so a test looks into it as it would into components."""
    from html.parser import HTMLParser

    void = {"br", "img", "input", "hr", "meta", "link", "wbr", "source", "col", "area", "base", "embed",
            "track"}
    root: dict = {"type": "root", "props": {"children": []}}
    stack = [root]

    class Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list) -> None:
            props = {("className" if k == "class" else k): (True if v is None else v) for k, v in attrs}
            node = {"type": tag.capitalize(), "props": {**props, "children": []}}
            stack[-1]["props"]["children"].append(node)
            if tag not in void:
                stack.append(node)

        def handle_endtag(self, tag: str) -> None:
            if len(stack) > 1:
                stack.pop()

        def handle_data(self, data: str) -> None:
            stack[-1]["props"]["children"].append(data)

    Reader(convert_charrefs=True).feed(text)
    return root["props"]["children"]


@contextmanager
def unreachable_redis_url() -> Iterator[str]:
    """A ``REDIS_URL`` where nothing answers, for the block: a loopback port bound and held but never
    listening, so a connection is refused — and no server another test starts meanwhile (pytest-xdist
    runs tests side by side) can take the port, as it could a port probed free and let go."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield f"redis://127.0.0.1:{held.getsockname()[1]}/0"
