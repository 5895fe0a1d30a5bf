"""Markdown renderings: the metrics summary (stdout), report.md, and a run comparison."""

from __future__ import annotations

import math
from typing import Any

from ..schema import FIELDS
from .metrics import METRICS
from .scoring import Comparison, Scores

LABELS = {
    "parties": "parties",
    "demands": "demands",
    "concessions": "concessions",
    "open_issues": "open issues",
}


def fmt(value: float | None, digits: int = 3) -> str:
    """A metric for display; NaN/None as ``n/a``."""
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:.{digits}f}"


def fmt_ci(ci: tuple[float, float]) -> str:
    lo, hi = ci
    return "n/a" if math.isnan(lo) else f"{lo:.3f}–{hi:.3f}"


def _md(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _counts(scores: Scores) -> dict[str, float]:
    total = scores.count_matrix().sum(axis=0)
    from .metrics import COLUMNS

    return dict(zip(COLUMNS, total.tolist(), strict=True))


def render_summary(scores: Scores) -> str:
    """Headline, per-field micro P/R/F1 with 95% intervals, grounding and evidence hits."""
    m, ci, n = scores.metrics, scores.ci, _counts(scores)
    lines = [
        f"**Headline (mean F1 of the four fields, micro): {fmt(m['headline'])}** "
        f"(95% CI {fmt_ci(ci['headline'])}; {len(scores.articles)} articles, "
        f"embedder {scores.embedder}, threshold {scores.threshold:g})",
        "",
        "| field | precision | recall | F1 | F1 95% CI | TP | FP | FN |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in FIELDS:
        lines.append(
            f"| {LABELS[f]} | {fmt(m[f + '.precision'])} | {fmt(m[f + '.recall'])} | "
            f"**{fmt(m[f + '.f1'])}** | {fmt_ci(ci[f + '.f1'])} | {n[f + '.tp']:.0f} | "
            f"{n[f + '.fp']:.0f} | {n[f + '.fn']:.0f} |"
        )
    lines += [
        "",
        "| evidence | rate | 95% CI | count |",
        "|---|---|---|---|",
        f"| grounding rate (predicted spans that resolve in the article) | "
        f"{fmt(m['grounding_rate'])} | {fmt_ci(ci['grounding_rate'])} | "
        f"{n['grounded']:.0f}/{n['spans']:.0f} |",
        f"| faithfulness rate (predicted items whose text their evidence supports) | "
        f"{fmt(m['faithfulness_rate'])} | {fmt_ci(ci['faithfulness_rate'])} | "
        f"{n['faithful']:.0f}/{n['items']:.0f} |",
        f"| evidence hit rate (matched items citing the gold evidence) | "
        f"{fmt(m['evidence_hit_rate'])} | {fmt_ci(ci['evidence_hit_rate'])} | "
        f"{n['evidence_hits']:.0f}/{n['evidence_checked']:.0f} |",
    ]
    return "\n".join(lines) + "\n"


def meta_rows(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows of the run metadata, for both reports."""
    prompt = meta.get("prompt") or {}
    git = meta.get("git") or {}
    tokens = meta.get("tokens") or {}
    lost = meta.get("tokens_failed") or {}
    seconds = meta.get("seconds_per_article") or {}
    mean = sum(seconds.values()) / len(seconds) if seconds else float("nan")
    rows = [
        ("model", str(meta.get("model", "n/a"))),
        ("prompt", f"{prompt.get('name', 'n/a')} v{prompt.get('version', '?')}"),
        ("prompt sha256", str(prompt.get("sha256", "n/a"))),
        (
            "git commit",
            f"{git.get('commit') or 'n/a'}{' (dirty)' if git.get('dirty') else ''}"
            if git
            else "not a git checkout",
        ),
        (
            "tokens",
            f"{tokens.get('prompt_tokens', 0)} prompt + {tokens.get('completion_tokens', 0)} "
            f"completion in {tokens.get('calls', 0)} calls (ok articles); failed articles: "
            f"{lost.get('prompt_tokens', 0)} + {lost.get('completion_tokens', 0)} in "
            f"{lost.get('calls', 0)} calls",
        ),
        ("time per article", f"{fmt(mean, 1)} s mean, {meta.get('seconds_total', 0)} s total"),
        ("started / finished", f"{meta.get('started', 'n/a')} / {meta.get('finished', 'n/a')}"),
        ("gold folder", str(meta.get("gold_dir", "n/a"))),
        ("command", str(meta.get("command", "n/a"))),
    ]
    packages = meta.get("packages") or {}
    if packages:
        rows.append(("packages", ", ".join(f"{k} {v}" for k, v in packages.items())))
    return rows


def render_markdown(scores: Scores, meta: dict[str, Any]) -> str:
    """The full report.md."""
    out = ["# Evaluation report", "", "## Metrics", "", render_summary(scores)]
    out += [
        "## Per article",
        "",
        "F1 (precision/recall) per field.",
        "",
        "| article | status | parties | demands | concessions | open issues | mean F1 "
        "| grounded | seconds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    seconds: dict[str, float] = meta.get("seconds_per_article") or {}
    for a in scores.articles:
        am = a.metrics()
        cells = " | ".join(
            f"{fmt(am[f + '.f1'])} ({fmt(am[f + '.precision'], 2)}/{fmt(am[f + '.recall'], 2)})"
            for f in FIELDS
        )
        out.append(
            f"| {_md(a.id)} | {a.prediction.status} | {cells} | {fmt(am['headline'])} | "
            f"{a.grounded}/{a.spans} | {fmt(seconds.get(a.id), 1)} |"
        )
    out += ["", "## Failures", ""]
    if scores.failures:
        out += [
            f"- `{_md(a.id)}` ({a.prediction.status}): {_md(a.prediction.error or '')}"
            for a in scores.failures
        ]
        out.append("")
        out.append("Failed articles are scored as empty predictions.")
    else:
        out.append("None.")
    out += ["", "## Run metadata", "", "| | |", "|---|---|"]
    out += [f"| {k} | {_md(v)} |" for k, v in meta_rows(meta)]
    out += [
        f"| scoring | embedder {scores.embedder}, threshold {scores.threshold:g}, "
        f"{scores.resamples} bootstrap resamples (seed {scores.seed}) |",
        "",
    ]
    return "\n".join(out)


def render_comparison(cmp: Comparison) -> str:
    """Per-metric A, B and B - A with the paired bootstrap 95% interval."""
    lines = [
        f"Comparing B against A on {len(cmp.articles)} articles "
        f"(embedder {cmp.a.embedder}, threshold {cmp.a.threshold:g}; paired bootstrap).",
        "",
        "| metric | A | B | B − A | 95% CI |",
        "|---|---|---|---|---|",
    ]
    for m in METRICS:
        delta, lo, hi = cmp.deltas[m]
        sign = "" if math.isnan(delta) else ("+" if delta >= 0 else "")
        lines.append(
            f"| {m.replace('_', ' ')} | {fmt(cmp.a.metrics[m])} | {fmt(cmp.b.metrics[m])} | "
            f"{sign}{fmt(delta)} | {fmt_ci((lo, hi))} |"
        )
    return "\n".join(lines) + "\n"
