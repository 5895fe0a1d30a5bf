"""A side's demand restated later in the article is one demand (``strategies.restated``),
with the real MiniLM encoder the selector uses."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from summarizer.grounding.sentences import split_sentences
from summarizer.schema import Demand, Evidence, Party
from summarizer.strategies.encoder import DIM
from summarizer.strategies.restated import RESTATED, drop_restated
from summarizer.strategies.selector import Candidate, base_features
from summarizer.strategies.staged import Decision, items_of

TEXT = (
    "I am calling on Congress to pass legislation immediately to adopt the Tentative "
    "Agreement. "
    "Congress should get this bill to my desk well before the deadline so we can avoid a "
    "shutdown. "
    "The union demands a 12% raise over three years. "
    "The union demands a 20% raise over three years. "
    "The union demands a raise of 12% over the three years of the contract. "
    "The union also wants paid sick leave for every worker."
)
SENTENCES = split_sentences(TEXT)


def _demands(parties: list[str]) -> tuple[list[Demand], dict[int, NDArray[np.float64]]]:
    x = base_features([s.text for s in SENTENCES])[:, :DIM]
    demands = [
        Demand(
            party=party,
            text=s.text,
            evidence=[Evidence(start=s.start, end=s.end, text=s.text, sentence=s.number)],
        )
        for s, party in zip(SENTENCES, parties, strict=True)
    ]
    return demands, {s.number: x[i] for i, s in enumerate(SENTENCES)}


def test_a_restated_demand_of_the_same_side_is_dropped_and_the_first_kept() -> None:
    demands, vectors = _demands(["Biden", "Biden", "union", "union", "union", "union"])
    kept = [d.text for d in drop_restated(demands, vectors)]
    assert SENTENCES[0].text in kept
    assert SENTENCES[1].text not in kept  # "Congress should get this bill to my desk"
    assert SENTENCES[2].text in kept
    assert SENTENCES[4].text not in kept  # the 12% raise again, in other words
    assert SENTENCES[5].text in kept  # sick leave is another demand


def test_different_amounts_are_different_demands() -> None:
    demands, vectors = _demands(["Biden", "Biden", "union", "union", "union", "union"])
    kept = [d.text for d in drop_restated(demands, vectors)]
    assert SENTENCES[3].text in kept  # 20% is not 12%, however alike the sentences


def test_the_same_words_from_another_side_are_kept() -> None:
    demands, vectors = _demands(["Biden", "Congress", "union", "management", "firms", "union"])
    assert drop_restated(demands, vectors) == demands


def test_a_demand_without_a_vector_is_kept() -> None:
    demands, _ = _demands(["union"] * 6)
    assert drop_restated(demands, {}) == demands
    assert 0 < RESTATED < 1


def test_items_of_keeps_a_sides_restated_demand_once() -> None:
    x = base_features([s.text for s in SENTENCES])
    decisions = [
        Decision(Candidate(s, x[i], {}), ("demands",), {"demands": "United Auto Workers"})
        for i, s in enumerate(SENTENCES)
        if s.number in (3, 5, 6)
    ]
    parties = [Party(name="United Auto Workers"), Party(name="Ford")]
    items = items_of(decisions, parties, SENTENCES)
    assert [d.text for d in items.demands] == [SENTENCES[2].text, SENTENCES[5].text]
    assert all(d.party == "United Auto Workers" and d.to == "Ford" for d in items.demands)
