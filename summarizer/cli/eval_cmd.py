"""``summarizer eval check|run|score|compare|calibrate|probes``: parse, call the harness,
render (``train-selector`` and ``track`` have modules of their own).

Results go to stdout, progress and diagnostics to stderr. Errors (SummarizerError)
propagate to ``cli.main``, which prints one line and sets the exit code.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from . import eval_track_cmd, eval_train_cmd
from .summarize_cmd import add_model_options, make_summarizer

FIELD_NAMES = ("parties", "demands", "concessions", "open_issues")


def _field_minimum(text: str) -> tuple[str, float]:
    field, sep, value = text.partition("=")
    if not sep or field not in FIELD_NAMES:
        raise argparse.ArgumentTypeError(
            f"expected FIELD=X with FIELD one of {', '.join(FIELD_NAMES)}, got {text!r}"
        )
    try:
        return field, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None


def _scoring_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("scoring")
    group.add_argument(
        "--embedder",
        choices=("minilm", "lexical"),
        default="minilm",
        help="text similarity: MiniLM embeddings (default) or lexical token overlap",
    )
    group.add_argument(
        "--threshold", type=float, help="similarity threshold (default: the calibrated one)"
    )
    group.add_argument(
        "--resamples", type=int, default=1000, help="bootstrap resamples for intervals (1000)"
    )
    group.add_argument(
        "--json", action="store_true", help="print the metrics as JSON instead of a table"
    )


def _threshold_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("thresholds (exit 1 when missed)")
    group.add_argument("--min-f1", type=float, metavar="X", help="minimum headline F1")
    group.add_argument(
        "--min-field-f1",
        type=_field_minimum,
        action="append",
        default=[],
        metavar="FIELD=X",
        help="minimum micro F1 of one field (repeatable)",
    )


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``eval`` command group."""
    parser = subparsers.add_parser(
        "eval",
        help="evaluate against hand-labeled gold files",
        description="Check gold files, run the summarizer on a gold folder, score runs, "
        "compare two runs, calibrate the matching threshold.",
    )
    commands = parser.add_subparsers(dest="eval_command", metavar="SUBCOMMAND", required=True)

    check = commands.add_parser(
        "check",
        help="validate a gold folder (no model)",
        description="Validate every <id>.yaml gold file in DIR against the gold format "
        "(evals/GOLD_FORMAT.md) without running any model. Each problem names the file, "
        "the item and what is wrong.",
    )
    check.add_argument("dir", type=Path, help="folder of <id>.yaml + <id>.txt")
    check.set_defaults(handler=cmd_check)

    run = commands.add_parser(
        "run",
        help="summarize every gold article, then score",
        description="Summarize every article in DIR that has a gold file, save the predictions "
        "(predictions.jsonl, resumable), score them and write report.md and report.html.",
    )
    run.add_argument("dir", type=Path, help="gold folder")
    run.add_argument("--out", type=Path, help="run folder (default: runs/<model>); resumes")
    run.add_argument("--silent", action="store_true", help="no progress bar")
    add_model_options(run)
    _scoring_options(run)
    _threshold_options(run)
    run.set_defaults(handler=cmd_run)

    score = commands.add_parser(
        "score",
        help="re-score a run folder (no model)",
        description="Re-score the saved predictions of RUN_DIR against the gold files, without "
        "calling any model, and rewrite its reports.",
    )
    score.add_argument("run_dir", type=Path, help="run folder (with predictions.jsonl)")
    score.add_argument("--gold", type=Path, help="gold folder (default: the run's)")
    _scoring_options(score)
    _threshold_options(score)
    score.set_defaults(handler=cmd_score)

    compare = commands.add_parser(
        "compare",
        help="per-metric deltas B - A with paired CIs",
        description="Score two runs on the same gold set and show per-field deltas (B - A) "
        "with paired bootstrap 95% intervals over articles.",
    )
    compare.add_argument("run_a", type=Path, help="the baseline run folder (A)")
    compare.add_argument("run_b", type=Path, help="the candidate run folder (B)")
    compare.add_argument("--gold", type=Path, help="gold folder (default: run A's)")
    _scoring_options(compare)
    compare.set_defaults(handler=cmd_compare)

    calibrate = commands.add_parser(
        "calibrate",
        help="recompute the similarity threshold",
        description="Choose the text-similarity threshold that best agrees with the "
        "hand-judged (gold item, predicted item, match?) pairs, and report the agreement.",
    )
    calibrate.add_argument("--pairs", type=Path, help="judged pairs JSONL (default: evals')")
    calibrate.add_argument("--out", type=Path, help="threshold file (default: evals')")
    calibrate.add_argument(
        "--embedder", choices=("minilm", "lexical"), action="append", help="default: both"
    )
    calibrate.add_argument("--json", action="store_true", help="print the figures as JSON")
    calibrate.set_defaults(handler=cmd_calibrate)
    eval_track_cmd.register(commands)

    probes = commands.add_parser(
        "probes",
        help="run the hallucination probes",
        description="Summarize every text of a probe folder (probes.yaml + <id>.txt; default "
        "evals/probes) and report the hallucination rate (negated concessions reported, items "
        "invented in texts with no negotiation, exchanges invented in one-sided texts), the "
        "abstention score and the faithfulness of every item to its evidence, in "
        "RUN_DIR/report.md, report.html and probes.json. Resumable.",
    )
    probes.add_argument(
        "dir",
        type=Path,
        nargs="?",
        default=Path("evals/probes"),
        help="probe folder: probes.yaml + <id>.txt (default: evals/probes)",
    )
    probes.add_argument("--out", type=Path, help="run folder (default: runs/probes-<model>)")
    probes.add_argument(
        "--max-rate", type=float, help="exit 1 when the hallucination rate is above this"
    )
    add_model_options(probes)
    probes.set_defaults(handler=cmd_probes)

    eval_train_cmd.register(commands)


