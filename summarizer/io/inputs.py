"""Turn a file, stdin bytes or a string into article text, or refuse it clearly.

Refused: a missing path, a directory, binary data, empty or whitespace-only text,
and text over the size limit. Bytes are decoded as UTF-8 first, then as
Windows-1252 with a warning. HTML is reduced to its visible text.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from ..errors import InputError

log = logging.getLogger("summarizer")

#: Articles longer than this many characters are refused (about 50k tokens: a
#: quarter of an hour on the embedded model). Raise it with ``max_chars=``.
DEFAULT_MAX_CHARS = 200_000

ARTICLE_SUFFIXES = (".txt", ".md", ".html", ".htm")


def article_sha256(text: str) -> str:
    """The article's identity: the sha256 of its UTF-8 text (cache keys, held-out heads)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Article:
    text: str
    title: str | None = None
    name: str = "<text>"


class _TextExtractor(HTMLParser):
    _SKIP = {"script", "style", "noscript", "template", "head"}
    _BLOCK = {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "pre",
        "table",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        if not self._skip:
            self.parts.append(data)


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:500].lower()
    return head.startswith(("<!doctype html", "<html")) or bool(
        re.search(r"<(body|p|div|article)[\s>]", head)
    )


def html_to_text(html: str) -> tuple[str, str | None]:
    """Visible text of an HTML document (one paragraph a line) and its <title>."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    body = "\n".join(line for line in lines if line)
    title = " ".join("".join(parser.title).split()) or None
    return body, title


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM); otherwise Windows-1252 with a warning. Binary is refused."""
    if not data.strip():
        raise InputError(f"{name}: the input is empty", source=name)
    sample = data[:8192]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if b"\0" in sample or controls > len(sample) * 0.05:
        raise InputError(f"{name}: the input looks like binary data, not text", source=name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        log.warning("%s: not valid UTF-8 (%s); decoded as Windows-1252", name, exc.reason)
        return data.decode("cp1252", errors="replace")


_DATE_LINE = re.compile(r"^\s*(date|published|dated|updated)\s*:", re.IGNORECASE)


def _title_of(text: str) -> str | None:
    """The first line, when it reads as a headline (a 'Date: ...' line is skipped)."""
    first, _, rest = text.lstrip().partition("\n")
    if _DATE_LINE.match(first):
        first, _, rest = rest.lstrip().partition("\n")
    first = first.strip()
    if rest.strip() and 0 < len(first) <= 150 and not first.endswith((".", "!", "?", ":", '"')):
        return first
    return None


def make_article(
    text: str, *, name: str = "<text>", title: str | None = None, max_chars: int | None = None
) -> Article:
    """Validate text (string input) and build an Article."""
    limit = DEFAULT_MAX_CHARS if max_chars is None else max_chars
    if looks_like_html(text):
        text, html_title = html_to_text(text)
        title = title or html_title
    if not text.strip():
        raise InputError(f"{name}: the text is empty or only whitespace", source=name)
    if len(text) > limit:
        raise InputError(
            f"{name}: the text has {len(text):,} characters, over the limit of {limit:,} "
            "(raise it with --max-chars / max_chars=)",
            source=name,
            chars=len(text),
            limit=limit,
        )
    return Article(text=text, title=title or _title_of(text), name=name)


def read_bytes(data: bytes, *, name: str, max_chars: int | None = None) -> Article:
    return make_article(decode(data, name), name=name, max_chars=max_chars)


def read_path(path: str | Path, *, max_chars: int | None = None) -> Article:
    """Read one article file, refusing what is not a readable text file."""
    p = Path(path)
    name = str(path)
    if p.is_dir():
        raise InputError(f"{name}: is a directory, not an article file", source=name)
    try:
        data = p.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{name}: no such file", source=name) from exc
    except PermissionError as exc:
        raise InputError(f"{name}: permission denied", source=name) from exc
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror})", source=name) from exc
    return read_bytes(data, name=name, max_chars=max_chars)


def expand_paths(paths: list[str]) -> list[str]:
    """Expand directories to the article files inside them (sorted); files pass through."""
    out: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(
                str(f) for f in p.iterdir() if f.is_file() and f.suffix.lower() in ARTICLE_SUFFIXES
            )
            if not found:
                raise InputError(
                    f"{raw}: is a directory with no article files ({', '.join(ARTICLE_SUFFIXES)})",
                    source=raw,
                )
            out.extend(found)
        else:
            out.append(raw)
    return out
