"""Calibrate the text-similarity threshold on hand-judged (gold, predicted) pairs.

A pair file is JSONL: ``{"article", "field", "gold", "predicted", "match", "note"}``.
A pair is predicted to match when its similarity is at or above the threshold. The
chosen threshold maximises the F1 of those decisions against the human ``match``
judgments (ties: the higher threshold); it is stored, with the agreement figures and
the embedder name, in ``threshold.json`` and used by default by the scorer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EvalError
from ..schema import ITEM_FIELDS
from .metrics import prf

log = logging.getLogger("summarizer")

_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PAIRS = _ROOT / "evals" / "calibration" / "pairs.jsonl"
_FIELDS = set(ITEM_FIELDS)
_KEYS = {"article", "field", "gold", "predicted", "match", "note"}


@dataclass(frozen=True)
class JudgedPair:
    article: str
    field: str
    gold: str
    predicted: str
    match: bool
    note: str = ""


@dataclass(frozen=True)
class Agreement:
    """How well ``similarity >= threshold`` agrees with the human judgments."""

    embedder: str
    threshold: float
    pairs: int
    positives: int
    tp: int
    fp: int
    fn: int
    tn: int
    accuracy: float
    precision: float
    recall: float
    f1: float


def load_pairs(path: Path) -> list[JudgedPair]:
    """Read and check a pair file; raises EvalError listing every bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalError(f"{path}: cannot read the calibration pairs: {exc}") from exc
    pairs: list[JudgedPair] = []
    problems: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            unknown, missing = set(data) - _KEYS, _KEYS - {"note"} - set(data)
            if unknown or missing:
                raise ValueError(f"unknown keys {sorted(unknown)}, missing {sorted(missing)}")
            if data["field"] not in _FIELDS or not isinstance(data["match"], bool):
                raise ValueError("field must be demands/concessions/open_issues, match a bool")
            if not all(isinstance(data[k], str) and data[k].strip() for k in ("gold", "predicted")):
                raise ValueError("gold and predicted must be non-empty strings")
            pairs.append(JudgedPair(**data))
        except (json.JSONDecodeError, ValueError, TypeError) as exc:
            problems.append(f"{path}:{number}: {exc}")
    if problems:
        raise EvalError("bad calibration pairs:\n  " + "\n  ".join(problems))
    if not pairs:
        raise EvalError(f"{path}: no calibration pairs")
    return pairs


def agreement(
    sims: np.ndarray[Any, Any], labels: np.ndarray[Any, Any], threshold: float, embedder: str = ""
) -> Agreement:
    """The agreement figures of one threshold."""
    decided = sims >= threshold
    tp = int(np.sum(decided & labels))
    fp = int(np.sum(decided & ~labels))
    fn = int(np.sum(~decided & labels))
    tn = int(np.sum(~decided & ~labels))
    n = len(labels)
    scores = prf(tp, fp, fn)
    return Agreement(
        embedder=embedder,
        threshold=round(float(threshold), 4),
        pairs=n,
        positives=int(labels.sum()),
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
        accuracy=(tp + tn) / n if n else math.nan,
        precision=scores.precision,
        recall=scores.recall,
        f1=scores.f1,
    )


def choose_threshold(sims: np.ndarray[Any, Any], labels: np.ndarray[Any, Any]) -> float:
    """The threshold maximising the F1 of match decisions (ties: the higher one).

    Candidates are the observed similarities. The winner ``s`` is then rounded down to
    3 decimals when that decides no other pair differently (a value robust to float
    noise across machines)."""
    values = np.unique(sims)
    best, best_f1 = float(values[-1]), -1.0
    for t in values:
        f1 = agreement(sims, labels, float(t)).f1
        if f1 >= best_f1:  # ascending candidates: >= keeps the higher on ties
            best, best_f1 = float(t), f1
    below = values[values < best]
    rounded = math.floor(best * 1000) / 1000
    if below.size == 0 or rounded > float(below.max()):
        return rounded
    return best


def calibrate(pairs: list[JudgedPair], similarity: Any) -> Agreement:
    """Similarity of each pair under ``similarity`` (a TextSimilarity), best threshold,
    and its agreement with the judgments."""
    similarity.prepare([t for p in pairs for t in (p.gold, p.predicted)])
    sims = np.array([float(similarity.matrix([p.predicted], [p.gold])[0, 0]) for p in pairs])
    labels = np.array([p.match for p in pairs], dtype=bool)
    return agreement(sims, labels, choose_threshold(sims, labels), similarity.name)


def pair_similarities(pairs: list[JudgedPair], similarity: Any) -> list[float]:
    """Similarity of every pair (for reports and error analysis)."""
    similarity.prepare([t for p in pairs for t in (p.gold, p.predicted)])
    return [float(similarity.matrix([p.predicted], [p.gold])[0, 0]) for p in pairs]


def save_threshold(path: Path, results: list[Agreement], pairs_path: Path) -> dict[str, Any]:
    """Write (or update) ``threshold.json``; the top level holds the MiniLM entry when
    present (the default embedder), ``embedders`` holds every calibrated one."""
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            data = {}
    embedders: dict[str, Any] = dict(data.get("embedders", {}))
    for result in results:
        embedders[result.embedder] = asdict(result)
    main = embedders.get("minilm") or next(iter(embedders.values()))
    try:
        shown = str(pairs_path.resolve().relative_to(_ROOT))
    except ValueError:
        shown = str(pairs_path)
    data = {
        "embedder": main["embedder"],
        "threshold": main["threshold"],
        "agreement": {k: main[k] for k in ("accuracy", "precision", "recall", "f1", "pairs")},
        "rule": "match when similarity >= threshold; threshold maximises F1 of match "
        "decisions on the pairs (ties: higher)",
        "pairs_file": shown,
        "pairs_sha256": hashlib.sha256(pairs_path.read_bytes()).hexdigest(),
        "embedders": embedders,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return data
