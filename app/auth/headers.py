"""Security headers on every response, and a Content-Security-Policy that Dash works under.

The policy lets scripts come only from this server, plus Dash's own inline scripts by their hashes
(``Dash.csp_hashes()``: the renderer's start-up line and the inline clientside callbacks, some of
which Dash registers on the first request — so the hashes are computed when a response needs them
and recomputed when Dash has added one). No ``'unsafe-eval'`` and no inline script of anyone else.
Styles allow ``'unsafe-inline'``: React, Leaflet and plotly.js set ``style`` attributes and insert
``<style>`` elements, which hashes cannot cover; style injection cannot run code. Images may be
``data:``/``blob:`` (Leaflet's and plotly's icons) and, when ``BASIRA_TILE_URL`` names a tile
server, come from that server too. The page may not be framed (``frame-ancestors 'none'``).
``tests/test_auth_browser.py`` loads every page under this policy and finds no violation.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Request, Response

if TYPE_CHECKING:
    import dash

#: Sent on every response.
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
HSTS = "max-age=31536000; includeSubDomains"


def tile_origin(tile_url: str | None) -> str | None:
    """``https://tiles.local:8080`` from a tile URL template, or ``None``."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    # Leaflet's {s} subdomains: a CSP host wildcard covers them.
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


class ContentSecurityPolicy:
    """The policy text for one Dash app, kept current with Dash's inline scripts."""

    def __init__(self, dash_app: dash.Dash, tile_url: str | None = None) -> None:
        self.dash_app = dash_app
        self.images = " ".join(filter(None, ("'self'", "data:", "blob:", tile_origin(tile_url))))
        self._lock = threading.Lock()
        self._made_for = -1
        self._text = ""

    def _inline_count(self) -> int:
        from dash import _callback

        return len(self.dash_app._inline_scripts) + len(_callback.GLOBAL_INLINE_SCRIPTS)

    def text(self) -> str:
        with self._lock:
            count = self._inline_count()
            if count != self._made_for:
                hashes = " ".join(self.dash_app.csp_hashes())
                self._text = "; ".join(
                    (
                        "default-src 'self'",
                        f"script-src 'self' {hashes}",
                        "style-src 'self' 'unsafe-inline'",
                        f"img-src {self.images}",
                        "font-src 'self' data:",
                        "connect-src 'self'",
                        "worker-src 'self' blob:",
                        "object-src 'none'",
                        "base-uri 'self'",
                        "form-action 'self'",
                        "frame-ancestors 'none'",
                    )
                )
                self._made_for = self._inline_count()
            return self._text


def secure_headers(response: Response, request: Request, *, csp: ContentSecurityPolicy | None, hsts: bool,
                   private: bool) -> Response:
    """Add the headers to ``response``. ``hsts``: the request came over HTTPS and cookies are secure;
    ``private``: the body is someone's scoped data (never stored by a cache)."""
    for name, value in STATIC_HEADERS.items():
        response.headers.setdefault(name, value)
    if csp is not None and response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = csp.text()
    if hsts:
        response.headers["Strict-Transport-Security"] = HSTS
    if private:
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
        response.vary.add("Authorization")
    return response
