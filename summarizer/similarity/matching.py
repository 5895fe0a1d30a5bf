"""One-to-one matching of predicted to gold items (assignment, never greedy), and
alias-aware party resolution.

Assignment objective (lexicographic, solved exactly by one
``scipy.optimize.linear_sum_assignment`` call): first the most matches against
*required* gold items (true positives), then the most matches overall (a leftover
prediction absorbed by an *optional* gold item is not a false positive), then the
highest total similarity. Only pairs that are ``allowed`` (similarity at or above
the threshold and, for demands/concessions, the same resolved party) can match.

Party similarity of a predicted party (name + aliases) and a gold party (name +
aliases), over every pair of their normalised keys (``schema.normalize_name``):
1.0 when two keys are equal; 0.95 when one side's acronym (initials of the words of a
multi-word name, ignoring of/the/and) equals a key of the other, or when the names
are equal after dropping generic words (government, administration, delegation,
officials, side, team, ...); otherwise the difflib ratio of two keys of at least 4
characters when it is at least ``PARTY_THRESHOLD`` (0.85: catches "U.S. Congress" /
"Congress", "Israeli" / "Israel", not "United States" / "United Kingdom").
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..schema import normalize_name

PARTY_THRESHOLD = 0.85
_GENERIC = frozenset(
    "the of and government administration delegation officials official side team "
    "negotiators representatives leadership".split()
)
_ACRONYM_SKIP = frozenset({"of", "the", "and", "for", "&"})


@dataclass(frozen=True)
class Pair:
    """Prediction ``pred`` matched to gold item ``gold`` with ``similarity``."""

    pred: int
    gold: int
    similarity: float


@dataclass
class Assignment:
    """The outcome of matching one list: TPs, optional absorptions, FPs and FNs."""

    matched: list[Pair] = field(default_factory=list)  # against required gold: TP
    absorbed: list[Pair] = field(default_factory=list)  # against optional gold: ignored
    spurious: list[int] = field(default_factory=list)  # unmatched predictions: FP
    missed: list[int] = field(default_factory=list)  # unmatched required gold: FN

    @property
    def tp(self) -> int:
        return len(self.matched)

    @property
    def fp(self) -> int:
        return len(self.spurious)

    @property
    def fn(self) -> int:
        return len(self.missed)

    def gold_for(self, pred: int) -> int | None:
        """The gold index prediction ``pred`` was matched or absorbed to, if any."""
        for pair in (*self.matched, *self.absorbed):
            if pair.pred == pred:
                return pair.gold
        return None


def assign(
    similarity: NDArray[np.float64], allowed: NDArray[np.bool_], optional: Sequence[bool]
) -> Assignment:
    """Match predictions (rows) to gold items (columns) one-to-one; see the module doc."""
    from scipy.optimize import linear_sum_assignment  # heavy: loaded when first needed

    n_pred, n_gold = similarity.shape
    if n_pred == 0 or n_gold == 0:
        required = [g for g in range(n_gold) if not optional[g]]
        return Assignment(spurious=list(range(n_pred)), missed=required)
    n = n_pred + n_gold
    total_bonus = n + 1.0  # one more match outweighs any similarity sum (<= n)
    required_bonus = n * (total_bonus + 1.0) + 1.0  # one more TP outweighs everything else
    is_required = ~np.asarray(optional, dtype=bool)
    weights = total_bonus + np.clip(similarity, 0.0, 1.0) + required_bonus * is_required[None, :]
    weights = np.where(allowed, weights, 0.0)
    rows, cols = linear_sum_assignment(weights, maximize=True)
    result = Assignment()
    used_pred: set[int] = set()
    used_gold: set[int] = set()
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        if not allowed[r, c]:
            continue
        pair = Pair(r, c, float(similarity[r, c]))
        (result.matched if is_required[c] else result.absorbed).append(pair)
        used_pred.add(r)
        used_gold.add(c)
    result.spurious = [p for p in range(n_pred) if p not in used_pred]
    result.missed = [g for g in range(n_gold) if is_required[g] and g not in used_gold]
    return result


# -- parties -------------------------------------------------------------------------
def _words(name: str) -> list[str]:
    return re.findall(r"[\w&]+", name.casefold().replace("\u2019", "'"))


@functools.lru_cache(maxsize=65536)
def _forms(name: str) -> tuple[str, str, str]:
    """(normalised key, generic-words-dropped key, acronym) of one name."""
    words = _words(name)
    core = "".join(w for w in words if w not in _GENERIC)
    initials = [w[0] for w in words if w not in _ACRONYM_SKIP]
    acronym = "".join(initials) if len(initials) >= 2 else ""
    return normalize_name(name), core, acronym


@functools.lru_cache(maxsize=262144)
def name_similarity(a: str, b: str) -> float:
    """Similarity of two party names or aliases (see the module doc)."""
    ka, ca, aa = _forms(a)
    kb, cb, ab = _forms(b)
    if ka and ka == kb:
        return 1.0
    if (aa and aa == kb) or (ab and ab == ka) or (ca and ca == cb):
        return 0.95
    best = 0.0
    for x, y in ((ka, kb), (ca, cb)):
        if min(len(x), len(y)) < 4 or 2 * min(len(x), len(y)) / (len(x) + len(y)) < PARTY_THRESHOLD:
            continue
        ratio = difflib.SequenceMatcher(None, x, y).ratio()
        if ratio >= PARTY_THRESHOLD:
            best = max(best, ratio)
    return best


def party_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Best similarity over every name/alias of party ``a`` and of party ``b``."""
    return max((name_similarity(x, y) for x in a for y in b), default=0.0)


class PartyResolver:
    """Matches predicted parties to gold parties and resolves predicted names to gold
    parties (for the party condition of demands and concessions).

    ``resolve(name)``: a predicted party assigned to a gold party (as TP or optional)
    resolves to it; otherwise, it (or an undeclared name) resolves to the gold party it
    is most similar to, if at or above ``PARTY_THRESHOLD`` (ties: first gold party).
    """

    def __init__(
        self,
        gold: Sequence[tuple[str, Sequence[str], bool]],
        pred: Sequence[tuple[str, Sequence[str]]],
    ) -> None:
        self.gold_names = [(name, *aliases) for name, aliases, _ in gold]
        self.pred_names = [(name, *aliases) for name, aliases in pred]
        sims = np.array(
            [[party_similarity(p, g) for g in self.gold_names] for p in self.pred_names],
            dtype=np.float64,
        ).reshape(len(self.pred_names), len(self.gold_names))
        self.similarity = sims
        self.assignment = assign(sims, sims >= PARTY_THRESHOLD, [opt for _, _, opt in gold])
        self._by_name = {names[0]: i for i, names in enumerate(self.pred_names)}

    def resolve(self, name: str) -> int | None:
        """The gold party index a predicted party name stands for, or None."""
        index = self._by_name.get(name)
        if index is not None:
            assigned = self.assignment.gold_for(index)
            if assigned is not None:
                return assigned
            row = self.similarity[index]
        else:
            row = np.array([party_similarity((name,), g) for g in self.gold_names])
        if row.size == 0 or row.max() < PARTY_THRESHOLD:
            return None
        return int(row.argmax())
