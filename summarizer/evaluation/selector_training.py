"""Train the sentence selector (``summarizer.strategies.selector``) and measure it without leakage.

Examples:
- every sentence of every gold article, labeled with the fields whose gold evidence
  (required or optional items) lies in it;
- the project's own labeled news-style sentences (``evals/training/sentences.jsonl``),
  written for the purpose by annotators, never taken from the gold articles.

Three L2-regularised logistic heads (one per field) on MiniLM embeddings, fitted with
scipy's L-BFGS, classes balanced. The threshold of each head is chosen inside the
training data only (by an inner leave-one-article-out pass), so a held-out article
never influences the weights or the threshold that label it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import EvalError
from ..grounding.sentences import split_sentences
from ..io.inputs import article_sha256
from ..strategies.encoder import shared_encoder
from ..strategies.selector import ALL, FIELDS, JUDGE_SCALE, Head, Heads
from .gold import Gold
from .metrics import prf

Matrix = NDArray[np.float64]
LABELS = {"demand": "demands", "concession": "concessions", "open_issue": "open_issues"}
L2 = 1.0
THRESHOLDS = np.round(np.arange(0.2, 0.91, 0.05), 2)


@dataclass
class Examples:
    """Sentence texts, their labels (n x 3) and their group (article sha256 or 'synthetic')."""

    texts: list[str]
    labels: NDArray[np.int8]
    groups: list[str]

    def embed(self) -> NDArray[np.float32]:
        return shared_encoder().embed(self.texts)


def gold_examples(golds: Sequence[Gold]) -> Examples:
    texts: list[str] = []
    rows: list[list[int]] = []
    groups: list[str] = []
    for gold in golds:
        sha = article_sha256(gold.article)
        for sentence in split_sentences(gold.article):
            row = [0, 0, 0]
            for j, field in enumerate(FIELDS):
                for item in gold.items(field):
                    if item.span and item.span[0] < sentence.end and sentence.start < item.span[1]:
                        row[j] = 1
            texts.append(sentence.text)
            rows.append(row)
            groups.append(sha)
    return Examples(texts, np.array(rows, dtype=np.int8).reshape(-1, 3), groups)


def synthetic_examples(path: Path) -> Examples:
    """The labeled news-style sentences (one JSON object per line)."""
    texts: list[str] = []
    rows: list[list[int]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record: dict[str, Any] = json.loads(line)
        field = LABELS.get(str(record.get("label")))
        texts.append(str(record["sentence"]))
        rows.append([int(field == f) for f in FIELDS])
    return Examples(texts, np.array(rows, dtype=np.int8).reshape(-1, 3), ["synthetic"] * len(texts))


def merge_duplicates(examples: Examples) -> Examples:
    """One row per distinct text, its labels joined: a written sentence with two acts
    has two lines (``evals/training/README.md``) but is one sentence to classify."""
    labels: dict[str, NDArray[np.int8]] = {}
    groups: dict[str, str] = {}
    for text, row, group in zip(examples.texts, examples.labels, examples.groups, strict=True):
        labels[text] = np.maximum(labels.get(text, row), row)
        groups.setdefault(text, group)
    texts = list(labels)
    rows = np.array([labels[t] for t in texts], dtype=np.int8).reshape(-1, 3)
    return Examples(texts, rows, [groups[t] for t in texts])


def fit_logistic(x: Matrix, y: NDArray[np.int8], l2: float = L2) -> tuple[Matrix, float]:
    """Balanced, L2-regularised logistic regression (bias unpenalised)."""
    from scipy.optimize import minimize

    n, d = x.shape
    pos = max(1, int(y.sum()))
    neg = max(1, n - pos)
    weight = np.where(y == 1, n / (2 * pos), n / (2 * neg))
    target = y.astype(np.float64)

    def loss(theta: Matrix) -> tuple[float, Matrix]:
        w, b = theta[:d], theta[d]
        z = x @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        eps = 1e-12
        value = -np.sum(weight * (target * np.log(p + eps) + (1 - target) * np.log(1 - p + eps)))
        value = value / n + l2 * float(w @ w) / (2 * n) * 10
        g = weight * (p - target) / n
        grad = np.concatenate([x.T @ g + l2 * w / n * 10, [g.sum()]])
        return float(value), grad

    result = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    theta = result.x
    return theta[:d].copy(), float(theta[d])


def fit_heads(x: Matrix, y: NDArray[np.int8]) -> tuple[Matrix, Matrix]:
    ws, bs = [], []
    for j in range(len(FIELDS)):
        w, b = fit_logistic(x, y[:, j])
        ws.append(w)
        bs.append(b)
    return np.stack(ws), np.array(bs)


def _f1(pred: NDArray[np.bool_], truth: NDArray[np.int8]) -> float:
    tp = float(np.sum(pred & (truth == 1)))
    fp = float(np.sum(pred & (truth == 0)))
    fn = float(np.sum(~pred & (truth == 1)))
    return prf(tp, fp, fn).f1


def choose_thresholds(x: Matrix, y: NDArray[np.int8], groups: Sequence[str]) -> Matrix:
    """Per field, the threshold with the best sentence-level F1 over an inner
    leave-one-article-out pass on the gold groups of (x, y). Synthetic sentences
    always stay in training."""
    articles = sorted({g for g in groups if g != "synthetic"})
    groups_arr = np.array(groups)
    probs = np.full(y.shape, np.nan)
    for held in articles:
        test = groups_arr == held
        w, b = fit_heads(x[~test], y[~test])
        probs[test] = 1.0 / (1.0 + np.exp(-(x[test] @ w.T + b)))
    gold_rows = groups_arr != "synthetic"
    best = []
    for j in range(len(FIELDS)):
        scores = [_f1(probs[gold_rows, j] >= t, y[gold_rows, j]) for t in THRESHOLDS]
        best.append(float(THRESHOLDS[int(np.argmax(scores))]))
    return np.array(best)


def fit_head(x: Matrix, y: NDArray[np.int8], groups: Sequence[str]) -> Head:
    """Weights on every row, thresholds from the inner leave-one-article-out pass."""
    w, b = fit_heads(x, y)
    return Head(w=w, b=b, threshold=choose_thresholds(x, y, groups))


@dataclass
class Training:
    heads: dict[str, Heads]
    #: sentence-level P/R/F1 per field of each stage, pooled over held-out articles
    held_out: dict[str, dict[str, dict[str, float]]]


def _prf(tp: float, fp: float, fn: float) -> dict[str, float]:
    scores = prf(tp, fp, fn)
    return {k: round(getattr(scores, k), 3) for k in ("precision", "recall", "f1")}


def train(
    golds: Sequence[Gold],
    judgements: Path,
    synthetic: Path | None = None,
    *,
    final_sentences: Path | None = None,
    final_judgements: Path | None = None,
) -> Training:
    """Heads trained on every gold article, and one pair per article trained without it.

    ``judgements``: the model's answers to the judge questions for every gold
    sentence (``collect_judgements``). ``synthetic``: labeled sentences added to the
    prefilter's training data (they carry no judgements). ``final_sentences``: labeled
    sentences added to the final heads' training data, with their judgements in
    ``final_judgements`` (``bench/written_final.py``; the shipped heads use none).
    """
    from ..strategies.selector import base_features

    gold_ex = gold_examples(golds)
    xg = base_features(gold_ex.texts)
    xf = np.hstack([xg, _judged(gold_ex.texts, judgements, "gold sentence(s)")])
    yg = gold_ex.labels
    groups = gold_ex.groups
    yf, fgroups = yg, list(groups)
    if final_sentences is not None:
        extra = merge_duplicates(synthetic_examples(final_sentences))
        where = final_judgements or judgements
        judged = _judged(extra.texts, where, "labeled sentence(s)")
        xf = np.vstack([xf, np.hstack([base_features(extra.texts), judged])])
        yf = np.concatenate([yf, extra.labels])
        fgroups += extra.groups
    if synthetic is not None and synthetic.is_file():
        syn = synthetic_examples(synthetic)
        xp = np.vstack([xg, base_features(syn.texts)])
        yp = np.concatenate([yg, syn.labels])
        pgroups = groups + syn.groups
    else:
        xp, yp, pgroups = xg, yg, groups
    gold_arr = np.array(groups)
    p_arr = np.array(pgroups)
    f_arr = np.array(fgroups)

    def pair(held: str | None) -> Heads:
        pmask = p_arr != held
        fmask = f_arr != held
        return Heads(
            prefilter=fit_head(xp[pmask], yp[pmask], [g for g in pgroups if g != held]),
            final=fit_head(xf[fmask], yf[fmask], [g for g in fgroups if g != held]),
        )

    heads = {ALL: pair(None)}
    counts = {stage: np.zeros((3, 3)) for stage in ("prefilter", "final")}
    for gold in golds:
        sha = article_sha256(gold.article)
        heads[sha] = held = pair(sha)
        test = gold_arr == sha
        truth = yg[test] == 1
        final_x = xf[: len(yg)]  # the gold rows come first
        for stage, head, x in (("prefilter", held.prefilter, xg), ("final", held.final, final_x)):
            pred = head.scores(x[test]) >= head.threshold
            counts[stage][0] += (pred & truth).sum(axis=0)
            counts[stage][1] += (pred & ~truth).sum(axis=0)
            counts[stage][2] += (~pred & truth).sum(axis=0)
    report = {
        stage: {f: _prf(*c[:, j]) for j, f in enumerate(FIELDS)} for stage, c in counts.items()
    }
    return Training(heads, report)


def _judged(texts: Sequence[str], judgements: Path, what: str) -> Matrix:
    """The judgement features of ``texts`` (scaled), read from ``judgements``;
    EvalError when any text has none."""
    from ..strategies.judge import judgement_features

    table = load_judgements(judgements)
    missing = [t for t in texts if judgement_key(t) not in table]
    if missing:
        raise EvalError(
            f"{len(missing)} {what} have no judgements in {judgements}; "
            "collect them first (summarizer eval train-selector --collect)"
        )
    judged = [judgement_features(table[judgement_key(t)]) for t in texts]
    return np.array(judged) * JUDGE_SCALE


def judgement_key(text: str) -> str:
    """A sentence's key in the judgements file (the sha256 of its text)."""
    return hashlib.sha256(text.encode()).hexdigest()


