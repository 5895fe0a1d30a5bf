"""The sides of a negotiation, as the staged strategy's sides call declares them, and the
code that repairs the small model's list (``clean_parties``)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..schema import Party, PartyKind, normalize_name
from .attribution import country_of, first_mention, named


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
    - aliases are names the report uses, unique across sides, and never another
      country's name ("Beijing" listed under the United States).
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
            if not named(article, alias):
                continue  # a name the report never uses (often copied from the prompt)
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
