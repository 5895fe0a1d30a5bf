"""Split a long article into overlapping chunks on paragraph boundaries.

Chunks are lists of globally numbered sentences, so citations and offsets stay
relative to the whole article and merging needs no translation.
"""

from __future__ import annotations

from .sentences import Sentence


def _paragraph_break_after(text: str, sentences: list[Sentence], index: int) -> bool:
    if index + 1 >= len(sentences):
        return True
    return "\n" in text[sentences[index].end : sentences[index + 1].start]


def chunk_sentences(
    text: str, sentences: list[Sentence], *, max_chars: int, overlap_chars: int
) -> list[list[Sentence]]:
    """Group sentences into chunks of at most ``max_chars`` characters of article.

    A chunk ends at a paragraph break when one falls in its second half; the next
    chunk repeats trailing sentences of up to ``overlap_chars`` characters. A single
    sentence longer than ``max_chars`` is a chunk of its own.
    """
    if max_chars <= 0:
        raise ValueError("max_chars must be positive")
    n = len(sentences)
    if n == 0:
        return []
    if sentences[-1].end - sentences[0].start <= max_chars:
        return [sentences]

    def end_from(i: int, covered: int) -> tuple[int, bool]:
        """Where a chunk starting at sentence i ends, and whether that is a paragraph end."""
        j = i
        while j < n and sentences[j].end - sentences[i].start <= max_chars:
            j += 1
        j = max(j, i + 1, covered + 1)  # every chunk adds at least one new sentence
        if j >= n:
            return n, True
        half = max(i + max(1, (j - i) // 2), covered + 1)
        for k in range(j, half - 1, -1):
            if _paragraph_break_after(text, sentences, k - 1):
                return k, True
        return j, False

    chunks: list[list[Sentence]] = []
    i = 0
    covered = 0  # sentences [0, covered) are in some chunk already
    while i < n:
        j, clean = end_from(i, covered)
        if not clean and i < covered:
            # The overlap leaves no room to end at a paragraph: try without it.
            j2, clean2 = end_from(covered, covered)
            if clean2:
                i, j = covered, j2
        chunks.append(sentences[i:j])
        covered = j
        if j >= n:
            break
        k = j
        while k - 1 > i and sentences[j - 1].end - sentences[k - 1].start <= overlap_chars:
            k -= 1
        # The overlap plus the next sentence must fit; otherwise start fresh at j.
        i = k if sentences[j].end - sentences[k].start <= max_chars else j
    return chunks
