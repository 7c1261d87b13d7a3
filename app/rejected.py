"""The rejected entries: what producers sent that did not follow the contract, and a way back in.

``python -m app rejected`` lists them grouped by reason; ``--resubmit`` writes the original fields
back to their stream (after the producer's data or Basira's contract was fixed) and removes them
from ``<prefix>:rejected``. An entry still invalid is simply rejected again, with its reason: the
resubmission can lose nothing. Two exceptions: an entry kept cut (``truncated``: it was larger than
what the rejected stream keeps) is never resubmitted — it would be a different entry — and an entry
whose bytes were not UTF-8 is resubmitted byte for byte (from ``fields_b64``).
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

from .store import Store

#: The "(got …)" tail of a reason names the bad value; grouping ignores it.
_GOT = re.compile(r" \(got .*?\)(?=;|$)")


@dataclass(frozen=True)
class Rejected:
    entry_id: str  # id in the rejected stream
    stream: str
    original_id: str
    reason: str
    fields: dict[str, str]
    truncated: int | None = None  # the original size in bytes, when what is kept was cut
    raw: dict[bytes, bytes] | None = None  # the exact bytes, when they were not UTF-8

    @property
    def refusal(self) -> str | None:
        """Why this entry cannot be resubmitted, or ``None``."""
        if self.truncated is not None:
            return (f"{self.entry_id} ({self.stream} {self.original_id}) was cut to what the rejected "
                    f"stream keeps (its original was {self.truncated:,} bytes): resubmitting it would "
                    "write a different entry; ask its producer to send it again")
        return None

    @property
    def kind(self) -> str:
        """The reason without the offending values, for grouping."""
        return _GOT.sub("", self.reason)


def scan(store: Store, batch: int = 1000) -> Iterator[Rejected]:
    """Every rejected entry, oldest first (read through ``store.rejected``)."""
    for entry_id, raw in store.rejected.scan(batch):
        try:
            fields = orjson.loads(raw.get("fields", "{}"))
            pairs = orjson.loads(raw["fields_b64"]) if "fields_b64" in raw else None
            exact = {base64.b64decode(k): base64.b64decode(v) for k, v in pairs} if pairs else None
        except (orjson.JSONDecodeError, ValueError, TypeError):
            fields, exact = {}, None
        size = raw.get("truncated")
        yield Rejected(entry_id, raw.get("stream", ""), raw.get("entry_id", ""), raw.get("reason", ""),
                       fields if isinstance(fields, dict) else {},
                       int(size) if size and size.isdigit() else None, exact)


def summary(store: Store) -> Counter[tuple[str, str]]:
    """How many rejected entries per (stream, reason kind)."""
    return Counter((r.stream, r.kind) for r in scan(store))


def resubmit(store: Store, reason: str | None = None, stream: str | None = None,
             dry_run: bool = False, refused: list[Rejected] | None = None) -> int:
    """Write matching rejected entries back to their streams; returns how many.

    ``reason`` keeps those whose reason contains the text; ``stream`` those of one input stream
    (``incidents``…). Each entry is re-added and removed from the rejected stream in one
    transaction, so an interruption never loses or duplicates one. Matching entries that cannot be
    resubmitted (cut: see :attr:`Rejected.refusal`) stay where they are and are appended to
    ``refused``.
    """
    wanted_stream = store.rejected.input_stream(stream) if stream else None
    count = 0
    for item in scan(store):
        if not store.rejected.is_input_stream(item.stream) or (stream and item.stream != wanted_stream):
            continue
        if (reason and reason not in item.reason) or not item.fields:
            continue
        if item.refusal is not None:
            if refused is not None:
                refused.append(item)
            continue
        count += 1
        if dry_run:
            continue
        fields = item.raw or {k: str(v) for k, v in item.fields.items()}
        store.rejected.resubmit(item.entry_id, item.stream, fields)
    return count
