"""stub"""
from __future__ import annotations

from typing import Any


def reject_content_type(ct: str | None) -> str | None:
    return None

def reject_markup(text: str) -> str | None:
    return None

def reject_page(tree: Any, url: str, meta: Any, jsonld: Any) -> str | None:
    return None

def reject_text(paragraphs: list[str], tree: Any, jsonld: Any) -> str | None:
    return None if paragraphs else "no text"
