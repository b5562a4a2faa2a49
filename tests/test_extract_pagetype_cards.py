"""Listings told by their teaser cards (extract.cards): a shop's grid of priced tiles, a grid
of cards with next to no text, a text that repeats the cards' blurbs, a text with no
sentence, an index of names. Each listing has an article shaped closely beside it that must
be kept."""

from __future__ import annotations

import json

from lxml.html import fromstring

from extract import extract_page
from extract.cards import Cards, echo, teaser_cards
from extract.jsonld import read_jsonld
from extract.links import page_links
from extract.pagetype import PageFacts, reject_page, reject_text

URL = "https://site.example/section/"
STORY = [f"Paragraph {n}: the regional council approved the harbour plan after months of "
         f"debate, and residents now expect construction to begin in the spring, once the "
         f"last objections from the fishing cooperative and the ferry operators have been "
         f"heard by the planning committee." for n in range(6)]
SCHEMA_ARTICLE = ('<script type="application/ld+json">'
                  + json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                                "headline": "Gift guide"}) + "</script>")
OG_ARTICLE = '<meta property="og:type" content="article">'
TOPICS = ["ferries", "tides", "cranes", "berths", "tugboats", "lighthouses", "dredging",
          "moorings", "pilots", "customs", "warehouses", "breakwaters", "buoys", "quays"]


def page(body: str, head: str = "", title: str = "Harbour") -> str:
    return (f"<!DOCTYPE html><html><head><title>{title}</title>{head}</head><body>"
            f'<header><nav><a href="/">Home</a><a href="/news/">News</a></nav></header>'
            f"<main>{body}</main><footer><p>© Site</p></footer></body></html>")


def reason(html: str, url: str = URL) -> str | None:
    result = extract_page(html, url)
    assert (result.article is None) == (result.reason is not None)
    return result.reason


def story() -> str:
    return "<h1>Harbour plan approved</h1>" + "".join(f"<p>{p}</p>" for p in STORY)


def product(n: int, price: str = "$19.99") -> str:
    return (f'<li class="product-tile"><a href="/p/item-{n}"><img src="/i/{n}.jpg" alt=""></a>'
            f'<h3 class="name"><a href="/p/item-{n}">Harbour canvas tote bag model {n}</a></h3>'
            f'<span class="price">{price}</span></li>')


def test_a_shops_grid_of_priced_tiles_is_a_listing() -> None:
    seo = ("<p>Our totes are made for the harbour: sturdy canvas, stitched seams and deep "
           "pockets for everything a day by the water asks of you, from ferry tickets to "
           "a flask of tea and the paper.</p>")
    grid = '<ul class="grid">' + "".join(product(n) for n in range(12)) + "</ul>"
    assert "12 product cards with prices" in (reason(page(f"<h1>Totes</h1>{grid}{seo}")) or "")


def test_a_gift_guide_declaring_itself_an_article_is_kept() -> None:
    """The same twelve priced tiles in an article that says it is one (schema.org)."""
    grid = '<ul class="grid">' + "".join(product(n) for n in range(12)) + "</ul>"
    assert reason(page(story() + grid, SCHEMA_ARTICLE)) is None


def test_an_article_with_a_few_priced_tiles_is_kept() -> None:
    """Undeclared, with a rail of products under the story: under PRICED_CARDS of them."""
    rail = '<ul class="grid">' + "".join(product(n) for n in range(6)) + "</ul>"
    assert reason(page(story() + rail), "https://site.example/news/harbour-plan") is None


def picture_card(n: int) -> str:
    return (f'<div class="tile"><a href="/awards/winner-{n}"><img src="/i/{n}.jpg" '
            f'alt="Winner {n}"></a></div>')


def test_a_grid_of_cards_with_next_to_no_text_is_a_listing_even_declared() -> None:
    """Award pages declaring themselves articles (og:type, a single-post body class), made
    of 32 picture cards and two sentences."""
    intro = ("<p>Meet the winners of this year's harbour design awards, chosen by our jury "
             "of architects, engineers and sailors from over four hundred entries sent in "
             "this spring.</p>")
    grid = '<div class="grid">' + "".join(picture_card(n) for n in range(32)) + "</div>"
    html = page(f"<h1>Best of year</h1>{intro}{grid}", OG_ARTICLE + SCHEMA_ARTICLE)
    assert "32 linked cards and" in (reason(html) or "")


def test_a_short_article_with_a_grid_of_related_pictures_is_kept() -> None:
    """Thirty linked pictures under a story of 130 words: over THIN_WORDS_PER_ITEM a card."""
    grid = '<div class="grid">' + "".join(picture_card(n) for n in range(30)) + "</div>"
    assert reason(page(story() + grid, SCHEMA_ARTICLE)) is None


def blurb_card(n: int) -> str:
    topic = TOPICS[n]
    return (f'<article class="post"><h2 class="title"><a href="/news/{topic}-{n}">The harbour'
            f" {topic} report for week {n}</a></h2><p>This week the harbour master looked "
            f"at the {topic}, the costs of keeping them in service and what the council "
            f"plans to do about them before the winter storms arrive, item {n}.</p></article>")


def test_a_text_that_repeats_the_cards_blurbs_is_a_listing() -> None:
    """A front page of blurbs that themes mark og:type article like every page: its text
    is the blurbs of its cards."""
    cards = "".join(blurb_card(n) for n in range(8))
    reason_ = reason(page(f"<h1>Latest</h1>{cards}", OG_ARTICLE)) or ""
    assert "words are the text of 8 teaser cards" in reason_


