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
    # access control (app/auth): the sign-in page, the "access control is off" notice, roles
    "auth.off": {
        "ar": "التحكم في الوصول متوقف: كل من يصل إلى هذا الخادم يرى كل البيانات",
        "en": "Access control is off: anyone who can reach this server sees all the data",
    },
    "auth.off_short": {"ar": "الوصول غير محمي", "en": "Access control off"},
    "auth.sign_out": {"ar": "خروج", "en": "Sign out"},
    "auth.title": {"ar": "تسجيل الدخول", "en": "Sign in"},
    "auth.user": {"ar": "اسم المستخدم", "en": "User name"},
    "auth.password": {"ar": "كلمة المرور", "en": "Password"},
    "auth.submit": {"ar": "دخول", "en": "Sign in"},
    "auth.failed": {
        "ar": "اسم المستخدم أو كلمة المرور أو رمز التحقق غير صحيحة",
        "en": "Wrong user name, password or code",
    },
    "auth.code": {"ar": "رمز التحقق", "en": "Verification code"},
    "auth.code_hint": {
        "ar": "الأرقام الستة من تطبيق المصادقة، إن كان لحسابك عامل تحقق ثانٍ",
        "en": "The six digits from your authenticator app, if your account has a second factor",
    },
    "auth.sign_out_ask": {
        "ar": "إنهاء جلستك على هذا الجهاز وعلى الخادم؟",
        "en": "End your session on this device and on the server?",
    },
    "auth.unavailable": {
        "ar": "تعذّر التحقق من تسجيل الدخول الآن: مخزن البيانات غير متاح — أعد المحاولة بعد قليل",
        "en": "Sign-in cannot be checked just now: the data store is unreachable — try again shortly",
    },
    "auth.limited": {
        "ar": "محاولات كثيرة — أعد المحاولة بعد {seconds} ثانية",
        "en": "Too many attempts — try again in {seconds} s",
    },
    "auth.expired": {
        "ar": "انتهت صلاحية النموذج — أعد المحاولة",
        "en": "The form has expired — please try again",
    },
    "auth.signed_out": {"ar": "تم تسجيل خروجك", "en": "You have signed out"},
    "auth.portal": {
        "ar": "يتم الدخول عبر بوابة الدخول الموحد لجهتك",
        "en": "Sign in through your organisation's single sign-on portal",
    },
    "auth.insecure": {
        "ar": "هذا الاتصال غير مشفّر، فلن يحتفظ المتصفح بتسجيل دخولك: استخدم عنوان https",
        "en": "This connection is not encrypted, so the browser will not keep your sign-in: "
        "use the https address",
    },
    "auth.notice": {
        "ar": "للمصرّح لهم فقط · تُسجَّل عمليات الدخول",
        "en": "Authorised users only · sign-ins are recorded",
    },
    "auth.other": {"ar": "English", "en": "العربية"},
    "auth.logout": {"ar": "تسجيل الخروج", "en": "Sign out"},
    "role.wall": {"ar": "شاشة العرض", "en": "Video wall"},
    "role.commander": {"ar": "قائد", "en": "Commander"},
    "role.leadership": {"ar": "القيادة", "en": "Leadership"},
    "role.admin": {"ar": "مسؤول النظام", "en": "Administrator"},
    "role.producer": {"ar": "نظام مُغذٍّ", "en": "Producer system"},
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
    "kpi.dispatch": {"ar": "من الاتصال إلى التوجيه", "en": "Call to dispatch"},
    "kpi.response": {"ar": "من الاتصال إلى الوصول", "en": "Call to on scene"},
    "kpi.answered": {"ar": "مكالمات أُجيبت خلال ١٥ ث", "en": "Calls answered ≤ 15 s"},
    "kpi.median": {"ar": "الوسيط", "en": "median"},
    "kpi.p90": {"ar": "المئين ٩٠: {value}", "en": "90th pct: {value}"},
    "kpi.na": {"ar": "—", "en": "—"},
    # units of time
    "unit.s": {"ar": "{n} ث", "en": "{n} s"},
    "unit.min_s": {"ar": "{m} د {s} ث", "en": "{m} min {s} s"},
    "unit.min": {"ar": "{m} د", "en": "{m} min"},
    "unit.h_min": {"ar": "{h} س {m} د", "en": "{h} h {m} min"},
    "unit.d_h": {"ar": "{d} يوم {h} س", "en": "{d} d {h} h"},
    # legends and popups
    "legend.title": {"ar": "مفتاح الخريطة", "en": "Legend"},
    "popup.opened": {"ar": "فُتح", "en": "Opened"},
    "popup.units": {"ar": "الوحدات", "en": "Units"},
    "popup.future": {"ar": "وقت الحدث في المستقبل", "en": "Event time in the future"},
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
    "basemap.land": {"ar": "اليابسة", "en": "Land"},
    "layer.basemap_light": {"ar": "الخريطة الأساسية الفاتحة", "en": "Light basemap"},
    "basemap.shipped": {
        "ar": "خريطة المملكة المضمّنة (بلا شوارع)",
        "en": "Shipped Kingdom basemap (no streets)",
    },
    "basemap.fallback": {"ar": "تعذّرت قراءة الملف المحدد", "en": "the configured file could not be read"},
    "basemap.configured": {"ar": "الخريطة الأساسية: {name}", "en": "Basemap: {name}"},
    "cluster.legend": {
        "ar": "مجموعة بلاغات (بلون أعلى أولوية فيها)",
        "en": "Cluster (colour of its most urgent)",
    },
    "unit.heading_legend": {"ar": "السهم يشير إلى اتجاه الحركة", "en": "Arrow points along the heading"},
    # layers: regions (choropleth), heatmap, border ports, 911 calls; unit trails and links
    "layer.regions": {"ar": "البلاغات المفتوحة حسب المنطقة", "en": "Open incidents by region"},
    "layer.heatmap": {"ar": "كثافة البلاغات", "en": "Incident density"},
    "layer.ports": {"ar": "المنافذ الحدودية", "en": "Border ports"},
    "layer.calls": {"ar": "مكالمات ٩١١ حسب المنطقة", "en": "911 calls by region"},
    "regions.open": {"ar": "البلاغات المفتوحة", "en": "Open incidents"},
    "regions.p1": {"ar": "منها أولوية ١", "en": "of which priority 1"},
    "regions.rate": {"ar": "لكل ١٠٠ ألف نسمة", "en": "per 100,000 people"},
    "regions.population": {"ar": "السكان", "en": "Population"},
    "regions.switch": {"ar": "البلاغات المفتوحة حسب المنطقة", "en": "Open incidents by region"},
    "regions.measure.rate": {"ar": "لكل ١٠٠ ألف نسمة", "en": "per 100,000 people"},
    "regions.measure.open": {"ar": "العدد", "en": "count"},
    "regions.population_note": {
        "ar": "السكان: مجموع سكان مدن المنطقة التي يبلغ سكانها ١٥ ألفًا فأكثر (GeoNames)، لا التعداد",
        "en": "Population: the region's towns of 15,000+ people (GeoNames), not the census",
    },
    "regions.legend.low": {"ar": "أقل البلاغات المفتوحة", "en": "Fewest open incidents"},
    "regions.legend.scale": {
        "ar": "لكل ١٠٠ ألف نسمة أو بالعدد: يُختار على الخريطة مع الفئات",
        "en": "Per 100,000 people or count: chosen on the map, with the classes",
    },
    "regions.legend.high": {"ar": "أكثر البلاغات المفتوحة", "en": "Most open incidents"},
    # the phased roll-out (BASIRA_COVERED_REGIONS): regions not yet connected
    "layer.coverage": {"ar": "المناطق غير المتصلة بعد", "en": "Regions not yet connected"},
    "coverage.legend": {"ar": "غير متصلة بعد", "en": "Not yet connected"},
    # official alerts taken in as CAP 1.2 (layers/official.py): keys "official.*"
    "layer.official": {"ar": "التنبيهات الرسمية", "en": "Official alerts"},
    "official.severity.Extreme": {"ar": "خطورة قصوى", "en": "Extreme"},
    "official.severity.Severe": {"ar": "خطورة عالية", "en": "Severe"},
    "official.severity.Moderate": {"ar": "خطورة متوسطة", "en": "Moderate"},
    "official.severity.Minor": {"ar": "خطورة منخفضة", "en": "Minor"},
    "official.severity.Unknown": {"ar": "خطورة غير معروفة", "en": "Severity unknown"},
    "official.urgency.Immediate": {"ar": "فوري", "en": "Immediate"},
    "official.urgency.Expected": {"ar": "متوقع قريبًا", "en": "Expected soon"},
    "official.urgency.Future": {"ar": "مستقبلي", "en": "Future"},
    "official.urgency.Past": {"ar": "انتهى", "en": "Past"},
    "official.urgency.Unknown": {"ar": "غير معروف", "en": "Unknown"},
    "official.urgency": {"ar": "الاستعجال", "en": "Urgency"},
    "official.expires": {"ar": "ينتهي", "en": "Expires"},
    "official.from": {"ar": "المصدر", "en": "From"},
    "official.exercise": {"ar": "تمرين", "en": "Exercise"},
    "official.untitled": {"ar": "تنبيه رسمي", "en": "Official alert"},
    "coverage.note": {
        "ar": "{connected} من {regions} منطقة متصلة · الأرقام لا تشمل المناطق الأخرى",
        "en": "{connected} of {regions} regions connected · figures exclude the others",
    },
    "coverage.region": {
        "ar": "غير متصلة بعد · أرقام هذه المنطقة خارج الأرقام الوطنية",
        "en": "Not yet connected · this region's figures are left out of the national ones",
    },
    "heat.hours": {"ar": "{n} س", "en": "{n} h"},
    "heat.last": {"ar": "خلال آخر {window}", "en": "in the last {window}"},
    "heat.count": {"ar": "بلاغات فُتحت", "en": "Incidents opened"},
    "heat.switch": {"ar": "كثافة البلاغات المفتوحة خلال آخر", "en": "Incidents opened in the last"},
    "heat.note": {
        "ar": "عدد البلاغات في كل خلية سداسية؛ اللون نسبةً إلى أكثر الخلايا ازدحامًا",
        "en": "Incidents per hexagon; colours relative to the busiest hexagon",
    },
    "heat.legend.low": {"ar": "كثافة منخفضة", "en": "Low density"},
    "heat.legend.window": {
        "ar": "خلايا سداسية (H3): آخر ساعة أو ٦ أو ٢٤ ساعة، تُختار على الخريطة",
        "en": "Hexagons (H3): last 1, 6 or 24 h, chosen on the map",
    },
    "heat.legend.high": {"ar": "كثافة عالية", "en": "High density"},
    "port.kind.air": {"ar": "مطار", "en": "Airport"},
    "port.kind.sea": {"ar": "ميناء بحري", "en": "Seaport"},
    "port.kind.land": {"ar": "منفذ بري", "en": "Land crossing"},
    "port.wait.ok": {"ar": "انتظار أقل من ١٥ دقيقة", "en": "Wait under 15 min"},
    "port.wait.busy": {"ar": "انتظار ١٥–٤٥ دقيقة", "en": "Wait 15–45 min"},
    "port.wait.long": {"ar": "انتظار ٤٥ دقيقة فأكثر", "en": "Wait 45 min or more"},
    "port.wait.none": {"ar": "لا يُبلَّغ عن الانتظار", "en": "No wait reported"},
    "port.arrivals": {"ar": "القادمون · آخر ساعة", "en": "Arrivals · last hour"},
    "port.departures": {"ar": "المغادرون · آخر ساعة", "en": "Departures · last hour"},
    "port.wait_now": {"ar": "زمن الانتظار الآن", "en": "Queue wait now"},
    "port.minutes": {"ar": "د", "en": "min"},
    "port.quiet": {"ar": "لا بيانات في آخر ساعتين", "en": "No reports in the last 2 hours"},
    "port.open_panel": {"ar": "انقر لعرض الحركة كل ساعة", "en": "Click for the hourly traffic"},
    "port.size_legend": {
        "ar": "الحجم بعدد المسافرين في آخر ساعة؛ الحلقة الرمادية: منفذ بلا بيانات",
        "en": "Size: travellers in the last hour; grey ring: a port with no reports",
    },
    "calls.total": {"ar": "المكالمات · آخر ساعة", "en": "Calls · last hour"},
    "calls.answered": {"ar": "أُجيب عنها", "en": "Answered"},
    "calls.within15": {"ar": "خلال ١٥ ث (المعيار ٩٠٪)", "en": "Within 15 s (target 90%)"},
    "calls.within20": {"ar": "خلال ٢٠ ث (المعيار ٩٥٪)", "en": "Within 20 s (target 95%)"},
    "calls.abandoned": {"ar": "متروكة", "en": "Abandoned"},
    "calls.mean": {"ar": "متوسط زمن الرد", "en": "Mean time to answer"},
    "calls.seconds": {"ar": "ث", "en": "s"},
    "calls.status.meets": {"ar": "يحقق معيار NENA", "en": "Meets the NENA standard"},
    "calls.status.near": {"ar": "قريب من المعيار", "en": "Close to the standard"},
    "calls.status.below": {"ar": "دون المعيار", "en": "Below the standard"},
    "calls.size_legend": {
        "ar": "الحجم بعدد المكالمات في آخر ساعة (الرقم داخله)",
        "en": "Size: calls in the last hour (the number inside)",
    },
    "unit.trail_legend": {"ar": "المسار الأخير للوحدة", "en": "Recent track of a unit"},
    "unit.link_legend": {
        "ar": "عند المرور: الوحدة ↔ البلاغ المكلّفة به", "en": "On hover: unit ↔ the incident it is sent to"
    },
    "incident.pulse_legend": {
        "ar": "بلاغ حرج جديد (ينبض دقيقتين)", "en": "New priority-1 incident (pulses for 2 min)"
    },
    # the border-port panel
    "portpanel.close": {"ar": "إغلاق", "en": "Close"},
    "portpanel.region": {"ar": "المنطقة", "en": "Region"},
    "portpanel.wait": {"ar": "زمن الانتظار الآن", "en": "Queue wait now"},
    "portpanel.no_wait": {"ar": "لا يُبلَّغ عنه", "en": "not reported"},
    "portpanel.arrivals": {"ar": "القادمون كل ساعة", "en": "Arrivals per hour"},
    "portpanel.departures": {"ar": "المغادرون كل ساعة", "en": "Departures per hour"},
    "portpanel.week_ago": {"ar": "الساعات نفسها قبل أسبوع", "en": "Same hours a week earlier"},
    "portpanel.hour_axis": {"ar": "الساعة (بتوقيت الرياض)", "en": "Hour (Riyadh time)"},
    "portpanel.now_so_far": {"ar": "الساعة الحالية حتى الآن", "en": "current hour, so far"},
    "portpanel.last_24h": {
        "ar": "آخر ٢٤ ساعة حسب فئة المسافر، والخط المتقطع: الساعات نفسها قبل أسبوع",
        "en": "Last 24 hours by traveller category; dashed: the same hours a week earlier",
    },
    "portpanel.down": {
        "ar": "تعذّر الاتصال بمخزن البيانات — لا يمكن عرض حركة المنفذ الآن",
        "en": "The data store cannot be reached — the port's traffic cannot be shown now",
    },
    "portpanel.tab.now": {"ar": "الآن", "en": "Now"},
    "portpanel.tab.plan": {"ar": "التوقعات والأفراد", "en": "Forecast & staff"},
    # the port panel's forecast and staffing tab (app/pages/ports/plan.py)
    "portplan.whatif": {"ar": "ماذا لو؟", "en": "What if?"},
    "portplan.pilgrims": {"ar": "الحجاج والمعتمرون", "en": "Pilgrims"},
    "portplan.counters_closed": {"ar": "منصات مغلقة لكل اتجاه", "en": "Counters closed, each way"},
    "portplan.lanes_closed": {"ar": "مسارات مركبات مغلقة لكل اتجاه", "en": "Vehicle lanes closed, each way"},
    "portplan.as_forecast": {"ar": "كالمتوقع", "en": "As forecast"},
    "portplan.none": {"ar": "لا شيء", "en": "None"},
    "portplan.forecast_title": {
        "ar": "الساعات الـ٧٢ القادمة: الخط هو التوقع، والنطاق يضم ٨٠٪ من الاحتمالات",
        "en": "Next 72 hours: the line is the forecast, the band its 80% interval",
    },
    "portplan.expected": {"ar": "المتوقع", "en": "Expected"},
    "portplan.interval": {"ar": "نطاق ٨٠٪", "en": "80% interval"},
    "portplan.staff_title": {
        "ar": "الأفراد المطلوبون كل ساعة (نموذج Erlang C) مقابل المجدولين؛ الأحمر: عجز",
        "en": "Officers needed per hour (Erlang C) against the roster; red: short",
    },
    "portplan.needed": {"ar": "المطلوبون", "en": "Needed"},
    "portplan.rostered": {"ar": "المجدولون", "en": "Rostered"},
    "portplan.short": {"ar": "عجز", "en": "short"},
    "portplan.short_summary": {
        "ar": "عجز في الأفراد في {hours} من {total} ساعة · الأسوأ {when}: "
        "المطلوب {needed} والمجدول {rostered}",
        "en": "Short of officers in {hours} of {total} hours · worst {when}: "
        "{needed} needed, {rostered} rostered",
    },
    "portplan.capacity_summary": {
        "ar": "لا تكفي المنصات أو المسارات في {hours} ساعة — زيادة الأفراد لا تعالج ذلك",
        "en": "Not enough counters or lanes in {hours} hours — more officers will not fix that",
    },
    "portplan.ok_summary": {
        "ar": "الجدول يغطي كل الساعات · أعلى حاجة {when}: {needed} من {rostered}",
        "en": "The roster covers every hour · highest need {when}: {needed} of {rostered}",
    },
    "portplan.target": {
        "ar": "الهدف: انتظار {share} من المسافرين {minutes} دقيقة أو أقل",
        "en": "Target: {share} of travellers wait {minutes} min or less",
    },
    "portplan.table": {"ar": "ساعة بساعة", "en": "Hour by hour"},
    "portplan.col.hour": {"ar": "الساعة", "en": "Hour"},
    "portplan.col.arrivals": {"ar": "القادمون", "en": "Arrivals"},
    "portplan.col.departures": {"ar": "المغادرون", "en": "Departures"},
    "portplan.col.counters": {"ar": "المنصات", "en": "Counters"},
    "portplan.col.needed": {"ar": "المطلوبون", "en": "Needed"},
    "portplan.col.rostered": {"ar": "المجدولون", "en": "Rostered"},
    "portplan.col.short": {"ar": "العجز", "en": "Short"},
    "portplan.csv": {"ar": "تصدير الخطة (CSV)", "en": "Export the plan (CSV)"},
    "portplan.all_ports": {"ar": "كل المنافذ، الأسوأ أولًا", "en": "All ports, worst first"},
    "portplan.unavailable": {
        "ar": "لا تتوفر خطة لهذا المنفذ الآن", "en": "No plan can be made for this port now",
    },
    "weekday.0": {"ar": "الاثنين", "en": "Mon"},
    "weekday.1": {"ar": "الثلاثاء", "en": "Tue"},
    "weekday.2": {"ar": "الأربعاء", "en": "Wed"},
    "weekday.3": {"ar": "الخميس", "en": "Thu"},
    "weekday.4": {"ar": "الجمعة", "en": "Fri"},
    "weekday.5": {"ar": "السبت", "en": "Sat"},
    "weekday.6": {"ar": "الأحد", "en": "Sun"},
    # the national ports view (app/pages/ports/)
    "ports.title": {
        "ar": "المنافذ الحدودية · الساعات الـ٧٢ القادمة", "en": "Border ports · the next 72 hours",
    },
    "ports.lead": {
        "ar": "الأسوأ أولًا: الأفراد المطلوبون مقابل المجدولين كل ساعة، من توقع الحركة ونموذج الطوابير",
        "en": "Worst first: officers needed against the roster, hour by hour, from the traffic forecast "
        "and a queueing model",
    },
    "ports.made": {
        "ar": "التوقعات من الساعة {when} بتوقيت الرياض", "en": "Forecast from {when}, Riyadh time",
    },
    "ports.col.port": {"ar": "المنفذ", "en": "Port"},
    "ports.col.status": {"ar": "الحالة", "en": "Status"},
    "ports.col.shortfall": {"ar": "أكبر عجز في الأفراد", "en": "Peak shortfall"},
    "ports.col.pressure": {"ar": "الضغط الأقصى", "en": "Peak pressure"},
    "ports.col.short_hours": {"ar": "ساعات العجز", "en": "Hours short"},
    "ports.col.peak": {"ar": "ذروة الحركة", "en": "Peak traffic"},
    "ports.col.strip": {"ar": "الساعات الـ٧٢ القادمة", "en": "Next 72 hours"},
    "ports.status.short": {"ar": "عجز", "en": "Short"},
    "ports.status.tight": {"ar": "مشدود", "en": "Tight"},
    "ports.status.ok": {"ar": "مغطى", "en": "Covered"},
    "ports.shortfall": {"ar": "{n} فرد · {when}", "en": "{n} officers · {when}"},
    "ports.shortfall_one": {"ar": "فرد واحد · {when}", "en": "1 officer · {when}"},
    "ports.no_shortfall": {"ar": "لا عجز", "en": "None"},
    "ports.capacity": {
        "ar": "ونقص منصات أو مسارات في {n} ساعة", "en": "and counters or lanes short in {n} h",
    },
    "ports.pressure_title": {
        "ar": "المطلوبون نسبةً إلى المجدولين في أسوأ ساعة",
        "en": "Officers needed as a share of those rostered, at the worst hour",
    },
    "ports.legend.ok": {"ar": "مغطى (أقل من ٨٥٪ من الجدول)", "en": "Covered (under 85% of the roster)"},
    "ports.legend.tight": {"ar": "مشدود (٨٥–١٠٠٪)", "en": "Tight (85–100%)"},
    "ports.legend.short": {"ar": "عجز في الأفراد", "en": "Officers short"},
    "ports.legend.capacity": {"ar": "عجز في المنصات أو المسارات", "en": "Counters or lanes short"},
    "ports.none": {"ar": "لا توجد منافذ ضمن نطاق صلاحياتك", "en": "No ports in your scope"},
    "ports.down": {
        "ar": "تعذّر الاتصال بمخزن البيانات — لا يمكن حساب التوقعات الآن",
        "en": "The data store cannot be reached — the forecasts cannot be computed now",
    },
    "ports.open": {"ar": "افتح المنفذ على الخريطة", "en": "Open the port on the map"},
    "ports.back": {"ar": "العرض القيادي", "en": "Command view"},
    "ports.nav": {"ar": "المنافذ · ٧٢ ساعة", "en": "Ports · 72 h"},
    "traveller.citizen": {"ar": "مواطنون", "en": "Citizens"},
    "traveller.resident": {"ar": "مقيمون", "en": "Residents"},
    "traveller.visitor": {"ar": "زوار", "en": "Visitors"},
    "traveller.pilgrim": {"ar": "حجاج ومعتمرون", "en": "Pilgrims"},
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
    "unit_status.stale": {"ar": "غير محدَّثة", "en": "Stale"},
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
    # exports from the archive (app/archive/export.py): what each file says it is
    "export.title.incidents": {"ar": "بصيرة — تصدير البلاغات", "en": "Basira — incidents export"},
    "export.title.units": {"ar": "بصيرة — تصدير مواقع الوحدات", "en": "Basira — unit positions export"},
    "export.window": {
        "ar": "{scope}؛ ما استُلم من {start} إلى {end} بتوقيت الرياض",
        "en": "{scope}; received from {start} to {end}, Riyadh time",
    },
    "export.scope": {
        "ar": "المناطق: {regions} · الجهات: {agencies}", "en": "Regions: {regions} · agencies: {agencies}",
    },
    "export.all": {"ar": "الكل", "en": "all"},
    "export.record.incidents": {
        "ar": "سجل لكل بلاغ كان مفتوحًا في أي لحظة من الفترة أو تغيّر فيها، بحالته في نهايتها، "
        "مع أوقات فتحه وتوجيهه والوصول إلى الموقع وإغلاقه — {records} سجل",
        "en": "One record per incident open at any moment of the window or changed in it, as it stood at "
        "the window's end, with the times it was opened, dispatched, reached and closed — {records} records",
    },
    "export.record.units": {
        "ar": "سجل لكل موقع مؤرشف لوحدة في الفترة — {records} سجل",
        "en": "One record per archived unit position in the window — {records} records",
    },
    "export.thinned": {
        "ar": "بعض الساعات مخففة: موقع واحد لكل وحدة كل {seconds} ثانية، وكل تغيّر في الحالة أو البلاغ",
        "en": "Some hours are thinned: one position per unit per {seconds} s, and every change of status "
        "or incident",
    },
    # the command view: where you are (drill-down), the pickers, the incident list and details
    "scope.national": {"ar": "الوطني", "en": "National"},
    "scope.nav": {"ar": "نطاق العرض", "en": "Scope"},
    "scope.region": {"ar": "المنطقة", "en": "Region"},
    "scope.agency": {"ar": "الجهة", "en": "Agency"},
    "scope.all_regions": {"ar": "كل المناطق", "en": "All regions"},
    "scope.all_agencies": {"ar": "كل الجهات", "en": "All agencies"},
    "scope.incident": {"ar": "البلاغ {id}", "en": "Incident {id}"},
    "list.title": {"ar": "البلاغات المفتوحة", "en": "Open incidents"},
    "list.order": {"ar": "الأعلى أولوية ثم الأقدم", "en": "most urgent, then oldest"},
    "list.more": {"ar": "يُعرض {shown} من {total}", "en": "showing {shown} of {total}"},
    "list.empty": {"ar": "لا توجد بلاغات مفتوحة في هذا النطاق", "en": "No open incidents in this scope"},
    "list.age": {"ar": "منذ {age}", "en": "{age} ago"},
    "list.now": {"ar": "الآن", "en": "just now"},
    # the command view on phones and tablets: the bottom sheet's handle (the panel, folded away)
    "sheet.title": {"ar": "البلاغات والتصفية", "en": "Incidents & filters"},
    "detail.back": {"ar": "العودة إلى القائمة", "en": "Back to the list"},
    "detail.missing": {
        "ar": "لم يُعثر على هذا البلاغ: ربما أُغلق وخرج من السجل",
        "en": "This incident was not found: it may have closed and left the history",
    },
    "detail.description": {"ar": "الوصف", "en": "Description"},
    "detail.no_description": {"ar": "لا يوجد وصف", "en": "No description"},
    "detail.region": {"ar": "المنطقة", "en": "Region"},
    "detail.opened": {"ar": "فُتح", "en": "Opened"},
    "detail.dispatched": {"ar": "وُجّهت وحدة", "en": "Dispatched"},
    "detail.on_scene": {"ar": "الوصول إلى الموقع", "en": "On scene"},
    "detail.units": {"ar": "الوحدات", "en": "Units"},
    "detail.after": {"ar": "{time} (بعد {delay})", "en": "{time} (after {delay})"},
    # replay on the command view (app/pages/command/timebar.py, replayed.py): the time bar and the banner
    "replay.state": {"ar": "إعادة عرض", "en": "Replay"},
    "replay.banner": {"ar": "إعادة عرض · {time} — ليس مباشراً", "en": "REPLAY · {time} — not live"},
    "replay.when": {"ar": "{date} {clock} بتوقيت الرياض", "en": "{date} {clock} Riyadh time"},
    "replay.thinned": {
        "ar": "مسارات الوحدات مخففة إلى موقع واحد كل دقيقة",
        "en": "unit tracks thinned to one position a minute",
    },
    "replay.thinned_s": {
        "ar": "مسارات الوحدات مخففة إلى موقع واحد كل {seconds} ثانية",
        "en": "unit tracks thinned to one position every {seconds} s",
    },
    "replay.back": {"ar": "العودة إلى المباشر", "en": "Back to live"},
    "replay.live": {"ar": "مباشر", "en": "Live"},
    "replay.bar": {"ar": "الزمن: مباشر أو إعادة عرض", "en": "Time: live or replay"},
    "replay.slider": {"ar": "اللحظة المعروضة", "en": "Moment shown"},
    "replay.play": {"ar": "تشغيل", "en": "Play"},
    "replay.pause": {"ar": "إيقاف مؤقت", "en": "Pause"},
    "replay.speed": {"ar": "سرعة التشغيل", "en": "Playback speed"},
    "replay.speed_n": {"ar": "أسرع {n} مرة", "en": "{n} times real time"},
    "replay.window": {"ar": "الفترة", "en": "Window"},
    "replay.window_last": {"ar": "آخر {hours} س", "en": "Last {hours} h"},
    "replay.window_all": {"ar": "كامل الأرشيف", "en": "Whole archive"},
    "replay.window_from": {"ar": "من", "en": "From"},
    "replay.window_to": {"ar": "إلى", "en": "To"},
    "replay.window_hint": {
        "ar": "بتوقيت الرياض، مثل 2026-12-04 01:00", "en": "Riyadh time, e.g. 2026-12-04 01:00",
    },
    "replay.window_apply": {"ar": "تطبيق", "en": "Apply"},
    "replay.window_bad": {
        "ar": "أدخل وقتين صحيحين داخل الأرشيف، البداية قبل النهاية",
        "en": "Enter two valid times within the archive, the start before the end",
    },
    "replay.export": {"ar": "تصدير", "en": "Export"},
    "replay.export_what": {
        "ar": "بلاغات الفترة في النطاق المعروض", "en": "The window's incidents in the scope shown",
    },
    "replay.export_records": {"ar": "{n} سجل", "en": "{n} records"},
    "replay.no_archive": {
        "ar": "لا يوجد أرشيف بعد: تبدأ إعادة العرض بعد أن يكتب المؤرشف",
        "en": "No archive yet: replay starts once the archiver has written",
    },
    "replay.outside": {
        "ar": "الأرشيف لا يغطي {at}: يمتد من {first} إلى {last} — عُدنا إلى المباشر",
        "en": "The archive does not cover {at}: it holds {first} to {last} — back to live",
    },
    "replay.empty": {
        "ar": "الأرشيف فارغ: لا شيء لإعادة عرضه بعد — عُدنا إلى المباشر",
        "en": "The archive is empty: nothing to replay yet — back to live",
    },
    "replay.unreadable": {
        "ar": "تعذّرت قراءة الأرشيف الآن — عُدنا إلى المباشر",
        "en": "The archive could not be read just now — back to live",
    },
    "replay.not_open": {
        "ar": "لم يكن هذا البلاغ مفتوحًا في هذه اللحظة من إعادة العرض",
        "en": "This incident was not open at this moment of the replay",
    },
    # the incident timeline (app/pages/command/timeline.py, from app/archive/timeline.py)
    "timeline.title": {"ar": "مسار البلاغ", "en": "Timeline"},
    "timeline.after": {"ar": "بعد {delay}", "en": "+{delay}"},
    "timeline.target": {"ar": "المستهدف ≤ {target}", "en": "target ≤ {target}"},
    "timeline.met": {"ar": "ضمن المستهدف", "en": "within target"},
    "timeline.missed": {"ar": "تجاوز المستهدف", "en": "over target"},
    "timeline.pending": {"ar": "لم يحدث بعد", "en": "not yet"},
    "timeline.units": {"ar": "الوحدات المكلّفة", "en": "Units assigned"},
    "timeline.no_units": {"ar": "لم تُكلَّف أي وحدة", "en": "No unit assigned"},
    "timeline.assigned": {"ar": "كُلّفت {time}", "en": "assigned {time}"},
    "timeline.arrived": {"ar": "وصلت {time} (بعد {delay})", "en": "on scene {time} (after {delay})"},
    "timeline.released": {"ar": "أُعفيت {time}", "en": "released {time}"},
    "timeline.en_route": {"ar": "لم تصل", "en": "not on scene"},
    "timeline.track": {"ar": "{n} موقعًا على الخريطة", "en": "{n} positions on the map"},
    "timeline.cursor": {"ar": "لحظة العرض", "en": "replay moment"},
    "timeline.incomplete": {
        "ar": "بداية البلاغ ليست في الأرشيف: أول حالاته غير معروفة",
        "en": "The incident's opening is not in the archive: its first statuses are unknown",
    },
    "timeline.ignored": {"ar": "أُهمل {n} تحديثًا متأخرًا", "en": "{n} late updates ignored"},
    "timeline.thinned": {
        "ar": "المسارات مخففة في بعض الساعات", "en": "Tracks are thinned in some of these hours",
    },
    "timeline.none": {
        "ar": "لا يوجد سجل مؤرشف لهذا البلاغ بعد", "en": "No archived history of this incident yet",
    },
    "timeline.unreadable": {
        "ar": "تعذّرت قراءة الأرشيف الآن", "en": "The archive could not be read just now",
    },
    # the command view's KPIs against their targets
    "kpi.units_available": {"ar": "الوحدات · متاحة / مشغولة", "en": "Units · available / busy"},
    "kpi.available": {"ar": "متاحة", "en": "available"},
    "kpi.busy": {"ar": "مشغولة", "en": "busy"},
    "kpi.vs_target": {
        "ar": "المئين ٩٠: {p90} · المستهدف ≤ {target}", "en": "90th pct {p90} · target ≤ {target}"
    },
    "kpi.answered_detail": {
        "ar": "المعيار ٩٠٪ · ≤ ٢٠ ث: {share20} (٩٥٪) · {calls} مكالمة/ساعة",
        "en": "target 90% · ≤ 20 s: {share20} (95%) · {calls} calls/h",
    },
    "kpi.travellers": {"ar": "المسافرون عبر المنافذ", "en": "Port travellers"},
    "kpi.last_hour": {"ar": "آخر ساعة", "en": "last hour"},
    "kpi.week": {"ar": "الساعة نفسها قبل أسبوع: {value}", "en": "same hour last week: {value}"},
    "agency_short.patrol": {"ar": "الدوريات", "en": "Patrols"},
    "agency_short.traffic": {"ar": "المرور", "en": "Traffic"},
    "agency_short.road_security": {"ar": "أمن الطرق", "en": "Road sec."},
    "agency_short.civil_defense": {"ar": "الدفاع المدني", "en": "Civil def."},
    "agency_short.red_crescent": {"ar": "الهلال الأحمر", "en": "Red Crescent"},
    # the video wall (/wall) and the exhibition kiosk (/demo)
    "place.national": {"ar": "المملكة العربية السعودية", "en": "Saudi Arabia"},
    "wall.tour": {"ar": "جولة المناطق", "en": "Region tour"},
    "wall.paused": {"ar": "الجولة متوقفة: بلاغ حرج جديد", "en": "Tour paused: new critical incident"},
    "wall.alert": {"ar": "بلاغ حرج جديد · أولوية ١", "en": "New critical incident · priority 1"},
    "wall.alert_age": {"ar": "منذ فتحه", "en": "Open for"},
    "wall.more": {"ar": "و{n} بلاغات حرجة جديدة أخرى", "en": "+{n} more new critical incidents"},
    "wall.critical": {"ar": "بلاغات حرجة", "en": "Critical open"},
    "wall.units_free": {"ar": "وحدات متاحة", "en": "Units available"},
    "wall.ranking": {"ar": "البلاغات المفتوحة حسب المنطقة", "en": "Open incidents by region"},
    "wall.region": {"ar": "المنطقة", "en": "Region"},
    "wall.open_short": {"ar": "مفتوحة", "en": "Open"},
    "wall.free_short": {"ar": "متاحة", "en": "Free"},
    "wall.feed": {"ar": "أحدث البلاغات الحرجة", "en": "Latest critical incidents"},
    "wall.feed_none": {
        "ar": "لا بلاغات حرجة في آخر ٣٠ دقيقة", "en": "No critical incidents in the last 30 min"
    },
    "wall.headline.stale": {"ar": "البيانات ليست حية", "en": "NOT LIVE · STALE DATA"},
    "wall.headline.down": {"ar": "البيانات ليست حية", "en": "NOT LIVE · NO DATA STORE"},
    "wall.headline.empty": {"ar": "لا توجد بيانات", "en": "NO DATA"},
    "wall.last_live": {"ar": "آخر صورة حية قبل {age}", "en": "Last live picture {age} ago"},
    "kiosk.refused.title": {
        "ar": "هذه الشاشة لعرض البيانات التجريبية فقط",
        "en": "This screen only shows demonstration data",
    },
    "kiosk.refused.body": {
        "ar": "مخزن البيانات المتصل بها غير مُعلَّم كمخزن تجريبي، لذلك لا يُعرض منه شيء هنا. "
        "شاشات المعارض لا تعرض بيانات تشغيلية أبدًا.",
        "en": "The data store it is connected to is not marked as a demonstration store, so nothing "
        "from it is shown here. Exhibition screens never show operational data.",
    },
    "kiosk.unverified.body": {
        "ar": "تعذّر الاتصال بمخزن البيانات للتحقق من أنه تجريبي، لذلك لا يُعرض شيء.",
        "en": "The data store could not be reached to confirm that it holds demonstration data, "
        "so nothing is shown.",
    },
    "kiosk.refused.hint": {"ar": "لتشغيل عرض تجريبي:", "en": "To run a demonstration:"},
    "kiosk.pause": {"ar": "إيقاف مؤقت", "en": "Pause"},
    "kiosk.play": {"ar": "تشغيل", "en": "Play"},
    "kiosk.prev": {"ar": "السابق", "en": "Previous"},
    "kiosk.next": {"ar": "التالي", "en": "Next"},
    "kiosk.regions": {"ar": "المناطق", "en": "Regions"},
    "kiosk.paused": {"ar": "متوقف · يُستأنف العرض تلقائيًا", "en": "Paused · the tour resumes by itself"},
    "kiosk.region_body": {
        "ar": "البلاغات المفتوحة والوحدات الميدانية في هذه المنطقة، لحظة بلحظة.",
        "en": "Open incidents and field units in this region, as they happen.",
    },
    "kiosk.on_scene": {"ar": "وحدات في الموقع", "en": "Units on scene"},
    "kiosk.response": {"ar": "زمن الوصول · الوسيط", "en": "Time to scene · median"},
    "kiosk.arrivals": {"ar": "القادمون · آخر ساعة", "en": "Arrivals · last hour"},
    "kiosk.departures": {"ar": "المغادرون · آخر ساعة", "en": "Departures · last hour"},
    "kiosk.wait": {"ar": "زمن الانتظار", "en": "Queue wait"},
    "kiosk.answered20": {"ar": "مكالمات أُجيبت خلال ٢٠ ث", "en": "Calls answered ≤ 20 s"},
    "kiosk.calls": {"ar": "مكالمات ٩١١ · آخر ساعة", "en": "911 calls · last hour"},
    "kiosk.target": {"ar": "المعيار {target}", "en": "standard {target}"},
    "story.national.title": {"ar": "المملكة في لمحة واحدة", "en": "The whole Kingdom at a glance"},
    "story.national.body": {
        "ar": "كل بلاغ يصل إلى ٩١١ وكل وحدة ميدانية في المناطق الثلاث عشرة، على خريطة حية واحدة.",
        "en": "Every 911 incident and every field unit in the 13 regions, on one live map.",
    },
    "story.makkah.title": {"ar": "موسم الحج والعمرة: مكة المكرمة", "en": "Hajj and Umrah season: Makkah"},
    "story.makkah.body": {
        "ar": "ملايين الحجاج والمعتمرين في أيام معدودة: يرى المركز كل بلاغ وأقرب الوحدات إليه، "
        "فيصل العون بسرعة.",
        "en": "Millions of pilgrims in a few days: the center sees every incident and the nearest "
        "units, so help arrives fast.",
    },
    "story.causeway.title": {"ar": "ذروة السفر: جسر الملك فهد", "en": "Travel peak: King Fahd Causeway"},
    "story.causeway.body": {
        "ar": "القادمون والمغادرون كل ساعة وزمن الانتظار، ليخطط القادة للموظفين والمسارات.",
        "en": "Arrivals and departures every hour, and the queue wait, so leaders can plan staff "
        "and lanes.",
    },
    "story.jeddah.title": {
        "ar": "وصول الحجاج: مطار الملك عبدالعزيز الدولي بجدة",
        "en": "Pilgrims arriving: King Abdulaziz International Airport, Jeddah",
    },
    "story.jeddah.body": {
        "ar": "في المواسم تبلغ أعداد الواصلين ذروتها، وتظهر الأرقام لحظة بلحظة.",
        "en": "In the seasons arrivals peak, and the figures update as they happen.",
    },
    "story.calls.title": {"ar": "٩١١: سرعة الرد", "en": "911: how fast calls are answered"},
    "story.calls.body": {
        "ar": "المعيار الدولي (NENA): أن يُرد على ٩٠٪ من المكالمات خلال ١٥ ثانية، و٩٥٪ خلال ٢٠ ثانية.",
        "en": "The NENA standard: 90% of calls answered within 15 seconds, 95% within 20.",
    },
    # the leadership brief (app/brief: /brief?date=&lang=, /brief.pdf)
    "brief.title": {"ar": "الموجز القيادي", "en": "Leadership brief"},
    "brief.scope_label": {"ar": "النطاق", "en": "Covers"},
    "brief.window": {"ar": "الفترة", "en": "Window"},
    "brief.window_day": {"ar": "{day} · من ٠٠:٠٠ إلى ٢٤:٠٠ بتوقيت الرياض",
                         "en": "{day} · 00:00–24:00 Riyadh time"},
    "brief.window_live": {"ar": "آخر ٢٤ ساعة حتى {day} الساعة {time} بتوقيت الرياض",
                          "en": "The 24 hours to {day} {time} Riyadh time"},
    "brief.made": {"ar": "أعدّته بصيرة من الأرشيف في {day} الساعة {time}",
                   "en": "Made by Basira from the archive, {day} {time}"},
    "brief.official": {"ar": "للاستخدام الرسمي فقط", "en": "For official use only"},
    "brief.download": {"ar": "تنزيل PDF", "en": "Download PDF"},
    "brief.print": {"ar": "للطباعة: اطبع الصفحة من المتصفح (A4)", "en": "To print: print this page (A4)"},
    "brief.other_lang": {"ar": "English", "en": "العربية"},
    "brief.previous": {"ar": "اليوم السابق", "en": "Previous day"},
    "brief.next": {"ar": "اليوم التالي", "en": "Next day"},
    "brief.back": {"ar": "الخريطة", "en": "Map"},
    "brief.section.figures": {"ar": "الأرقام مقابل المستهدفات", "en": "Figures against targets"},
    "brief.section.hours": {"ar": "البلاغات الجديدة في كل ساعة", "en": "Incidents opened each hour"},
    "brief.section.regions": {"ar": "حسب المنطقة", "en": "By region"},
    "brief.section.serious": {"ar": "أخطر خمسة بلاغات", "en": "The five most serious incidents"},
    "brief.section.ports": {"ar": "المنافذ: الذروة والانتظار", "en": "Ports: peaks and shortfalls"},
    "brief.section.compare": {"ar": "ما الذي تغيّر", "en": "What changed"},
    "brief.kpi.opened": {"ar": "بلاغات جديدة", "en": "Incidents opened"},
    "brief.kpi.dispatch": {"ar": "من البلاغ إلى التوجيه (المئين ٩٠)", "en": "Call to dispatch (90th pct)"},
    "brief.kpi.response": {"ar": "من البلاغ إلى الوصول (المئين ٩٠)", "en": "Call to scene (90th pct)"},
    "brief.kpi.calls": {"ar": "مكالمات ٩١١", "en": "911 calls"},
    "brief.kpi.answered15": {"ar": "أُجيب خلال ١٥ ث", "en": "Answered within 15 s"},
    "brief.kpi.abandoned": {"ar": "مكالمات متروكة", "en": "Abandoned calls"},
    "brief.kpi.travellers": {"ar": "المسافرون عبر المنافذ", "en": "Travellers through ports"},
    "brief.vs_week": {"ar": "مقارنة بالأسبوع الماضي: {change}", "en": "vs a week earlier: {change}"},
    "brief.target_line": {"ar": "الوسيط {median} · المستهدف {target} · {within} ضمنه",
                          "en": "median {median} · target {target} · {within} within"},
    "brief.calls_line": {"ar": "{share} أُجيب خلال ١٥ ث · {abandoned} متروكة",
                         "en": "{share} answered within 15 s · {abandoned} abandoned"},
    "brief.state.meets": {"ar": "ضمن المستهدف", "en": "Within target"},
    "brief.state.near": {"ar": "قريب من المستهدف", "en": "Near target"},
    "brief.state.misses": {"ar": "دون المستهدف", "en": "Misses target"},
    "brief.state.none": {"ar": "لا بيانات", "en": "No data"},
    "brief.no_data": {"ar": "لا بيانات", "en": "no data"},
    "brief.pts": {"ar": "{n} نقطة", "en": "{n} pts"},
    "brief.legend.now": {"ar": "هذه الفترة", "en": "This window"},
    "brief.legend.week": {"ar": "قبل أسبوع", "en": "A week earlier"},
    "brief.chart.hours": {"ar": "البلاغات الجديدة في كل ساعة، مع الأسبوع الماضي",
                          "en": "Incidents opened each hour, with a week earlier"},
    "brief.chart.port": {"ar": "المسافرون في كل ساعة، والذروة ملوّنة",
                         "en": "Travellers each hour, the peak coloured"},
    "brief.strip": {"ar": "من البلاغ إلى التوجيه ثم الوصول، مقابل المستهدفين",
                    "en": "Call to dispatch, then to scene, against both targets"},
    "brief.col.region": {"ar": "المنطقة", "en": "Region"},
    "brief.col.opened": {"ar": "بلاغات", "en": "Opened"},
    "brief.col.change": {"ar": "مقابل الأسبوع الماضي", "en": "vs week"},
    "brief.col.dispatch": {"ar": "التوجيه (المئين ٩٠)", "en": "Dispatch p90"},
    "brief.col.response": {"ar": "الوصول (المئين ٩٠)", "en": "Scene p90"},
    "brief.col.calls": {"ar": "مكالمات", "en": "Calls"},
    "brief.col.answered15": {"ar": "خلال ١٥ ث", "en": "In 15 s"},
    "brief.col.port": {"ar": "المنفذ", "en": "Port"},
    "brief.col.travellers": {"ar": "المسافرون", "en": "Travellers"},
    "brief.col.peak": {"ar": "ساعة الذروة", "en": "Peak hour"},
    "brief.col.hours": {"ar": "في كل ساعة", "en": "Each hour"},
    "brief.col.wait": {"ar": "أطول انتظار / المستهدف", "en": "Longest wait / target"},
    "brief.col.figure": {"ar": "المؤشر", "en": "Figure"},
    "brief.col.change_short": {"ar": "التغير", "en": "Change"},
    "brief.peak": {"ar": "{time} · {n}", "en": "{time} · {n}"},
    "brief.wait": {"ar": "{wait} / {target} د", "en": "{wait} / {target} min"},
    "brief.hours_over": {"ar": "فوق المستهدف في {n} ساعة", "en": "over target in {n} h"},
    "brief.no_ports": {"ar": "لا حركة مسجلة في منافذ هذا النطاق",
                       "en": "No port traffic archived for this scope"},
    "brief.no_serious": {"ar": "لا بلاغات في هذه الفترة", "en": "No incidents in this window"},
    "brief.inc.opened": {"ar": "فُتح", "en": "Opened"},
    "brief.inc.dispatched": {"ar": "التوجيه", "en": "Dispatched"},
    "brief.inc.on_scene": {"ar": "الوصول", "en": "On scene"},
    "brief.inc.closed": {"ar": "الإغلاق", "en": "Closed"},
    "brief.inc.units": {"ar": "الوحدات", "en": "Units"},
    "brief.after": {"ar": "{time} (بعد {delay})", "en": "{time} (after {delay})"},
    "brief.still_open": {"ar": "ما زال مفتوحًا", "en": "Still open"},
    "brief.unit_arrived": {"ar": "{unit} وصل بعد {delay} من توجيهه",
                           "en": "{unit} arrived {delay} after assignment"},
    "brief.cmp.now": {"ar": "هذه الفترة", "en": "This window"},
    "brief.cmp.week": {"ar": "قبل أسبوع ({day})", "en": "A week earlier ({day})"},
    "brief.cmp.hijri": {"ar": "قبل عام هجري ({day})", "en": "A Hijri year earlier ({day})"},
    "brief.cmp.hijri_none": {"ar": "قبل عام هجري", "en": "A Hijri year earlier"},
    "brief.cmp.dispatch_p50": {"ar": "التوجيه: الوسيط", "en": "Dispatch: median"},
    "brief.cmp.dispatch_p90": {"ar": "التوجيه: المئين ٩٠", "en": "Dispatch: 90th pct"},
    "brief.cmp.dispatch_within": {"ar": "التوجيه ضمن المستهدف", "en": "Dispatch within target"},
    "brief.cmp.response_p50": {"ar": "الوصول: الوسيط", "en": "Scene: median"},
    "brief.cmp.response_p90": {"ar": "الوصول: المئين ٩٠", "en": "Scene: 90th pct"},
    "brief.cmp.response_within": {"ar": "الوصول ضمن المستهدف", "en": "Scene within target"},
    "brief.partial": {"ar": "الأرشيف يغطي {hours} من {total} ساعة من هذه الفترة: الأرقام جزئية",
                      "en": "The archive covers {hours} of this window's {total} hours: figures are partial"},
    "brief.excluded": {"ar": "الأرقام الوطنية لا تشمل المناطق غير المتصلة بعد: {regions}",
                       "en": "National figures leave out the regions not yet connected: {regions}"},
    "brief.thinned": {"ar": "مسارات الوحدات مخففة في ساعات قديمة من الأرشيف",
                      "en": "Unit tracks are thinned in older hours of the archive"},
    "brief.bad_date.title": {"ar": "تاريخ غير صالح", "en": "Not a valid date"},
    "brief.bad_date.body": {"ar": "اكتب التاريخ بالشكل YYYY-MM-DD، مثل {example}",
                            "en": "Write the date as YYYY-MM-DD, for example {example}"},
    "brief.no_archive.title": {"ar": "لا أرشيف لذلك اليوم", "en": "No archive for that day"},
    "brief.no_archive.body": {"ar": "لا يحتفظ الأرشيف بشيء من يوم {day}.",
                              "en": "The archive holds nothing for {day}."},
    "brief.archive_span": {"ar": "يمتد الأرشيف من {first} إلى {last}.",
                           "en": "The archive reaches from {first} to {last}."},
    "brief.archive_empty": {"ar": "الأرشيف فارغ حتى الآن.", "en": "The archive is empty so far."},
    "brief.unavailable.title": {"ar": "تعذّرت قراءة الأرشيف", "en": "The archive cannot be read"},
    "brief.unavailable.body": {
        "ar": "أعد المحاولة بعد قليل؛ إن تكرر ذلك فأبلغ مسؤول النظام.",
        "en": "Try again shortly; if it happens again, tell the system's administrator.",
    },
    # alerts (app/alerts and the pages' alert lists): keys "alert.*"
    "alert.kind.unassigned": {"ar": "بلاغ دون وحدة", "en": "Incident without a unit"},
    "alert.kind.response_breach": {"ar": "تجاوز زمن الوصول", "en": "Response time breached"},
    "alert.kind.spike": {"ar": "ارتفاع غير معتاد في البلاغات", "en": "Unusual rise in incidents"},
    "alert.kind.geofence": {"ar": "منطقة محمية", "en": "Guarded zone"},
    "alert.kind.port_wait": {"ar": "انتظار طويل في منفذ", "en": "Long wait at a port"},
    "alert.kind.stale_producer": {"ar": "مصدر بيانات متوقف", "en": "Data source silent"},
    "alert.text.unassigned": {
        "ar": "بلاغ {category} بأولوية {priority} في {region} دون وحدة منذ {waited}",
        "en": "Priority {priority} {category} in {region} has had no unit for {waited}",
    },
    "alert.text.response_breach": {
        "ar": "لم تصل وحدة إلى بلاغ {category} بأولوية {priority} في {region} بعد {elapsed} (الهدف {target})",
        "en": "No unit on scene at priority {priority} {category} in {region} after {elapsed} "
              "(target {target})",
    },
    "alert.text.spike": {
        "ar": "{count} بلاغًا جديدًا في {region} خلال آخر {window} — المعتاد نحو {expected}",
        "en": "{count} new incidents in {region} in the last {window} — about {expected} is usual",
    },
    "alert.text.geofence.inside": {
        "ar": "{subject} {id} داخل {zone}",
        "en": "{subject} {id} is inside {zone}",
    },
    "alert.text.geofence.outside": {
        "ar": "{subject} {id} خارج {zone}",
        "en": "{subject} {id} has left {zone}",
    },
    "alert.text.port_wait": {
        "ar": "الانتظار في {port} {wait} دقيقة (الحد {threshold})",
        "en": "The wait at {port} is {wait} min (limit {threshold})",
    },
    "alert.text.stale_producer": {
        "ar": "لم يصل شيء على مسار {stream} منذ {quiet} (الفاصل المعتاد {usual})",
        "en": "Nothing on the {stream} stream for {quiet} (usual gap {usual})",
    },
    "alert.subject.unit": {"ar": "الوحدة", "en": "Unit"},
    "alert.subject.incident": {"ar": "البلاغ", "en": "Incident"},
    "alert.nation": {"ar": "المملكة", "en": "the Kingdom"},
    "alert.severity.extreme": {"ar": "قصوى", "en": "Extreme"},
    "alert.severity.severe": {"ar": "شديدة", "en": "Severe"},
    "alert.severity.moderate": {"ar": "متوسطة", "en": "Moderate"},
    "alert.severity.minor": {"ar": "طفيفة", "en": "Minor"},
    "alert.stream.incidents": {"ar": "البلاغات", "en": "incidents"},
    "alert.stream.units": {"ar": "الوحدات", "en": "units"},
    "alert.stream.ports": {"ar": "المنافذ", "en": "ports"},
    "alert.stream.calls": {"ar": "المكالمات", "en": "calls"},
    # the alerts on the pages (app/pages/command/alerts.py, app/pages/wall/alerts.py)
    "alert.section": {"ar": "التنبيهات", "en": "Alerts"},
    "alert.none": {"ar": "لا تنبيهات مفتوحة في هذا النطاق", "en": "No open alerts in this scope"},
    "alert.order": {"ar": "المُصعَّدة ثم الأشد ثم الأحدث", "en": "escalated, most severe, newest"},
    "alert.show_all": {"ar": "عرض الكل ({n})", "en": "Show all ({n})"},
    "alert.show_fewer": {"ar": "عرض الأهم فقط", "en": "Show fewer"},
    "alert.on_map": {"ar": "على الخريطة", "en": "Show on map"},
    "alert.open_incident": {"ar": "فتح البلاغ {id}", "en": "Open incident {id}"},
    "alert.escalated": {"ar": "مُصعَّد", "en": "Escalated"},
    "alert.escalated_hint": {"ar": "لم يُقَرّ به في الوقت المحدد فرُفع إلى القيادة",
                             "en": "Not acknowledged in time: raised to leadership"},
    "alert.unacknowledged": {"ar": "لم يُقَرّ به بعد", "en": "Not acknowledged"},
    "alert.acknowledged_by": {"ar": "أقرّ به {who}", "en": "Acknowledged by {who}"},
    "alert.assigned_to": {"ar": "أُسند إلى {who}", "en": "Assigned to {who}"},
    "alert.act.acknowledge": {"ar": "إقرار", "en": "Acknowledge"},
    "alert.act.assign": {"ar": "إسناد…", "en": "Assign…"},
    "alert.act.assign_do": {"ar": "إسناد", "en": "Assign"},
    "alert.act.resolve": {"ar": "إغلاق", "en": "Resolve"},
    "alert.note": {"ar": "ملاحظة (اختيارية)", "en": "Note (optional)"},
    "alert.to": {"ar": "إلى من؟ (الاسم)", "en": "To whom? (name)"},
    "alert.form_hint": {"ar": "الملاحظة تُحفظ مع أي إجراء على هذا التنبيه",
                        "en": "The note goes with any action on this alert"},
    "alert.outcome.ok.acknowledge": {"ar": "تم الإقرار بالتنبيه {id}", "en": "{id} acknowledged"},
    "alert.outcome.ok.assign": {"ar": "أُسند التنبيه {id} إلى {to}", "en": "{id} assigned to {to}"},
    "alert.outcome.ok.resolve": {"ar": "أُغلق التنبيه {id}", "en": "{id} resolved"},
    "alert.outcome.already": {"ar": "سبق أن أقرّ {who} بالتنبيه {id}",
                              "en": "{id} was already acknowledged by {who}"},
    "alert.outcome.resolved": {"ar": "التنبيه {id} مُغلق من قبل", "en": "{id} is already resolved"},
    "alert.outcome.unknown": {"ar": "التنبيه {id} ليس ضمن نطاقك أو لم يعد موجودًا",
                              "en": "{id} is not in your scope, or no longer exists"},
    "alert.outcome.refused": {"ar": "حساب العرض لا يستطيع التصرف في التنبيهات",
                              "en": "A display account cannot act on alerts"},
    "alert.outcome.invalid": {"ar": "اكتب اسم من يتولى التنبيه {id} لإسناده",
                              "en": "Write who takes {id} to assign it"},
    "alert.outcome.down": {"ar": "تعذّر الوصول إلى مخزن البيانات: لم يُسجَّل شيء",
                           "en": "The data store is unreachable: nothing was recorded"},
    "alert.live_only": {"ar": "التنبيهات تُعرض في البث المباشر فقط", "en": "Alerts are shown live only"},
    "alert.sheet": {"ar": "تنبيهات شديدة: {n}", "en": "Severe alerts: {n}"},
    "alert.pins": {"ar": "التنبيهات المفتوحة", "en": "Open alerts"},
    "alert.wall.list": {"ar": "التنبيهات المفتوحة", "en": "Open alerts"},
    "alert.wall.title": {"ar": "تنبيه · {severity}", "en": "Alert · {severity}"},
    "alert.wall.raised": {"ar": "منذ رفعه", "en": "Raised"},
    "alert.wall.more": {"ar": "و{n} تنبيهات شديدة أخرى", "en": "+{n} more severe alerts"},
    "alert.wall.list_more": {"ar": "و{n} تنبيهات أخرى", "en": "+{n} more"},
    "alert.wall.paused": {"ar": "الجولة متوقفة: تنبيه شديد", "en": "Tour paused: severe alert"},
    "alert.sound_blocked": {"ar": "الصوت محجوب — المس للسماح", "en": "Sound blocked — tap to allow"},
    # nearest available units (app/nearest.py, the incident card): keys "nearest.*"
    "nearest.title": {"ar": "أقرب الوحدات المتاحة", "en": "Nearest available units"},
    "nearest.first": {"ar": "الأقرب", "en": "Nearest"},
    "nearest.km": {"ar": "{km} كم", "en": "{km} km"},
    "nearest.eta_value": {"ar": "الوصول خلال {eta}", "en": "ETA {eta}"},
    "nearest.line": {"ar": "{unit}: الوصول خلال {eta} ({distance})", "en": "{unit}: ETA {eta} ({distance})"},
    "nearest.none": {"ar": "لا وحدة متاحة من هذه الجهة بموقع معروف ضمن نطاقك",
                     "en": "No available unit of this agency with a known position in your scope"},
    "nearest.closed": {"ar": "البلاغ مغلق: لا تُقترح وحدات",
                       "en": "The incident is closed: no units are suggested"},
    "nearest.no_position": {"ar": "لا موقع لهذا البلاغ: لا يمكن اقتراح وحدات",
                            "en": "The incident has no position: no units can be suggested"},
    "nearest.model": {
        "ar": "تقدير: المسافة المستقيمة × {circuity} للطرق، بسرعة {urban} كم/س في المدن و{town} في البلدات "
              "و{rural} على الطرق المفتوحة؛ لا تُقترح وحدة لم يصل موقعها منذ أكثر من {age}",
        "en": "Estimated: straight-line distance × {circuity} for the roads, at {urban} km/h in cities, "
              "{town} in towns and {rural} on open roads; a unit whose position is over {age} old is "
              "left out",
    },
    "nearest.area.urban": {"ar": "معظم الطريق داخل مدينة", "en": "Mostly city streets"},
    "nearest.area.town": {"ar": "معظم الطريق داخل بلدة أو أطراف مدينة",
                          "en": "Mostly town roads or a city's outskirts"},
    "nearest.area.rural": {"ar": "معظم الطريق طرق مفتوحة", "en": "Mostly open road"},
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
    elif total < 3600 and total % 60 == 0:
        text = t("unit.min", lang, m=total // 60)  # "10 min", not "10 min 0 s"
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
