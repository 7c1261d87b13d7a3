"""The CAP feed poller: an alerting authority's feed (``BASIRA_CAP_FEED_URL``) read every
``BASIRA_CAP_FEED_EVERY_S``, each new or changed CAP document taken as if it were posted to
``POST /api/v1/cap`` (:meth:`.receive.Ingress.cap`). ``python -m app cap-feed`` runs :class:`CapFeed`.

The feed is either one CAP 1.2 ``alert`` or an index of them — Atom (``feed/entry/link``, as alerting
authorities and Basira's own ``/api/v1/alerts.atom`` publish) or RSS 2.0 (``rss/channel/item/link``) —
whose links are fetched in turn. Only links on the feed's own host are followed (an index cannot send the
poller to other machines), at most :data:`LINKS_MAX` of them. Every document is parsed by
``defusedxml`` (the index too): no DTD, no entity, no external reference.

A document is taken once: the poller remembers each link's content digest and submits a document only
when it is new or has changed, so an unchanged feed writes nothing — not even to the audit trail — and
does not use up the producer's rate. Its alerts are kept to the scope of ``BASIRA_CAP_FEED_PRODUCER``
(a producer token of the users file), else the whole Kingdom, as ``cap-feed``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.error import HTTPError, URLError
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from .cap_in import CAP
from .receive import Ingress, Outcome, Producer

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger("basira.ingress.cap_feed")

ATOM = "http://www.w3.org/2005/Atom"
#: The most CAP documents one poll follows.
LINKS_MAX = 200
#: The largest index read (an index of a few hundred entries is well under it).
INDEX_MAX_BYTES = 4 * 1024 * 1024
TIMEOUT_S = 20.0

#: ``fetch(url, limit)`` → the body (at most ``limit + 1`` bytes); raises ``OSError`` when it cannot.
Fetch = Callable[[str, int], bytes]


def fetch_http(url: str, limit: int) -> bytes:
    """GET ``url`` (http or https only), at most ``limit + 1`` bytes of its body."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise OSError(f"not an http(s) URL: {url[:80]}")
    request = urllib.request.Request(url, headers={"Accept": "application/cap+xml, application/atom+xml, "
                                                             "application/xml;q=0.9, */*;q=0.1",
                                                   "User-Agent": "Basira-cap-feed"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - http(s) checked
            return response.read(limit + 1)
    except HTTPError as error:
        raise OSError(f"HTTP {error.code} {error.reason}") from None
    except URLError as error:
        raise OSError(str(error.reason)) from None


@dataclass
class Poll:
    """What one poll did: documents read, taken (submitted), unchanged, refused; the error that stopped it."""

    documents: int = 0
    taken: int = 0
    unchanged: int = 0
    refused: int = 0
    error: str | None = None


class CapFeed:
    """Polls one feed (see the module)."""

    def __init__(self, ingress: Ingress, settings: Settings, producer: Producer,
                 fetch: Fetch = fetch_http) -> None:
        if not settings.cap_feed_url:
            raise ValueError("no feed: set BASIRA_CAP_FEED_URL")
        self.ingress = ingress
        self.settings = settings
        self.producer = producer
        self.url = settings.cap_feed_url
        self.fetch = fetch
        self.seen: dict[str, str] = {}  # link → digest of the content last taken

    def _same_host(self, link: str) -> bool:
        here, there = urlsplit(self.url), urlsplit(link)
        return (here.scheme, here.netloc) == (there.scheme, there.netloc)

    def links(self, body: bytes) -> list[str] | None:
        """The CAP documents an index links to (``None`` when ``body`` is itself a CAP alert)."""
        try:
            root = SafeET.fromstring(body, forbid_dtd=True)
        except (DefusedXmlException, ParseError) as error:
            raise ValueError(f"the feed is not readable XML ({type(error).__name__}: {error})") from None
        if root.tag == f"{{{CAP}}}alert":
            return None
        found: list[str] = []
        if root.tag == f"{{{ATOM}}}feed":
            for entry in root.iter(f"{{{ATOM}}}entry"):
                links = entry.findall(f"{{{ATOM}}}link")
                chosen = next((link for link in links if "cap" in (link.get("type") or "")), None)
                alternate = (link for link in links if link.get("rel", "alternate") == "alternate")
                chosen = chosen or next(alternate, None)
                if chosen is not None and chosen.get("href"):
                    found.append(urljoin(self.url, chosen.get("href", "").strip()))
        elif root.tag == "rss":
            for item in root.iter("item"):
                link = item.find("link")
                if link is not None and (link.text or "").strip():
                    found.append(urljoin(self.url, (link.text or "").strip()))
        else:
            raise ValueError("the feed is neither a CAP alert nor an Atom or RSS index "
                             f"(root {root.tag[:60]!r})")
        kept = [link for link in dict.fromkeys(found) if self._same_host(link)]
        if len(kept) < len(found):
            log.warning("CAP feed %s links to other hosts; those links are not followed", self.url)
        return kept[:LINKS_MAX]

    def _take(self, link: str, body: bytes, poll: Poll) -> None:
        poll.documents += 1
        digest = hashlib.sha256(body).hexdigest()
        if self.seen.get(link) == digest:
            poll.unchanged += 1
            return
        outcome: Outcome = self.ingress.cap(body, self.producer)
        if outcome.status == 429:  # not taken: try again at the next poll
            poll.refused += 1
            return
        self.seen[link] = digest
        if outcome.status == 202:
            poll.taken += 1
        else:
            poll.refused += 1
            log.warning("CAP feed %s: %s refused (%d): %s", self.url, link, outcome.status,
                        outcome.body.get("error"))

    def poll_once(self) -> Poll:
        """Read the feed once and take what is new or changed."""
        poll = Poll()
        limit = self.settings.ingress_max_bytes
        try:
            body = self.fetch(self.url, INDEX_MAX_BYTES)
            links = self.links(body[:INDEX_MAX_BYTES + 1])
            if links is None:
                self._take(self.url, body, poll)
                return poll
            for link in links:
                try:
                    self._take(link, self.fetch(link, limit), poll)
                except OSError as error:
                    log.warning("CAP feed %s: %s could not be read (%s)", self.url, link, error)
            # forget links the index no longer lists: their alerts expire or are cancelled by the feed
            self.seen = {link: digest for link, digest in self.seen.items() if link in links}
        except (OSError, ValueError) as error:
            poll.error = str(error)[:300]
            log.warning("CAP feed %s: %s", self.url, poll.error)
        return poll

    def run(self, stop: threading.Event) -> None:
        """Poll every ``BASIRA_CAP_FEED_EVERY_S`` until ``stop`` is set."""
        while not stop.is_set():
            poll = self.poll_once()
            if poll.taken or poll.refused:
                log.info("CAP feed %s: %d documents, %d taken, %d refused", self.url, poll.documents,
                         poll.taken, poll.refused)
            stop.wait(self.settings.cap_feed_every_s)
