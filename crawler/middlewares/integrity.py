"""Refuse a compressed body whose stream is cut short, instead of storing half a page.

Scrapy's HttpCompressionMiddleware is lenient on purpose: a gzip or deflate stream that
ends early decodes to whatever came before the cut, and the response goes on as if it
were whole. For a monitor that would store half an article (and, since the ETag still
matches, keep it). This middleware sits just outside HttpCompressionMiddleware (it sees
the raw body first) and checks that a single gzip/deflate stream reaches its end. It
inflates at most DOWNLOAD_MAXSIZE bytes and discards them: a bomb is left to
HttpCompressionMiddleware, which refuses it by size.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

from crawler.counting import count_request

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

CHUNK = 1 << 16
WBITS = {b"gzip": 16 + zlib.MAX_WBITS, b"x-gzip": 16 + zlib.MAX_WBITS,
         b"deflate": zlib.MAX_WBITS}


class TruncatedBody(IgnoreRequest):
    """A compressed body that stops before the end of its stream; error kind `truncated`."""


def stream_is_complete(body: bytes, encoding: bytes, limit: int) -> bool:
    """Whether `body` holds a whole `encoding` stream (True, unjudged, past `limit` bytes)."""
    wbits = WBITS[encoding]
    attempts = [wbits, -zlib.MAX_WBITS] if encoding == b"deflate" else [wbits]
    for bits in attempts:  # deflate: zlib-wrapped, or raw as some servers send it
        inflater = zlib.decompressobj(bits)
        data, size = body, 0
        try:
            while data and not inflater.eof:
                size += len(inflater.decompress(data, CHUNK))
                if limit and size > limit:
                    return True  # too large: HttpCompressionMiddleware refuses it
                data = inflater.unconsumed_tail
        except zlib.error:
            continue
        return inflater.eof
    return False


class CompleteBodyMiddleware:
    """Downloader middleware: a truncated gzip/deflate body becomes an error."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_size = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CompleteBodyMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        encodings = [e.strip().lower() for value in response.headers.getlist("Content-Encoding")
                     for e in value.split(b",") if e.strip()]
        if (request.method == "HEAD" or len(encodings) != 1 or encodings[0] not in WBITS
                or not response.body):
            return response
        limit = int(request.meta.get("download_maxsize", self.max_size))
        if stream_is_complete(response.body, encodings[0], limit):
            return response
        count_request(self.crawler, request, "truncated")
        raise TruncatedBody(f"truncated or corrupt {encodings[0].decode()} body "
                            f"({len(response.body)} bytes received): the stream does not end")
