"""The brief as a PDF, made in this process (fpdf2; Arabic shaped by HarfBuzz through uharfbuzz) from
the same document as the page (:func:`app.brief.model.document`) — no browser, no service.

A4 portrait, the same sections in the same order: the figures as tiles, incidents per hour, the
regions, the five most serious incidents with their strips, the ports, what changed. Charts are the
page's own shapes (:func:`app.brief.charts.draw_pdf`). The font is DejaVu Sans, shipped in
``assets/fonts/`` with its licence (it has Arabic glyphs and the tables that shape them) and embedded,
so the file reads the same on any machine. In Arabic the page runs right to left: tiles and table
columns are laid out from the right, text is right-aligned and shaped as RTL.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from . import charts

FONTS = Path(__file__).resolve().parent.parent.parent / "assets" / "fonts"
FONT = "BasiraBrief"
MARGIN = 11.0
WIDTH = 210.0 - 2 * MARGIN
INK = (27, 31, 36)
MUTED = (91, 100, 112)
LINE = (213, 217, 222)
STATE = {"meets": charts.PDF_COLOURS["meets"], "near": (168, 109, 0), "misses": charts.PDF_COLOURS["misses"],
         "none": MUTED, "plain": INK}
TREND = {"better": charts.PDF_COLOURS["meets"], "worse": charts.PDF_COLOURS["misses"], "same": INK}


class BriefPDF(FPDF):
    """An A4 page with the brief's font, in one language's direction."""

    def __init__(self, doc: dict[str, Any]) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc = doc
        self.rtl = doc["dir"] == "rtl"
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 4)
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        if self.rtl:
            self.set_text_shaping(use_shaping_engine=True, direction="rtl", script="arab", language="ara")
        else:
            self.set_text_shaping(use_shaping_engine=True, direction="ltr")
        self.set_title(f"{doc['title']} · {doc['date']}")
        self.set_author("Basira")
        self.set_lang(doc["lang"])
        self.set_creator("Basira")

    @property
    def align(self) -> str:
        return "R" if self.rtl else "L"

    def footer(self) -> None:
        self.set_y(-MARGIN - 2)
        self.font(6.5, color=MUTED)
        page = f"{self.page_no()}/{{nb}}"
        self.cell(WIDTH, 4, f"{self.doc['made']} · {self.doc['s']['official']} · {page}", align=self.align)

    def font(self, size: float, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.set_text_color(*color)

    def text_line(self, text: str, size: float = 8.5, bold: bool = False, color: tuple[int, int, int] = INK,
                  height: float | None = None) -> None:
        self.font(size, bold, color)
        self.set_x(MARGIN)
        self.multi_cell(WIDTH, height or size * 0.5, text, align=self.align, new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        if self.get_y() > 297 - MARGIN - 30:
            self.add_page()
        self.ln(2.5)
        self.text_line(text, 10, bold=True, height=5.5)
        self.set_draw_color(*INK)
        self.set_line_width(0.35)
        self.line(MARGIN, self.get_y(), MARGIN + WIDTH, self.get_y())
        self.ln(1.2)

    def chart(self, chart: charts.Chart, width: float = WIDTH) -> None:
        x = MARGIN + (WIDTH - width if self.rtl else 0)
        height = chart.height * width / chart.width
        if self.get_y() + height > 297 - MARGIN - 6:
            self.add_page()
        self.set_font(FONT, "", 7)
        used = charts.draw_pdf(self, chart, x, self.get_y(), width)
        self.set_y(self.get_y() + used + 0.8)

    def table_of(self, heads: Sequence[tuple[str, int]], rows: Sequence[Sequence[tuple[str, Any]]],
                 widths: Sequence[float]) -> None:
        """A table: ``heads`` as (text, colspan), each row as (text, colour) cells; mirrored in Arabic."""
        order = (lambda cells: list(reversed(cells))) if self.rtl else list
        self.font(7.6)
        self.set_fill_color(255, 255, 255)  # a table fills its cells with the current colour
        self.set_draw_color(*LINE)
        self.set_line_width(0.2)
        with self.table(
            col_widths=order(widths), text_align="RIGHT" if self.rtl else "LEFT",
            borders_layout="HORIZONTAL_LINES", line_height=3.9, width=WIDTH, align="CENTER",
            padding=(0.6, 1.0),
            headings_style=FontFace(emphasis="", color=MUTED, size_pt=6.8),
        ) as table:
            head = table.row()
            for text, span in order(heads):
                head.cell(text, colspan=span)
            for row in rows:
                line = table.row()
                for n, (text, colour) in enumerate(order(row)):
                    first = (n == len(row) - 1) if self.rtl else n == 0
                    line.cell(text, style=FontFace(color=colour or INK, emphasis="BOLD" if first else ""))
        self.ln(0.8)


def _tiles(pdf: BriefPDF, tiles: list[dict[str, Any]]) -> None:
    gap = 2.0
    width = (WIDTH - gap * (len(tiles) - 1)) / len(tiles)
    top = pdf.get_y()
    bottom = top
    for i, tile in enumerate(tiles):
        slot = len(tiles) - 1 - i if pdf.rtl else i
        x = MARGIN + slot * (width + gap)
        pdf.set_fill_color(*STATE.get(tile["state"], LINE) if tile["state"] != "plain" else LINE)
        pdf.rect(x, top, width, 1.2, style="F")
        pdf.set_xy(x, top + 1.8)
        pdf.font(6.8, color=MUTED)
        pdf.multi_cell(width, 3, tile["label"], align=pdf.align, new_x="LEFT", new_y="NEXT")
        pdf.font(12.5, bold=True)
        pdf.multi_cell(width, 6, tile["value"], align=pdf.align, new_x="LEFT", new_y="NEXT")
        if tile["shape"] is not None:
            used = charts.draw_pdf(pdf, tile["shape"], x, pdf.get_y() + 0.3, width)
            pdf.set_xy(x, pdf.get_y() + used + 0.6)
        pdf.font(6.3, color=MUTED)
        pdf.multi_cell(width, 2.9, tile["sub"], align=pdf.align, new_x="LEFT", new_y="NEXT")
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(MARGIN, bottom + 1)


def _serious(pdf: BriefPDF, s: dict[str, str], serious: list[dict[str, Any]]) -> None:
    if not serious:
        pdf.text_line(s["no_serious"], color=MUTED)
    for inc in serious:
        if pdf.get_y() > 297 - MARGIN - 26:
            pdf.add_page()
        pdf.text_line(f"{inc['id']} · {inc['headline']}", 8.4, bold=True, height=4.4)
        parts = [
            (f"{s['inc.opened']}: {inc['opened']}", INK),
            (f"{s['inc.dispatched']}: {inc['dispatched']}", STATE[inc["dispatch_state"]]),
            (f"{s['inc.on_scene']}: {inc['on_scene']}", STATE[inc["response_state"]]),
            (f"{s['inc.closed']}: {inc['closed']}", INK),
        ]
        _row_of(pdf, parts)
        pdf.text_line(f"{s['inc.units']}: {inc['units']}", 7.2, color=MUTED, height=3.4)
        pdf.chart(inc["strip_chart"])
        notes = " · ".join([inc["steps"], *inc["arrivals"]]) if inc["steps"] else " · ".join(inc["arrivals"])
        if notes:
            pdf.text_line(notes, 6.6, color=MUTED, height=3.0)
        pdf.set_draw_color(*LINE)
        pdf.line(MARGIN, pdf.get_y() + 0.6, MARGIN + WIDTH, pdf.get_y() + 0.6)
        pdf.ln(1.4)


def _row_of(pdf: BriefPDF, parts: list[tuple[str, tuple[int, int, int]]]) -> None:
    """Texts side by side in equal columns (from the right in Arabic)."""
    width = WIDTH / len(parts)
    top = pdf.get_y()
    bottom = top
    for i, (text, colour) in enumerate(parts):
        slot = len(parts) - 1 - i if pdf.rtl else i
        pdf.set_xy(MARGIN + slot * width, top)
        pdf.font(7.4, color=colour)
        pdf.multi_cell(width, 3.5, text, align=pdf.align, new_x="LEFT", new_y="NEXT")
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(MARGIN, bottom)


def render(doc: dict[str, Any]) -> bytes:
    """The brief ``doc`` (:func:`app.brief.model.document`) as PDF bytes."""
    pdf = BriefPDF(doc)
    s = doc["s"]
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.text_line("بصيرة · Basira", 8, color=MUTED, height=4)
    pdf.text_line(doc["title"], 16, bold=True, height=8)
    pdf.text_line(f"{s['scope_label']}: {doc['scope']} · {s['window']}: {doc['span']}", 8.2, color=MUTED,
                  height=4.2)
    for notice in doc["notices"]:
        pdf.text_line(notice, 7.6, color=STATE["near"], height=3.8)

    pdf.heading(s["section.figures"])
    _tiles(pdf, doc["tiles"])
    pdf.heading(s["section.hours"])
    pdf.chart(doc["hourly_chart"])
    legend = doc["hourly_legend"]
    pdf.text_line(" · ".join(filter(None, (f"■ {legend['now']}", legend["then"] and f"▬ {legend['then']}"))),
                  6.8, color=MUTED, height=3.2)

    pdf.heading(s["section.regions"])
    pdf.table_of(
        [(s["col.region"], 1), (s["col.opened"], 1), (s["col.change"], 1), (s["col.dispatch"], 1),
         (s["col.response"], 1), (s["col.calls"], 1), (s["col.answered15"], 1)],
        [[(r["name"], None), (r["opened"], None), (r["change"], MUTED),
          (r["dispatch"], STATE[r["dispatch_state"]]), (r["response"], STATE[r["response_state"]]),
          (r["calls"], None), (r["answered15"], None)]
         for r in doc["regions"]],
        (40, 18, 30, 28, 28, 20, 24),
    )

    pdf.heading(s["section.serious"])
    _serious(pdf, s, doc["serious"])

    pdf.heading(s["section.ports"])
    if doc["ports"]:
        pdf.table_of(
            [(s["col.port"], 1), (s["col.travellers"], 1), (s["col.peak"], 1), (s["col.wait"], 1)],
            [[(p["name"], None), (p["travellers"], None), (p["peak"], None),
              (p["wait"] + (f" · {p['over']}" if p["over"] else ""), STATE[p["wait_state"]])]
             for p in doc["ports"]],
            (68, 26, 34, 60),
        )
    else:
        pdf.text_line(s["no_ports"], color=MUTED)

    pdf.heading(s["section.compare"])
    cmp = doc["compare"]
    pdf.table_of(
        [(s["col.figure"], 1), (cmp["heads"]["now"], 1), (cmp["heads"]["week"], 2),
         (cmp["heads"]["hijri"], 2)],
        [[(r["label"], None), (r["now"], None), (r["week"], None), (r["week_change"], TREND[r["week_trend"]]),
          (r["hijri"], None), (r["hijri_change"], TREND[r["hijri_trend"]])] for r in cmp["rows"]],
        (44, 26, 26, 33, 26, 33),
    )
    return bytes(pdf.output())
