"""The tick of a live page — the command view, the wall, the kiosk and the port panel.

Every live page refreshes the same way: read the store's times, say how fresh the picture is, send
each live layer's data only when the store has changed since this browser's last refresh, and show
the down state (never a traceback) when the store does not answer. :class:`LivePage` holds that
once: a page names its refresh's outputs with :meth:`LivePage.outputs` (Dash's dict outputs) and
answers by name (:meth:`LivePage.answer`, :meth:`LivePage.down`); what it leaves out is not updated.
The watchdog (:meth:`LivePage.register_pace` with ``watchdog=True``, ``basira.paceAndWatch`` in
``assets/basira.js``) runs in the browser, so it still works when the server does not answer at all.
The refresh listens to the page's pulse, not to its tick (:meth:`LivePage.register_pace`,
``basira.pace``): a new one only once the last refresh has answered, since Dash drops an answer that
comes after the callback was asked again.

Ids are the page's own, ``<page>-<name>`` (``live-state``, ``wall-banner``): the access control
knows a page's callbacks by that prefix (:mod:`app.auth.guard`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dash import ALL, ClientsideFunction, Dash, Input, Output, State, callback_context, dcc, html, no_update

from app.contract import Scope
from app.i18n import t
from app.services import services
from app.store import StoreUnavailable
from layers import LIVE_PART
from layers.base import LAYER_ID_TYPE

from . import widgets as w

log = logging.getLogger(__name__)

#: What a page catches when the store does not answer: it shows the down state instead.
UNREACHABLE: tuple[type[Exception], ...] = (StoreUnavailable, OSError)


def now_ms() -> int:
    """Now, in epoch milliseconds (the unit of every time the store keeps), by the application's clock
    (:attr:`app.services.Services.clock`) — inside a request, as every page's callback and layout is."""
    return services().clock()


def silence_limit_ms(settings: Any) -> int:
    """How long without any answer from the server before a page says it is not live."""
    return int(max(settings.stale_after_s * 1000, 5 * settings.refresh_ms))


def layers_output(page: str, prop: str = "data", part: Any = LIVE_PART) -> Output:
    """``prop`` of every layer component of ``page`` (the ``data`` of its live parts by default; the
    ``hideout`` of all its parts with ``part=ALL``) — see :func:`layers.part_id`."""
    return Output({"type": LAYER_ID_TYPE, "page": page, "layer": ALL, "part": part}, prop)


def layer_keys(name: str) -> list[str]:
    """The layer keys of the wildcard output ``name`` of the running callback, in its order."""
    return [spec["id"]["layer"] for spec in callback_context.outputs_grouping[name]]


def version(scope: Scope, as_of: Any, applied_at: Any) -> str:
    """What the live layers of ``scope`` were built from: a browser that has it needs no new data."""
    return f"{scope.token}|{as_of}|{applied_at}"


def payloads(keys: Sequence[str], current: str | Mapping[str, str], seen: Any,
             data: Callable[[str], Any]) -> list[Any]:
    """``data(key)`` for each live layer, or ``no_update`` where the browser has it already.

    ``current`` is either one version for all the layers (all sent again when it moves), or each layer's
    own — a digest of its data, as the page's ``seen`` store then holds them — so that only the layers
    whose data changed are sent. dash-leaflet draws a GeoJSON's data again whenever it is given, equal or
    not: the regions' 13 polygons removed and added again, the ports' and the calls' markers, every
    second, and at 100,000 incidents the first render waited for the second refresh's identical regions."""
    if isinstance(current, Mapping):
        had = seen if isinstance(seen, Mapping) else {}
        return [no_update if key in had and had[key] == current.get(key) else data(key) for key in keys]
    if current == seen:
        return [no_update] * len(keys)
    return [data(key) for key in keys]


def empty_payloads(keys: Sequence[str]) -> list[dict[str, Any]]:
    """An empty FeatureCollection for each live layer: what a page shows when it must show nothing."""
    return [{"type": "FeatureCollection", "features": []} for _ in keys]


