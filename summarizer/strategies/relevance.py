"""Is the article about a negotiation at all? A deterministic guard against invention.

A 1.5B model asked for demands in a weather report finds some ("Forecasters demand
clear skies"). An English article that uses none of the words negotiations are
reported with gets empty lists, whatever the model said; its summary is kept.
"""

from __future__ import annotations

import re

_CUES = re.compile(
    r"\b(negotiat\w*|talks?|deal\w*|agree\w*|demand\w*|conce(?:de|ded|ssion\w*)|offer\w*|"
    r"propos\w*|accords?|treat(?:y|ies)|truce|cease-?fire|contract\w*|bargain\w*|"
    r"tariff\w*|sanction\w*|disput\w*|strikes?|striking|mediat\w*|settle\w*|compromis\w*|"
    r"pledg\w*|commit(?:s|ted|ting|ments?)?|releas\w*|summit\w*|envoy\w*|diplomat\w*|pact\w*|terms|"
    r"dialogue|framework|union\w*|ultimatum\w*|concessions?|walkout|lockout|arbitrat\w*)\b",
    re.IGNORECASE,
)


_ENGLISH = re.compile(r"\b(the|and|of|to|in|is|was|with|for|on)\b", re.IGNORECASE)


def looks_english(text: str) -> bool:
    """Enough common English function words (the cue list below is English)."""
    words = len(text.split()) or 1
    return len(_ENGLISH.findall(text)) / words >= 0.08


def mentions_negotiation(text: str) -> bool:
    """True when the text uses a word negotiations are reported with.

    Only English text is judged (the cues are English); other text is given the
    benefit of the doubt.
    """
    return not looks_english(text) or _CUES.search(text) is not None
