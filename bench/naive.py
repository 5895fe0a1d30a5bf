"""The naive baseline (b): one instructor call with a plain schema, stock llama-cpp-python.

What a developer writes first: a plain pydantic schema with verbatim quotes as
evidence, instructor over ``Llama.create_chat_completion`` (with the json_object
workaround so the grammar applies at all), no chunking, no grounding, no
sentence location, stock sampling with the grammar over the whole vocabulary.
Its output is converted to ``NegotiationSummary`` only so that the same scorer
can score it; quotes that are not in the article become ungrounded evidence.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel

from summarizer.backends.base import Meter, metered
from summarizer.backends.llamacpp import json_object_format
from summarizer.schema import (
    Concession,
    Demand,
    Evidence,
    NegotiationSummary,
    OpenIssue,
    Party,
    PromptInfo,
    RunInfo,
    SourceInfo,
)

SYSTEM = (
    "Extract the negotiation described in the article as JSON: the parties, what each "
    "party demands, what each party concedes (status offered, agreed or implemented), and "
    "the open issues. For every item, quote the supporting sentence verbatim."
)


class NParty(BaseModel):
    name: str
    aliases: list[str]


class NDemand(BaseModel):
    party: str
    to: str | None
    demand: str
    evidence_quote: str


class NConcession(BaseModel):
    party: str
    to: str | None
    concession: str
    status: Literal["offered", "agreed", "implemented"]
    evidence_quote: str


class NIssue(BaseModel):
    issue: str
    parties: list[str]
    evidence_quote: str


class NaiveSummary(BaseModel):
    parties: list[NParty]
    demands: list[NDemand]
    concessions: list[NConcession]
    open_issues: list[NIssue]
    summary: str


def naive_call(llama: Any, article: str, max_tokens: int, meter: Meter) -> NaiveSummary:
    import instructor

    def create(**kwargs: Any) -> Any:
        kwargs.pop("model", None)
        kwargs["response_format"] = json_object_format(kwargs.get("response_format"))
        return llama.create_chat_completion_openai_v1(**kwargs)

    client = instructor.from_litellm(metered(create, meter), mode=instructor.Mode.JSON_SCHEMA)
    result: NaiveSummary = client.chat.completions.create(
        response_model=NaiveSummary,
        messages=[
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": article},
        ],
        max_tokens=max_tokens,
        temperature=0.0,
        max_retries=1,
    )
    return result


def _evidence(article: str, quote: str) -> list[Evidence]:
    quote = quote.strip() or "?"
    at = article.find(quote)
    if at >= 0:
        return [Evidence(start=at, end=at + len(quote), text=quote)]
    return [Evidence(start=0, end=max(1, len(quote)), text=quote)]  # ungrounded


def to_summary(naive: NaiveSummary, article: str, sha: str, seconds: float) -> NegotiationSummary:
    """A NegotiationSummary for scoring (not validated: naive output may break our rules)."""
    parties = [
        Party.model_construct(name=p.name, kind="other", aliases=p.aliases) for p in naive.parties
    ]
    return NegotiationSummary.model_construct(
        summary=naive.summary or "-",
        parties=parties,
        demands=[
            Demand.model_construct(
                party=d.party, to=d.to, text=d.demand, evidence=_evidence(article, d.evidence_quote)
            )
            for d in naive.demands
        ],
        concessions=[
            Concession.model_construct(
                party=c.party,
                to=c.to,
                text=c.concession,
                status=c.status,
                evidence=_evidence(article, c.evidence_quote),
            )
            for c in naive.concessions
        ],
        open_issues=[
            OpenIssue.model_construct(
                text=o.issue, parties=o.parties, evidence=_evidence(article, o.evidence_quote)
            )
            for o in naive.open_issues
        ],
        source=SourceInfo(chars=len(article), sha256=sha),
        run=RunInfo(
            model="local (naive)",
            prompt=PromptInfo(name="naive", version="0", sha256="0" * 64),
            wall_seconds=seconds,
        ),
    )


def now() -> float:
    return time.perf_counter()


if __name__ == "__main__":  # one article, cold: python bench/naive.py ARTICLE
    import hashlib
    import sys
    from pathlib import Path

    from summarizer.backends.llamacpp import LocalSettings, load_llama
    from summarizer.backends.model_files import embedded_model_path

    text = Path(sys.argv[1]).read_text(encoding="utf-8")
    started = time.perf_counter()
    meter = Meter()
    answer = naive_call(load_llama(embedded_model_path(), LocalSettings()), text, 1536, meter)
    sha = hashlib.sha256(text.encode()).hexdigest()
    summary = to_summary(answer, text, sha, time.perf_counter() - started)
    print(summary.model_dump_json(indent=2))
