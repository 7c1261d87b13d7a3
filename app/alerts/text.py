"""An alert in words, in Arabic and English: its headline (the kind) and its sentence (the facts).

Made from the alert's ``facts`` (names of places in both languages are among them, written when it was
raised), so the pages, the CAP document and anything reading the stream say the same thing. Pure.
"""

from __future__ import annotations

from typing import Any

from app.i18n import digits, fmt_duration, fmt_int, t

from .model import Alert


def _word(key: str, value: Any, lang: str) -> str:
    try:
        return t(f"{key}.{value}", lang)
    except KeyError:
        return str(value)


def _named(facts: dict[str, Any], name: str, lang: str, fallback: str = "") -> str:
    """``facts[name_<lang>]``, else the other language's, else ``fallback``."""
    other = "en" if lang == "ar" else "ar"
    return str(facts.get(f"{name}_{lang}") or facts.get(f"{name}_{other}") or fallback)


def headline(alert: Alert, lang: str) -> str:
    """What kind of alert, e.g. "Incident without a unit"; a rule's own name when it has one."""
    name = _named(alert.facts, "rule_name", lang)
    return name or _word("alert.kind", alert.kind, lang)


def sentence(alert: Alert, lang: str) -> str:
    """The alert in one sentence from its facts (``headline`` says its kind)."""
    f = alert.facts
    region = _named(f, "region", lang, t("alert.nation", lang))
    if alert.kind in ("unassigned", "response_breach"):
        return t(f"alert.text.{alert.kind}", lang,
                 category=_word("category", f.get("category"), lang),
                 priority=fmt_int(f.get("priority"), lang), region=region,
                 waited=fmt_duration(f.get("waited_s"), lang),
                 elapsed=fmt_duration(f.get("elapsed_s"), lang), target=fmt_duration(f.get("target_s"), lang))
    if alert.kind == "spike":
        return t("alert.text.spike", lang, count=fmt_int(f.get("count"), lang), region=region,
                 window=fmt_duration(f.get("window_s"), lang),
                 expected=digits(f"{float(f.get('expected') or 0):.1f}", lang))
    if alert.kind == "geofence":
        subject = "unit" if alert.unit else "incident"
        when = "outside" if f.get("when") == "outside" else "inside"
        return t(f"alert.text.geofence.{when}", lang, subject=t(f"alert.subject.{subject}", lang),
                 id=alert.unit or alert.incident, zone=_named(f, "zone", lang, alert.zone))
    if alert.kind == "port_wait":
        return t("alert.text.port_wait", lang, port=_named(f, "port", lang, alert.port),
                 wait=fmt_int(f.get("wait_min"), lang), threshold=fmt_int(f.get("threshold_min"), lang))
    if alert.kind == "stale_producer":
        return t("alert.text.stale_producer", lang, stream=_word("alert.stream", alert.stream, lang),
                 quiet=fmt_duration(f.get("quiet_s"), lang), usual=fmt_duration(f.get("usual_gap_s"), lang))
    return headline(alert, lang)
