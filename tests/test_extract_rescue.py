"""A data table is article content even when the block around it has a furniture name
(extract.rescue): Webflow's `w-embed`, a "slide", a "teaser"... but not in the page frame."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from extract import extract_page

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PARAGRAPH = ("Tipping customs differ between kinds of service, and a chart makes the choice "
             "easier for diners who want to reward good work without doing sums at the "
             "table. ")


def _table(label: str, rows: int = 4) -> str:
    cells = "".join(f"<tr><td>{label} service {i}</td><td>{10 + i}%</td></tr>"
                    for i in range(rows))
    return f"<table><tr><th>Service</th><th>Tip</th></tr>{cells}</table>"


def _page(inside: str) -> str:
    return (f"<html><head><title>Tip chart</title></head><body>"
            f"<nav><a href='/'>Home</a></nav><article><h1>Tip chart</h1>"
            f"<p>{PARAGRAPH * 3}</p>{inside}<p>{PARAGRAPH * 2}</p></article></body></html>")


def _text(html: str, url: str = "https://blog.example/tips") -> str:
    result = extract_page(html, url)
    assert result.article is not None, result.reason
    return result.article.text


def test_a_table_in_a_block_named_embed_or_slide_is_kept() -> None:
    for wrapper in ("<div class='w-embed'><style>td {{ color: red }}</style>"
                    "<div class='responsive-table'>{t}</div></div>",
                    "<div class='listicle-slides'>{t}</div>",
                    "<section class='article-teaser-table'>{t}</section>"):
        text = _text(_page(wrapper.format(t=_table("Quick"))))
        assert "Quick service 3" in text, wrapper


def test_furniture_without_a_data_table_still_goes() -> None:
    embed = "<div class='w-embed'><p>Embedded widget: rate this article now</p></div>"
    small = "<div class='slide'>" + _table("Tiny", rows=1) + "</div>"
    text = _text(_page(embed + small))
    assert "rate this article" not in text
    assert "Tiny service 0" not in text


def test_a_table_in_the_page_frame_is_not_kept() -> None:
    html = _page("").replace(
        "</article>", "</article><aside><div class='widget-embed'>"
        + _table("Sidebar") + "</div></aside>")
    assert "Sidebar service" not in _text(html)


def _dev_page(page_id: str) -> tuple[str, str]:
    folder = SHARED / "modern-dev"
    url = json.loads((folder / "ground-truth.json").read_text("utf-8"))[page_id]["url"]
    return gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes()).decode(), url


def test_webflow_tables_of_a_real_page_are_read() -> None:
    # modern-dev 0061: two tip charts in div.w-embed; the text had neither
    text = _text(*_dev_page("0061"))
    assert "Quick Service Restaurant" in text
    assert "Bathroom Attendant" in text


def _list(hrefs: list[str], label: str = "Source study number {i} on tipping") -> str:
    items = "".join(f"<li><a href='{href}'>{label.format(i=i)}</a></li>"
                    for i, href in enumerate(hrefs))
    return f"<p>The figures come from these studies:</p><ul>{items}</ul>"


def test_a_list_of_links_to_other_sites_is_the_articles() -> None:
    sources = [f"https://journal{i}.example.org/paper/{i}" for i in range(5)]
    text = _text(_page(_list(sources)))
    assert "Source study number 4 on tipping" in text


def test_lists_of_the_sites_own_pages_or_of_social_networks_still_go() -> None:
    own = [f"/tips/story-{i}" for i in range(5)]
    assert "Source study number" not in _text(_page(_list(own)))
    social = ["https://www.facebook.com/tipblog", "https://twitter.com/tipblog",
              "https://www.instagram.com/tipblog", "https://www.linkedin.com/company/tip"]
    assert "Follow 3" not in _text(_page(_list(social, "Follow {i}")))
    # the same short links to other sites are read as a list of text
    elsewhere = [f"https://journal{i}.example.org/" for i in range(4)]
    assert "Follow 3" in _text(_page(_list(elsewhere, "Follow {i}")))


def test_a_list_of_links_elsewhere_in_the_page_frame_is_not_kept() -> None:
    sources = [f"https://partner{i}.example.net/" for i in range(5)]
    html = _page("").replace("</article>", "</article><footer>" + _list(sources) + "</footer>")
    assert "Source study number" not in _text(html)



def test_section_titles_linked_to_their_own_page_stay() -> None:
    # modern-dev 0091: <h3 id="x"><a href="#x">Cognitive Benefits</a></h3>, which
    # precision mode dropped as linked teaser headlines
    lines = _text(*_dev_page("0091")).split("\n")
    for title in ("Cognitive Benefits", "Emotional Benefits", "Factors to Consider"):
        assert title in lines, title



def test_section_titles_linked_to_another_site_stay() -> None:
    # modern-dev 0459: <h3><a href="https://www.svetlanashubina.com/...">Disarmed by ...</a>:
    # a heading naming the work a section is about, linked to it on another site, is no
    # teaser of the site's own stories; precision mode dropped them
    lines = _text(*_dev_page("0459")).split("\n")
    for title in ("Disarmed by Svetlana Shubina", "Nori Noir by Fei Wang"):
        assert title in lines, title
