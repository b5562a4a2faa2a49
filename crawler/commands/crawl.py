"""`scrapy crawl`, with newswatch.toml checked before anything starts.

    scrapy crawl news -a source=m31 [-a config=PATH]

A bad config, an unknown or missing source gives one line on stderr naming the file,
the source and the key, and exit status 2, like `newswatch crawl`, instead of a
traceback from inside the crawler.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from crawler.spiders.news import NewsSpider
from newswatch.config import load_config
from newswatch.exceptions import ConfigError


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        # Checked here, before Scrapy builds its crawler process and starts logging.
        super().process_options(args, opts)
        if args and args[0] == NewsSpider.name:
            try:
                check_spider_args(opts.spargs)
            except ConfigError as exc:
                print(f"newswatch: error: {exc}", file=sys.stderr)
                sys.exit(exc.exit_code)


def check_spider_args(spargs: dict[str, str]) -> None:
    """Raise ConfigError unless `-a source=NAME [-a config=PATH]` names a valid source."""
    config = load_config(spargs.get("config"))
    source = spargs.get("source")
    if not source:
        raise ConfigError("no source given (use -a source=NAME)", path=str(config.path),
                          key="source")
    config.source(source)
