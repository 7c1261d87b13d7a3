"""The one way in for the standards' adapters (Cursor on Target, NENA EIDO, CAP): check what a producer
sends against the contract and its scope, then write it to the input streams as any producer would.

An adapter turns a message of its standard into stream entries (``(Stream, fields)``, the flat string
fields of docs/events.md) and hands them to :meth:`Gate.submit` with the ``source`` (``cot``, ``eido``,
``cap``…), who sent it and the scope they may write. Each entry is

* **validated now** by the contract (:func:`app.contract.parse`), so an HTTP producer hears of a bad
  entry in its answer rather than finding it later in ``<prefix>:rejected``;
* **kept to the producer's scope**: its region (the entry's own, else the region its point lies in) and
  agency must lie inside it — a Makkah CAD's token writes Makkah only;
* then ``XADD``ed to its stream (:meth:`app.store.streams.Streams.produce`): the ingest worker applies
  it exactly as it applies every other producer's entries, and the archive and the alerts follow.

What is refused goes to ``<prefix>:rejected`` with its reason and ``stream`` = ``ingress:<source>``
(:meth:`app.store.rejected.RejectedEntries.record`), like an entry the ingest worker rejects; what an
adapter cannot read at all (malformed XML, an oversize message) it refuses with :meth:`Gate.refuse`.
No Flask here: the routes and listeners call in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.contract import OUTSIDE, ContractError, Scope, Stream, parse

if TYPE_CHECKING:
    from app.reference import Reference
    from app.store import Store

Entry = tuple[Stream, dict[str, str]]
#: How every scope refusal's reason begins (an answer refuses a message with 403 when it is all these).
OUTSIDE_SCOPE = "outside the producer's scope"


@dataclass
class Submitted:
    """What became of a message's entries: the stream ids written, and each refused one's reason (by
    its index in the message's entries)."""

    written: list[str] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused


class Gate:
    """Validation, scope and writing for the adapters (see the module)."""

    def __init__(self, store: Store, reference: Reference | None = None) -> None:
        self.store = store
        self.reference = reference or store.reference

    def region_of(self, fields: dict[str, str]) -> str:
        """The entry's region: its own ``region``, else the one its point lies in (``outside``: none)."""
        if fields.get("region"):
            return fields["region"]
        try:
            lon, lat = float(fields["lon"]), float(fields["lat"])
        except (KeyError, ValueError):
            return OUTSIDE
        return self.reference.region_index.assign_one(lon, lat)

    def check(self, entry: Entry, scope: Scope, now_ms: int) -> str | None:
        """Why ``entry`` may not be written by a producer of ``scope`` (``None``: it may)."""
        stream, fields = entry
        try:
            parse(stream, fields, now_ms=now_ms)
        except ContractError as error:
            return error.reason
        if stream in (Stream.incidents, Stream.units, Stream.calls):
            region = self.region_of(fields)
            agency = fields.get("agency") if stream is not Stream.calls else None
            if not scope.covers(region, agency):
                where = f"{region}/{agency}" if agency else region
                return f"{OUTSIDE_SCOPE}: {where} (it may write {scope.token})"
        elif stream is Stream.ports:
            port = self.reference.ports.get(fields.get("port", ""))
            if port is not None and not scope.covers(port.region):
                return f"{OUTSIDE_SCOPE}: port {port.id} is in {port.region}"
        return None

    def submit(self, source: str, entries: list[Entry], scope: Scope, who: str = "") -> Submitted:
        """Check every entry; write those that pass (in one transaction), refuse the rest with reasons."""
        now = int(time.time() * 1000)
        out = Submitted()
        good: list[Entry] = []
        for n, entry in enumerate(entries):
            reason = self.check(entry, scope, now)
            if reason is None:
                good.append(entry)
            else:
                out.refused.append((n, reason))
                self.refuse(source, reason, {**entry[1], "_stream": entry[0].value}, who)
        if good:
            out.written = self.store.streams.produce(good)
        return out

    def refuse(self, source: str, reason: str, fields: dict[str, str], who: str = "") -> None:
        """Record what could not be taken in ``<prefix>:rejected`` (``stream`` = ``ingress:<source>``)."""
        self.store.rejected.record(f"ingress:{source}", reason, {**fields, **({"_by": who} if who else {})})
