"""The negotiation gate: the shipped weights on texts written for this test, held-out
weights for gold articles, and a text that is not a negotiation costs no model call."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer.backends.mock import MockBackend
from summarizer.errors import EvalError
from summarizer.grounding.sentences import split_sentences
from summarizer.io.inputs import article_sha256, make_article
from summarizer.pipeline import Pipeline
from summarizer.settings import Settings
from summarizer.strategies.gate import THRESHOLD, load_gate
from summarizer.strategies.selector import ALL, load_selector

MATCH = (
    "Rovers 3, Albion 1\n\n"
    "Rovers came from behind to beat Albion on Saturday, their third win in a row. "
    "Albion took the lead after ten minutes when the Rovers keeper conceded a soft goal "
    "at the near post. The home side pressed for an equaliser and got it before half "
    "time, a header from a corner. Two goals in the second half settled it. The manager "
    "said he was delighted with the response, and the fans agreed it was the best "
    "performance of the season. Rovers travel to the coast next weekend."
)
TALKS = (
    "Port workers and employers agree pay deal\n\n"
    "The dockworkers' union and the port employers' council reached a tentative "
    "agreement on Friday after three weeks of talks. The union had demanded a 9% raise "
    "over three years and limits on automation. The employers offered 6% and agreed to "
    "consult the union before installing new cranes. Pensions remain unresolved and will "
    "be discussed at a further meeting next month, both sides said."
)


def _p(text: str) -> float:
    sha = article_sha256(text)
    x, probs = load_selector().score(sha, split_sentences(text))
    return load_gate().probability(sha, x, probs)


def test_the_gate_passes_talks_and_blocks_a_match_report() -> None:
    assert _p(TALKS) >= THRESHOLD
    assert _p(MATCH) < THRESHOLD


def test_gold_articles_get_held_out_gate_weights() -> None:
    from summarizer.evaluation.gold import load_gold_dir

    gate = load_gate()
    for gold in load_gold_dir("evals"):
        assert article_sha256(gold.article) in gate.weights, gold.id
    assert set(gate.weights) == set(load_selector().heads)
    assert ALL in gate.weights


def test_a_text_that_is_not_a_negotiation_gets_no_items_and_no_model_call() -> None:
    def refuse(messages: object, index: int) -> dict[str, object]:
        raise AssertionError("the model was called")

    backend = MockBackend(refuse, name="refuse", choices=lambda m, o: refuse(m, 0))
    summary = Pipeline(backend, Settings(strategy="staged")).summarize(make_article(MATCH))
    assert summary.parties == summary.demands == summary.concessions == []
    assert summary.open_issues == []
    assert summary.run.usage.calls == 0
    assert summary.summary.startswith("Rovers came from behind")


def test_gate_training_needs_both_kinds_of_text(tmp_path: Path) -> None:
    from summarizer.evaluation.gate_training import written_texts

    (tmp_path / "negotiation-a.txt").write_text(TALKS)
    with pytest.raises(EvalError, match="none-"):
        written_texts(tmp_path, None)
    (tmp_path / "none-a.txt").write_text(MATCH)
    texts, labels = written_texts(tmp_path, None)
    assert labels == [1, 0] and texts == [TALKS, MATCH]
