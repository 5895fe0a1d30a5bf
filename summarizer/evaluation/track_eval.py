"""``summarizer eval track``: track every gold series and score it.

The summaries come from one of three places: a saved eval run (``--run``: no model
call), the gold files themselves (``--gold-items``: scores the tracker alone, on
perfect extraction), or a model run now (cached).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ..errors import EvalError
from ..schema import NegotiationSummary
from ..similarity.text import make_similarity
from ..similarity.threshold import default_threshold
from ..tracking.html import render_html
from ..tracking.markdown import to_markdown
from ..tracking.model import Timeline
from ..tracking.tracker import Tracker
from .gold import Gold
from .runs import load_predictions
from .series_gold import SeriesGold
from .synthetic import make_summary
from .track_scoring import TrackScores, markdown, score_track

#: gold article id -> its summary (None: no summary; the article is a failed step)
Source = Callable[[Gold], NegotiationSummary | None]


def from_run(run_dir: Path) -> Source:
    predictions = load_predictions(run_dir)

    def get(gold: Gold) -> NegotiationSummary | None:
        p = predictions.get(gold.id)
        return p.summary if p is not None else None

    return get


def from_gold() -> Source:
    return make_summary


def track_series(
    series: SeriesGold, golds: dict[str, Gold], source: Source, tracker: Tracker
) -> Timeline:
    steps = []
    for article in series.articles:
        summary = source(golds[article])
        error = None if summary is not None else "no summary"
        steps.append(tracker.step(article, summary, error=error))
    return tracker.timeline(steps)


def run_track_eval(
    series: list[SeriesGold],
    golds: dict[str, Gold],
    source: Source,
    label: str,
    out: Path,
    *,
    embedder: str = "minilm",
) -> TrackScores:
    """Track each series, score it, and write report.md, scores.json and each
    series' timeline (JSON, Markdown, HTML) into ``out``."""
    similarity = make_similarity(embedder)
    threshold = default_threshold(similarity.name)
    timelines = {}
    for s in series:
        timelines[s.id] = track_series(s, golds, source, Tracker(similarity, threshold))
    scores = score_track(series, timelines, similarity, threshold, label)
    try:
        (out / "timelines").mkdir(parents=True, exist_ok=True)
        for sid, timeline in timelines.items():
            base = out / "timelines" / sid
            base.with_suffix(".json").write_text(timeline.model_dump_json(indent=2) + "\n")
            base.with_suffix(".md").write_text(to_markdown(timeline))
            base.with_suffix(".html").write_text(render_html(timeline, title=sid))
        (out / "scores.json").write_text(json.dumps(scores.to_dict(), indent=2) + "\n")
        (out / "report.md").write_text(markdown(scores))
    except OSError as exc:
        raise EvalError(f"cannot write the tracking report to {out}: {exc}", path=str(out)) from exc
    return scores
