"""The staged strategy, built for small models: select, name the sides, judge, attribute.

1. **Candidates** (no model call): the selector's prefilter (MiniLM embedding and cue
   words, ``selector.py``) keeps the sentences that may state a demand, a concession
   or an open issue.
2. **Sides** (``prompts/staged-parties``, one constrained call): the model reads the
   candidates and the article's first two sentences and lists the sides with their
   aliases; code repairs the list (``clean_parties``: a capital becomes its country,
   "EU trade officials" is not a side, people are dropped when two bodies remain).
3. **Judgements** (``prompts/staged-judge``): for each candidate, four one-token
   questions (demand? concession? open issue? which kind?). Their probabilities, not
   the greedy answers, join the sentence's features, and the selector's final heads
   (trained leave-one-article-out on the gold set) decide its fields. The sentence
   comes before the question, so the four questions share a cached prefix.
4. **Attribution** (``attribution.py``, no model call): the acting side is read from
   the roles the sentence gives each side: a side aimed at ("urged Japan", "tariffs on
   Chinese goods") or asked to act ("Washington should") is not the actor; two sides
   named as one subject, or "both sides", act together; otherwise the first side named
   as a subject acts. Sides are also found by demonym, capital and head noun. Right
   for 70% of the 70 gold evidence sentences (naming order alone: 51%) and 78% of 224
   written sentences (57%); the model's multiple-choice answer (variant
   ``staged-choice``) is weaker. Code repairs the rest: "both" is one item per side;
   ``to`` is the other side when there are two.
5. Each item's text is its sentence: an exact span of the article, faithful by
   construction. The summary is the article's lede sentence.

Variants (``--strategy``), for the ablation in evals/README.md:
``staged`` (all of the above), ``staged-selector`` (no judgements: the prefilter's
heads decide), ``staged-choice`` (the model picks the acting side as a multiple
choice among the declared sides and "both", read from token probabilities).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..backends import Backend
from ..grounding.citations import Items
from ..grounding.faithfulness import negated_act
from ..grounding.sentences import Sentence
from ..io.inputs import Article, article_sha256
from ..prompts import Prompt, load_prompt
from ..schema import (
    Concession,
    Demand,
    Evidence,
    OpenIssue,
    Party,
    PartyKind,
    PromptInfo,
    normalize_name,
)
from .attribution import (
    BOTH,
    actor,
    complete_sides,
    country_of,
    expand_aliases,
    first_mention,
)
from .judge import QUESTIONS, judge_messages, judge_prompt, judgement_features
from .selector import Candidate, Selector, load_selector
from .structured import Meter, Request, choose, structured

MAX_TEXT = 600  # schema.NonEmpty
VARIANTS = ("staged", "staged-selector", "staged-choice")
LETTERS = "ABCDEFG"
LEDE_SENTENCES = 2  # read by the sides call besides the candidates


class StagedParty(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    kind: PartyKind
    aliases: list[str] = Field(default_factory=list, max_length=4)

    @field_validator("aliases")
    @classmethod
    def _short(cls, value: list[str]) -> list[str]:
        return [a.strip() for a in value if a.strip() and len(a) <= 60]


class StagedParties(BaseModel):
    """Stage 2's answer."""

    model_config = ConfigDict(extra="forbid")

    parties: list[StagedParty] = Field(min_length=1, max_length=6)


def excerpt(sentences: Sequence[Sentence]) -> str:
    return "\n".join(f"[{s.number}] {' '.join(s.text.split())}" for s in sentences)


def lede(sentences: Sequence[Sentence]) -> str:
    """The first sentence of at least six words: the article's own summary of itself."""
    for s in sentences:
        if len(s.text.split()) >= 6:
            return s.text[:MAX_TEXT].strip()
    return sentences[0].text[:MAX_TEXT].strip() if sentences else ""


#: Words that name the people acting for a side, not a side ("EU trade officials").
_STAFF = frozenset(
    "delegation delegations officials official side team negotiators negotiator "
    "representatives leadership trade envoys envoy".split()
)


def _core(name: str) -> str | None:
    """A name without the words for the people who act for a side ("EU trade
    officials": "eu"), or None when it has none of those words."""
    words = re.findall(r"[\w&]+", name.casefold().replace("\u2019", "'"))
    core = [w for w in words if w not in _STAFF]
    if len(core) == len(words):
        return None
    return " ".join(w for w in core if w not in ("the", "of", "s"))


