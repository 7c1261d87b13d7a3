"""What every page shares: the live-page tick, widgets (KPI strip, legend, freshness), the modes' map, places.
May import: settings, contract, reference, store, layers, Dash; never a page.

``live`` (the tick: :class:`~.live.LivePage`, ``now_ms``), ``widgets``, ``display`` (the wall and the
kiosk's map and figures), ``places`` (the nation and the regions).
"""
