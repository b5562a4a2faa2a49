"""Fingerprints: text_hash ignores whitespace and markup and changes with any word; the MinHash
signature tells a syndicated copy from a different article on the same story."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract import extract_page
from extract.fingerprint import signature, similarity, text_hash
from extract.normalize import normalize_text

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzàéöß'’-0123456789", min_size=1,
               max_size=10).filter(lambda w: w.strip("-'’") != "")
paragraph = st.lists(word, min_size=1, max_size=25)
paragraphs = st.lists(paragraph, min_size=1, max_size=6)
space = st.sampled_from([" ", "  ", "\t", "\n", "\u00a0", " \n ", "\r\n", "\u2003"])


@given(paragraphs, st.data())
def test_text_hash_ignores_whitespace_and_layout(paras: list[list[str]],
                                                 data: st.DataObject) -> None:
    plain = "\n\n".join(" ".join(p) for p in paras)
    respaced = data.draw(space).join(data.draw(space).join(p) for p in paras)
    padded = "\n \n" + respaced.replace(" ", " \u00ad", 1) + "  \n"  # a soft hyphen is markup
    assert text_hash(plain) == text_hash(respaced) == text_hash(padded)


@given(paragraphs, st.data())
def test_text_hash_changes_with_any_word(paras: list[list[str]], data: st.DataObject) -> None:
    flat = [w for p in paras for w in p]
    i = data.draw(st.integers(0, len(flat) - 1))
    new = data.draw(word.filter(lambda w: w != flat[i]))
    changed = flat[:i] + [new] + flat[i + 1:]
    assert text_hash(" ".join(flat)) != text_hash(" ".join(changed))
    assert text_hash(" ".join(flat)) != text_hash(" ".join(flat[:i] + flat[i + 1:]))


SENTENCES = st.lists(st.sampled_from(
    ["The harbour reopened on Monday", "ferries will run every hour until October",
     "officials said the repairs cost more than expected", "residents welcomed the news",
     "the mayor thanked the crews", "traffic on the bridge eased by noon"]),
    min_size=3, max_size=6).map(lambda s: ", ".join(s) + ".")


def render(paras: list[str], style: int) -> str:
    if style == 0:
        body = "".join(f"<p>{p}</p>" for p in paras)
    else:  # other markup, same words: inline tags, entities, indentation, a wrapper div
        body = "\n".join(f'  <div class="para">\n    <p><span>{p.replace(" ", "&nbsp;", 1)}'
                         f"</span></p>\n  </div>" for p in paras)
    return (f"<html><head><title>Harbour</title></head><body><article><h1>Harbour</h1>"
            f"{body}</article></body></html>")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SENTENCES, min_size=3, max_size=5, unique=True))
def test_text_hash_ignores_markup_changes(paras: list[str]) -> None:
    a = extract_page(render(paras, 0), "https://h.example/a/").article
    b = extract_page(render(paras, 1), "https://h.example/a/").article
    assert a is not None and b is not None
    assert a.text_hash == b.text_hash
    assert all(p in a.text and p in b.text for p in paras)


def test_signature_round_trip() -> None:
    text = "North Korea sent troops to Russia, officials in Seoul said on Friday."
    sig = signature(text)
    assert len(sig) == 128 * 8
    assert similarity(sig, signature(text)) == 1.0
    assert sig == signature(text)  # the same bytes in every process: stored and compared
    assert signature("") == signature("   ") != signature("a")


def seed_texts() -> dict[str, str]:
    return {p.name[:3]: normalize_text(p.read_text("utf-8")) for p in sorted(SEEDS.glob("*.txt"))}


def syndicated_copy(text: str) -> str:
    paragraphs = text.split("\n\n")
    return "\n\n".join([*paragraphs[:-1], "This article originally appeared on Example News.",
                        "Sign up for our daily newsletter and never miss a story."])


def test_minhash_separates_copies_from_other_articles_on_the_same_story() -> None:
    """The seeds are five different articles on the North Korea-Russia story."""
    seeds = seed_texts()
    assert len(seeds) >= 5
    copies = [similarity(signature(t), signature(syndicated_copy(t))) for t in seeds.values()]
    others = [similarity(signature(a), signature(b))
              for a, b in combinations(seeds.values(), 2)]
    assert min(copies) >= 0.6
    assert max(others) <= 0.2
