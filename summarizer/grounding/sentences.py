"""Split an article into numbered sentences with exact character offsets.

Items are located in these sentences (``locate.py``), so the offsets in every
summary are computed here and never taken from the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr st sr jr prof gen sen rep gov lt col sgt capt adm pres amb
    jan feb mar apr jun jul aug sep sept oct nov dec vs etc inc co corp ltd
    u.s u.k u.n e.u e.g i.e a.m p.m fig vol art sec dept est approx""".split()
)

# A boundary candidate: terminal punctuation (Latin or CJK), optional closing
# quotes/brackets, then whitespace. It is a boundary when what follows does not
# start in lower case (any script); CJK full stops need no whitespace.
_BOUNDARY = re.compile(r"([.!?\u3002\uff01\uff1f]+)([\"'\u201d\u2019)\]]*)(\s*)")
_CJK_STOPS = frozenset("\u3002\uff01\uff1f")
_OPENERS = "\"'\u201c\u2018(["
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


@dataclass(frozen=True)
class Sentence:
    """One sentence: 1-based ``number`` and ``[start, end)`` offsets into the article."""

    number: int
    start: int
    end: int
    text: str


def _is_abbreviation(paragraph: str, dot_index: int) -> bool:
    match = _WORD_BEFORE.search(paragraph, max(0, dot_index - 40), dot_index)
    if match is None:
        return False
    word = match.group(1).lower().rstrip(".")
    if len(word) == 1:  # an initial, as in "Donald J. Trump"
        return True
    if word in ("no", "nos"):  # "No. 5", but "said no. The union..."
        return paragraph[dot_index + 1 : dot_index + 3].strip()[:1].isdigit()
    return word in _ABBREVIATIONS


def _split_paragraph(paragraph: str, base: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        punct_start = match.start(1)
        after = paragraph[match.end(3) : match.end(3) + 2].lstrip(_OPENERS)[:1]
        if not after:
            continue  # end of paragraph: handled below
        if not match.group(3) and match.group(1)[-1] not in _CJK_STOPS:
            continue  # "U.S.-China", "3.5"
        if after.islower():
            continue
        if match.group(1) == "." and _is_abbreviation(paragraph, punct_start):
            continue
        end = match.start(3)
        if paragraph[start:end].strip():
            spans.append((start, end))
        start = match.end(3)
    if paragraph[start:].strip():
        spans.append((start, len(paragraph.rstrip())))
    return [(base + s, base + e) for s, e in spans]


#: A run of text with no sentence boundary is cut at whitespace past this length,
#: so that one citation never covers a whole unpunctuated document.
MAX_SENTENCE_CHARS = 1200


def _cap(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS)
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        spans.append((start, len(text[:cut].rstrip())))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        spans.append((start, end))
    return spans


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences; every line break also ends a sentence."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        raw = line.group(0)
        lead = len(raw) - len(raw.lstrip())
        if not raw.strip():
            continue
        for s, e in _split_paragraph(raw[lead:], line.start() + lead):
            spans.extend(_cap(text, s, e))
    return [Sentence(number=i, start=s, end=e, text=text[s:e]) for i, (s, e) in enumerate(spans, 1)]


def number_sentences(sentences: list[Sentence], text: str) -> str:
    """Render sentences as ``[n] sentence`` lines, keeping paragraph breaks visible."""
    lines: list[str] = []
    previous_end = None
    for sentence in sentences:
        if previous_end is not None and "\n" in text[previous_end : sentence.start]:
            if text.count("\n", previous_end, sentence.start) > 1:
                lines.append("")
        lines.append(f"[{sentence.number}] {sentence.text}")
        previous_end = sentence.end
    return "\n".join(lines)


def ends_sentence(text: str) -> bool:
    """Whether ``text``, which ends with ``.``, ``!`` or ``?``, ends a sentence there.

    Abbreviations and initials ("U.S.", "Mr.", "J.") and a digit before the dot
    ("2." in "2.5") do not end one. Used while text is still being written, so
    what follows the stop is unknown.
    """
    if not text or text[-1] not in ".!?":
        return False
    if text[-1] != ".":
        return True
    before = text[:-1].rstrip(".")
    if before[-1:].isdigit():
        return False
    return not _is_abbreviation(text, len(text) - 1)
