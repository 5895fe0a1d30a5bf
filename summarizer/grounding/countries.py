"""Countries by their other names: demonyms, capitals, short names and seats of
government. General knowledge, not tuned on gold; used to find sides by the names news
uses for them (``attribution.expand_aliases``, ``sides.clean_parties``) and to tell a
country named in another form ("Chinese", "EU") from a new name
(``faithfulness.problem``)."""

from __future__ import annotations

from ..schema import normalize_name

# Country: (demonyms, capital, common short names). General knowledge, not tuned on gold.
COUNTRIES: dict[str, tuple[str, ...]] = {
    "United States": (
        "U.S.",
        "US",
        "USA",
        "U.S.A.",
        "America",
        "American",
        "Americans",
        "Washington",
    ),
    "China": ("Chinese", "Beijing", "PRC"),
    "United Kingdom": ("UK", "U.K.", "Britain", "British", "London"),
    "European Union": ("EU", "E.U.", "Brussels", "European Commission"),
    "Russia": ("Russian", "Russians", "Moscow", "Kremlin"),
    "Ukraine": ("Ukrainian", "Ukrainians", "Kyiv", "Kiev"),
    "Japan": ("Japanese", "Tokyo"),
    "Canada": ("Canadian", "Canadians", "Ottawa"),
    "Mexico": ("Mexican", "Mexico City"),
    "India": ("Indian", "New Delhi", "Delhi"),
    "Germany": ("German", "Berlin"),
    "France": ("French", "Paris"),
    "Italy": ("Italian", "Rome"),
    "Spain": ("Spanish", "Madrid"),
    "Poland": ("Polish", "Warsaw"),
    "Norway": ("Norwegian", "Oslo"),
    "Iceland": ("Icelandic", "Reykjavik"),
    "Australia": ("Australian", "Canberra"),
    "Brazil": ("Brazilian", "Brasilia"),
    "Argentina": ("Argentine", "Argentinian", "Buenos Aires"),
    "South Korea": ("South Korean", "Korean", "Seoul"),
    "North Korea": ("North Korean", "Pyongyang"),
    "Vietnam": ("Vietnamese", "Hanoi"),
    "Thailand": ("Thai", "Bangkok"),
    "Indonesia": ("Indonesian", "Jakarta"),
    "Philippines": ("Philippine", "Filipino", "Manila"),
    "Kenya": ("Kenyan", "Nairobi"),
    "Zambia": ("Zambian", "Lusaka"),
    "Kazakhstan": ("Kazakh", "Astana"),
    "Kyrgyzstan": ("Kyrgyz", "Bishkek"),
    "Uzbekistan": ("Uzbek", "Tashkent"),
    "Qatar": ("Qatari", "Doha"),
    "United Arab Emirates": ("UAE", "Emirati", "Abu Dhabi"),
    "Saudi Arabia": ("Saudi", "Riyadh"),
    "Iran": ("Iranian", "Tehran", "Iranian regime"),
    "Israel": ("Israeli", "Israelis", "Jerusalem"),
    "Egypt": ("Egyptian", "Cairo"),
    "Turkey": ("Turkish", "Ankara", "Türkiye"),
    "Taiwan": ("Taiwanese", "Taipei"),
    "Switzerland": ("Swiss", "Bern"),
    "Oman": ("Omani", "Muscat"),
    "Pakistan": ("Pakistani", "Islamabad"),
    "Afghanistan": ("Afghan", "Kabul"),
    "Iraq": ("Iraqi", "Baghdad"),
    "Syria": ("Syrian", "Damascus"),
    "Lebanon": ("Lebanese", "Beirut"),
    "Venezuela": ("Venezuelan", "Caracas"),
    "Cuba": ("Cuban", "Havana"),
    "Colombia": ("Colombian", "Bogota"),
    "Belarus": ("Belarusian", "Minsk"),
    "Armenia": ("Armenian", "Yerevan"),
    "Azerbaijan": ("Azerbaijani", "Baku"),
    "South Africa": ("South African", "Pretoria"),
    "Nigeria": ("Nigerian", "Abuja"),
    "Netherlands": ("Dutch",),
    "Belgium": ("Belgian",),
    "Sweden": ("Swedish", "Stockholm"),
    "Greece": ("Greek", "Athens"),
    "Singapore": ("Singaporean",),
    "New Zealand": ("New Zealander",),
}
#: Seats and departments of a country's government that news names in its place ("the
#: Pentagon requested ..."): aliases of a side that is the country, never sides of their
#: own (so ``complete_sides`` does not count them). General knowledge; only names that
#: stand for one country.
GOVERNMENT: dict[str, tuple[str, ...]] = {
    "United States": (
        "White House",
        "Pentagon",
        "Department of Defense",
        "Defense Department",
        "DOD",
        "DoD",
        "Department of War",
        "War Department",
        "State Department",
        "Department of State",
        "Treasury Department",
        "Department of the Treasury",
        "Commerce Department",
        "Department of Commerce",
        "USTR",
        "U.S. Trade Representative",
    ),
    "United Kingdom": ("Downing Street", "Whitehall"),
    "China": ("State Council", "MOFCOM", "Zhongnanhai"),
    "France": ("Elysee", "Élysée", "Quai d'Orsay"),
}
#: The cities among the other names above: capitals and seats of government. A city
#: stands for its country as an actor ("Beijing said"), but a text that names the city
#: may only name where talks were held, so the faithfulness check does not take it for
#: the country ("The war in Egypt" is not "talks in Cairo").
CITIES = frozenset(
    (
        "Washington Beijing London Brussels Moscow Kremlin Kyiv Kiev Tokyo Ottawa Berlin "
        "Paris Rome Madrid Warsaw Oslo Reykjavik Canberra Brasilia Seoul Pyongyang Hanoi "
        "Bangkok Jakarta Manila Nairobi Lusaka Astana Bishkek Tashkent Doha Riyadh Tehran "
        "Jerusalem Cairo Ankara Taipei Bern Muscat Islamabad Kabul Baghdad Damascus Beirut "
        "Caracas Havana Bogota Minsk Yerevan Baku Pretoria Abuja Stockholm Athens Delhi"
    ).split()
    + ["Mexico City", "New Delhi", "Buenos Aires", "Abu Dhabi", "European Commission"]
)
CITY_KEYS = frozenset(normalize_name(c) for c in CITIES)
_KEYS = {normalize_name(k): k for k in COUNTRIES}
for _country, _other_names in COUNTRIES.items():
    for _other_name in _other_names:
        _KEYS.setdefault(normalize_name(_other_name), _country)


def country_of(name: str) -> str | None:
    """The country a name stands for ("Beijing", "Chinese", "PRC": "China"), if known."""
    return _KEYS.get(normalize_name(name))
