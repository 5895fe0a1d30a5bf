"""Items from the staged strategy's decisions: which sentence states what, for whom.

Each item's text and evidence are its sentence, an exact span of the article, faithful
by construction. A sentence that introduces a list (ends with ":") or only thanks
someone gives no item; a concession never comes from a sentence that says an act did
not happen or a restriction goes on; a side's demand restated later in the article is
kept once (``restated.py``). The summary is the article's lede sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..grounding.citations import Items, sentence_evidence
from ..grounding.faithfulness import negated_act, ongoing_restriction
from ..grounding.sentences import Sentence
from ..schema import Concession, Demand, OpenIssue, Party
from .attribution import BOTH, sides_named
from .encoder import DIM
from .restated import Said, drop_restated
from .selector import Candidate

MAX_TEXT = 600  # schema.NonEmpty


def lede(sentences: Sequence[Sentence]) -> str:
    """The first sentence of at least six words: the article's own summary of itself."""
    for s in sentences:
        if len(s.text.split()) >= 6:
            return s.text[:MAX_TEXT].strip()
    return sentences[0].text[:MAX_TEXT].strip() if sentences else ""


def attribute(
    by: str, names: Sequence[str], mentioned: Sequence[str]
) -> list[tuple[str, str | None]]:
    """(by, to) pairs after repair: "both" is one item per side, and with exactly two
    sides ``to`` is the other one."""
    if by == BOTH:
        pool = list(mentioned) if len(mentioned) >= 2 else list(names)
        return [(b, _other(b, names)) for b in pool[:2]]
    return [(by, _other(by, names))]


def _other(by: str, names: Sequence[str]) -> str | None:
    others = [n for n in names if n != by]
    return others[0] if len(others) == 1 else None


@dataclass
class Decision:
    """What the strategy decided for one candidate sentence."""

    candidate: Candidate
    fields: tuple[str, ...]
    actors: dict[str, str] = field(default_factory=dict)  # field -> side name or "both"


def items_of(
    decisions: Sequence[Decision], parties: list[Party], sentences: Sequence[Sentence]
) -> Items:
    """Items from decisions: each item's text and evidence are its sentence; a side's
    demand restated later in the article is kept once (``restated.py``)."""
    out = Items(parties=parties, summary=lede(sentences))
    names = [p.name for p in parties]
    said: dict[int, Said] = {}
    for d in decisions:
        s = d.candidate.sentence
        if states_no_act(s.text):
            continue
        evidence = [sentence_evidence(s)]
        text = s.text[:MAX_TEXT].strip()
        mentioned = sides_named(s.text, parties)
        said[s.number] = Said(d.candidate.features[:DIM], frozenset(mentioned))
        for f in d.fields:
            if f != "open_issues" and len(names) < 2:
                continue  # a demand or a concession needs another side
            if f == "concessions" and (negated_act(s.text) or ongoing_restriction(s.text)):
                continue  # "did not agree to ...", "continued to restrict ...": never a concession
            if f == "open_issues":
                out.open_issues.append(
                    OpenIssue(text=text, parties=mentioned or names, evidence=evidence)
                )
                continue
            if f == "demands" and d.actors[f] == BOTH and len(names) == 2:
                continue  # "China and the United States agreed to hold talks": joint, not asked
            for by, to in attribute(d.actors[f], names, mentioned):
                if f == "demands":
                    out.demands.append(Demand(party=by, to=to, text=text, evidence=evidence))
                else:
                    out.concessions.append(
                        Concession(
                            party=by, to=to, text=text, status=status_of(s.text), evidence=evidence
                        )
                    )
    out.demands = drop_restated(out.demands, said)
    return out


_THANKS = re.compile(
    r"^((today|first|again|also),?\s+)?(I|We|Let me|Let us)\s+((also|again|deeply|truly|"
    r"especially|want to|would like to|must)\s+)*"
    r"(thank|am grateful|are grateful|give (special )?thanks)\b"
    r"|^(I['\u2019]m|We['\u2019]re|I['\u2019]d like to|We['\u2019]d like to)\s+((also|deeply|"
    r"truly)\s+)*(grateful|thank)\b",
    re.IGNORECASE,
)
_SECOND_CLAUSE = re.compile(r"[,;]\s+(and|but|while)\s+(I|we|they|he|she|it|the)\b|;", re.I)


def states_no_act(sentence: str) -> bool:
    """A sentence that introduces a list ("The Parties commit to take the following
    actions:"; its items follow) or only thanks someone ("I thank the Emir of Qatar for
    ..."; not "We thank Qatar, and we call on Hamas to ...") states no demand,
    concession or open issue of its own."""
    text = sentence.strip()
    if text.endswith(":"):
        return True
    return _THANKS.match(text) is not None and _SECOND_CLAUSE.search(text) is None


_IMPLEMENTED = re.compile(
    r"\b(lowered|reduced|removed|suspended|lifted|released|cut|eliminated|signed|"
    r"approved|delivered|paid|implemented|took effect|has (agreed|begun))\b",
    re.IGNORECASE,
)
_OFFERED = re.compile(r"\b(offer(s|ed)?|propos(e|ed|es|al)|would|could|willing)\b", re.IGNORECASE)


def status_of(sentence: str) -> Any:
    """offered / agreed / implemented, from the sentence's verbs (agreed by default)."""
    if _OFFERED.search(sentence):
        return "offered"
    if _IMPLEMENTED.search(sentence):
        return "implemented"
    return "agreed"
