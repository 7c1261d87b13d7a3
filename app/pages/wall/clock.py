"""The wall's clock: the time in Riyadh, with the date in the Hijri (Umm al-Qura) and Gregorian calendars.

Dates are computed here, on the server, with ``hijridate`` (the Umm al-Qura calendar the Kingdom
uses officially), in the viewer's language: ``السبت ٨ جمادى الآخرة ١٤٤٨ هـ`` and ``٢٨ نوفمبر ٢٠٢٦ م``,
or ``Saturday 8 Jumada al-Akhirah 1448 AH`` and ``28 November 2026``. The seconds of the time tick
in the browser (``basira.wall`` ``clock`` in ``assets/wall.js``), so the clock keeps running when
the server is slow; the server only has to redraw the dates, which change once a day.
"""

from __future__ import annotations

from dash import html
from dash.development.base_component import Component
from hijridate import Gregorian

from app.i18n import digits, fmt_clock, riyadh


def hijri_date(epoch_ms: int, lang: str) -> str:
    """The Umm al-Qura date of the Riyadh day of ``epoch_ms`` with its weekday; ``""`` outside the
    calendar's range (1343–1500 AH, i.e. 1924–2077), where only the Gregorian date is shown."""
    day = riyadh(epoch_ms).date()
    try:
        hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    except (OverflowError, ValueError):
        return ""
    text = f"{hijri.day_name(lang)} {hijri.day} {hijri.month_name(lang)} {hijri.year} {hijri.notation(lang)}"
    return digits(text, lang)


def gregorian_date(epoch_ms: int, lang: str) -> str:
    """The Gregorian date of the Riyadh day of ``epoch_ms``: ``٢٨ نوفمبر ٢٠٢٦ م`` / ``28 November 2026``."""
    day = riyadh(epoch_ms).date()
    gregorian = Gregorian(day.year, day.month, day.day)
    era = f" {gregorian.notation('ar')}" if lang == "ar" else ""
    return digits(f"{day.day} {gregorian.month_name(lang)} {day.year}{era}", lang)


def dates(epoch_ms: int, lang: str) -> list[Component]:
    """The two date lines of the clock, Hijri first (as the Kingdom writes them)."""
    return [
        html.Div(hijri_date(epoch_ms, lang), className="mode-clock-hijri", lang=lang),
        html.Div(gregorian_date(epoch_ms, lang), className="mode-clock-gregorian", lang=lang),
    ]


def clock(id_prefix: str, epoch_ms: int, lang: str) -> html.Div:
    """The clock block: ``<prefix>-time`` (ticked in the browser) over ``<prefix>-dates``."""
    return html.Div(
        className="mode-clock",
        children=[
            html.Time(fmt_clock(epoch_ms, lang), id=f"{id_prefix}-time", className="mode-clock-time"),
            html.Div(dates(epoch_ms, lang), id=f"{id_prefix}-dates", className="mode-clock-dates"),
        ],
    )
