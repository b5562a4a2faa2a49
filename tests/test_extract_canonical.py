"""Canonical URLs: tracking parameters and fragments folded away, the page's own claim honoured
when it is believable."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lxml.html import HtmlElement, fromstring

from extract.canonical import canonicalize_url, page_canonical_url

BASE = "https://news.example.org/2024/10/story/"


def test_tracking_parameters_and_fragment_are_removed() -> None:
    url = ("HTTPS://News.Example.org:443/2024/10/story/?utm_source=x&utm_medium=rss&fbclid=1"
           "&gclid=2&mc_cid=3&id=42#comments")
    assert canonicalize_url(url) == "https://news.example.org/2024/10/story/?id=42"


def test_other_parameters_are_kept_and_sorted() -> None:
    assert canonicalize_url("http://ex.org/a?page=2&b=1") == "http://ex.org/a?b=1&page=2"


def test_host_without_path_gets_a_slash() -> None:
    assert canonicalize_url("https://ex.org") == canonicalize_url("https://ex.org/")


_segment = st.text(alphabet="abcz019-_.~%é ", min_size=0, max_size=8)
_param = st.sampled_from(["id", "page", "utm_source", "utm_campaign", "fbclid", "gclid", "q",
                          "ref", "lang"])


@given(host=st.sampled_from(["ex.org", "WWW.Ex.org", "127.0.0.1:8001", "news.example.co.uk"]),
       scheme=st.sampled_from(["http", "https", "HTTP"]),
       path=st.lists(_segment, max_size=4),
       params=st.lists(st.tuples(_param, _segment), max_size=4),
       fragment=st.one_of(st.none(), _segment))
def test_canonicalize_is_idempotent_and_drops_trackers(host: str, scheme: str, path: list[str],
                                                        params: list[tuple[str, str]],
                                                        fragment: str | None) -> None:
    query = "&".join(f"{k}={v}" for k, v in params)
    url = f"{scheme}://{host}/{'/'.join(path)}" + (f"?{query}" if query else "") + \
        (f"#{fragment}" if fragment is not None else "")
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
    assert "#" not in once
    assert not any(t in once for t in ("utm_", "fbclid", "gclid"))


def tree(head: str) -> HtmlElement:
    return fromstring(f"<html><head>{head}</head><body><p>x</p></body></html>")


def test_rel_canonical_then_og_url_then_fetched_url() -> None:
    both = tree('<link rel="canonical" href="/2024/10/story/?utm_source=feed">'
                '<meta property="og:url" content="https://news.example.org/other/">')
    assert page_canonical_url(both, BASE + "?fbclid=9") == BASE
    og_only = tree('<meta property="og:url" content="https://news.example.org/og/">')
    assert page_canonical_url(og_only, BASE) == "https://news.example.org/og/"
    assert page_canonical_url(tree(""), BASE + "#top") == BASE


def test_cross_site_canonical_is_ignored() -> None:
    """A syndicated copy pointing at the original stays a page of its own (a `copy`)."""
    head = '<link rel="canonical" href="https://original.example.com/2024/10/story/">'
    assert page_canonical_url(tree(head), BASE) == BASE


def test_www_variant_of_the_same_site_is_accepted() -> None:
    head = '<link rel="canonical" href="https://www.news.example.org/2024/10/story/">'
    assert page_canonical_url(tree(head), BASE) == "https://www.news.example.org/2024/10/story/"


def test_home_page_canonical_on_a_deep_page_is_ignored() -> None:
    head = '<link rel="canonical" href="https://news.example.org/">'
    assert page_canonical_url(tree(head), BASE) == BASE


def test_entity_like_parameter_names_survive() -> None:
    # courlan's normalize_url HTML-unescapes the query: "&sect" became "§"
    url = "http://example.com/a?id=0&section=0&copy=1&utm_source=x"
    assert canonicalize_url(url) == "http://example.com/a?copy=1&id=0&section=0"
