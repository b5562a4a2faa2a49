"""In-body promos on the m31 fixture site: a label and a linked headline between body
paragraphs, drawn per page and per fetch, and a linked newsletter line closing the body.

They carry no class name and vary between fetches, so neither the class-name rules nor the
boilerplate learned from other pages of the site can catch them: the structural rule must
(`extract.clean.promo_lines`). If one leaked, every fetch would read as an edit.
"""

from __future__ import annotations

from extract import extract_page
from fixturesite import m31_chrome as ui
from newswatch.fixtures import FixtureSites

SITES = FixtureSites()
BASES = {name: f"http://127.0.0.1:{18000 + i}" for i, name in enumerate(SITES.names)}
VARIANTS = (None, 1, 2, 3, 4, 5)


def test_promos_vary_and_never_reach_the_text() -> None:
    state = SITES.state_count - 1
    shown: set[str] = set()
    checked = 0
    for view in SITES.views("m31", state):
        texts = set()
        for variant in VARIANTS:
            page = SITES.render("m31", view.path, state, BASES, variant)
            html = page.body.decode()
            if ui.NEWSLETTER_LINE not in html:
                continue  # not an article page of the template (robots-disallowed preview)
            in_page = {title for title, _ in ui.PROMOS if title.replace("'", "&#x27;") in html
                       or title in html}
            shown |= in_page
            result = extract_page(page.body, BASES["m31"] + view.path)
            assert result.article is not None, (view.path, result.reason)
            text = result.article.text
            leaked = [t for t, _ in ui.PROMOS if t in text]
            leaked += [label for label in ui.PROMO_LABELS
                       if label in text or label.upper() in text]
            assert not leaked, (view.path, variant, leaked)
            assert ui.NEWSLETTER_LINE not in text
            assert all(p in text for p in view.paragraphs if len(p) >= 40), view.path
            texts.add(text)
            checked += 1
        assert len(texts) <= 1, f"{view.path}: the text changes between fetches"
    assert checked >= 20
    assert len(shown) >= 4, "promo headlines should vary across pages and fetches"