def cmd_check(args: argparse.Namespace) -> int:
    from ..evaluation.gold import load_gold_dir

    golds = load_gold_dir(args.dir)
    print(f"{len(golds)} gold files OK")
    return 0


def _finish(args: argparse.Namespace, run_dir: Path, scores: Any) -> int:
    from ..evaluation.report_md import render_summary
    from ..evaluation.runs import check_thresholds, write_reports

    write_reports(run_dir, scores)
    if args.json:
        print(json.dumps(scores.to_json(), indent=2, ensure_ascii=False))
    else:
        print(render_summary(scores))
    for failure in scores.failures:
        print(f"summarizer: {failure.id}: {failure.prediction.status}", file=sys.stderr)
    print(f"summarizer: report: {run_dir / 'report.html'}", file=sys.stderr)
    check_thresholds(scores, args.min_f1, dict(args.min_field_f1))
    return 0


def _command_line(args: argparse.Namespace) -> list[str]:
    """The command as parsed (works in-process too; values are redacted in run.json)."""
    words = ["summarizer", "eval", str(args.eval_command), str(args.dir)]
    for key, value in sorted(vars(args).items()):
        if key in {"handler", "command", "eval_command", "dir", "verbose"} or value in (
            None,
            False,
            [],
        ):
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            words.append(flag)
        elif isinstance(value, list):
            words += [w for v in value for w in (flag, "=".join(map(str, v)))]
        else:
            words += [flag, str(value)]
    return words


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "run"


def cmd_probes(args: argparse.Namespace) -> int:
    from ..evaluation.probes import load_probes, markdown, run_probes

    load_probes(args.dir)  # refuse a broken manifest before loading a model
    summarizer = make_summarizer(args)
    run_dir = args.out or Path("runs") / f"probes-{_slug(summarizer.backend.name)}"
    scores = run_probes(args.dir, run_dir, summarizer.pipeline, concurrency=args.concurrency)
    sys.stdout.write(markdown(scores))
    print(f"summarizer: probe reports in {run_dir}", file=sys.stderr)
    if args.max_rate is not None and scores.hallucination_rate > args.max_rate:
        print(
            f"summarizer: hallucination rate {scores.hallucination_rate:.3f} is above "
            f"{args.max_rate}",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from ..evaluation.gold import load_gold_dir
    from ..evaluation.runs import run_eval, score_run_dir

    golds = load_gold_dir(args.dir)  # refuse a broken gold folder before loading a model
    summarizer = make_summarizer(args)
    run_dir = args.out or Path("runs") / _slug(summarizer.backend.name)
    result = run_eval(
        args.dir,
        run_dir,
        summarizer.pipeline,
        concurrency=args.concurrency,
        progress=not args.silent,
        command=_command_line(args),
    )
    print(
        f"summarizer: {result.ok} summarized, {result.failed} failed, "
        f"{result.skipped} already done -> {run_dir}",
        file=sys.stderr,
    )
    scores = score_run_dir(
        run_dir,
        args.dir,
        embedder=args.embedder,
        threshold=args.threshold,
        resamples=args.resamples,
        golds=golds,
    )
    return _finish(args, run_dir, scores)


def cmd_score(args: argparse.Namespace) -> int:
    from ..evaluation.runs import score_run_dir

    scores = score_run_dir(
        args.run_dir,
        args.gold,
        embedder=args.embedder,
        threshold=args.threshold,
        resamples=args.resamples,
    )
    return _finish(args, args.run_dir, scores)


def cmd_compare(args: argparse.Namespace) -> int:
    from ..evaluation.report_md import render_comparison
    from ..evaluation.runs import compare_runs

    comparison = compare_runs(
        args.run_a,
        args.run_b,
        args.gold,
        embedder=args.embedder,
        threshold=args.threshold,
        resamples=args.resamples,
    )
    if args.json:
        print(json.dumps(comparison.to_json(), indent=2))
    else:
        print(render_comparison(comparison))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from ..evaluation.calibration import (
        DEFAULT_PAIRS,
        calibrate,
        load_pairs,
        save_threshold,
    )
    from ..similarity.text import make_similarity
    from ..similarity.threshold import DEFAULT_THRESHOLD_FILE

    pairs_path = args.pairs or DEFAULT_PAIRS
    pairs = load_pairs(pairs_path)
    results = []
    for name in args.embedder or ["minilm", "lexical"]:
        similarity = make_similarity(name)
        if similarity.name != name:
            print(f"summarizer: {name} unavailable; skipped", file=sys.stderr)
            continue
        results.append(calibrate(pairs, similarity))
    out = args.out or DEFAULT_THRESHOLD_FILE
    save_threshold(out, results, pairs_path)
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
    else:
        print(
            f"{len(pairs)} judged pairs ({sum(p.match for p in pairs)} matches) from {pairs_path}"
        )
        print("| embedder | threshold | accuracy | precision | recall | F1 | TP | FP | FN | TN |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in results:
            print(
                f"| {r.embedder} | {r.threshold:g} | {r.accuracy:.3f} | {r.precision:.3f} | "
                f"{r.recall:.3f} | {r.f1:.3f} | {r.tp} | {r.fp} | {r.fn} | {r.tn} |"
            )
    print(f"summarizer: wrote {out}", file=sys.stderr)
    return 0
