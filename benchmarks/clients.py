"""Many concurrent clients, each replaying the page's refresh once a second (asyncio + aiohttp).

Each client is one keep-alive session that posts the body Chrome sent for the page's
interval-driven callback (captured by :mod:`.browser`), as a browser tab would: once a second, or
at once when the previous answer took longer than that (a tab never has two refreshes in flight).
For a page with a live feed (``feed_path``: Basira's command view), each update is the refresh and,
at the same time, the feed's request for what changed since the client's last answer — the two
requests the tab makes — and its latency is the slower of the two.
Answers are read whole and not decompressed, so their size is what crossed the wire. A request
that fails, answers other than 200, or takes more than :data:`TIMEOUT_S` is an error. Loopback only;
the number of clients and the duration are bounded by the caller.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

import aiohttp
import requests

from .harness import percentile

#: A refresh that takes longer than this counts as an error (the page would show stale data).
TIMEOUT_S = 10.0
HEADERS = {"Content-Type": "application/json", "Accept-Encoding": "gzip, deflate, br"}


@dataclass
class ClientsResult:
    clients: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    bytes: int

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies_ms, 95)

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


class _Feed:
    """One client's place in the live feed: the cut of its last answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.since: int | None = None

    async def fetch(self, session: aiohttp.ClientSession) -> bytes:
        query = "" if self.since is None else f"?since={self.since}"
        async with session.get(self.url + query, headers=HEADERS) as response:
            payload = await response.read()
            if response.status != 200:
                raise aiohttp.ClientError(f"feed answered {response.status}")
            # the cut from the header: decompressing and parsing every answer would make this load
            # generator, one Python process for all the clients, the bottleneck it measures
            self.since = int(response.headers["X-Basira-Cut"])
        return payload


async def _post(session: aiohttp.ClientSession, url: str, body: bytes) -> bytes:
    async with session.post(url, data=body, headers=HEADERS) as response:
        payload = await response.read()
        if response.status != 200:
            raise aiohttp.ClientError(f"refresh answered {response.status}")
        return payload


async def _client(
    url: str, body: bytes, feed: _Feed | None, until: float, offset: float, result: ClientsResult
) -> None:
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=2)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector, auto_decompress=False) as session:
        await asyncio.sleep(offset)
        due = time.monotonic()
        while due < until:
            started = time.monotonic()
            asks = [_post(session, url, body)] + ([feed.fetch(session)] if feed else [])
            try:
                payloads = await asyncio.gather(*asks)
            except (TimeoutError, aiohttp.ClientError, OSError, ValueError, KeyError):
                result.errors += 1
            else:
                result.latencies_ms.append((time.monotonic() - started) * 1000)
                result.bytes += sum(len(p) for p in payloads)
            due = max(due + 1.0, time.monotonic())
            await asyncio.sleep(max(0.0, due - time.monotonic()))


async def _run(
    url: str, body: bytes, feed_url: str | None, clients: int, seconds: float, result: ClientsResult | None
) -> ClientsResult:
    result = result or ClientsResult(clients, seconds, [], 0, 0)
    rng = random.Random(3)
    until = time.monotonic() + seconds
    await asyncio.gather(*(
        _client(url, body, _Feed(feed_url) if feed_url else None, until, rng.uniform(0, 1.0), result)
        for _ in range(clients)
    ))  # fmt: skip
    return result


def refresh_ms(base_url: str, body: str) -> float:
    """One refresh by one client, nobody else asking: how long the server takes to answer it (ms)."""
    started = time.monotonic()
    response = requests.post(base_url + "/_dash-update-component", data=body, headers=HEADERS, timeout=300)
    response.raise_for_status()
    return (time.monotonic() - started) * 1000


def replay(
    base_url: str,
    body: str,
    clients: int,
    seconds: float,
    result: ClientsResult | None = None,
    feed_path: str | None = None,
) -> ClientsResult:
    """``clients`` clients updating once a second for ``seconds`` against ``base_url`` (loopback).

    A ``result`` passed in is filled as answers arrive, so that another thread (the soak's sampler)
    can read each interval's figures while the clients run. ``feed_path``: the page's live feed,
    asked alongside each refresh (see the module's docstring)."""
    if not base_url.startswith(("http://127.0.0.1", "http://localhost")):
        raise ValueError("the load test only ever targets the loopback interface")
    feed_url = base_url + feed_path if feed_path else None
    return asyncio.run(_run(base_url + "/_dash-update-component", body.encode(), feed_url, clients, seconds,
                            result))
