"""Write fixtures/expect/*.json from the article data and the sites' chrome.

    python -m fixturesite.expectgen     # after changing articles or chrome

The files are checked in; tests/test_fixtures.py checks they are current and true of the
rendered pages (every paragraph and title is in the page text, and so is every boilerplate
line, so the boilerplate is really there to be removed).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fixturesite import analysis as an_site
from fixturesite import koreanews, rusnews
from fixturesite import m31_chrome as m31_ui
from fixturesite import westjournal_chrome as wj_ui
from fixturesite.blocks import FOOTNOTE
from fixturesite.catalog import FixtureSites
from fixturesite.expectations import Expectation
from fixturesite.model import ArticleData, ArticleView

MIN_PARAGRAPH = 40  # shorter text units (list stubs, labels) are not worth asserting


def boilerplate(sites: FixtureSites, view: ArticleView) -> list[str]:
    """Chrome lines every rendering of this page shows, whatever the churn."""
    bio = sites.authors.get(view.data.author, {}).get("bio")
    lines: list[str] = []
    if view.site == "m31":
        lines += [m31_ui.NEWSLETTER_PROMPT, m31_ui.NEWSLETTER_TERMS, m31_ui.SIDEBAR_PROMPT,
                  m31_ui.VALIDATION, m31_ui.COMMENT_NOTE, m31_ui.RATING_PROMPT,
                  m31_ui.REACTIONS_PROMPT, m31_ui.ADDRESS, m31_ui.COPYRIGHT,
                  m31_ui.JOIN_PROMPT, m31_ui.FOOTER_PROMPT, m31_ui.NEWSLETTER_LINE]
        if len([b for b in view.body if isinstance(b, str)]) >= 4:
            lines += [t for t, _ in m31_ui.MORE_READ if t != view.title]
        lines += [summary for _, summary, _, _ in m31_ui.ALSO_LIKE]
        if view.get("figure"):
            lines.append(view.get("figure")["credit"])
    elif view.site == "westjournal":
        lines += [t for t, _ in wj_ui.RELATED]
        lines += [wj_ui.STANDARDS, wj_ui.DONATE_TITLE, wj_ui.DONATE_TEXT, wj_ui.NEWSLETTER_TITLE,
                  wj_ui.NEWSLETTER_TEXT, wj_ui.VALIDATION, wj_ui.COMMENTS_NOTE, wj_ui.COPYRIGHT]
    elif view.site in ("koreanews", "rusnews"):
        lines += {"koreanews": koreanews, "rusnews": rusnews}[view.site].WORDS.boilerplate
    else:
        lines += [an_site.BRIEFING, an_site.FOOTER]
        if view.get("top_link"):
            lines.append(view.get("top_link"))
    if bio and view.site != "westjournal":
        lines.append(bio)
    return lines


def paragraphs(view: ArticleView) -> list[str]:
    """Full text units worth asserting: no footnote markers (extractors may drop them)."""
    units = [p for p in view.paragraphs if len(p) >= MIN_PARAGRAPH and not FOOTNOTE.search(p)]
    return list(dict.fromkeys(units))


def expectations_for(sites: FixtureSites, data: ArticleData) -> list[Expectation]:
    groups: dict[tuple, list[int]] = {}
    views: dict[tuple, ArticleView] = {}
    for state in range(sites.state_count):
        if data.exists(state):
            view = sites.view(data, state)
            key = (view.title, json.dumps(view.body))
            groups.setdefault(key, []).append(state)
            views.setdefault(key, view)
    out = []
    for version, (key, states) in enumerate(groups.items(), 1):
        view = views[key]
        copy_of = f"{view.original.site} {view.original.path}" if view.original else None
        out.append(Expectation(
            site=data.site, path=data.path, title=view.title, author=data.author,
            published=view.published.date().isoformat(), paragraphs=paragraphs(view),
            boilerplate=boilerplate(sites, view), topics=list(data.topics), states=states,
            version=version, modified=view.modified.date().isoformat(), copy_of=copy_of,
            disallowed=data.disallowed))
    return out


def file_name(exp: Expectation) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", exp.path.lower()).strip("-")
    return f"{exp.site}--{slug}--v{exp.version}.json"


def generate(sites: FixtureSites) -> dict[str, str]:
    """File name -> JSON text of every expectation file."""
    out = {}
    for data in sites.articles:
        for exp in expectations_for(sites, data):
            out[file_name(exp)] = json.dumps(exp.to_json(), ensure_ascii=False, indent=1) + "\n"
    return out


def main() -> None:
    sites = FixtureSites()
    target = Path(sites.root) / "expect"
    target.mkdir(exist_ok=True)
    files = generate(sites)
    for old in target.glob("*.json"):
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        (target / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} expectation files to {target}")


if __name__ == "__main__":
    main()
