"""The basemap's vector tiles: the file Basira ships or an operator's, checked, and served by range.

* :mod:`.build` — ``python -m app basemap build``: the Kingdom basemap from the project's own geodata;
* :mod:`.source` — :func:`resolve`: which file the pages draw (``BASIRA_BASEMAP``, else the shipped one),
  what it is and whom it credits;
* :mod:`.serve` — ``GET /basemap.pmtiles`` (:data:`BASEMAP_URL`), answered by byte range.

Never imports Dash: the layer (``layers/basemap.py``) reads what :func:`resolve` says, the web app
registers the blueprint.
"""

from __future__ import annotations

from .source import BASEMAP_URL, BasemapSource, resolve

__all__ = ["BASEMAP_URL", "BasemapSource", "resolve"]
