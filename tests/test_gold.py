"""The gold loader accepts the gold set and rejects each kind of broken file clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer.errors import GoldFormatError
from summarizer.evaluation.evidence import locate
from summarizer.evaluation.gold import check_gold_file, load_gold_dir

EVALS = Path(__file__).resolve().parents[1] / "evals"

ARTICLE = (
    "Acme Corp and the Workers Union met on Monday. The union demanded a 10% raise.\n"
    "Acme offered a 5% raise. Both sides agreed to meet again next week. "
    "Whether the strike will end remains \u201cunclear\u201d \u2014 officials said.\n"
)

GOOD = """\
id: {id}
title: Acme talks
parties:
  - name: Acme Corp
    aliases: [Acme]
  - name: Workers Union
    aliases: [the union]
demands:
  - party: Workers Union
    to: Acme Corp
    text: a 10% raise
    evidence: The union demanded a 10% raise.
concessions:
  - party: Acme Corp
    to: Workers Union
    text: offered a 5% raise
    status: offered
    evidence: Acme offered a 5% raise.
open_issues:
  - text: whether the strike will end
    parties: [Acme Corp, Workers Union]
    evidence: 'remains "unclear" - officials said'
    optional: true
"""


def write(folder: Path, name: str, yaml_text: str, article: str | None = ARTICLE) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml_text.replace("{id}", name), encoding="utf-8")
    if article is not None:
        (folder / f"{name}.txt").write_text(article, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, yaml_text: str, article: str | None = ARTICLE) -> list[str]:
    path = write(tmp_path, "talks", yaml_text, article)
    with pytest.raises(GoldFormatError) as info:
        load_gold_dir(tmp_path)
    assert str(path) in str(info.value)  # the message names the file
    return info.value.problems


def test_the_gold_set_loads() -> None:
    golds = load_gold_dir(EVALS)
    assert len(golds) == 17
    for gold in golds:
        for field in ("demands", "concessions", "open_issues"):
            for item in gold.items(field):
                assert item.span is not None  # every gold item carries evidence


def test_a_good_file_loads_with_offsets(tmp_path: Path) -> None:
    write(tmp_path, "talks", GOOD)
    (gold,) = load_gold_dir(tmp_path)
    assert gold.id == "talks" and gold.title == "Acme talks"
    assert [p.name for p in gold.parties] == ["Acme Corp", "Workers Union"]
    demand = gold.demands[0]
    assert demand.span is not None
    assert gold.article[demand.span[0] : demand.span[1]] == "The union demanded a 10% raise."
    issue = gold.open_issues[0]
    assert issue.optional and issue.span is not None
    # typographic quotes and the em dash are normalised, offsets point into the original
    assert gold.article[issue.span[0] : issue.span[1]] == (
        "remains \u201cunclear\u201d \u2014 officials said"
    )


def test_locate_normalises_whitespace() -> None:
    assert locate("x a  b\n c", "a b c") == (2, 9)
    assert locate("abc", "zzz") is None


def test_unknown_key(tmp_path: Path) -> None:
    bad = GOOD.replace("    status: offered", "    status: offered\n    confidence: high")
    (problem,) = problems_of(tmp_path, bad)
    assert "concessions[0] ('offered a 5% raise')" in problem
    assert "unknown key 'confidence'" in problem


def test_unknown_top_level_key(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, GOOD + "notes: hi\n")
    assert "unknown key 'notes'" in problem


def test_undeclared_party(tmp_path: Path) -> None:
    bad = GOOD.replace("  - party: Workers Union\n", "  - party: Teamsters\n")
    (problem,) = problems_of(tmp_path, bad)
    assert "demands[0] ('a 10% raise')" in problem
    assert "undeclared party 'Teamsters'" in problem
    assert "talks.yaml:9:" in problem  # the item's line


def test_undeclared_party_in_parties_list(tmp_path: Path) -> None:
    bad = GOOD.replace("[Acme Corp, Workers Union]", "[Acme Corp, Management]")
    (problem,) = problems_of(tmp_path, bad)
    assert "open_issues[0]" in problem and "'Management'" in problem


def test_evidence_not_in_article(tmp_path: Path) -> None:
    bad = GOOD.replace("Acme offered a 5% raise.", "Acme offered a 7% raise.")
    (problem,) = problems_of(tmp_path, bad)
    assert "concessions[0] ('offered a 5% raise')" in problem
    assert "evidence not in the article" in problem and "7% raise" in problem


def test_missing_article(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, GOOD, article=None)
    assert "missing article talks.txt" in problem


def test_id_not_equal_to_stem(tmp_path: Path) -> None:
    bad = GOOD.replace("id: {id}", "id: other-talks")
    (problem,) = problems_of(tmp_path, bad)
    assert "id 'other-talks' does not equal the file stem 'talks'" in problem


def test_bad_status(tmp_path: Path) -> None:
    bad = GOOD.replace("status: offered", "status: promised")
    (problem,) = problems_of(tmp_path, bad)
    assert "concessions[0]" in problem and "bad status 'promised'" in problem


def test_bad_yaml(tmp_path: Path) -> None:
    bad = GOOD.replace("  - name: Acme Corp\n", "  - name: [Acme Corp\n")
    (problem,) = problems_of(tmp_path, bad)
    assert "YAML syntax error" in problem and "talks.yaml:" in problem


def test_wrong_types(tmp_path: Path) -> None:
    bad = GOOD.replace("    optional: true", "    optional: maybe").replace(
        "aliases: [Acme]", "aliases: Acme"
    )
    problems = problems_of(tmp_path, bad)
    assert any("parties[0]" in p and "'aliases' must be a list" in p for p in problems)
    assert any("open_issues[0]" in p and "'optional' must be true or false" in p for p in problems)


def test_missing_list_and_item_keys(tmp_path: Path) -> None:
    bad = GOOD.replace("open_issues:", "issues:").replace("    text: a 10% raise\n", "")
    problems = problems_of(tmp_path, bad)
    assert any("unknown key 'issues'" in p for p in problems)
    assert any("missing key 'open_issues'" in p for p in problems)
    assert any("demands[0]" in p and "missing key 'text'" in p for p in problems)


def test_every_problem_of_a_folder_is_collected(tmp_path: Path) -> None:
    write(tmp_path, "a", GOOD.replace("status: offered", "status: promised"))
    write(tmp_path, "b", GOOD.replace("id: {id}", "id: wrong"))
    write(tmp_path, "c", GOOD)
    with pytest.raises(GoldFormatError) as info:
        load_gold_dir(tmp_path)
    assert len(info.value.problems) == 2
    assert "2 problem(s) in 2 gold file(s)" in str(info.value)


def test_check_one_file_returns_problems(tmp_path: Path) -> None:
    path = write(tmp_path, "talks", GOOD)
    gold, problems = check_gold_file(path)
    assert gold is not None and problems == []


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(GoldFormatError, match="no gold files"):
        load_gold_dir(tmp_path)
