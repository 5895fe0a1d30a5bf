"""Is the article about a negotiation at all? A deterministic guard against invention.

A 1.5B model asked for demands in a weather report finds some ("Forecasters demand
clear skies"). An article that uses none of the words negotiations are reported
with gets empty lists, whatever the model said; its summary is kept.
"""

from __future__ import annotations

import re

_CUES = re.compile(
    r"\b(negotiat\w*|talks?|deal\w*|agree\w*|demand\w*|conce(?:de|ded|ssion\w*)|offer\w*|"
    r"propos\w*|accord\w*|treat(?:y|ies)|truce|cease-?fire|contract\w*|bargain\w*|"
    r"tariff\w*|sanction\w*|disput\w*|strike\w*|mediat\w*|settle\w*|compromis\w*|"
    r"pledg\w*|commit\w*|releas\w*|summit\w*|envoy\w*|diplomat\w*|pact\w*|terms|"
    r"dialogue|framework|union\w*|ultimatum\w*|concessions?|walkout|lockout|arbitrat\w*)\b",
    re.IGNORECASE,
)


def mentions_negotiation(text: str) -> bool:
    """True when the text uses at least one word that negotiations are reported with."""
    return _CUES.search(text) is not None
