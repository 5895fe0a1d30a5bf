"""Deterministic parts of the local decoder: the repeat guard, the summary cap, drafts.

The decoder itself runs against the real model in test_local_model.py.
"""

from __future__ import annotations

from summarizer.backends.fast_decode import FastDecoder
from summarizer.backends.output_guard import (
    NO_REPEAT_NGRAM,
    STRING_MAX_TOKENS,
    SUMMARY_MAX_TOKENS,
    OutputGuard,
    plain,
)
from summarizer.grounding.extraction import Extraction
from summarizer.grounding.sentences import ends_sentence


def feed(guard: OutputGuard, pieces: list[tuple[int, str, bool]]) -> None:
    for token, piece, word in pieces:
        guard.push(token, piece, word)


def what_value(words: list[int]) -> list[tuple[int, str, bool]]:
    """Token stream for `"what":"w1 w2 ...",` with word tokens 1000+."""
    stream = [(1, '{"', False), (2, "what", True), (3, '":"', False)]
    stream += [(w, f"w{w}", True) for w in words]
    stream += [(4, '",', False)]
    return stream


def test_guard_bans_the_word_that_would_repeat_an_earlier_what_value() -> None:
    guard = OutputGuard()
    feed(guard, what_value([101, 102, 103, 104]))
    # A second "what" value starts with the same three words: the fourth is banned.
    feed(guard, [(1, '{"', False), (2, "what", True), (3, '":"', False)])
    feed(guard, [(101, "w101", True), (102, "w102", True)])
    assert guard.banned() == set()  # only 2 words so far: no (n-1)-gram yet
    feed(guard, [(103, "w103", True)])
    assert guard.banned() == {104}
    assert NO_REPEAT_NGRAM == 4


def test_guard_is_silent_outside_what_values() -> None:
    guard = OutputGuard()
    feed(guard, what_value([101, 102, 103, 104]))
    # The same words in a party name or the summary are not banned.
    feed(guard, [(5, '"name":"', False), (101, "w101", True), (102, "w102", True)])
    feed(guard, [(103, "w103", True)])
    assert guard.banned() == set()


def test_summary_is_closed_after_two_sentences() -> None:
    guard = OutputGuard()
    feed(guard, [(6, '"summary":"', False), (7, "Talks", True), (8, " resumed", True)])
    assert not guard.must_close()
    feed(guard, [(9, ".", False), (10, " Tariffs", True), (11, " fell", True)])
    assert not guard.must_close()
    feed(guard, [(9, ".", False)])
    assert guard.must_close()
    feed(guard, [(12, '"}', False)])
    assert not guard.must_close()


def test_initials_and_abbreviations_do_not_end_the_summary() -> None:
    # Measured: "The U. S." was cut after "S." as if it were two sentences.
    guard = OutputGuard()
    feed(guard, [(6, '"summary":"', False), (7, "The", True), (8, " U", True), (9, ".", False)])
    feed(guard, [(10, " S", True), (9, ".", False), (11, " and", True), (12, " Iran", True)])
    feed(guard, [(13, " agreed", True), (14, " a", True), (15, " 2", True), (9, ".", False)])
    feed(guard, [(16, "5", True), (17, "%", False), (18, " cut", True)])
    assert guard.sentences == 0 and not guard.must_close()
    feed(guard, [(9, ".", False), (19, " Mr", True), (9, ".", False), (20, " Rubio", True)])
    assert guard.sentences == 1
    feed(guard, [(21, " left", True), (9, ".", False)])
    assert guard.must_close()


def test_ends_sentence() -> None:
    assert ends_sentence("Talks resumed.")
    assert ends_sentence("Did they agree?")
    assert not ends_sentence("The U.")
    assert not ends_sentence("talks with the U.S.")
    assert not ends_sentence("said Mr.")
    assert not ends_sentence("a cut of 2.")
    assert not ends_sentence("no stop")
    assert not ends_sentence("")


