"""The extracted text says nothing twice (extract.echoes): not the page's title as its first
line, not a second copy of the article that a responsive or tabbed layout renders again;
short repeated runs that are the article's own stay."""

from __future__ import annotations

from extract import extract_page
from extract.echoes import drop_second_copies, drop_title_echo

SENTENCE = ("The council approved the new budget for the harbour after a long debate about "
            "the cost of dredging the channel and repairing the old sea wall. ")


def test_the_title_as_first_line_goes() -> None:
    paragraphs = ["Harbour Budget Approved!", "The council met.", "It voted."]
    assert drop_title_echo(paragraphs, ["", "harbour budget approved"]) == paragraphs[1:]


def test_the_title_further_down_or_a_longer_first_line_stays() -> None:
    later = ["The council met.", "Harbour budget approved", "It voted."]
    assert drop_title_echo(later, ["Harbour budget approved"]) == later
    longer = ["Harbour budget approved after a long night", "It voted."]
    assert drop_title_echo(longer, ["Harbour budget approved"]) == longer
    assert drop_title_echo([], ["Harbour budget approved"]) == []


def test_a_second_copy_of_the_article_goes() -> None:
    article = [f"Section {i}" if i % 2 else f"{SENTENCE}{i}" for i in range(8)]
    assert drop_second_copies(article + ["Share this"] + article) == [*article, "Share this"]


def test_short_repeated_runs_are_the_articles_own() -> None:
    day = ["Breakfast", "Oatmeal with berries", "Lunch", "Chicken salad"]
    plan = [f"Monday. {SENTENCE * 3}", *day, f"Tuesday. {SENTENCE * 3}", *day,
            f"Wednesday. {SENTENCE * 3}"]
    assert drop_second_copies(plan) == plan  # under a quarter of the words
    quote = ["A pull quote repeated.", SENTENCE, "A pull quote repeated.", SENTENCE]
    assert drop_second_copies(quote) == quote  # a single line, or two: not a copy


def _page(body: str) -> str:
    return (f"<html><head><title>Harbour budget approved | Gazette</title></head><body>"
            f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>{body}"
            f"<footer>Gazette 2026</footer></body></html>")


def test_a_page_rendering_its_article_twice_stores_it_once() -> None:
    paragraphs = "".join(f"<h2>Part {i}</h2><p>{SENTENCE * 2}Part {i}.</p>" for i in range(5))
    html = _page(f"<main><article><h1>Harbour budget approved</h1>"
                 f"<div class='desktop'>{paragraphs}</div>"
                 f"<div class='mobile'>{paragraphs}</div></article></main>")
    result = extract_page(html, "https://gazette.example/news/harbour-budget")
    assert result.article is not None, result.reason
    text = result.article.text
    assert text.count("Part 3.") == 1, text
    assert not text.startswith("Harbour budget approved"), text
    assert result.article.title == "Harbour budget approved"
