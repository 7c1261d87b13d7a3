"""The one interface every map layer implements, and the helpers layers share.

A layer is a small object with a ``key``, a bilingual ``title`` and three duties:

* :meth:`Layer.component` — the dash-leaflet component(s) it adds to a map, drawn once per page;
* :meth:`Layer.data` — for *live* layers, the data of a scope (a GeoJSON FeatureCollection) that
  the page's refresh callback pushes into the layer's ``data`` prop; static layers return ``None``;
* :meth:`Layer.legend` — what its colours and symbols mean, in both languages.

:meth:`Layer.applies` says whether a layer has anything to show under the settings (most always do).

Behaviour that changes without new data (the language, later filters) goes through the
components' ``hideout`` prop (:meth:`Layer.hideout`), read by the clientside functions in
``assets/basira.js``; the data is never rebuilt for it. Pages loop over ``layers.LAYERS`` and never
special-case a layer: the ids come from :func:`part_id`, so pattern-matching callbacks
(``ALL``) reach every layer's components.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from app.i18n import LANGUAGES, bilingual

from .js import BASIRA

if TYPE_CHECKING:
    from dash.development.base_component import Component

    from app.contract import Scope
    from app.settings import Settings

    from .reads import Reads

#: The ``type`` of every layer component id (see :func:`part_id`).
LAYER_ID_TYPE = "basira-layer"
#: The ``part`` of a live layer's data component: the refresh callback writes its ``data``.
LIVE_PART = "live"
#: The ``part`` of a *fed* layer's data component on a page that uses the live feed
#: (``app/feed.py``): it shows a replayed moment (the refresh callback writes its ``data`` then) and
#: reports a click on a live marker (``clickData``); live, its data is empty.
FEED_PART = "feed"
#: The ``part`` that holds a fed layer's live markers on such a page: a plain GeoJSON whose one
#: placeholder point becomes ``basira.liveLayer`` (``assets/livelayer.js``), which the live feed
#: (``assets/feed.js``) hands its changes to directly — not through Dash — and which redraws only
#: the markers that changed.
HOST_PART = "host"
#: Coordinates are sent to the browser with this many decimals (~1 m); more is noise on the wire.
COORD_DECIMALS = 5


def part_id(page: str, layer: str, part: str) -> dict[str, str]:
    """The id of one component of one layer on one page.

    Every layer component uses this shape, so callbacks can address them all with
    ``{"type": LAYER_ID_TYPE, "page": page, "layer": ALL, "part": ALL}``; ``page`` keeps two pages
    of one app (the command view and the wall) from sharing ids.
    """
    return {"type": LAYER_ID_TYPE, "page": page, "layer": layer, "part": part}


@dataclass(frozen=True)
class MapContext:
    """What a layer needs to know to draw itself on one page's map."""

    page: str
    lang: str
    settings: Settings
    #: The page draws the fed layers (incidents, units) from the live feed, not its refresh.
    feed: bool = False

    def id(self, layer: str, part: str) -> dict[str, str]:
        return part_id(self.page, layer, part)


@dataclass(frozen=True)
class LegendEntry:
    """One line of a legend: a swatch (``colour`` drawn as ``shape``) and its label in each language."""

    colour: str
    label: Mapping[str, str]
    shape: str = "dot"  # dot | arrow | fill | line | cluster | hatch


@dataclass(frozen=True)
class Legend:
    """A layer's legend: its title and entries, both bilingual."""

    title: Mapping[str, str]
    entries: Sequence[LegendEntry] = field(default_factory=tuple)


class Layer(ABC):
    """Base class of the map layers. Subclasses set ``key``/``title_key`` and override the duties."""

    #: Stable, short, URL-safe name (``incidents``); also the ``layer`` of its component ids.
    key: ClassVar[str]
    #: :mod:`app.i18n` key of the layer's title.
    title_key: ClassVar[str]
    #: True when the layer's data comes from the store and is refreshed by the page.
    live: ClassVar[bool] = False
    #: Credit the map must show while the layer is drawn (HTML for Leaflet's attribution control).
    attribution: ClassVar[str | None] = None
    #: A base map: drawn beneath every overlay and chosen (not switched off) in a page's layer
    #: control; with a single base map the control does not list it, so it is always on.
    base: ClassVar[bool] = False
    #: Whether an overlay is switched on when a page opens (the layer control can change it).
    shown: ClassVar[bool] = True
    #: A live layer the live feed can carry (as changes, by id): on a page with ``MapContext.feed``
    #: its data component is ``FEED_PART``, outside the page's refresh.
    fed: ClassVar[bool] = False
    #: A fed layer's kind in the live feed's answers (``app/feed.py``: ``inc`` or ``unit``).
    feed_kind: ClassVar[str] = ""

    @property
    def title(self) -> Mapping[str, str]:
        """The layer's title in every language."""
        return bilingual(self.title_key)

    def applies(self, settings: Settings) -> bool:
        """Whether the layer has anything to show under ``settings`` (default: always). Pages leave a
        layer that has not off their map, layer control and legend (the hatch of regions not yet
        connected, while every region is)."""
        return True

    @abstractmethod
    def component(self, ctx: MapContext) -> list[Component]:
        """The map component(s) of this layer. Live layers include one with ``part == LIVE_PART``."""

    def data_part(self, ctx: MapContext) -> str:
        """The ``part`` of this layer's data component on ``ctx``'s page."""
        return FEED_PART if self.fed and ctx.feed else LIVE_PART

    def hideout(self, lang: str, settings: Settings) -> dict[str, Any]:
        """What the layer's clientside functions read (labels in ``lang``, options)."""
        return {"lang": lang}

    def data(self, store: Reads, scope: Scope) -> dict[str, Any] | None:
        """A live layer's data for ``scope`` (a GeoJSON FeatureCollection); ``None`` for static layers.

        ``store`` is the store's part for layers (``store.layers``,
        :class:`app.store.layer_reads.LayerReads`), or its view for one refresh (``for_refresh()``): the
        reads of :class:`~layers.reads.Reads`.
        The store's errors (``StoreUnavailable``) propagate: the page decides how to show an unreachable
        store.
        """
        return None

    @abstractmethod
    def legend(self) -> Legend:
        """What the layer's symbols mean."""


