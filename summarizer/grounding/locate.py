"""Find the sentence that supports an item, from the words the model copied.

A 1.5B model copies article wording reliably but does not map content to sentence
numbers (measured: it counts 2, 3, 4, ... regardless of content). So each item's
``what`` is written in the article's own words, and code finds the sentence that
contains most of those words. An item whose words are not in the article does not
resolve: that is a validation error, and the model is re-asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .sentences import Sentence

_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*%?|[^\W\d_]+", re.UNICODE)
_STOP = frozenset(
    """a an the of to in on for and or but by with from at as is are was were be been being
    it its this that these those their there they them he she his her we our you your i
    will would shall should can could may might must has have had do does did not no
    all any some each other more most such than then so also very just into over under
    about after before between both either neither own same up down out off again""".split()
)

#: Share of the item's content words that must appear in one sentence.
MIN_COVERAGE = 0.6


def _tokens(text: str) -> list[str]:
    norm = text.casefold().replace("\u2019", "'").replace("\u2018", "'")
    return _TOKEN.findall(norm)


def content_words(text: str) -> list[str]:
    return [t for t in _tokens(text) if t not in _STOP]


def stem(word: str) -> str:
    """A light suffix stripper (talks/talked/talking: talk), shared with the scorer."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True)
class Match:
    sentence: Sentence
    coverage: float


def _longest_run(needle: list[str], hay: list[str]) -> int:
    best = 0
    positions: dict[str, list[int]] = {}
    for i, w in enumerate(hay):
        positions.setdefault(w, []).append(i)
    for i in range(len(needle)):
        for j in positions.get(needle[i], []):
            k = 0
            while i + k < len(needle) and j + k < len(hay) and needle[i + k] == hay[j + k]:
                k += 1
            best = max(best, k)
    return best


def locate(text: str, sentences: Sequence[Sentence]) -> Match | None:
    """The sentence holding most of ``text``'s content words, if enough of them."""
    words = {stem(w) for w in content_words(text)}
    if not words:
        return None
    needle = _tokens(text)
    best: tuple[float, int, int] | None = None
    best_sentence: Sentence | None = None
    for sentence in sentences:
        hay_words = {stem(w) for w in content_words(sentence.text)}
        coverage = len(words & hay_words) / len(words)
        if coverage == 0:
            continue
        key = (coverage, _longest_run(needle, _tokens(sentence.text)), -sentence.number)
        if best is None or key > best:
            best, best_sentence = key, sentence
    if best is None or best_sentence is None or best[0] < MIN_COVERAGE:
        return None
    return Match(best_sentence, best[0])
