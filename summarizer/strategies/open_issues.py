"""Open issues, asked of the whole article (``prompts/staged-open``).

The sentence classifier ranks open issues poorly (among the gold articles' candidate
sentences, no signal it has reaches an area under the ROC curve of 0.64), and a whole
sentence scores low against the short phrases readers use for them. So the staged
strategy asks the model once, with the whole article, for one to three open issues as
short phrases ("whether the duty cut will cover hybrid models"), showing it three
sentence-and-phrase pairs from other gold articles (``open_examples.py``), then in code:

- keeps the first :data:`MAX_KEPT` (two) of them;
- ties each phrase to the article sentence most like it (MiniLM cosine, at least
  :data:`TIE_FLOOR`): that sentence is the item's evidence, an exact span; when that
  sentence lacks only a name the phrase has, the next most like it above the floor
  that has it and passes every check;
- rejects a phrase copied from the prompt's examples, tied to no sentence, or unfaithful
  to its sentence
  (``faithfulness.problem``: a number, a negation, a polarity word or a name the
  sentence does not have), and re-asks with the reasons; when the re-asks are spent,
  such a phrase is dropped;
- keeps one phrase per sentence, and none on a sentence that introduces a list or only
  thanks someone (``items.states_no_act``).

The item's text is the phrase: an explicit paraphrase, checked against its evidence.
An article longer than :data:`MAX_CHARS` is shown as its first and last sentences and
as many of the selector's candidates as fit, in article order. When the call fails
(a cut-off answer, a provider error), the article keeps its other items and gets no
open issues, unless salvage is off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..grounding.citations import sentence_evidence
from ..grounding.faithfulness import problem
from ..grounding.sentences import Sentence
from ..prompts import Prompt
from ..schema import OpenIssue, Party
from .attribution import sides_named
from .encoder import DIM, shared_encoder
from .items import states_no_act
from .open_examples import OpenExample
from .selector import Vector
from .structured import Meter, Request, Rescue

#: The least cosine similarity between a phrase and the sentence it is tied to.
TIE_FLOOR = 0.3
MAX_LISTED = 3  # phrases the model may list
#: Phrases kept, the first ones (the prompt asks for the most important first): in run
#: 15 none of the 7 third phrases matched a required gold issue, and the cap chosen
#: leave-one-article-out among 1, 2 and 3 was 2 for all 17 held-out articles
#: (evals/README.md, "Run 16"). A phrase past the cap is dropped before any check, so
#: it is never re-asked. Bump ``staged.RULES_REVISION`` when changing it.
MAX_KEPT = 2
MAX_PHRASE = 200  # characters


def phrase_key(text: str) -> str:
    """A phrase's words, lower case, without punctuation: a copied example is the same
    phrase whatever its quotes, case or final mark."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


#: The prompt's invented example answer (``prompts/staged-open.system.j2``): a phrase
#: copied from it says nothing about the article ("date of the next round of talks"
#: was copied onto a statement that sets no date).
EXAMPLE_PHRASES = frozenset(
    {"whether the duty cut will cover hybrid models", "date of the next round of talks"}
)
#: Longer articles are shown in part (about 4,000 tokens; the engine's slot has 8,192).
MAX_CHARS = 16_000
EDGE_SENTENCES = 3  # shown from each end of a long article


