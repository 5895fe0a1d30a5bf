"""The MiniLM encoder's memory cache: bounded, and safe to share between threads (the
service summarizes in worker threads). Real model (int8 ONNX, offline)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from summarizer.strategies.encoder import MiniLMEncoder, shared_encoder

TEXTS = [
    "Canada demanded that Mexico lower its tariffs on Canadian cheese.",
    "Mexico agreed to cut the cheese tariffs by half starting in March.",
    "Both sides agreed to meet again in June.",
]


def test_the_memory_cache_keeps_the_most_recently_used_texts() -> None:
    encoder = MiniLMEncoder()
    encoder.memory_entries = 2
    first = [encoder.embed([t])[0] for t in TEXTS]  # three texts, two kept: the last two
    assert list(encoder._memory) == TEXTS[1:]
    calls = encoder.model_calls
    encoder.embed(TEXTS[1:])  # both cached: no model call
    assert encoder.model_calls == calls
    again = encoder.embed(TEXTS[:1])  # evicted: embedded again, the same vector
    assert encoder.model_calls == calls + 1
    np.testing.assert_allclose(again[0], first[0], atol=1e-6)
    assert list(encoder._memory) == [TEXTS[2], TEXTS[0]]
    assert len(encoder.embed(TEXTS * 3)) == 9  # repeats in one call beyond the bound


def test_threads_share_one_encoder_and_get_the_same_vectors() -> None:
    encoders: list[MiniLMEncoder] = []
    barrier = threading.Barrier(4)

    def get() -> None:
        barrier.wait()
        encoders.append(shared_encoder())

    threads = [threading.Thread(target=get) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(e) for e in encoders}) == 1

    encoder = MiniLMEncoder()
    encoder.memory_entries = 4
    alone = MiniLMEncoder().embed(TEXTS)
    texts = [f"{t} ({i})" for i in range(12) for t in TEXTS]  # more than the cache holds
    expected = MiniLMEncoder().embed(texts)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: encoder.embed(texts[i::4]), range(4)))
    for i, got in enumerate(results):
        np.testing.assert_allclose(got, expected[i::4], atol=1e-5)
    assert len(encoder._memory) <= 4
    np.testing.assert_allclose(encoder.embed(TEXTS), alone, atol=1e-5)
