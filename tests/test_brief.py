"""The leadership brief served by the real app (create_app, a real Redis for access control) from a
real Parquet archive: the page in both languages with its figures, the PDF made in-process (read
back with pypdf), bad dates, days outside the archive, today's window, scope and access control.

The archive is :mod:`tests.archive_day`'s (its figures worked out by hand there).
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest
from pydantic import SecretStr
from pypdf import PdfReader

from app import create_app
from app.archive.stats import HOUR_MS
from app.auth.users import UsersFile, hash_token, new_token
from app.brief import model
from tests.archive_day import DAY, Archive, build
from tests.helpers import quick_hash

TOKENS = {"lead": "leadership", "dammam": "commander", "wall1": "wall"}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("archive"))


@pytest.fixture
def app(settings, archive):
    current = settings.model_copy(update={"archive_dir": archive})
    return create_app(current)


def text_of(html: str) -> str:
    """The page's visible words, tags removed and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def embedded_fonts(reader: PdfReader) -> set[str]:
    """The fonts a PDF carries inside it (a TrueType file in each one's descriptor), by name."""
    names = set()
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is not None and "/FontFile2" in descriptor.get_object():
                    names.add(str(descendant.get_object()["/BaseFont"]).split("+")[-1])
    return names


def brief(http, lang: str, **params) -> tuple[int, str]:
    query = {"date": DAY.isoformat(), "lang": lang, **params}
    response = http.get("/brief", query_string=query)
    return response.status_code, response.get_data(as_text=True)


def test_the_brief_in_english_carries_the_days_figures(app) -> None:
    http = app.test_client()
    response = http.get("/brief", query_string={"date": DAY.isoformat(), "lang": "en"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in html
    words = text_of(html)
    assert "Leadership brief" in words and "Covers: Saudi Arabia" in words
    assert "Tue 2026-03-10 · 21 Ramadan 1447 · 00:00–24:00 Riyadh time" in words
    # the tiles: 6 opened (+3 on a week earlier); call-to-dispatch p90 810 s, call-to-scene p90 1,500 s
    tiles = re.findall(r'data-tile="\d".*?tile-value"><bdi>([^<]+)<', html, re.S)
    assert tiles == ["6", "13 min 30 s", "25 min", "4", "820"]
    assert "vs a week earlier: +3 (+100%)" in words
    assert "median 1 min 15 s · target 1 min 30 s · 67% within" in words
    assert 'class="brief-tile tile-near"' in html and 'class="brief-tile tile-misses"' in html
    # the five most serious incidents, in order, with their times against the targets
    assert re.findall(r'data-incident="([^"]+)"', html) == ["C", "A", "E", "B", "G"]
    assert "Dispatched 01:01 (after 1 min)" in words and "On scene 01:08 (after 8 min)" in words
    assert "U1, U2, U9" in words and "U1 arrived 7 min after assignment" in words
    assert "Still open" in words  # G
    # regions, ports, compare
    assert "Riyadh" in words and "1 min 24 s" in words  # Riyadh's dispatch p90
    assert "King Fahd Causeway" in words and "09:00 · 300" in words and "70 / 15 min" in words
    assert "over target in 2 h" in words
    assert "A week earlier (Tue 2026-03-03 · 14 Ramadan 1447)" in words
    assert "A Hijri year earlier (Fri 2025-03-21 · 21 Ramadan 1446)" in words
    assert "+720 (+720%)" in words
    assert html.count("<svg") >= 1 + 2 + 13 + 5 + 2  # hours, two tile meters, regions, strips, ports
    assert "Traceback" not in html and "<script" not in html


def test_the_stylesheet_and_the_font_are_served_from_this_server(app) -> None:
    http = app.test_client()
    css = http.get("/brief/static/brief.css")
    assert css.status_code == 200 and "@page" in css.get_data(as_text=True)
    assert 'url("/assets/fonts/DejaVuSans.ttf")' in css.get_data(as_text=True)
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        font = http.get(f"/assets/fonts/{name}")
        assert font.status_code == 200 and font.data[:4] == b"\x00\x01\x00\x00"  # a TrueType file
        font.close()


def test_the_brief_in_arabic_runs_right_to_left(app) -> None:
    status, html = brief(app.test_client(), "ar")
    assert status == 200
    assert '<html lang="ar" dir="rtl">' in html
    words = text_of(html)
    assert "الموجز القيادي" in words and "المملكة العربية السعودية" in words
    tiles = re.findall(r'data-tile="\d".*?tile-value"><bdi>([^<]+)<', html, re.S)
    assert tiles == ["٦", "١٣ د ٣٠ ث", "٢٥ د", "٤", "٨٢٠"]
    assert "٢١ رمضان ١٤٤٧" in words and "جسر الملك فهد" in words
    assert re.findall(r'data-incident="([^"]+)"', html) == ["C", "A", "E", "B", "G"]
    assert 'href="/brief?date=2026-03-10&amp;lang=en"' in html  # the other language
    assert 'href="/brief.pdf?date=2026-03-10&amp;lang=ar"' in html  # the PDF


def test_the_pdf_carries_the_same_figures(app) -> None:
    http = app.test_client()
    for lang, needles in (
        ("en", ["Leadership brief", "13 min 30 s", "820", "King Fahd Causeway", "Still open",
                "What changed", "+720 (+720%)"]),
        ("ar", ["الموجز القيادي", "جسر الملك فهد"]),
    ):
        response = http.get("/brief.pdf", query_string={"date": DAY.isoformat(), "lang": lang})
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert f'filename="basira-brief-2026-03-10-{lang}.pdf"' in response.headers["Content-Disposition"]
        reader = PdfReader(io.BytesIO(response.data))
        assert 1 <= len(reader.pages) <= 2
        for page in reader.pages:  # A4: 595 × 842 pt
            assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        text = "\n".join(page.extract_text() for page in reader.pages)
        for needle in needles:
            assert needle in text, (lang, needle)
        assert embedded_fonts(reader) == {"DejaVuSansBook", "DejaVuSansBold"}


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-02-30", "yesterday", "10/03/2026", "<script>x</script>",
                                 "2026-03-10T00:00"])
