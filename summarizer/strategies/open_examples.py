"""Worked examples for the open-issue call, taken from other labeled reports.

The open-issue prompt's one invented example teaches the answer's form, not what a
reader counts as open. Readers mostly take an open issue from a sentence that sends
something on to later talks or to another body ("the parties will discuss securing
supply chains for these products" -> "securing supply chains for steel, aluminum and
copper"), and the model, left alone, asks "whether the deal will be finalized". So the
call is also shown a few such pairs, each a gold article's evidence sentence and the
phrase its annotator wrote.

- **Pool** (``data/open_examples.json``, written by ``summarizer eval
  train-selector``): the required open issues of the public-domain gold articles
  (``evals/SOURCES.md``; the two news reports of ``evals/SEEDS.md`` do not ship) whose
  evidence is one sentence, each with its article's digest.
- **Choice:** the :data:`SHOWN` examples whose sentences are most like the report's
  (MiniLM cosine against its most similar sentence), at most one per article.
- **No leakage:** a gold article is never shown an example from itself, from an
  article of the same series (``evals/series/``), or from an article whose sides share
  two names with its own (the three US-China reports, say), so the number reported for
  an article comes from examples that never saw its labels. Nor is any text shown an
  example whose sentence it contains (a negated probe is a copy of a gold article).
  Any other text may be shown any example.
- A phrase the model copies from a shown example is rejected (``open_issues.Tie``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .encoder import DIM, shared_encoder
from .selector import Vector, weights_digest

EXAMPLES_PATH = Path(__file__).parents[1] / "data" / "open_examples.json"
SHOWN = 3  # examples shown to each call


@dataclass(frozen=True)
class OpenExample:
    article: str  # the sha256 of the gold article it comes from
    sentence: str
    phrase: str


@dataclass(frozen=True)
class OpenExamples:
    examples: tuple[OpenExample, ...]
    #: gold article sha256 -> the articles (itself and those about the same talks)
    #: whose examples it is never shown
    excluded: dict[str, frozenset[str]]
    sha256: str

    def choose(
        self, article_sha256: str, text: str, vectors: Vector, k: int = SHOWN
    ) -> list[OpenExample]:
        """The ``k`` examples most like the report ``text`` (its sentences' embeddings
        ``vectors``), one per article, none from an excluded article and none whose
        sentence the report contains (a copy of a gold article, such as a negated
        probe, is not its digest); the most like it last."""
        barred = self.excluded.get(article_sha256, frozenset())
        squashed = " ".join(text.split())
        allowed = [
            e for e in self.examples if e.article not in barred and e.sentence not in squashed
        ]
        if not allowed or not len(vectors):
            return []
        pool = shared_encoder().embed([e.sentence for e in allowed]).astype(np.float64)
        likeness = (pool @ vectors[:, :DIM].T).max(axis=1)
        chosen: list[OpenExample] = []
        seen: set[str] = set()
        for i in np.argsort(-likeness, kind="stable"):
            example = allowed[int(i)]
            if example.article not in seen:
                seen.add(example.article)
                chosen.append(example)
            if len(chosen) == k:
                break
        return chosen[::-1]


def save_examples(
    path: Path, examples: Sequence[OpenExample], excluded: Mapping[str, Sequence[str]]
) -> None:
    data = {
        "examples": [
            {"article": e.article, "sentence": e.sentence, "phrase": e.phrase} for e in examples
        ],
        "excluded": {k: sorted(v) for k, v in sorted(excluded.items())},
    }
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


@functools.lru_cache(maxsize=2)
def load_examples(path: Path = EXAMPLES_PATH) -> OpenExamples:
    """The shipped pool (loaded once)."""
    digest = weights_digest(path, "open-issue examples")
    data = json.loads(path.read_text(encoding="utf-8"))
    examples = tuple(OpenExample(**e) for e in data["examples"])
    excluded = {k: frozenset(v) for k, v in data["excluded"].items()}
    return OpenExamples(examples, excluded, digest)
