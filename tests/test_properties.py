"""Property-based tests (hypothesis) for the pure core: URL canonicalisation, `text_hash`,
the ingest decision (store.decide) and the update diff (store.diff).

Modest example counts in CI; `NEWSWATCH_HYPOTHESIS_EXAMPLES=N` runs N per property.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import replace
from html.entities import html5
from urllib.parse import parse_qsl, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract.canonical import canonicalize_url
from extract.fingerprint import text_hash
from store.decide import (
    Content,
    Decision,
    Incoming,
    Near,
    State,
    Stored,
    decide,
    needs_reextraction,
)
from store.diff import compare, paragraphs, unified

EXAMPLES = int(os.environ.get("NEWSWATCH_HYPOTHESIS_EXAMPLES", "150"))
PROFILE = settings(max_examples=EXAMPLES, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])

# -- URL canonicalisation --------------------------------------------------------------------

TRACKERS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "fbclid",
            "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_ga", "yclid"]
# section, region, copy, times begin with legacy HTML entities ("&sect"): courlan's
# normalize_url once unescaped them into "§ion"; canonicalize_url must keep them.
KEPT = ["id", "p", "page", "story", "article", "q", "s", "lang", "year", "cat", "v", "t",
        "docid", "edition", "format", "topic", "section", "region", "copy", "times", "para"]
assert [n for n in KEPT for e in html5 if not e.endswith(";") and n.startswith(e)]
_safe = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~", min_size=1, max_size=12)
_value = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]),
                 min_size=1, max_size=10)
hosts = st.sampled_from(["example.org", "WWW.Example.ORG", "127.0.0.1:8001", "news.co.uk:443",
                         "xn--bcher-kva.example", "sub.example.com:80"])


@st.composite
def urls(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    """A URL with tracking and ordinary parameters; returns (url, the ordinary ones)."""
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    path = "/".join(draw(st.lists(_safe, max_size=4)))
    names = draw(st.lists(st.sampled_from(KEPT), unique=True, max_size=4))
    kept = [(n, draw(_value)) for n in names]
    tracking = [(n, draw(_value)) for n in draw(st.lists(st.sampled_from(TRACKERS),
                                                         unique=True, max_size=3))]
    params = draw(st.permutations(kept + tracking))
    from urllib.parse import quote

    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in params)
    fragment = draw(st.one_of(st.none(), _safe))
    url = f"{scheme}://{draw(hosts)}/{path}" + (f"?{query}" if query else "")
    return url + (f"#{fragment}" if fragment else ""), kept


@PROFILE
@given(urls())
def test_canonical_url_is_idempotent_and_keeps_exactly_the_ordinary_parameters(
        case: tuple[str, list[tuple[str, str]]]) -> None:
    url, kept = case
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
    parts = urlsplit(once)
    assert parts.fragment == "" and parts.scheme in ("http", "https")
    assert parts.netloc == parts.netloc.lower()
    got = parse_qsl(parts.query, keep_blank_values=True)
    assert {k for k, _ in got}.isdisjoint(TRACKERS)
    assert sorted(got) == sorted(kept)


@PROFILE
@given(st.text(max_size=200))
def test_canonical_url_never_raises_and_is_idempotent_on_junk(junk: str) -> None:
    once = canonicalize_url(junk)
    assert canonicalize_url(once) == once


# -- text_hash -------------------------------------------------------------------------------

_token = st.text(alphabet=st.characters(categories=["L", "N", "P", "S"]), min_size=1,
                 max_size=8)
_space = st.sampled_from([" ", "  ", "\n", "\n\n", "\t", " \n ", "\u00a0"])


@PROFILE
@given(st.lists(_token, min_size=1, max_size=30), st.data())
def test_text_hash_ignores_layout_and_sees_every_word(tokens: list[str],
                                                      data: st.DataObject) -> None:
    plain = " ".join(tokens)
    spaced = "".join(t + data.draw(_space) for t in tokens)
    assert text_hash(plain) == text_hash(spaced) == text_hash("\n\n" + plain + "\n")
    assert text_hash("\u00ad".join(plain)) == text_hash(plain)  # soft hyphens are markup
    i = data.draw(st.integers(0, len(tokens) - 1))
    other = data.draw(_token.filter(lambda t: unicodedata.normalize("NFC", t)
                                    != unicodedata.normalize("NFC", tokens[i])
                                    and t.strip("\u00ad\u200b\u2060\ufeff")))
    changed = [*tokens[:i], other, *tokens[i + 1:]]
    if normalized(changed) != normalized(tokens):
        assert text_hash(" ".join(changed)) != text_hash(plain)


def normalized(tokens: list[str]) -> list[str]:
    text = unicodedata.normalize("NFC", " ".join(tokens))
    return [t for t in "".join(c for c in text if c not in "\u00ad\u200b\u2060\ufeff").split()]


# -- the ingest decision ---------------------------------------------------------------------

contents = st.builds(Content, title=st.sampled_from([None, "A", "A ", "B"]),
                     text_hash=st.sampled_from(["h1", "h2", "h3"]))
site_urls = st.sampled_from(["http://a.test/1/", "http://a.test/2/", "http://b.test/1/"])
stored = st.builds(Stored, id=st.integers(1, 3), url=site_urls, content=contents)
nears = st.builds(Near, article=stored, similarity=st.floats(0.5, 1.0))
states = st.builds(
    State, linked=st.one_of(st.none(), stored),
    link_relation=st.sampled_from([None, "canonical", "alias", "copy"]),
    by_claim=st.booleans(), previous=st.one_of(st.none(), contents),
    previous_body_hash=st.sampled_from([None, "b1", "b2"]),
    reextracted=st.one_of(st.none(), contents), declared=st.one_of(st.none(), nears),
    near=st.lists(nears, max_size=3))
incomings = st.builds(Incoming, fetched_url=site_urls, canonical_url=site_urls,
                      declared_url=st.one_of(st.none(), site_urls), content=contents,
                      body_hash=st.sampled_from(["b1", "b2", "b3"]))


@PROFILE
@given(states, incomings)
def test_ingest_decision_invariants(state: State, incoming: Incoming) -> None:
    decision = decide(state, incoming)
    assert decision == decide(state, incoming)  # a pure function
    assert decision.kind in ("new", "alias", "copy", "updated", "unchanged")
    nothing_known = state.linked is None and state.declared is None and not state.near
    assert (decision.kind == "new") == nothing_known
    if decision.kind == "new":
        assert decision.new_version and decision.article_id is None
        return
    assert decision.article_id is not None
    if state.linked is not None:
        assert decision.article_id == state.linked.id
        if state.link_relation == "copy":  # a known copy's own edits are not ours
            assert (decision.kind, decision.new_version) == ("unchanged", False)
        if incoming.content.same_as(state.linked.content):
            assert decision.kind == "unchanged" and not decision.new_version
    if decision.kind == "updated":
        assert state.linked is not None and decision.new_version
        for seen in (state.linked.content, state.previous, state.reextracted):
            assert not incoming.content.same_as(seen)
        assert incoming.body_hash != state.previous_body_hash
    if decision.reextracted:  # an extractor change: a silent version, never an event
        assert decision.kind == "unchanged" and decision.new_version
    if decision.kind == "alias" and state.linked is None:
        best = state.near[0].article
        assert state.declared is None
        assert best.content.text_hash == incoming.content.text_hash
        assert urlsplit(best.url).netloc == urlsplit(incoming.fetched_url).netloc


@PROFILE
@given(states, incomings, st.one_of(st.none(), contents))
def test_reextraction_is_skipped_only_when_it_cannot_change_the_decision(
        state: State, incoming: Incoming, reading: Content | None) -> None:
    if not needs_reextraction(state, incoming):
        with_reading: Decision = decide(replace(state, reextracted=reading), incoming)
        assert with_reading == decide(replace(state, reextracted=None), incoming)


# -- the update diff -------------------------------------------------------------------------

_paragraph = st.lists(st.sampled_from(["north", "korea", "troops", "moscow", "said", "on",
                                       "Monday", "the", "bridge", "1,200", "«quoted»"]),
                      min_size=1, max_size=6).map(" ".join)
_texts = st.lists(_paragraph, max_size=8)


@PROFILE
@given(_texts, _texts, st.sampled_from([None, "Title", "Other title"]),
       st.sampled_from([None, "Title", "Other title"]))
def test_update_diff_accounts_for_every_paragraph(old: list[str], new: list[str],
                                                  old_title: str | None,
                                                  new_title: str | None) -> None:
    old_text, new_text = "\n\n".join(old), "\n\n".join(new)
    change = compare(old_title, old_text, new_title, new_text, 2)
    assert len(paragraphs(new_text)) - len(paragraphs(old_text)) == \
        len(change.added) - len(change.removed)
    assert all(p in paragraphs(new_text) for p in change.added)
    assert all(p in paragraphs(old_text) for p in change.removed)
    assert all(a in paragraphs(old_text) and b in paragraphs(new_text)
               for a, b in change.changed)
    same = paragraphs(old_text) == paragraphs(new_text)
    assert same == (not change.added and not change.removed and not change.changed)
    assert change.title_changed == ((old_title or "") != (new_title or ""))
    diff = unified(old_title, old_text, new_title, new_text, 1, 2)
    assert (diff == "") == (same and not change.title_changed)
    assert change.summary().startswith("v2: ")


@PROFILE
@given(_texts, st.data())
def test_rewrapped_text_is_no_change(old: list[str], data: st.DataObject) -> None:
    text = "\n\n".join(old)
    rewrapped = "\n\n\n".join(" \n ".join(p.split(" ")) if data.draw(st.booleans()) else p
                              for p in old)
    change = compare("T", text, "T", rewrapped.replace("\n\n\n", "\n\n"), 2)
    assert not (change.added or change.removed or change.changed)
    assert unified("T", text, "T", rewrapped.replace("\n\n\n", "\n\n"), 1, 2) == ""