def test_a_bad_date_is_a_400_page_in_both_languages(app, bad) -> None:
    for path in ("/brief", "/brief.pdf"):
        response = app.test_client().get(path, query_string={"date": bad, "lang": "en"})
        assert response.status_code == 400 and response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        assert "Not a valid date" in html and "تاريخ غير صالح" in html
        assert "YYYY-MM-DD" in html and "Traceback" not in html and "<script>x" not in html


def test_a_day_outside_the_archive_says_so(app, archive) -> None:
    response = app.test_client().get("/brief", query_string={"date": "2020-01-01", "lang": "en"})
    assert response.status_code == 404
    words = text_of(response.get_data(as_text=True))
    assert "No archive for that day" in words and "لا أرشيف لذلك اليوم" in words
    assert "The archive holds nothing for 2020-01-01." in words
    assert "The archive reaches from 2025-03-21 to 2026-03-11." in words
    assert app.test_client().get("/brief.pdf", query_string={"date": "2030-01-01"}).status_code == 404


def test_an_unreadable_archive_is_a_503_page_not_a_traceback(settings, tmp_path, caplog) -> None:
    root = build(tmp_path / "archive")
    folder = next((root / "stream=incidents" / f"date={DAY.isoformat()}").glob("hour=*"))
    (folder / "part-0-0_0-0.parquet").write_bytes(b"not a parquet file")  # a damaged disk, say
    app = create_app(settings.model_copy(update={"archive_dir": root}))
    for path in ("/brief", "/brief.pdf"):
        response = app.test_client().get(path, query_string={"date": DAY.isoformat(), "lang": "ar"})
        assert response.status_code == 503 and response.headers["Retry-After"] == "30"
        html = response.get_data(as_text=True)
        assert "تعذّرت قراءة الأرشيف" in html and "The archive cannot be read" in html
        assert "Traceback" not in html and "parquet" not in html.lower()
    assert "the brief for 2026-03-10 could not be made" in caplog.text  # the operator's log has it


