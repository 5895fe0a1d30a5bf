"""Is an item's text faithful to its evidence sentence?

An item's text is either an exact span of its evidence (its characters, whitespace
intact) or a paraphrase. A paraphrase is unfaithful when it:

- has a number the evidence does not have ("$7 trillion" against "$1.7 trillion");
- has a negation the evidence does not have, or drops one the evidence has within
  the words it copies ("did not agree" written as "agreed");
- turns a polarity word into its opposite ("bad faith" against "good faith",
  "refused" against "agreed");
- names a party, place or person (a capitalised word) that the evidence does not (the
  evidence names a possessive's owner and each member of a hyphenated word, and a
  country by any of its names that is not a city: "Chinese" where it says "China",
  "EU" where it says "European Union", never "Egypt" where it says "Cairo");
- is a mangled copy: words glued together ("90days", "longer-termresolution").

Used by the extraction validators (an unfaithful paraphrase is re-asked, then
replaced by the exact span or dropped) and by the eval harness (faithfulness rate).
"""

from __future__ import annotations

import re

from ..schema import Concession, Demand, OpenIssue, normalize_name
from .countries import CITY_KEYS, country_of
from .numbers import numbers

#: Part of every cached summary's key (``Pipeline.cache_key``): bump it whenever these
#: checks change what they accept, since they decide re-asks and drops in every
#: strategy, whose prompt hashes do not change with them. 2: a country's other names,
#: possessives and hyphen members are named (run 18).
REVISION = "2"
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\u2019.,%$-]*")
NEGATIONS = frozenset(
    "not no never none neither nor without cannot can't won't didn't doesn't don't "
    "isn't aren't wasn't weren't hasn't haven't hadn't refused refuses refuse rejected "
    "rejects reject declined declines denied denies".split()
)
_OPPOSITES = (
    ("good", "bad"),
    ("agreed", "refused"),
    ("agree", "refuse"),
    ("accept", "reject"),
    ("accepted", "rejected"),
    ("increase", "decrease"),
    ("increased", "decreased"),
    ("raise", "lower"),
    ("raised", "lowered"),
    ("lift", "impose"),
    ("lifted", "imposed"),
    ("win", "lose"),
    ("won", "lost"),
    ("more", "less"),
    ("higher", "lower"),
    ("up", "down"),
    ("approve", "oppose"),
    ("approved", "opposed"),
    ("support", "oppose"),
    ("ease", "tighten"),
    ("eased", "tightened"),
    ("open", "closed"),
    ("allow", "ban"),
    ("allowed", "banned"),
)
OPPOSITE: dict[str, str] = {}
for _a, _b in _OPPOSITES:
    OPPOSITE[_a] = _b
    OPPOSITE[_b] = _a


def _words(text: str) -> list[str]:
    return [w.strip(".,'\u2019") for w in _WORD.findall(text.replace("\u2019", "'"))]


def _squash(text: str) -> str:
    return " ".join(text.split())


def is_exact_span(text: str, evidence: str) -> bool:
    """``text`` occurs in ``evidence`` character for character."""
    return bool(text) and text in evidence


def problem(text: str, evidence: str, *, names: bool = True) -> str | None:
    """Why ``text`` is not faithful to ``evidence``, or None when it is. With ``names``
    false, every check but the name check (``_unnamed``)."""
    if is_exact_span(text, evidence):
        return None
    words = _words(text)
    lower = [w.casefold() for w in words]
    ev_words = _words(evidence)
    ev_lower = [w.casefold() for w in ev_words]
    ev_set = set(ev_lower)
    glued = {a + b for a, b in zip(ev_lower, ev_lower[1:], strict=False)}
    for w in lower:
        if w not in ev_set and w in glued:
            return f"{w!r} glues two words of the article together: copy them exactly"
    extra_numbers = numbers(text) - numbers(evidence)
    if extra_numbers:
        return (
            f"the number(s) {', '.join(sorted(extra_numbers))} are not in the sentence it "
            "cites: copy numbers exactly"
        )
    for w in lower:
        if w in NEGATIONS and w not in ev_set:
            return f"{w!r} negates what the sentence says: it has no such negation"
    dropped = _dropped_negation(lower, ev_lower)
    if dropped:
        return f"the sentence says {dropped!r} where the item leaves it out: keep the negation"
    for w in lower:
        opposite = OPPOSITE.get(w)
        if opposite and w not in ev_set and opposite in ev_set:
            return f"{w!r} reverses the sentence's {opposite!r}"
    return _unnamed(words, ev_words) if names else None


def _unnamed(words: list[str], evidence: list[str]) -> str | None:
    """Why a capitalised word of the item (after its first) names what the evidence
    does not, or None. The evidence names a possessive's owner ("Anthropic's"), each
    member of a hyphenated word ("U.S.-China") and a country by any of its names that
    is not a city (``countries.py``: "Chinese" and "EU" name China and the European
    Union; "Cairo" does not name Egypt, where talks may only be held)."""
    tokens = _name_tokens(evidence)
    named = {t.casefold() for t in tokens}
    countries = {c for _, _, c in _country_runs(tokens)}
    item = [_owner(w) for w in words]
    as_country = {i for a, b, c in _country_runs(item) if c in countries for i in range(a, b)}

    def is_named(word: str) -> bool:
        if word.isupper() and len(word) > 1:  # an acronym: "US" is not "us"
            return word in tokens or _form(word) in countries
        return word.casefold() in named or word.casefold() == "the" or _form(word) in countries

    for i, w in enumerate(item):
        if i == 0 or not w[:1].isupper() or i in as_country or is_named(w):
            continue
        parts = [p.strip(".,'") for p in w.split("-")]
        if "-" in w and all(is_named(p) for p in parts if p[:1].isupper()):
            continue
        return f"{words[i]!r} is not named in the sentence it cites"
    return None


