"""Chunking of long articles, and the pipeline end to end on a long article (fake backend)."""

from __future__ import annotations

import random
import re
from itertools import pairwise

import pytest
from fakes import (
    OFFERS,
    SEED_NAMES,
    TOPICS,
    FakeBackend,
    article_of,
    long_article,
    seed,
    union_company_responder,
)

from summarizer.grounding.chunking import chunk_sentences
from summarizer.grounding.sentences import Sentence, split_sentences
from summarizer.io.inputs import make_article
from summarizer.pipeline import Pipeline
from summarizer.settings import Settings


def span(chunk: list[Sentence]) -> int:
    return chunk[-1].end - chunk[0].start


def ends_paragraph(text: str, sentences: list[Sentence], sentence: Sentence) -> bool:
    if sentence.number == len(sentences):
        return True
    return "\n" in text[sentence.end : sentences[sentence.number].start]


def check_chunks(
    text: str, sentences: list[Sentence], chunks: list[list[Sentence]], max_chars: int, overlap: int
) -> None:
    """Invariants every chunking must keep."""
    assert chunks, "a non-empty article has at least one chunk"
    for chunk in chunks:
        numbers = [s.number for s in chunk]
        assert numbers == list(range(numbers[0], numbers[-1] + 1)), "a chunk is contiguous"
        assert len(chunk) == 1 or span(chunk) <= max_chars
    assert chunks[0][0].number == 1 and chunks[-1][-1].number == len(sentences)
    for prev, nxt in pairwise(chunks):
        assert prev[0].number < nxt[0].number <= prev[-1].number + 1, "no gap, always progress"
        shared = [s for s in nxt if s.number <= prev[-1].number]
        if shared:
            assert span(shared) <= overlap
    covered = {s.number for chunk in chunks for s in chunk}
    assert covered == set(range(1, len(sentences) + 1))


def paragraphs_text(paragraphs: int, per_paragraph: int, width: int = 99) -> str:
    """Paragraphs of ``per_paragraph`` sentences, each exactly ``width`` characters."""
    out = []
    for p in range(paragraphs):
        sentences = []
        for s in range(per_paragraph):
            head = f"Paragraph {p} sentence {s} says"
            sentences.append(head + " " + "w" * (width - len(head) - 2) + ".")
        out.append(" ".join(sentences))
    return "\n\n".join(out)


# -- chunk_sentences ----------------------------------------------------------------------


def test_short_article_is_one_chunk() -> None:
    text = seed("us-china-rare-earths-tensions.txt")
    sentences = split_sentences(text)
    assert chunk_sentences(text, sentences, max_chars=len(text), overlap_chars=600) == [sentences]


def test_no_sentences_no_chunks_and_bad_limit_refused() -> None:
    assert chunk_sentences("", [], max_chars=100, overlap_chars=10) == []
    with pytest.raises(ValueError):
        chunk_sentences("A b.", split_sentences("A b."), max_chars=0, overlap_chars=0)


def test_chunks_end_on_paragraph_breaks() -> None:
    text = paragraphs_text(paragraphs=6, per_paragraph=3)
    sentences = split_sentences(text)
    assert {len(s.text) for s in sentences} == {99}
    # 4 sentences (~400 chars) fit in 450, but each paragraph is 3: chunks end at paragraphs.
    chunks = chunk_sentences(text, sentences, max_chars=450, overlap_chars=0)
    check_chunks(text, sentences, chunks, 450, 0)
    assert len(chunks) == 6
    for chunk in chunks:
        assert ends_paragraph(text, sentences, chunk[-1])
        assert chunk[0].number == 1 or ends_paragraph(
            text, sentences, sentences[chunk[0].number - 2]
        )


def test_without_paragraph_breaks_chunks_are_filled() -> None:
    # Control for the test above: the same sentences on one line fill each chunk.
    text = paragraphs_text(paragraphs=6, per_paragraph=3).replace("\n\n", " ")
    sentences = split_sentences(text)
    chunks = chunk_sentences(text, sentences, max_chars=450, overlap_chars=0)
    check_chunks(text, sentences, chunks, 450, 0)
    assert [len(c) for c in chunks] == [4, 4, 4, 4, 2]


