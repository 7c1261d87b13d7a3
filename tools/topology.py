"""Draws the reference topology of a national centre (``docs/img/topology.svg``) for docs/operations.md:
who runs where, how many of each, and what takes over from what — one picture, kept as code so that
it changes with the deployment and anyone can draw it again::

    python tools/topology.py            # writes docs/img/topology.svg
    python tools/topology.py --check    # exits 1 when the file differs from what this draws

Plain SVG (no dependency), in the dark UI's colours (assets/basira.css), so it reads on a wall too.
``tests/test_deploy.py`` checks the committed file against this drawing.
"""

from __future__ import annotations

import sys
from html import escape
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "img" / "topology.svg"
WIDTH, HEIGHT = 1100, 800
BACKGROUND, PANEL, FRAME, TEXT, MUTED = "#0B1118", "#121C27", "#2A3A4C", "#E8EEF4", "#9FB0C2"
#: One colour per kind of process; the legend names them.
WEB, INGEST, ALERTS, ARCHIVE, COT, REDIS, SENTINEL, OUTSIDE = (
    "#74C0FC", "#8CE99A", "#FFD43B", "#D0BFFF", "#FFA8A8", "#FF8787", "#FFC078", "#ADB5BD")


class Drawing:
    """An SVG being written: shapes in the order drawn (later ones on top)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def text(self, x: float, y: float, text: str, size: int = 13, color: str = TEXT, anchor: str = "middle",
             weight: str = "normal") -> None:
        self.parts.append(f'<text x="{x}" y="{y}" font-size="{size}" fill="{color}" text-anchor="{anchor}" '
                          f'font-weight="{weight}">{escape(text)}</text>')

    def frame(self, x: float, y: float, w: float, h: float, title: str, note: str = "") -> None:
        """A host: a rounded outline with its name at the top left."""
        self.parts.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="12" fill="{PANEL}" '
                          f'stroke="{FRAME}" stroke-width="2"/>')
        self.text(x + 14, y + 22, title, 15, TEXT, "start", "bold")
        if note:
            self.text(x + w - 14, y + 22, note, 12, MUTED, "end")

    def box(self, x: float, y: float, w: float, h: float, label: str, sub: str = "", color: str = WEB,
            standby: bool = False) -> None:
        """A process (or a group of them): solid when it runs, dashed when installed and stopped."""
        dash = ' stroke-dasharray="6 4"' if standby else ""
        fill = BACKGROUND if standby else color + "22"
        self.parts.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="7" fill="{fill}" '
                          f'stroke="{color}" stroke-width="2"{dash}/>')
        cy = y + h / 2 + (-3 if sub else 5)
        self.text(x + w / 2, cy, label, 13, color if standby else TEXT, weight="bold")
        if sub:
            self.text(x + w / 2, cy + 16, sub, 11, MUTED)

    def arrow(self, points: list[tuple[float, float]], color: str = MUTED, label: str = "",
              at: tuple[float, float] | None = None, dashed: bool = False, anchor: str = "middle",
              both: bool = False) -> None:
        path = " ".join(f"{x},{y}" for x, y in points)
        dash = ' stroke-dasharray="7 5"' if dashed else ""
        start = ' marker-start="url(#head)"' if both else ""
        self.parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"{dash}'
                          f'{start} marker-end="url(#head)"/>')
        if label and at:
            self.text(at[0], at[1], label, 12, MUTED, anchor)

    def svg(self) -> str:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
                f'viewBox="0 0 {WIDTH} {HEIGHT}" '
                'font-family="DejaVu Sans, Segoe UI, Helvetica, Arial, sans-serif">\n'
                '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                'markerHeight="7" orient="auto-start-reverse">'
                f'<path d="M0,0 L10,5 L0,10 z" fill="{MUTED}"/></marker></defs>\n'
                f'<rect width="{WIDTH}" height="{HEIGHT}" fill="{BACKGROUND}"/>\n')
        return head + "\n".join(self.parts) + "\n</svg>\n"


def app_host(d: Drawing, x: float, name: str, first: bool) -> None:
    """One of the two application hosts: the same units, the singletons' standbys on the second."""
    y = 250
    d.frame(x, y, 470, 250, name, "basira-*.service (deploy/systemd)")
    d.box(x + 16, y + 38, 215, 46, "web@8050 · web@8051", "gunicorn: 2 processes × 4 threads", WEB)
    d.box(x + 239, y + 38, 215, 46, "ingest@1 · ingest@2", "one consumer group for all four", INGEST)
    if first:
        d.box(x + 16, y + 94, 215, 46, "alerts", "holds the lease: evaluates", ALERTS)
        d.box(x + 239, y + 94, 215, 46, "archive", "the one archiver", ARCHIVE)
        d.box(x + 16, y + 150, 215, 46, "cot · tak-out", "TAK in (8089/8087/6969) · TAK out", COT)
        d.box(x + 239, y + 150, 215, 46, "sentinel-3 :26379", "the third vote", SENTINEL)
    else:
        d.box(x + 16, y + 94, 215, 46, "alerts", "stands by: takes the lease in 2 s", ALERTS)
        d.box(x + 239, y + 94, 215, 46, "archive (standby)", "installed, stopped: start by hand", ARCHIVE,
              standby=True)
        d.box(x + 16, y + 150, 215, 46, "cot", "TAK devices list both hosts", COT)
        d.box(x + 239, y + 150, 215, 46, "tak-out (standby)", "installed, stopped: start by hand", COT,
              standby=True)
    d.text(x + 235, y + 228, "REDIS_SENTINELS → whichever server is primary; each process its own ACL user",
           11, MUTED)


