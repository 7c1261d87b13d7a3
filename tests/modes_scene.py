"""Shared by the wall and kiosk browser tests: a small national scene, and the screen size to test at.

The scene is a few incidents, units, port counts and calls across the Kingdom, all older than any
"new incident" window (so they raise no alert); the tests add what they need on top.
"""

from __future__ import annotations

from app.contract import Stream
from tests.helpers import incident, now_ms, unit

#: (region, lat, lon) of a city in each of several regions.
CITIES = (
    ("SA-01", 24.7136, 46.6753),  # Riyadh
    ("SA-02", 21.4225, 39.8262),  # Makkah
    ("SA-03", 24.4672, 39.6111),  # Madinah
    ("SA-04", 26.4207, 50.0888),  # Dammam
    ("SA-07", 28.3838, 36.5550),  # Tabuk
    ("SA-14", 18.2164, 42.5053),  # Abha
)
AGENCIES = ("civil_defense", "traffic", "patrol", "red_crescent")
CATEGORIES = ("fire", "collision", "theft", "medical")


def scene(now: int | None = None) -> dict[Stream, list[dict[str, str]]]:
    """Entries for ``tests.browser.feed``: 3 incidents (priorities 1–3) and 2 units per city, ten
    minutes old; port traffic at the King Fahd Causeway and Jeddah's airport and a few 911 calls, a
    minute old — counted back from ``now`` (the clock the app is served with; default: the machine's)."""
    now = now_ms() if now is None else now
    old = now - 10 * 60_000
    incidents, units = [], []
    for n, (region, lat, lon) in enumerate(CITIES):
        for k in range(3):
            incidents.append(incident(
                f"{region}-I{k}", priority=str(k + 1), agency=AGENCIES[(n + k) % 4],
                category=CATEGORIES[(n + k) % 4], lat=f"{lat + 0.01 * k:.4f}", lon=f"{lon + 0.012 * k:.4f}",
                ts=old, status="dispatched" if k == 0 else "new",
            ))  # fmt: skip
        units.append(unit(f"{region}-U1", agency=AGENCIES[n % 4], lat=f"{lat + 0.02:.4f}", lon=f"{lon:.4f}",
                          heading="90", ts=old))
        units.append(unit(f"{region}-U2", agency=AGENCIES[n % 4], status="on_scene", lat=f"{lat:.4f}",
                          lon=f"{lon + 0.02:.4f}", ts=old))
    recent = now - 60_000
    ports = [
        {"port": port, "direction": direction, "travellers": str(count), "category": category,
         "wait_min": "25", "ts": str(recent)}
        for port in ("land-king-fahd-causeway", "air-jed")
        for direction, count, category in (("arrival", 1200, "visitor"), ("arrival", 800, "pilgrim"),
                                           ("departure", 950, "resident"))
    ]  # fmt: skip
    calls = [
        {"id": f"C{n}", "ts": str(recent), "answered_ts": str(recent + (8_000 if n % 5 else 30_000)),
         "outcome": "incident", "region": CITIES[n % len(CITIES)][0]}
        for n in range(20)
    ]  # fmt: skip
    return {Stream.incidents: incidents, Stream.units: units, Stream.ports: ports, Stream.calls: calls}


def screen(driver, width: int, height: int) -> None:
    """Make the page's viewport exactly ``width``×``height`` CSS pixels (a window's size includes
    the browser's own frame; this is the size media queries see)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def reset_screen(driver) -> None:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
