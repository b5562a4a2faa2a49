"""`newswatch extract FILE_OR_URL`: what newswatch would store for one page."""

from __future__ import annotations

import gzip
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from extract import extract_page
from extract.record import Article
from newswatch.exceptions import NewswatchError

FETCH_TIMEOUT = 30.0  # seconds
MAX_BYTES = 10 * 1024 * 1024
USER_AGENT = "newswatch-extract (+https://example.org/bot)"


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise urllib.error.URLError(f"redirect to a non-http(s) URL: {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str) -> tuple[bytes, str, str | None]:
    """(body, final URL, Content-Type) of an http(s) URL; NewswatchError on any failure."""
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT) as response:
            body = response.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise NewswatchError(f"cannot fetch {url}: larger than {MAX_BYTES} bytes")
            return body, response.geturl(), response.headers.get("Content-Type")
    except urllib.error.HTTPError as exc:
        raise NewswatchError(f"cannot fetch {url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise NewswatchError(f"cannot fetch {url}: {exc.reason}") from None
    except (OSError, ValueError) as exc:  # timeouts, resets, malformed URLs
        raise NewswatchError(f"cannot fetch {url}: {exc}") from None


def read_file(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NewswatchError(f"cannot read {path}: {exc.strerror or exc}") from None
    if data[:2] == b"\x1f\x8b":  # saved pages are often gzipped (aeb-dev's are)
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise NewswatchError(f"cannot read {path}: bad gzip data: {exc}") from None
    return data


def render(article: Article) -> str:
    fields = [("url", article.url), ("title", article.title), ("author", article.author),
              ("published", article.published), ("modified", article.modified),
              ("language", article.language), ("site", article.sitename),
              ("tags", ", ".join(article.tags) or None), ("text_hash", article.text_hash),
              ("words", str(len(article.text.split())))]
    head = "\n".join(f"{name + ':':<11}{value if value is not None else '-'}"
                     for name, value in fields)
    return f"{head}\n\n{article.text}"


@click.command(name="extract")
@click.argument("file_or_url")
@click.option("--url", "page_url", metavar="URL",
              help="The page's address when reading a file (canonical URL, relative links).")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
def command(file_or_url: str, page_url: str | None, as_json: bool) -> None:
    """What newswatch would store for one page: the article record, or why it is not one.

    Reads a saved file (plain or gzipped HTML) or fetches one http(s) URL. Exits 1 when
    the page is not an article.

    Example: newswatch extract saved.html --url https://example.org/2024/10/story/ --json
    """
    scheme = urlsplit(file_or_url).scheme.lower()
    if scheme in ("http", "https"):
        body, final_url, content_type = fetch(file_or_url)
        url = page_url or final_url
    elif "://" in file_or_url:
        raise click.BadParameter("only http:// and https:// URLs can be fetched",
                                 param_hint="FILE_OR_URL")
    else:
        path = Path(file_or_url)
        body, content_type = read_file(path), None
        url = page_url or path.resolve().as_uri()
    result = extract_page(body, url, content_type)
    if as_json:
        record = result.article.to_dict() if result.article else None
        click.echo(json.dumps({"article": record, "reason": result.reason},
                              ensure_ascii=False, indent=2))
    elif result.article:
        click.echo(render(result.article))
    else:
        click.echo(f"not an article: {result.reason}")
    if not result.ok:
        sys.exit(1)
