"""The audit trail's stream (``<p>:audit``), bounded to about ``audit_max_entries``. The part
``store.audit``; :mod:`app.auth.audit` decides what is recorded and logs it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import guarded

if TYPE_CHECKING:
    import redis

    from .keys import Keys


@guarded
class AuditLog:
    """Appends events to one bounded stream and reads the newest back."""

    def __init__(self, client: redis.Redis, keys: Keys, maxlen: int) -> None:
        self.client = client
        self.keys = keys
        self.maxlen = maxlen

    def append(self, entry: dict[str, str]) -> None:
        """Add one event (approximate trimming: cheap)."""
        self.client.xadd(self.keys.audit, entry, maxlen=self.maxlen, approximate=True)

    def recent(self, count: int = 100) -> list[dict[str, str]]:
        """The newest ``count`` events, newest first (each with its stream ``id``)."""
        entries = self.client.xrevrange(self.keys.audit, count=count)
        return [{"id": entry_id, **fields} for entry_id, fields in entries]
