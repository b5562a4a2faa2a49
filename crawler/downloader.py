"""Scrapy's downloader with per-site politeness shared by every source crawling a site.

One engine serves every source run, so one downloader slot per site already makes two
sources on one site share its delay and concurrency. Two changes to Scrapy's default:
- a slot is a *site*, host and port (`store.model.site_of`), not a bare host name: two
  servers on one host are two sites (every fixture site is 127.0.0.1 on its own port);
- a slot's delay never drops below the largest `delay`, and its concurrency never exceeds
  the smallest `concurrency`, of the sources registered for the site, whatever
  AutoThrottle does (its own floor is one number for the whole crawl).
"""

from __future__ import annotations

import asyncio
import inspect
from time import monotonic
from typing import TYPE_CHECKING

from scrapy.core.downloader import Downloader, Slot

from store.model import site_of

if TYPE_CHECKING:
    from scrapy.http import Request


BUSY_RETRY = 0.1  # seconds between looks at a slot whose places are all taken


class PoliteSlot(Slot):
    """A download slot with a delay floor."""

    __slots__ = ("floor",)

    def __init__(self, concurrency: int, delay: float, jitter: float | None = None,
                 floor: float = 0.0) -> None:
        super().__init__(concurrency, max(delay, floor), jitter)
        self.floor = floor

    def download_delay(self) -> float:
        return max(self.floor, super().download_delay())


class SiteDownloader(Downloader):
    """DOWNLOADER setting: slots per site, politeness per site across sources."""

    def __init__(self, crawler: object) -> None:
        super().__init__(crawler)  # type: ignore[arg-type]
        self.politeness: dict[str, tuple[float, int]] = {}  # site -> (delay, concurrency)
        # site -> its line of requests waiting a turn, and how many are in it
        self._lines: dict[str, tuple[asyncio.Lock, int]] = {}

    def register(self, site: str, delay: float, concurrency: int) -> None:
        """A source crawls `site`: the site keeps the strictest settings of its sources."""
        held = self.politeness.get(site)
        if held is not None:
            delay, concurrency = max(delay, held[0]), min(concurrency, held[1])
        self.politeness[site] = (delay, concurrency)
        slot = self.slots.get(site)
        if isinstance(slot, PoliteSlot):
            slot.floor, slot.concurrency = delay, concurrency
            slot.delay = max(slot.delay, delay)

    async def take_turn(self, request: Request) -> tuple[Slot, object]:
        """Wait for a turn in the request's site slot as a request of Scrapy's own would
        (the slot's delay since its last request, a free transfer place, room under the
        global cap on requests in flight), for a request sent outside Scrapy's pipeline
        (crawler.quickcheck). Requests queued in the slot go first; turns are taken in
        order, one waiter watching the slot at a time. Give the turn back with
        `end_turn`."""
        key, slot = self._get_slot(request)
        token = object()
        slot.active.add(token)  # type: ignore[arg-type]  # keeps the slot from Scrapy's GC
        line, waiting = self._lines.get(key) or (asyncio.Lock(), 0)
        self._lines[key] = (line, waiting + 1)
        try:
            async with line:
                while True:
                    now = monotonic()
                    delay = slot.download_delay()
                    wait = slot.lastseen + delay - now if delay else 0.0
                    if (wait <= 0 and slot.free_transfer_slots() > 0 and not slot.queue
                            and not self.needs_backout()):
                        break
                    await asyncio.sleep(wait if wait > 0 else max(delay, BUSY_RETRY))
                slot.lastseen = now
                slot.transferring.add(token)  # type: ignore[arg-type]
                self.active.add(token)  # type: ignore[arg-type]  # the global cap counts it
        except BaseException:
            slot.active.discard(token)
            raise
        finally:
            line, waiting = self._lines[key]
            if waiting > 1:
                self._lines[key] = (line, waiting - 1)
            else:
                del self._lines[key]
        return slot, token

    def supports_turns(self) -> bool:
        """Whether this Scrapy's slot queue is the one take_turn works with (2.14+)."""
        params = inspect.signature(self._process_queue).parameters
        return list(params) == ["slot"] and hasattr(Slot, "free_transfer_slots")

    def end_turn(self, slot: Slot, token: object) -> bool:
        """Give a turn back; True when it made room under a full global cap (the engine,
        which waits on no timer for that, should look at its queue again)."""
        full = self.needs_backout()
        slot.transferring.discard(token)
        slot.active.discard(token)
        self.active.discard(token)
        self._process_queue(slot)  # Scrapy's queue waits on no timer while a turn is out
        return full and not self.needs_backout()

    def get_slot_key(self, request: Request) -> str:
        meta_slot: str | None = request.meta.get(self.DOWNLOAD_SLOT)
        if meta_slot is not None:
            return meta_slot
        return site_of(request.url)

    def _get_slot(self, request: Request, spider: object = None) -> tuple[str, Slot]:
        key = self.get_slot_key(request)
        if key not in self.slots:
            delay, concurrency = self.politeness.get(key, (0.0, self.domain_concurrency))
            self.slots[key] = PoliteSlot(concurrency, self._delay, self._jitter, floor=delay)
            self._start_slot_gc()
        return key, self.slots[key]
