"""Many concurrent clients, each replaying the page's refresh once a second (asyncio + aiohttp).

Each client is one keep-alive connection that posts the body Chrome sent for the page's
interval-driven callback (captured by :mod:`.browser`), as a browser tab would: once a second, or
at once when the previous answer took longer than that (a tab never has two refreshes in flight).
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


async def _client(url: str, body: bytes, until: float, offset: float, result: ClientsResult) -> None:
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector, auto_decompress=False) as session:
        await asyncio.sleep(offset)
        due = time.monotonic()
        while due < until:
            started = time.monotonic()
            try:
                async with session.post(url, data=body, headers=HEADERS) as response:
                    payload = await response.read()
                    ok = response.status == 200
            except (TimeoutError, aiohttp.ClientError, OSError):
                ok, payload = False, b""
            if ok:
                result.latencies_ms.append((time.monotonic() - started) * 1000)
                result.bytes += len(payload)
            else:
                result.errors += 1
            due = max(due + 1.0, time.monotonic())
            await asyncio.sleep(max(0.0, due - time.monotonic()))


async def _run(url: str, body: bytes, clients: int, seconds: float) -> ClientsResult:
    result = ClientsResult(clients, seconds, [], 0, 0)
    rng = random.Random(3)
    until = time.monotonic() + seconds
    await asyncio.gather(*(_client(url, body, until, rng.uniform(0, 1.0), result) for _ in range(clients)))
    return result


def refresh_ms(base_url: str, body: str) -> float:
    """One refresh by one client, nobody else asking: how long the server takes to answer it (ms)."""
    started = time.monotonic()
    response = requests.post(base_url + "/_dash-update-component", data=body, headers=HEADERS, timeout=300)
    response.raise_for_status()
    return (time.monotonic() - started) * 1000


def replay(base_url: str, body: str, clients: int, seconds: float) -> ClientsResult:
    """``clients`` clients refreshing once a second for ``seconds`` against ``base_url`` (loopback)."""
    if not base_url.startswith(("http://127.0.0.1", "http://localhost")):
        raise ValueError("the load test only ever targets the loopback interface")
    return asyncio.run(_run(base_url + "/_dash-update-component", body.encode(), clients, seconds))
