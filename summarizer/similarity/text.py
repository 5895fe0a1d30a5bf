"""Text similarity for item matching: MiniLM sentence embeddings, or a lexical fallback.

``minilm``: all-MiniLM-L6-v2 sentence embeddings (``summarizer.strategies.encoder``, shared with
the pipeline's sentence selector), so the similarity of two texts is the dot product
(cosine) of their unit vectors.

Number rule (both, ``grounding.numbers``): when both texts contain numbers and share
none ("50%" vs "100%", "$600 billion" vs "$750 billion"), the similarity is
multiplied by ``NUMBER_CONFLICT_FACTOR`` (0.5): amounts are what tells such items
apart, and embeddings barely see them.

``lexical``: token-set cosine ``|A & B| / sqrt(|A| |B|)`` over lower-cased, lightly
stemmed content words (stop words dropped, numbers kept). Used when asked for, and
automatically (with one warning) when the embedding model cannot be loaded.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from ..errors import UsageError
from ..grounding.locate import stem
from ..grounding.numbers import number_factors
from ..strategies.encoder import MiniLMEncoder

log = logging.getLogger("summarizer")

EMBEDDERS = ("minilm", "lexical")

Matrix = NDArray[np.float64]


class TextSimilarity(Protocol):
    """Pairwise similarity of two lists of texts, in [0, 1] for related texts."""

    name: str

    def prepare(self, texts: Iterable[str]) -> None:
        """Warm any cache for ``texts`` (one batched pass)."""

    def matrix(self, a: Sequence[str], b: Sequence[str]) -> Matrix:
        """``len(a) x len(b)`` similarities."""


# -- lexical -------------------------------------------------------------------------
_STOP = frozenset(
    "a an the of to in on for and or by with at from as is are was were be been its it "
    "their his her they that this these those which who will would should shall can "
    "could may might has have had do does did not no into over under about than then".split()
)


@functools.lru_cache(maxsize=65536)
def content_tokens(text: str) -> frozenset[str]:
    """Lower-cased, lightly stemmed words of ``text`` without stop words."""
    words = re.findall(r"[a-z0-9]+", text.casefold().replace("\u2019", "'"))
    return frozenset(stem(w) for w in words if w not in _STOP)


class LexicalSimilarity:
    """Token-set cosine similarity; no model needed."""

    name = "lexical"

    def prepare(self, texts: Iterable[str]) -> None:
        for text in texts:
            content_tokens(text)

    @staticmethod
    def pair(a: str, b: str) -> float:
        ta, tb = content_tokens(a), content_tokens(b)
        if not ta or not tb:
            return 1.0 if a.strip().casefold() == b.strip().casefold() else 0.0
        return len(ta & tb) / math.sqrt(len(ta) * len(tb))

    def matrix(self, a: Sequence[str], b: Sequence[str]) -> Matrix:
        out = np.zeros((len(a), len(b)), dtype=np.float64)
        for i, x in enumerate(a):
            for j, y in enumerate(b):
                out[i, j] = self.pair(x, y)
        return out * number_factors(a, b)


# -- MiniLM --------------------------------------------------------------------------
class MiniLMSimilarity(MiniLMEncoder):
    """Cosine similarity of all-MiniLM-L6-v2 embeddings (onnxruntime, int8)."""

    name = "minilm"

    def matrix(self, a: Sequence[str], b: Sequence[str]) -> Matrix:
        if not a or not b:
            return np.zeros((len(a), len(b)), dtype=np.float64)
        sims = self.embed(a).astype(np.float64) @ self.embed(b).astype(np.float64).T
        return np.clip(sims, -1.0, 1.0) * number_factors(a, b)


def default_disk_cache() -> Path:
    """``<summarizer cache dir>/embeddings``."""
    from ..backends.model_files import cache_dir

    return cache_dir() / "embeddings"


_warned = False


@functools.lru_cache(maxsize=4)
def _minilm(disk_cache: Path | None) -> MiniLMSimilarity:
    return MiniLMSimilarity(disk_cache=disk_cache)


def make_similarity(name: str = "minilm", *, disk_cache: bool = True) -> TextSimilarity:
    """The named similarity; ``minilm`` falls back to ``lexical`` (warning once) when the
    embedding model cannot be loaded. Instances are shared (their caches too)."""
    global _warned
    if name == "lexical":
        return LexicalSimilarity()
    if name != "minilm":
        raise UsageError(f"unknown embedder {name!r} (choose from {', '.join(EMBEDDERS)})")
    try:
        return _minilm(default_disk_cache() if disk_cache else None)
    except Exception as exc:  # any load failure means: fall back
        if not _warned:
            log.warning("MiniLM embeddings unavailable (%s); using lexical similarity", exc)
            _warned = True
        return LexicalSimilarity()