def clean_parties(found: StagedParties, article: str) -> list[Party]:
    """Declared sides that the article names, repaired:

    - a country declared by another of its names becomes the country, with that name
      as an alias ("Brussels": European Union; "Manila": Philippines);
    - a side named for the people acting for another side ("EU trade officials",
      "Chinese negotiators") or for no one ("officials") is dropped;
    - people are dropped when two or more sides that are not people remain: they speak
      or act for a side ("Secretary Rubio") or are the subject of the talks (detainees);
      between people and one body (a president and a speaker) they are the sides;
    - aliases are unique across sides, and never another country's name ("Beijing"
      listed under the United States).
    """
    declared: list[tuple[str, PartyKind, list[str]]] = []
    for p in found.parties:
        name = " ".join(p.name.split())
        aliases = [" ".join(a.split()) for a in p.aliases]
        country = country_of(name)
        if country is not None and normalize_name(country) != normalize_name(name):
            name, aliases = country, [name, *aliases]
        declared.append((name, p.kind, aliases))
    kept = []
    for i, (name, kind, aliases) in enumerate(declared):
        core = _core(name)
        if core is not None:
            if not core:
                continue  # "officials"
            others = [d for j, d in enumerate(declared) if j != i]
            claimed = {normalize_name(x) for n, _, a in others for x in (n, *a)}
            owners = {country_of(x) for n, _, a in others for x in (n, *a)} - {None}
            if normalize_name(core) in claimed or country_of(core) in owners:
                continue  # "EU trade officials", "Chinese negotiators"
        kept.append((name, kind, aliases))
    parties: list[Party] = []
    seen: set[str] = set()
    countries = {country_of(n) for n, _, _ in kept} - {None}
    for name, kind, raw_aliases in kept:
        key = normalize_name(name)
        if not key or key in seen:
            continue
        own = country_of(name)
        aliases = []
        for alias in dict.fromkeys(raw_aliases):
            akey = normalize_name(alias)
            other = country_of(alias)
            if other is not None and other != own and (own is not None or other in countries):
                continue
            if akey and akey not in seen and akey != key:
                aliases.append(alias)
        party = Party(name=name, kind=kind, aliases=aliases)
        if first_mention(article, party) < 0:
            continue  # a side the article never names is invented
        seen.add(key)
        seen.update(normalize_name(a) for a in aliases)
        parties.append(party)
    if sum(p.kind != "person" for p in parties) >= 2:
        parties = [p for p in parties if p.kind != "person"]
    return parties


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

    def __post_init__(self) -> None:
        self.parties_prompt: Prompt = load_prompt("staged-parties")
        self.judge_prompt: Prompt = judge_prompt()
        self.attribute_prompt: Prompt = load_prompt("staged-attribute")
        if self.selector is None:
            self.selector = load_selector()

    @property
    def name(self) -> str:
        return self.variant

    @property
    def info(self) -> PromptInfo:
        """One stamp for the three prompts and the selector's weights."""
        assert self.selector is not None
        prompts = (self.parties_prompt, self.judge_prompt, self.attribute_prompt)
        parts = [p.sha256 for p in prompts] + [self.selector.sha256]
        digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()
        version = "+".join(p.version for p in prompts)
        return PromptInfo(name=self.variant, version=version, sha256=digest)

    # -- stages -------------------------------------------------------------------------
    def _candidates(self, article: Article, sentences: Sequence[Sentence]) -> list[Candidate]:
        assert self.selector is not None
        return self.selector.candidates(article_sha256(article.text), sentences)

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
            max_tokens=300,
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
        self, backend: Backend, decisions: list[Decision], parties: list[Party], meter: Meter
    ) -> None:
        names = [p.name for p in parties]
        letters = LETTERS[: len(names) + 1]
        sides = " ".join(
            f"{letter}) {name}" for letter, name in zip(letters, [*names, BOTH], strict=True)
        )
        for d in decisions:
            for f in d.fields:
                if f == "open_issues":
                    continue
                if self.variant != "staged-choice" or len(names) == 1:
                    act = "demand" if f == "demands" else "concession"
                    d.actors[f] = actor(d.candidate.sentence.text, parties, act)
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
        candidates = self._candidates(article, sentences)
        if not candidates:
            return Items(summary=lede(sentences))
        found = structured(backend, self._parties_request(article, sentences, candidates), meter)
        assert isinstance(found, StagedParties)
        declared = complete_sides(clean_parties(found, article.text), article.text)
        parties = expand_aliases(declared, article.text)
        if not parties:
            return Items(summary=lede(sentences))
        judgements = (
            [] if self.variant == "staged-selector" else self._judge(backend, candidates, meter)
        )
        decisions = self._decide(article, candidates, judgements)
        self._attribute(backend, decisions, parties, meter)
        return items_of(decisions, parties, sentences)

    async def arun(
        self, article: Article, sentences: Sequence[Sentence], backend: Backend, meter: Meter
    ) -> Items:
        return await asyncio.to_thread(self.run, article, sentences, backend, meter)


def items_of(
    decisions: Sequence[Decision], parties: list[Party], sentences: Sequence[Sentence]
) -> Items:
    """Items from decisions: each item's text and evidence are its sentence."""
    out = Items(parties=parties, summary=lede(sentences))
    names = [p.name for p in parties]
    for d in decisions:
        s = d.candidate.sentence
        evidence = [Evidence(start=s.start, end=s.end, text=s.text, sentence=s.number)]
        text = s.text[:MAX_TEXT].strip()
        mentioned = [p.name for p in parties if first_mention(s.text, p) >= 0]
        for f in d.fields:
            if f != "open_issues" and len(names) < 2:
                continue  # a demand or a concession needs another side
            if f == "concessions" and negated_act(s.text):
                continue  # "did not agree to ...": never a concession
            if f == "open_issues":
                out.open_issues.append(
                    OpenIssue(text=text, parties=mentioned or names, evidence=evidence)
                )
                continue
            for by, to in attribute(d.actors[f], names, mentioned):
                if f == "demands":
                    out.demands.append(Demand(party=by, to=to, text=text, evidence=evidence))
                else:
                    out.concessions.append(
                        Concession(
                            party=by, to=to, text=text, status=status_of(s.text), evidence=evidence
                        )
                    )
    return out


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