def clustered_points(
    layer: Layer, ctx: MapContext, pane: str, pane_z: int, radius: int, max_zoom: int,
    functions: Mapping[str, dict[str, str]],
) -> Component:
    """A live layer's points as one clustered GeoJSON (supercluster in the browser) in its own pane.

    ``functions`` are its functional props, from :func:`clustered_functions`."""
    import dash_leaflet as dl

    part = layer.data_part(ctx)
    hideout = layer.hideout(ctx.lang, ctx.settings)
    clustered = dl.GeoJSON(
        id=ctx.id(layer.key, part),
        data=feature_collection([]),
        cluster=True,
        zoomToBoundsOnClick=True,
        superClusterOptions={"radius": radius, "maxZoom": max_zoom},
        **functions,
        hideout=hideout,
    )
    if part != FEED_PART:
        return dl.Pane(name=pane, style={"zIndex": pane_z}, children=clustered)
    stem = functions["pointToLayer"]["variable"].removeprefix("basira.").removesuffix("Point")
    spec = {"kind": layer.feed_kind, "stem": stem, "radius": radius, "maxZoom": max_zoom,
            "clicks": ctx.id(layer.key, FEED_PART)}
    host = dl.GeoJSON(
        id=ctx.id(layer.key, HOST_PART),
        data=feature_collection([{"type": "Feature", "properties": spec,
                                  "geometry": {"type": "Point", "coordinates": [45.0, 24.0]}}]),
        pointToLayer=BASIRA("liveLayer"),
        hideout=hideout,
    )
    return dl.Pane(name=pane, style={"zIndex": pane_z}, children=[clustered, host])


def clustered_functions(stem: str) -> dict[str, dict[str, str]]:
    """A clustered layer's functional props, named from ``stem`` in ``window.basira``:
    ``<stem>Point``, ``<stem>Cluster`` and ``<stem>Linked`` (``"unit"`` → ``basira.unitPoint`` …)."""
    return {
        "pointToLayer": BASIRA(f"{stem}Point"),
        "clusterToLayer": BASIRA(f"{stem}Cluster"),
        "onEachFeature": BASIRA(f"{stem}Linked"),
    }


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def point_features(
    features: list[dict[str, Any]], text_limits: Mapping[str, int] | None = None
) -> list[dict[str, Any]]:
    """The store's Point features, made ready for the browser — in place, since this runs every refresh.

    Copies the feature ``id`` into ``properties.id`` (dash-leaflet's clustering matches markers
    between renders by it), rounds coordinates to :data:`COORD_DECIMALS`, and cuts long texts
    (``text_limits``: property → max characters) so a refresh stays small. Features without a usable
    point are skipped. The dicts are modified and returned, not copied: they are the caller's own,
    freshly parsed from the store (rebuilding them costs ~5× more at tens of thousands of points),
    and nothing else reads the properties this changes.
    """
    limits = tuple((text_limits or {}).items())
    out = []
    append = out.append
    for feature in features:
        try:
            geometry = feature["geometry"]
            lon, lat = geometry["coordinates"][:2]
            props = feature["properties"]
            props["id"] = feature["id"]
        except (KeyError, TypeError, ValueError):
            continue
        geometry["coordinates"] = [round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS)]
        for name, limit in limits:
            text = props.get(name)
            if isinstance(text, str) and len(text) > limit:
                props[name] = text[: limit - 1] + "…"
        append(feature)
    return out


def check_bilingual(mapping: Mapping[str, str]) -> bool:
    """True when ``mapping`` has a non-empty text for every supported language."""
    return all(mapping.get(lang) for lang in LANGUAGES)
