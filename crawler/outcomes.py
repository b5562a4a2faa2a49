"""Names of the counted outcomes of an ingest run, and how failures map onto them.

Every outcome is a Scrapy stat `newswatch/<outcome>`; the run summary (and the store's
`runs` row) is read back from those stats, so `scrapy crawl` and `newswatch crawl`
report the same numbers.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as tx_error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from crawler.middlewares.addresses import RefusedRequest
from crawler.middlewares.integrity import TruncatedBody

PREFIX = "newswatch/"

FETCHED = "fetched"                # requests that ended, in a response or an error
NOT_MODIFIED = "not-modified"      # 304 to a conditional request
EXTRACTED = "extracted"            # pages run through extraction
NEW = "new"                        # a story stored for the first time (on or off topic)
UPDATED = "updated"                # a stored story's text or title changed
UNCHANGED = "unchanged"            # 304, same body, same text, or sitemap lastmod not newer
DUPLICATES = "duplicates"          # a URL of a story already stored (alias or copy)
NOT_AN_ARTICLE = "not-an-article"  # extraction found no article (listing, error page...)
OFF_TOPIC = "off-topic"            # new/updated stories that match no configured topic
DISCOVERED = "discovered"          # article links found in feeds, sitemaps and listings
SKIPPED_LASTMOD = "skipped/lastmod"  # sitemap/Atom entries not changed since our fetch
DOCUMENTS_NOT_MODIFIED = "documents/not-modified"  # feed/sitemap/listing 304: kept copy read
SKIPPED_ROBOTS = "skipped/robots"  # refused by robots.txt (not an error: we were asked to)
SKIPPED_NOT_DUE = "skipped/not-due"  # known articles not due for a revisit, entry unchanged
REVISITED = "revisited"            # known articles asked for again: due, or their entry changed
QUICK_304 = "quick/304"            # re-checks answered 304 outside Scrapy (crawler.quickcheck)
QUICK_FULL_WAY = "quick/full-way"  # re-checks that went Scrapy's way: not a 304, or failed
TIMED_OUT = "timed-out"            # the run was cut at run_timeout
ERRORS = "errors"                  # every failure; also errors/<kind>

SUMMARY_COLUMNS = (FETCHED, NEW, UPDATED, UNCHANGED, DUPLICATES, ERRORS)

RESULT_KINDS = {  # IngestResult.kind -> outcome
    "new": NEW,
    "updated": UPDATED,
    "unchanged": UNCHANGED,
    "alias": DUPLICATES,
    "copy": DUPLICATES,
    "not_article": NOT_AN_ARTICLE,
}


def error_kind(failure: Failure) -> tuple[str, int | None]:
    """A short name for why a request failed, and the HTTP status when there was one."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        if 300 <= status < 400:  # a redirect Scrapy would not follow (non-http Location)
            return "bad-redirect", status
        return f"http-{status}", status
    if isinstance(exc, RefusedRequest):
        return "refused", None
    if isinstance(exc, TruncatedBody):
        return "truncated", None
    if isinstance(exc, IgnoreRequest):
        text = str(exc).lower()
        if "robots.txt" in text:
            return "robots", None
        if "download_maxsize" in text:  # a compressed body that inflates beyond it
            return "too-large", None
        if "redirect" in text:
            return "redirect-loop", None
        return "ignored", None
    return _network_kind(exc) if exc is not None else "other", None


_NETWORK_KINDS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((DownloadTimeoutError, tx_error.TimeoutError, tx_error.TCPTimedOutError), "timeout"),
    ((CannotResolveHostError, tx_error.DNSLookupError), "dns"),
    ((DownloadConnectionRefusedError, tx_error.ConnectionRefusedError,
      tx_error.ConnectError), "connection-refused"),
    ((DownloadCancelledError,), "too-large"),
    ((ResponseDataLossError, ResponseFailed, ResponseNeverReceived, tx_error.ConnectionLost,
      tx_error.ConnectionDone, DownloadFailedError), "connection-lost"),
)


def _network_kind(exc: BaseException) -> str:
    for types, kind in _NETWORK_KINDS:
        if isinstance(exc, types):
            return kind
    return "other"


def counts_from_stats(stats: dict[str, Any]) -> dict[str, int]:
    """The `newswatch/*` stats of one crawl as a flat {outcome: count} dict."""
    counts = {name: 0 for name in (*SUMMARY_COLUMNS, NOT_MODIFIED, NOT_AN_ARTICLE, OFF_TOPIC)}
    for key, value in stats.items():
        if key.startswith(PREFIX) and isinstance(value, int):
            counts[key[len(PREFIX):]] = value
    return counts
