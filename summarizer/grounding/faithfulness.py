"""Is an item's text faithful to its evidence sentence?

An item's text is either an exact span of its evidence (its characters, whitespace
intact) or a paraphrase. A paraphrase is unfaithful when it:

- has a number the evidence does not have ("$7 trillion" against "$1.7 trillion");
- has a negation the evidence does not have, or drops one the evidence has within
  the words it copies ("did not agree" written as "agreed");
- turns a polarity word into its opposite ("bad faith" against "good faith",
  "refused" against "agreed");
- names a party, place or person (a capitalised word) that the evidence does not (a
  member of a hyphenated word counts as named: "Pentagon-Anthropic" names both; so
  does a country the evidence names by another of its names: "Chinese" or "Beijing"
  where it says "China", "EU" where it says "European Union", ``countries.py``; and a
  possessive names its owner: "Anthropic's");
- is a mangled copy: words glued together ("90days", "longer-termresolution").

Used by the extraction validators (an unfaithful paraphrase is re-asked, then
replaced by the exact span or dropped) and by the eval harness (faithfulness rate).
"""

from __future__ import annotations

import re

from .countries import COUNTRIES, country_of
from .numbers import numbers

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


def problem(text: str, evidence: str) -> str | None:
    """Why ``text`` is not faithful to ``evidence``, or None when it is."""
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
    named = ev_set | {part for w in ev_lower if "-" in w for part in w.split("-") if part}
    as_country = _countries_named(words, _countries(ev_words))
    for i, w in enumerate(words):
        name = w.casefold().removesuffix("'s")  # "Anthropic's" names Anthropic
        if i > 0 and w[:1].isupper() and name not in named and name != "the":
            if i not in as_country:
                return f"{w!r} is not named in the sentence it cites"
    return None


def _ngrams(words: list[str]) -> list[tuple[int, int, str]]:
    """Every run of one to three words: (start, end, text)."""
    return [
        (i, i + n, " ".join(words[i : i + n])) for n in (1, 2, 3) for i in range(len(words) - n + 1)
    ]


def _countries(words: list[str]) -> set[str]:
    """The countries the words name, by a name that is not a city (``_a_form_of``)."""
    found = ((country_of(text), text) for _, _, text in _ngrams(words))
    return {c for c, text in found if c is not None and _a_form_of(text, c)}


def _countries_named(words: list[str], countries: set[str]) -> set[int]:
    """The positions of words that name one of ``countries`` by its name, an acronym
    ("EU", "U.S.") or a form of one of its names ("Chinese", "American"); never by a
    city ("Egypt" is not named by "Cairo", where talks may only be held)."""
    out: set[int] = set()
    for start, end, text in _ngrams(words):
        country = country_of(text)
        if country in countries and _a_form_of(text, country):
            out.update(range(start, end))
    return out


def _a_form_of(text: str, country: str) -> bool:
    letters = text.replace(".", "")
    if text == country or (letters.isupper() and len(letters) <= 4):
        return True
    others = [country, *(n for n in COUNTRIES[country] if n != text)]
    return any(len(n) >= 4 and text[:4].casefold() == n[:4].casefold() for n in others)


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
