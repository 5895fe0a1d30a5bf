"""The open-issue call's example pool (``strategies/open_examples.py``), built from the
gold folder by ``summarizer eval train-selector``."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from pathlib import Path

from ..grounding.sentences import split_sentences
from ..io.inputs import article_sha256
from ..strategies.open_examples import OpenExample
from .gold import Gold
from .series_gold import load_series_dir

SAME_TALKS = 2  # sides two articles share when they report the same talks
Pool = tuple[list[OpenExample], dict[str, list[str]]]


def example_pool(
    golds: Sequence[Gold],
    *,
    shippable: Collection[str] | None = None,
    series: Sequence[Collection[str]] = (),
) -> Pool:
    """The examples and, for each gold article, the articles it is never shown
    examples from.

    - **Examples:** the required open issues of the articles in ``shippable`` (ids;
      None: every article) whose evidence lies in one sentence. The shipped pool takes
      only the public-domain texts (``evals/SOURCES.md``), since its sentences ship in
      the package and go into every call.
    - **Never shown:** itself, the articles of any ``series`` it is in, and those whose
      sides share :data:`SAME_TALKS` names with its own (optional sides too). The rule
      over-excludes (the US-UK deal and the Windsor Framework share two sides), which
      errs on the safe side.
    """
    examples: list[OpenExample] = []
    sides: dict[str, set[str]] = {}
    shas = {g.id: article_sha256(g.article) for g in golds}
    for gold in golds:
        sha = shas[gold.id]
        sides[sha] = {p.name for p in gold.parties}
        if shippable is not None and gold.id not in shippable:
            continue
        sentences = split_sentences(gold.article)
        for item in gold.items("open_issues"):
            if item.optional or item.span is None:
                continue
            start, end = item.span
            within = [s for s in sentences if s.start <= start and end <= s.end]
            if within:
                sentence = " ".join(within[0].text.split())
                examples.append(OpenExample(sha, sentence, " ".join(item.text.split())))
    together = [{shas[i] for i in ids if i in shas} for ids in series]
    excluded = {
        sha: sorted(
            other
            for other, theirs in sides.items()
            if other == sha
            or len(mine & theirs) >= SAME_TALKS
            or any(sha in group and other in group for group in together)
        )
        for sha, mine in sides.items()
    }
    return examples, excluded


def folder_pool(
    directory: Path, golds: Sequence[Gold]
) -> tuple[list[OpenExample], dict[str, list[str]]]:
    """:func:`example_pool` of a gold folder: examples from the texts its ``SOURCES.md``
    names (every text when it has none), series from its ``series/`` folder."""
    sources = directory / "SOURCES.md"
    shippable = None
    if sources.is_file():
        shippable = set(re.findall(r"([\w-]+)\.txt", sources.read_text(encoding="utf-8")))
    series_dir = directory / "series"
    series: list[Collection[str]] = []
    if any(series_dir.glob("*.yaml")):
        by_id = {g.id: g for g in golds}
        series = [s.articles for s in load_series_dir(series_dir, by_id)]
    return example_pool(golds, shippable=shippable, series=series)
