"""Who acts in a sentence: the side that demands or concedes, read from where and how
the sentence names each side. No model call.

A small model asked "who demands this?" leans to the first side it was shown (30% right
on the gold set); naming order alone is right about half the time. News sentences mark
roles with a few reliable signals, which this module reads:

- **recipients** follow a preposition or a verb that aims at someone ("tariffs *on*
  Chinese goods", "access *for* U.S. exports", "*urged* Japan to", "*calling on*
  Congress") or own what a deal gives, named right after a verb of giving ("will
  *expand* U.S. market access"), and a side named before "should" / "must" is being
  asked to act;
- **both sides act** when the sentence says so ("both sides", "each other", "work
  together") or names two sides as one subject ("The United States and Ukraine agreed");
- otherwise the **first side named as a subject** acts ("Tokyo wants ...", "Japan offered
  ..."), and a demand aimed at one of two sides comes from the other; one addressed
  to a side ("I call on the Iranian regime to ...") among three or more comes from the
  first declared side it is not addressed to.

Sides are also found by the names news uses for them: :func:`expand_aliases` adds a
country's demonym, capital and seats of government ("China": "Chinese", "Beijing";
"United States": "the Pentagon", "State Department") and an organisation's head noun
("Graduate Workers Union": "the union") when no other side claims them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..grounding.countries import COUNTRIES, GOVERNMENT, country_of
from ..schema import Party, normalize_name

BOTH = "both"

_HEADS = frozenset(
    "union association company corporation federation council guild district university "
    "government ministry administration commission airline airlines league club alliance "
    "cooperative confederation front brigade party hospital system city county".split()
)

_GENERIC_FIRST = frozenset(
    "the united national federal european international global world city county state "
    "new north south east west northern southern eastern western republic government "
    "ministry department office "
    # a title or an adjective is not a name of its own ("Prime Minister Netanyahu": not
    # "Prime"; "Big 3 Auto Companies": not "Big")
    "prime president secretary minister speaker chancellor king queen emir sheikh "
    "governor mayor senator chairman chairwoman ambassador acting deputy vice chief "
    "big".split()
)


def expand_aliases(parties: Sequence[Party], text: str | None = None) -> list[Party]:
    """``parties`` with the names news uses for them added as aliases, when no other
    side already uses that name (see the module doc); with ``text``, only the names
    that ``text`` uses."""
    taken = {normalize_name(n) for p in parties for n in (p.name, *p.aliases)}
    claims: dict[str, set[int]] = {}
    extra: list[list[str]] = [[] for _ in parties]
    for i, party in enumerate(parties):
        for name in (party.name, *party.aliases):
            country = country_of(name)
            if country:
                extra[i].extend((country, *COUNTRIES[country], *GOVERNMENT.get(country, ())))
                break
        words = party.name.split()
        if len(words) >= 2 and words[-1].casefold() in _HEADS:
            head = words[-1].casefold()
            extra[i].append("the " + head)
            if head.endswith("s"):
                extra[i].append("the " + head[:-1])
        if len(words) >= 2 and words[0][:1].isupper() and words[0].casefold() not in _GENERIC_FIRST:
            extra[i].append(words[0])  # "Dunmore Dairies": "Dunmore"
        for alias in extra[i]:
            claims.setdefault(normalize_name(alias), set()).add(i)
    out = []
    for i, party in enumerate(parties):
        added: dict[str, str] = {}  # one spelling per name ("DOD", "DoD")
        for a in extra[i]:
            key = normalize_name(a)
            if key in added or key in taken or claims[key] != {i}:
                continue
            if text is None or named(text, a):
                added[key] = a
        aliases = [*party.aliases, *added.values()]
        out.append(party.model_copy(update={"aliases": aliases}))
    return out


#: A country the article names this often is a side, even if the model left it out.
COUNTRY_MENTIONS = 5
#: The most sides a summary declares (the sides call's limit, and the repairs' too).
MAX_SIDES = 6


def complete_sides(parties: Sequence[Party], text: str, limit: int = MAX_SIDES) -> list[Party]:
    """``parties`` plus each country that ``text`` names at least
    :data:`COUNTRY_MENTIONS` times (by name, demonym or capital) and no declared side
    stands for. A small model often lists one side of a bilateral text and forgets
    the other ("the United States" in a joint statement with China)."""
    out = list(parties)
    # Every name of every country maps to its country, so this covers a side declared
    # under any of them ("Beijing" stands for China).
    declared = {country_of(n) for p in parties for n in (p.name, *p.aliases)}
    found = []
    for country, names in COUNTRIES.items():
        if country in declared:
            continue
        counts = {n: len(_finditer(n, text)) for n in (country, *names)}
        count = sum(counts.values())
        if count >= COUNTRY_MENTIONS:
            found.append((-count, country, [n for n, k in counts.items() if k]))
    for _, country, used in sorted(found):
        if len(out) >= limit:
            break
        aliases = [n for n in used if n != country]
        out.append(Party(name=country, kind="state", aliases=aliases))
    return out


def named(text: str, name: str) -> bool:
    """Whether ``text`` uses ``name`` (whole words; "US" in capitals only)."""
    return _compiled(name).search(text) is not None


@functools.lru_cache(maxsize=4096)
def _compiled(name: str) -> re.Pattern[str]:
    """``name`` as a whole word; a short all-capitals name ("US", "EU") in capitals only,
    so that "us" the pronoun is not the United States."""
    flags = 0 if (name.isupper() and len(name.replace(".", "")) <= 4) else re.IGNORECASE
    return re.compile(r"(?<![\w.])" + re.escape(name) + r"(?!\w)", flags)


def _finditer(name: str, text: str) -> list[re.Match[str]]:
    return list(_compiled(name).finditer(text))


def first_mention(text: str, party: Party) -> int:
    """Where ``text`` first names ``party`` (by name or alias), or -1."""
    found = (_compiled(n).search(text) for n in (party.name, *party.aliases))
    return min((m.start() for m in found if m), default=-1)


def sides_named(text: str, parties: Sequence[Party]) -> list[str]:
    """The names of the ``parties`` that ``text`` names (by name or alias), in order."""
    return [p.name for p in parties if first_mention(text, p) >= 0]


# -- mentions and their roles ------------------------------------------------------------
_BOTH = re.compile(
    r"\b(both (sides|countries|parties|governments|leaders|teams|delegations)|"
    r"the two (sides|countries|leaders|governments|parties|nations|teams)|each other|"
    r"each side|mutual(ly)?|jointly|reciprocal|together|the parties)\b",
    re.IGNORECASE,
)
_PREPOSITIONS = frozenset(
    "to on from with for against in into of toward towards at over upon between".split()
)
_SKIPPABLE = frozenset(
    "the a an its their all some any imported exported certain more most new".split()
)
_AIMING = re.compile(
    r"\b(urg(e|es|ed|ing)|press(es|ed|ing)?|ask(s|ed|ing)?|call(s|ed|ing)? on|"
    r"call(s|ed|ing)? for|warn(s|ed|ing)?|told|tell(s|ing)?|demand(s|ed|ing)? that|"
    r"want(s|ed)?|push(es|ed|ing)?|persuade[sd]?|invit(e|es|ed|ing))\s+(\w+\s+){0,2}$",
    re.IGNORECASE,
)
_ASKED_TO_ACT = re.compile(
    r"^\W*(side\s+|government\s+|officials?\s+)?(should|must|needs? to|has to|have to|"
    r"ought to|shall have to)\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(  # "I am", "I'm", "we", "my", "our": the author speaks
    r"(?<![\w'\u2019])(I(?=\s+[a-z])|I['\u2019](m|ve|ll|d)|[Ww]e|[Mm]y|[Oo]ur)(?![\w'\u2019])"
)
_QUOTED = re.compile(r"\u201c[^\u201d]*\u201d?|\"[^\"]*\"?")  # someone else speaks
#: Words that say two sides act together only when no side is named before them as
#: the subject ("Canada demanded reciprocal access" is Canada's demand).
_JOINT_WORDS = re.compile(r"^(mutual(ly)?|reciprocal)$", re.I)
_COORDINATED = re.compile(r"^\s*(,|and|&)\s*(the\s+)?$", re.IGNORECASE)
#: A side named as the owner of what a deal gives, right after a verb of giving
#: ("will expand U.S. market access", "increases U.S. firms' competitiveness"),
#: receives it; "Chinese firms will buy", "open the Chinese market" are not read so.
_GIVING = re.compile(
    r"^(expand|widen|boost|increas|benefit|help|protect|giv|improv|support|secur|enabl|"
    r"strengthen)\w*$"
)
_BENEFICIARY = re.compile(
    r"^\s*(market access|exports?|exporters?|goods|products|farmers|ranchers|fishermen|"
    r"manufacturers|producers|firms|businesses|companies|consumers|investors|"
    r"industry|industries|citizens|nationals|hostages|detainees|prisoners)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Mention:
    """Where ``party`` is named in the sentence, and in what role."""

    party: str
    start: int
    end: int
    #: "subject"; "addressed" (a verb aims at it: "urged Japan", "called on Congress");
    #: "recipient" (after a preposition: "tariffs on Chinese goods"; or owning what is
    #: given, after a verb of giving: "expand U.S. market access"); or "asked"
    #: (should/must)
    role: str


def _names(party: Party) -> list[str]:
    return sorted({party.name, *party.aliases}, key=len, reverse=True)


def find_mentions(sentence: str, parties: Sequence[Party]) -> list[Mention]:
    """Every non-overlapping mention of a side, in order, with its role."""
    spans: list[tuple[int, int, str]] = []
    for party in parties:
        for name in _names(party):
            for found in _finditer(name, sentence):
                spans.append((found.start(), found.end(), party.name))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    kept: list[tuple[int, int, str]] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return [Mention(name, start, end, _role(sentence, start, end)) for start, end, name in kept]


def _role(sentence: str, start: int, end: int) -> str:
    before = sentence[:start]
    if _AIMING.search(before):
        return "addressed"
    words = re.findall(r"[\w']+", before.casefold())
    while words and words[-1] in _SKIPPABLE:
        words.pop()
    if words and words[-1] in _PREPOSITIONS:
        return "recipient"
    if words and _GIVING.match(words[-1]) and _BENEFICIARY.match(sentence[end:]):
        return "recipient"  # "will expand U.S. market access", not "U.S. firms will buy"
    if _ASKED_TO_ACT.search(sentence[end:]):
        return "asked"
    return "subject"


def speaks_first_person(sentence: str) -> bool:
    """Whether the sentence's author speaks in the first person, outside quotes ("I am
    calling on", "we will"; not "Phase I of the deal", not a quoted "We will")."""
    text = _QUOTED.sub("", sentence)
    for found in _FIRST_PERSON.finditer(text):
        before = text[: found.start()].split()
        if (
            found.group(1) == "I"
            and len(before) >= 2
            and before[-1][:1].isupper()
            and before[-1][-1:].isalnum()
        ):
            continue  # "Phase I", "World War I"; not "And I", "Mr. President, I"
        return True
    return False


