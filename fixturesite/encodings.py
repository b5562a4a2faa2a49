"""Encoding test pages served by the analysis site, from fixtures/encodings.json.

For each page NAME (cp1251, euc-kr, shift_jis) there are two paths:
  /encoding/NAME.html             charset declared in Content-Type and <meta charset>
  /encoding/NAME-undeclared.html  no charset anywhere (Content-Type: text/html)
Both bodies are encoded in the page's legacy encoding. They are linked from nowhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from fixturesite.context import Page, esc

DATA = Path(__file__).resolve().parents[1] / "fixtures" / "encodings.json"
SERVED_SINCE = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class EncodingPage:
    path: str
    encoding: str  # Python codec the body is encoded with
    charset: str | None  # declared charset; None when the page declares none
    language: str
    title: str
    paragraphs: tuple[str, ...]


@cache
def load_encoding_pages(data: Path = DATA) -> tuple[EncodingPage, ...]:
    """Every encoding test page (declared and undeclared variants)."""
    out = []
    for raw in json.loads(data.read_text(encoding="utf-8"))["pages"]:
        for suffix, charset in (("", raw["charset"]), ("-undeclared", None)):
            out.append(EncodingPage(f"/encoding/{raw['name']}{suffix}.html", raw["encoding"],
                                    charset, raw["language"], raw["title"],
                                    tuple(raw["paragraphs"])))
    return tuple(out)


def html(spec: EncodingPage) -> str:
    meta = f'<meta charset="{spec.charset}">\n' if spec.charset else ""
    paras = "\n".join(f"<p>{esc(p)}</p>" for p in spec.paragraphs)
    return f"""<!DOCTYPE html>
<html lang="{spec.language}">
<head>
{meta}<title>{esc(spec.title)}</title>
</head>
<body>
<header><p class="site">Eastgate Policy Review</p></header>
<main><article>
<h1>{esc(spec.title)}</h1>
<p class="byline">By Eastgate Staff, <time datetime="2025-01-15">15 January 2025</time></p>
{paras}
</article></main>
<footer><p>Eastgate Policy Review</p></footer>
</body>
</html>
"""


def page(path: str) -> Page | None:
    for spec in load_encoding_pages():
        if spec.path == path:
            ctype = "text/html" + (f"; charset={spec.charset}" if spec.charset else "")
            return Page(html(spec).encode(spec.encoding), ctype, SERVED_SINCE, is_article=True)
    return None
