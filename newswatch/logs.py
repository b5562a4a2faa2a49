"""Log set-up shared by every newswatch process (the CLI, the daemon's engine, extraction
workers).

At the default level a user sees what they can act on: newswatch's own progress and
events (INFO) and every warning newswatch itself raises, which names what happened,
where, and what to do. Libraries' per-page notes are not that: trafilatura says
"discarding data: None" for every short page it declines (our own "not an article"
reason already covers it), htmldate and courlan complain about odd dates and URLs,
Scrapy warns about sizes and data loss that the crawl counts and reports per source.
They are kept for `-v`, which shows every library's warnings and INFO (`-vv`: DEBUG).
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

# logger -> lowest level shown without -v. Extraction and URL libraries report per-page
# trouble that newswatch catches at its own boundary and reports itself; Scrapy and
# Twisted keep their errors (a broken crawl machinery is worth a report).
QUIET_LIBRARIES = {
    "trafilatura": logging.CRITICAL,
    "htmldate": logging.CRITICAL,
    "courlan": logging.CRITICAL,
    "justext": logging.CRITICAL,
    "readability": logging.CRITICAL,
    "charset_normalizer": logging.CRITICAL,
    "chardet": logging.CRITICAL,
    "urllib3": logging.ERROR,
    "protego": logging.ERROR,
    "scrapy": logging.ERROR,
    # a traceback for every unreachable robots.txt; the page's own failure is reported
    "scrapy.downloadermiddlewares.robotstxt": logging.CRITICAL,
    "twisted": logging.ERROR,
    "filelock": logging.ERROR,
}


def setup_logging(verbose: int) -> None:
    """Default: warnings, minus the library chatter in QUIET_LIBRARIES; -v: every logger
    from INFO; -vv: DEBUG. newswatch's own loggers show INFO at any level.

    Safe to call again (a `-v` after the command name raises the level)."""
    level = max(logging.WARNING - 10 * verbose, logging.DEBUG)
    root = logging.getLogger()
    logging.basicConfig(format=FORMAT, datefmt=DATE_FORMAT)  # no-op once root has handlers
    root.setLevel(level)
    logging.getLogger("newswatch").setLevel(min(level, logging.INFO))
    for name, quiet in QUIET_LIBRARIES.items():
        logging.getLogger(name).setLevel(quiet if verbose <= 0 else logging.NOTSET)


def setup_worker_logging() -> None:
    """In a process started without the parent's logging (a forkserver's child): the
    default set-up. A forked child keeps its parent's, -v included."""
    if not logging.getLogger().handlers:
        setup_logging(0)
