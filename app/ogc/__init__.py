"""Lives here: OGC API – Features for GIS clients (QGIS, ArcGIS Pro, GDAL) — the collections and what they
read (:mod:`.collections`), the items query and paging (:mod:`.query`), the API's own OpenAPI 3.0
document (:mod:`.openapi`). The routes under ``/ogc`` are :mod:`app.api_ogc`.
May import: the contract, the store's reads, the alerts' listing; never Flask (the views hold the request).

A thin implementation rather than pygeoapi: measured in ``benchmarks/ogc_choice.py``, reasoned in
``docs/standards.md`` ("OGC API – Features").
"""
