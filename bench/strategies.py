"""Strategies and engines on the gold set, in one run: F1, seconds, tokens, peak RSS.

    python bench/strategies.py --configs today,staged --out bench/results/strategies
    python bench/strategies.py --cold --out bench/results/cold   # the cold-start race

Each configuration is a real ``summarizer eval run`` (the CLI's own code path, its
cache off) in its own process, one after the other on an otherwise idle machine, so
each run folder can be scored and paired with ``summarizer eval compare``. The
process's peak RSS is recorded beside it. Configurations:

- ``today``: the default before this work: llama-cpp-python with the project's own
  decoder (``--model llamacpp``), one call per article (``--strategy single``);
- ``single``: the same prompt and strategy on the new engine (xllamacpp);
- ``staged``, ``staged-selector``, ``staged-choice``: the staged strategy and its
  ablations on the new engine;
- ``staged-c2``: ``staged`` with two articles decoded together in the engine's two
  slots (continuous batching), against ``staged`` one at a time.

``--cold`` times the README's first command on the reference article from a fresh
process (model load included, cache off) for ``staged`` (the new default), ``today``
and the naive one-call instructor baseline (``bench/naive.py``) on the same GGUF.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

#: name: (model, strategy, articles in flight; for the embedded engine, its slots)
CONFIGS: dict[str, tuple[str, str, int]] = {
    "today": ("llamacpp", "single", 1),
    "single": ("local", "single", 1),
    "staged": ("local", "staged", 1),
    "staged-c2": ("local", "staged", 2),
    "staged-selector": ("local", "staged-selector", 1),
    "staged-choice": ("local", "staged-choice", 1),
}
REFERENCE = ROOT / "evals" / "us-china-trump-xi-call.txt"


def worker(config: str, out: Path, gold: Path) -> None:
    """One eval run in this process; peak RSS written beside it."""
    from summarizer.cli.main import main

    model, strategy, concurrency = CONFIGS[config]
    started = time.perf_counter()
    code = main(
        [
            "eval",
            "run",
            str(gold),
            "--model",
            model,
            "--strategy",
            strategy,
            "--concurrency",
            str(concurrency),
            "--out",
            str(out),
            "--no-cache",
            "--silent",
            "--json",
        ]
    )
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (out / "bench.json").write_text(
        json.dumps({"config": config, "exit": code, "seconds": seconds, "peak_rss_mb": rss})
    )


def cold(config: str) -> dict[str, Any]:
    """The reference article from a fresh process, model load included."""
    started = time.perf_counter()
    if config == "naive":
        code = [sys.executable, str(ROOT / "bench" / "naive.py"), str(REFERENCE)]
    else:
        model, strategy, _ = CONFIGS[config]
        code = [
            sys.executable,
            "-m",
            "summarizer",
            "summarize",
            str(REFERENCE),
            "--no-cache",
            "--model",
            model,
            "--strategy",
            strategy,
        ]
    done = subprocess.run(code, capture_output=True, text=True, cwd=ROOT, check=False)
    seconds = time.perf_counter() - started
    row: dict[str, Any] = {"config": config, "seconds": round(seconds, 1), "exit": done.returncode}
    if done.returncode == 0 and config != "naive":
        run = json.loads(done.stdout)["run"]
        row |= {
            "calls": run["usage"]["calls"],
            "prompt_tokens": run["usage"]["prompt_tokens"],
            "completion_tokens": run["usage"]["completion_tokens"],
        }
    elif done.returncode != 0:
        row["error"] = done.stderr.strip().splitlines()[-1:] if done.stderr else []
    print(json.dumps(row), file=sys.stderr)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default="today,single,staged")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "strategies")
    parser.add_argument("--gold", type=Path, default=ROOT / "evals")
    parser.add_argument("--cold", action="store_true", help="time the reference article cold")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.out, args.gold)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    if args.cold:
        rows = [cold(c) for c in ("staged", "today", "naive")]
        (args.out / "cold.json").write_text(json.dumps(rows, indent=2) + "\n")
        return
    failed = []
    for config in args.configs.split(","):
        target = args.out / config
        print(f"== {config}", file=sys.stderr, flush=True)
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                config,
                "--out",
                str(target),
                "--gold",
                str(args.gold),
            ],
            check=False,
        )
        if done.returncode != 0 or not (target / "bench.json").exists():
            # a crashed worker (llama-cpp-python built for this machine once died of a
            # segmentation fault) leaves no bench.json: say so, and go on with the rest
            print(f"== {config} failed (exit {done.returncode})", file=sys.stderr, flush=True)
            failed.append(config)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
