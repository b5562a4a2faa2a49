"""Fixture article data: one JSON file per article under fixtures/articles/<site>/.

An article file holds the story (title, paragraphs, metadata) and when it exists in the
timeline (`from_state`, `until_state`), its `edits` (a state from which the title changes
and a paragraph is inserted) or `copy_of` (a syndicated copy of another article, whose
title and paragraphs are taken from the original as it stands in that state).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

# A body block: a paragraph; {"h2": heading}; {"label": run-in bold label, "text": rest of
# the paragraph}; {"ul": [list items]}.
Block = str | dict[str, Any]


def block_texts(block: Block) -> list[str]:
    """The text units (paragraphs, list items) a block contributes; none for headings."""
    if isinstance(block, str):
        return [block]
    if "label" in block:
        return [block["label"] + block["text"]]
    return list(block.get("ul", []))


@dataclass(frozen=True)
class Edit:
    state: int
    title: str | None
    modified: str
    insert_after: str | None  # prefix of the paragraph the new one follows
    text: str | None


@dataclass(frozen=True)
class ArticleData:
    """An article as stored on disk, all states."""

    id: str
    site: str
    path: str
    title: str
    author: str
    published: str
    modified: str | None
    section: str
    tags: tuple[str, ...]
    topics: tuple[str, ...]
    body: tuple[Block, ...]
    from_state: int = 0
    until_state: int | None = None  # last state the page exists in (None: all)
    edits: tuple[Edit, ...] = ()
    copy_of: str | None = None
    disallowed: bool = False  # linked from a listing but behind robots.txt Disallow
    extra: dict[str, Any] = field(default_factory=dict)

    def exists(self, state: int) -> bool:
        if state < self.from_state:
            return False
        return self.until_state is None or state <= self.until_state

    def version_at(self, state: int) -> int:
        """1 + number of edits applied by `state`."""
        return 1 + sum(1 for e in self.edits if e.state <= state)


@dataclass(frozen=True)
class ArticleView:
    """An article resolved for one state: what the page shows."""

    data: ArticleData
    title: str
    body: tuple[Block, ...]
    modified: datetime  # content-version date (Last-Modified, dateModified)
    published: datetime
    version: int
    original: ArticleView | None = None  # the article this page is a syndicated copy of

    @property
    def site(self) -> str:
        return self.data.site

    @property
    def path(self) -> str:
        return self.data.path

    @property
    def paragraphs(self) -> list[str]:
        return [text for block in self.body for text in block_texts(block)]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.extra.get(key, default)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


KNOWN = {"id", "site", "path", "title", "author", "published", "modified", "section", "tags",
         "topics", "body", "from_state", "until_state", "edits", "copy_of", "disallowed"}


def load_article(path: Path) -> ArticleData:
    raw = json.loads(path.read_text(encoding="utf-8"))
    edits = tuple(
        Edit(state=e["state"], title=e.get("title"), modified=e["modified"],
             insert_after=e.get("insert_after"), text=e.get("text"))
        for e in raw.get("edits", [])
    )
    return ArticleData(
        id=raw["id"], site=raw["site"], path=raw["path"], title=raw.get("title", ""),
        author=raw.get("author", ""), published=raw["published"], modified=raw.get("modified"),
        section=raw.get("section", ""), tags=tuple(raw.get("tags", [])),
        topics=tuple(raw.get("topics", [])), body=tuple(raw.get("body", [])),
        from_state=raw.get("from_state", 0), until_state=raw.get("until_state"),
        edits=edits, copy_of=raw.get("copy_of"), disallowed=raw.get("disallowed", False),
        extra={k: v for k, v in raw.items() if k not in KNOWN},
    )


def apply_edits(data: ArticleData, state: int) -> tuple[str, tuple[Block, ...], str | None]:
    """Title, body and modified date of `data` after the edits made by `state`."""
    title, body, modified = data.title, list(data.body), data.modified
    for edit in data.edits:
        if edit.state > state:
            continue
        title = edit.title or title
        modified = edit.modified
        if edit.text is not None:
            at = len(body)
            if edit.insert_after is not None:
                at = next(i for i, b in enumerate(body)
                          if isinstance(b, str) and b.startswith(edit.insert_after)) + 1
            body.insert(at, edit.text)
    return title, tuple(body), modified
