"""The sides of a negotiation, as the staged strategy's sides call declares them, and the
code that repairs the small model's list (``clean_parties``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..grounding.countries import country_of
from ..io.inputs import Article
from ..schema import Party, PartyKind, normalize_name
from .attribution import COUNTRY_MENTIONS, MAX_SIDES, first_mention, named


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

    parties: list[StagedParty] = Field(min_length=1, max_length=MAX_SIDES)


#: Words that name the people acting for a side, not a side ("EU trade officials").
_STAFF = frozenset(
    "delegation delegations officials official side team negotiators negotiator "
    "representatives leadership trade envoys envoy".split()
)


#: Words that name the people a negotiation is about, not a side of it ("Palestinian
#: families", "the hostages"): they neither demand nor concede.
_AFFECTED = frozenset(
    "families family civilians victims hostages detainees prisoners captives residents "
    "refugees".split()
)
#: Words that make a name an organisation's ("Families of Hostages Forum", "UN High
#: Commissioner for Refugees"), which may well be a side.
_BODIES = frozenset(
    "forum committee group network coalition campaign organization organisation "
    "foundation movement union association council federation alliance society league "
    "party fund headquarters commission commissioner agency office institute centre "
    "center trust board".split()
)


def affected(name: str) -> bool:
    """Whether ``name`` names people the talks are about ("Innocent Palestinian
    Families in Gaza", "American hostages"): its head noun, before any "in", "of",
    "from" or "for", is one of those words, and no word of it is an organisation's."""
    words = re.findall(r"[\w']+", name.casefold())
    if any(w in _BODIES for w in words):
        return False
    for stop in ("in", "of", "from", "for"):
        if stop in words[1:]:
            words = words[: words.index(stop, 1)]
    return bool(words) and words[-1] in _AFFECTED


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
    - groups the talks are about ("Palestinian families", "the hostages") are dropped
      when two or more other sides remain;
    - then people are dropped when two or more sides that are not people remain: they
      speak or act for a side ("Secretary Rubio") or are the subject of the talks
      (detainees); between people and one body (a president and a speaker) they are
      the sides;
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
    if sum(not affected(p.name) for p in parties) >= 2:
        parties = [p for p in parties if not affected(p.name)]
    if sum(p.kind != "person" for p in parties) >= 2:
        parties = [p for p in parties if p.kind != "person"]
    return parties


#: "Statement from President Joe Biden on ...", "Remarks by the Prime Minister at ...":
#: a text whose title names its one author.
_AUTHORED = re.compile(
    r"^(?:press\s+)?(?:statement|remarks|letter|message|address)\s+(?:from|by)\s+"
    r"(?:the\s+)?(?P<author>.+?)(?:\s+(?:on|at|regarding|about|after|following)\b.*)?$",
    re.IGNORECASE,
)
#: An author who is a person holding an office (general knowledge, not read from gold):
#: an organisation's statement ("Statement from the United Auto Workers") is not added.
_OFFICES = re.compile(
    r"^(president|vice president|prime minister|deputy prime minister|premier|chancellor|"
    r"governor|lieutenant governor|mayor|secretary|senator|representative|speaker|"
    r"leader|minister|ambassador|commissioner|chair|chairman|chairwoman|director|"
    r"ceo|king|queen|emir|sultan)\b",
    re.IGNORECASE,
)


def author_of(title: str | None) -> str | None:
    """The one author a title names ("Statement from President Joe Biden on ...":
    "President Joe Biden"); None for no title, a joint statement or several authors.
    The title is read up to a colon or a dash ("Message from the CEO: an update")."""
    if not title:
        return None
    head = re.split(r"\s*(?::|\s\|\s|\s[\u2013\u2014-]\s)", " ".join(title.split()))[0]
    found = _AUTHORED.match(head)
    if found is None:
        return None
    author = found.group("author").strip(" ,.:")
    if not author or "," in author or " and " in author or len(author.split()) > 6:
        return None
    return author


def speaker_side(parties: Sequence[Party], author: str | None) -> str | None:
    """The declared side the author speaks for: the side named by the author's name or
    by its last word ("Biden" under the United States)."""
    if author is None:
        return None
    keys = {normalize_name(author), normalize_name(author.split()[-1])}
    for p in parties:
        if keys & {normalize_name(n) for n in (p.name, *p.aliases)}:
            return p.name
    return None


def add_author(parties: list[Party], author: str | None, article: Article) -> list[Party]:
    """The author as a side when no declared side speaks for them: a statement's
    author ("I am calling on Congress to ...") takes part in the talks it reports.
    Only a person holding an office ("President Joe Biden", not "the Union"), and not
    when a state is a side: a head of government speaks for one of them (which one, the
    title does not say). The alias (the author's last word) must be used in the body."""
    if author is None or not parties or len(parties) >= MAX_SIDES:
        return parties
    if speaker_side(parties, author) is not None:
        return parties
    if any(_is_state(p) for p in parties):
        return parties
    if country_of(author) is not None or _OFFICES.match(author) is None:
        return parties
    last = author.split()[-1]
    aliases = [last] if last != author and named(_body(article), last) else []
    return [*parties, Party(name=author, kind="person", aliases=aliases)]


def _is_state(party: Party) -> bool:
    """Whether a side is a state: declared as one, or named as a known country."""
    return party.kind == "state" or country_of(party.name) is not None


def _body(article: Article) -> str:
    """The text without its title (a title's words are not the body's mentions)."""
    body = article.text
    if article.title and body.lstrip().startswith(article.title):
        return body.lstrip()[len(article.title) :]
    return body


#: Legislatures (general knowledge), with the names of their chambers and members: a
#: declared side named by one of them already stands for the legislature.
LEGISLATURES: dict[str, tuple[str, ...]] = {
    "European Parliament": ("MEPs",),
    "Congress": ("Congressional", "Senate", "House of Representatives", "lawmakers"),
    "Parliament": ("Parliamentary", "House of Commons", "MPs"),
    "National Assembly": (),
    "Bundestag": (),
    "Knesset": (),
}


_NEXT_WORD = re.compile(r"\s*(\S+)")


def legislature_mentions(name: str, text: str) -> int:
    """How often ``text`` names the legislature ``name`` on its own: not inside a longer
    name ("National People's Congress", "European Parliament", "Parliament Street",
    "Member of Parliament"), though after a country ("U.S. Congress")."""
    count = 0
    for found in re.finditer(r"(?<![\w.])" + re.escape(name) + r"(?!\w)", text):
        head = text[: found.start()]
        prev = re.search(r"(\S+)\s*$", head)
        after = _NEXT_WORD.match(text, found.end())
        if prev is not None:
            word = prev.group(1)
            initial = re.search(r"(^|[.!?:\n])\s*$", head[: prev.start()]) is not None
            if word == "of" or (
                word[:1].isupper() and not initial and country_of(word.strip(",;:")) is None
            ):
                continue  # "People's Congress", "Member of Parliament"; not "The Congress"
        if after is not None and after.group(1)[:1].isupper():
            continue  # "Parliament Street"
        count += 1
    return count


def add_legislature(parties: list[Party], article: Article, limit: int = MAX_SIDES) -> list[Party]:
    """A legislature as a side when the body of the text names it on its own at least
    :data:`COUNTRY_MENTIONS` times and no side stands for it ("I am calling on Congress
    to pass legislation ...", "Congress should get this bill to my desk"), as
    ``complete_sides`` does for countries: the sides call lists the bodies that
    negotiate and forgets the one the deal goes to. Not when two states are sides:
    between states, a legislature is one state's, not a side of its own."""
    if not parties or sum(_is_state(p) for p in parties) >= 2:
        return parties
    body = _body(article)
    out = list(parties)
    for name, related in LEGISLATURES.items():
        if len(out) >= limit:
            break
        names = [n for p in out for n in (p.name, *p.aliases)]
        if any(named(n, x) for n in names for x in (name, *related)):
            continue  # "United States Congress", "Senate Republicans" are declared
        if legislature_mentions(name, body) >= COUNTRY_MENTIONS:
            out.append(Party(name=name, kind="government_body"))
    return out