def _owner(word: str) -> str:
    """A possessive's owner ("Anthropic's": "Anthropic"); other words unchanged."""
    return word.removesuffix("'s")


def _name_tokens(words: list[str]) -> list[str]:
    """The words as names: each one's owner, followed by its hyphenated members."""
    out: list[str] = []
    for w in words:
        w = _owner(w)
        out.append(w)
        if "-" in w:
            out.extend(_owner(p.strip(".,'")) for p in w.split("-") if p.strip(".,'"))
    return out


def _form(text: str) -> str | None:
    """The country ``text`` names by a name that is not a city, if any; only a name
    whose every word is capitalised counts ("turkey" is a bird, "us" a pronoun)."""
    words = text.split()
    if not all(w[:1].isupper() for w in words) or words[0] in ("The", "THE"):
        return None
    if normalize_name(text) in CITY_KEYS:
        return None
    return country_of(text)


def _country_runs(words: list[str]) -> list[tuple[int, int, str]]:
    """Every run of one to three words that names a country: (start, end, country)."""
    runs = []
    for n in (1, 2, 3):
        for i in range(len(words) - n + 1):
            country = _form(" ".join(words[i : i + n]))
            if country is not None:
                runs.append((i, i + n, country))
    return runs


def _dropped_negation(words: list[str], evidence: list[str]) -> str | None:
    """A negation of the evidence that sits right before words the item copies, while
    the item does not have it ("did not agree to X" -> "agreed to X")."""
    have = set(words)

    def copied(word: str) -> bool:
        return any(h[:4] == word[:4] for h in have) if len(word) > 3 else word in have

    for i, w in enumerate(evidence):
        if w in NEGATIONS and w not in have:
            following = [f for f in evidence[i + 1 : i + 4] if f not in ("to", "a", "the")]
            if following[:2] and all(copied(f) for f in following[:2]):
                return w
    return None


def faithful(text: str, evidence: str) -> bool:
    return problem(_squash(text), evidence) is None or is_exact_span(text, evidence)


def supported(item: Demand | Concession | OpenIssue) -> bool:
    """Whether an item's text is faithful to one of its evidence spans."""
    return any(faithful(item.text, ev.text) for ev in item.evidence)


#: An act verb negated just before it, in the past or present: "did not agree to", "is
#: no longer committed to", "adopt no measures", "failing to agree", "refused to lift".
#: Not a pledge to refrain ("will not adopt network fees"), which is a concession.
_ACT = (
    r"(agree|pledg|commit|provid|purchas|accept|ensur|adopt|offer|allow|lift|remov|reduc|"
    r"lower|suspend|releas|sign|approv|grant|open|cut|end|drop|withdraw|eliminat)\w*"
)
NEGATED_ACT = re.compile(
    r"\b(no longer|never|failed to|failing to|fails to|refused to|refuses to|declined to|"
    r"declines to|did not|didn't|does not|doesn't|do not|has not|have not|had not)\s+"
    r"(\w+\s+){0,2}?" + _ACT + r"\b|\b" + _ACT + r"\s+no\b",
    re.IGNORECASE,
)


#: A restriction that goes on: "China has continued to restrict exports of rare earth
#: minerals", "we will continue to impose costs on Iran", "Hungary still blocked the
#: package". The inflected verb follows "continue (to)" or "still" directly: not
#: "continued restrictions" or "continue to bankroll", and not "will not continue to
#: restrict" (a pledge to refrain). A participle after a noun matches ("five Americans
#: still detained"); a giving verb in the sentence then keeps the concession.
ONGOING_RESTRICTION = re.compile(
    r"(?<!\bnot )(?<!\bno longer )(?<!n't )\b(continu(e|es|ed|ing)(\s+to)?|still)\s+"
    r"(restrict(s|ed|ing)?|impos(e|es|ed|ing)|enforc(e|es|ed|ing)|block(s|ed|ing)?|"
    r"ban(s|ned|ning)?|withh(old|olds|olding|eld)|limit(s|ed|ing)?|curb(s|ed|ing)?|"
    r"detain(s|ed|ing)?|den(y|ies|ied|ying)|refus(e|es|ed|ing)|reject(s|ed|ing)?)\b",
    re.IGNORECASE,
)
#: Any act verb of giving in the sentence ("Iran agreed to continue to limit
#: enrichment", "will release five Americans still detained", "will continue to
#: restrict rare earths but agreed to issue licences"): the sentence may give something,
#: so an ongoing restriction in it does not rule the concession out.
_GIVING_ACT = re.compile(r"\b" + _ACT + r"\b", re.IGNORECASE)


def negated_act(sentence: str) -> bool:
    """The sentence says an act did not (or will not) happen: it is no concession."""
    return NEGATED_ACT.search(sentence) is not None


def ongoing_restriction(sentence: str) -> bool:
    """The sentence says a restriction goes on and names no act of giving: it is no
    concession."""
    return ONGOING_RESTRICTION.search(sentence) is not None and _GIVING_ACT.search(sentence) is None