def test_paragraph_break_in_the_first_half_is_not_used() -> None:
    # One short paragraph, then a long one: ending at the early break would waste the chunk.
    text = "Short opener.\n" + paragraphs_text(paragraphs=1, per_paragraph=8)
    sentences = split_sentences(text)
    chunks = chunk_sentences(text, sentences, max_chars=520, overlap_chars=0)
    check_chunks(text, sentences, chunks, 520, 0)
    assert len(chunks[0]) > 1, "the chunk did not stop after the opener"


def test_overlap_repeats_trailing_sentences_up_to_the_limit() -> None:
    text = paragraphs_text(paragraphs=6, per_paragraph=3)
    sentences = split_sentences(text)
    # 250 chars hold two 99-char sentences (99 + 1 + 99), not three.
    chunks = chunk_sentences(text, sentences, max_chars=600, overlap_chars=250)
    check_chunks(text, sentences, chunks, 600, 250)
    assert len(chunks) > 2
    for prev, nxt in pairwise(chunks):
        shared = [s for s in nxt if s.number <= prev[-1].number]
        assert shared == prev[-2:], "exactly the trailing two sentences are repeated"


def test_zero_overlap_partitions_the_sentences() -> None:
    text = seed("us-china-trump-xi-call.txt")
    sentences = split_sentences(text)
    chunks = chunk_sentences(text, sentences, max_chars=1500, overlap_chars=0)
    check_chunks(text, sentences, chunks, 1500, 0)
    assert [s for c in chunks for s in c] == sentences


def test_single_oversized_sentence_is_a_chunk_of_its_own() -> None:
    big = "The union demanded " + "more pay and better hours, " * 20 + "at once."
    text = f"Talks resumed today. {big} Acme refused. Both sides left."
    sentences = split_sentences(text)
    assert [len(s.text) > 300 for s in sentences] == [False, True, False, False]
    chunks = chunk_sentences(text, sentences, max_chars=300, overlap_chars=100)
    check_chunks(text, sentences, chunks, 300, 100)
    assert [sentences[1]] in chunks
    assert all(len(c) == 1 for c in chunks if sentences[1] in c)


@pytest.mark.parametrize("name", SEED_NAMES)
@pytest.mark.parametrize(("max_chars", "overlap"), [(500, 150), (1000, 300), (2000, 600)])
def test_seed_articles_chunk_cleanly(name: str, max_chars: int, overlap: int) -> None:
    text = seed(name)
    sentences = split_sentences(text)
    chunks = chunk_sentences(text, sentences, max_chars=max_chars, overlap_chars=overlap)
    check_chunks(text, sentences, chunks, max_chars, overlap)
    assert len(chunks) > 1
    # Every line of the seeds is a paragraph, so every chunk ends at a paragraph break.
    for chunk in chunks:
        assert ends_paragraph(text, sentences, chunk[-1])


