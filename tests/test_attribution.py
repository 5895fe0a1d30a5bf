"""Attribution from the roles a sentence gives each side (summarizer/strategies/attribution.py).

The sentences are written for these tests; none is from the gold set.
"""

from __future__ import annotations

import pytest

from summarizer.schema import Party
from summarizer.strategies.attribution import (
    BOTH,
    actor,
    complete_sides,
    expand_aliases,
    find_mentions,
    first_mention,
)

CANADA_JAPAN = [Party(name="Canada"), Party(name="Japan")]


def sides(*names: str) -> list[Party]:
    return expand_aliases([Party(name=n) for n in names])


@pytest.mark.parametrize(
    ("sentence", "act", "expected"),
    [
        # the first side named as a subject acts
        ("Japan offered to phase down its beef tariff to 9 percent.", "concession", "Japan"),
        ("Tokyo wants Ottawa to scrap its duty on Japanese cars.", "demand", "Japan"),
        # a side aimed at is not the actor, even when named first
        ("Duties on Canadian beef will fall, Japan said.", "concession", "Japan"),
        (
            "Under pressure from Ottawa, Japan agreed to open its dairy market.",
            "concession",
            "Japan",
        ),
        ("Japan pressed Canada to open its dairy market.", "demand", "Japan"),
        ("Officials called on Japan to lift the quota.", "demand", "Canada"),
        # a side asked to act is the recipient of the demand
        ("Canada must drop the tariff, the Japanese trade minister said.", "demand", "Japan"),
        # both sides act
        ("Both sides agreed to meet again in March.", "concession", BOTH),
        ("Canada and Japan agreed to a joint working group.", "concession", BOTH),
        ("The two countries will work together on standards.", "concession", BOTH),
        # ... but "both sides" aimed at is not both acting
        ("A mediator called on both sides to resume talks.", "demand", "Canada"),
        # a side owning what is given, right after a verb of giving, receives it
        ("The deal will widen Canadian market access in Japan.", "concession", "Japan"),
        ("It increases Japanese firms' share of Canadian contracts.", "concession", "Canada"),
        # ... elsewhere the side owning the noun acts
        ("Canadian farmers want Japan to cut the beef tariff.", "demand", "Canada"),
        ("On Monday Canadian farmers urged Japan to cut the tariff.", "demand", "Canada"),
        ("In return Japanese firms will buy more Canadian beef.", "concession", "Japan"),
        ("Officials said Japanese companies will invest in Canada.", "concession", "Japan"),
        ("The deal will open the Japanese market to Canadian goods.", "concession", "Japan"),
    ],
)
def test_actor(sentence: str, act: str, expected: str) -> None:
    assert actor(sentence, sides("Canada", "Japan"), act) == expected


def test_a_concession_for_one_side_comes_from_the_other() -> None:
    sentence = "It ensures streamlined customs procedures for U.S. exports."
    assert actor(sentence, sides("United States", "United Kingdom"), "concession") == (
        "United Kingdom"
    )


def test_a_demand_addressed_to_one_of_three_sides_comes_from_another() -> None:
    three = sides("United States", "Iran", "Qatar")
    sentence = "I call on the Iranian government to account for the missing reporter."
    assert actor(sentence, three, "demand") == "United States"  # not the side called on
    # a side named after a preposition is not addressed: the first side named acts
    other = "A spokesman for Iran said it wanted the talks moved to Doha."
    assert actor(other, three, "demand") == "Iran"


def test_no_side_named_falls_back_to_the_first() -> None:
    assert actor("They agreed to talk.", CANADA_JAPAN, "concession") == "Canada"


def test_expand_aliases_adds_demonym_capital_and_head_noun() -> None:
    parties = expand_aliases(
        [Party(name="China"), Party(name="Graduate Workers Union"), Party(name="Dunmore Dairies")]
    )
    assert {"Chinese", "Beijing"} <= set(parties[0].aliases)
    assert "the union" in parties[1].aliases
    assert "Dunmore" in parties[2].aliases


def test_expand_aliases_never_gives_one_name_to_two_sides() -> None:
    parties = expand_aliases(
        [Party(name="Ridgeway Airlines"), Party(name="Ridgeway Pilots Association")]
    )
    assert all("Ridgeway" not in p.aliases for p in parties)
    taken = [Party(name="China", aliases=[]), Party(name="Taiwan", aliases=["Beijing"])]
    assert "Beijing" not in expand_aliases(taken)[0].aliases


