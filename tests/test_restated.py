"""A side's demand restated later in the article is one demand (``strategies.restated``),
with the real MiniLM encoder the selector uses."""

from __future__ import annotations

from summarizer.grounding.sentences import Sentence, split_sentences
from summarizer.schema import Demand, Evidence, Party
from summarizer.strategies.encoder import DIM
from summarizer.strategies.items import Decision, items_of
from summarizer.strategies.restated import Said, drop_restated
from summarizer.strategies.selector import Candidate, base_features

TEXT = (
    "I am calling on Congress to pass the rail agreement immediately. "  # 1
    "Congress must pass the rail agreement now, without delay. "  # 2: 1 again (cosine 0.76)
    "The union demands a 12% raise over three years. "  # 3
    "The union demands a 20% raise over three years. "  # 4: another amount
    "The union demands a raise of 12% over the three years of the contract. "  # 5: 3 again
    "The union also wants paid sick leave for every worker. "  # 6: another demand
    "Kenya called on Russia to stop the strikes on the port at once. "  # 7
    "Kenya called on Ukraine to stop the strikes on the port at once. "  # 8: to another side
    "Kenya again urged Russia to halt its strikes on the port immediately."  # 9: 7 again
)
SENTENCES = split_sentences(TEXT)
VECTORS = base_features([s.text for s in SENTENCES])[:, :DIM]
SIDES = {7: {"Kenya", "Russia"}, 8: {"Kenya", "Ukraine"}, 9: {"Kenya", "Russia"}}


def sentence(number: int) -> Sentence:
    return SENTENCES[number - 1]


def demand(number: int, party: str, to: str | None = None) -> Demand:
    s = sentence(number)
    evidence = [Evidence(start=s.start, end=s.end, text=s.text, sentence=s.number)]
    return Demand(party=party, to=to, text=s.text, evidence=evidence)


def said(*numbers: int) -> dict[int, Said]:
    return {n: Said(VECTORS[n - 1], frozenset(SIDES.get(n, ()))) for n in numbers}


def kept(demands: list[Demand], known: dict[int, Said]) -> list[int]:
    return [d.evidence[0].sentence or 0 for d in drop_restated(demands, known)]


def test_the_sentences_are_what_the_tests_say() -> None:
    assert len(SENTENCES) == 9
    assert sentence(2).text.startswith("Congress must pass")


def test_a_restated_demand_of_the_same_side_is_dropped_and_the_first_kept() -> None:
    demands = [demand(1, "Biden", "Congress"), demand(2, "Biden", "Congress")]
    assert kept(demands, said(1, 2)) == [1]
    union = [demand(n, "union", "firms") for n in (3, 5, 6)]
    assert kept(union, said(3, 5, 6)) == [3, 6]  # the 12% again goes; sick leave stays


def test_different_amounts_are_different_demands() -> None:
    # cosine 0.91, halved by the number rule: 12% and 20% share no number
    demands = [demand(3, "union", "firms"), demand(4, "union", "firms")]
    assert kept(demands, said(3, 4)) == [3, 4]


def test_the_same_words_from_another_side_or_to_another_side_are_kept() -> None:
    assert kept([demand(1, "Biden", "Congress"), demand(2, "Senate", "Congress")], said(1, 2)) == [
        1,
        2,
    ]
    assert kept([demand(1, "Biden", "Congress"), demand(2, "Biden", "House")], said(1, 2)) == [1, 2]


def test_with_three_sides_a_demand_asked_of_another_side_is_kept() -> None:
    # three or more sides: ``to`` is open, so the sides the sentences name decide
    demands = [demand(7, "Kenya"), demand(8, "Kenya"), demand(9, "Kenya")]
    assert kept(demands, said(7, 8, 9)) == [7, 8]  # Russia, Ukraine, then Russia again


def test_a_demand_whose_sentence_is_unknown_is_kept_and_drops_nothing() -> None:
    demands = [demand(1, "Biden", "Congress"), demand(2, "Biden", "Congress")]
    assert kept(demands, said(2)) == [1, 2]
    assert kept(demands, said(1)) == [1, 2]


def test_items_of_keeps_a_sides_restated_demand_once() -> None:
    x = base_features([s.text for s in SENTENCES])
    decisions = [
        Decision(Candidate(sentence(n), x[n - 1], {}), ("demands",), {"demands": "union"})
        for n in (3, 4, 5, 6)
    ]
    parties = [Party(name="union"), Party(name="Ford")]
    items = items_of(decisions, parties, SENTENCES)
    assert [d.evidence[0].sentence for d in items.demands] == [3, 4, 6]
    assert all(d.party == "union" and d.to == "Ford" for d in items.demands)
