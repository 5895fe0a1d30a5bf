"""Write BENCHMARKS.md from bench/run.py's summary (tables, machine, command)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LONG_ARTICLE = "us-china-trump-xi-call"  # the ~1,300-token reference article

NAMES = {
    "a": "(a) this pipeline",
    "b": "(b) naive baseline",
    "c": "(c) hardware floor",
    "d": "(d) before the speed work",
}


def _f1(entry: dict[str, Any], key: str = "headline") -> str:
    score = entry.get("score")
    if not score:
        return "—"
    value = score["metrics"].get(key)
    lo, hi = score["ci"].get(key, (None, None))
    if value is None:
        return "—"
    ci = f" [{lo:.2f}, {hi:.2f}]" if lo is not None and hi is not None else ""
    return f"{value:.3f}{ci}"


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def targets(summary: dict[str, Any]) -> list[str]:
    t = summary["table"]
    per = summary["per_article"]
    a, c = t.get("a"), t.get("c")
    lines = ["| target | measured | |", "|---|---|---|"]
    if a:
        long_a = per["a"].get(LONG_ARTICLE)
        lines.append(
            f"| median wall ≤ 30 s per article | median {a['median_wall_s']:.1f} s over "
            f"{a['articles']} articles | {_mark(a['median_wall_s'] <= 30)} |"
        )
        if long_a is not None:
            lines.append(
                f"| ≤ 30 s on the ~1,300-token article ({LONG_ARTICLE}) | {long_a:.1f} s | "
                f"{_mark(long_a <= 30)} |"
            )
        lines.append(
            f"| peak RSS ≤ 3 GB | {a['peak_rss_mb'] / 1024:.2f} GB | "
            f"{_mark(a['peak_rss_mb'] <= 3072)} |"
        )
    if a and c:
        ratio = a["total_wall_s"] / c["total_wall_s"]
        lines.append(
            f"| ≤ 1.15× the hardware floor for the same work | {ratio:.2f}× "
            f"({a['total_wall_s']:.0f} s vs {c['total_wall_s']:.0f} s) | {_mark(ratio <= 1.15)} |"
        )
    wording = {
        "b": "F1 ≥ the naive baseline's (b)",
        "d": "F1 no lower than before the speed work (d)",
    }
    for kind, what in wording.items():
        other = t.get(kind)
        if not (a and other and a.get("score") and other.get("score")):
            continue
        fa = a["score"]["metrics"]["headline"]
        fo = other["score"]["metrics"]["headline"]
        delta = summary.get("deltas", {}).get(f"a-{kind}", {}).get("headline")
        paired = ""
        if delta:
            paired = (
                f"; (a) − ({kind}) {delta[0]:+.3f}, paired 95% CI "
                f"[{delta[1]:+.3f}, {delta[2]:+.3f}]"
            )
        lines.append(f"| {what} | {fa:.3f} vs {fo:.3f}{paired} | {_mark(fa >= fo)} |")
    return lines


def write_markdown(summary: dict[str, Any], path: Path) -> None:
    t = summary["table"]
    out = ["# Benchmarks", ""]
    out += [
        "Measured by `bench/run.py` in one run, on the same embedded model "
        "(Qwen2.5-Coder-1.5B-Instruct Q4_K_M) and the same gold articles, one configuration "
        "at a time on an otherwise idle machine.",
        "",
        f"- Machine: {summary['machine']}",
        f"- Command: `{summary['command'].strip()}` (took {summary['seconds'] / 60:.0f} min)"
        + (f", at commit `{summary['commit']}`" if summary.get("commit") else ""),
        "",
        "## Targets",
        "",
        *targets(summary),
        "",
        "## Per configuration",
        "",
        "| | articles | failed | median wall (s) | total wall (s) | in model (s) | "
        "in pipeline (s) | prompt tokens | completion tokens | peak RSS (MB) | "
        "headline F1 [95% CI] |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in "abcd":
        if kind not in t:
            continue
        e = t[kind]
        model_s = f"{e['model_s']:.0f}" if "model_s" in e else "all"
        pipe_s = f"{e['pipeline_s']:.1f}" if "pipeline_s" in e else "0"
        out.append(
            f"| {NAMES[kind]} | {e['articles']} | {e['failed']} | {e['median_wall_s']:.1f} | "
            f"{e['total_wall_s']:.0f} | {model_s} | {pipe_s} | {e['prompt_tokens']:,} | "
            f"{e['completion_tokens']:,} | {e['peak_rss_mb']:.0f} | {_f1(e)} |"
        )
    out += ["", "## Per article (wall seconds)", ""]
    kinds = [k for k in "abcd" if k in summary["per_article"]]
    out.append("| article | " + " | ".join(NAMES[k] for k in kinds) + " |")
    out.append("|---|" + "---|" * len(kinds))
    ids = sorted(summary["per_article"][kinds[0]])
    failed = {
        (k, r["id"]) for k in kinds for r in summary["rows"].get(k, []) if r["status"] == "failed"
    }
    for i in ids:
        cells = []
        for k in kinds:
            c = summary["per_article"][k].get(i)
            cell = f"{c:.1f}" if c is not None else "—"
            cells.append(cell + (" (failed)" if (k, i) in failed else ""))
        out.append(f"| {i} | " + " | ".join(cells) + " |")
    out += ["", "Raw rows: `bench/results/summary.json`.", ""]
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        out += [notes.read_text(encoding="utf-8").strip(), ""]
    hosted = ROOT / "bench" / "results" / "hosted_speed.json"
    if hosted.exists():
        h = json.loads(hosted.read_text())
        out += ["## The hosted path", "", "```json", json.dumps(h, indent=2), "```", ""]
    path.write_text("\n".join(out), encoding="utf-8")
