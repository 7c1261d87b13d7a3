"""What every page shares: widgets (KPI strip, legend, freshness), the modes' map and places.
May import: settings, contract, reference, store, layers, Dash; never a page.

``widgets``, ``display`` (the wall and kiosk's map and figures), ``places`` (the nation and regions).
"""
