"""The command view at a past moment: the refresh's answer in a replay, drawn as the live one is.

One frame is one snapshot: :meth:`app.archive.replay.Replay.snapshot` of the view's scope (the same
``scope_for``-clamped :class:`~app.contract.Scope` the live refresh reads, so a commander of Riyadh
replays Riyadh only) — the incidents open then, the units where they were, the ports' last hour and the
KPIs then, recomputed from the archive by the live store's own rules. From it the page draws exactly
what live draws, with the same widgets: the KPI strip (:func:`.._kit.widgets.kpi_strip`), the incident
list or the chosen incident's card (:mod:`.incidents`), and the map's layers — through the layers' own
``data`` methods, handed :class:`ReplayReads` (the snapshot seen as :class:`layers.reads.Reads`), so
the markers, clusters, priorities and hover links are the live ones. The live feed is stopped in a
replay (``assets/feed.js``), and the refresh fills the incidents' and units' layers instead.

Layers the archive does not replay — the heatmap of the last hours, and the calls per region — are
emptied in a replay rather than left showing the present under a replay banner.

Nothing here reaches the page as a traceback: a moment outside the archive, an empty archive or files
that cannot be read answer a notice (in the page's language) and the bar goes back to live.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import duckdb
from dash import html, no_update
from dash.development.base_component import Component

from app.archive.replay import OutsideArchive
from app.contract import Scope
from app.i18n import t
from app.store.incident_rows import IncidentRow, IncidentRows
from layers import by_key
from layers.base import feature_collection

from .._kit import live
from .._kit import widgets as w
from . import drill, incidents
from .drill import View
from .timebar import Moment, band_text, notice, span_of

log = logging.getLogger(__name__)

#: The live layers a replay redraws from the snapshot (the rest are emptied, see the module's text).
REPLAYED = frozenset({"regions", "ports", "incidents", "units"})
#: What reading the archive may raise besides :class:`OutsideArchive` (a partial file, a full disk).
ARCHIVE_ERRORS: tuple[type[Exception], ...] = (duckdb.Error, OSError, ValueError, KeyError)


class ReplayReads:
    """One replayed snapshot as the store's reads the layers use (:class:`layers.reads.Reads`).

    The snapshot is already the scope's, so ``scope`` arguments are not filtered again. Unit trails and
    the closed incidents of the last hours are not replayed (empty); ``cached`` computes every time (a
    frame is drawn once). Its instant (:meth:`now_ms`) is the replayed moment ``at``: what was recent then
    is drawn as recent (a port's queue wait reported shortly before it)."""

    def __init__(self, snapshot: Mapping[str, Any], reference: Any, at: int) -> None:
        self.reference = reference
        self._at = at
        self._incidents: list[dict[str, Any]] = list(snapshot["incidents"]["features"])
        self._units: list[dict[str, Any]] = list(snapshot["units"]["features"])
        self._ports: list[dict[str, Any]] = list(snapshot.get("ports") or [])

    def now_ms(self) -> int:
        return self._at

    def incidents(self, scope: Scope) -> list[dict[str, Any]]:
        return self._incidents

    def incident_rows(self, scope: Scope) -> IncidentRows:
        rows = []
        for feature in self._incidents:
            props = feature["properties"]
            lon, lat = feature["geometry"]["coordinates"][:2]
            opened = int(props.get("opened") or props.get("ts") or 0)
            rows.append(IncidentRow(str(feature["id"]), int(props.get("priority") or 4), str(props["status"]),
                                    str(props["region"]), str(props["agency"]), opened, float(lon),
                                    float(lat)))
        return IncidentRows.of(rows)

    def units(self, scope: Scope) -> list[dict[str, Any]]:
        return self._units

    def unit_trails(self, units: Iterable[Mapping[str, Any]]) -> dict[str, list[list[float]]]:
        return {}

    def calls_by_region(self, regions: Iterable[str],
                        now_ms: int | None = None) -> dict[str, dict[str, float]]:
        return {}

    def port_summary(self, now_ms: int | None = None) -> list[dict[str, Any]]:
        return self._ports

    def closed_chunks(self, scope: Scope, since_ms: int) -> list[Any]:
        return []

    def cached(self, key: Any, compute: Callable[[], tuple[Any, float]]) -> Any:
        return compute()[0]


def layer_data(reads: ReplayReads, keys: Sequence[str], scope: Scope) -> list[dict[str, Any]]:
    """Each of ``keys``' data for the replayed picture (an empty collection for a layer not replayed)."""
    return [by_key(key).data(reads, scope) or feature_collection([]) if key in REPLAYED
            else feature_collection([]) for key in keys]


def picture(
    context: Any,
    moment: Moment,
    view: View,
    lang: str,
    shown: str | None,
    live_keys: Sequence[str],
    fed_keys: Sequence[str],
) -> dict[str, Any]:
    """The refresh's answer at ``moment`` (a replay) for ``view``, by output name (``live_keys`` and
    ``fed_keys``: the layers of its two wildcard outputs, in order): every output the live answer has,
    from the archive — or, when the moment cannot be shown, only the notice and the frame saying why
    (the bar then goes live; the rest stays as it was)."""
    settings = context.settings
    at = moment.at
    assert at is not None
    scope = view.scope
    try:
        snapshot = context.replay.snapshot(at, scope)
    except OutsideArchive:
        span = span_of(context.replay)
        reason = "outside" if span else "empty"
        return {"note": notice(reason, lang, at, span), "frame": {"at": at, "error": reason}}
    except ARCHIVE_ERRORS as error:
        log.warning("command page: replay at %s failed (%s: %s)", at, type(error).__name__, error)
        return {"note": notice("unreadable", lang), "frame": {"at": at, "error": "unreadable"}}
    reads = ReplayReads(snapshot, context.store.reference, at)
    sign, panel = _panel(snapshot, view, moment, lang, shown, settings)
    thinned = bool(snapshot.get("thinned"))
    return dict(
        live=layer_data(reads, live_keys, scope),
        fed=layer_data(reads, fed_keys, scope),
        kpis=w.kpi_strip(snapshot["kpis"], lang, w.Targets.of(settings)),
        incidents=panel,
        shown=sign,
        asof=w.as_of_text(w.Freshness(w.LIVE, snapshot.get("as_of")), lang),
        state=t("replay.state", lang),
        state_class="basira-state is-replay",
        banner="",
        root_class="basira basira-live basira-command is-replay",
        band=band_text(at, thinned, lang, settings.archive_thin_s),
        band_hidden=False,
        seen=f"replay|{scope.token}|{at}",
        beat=live.now_ms(),
        frame={"at": at, "thinned": thinned, "open": len(snapshot["incidents"]["features"])},
    )


def _panel(snapshot: Mapping[str, Any], view: View, moment: Moment, lang: str, shown: str | None,
           settings: Any) -> tuple[str, Any]:
    """The replayed incident list (rows link to their view at the same moment), or the chosen incident's
    card as it stood then; with its digest, and ``no_update`` when it is ``shown``'s."""
    at = moment.at
    assert at is not None
    features = snapshot["incidents"]["features"]
    if view.incident:
        feature = next((f for f in features if str(f.get("id")) == view.incident), None)
        sign = incidents.digest("replay-card", lang, view.data(), moment.data(), feature, at // 60_000)
        if sign == shown:
            return sign, no_update
        back = html.A(t("detail.back", lang), href=href(view.up_to("agency"), moment, lang),
                      className="basira-back", **{"data-nav": "1"})
        if feature is None:
            return sign, [back, html.P(t("replay.not_open", lang), className="basira-card-missing",
                                       **{"data-incident": view.incident})]
        region = feature.get("properties", {}).get("region")
        name = drill.places_of(settings).region_name(region, lang) if region else None
        return sign, [back, incidents.incident_card(feature, lang, at, name)]
    ordered = incidents.by_urgency(features)
    sign = incidents.digest("replay-list", lang, view.data(), moment.data(), len(ordered),
                            incidents.rows_state(ordered, at))
    if sign == shown:
        return sign, no_update

    def row_href(incident: str) -> str:
        return href(View(view.region, view.agency, incident), moment, lang)

    drawn: list[Component] = incidents.incident_list(ordered, lang, at, href_of=row_href, total=len(ordered))
    return sign, drawn


def href(view: View, moment: Moment, lang: str) -> str:
    """The address of ``view`` at ``moment`` (a row opened in a new tab opens the same replay)."""
    query = view.query(lang)
    extra = "&".join(f"{k}={v}" for k, v in moment.query_pairs())
    if not extra:
        return query
    return f"{query}&{extra}" if query != "?" else f"?{extra}"
