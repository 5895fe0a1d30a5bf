"""The open-issue call's example pool (``strategies/open_examples.py``), built from the
gold folder by ``summarizer eval train-selector``."""

from __future__ import annotations

from collections.abc import Sequence

from ..grounding.sentences import split_sentences
from ..io.inputs import article_sha256
from ..strategies.open_examples import OpenExample
from .gold import Gold

SAME_TALKS = 2  # sides two articles share when they report the same talks


def example_pool(golds: Sequence[Gold]) -> tuple[list[OpenExample], dict[str, list[str]]]:
    """Each gold article's required open issues whose evidence lies in one sentence, and
    for each article the articles it is never shown examples from: itself and those
    whose sides (optional ones too) share :data:`SAME_TALKS` names with its own. The
    rule over-excludes (the US-UK deal and the Windsor Framework share two sides), which
    errs on the safe side."""
    examples: list[OpenExample] = []
    sides: dict[str, set[str]] = {}
    for gold in golds:
        sha = article_sha256(gold.article)
        sides[sha] = {p.name for p in gold.parties}
        sentences = split_sentences(gold.article)
        for item in gold.items("open_issues"):
            if item.optional or item.span is None:
                continue
            start, end = item.span
            within = [s for s in sentences if s.start <= start and end <= s.end]
            if within:
                sentence = " ".join(within[0].text.split())
                examples.append(OpenExample(sha, sentence, " ".join(item.text.split())))
    excluded = {
        sha: sorted(
            other
            for other, theirs in sides.items()
            if len(mine & theirs) >= SAME_TALKS or other == sha
        )
        for sha, mine in sides.items()
    }
    return examples, excluded