def answer(outputs: Mapping[str, Any], **values: Any) -> dict[str, Any]:
    """The answer of a callback with the named ``outputs``: ``values``, and ``no_update`` for the
    rest (a list of them for a wildcard output)."""
    unknown = set(values) - set(outputs)
    if unknown:
        raise KeyError(f"not an output of this callback: {sorted(unknown)}")
    return {
        name: values[name] if name in values else
        [no_update] * len(callback_context.outputs_grouping[name]) if isinstance(out.component_id, dict)
        else no_update
        for name, out in outputs.items()
    }


def unreachable(where: str, error: Exception) -> None:
    """Say in the log that ``where`` found the store unreachable (the page shows it too)."""
    log.warning("%s: store unreachable (%s)", where, error)


@dataclass(frozen=True)
class Tick:
    """One refresh: when it runs, the store's times and how fresh its picture is."""

    now_ms: int
    as_of: int | None
    applied_at: int | None
    caught_up_at: int | None
    fresh: w.Freshness
    #: The store holds the simulator's data only (:meth:`app.store.meta.Meta.is_demo`).
    demo: bool = False

    def version(self, scope: Scope) -> str:
        return version(scope, self.as_of, self.applied_at)


def watchdog_banner(page: str, lang: str) -> html.Div:
    """The watchdog's banner, ``<page>-watchdog``: shown when the server has not answered for a while."""
    return html.Div(t("lost.banner", lang), id=f"{page}-watchdog", className="basira-watchdog", role="alert")


def watchdog_stores(page: str, settings: Any) -> list[dcc.Store]:
    """What the watchdog reads: ``<page>-beat`` (the server's last answer, from the refresh) and
    ``<page>-watch`` (how long a silence may last; when this browser last heard a beat is kept in the
    browser, by ``basira.paceAndWatch``)."""
    return [
        dcc.Store(id=f"{page}-beat", data=None),
        dcc.Store(id=f"{page}-watch", data={"page": page, "limit_ms": silence_limit_ms(settings)}),
    ]


def pulse_store(page: str, settings: Any) -> dcc.Store:
    """``<page>-pulse``: what the refresh listens to instead of the page's tick — a new pulse on a tick
    only when the last refresh asked has been answered (:meth:`LivePage.register_pace`)."""
    return dcc.Store(id=f"{page}-pulse", data={"page": page, "limit_ms": silence_limit_ms(settings)})


