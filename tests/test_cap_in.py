"""CAP 1.2 in: official alerts posted to ``POST /api/v1/cap`` or polled from a feed, on the real app against
a real Redis; the "Official alerts" layer's data.

Documents are CAP 1.2 as OASIS defines it (namespace ``urn:oasis:names:tc:emergency:cap:1.2``; times
with their offset, no fractions; polygons and circles of ``lat,lon`` pairs) and each valid one is checked
against OASIS's schema in the app (``app/alerts/schemas/CAP-v1.2.xsd``). Hostile XML — a billion-laughs
bomb, an external entity (XXE) — is refused by defusedxml before anything is expanded or fetched. Expiry is
tested with the clock in hand: an alert already expired when it comes, and the read of the alerts in force
at a later ``now``. The feed is a local HTTP server (``http.server`` in a thread), never the internet.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr

from app import create_app
from app.auth.users import UsersFile, hash_token, new_token
from app.contract import Scope
from app.ingress.cap_feed import CapFeed
from app.ingress.receive import Ingress, Producer
from app.settings import Settings
from app.store import Store
from layers import by_key
from tests.helpers import now_ms

RIYADH_TZ = timezone(timedelta(hours=3))
#: Around Makkah's centre (lat,lon pairs, closed), and a circle of 10 km on Riyadh's.
MAKKAH_POLYGON = "21.35,39.75 21.35,39.95 21.50,39.95 21.50,39.75 21.35,39.75"
RIYADH_CIRCLE = "24.7136,46.6753 10"


def when(epoch_ms: int) -> str:
    """A CAP dateTime: seconds, with the offset (CAP forbids ``Z`` and fractions)."""
    return datetime.fromtimestamp(epoch_ms / 1000, RIYADH_TZ).replace(microsecond=0).isoformat()


def info(lang: str, headline: str, *, severity: str = "Severe", urgency: str = "Immediate",
         expires_ms: int | None = None, areas: str = "") -> str:
    expires = f"<expires>{when(expires_ms)}</expires>" if expires_ms is not None else ""
    return (f"<info><language>{lang}</language><category>Met</category><event>Flash flood</event>"
            f"<urgency>{urgency}</urgency><severity>{severity}</severity><certainty>Likely</certainty>"
            f"{expires}<senderName>National Center for Meteorology</senderName>"
            f"<headline>{headline}</headline>{areas}</info>")


def area(desc: str, *, polygon: str | None = None, circle: str | None = None) -> str:
    shapes = f"<polygon>{polygon}</polygon>" if polygon else ""
    shapes += f"<circle>{circle}</circle>" if circle else ""
    return f"<area><areaDesc>{desc}</areaDesc>{shapes}</area>"


def cap(identifier: str, *infos: str, msg_type: str = "Alert", status: str = "Actual",
        references: str = "", sent_ms: int | None = None) -> bytes:
    refs = f"<references>{references}</references>" if references else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
            f"<identifier>{identifier}</identifier><sender>ncm.gov.sa</sender>"
            f"<sent>{when(sent_ms or now_ms())}</sent><status>{status}</status><msgType>{msg_type}</msgType>"
            f"<scope>Public</scope>{refs}{''.join(infos)}</alert>").encode()


def flood_in_makkah(identifier: str = "NCM-2026-0412", hours: float = 3.0, **more: object) -> bytes:
    expires = now_ms() + int(hours * 3_600_000)
    shape = area("مكة المكرمة / Makkah", polygon=MAKKAH_POLYGON)
    return cap(identifier,
               info("ar-SA", "تحذير من سيول في مكة المكرمة", expires_ms=expires, areas=shape),
               info("en-US", "Flash flood warning for Makkah", expires_ms=expires, areas=shape), **more)


def post(http, body: bytes, token: str | None = None):  # noqa: ANN001, ANN201 - Flask's test client
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.post("/api/v1/cap", data=body, headers=headers, content_type="application/cap+xml")


def official(settings: Settings, scope: Scope | None = None, now: int | None = None) -> list[dict]:
    store = Store.from_settings(settings)
    layer = by_key("official")
    if now is None:
        return layer.data(store.layers, scope or Scope())["features"]
    from layers.official import features
    return features(store.capin.in_force(now), scope or Scope())


# --- valid documents ------------------------------------------------------------------------------------


def test_a_polygon_alert_is_drawn_with_its_severity_headlines_and_expiry(
    client: redis.Redis, settings: Settings
) -> None:
    http = create_app(settings).test_client()
    answer = post(http, flood_in_makkah())
    assert answer.status_code == 202, answer.get_json()
    body = answer.get_json()
    assert body["stored"] is True and body["regions"] == ["SA-02"] and body["severity"] == "Severe"
    assert body["areas"] == 1  # the same area in both languages' blocks: kept once
    (feature,) = official(settings)
    props = feature["properties"]
    assert feature["geometry"]["type"] == "Polygon" and len(feature["geometry"]["coordinates"][0]) == 5
    assert feature["geometry"]["coordinates"][0][0] == [39.75, 21.35]  # lon, lat
    assert props["headline"] == {"ar": "تحذير من سيول في مكة المكرمة", "en": "Flash flood warning for Makkah"}
    assert (props["severity"], props["urgency"], props["region"]) == ("Severe", "Immediate", "SA-02")
    assert props["expires_text"]["en"].count(":") == 1 and props["expires_text"]["ar"][0] in "٠١٢٣٤٥٦٧٨٩"
    assert official(settings, Scope.parse("SA-01")) == []  # not Riyadh's


def test_a_circle_becomes_a_polygon_and_the_most_severe_block_wins(
    client: redis.Redis, settings: Settings
) -> None:
    http = create_app(settings).test_client()
    later = now_ms() + 2 * 3_600_000
    body = cap("NCM-2026-0413",
               info("en-US", "Dust storm", severity="Moderate", urgency="Expected", expires_ms=later,
                    areas=area("Riyadh", circle=RIYADH_CIRCLE)),
               info("ar-SA", "عاصفة ترابية", severity="Extreme", urgency="Future", expires_ms=later + 60_000,
                    areas=area("الرياض", circle=RIYADH_CIRCLE)))
    answer = post(http, body)
    assert answer.status_code == 202 and answer.get_json()["regions"] == ["SA-01"]
    (feature,) = official(settings)
    ring = feature["geometry"]["coordinates"][0]
    assert len(ring) == 65 and ring[0] == ring[-1]  # 64 sides, closed
    lons = [lon for lon, _lat in ring]
    assert min(lons) < 46.6753 < max(lons)
    assert max(lons) - min(lons) == pytest.approx(0.196, abs=0.01)  # 20 km across
    props = feature["properties"]
    assert (props["severity"], props["urgency"]) == ("Extreme", "Expected")
    assert props["expires"] // 1000 == (later + 60_000) // 1000  # the latest expiry of the blocks


def test_update_replaces_and_cancel_removes(client: redis.Redis, settings: Settings) -> None:
    http = create_app(settings).test_client()
    assert post(http, flood_in_makkah("NCM-1")).status_code == 202
    update = flood_in_makkah("NCM-2", msg_type="Update",
                             references="ncm.gov.sa,NCM-1,2026-12-04T10:00:00+03:00")
    assert post(http, update).status_code == 202
    assert [f["properties"]["ref"] for f in official(settings)] == ["ncm.gov.sa,NCM-2"]
    cancel = cap("NCM-3", msg_type="Cancel", references="ncm.gov.sa,NCM-2,2026-12-04T10:05:00+03:00")
    answer = post(http, cancel)
    assert answer.status_code == 202 and answer.get_json()["cancelled"] == ["ncm.gov.sa,NCM-2"]
    assert official(settings) == []


def test_expired_alerts_leave_the_map(client: redis.Redis, settings: Settings) -> None:
    http = create_app(settings).test_client()
    gone = post(http, flood_in_makkah("NCM-OLD", hours=-1))
    assert gone.status_code == 202 and gone.get_json()["stored"] is False
    assert "already expired" in gone.get_json()["reason"]
    assert post(http, flood_in_makkah("NCM-NOW", hours=2)).status_code == 202
    assert len(official(settings)) == 1
    # the same store read at a later clock: past its expiry, the alert is no longer in force
    assert official(settings, now=now_ms() + 3 * 3_600_000) == []
    assert len(official(settings, now=now_ms() + 3_600_000)) == 1


def test_an_alert_without_expires_lasts_the_configured_hours(client: redis.Redis, settings: Settings) -> None:
    http = create_app(settings).test_client()
    sent = now_ms()
    body = cap("NCM-NOEXP", info("en-US", "Heat", areas=area("Makkah", polygon=MAKKAH_POLYGON)), sent_ms=sent)
    assert post(http, body).status_code == 202
    (feature,) = official(settings)
    assert feature["properties"]["expires"] // 1000 == (sent + 6 * 3_600_000) // 1000


@pytest.mark.parametrize(("status", "why"), [("Test", "status Test"), ("Draft", "status Draft")])
def test_tests_and_drafts_are_taken_but_not_drawn(
    client: redis.Redis, settings: Settings, status: str, why: str
) -> None:
    answer = post(create_app(settings).test_client(), flood_in_makkah(status=status))
    body = answer.get_json()
    assert answer.status_code == 202 and body["stored"] is False and why in body["reason"]
    assert official(settings) == []


# --- invalid and hostile documents ---------------------------------------------------------------------


@pytest.mark.parametrize(("body", "reason"), [
    (b"<alert", "not well-formed XML"),
    (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "not a CAP 1.2 alert"),
    (flood_in_makkah().replace(b"<urgency>Immediate</urgency>", b"<urgency>Soon</urgency>"),
     "/alert/info[1]/urgency: value must be one of ['Immediate', 'Expected', 'Future', 'Past', 'Unknown']"),
    (flood_in_makkah().replace(b"<status>Actual</status>", b""), "Tag 'cap:status' expected"),
    (flood_in_makkah().replace(MAKKAH_POLYGON.encode(), b"21.35,39.75 21.35,39.95 21.50,39.95"),
     "a CAP polygon is at least four lat,lon pairs, the first and last the same"),
    (cap("X", info("en-US", "x", areas=area("x", circle="24.7,46.6"))), "a CAP circle is 'lat,lon radius'"),
    (cap("X", info("en-US", "x", areas=area("x", polygon="91,39 91,40 92,40 91,39"))),
     "lies outside the globe"),
])
def test_an_invalid_document_is_400_with_its_reason_and_recorded(
    client: redis.Redis, settings: Settings, body: bytes, reason: str
) -> None:
    answer = post(create_app(settings).test_client(), body)
    assert answer.status_code == 400 and reason in answer.get_json()["error"], answer.get_json()
    (_id, rejected), = Store.from_settings(settings).rejected.newest(1)
    assert rejected["stream"] == "ingress:cap" and reason in rejected["reason"]
    assert official(settings) == []


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&secret;</identifier></alert>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_hostile_xml_is_refused_before_anything_is_expanded(
    client: redis.Redis, settings: Settings, body: bytes
) -> None:
    answer = post(create_app(settings).test_client(), body)
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error.startswith("refused: DTDForbidden") and "billion-laughs and XXE" in error
    assert "root:" not in error and "lollol" not in error
    (_id, rejected), = Store.from_settings(settings).rejected.newest(1)
    assert "DTDForbidden" in rejected["reason"]


def test_a_document_over_the_size_limit_is_413(client: redis.Redis, settings: Settings) -> None:
    small = settings.model_copy(update={"ingress_max_bytes": 4096})
    answer = post(create_app(small).test_client(), flood_in_makkah() + b" " * 5000)
    assert answer.status_code == 413


# --- scope ----------------------------------------------------------------------------------------------


@pytest.fixture
def secured(settings: Settings, tmp_path: Path) -> tuple:
    path = tmp_path / "users.toml"
    edit = UsersFile(path)
    secrets = {"makkah-civil-defense": new_token(), "ncm": new_token()}
    for name, regions in (("makkah-civil-defense", ["SA-02"]), ("ncm", None)):
        edit.put("tokens", name, "producer", regions, None, hash_token(secrets[name]))
    edit.save()
    current = settings.model_copy(update={"auth_mode": "password", "users_file": path,
                                          "secret_key": SecretStr("k" * 40)})
    return create_app(current).test_client(), current, secrets


def test_a_producer_posts_only_alerts_whose_areas_lie_in_its_scope(client: redis.Redis, secured) -> None:
    http, settings, secrets = secured
    assert post(http, flood_in_makkah()).status_code == 401
    assert post(http, flood_in_makkah(), secrets["makkah-civil-defense"]).status_code == 202
    riyadh = cap("NCM-R", info("en-US", "Dust", expires_ms=now_ms() + 3_600_000,
                               areas=area("Riyadh", circle=RIYADH_CIRCLE)))
    answer = post(http, riyadh, secrets["makkah-civil-defense"])
    assert answer.status_code == 403
    assert "outside the producer's scope: the alert's areas touch SA-01" in answer.get_json()["error"]
    (_id, rejected), = Store.from_settings(settings).rejected.newest(1)
    assert rejected["stream"] == "ingress:cap" and "makkah-civil-defense" in rejected["fields"]
    # a national authority's token may; and may not cancel for others beyond a Makkah token's scope
    assert post(http, riyadh, secrets["ncm"]).status_code == 202
    cancel = cap("NCM-C", msg_type="Cancel", references="ncm.gov.sa,NCM-R,2026-12-04T10:00:00+03:00")
    assert post(http, cancel, secrets["makkah-civil-defense"]).status_code == 403
    assert {f["properties"]["region"] for f in official(settings)} == {"SA-01", "SA-02"}
    events = [f for _i, f in client.xrange(f"{settings.stream_prefix}:audit") if f["event"] == "ingress"]
    assert [(e["user"], e["source"], e["status"]) for e in events] == [
        ("makkah-civil-defense", "cap", "202"), ("makkah-civil-defense", "cap", "403"), ("ncm", "cap", "202"),
        ("makkah-civil-defense", "cap", "403")]


# --- the feed poller ---------------------------------------------------------------------------------------


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server of ``tmp_path`` (the feed's files), on a free loopback port."""
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path), **k)  # noqa: E731
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None  # quiet
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()