def test_the_brief_of_today_covers_the_24_hours_ending_now(settings, tmp_path) -> None:
    now = int(time.time() * 1000)
    archive = Archive()
    archive.life("T1", "SA-01", "patrol", "theft", 2, now - 30 * HOUR_MS // 10, 40, 300, 900, "U1")
    archive.life("T0", "SA-01", "patrol", "theft", 2, now - 30 * HOUR_MS, 40, 300, 900, "U1")  # too old
    archive.write(tmp_path)
    app = create_app(settings.model_copy(update={"archive_dir": tmp_path}))
    response = app.test_client().get("/brief", query_string={"lang": "en"})  # no date: today
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    words = text_of(html)
    assert "The 24 hours to " in words and " Riyadh time" in words
    assert re.findall(r'data-tile="0".*?tile-value"><bdi>([^<]+)<', html, re.S) == ["1"]
    assert re.findall(r'data-incident="([^"]+)"', html) == ["T1"]
    assert model.today(now).isoformat() in html


@pytest.fixture
def secured(settings, archive, tmp_path):
    """Password mode, with a leader, a commander of the Eastern Province and a wall, each by token."""
    path = tmp_path / "users.toml"
    edit = UsersFile(path)
    secret = quick_hash("a long enough password")
    tokens = {}
    for name, role in TOKENS.items():
        regions = ["SA-04"] if name == "dammam" else None
        edit.put("users", name, role, regions, None, secret)
        tokens[name] = new_token()
        edit.put("tokens", f"{name}-token", role, regions, None, hash_token(tokens[name]))
    edit.save()
    current = settings.model_copy(update={"archive_dir": archive, "auth_mode": "password", "users_file": path,
                                          "secret_key": SecretStr("k" * 40)})
    return create_app(current), tokens


def test_the_brief_passes_the_gate_and_keeps_to_the_viewers_scope(secured) -> None:
    app, tokens = secured
    http = app.test_client()
    for path in ("/brief", "/brief.pdf", "/brief?date=2026-03-10"):
        anonymous = http.get(path)
        assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=")
    as_leader = {"Authorization": f"Bearer {tokens['lead']}"}
    html = http.get(f"/brief?date={DAY}&lang=en", headers=as_leader).get_data(as_text=True)
    assert re.findall(r'data-incident="([^"]+)"', html) == ["C", "A", "E", "B", "G"]
    # a commander of the Eastern Province: their region only, even when asking for another
    as_commander = {"Authorization": f"Bearer {tokens['dammam']}"}
    for query in (f"date={DAY}&lang=en", f"date={DAY}&lang=en&region=SA-01"):
        response = http.get(f"/brief?{query}", headers=as_commander)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        words = text_of(html)
        assert "Covers: Eastern Province" in words
        assert re.findall(r'data-incident="([^"]+)"', html) == ["D"]
        assert re.findall(r'data-tile="0".*?tile-value"><bdi>([^<]+)<', html, re.S) == ["1"]
        assert re.findall(r'<th scope="row">([^<]+)</th>', html)[:2] == ["Eastern Province",
                                                                         "King Fahd Causeway"]
        assert "Makkah" not in words and "Jeddah" not in words and "King Abdulaziz" not in words
    pdf = http.get(f"/brief.pdf?date={DAY}&lang=en", headers=as_commander)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Eastern Province" in text and "Makkah" not in text and "King Abdulaziz" not in text
    # a wall account is sent to its wall
    wall = http.get("/brief", headers={"Authorization": f"Bearer {tokens['wall1']}"})
    assert wall.status_code == 302 and wall.headers["Location"] == "/wall"
