"""Text normalisation of the stored article text.

Unicode NFC, invisible format characters removed (soft hyphen, zero-width space, word
joiner, BOM: markup artefacts, not words), whitespace inside a paragraph folded to single
spaces, one paragraph per non-empty line of the input, paragraphs joined by one blank line.
`normalize_text` is idempotent, and `extract.fingerprint.text_hash` of its output depends
only on the words.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile("[\u00ad\u200b\u2060\ufeff]")
# scripts written without spaces between words: kana, CJK ideographs, Thai, Lao, Khmer
_UNSPACED = re.compile("[\u0e00-\u0eff\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
                       "\u4e00-\u9fff\uf900-\ufaff]")
CHARS_PER_WORD_UNSPACED = 2
BULLETS = "-•·▪◦*"
_LIST_BULLET = re.compile(rf"^[{BULLETS}]\s+")


def normalize_paragraph(paragraph: str) -> str:
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", paragraph))
    return " ".join(text.split())


def word_count(text: str) -> int:
    """Words in `text`; in scripts without spaces every 2 characters count as one word."""
    spaced = len(text.split())
    if text.isascii():
        return spaced
    return spaced + len(_UNSPACED.findall(text)) // CHARS_PER_WORD_UNSPACED


def split_paragraphs(text: str) -> list[str]:
    """Non-empty normalised paragraphs, one per line of `text`."""
    return [p for p in (normalize_paragraph(line) for line in text.splitlines()) if p]


def strip_bullet(paragraph: str) -> str:
    """trafilatura renders list items as "- item"; the dash is markup, not text."""
    return _LIST_BULLET.sub("", paragraph, count=1)


def join_paragraphs(paragraphs: list[str]) -> str:
    return "\n\n".join(p for p in (normalize_paragraph(p) for p in paragraphs) if p)


def normalize_text(text: str) -> str:
    return join_paragraphs(split_paragraphs(text))
