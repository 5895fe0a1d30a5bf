"""Sentence splitting: exact offsets, sensible boundaries, capped run-on text."""

from __future__ import annotations

import random

import pytest
from fakes import SEED_NAMES, seed

from summarizer.grounding.sentences import MAX_SENTENCE_CHARS, number_sentences, split_sentences


def assert_well_formed(text: str) -> None:
    """Offsets slice back, spans are ordered and trimmed, every visible char is covered."""
    sentences = split_sentences(text)
    assert [s.number for s in sentences] == list(range(1, len(sentences) + 1))
    covered: set[int] = set()
    previous_end = 0
    for s in sentences:
        assert text[s.start : s.end] == s.text
        assert s.text and s.text == s.text.strip()
        assert "\n" not in s.text
        assert s.start >= previous_end
        assert len(s.text) <= MAX_SENTENCE_CHARS
        previous_end = s.end
        covered.update(range(s.start, s.end))
    missing = [i for i, c in enumerate(text) if not c.isspace() and i not in covered]
    assert missing == []


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


@pytest.mark.parametrize("name", SEED_NAMES)
def test_seed_articles_have_exact_offsets(name: str) -> None:
    article = seed(name)
    assert_well_formed(article)
    # Every line of the seed articles ends with a full stop, quote or "!", so each
    # line holds whole sentences: no sentence spans two lines, none is a fragment.
    for s in split_sentences(article):
        assert s.text[-1] in ".!?\u201d\"'", s.text


def test_trump_xi_seed_boundaries() -> None:
    sentences = texts(seed("us-china-trump-xi-call.txt"))
    # Honorifics and "U.S." do not end a sentence ...
    assert (
        "Mr. Trump said Thursday\u2019s discussion did not touch on matters beyond trade, "
        "including the Russia-Ukraine war and the Iran nuclear negotiations."
    ) in sentences
    assert any(s.startswith("In early April, Mr. Trump raised U.S. levies") for s in sentences)
    # ... nor does "Jan." before a date.
    assert any("spoken to each other on Jan. 17, days before" in s for s in sentences)
    # A closing curly quote stays with its sentence, and the next one starts cleanly.
    assert (
        "\u201cI just concluded a very good phone call with President Xi, of China, discussing "
        "some of the intricacies of our recently made, and agreed to, trade deal,\u201d "
        "Mr. Trump said."
    ) in sentences
    assert (
        "The call, he added, \u201cresulted in a very positive conclusion for both countries.\u201d"
        in (sentences)
    )


def test_rare_earths_seed_boundaries() -> None:
    sentences = texts(seed("us-china-rare-earths-tensions.txt"))
    assert len(sentences) == len(set(sentences))
    # The article's last line has no trailing newline; it is still a sentence.
    assert sentences[-1].endswith("that this will be ironed out.\u201d")
    # "!" inside a quotation ends the quoted sentence; "Mr." does not.
    assert sentences[-13].endswith("HAS TOTALLY VIOLATED ITS AGREEMENT WITH US.")
    assert sentences[-12].startswith("So much for being Mr. NICE GUY!\u201d the president wrote")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        (
            "Donald J. Trump spoke. Then he left.",
            ["Donald J. Trump spoke.", "Then he left."],
        ),
        (
            "The U.S. and the U.K. signed. It was over.",
            ["The U.S. and the U.K. signed.", "It was over."],
        ),
        ('He said: "We agree." Then he left.', ['He said: "We agree."', "Then he left."]),
        (
            "He said \u201cWe agree.\u201d Then he left.",
            ["He said \u201cWe agree.\u201d", "Then he left."],
        ),
        ("Is it over? Yes! Not sure...  Maybe.", ["Is it over?", "Yes!", "Not sure...", "Maybe."]),
        (
            "Growth was 2.5 percent. Then 3.1 percent.",
            ["Growth was 2.5 percent.", "Then 3.1 percent."],
        ),
        ("He left (for good.) Then came back.", ["He left (for good.)", "Then came back."]),
        ("Talks end Sept. 30 in Geneva. Sen. Warren objected.", None),
    ],
)
def test_tricky_boundaries(text: str, expected: list[str] | None) -> None:
    assert_well_formed(text)
    if expected is None:
        expected = ["Talks end Sept. 30 in Geneva.", "Sen. Warren objected."]
    assert texts(text) == expected


def test_line_breaks_end_sentences_and_are_not_included() -> None:
    text = "Headline without a stop\nFirst line.\r\nSecond line.\n\n\n   Indented para.  \n"
    assert_well_formed(text)
    assert texts(text) == [
        "Headline without a stop",
        "First line.",
        "Second line.",
        "Indented para.",
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t \n"])
def test_blank_text_has_no_sentences(text: str) -> None:
    assert split_sentences(text) == []


def test_unpunctuated_text_is_capped_at_whitespace() -> None:
    words = [f"w{i}" for i in range(1500)]
    text = " ".join(words)
    assert len(text) > 4 * MAX_SENTENCE_CHARS
    assert_well_formed(text)
    sentences = split_sentences(text)
    assert len(sentences) >= 4
    # Cuts fall between words: rejoining the pieces gives back every word, in order.
    assert " ".join(s.text for s in sentences).split() == words


def test_text_without_any_whitespace_is_capped_too() -> None:
    text = "x" * (2 * MAX_SENTENCE_CHARS + 7)
    assert_well_formed(text)
    assert "".join(texts(text)) == text
    assert len(split_sentences(text)) == 3


def test_random_texts_keep_the_offset_invariants() -> None:
    pieces = [
        "Mr.", "U.S.", "J.", "The", "deal", "was", "signed.", "\u201cYes.\u201d", '"No!"',
        "(maybe.)", "Then", "\n", "\n\n", "  ", "\t", "2.5", "ok?", "A.", "e.g.", "x" * 70,
        "end.", "...", "\u2019s", "Jan.", "17.",
    ]  # fmt: skip
    rng = random.Random(20240607)
    for _ in range(2000):
        text = "".join(
            rng.choice(pieces) + rng.choice([" ", "", " ", "\n"]) for _ in range(rng.randint(0, 60))
        )
        assert_well_formed(text)


def test_number_sentences_marks_each_sentence_and_keeps_paragraphs() -> None:
    text = "First one. Second one.\nSame paragraph, new line.\n\nNew paragraph."
    sentences = split_sentences(text)
    rendered = number_sentences(sentences, text)
    assert rendered.splitlines() == [
        "[1] First one.",
        "[2] Second one.",
        "[3] Same paragraph, new line.",
        "",
        "[4] New paragraph.",
    ]


def test_the_word_no_can_end_a_sentence() -> None:
    text = "Acme said no. The union walked out. Resolution No. 4 passed."
    assert texts(text) == ["Acme said no.", "The union walked out.", "Resolution No. 4 passed."]