def load_judgements(path: Path) -> dict[str, dict[str, dict[str, float]]]:
    """sentence sha256 -> question -> option probabilities (for the current prompt)."""
    from ..strategies.judge import QUESTIONS, judge_prompt

    wanted = judge_prompt().sha256
    table: dict[str, dict[str, dict[str, float]]] = {}
    if not path.is_file():
        return table
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["prompt"] == wanted:
            table.setdefault(record["sha"], {})[record["question"]] = record["probs"]
    return {k: v for k, v in table.items() if len(v) == len(QUESTIONS)}


# -- the model's judgements as features ------------------------------------------------
def collect_judgements(texts: Sequence[str], path: Path, *, progress: bool = True) -> None:
    """Ask the embedded model every judge question about every text, appending to
    ``path`` (JSONL, resumable: texts already judged with this prompt are skipped)."""
    import sys

    from ..backends.local import LocalBackend
    from ..strategies.judge import QUESTIONS, judge_messages, judge_prompt
    from ..strategies.structured import Meter, choose

    prompt = judge_prompt()
    done: set[tuple[str, str]] = set()
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["prompt"] == prompt.sha256:
                done.add((record["sha"], record["question"]))
    backend = LocalBackend()
    meter = Meter()
    unique = list(dict.fromkeys(texts))
    with path.open("a", encoding="utf-8") as out:
        for i, text in enumerate(unique):  # sentence-major: one cached prefix per sentence
            sha = judgement_key(text)
            for question, options in QUESTIONS.items():
                if (sha, question) in done:
                    continue
                probs = choose(backend, judge_messages(question, text), options, meter)
                record = {"sha": sha, "prompt": prompt.sha256, "question": question}
                out.write(json.dumps({**record, "probs": probs}) + "\n")
                out.flush()
            if progress and i % 50 == 0:
                print(f"{i}/{len(unique)} sentences", file=sys.stderr, flush=True)
