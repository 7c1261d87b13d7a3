"""The keys a test's prefix owns on its Redis: the prefix's own and its shards' (``app.store.keys``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import redis

from app.contract import shard_prefix


def keys_under(client: redis.Redis, prefix: str) -> Iterator[str]:
    """Every key under ``prefix:`` and under each of its shards' prefixes (``sa/3:``, ``{sa/3}:``)."""
    for match in (f"{prefix}:*", f"{shard_prefix(prefix, '*')}:*"):
        yield from client.scan_iter(match=match, count=1000)


def relative(key: str, prefix: str) -> str:
    """``key`` with ``prefix`` written ``<p>`` (``<p>:inc:idx``, and a shard's ``<p/3>:inc:idx``), so that
    the keys of two prefixes can be compared."""
    if key.startswith(f"{prefix}:"):
        return "<p>" + key[len(prefix):]
    marked = re.escape(shard_prefix(prefix, "#")).replace(re.escape("#"), r"(\d+)")
    if match := re.match(marked + ":", key):
        return f"<p/{match[1]}>" + key[match.end() - 1:]
    return key
