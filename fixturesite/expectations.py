"""Expectation files (fixtures/expect/*.json): what a correct extractor gets from each
article page, per content version."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fixturesite.catalog import FIXTURES_DIR


@dataclass(frozen=True)
class Expectation:
    """One article page in one content version.

    `paragraphs` must be in the clean text, `boilerplate` (lines of the page's chrome, all
    present in the page) must not be; `states` lists the states that serve this content.
    """

    site: str
    path: str
    title: str
    author: str
    published: str  # YYYY-MM-DD
    paragraphs: list[str]
    boilerplate: list[str]
    topics: list[str]
    states: list[int]
    version: int = 1
    modified: str | None = None  # YYYY-MM-DD of the content version
    copy_of: str | None = None  # "site path" of the original for a syndicated copy
    disallowed: bool = False  # only reachable through a robots.txt-disallowed link
    file: str = field(default="", compare=False)

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("file")
        return data


def load_expectations(root: Path | str = FIXTURES_DIR) -> list[Expectation]:
    """Every expectation file under `root`/expect, sorted by file name."""
    out = []
    for path in sorted((Path(root) / "expect").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out.append(Expectation(**data, file=path.name))
    return out
