"""The open-issue call's worked examples come from other gold articles: never from the
article summarized, nor from one about the same talks; a copied example is re-asked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from summarizer.evaluation.gold import Gold, load_gold_dir
from summarizer.evaluation.open_examples_training import folder_pool
from summarizer.evaluation.series_gold import load_series_dir
from summarizer.grounding.sentences import split_sentences
from summarizer.io.inputs import article_sha256
from summarizer.prompts import load_prompt
from summarizer.strategies.open_examples import (
    EXAMPLES_PATH,
    OpenExample,
    OpenExamples,
    load_examples,
    save_examples,
)
from summarizer.strategies.open_issues import Tie
from summarizer.strategies.selector import base_features

EVALS = Path(__file__).resolve().parents[1] / "evals"
TEXT = (
    "The two sides will meet again next month to discuss the quotas on steel.\n"
    "Whether the duty on cars will be cut remains unresolved.\n"
)


@pytest.fixture(scope="module")
def golds() -> list[Gold]:
    return list(load_gold_dir(EVALS))


def test_the_shipped_pool_is_the_one_the_gold_folder_gives(
    golds: list[Gold], tmp_path: Path
) -> None:
    examples, excluded = folder_pool(EVALS, golds)
    save_examples(tmp_path / "x.json", examples, excluded)
    assert (tmp_path / "x.json").read_text() == EXAMPLES_PATH.read_text(), (
        "rerun summarizer eval train-selector evals"
    )
    by_sha = {article_sha256(g.article): g for g in golds}
    public = set(re.findall(r"([\w-]+)\.txt", (EVALS / "SOURCES.md").read_text()))
    assert len({e.article for e in examples}) >= 10
    for e in examples:  # each example is its article's sentence and a required issue
        gold = by_sha[e.article]
        assert gold.id in public  # the news reports of SEEDS.md do not ship
        assert e.sentence in [" ".join(s.text.split()) for s in split_sentences(gold.article)]
        assert e.phrase in [o.text for o in gold.open_issues if not o.optional]


def test_no_article_is_shown_its_own_examples_or_those_of_the_same_talks(
    golds: list[Gold],
) -> None:
    pool = load_examples()
    ids = {article_sha256(g.article): g.id for g in golds}
    china = {s for s, i in ids.items() if i.startswith("us-china-")}
    assert len(china) == 3
    for sha, gold_id in ids.items():
        sentences = split_sentences(next(g.article for g in golds if g.id == gold_id))
        x = base_features([s.text for s in sentences])
        chosen = pool.choose(sha, "", x)
        assert len(chosen) == 3
        assert len({e.article for e in chosen}) == 3  # one per article
        assert sha not in {e.article for e in chosen}
        if sha in china:
            assert not china & {e.article for e in chosen}


def test_the_articles_of_one_series_are_never_shown_each_others_examples(
    golds: list[Gold],
) -> None:
    pool = load_examples()
    shas = {g.id: article_sha256(g.article) for g in golds}
    series = load_series_dir(EVALS / "series", {g.id: g for g in golds})
    assert any("gaza-bridging-proposal-joint-statement" in s.articles for s in series)
    for s in series:
        for a in s.articles:
            for b in s.articles:
                assert shas[b] in pool.excluded[shas[a]], (a, b)


def test_a_copy_of_a_gold_article_is_not_shown_its_own_sentences() -> None:
    """A negated probe is a gold article with one sentence changed: its digest is not
    the article's, but the example sentences it contains are not shown."""
    pool = load_examples()
    example = pool.examples[0]
    text = f"Officials met on Monday.\n{example.sentence}\nNothing else was agreed.\n"
    x = base_features([s.text for s in split_sentences(text)])
    assert example.sentence not in [e.sentence for e in pool.choose("a copy", text, x)]
    assert example.sentence in [e.sentence for e in pool.choose("a copy", "", x, k=50)]


def test_a_new_text_may_be_shown_any_example_most_like_it_last() -> None:
    pool = OpenExamples(
        (
            OpenExample("a", "The weather in the capital was mild on Tuesday.", "rain"),
            OpenExample("b", "The sides will discuss the quotas on steel next month.", "steel"),
            OpenExample("c", "Whether the car duty will be cut was left open.", "cars"),
            OpenExample("c", "A second sentence of article c about steel quotas.", "more"),
        ),
        {"mine": frozenset({"b"})},
        "0" * 64,
    )
    x = base_features([s.text for s in split_sentences(TEXT)])
    chosen = pool.choose("new", TEXT, x, k=2)
    assert [e.phrase for e in chosen][-1] == "steel"  # the most like the text, last
    assert len({e.article for e in chosen}) == 2
    assert "b" not in {e.article for e in pool.choose("mine", TEXT, x, k=3)}


def test_the_prompt_shows_the_examples() -> None:
    example = {"sentence": "The sides will discuss steel quotas.", "phrase": "steel quotas"}
    system = load_prompt("staged-open").messages(text="x", examples=[example])[0]["content"]
    assert '- "The sides will discuss steel quotas." -> "steel quotas"' in system
    without = load_prompt("staged-open").messages(text="x", examples=[])[0]["content"]
    assert "steel quotas" not in without


def test_a_phrase_copied_from_a_shown_example_is_rejected() -> None:
    sentences = split_sentences(TEXT)
    tie = Tie(sentences, base_features([s.text for s in sentences]), frozenset({"steel quotas"}))
    for copy in ("Steel quotas.", '"steel quotas"', "STEEL QUOTAS!"):
        assert tie(copy) == (None, "that phrase is the example's, not this report's")
    sentence, why = tie("the quotas on steel")
    assert why is None and sentence is not None and "steel" in sentence.text
