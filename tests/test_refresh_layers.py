"""The command view's refresh sends a live layer's data only when it changed (``app.pages._kit.live.payloads``
with the summary's per-layer digests): dash-leaflet draws a GeoJSON's data again whenever it is given,
equal or not, so an unchanged layer sent every second was the regions' polygons removed and added again,
the ports' and calls' markers redrawn — and, at 100,000 incidents, the first render waiting for the
second refresh's identical regions."""

from __future__ import annotations

import json
import time

from app import create_app
from app.contract import Stream
from app.ingest import IngestWorker
from app.store import Store
from tests.helpers import call, callback_body, incident, port_entry

#: The command view's refreshed layers (its ``live`` part), as the page asks for them.
LIVE = ("regions", "heatmap", "ports", "calls")


def _refresh(app, http, seen: object) -> tuple[dict[str, object], object]:  # noqa: ANN001
    """One refresh of the national view: the layers' data it sent (by key), and the ``seen`` it set."""
    values = {"live-pulse.data": {"at": 1}, "live-lang.value": "en", "live-scope.data": {},
              "live-seen.data": seen}
    body = callback_body(app, "live-kpis-html.data", values, "live-pulse.data", layers={"live": LIVE})
    reply = http.post("/_dash-update-component", json=body)
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    response = reply.get_json()["response"]
    sent = {}
    for component, props in response.items():
        if component.startswith("{") and json.loads(component).get("part") == "live" and "data" in props:
            sent[json.loads(component)["layer"]] = props["data"]
    return sent, response["live-seen"]["data"] if "live-seen" in response else seen


def test_a_refresh_sends_only_the_layers_whose_data_changed(client, settings) -> None:
    p = settings.stream_prefix
    client.xadd(Stream.incidents.key(p), incident("MK1"))
    client.xadd(Stream.calls.key(p), call("C1"))
    client.xadd(Stream.ports.key(p), port_entry())
    store = Store.from_settings(settings)
    IngestWorker(store, settings).work(burst=True)
    app = create_app(settings)
    http = app.test_client()

    first, seen = _refresh(app, http, None)
    assert set(first) == set(LIVE)  # a new page gets every layer
    assert isinstance(seen, dict) and set(seen) == set(LIVE)
    regions = {f["id"]: f["properties"]["open"] for f in first["regions"]["features"]}
    assert regions["SA-02"] == 1

    again, seen_again = _refresh(app, http, seen)
    assert again == {} and seen_again == seen  # nothing changed: nothing sent, whatever the tick

    # a new incident in Riyadh: the regions and the heatmap change, the ports and the calls do not
    client.xadd(Stream.incidents.key(p), incident("RY1", lat="24.7136", lon="46.6753"))
    IngestWorker(store, settings).work(burst=True)
    deadline = time.monotonic() + 60
    while True:  # the summary is built once per tick (and behind its askers): the next one has it
        later, seen_later = _refresh(app, http, seen)
        if later or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert set(later) == {"regions", "heatmap"}, sorted(later)
    assert {f["id"]: f["properties"]["open"] for f in later["regions"]["features"]}["SA-01"] == 1
    assert {k for k in LIVE if seen_later[k] != seen[k]} == {"regions", "heatmap"}
    # a page that showed something else (a replay's moment, the store down) gets every layer again
    assert set(_refresh(app, http, "replay|x|1")[0]) == set(LIVE)
