"""The story view and readable cells (store/datasette_plugin), in-process with Datasette's
client: an article's page links its versions, copies, events and source, renders each diff
as added/removed paragraphs, and escapes hostile titles, paragraphs and URLs everywhere."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_datasette_support import (
    COPY,
    EVIL_PARAGRAPH,
    EVIL_TITLE,
    EVIL_URL,
    PLAIN_TITLE,
    UPDATE,
    build_store,
    fetch,
)

from store.datasette_plugin.render import diff_lines, render_detail, render_diff

# what must never reach a page unescaped
HOSTILE = ("<script>alert(", "<img src=x", 'href="javascript:', "href='javascript:",
           "<b>bold</b>")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    return build_store(tmp_path_factory.mktemp("story"))


def page(store: tuple[Path, int], path: str) -> str:
    status, body, _ = fetch(store[0], path)
    assert status == 200, (path, body[:500])
    for bad in HOSTILE:
        assert bad not in body, (path, bad)
    return body


def section(body: str, anchor: str) -> str:
    """The HTML of the story view's section `anchor`, up to the next <h2>."""
    start = body.index(f'<h2 id="{anchor}">')
    end = body.find("<h2", start + 1)
    return body[start:end if end > 0 else None]


def test_the_store_is_served_as_newswatch_whatever_its_file_name(
        store: tuple[Path, int]) -> None:
    assert store[0].name == "nw.db"
    page(store, "/newswatch/articles")


def test_story_view_links_versions_copies_events_and_source(store: tuple[Path, int]) -> None:
    article_id = store[1]
    body = page(store, f"/newswatch/articles/{article_id}")
    versions = section(body, "versions")
    assert f'href="/newswatch/versions/{article_id},2"' in versions
    assert f'href="/newswatch/versions/{article_id},1"' in versions
    assert versions.index(",2\"") < versions.index(",1\"")  # newest first
    assert f'href="/newswatch/article_history?id={article_id}"' in versions
    copies = section(body, "copies")
    assert f'<a href="{COPY}"' in copies and "100%" in copies and "50%" in copies
    events = section(body, "events")
    for event_id in (1, 2, 3):
        assert f'href="/newswatch/events/{event_id}"' in events
    assert ">new<" in events and ">updated<" in events and ">duplicate<" in events
    assert 'href="/newswatch/sources/a"' in body
    assert 'href="/newswatch/articles?topics__arraycontains=nk-russia"' in body
    assert 'href="/newswatch/topic_feed.atom?topic=nk-russia"' in body
    assert "/-/static-plugins/store.datasette_plugin/newswatch.css" in body
    assert '<h2 id="row">All columns</h2>' in body  # Datasette's own row table stays


def test_story_view_renders_the_diff_as_added_and_removed_paragraphs(
        store: tuple[Path, int]) -> None:
    versions = section(page(store, f"/newswatch/articles/{store[1]}"), "versions")
    added = re.findall(r'<div class="nw-line nw-added">.*?<p>(.*?)</p></div>', versions)
    removed = re.findall(r'<div class="nw-line nw-removed">.*?<p>(.*?)</p></div>', versions)
    # the page's <h1> is the record's title, not the text's first paragraph
    assert added == [escaped(EVIL_PARAGRAPH), escaped(UPDATE)]
    assert removed == [escaped(
        "Analysts say the move gives Kim Jong Un access to military technology and hard"
        " currency, while Moscow gains manpower for its war in Ukraine.")]
    assert 'nw-title-removed' in versions and escaped(EVIL_TITLE) in versions
    assert "v2: +2 -1 paragraphs, title changed" in versions
    assert f"First version: {PLAIN_TITLE}" in versions


def test_hostile_text_is_escaped_in_titles_paragraphs_and_urls(store: tuple[Path, int]) -> None:
    body = page(store, f"/newswatch/articles/{store[1]}")
    assert "<h1 style=\"padding-left: 10px; border-left: 10px solid #" in body
    assert escaped(EVIL_TITLE) + "</h1>" in body
    assert escaped(EVIL_PARAGRAPH) in body
    # a javascript: URL is shown as text, never as a link
    assert f'<span class="nw-url">{escaped(EVIL_URL)}</span>' in section(body, "copies")
    assert escaped("<b>bold</b>") in section(body, "events")


