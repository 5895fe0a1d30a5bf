"""Attribution without a model: who demands or concedes in a sentence.

    python bench/attribution.py [--show gold|written]

Two labelled sets, each sentence with its declared sides and the acting side(s):
- the gold set's required demands and concessions, by evidence sentence (the sides and
  aliases are the gold file's); the rules of ``strategies/attribution.py`` were written
  while reading the failures of this set;
- the 508 written training sentences (``evals/training/sentences.jsonl``; sides
  without aliases, so the code's alias expansion does all the work), first measured
  after the rules were written.

A sentence counts as right when the set of acting sides after the strategy's repair
("both" is one item per side) equals the labelled set. Compared: the role rules
(``actor``) and naming order (the side named first, "both" on a "both sides" phrase),
the rule the staged strategy used before.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from pathlib import Path

from summarizer.evaluation.gold import load_gold_dir
from summarizer.grounding.sentences import split_sentences
from summarizer.schema import Party
from summarizer.strategies.attribution import actor, expand_aliases, first_mention
from summarizer.strategies.items import attribute

ROOT = Path(__file__).resolve().parent.parent
_BOTH = re.compile(
    r"\b(both sides|both countries|both parties|both governments|both leaders|"
    r"the two (sides|countries|leaders|governments|parties|nations)|each other|each side|"
    r"mutual(ly)?|jointly|reciprocal)\b",
    re.IGNORECASE,
)


def named_first(sentence: str, parties: Sequence[Party]) -> str:
    """The previous rule: the side the sentence names first."""
    if _BOTH.search(sentence) and len(parties) >= 2:
        return "both"
    named = sorted((first_mention(sentence, p), p.name) for p in parties)
    named = [n for n in named if n[0] >= 0]
    return named[0][1] if named else parties[0].name


def acting(by: str, sentence: str, parties: Sequence[Party]) -> set[str]:
    names = [p.name for p in parties]
    mentioned = [p.name for p in parties if first_mention(sentence, p) >= 0]
    return {b for b, _ in attribute(by, names, mentioned)}


def cases(which: str) -> list[tuple[str, list[Party], str, set[str]]]:
    """(sentence, sides, act, acting sides) of one set."""
    out: list[tuple[str, list[Party], str, set[str]]] = []
    if which == "gold":
        for gold in load_gold_dir(ROOT / "evals"):
            sides = [Party(name=p.name, aliases=list(p.aliases)) for p in gold.parties]
            sides = [s for s, p in zip(sides, gold.parties, strict=True) if not p.optional]
            sentences = split_sentences(gold.article)
            grouped: dict[tuple[str, int], tuple[str, set[str]]] = {}
            for field in ("demands", "concessions"):
                for item in gold.items(field):
                    if item.optional or not item.span or not item.party:
                        continue
                    s = next(
                        s for s in sentences if s.start < item.span[1] and item.span[0] < s.end
                    )
                    grouped.setdefault((field, s.number), (s.text, set()))[1].add(item.party)
            for (field, _), (text, bys) in grouped.items():
                out.append((text, sides, field.removesuffix("s"), bys))
        return out
    path = ROOT / "evals" / "training" / "sentences.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    grouped_w: dict[tuple[str, str], tuple[list[str], set[str]]] = {}
    for row in rows:
        if row["label"] in ("demand", "concession") and row["by"]:
            key = (row["sentence"], row["label"])
            grouped_w.setdefault(key, (row["parties"], set()))[1].add(row["by"])
    for (text, label), (names, bys) in grouped_w.items():
        out.append((text, [Party(name=n) for n in names], label, bys))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", choices=("gold", "written"), help="print the misses")
    args = parser.parse_args()
    for which in ("gold", "written"):
        rows = cases(which)
        old = new = 0
        for text, sides, act, truth in rows:
            expanded = expand_aliases(sides)
            old += acting(named_first(text, sides), text, sides) == truth
            got = acting(actor(text, expanded, act), text, expanded)
            new += got == truth
            if args.show == which and got != truth:
                print(
                    f"{act}: labelled {sorted(truth)}, got {sorted(got)}: {' '.join(text.split())}"
                )
        print(
            f"{which}: {len(rows)} sentences; naming order {old / len(rows):.3f}, "
            f"role rules {new / len(rows):.3f}"
        )


if __name__ == "__main__":
    main()
