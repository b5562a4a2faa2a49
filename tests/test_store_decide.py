"""The ingest decision as a pure function (store.decide): every branch on plain data."""

from __future__ import annotations

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

A = "http://a.test/2024/10/story/"
STORY = Content("North Korea sends troops", "hash-v1")
EDITED = Content("North Korea sends troops", "hash-v2")
STORED = Stored(7, A, STORY)


def incoming(content: Content = STORY, url: str = A, canonical: str | None = None,
             declared: str | None = None, body: str = "body-2") -> Incoming:
    return Incoming(fetched_url=url, canonical_url=canonical or url, declared_url=declared,
                    content=content, body_hash=body)


def known(previous: Content | None = STORY, reextracted: Content | None = None,
          relation: str = "canonical") -> State:
    return State(linked=STORED, link_relation=relation, previous=previous,
                 previous_body_hash="body-1", reextracted=reextracted)


def test_never_seen_is_new() -> None:
    assert decide(State(), incoming()) == Decision("new", relation="canonical", new_version=True,
                                                   reason="never seen")


def test_same_text_at_a_known_url_is_unchanged() -> None:
    decision = decide(known(), incoming())
    assert (decision.kind, decision.article_id, decision.new_version) == ("unchanged", 7, False)


def test_whitespace_in_the_title_is_not_a_change() -> None:
    decision = decide(known(), incoming(Content("North  Korea sends\ntroops ", "hash-v1")))
    assert decision.kind == "unchanged"


def test_changed_text_is_an_update_when_the_old_body_reads_as_before() -> None:
    state = known(reextracted=STORY)
    assert needs_reextraction(state, incoming(EDITED))
    decision = decide(state, incoming(EDITED))
    assert (decision.kind, decision.new_version, decision.reextracted) == ("updated", True, False)


def test_title_change_alone_is_an_update() -> None:
    decision = decide(known(reextracted=STORY), incoming(Content("Troops sent", "hash-v1")))
    assert decision.kind == "updated"


def test_changed_text_is_no_update_when_todays_extractor_reads_the_old_body_the_same() -> None:
    decision = decide(known(reextracted=EDITED), incoming(EDITED))
    assert (decision.kind, decision.new_version, decision.reextracted) == (
        "unchanged", True, True)


def test_same_body_read_differently_is_a_silent_version() -> None:
    state = known()
    same_body = incoming(EDITED, body="body-1")
    assert not needs_reextraction(state, same_body)
    decision = decide(state, same_body)
    assert (decision.kind, decision.reextracted) == ("unchanged", True)


def test_no_reextraction_needed_when_nothing_changed() -> None:
    assert not needs_reextraction(known(), incoming())
    assert not needs_reextraction(State(), incoming())
    assert not needs_reextraction(known(relation="copy"), incoming(EDITED))


def test_url_that_reads_as_last_time_is_unchanged_even_if_the_article_moved_on() -> None:
    state = State(linked=Stored(7, A, EDITED), link_relation="alias", previous=STORY,
                  previous_body_hash="body-1")
    assert decide(state, incoming(STORY)).kind == "unchanged"


def test_a_known_copy_is_never_updated() -> None:
    decision = decide(known(relation="copy"), incoming(EDITED, url="http://b.test/x/"))
    assert (decision.kind, decision.relation, decision.new_version) == ("unchanged", "copy",
                                                                        False)


def test_near_duplicate_on_another_site_is_a_copy() -> None:
    state = State(near=[Near(STORED, 0.93)])
    decision = decide(state, incoming(EDITED, url="http://b.test/syndicated/"))
    assert (decision.kind, decision.article_id, decision.relation, decision.similarity) == (
        "copy", 7, "copy", 0.93)


def test_same_text_at_another_url_of_the_same_site_is_an_alias() -> None:
    state = State(near=[Near(STORED, 1.0)])
    decision = decide(state, incoming(STORY, url="http://www.a.test/print/story/"))
    assert (decision.kind, decision.relation) == ("alias", "alias")


def test_near_duplicate_with_other_text_on_the_same_site_is_still_a_copy() -> None:
    state = State(near=[Near(STORED, 0.8)])
    decision = decide(state, incoming(EDITED, url="http://a.test/amp/story/"))
    assert decision.kind == "copy"


def test_cross_site_canonical_to_a_stored_story_is_a_copy_not_an_alias() -> None:
    state = State(declared=Near(STORED, 0.97))
    decision = decide(state, incoming(STORY, url="http://b.test/copy/", declared=A))
    assert (decision.kind, decision.relation, decision.article_id) == ("copy", "copy", 7)


def test_best_near_duplicate_wins() -> None:
    other = Stored(9, "http://c.test/other/", Content("t", "h9"))
    state = State(near=[Near(other, 0.9), Near(STORED, 0.6)])
    assert decide(state, incoming(EDITED, url="http://b.test/x/")).article_id == 9


def test_first_look_at_another_rendering_of_a_stored_page_is_a_silent_alias() -> None:
    state = State(linked=STORED, link_relation="canonical", by_claim=True)
    amp = incoming(EDITED, url="http://a.test/amp/story/", canonical=A)
    assert not needs_reextraction(state, amp)
    decision = decide(state, amp)
    assert (decision.kind, decision.relation, decision.new_version) == ("alias", "alias", False)
