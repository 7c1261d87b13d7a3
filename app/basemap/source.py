"""Which PMTiles file the maps draw, and what it says about itself.

``BASIRA_BASEMAP`` names an operator's file (a Protomaps extract with streets); unset, the Kingdom
basemap Basira ships (:data:`app.basemap.build.SHIPPED`). A configured file that is missing, unreadable,
not PMTiles v3 or not vector tiles is never served: one clear log line says why, the shipped basemap
is drawn instead, and :attr:`BasemapSource.problem` lets the page say so.

:func:`resolve` is cheap to call from every page layout: it is memoised per (path, size, modified
time), so a file replaced in place is checked again, and logs once per change.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import Compression, TileType, deserialize_directory

from .build import SHIPPED

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger("basira.basemap")

#: The stable URL the pages fetch the tiles from (by ``Range``).
BASEMAP_URL = "/basemap.pmtiles"
#: What a Protomaps extract credits when its metadata says nothing.
DEFAULT_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'


class NotABasemap(ValueError):
    """A file that cannot be drawn as the basemap; the message says why."""


@dataclass(frozen=True)
class BasemapSource:
    """The basemap file the pages draw."""

    path: Path
    shipped: bool
    name: str
    #: HTML for Leaflet's attribution control: links and text only (see :func:`safe_attribution`).
    attribution: str
    min_zoom: int
    #: The file's deepest zoom: the browser over-zooms past it.
    max_zoom: int
    bounds: tuple[float, float, float, float]  # west, south, east, north
    #: Changes whenever the file does (size and modified time): the browser's tile requests carry it.
    etag: str
    #: Why the configured file is not drawn (``None``: it is, or none was configured).
    problem: str | None = None


#: The first bytes of every PMTiles file, then its version (one byte).
MAGIC = b"PMTiles"
HEADER_BYTES = 127
#: How tiles may be compressed for a browser to read them (pmtiles' JavaScript decompresses gzip itself).
READABLE = (Compression.NONE, Compression.GZIP)


def inspect(path: Path) -> BasemapSource:
    """Read ``path``'s header, metadata and root directory. Raises :class:`NotABasemap` saying what is
    wrong, in words an operator can act on."""
    try:
        stat = path.stat()
        with open(path, "rb") as handle:
            start = handle.read(HEADER_BYTES)
            if not start.startswith(MAGIC):
                raise NotABasemap("not a PMTiles v3 file (bad magic)")
            if len(start) <= len(MAGIC):
                raise NotABasemap(f"truncated ({len(start)} bytes, shorter than a PMTiles header)")
            if start[len(MAGIC)] != 3:
                raise NotABasemap(f"PMTiles version {start[len(MAGIC)]}, not 3 (convert it: pmtiles convert)")
            if len(start) < HEADER_BYTES:
                raise NotABasemap(f"truncated ({len(start)} bytes, shorter than a PMTiles header)")
            reader = Reader(MmapSource(handle))
            header = reader.header()
            if header["tile_type"] != TileType.MVT:
                raise NotABasemap(f"its tiles are {header['tile_type'].name}, not vector tiles (MVT)")
            if header["tile_compression"] not in READABLE:
                raise NotABasemap(f"its tiles are compressed with {header['tile_compression'].name}, "
                                  "which a browser cannot read (gzip or none)")
            end = header["tile_data_offset"] + header["tile_data_length"]
            if stat.st_size < end:
                raise NotABasemap(f"truncated ({stat.st_size} bytes, its header says {end})")
            try:
                meta = reader.metadata()
            except Exception:  # bad gzip, not UTF-8, not JSON
                raise NotABasemap("its metadata is not JSON") from None
            try:
                root = deserialize_directory(reader.get_bytes(header["root_offset"], header["root_length"]))
            except Exception:
                raise NotABasemap("its root directory cannot be read") from None
            if not root:
                raise NotABasemap("its directory lists no tiles")
    except NotABasemap:
        raise
    except FileNotFoundError:
        raise NotABasemap("no such file") from None
    except PermissionError:
        raise NotABasemap("not readable") from None
    except IsADirectoryError:
        raise NotABasemap("a directory, not a file") from None
    except Exception as error:  # any other damage (a header field out of range, an I/O error)
        raise NotABasemap(f"not a PMTiles v3 file ({type(error).__name__}: {error})"[:200]) from None
    if not isinstance(meta, dict):
        meta = {}
    return BasemapSource(
        path=path,
        shipped=False,
        name=str(meta.get("name") or path.name)[:80],
        attribution=safe_attribution(str(meta.get("attribution") or DEFAULT_ATTRIBUTION)),
        min_zoom=int(header["min_zoom"]),
        max_zoom=int(header["max_zoom"]),
        bounds=(header["min_lon_e7"] / 1e7, header["min_lat_e7"] / 1e7,
                header["max_lon_e7"] / 1e7, header["max_lat_e7"] / 1e7),
        etag=f"{stat.st_size:x}-{stat.st_mtime_ns:x}",
    )


def resolve(settings: Settings) -> BasemapSource:
    """The basemap to draw for ``settings``: the configured file when it can be, else the shipped one."""
    configured = Path(settings.basemap) if settings.basemap else None
    return _resolve(_fingerprint(configured), _fingerprint(SHIPPED))


def _fingerprint(path: Path | None) -> tuple[str, int, int] | None:
    if path is None:
        return None
    try:
        stat = path.stat()
        return str(path), stat.st_size, stat.st_mtime_ns
    except OSError:
        return str(path), -1, -1


@lru_cache(maxsize=8)
def _resolve(configured: tuple[str, int, int] | None, shipped: tuple[str, int, int] | None) -> BasemapSource:
    problem = None
    if configured is not None:
        path = Path(configured[0])
        try:
            source = inspect(path)
            log.info("basemap: %s (%s, zooms %d–%d)", path, source.name, source.min_zoom, source.max_zoom)
            return source
        except NotABasemap as error:
            problem = f"{path}: {error}"
            log.warning("basemap: BASIRA_BASEMAP=%s cannot be drawn (%s); "
                        "showing the shipped Kingdom basemap", path, error)
    source = inspect(SHIPPED)  # shipped with the code: a broken one is a broken install, and raises
    return dataclasses.replace(source, shipped=True, problem=problem)


# --- the attribution: an operator's file's HTML, kept to text and links -------------------------------

_SAFE_HREF = re.compile(r"^https?://[^\s\"'<>]+$")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open_links = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") or ""
        if tag == "a" and _SAFE_HREF.match(href):
            self.out.append(f'<a href="{html.escape(href)}" target="_blank" rel="noopener">')
            self.open_links += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.open_links:
            self.out.append("</a>")
            self.open_links -= 1

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data))


def safe_attribution(text: str) -> str:
    """A file's attribution as HTML with nothing but text and ``http(s)`` links (a file is data)."""
    parser = _Links()
    parser.feed(text[:1000])
    parser.close()
    return "".join(parser.out) + "</a>" * parser.open_links

