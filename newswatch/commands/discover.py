"""`newswatch discover URL [--add NAME]`: find a site's feeds and sitemaps, print the block."""

from __future__ import annotations

import click

from newswatch.commands.common import named_config_path, optional_config
from newswatch.exceptions import ConfigError, NewswatchError
from newswatch.hints import command_line


@click.command(name="discover")
@click.argument("url")
@click.option("--add", "name", metavar="NAME", default=None,
              help="Append the block to the config file as [sources.NAME], once the result "
                   "is known to load; the file as it was is kept as newswatch.toml.bak.")
@click.pass_context
def command(ctx: click.Context, url: str, name: str | None) -> None:
    """Find a site's feeds and sitemaps and print the source block to paste.

    Reads the page at URL for feed links, the site's robots.txt for `Sitemap:` lines, and
    tries common paths (/feed/, /rss.xml, /sitemap.xml, ...) only when those name none.
    Without feed or sitemap, suggests URL as a listing page with a `follow` pattern
    guessed from its article links. Fetches the way a crawl does: one request at a time,
    the config's [defaults] user_agent, delay and obey_robots, robots.txt obeyed, no
    private or loopback address unless URL itself is on one. Exit status 1 when nothing
    was found.

    Example: newswatch discover https://example.org/ --add example
    """
    from crawler.finder import FinderError, find_sources
    from newswatch.discover import (
        PoliteFetcher,
        add_source,
        check_new_name,
        default_name,
        fetch_settings,
        is_http_url,
        source_block,
    )

    if not is_http_url(url):
        raise click.BadParameter(f"not an http(s) URL: {url!r}", param_hint="URL")
    config = optional_config(ctx)
    path = named_config_path(ctx)
    if name is not None:
        if config is None:
            raise ConfigError("config file not found: --add appends to it (create it, or "
                              "use --config PATH)", path=str(path))
        check_new_name(path, name)  # before any request
    source_name = name or default_name(url)
    settings = fetch_settings(config.path if config else None, source_name, url)
    fetch = PoliteFetcher.for_source(settings, url)
    try:
        finding = find_sources(url, fetch)
    except FinderError as exc:
        raise NewswatchError(str(exc)) from None
    if not finding.suggestion():
        raise NewswatchError(f"no feed, sitemap or article links found at {url} "
                             f"({len(fetch.requests)} requests; robots.txt and common "
                             "paths tried)")
    block = source_block(source_name, finding)
    click.echo(block, nl=False)
    config_args = ["--config", str(path)] if config is not None else []
    if config is None:  # the block alone is a valid config: db and log in ./data/
        click.echo("\nNo config file yet; start one with this source: "
                   + command_line("discover", url) + " > newswatch.toml", err=True)
        return
    if name is None:
        click.echo("\nAdd it to the config: " + command_line(*config_args, "discover", url,
                                                             "--add", source_name), err=True)
        return
    backup = add_source(path, name, block)
    click.echo(f"\nAdded [sources.{name}] to {path} (the previous version: {backup}).\n"
               "Crawl it: " + command_line(*config_args, "crawl", name), err=True)
