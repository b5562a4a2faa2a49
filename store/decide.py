"""The ingest decision: a pure function of the stored state and one extracted page.

    new        a story never seen before
    alias      the same page under another URL of the same site (folded in silently)
    copy       a near-duplicate of a stored story at another URL, usually another
               site: syndication, AMP, print pages (event `duplicate`)
    updated    the story at a known URL changed its title or text in substance
    unchanged  nothing new; possibly a silent re-extracted version (`reextracted`)
               when only our extractor's reading of the same story changed

A URL variant never becomes a copy and a copy never becomes an alias:
`rel=canonical` is trusted only on the page's own site, because syndicators
point it at themselves or at the original as they please.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from store.diff import norm_title
from store.model import site_of


@dataclass(frozen=True)
class Content:
    """The part of an article an update is judged on."""

    title: str | None
    text_hash: str

    def same_as(self, other: Content | None) -> bool:
        return (other is not None and self.text_hash == other.text_hash
                and norm_title(self.title) == norm_title(other.title))


@dataclass(frozen=True)
class Stored:
    """A stored article as the decision sees it."""

    id: int
    url: str
    content: Content


@dataclass(frozen=True)
class Incoming:
    """The extracted page: where it was fetched, what it says about itself, its content."""

    fetched_url: str  # canonicalized final URL
    canonical_url: str  # rel=canonical if on the same site, else fetched_url
    declared_url: str | None  # a rel=canonical on *another* site, None otherwise
    content: Content
    body_hash: str


@dataclass(frozen=True)
class Near:
    article: Stored
    similarity: float


@dataclass(frozen=True)
class State:
    """What the store knows that bears on one incoming page."""

    linked: Stored | None = None  # article an URL of this page is already recorded for
    link_relation: str | None = None  # that URL's relation: canonical, alias, copy
    # True when only the page's same-site rel=canonical names a stored URL: the fetched
    # URL itself is new (an AMP or print rendering, another address of the page).
    by_claim: bool = False
    previous: Content | None = None  # what this URL said last time (pages row)
    previous_body_hash: str | None = None
    reextracted: Content | None = None  # previous body read by today's extractor
    declared: Near | None = None  # article stored at a cross-site canonical URL
    near: list[Near] = field(default_factory=list)  # near-duplicates, most similar first


@dataclass(frozen=True)
class Decision:
    kind: str  # new, alias, copy, updated, unchanged
    article_id: int | None = None
    relation: str | None = None  # how the fetched URL relates to the article
    similarity: float | None = None
    new_version: bool = False
    reextracted: bool = False
    reason: str = ""


def needs_reextraction(state: State, incoming: Incoming) -> bool:
    """Whether `decide` needs `state.reextracted` to tell an update from an extractor change."""
    if state.linked is None or state.link_relation == "copy":
        return False
    if state.by_claim and state.previous is None:
        return False
    base = state.previous or state.linked.content
    if incoming.content.same_as(base) or incoming.content.same_as(state.linked.content):
        return False
    return incoming.body_hash != state.previous_body_hash


def decide(state: State, incoming: Incoming) -> Decision:
    if state.linked is not None:
        return _known_url(state, incoming)
    if state.declared is not None:
        declared = state.declared
        return Decision("copy", declared.article.id, "copy", declared.similarity,
                        reason=f"rel=canonical on another site: {declared.article.url}")
    if state.near:
        best = state.near[0]
        same_site = site_of(best.article.url) == site_of(incoming.fetched_url)
        if same_site and incoming.content.text_hash == best.article.content.text_hash:
            return Decision("alias", best.article.id, "alias", best.similarity,
                            reason="same text at another URL of the same site")
        return Decision("copy", best.article.id, "copy", best.similarity,
                        reason=f"near-duplicate of {best.article.url}")
    return Decision("new", relation="canonical", new_version=True, reason="never seen")


def _known_url(state: State, incoming: Incoming) -> Decision:
    linked = state.linked
    assert linked is not None
    relation = state.link_relation or "alias"
    if relation == "copy":
        # A copy we already know: its own edits are the copier's business.
        return Decision("unchanged", linked.id, relation, reason="known copy")
    content = incoming.content
    if content.same_as(linked.content):
        return Decision("unchanged", linked.id, relation, reason="same text")
    if content.same_as(state.previous):
        # This URL reads as it did; the article's text came from another of its URLs.
        return Decision("unchanged", linked.id, relation, reason="same text at this URL")
    if state.by_claim and state.previous is None:
        # A first look at another rendering of a stored page: its text may differ in
        # form (AMP, print); updates are judged against each URL's own last reading.
        return Decision("alias", linked.id, "alias", reason="new URL of a stored page")
    if incoming.body_hash == state.previous_body_hash:
        return Decision("unchanged", linked.id, relation, new_version=True, reextracted=True,
                        reason="same body, extractor reads it differently")
    if content.same_as(state.reextracted):
        return Decision("unchanged", linked.id, relation, new_version=True, reextracted=True,
                        reason="previous body re-extracted gives the same text")
    return Decision("updated", linked.id, relation, new_version=True, reason="text changed")
