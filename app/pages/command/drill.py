"""Drill-down on the command view: national → region → agency → incident.

What the viewer looks at is a :class:`View` — a scope (region × agency) and, optionally, one incident.
It is written in the URL (``/?region=SA-02&agency=traffic&incident=T1&lang=ar``), so a view can be
bookmarked and shared; this module turns untrusted query values into a view (unknown ones fall back to
the nation, never to an error page), a view back into its query, and draws the breadcrumb and the
pickers that change it. :func:`viewport` says where the map goes when the view changes: it moves only
then — on the user's action — and never when new data arrives.

Every link here is a real ``<a href="?…">`` (it opens in a new tab, and can be copied); in the page,
``assets/command.js`` turns a plain click on one into an in-page change of view with a history entry.
:func:`register` adds the callbacks: :func:`navigate` is the one place the view changes (a link, the
back button, a picker, a click on a region of the map); the URL, the breadcrumb and the map follow.

Region names and bounds come from :mod:`.._kit.places` (read once per file).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import dash_leaflet as dl
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, callback_context, html, no_update
from dash.development.base_component import Component

from app.auth import audit, scope_for
from app.contract import OUTSIDE, Agency, ContractError, Scope
from app.i18n import lang_or, t
from app.reference import Reference
from layers import LIVE_PART
from layers.base import LAYER_ID_TYPE

from .._kit import live
from .._kit import places as _places

log = logging.getLogger(__name__)

#: An incident id as the contract allows it (1–64 of ``A–Z a–z 0–9 . _ : -``).
_INCIDENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
#: The region picker's value for "all regions" (a dropdown value cannot be ``None``).
PICK_ALL = "all"
#: Zoom for one incident: its town and the roads around it (the offline basemap has no streets).
INCIDENT_ZOOM = 12
#: Space kept free around a fitted region (px), so its border is not under the map's edge.
FIT_PADDING = [24, 24]

Bounds = list[list[float]]  # [[south, west], [north, east]], as Leaflet takes them


@dataclass(frozen=True)
class View:
    """What the command view shows: the nation or a region, all agencies or one, perhaps one incident."""

    region: str | None = None
    agency: str | None = None
    incident: str | None = None

    @classmethod
    def parse(cls, region: Any = None, agency: Any = None, incident: Any = None) -> View:
        """The view named by untrusted values (a query string, a click): anything unknown is dropped."""
        incident = _text(incident)
        if incident is not None and not _INCIDENT_ID.fullmatch(incident):
            incident = None
        return cls(_scope_part(region, None), _scope_part(None, agency), incident)

    @classmethod
    def of(cls, data: Any) -> View:
        """The view held in a ``dcc.Store`` (a dict, or anything else for the nation)."""
        data = data if isinstance(data, Mapping) else {}
        return cls.parse(data.get("region"), data.get("agency"), data.get("incident"))

    @property
    def scope(self) -> Scope:
        """What this view may read: the region and agency it names, clamped to the viewer's access
        (:func:`app.auth.scope_for` — every page read goes through here)."""
        return scope_for(self.region, self.agency)

    def data(self, **extra: Any) -> dict[str, Any]:
        """The view as ``dcc.Store`` data (``extra``: flags for the page, such as ``push``)."""
        return {"region": self.region, "agency": self.agency, "incident": self.incident, **extra}

    def query(self, lang: str | None = None) -> str:
        """``?region=…&agency=…&incident=…&lang=…``, leaving out what is "all"."""
        pairs = [("region", self.region), ("agency", self.agency), ("incident", self.incident),
                 ("lang", lang)]
        text = urlencode([(k, v) for k, v in pairs if v])
        return f"?{text}" if text else "?"

    def up_to(self, level: str) -> View:
        """The view one of the breadcrumb's ancestors stands for: ``national``, ``region`` or ``agency``."""
        if level == "national":
            return View()
        if level == "region":
            return View(self.region)
        return replace(self, incident=None)


def _scope_part(region: Any, agency: Any) -> str | None:
    """The region (or agency) of ``Scope.parse``, ``None`` when it is "all" or unknown."""
    try:
        scope = Scope.parse(_text(region), _text(agency))
    except ContractError:
        return None
    return scope.region or scope.agency


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return None if not value or value == PICK_ALL else value


# --- the geography (the wall's places, from the reference data: one reading for every page) ----------


