"""Which articles make a series, and in what order: as given, by dates the caller
gives, or by a date each article states in its header."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..io.inputs import Article, read_path

ORDERS = ("given", "text")

_NAMES = (
    "january february march april may june july august september october november december"
).split()
_MONTHS = {m: i for i, m in enumerate(_NAMES, start=1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_DAY_YEAR = re.compile(r"\b([A-Za-z]+)\.? (\d{1,2}),? (\d{4})\b")
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2}) ([A-Za-z]+)\.? (\d{4})\b")
_ONLY_DATE = re.compile(
    _WEEKDAY + r"(\d{4}-\d{2}-\d{2}|[A-Za-z]+\.? \d{1,2},? \d{4}|\d{1,2} [A-Za-z]+\.? \d{4})\.?",
    re.IGNORECASE,
)
_HEADER = re.compile(r"^\s*(date|published|dated|updated)\s*:\s*(.+)$", re.IGNORECASE)


def parse_date(text: str) -> dt.date | None:
    """A date written as 2025-06-04, June 4, 2025 or 4 June 2025 (else None)."""
    for pattern, order in (
        (_ISO, "ymd"),
        (_MONTH_DAY_YEAR, "mdy"),
        (_DAY_MONTH_YEAR, "dmy"),
    ):
        for match in pattern.finditer(text):
            a, b, c = match.groups()
            try:
                if order == "ymd":
                    return dt.date(int(a), int(b), int(c))
                if order == "mdy" and a.casefold() in _MONTHS:
                    return dt.date(int(c), _MONTHS[a.casefold()], int(b))
                if order == "dmy" and b.casefold() in _MONTHS:
                    return dt.date(int(c), _MONTHS[b.casefold()], int(a))
            except ValueError:
                continue
    return None


def header_date(text: str, lines: int = 5) -> dt.date | None:
    """The article's own date: a ``Date:`` / ``Published:`` line, or a line that is only
    a date, among its first ``lines`` non-empty lines. Dates inside the story (events
    it reports) are never used."""
    head = [line.strip() for line in text.splitlines() if line.strip()][:lines]
    for line in head:
        header = _HEADER.match(line)
        if header:
            return parse_date(header.group(2))
        if _ONLY_DATE.fullmatch(line):
            return parse_date(line)
    return None


@dataclass(frozen=True)
class SeriesArticle:
    """One article of a series: its id (file stem), its source, and its date if known.
    A file is read when its turn comes (``load``), so a long series is never held in
    memory at once."""

    id: str
    source: Article | Path
    date: str | None = None
    max_chars: int | None = None

    def load(self) -> Article:
        if isinstance(self.source, Article):
            return self.source
        return read_path(self.source, max_chars=self.max_chars)


def article_id(path: str | Path, taken: set[str]) -> str:
    """The file's stem, made unique within the series."""
    stem = Path(path).stem if str(path) != "-" else "stdin"
    name, n = stem, 2
    while name in taken:
        name, n = f"{stem}-{n}", n + 1
    taken.add(name)
    return name


def order(
    articles: Sequence[SeriesArticle], how: str = "given", dates: Sequence[str] | None = None
) -> list[SeriesArticle]:
    """``articles`` in reading order (see the module doc); stable for equal dates."""
    if how not in ORDERS:
        raise UsageError(f"unknown order {how!r} (choose from {', '.join(ORDERS)})")
    if dates is not None:
        if len(dates) != len(articles):
            raise UsageError(f"{len(dates)} dates given for {len(articles)} articles")
        parsed = []
        for raw in dates:
            found = parse_date(raw)
            if found is None:
                raise UsageError(f"not a date: {raw!r} (use YYYY-MM-DD)")
            parsed.append(found)
        dated = [
            SeriesArticle(a.id, a.source, d.isoformat(), a.max_chars)
            for a, d in zip(articles, parsed, strict=True)
        ]
        return sorted(dated, key=lambda a: a.date or "")
    if how == "text":
        missing = [a.id for a in articles if a.date is None]
        if missing:
            raise UsageError(
                "no date in the header of: " + ", ".join(missing) + " (add a 'Date: YYYY-MM-DD' "
                "line, or give --dates, or keep the order given)"
            )
        return sorted(articles, key=lambda a: a.date or "")
    return list(articles)
