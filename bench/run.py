"""Benchmark the previous engine on the gold set: (a) the single-call pipeline on
llama-cpp-python with the project's decoder (``--model llamacpp``), (b) a naive
baseline, (c) the hardware floor, (d) (a) before the speed work, in one run, and
write BENCHMARKS.md's runs 1 and 2. Needs the ``[llamacpp]`` extra. The current
default (the staged strategy on xllamacpp) is benchmarked by ``bench/strategies.py``.

    python bench/run.py                      # all gold articles, all four
    python bench/run.py --configs a,d --out bench/results/speed_work --no-write
                                             # run 2 of BENCHMARKS.md: (a) vs (d)
    python bench/run.py --report-only        # rewrite BENCHMARKS.md from saved results
    python bench/run.py --limit 3 --out /tmp/b --no-write   # a quick look

Each configuration runs in its own process (so peak RSS is its own), one after
the other on an otherwise idle machine. Per article it records wall time, prompt
and completion tokens (failed attempts included), time inside the model versus
in the pipeline, and peak RSS; (a), (b) and (d) are scored by the eval harness.

(c) replays, for every model call that (a) made, the same prompt tokens from a
cold KV cache and generates the same number of tokens greedily, with no grammar
and no pipeline: llama.cpp's cost for the same work on this machine.

(d) is (a) with llama-cpp-python's stock decoding (``LocalSettings(decoder="stock")``):
the grammar sampler over the whole vocabulary, with none of the decoder's speed
work (lazy grammar, summary cap, repeated-item guard, string cap, wrap-up). Its F1
is the "before the speed work" figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


IDS: list[str] | None = None  # --ids


def articles(gold_dir: Path, limit: int | None) -> list[tuple[str, str]]:
    ids = IDS or sorted(p.stem for p in gold_dir.glob("*.yaml"))
    return [(i, (gold_dir / f"{i}.txt").read_text(encoding="utf-8")) for i in ids[:limit]]


# -- workers (one process each) -------------------------------------------------------
def work_pipeline(items: list[tuple[str, str]], out: Path, decoder: str = "lazy") -> None:
    from summarizer.backends.llamacpp import LlamaCppBackend as LocalBackend
    from summarizer.backends.llamacpp import LocalSettings
    from summarizer.errors import SummarizerError
    from summarizer.io.inputs import make_article
    from summarizer.pipeline import Summarizer

    label = "(a)" if decoder == "lazy" else "(d)"
    backend = LocalBackend(settings=LocalSettings(decoder=decoder))
    summarizer = Summarizer(backend)
    backend.llama()  # load before timing, as a long-running process would
    with out.open("w") as fh:
        for key, text in items:
            backend.last_stats.clear()
            started = time.perf_counter()
            row: dict[str, Any] = {"id": key}
            try:
                summary = summarizer.summarize(make_article(text, name=key))
                row |= {
                    "status": "ok",
                    "summary": summary.model_dump(mode="json"),
                    "prompt_tokens": summary.run.usage.prompt_tokens,
                    "completion_tokens": summary.run.usage.completion_tokens,
                    "calls": summary.run.usage.calls,
                    "model_seconds": summary.run.model_seconds,
                }
            except SummarizerError as exc:
                usage = exc.context.get("usage") or {}
                row |= {"status": "failed", "error": str(exc), **usage}
            row["wall_seconds"] = time.perf_counter() - started
            row["model_seconds"] = row.get("model_seconds") or sum(
                s.seconds_prompt + s.seconds_generate for s in backend.last_stats
            )
            row["evaluated_prompt_tokens"] = sum(
                s.prompt_tokens - s.cached_tokens for s in backend.last_stats
            )
            row["drafted"] = sum(s.drafted for s in backend.last_stats)
            row["accepted"] = sum(s.accepted for s in backend.last_stats)
            row["replay"] = [[s.prompt_ids, s.completion_tokens] for s in backend.last_stats]
            row["peak_rss_mb"] = peak_rss_mb()
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            print(f"{label} {key}: {row['wall_seconds']:.1f}s {row['status']}", file=sys.stderr)


def work_naive(items: list[tuple[str, str]], out: Path) -> None:
    import hashlib

    from naive import naive_call, to_summary

    from summarizer.backends.base import Meter
    from summarizer.backends.llamacpp import LocalSettings, load_llama
    from summarizer.backends.model_files import embedded_model_path

    llama = load_llama(embedded_model_path(), LocalSettings())
    with out.open("w") as fh:
        for key, text in items:
            meter = Meter()
            started = time.perf_counter()
            row: dict[str, Any] = {"id": key}
            try:
                naive = naive_call(llama, text, 1536, meter)
                seconds = time.perf_counter() - started
                sha = hashlib.sha256(text.encode()).hexdigest()
                row |= {
                    "status": "ok",
                    "summary": to_summary(naive, text, sha, seconds).model_dump(mode="json"),
                }
            except Exception as exc:  # the naive baseline has no error handling of its own
                row |= {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:300]}
            row |= {
                "wall_seconds": time.perf_counter() - started,
                "model_seconds": meter.model_seconds,
                "prompt_tokens": meter.prompt_tokens,
                "completion_tokens": meter.completion_tokens,
                "calls": meter.calls,
                "peak_rss_mb": peak_rss_mb(),
            }
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            print(f"(b) {key}: {row['wall_seconds']:.1f}s {row['status']}", file=sys.stderr)


def work_floor(pipeline_rows: Path, out: Path) -> None:
    import numpy as np

    from summarizer.backends.llamacpp import LocalSettings, load_llama
    from summarizer.backends.model_files import embedded_model_path

    llama = load_llama(embedded_model_path(), LocalSettings())
    with out.open("w") as fh:
        for line in pipeline_rows.read_text().splitlines():
            src = json.loads(line)
            started = time.perf_counter()
            prompt_s = 0.0
            for prompt_ids, n_generate in src["replay"]:
                t0 = time.perf_counter()
                llama.reset()  # cold: no prefix reuse
                llama.eval(prompt_ids)
                prompt_s += time.perf_counter() - t0
                for _ in range(n_generate):  # greedy, no grammar, no stop
                    logits = np.ctypeslib.as_array(
                        llama._ctx.get_logits_ith(-1), shape=(llama.n_vocab(),)
                    )
                    llama.eval([int(np.argmax(logits))])
            wall = time.perf_counter() - started
            row = {
                "id": src["id"],
                "wall_seconds": wall,
                "prompt_seconds": prompt_s,
                "prompt_tokens": sum(len(p) for p, _ in src["replay"]),
                "completion_tokens": sum(n for _, n in src["replay"]),
                "peak_rss_mb": peak_rss_mb(),
            }
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            print(f"(c) {src['id']}: {wall:.1f}s", file=sys.stderr)


# -- the parent: run the workers, score, write the report -----------------------------
def run_worker(kind: str, args: argparse.Namespace, extra: list[str]) -> None:
    cmd = [sys.executable, __file__, "--worker", kind, "--gold", str(args.gold)]
    cmd += ["--out", str(args.out)] + (["--limit", str(args.limit)] if args.limit else [])
    cmd += ["--ids", args.ids] if args.ids else []
    subprocess.run(cmd + extra, check=True)


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def score(gold_dir: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    from summarizer.evaluation import Prediction, load_gold_dir, score_run
    from summarizer.schema import NegotiationSummary
    from summarizer.similarity.text import make_similarity

    golds = [g for g in load_gold_dir(gold_dir) if g.id in {r["id"] for r in rows}]
    preds = {
        r["id"]: Prediction(NegotiationSummary.model_construct(**r["summary"]))
        if r["status"] == "ok"
        else Prediction(None, "failed", r.get("error"))
        for r in rows
    }
    for r in rows:  # re-validate what can be validated, so nested models are objects
        if r["status"] == "ok":
            try:
                preds[r["id"]] = Prediction(NegotiationSummary.model_validate(r["summary"]))
            except Exception:
                preds[r["id"]] = Prediction(_loose(r["summary"]))
    scores = score_run(golds, preds, make_similarity("minilm"))
    return {
        "metrics": scores.metrics,
        "ci": scores.ci,
        "articles": [g.id for g in golds],
        "counts": scores.count_matrix().tolist(),
    }


def paired(table: dict[str, Any], base: str, other: str) -> dict[str, Any] | None:
    """``base`` minus ``other`` per metric, with a paired bootstrap interval over articles."""
    from summarizer.evaluation.metrics import paired_bootstrap_delta

    sa, so = table.get(base, {}).get("score"), table.get(other, {}).get("score")
    if not sa or not so or sa["articles"] != so["articles"]:
        return None
    deltas = paired_bootstrap_delta(so["counts"], sa["counts"])
    return {m: list(v) for m, v in deltas.items()}


def _loose(data: dict[str, Any]) -> Any:
    """The naive baseline's output, which may break our validators, as objects."""
    from summarizer.schema import (
        Concession,
        Demand,
        Evidence,
        NegotiationSummary,
        OpenIssue,
        Party,
    )

    def ev(items: list[dict[str, Any]]) -> list[Evidence]:
        return [Evidence.model_construct(**e) for e in items]

    return NegotiationSummary.model_construct(
        summary=data["summary"],
        parties=[Party.model_construct(**p) for p in data["parties"]],
        demands=[
            Demand.model_construct(**(d | {"evidence": ev(d["evidence"])})) for d in data["demands"]
        ],
        concessions=[
            Concession.model_construct(**(c | {"evidence": ev(c["evidence"])}))
            for c in data["concessions"]
        ],
        open_issues=[
            OpenIssue.model_construct(**(o | {"evidence": ev(o["evidence"])}))
            for o in data["open_issues"]
        ],
        source=data["source"],
        run=data["run"],
    )


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import llama_cpp

    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, no GPU; Python "
        f"{platform.python_version()}, llama-cpp-python {llama_cpp.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=ROOT / "evals")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles")
    parser.add_argument("--configs", default="a,b,c,d", help="which of a,b,c,d to run")
    parser.add_argument("--no-write", action="store_true", help="do not write BENCHMARKS.md")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite BENCHMARKS.md from the saved summary.json, running nothing",
    )
    parser.add_argument("--ids", help="comma-separated gold ids (default: every gold article)")
    parser.add_argument("--worker", choices=["a", "b", "c", "d"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    global IDS
    IDS = args.ids.split(",") if args.ids else None
    args.out.mkdir(parents=True, exist_ok=True)
    files = {k: args.out / f"{k}.jsonl" for k in "abcd"}
    if args.worker == "a":
        return work_pipeline(articles(args.gold, args.limit), files["a"])
    if args.worker == "b":
        return work_naive(articles(args.gold, args.limit), files["b"])
    if args.worker == "c":
        return work_floor(files["a"], files["c"])
    if args.worker == "d":
        return work_pipeline(articles(args.gold, args.limit), files["d"], decoder="stock")

    if args.report_only:
        from report import write_markdown

        write_markdown(json.loads((args.out / "summary.json").read_text()), ROOT / "BENCHMARKS.md")
        return None
    started = time.time()
    for kind in args.configs.split(","):
        run_worker(kind, args, [])
    rows = {k: load(files[k]) for k in "abcd" if files[k].exists()}
    summary = report(rows, args.gold, time.time() - started)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    if not args.no_write:
        from report import write_markdown

        write_markdown(summary, ROOT / "BENCHMARKS.md")
    print(json.dumps(summary["table"], indent=2))


def report(rows: dict[str, list[dict[str, Any]]], gold: Path, seconds: float) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for kind, items in rows.items():
        walls = [r["wall_seconds"] for r in items]
        entry: dict[str, Any] = {
            "articles": len(items),
            "failed": sum(r.get("status") == "failed" for r in items),
            "median_wall_s": statistics.median(walls),
            "total_wall_s": sum(walls),
            "prompt_tokens": sum(r.get("prompt_tokens", 0) for r in items),
            "completion_tokens": sum(r.get("completion_tokens", 0) for r in items),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in items),
        }
        if kind in "abd":
            entry["model_s"] = sum(r.get("model_seconds", 0.0) for r in items)
            entry["pipeline_s"] = entry["total_wall_s"] - entry["model_s"]
            entry["score"] = score(gold, items)
        table[kind] = entry
    deltas = {f"a-{k}": paired(table, "a", k) for k in "bd" if k in table}
    return {
        "table": table,
        "deltas": {k: v for k, v in deltas.items() if v is not None},
        "per_article": {k: {r["id"]: r["wall_seconds"] for r in v} for k, v in rows.items()},
        "rows": {
            k: [
                {
                    x: r.get(x)
                    for x in (
                        "id",
                        "status",
                        "wall_seconds",
                        "model_seconds",
                        "prompt_tokens",
                        "completion_tokens",
                        "evaluated_prompt_tokens",
                        "drafted",
                        "accepted",
                        "peak_rss_mb",
                        "error",
                    )
                }
                for r in v
            ]
            for k, v in rows.items()
        },
        "machine": machine(),
        "seconds": seconds,
        "command": " ".join(["python bench/run.py", *sys.argv[1:]]),
        "commit": _git_commit(),
    }


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


if __name__ == "__main__":
    main()
