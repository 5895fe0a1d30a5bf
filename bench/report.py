"""Write BENCHMARKS.md from bench/run.py's summary (tables, machine, command)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MIB = 2**20


def gigabytes(mib: float) -> float:
    """Decimal gigabytes from a ``peak_rss_mb`` figure, which is in MiB (Linux's
    ``ru_maxrss`` is in KiB, divided by 1024). Reports before run 12 printed MiB / 1024
    (GiB) under a "GB" label."""
    return mib * MIB / 1e9


ROOT = Path(__file__).resolve().parent.parent
LONG_ARTICLE = "us-china-trump-xi-call"  # the ~1,300-token reference article
RESULTS = ROOT / "bench" / "results"
#: Run 2, (a) against (d) only:
#: `python bench/run.py --configs a,d --out bench/results/speed_work --no-write`.
SPEED_WORK = RESULTS / "speed_work"
FIELDS = ("parties", "demands", "concessions", "open_issues")

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


def targets(summary: dict[str, Any], second: dict[str, Any] | None = None) -> list[str]:
    """The target table; an F1 comparison missing from ``summary`` is taken from ``second``."""
    t = summary["table"]
    per = summary["per_article"]
    a, c = t.get("a"), t.get("c")
    lines = ["| target | measured | |", "|---|---|---|"]
    if a:
        long_a = per["a"].get(LONG_ARTICLE)
        a2 = second["table"].get("a") if second else None
        again = f"; run 2: {a2['median_wall_s']:.1f} s" if a2 else ""
        lines.append(
            f"| median wall ≤ 30 s per article | median {a['median_wall_s']:.1f} s over "
            f"{a['articles']} articles{again} | {_mark(a['median_wall_s'] <= 30)} |"
        )
        if long_a is not None:
            long_a2 = second["per_article"].get("a", {}).get(LONG_ARTICLE) if second else None
            again = f"; run 2: {long_a2:.1f} s" if long_a2 is not None else ""
            lines.append(
                f"| ≤ 30 s on the ~1,300-token article ({LONG_ARTICLE}) | {long_a:.1f} s{again} | "
                f"{_mark(long_a <= 30)} |"
            )
        peak = gigabytes(a["peak_rss_mb"])
        lines.append(f"| peak RSS ≤ 3 GB | {peak:.2f} GB | {_mark(peak <= 3.0)} |")
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
        run, where = summary, ""
        if kind not in t and second and kind in second["table"]:
            run, where = second, " (run 2)"
        base, other = run["table"].get("a"), run["table"].get(kind)
        if not (base and other and base.get("score") and other.get("score")):
            continue
        fa = base["score"]["metrics"]["headline"]
        fo = other["score"]["metrics"]["headline"]
        delta = run.get("deltas", {}).get(f"a-{kind}", {}).get("headline")
        paired = ""
        if delta:
            paired = (
                f"; (a) − ({kind}) {delta[0]:+.3f}, paired 95% CI "
                f"[{delta[1]:+.3f}, {delta[2]:+.3f}]"
            )
        lines.append(f"| {what}{where} | {fa:.3f} vs {fo:.3f}{paired} | {_mark(fa >= fo)} |")
    scoring = _load(RESULTS / "score_speed.json")
    if scoring:
        lines.append(
            f"| scoring {scoring['pairs']:,} article pairs < {scoring['target_s']:.0f} s "
            f"(`bench/score_speed.py`) | {scoring['cold_s']:.1f} s with cold embedding caches "
            f"({scoring['warm_s']:.1f} s warm) | {_mark(scoring['cold_s'] < scoring['target_s'])} |"
        )
    hosted = _load(RESULTS / "hosted_speed.json")
    if hosted:
        lines.append(
            f"| hosted path: {hosted['articles']} articles at concurrency "
            f"{hosted['concurrency']}, {hosted['server_delay_s'] * 1000:.0f} ms per call, "
            f"< {hosted['target_s']:.0f} s (`bench/hosted_speed.py`) | {hosted['wall_s']:.2f} s, "
            f"{hosted['ok']} ok | {_mark(hosted['wall_s'] < hosted['target_s'])} |"
        )
    return lines


def _load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def _header(summary: dict[str, Any]) -> list[str]:
    return [
        f"- Machine: {summary['machine']}",
        f"- Command: `{summary['command'].strip()}` (took {summary['seconds'] / 60:.0f} min)"
        + (f", at commit `{summary['commit']}`" if summary.get("commit") else ""),
    ]


def _configs(summary: dict[str, Any]) -> list[str]:
    t = summary["table"]
    out = [
        "| | articles | failed | median wall (s) | total wall (s) | in model (s) | "
        "in pipeline (s) | prompt tokens | completion tokens | peak RSS (MiB) | "
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
    return out


def _fields(summary: dict[str, Any]) -> list[str]:
    """Per-field F1 and grounding of every scored configuration."""
    t = summary["table"]
    scored = [k for k in "abcd" if k in t and t[k].get("score")]
    if not scored:
        return []
    out = [
        "| | " + " | ".join(f"{f.replace('_', ' ')} F1" for f in FIELDS) + " | grounding |",
        "|---|" + "---|" * (len(FIELDS) + 1),
    ]
    for kind in scored:
        m = t[kind]["score"]["metrics"]
        cells = [f"{m[f'{f}.f1']:.3f}" for f in FIELDS] + [f"{m['grounding_rate']:.3f}"]
        out.append(f"| {NAMES[kind]} | " + " | ".join(cells) + " |")
    return out


def _per_article(summary: dict[str, Any]) -> list[str]:
    kinds = [k for k in "abcd" if k in summary["per_article"]]
    out = ["| article | " + " | ".join(NAMES[k] for k in kinds) + " |"]
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
    return out


def _run(summary: dict[str, Any], raw: str) -> list[str]:
    """One run's tables: per configuration, per field, per article."""
    out = ["### Per configuration", "", *_configs(summary), ""]
    fields = _fields(summary)
    if fields:
        out += ["### F1 per field", "", *fields, ""]
    out += ["### Per article (wall seconds)", "", *_per_article(summary), ""]
    return out + [f"Raw rows: `{raw}`.", ""]


