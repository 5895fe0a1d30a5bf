"""Which sentences state a demand, a concession or an open issue: trained classifiers.

Two sets of logistic heads (one head per field), trained offline by
``summarizer eval train-selector`` on the sentences of the gold articles, labeled
from their evidence:

- the **prefilter** sees each sentence's MiniLM embedding (``encoder``) and a few
  cue-word features; it runs before any model call and keeps the candidates;
- the **final** heads also see the embedded model's one-token judgements of the
  sentence (``strategies/judge.py``), and decide.

The weights ship in ``data/selector.npz``. No leakage: the file also holds, for each
gold article, heads trained without that article's labels (thresholds chosen without
it too), keyed by the article's sha256. When the text being summarized is a gold
article, its held-out heads are used, so every figure measured on the gold set is
leave-one-article-out. Any other text gets the heads trained on every article.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..grounding.sentences import Sentence
from ..schema import ITEM_FIELDS

FIELDS = ITEM_FIELDS  # one column per item list
WEIGHTS_PATH = Path(__file__).parents[1] / "data" / "selector.npz"
FLOORS_PATH = Path(__file__).parents[1] / "data" / "floors.json"
ALL = "all"
CUE_SCALE = 3.0
JUDGE_SCALE = 3.0

#: Cue words of each kind of act (regular expressions, case-insensitive).
CUES = {
    "demand": r"\b(call(s|ed)? (on|for)|urg(e|es|ed|ing)|demand(s|ed|ing)?|insist(s|ed)?|"
    r"press(es|ed)? (for|to)|ask(s|ed)? (for|to)|should|must|expect(s|ed)? .{0,40} to|"
    r"want(s|ed)? .{0,30} to|warn(s|ed)?|requir(e|es|ed)|seek(s|ing)?|sought)\b",
    "concession": r"\b(agree(s|d)? to|pledg(e|es|ed)|commit(s|ted)?|offer(s|ed)?|"
    r"will (reduce|lower|remove|suspend|lift|allow|provide|purchase|invest|open|eliminate|cut)|"
    r"lower(ed|s)?|reduc(e|ed|es|ing)|remov(e|ed|es)|suspend(ed|s)?|lift(ed|s)?|allow(s|ed)?|"
    r"grant(s|ed)?|accept(s|ed)?|release(d|s)?|provid(e|es|ed)|eliminat(e|es|ed)|concession|"
    r"roll back)\b",
    "open": r"\b(whether|unresolved|remain(s|ed)?|yet to|not yet|dispute|disputed|unclear|"
    r"no agreement|impasse|to be determined|yet-to-be|uncertain|still|outstanding|disagree|"
    r"continu(e|es|ed|ing) to)\b",
    "negation": r"\b(not|no|never|refus(e|ed|es)|reject(s|ed)?|den(y|ied|ies)|declin(e|ed))\b",
    "quote": r"[\"\u201c\u201d]",
    "said": r"\b(said|says|told|according to)\b",
}
_CUES = [re.compile(p, re.IGNORECASE) for p in CUES.values()]

Vector = NDArray[np.float64]


def cue_features(texts: Sequence[str]) -> Vector:
    """One 0/1 column per cue, scaled (``len(texts) x len(CUES)``)."""
    rows = [[1.0 if c.search(t) else 0.0 for c in _CUES] for t in texts]
    return np.array(rows, dtype=np.float64).reshape(-1, len(_CUES)) * CUE_SCALE


def base_features(texts: Sequence[str]) -> Vector:
    """MiniLM embedding and cue features of each text."""
    from .encoder import shared_encoder

    embedded = shared_encoder().embed(list(texts)).astype(np.float64)
    return np.hstack([embedded, cue_features(texts)])


@dataclass(frozen=True)
class Head:
    """Logistic weights for the three fields: ``sigmoid(x @ w.T + b)``, and thresholds."""

    w: Vector  # (3, dim)
    b: Vector  # (3,)
    threshold: Vector  # (3,)

    def scores(self, x: Vector) -> Vector:
        z = x @ self.w.T + self.b
        out: Vector = 1.0 / (1.0 + np.exp(-z))
        return out


@dataclass(frozen=True)
class Heads:
    """The prefilter and final heads of one training set."""

    prefilter: Head
    final: Head


@dataclass(frozen=True)
class Candidate:
    """A sentence kept by the prefilter, with its features and the prefilter's scores."""

    sentence: Sentence
    features: Vector
    scores: dict[str, float]


