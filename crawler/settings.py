"""Scrapy settings for the newswatch crawler (defaults; the config file overrides per source)."""

BOT_NAME = "newswatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
