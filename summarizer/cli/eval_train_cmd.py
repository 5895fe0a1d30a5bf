"""``summarizer eval train-selector``: retrain the staged strategy's sentence selector and
its negotiation gate (weights shipped in ``summarizer/data/``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    train = commands.add_parser(
        "train-selector",
        help="retrain the staged strategy's sentence classifiers",
        description="Train the sentence selector (summarizer/data/selector.npz) on the gold "
        "folder's evidence sentences: the heads trained on every article, and one pair per "
        "article trained without it (used whenever that article is summarized, so each gold "
        "article is labeled by heads that never saw its labels). With --collect, first ask "
        "the embedded model the judge questions about every gold sentence not yet in "
        "--judgements (about 2 s per sentence on 2 cores; resumable). Prints the precision, "
        "recall and F1 of both stages on the articles held out. Then retrains the "
        "negotiation gate (summarizer/data/gate.npz) on --gate-texts, --stories and the "
        "gold articles, with held-out weights per gold article, and rewrites the open-issue "
        "call's examples (summarizer/data/open_examples.json: each gold article's required "
        "open issues with their evidence sentences, from the texts the folder's SOURCES.md "
        "names, and which articles each is never shown: itself, its series in the folder's "
        "series/, and those about the same talks).",
    )
    train.add_argument("dir", type=Path, help="gold folder")
    train.add_argument(
        "--judgements",
        type=Path,
        default=Path("evals/training/judgements.jsonl"),
        help="the model's judgements of the gold sentences (evals/training/judgements.jsonl)",
    )
    train.add_argument(
        "--sentences",
        type=Path,
        default=None,
        help="extra labeled sentences for the prefilter (JSONL, evals/training/sentences.jsonl)",
    )
    train.add_argument("--collect", action="store_true", help="collect missing judgements first")
    train.add_argument("--out", type=Path, help="weights file (default: the package's)")
    train.add_argument(
        "--gate-texts",
        type=Path,
        default=Path("evals/training/gate"),
        help="written texts for the negotiation gate: negotiation-*.txt and none-*.txt "
        "(evals/training/gate); the gate is retrained after the selector",
    )
    train.add_argument(
        "--stories",
        type=Path,
        default=Path("evals/training/sentences.jsonl"),
        help="written stories, negotiation texts for the gate (evals/training/sentences.jsonl)",
    )
    train.add_argument("--gate-out", type=Path, help="gate weights file (default: the package's)")
    train.add_argument(
        "--examples-out", type=Path, help="open-issue examples file (default: the package's)"
    )
    train.add_argument(
        "--gate-only",
        action="store_true",
        help="skip the selector: retrain the gate on the current one, rewrite the examples",
    )
    train.set_defaults(handler=cmd_train_selector)


def cmd_train_selector(args: argparse.Namespace) -> int:
    import json

    from ..evaluation.gate_training import blocked, train_gate
    from ..evaluation.gold import load_gold_dir
    from ..evaluation.open_examples_training import folder_pool
    from ..evaluation.selector_training import collect_judgements, gold_examples, train
    from ..strategies.gate import GATE_PATH, save_gate
    from ..strategies.open_examples import EXAMPLES_PATH, save_examples
    from ..strategies.selector import WEIGHTS_PATH, load_selector, save_heads

    golds = load_gold_dir(args.dir)
    out = args.out or WEIGHTS_PATH
    if not args.gate_only:
        if args.collect:
            collect_judgements(gold_examples(golds).texts, args.judgements)
        result = train(golds, args.judgements, args.sentences)
        save_heads(out, result.heads)
        print(json.dumps(result.held_out, indent=2))
        print(f"summarizer: wrote {out} ({len(result.heads) - 1} held-out heads)", file=sys.stderr)
        load_selector.cache_clear()
    gate = train_gate(golds, load_selector(out), args.gate_texts, args.stories)
    gate_out = args.gate_out or GATE_PATH
    save_gate(gate_out, gate.weights)
    print(json.dumps({"gate_texts": gate.texts, "gold_held_out": gate.held_out}, indent=2))
    print(
        f"summarizer: wrote {gate_out}; gold articles the held-out gate blocks: "
        f"{', '.join(blocked(gate)) or 'none'}",
        file=sys.stderr,
    )
    examples, excluded = folder_pool(args.dir, golds)
    examples_out = args.examples_out or EXAMPLES_PATH
    save_examples(examples_out, examples, excluded)
    print(f"summarizer: wrote {examples_out} ({len(examples)} examples)", file=sys.stderr)
    return 0
