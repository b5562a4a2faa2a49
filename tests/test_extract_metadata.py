"""Metadata of the article record: title without the site name, exact ISO dates, author,
language, site name, tags."""

from __future__ import annotations

import json

import pytest

from extract import extract_page
from extract.metadata import iso_timestamp, strip_site_name
from extract.record import Article

BODY = "".join(f"<p>Paragraph {n} of a story about the harbour, the ferries and the people who "
               f"work on them every single day of the year.</p>" for n in range(6))


def article(head: str = "", byline: str = "", html_attrs: str = 'lang="en-GB"') -> str:
    return (f"<!DOCTYPE html><html {html_attrs}><head><meta charset='utf-8'>{head}</head><body>"
            f"<article><h1>Harbour ferries return</h1>{byline}{BODY}</article></body></html>")


def extract(html: str, url: str = "https://harbour.example.net/2024/05/ferries/") -> Article:
    result = extract_page(html, url)
    assert result.article is not None, result.reason
    return result.article


@pytest.mark.parametrize(("title", "site", "url", "expected"), [
    ("Harbour ferries return | Harbour Times", "Harbour Times", "https://x.example/a", None),
    ("Harbour ferries return - HarbourTimes", None, "https://www.harbourtimes.com/a", None),
    ("Harbour Times — Harbour ferries return", "Harbour Times", "https://x.example/a", None),
    ("Biden - Putin talks resume", "Harbour Times", "https://x.example/a", "same"),
    ("Ferries: the return | what changed", None, "https://x.example/a", "same"),
])
def test_site_name_is_stripped_from_the_title(title: str, site: str | None, url: str,
                                              expected: str | None) -> None:
    want = title if expected == "same" else "Harbour ferries return"
    assert strip_site_name(title, site, url) == want


def test_structured_metadata_wins() -> None:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle",
          "headline": "Harbour ferries return", "datePublished": "2024-05-02T08:15:00Z",
          "dateModified": "2024-05-03T10:00:00+02:00", "inLanguage": "en",
          "author": [{"@type": "Person", "name": "Ana Lima"}], "keywords": "ferries, harbour"}
    head = (f'<title>Harbour ferries return | Harbour Times</title>'
            f'<meta property="og:site_name" content="Harbour Times">'
            f'<script type="application/ld+json">{json.dumps(ld)}</script>')
    a = extract(article(head))
    assert a.title == "Harbour ferries return"
    assert a.author == "Ana Lima"
    assert a.published == "2024-05-02T08:15:00+00:00"
    assert a.modified == "2024-05-03T10:00:00+02:00"
    assert a.sitename == "Harbour Times"
    assert a.language == "en"
    assert {"ferries", "harbour"} <= set(a.tags)


def test_meta_tags_and_byline_markup() -> None:
    head = ('<meta property="article:published_time" content="2024-05-02T08:15:00+01:00">'
            '<meta property="article:tag" content="ferries">')
    byline = '<p class="byline">By <span class="author-name">Tomas Berg</span></p>'
    a = extract(article(head, byline, html_attrs='lang="sv-SE"'))
    assert a.published == "2024-05-02T08:15:00+01:00"
    assert a.author == "Tomas Berg"
    assert a.language == "sv"
    assert a.tags == ["ferries"]


def test_date_from_the_page_text_when_there_is_no_structured_date() -> None:
    byline = '<p class="date">Published 2 May 2024</p>'
    assert extract(article("", byline)).published == "2024-05-02"


def test_a_date_written_out_by_the_title_is_found_past_the_site_chrome() -> None:
    chrome = "".join(f"<div>Notice {n}: the ferry terminal car park closes for works on "
                     f"weekdays, and the cafe opens late in the winter season.</div>"
                     for n in range(40))
    html = article(byline="<div>Posted on May 2, 2024 by the harbour desk</div>").replace(
        "<body>", f"<body>{chrome}")
    assert extract(html).published == "2024-05-02"


def test_a_copyright_year_is_not_a_publication_date() -> None:
    html = article().replace("</body>", "<footer>Copyright 2023 Harbour Times. All rights "
                                        "reserved.</footer></body>")
    assert extract(html, "https://harbour.example.net/ferries/").published is None


def test_missing_values_are_none_not_placeholders() -> None:
    a = extract(article(html_attrs=""))
    assert a.author is None and a.modified is None and a.language is None
    assert a.tags == []


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-05-02", "2024-05-02"), ("2024-05-02T08:15:00Z", "2024-05-02T08:15:00+00:00"),
    ("2024-05-02T08:15:00.123+05:30", "2024-05-02T08:15:00.123000+05:30"),
    ("2 May 2024", None), ("", None),
])
def test_iso_timestamp(value: str, expected: str | None) -> None:
    assert iso_timestamp(value) == expected
