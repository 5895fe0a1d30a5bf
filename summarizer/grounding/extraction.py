"""What the model fills: a compact schema whose items are written in the article's words.

The model never writes offsets, quotes or sentence numbers. Each item's ``what``
is copied from the article, and ``locate`` finds the supporting sentence. The
validators reject an item whose words are not in the article (or chunk) and a
party reference that names no declared party, so instructor re-asks with the
error. Validation takes a ``context`` with ``sentences`` (the sentences in scope).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..schema import ITEM_FIELDS, MAX_SUMMARY, ConcessionStatus, PartyKind, normalize_name
from . import faithfulness
from .locate import Match, locate
from .sentences import Sentence

MAX_TEXT = 300
MAX_NAME = 120


def _text(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be empty")
    if len(value) > MAX_TEXT:
        raise ValueError(f"must be at most {MAX_TEXT} characters; use a few words")
    return value


_PLACEHOLDERS = frozenset(
    {
        "-",
        "none",
        "n/a",
        "na",
        "null",
        "nil",
        "nothing",
        "unknown",
        "unspecified",
        "not mentioned",
        "not applicable",
        "no demands",
        "no concessions",
        "no open issues",
    }
)


def _placeholder(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    what = item.get("what")
    if not isinstance(what, str):
        return False
    return what.strip().strip(".").casefold() in _PLACEHOLDERS


def _optional_name(value: str | None) -> str | None:
    return (value or "").strip() or None


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be empty")
    if len(value) > MAX_NAME:
        raise ValueError(f"must be at most {MAX_NAME} characters: use the party's name")
    return value


def clip_summary(text: str) -> str:
    """At most three sentences and MAX_SUMMARY characters, cut at a word."""
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    if len(sentences) > 1 and not re.search(r"[.!?][\"'\u201d\u2019)]?$", sentences[-1]):
        sentences = sentences[:-1]  # drop a sentence cut off by the decoder
    text = " ".join(sentences[:3])
    if len(text) <= MAX_SUMMARY:
        return text
    cut = text[: MAX_SUMMARY - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "\u2026"


class XParty(_Item):
    name: str
    kind: PartyKind
    aliases: list[str] = Field(max_length=6)

    _name = field_validator("name")(_name)

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, value: list[str]) -> list[str]:
        cleaned = (" ".join(a.split()) for a in value)
        return [a for a in cleaned if a and len(a) <= MAX_NAME]


class XDemand(_Item):
    by: str
    to: str | None
    what: str

    _what = field_validator("what")(_text)
    _to = field_validator("to")(_optional_name)


class XConcession(_Item):
    by: str
    to: str | None
    what: str
    status: ConcessionStatus

    _what = field_validator("what")(_text)
    _to = field_validator("to")(_optional_name)


class XIssue(_Item):
    what: str
    among: list[str] = Field(max_length=4)

    _what = field_validator("what")(_text)


class Extraction(_Item):
    """The model's answer for one article or chunk."""

    parties: list[XParty] = Field(max_length=6)
    demands: list[XDemand] = Field(max_length=8)
    concessions: list[XConcession] = Field(max_length=8)
    open_issues: list[XIssue] = Field(max_length=6)
    summary: str

    @model_validator(mode="before")
    @classmethod
    def _drop_placeholders(cls, data: Any) -> Any:
        """Items like {"what": "none"} are how a small model says "nothing": drop them."""
        if isinstance(data, dict):
            data = dict(data)
            for key in ITEM_FIELDS:
                items = data.get(key)
                if isinstance(items, list):
                    data[key] = [i for i in items if not _placeholder(i)]
        return data

    @field_validator("summary")
    @classmethod
    def _summary(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return clip_summary(value)

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> Extraction:
        context: dict[str, Any] = info.context or {}
        sentences: Sequence[Sentence] | None = context.get("sentences")
        problems: list[str] = []
        names = self._name_index()
        for path, what, refs in self._items():
            match = locate(what, sentences) if sentences is not None else None
            if sentences is not None and match is None:
                problems.append(
                    f"{path}.what {what!r} is not in the article: copy the article's own words "
                    "from the sentence that states it"
                )
            elif match is not None:
                unfaithful = faithfulness.problem(what, match.sentence.text)
                if unfaithful:
                    problems.append(f"{path}.what {what!r}: {unfaithful}")
            for ref in refs:
                if normalize_name(ref) not in names:
                    declared = ", ".join(p.name for p in self.parties) or "none"
                    problems.append(
                        f"{path} names {ref!r}, which is not in parties (declared: {declared}); "
                        "add it to parties or use a declared name"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _name_index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for party in self.parties:
            for alias in [party.name, *party.aliases]:
                index.setdefault(normalize_name(alias), party.name)
        return index

    def canonical(self, ref: str) -> str:
        """The declared party name that ``ref`` (a name or alias) refers to."""
        return self._name_index()[normalize_name(ref)]

    def _items(self) -> list[tuple[str, str, list[str]]]:
        rows: list[tuple[str, str, list[str]]] = []
        for i, d in enumerate(self.demands):
            rows.append((f"demands[{i}]", d.what, [d.by] + ([d.to] if d.to else [])))
        for i, c in enumerate(self.concessions):
            rows.append((f"concessions[{i}]", c.what, [c.by] + ([c.to] if c.to else [])))
        for i, o in enumerate(self.open_issues):
            rows.append((f"open_issues[{i}]", o.what, list(o.among)))
        return rows


def support(what: str, sentences: Sequence[Sentence]) -> Match:
    """The supporting sentence of a validated item (validation guarantees one exists)."""
    match = locate(what, sentences)
    if match is None:
        raise ValueError(f"no supporting sentence for {what!r}")
    return match


def salvage(text: str | None, sentences: Sequence[Sentence]) -> tuple[Extraction, int] | None:
    """The valid part of a final answer that failed validation, and how many items it drops.

    Used when the re-ask budget is spent: items whose words are not in the article,
    or that name an undeclared party, are dropped; everything else is kept. Returns
    None when nothing valid is left to keep (bad JSON, bad parties, bad summary).
    """
    try:
        data = json.loads(text or "")
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("parties"), list):
        return None
    names: set[str] = set()
    for party in data["parties"]:
        if isinstance(party, dict):
            for alias in [party.get("name"), *(party.get("aliases") or [])]:
                if isinstance(alias, str):
                    names.add(normalize_name(alias))
    dropped = 0
    refs = {"demands": ("by", "to"), "concessions": ("by", "to"), "open_issues": ("among",)}
    for key, fields in refs.items():
        kept = []
        for item in data.get(key) or []:
            if not isinstance(item, dict) or _placeholder(item):
                kept.append(item)
                continue
            what = item.get("what")
            match = (
                locate(what, sentences)
                if isinstance(what, str) and 0 < len(what.strip()) <= MAX_TEXT
                else None
            )
            grounded = match is not None
            if match is not None and faithfulness.problem(str(what), match.sentence.text):
                exact = match.sentence.text.strip()
                if len(exact) <= MAX_TEXT:
                    item["what"] = exact  # an unfaithful paraphrase becomes the exact span
                else:
                    grounded = False
            declared = all(
                normalize_name(ref) in names
                for f in fields
                for ref in _as_list(item.get(f))
                if isinstance(ref, str) and ref.strip()
            )
            if grounded and declared:
                kept.append(item)
            else:
                dropped += 1
        data[key] = kept
    try:
        return Extraction.model_validate(data, context={"sentences": sentences}), dropped
    except ValidationError:
        return None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