@pytest.mark.parametrize("path", [
    "/newswatch/events", "/newswatch/events/4", "/newswatch/versions",
    "/newswatch/article_urls", "/newswatch/latest_events", "/newswatch/article_events?id=1",
    "/newswatch/article_copies?id=1", "/newswatch/article_history?id=1",
    "/newswatch/on_topic_articles", "/newswatch/articles?_search=pyongyang",
])
def test_every_page_showing_stored_text_escapes_it(store: tuple[Path, int], path: str) -> None:
    page(store, path)


def test_event_detail_is_rendered_readably(store: tuple[Path, int]) -> None:
    body = page(store, "/newswatch/events")
    assert '<div class="nw-detail"><p class="nw-summary">v2: +2 -1 paragraphs, title changed' \
        in body
    assert "&#34;summary&#34;" not in body and '{"summary"' not in body  # no raw JSON
    assert 'copy of <a href="http://a.test/2024/10/troops/"' in body
    assert "(similarity 100%)" in body
    row = page(store, "/newswatch/events/2")
    assert '<div class="nw-line nw-added">' in row and escaped(UPDATE) in row


def test_cells_link_to_the_story_its_source_and_topic(store: tuple[Path, int]) -> None:
    article_id = store[1]
    body = page(store, "/newswatch/latest_events")
    assert f'<a href="/newswatch/articles/{article_id}">{escaped(EVIL_TITLE)}</a>' in body
    assert f'<a href="/newswatch/articles/{article_id}">{article_id}</a>' in body
    assert '<a href="/newswatch/sources/b">b</a>' in body
    versions = page(store, "/newswatch/versions")
    assert '<div class="nw-diff">' in versions
    on_topic = page(store, "/newswatch/on_topic_articles")
    assert f'<a href="/newswatch/articles/{article_id}">' in on_topic


def test_version_row_page_shows_its_diff_and_links_back(store: tuple[Path, int]) -> None:
    body = page(store, f"/newswatch/versions/{store[1]},2")
    assert '<div class="nw-diff">' in body
    assert f'href="/newswatch/articles/{store[1]}"' in body


def test_missing_article_is_a_404_and_json_is_untouched(store: tuple[Path, int]) -> None:
    assert fetch(store[0], "/newswatch/articles/999")[0] == 404
    status, body, _ = fetch(store[0], f"/newswatch/articles/{store[1]}.json?_shape=objects")
    assert status == 200 and "nw-" not in body
    assert json.loads(body)["rows"][0]["title"] == EVIL_TITLE


def test_css_is_served(store: tuple[Path, int]) -> None:
    status, body, headers = fetch(store[0],
                                  "/-/static-plugins/store.datasette_plugin/newswatch.css")
    assert status == 200 and ".nw-added" in body and "css" in headers["content-type"]


def test_diff_lines_reads_headline_hunks_and_gaps() -> None:
    diff = ("--- v1\n+++ v2\n@@ -1,2 +1,2 @@\n-# Old\n+# New\n same\n@@ -5,2 +5,3 @@\n"
            " # not a headline\n+--- a paragraph that starts with dashes\n-gone")
    assert diff_lines(diff) == [
        ("title-removed", "Old"), ("title-added", "New"), ("context", "same"), ("gap", ""),
        ("context", "# not a headline"), ("added", "--- a paragraph that starts with dashes"),
        ("removed", "gone")]
    assert "first version" in render_diff(None)


def test_render_detail_escapes_and_lists_unknown_keys() -> None:
    got = str(render_detail('{"reason": "<script>x</script>", "run_id": 3, "extra": [1]}'))
    assert "<script>" not in got and "&lt;script&gt;x&lt;/script&gt;" in got
    assert "<dt>run_id</dt><dd>3</dd>" in got and "<dt>extra</dt><dd>[1]</dd>" in got


def escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))
