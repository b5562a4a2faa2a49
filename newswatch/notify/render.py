"""Notification messages: a title, a plain-text body and an HTML body, from events.

Each message names its event ids ("newswatch event 12") in its body, and webhooks that
take JSON or form fields get them as fields too (`event_id`, or `event_ids` for a
digest), so a receiver can drop a message it already has. Excerpts of changed
paragraphs are short and everything taken from a page is escaped in the HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SNIPPET = 200  # characters of an added/removed paragraph shown
MAX_PARAGRAPHS = 3  # added/removed paragraphs shown per update
TITLE_MAX = 120
KIND_LABEL = {"new": "NEW", "updated": "UPDATED", "duplicate": "COPY",
              "source_failed": "SOURCE FAILED", "source_recovered": "SOURCE RECOVERED"}
FOOTER_STYLE = "color:#666;font-size:small"


@dataclass(frozen=True)
class Message:
    title: str
    text: str
    html: str
    fields: dict[str, str] = field(default_factory=dict)  # JSON/form webhook fields


def event_message(event: dict[str, Any]) -> Message:
    """One event, on its own."""
    label = KIND_LABEL.get(event["kind"], event["kind"].upper())
    subject = event.get("title") or event.get("source") or "-"
    title = _cut(f"newswatch {label}: {subject}", TITLE_MAX)
    text = "\n".join([*_text_block(event), "", _footer(event)])
    body = "".join([*_html_block(event), f'<p style="{FOOTER_STYLE}">'
                    f"{html.escape(_footer(event))}</p>"])
    return Message(title, text, body, {"event_id": str(event["id"]), "event_kind": event["kind"]})


def digest_message(channel: str, events: list[dict[str, Any]], start: datetime,
                   end: datetime) -> Message:
    """Every event of one digest period, oldest first."""
    span = _span(start, end)
    count = f"{len(events)} event{'s' if len(events) != 1 else ''}"
    title = f"newswatch digest ({channel}): {count}, {span}"
    text_parts = [f"{count} from {span} (local time).", ""]
    html_parts = [f"<p>{html.escape(count)} from {html.escape(span)} (local time).</p>"]
    for event in events:
        text_parts += [*_text_block(event), _footer(event), ""]
        html_parts += ["<hr>", *_html_block(event),
                       f'<p style="{FOOTER_STYLE}">{html.escape(_footer(event))}</p>']
    ids = ",".join(str(e["id"]) for e in events)
    return Message(title, "\n".join(text_parts).rstrip() + "\n", "".join(html_parts),
                   {"event_ids": ids, "digest_start": _utc(start), "digest_end": _utc(end)})


def test_message(channel: str, target: str) -> Message:
    text = (f"A test message from newswatch for [notify.{channel}], sent to {target}.\n"
            "If you read this, newswatch can deliver its events here.")
    return Message(f"newswatch test ({channel})", text,
                   "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines()),
                   {"event_id": "test"})


# -- pieces -------------------------------------------------------------------------------

def _headline(event: dict[str, Any]) -> str:
    label = KIND_LABEL.get(event["kind"], event["kind"].upper())
    parts = [label]
    if event.get("topics"):
        parts.append(", ".join(event["topics"]))
    if event.get("source"):
        parts.append(str(event["source"]))
    summary = _summary(event)
    if summary:
        parts.append(summary)
    return " · ".join(parts)


def _summary(event: dict[str, Any]) -> str:
    detail = event.get("detail") or {}
    kind = event["kind"]
    if kind == "updated":
        return str(detail.get("summary") or "")
    if kind == "duplicate":
        similarity = detail.get("similarity")
        score = f" ({similarity:.2f})" if isinstance(similarity, (int, float)) else ""
        return f"copy of {detail.get('original_url', '?')}{score}"
    if kind == "source_failed":
        failures = detail.get("failures")
        reason = str(detail.get("reason") or "failed")
        return f"{reason} ({failures} failed runs in a row)" if failures else reason
    if kind == "source_recovered":
        return "works again"
    return ""


def _changes(event: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(heading, excerpts) of an update: added, removed and changed paragraphs."""
    if event["kind"] != "updated":
        return []
    detail = event.get("detail") or {}
    sections: list[tuple[str, list[str]]] = []
    if detail.get("title_changed") and detail.get("old_title"):
        sections.append(("Title was", [_cut(str(detail["old_title"]), SNIPPET)]))
    for key, heading in (("added", "Added"), ("removed", "Removed")):
        paragraphs = [str(p) for p in detail.get(key) or []]
        if paragraphs:
            sections.append((heading, _excerpts(paragraphs)))
    changed = [str(c.get("new", "")) for c in detail.get("changed") or [] if isinstance(c, dict)]
    if changed:
        sections.append(("Changed (now)", _excerpts(changed)))
    return sections


def _excerpts(paragraphs: list[str]) -> list[str]:
    shown = [_cut(p, SNIPPET) for p in paragraphs[:MAX_PARAGRAPHS]]
    if len(paragraphs) > MAX_PARAGRAPHS:
        shown.append(f"(and {len(paragraphs) - MAX_PARAGRAPHS} more)")
    return shown


def _text_block(event: dict[str, Any]) -> list[str]:
    lines = [_headline(event)]
    if event.get("title"):
        lines.append(str(event["title"]))
    if event.get("url"):
        lines.append(str(event["url"]))
    for heading, excerpts in _changes(event):
        lines.append(f"{heading}:")
        lines += [f"  {excerpt}" for excerpt in excerpts]
    return lines


def _html_block(event: dict[str, Any]) -> list[str]:
    parts = [f"<p><b>{html.escape(_headline(event))}</b></p>"]
    title = html.escape(str(event.get("title") or event.get("url") or ""))
    url = str(event.get("url") or "")
    if url.startswith(("http://", "https://")):
        href = html.escape(url, quote=True)  # the address shown too: in the text part
        parts.append(f'<p><a href="{href}">{title}</a><br>{html.escape(url)}</p>')
    elif title:
        parts.append(f"<p>{title}</p>")
    for heading, excerpts in _changes(event):
        items = "".join(f"<li>{html.escape(e)}</li>" for e in excerpts)
        parts.append(f"<p>{html.escape(heading)}:</p><ul>{items}</ul>")
    return parts


def _footer(event: dict[str, Any]) -> str:
    return f"newswatch event {event['id']} at {event.get('at', '?')}"


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _span(start: datetime, end: datetime) -> str:
    a, b = start.astimezone(), end.astimezone()
    seconds = ":%S" if (b - a).total_seconds() < 60 or a.second or b.second else ""
    left = a.strftime(f"%Y-%m-%d %H:%M{seconds}")
    right = b.strftime(f"%H:%M{seconds}") if a.date() == b.date() else \
        b.strftime(f"%Y-%m-%d %H:%M{seconds}")
    return f"{left} to {right}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
