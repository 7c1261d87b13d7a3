"""The rejected entries' stream (``<p>:rejected``): reading it, and putting an entry back on its input
stream. The part ``store.rejected``; :mod:`app.rejected` groups and filters on top of it.

The ingest worker writes this stream (with its commits, :mod:`.apply`); this part only reads it and
moves entries out of it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..contract import INPUT_STREAMS, escaped
from .apply import rejected_record
from .errors import guarded

if TYPE_CHECKING:
    import redis

    from .keys import Keys

Entries = list[tuple[str, dict[str, str]]]


@guarded
class RejectedEntries:
    """Reads and resubmits the entries of ``<p>:rejected``."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    @property
    def key(self) -> str:
        """The rejected stream's key, for messages (``sa:rejected``)."""
        return self.keys.rejected

    def record(self, source: str, reason: str, fields: dict[str, str], maxlen: int = 100_000) -> str:
        """Reject what an adapter (``ingress:cot``, ``ingress:eido``, ``ingress:cap``…) could not turn into
        a stream entry at all — malformed XML, a document of the wrong shape, an entry outside the
        producer's scope — in the same shape as the ingest worker's rejections (``entry_id`` empty: it
        never reached a stream), counted under ``rejected:<source>`` in ``ingress:stats`` (which
        :meth:`~.streams.Streams.stats` reports with the ingest worker's counters)."""
        entry = {"stream": source, "entry_id": "", "reason": escaped(reason)[:1000],
                 **rejected_record(fields), "rejected_at": str(int(time.time() * 1000))}
        with self.client.pipeline(transaction=True) as pipe:
            pipe.xadd(self.keys.rejected, entry, maxlen=maxlen, approximate=True)
            pipe.hincrby(self.keys.ingress_stats, f"rejected:{source}", 1)
            return str(pipe.execute()[0])

    def newest(self, count: int = 100) -> Entries:
        """The newest rejected entries, newest first."""
        return self.client.xrevrange(self.keys.rejected, count=count)

    def scan(self, batch: int = 1000) -> Iterator[tuple[str, dict[str, str]]]:
        """Every rejected entry, oldest first, as stored: ``(id, fields)``, read ``batch`` at a time."""
        start = "-"
        while True:
            chunk = self.client.xrange(self.keys.rejected, min=start, count=batch)
            yield from chunk
            if len(chunk) < batch:
                return
            start = f"({chunk[-1][0]}"

    def input_stream(self, name: str | None) -> str | None:
        """The key of the input stream named ``name`` (``incidents``…), as rejected entries record it."""
        return next((s.key(self.keys.prefix) for s in INPUT_STREAMS if s.value == name), None)

    def is_input_stream(self, key: str) -> bool:
        """True when ``key`` (a rejected entry's ``stream``) is one of the input streams."""
        return key in self.keys.input_streams()

    def resubmit(self, entry_id: str, stream_key: str, fields: dict[str, str] | dict[bytes, bytes]) -> None:
        """Write ``fields`` back to the input stream ``stream_key`` and remove rejected entry ``entry_id``,
        in one transaction: an interruption never loses or duplicates it."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.xadd(stream_key, fields)
            pipe.xdel(self.keys.rejected, entry_id)
            pipe.execute()