def test_wrap_up_closes_only_outside_strings_and_only_late() -> None:
    guard = OutputGuard()
    assert not guard.closing()  # no budget set: never
    guard.wrap_at = 4
    feed(guard, [(1, '{"', False), (2, "parties", True), (3, '":[', False)])
    assert not guard.closing()  # 3 tokens: not yet
    feed(guard, [(4, '{"', False)])
    assert guard.in_string and not guard.closing()  # inside a key: never
    feed(guard, [(5, 'name":"', False), (6, "Can", True), (7, '\\"', False)])
    assert guard.in_string  # an escaped quote does not end the string
    feed(guard, [(8, 'ada"}', False)])
    assert not guard.in_string and guard.closing()


def test_summary_is_closed_at_the_token_cap_without_a_full_stop() -> None:
    guard = OutputGuard()
    feed(guard, [(6, '"summary":"', False)])
    for i in range(SUMMARY_MAX_TOKENS - 1):
        guard.push(100 + i, " word", True)
    assert not guard.must_close()
    guard.push(99, " word", True)
    assert guard.must_close()


def test_plain_strips_byte_level_space_markers() -> None:
    assert plain("\u0120tariffs") == "tariffs"
    assert plain("\u010a") == ""


def test_prompt_lookup_drafts_what_followed_the_last_ngram() -> None:
    decoder = FastDecoder.__new__(FastDecoder)
    history = [5, 6, 7, 8, 9, 10, 11, 5, 6, 7]
    assert decoder._propose(history, budget=3) == [8, 9, 10]
    assert decoder._propose([1, 2, 3, 4], budget=5) == []  # nothing repeats
    assert decoder._propose(history, budget=0) == []


def test_placeholder_items_are_dropped_not_reasked() -> None:
    extraction = Extraction.model_validate(
        {
            "parties": [{"name": "Acme", "kind": "company", "aliases": []}],
            "demands": [{"by": "Acme", "to": None, "what": "None."}],
            "concessions": [],
            "open_issues": [{"what": "n/a", "among": []}],
            "summary": "Nothing was agreed.",
        }
    )
    assert extraction.demands == []
    assert extraction.open_issues == []


def test_a_long_what_value_is_closed_at_its_cap() -> None:
    from summarizer.backends.output_guard import WHAT_MAX_TOKENS

    guard = OutputGuard()
    feed(guard, [(1, '{"', False), (2, "what", True), (3, '":"', False)])
    for i in range(WHAT_MAX_TOKENS - 1):
        guard.push(200 + i, " word", True)
    assert not guard.must_close()
    guard.push(199, " word", True)
    assert guard.must_close()
    guard.push(4, '",', False)
    assert not guard.must_close()


def test_salvage_drops_over_long_items_too() -> None:
    from summarizer.grounding.extraction import MAX_TEXT, salvage
    from summarizer.grounding.sentences import split_sentences

    text = "Acme offered a raise. The union wants more."
    answer = {
        "parties": [{"name": "Acme", "kind": "company", "aliases": []}],
        "demands": [],
        "concessions": [
            {"by": "Acme", "to": None, "what": "offered a raise", "status": "offered"},
            {"by": "Acme", "to": None, "what": "raise " * (MAX_TEXT // 5), "status": "offered"},
        ],
        "open_issues": [],
        "summary": "Acme offered a raise.",
    }
    import json

    rescued = salvage(json.dumps(answer), split_sentences(text))
    assert rescued is not None
    extraction, dropped = rescued
    assert dropped == 1
    assert [c.what for c in extraction.concessions] == ["offered a raise"]


def test_a_runaway_alias_is_closed_at_its_cap() -> None:
    # Measured: "the European Union of the European Union of ..." until max_tokens.
    guard = OutputGuard()
    feed(guard, [(1, '{"parties":[{"name":"European Union","aliases":["', False)])
    # The token that opens the string counts as its first.
    for i in range(STRING_MAX_TOKENS - 2):
        guard.push(200 + i, " of the Union", True)
    assert not guard.must_close()
    guard.push(300, " of", True)
    assert guard.must_close()
    feed(guard, [(2, '","', False)])  # closed; the next alias starts afresh
    assert guard.in_string and not guard.must_close()
    feed(guard, [(3, 'EU"],', False)])
    assert not guard.in_string and not guard.must_close()