def test_random_limits_keep_the_invariants() -> None:
    rng = random.Random(7)
    for name in SEED_NAMES:
        text = seed(name)
        sentences = split_sentences(text)
        for _ in range(200):
            max_chars = rng.randint(150, 4000)
            overlap = rng.randint(0, max_chars // 3)
            chunks = chunk_sentences(text, sentences, max_chars=max_chars, overlap_chars=overlap)
            check_chunks(text, sentences, chunks, max_chars, overlap)


def test_every_chunk_adds_a_new_sentence() -> None:
    def sentence(word: str, repeats: int) -> str:
        return word + f" {word}" * repeats + "."

    text = f"{sentence('Aa', 99)} {sentence('Bb', 49)}\n{sentence('Cc', 132)}"
    sentences = split_sentences(text)
    assert [len(s.text) for s in sentences] == [300, 150, 399]
    chunks = chunk_sentences(text, sentences, max_chars=500, overlap_chars=200)
    check_chunks(text, sentences, chunks, 500, 200)
    for prev, nxt in pairwise(chunks):
        assert nxt[-1].number > prev[-1].number, [[s.number for s in c] for c in chunks]


# -- the pipeline on a long article -----------------------------------------------------

CHUNK_CHARS = 900
OVERLAP = 300


def run_long(use_async: bool = False):
    text = long_article()
    backend = FakeBackend(union_company_responder)
    summarizer = Pipeline(backend, Settings(chunk_chars=CHUNK_CHARS, overlap_chars=OVERLAP))
    article = make_article(text)
    if use_async:
        import asyncio

        summary = asyncio.run(summarizer.asummarize(article))
    else:
        summary = summarizer.summarize(article)
    return text, backend, summary


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_long_article_is_extracted_chunk_by_chunk_and_merged(use_async: bool) -> None:
    text, backend, summary = run_long(use_async)
    sentences = split_sentences(text)
    requests = backend.requests

    # Several chunks, each within the limit, each seen by the model as article text.
    assert len(requests) > 2
    assert summary.run.chunks == len(requests)
    for request in requests:
        shown = article_of(request)
        assert len(shown) <= CHUNK_CHARS
        start = text.find(shown)
        assert start in {s.start for s in sentences}, "a chunk starts at a sentence"
        assert start + len(shown) in {s.end for s in sentences}, "and ends at one"
    # Evidence keeps the article's global sentence numbering, whatever its chunk.
    for item in [*summary.demands, *summary.concessions]:
        for ev in item.evidence:
            assert sentences[ev.sentence - 1].start <= ev.start < sentences[ev.sentence - 1].end

    # The overlap really repeated items: some demands were seen by two calls.
    seen = [t for r in requests for t in TOPICS if f"demanded {t}." in article_of(r)]
    assert len(seen) > len(TOPICS)

    # ... but each demand and offer is in the summary exactly once.
    assert sorted(d.text for d in summary.demands) == sorted(f"demanded {t}" for t in TOPICS)
    assert sorted(c.text for c in summary.concessions) == sorted(f"offered {o}" for o in OFFERS)

    # Parties unified by alias, the first chunk's names win, references renamed.
    assert [p.name for p in summary.parties] == ["Acme Corp", "Machinists Union"]
    acme, union = summary.parties
    assert acme.kind == "company" and union.kind == "union"
    assert {"Acme", "the company"} <= set(acme.aliases)
    assert {"the union", "Union"} <= set(union.aliases)
    assert {(d.party, d.to) for d in summary.demands} == {("Machinists Union", "Acme Corp")}
    assert {(c.party, c.to) for c in summary.concessions} == {("Acme Corp", "Machinists Union")}

    # Offsets are relative to the whole article and point at the right sentence.
    assert summary.ungrounded(text) == []
    for item in [*summary.demands, *summary.concessions]:
        for ev in item.evidence:
            assert text[ev.start : ev.end] == ev.text
            assert sentences[ev.sentence - 1].start == ev.start
            assert item.text in ev.text
    last_topic = next(d for d in summary.demands if d.text.endswith(TOPICS[-1]))
    assert last_topic.evidence[0].start > len(text) // 2


def test_long_article_usage_counts_every_chunk() -> None:
    _, backend, summary = run_long()
    calls = len(backend.requests)
    assert summary.run.usage.calls == calls
    assert summary.run.usage.prompt_tokens == calls * backend.prompt_tokens
    assert summary.run.usage.completion_tokens == calls * backend.completion_tokens


def test_backend_context_sets_the_chunk_size() -> None:
    text = long_article()
    backend = FakeBackend(union_company_responder, context_chars=1200)
    Pipeline(backend, Settings(overlap_chars=OVERLAP)).summarize(make_article(text))
    assert len(backend.requests) > 1
    assert all(len(article_of(r)) <= 1200 for r in backend.requests)


def test_short_article_is_one_call_without_chunk_note() -> None:
    backend = FakeBackend(union_company_responder)
    text = seed("us-china-rare-earths-tensions.txt")
    summary = Pipeline(backend).summarize(make_article(text))
    assert len(backend.requests) == 1 and summary.run.chunks == 1
    assert article_of(backend.requests[0]) == text.strip()
    assert "part 1 of" not in backend.requests[0].messages[1]["content"]


def test_chunks_are_told_which_part_they_are() -> None:
    _, backend, _ = run_long()
    total = len(backend.requests)
    for i, request in enumerate(backend.requests, 1):
        assert f"part {i} of {total}" in request.messages[1]["content"]


def test_chunk_note_is_two_sentences() -> None:
    _, backend, _ = run_long()
    user = backend.requests[0].messages[1]["content"]
    note = next(line for line in user.splitlines() if "part 1 of" in line)
    assert re.search(r"long article\. Extract what this part says\.", note), note
