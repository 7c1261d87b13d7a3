"""Every user-facing string of the pages, in Arabic and English, and the formatting of numbers and times.

Arabic comes first: it is the default language, and each entry lists it first. Strings are looked up
with :func:`t`; a missing key is a ``KeyError`` (a bug to catch in tests, not a blank on the wall).
Numbers and times follow the conventions of each language: Arabic uses Arabic-Indic digits and the
Arabic separators (``١٬٢٣٤٫٥``, ``٩٠٪``), English the usual ones. Times are shown in Asia/Riyadh
(UTC+3, no daylight saving), the time zone every user of the center works in.

Pure functions and data only: no I/O, nothing read from the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

LANGUAGES: tuple[str, ...] = ("ar", "en")
DEFAULT_LANGUAGE = "ar"
RIYADH = ZoneInfo("Asia/Riyadh")

_ARABIC_DIGITS = str.maketrans("0123456789.,%", "٠١٢٣٤٥٦٧٨٩٫٬٪")

#: key → {"ar": …, "en": …}. Placeholders use ``str.format`` names.
STRINGS: dict[str, dict[str, str]] = {
    # the application
    "app.name": {"ar": "بصيرة", "en": "Basira"},
    "app.tagline": {
        "ar": "مركز العمليات الأمنية الموحد ٩١١ · الصورة الحية",
        "en": "Unified 911 operations · live picture",
    },
    "lang.toggle": {"ar": "اللغة", "en": "Language"},
    "demo.badge": {"ar": "بيانات تجريبية · synthetic data", "en": "synthetic data · بيانات تجريبية"},
    "demo.title": {
        "ar": "هذه بيانات مُولَّدة للعرض، وليست بيانات تشغيلية",
        "en": "Generated data for demonstration, not operational data",
    },
    # the time of the data
    "asof.label": {"ar": "البيانات حتى", "en": "Data as of"},
    "asof.zone": {"ar": "بتوقيت الرياض", "en": "Riyadh time"},
    "asof.none": {"ar": "لا توجد بيانات بعد", "en": "No data yet"},
    "state.live": {"ar": "مباشر", "en": "Live"},
    "state.stale": {"ar": "بيانات قديمة", "en": "Stale data"},
    "state.empty": {"ar": "بانتظار البيانات", "en": "Waiting for data"},
    "state.down": {"ar": "المخزن غير متاح", "en": "Store unreachable"},
    "stale.banner": {
        "ar": "تنبيه: البيانات المعروضة قديمة — آخر تحديث قبل {age}",
        "en": "Warning: the picture is stale — last update {age} ago",
    },
    "down.banner": {
        "ar": "تنبيه: تعذّر الاتصال بمخزن البيانات — الصورة المعروضة ليست حية",
        "en": "Warning: the data store cannot be reached — this picture is not live",
    },
    "lost.banner": {
        "ar": "تنبيه: انقطع الاتصال بالخادم — الصورة المعروضة ليست حية",
        "en": "Warning: the connection to the server is lost — this picture is not live",
    },
    "empty.banner": {
        "ar": "لم تصل أي أحداث بعد — تحقق من عامل الاستقبال والمصادر",
        "en": "No events have arrived yet — check the ingest worker and the producers",
    },
    # KPI strip
    "kpi.open": {"ar": "البلاغات المفتوحة", "en": "Open incidents"},
    "kpi.units": {"ar": "الوحدات", "en": "Units"},
    "kpi.dispatch": {"ar": "من الاتصال إلى التوجيه", "en": "Call to dispatch"},
    "kpi.response": {"ar": "من الاتصال إلى الوصول", "en": "Call to on scene"},
    "kpi.answered": {"ar": "مكالمات أُجيبت خلال ١٥ ث", "en": "Calls answered ≤ 15 s"},
    "kpi.ports": {"ar": "المسافرون عبر المنافذ · آخر ساعة", "en": "Port travellers · last hour"},
    "kpi.median": {"ar": "الوسيط", "en": "median"},
    "kpi.p90": {"ar": "المئين ٩٠: {value}", "en": "90th pct: {value}"},
    "kpi.target": {"ar": "المعيار ٩٠٪ · {calls} مكالمة/ساعة", "en": "target 90% · {calls} calls/h"},
    "kpi.na": {"ar": "—", "en": "—"},
    # units of time
    "unit.s": {"ar": "{n} ث", "en": "{n} s"},
    "unit.min_s": {"ar": "{m} د {s} ث", "en": "{m} min {s} s"},
    "unit.h_min": {"ar": "{h} س {m} د", "en": "{h} h {m} min"},
    "unit.d_h": {"ar": "{d} يوم {h} س", "en": "{d} d {h} h"},
    # legends and popups
    "legend.title": {"ar": "مفتاح الخريطة", "en": "Legend"},
    "popup.opened": {"ar": "فُتح", "en": "Opened"},
    "popup.units": {"ar": "الوحدات", "en": "Units"},
    "popup.speed": {"ar": "السرعة", "en": "Speed"},
    "popup.kmh": {"ar": "كم/س", "en": "km/h"},
    "popup.incident": {"ar": "البلاغ", "en": "Incident"},
    "popup.heading": {"ar": "الاتجاه", "en": "Heading"},
    "popup.region": {"ar": "المنطقة", "en": "Region"},
    "popup.outside": {"ar": "خارج المناطق", "en": "Outside the regions"},
    # layers
    "layer.basemap": {"ar": "الخريطة الأساسية", "en": "Basemap"},
    "layer.incidents": {"ar": "البلاغات", "en": "Incidents"},
    "layer.units": {"ar": "الوحدات الميدانية", "en": "Field units"},
    "basemap.region": {"ar": "حدود المناطق", "en": "Region boundaries"},
    "basemap.neighbour": {"ar": "الدول المجاورة", "en": "Neighbouring countries"},
    "basemap.sea": {"ar": "البحر", "en": "Sea"},
    "cluster.legend": {
        "ar": "مجموعة بلاغات (بلون أعلى أولوية فيها)",
        "en": "Cluster (colour of its most urgent)",
    },
    "unit.heading_legend": {"ar": "السهم يشير إلى اتجاه الحركة", "en": "Arrow points along the heading"},
    # priorities
    "priority.1": {"ar": "أولوية ١ · حرجة", "en": "Priority 1 · critical"},
    "priority.2": {"ar": "أولوية ٢ · عالية", "en": "Priority 2 · high"},
    "priority.3": {"ar": "أولوية ٣ · متوسطة", "en": "Priority 3 · medium"},
    "priority.4": {"ar": "أولوية ٤ · منخفضة", "en": "Priority 4 · low"},
    "priority.short": {"ar": "أ{n}", "en": "P{n}"},
    # agencies
    "agency.patrol": {"ar": "الدوريات الأمنية", "en": "Security patrols"},
    "agency.traffic": {"ar": "المرور", "en": "Traffic police"},
    "agency.road_security": {"ar": "أمن الطرق", "en": "Road security"},
    "agency.civil_defense": {"ar": "الدفاع المدني", "en": "Civil defense"},
    "agency.red_crescent": {"ar": "الهلال الأحمر", "en": "Red Crescent"},
    # incident status
    "incident_status.new": {"ar": "جديد", "en": "New"},
    "incident_status.dispatched": {"ar": "تم التوجيه", "en": "Dispatched"},
    "incident_status.on_scene": {"ar": "في الموقع", "en": "On scene"},
    "incident_status.closed": {"ar": "مغلق", "en": "Closed"},
    # unit status
    "unit_status.available": {"ar": "متاحة", "en": "Available"},
    "unit_status.dispatched": {"ar": "موجّهة", "en": "Dispatched"},
    "unit_status.on_scene": {"ar": "في الموقع", "en": "On scene"},
    "unit_status.out_of_service": {"ar": "خارج الخدمة", "en": "Out of service"},
    # categories
    "category.fire": {"ar": "حريق", "en": "Fire"},
    "category.collision": {"ar": "حادث مروري", "en": "Collision"},
    "category.theft": {"ar": "سرقة", "en": "Theft"},
    "category.medical": {"ar": "حالة طبية", "en": "Medical"},
    "category.assault": {"ar": "اعتداء", "en": "Assault"},
    "category.flood": {"ar": "سيول", "en": "Flood"},
    "category.rescue": {"ar": "إنقاذ", "en": "Rescue"},
    "category.hazmat": {"ar": "مواد خطرة", "en": "Hazardous materials"},
    "category.road_hazard": {"ar": "خطر على الطريق", "en": "Road hazard"},
    "category.breakdown": {"ar": "تعطل مركبة", "en": "Vehicle breakdown"},
    "category.disturbance": {"ar": "إخلال بالأمن", "en": "Disturbance"},
    "category.missing_person": {"ar": "شخص مفقود", "en": "Missing person"},
    "category.suspicious": {"ar": "اشتباه", "en": "Suspicious activity"},
    "category.vandalism": {"ar": "تخريب", "en": "Vandalism"},
    "category.traffic_violation": {"ar": "مخالفة مرورية", "en": "Traffic violation"},
    "category.other": {"ar": "أخرى", "en": "Other"},
}


def lang_or(value: object, default: str = DEFAULT_LANGUAGE) -> str:
    """``value`` when it names a supported language, else ``default`` (for untrusted input)."""
    return value if isinstance(value, str) and value in LANGUAGES else default


def direction(lang: str) -> str:
    """The text direction of ``lang``: ``rtl`` for Arabic, ``ltr`` for English."""
    return "rtl" if lang == "ar" else "ltr"


def t(key: str, lang: str, **values: object) -> str:
    """The string ``key`` in ``lang``, with ``values`` filled in. Raises ``KeyError`` for unknown keys."""
    text = STRINGS[key][lang]
    return text.format(**values) if values else text


def group(prefix: str, lang: str) -> dict[str, str]:
    """All strings whose key starts with ``prefix.``, keyed by the rest (``group("agency", "en")``)."""
    cut = len(prefix) + 1
    return {key[cut:]: texts[lang] for key, texts in STRINGS.items() if key.startswith(prefix + ".")}


def bilingual(key: str) -> Mapping[str, str]:
    """Both languages of ``key`` (for titles that carry both, such as a layer's)."""
    return STRINGS[key]


def missing() -> list[str]:
    """Keys that lack a language or have an empty text (the tests keep this empty)."""
    return [key for key, texts in STRINGS.items() if any(not texts.get(lang) for lang in LANGUAGES)]


# --- numbers and times ---------------------------------------------------------------------------


def digits(text: str, lang: str) -> str:
    """``text`` with Western digits and separators turned into Arabic ones for Arabic."""
    return text.translate(_ARABIC_DIGITS) if lang == "ar" else text


def fmt_int(value: float | None, lang: str) -> str:
    """A whole number with thousands separators (``12,345`` / ``١٢٬٣٤٥``); ``—`` for ``None``."""
    if value is None:
        return t("kpi.na", lang)
    return digits(f"{round(value):,}", lang)


def fmt_percent(share: float | None, lang: str, decimals: int = 0) -> str:
    """A share in 0..1 as a percentage (``92%`` / ``٩٢٪``); ``—`` for ``None``."""
    if share is None:
        return t("kpi.na", lang)
    return digits(f"{share * 100:.{decimals}f}%", lang)


def fmt_duration(seconds: float | None, lang: str) -> str:
    """A duration as people say it: ``45 s``, ``4 min 12 s``, ``1 h 5 min``, ``2 d 3 h``."""
    if seconds is None:
        return t("kpi.na", lang)
    total = max(0, round(seconds))
    if total < 60:
        text = t("unit.s", lang, n=total)
    elif total < 3600:
        text = t("unit.min_s", lang, m=total // 60, s=total % 60)
    elif total < 86_400:
        text = t("unit.h_min", lang, h=total // 3600, m=total % 3600 // 60)
    else:
        text = t("unit.d_h", lang, d=total // 86_400, h=total % 86_400 // 3600)
    return digits(text, lang)


def riyadh(epoch_ms: int) -> datetime:
    """The instant ``epoch_ms`` as an aware datetime in Asia/Riyadh."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=RIYADH)


def fmt_clock(epoch_ms: int | None, lang: str) -> str:
    """The time of day in Riyadh, ``14:05:32`` / ``١٤:٠٥:٣٢``; ``—`` for ``None``."""
    if epoch_ms is None:
        return t("kpi.na", lang)
    return digits(riyadh(epoch_ms).strftime("%H:%M:%S"), lang)


def fmt_date(epoch_ms: int | None, lang: str) -> str:
    """The Gregorian date in Riyadh, ``2024-06-15`` / ``٢٠٢٤-٠٦-١٥``; ``—`` for ``None``."""
    if epoch_ms is None:
        return t("kpi.na", lang)
    return digits(riyadh(epoch_ms).strftime("%Y-%m-%d"), lang)
