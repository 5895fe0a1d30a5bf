"""The staged strategy, built for small models: select, name the sides, judge, attribute,
ask for the open issues.

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
   (trained leave-one-article-out on the gold set) decide its demands and concessions
   (and, in variants that do not ask step 6's question, its open issues). The sentence
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
5. **Demands and concessions** (``items.py``): each item's text is its sentence, an
   exact span of the article, faithful by construction. A sentence that introduces a
   list (ends with ":") or thanks someone gives no item, and a side's demand restated
   later in the article is kept once (``restated.py``). The summary is the article's
   lede sentence.
6. **Open issues** (``prompts/staged-open``, one constrained call, ``open_issues.py``):
   the model reads the whole article and lists one to three open issues as short
   phrases; code keeps the first two, ties each to the sentence most like it (its
   evidence) and re-asks, then drops, a phrase that says what its sentence does not (a
   number, a negation, a polarity word, a name).

Variants (``--strategy``), for the ablation in evals/README.md:
``staged`` (all of the above), ``staged-selector`` (no judgements: the prefilter's
heads decide every field), ``staged-choice`` (the model picks the acting side as a
multiple choice among the declared sides and "both", read from token probabilities),
``staged-heads-oi`` (no step 6: the final heads' open-issue sentences, the default
until run 13).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from ..backends import Backend
from ..errors import SummarizerError
from ..grounding.citations import Items
from ..grounding.sentences import Sentence
from ..io.inputs import Article, article_sha256
from ..prompts import Prompt, load_prompt
from ..schema import OpenIssue, Party, PromptInfo
from .attribution import BOTH, actor, complete_sides, expand_aliases
from .gate import THRESHOLD as GATE_THRESHOLD
from .gate import Gate, load_gate
from .items import Decision, items_of, lede
from .judge import QUESTIONS, judge_messages, judge_prompt, judgement_features
from .open_examples import OpenExamples, load_examples
from .open_issues import OpenIssueList, Tie, open_issue_items, open_request
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

VARIANTS = ("staged", "staged-selector", "staged-choice", "staged-heads-oi")
#: Variants whose open issues come from the whole-article call (``open_issues.py``);
#: the others take the sentences the heads pass as open issues.
ASKED_OPEN = ("staged", "staged-choice")
LETTERS = "ABCDEFG"
LEDE_SENTENCES = 2  # read by the sides call besides the candidates
#: Part of the stamp (and so of the cache key): bump it whenever the code's rules
#: (attribution, repairs, items) change what the strategy outputs for the same prompts.
RULES_REVISION = "21"  # 21: the engine's grammar closes every object (engine.closed)


def excerpt(sentences: Sequence[Sentence]) -> str:
    return "\n".join(f"[{s.number}] {' '.join(s.text.split())}" for s in sentences)


@dataclass
class StagedStrategy:
    """See the module docstring."""

    variant: str = "staged"
    max_reasks: int = 1
    temperature: float = 0.0
    salvage: bool = True  # False: a failed open-issue call fails the article
    selector: Selector | None = None
    gate: Gate | None = None
    floors: Floors | None = None
    open_examples: OpenExamples | None = None

    def __post_init__(self) -> None:
        self.parties_prompt: Prompt = load_prompt("staged-parties")
        self.judge_prompt: Prompt = judge_prompt()
        self.attribute_prompt: Prompt = load_prompt("staged-attribute")
        self.open_prompt: Prompt = load_prompt("staged-open")
        if self.selector is None:
            self.selector = load_selector()
        if self.gate is None:
            self.gate = load_gate()
        if self.floors is None:
            self.floors = load_floors()
        if self.open_examples is None:
            self.open_examples = load_examples()

    @property
    def name(self) -> str:
        return self.variant

    @property
    def info(self) -> PromptInfo:
        """One stamp for the four prompts, the selector's and gate's weights, the
        prefilter's floors, the open-issue examples and the rules' revision."""
        assert self.selector is not None and self.gate is not None and self.floors is not None
        assert self.open_examples is not None
        prompts = (self.parties_prompt, self.judge_prompt, self.attribute_prompt, self.open_prompt)
        weights = (
            self.selector.sha256,
            self.gate.sha256,
            self.floors.sha256,
            self.open_examples.sha256,
        )
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
        asked = self.variant in ASKED_OPEN
        if asked:  # the open issues come from the whole-article call below
            for d in decisions:
                d.fields = tuple(f for f in d.fields if f != "open_issues")
            decisions = [d for d in decisions if d.fields]
        self._attribute(backend, decisions, parties, meter, article)
        items = items_of(decisions, parties, sentences)
        if asked:
            items.open_issues = self._open_issues(
                backend, article, sentences, x, candidates, parties, meter
            )
        return items

    def _open_issues(
        self,
        backend: Backend,
        article: Article,
        sentences: Sequence[Sentence],
        x: Vector,
        candidates: Sequence[Candidate],
        parties: list[Party],
        meter: Meter,
    ) -> list[OpenIssue]:
        """One call lists the article's open issues; code ties each to its sentence
        (``open_issues.py``)."""
        assert self.open_examples is not None
        examples = self.open_examples.choose(article_sha256(article.text), article.text, x)
        tie = Tie(sentences, x, frozenset(e.phrase for e in examples))
        shown = [c.sentence for c in candidates]
        request = open_request(
            self.open_prompt,
            article.text,
            sentences,
            shown,
            tie,
            examples=examples,
            max_reasks=self.max_reasks,
            temperature=self.temperature,
            salvage=self.salvage,
        )
        try:
            answer = structured(backend, request, meter)
        except SummarizerError as exc:
            if not self.salvage:
                raise
            log.warning("%s: no open issues: %s", article.name, exc)
            return []
        assert isinstance(answer, OpenIssueList)
        return open_issue_items(answer, tie, parties)

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
