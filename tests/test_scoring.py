"""Matching and scoring on small synthetic cases with hand-computed P/R/F1."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pytest

from summarizer.evaluation.gold import Gold, GoldItem, GoldParty, load_gold_dir
from summarizer.evaluation.scoring import Prediction, score_article, score_run
from summarizer.evaluation.synthetic import make_summary
from summarizer.grounding.numbers import number_factors
from summarizer.schema import (
    Demand,
    Evidence,
    NegotiationSummary,
    OpenIssue,
    Party,
    PromptInfo,
    RunInfo,
    SourceInfo,
)
from summarizer.similarity.matching import PARTY_THRESHOLD, assign, name_similarity
from summarizer.similarity.text import LexicalSimilarity, Matrix, make_similarity

ARTICLE = "The US and China met. They argued about tariffs and rare earths for hours."
US = GoldParty("United States", ("U.S.", "Washington", "Trump administration"))
CHINA = GoldParty("China", ("Beijing",))
MEDIATOR = GoldParty("Switzerland", (), optional=True)


class TableSimilarity:
    """A similarity given by a table (1.0 for identical texts, else 0.0 unless listed)."""

    name = "table"

    def __init__(self, table: dict[tuple[str, str], float]) -> None:
        self.table = table

    def prepare(self, texts: Iterable[str]) -> None:
        return None

    def matrix(self, a: Sequence[str], b: Sequence[str]) -> Matrix:
        values = [[self.table.get((x, y), 1.0 if x == y else 0.0) for y in b] for x in a]
        return np.array(values, dtype=np.float64).reshape(len(a), len(b))


def gold(
    demands: Sequence[tuple[str, str, bool]] = (),
    issues: Sequence[tuple[str, bool]] = (),
    parties: Sequence[GoldParty] = (US, CHINA),
) -> Gold:
    """A gold file: demands as (party, text, optional), open issues as (text, optional)."""
    return Gold(
        id="t",
        path=Path("t.yaml"),
        article=ARTICLE,
        title=None,
        parties=tuple(parties),
        demands=tuple(
            GoldItem("demands", i, text, party=party, span=(0, 21), optional=opt)
            for i, (party, text, opt) in enumerate(demands)
        ),
        concessions=(),
        open_issues=tuple(
            GoldItem("open_issues", i, text, span=(22, 51), optional=opt)
            for i, (text, opt) in enumerate(issues)
        ),
    )


EV = [Evidence(start=0, end=21, text=ARTICLE[0:21])]


def predicted(
    parties: Sequence[tuple[str, list[str]]] = (("United States", []), ("China", [])),
    demands: Sequence[tuple[str, str]] = (),
    issues: Sequence[str] = (),
    evidence: list[Evidence] = EV,
) -> Prediction:
    summary = NegotiationSummary(
        summary="s",
        parties=[Party(name=n, aliases=a) for n, a in parties],
        demands=[Demand(party=p, text=t, evidence=evidence) for p, t in demands],
        concessions=[],
        open_issues=[OpenIssue(text=t, evidence=evidence) for t in issues],
        source=SourceInfo(chars=len(ARTICLE), sha256="0" * 64),
        run=RunInfo(model="m", prompt=PromptInfo(name="p", version="1", sha256="0" * 64)),
    )
    return Prediction(summary)


def counts(result: object, field: str) -> tuple[int, int, int]:
    a = result.fields[field].assignment  # type: ignore[attr-defined]
    return a.tp, a.fp, a.fn


def test_greedy_matching_is_wrong_and_assignment_right() -> None:
    # similarities: P1-G1 0.9, P1-G2 0.8, P2-G1 0.85, P2-G2 0.1; threshold 0.5
    sims = np.array([[0.9, 0.8], [0.85, 0.1]])
    allowed = sims >= 0.5

    def greedy() -> int:  # best pair first, as a greedy matcher would
        used_p, used_g, tp = set(), set(), 0
        for _, p, g in sorted((-sims[p, g], p, g) for p in range(2) for g in range(2)):
            if p not in used_p and g not in used_g and allowed[p, g]:
                used_p.add(p), used_g.add(g)
                tp += 1
        return tp

    # greedy takes P1-G1 (0.9); P2 is left with G2 (0.1 < 0.5): 1 TP, 1 FP, 1 FN
    assert greedy() == 1
    # assignment pairs P1-G2 and P2-G1: 2 TP, 0 FP, 0 FN
    result = assign(sims, allowed, [False, False])
    assert result.tp == 2 and result.fp == 0 and result.fn == 0
    assert {(p.pred, p.gold) for p in result.matched} == {(0, 1), (1, 0)}

    # the same through the scorer: P = R = F1 = 2/2 = 1.0 (greedy: 1/2 each)
    table = {("p1", "g1"): 0.9, ("p1", "g2"): 0.8, ("p2", "g1"): 0.85, ("p2", "g2"): 0.1}
    g = gold(issues=[("g1", False), ("g2", False)])
    scored = score_article(g, predicted(issues=["p1", "p2"]), TableSimilarity(table), 0.5)
    assert counts(scored, "open_issues") == (2, 0, 0)
    assert scored.metrics()["open_issues.f1"] == 1.0


def test_optional_items() -> None:
    # gold: R (required), O (optional). predictions: r matches R, o matches O, x matches nothing
    # TP = 1 (r), FP = 1 (x), FN = 0; o is neither TP nor FP
    # P = 1/(1+1) = 0.5, R = 1/(1+0) = 1.0, F1 = 2*1/(2*1+1+0) = 2/3
    g = gold(demands=[("United States", "R", False), ("United States", "O", True)])
    table = {("r", "R"): 0.9, ("o", "O"): 0.9}
    pred = predicted(
        demands=[("United States", "r"), ("United States", "o"), ("United States", "x")]
    )
    scored = score_article(g, pred, TableSimilarity(table), 0.5)
    assert counts(scored, "demands") == (1, 1, 0)
    m = scored.metrics()
    assert m["demands.precision"] == pytest.approx(0.5)
    assert m["demands.recall"] == pytest.approx(1.0)
    assert m["demands.f1"] == pytest.approx(2 / 3)
    # leaving the optional item out is not a miss: r only -> TP=1 FP=0 FN=0 -> 1, 1, 1
    only_r = score_article(
        g, predicted(demands=[("United States", "r")]), TableSimilarity(table), 0.5
    )
    assert counts(only_r, "demands") == (1, 0, 0)
    assert only_r.metrics()["demands.f1"] == 1.0


def test_required_items_are_preferred_then_fewest_false_positives() -> None:
    # p1 fits R (0.9) and O (0.9); p2 fits only R (0.6).
    # Matching required gold first by best similarity (p1-R) would leave p2 as a FP.
    # The rule (most TPs, then most matches, then similarity) gives p2-R (TP) and
    # p1-O (optional, ignored): TP=1, FP=0, FN=0.
    table = {("p1", "R"): 0.9, ("p1", "O"): 0.9, ("p2", "R"): 0.6}
    g = gold(issues=[("R", False), ("O", True)])
    scored = score_article(g, predicted(issues=["p1", "p2"]), TableSimilarity(table), 0.5)
    assert counts(scored, "open_issues") == (1, 0, 0)
    a = scored.fields["open_issues"].assignment
    assert [(p.pred, p.gold) for p in a.matched] == [(1, 0)]
    assert [(p.pred, p.gold) for p in a.absorbed] == [(0, 1)]


def test_empty_lists() -> None:
    sim = TableSimilarity({})
    # gold empty, prediction empty: TP=FP=FN=0 -> P=R=F1=1 (by convention)
    both = score_article(gold(), predicted(), sim, 0.5).metrics()
    assert (both["demands.precision"], both["demands.recall"], both["demands.f1"]) == (1, 1, 1)
    # gold empty, 2 predictions: TP=0 FP=2 FN=0 -> P=0/2=0, R=1 (0/0), F1=0/(0+2+0)=0
    invented = score_article(gold(), predicted(demands=[("China", "a"), ("China", "b")]), sim, 0.5)
    m = invented.metrics()
    assert counts(invented, "demands") == (0, 2, 0)
    assert (m["demands.precision"], m["demands.recall"], m["demands.f1"]) == (0, 1, 0)
    # 2 gold items, no prediction: TP=0 FP=0 FN=2 -> P=1 (0/0), R=0/2=0, F1=0
    g = gold(demands=[("China", "a", False), ("China", "b", False)])
    missed = score_article(g, predicted(), sim, 0.5)
    m = missed.metrics()
    assert counts(missed, "demands") == (0, 0, 2)
    assert (m["demands.precision"], m["demands.recall"], m["demands.f1"]) == (1, 0, 0)
    # a failed article (no summary) is an empty prediction: parties TP=0 FP=0 FN=2
    failed = score_article(g, Prediction(None, "failed", "boom"), sim, 0.5)
    assert counts(failed, "parties") == (0, 0, 2)


def test_alias_aware_parties_and_party_condition() -> None:
    # predicted "Washington" (an alias of United States) and "Beijing" (of China)
    g = gold(demands=[("United States", "lift rare earth curbs", False)])
    pred = predicted(
        parties=[("Washington", []), ("Beijing", ["Xi"])],
        demands=[("Washington", "lift rare earth curbs")],
    )
    scored = score_article(g, pred, TableSimilarity({}), 0.5)
    assert counts(scored, "parties") == (2, 0, 0)  # P = R = F1 = 2/2 = 1
    assert counts(scored, "demands") == (1, 0, 0)  # Washington resolves to United States
    # the same text attributed to China cannot match the US demand: TP=0 FP=1 FN=1
    # P = 0/1 = 0, R = 0/1 = 0, F1 = 0/(0+1+1) = 0
    wrong = predicted(
        parties=[("Washington", []), ("Beijing", [])],
        demands=[("Beijing", "lift rare earth curbs")],
    )
    scored = score_article(g, wrong, TableSimilarity({}), 0.5)
    assert counts(scored, "demands") == (0, 1, 1)
    assert scored.metrics()["demands.f1"] == 0.0


def test_parties_optional_and_unknown() -> None:
    # gold: United States, China, Switzerland (optional). predicted: US, Switzerland, Russia
    # US -> TP; Switzerland -> optional (ignored); Russia -> FP; China -> FN
    # P = 1/2, R = 1/2, F1 = 2/(2+1+1) = 0.5
    g = gold(parties=(US, CHINA, MEDIATOR))
    pred = predicted(parties=[("US", []), ("Switzerland", []), ("Russia", [])])
    scored = score_article(g, pred, TableSimilarity({}), 0.5)
    assert counts(scored, "parties") == (1, 1, 1)
    assert scored.metrics()["parties.f1"] == pytest.approx(0.5)


def test_party_fuzzy_rule() -> None:
    assert name_similarity("U.S.", "US") == 1.0  # punctuation and case
    assert name_similarity("The White House", "white house") == 1.0
    assert name_similarity("UAW", "United Auto Workers") == 0.95  # acronym
    assert name_similarity("United States Government", "United States") == 0.95  # generic word
    assert name_similarity("U.S. Congress", "Congress") >= PARTY_THRESHOLD  # difflib 0.89
    assert name_similarity("United States", "United Kingdom") < PARTY_THRESHOLD
    assert name_similarity("Ukraine", "Russia") == 0.0


def test_threshold_and_evidence_hits_and_grounding() -> None:
    table = {("p", "G"): 0.55}
    g = gold(issues=[("G", False)])
    # at threshold 0.6 the pair does not match: TP=0 FP=1 FN=1
    assert counts(
        score_article(g, predicted(issues=["p"]), TableSimilarity(table), 0.6), "open_issues"
    ) == (0, 1, 1)
    # at 0.5 it does; its evidence (0-21) does not overlap the gold span (22-51): no hit
    scored = score_article(g, predicted(issues=["p"]), TableSimilarity(table), 0.5)
    assert counts(scored, "open_issues") == (1, 0, 0)
    field = scored.fields["open_issues"]
    assert (field.evidence_hits, field.evidence_checked) == (0, 1)
    hit = [Evidence(start=30, end=40, text=ARTICLE[30:40])]
    scored = score_article(g, predicted(issues=["p"], evidence=hit), TableSimilarity(table), 0.5)
    assert scored.fields["open_issues"].evidence_hits == 1
    # grounding: a span whose offsets do not slice back to its text is not grounded
    bad = [Evidence(start=0, end=5, text="China")]
    scored = score_article(g, predicted(issues=["p"], evidence=bad), TableSimilarity(table), 0.5)
    assert (scored.grounded, scored.spans) == (0, 1)


def test_run_micro_over_two_articles() -> None:
    g = gold(demands=[("China", "a", False), ("China", "b", False)])
    preds = {"t": predicted(demands=[("China", "a"), ("China", "zzz")])}
    # one article: demands TP=1 FP=1 FN=1 -> P=R=F1=1/2; parties 2/2 -> F1 1;
    # concessions and open issues empty on both sides -> 1; headline (1+0.5+1+1)/4
    scores = score_run([g], preds, TableSimilarity({}), threshold=0.5, resamples=50)
    assert scores.metrics["demands.f1"] == pytest.approx(0.5)
    assert scores.metrics["headline"] == pytest.approx(0.875)
    assert scores.to_json()["articles"][0]["counts"]["demands.tp"] == 1


def test_number_rule() -> None:
    f = number_factors(["put 50% of royalties", "half of royalties"], ["put 100% of royalties"])
    assert f.tolist() == [[0.5], [1.0]]
    lexical = LexicalSimilarity()
    assert lexical.matrix(["cut tariffs to 30%"], ["cut tariffs to 30%"])[0, 0] == 1.0
    # tokens {cut, tariff, 30} vs {cut, tariff, 10}: 2/sqrt(3*3) = 2/3, halved by the rule
    value = lexical.matrix(["cut tariffs to 30%"], ["cut tariffs to 10%"])[0, 0]
    assert value == pytest.approx(2 / 3 * 0.5)


def test_minilm_catches_paraphrase() -> None:
    sim = make_similarity("minilm", disk_cache=False)
    assert sim.name == "minilm"
    gold_text = "lowered duties on Chinese goods to 30% from up to 145%"
    m = sim.matrix(
        ["cut tariffs on Chinese imports from 145% to 30%", "agreed to hold more trade talks"],
        [gold_text],
    )
    from summarizer.similarity.threshold import default_threshold

    threshold = default_threshold("minilm")
    assert m[0, 0] >= threshold > m[1, 0]
    # vectors are unit length (mean pooling + L2 normalisation)
    vectors = sim.embed([gold_text])  # type: ignore[attr-defined]
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-5)


def test_the_gold_set_scores_perfectly_against_itself() -> None:
    golds = load_gold_dir(Path(__file__).resolve().parents[1] / "evals")
    preds = {g.id: Prediction(make_summary(g)) for g in golds}
    scores = score_run(golds, preds, make_similarity("minilm", disk_cache=False), resamples=100)
    assert scores.metrics["headline"] == 1.0
    assert scores.metrics["grounding_rate"] == 1.0
    assert scores.metrics["evidence_hit_rate"] == 1.0


def test_embeddings_are_batched_and_cached(tmp_path: Path) -> None:
    from summarizer.similarity.text import MiniLMSimilarity

    texts = [f"agreed to cut tariffs on item number {i}" for i in range(130)]
    sim = MiniLMSimilarity(disk_cache=tmp_path)
    first = sim.embed(texts)
    assert sim.model_calls == 3  # 130 texts: batches of 64 + 64 + 2
    sim.embed(texts)
    assert sim.model_calls == 3  # in-memory cache
    fresh = MiniLMSimilarity(disk_cache=tmp_path)
    again = fresh.embed(texts)
    assert fresh.model_calls == 0  # on-disk cache
    assert np.allclose(first, again)


def test_lexical_fallback_warns_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from summarizer.similarity import text as embeddings

    def broken(disk_cache: Path | None) -> embeddings.MiniLMSimilarity:
        raise OSError("model file missing")

    monkeypatch.setattr(embeddings, "_minilm", broken)
    monkeypatch.setattr(embeddings, "_warned", False)
    with caplog.at_level("WARNING", logger="summarizer"):
        assert embeddings.make_similarity("minilm").name == "lexical"
        assert embeddings.make_similarity("minilm").name == "lexical"
    warnings = [r for r in caplog.records if "MiniLM embeddings unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert embeddings.make_similarity("lexical").name == "lexical"


def test_the_fallback_thresholds_equal_the_calibrated_ones() -> None:
    import json

    from summarizer.similarity.threshold import DEFAULT_THRESHOLD_FILE, FALLBACK_THRESHOLDS

    data = json.loads(DEFAULT_THRESHOLD_FILE.read_text(encoding="utf-8"))
    calibrated = {name: e["threshold"] for name, e in data["embedders"].items()}
    assert calibrated == FALLBACK_THRESHOLDS


def test_faithfulness_counts_items_whose_text_their_evidence_supports() -> None:
    g = gold(issues=[("G", False)])
    # EV is "The US and China met.": a copy and a paraphrase are supported; a number or
    # a negation the sentence does not have is not.
    issues = [
        "The US and China met.",
        "whether the US and China met",
        "the US and China met 3 times",
    ]
    demands = [("China", "The US and China did not meet")]
    scored = score_article(g, predicted(issues=issues, demands=demands), TableSimilarity({}), 0.5)
    assert (scored.faithful, scored.items) == (2, 4)
    scores = score_run(
        [g], {"t": predicted(issues=issues)}, TableSimilarity({}), threshold=0.5, resamples=50
    )
    assert scores.metrics["faithfulness_rate"] == pytest.approx(2 / 3)