def test_the_feed_poller_takes_new_and_changed_documents_once(
    client: redis.Redis, settings: Settings, feed_server: tuple[str, Path]
) -> None:
    url, folder = feed_server
    (folder / "a.cap").write_bytes(flood_in_makkah("NCM-A"))
    riyadh = cap("NCM-B", info("en-US", "Dust", expires_ms=now_ms() + 3_600_000,
                               areas=area("Riyadh", circle=RIYADH_CIRCLE)))
    (folder / "b.xml").write_bytes(riyadh)
    (folder / "feed.atom").write_text(
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>NCM</title>'
        '<entry><title>a</title><link rel="alternate" type="application/cap+xml" href="a.cap"/></entry>'
        '<entry><title>b</title><link href="/b.xml"/></entry>'
        '<entry><title>elsewhere</title><link type="application/cap+xml" href="http://192.0.2.1/x.cap"/></entry>'
        "</feed>")
    current = settings.model_copy(update={"cap_feed_url": f"{url}/feed.atom"})
    store = Store.from_settings(current)
    feed = CapFeed(Ingress(store, current), current, Producer("cap-feed", Scope(), via="config"))
    first = feed.poll_once()
    assert (first.documents, first.taken, first.refused, first.error) == (2, 2, 0, None)  # not the other host
    assert {f["properties"]["region"] for f in official(current)} == {"SA-01", "SA-02"}
    audited = len(store.audit.recent(100))
    second = feed.poll_once()
    assert (second.taken, second.unchanged) == (0, 2) and len(store.audit.recent(100)) == audited
    (folder / "a.cap").write_bytes(flood_in_makkah("NCM-A", hours=5))  # changed: taken again
    assert feed.poll_once().taken == 1
    # a feed that is itself one CAP document
    one = settings.model_copy(update={"cap_feed_url": f"{url}/b.xml"})
    poller = CapFeed(Ingress(store, one), one, Producer("cap-feed", Scope(), via="config"))
    assert poller.poll_once().taken == 1


def test_a_feed_that_cannot_be_read_says_why(client: redis.Redis, settings: Settings,
                                            feed_server: tuple[str, Path]) -> None:
    url, folder = feed_server
    (folder / "page.html").write_text("<html><body>not a feed</body></html>")
    for path, why in (("missing.atom", "404"), ("page.html", "neither a CAP alert nor an Atom or RSS index")):
        current = settings.model_copy(update={"cap_feed_url": f"{url}/{path}"})
        poll = CapFeed(Ingress(Store.from_settings(current), current),
                       current, Producer("cap-feed", Scope(), via="config")).poll_once()
        assert poll.taken == 0 and why in (poll.error or "")