class Places:
    """Region names (both languages, from the data) and bounds, for the drill-down."""

    def __init__(self, reference: Reference) -> None:
        self._regions = _places.regions(reference)
        self.codes: tuple[str, ...] = tuple(p.code for p in self._regions)

    def region_name(self, code: str | None, lang: str) -> str:
        if code == OUTSIDE:
            return t("popup.outside", lang)
        place = _places.by_code(self._regions, code)
        return place.name(lang) if place else t("scope.national", lang)

    def bounds_of(self, region: str | None) -> Bounds:
        """Where to fit the map for ``region`` (the Kingdom for the nation or an unknown region)."""
        place = _places.by_code(self._regions, region) or _places.national(self._regions)
        return place.view()["bounds"]


def places_of(settings: Any) -> Places:
    """The drill-down's :class:`Places` for the settings' reference data (``Reference.from_settings``)."""
    return _cached_places(Reference.from_settings(settings))


@lru_cache(maxsize=4)
def _cached_places(reference: Reference) -> Places:
    return Places(reference)


# --- where the map goes --------------------------------------------------------------------------------


def fit(bounds: Bounds) -> dict[str, Any]:
    """A ``dl.Map.viewport`` that flies to ``bounds``."""
    return {"bounds": bounds, "transition": "flyToBounds", "options": {"padding": FIT_PADDING}}


def viewport(
    old: View, new: View, places: Places, point: tuple[float, float] | None
) -> dict[str, Any] | None:
    """Where the map goes when the view changes from ``old`` to ``new`` — or ``None``: it stays.

    To an incident newly chosen (``point``: its ``(lat, lon)``, when known); to the region (or the
    Kingdom) when the region changes or the viewer comes back up from an incident. Choosing an agency
    leaves the map where the viewer put it.
    """
    if new.incident and new.incident != old.incident and point is not None:
        return {"center": [point[0], point[1]], "zoom": INCIDENT_ZOOM, "transition": "flyTo"}
    if new.region != old.region or (old.incident and not new.incident):
        return fit(places.bounds_of(new.region))
    return None


def clicked_region(click: Any) -> str | None:
    """The region code of a clicked map feature (``properties.code``), or ``None``."""
    if not isinstance(click, Mapping):
        return None
    props = click.get("properties")
    return _scope_part(props.get("code"), None) if isinstance(props, Mapping) else None


# --- the breadcrumb and the pickers -------------------------------------------------------------------


def breadcrumb(view: View, lang: str, places: Places) -> Component:
    """Where the viewer is: National › region › agency › incident; each ancestor is a link back up."""
    levels: list[tuple[str, str]] = [("national", t("scope.national", lang))]
    if view.region:
        levels.append(("region", places.region_name(view.region, lang)))
    if view.agency:
        levels.append(("agency", t(f"agency.{view.agency}", lang)))
    if view.incident:
        levels.append(("incident", t("scope.incident", lang, id=view.incident)))
    items = []
    for n, (level, label) in enumerate(levels):
        if n == len(levels) - 1:
            crumb: Component = html.Span(label, className="basira-crumb is-here", **{"aria-current": "page"})
        else:
            crumb = html.A(label, href=view.up_to(level).query(lang), className="basira-crumb",
                           **{"data-nav": "1"})
        items.append(html.Li(crumb, **{"data-level": level}))
    return html.Nav(html.Ol(items), className="basira-crumbs", **{"aria-label": t("scope.nav", lang)})


def region_options(lang: str, places: Places) -> list[dict[str, str]]:
    """The region picker: the nation first, then the 13 regions by name in ``lang``."""
    regions = sorted(places.codes, key=lambda code: places.region_name(code, lang))
    return [{"label": t("scope.all_regions", lang), "value": PICK_ALL}] + [
        {"label": places.region_name(code, lang), "value": code} for code in regions
    ]


def agency_options(lang: str) -> list[dict[str, str]]:
    """The agency picker: all agencies first, then each agency's name in ``lang``."""
    return [{"label": t("scope.all_agencies", lang), "value": PICK_ALL}] + [
        {"label": t(f"agency.{agency.value}", lang), "value": agency.value} for agency in Agency
    ]


def picker_value(value: str | None) -> str:
    return value or PICK_ALL


# --- the chosen incident on the map -----------------------------------------------------------------


def pick(point: tuple[float, float] | None) -> list[Component]:
    """The ring around the chosen incident (nothing when none is chosen, or it has no position)."""
    if point is None:
        return []
    return [dl.CircleMarker(center=list(point), radius=17, interactive=False, className="basira-pick",
                            pathOptions={"color": "#74c0fc", "weight": 3, "fill": False})]


