"""A restated item kept once: the threshold, picked leave-one-article-out, per field.

    python bench/restated.py --run bench/results/run11/staged

Re-decides ``--run``'s articles as ``bench/floor.py`` does (the run's sides, the cached
judgements, no model call), then drops restated items field by field with threshold
``T`` from ``GRID`` (2.0: off):

- **demands:** the shipped rule itself (``strategies/restated.py``, with its
  ``RESTATED`` set to ``T`` while the articles are re-decided): same side, same
  recipient or overlapping named sides, the selector's sentence vectors;
- **concessions and open issues** (not shipped): the same idea written here, with the
  scorer's MiniLM similarity of the whole evidence sentences (the same measure): an
  item at least ``T`` similar to an earlier kept item of the field is dropped; for
  concessions only an earlier item of the same side counts.

For each gold article, each field's ``T`` is picked on the other 16 articles (the best
micro F1 of that field; ties go to the larger ``T``, the smaller change) and applied to
the held-out article. Printed and written (``--out``, JSON):

- each field's in-sample F1 at every ``T``;
- the folds' picks;
- the held-out scores (both embedders) with the rule on every field, and on demands
  only (the shipped design; the choice of demands only was made after seeing both on
  these 17 articles, so for that choice the figure is not held out).
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import floor

from summarizer.evaluation.gold import load_gold_dir
from summarizer.evaluation.runs import load_predictions
from summarizer.evaluation.scoring import Prediction, score_run
from summarizer.evaluation.selector_training import load_judgements
from summarizer.io.inputs import article_sha256
from summarizer.similarity.text import TextSimilarity, make_similarity
from summarizer.strategies import restated, staged
from summarizer.strategies.selector import load_floors

ROOT = Path(__file__).resolve().parents[1]
GRID = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 2.0)
FIELDS = ("demands", "concessions", "open_issues")
METRICS = ("headline", "parties.f1", "demands.f1", "concessions.f1", "open_issues.f1")


def decided(
    articles: list[floor.Article],
    predictions: dict[str, Prediction],
    table: floor.Judgements,
    threshold: float,
) -> dict[str, Prediction]:
    """``predictions`` re-decided with the shipped restated-demand rule at ``threshold``,
    each article at its own prefilter floor."""
    floors = load_floors()
    shipped = restated.RESTATED
    restated.RESTATED = threshold
    try:
        out: dict[str, Prediction] = {}
        for a in articles:
            at = floors.for_article(article_sha256(a.gold.article))
            out.update(floor.redecide([a], predictions, table, at))
        return out
    finally:
        restated.RESTATED = shipped


def drop(items: Sequence[Any], field: str, t: float, sim: TextSimilarity) -> list[Any]:
    """The idea of ``strategies/restated.py`` for a field it does not ship for."""
    kept: list[Any] = []
    for item in items:
        earlier = [k for k in kept if field == "open_issues" or k.party == item.party]
        texts = [k.evidence[0].text for k in earlier]
        if texts and sim.matrix([item.evidence[0].text], texts).max() >= t:
            continue
        kept.append(item)
    return kept


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT)
    return done.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True, help="a staged run directory")
    parser.add_argument("--out", type=Path, help="JSON output (default: RUN/../restated.json)")
    args = parser.parse_args()
    golds = list(load_gold_dir(ROOT / "evals"))
    ids = [g.id for g in golds]
    sim = make_similarity("minilm")
    articles = floor.prepare(golds)  # sentences, features, gate: once for every threshold
    predictions = load_predictions(args.run)
    table = load_judgements(ROOT / "evals" / "training" / "judgements.jsonl")
    by_threshold = {t: decided(articles, predictions, table, t) for t in GRID}
    base = by_threshold[2.0]  # the rule off

    variants: dict[tuple[str, str, float], list[Any]] = {}
    for k, p in base.items():
        assert p.summary is not None
        for t in GRID:
            shipped = by_threshold[t][k].summary
            assert shipped is not None
            variants[(k, "demands", t)] = shipped.demands
            for f in ("concessions", "open_issues"):
                variants[(k, f, t)] = drop(getattr(p.summary, f), f, t, sim)

    def build(choice: dict[str, dict[str, float]]) -> dict[str, Prediction]:
        out = {}
        for k, p in base.items():
            assert p.summary is not None
            update = {f: variants[(k, f, choice[k][f])] for f in FIELDS}
            out[k] = Prediction(p.summary.model_copy(update=update))
        return out

    def f1(preds: dict[str, Prediction], keep: list[str], field: str) -> float:
        chosen = [g for g in golds if g.id in keep]
        result = score_run(chosen, {k: preds[k] for k in keep}, sim, resamples=1)
        return result.metrics[f"{field}.f1"]

    uniform = {t: build({k: dict.fromkeys(FIELDS, t) for k in ids}) for t in GRID}
    in_sample = {f: {str(t): round(f1(uniform[t], ids, f), 3) for t in GRID} for f in FIELDS}
    picks: dict[str, dict[str, float]] = {}
    for held in ids:
        rest = [i for i in ids if i != held]
        picks[held] = {
            f: max(GRID[::-1], key=lambda t, f=f: f1(uniform[t], rest, f)) for f in FIELDS
        }

    def scored(preds: dict[str, Prediction]) -> dict[str, dict[str, float]]:
        out = {}
        for name in ("minilm", "lexical"):
            m = score_run(golds, preds, make_similarity(name), resamples=10).metrics
            out[name] = {k: round(m[k], 3) for k in METRICS}
        return out

    demands_only = {k: {**picks[k], "concessions": 2.0, "open_issues": 2.0} for k in ids}
    report = {
        "run": str(args.run),
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "rules_revision": staged.RULES_REVISION,
        "grid": list(GRID),
        "in_sample_f1": in_sample,
        "picks": picks,
        "rule_off": scored(base),
        "held_out_every_field": scored(build(picks)),
        "held_out_demands_only": scored(build(demands_only)),
    }
    out = args.out or args.run.parent / "restated.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "picks"}, indent=2))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
