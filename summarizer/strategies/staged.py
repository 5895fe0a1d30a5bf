"""The staged strategy, built for small models: select, name the sides, judge, attribute.

1. **Candidates** (no model call): the selector's prefilter (MiniLM embedding and cue
   words, ``selector.py``) keeps the sentences whose best score reaches its floor
   (0.4, chosen leave-one-article-out by ``bench/floor.py``; at most 16); the gate
   (``gate.py``) reads the whole text, and a text that is not a negotiation gets no
   items and no model call.
2. **Sides** (``prompts/staged-parties``, one constrained call): the model reads the
   candidates and the article's first two sentences and lists the sides with their
   aliases; code repairs the list (``clean_parties``: a capital becomes its country,
   "EU trade officials" is not a side, people are dropped when two bodies remain, and
   so are groups the talks are about, "Palestinian families") and
   adds the author a title names ("Statement from President Joe Biden on ...") when
   no side speaks for them and no state is a side (``sides.add_author``), and a
   legislature the body names five times or more ("I am calling on Congress to ...";
   ``sides.add_legislature``).
3. **Judgements** (``prompts/staged-judge``): for each candidate, four one-token
   questions (demand? concession? open issue? which kind?). Their probabilities, not
   the greedy answers, join the sentence's features, and the selector's final heads
   (trained leave-one-article-out on the gold set) decide its fields. The sentence
   comes before the question, so the four questions share a cached prefix.
4. **Attribution** (``attribution.py``, no model call): the acting side is read from
   the roles the sentence gives each side: a side aimed at ("urged Japan", "tariffs on
   Chinese goods") or asked to act ("Washington should") is not the actor; two sides
   named as one subject, or "both sides", act together; otherwise the first side named
   as a subject acts; in a first-person sentence no side is the subject of ("I am
   calling on Congress to"), the author's side acts. Sides are also found by demonym,
   capital, seat of government ("the Pentagon") and head noun. Right for 73% of the 70
   gold evidence sentences (naming order alone: 51%) and 80% of 224 written sentences
   (57%); the model's multiple-choice answer (variant ``staged-choice``) is weaker.
   Code repairs the rest: "both" is one item per side, but a joint act of the only two
   sides is no demand ("China and the United States agreed to hold talks"); ``to`` is
   the other side when there are two.
5. Each item's text is its sentence: an exact span of the article, faithful by
   construction. A sentence that introduces a list (ends with ":") or thanks someone
   gives no item, and a side's demand restated later in the article is kept once
   (``restated.py``). The summary is the article's lede sentence.

Variants (``--strategy``), for the ablation in evals/README.md:
``staged`` (all of the above), ``staged-selector`` (no judgements: the prefilter's
heads decide), ``staged-choice`` (the model picks the acting side as a multiple
choice among the declared sides and "both", read from token probabilities).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..backends import Backend
from ..grounding.citations import Items
from ..grounding.faithfulness import negated_act, ongoing_restriction
from ..grounding.sentences import Sentence
from ..io.inputs import Article, article_sha256
from ..prompts import Prompt, load_prompt
from ..schema import (
    Concession,
    Demand,
    Evidence,
    OpenIssue,
    Party,
    PromptInfo,
)
from .attribution import (
    BOTH,
    actor,
    complete_sides,
    expand_aliases,
    first_mention,
)
from .encoder import DIM
from .gate import THRESHOLD as GATE_THRESHOLD
from .gate import Gate, load_gate
from .judge import QUESTIONS, judge_messages, judge_prompt, judgement_features
from .restated import Said, drop_restated
from .selector import Candidate, Floors, Selector, Vector, load_floors, load_selector
from .sides import (
    StagedParties,
    add_author,
    add_legislature,
    author_of,
    clean_parties,
    speaker_side,
)
from .structured import Meter, Request, choose, structured

log = logging.getLogger("summarizer")

MAX_TEXT = 600  # schema.NonEmpty
VARIANTS = ("staged", "staged-selector", "staged-choice")
LETTERS = "ABCDEFG"
LEDE_SENTENCES = 2  # read by the sides call besides the candidates
#: Part of the stamp (and so of the cache key): bump it whenever the code's rules
#: (attribution, repairs, items) change what the strategy outputs for the same prompts.
RULES_REVISION = "14"


def excerpt(sentences: Sequence[Sentence]) -> str:
    return "\n".join(f"[{s.number}] {' '.join(s.text.split())}" for s in sentences)


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


@dataclass
class StagedStrategy:
    """See the module docstring."""

    variant: str = "staged"
    max_reasks: int = 1
    temperature: float = 0.0
    selector: Selector | None = None
    gate: Gate | None = None
    floors: Floors | None = None

    def __post_init__(self) -> None:
        self.parties_prompt: Prompt = load_prompt("staged-parties")
        self.judge_prompt: Prompt = judge_prompt()
        self.attribute_prompt: Prompt = load_prompt("staged-attribute")
        if self.selector is None:
            self.selector = load_selector()
        if self.gate is None:
            self.gate = load_gate()
        if self.floors is None:
            self.floors = load_floors()

    @property
    def name(self) -> str:
        return self.variant

    @property
    def info(self) -> PromptInfo:
        """One stamp for the three prompts, the selector's and gate's weights, the
        prefilter's floors and the rules' revision."""
        assert self.selector is not None and self.gate is not None and self.floors is not None
        prompts = (self.parties_prompt, self.judge_prompt, self.attribute_prompt)
        weights = (self.selector.sha256, self.gate.sha256, self.floors.sha256)
        parts = [p.sha256 for p in prompts] + list(weights) + [RULES_REVISION]
        digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()
        version = "+".join(p.version for p in prompts)
        return PromptInfo(name=self.variant, version=version, sha256=digest)

    # -- stages -------------------------------------------------------------------------
    def _select(
        self, sha: str, sentences: Sequence[Sentence]
    ) -> tuple[Vector, Vector, list[Candidate]]:
        """Every sentence's features and prefilter scores (shared by the candidates and
        the gate), and the candidates at the article's floor."""
        assert self.selector is not None and self.floors is not None
        x, probs = self.selector.score(sha, sentences)
        floor = self.floors.for_article(sha)
        return x, probs, self.selector.candidates(sentences, x, probs, floor=floor)

    def _candidates(self, article: Article, sentences: Sequence[Sentence]) -> list[Candidate]:
        return self._select(article_sha256(article.text), sentences)[2]

    def _parties_request(
        self, article: Article, sentences: Sequence[Sentence], candidates: Sequence[Candidate]
    ) -> Request:
        """The sides call reads the candidates and the article's first sentences, where
        reports introduce the sides by their full names."""
        wanted = {c.sentence.number for c in candidates}
        wanted.update(s.number for s in sentences[:LEDE_SENTENCES])
        messages = self.parties_prompt.messages(
            title=article.title, excerpt=excerpt([s for s in sentences if s.number in wanted])
        )
        return Request(
            messages=messages,
            sentences=tuple(c.sentence for c in candidates),
            max_reasks=self.max_reasks,
            max_tokens=600,  # six sides with four aliases each fit; 300 was cut off
            temperature=self.temperature,
            response_model=StagedParties,
        )

    def _judge(
        self, backend: Backend, candidates: Sequence[Candidate], meter: Meter
    ) -> list[list[float]]:
        rows = []
        for c in candidates:  # sentence-major: the questions share the sentence's prefix
            probs = {
                q: choose(backend, judge_messages(q, c.sentence.text), options, meter)
                for q, options in QUESTIONS.items()
            }
            rows.append(judgement_features(probs))
        return rows

    def _decide(
        self, article: Article, candidates: Sequence[Candidate], judgements: list[list[float]]
    ) -> list[Decision]:
        assert self.selector is not None
        sha = article_sha256(article.text)
        if self.variant == "staged-selector":
            chosen = self.selector.prefilter_decide(sha, candidates)
        else:
            chosen = [f for f, _ in self.selector.decide(sha, candidates, judgements)]
        return [Decision(c, f) for c, f in zip(candidates, chosen, strict=True) if f]

    def _attribute(
        self,
        backend: Backend,
        decisions: list[Decision],
        parties: list[Party],
        meter: Meter,
        article: Article,
    ) -> None:
        names = [p.name for p in parties]
        if self.variant != "staged-choice" or len(names) == 1:
            attribute_by_roles(decisions, parties, speaker_side(parties, author_of(article.title)))
            return
        letters = LETTERS[: len(names) + 1]
        sides = " ".join(
            f"{letter}) {name}" for letter, name in zip(letters, [*names, BOTH], strict=True)
        )
        for d in decisions:
            for f in d.fields:
                if f == "open_issues":
                    continue
                messages = self.attribute_prompt.messages(
                    sides=sides,
                    sentence=" ".join(d.candidate.sentence.text.split()),
                    act="demand" if f == "demands" else "concession",
                )
                probs = choose(backend, messages, list(letters), meter)
                best = max(letters, key=lambda k: probs[k])
                d.actors[f] = [*names, BOTH][letters.index(best)]

    def run(
        self, article: Article, sentences: Sequence[Sentence], backend: Backend, meter: Meter
    ) -> Items:
        assert self.gate is not None
        sha = article_sha256(article.text)
        x, probs, candidates = self._select(sha, sentences)
        if not candidates:
            return Items(summary=lede(sentences))
        p = self.gate.probability(sha, x, probs)
        if p < GATE_THRESHOLD:
            log.info("%s: not a negotiation (P %.2f): no items extracted", article.name, p)
            return Items(summary=lede(sentences))
        found = structured(backend, self._parties_request(article, sentences, candidates), meter)
        assert isinstance(found, StagedParties)
        parties = declare_sides(found, article)
        if not parties:
            return Items(summary=lede(sentences))
        judgements = (
            [] if self.variant == "staged-selector" else self._judge(backend, candidates, meter)
        )
        decisions = self._decide(article, candidates, judgements)
        self._attribute(backend, decisions, parties, meter, article)
        return items_of(decisions, parties, sentences)

    async def arun(
        self, article: Article, sentences: Sequence[Sentence], backend: Backend, meter: Meter
    ) -> Items:
        return await asyncio.to_thread(self.run, article, sentences, backend, meter)


def declare_sides(found: StagedParties, article: Article) -> list[Party]:
    """The sides call's answer repaired (``sides.clean_parties``), with the countries
    the text names often (``complete_sides``), then its author when no side speaks for
    them and no state is a side (``sides.add_author``), then a legislature the text
    names often (``sides.add_legislature``), and every side's other names
    (``expand_aliases``)."""
    completed = complete_sides(clean_parties(found, article.text), article.text)
    authored = add_author(completed, author_of(article.title), article)
    legislated = add_legislature(authored, article)
    return expand_aliases(legislated, article.text)


def attribute_by_roles(
    decisions: Sequence[Decision], parties: list[Party], speaker: str | None = None
) -> None:
    """The acting side of each demand and concession, from the roles the sentence gives
    the sides and the author's side (``attribution.actor``; no model call)."""
    for d in decisions:
        for f in d.fields:
            if f != "open_issues":
                act = "demand" if f == "demands" else "concession"
                d.actors[f] = actor(d.candidate.sentence.text, parties, act, speaker)


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
        evidence = [Evidence(start=s.start, end=s.end, text=s.text, sentence=s.number)]
        text = s.text[:MAX_TEXT].strip()
        mentioned = [p.name for p in parties if first_mention(s.text, p) >= 0]
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