def actor(sentence: str, parties: Sequence[Party], act: str, speaker: str | None = None) -> str:
    """The side that makes the demand (``act="demand"``) or the concession
    (``act="concession"``) stated in ``sentence``: a declared side's name, or
    :data:`BOTH`. ``speaker`` is the side of the text's author, who acts in a sentence
    that no side is the subject of and that speaks in the first person ("I am calling
    on Congress to ...")."""
    names = [p.name for p in parties]
    if not names:
        raise ValueError("actor() needs at least one side")
    mentions = find_mentions(sentence, parties)
    first_subject = next((m.start for m in mentions if m.role == "subject"), len(sentence))
    if len(names) >= 2 and any(
        _role(sentence, *m.span()) == "subject"
        and not (_JOINT_WORDS.match(m.group(0)) and first_subject < m.start())
        for m in _BOTH.finditer(sentence)
    ):
        return BOTH  # "both sides agreed", not "called on both sides"
    for a, b in zip(mentions, mentions[1:], strict=False):
        if (
            a.party != b.party
            and a.role == "subject"
            and b.role in ("subject", "asked")
            and _COORDINATED.match(sentence[a.end : b.start])
        ):
            return BOTH
    subjects = [m.party for m in mentions if m.role == "subject"]
    aimed = [m.party for m in mentions if m.role != "subject"]
    if act == "demand":
        asked = [m.party for m in mentions if m.role == "asked"]
        subjects = [s for s in subjects if s not in asked]
    if not subjects and speaker in names and speaks_first_person(sentence):
        return speaker
    if act == "demand":
        if not subjects and aimed and len(names) == 2:
            return _other(aimed[0], names)
        urged = [m.party for m in mentions if m.role == "addressed"]
        if not subjects and urged:
            # "I call on the Iranian regime to ...": a demand comes from a side it is not
            # addressed to; among three or more, the first one declared (a fallback: the
            # sentence does not say which)
            return next((n for n in names if n not in urged), urged[0])
    if subjects:
        return subjects[0]
    if aimed and len(names) == 2:
        return _other(aimed[0], names)
    return mentions[0].party if mentions else names[0]


def _other(name: str, names: Sequence[str]) -> str:
    return next(n for n in names if n != name)
