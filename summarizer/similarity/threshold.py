"""The calibrated similarity threshold: two texts say the same thing when their
similarity is at or above it. Chosen by ``summarizer eval calibrate`` on hand-judged
pairs and stored in ``evals/calibration/threshold.json``."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import EvalError

_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_THRESHOLD_FILE = _ROOT / "evals" / "calibration" / "threshold.json"
#: Used when threshold.json cannot be found (an installed wheel): the calibrated values
#: of evals/calibration/threshold.json (a test keeps them equal).
FALLBACK_THRESHOLDS = {"minilm": 0.578, "lexical": 0.223}


def default_threshold(embedder: str, path: Path = DEFAULT_THRESHOLD_FILE) -> float:
    """The calibrated threshold of ``embedder`` from ``threshold.json`` (else the fallback)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return float(data["embedders"][embedder]["threshold"])
    except (OSError, ValueError, KeyError, TypeError):
        if embedder not in FALLBACK_THRESHOLDS:
            raise EvalError(f"no calibrated threshold for embedder {embedder!r}") from None
        return FALLBACK_THRESHOLDS[embedder]
