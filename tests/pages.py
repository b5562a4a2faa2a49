"""Small generated news pages for tests: articles of their own words, RSS, sitemaps."""

from __future__ import annotations

import random
from datetime import datetime

from routeserver import RouteServer

WORDS = ["rail", "bridge", "tumen", "port", "grain", "oil", "shells", "drones", "troops",
         "kursk", "summit", "treaty", "envoy", "sanctions", "labour", "tourism", "banking",
         "satellite", "fishing", "coal", "ferry", "pipeline", "harbour", "freight", "visa",
         "cargo", "airline", "route", "customs", "wheat", "fertiliser", "timber", "school",
         "hospital", "tariff", "loan", "ruble", "won", "border", "station", "tunnel", "road"]


def article(title: str, n: int) -> str:
    """A page of its own words (pages too alike would be stored as copies of each other)."""
    rng = random.Random(n)
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(40)) + f" ({title}, {i}).</p>"
        for i in range(1, 7))
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{paragraphs}</article></body></html>")


def rss(server: RouteServer, titles: dict[str, str]) -> str:
    items = "".join(f"<item><title>{title}</title><link>{server.url(path)}</link>"
                    f"<description>About {title}</description></item>"
                    for path, title in titles.items())
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            f"{items}</channel></rss>")


def sitemap(server: RouteServer, lastmods: dict[str, datetime]) -> str:
    urls = "".join(f"<url><loc>{server.url(p)}</loc><lastmod>{m.isoformat()}</lastmod></url>"
                   for p, m in lastmods.items())
    return ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>")