class Selector:
    """Uses the held-out heads for gold articles, else the heads trained on everything."""

    def __init__(self, heads: dict[str, Heads], sha256: str) -> None:
        self.heads = heads
        self.sha256 = sha256  # of the weights file: part of every output's stamp

    def heads_for(self, article_sha256: str) -> Heads:
        return self.heads.get(article_sha256, self.heads[ALL])

    def score(self, article_sha256: str, sentences: Sequence[Sentence]) -> tuple[Vector, Vector]:
        """Every sentence's features and prefilter scores (``n x dim``, ``n x 3``): one
        embedding pass per article, shared by the candidates and the gate."""
        x = base_features([s.text for s in sentences])
        return x, self.heads_for(article_sha256).prefilter.scores(x)

    @staticmethod
    def candidates(
        sentences: Sequence[Sentence],
        x: Vector,
        probs: Vector,
        *,
        floor: float,
        limit: int = 16,
    ) -> list[Candidate]:
        """Sentences whose best prefilter score (``probs``, from :meth:`score`) is at
        least ``floor`` (at most ``limit``, the most probable), in article order."""
        if not sentences:
            return []
        best = probs.max(axis=1)
        keep = [int(i) for i in np.argsort(-best) if best[i] >= floor][:limit]
        return [
            Candidate(sentences[i], x[i], {f: float(probs[i, j]) for j, f in enumerate(FIELDS)})
            for i in sorted(keep)
        ]

    def prefilter_decide(
        self, article_sha256: str, candidates: Sequence[Candidate]
    ) -> list[tuple[str, ...]]:
        """The fields each candidate passes on the prefilter alone (no model judgements)."""
        head = self.heads_for(article_sha256).prefilter
        return [
            tuple(f for j, f in enumerate(FIELDS) if c.scores[f] >= head.threshold[j])
            for c in candidates
        ]

    def decide(
        self,
        article_sha256: str,
        candidates: Sequence[Candidate],
        judgements: Sequence[Sequence[float]],
    ) -> list[tuple[tuple[str, ...], dict[str, float]]]:
        """The fields each candidate passes on the final heads, and their scores."""
        if not candidates:
            return []
        head = self.heads_for(article_sha256).final
        x = np.hstack(
            [
                np.stack([c.features for c in candidates]),
                np.array(judgements, dtype=np.float64).reshape(len(candidates), -1) * JUDGE_SCALE,
            ]
        )
        probs = head.scores(x)
        out = []
        for i in range(len(candidates)):
            scores = {f: float(probs[i, j]) for j, f in enumerate(FIELDS)}
            fields = tuple(f for j, f in enumerate(FIELDS) if probs[i, j] >= head.threshold[j])
            out.append((fields, scores))
        return out


def _head(data: dict[str, Vector], prefix: str, key: str) -> Head:
    return Head(
        w=data[f"{prefix}w:{key}"].astype(np.float64),
        b=data[f"{prefix}b:{key}"].astype(np.float64),
        threshold=data[f"{prefix}t:{key}"].astype(np.float64),
    )


def load_heads(path: Path) -> dict[str, Heads]:
    with np.load(path) as npz:
        data = {k: npz[k] for k in npz.files}
    keys = {k.split(":", 1)[1] for k in data if k.startswith("pw:")}
    return {k: Heads(_head(data, "p", k), _head(data, "f", k)) for k in keys}


def save_heads(path: Path, heads: dict[str, Heads]) -> None:
    arrays: dict[str, Vector] = {}
    for key, pair in heads.items():
        for prefix, head in (("p", pair.prefilter), ("f", pair.final)):
            arrays[f"{prefix}w:{key}"] = head.w.astype(np.float32)
            arrays[f"{prefix}b:{key}"] = head.b
            arrays[f"{prefix}t:{key}"] = head.threshold
    save_arrays(path, arrays)


def save_arrays(path: Path, arrays: dict[str, Vector]) -> None:
    """Write a weights file atomically (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)  # type: ignore[arg-type]
    tmp.replace(path)


def weights_digest(path: Path, what: str) -> str:
    """The sha256 of a weights file, part of every output's stamp (ConfigError if absent)."""
    from ..errors import ConfigError

    if not path.is_file():
        raise ConfigError(f"{what} not found: {path}", path=str(path))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@functools.lru_cache(maxsize=2)
def load_selector(path: Path = WEIGHTS_PATH) -> Selector:
    """The shipped selector (loaded once)."""
    digest = weights_digest(path, "selector weights")
    return Selector(load_heads(path), digest)


@dataclass(frozen=True)
class Floors:
    """The prefilter's floor: a sentence is a candidate (judged by the model) when its
    best prefilter score reaches it. Chosen by ``bench/floor.py`` from the gold set's
    cached judgements, leave-one-article-out like the heads: a gold article gets the
    floor chosen without it, any other text the floor chosen on every article."""

    floors: dict[str, float]
    sha256: str

    def for_article(self, article_sha256: str) -> float:
        return self.floors.get(article_sha256, self.floors[ALL])


@functools.lru_cache(maxsize=2)
def load_floors(path: Path = FLOORS_PATH) -> Floors:
    """The shipped floors (loaded once; ConfigError if the file is absent)."""
    digest = weights_digest(path, "prefilter floors")
    data = json.loads(path.read_text(encoding="utf-8"))
    floors = {ALL: float(data[ALL])}
    floors.update({k: float(v) for k, v in data["held_out"].items()})
    return Floors(floors, digest)