def test_expand_aliases_keeps_only_names_the_text_uses() -> None:
    (china,) = expand_aliases(
        [Party(name="China")], text="Beijing said on Monday it would respond."
    )
    assert china.aliases == ["Beijing"]


def test_mentions_do_not_overlap_and_prefer_the_longer_name() -> None:
    parties = [Party(name="European Union", aliases=["EU"]), Party(name="Union Pacific")]
    found = find_mentions("The European Union and Union Pacific met.", parties)
    assert [(m.party, m.role) for m in found] == [
        ("European Union", "subject"),
        ("Union Pacific", "subject"),
    ]


def test_us_the_pronoun_is_not_the_united_states() -> None:
    us = Party(name="United States", aliases=["US"])
    assert first_mention("They told us to wait.", us) == -1
    assert first_mention("They told the US to wait.", us) == 14


def test_a_country_named_often_completes_the_sides() -> None:
    text = "China said. " * 5 + "The United States agreed."
    sides = complete_sides([Party(name="United States")], text)
    assert [p.name for p in sides] == ["United States", "China"]
    assert sides[1].kind == "state"
    # named fewer times, or already declared under another name: nothing is added
    assert len(complete_sides([Party(name="United States")], "China said. " * 4)) == 1
    beijing = [Party(name="Beijing"), Party(name="United States")]
    assert complete_sides(beijing, "China said. " * 6) == beijing


def test_a_country_declared_under_another_of_its_names_is_not_added_again() -> None:
    for name in ("Washington", "U.S.", "American"):
        sides = complete_sides([Party(name=name), Party(name="China")], "The United States. " * 6)
        assert [p.name for p in sides] == [name, "China"]


def test_the_authors_side_acts_in_a_first_person_sentence() -> None:
    three = [*sides("Dockworkers Union", "Port Employers Council"), Party(name="Governor Lee")]
    sentence = "I am calling on the Dockworkers Union to return to work tonight."
    assert actor(sentence, three, "demand", speaker="Governor Lee") == "Governor Lee"
    # no author known: the fallback, the first declared side not called on (a guess)
    assert actor(sentence, three, "demand") == "Port Employers Council"
    # a side named as the subject still acts, whoever speaks
    named_subject = "The Port Employers Council offered our workers a new wage scale."
    assert actor(named_subject, three, "concession", speaker="Governor Lee") == (
        "Port Employers Council"
    )
    # someone else's words in quotes, and a Roman numeral, are not the author speaking
    quoted = 'Speaking for the Port Employers Council, Smith said: "We will raise wages."'
    assert actor(quoted, three, "concession", speaker="Governor Lee") == ("Port Employers Council")
    numeral = "Under Phase I of the deal, wages for the Dockworkers Union rise 4 percent."
    assert actor(numeral, three, "concession", speaker="Governor Lee") != "Governor Lee"


def test_mutual_or_reciprocal_after_a_named_subject_is_that_sides_act() -> None:
    two = sides("Canada", "Japan")
    assert actor("Canada demanded reciprocal access to Japan's market.", two, "demand") == (
        "Canada"
    )
    assert actor("Japan demanded mutual recognition of standards.", two, "demand") == "Japan"
    assert actor("Mutual recognition of standards was agreed.", two, "concession") == BOTH
    # "together" still joins two sides: "X will work together with Y"
    assert actor("Canada will work together with Japan on standards.", two, "concession") == (BOTH)


def test_expand_aliases_adds_a_countrys_seats_of_government_the_text_uses() -> None:
    text = "The Pentagon asked Anthropic to drop its limits. DOD officials said talks go on."
    us, company = expand_aliases([Party(name="United States"), Party(name="Anthropic")], text)
    assert "Pentagon" in us.aliases
    # "DOD" and "DoD" both match the text: one spelling per name
    assert [a for a in us.aliases if a.casefold() == "dod"] == ["DOD"]
    assert "White House" not in us.aliases  # the text does not name it
    assert "Pentagon" not in company.aliases
    # a seat of government that is a side of its own stays that side's
    declared = [Party(name="United States"), Party(name="Pentagon")]
    assert "Pentagon" not in expand_aliases(declared, text)[0].aliases


def test_expand_aliases_takes_no_title_as_a_name() -> None:
    text = "Prime Minister Netanyahu spoke. The Big 3 Auto Companies made a big offer."
    pm, companies = expand_aliases(
        [Party(name="Prime Minister Netanyahu"), Party(name="Big 3 Auto Companies")], text
    )
    assert "Prime" not in pm.aliases
    assert "Big" not in companies.aliases
