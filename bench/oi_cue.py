"""The open-issue call's last line (its cue) reworded: each wording asked after the
same system prompt, examples and article, and the wording chosen leave-one-article-out.

    python bench/oi_cue.py call out.json     # about 15 minutes
    python bench/oi_cue.py score out.json    # no model call

``call`` runs, for each gold article the gate lets through, step 6 of the staged
strategy (``StagedStrategy._open_issues``: the prompt, the tie, the checks, the re-asks,
the first two phrases kept, one per sentence) once per cue in :data:`CUES` (the
prompt's last line replaced), with the article's prefix read once and reused. The
first cue is the one scored as the baseline. ``score`` prints
each cue's open-issue counts [TP, FP, FN] and F1 with MiniLM and lexical, and the F1
when each article gets the cue best on the other 16 (on a tie, the first).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from oi_only import (
    EMBEDDERS,
    Counts,
    counts,
    f1,
    open_call,
    prepare,
    recued,
    total,
    write_result,
)

from summarizer.evaluation.gold import load_gold_dir

ROOT = Path(__file__).resolve().parents[1]
#: The cues asked, the one of prompt ``staged-open`` 1.1 first (run 21's results file,
#: written before this rename, calls it "shipped"); "questions" is shipped since 1.2.
CUES = {
    "list-open": "List what is still open, as JSON.",
    "not-agreed": "List what is still open at the end of the report, not what was agreed or "
    "done, as JSON.",
    "to-decide": "List what the sides have not yet settled or still have to decide, as JSON.",
    "unresolved": "List what is still unresolved, uncertain or yet to happen after this "
    "report, in its own words, as JSON.",
    "questions": "List the questions this report leaves open, as JSON.",
}


def call(out: Path, gold_dir: Path) -> None:
    from summarizer.backends import make_backend
    from summarizer.backends.base import begin_article
    from summarizer.errors import SummarizerError
    from summarizer.strategies.open_issues import OpenIssueList, open_issue_items
    from summarizer.strategies.staged import StagedStrategy
    from summarizer.strategies.structured import Meter, structured

    strategy = StagedStrategy()
    assert strategy.open_examples is not None and strategy.gate is not None
    backend = make_backend("local")
    records: list[dict[str, Any]] = []
    started = time.perf_counter()
    for gold in load_gold_dir(gold_dir):
        p = prepare(strategy, gold)
        record: dict[str, Any] = {"id": gold.id, "phrases": {}, "seconds": {}}
        records.append(record)
        if p.blocked:
            record["blocked"] = True
            continue
        request, tie = open_call(strategy, p)
        begin_article(backend)
        for name, cue in CUES.items():
            t = time.perf_counter()
            try:
                answer = structured(
                    backend, replace(request, messages=recued(request, cue)), Meter()
                )
                assert isinstance(answer, OpenIssueList)
                phrases = [o.text for o in open_issue_items(answer, tie, [])]
            except SummarizerError as exc:
                print(f"{gold.id} {name}: {exc}", file=sys.stderr)
                phrases = []
            record["phrases"][name] = phrases
            record["seconds"][name] = round(time.perf_counter() - t, 1)
            print(gold.id, name, phrases, file=sys.stderr, flush=True)
    write_result(out, strategy, started, cues=CUES, records=records)


def score(path: Path, gold_dir: Path) -> None:
    data = json.loads(path.read_text())
    golds = {g.id: g for g in load_gold_dir(gold_dir)}
    records = {r["id"]: r for r in data["records"]}
    ids = list(golds)
    cues = list(data["cues"])
    print(f"# python bench/oi_cue.py score {path}")
    for embedder in EMBEDDERS:
        by: dict[tuple[str, str], Counts] = {}
        for i in ids:
            found = records[i]["phrases"]
            for cue in cues:
                by[i, cue] = counts(golds[i], found.get(cue, []), embedder)
        for cue in cues:
            c = total([by[i, cue] for i in ids])
            print(f"{embedder} {cue}: {list(c)} F1 {f1(c):.3f}")
        chosen = []
        for i in ids:
            rest = [j for j in ids if j != i]
            chosen.append(
                max(cues, key=lambda k: (f1(total([by[j, k] for j in rest])), k == cues[0]))
            )
        c = total([by[i, k] for i, k in zip(ids, chosen, strict=True)])
        print(f"{embedder} leave-one-article-out: {list(c)} F1 {f1(c):.3f}; chosen {chosen}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("call", "score"))
    parser.add_argument("path", type=Path)
    parser.add_argument("--gold", type=Path, default=ROOT / "evals")
    args = parser.parse_args()
    if args.mode == "call":
        call(args.path, args.gold)
    else:
        score(args.path, args.gold)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