class OpenIssueList(BaseModel):
    """The model's answer: one to three short phrases, of which the first
    :data:`MAX_KEPT` are kept."""

    open_issues: list[Annotated[str, StringConstraints(max_length=MAX_PHRASE)]] = Field(
        min_length=1, max_length=MAX_LISTED
    )

    @field_validator("open_issues", mode="before")
    @classmethod
    def _first(cls, value: Any) -> Any:
        """Only the first :data:`MAX_KEPT` phrases are read, so nothing past them (too
        long, not a string) can fail the answer."""
        return value[:MAX_KEPT] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> OpenIssueList:
        tie: Tie | None = (info.context or {}).get("tie")
        if tie is None:
            return self
        problems = []
        for i, phrase in enumerate(self.open_issues):
            why = tie(phrase)[1]
            if why:
                problems.append(f"open_issues[{i}] {phrase!r}: {why}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


Tied = tuple[Sentence | None, str | None]


@dataclass(frozen=True, eq=False)
class Tie:
    """Ties a phrase to the article sentence most like it. Each phrase is tied once:
    the validator, the rescue and :func:`open_issue_items` ask for the same phrases."""

    sentences: Sequence[Sentence]
    vectors: Vector  # the sentences' MiniLM embeddings (n x DIM, L2-normalised)
    #: the phrases of the examples from other reports the call was shown
    #: (``open_examples.py``)
    examples: frozenset[str] = frozenset()
    _seen: dict[str, Tied] = field(default_factory=dict, init=False, repr=False)

    def __call__(self, phrase: str) -> Tied:
        """The sentence and why the phrase may not stand for it (None: it may)."""
        text = " ".join(phrase.split())
        if text not in self._seen:
            self._seen[text] = self._tie(text)
        return self._seen[text]

    def _tie(self, text: str) -> Tied:
        if not self.sentences:
            return None, "the report has no sentences"
        if not text or len(text) > MAX_PHRASE:
            return None, f"write a short phrase of at most {MAX_PHRASE} characters"
        shown = {phrase_key(p) for p in (*EXAMPLE_PHRASES, *self.examples)}
        if phrase_key(text) in shown:
            return None, "that phrase is the example's, not this report's"
        vector = shared_encoder().embed([text])[0].astype(np.float64)
        sims = self.vectors[:, :DIM] @ vector
        order = [int(i) for i in np.argsort(-sims, kind="stable")]
        best = order[0]
        if sims[best] < TIE_FLOOR:
            return None, "the report says nothing like it: use the report's own words"
        sentence = self.sentences[best]
        why = problem(text, sentence.text)
        if why is not None and problem(text, sentence.text, names=False) is None:
            # Faithful but for a name: the next most similar sentence above the floor
            # that names it and passes every check is the evidence ("whether the family
            # of Bob Levinson will receive answers" against "The Levinson family deserves
            # answers." and "... what happened to Bob Levinson.").
            for i in order[1:]:
                if sims[i] < TIE_FLOOR:
                    break
                if problem(text, self.sentences[i].text) is None:
                    return self.sentences[i], None
        return sentence, why


def open_request(
    prompt: Prompt,
    text: str,
    sentences: Sequence[Sentence],
    shown: Sequence[Sentence],
    tie: Tie,
    *,
    examples: Sequence[OpenExample] = (),
    max_reasks: int,
    temperature: float = 0.0,
    salvage: bool = True,
) -> Request:
    """The call: the article, or, when it is longer than :data:`MAX_CHARS`, its first
    and last sentences and then as many of ``shown`` as fit, in article order, after
    the ``examples`` from other reports (``open_examples.py``). With
    ``salvage``, phrases still rejected after the re-asks are dropped; without it the
    call fails."""
    if len(text) > MAX_CHARS:
        edges = [*sentences[:EDGE_SENTENCES], *sentences[-EDGE_SENTENCES:]]
        wanted: dict[int, str] = {}
        for s in [*edges, *shown]:
            line = " ".join(s.text.split())
            used = sum(len(w) + 1 for w in wanted.values())  # each line and its newline
            if s.number not in wanted and used + len(line) <= MAX_CHARS:
                wanted[s.number] = line
        text = "\n".join(wanted[n] for n in sorted(wanted))
    return Request(
        messages=prompt.messages(
            text=text, examples=[{"sentence": e.sentence, "phrase": e.phrase} for e in examples]
        ),
        response_model=OpenIssueList,
        max_reasks=max_reasks,
        max_tokens=300,  # three phrases of at most MAX_PHRASE characters fit
        temperature=temperature,
        rescue=_rescuer(tie) if salvage else None,
        context={"tie": tie},
    )


def _rescuer(tie: Tie) -> Rescue:
    """When the re-asks are spent: the last answer's phrases that may stand, or none."""

    def rescue(text: str | None, meter: Meter) -> OpenIssueList | None:
        try:
            data: Any = json.loads(text or "")
        except json.JSONDecodeError:
            return None
        found = data.get("open_issues") if isinstance(data, dict) else None
        if not isinstance(found, list):
            return None
        phrases = [p for p in found if isinstance(p, str)][:MAX_KEPT]
        kept = [p for p in phrases if _stands(tie(p))]
        meter.dropped_items += len(phrases) - len(kept)
        return OpenIssueList.model_construct(open_issues=kept)

    return rescue


def _stands(tied: Tied) -> bool:
    return tied[0] is not None and tied[1] is None


def open_issue_items(answer: OpenIssueList, tie: Tie, parties: Sequence[Party]) -> list[OpenIssue]:
    """One item per phrase that stands, one per sentence; the sides its sentence names
    (all the sides when it names none)."""
    out: list[OpenIssue] = []
    used: set[int] = set()
    for phrase in answer.open_issues[:MAX_KEPT]:
        sentence, why = tie(phrase)
        if sentence is None or why is not None or sentence.number in used:
            continue
        if states_no_act(sentence.text):
            continue  # a list's introduction or a thank-you states no issue
        used.add(sentence.number)
        named = sides_named(sentence.text, parties)
        out.append(
            OpenIssue(
                text=" ".join(phrase.split()),
                parties=named or [p.name for p in parties],
                evidence=[sentence_evidence(sentence)],
            )
        )
    return out