def _notes(name: str) -> list[str]:
    notes = ROOT / "bench" / name
    return [notes.read_text(encoding="utf-8").strip(), ""] if notes.exists() else []


def write_markdown(summary: dict[str, Any], path: Path) -> None:
    # A run with (d) in it needs no second run; an older run 2 would only be stale.
    second = None if "d" in summary["table"] else _load(SPEED_WORK / "summary.json")
    out = ["# Benchmarks", ""]
    out += _notes("notes/run22.md")  # the current default, by bench/strategies.py
    out += _notes("notes/run20.md")
    out += _notes("notes/run18.md")
    out += _notes("notes/run16.md")
    out += _notes("notes/run15.md")
    out += _notes("notes/run14.md")
    out += _notes("notes/run13.md")
    out += _notes("notes/run12.md")
    out += _notes("notes/run11.md")
    out += _notes("notes/run10.md")
    out += _notes("notes/run9.md")
    out += _notes("notes/run8.md")
    out += _notes("notes/run7.md")
    out += _notes("notes/run6.md")
    out += _notes("notes/run4.md")  # the strategies' ablation against today's default
    out += _notes("notes/scale.md")  # the service, tracking and the batch engines
    out += _notes("notes/ray.md")
    out += _notes("notes/run3.md")  # the run before it
    out += [
        "## Runs 1 and 2: the previous default (llama-cpp-python, single call)",
        "",
        "Measured by `bench/run.py` on the same embedded model "
        "(Qwen2.5-Coder-1.5B-Instruct Q4_K_M) and the same gold articles, one configuration "
        "at a time on an otherwise idle machine. Every table comes from one run; "
        "comparisons are made only within a run.",
        "",
        "## Targets",
        "",
        "From run 1 unless marked; the scoring and hosted figures are separate runs of "
        "their own scripts (below).",
        "",
        *targets(summary, second),
        "",
        "## Run 1: (a) against the naive baseline and the hardware floor",
        "",
        *_header(summary),
        "",
        *_run(summary, "bench/results/summary.json"),
        *_notes("notes/run1.md"),
    ]
    if second:
        out += [
            "## Run 2: (a) against the pipeline before the speed work",
            "",
            *_header(second),
            "",
            *_run(second, "bench/results/speed_work/summary.json"),
            *_notes("notes/run2.md"),
        ]
    out += _notes("notes/levers.md")
    for name, title in (("score_speed", "Scoring speed"), ("hosted_speed", "The hosted path")):
        figure = _load(RESULTS / f"{name}.json")
        if figure:
            out += [f"## {title}", "", *_notes(f"notes/{name}.md")]
            out += ["```json", json.dumps(figure, indent=2), "```", ""]
    path.write_text("\n".join(out), encoding="utf-8")
