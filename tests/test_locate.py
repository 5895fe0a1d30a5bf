"""locate: the sentence an item's copied words come from, or None when they are not there."""

from __future__ import annotations

import pytest
from fakes import seed

from summarizer.grounding.locate import MIN_COVERAGE, content_words, locate
from summarizer.grounding.sentences import Sentence, split_sentences

XI_CALL = seed("us-china-trump-xi-call.txt")
XI_SENTENCES = split_sentences(XI_CALL)
RARE = seed("us-china-rare-earths-tensions.txt")
RARE_SENTENCES = split_sentences(RARE)


def sentence_containing(sentences: list[Sentence], fragment: str) -> Sentence:
    (hit,) = [s for s in sentences if fragment in s.text]
    return hit


@pytest.mark.parametrize(
    "copied",
    [
        "agreed to hold more trade talks",
        "proposed a plan to revoke visas for some Chinese students",
        "withdraw its negative initiatives against China",
        "pledged to suspend or remove what it called \u201cnon-tariff countermeasures\u201d",
        "raised U.S. levies on Chinese goods to an eye-watering minimum rate of 145 percent",
    ],
)
def test_copied_words_find_their_sentence(copied: str) -> None:
    match = locate(copied, XI_SENTENCES)
    assert match is not None
    assert match.coverage == 1.0
    # The sentence found is the one the words were copied from (the only one holding them).
    assert match.sentence == sentence_containing(XI_SENTENCES, copied)
    assert XI_CALL[match.sentence.start : match.sentence.end] == match.sentence.text


@pytest.mark.parametrize(
    ("variant", "source_fragment"),
    [
        # inflection, case, dropped words, straight instead of curly apostrophe
        ("Revoking visas for Chinese students", "revoke visas for some Chinese students"),
        ("CHINA PLEDGED TO SUSPEND NON-TARIFF COUNTERMEASURES", "China also pledged to suspend"),
        ("China's top leader talked with Trump", "China\u2019s top leader"),
        ("welcomed Trump's visit to China", "welcomed Mr. Trump to visit China"),
        # words reordered
        ("tariffs reduced temporarily for 90 days", "temporarily reducing the punishing tariffs"),
    ],
)
def test_paraphrase_lite_variants_find_their_sentence(variant: str, source_fragment: str) -> None:
    match = locate(variant, XI_SENTENCES)
    assert match is not None, variant
    assert match.sentence == sentence_containing(XI_SENTENCES, source_fragment)
    assert MIN_COVERAGE <= match.coverage <= 1.0


def test_numbers_and_percent_signs_are_words() -> None:
    match = locate("lowering its own levies to 10% from 125%", RARE_SENTENCES)
    assert match is not None
    assert match.sentence == sentence_containing(RARE_SENTENCES, "10% from 125%")


@pytest.mark.parametrize(
    "invented",
    [
        "the Moon landing was faked",
        "China agreed to buy Boeing aircraft",  # "China", "agreed" exist; the rest does not
        "Xi demanded reparations from Canada",
    ],
)
def test_words_not_in_the_article_do_not_resolve(invented: str) -> None:
    assert locate(invented, XI_SENTENCES) is None


@pytest.mark.parametrize("text", ["", "the", "it was that they had", "  ...  "])
def test_text_without_content_words_does_not_resolve(text: str) -> None:
    assert content_words(text) == []
    assert locate(text, XI_SENTENCES) is None


def test_no_sentences_means_no_match() -> None:
    assert locate("agreed to hold more trade talks", []) is None


def test_coverage_threshold_is_a_share_of_the_item_words() -> None:
    sentences = split_sentences("Acme offered a raise to welders.")
    # 3 of 4 content words present (0.75): enough.
    assert locate("Acme offered raise to painters", sentences) is not None
    # 2 of 4 present (0.5): not enough.
    assert locate("Acme offered pensions to painters", sentences) is None


# -- ties ---------------------------------------------------------------------------------
# Documented behaviour: the highest coverage wins; on equal coverage, the sentence with
# the longest run of the item's words in order wins; on a full tie, the earliest sentence.


def test_tie_on_coverage_goes_to_the_longest_contiguous_run() -> None:
    text = "Talks on steel quotas ended without a deal. The steel quotas talks ended."
    sentences = split_sentences(text)
    match = locate("steel quotas talks", sentences)
    assert match is not None and match.coverage == 1.0
    assert match.sentence.number == 2  # both hold all words; only 2 has them in this order


def test_full_tie_goes_to_the_earliest_sentence() -> None:
    text = "The union rejected the offer. Later, the union rejected the offer again."
    sentences = split_sentences(text)
    match = locate("union rejected the offer", sentences)
    assert match is not None
    assert match.sentence.number == 1


def test_higher_coverage_beats_an_earlier_sentence() -> None:
    text = "The union wants a raise. The union wants a raise and a pension."
    match = locate("a raise and a pension", split_sentences(text))
    assert match is not None
    assert match.sentence.number == 2


def test_locate_works_on_a_subset_of_sentences() -> None:
    # A chunk passes only its own sentences: a sentence outside them is not found.
    target = sentence_containing(XI_SENTENCES, "revoke visas")
    others = [s for s in XI_SENTENCES if s.number != target.number]
    assert locate("revoke visas for some Chinese students", others) is None
