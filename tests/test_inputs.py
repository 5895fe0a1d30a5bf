"""Reading articles: text is accepted, everything else is refused with a clear message."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fakes import EVALS, SEED_NAMES, seed

from summarizer.errors import InputError, SummarizerError
from summarizer.io.inputs import (
    DEFAULT_MAX_CHARS,
    decode,
    expand_paths,
    html_to_text,
    make_article,
    read_bytes,
    read_path,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


@pytest.fixture
def summarizer_log(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    """Capture the package's log even if a CLI run detached it from the root logger."""
    logger = logging.getLogger("summarizer")
    monkeypatch.setattr(logger, "propagate", True)
    monkeypatch.setattr(logger, "handlers", [])
    caplog.set_level(logging.WARNING, logger="summarizer")
    return caplog


@pytest.mark.parametrize("name", SEED_NAMES)
def test_seed_articles_read_unchanged(name: str) -> None:
    article = read_path(EVALS / name)
    assert article.text == seed(name)
    assert article.name == str(EVALS / name)


def test_title_is_taken_from_a_headline_line() -> None:
    article = make_article("Acme and union reach deal\nAcme offered a raise. The union agreed.")
    assert article.title == "Acme and union reach deal"
    # A first line that is a sentence is not a title.
    assert make_article(seed(SEED_NAMES[0])).title is None


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(InputError, match="nope.txt: no such file") as info:
        read_path(missing)
    assert info.value.context["source"] == str(missing)


def test_directory_is_not_an_article(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        read_path(tmp_path)


def test_directory_expands_to_its_article_files(tmp_path: Path) -> None:
    for name in ["b.txt", "a.md", "c.html", "skip.png", "notes.TXT"]:
        (tmp_path / name).write_text("Talks resumed.")
    (tmp_path / "sub.txt").mkdir()
    expected = sorted(str(tmp_path / n) for n in ["a.md", "b.txt", "c.html", "notes.TXT"])
    assert expand_paths([str(tmp_path), "other.txt"]) == [*expected, "other.txt"]


@pytest.mark.parametrize("files", [[], ["photo.png", "data.json"]], ids=["empty", "no-articles"])
def test_directory_without_article_files_is_refused(tmp_path: Path, files: list[str]) -> None:
    for name in files:
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(InputError, match="is a directory with no article files"):
        expand_paths([str(tmp_path)])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the input is empty"),
        (b"  \n\t\r\n ", "the input is empty"),
        ("\u00a0\u2003\n".encode(), "the text is empty or only whitespace"),
        (b"\xef\xbb\xbf", "the text is empty or only whitespace"),  # a BOM and nothing else
        (PNG, "looks like binary data"),
        (b"Talks resumed\x00 today.", "looks like binary data"),
        (bytes(range(1, 32)) * 20 + b"text", "looks like binary data"),
        ("Talks resumed.".encode("utf-16"), "looks like binary data"),
    ],
    ids=["empty", "whitespace", "unicode-space", "bom-only", "png", "nul", "controls", "utf16"],
)
def test_bad_bytes_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        read_bytes(data, name="<stdin>")
    assert str(info.value).startswith("<stdin>: ")
    assert isinstance(info.value, SummarizerError) and info.value.exit_code == 1


def test_utf8_with_bom_is_decoded_silently(summarizer_log) -> None:
    text = "Caf\u00e9 talks resumed. \u201cGood,\u201d he said."
    assert decode(b"\xef\xbb\xbf" + text.encode(), "x") == text
    assert summarizer_log.records == []


def test_windows_1252_is_decoded_with_a_warning(summarizer_log, tmp_path: Path) -> None:
    path = tmp_path / "cp1252.txt"
    path.write_bytes(b"caf\xe9 talks resumed on Monday. The union said \x93no\x94.\n")
    article = read_path(path)
    assert article.text == "caf\u00e9 talks resumed on Monday. The union said \u201cno\u201d.\n"
    (record,) = summarizer_log.records
    assert record.levelno == logging.WARNING
    assert str(path) in record.getMessage() and "Windows-1252" in record.getMessage()


def test_html_is_reduced_to_visible_text() -> None:
    html = (
        "<!doctype html><html><head><title>Talks  resume</title><style>p{}</style></head>"
        "<body><script>alert('x')</script><h1>Deal near</h1><p>Acme offered a raise.</p>"
        "<p>The union &amp; Acme met.</p></body></html>"
    )
    article = make_article(html)
    assert article.text == "Deal near\nAcme offered a raise.\nThe union & Acme met."
    assert article.title == "Talks resume"
    assert html_to_text("<p>only</p>") == ("only", None)


def test_html_without_visible_text_is_empty() -> None:
    with pytest.raises(InputError, match="empty or only whitespace"):
        make_article("<html><body><script>var a;</script></body></html>")


def test_size_limit() -> None:
    text = "Talks resumed. " * 10
    assert make_article(text, max_chars=len(text)).text == text
    with pytest.raises(InputError, match="over the limit of 10") as info:
        make_article(text, max_chars=10)
    assert info.value.context["chars"] == len(text)
    with pytest.raises(InputError, match=f"over the limit of {DEFAULT_MAX_CHARS:,}"):
        make_article("a" * (DEFAULT_MAX_CHARS + 1))
