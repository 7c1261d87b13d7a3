"""A pygeoapi feature provider reading Basira's store — the candidate ``benchmarks/ogc_choice.py`` measured
against the thin ``/ogc`` blueprint, kept so the measurement can be run again.

pygeoapi hands a provider no caller: scope can only be had because pygeoapi's Flask views call the
provider inside the request, where Basira's gate has put the principal (:func:`app.auth.scope_for`).
Only importable where pygeoapi is (``ogc_choice.py`` puts it on the path).
"""

from __future__ import annotations

from typing import Any

from pygeoapi.provider.base import BaseProvider, ProviderItemNotFoundError, ProviderQueryError

from app.auth import scope_for
from app.ogc.collections import COLLECTIONS, context_for, in_bbox, time_of
from app.ogc.query import BadQuery, BBox, Query, parse_datetime, select
from app.services import services


class BasiraProvider(BaseProvider):
    """``data`` names the collection (``incidents``, ``units`` …), read in the caller's scope."""

    def __init__(self, provider_def: dict[str, Any]) -> None:
        super().__init__(provider_def)
        self.collection = COLLECTIONS[provider_def["data"]]

    def get_fields(self) -> dict[str, Any]:
        return {"region": {"type": "string"}, "agency": {"type": "string"}, "status": {"type": "string"},
                "time": {"type": "string", "format": "date-time"}}

    def _features(self) -> list[dict[str, Any]]:
        current = services()
        return self.collection.read(context_for(current.store, scope_for(strict=True),
                                                current.settings.history_hours))

    def query(self, offset: int = 0, limit: int = 10, resulttype: str = "results", bbox: list | None = None,
              datetime_: str | None = None, **_kwargs: Any) -> dict[str, Any]:
        try:
            query = Query(bbox=BBox(*bbox) if bbox else None,
                          datetime=parse_datetime(datetime_) if datetime_ else None)
        except BadQuery as error:
            raise ProviderQueryError(str(error)) from None
        selected = select(self._features(), query, time_of, in_bbox)
        page = [] if resulttype == "hits" else selected[offset:offset + limit]
        return {"type": "FeatureCollection", "features": page, "numberMatched": len(selected),
                "numberReturned": len(page)}

    def get(self, identifier: str, **_kwargs: Any) -> dict[str, Any]:
        for feature in self._features():
            if feature.get("id") == identifier:
                return feature
        raise ProviderItemNotFoundError(f"no feature {identifier[:64]!r}")
