"""One set of sides across a series: "Beijing" in one article and "China" in the next
are one party.

An article's party joins a series party when its name and the series party's names
stand for the same country (``attribution.country_of``: capital, demonym, short name),
or when the names match as the scorer matches party names (``similarity.matching``:
equal keys, acronyms, generic words dropped, near-identical spelling). Its aliases are
tried only against series names, never against other aliases: a small model sometimes
lists the other side's capital as an alias. Otherwise it is a new series party.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..grounding.countries import country_of
from ..schema import Party, normalize_name
from ..similarity.matching import PARTY_THRESHOLD, name_similarity
from .model import SeriesParty


class PartyBook:
    """The series' parties so far, and what each article's names resolve to."""

    def __init__(self) -> None:
        self.parties: list[SeriesParty] = []

    def _names(self, party: SeriesParty) -> list[str]:
        return [party.name, *party.aliases]

    def _find(self, party: Party) -> SeriesParty | None:
        country = country_of(party.name)
        best: tuple[float, SeriesParty] | None = None
        for known in self.parties:
            theirs = country_of(known.name)
            if country is not None and theirs is not None and country != theirs:
                continue  # two countries are never one side, whatever the aliases say
            if country is not None and country in {country_of(n) for n in self._names(known)}:
                return known
            aliases = [a for a in party.aliases if country_of(a) in (None, country)]
            score = max(name_similarity(party.name, n) for n in self._names(known))
            score = max([score, *(name_similarity(a, known.name) for a in aliases)])
            if score >= PARTY_THRESHOLD and (best is None or score > best[0]):
                best = (score, known)
        return best[1] if best else None

    def add(self, parties: Sequence[Party], article: str) -> dict[str, str]:
        """Resolve one article's parties; returns article name -> series name."""
        mapping: dict[str, str] = {}
        for party in parties:
            known = self._find(party)
            if known is None:
                country = country_of(party.name)
                name = country if country is not None else party.name
                known = SeriesParty(name=name, kind=party.kind, first_seen=article)
                self.parties.append(known)
            keys = {normalize_name(n) for n in self._names(known)}
            for alias in (party.name, *party.aliases):
                owner = country_of(alias)
                if owner is not None and owner != country_of(known.name):
                    continue  # another country's name is never this side's alias
                if normalize_name(alias) not in keys:
                    known.aliases.append(alias)
                    keys.add(normalize_name(alias))
            mapping[party.name] = known.name
        return mapping
