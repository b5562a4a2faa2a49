"""HTML for the story view and table cells: diffs, event details, topics, links.

Every piece of stored text (titles, paragraphs, URLs, reasons) goes through
markupsafe's escape; a URL becomes a link only if it is http(s)
(store.feed.safe_url), so a `javascript:` URL stays plain text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from store.feed import safe_url

HEADER_LINES = 2  # a unified diff starts with "--- v1" and "+++ v2"
HUNK = re.compile(r"^@@ -(?P<old>\d+)(?:,\d+)? \+(?P<new>\d+)(?:,\d+)? @@")


def link(url: object, text: object | None = None) -> Markup:
    """An external link if `url` is http(s), else the escaped text."""
    href = safe_url(url)
    label = url if text is None else text
    if href is None:
        return Markup('<span class="nw-url">{}</span>').format(label or "")
    return Markup('<a href="{}" rel="nofollow noreferrer">{}</a>').format(href, label)


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """(kind, paragraph) per line of a paragraph diff from store.diff.unified.

    kind: added, removed, context, gap (between hunks), or title-added,
    title-removed, title for the headline (line 1 of either side: "# headline").
    """
    lines = diff.split("\n")
    if len(lines) > 1 and lines[0].startswith("--- ") and lines[1].startswith("+++ "):
        lines = lines[HEADER_LINES:]
    out: list[tuple[str, str]] = []
    old_no = new_no = 0  # line numbers of the last old and new line seen
    for line in lines:
        hunk = HUNK.match(line)
        if hunk:
            if out:
                out.append(("gap", ""))
            old_no, new_no = int(hunk["old"]) - 1, int(hunk["new"]) - 1
            continue
        marker, text = line[:1], line[1:]
        if marker == "-":
            old_no += 1
            title = old_no == 1
        elif marker == "+":
            new_no += 1
            title = new_no == 1
        elif marker == " ":
            old_no, new_no = old_no + 1, new_no + 1
            title = old_no == 1
        else:
            continue
        kind = {"+": "added", "-": "removed", " ": "context"}[marker]
        if title and text.startswith("# "):
            out.append(("title" if kind == "context" else f"title-{kind}", text[2:]))
        else:
            out.append((kind, text))
    return out


def render_diff(diff: object) -> Markup:
    """A unified paragraph diff as added (green) and removed (red) paragraphs."""
    if not isinstance(diff, str) or not diff.strip():
        return Markup('<span class="nw-muted">first version (no diff)</span>')
    rows = []
    for kind, text in diff_lines(diff):
        if kind == "gap":
            rows.append(Markup('<div class="nw-gap">⋯</div>'))
            continue
        sign = {"added": "+", "removed": "−", "title-added": "+", "title-removed": "−"
                }.get(kind, " ")
        label = Markup('<span class="nw-label">headline</span> ') if kind.startswith(
            "title") else Markup("")
        rows.append(Markup('<div class="nw-line nw-{}"><span class="nw-sign">{}</span>'
                           '<p>{}{}</p></div>').format(kind, sign, label, text))
    return Markup('<div class="nw-diff">{}</div>').format(Markup("").join(rows))


def render_detail(detail: object, link_to: Callable[[str], str] | None = None) -> Markup:
    """An event's (or version's) JSON detail, readable: the summary, the headline change,
    added/removed/changed paragraphs, the original of a copy, a failure reason, then any
    other keys as a definition list."""
    data = _json_object(detail)
    if data is None:
        return Markup('<span class="nw-json">{}</span>').format(detail)
    parts: list[Markup] = []
    rest = dict(data)
    if "summary" in rest:
        rest.pop("version", None)  # the summary starts with it
        parts.append(Markup('<p class="nw-summary">{}</p>').format(rest.pop("summary")))
    if "old_title" in rest or "new_title" in rest:
        parts.append(Markup('<div class="nw-line nw-title-removed"><span class="nw-sign">−'
                            '</span><p><span class="nw-label">headline</span> {}</p></div>'
                            '<div class="nw-line nw-title-added"><span class="nw-sign">+</span>'
                            '<p><span class="nw-label">headline</span> {}</p></div>').format(
            rest.pop("old_title", ""), rest.pop("new_title", "")))
    for key, kind, sign in (("removed", "removed", "−"), ("added", "added", "+")):
        items = rest.pop(key, None)
        if isinstance(items, list):
            parts.extend(Markup('<div class="nw-line nw-{}"><span class="nw-sign">{}</span>'
                                '<p>{}</p></div>').format(kind, sign, item) for item in items)
    changed = rest.pop("changed", None)
    if isinstance(changed, list):
        for pair in changed:
            if isinstance(pair, dict):
                parts.append(Markup(
                    '<div class="nw-line nw-removed"><span class="nw-sign">−</span><p>{}</p></div>'
                    '<div class="nw-line nw-added"><span class="nw-sign">+</span><p>{}</p></div>'
                ).format(pair.get("old", ""), pair.get("new", "")))
    if "original_url" in rest:
        similarity = rest.pop("similarity", None)
        score = (Markup(" (similarity {:.0%})").format(similarity)
                 if isinstance(similarity, (int, float)) else Markup(""))
        parts.append(Markup('<p>copy of {}{}</p>').format(
            link(rest.pop("original_url")), score))
        title = rest.pop("original_title", None)
        if title:
            parts.append(Markup('<p class="nw-muted">original: {}</p>').format(title))
    if "reason" in rest:
        parts.append(Markup('<p class="nw-reason">{}</p>').format(rest.pop("reason")))
    for key in ("paragraphs_added", "paragraphs_removed", "paragraphs_changed",
                "title_changed"):
        rest.pop(key, None)  # said by the summary
    if rest:
        items = Markup("").join(Markup("<dt>{}</dt><dd>{}</dd>").format(
            key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
            for key, value in rest.items())
        parts.append(Markup('<dl class="nw-dl">{}</dl>').format(items))
    return Markup('<div class="nw-detail">{}</div>').format(Markup("").join(parts))


def render_topics(topics: object, href: Callable[[str], str]) -> Markup | None:
    """A JSON array of topic names as chips linking to `href(topic)`; None if not one."""
    names = _json_list(topics)
    if names is None:
        return None
    if not names:
        return Markup('<span class="nw-muted">none</span>')
    return Markup(" ").join(Markup('<a class="nw-topic" href="{}">{}</a>').format(
        href(str(name)), name) for name in names)


def percent(value: object) -> str:
    return f"{value:.0%}" if isinstance(value, (int, float)) else ""


def _json_object(value: object) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.lstrip().startswith("{"):
        return None
    try:
        loaded = json.loads(value)
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) else None


def _json_list(value: object) -> list[Any] | None:
    if not isinstance(value, str) or not value.lstrip().startswith("["):
        return None
    try:
        loaded = json.loads(value)
    except ValueError:
        return None
    return loaded if isinstance(loaded, list) and all(isinstance(x, str) for x in loaded) \
        else None
