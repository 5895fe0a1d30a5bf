"""The evaluation harness: gold files, scoring, calibration, runs and reports.

Importable as ``summarizer.evaluation``; the summarizing pipeline never imports it.
"""

from __future__ import annotations

from .gold import Gold, GoldItem, GoldParty, load_gold_dir
from .runs import compare_runs, run_eval, score_run_dir
from .scoring import ArticleScore, Prediction, Scores, score_article, score_run

__all__ = [
    "ArticleScore",
    "Gold",
    "GoldItem",
    "GoldParty",
    "Prediction",
    "Scores",
    "compare_runs",
    "load_gold_dir",
    "run_eval",
    "score_article",
    "score_run",
    "score_run_dir",
]