def draw() -> str:
    d = Drawing()
    d.text(WIDTH / 2, 32, "Basira · بصيرة — reference topology of a national centre", 20, TEXT, weight="bold")
    d.text(WIDTH / 2, 54, "two application hosts, two Redis hosts, three Sentinels; solid boxes run, dashed "
           "ones are installed and stopped", 13, MUTED)

    # Outside: who writes, who looks.
    d.box(40, 80, 300, 54, "Producers", "call-taking, CAD, AVL, ports (basira-producer)", OUTSIDE)
    d.box(760, 80, 300, 54, "Viewers", "video walls, command staff, analysts", OUTSIDE)
    d.box(400, 160, 300, 54, "Load balancer pair", "active/standby · health check GET /readyz", OUTSIDE)
    d.arrow([(910, 134), (910, 187), (700, 187)], label="HTTPS", at=(918, 166), anchor="start")
    d.arrow([(470, 214), (470, 230), (155, 230), (155, 288)])
    d.arrow([(630, 214), (630, 230), (705, 230), (705, 288)])
    d.text(550, 245, "to every web worker that answers /readyz", 11, MUTED)

    app_host(d, 40, "app-1", first=True)
    app_host(d, 590, "app-2", first=False)

    # The archive: one folder, the archiver writes it, the web workers read it.
    d.box(380, 512, 340, 44, "archive folder (BASIRA_ARCHIVE_DIR)",
          "the archiver writes, every web worker reads (shared mount)", ARCHIVE)
    d.arrow([(494, 367), (550, 367), (550, 512)], color=ARCHIVE)

    # The data hosts.
    d.frame(40, 590, 470, 120, "redis-1", "data host")
    d.box(56, 624, 215, 58, "sentinel-1 :26379", "watches, votes", SENTINEL)
    d.box(279, 624, 215, 58, "Redis primary :6379", "every write, every read", REDIS)
    d.frame(590, 590, 470, 120, "redis-2", "data host")
    d.box(606, 624, 215, 58, "Redis replica :6379", "a copy, promoted on failover", REDIS)
    d.box(829, 624, 215, 58, "sentinel-2 :26379", "watches, votes", SENTINEL)
    d.arrow([(494, 653), (606, 653)], color=REDIS)
    d.text(550, 645, "replicates", 11, MUTED)
    d.text(550, 670, "(async)", 11, MUTED)
    d.arrow([(386, 682), (386, 726), (713, 726), (713, 682)], color=SENTINEL, dashed=True)
    d.text(550, 744, "failover: 2 of 3 Sentinels agree the primary is down (5 s) → the replica is promoted, "
           "the old primary rejoins as its replica", 12, SENTINEL)
    d.text(550, 762, "replication (as basira-replication) is asynchronous: WAIT for 1 replica "
           "(BASIRA_REDIS_WAIT_REPLICAS) narrows what a failover can lose", 11, MUTED)
    # Producers write to the primary; every process reaches it through the Sentinels.
    d.arrow([(40, 107), (22, 107), (22, 578), (300, 578), (300, 624)], color=OUTSIDE)
    d.text(28, 560, "XADD", 11, MUTED, "start")
    d.arrow([(275, 500), (275, 564), (350, 564), (350, 624)], color=MUTED)
    d.arrow([(825, 500), (825, 570), (410, 570), (410, 624)], color=MUTED)

    # Legend.
    x = 40
    for color, name in [(WEB, "web"), (INGEST, "ingest"), (ALERTS, "alerts"), (ARCHIVE, "archive"),
                        (COT, "CoT / TAK"), (REDIS, "Redis"), (SENTINEL, "Sentinel")]:
        d.parts.append(f'<rect x="{x}" y="778" width="14" height="14" rx="3" fill="{color}"/>')
        d.text(x + 20, 790, name, 12, MUTED, "start")
        x += 100
    d.text(WIDTH - 40, 790, "docs/operations.md · python tools/topology.py", 11, MUTED, "end")
    return d.svg()


def main(argv: list[str]) -> int:
    drawn = draw()
    if "--check" in argv:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == drawn
        print(f"{OUT}: {'as drawn' if same else 'differs from tools/topology.py; run it'}")
        return 0 if same else 1
    OUT.write_text(drawn, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
