"""Hallucination probes: the shipped manifest, the judgement of each kind, and a run
through the real pipeline (single-call strategy, fake backend, no model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes import FakeBackend, empty_answer

from summarizer.cli.main import main
from summarizer.evaluation.probes import judge, load_probes, run_probes
from summarizer.pipeline import Pipeline
from summarizer.schema import (
    Concession,
    Evidence,
    NegotiationSummary,
    Party,
    PromptInfo,
    RunInfo,
    SourceInfo,
)
from summarizer.settings import Settings

PROBES = Path(__file__).resolve().parents[1] / "evals" / "probes"


def test_the_shipped_probes_load() -> None:
    probes = load_probes(PROBES)
    kinds = {p.kind for p in probes}
    assert kinds == {"negated", "none", "one_sided"}
    assert len(probes) >= 15
    for p in probes:
        if p.kind == "negated":
            assert p.negated and p.negated in p.path.read_text(encoding="utf-8")


def _summary(concession_evidence: str | None) -> NegotiationSummary:
    concessions = []
    if concession_evidence is not None:
        ev = Evidence(start=0, end=len(concession_evidence), text=concession_evidence)
        concessions.append(
            Concession(party="A", text=concession_evidence, status="agreed", evidence=[ev])
        )
    return NegotiationSummary(
        summary="x",
        parties=[Party(name="A"), Party(name="B")],
        concessions=concessions,
        source=SourceInfo(chars=1, sha256="0" * 64),
        run=RunInfo(model="m", prompt=PromptInfo(name="p", version="1", sha256="0" * 64)),
    )


def test_each_kind_is_judged() -> None:
    probes = {p.kind: p for p in load_probes(PROBES)}
    negated = probes["negated"]
    assert negated.negated is not None
    sentence = f"Officials said {negated.negated} the measures."
    assert judge(negated, _summary(sentence), "ok").hallucinated
    assert not judge(negated, _summary("Another sentence agreed."), "ok").hallucinated
    assert judge(probes["none"], _summary("They agreed."), "ok").hallucinated
    assert not judge(probes["none"], _summary(None), "ok").hallucinated
    assert judge(probes["one_sided"], _summary("They agreed."), "ok").hallucinated


def _reversing_responder(article: str, call: int) -> dict[str, Any]:
    """Reports the reversed concession of a negated probe as a concession (a model that
    misses the negation); answers nothing elsewhere."""
    for probe in load_probes(PROBES):
        if probe.negated and probe.negated in article:
            answer = empty_answer()
            answer["parties"] = [{"name": "Side A", "kind": "other", "aliases": []}]
            answer["concessions"] = [
                {"by": "Side A", "to": None, "what": probe.negated, "status": "agreed"}
            ]
            return answer
    return empty_answer()


def test_a_run_reports_the_rate_and_writes_both_reports(tmp_path: Path) -> None:
    summarizer = Pipeline(FakeBackend(_reversing_responder), Settings(strategy="single"))
    scores = run_probes(PROBES, tmp_path, summarizer)
    negated = [r for r in scores.results if r.probe.kind == "negated"]
    assert all(r.hallucinated for r in negated), [r.reason for r in negated]
    assert scores.hallucination_rate == pytest.approx(len(negated) / len(scores.results))
    assert scores.abstention == 1.0
    assert "Hallucination rate" in (tmp_path / "report.md").read_text()
    assert "id=rate" in (tmp_path / "report.html").read_text()
    assert (tmp_path / "probes.json").is_file()


def test_a_broken_manifest_is_one_clear_error(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "probes.yaml").write_text("- {id: x, kind: weird}\n")
    assert main(["eval", "probes", str(tmp_path), "--model", "openai/x"]) == 1
    err = capsys.readouterr().err
    assert "unknown kind 'weird'" in err and err.count("\n") == 1
