"""The single-call strategy: one prompt fills the whole schema, per chunk.

The model writes parties, demands, concessions, open issues and a summary in one
answer (``prompts/extract``); items are written in the article's words and code
locates their sentences (``citations.ground``). Long articles are split into
overlapping chunks whose results are merged. Strong hosted models do well here;
small local models do better with the staged strategy (evals/README.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from ..backends import Backend
from ..grounding.chunking import chunk_sentences
from ..grounding.citations import Items, ground
from ..grounding.extraction import Extraction, salvage
from ..grounding.merge import merge_items
from ..grounding.sentences import Sentence
from ..io.inputs import Article
from ..prompts import Prompt, load_prompt
from ..schema import PromptInfo
from .structured import Meter, Request, Rescue, astructured, structured

log = logging.getLogger("summarizer")


@dataclass
class SingleStrategy:
    """One call per chunk with ``prompts/<prompt>``."""

    prompt_name: str = "extract"
    max_reasks: int = 1
    max_tokens: int = 1536
    temperature: float = 0.0
    salvage: bool = True
    chunk_chars: int | None = None
    overlap_chars: int = 600
    name: str = "single"

    def __post_init__(self) -> None:
        self.prompt: Prompt = load_prompt(self.prompt_name)

    @property
    def info(self) -> PromptInfo:
        return self.prompt.info

    def chunks(
        self, article: Article, sentences: Sequence[Sentence], backend: Backend
    ) -> list[list[Sentence]]:
        limit = self.chunk_chars or backend.context_chars
        return chunk_sentences(
            article.text, list(sentences), max_chars=limit, overlap_chars=self.overlap_chars
        )

    def request(self, article: Article, chunk: list[Sentence], index: int, total: int) -> Request:
        note = ""
        if total > 1:
            note = (
                f"This is part {index} of {total} of a long article. Extract what this part says."
            )
        messages = self.prompt.messages(
            article=article.text[chunk[0].start : chunk[-1].end],
            title=article.title,
            chunk_note=note,
        )
        return Request(
            messages=messages,
            response_model=Extraction,
            sentences=tuple(chunk),
            max_reasks=self.max_reasks,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            rescue=_salvager(tuple(chunk)) if self.salvage else None,
        )

    def run(
        self, article: Article, sentences: Sequence[Sentence], backend: Backend, meter: Meter
    ) -> Items:
        chunks = self.chunks(article, sentences, backend)
        parts = []
        for i, chunk in enumerate(chunks, 1):
            found = structured(backend, self.request(article, chunk, i, len(chunks)), meter)
            assert isinstance(found, Extraction)
            parts.append(ground(found, chunk))
        items = merge_items(parts)
        items.chunks = len(chunks)
        return items

    async def arun(
        self, article: Article, sentences: Sequence[Sentence], backend: Backend, meter: Meter
    ) -> Items:
        chunks = self.chunks(article, sentences, backend)
        parts = []
        for i, chunk in enumerate(chunks, 1):
            found = await astructured(backend, self.request(article, chunk, i, len(chunks)), meter)
            assert isinstance(found, Extraction)
            parts.append(ground(found, chunk))
        items = merge_items(parts)
        items.chunks = len(chunks)
        return items


def _salvager(sentences: tuple[Sentence, ...]) -> Rescue:
    """Keep the valid items of a final invalid answer, counting the dropped ones."""

    def rescue(text: str | None, meter: Meter) -> Extraction | None:
        rescued = salvage(text, sentences)
        if rescued is None:
            return None
        extraction, dropped = rescued
        meter.dropped_items += dropped
        log.warning("kept the valid part of the last answer; dropped %d item(s)", dropped)
        return extraction

    return rescue