def point(feature: dict[str, Any] | None) -> tuple[float, float] | None:
    """``(lat, lon)`` of an incident Feature, or ``None``."""
    try:
        lon, lat = feature["geometry"]["coordinates"][:2]  # type: ignore[index]
        return float(lat), float(lon)
    except (KeyError, TypeError, ValueError):
        return None


def opening_view(places: Places, view: View, chosen: tuple[float, float] | None) -> dict[str, Any]:
    """The map's first view: the chosen incident, else the region (or the Kingdom), fitted."""
    if chosen is not None:
        return {"center": list(chosen), "zoom": INCIDENT_ZOOM}
    return {"bounds": places.bounds_of(view.region), "boundsOptions": {"padding": FIT_PADDING}}


# --- the callbacks -----------------------------------------------------------------------------------


def _replaying(time: Any) -> bool:
    """Whether the time bar's moment (``live-time``'s data) is one of the archive."""
    return isinstance(time, Mapping) and time.get("at") is not None


def register(app: Dash, context: Any, ids: Any) -> None:
    """The drill-down's callbacks on a page whose component ids are ``ids`` (``live.ID``): the view
    changes in :func:`navigate` only; the URL, the breadcrumb and the map follow it."""
    settings, store = context.settings, context.store
    page = ids.root.removesuffix("-root")

    @app.callback(
        Output(ids.scope, "data"),
        Output(ids.region, "value"),
        Output(ids.agency, "value"),
        Output(ids.map, "viewport"),
        Output(ids.pick, "children"),
        Output(ids.focus, "hideout"),
        Input(ids.nav, "data"),
        Input(ids.region, "value"),
        Input(ids.agency, "value"),
        Input({"type": LAYER_ID_TYPE, "page": page, "layer": ALL, "part": LIVE_PART}, "clickData"),
        State(ids.scope, "data"),
        State(ids.time, "data"),
        prevent_initial_call=True,
    )
    def navigate(nav: Any, region: Any, agency: Any, _clicks: list[Any], current: Any, time: Any) -> tuple:
        """The view changes here only: from a link or the back button (``nav``), a picker, or a
        click on a region of the map. The map moves once, to what the viewer asked for — except to an
        incident chosen in a replay: the timeline (:mod:`.timeline`) fits the map to it and its units'
        tracks, from the archive."""
        old = View.of(current)
        trigger = callback_context.triggered_id
        from_history = False
        if trigger == ids.nav:
            if not isinstance(nav, dict):  # the store's own first report, not a request
                return (no_update,) * 6
            new = View.of(nav)
            from_history = bool(nav.get("history"))
        elif trigger == ids.region:
            new = View(View.parse(region).region, old.agency)
        elif trigger == ids.agency:
            new = View(old.region, View.parse(None, agency).agency)
        else:  # a click on the map
            code = clicked_region(callback_context.triggered[0].get("value"))
            if code is None:
                return (no_update,) * 6
            new = View(code, old.agency)
        if new == old:
            return (no_update, picker_value(new.region), picker_value(new.agency),
                    no_update, no_update, no_update)
        if new.scope != old.scope:
            try:
                audit.scope_changed(page, new.scope, old.scope)
            except live.UNREACHABLE as error:  # the trail is Redis too: never fail the view on it
                log.warning("%s page: scope change not audited (%s)", page, error)
        where = None
        if new.incident and new.incident != old.incident:
            try:
                where = point(store.live.incident(new.incident, new.scope))
            except live.UNREACHABLE as error:
                live.unreachable(f"{page} page", error)
        return (
            new.data(push=not from_history),
            picker_value(new.region),
            picker_value(new.agency),
            viewport(old, new, places_of(settings), None if _replaying(time) else where) or no_update,
            pick(where) if new.incident != old.incident else no_update,
            {"region": new.region} if new.region != old.region else no_update,
        )

    # The URL follows the view and the time bar's moment (a history entry per change the viewer makes)
    # and the language (replaced in place).
    app.clientside_callback(
        ClientsideFunction("basira.command", "syncUrl"),
        Output(ids.url, "data"),
        Input(ids.scope, "data"),
        Input(ids.lang, "value"),
        Input(ids.time, "data"),
    )

    @app.callback(
        Output(ids.crumbs, "children"),
        Input(ids.scope, "data"),
        Input(ids.lang, "value"),
        prevent_initial_call=True,
    )
    def crumbs(scope_data: Any, lang: str | None) -> Component:
        lang = lang_or(lang, settings.language)
        return breadcrumb(View.of(scope_data), lang, places_of(settings))
