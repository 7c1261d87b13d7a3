"""The brief's small charts, drawn once as shapes and rendered twice: inline SVG for the page, and the
same shapes on the PDF (:func:`draw_pdf`). So the page and the PDF cannot show different pictures,
and neither needs a script or a chart library.

A :class:`Chart` is a width and height in its own units and a list of :class:`Shape` (``rect``,
``line``, ``text``), each with a *role* (``now``, ``then``, ``meets``, ``near``, ``misses``, ``axis``,
``grid``, ``label``, ``track``, ``peak``, ``target``, ``gap``) that gives it its colour
(:data:`PDF_COLOURS`, written into the SVG as attributes too: one set of colours for the page and
the PDF, whatever the stylesheet). Charts of time run right to left in Arabic: each builder takes
``rtl`` and mirrors its x axis (text stays upright).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from markupsafe import Markup

#: Fill/stroke colour of each role (RGB), on the page's SVG and on the PDF alike.
PDF_COLOURS: dict[str, tuple[int, int, int]] = {
    "now": (31, 111, 178),
    "then": (48, 48, 48),
    "meets": (46, 139, 87),
    "near": (214, 140, 0),
    "misses": (200, 40, 40),
    "none": (190, 190, 190),
    "axis": (110, 110, 110),
    "grid": (225, 225, 225),
    "label": (60, 60, 60),
    "track": (232, 232, 232),
    "peak": (214, 140, 0),
    "target": (20, 20, 20),
    "gap": (255, 255, 255),
}


@dataclass(frozen=True)
class Shape:
    """``rect``: x, y, w, h; ``line``: x, y → x2, y2; ``text``: at x, y (baseline), ``anchor`` start,
    middle or end, ``size`` in chart units."""

    kind: str
    role: str
    x: float
    y: float
    w: float = 0.0
    h: float = 0.0
    x2: float = 0.0
    y2: float = 0.0
    text: str = ""
    anchor: str = "start"
    size: float = 9.0


@dataclass
class Chart:
    width: float
    height: float
    label: str  # what it shows, for screen readers (the SVG's aria-label)
    shapes: list[Shape] = field(default_factory=list)
    rtl: bool = False

    def x(self, value: float) -> float:
        """An x position, mirrored for right-to-left."""
        return self.width - value if self.rtl else value

    def rect(self, role: str, x: float, y: float, w: float, h: float) -> None:
        left = self.width - x - w if self.rtl else x
        self.shapes.append(Shape("rect", role, left, y, w=max(w, 0.0), h=max(h, 0.0)))

    def line(self, role: str, x: float, y: float, x2: float, y2: float) -> None:
        self.shapes.append(Shape("line", role, self.x(x), y, x2=self.x(x2), y2=y2))

    def text(self, role: str, x: float, y: float, text: str, anchor: str = "start",
             size: float = 9.0) -> None:
        if self.rtl and anchor != "middle":
            anchor = "end" if anchor == "start" else "start"
        self.shapes.append(Shape("text", role, self.x(x), y, text=text, anchor=anchor, size=size))


def to_svg(chart: Chart) -> Markup:
    """The chart as inline SVG (scales to its box; text escaped)."""
    parts = [f'<svg class="brief-chart" viewBox="0 0 {chart.width:g} {chart.height:g}" role="img" '
             f'aria-label="{escape(chart.label)}" direction="ltr" preserveAspectRatio="xMidYMid meet">']
    for s in chart.shapes:
        colour = "#{:02x}{:02x}{:02x}".format(*PDF_COLOURS.get(s.role, (0, 0, 0)))
        if s.kind == "rect":
            parts.append(f'<rect class="c-{s.role}" x="{s.x:.1f}" y="{s.y:.1f}" width="{s.w:.1f}" '
                         f'height="{s.h:.1f}" fill="{colour}"/>')
        elif s.kind == "line":
            width = 2 if s.role == "target" else 1
            parts.append(f'<line class="c-{s.role}" x1="{s.x:.1f}" y1="{s.y:.1f}" x2="{s.x2:.1f}" '
                         f'y2="{s.y2:.1f}" stroke="{colour}" stroke-width="{width}"/>')
        else:
            parts.append(f'<text class="c-{s.role}" x="{s.x:.1f}" y="{s.y:.1f}" font-size="{s.size:g}" '
                         f'text-anchor="{s.anchor}" fill="{colour}">{escape(s.text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # every value above is a number or escaped


def draw_pdf(pdf: Any, chart: Chart, x: float, y: float, width: float) -> float:
    """Draw ``chart`` on an fpdf2 page at (``x``, ``y``) mm, ``width`` mm wide; answers its height."""
    scale = width / chart.width
    for s in chart.shapes:
        colour = PDF_COLOURS.get(s.role, (0, 0, 0))
        if s.kind == "rect":
            pdf.set_fill_color(*colour)
            pdf.rect(x + s.x * scale, y + s.y * scale, s.w * scale, s.h * scale, style="F")
        elif s.kind == "line":
            pdf.set_draw_color(*colour)
            pdf.set_line_width(0.5 if s.role == "target" else 0.25)
            pdf.line(x + s.x * scale, y + s.y * scale, x + s.x2 * scale, y + s.y2 * scale)
        else:
            pdf.set_text_color(*colour)
            pdf.set_font_size(s.size * scale * 72 / 25.4)  # chart units → mm → pt
            wide = pdf.get_string_width(s.text)
            left = s.x * scale - (wide if s.anchor == "end" else wide / 2 if s.anchor == "middle" else 0)
            pdf.text(x + left, y + s.y * scale, s.text)
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    return chart.height * scale


# --- the brief's charts -------------------------------------------------------------------------


def hourly(now: Sequence[int], then: Sequence[int] | None, hour_labels: Sequence[str], *, rtl: bool,
           label: str, number: Any = str) -> Chart:
    """Bars of ``now`` per hour, with ``then`` (a week earlier) as a dark tick on each slot; the axis
    labelled every third hour (``hour_labels``: one per slot); ``number`` formats the scale's top."""
    chart = Chart(720, 132, label, rtl=rtl)
    left, top, bottom, right = 34.0, 8.0, 112.0, 714.0
    slots = max(len(now), 1)
    slot = (right - left) / slots
    peak = max([*now, *(then or []), 1])
    scale = (bottom - top) / peak
    chart.line("grid", left, top, right, top)
    chart.text("label", left - 4, top + 4, number(peak), anchor="end", size=10)
    chart.text("label", left - 4, bottom, number(0), anchor="end", size=10)
    for i, value in enumerate(now):
        x = left + i * slot
        chart.rect("now", x + slot * 0.15, bottom - value * scale, slot * 0.7, value * scale)
        if then is not None and i < len(then) and then[i]:
            y = bottom - then[i] * scale
            chart.rect("then", x + slot * 0.08, y - 1.2, slot * 0.84, 2.4)
        if i % 3 == 0 and i < len(hour_labels):
            chart.text("label", x + slot / 2, bottom + 15, hour_labels[i], anchor="middle", size=10)
    chart.line("axis", left, bottom, right, bottom)
    return chart


