"""The leadership brief: the last 24 hours on one printable page, and the same as a PDF (issue 13).

* ``GET /brief?date=YYYY-MM-DD&lang=ar|en`` — the page: national (or the viewer's scope) and
  per-region figures against the targets, the five most serious incidents with their timelines, the
  ports' peaks and long queues, what changed since a week and a Hijri year earlier. Plain HTML from
  a Jinja template with its own stylesheet (``static/brief.css``: A4 print rules, ``@page``), charts
  as inline SVG drawn on the server — no script, so it prints the same from any browser.
* ``GET /brief.pdf?date=&lang=`` — the same document as a PDF made in this process (:mod:`.pdf`).

``date`` is a Riyadh day (no ``date``: today; for today the brief covers the 24 hours ending now —
:mod:`.model`). ``lang`` falls back to the default language. The brief covers the viewer's scope
(:func:`app.auth.scope_for`: a regional commander's covers their region; ``region``/``agency`` may
narrow it, clamped like every page). It passes the same gate as the pages (``app.auth.guard``: no
session, no brief); a ``wall`` account is sent to its wall.

Answers: 200; 400 for a date that is not ``YYYY-MM-DD`` (a page in both languages); 404 for a day
the archive holds nothing of (saying which days it does hold); 503 when the archive cannot be read.
Never a traceback. Data is the viewer's: ``Cache-Control: no-store``.

This is a plain Flask blueprint, not a Dash page: a document to read and print needs no callbacks,
and its HTML is ready for the printer as it arrives. ``app.web`` registers :data:`blueprint`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import duckdb
from flask import Blueprint, Response, redirect, render_template, request

from ..auth import current_principal, scope_for
from ..i18n import LANGUAGES, digits, direction, lang_or, t
from ..services import services
from . import model
from . import pdf as pdf_file

log = logging.getLogger("basira.brief")

#: The page's name for access control (``Principal.may_open``): a wall account may not open it.
PAGE = "brief"

blueprint = Blueprint(
    "basira_brief", __name__,
    template_folder="templates", static_folder="static", static_url_path="/brief/static",
)


@blueprint.get("/brief")
def brief_page() -> Response:
    return _answer(as_pdf=False)


@blueprint.get("/brief.pdf")
def brief_pdf() -> Response:
    return _answer(as_pdf=True)


def _answer(as_pdf: bool) -> Response:
    settings = services().settings
    lang = lang_or(request.args.get("lang"), settings.language)
    principal = current_principal()
    if principal is not None and not principal.may_open(PAGE):
        return redirect(principal.home)
    now_ms = int(time.time() * 1000)
    try:
        day = model.parse_day(request.args.get("date"), now_ms)
    except model.BadDate:
        example = model.today(now_ms).isoformat()
        return _notice(400, "bad_date", lang, lambda code: [t("brief.bad_date.body", code,
                                                                example=digits(example, code))])
    scope = scope_for(request.args.get("region"), request.args.get("agency"))
    try:
        doc = model.document(settings, scope, day, lang, now_ms)
        if as_pdf:
            response = Response(pdf_file.render(doc), mimetype="application/pdf")
            name = f"basira-brief-{day.isoformat()}-{lang}.pdf"
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        else:
            response = Response(render_template("basira_brief/brief.html", d=doc), mimetype="text/html")
    except model.NoArchive as error:
        nothing = error
        return _notice(404, "no_archive", lang, lambda code: [
            t("brief.no_archive.body", code, day=digits(day.isoformat(), code)),
            model.no_archive_text(nothing, code),
        ])
    except (duckdb.Error, OSError):
        log.exception("the brief for %s could not be made", day)
        return _notice(503, "unavailable", lang, lambda code: [t("brief.unavailable.body", code)])
    response.headers["Cache-Control"] = "no-store"
    return response


def _notice(status: int, what: str, lang: str, lines: Callable[[str], list[str]]) -> Response:
    """A page saying what went wrong, in the request's language first and then the other."""
    parts = []
    for code in (lang, *(c for c in LANGUAGES if c != lang)):
        parts.append({"lang": code, "dir": direction(code), "title": t(f"brief.{what}.title", code),
                      "lines": lines(code), "link": f"/brief?lang={code}",
                      "link_text": t("brief.title", code)})
    body = render_template("basira_brief/notice.html", lang=lang, dir=direction(lang), parts=parts)
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    if status == 503:
        response.headers["Retry-After"] = "30"
    return response


__all__ = ["PAGE", "blueprint"]
