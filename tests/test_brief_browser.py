"""The leadership brief in a real headless Chromium: it renders in Arabic and English, prints through
Chromium's own print path (the DevTools command ``Page.printToPDF``, the page's ``@page`` A4 rules) to
one or two A4 pages carrying the figures, fits a phone's width, and logs no error (the app's Content
Security Policy included). Served by the real app from :mod:`tests.archive_day`'s Parquet archive.
"""

from __future__ import annotations

import base64
import io
import re
import unicodedata

import pytest
from pypdf import PdfReader
from selenium.webdriver.common.by import By

from tests.archive_day import DAY, build
from tests.browser import console_errors, fresh, js, screenshot, serving, wait_for

pytestmark = pytest.mark.browser

#: What each language's printed brief must say (figures of tests/archive_day.py).
FIGURES = {
    "en": ["Leadership brief", "13 min 30 s", "25 min", "820", "King Fahd Causeway", "What changed"],
    "ar": ["U9", "الموجز القيادي", "جسر الملك فهد"],  # U9: a unit of incident A (Latin, in the Arabic page)
}


def says(text: str, words: str) -> bool:
    """Whether a PDF's extracted ``text`` has ``words``: compared without spaces and with Arabic's
    joined letter forms unjoined (NFKC), in reading order or in the visual order some PDF writers
    store right-to-left text in."""
    def flat(value: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))

    return flat(words) in flat(text) or flat(words)[::-1] in flat(text)


def open_brief(driver, url: str, lang: str) -> None:
    fresh(driver)
    driver.get(f"{url}/brief?date={DAY.isoformat()}&lang={lang}")
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "article.incident"), message="no brief")
    # the shipped font is loaded before anything is measured or printed
    wait_for(driver, lambda d: js(d, "return document.fonts.status === 'loaded' && "
                                     "document.fonts.check('12px \"Basira Brief\"')"), message="font")


def test_the_brief_prints_to_one_or_two_a4_pages_in_both_languages(browser, settings, tmp_path) -> None:
    current = settings.model_copy(update={"archive_dir": build(tmp_path / "archive")})
    with serving(current) as url:
        for lang in ("en", "ar"):
            open_brief(browser, url, lang)
            assert js(browser, "return document.documentElement.dir") == ("rtl" if lang == "ar" else "ltr")
            assert js(browser, "return getComputedStyle(document.body).direction") == (
                "rtl" if lang == "ar" else "ltr")
            assert len(browser.find_elements(By.CSS_SELECTOR, "article.incident")) == 5
            assert len(browser.find_elements(By.CSS_SELECTOR, "svg.brief-chart")) >= 23
            # Arabic: the first tile (incidents opened) sits at the right, English at the left
            first, last = (browser.find_elements(By.CSS_SELECTOR, ".brief-tile")[i].rect for i in (0, -1))
            assert (first["x"] > last["x"]) == (lang == "ar")
            screenshot(browser, f"brief-{lang}")
            printed = browser.execute_cdp_cmd("Page.printToPDF", {
                "printBackground": True, "preferCSSPageSize": True})
            reader = PdfReader(io.BytesIO(base64.b64decode(printed["data"])))
            assert 1 <= len(reader.pages) <= 2, (lang, len(reader.pages))
            for page in reader.pages:  # A4: 595.28 × 841.89 pt
                size = (float(page.mediabox.width), float(page.mediabox.height))
                assert size == pytest.approx((595.28, 841.89), abs=1.5), size
            text = "\n".join(page.extract_text() for page in reader.pages)
            for figure in FIGURES[lang]:
                assert says(text, figure), (lang, figure)
            # the bar (links, the PDF button) is not printed
            assert "Download PDF" not in text and "تنزيل PDF" not in text
            assert console_errors(browser) == []


def test_the_brief_fits_a_phone(phone, settings, tmp_path) -> None:
    current = settings.model_copy(update={"archive_dir": build(tmp_path / "archive")})
    with serving(current) as url:
        for lang in ("ar", "en"):
            open_brief(phone, url, lang)
            # no sideways scrolling of the page: wide tables scroll inside their own box
            assert js(phone, "return document.documentElement.scrollWidth <= window.innerWidth")
            assert js(phone, "return document.body.scrollWidth <= window.innerWidth")
            # the links of the bar are thumb-sized
            for link in phone.find_elements(By.CSS_SELECTOR, ".brief-bar a"):
                assert link.rect["height"] >= 44 and link.rect["width"] >= 44, link.text
            screenshot(phone, f"brief-phone-{lang}")
            assert console_errors(phone) == []
        # the PDF link answers a PDF the browser would download
        href = phone.find_element(By.CSS_SELECTOR, "a.brief-pdf").get_attribute("href")
        assert href.endswith(f"/brief.pdf?date={DAY.isoformat()}&lang=en")
