"""Body blocks to HTML, shared by the site templates."""

from __future__ import annotations

import re

from fixturesite.context import esc
from fixturesite.model import Block

FOOTNOTE = re.compile(r"\[(\d+)\]")


def inline(text: str, footnotes: bool) -> str:
    """Escape `text`; with `footnotes`, turn [n] markers into links to the notes."""
    out = esc(text)
    if footnotes:
        out = FOOTNOTE.sub(r'<a class="fnref" id="ref-\1" href="#fn-\1">[\1]</a>', out)
    return out


def block_html(block: Block, footnotes: bool = False, heading_id: str | None = None) -> str:
    if isinstance(block, str):
        return f"<p>{inline(block, footnotes)}</p>"
    if "h2" in block:
        ident = f' id="{heading_id}"' if heading_id else ""
        return f"<h2{ident}>{esc(block['h2'])}</h2>"
    if "label" in block:
        return (f"<p><strong>{esc(block['label'])}</strong>"
                f"{inline(block['text'], footnotes)}</p>")
    items = "".join(f"<li>{inline(item, footnotes)}</li>" for item in block["ul"])
    return f"<ul>{items}</ul>"
