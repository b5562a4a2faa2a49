"""What changed between two versions of an article: paragraph counts and a unified diff.

Texts are compared paragraph by paragraph (paragraphs are separated by blank
lines), each paragraph with its whitespace folded, so re-wrapped markup never
shows up as a change.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

EXCERPT = 300  # characters of each added/removed paragraph kept in an event's detail


def paragraphs(text: str) -> list[str]:
    blocks = (" ".join(block.split()) for block in text.replace("\r", "").split("\n\n"))
    return [block for block in blocks if block]


def norm_title(title: str | None) -> str:
    return " ".join((title or "").split())


@dataclass
class Change:
    """The substance of an update, for the `versions` row and the event detail."""

    version: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, str]] = field(default_factory=list)  # (old, new)
    old_title: str | None = None
    new_title: str | None = None

    @property
    def title_changed(self) -> bool:
        return norm_title(self.old_title) != norm_title(self.new_title)

    def summary(self) -> str:
        """e.g. "v2: +2 -0 paragraphs", "v3: +0 -0 ~1 paragraphs, title changed"."""
        text = f"v{self.version}: +{len(self.added)} -{len(self.removed)}"
        if self.changed:
            text += f" ~{len(self.changed)}"
        text += " paragraphs"
        if self.title_changed:
            text += ", title changed"
        return text

    def detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "version": self.version,
            "summary": self.summary(),
            "paragraphs_added": len(self.added),
            "paragraphs_removed": len(self.removed),
            "paragraphs_changed": len(self.changed),
            "title_changed": self.title_changed,
            "added": [_excerpt(p) for p in self.added],
            "removed": [_excerpt(p) for p in self.removed],
            "changed": [{"old": _excerpt(old), "new": _excerpt(new)} for old, new in self.changed],
        }
        if self.title_changed:
            detail["old_title"] = self.old_title
            detail["new_title"] = self.new_title
        return detail


def _excerpt(paragraph: str) -> str:
    return paragraph if len(paragraph) <= EXCERPT else paragraph[:EXCERPT - 1] + "…"


def compare(old_title: str | None, old_text: str, new_title: str | None, new_text: str,
            version: int) -> Change:
    """Paragraph-level change from the old version to the new one (`version` = the new one)."""
    old, new = paragraphs(old_text), paragraphs(new_text)
    change = Change(version=version, old_title=old_title, new_title=new_title)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "insert":
            change.added.extend(new[b1:b2])
        elif op == "delete":
            change.removed.extend(old[a1:a2])
        elif op == "replace":
            pairs = min(a2 - a1, b2 - b1)
            for before, after in zip(old[a1:a1 + pairs], new[b1:b1 + pairs], strict=True):
                # A headline repeated in the text is reported as the title change alone.
                if not (before == norm_title(old_title) and after == norm_title(new_title)):
                    change.changed.append((before, after))
            change.removed.extend(old[a1 + pairs:a2])
            change.added.extend(new[b1 + pairs:b2])
    return change


def unified(old_title: str | None, old_text: str, new_title: str | None, new_text: str,
            old_version: int, new_version: int) -> str:
    """A unified diff with one line per paragraph, the title as the first line."""
    old = [f"# {norm_title(old_title)}", *paragraphs(old_text)]
    new = [f"# {norm_title(new_title)}", *paragraphs(new_text)]
    return "\n".join(difflib.unified_diff(old, new, fromfile=f"v{old_version}",
                                         tofile=f"v{new_version}", lineterm="", n=1))
