"""Hallucination probes: texts where a faithful summarizer must not report certain items.

A probe folder holds ``probes.yaml`` (the manifest, see ``evals/probes/README.md``)
and one ``<id>.txt`` per probe. Three kinds:

- ``negated``: a gold article with one agreed concession reversed ("did not agree
  to ..."). Hallucinated when a predicted concession cites the edited sentence.
- ``none``: a text with no negotiation (weather, sport, a review). Hallucinated when
  any demand, concession or open issue is predicted; abstained when none is.
- ``one_sided``: a unilateral announcement. Hallucinated when a demand or a
  concession is predicted (there is no exchange to report).

The hallucination rate is the share of probes hallucinated; the abstention score is
the share of ``none`` and ``one_sided`` probes answered with no demand and no
concession. Every predicted item is also checked for faithfulness to its evidence
(``summarizer.grounding.faithfulness``).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..batch import BatchItem, read_records, run_batch
from ..errors import EvalError
from ..grounding.faithfulness import supported
from ..pipeline import Pipeline
from ..schema import Concession, Demand, NegotiationSummary, OpenIssue

MANIFEST = "probes.yaml"
PREDICTIONS = "predictions.jsonl"
KINDS = ("negated", "none", "one_sided")


@dataclass(frozen=True)
class Probe:
    id: str
    kind: str
    path: Path
    negated: str | None = None  # negated probes: the edited fragment, verbatim in the text


@dataclass
class ProbeResult:
    probe: Probe
    status: str
    hallucinated: bool
    reason: str
    items: int = 0
    unfaithful: list[str] = field(default_factory=list)


def load_probes(directory: Path) -> list[Probe]:
    manifest = directory / MANIFEST
    try:
        entries = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise EvalError(f"cannot read the probe manifest {manifest}: {exc}") from exc
    probes = []
    for entry in entries or []:
        kind = entry.get("kind")
        if kind not in KINDS:
            raise EvalError(f"{manifest}: probe {entry.get('id')!r} has unknown kind {kind!r}")
        path = directory / f"{entry['id']}.txt"
        if not path.is_file():
            raise EvalError(f"{manifest}: probe {entry['id']!r} has no text file {path.name}")
        negated: str | None = None
        if kind == "negated":
            negated = str((entry.get("reversed") or {}).get("negated") or "")
        if negated is not None and (not negated or negated not in path.read_text("utf-8")):
            raise EvalError(f"{manifest}: the negated fragment of {entry['id']!r} is not in it")
        probes.append(Probe(entry["id"], kind, path, negated))
    return probes


def judge(probe: Probe, summary: NegotiationSummary | None, status: str) -> ProbeResult:
    """Whether ``summary`` hallucinates on ``probe``, and why."""
    if summary is None:
        return ProbeResult(probe, status, False, f"no summary ({status})")
    acts: list[Demand | Concession] = [*summary.demands, *summary.concessions]
    items: list[Demand | Concession | OpenIssue] = [*acts, *summary.open_issues]
    unfaithful = [item.text for item in items if not supported(item)]
    if probe.kind == "negated":
        assert probe.negated is not None
        cited = [
            c.text
            for c in summary.concessions
            if any(probe.negated in ev.text for ev in c.evidence)
        ]
        reason = f"concession citing the reversed sentence: {cited[0][:120]!r}" if cited else ""
        return ProbeResult(probe, status, bool(cited), reason, len(items), unfaithful)
    if probe.kind == "none":
        reason = f"{len(items)} item(s) in a text with no negotiation" if items else ""
        return ProbeResult(probe, status, bool(items), reason, len(items), unfaithful)
    reason = f"{len(acts)} demand(s)/concession(s) in a one-sided text" if acts else ""
    return ProbeResult(probe, status, bool(acts), reason, len(items), unfaithful)


@dataclass
class ProbeScores:
    results: list[ProbeResult]

    @property
    def hallucination_rate(self) -> float:
        return sum(r.hallucinated for r in self.results) / max(1, len(self.results))

    @property
    def abstention(self) -> float:
        quiet = [r for r in self.results if r.probe.kind in ("none", "one_sided")]
        return sum(not r.hallucinated for r in quiet) / max(1, len(quiet))

    @property
    def faithfulness(self) -> float:
        items = sum(r.items for r in self.results)
        bad = sum(len(r.unfaithful) for r in self.results)
        return 1.0 - bad / items if items else 1.0

    def by_kind(self) -> dict[str, dict[str, float]]:
        out = {}
        for kind in KINDS:
            rows = [r for r in self.results if r.probe.kind == kind]
            if rows:
                rate = sum(r.hallucinated for r in rows) / len(rows)
                out[kind] = {"probes": len(rows), "hallucination_rate": round(rate, 3)}
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "probes": len(self.results),
            "hallucination_rate": round(self.hallucination_rate, 3),
            "abstention": round(self.abstention, 3),
            "faithfulness": round(self.faithfulness, 3),
            "by_kind": self.by_kind(),
            "results": [
                {
                    "id": r.probe.id,
                    "kind": r.probe.kind,
                    "status": r.status,
                    "hallucinated": r.hallucinated,
                    "reason": r.reason,
                    "items": r.items,
                    "unfaithful": r.unfaithful,
                }
                for r in self.results
            ],
        }


def run_probes(
    directory: Path, run_dir: Path, summarizer: Pipeline, *, concurrency: int | None = None
) -> ProbeScores:
    """Summarize every probe into ``run_dir`` (resumable), judge, and write the reports."""
    probes = load_probes(directory)
    out = run_dir / PREDICTIONS
    run_dir.mkdir(parents=True, exist_ok=True)
    items = [BatchItem(key=p.id, path=str(p.path)) for p in probes]
    run_batch(summarizer, items, out, concurrency=concurrency)
    return score_probes(directory, run_dir)


def score_probes(directory: Path, run_dir: Path) -> ProbeScores:
    probes = load_probes(directory)
    records = read_records(run_dir / PREDICTIONS)
    results = []
    for probe in probes:
        record = records.get(probe.id)
        if record is None:
            results.append(judge(probe, None, "missing"))
            continue
        summary = (
            NegotiationSummary.model_validate(record.summary)
            if record.status == "ok" and record.summary
            else None
        )
        results.append(judge(probe, summary, record.status))
    scores = ProbeScores(results)
    write_reports(run_dir, scores)
    return scores


def markdown(scores: ProbeScores) -> str:
    lines = [
        "# Hallucination probes",
        "",
        f"- Hallucination rate: **{scores.hallucination_rate:.3f}** "
        f"({sum(r.hallucinated for r in scores.results)} of {len(scores.results)} probes)",
        f"- Abstention (no demand or concession where there is no exchange): "
        f"**{scores.abstention:.3f}**",
        f"- Faithfulness of predicted items to their evidence: **{scores.faithfulness:.3f}**",
        "",
        "| kind | probes | hallucination rate |",
        "|---|---|---|",
    ]
    for kind, row in scores.by_kind().items():
        lines.append(f"| {kind} | {row['probes']} | {row['hallucination_rate']:.3f} |")
    lines += ["", "| probe | kind | status | hallucinated | why |", "|---|---|---|---|---|"]
    for r in scores.results:
        why = r.reason.replace("|", "\\|")
        lines.append(
            f"| {r.probe.id} | {r.probe.kind} | {r.status} | {'yes' if r.hallucinated else 'no'} "
            f"| {why} |"
        )
    return "\n".join(lines) + "\n"


def page(scores: ProbeScores) -> str:
    rows = "".join(
        f"<tr class={'bad' if r.hallucinated else 'ok'}><td>{html.escape(r.probe.id)}</td>"
        f"<td>{r.probe.kind}</td><td>{html.escape(r.status)}</td>"
        f"<td>{'yes' if r.hallucinated else 'no'}</td><td>{html.escape(r.reason)}</td></tr>"
        for r in scores.results
    )
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>Hallucination probes</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;"
        "padding:4px 8px}table{border-collapse:collapse}.bad{background:#fdd}</style></head>"
        f"<body><h1>Hallucination probes</h1><p id=rate>Hallucination rate "
        f"<b>{scores.hallucination_rate:.3f}</b>; abstention <b>{scores.abstention:.3f}</b>; "
        f"faithfulness <b>{scores.faithfulness:.3f}</b></p><table><tr><th>probe</th>"
        f"<th>kind</th><th>status</th><th>hallucinated</th><th>why</th></tr>{rows}</table>"
        "</body></html>\n"
    )


def write_reports(run_dir: Path, scores: ProbeScores) -> None:
    (run_dir / "probes.json").write_text(json.dumps(scores.to_json(), indent=2) + "\n")
    (run_dir / "report.md").write_text(markdown(scores), encoding="utf-8")
    (run_dir / "report.html").write_text(page(scores), encoding="utf-8")