def test_an_article_with_related_blurb_cards_is_kept() -> None:
    """The same eight cards under a story: the text is the story, not the blurbs."""
    related = '<section class="related">' + "".join(blurb_card(n) for n in range(8))
    assert reason(page(story() + related + "</section>", OG_ARTICLE),
                  "https://site.example/news/harbour-plan") is None


def test_a_roundup_declaring_itself_an_article_is_kept() -> None:
    """'Ten things to know today' is made of cards with blurbs; schema.org says article."""
    cards = "".join(blurb_card(n) for n in range(8))
    intro = f"<h1>Eight harbour stories to know today</h1><p>{STORY[0]}</p>"
    assert reason(page(intro + cards, SCHEMA_ARTICLE)) is None


def schedule(rows: int) -> str:
    teams = ["Harbour City", "Bay Rovers", "North Pier", "Old Town", "Dockside", "Quay United"]
    return "".join(f'<div class="match"><div>{teams[n % 6]}</div><div>v</div><div>'
                   f"{teams[(n + 1) % 6]}</div><div>{n % 4} - {n % 3}</div><div>Saturday "
                   f"{n + 1}:00</div></div>" for n in range(rows))


def test_a_text_with_no_sentence_is_not_an_article() -> None:
    """A fixtures page: names, scores and times, one a line."""
    assert "no sentence" in (reason(page(f"<h1>Fixtures</h1>{schedule(20)}")) or "")


def test_a_results_table_under_a_sentence_is_kept() -> None:
    lead = ("<p>Harbour City stayed top of the league on Saturday after a late winner against "
            "Bay Rovers, while North Pier slipped to fourth.</p>")
    assert reason(page(lead + schedule(20)), "https://site.example/sport/results-week-3") is None


NAMES = [f"{a}{b}" for a in ("Ab", "Cor", "Dal", "Fen", "Gal", "Hol")
         for b in ("ra", "mon", "tix", "uno", "vel", "zed")]


def names_page(count: int) -> tuple[str, PageFacts]:
    """A page listing `count` names, each a link to its page of the site, and the facts
    reject_page gathers on it."""
    items = "".join(f'<li><a href="/wiki/{n}">{n}</a></li>' for n in NAMES[:count])
    html = page(f"<h1>List of harbour languages</h1><p>{STORY[0]}</p><ul>{items}</ul>",
                SCHEMA_ARTICLE)
    tree = fromstring(html)
    facts = PageFacts()
    assert reject_page(tree, URL, read_jsonld(tree), page_links(tree), facts) is None
    return html, facts


def test_an_index_of_names_is_a_listing_even_declared() -> None:
    """An A-Z list (Wikipedia declares every page a schema.org Article), read by an extractor
    that keeps the list: one name a line, as trafilatura renders list items."""
    _, facts = names_page(30)
    text = ["List of harbour languages", STORY[0], *(f"- {n}" for n in NAMES[:30])]
    assert "30 of 32 paragraphs are names" in (reject_text(text, facts) or "")


def test_an_article_with_a_list_of_linked_names_is_kept() -> None:
    _, facts = names_page(12)
    text = ["Harbour languages", *STORY, *(f"- {n}" for n in NAMES[:12])]
    assert reject_text(text, facts) is None


def cards_of(html: str, url: str = URL) -> Cards:
    tree = fromstring(html)
    return teaser_cards(tree, page_links(tree), url, set())


def test_runs_count_items_once_whatever_the_spelling_of_their_address() -> None:
    """A tile links its item by picture and by name, relative and absolute."""
    tiles = "".join(
        f'<li class="t"><a href="https://site.example/p/{n}#top"><img src="/{n}.jpg"></a>'
        f'<h3><a href="/p/{n}">A product with a long name {n}</a></h3><b>€ {n}9,00</b></li>'
        for n in range(5))
    cards = cards_of(f"<html><body><ul>{tiles}</ul></body></html>")
    assert (cards.items, cards.priced, len(cards.texts)) == (5, 5, 5)


def test_links_in_sentences_and_links_elsewhere_make_no_run() -> None:
    inline = "".join(f'<p>As we reported, <a href="/news/{n}">the harbour plan number {n} '
                     f"was approved</a> by the council.</p>" for n in range(6))
    outbound = "".join(f'<li><a href="https://other{n}.example/">A source on the harbour '
                       f"plan {n}</a></li>" for n in range(6))
    assert cards_of(f"<html><body>{inline}<ul>{outbound}</ul></body></html>") == Cards()


def test_fewer_than_four_items_are_no_run() -> None:
    cards = "".join(blurb_card(n) for n in range(3))
    assert cards_of(f"<html><body>{cards}</body></html>").items == 0


def test_echo_counts_the_cards_a_text_repeats() -> None:
    cards = cards_of("<html><body>" + "".join(blurb_card(n) for n in range(5))
                     + "</body></html>")
    blurbs = [f"This week the harbour master looked at the {TOPICS[n]}, the costs of keeping "
              f"them in service" for n in (0, 1, 3)]
    paragraphs = [(text, 17) for text in [*blurbs, STORY[0]]]
    assert echo(paragraphs, cards) == (51, 3)