def meter(value_s: float | None, target_s: float, state: str, *, rtl: bool, label: str) -> Chart:
    """A bar for a duration against its target: the target sits at the middle, the bar stops at
    twice the target (beyond that it is full)."""
    chart = Chart(120, 14, label, rtl=rtl)
    chart.rect("track", 0, 3, 120, 8)
    if value_s is not None:
        chart.rect(state, 0, 3, min(value_s / (2 * target_s), 1.0) * 120, 8)
    chart.line("target", 60, 0, 60, 14)
    return chart


def spark(values: Sequence[int], peak: int, *, rtl: bool, label: str) -> Chart:
    """Travellers per hour as small bars, the peak hour's in its own colour."""
    chart = Chart(144, 24, label, rtl=rtl)
    most = max([*values, 1])
    slot = 144 / max(len(values), 1)
    for i, value in enumerate(values):
        height = 22 * value / most
        chart.rect("peak" if i == peak and value else "now", i * slot + slot * 0.1, 23 - height, slot * 0.8,
                   height)
    chart.line("axis", 0, 23.5, 144, 23.5)
    return chart


def strip(life: dict[str, Any], end_ms: int, *, rtl: bool, label: str,
          tick_labels: tuple[str, str]) -> Chart:
    """One incident's first minutes: opened → dispatched → on scene as coloured segments (each
    against its target: green within, red beyond), the two targets as ticks labelled ``tick_labels``.
    The scale covers the longer of the call-to-scene time and 1.25 × its target."""
    chart = Chart(720, 30, label, rtl=rtl)
    opened = life["opened"]
    dispatch_target = life["dispatch"]["target_s"] * 1000
    response_target = life["response"]["target_s"] * 1000
    scene = life["on_scene"]
    reach = end_ms if scene is None else scene
    span = max(reach - opened, response_target * 1.25, 1)
    left, right = 4.0, 716.0

    def at(ms: float) -> float:
        return left + (right - left) * min(max(ms, 0.0), span) / span

    chart.rect("track", left, 10, right - left, 8)
    dispatched = life["dispatched"]
    if dispatched is not None:
        role = "meets" if life["dispatch"]["met"] else "misses"
        chart.rect(role, left, 10, at(dispatched - opened) - left, 8)
    start = dispatched if dispatched is not None else opened
    if scene is not None:
        chart.rect("meets" if life["response"]["met"] else "misses", at(start - opened), 10,
                   at(scene - opened) - at(start - opened), 8)
    if dispatched is not None:  # where dispatch ends and the way to the scene begins
        chart.rect("gap", at(dispatched - opened) - 1, 10, 2, 8)
    for ms, text in ((dispatch_target, tick_labels[0]), (response_target, tick_labels[1])):
        chart.line("target", at(ms), 6, at(ms), 22)
        chart.text("label", at(ms), 30, text, anchor="middle", size=9)
    return chart