class LivePage:
    """The refresh of one live page: its outputs by name, its tick, its freshness display, its answers.

    ``root`` and ``state`` are the classes of the page's root and state line; the freshness adds
    ``is-<state>`` to each. The display's outputs are ``state`` (the word), ``state_class``,
    ``banner``, ``root_class``; besides them ``live`` (each live layer's data), ``demo`` (the demo
    badge's ``hidden``), ``seen`` (the version the browser holds) and ``beat`` (when the server
    last answered, for the watchdog). A page declares those it has, and its own.
    """

    COMMON: Mapping[str, tuple[str, str]] = {
        "state": ("state", "children"),
        "state_class": ("state", "className"),
        "banner": ("banner", "children"),
        "root_class": ("root", "className"),
        "demo": ("demo", "hidden"),
        "seen": ("seen", "data"),
        "beat": ("beat", "data"),
    }

    def __init__(self, page: str, settings: Any, store: Any, *, root: str,
                 state: str = "basira-state") -> None:
        self.page, self.settings, self.store = page, settings, store
        self.root, self.state = root, state
        self._outputs: dict[str, Output] = {}

    def id(self, name: str) -> str:
        return f"{self.page}-{name}"

    def outputs(self, *common: str, **own: Output) -> dict[str, Output]:
        """The refresh's outputs: ``live`` and the ``common`` ones named (see the class), then ``own``."""
        outs: dict[str, Output] = {"live": layers_output(self.page)}
        for name in common:
            component, prop = self.COMMON[name]
            outs[name] = Output(self.id(component), prop)
        outs.update(own)
        self._outputs = outs
        return outs

    @property
    def outputs_named(self) -> dict[str, Output]:
        """The outputs :meth:`outputs` declared."""
        return self._outputs

    def tick(self, now: int | None = None) -> Tick:
        """The store's times at ``now`` (default: now) and whether it is a demo's, in one read (raises
        :data:`UNREACHABLE` errors)."""
        now = now_ms() if now is None else now
        times, demo = self.store.meta.glance()
        fresh = w.Freshness.of(times["as_of"], times["caught_up_at"], now, self.settings.stale_after_s)
        return Tick(now, times["as_of"], times["applied_at"], times["caught_up_at"], fresh, demo)

    def display(self, fresh: w.Freshness, lang: str, banner: Any = None) -> dict[str, Any]:
        """The freshness as the page shows it (``banner``: the page's own, else the common one)."""
        shown = {
            "state": w.state_text(fresh, lang),
            "state_class": f"{self.state} is-{fresh.state}",
            "banner": w.banner_text(fresh, lang) if banner is None else banner,
            "root_class": f"{self.root} is-{fresh.state}",
        }
        return {name: value for name, value in shown.items() if name in self._outputs}

    def answer(self, fresh: w.Freshness, lang: str, banner: Any = None, **values: Any) -> dict[str, Any]:
        """The refresh's answer: the freshness display, ``values``, and ``no_update`` for the rest."""
        return answer(self._outputs, **{**self.display(fresh, lang, banner), **values})

    def down(self, error: Exception, lang: str, now: int, banner: Callable[[w.Freshness], Any] | None = None,
             **values: Any) -> dict[str, Any]:
        """The answer when the store does not answer: the down state over the last picture (kept,
        greyed out by the state class), everything re-sent once the store is back."""
        unreachable(f"{self.page} page", error)
        fresh = w.Freshness(w.DOWN)
        common = {"seen": None, "beat": now}
        values = {**{k: v for k, v in common.items() if k in self._outputs}, **values}
        return self.answer(fresh, lang, None if banner is None else banner(fresh), **values)

    @property
    def pulse(self) -> Input:
        """The refresh's input in place of the tick (see :meth:`register_pace`)."""
        return Input(self.id("pulse"), "data")

    def register_pace(self, app: Dash, tick: str, watchdog: bool = False) -> None:
        """The refresh paced by its answers (``basira.pace``, in the browser): each ``tick`` makes a new
        :meth:`pulse` only when an answer (a new ``beat``) came since the last, or none for too long.
        Dash drops the answer of a callback asked again while it runs: driven by the tick itself, a
        refresh slower than the tick would never be shown. The page's refresh must answer ``beat``
        every time.

        With ``watchdog``, the same callback also gives the watchdog's banner its class
        (``basira.paceAndWatch``; the page has :func:`watchdog_banner` and :func:`watchdog_stores`):
        shown once no answer has come for the ``watch`` store's limit. One callback on the tick, not
        one for the pace, one for the watchdog and one more for each answer: each callback Dash runs
        costs the page a pass over every component, every second on a page open all day (issue 17).
        The beat is read at each tick, never listened to (that would close a loop: beat → pulse →
        refresh → beat), so an answer clears the banner at the next tick."""
        function = ClientsideFunction("basira", "pace")
        outputs = [Output(self.id("pulse"), "data")]
        states = [State(self.id("beat"), "data"), State(self.id("pulse"), "data")]
        if watchdog:
            function = ClientsideFunction("basira", "paceAndWatch")
            outputs.append(Output(self.id("watchdog"), "className"))
            states.append(State(self.id("watch"), "data"))
        app.clientside_callback(
            function,
            *outputs,
            Input(tick, "n_intervals"),
            *states,
            prevent_initial_call=True,
        )
