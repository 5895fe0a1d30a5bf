"""The numbers a text writes, and the rule that tells two texts' amounts apart.

Shared by the faithfulness check (an item may not add a number its evidence lacks),
the scorer's similarities and the staged strategy's restated-demand rule: when both
texts contain numbers and share none ("50%" vs "100%", "$600 billion" vs "$750
billion"), their similarity is multiplied by ``NUMBER_CONFLICT_FACTOR``, because
amounts are what tells such texts apart and embeddings barely see them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
NUMBER_CONFLICT_FACTOR = 0.5


@functools.lru_cache(maxsize=65536)
def numbers(text: str) -> frozenset[str]:
    """The numbers written in ``text`` (digits; thousands separators dropped)."""
    return frozenset(n.replace(",", "") for n in NUMBER.findall(text))


def number_factors(a: Sequence[str], b: Sequence[str]) -> NDArray[np.float64]:
    """``NUMBER_CONFLICT_FACTOR`` where both texts have numbers and share none, else 1."""
    out = np.ones((len(a), len(b)), dtype=np.float64)
    rows = [(i, numbers(t)) for i, t in enumerate(a) if numbers(t)]
    cols = [(j, numbers(t)) for j, t in enumerate(b) if numbers(t)]
    for i, x in rows:
        for j, y in cols:
            if not x & y:
                out[i, j] = NUMBER_CONFLICT_FACTOR
    return out
