"""Follow a series: summarize each article in turn (the cache is reused) and track it.

    import summarizer

    timeline = summarizer.track(["geneva.txt", "tensions.txt", "call.txt"])
    for step in timeline.steps:
        print(step.article.id, [c.kind for c in step.changes])

``iter_track`` yields each article's ``Step`` as soon as it is read, holding one
article at a time (a long series streams in constant memory).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..api import Summarizer
from ..errors import SummarizerError
from ..io.inputs import Article, read_path
from ..similarity.text import TextSimilarity, make_similarity
from ..similarity.threshold import default_threshold
from .model import Step, Timeline
from .series import SeriesArticle, article_id, header_date, order
from .tracker import Tracker

TrackInput = str | Path | Article
#: ``progress(index, total, step)``, called as each article is tracked.
TrackProgress = Callable[[int, int, Step], None]


def series_of(
    inputs: Sequence[TrackInput],
    *,
    ids: Sequence[str] | None = None,
    dates: Sequence[str] | None = None,
    by: str = "given",
    max_chars: int | None = None,
) -> list[SeriesArticle]:
    """Paths or ``Article`` objects as a series in reading order: as given, by
    ``dates``, or (``by="text"``) by the date each article's header states. Files are
    checked now and read again when their turn comes."""
    taken: set[str] = set()
    out = []
    for i, item in enumerate(inputs):
        source: Article | Path
        if isinstance(item, Article):
            name = ids[i] if ids else article_id(f"article-{i + 1}", taken)
            source, text = item, item.text
        else:
            name = ids[i] if ids else article_id(item, taken)
            source = Path(item)
            text = read_path(source, max_chars=max_chars).text  # fails early, not midway
        found = header_date(text)
        out.append(SeriesArticle(name, source, found.isoformat() if found else None, max_chars))
    return order(out, by, dates)


def make_tracker(
    embedder: str = "minilm",
    threshold: float | None = None,
    similarity: TextSimilarity | None = None,
) -> Tracker:
    """A ``Tracker`` on the scorer's similarity and its calibrated threshold."""
    sim = similarity or make_similarity(embedder)
    return Tracker(sim, default_threshold(sim.name) if threshold is None else threshold)


def iter_track(
    series: Iterable[SeriesArticle],
    summarizer: Summarizer,
    tracker: Tracker,
    *,
    progress: TrackProgress | None = None,
    total: int = 0,
) -> Iterator[Step]:
    """Summarize and track each article in turn. An article that fails is a step with
    its error; the series goes on."""
    for i, item in enumerate(series):
        try:
            summary = summarizer.summarize(item.load())
            step = tracker.step(item.id, summary, date=item.date)
        except SummarizerError as exc:
            step = tracker.step(item.id, None, date=item.date, error=str(exc))
        if progress is not None:
            progress(i + 1, total, step)
        yield step


def track(
    inputs: Sequence[TrackInput],
    *,
    model: str | None = None,
    summarizer: Summarizer | None = None,
    dates: Sequence[str] | None = None,
    by: str = "given",
    embedder: str = "minilm",
    **settings: Any,
) -> Timeline:
    """Follow a negotiation across ``inputs`` (paths or ``Article`` objects), in order;
    see the module doc. ``summarizer`` reuses a loaded model (else one is made from
    ``model`` and ``settings`` and closed at the end)."""
    own = summarizer is None
    s = summarizer or Summarizer(model, **settings)
    try:
        series = series_of(inputs, dates=dates, by=by, max_chars=s.settings.max_chars)
        tracker = make_tracker(embedder)
        steps = list(iter_track(series, s, tracker, total=len(series)))
        return tracker.timeline(steps)
    finally:
        if own:
            s.close()
