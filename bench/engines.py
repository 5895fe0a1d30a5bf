"""The two engines on the same prompt: load time, prompt and generation tokens/s, RSS.

    python bench/engines.py --out bench/results/engines.json

Each engine runs in a fresh process, one after the other on an idle machine: the
single-call strategy (prompt ``extract``) on the reference article, twice (the second
call reuses the KV cache of the fixed system prompt). ``llamacpp`` is llama-cpp-python
with the project's own decoder (the ``[llamacpp]`` extra); ``local`` is llama.cpp's
server engine through xllamacpp. Token rates come from each engine's own timings.
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
REFERENCE = ROOT / "evals" / "us-china-trump-xi-call.txt"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def worker(engine: str) -> dict[str, Any]:
    from summarizer import Summarizer
    from summarizer.io.inputs import make_article

    summarizer = Summarizer(engine, strategy="single", max_reasks=0)
    backend: Any = summarizer.backend
    started = time.perf_counter()
    if engine == "local":
        backend.engine()
    else:
        backend.llama()
    load = time.perf_counter() - started
    article = make_article(REFERENCE.read_text(encoding="utf-8"))
    rows = []
    for _ in range(2):
        began = time.perf_counter()
        status = "ok"
        try:
            summarizer.summarize(article)
        except Exception as exc:  # a failed answer still has timings
            status = f"{type(exc).__name__}: {str(exc)[:120]}"
        wall = time.perf_counter() - began
        if engine == "local":
            c = backend.last[-1]
            evaluated = c.prompt_tokens - c.cached_tokens
            row = (evaluated, c.prompt_seconds, c.completion_tokens, c.generation_seconds)
        else:
            s = backend.last_stats[-1]
            evaluated = s.prompt_tokens - s.cached_tokens
            row = (evaluated, s.seconds_prompt, s.completion_tokens, s.seconds_generate)
        rows.append(
            {
                "status": status,
                "wall_seconds": round(wall, 1),
                "prompt_tokens_evaluated": row[0],
                "prompt_tok_per_s": round(row[0] / row[1], 1) if row[1] else None,
                "completion_tokens": row[2],
                "generation_tok_per_s": round(row[2] / row[3], 2) if row[3] else None,
            }
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "engine": engine,
        "load_seconds": round(load, 1),
        "calls": rows,
        "peak_rss_mb": round(rss),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "engines.json")
    parser.add_argument("--engines", default="local,llamacpp")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return
    results = []
    for engine in args.engines.split(","):
        done = subprocess.run(
            [sys.executable, __file__, "--worker", engine],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        if done.returncode != 0:
            results.append(
                {
                    "engine": engine,
                    "error": done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"],
                }
            )
        else:
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
