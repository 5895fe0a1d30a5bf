"""Locate a quoted span in an article, as the gold format allows: after normalising
whitespace runs and typographic quotes and dashes, with offsets into the original."""

from __future__ import annotations

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
    }
)


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Text with typographic quotes/dashes made plain and whitespace runs made one space,
    and for each output character the index of its source character."""
    out: list[str] = []
    where: list[int] = []
    space = False
    for i, ch in enumerate(text.translate(_TRANSLATE)):
        if ch.isspace():
            if space:
                continue
            ch, space = " ", True
        else:
            space = False
        out.append(ch)
        where.append(i)
    return "".join(out), where


def locate(article: str, quote: str) -> tuple[int, int] | None:
    """Character offsets of ``quote`` in ``article`` after normalisation, or None."""
    needle, _ = normalize_with_map(quote.strip())
    if not needle:
        return None
    hay, where = normalize_with_map(article)
    pos = hay.find(needle)
    if pos < 0:
        return None
    return where[pos], where[pos + len(needle) - 1] + 1
