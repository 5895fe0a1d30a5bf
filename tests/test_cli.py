"""The command line: bad input is one clear error line, usage errors exit 2, help everywhere."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fakes import FakeBackend, seed, union_company_responder

import summarizer
from summarizer import Summarizer
from summarizer.cli import summarize_cmd
from summarizer.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
CP1252 = b"caf\xe9 talks resumed on Monday. The union demanded a raise.\n"
_THIRD_PARTY = ("instructor", "LiteLLM", "litellm", "httpx", "openai")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No debug tracebacks, no model from the environment, a private cache; and the
    logging set-up the CLI installs (handlers bound to the captured stderr) is undone."""
    monkeypatch.delenv("SUMMARIZER_DEBUG", raising=False)
    monkeypatch.delenv("SUMMARIZER_MODEL", raising=False)
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(tmp_path / "cache"))
    loggers = [logging.getLogger(n) for n in ("summarizer", *_THIRD_PARTY)]
    saved = [(lg, lg.handlers[:], lg.propagate, lg.level) for lg in loggers]
    yield
    for lg, handlers, propagate, level in saved:
        lg.handlers[:] = handlers
        lg.propagate = propagate
        lg.setLevel(level)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("summarizer: error: "), err
    return lines[0]


def fake_summarizer(monkeypatch: pytest.MonkeyPatch) -> FakeBackend:
    """Route the CLI to a fake backend (the real model is never loaded)."""
    backend = FakeBackend(union_company_responder)
    monkeypatch.setattr(
        summarize_cmd, "make_summarizer", lambda args, **_: Summarizer(backend=backend)
    )
    return backend


def stdin_bytes(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(data)))


# -- bad input: exit 1, one line ----------------------------------------------------------


def test_missing_path(capsys, tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    code, out, err = cli(capsys, "summarize", str(missing))
    assert code == 1 and out == ""
    assert one_error_line(err) == f"summarizer: error: {missing}: no such file"


@pytest.mark.parametrize("files", [[], ["image.png", "notes.json"]], ids=["empty", "no-articles"])
def test_directory_without_articles(capsys, tmp_path: Path, files: list[str]) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    for name in files:
        (folder / name).write_bytes(b"x")
    code, out, err = cli(capsys, "summarize", str(folder))
    assert code == 1 and out == ""
    assert "is a directory with no article files" in one_error_line(err)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the input is empty"),
        (b" \n\t \n", "the input is empty"),
        ("\u2003\u00a0\n".encode(), "empty or only whitespace"),
        (PNG, "looks like binary data"),
        (b"talks\x00\x00\x00resumed", "looks like binary data"),
    ],
    ids=["empty", "whitespace", "unicode-whitespace", "png", "nul"],
)
def test_unreadable_file_content(capsys, tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(data)
    code, out, err = cli(capsys, "summarize", str(path))
    assert code == 1 and out == ""
    line = one_error_line(err)
    assert line.startswith(f"summarizer: error: {path}: ") and message in line


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "the input is empty"), (b"   \n", "the input is empty"), (PNG, "binary data")],
    ids=["empty", "whitespace", "png"],
)
def test_bad_stdin(capsys, monkeypatch, data: bytes, message: str) -> None:
    stdin_bytes(monkeypatch, data)
    code, out, err = cli(capsys, "summarize", "-")
    assert code == 1 and out == ""
    line = one_error_line(err)
    assert line.startswith("summarizer: error: <stdin>: ") and message in line


def test_too_long_article(capsys, tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("Talks resumed. " * 20)
    code, _, err = cli(capsys, "summarize", str(path), "--max-chars", "50")
    assert code == 1
    assert "over the limit of 50" in one_error_line(err)


# -- good input, with a fake model ---------------------------------------------------------


def test_windows_1252_file_is_summarized_with_a_warning(
    capsys, monkeypatch, tmp_path: Path
) -> None:
    backend = fake_summarizer(monkeypatch)
    path = tmp_path / "cp1252.txt"
    path.write_bytes(CP1252)
    code, out, err = cli(capsys, "summarize", str(path))
    assert code == 0, err
    text = CP1252.decode("cp1252")
    assert json.loads(out)["source"]["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert "caf\u00e9 talks resumed" in backend.requests[0].messages[1]["content"]
    (line,) = err.strip().splitlines()
    assert line.startswith(f"summarizer: {path}: not valid UTF-8")
    assert "decoded as Windows-1252" in line and "error" not in line


def test_stdin_article_is_summarized(capsys, monkeypatch) -> None:
    fake_summarizer(monkeypatch)
    article = seed("us-china-rare-earths-tensions.txt")
    stdin_bytes(monkeypatch, article.encode())
    code, out, err = cli(capsys, "summarize", "-")
    assert code == 0, err
    assert err == ""
    data = json.loads(out)
    assert data["source"]["chars"] == len(article)
    assert data["run"]["model"] == "fake"


def test_markdown_output_to_a_file(capsys, monkeypatch, tmp_path: Path) -> None:
    fake_summarizer(monkeypatch)
    path = tmp_path / "a.txt"
    path.write_text("Acme talks\nThe union demanded a pension guarantee. Acme offered a bonus.\n")
    target = tmp_path / "out.md"
    code, out, err = cli(
        capsys, "summarize", str(path), "-f", "markdown", "-o", str(target), "--title", "Mine"
    )
    assert (code, out, err) == (0, "", "")
    markdown = target.read_text()
    assert markdown.startswith("# Mine\n")
    assert "**Machinists Union** \u2192 Acme Corp: demanded a pension guarantee" in markdown


# -- usage errors: exit 2 -------------------------------------------------------------------


def test_unknown_option(capsys) -> None:
    code, out, err = cli(capsys, "summarize", "a.txt", "--frobnicate")
    assert code == 2 and out == ""
    assert "unrecognized arguments: --frobnicate" in err
    assert "Traceback" not in err


def test_no_command_and_no_path_are_usage_errors(capsys) -> None:
    assert cli(capsys)[0] == 2
    assert cli(capsys, "summarize")[0] == 2


def test_stdin_combined_with_other_inputs(capsys, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Talks resumed.")
    code, out, err = cli(capsys, "summarize", "-", str(path))
    assert code == 2 and out == ""
    assert "'-' (stdin) cannot be combined" in one_error_line(err)


def test_local_model_without_a_path(capsys, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Acme offered a raise.")
    code, out, err = cli(capsys, "summarize", str(path), "--model", "local:", "--no-cache")
    assert code == 2 and out == ""
    assert "'local:' needs an argument" in one_error_line(err)


@pytest.mark.parametrize(
    "extra", [["--max-reasks", "-1"], ["--concurrency", "0"], ["--transport-attempts", "0"]]
)
def test_out_of_range_budgets(capsys, tmp_path: Path, extra: list[str]) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Acme offered a raise.")
    code, _, err = cli(capsys, "summarize", str(path), "--no-cache", *extra)
    assert code == 2
    bound = "0" if extra[0] == "--max-reasks" else "1"
    assert f"{extra[0]} must be >= {bound}" in one_error_line(err)


def test_title_with_several_inputs(capsys, tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("A.")
    b.write_text("B.")
    code, _, err = cli(capsys, "summarize", str(a), str(b), "--title", "T")
    assert code == 2
    assert "--title applies to a single input" in one_error_line(err)


def test_debug_shows_the_traceback(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SUMMARIZER_DEBUG", "1")
    with pytest.raises(summarizer.SummarizerError, match="no such file"):
        main(["summarize", str(tmp_path / "missing.txt")])


@pytest.mark.parametrize("value", ["0", "false", "no", ""])
def test_debug_off_values_keep_one_line(capsys, monkeypatch, tmp_path: Path, value: str) -> None:
    monkeypatch.setenv("SUMMARIZER_DEBUG", value)
    code, _, err = cli(capsys, "summarize", str(tmp_path / "missing.txt"))
    assert code == 1
    assert "no such file" in one_error_line(err)


# -- help and version ---------------------------------------------------------------------


def command_paths(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from command_paths(sub, (*path, name))


COMMANDS = dict(command_paths(build_parser()))
# Subcommands registered with help= (listed by their parent) but no description=.
NO_DESCRIPTION: set[tuple[str, ...]] = set()


def test_the_command_tree_is_what_we_test() -> None:
    assert {("summarize",), ("eval",)} <= set(COMMANDS)
    assert {("eval", n) for n in ("check", "run", "score", "compare", "calibrate")} <= set(COMMANDS)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(
            path,
            id=" ".join(path) or "summarizer",
            marks=[
                pytest.mark.xfail(
                    strict=True,
                    reason="BUG: cli/eval_cmd.py add_parser() without description=: "
                    "'--help' prints no description",
                )
            ]
            if path in NO_DESCRIPTION
            else [],
        )
        for path in COMMANDS
    ],
)
def test_every_command_has_help_with_a_description(capsys, path: tuple[str, ...]) -> None:
    code, out, err = cli(capsys, *path, "--help")
    assert code == 0 and err == ""
    assert out.startswith("usage: summarizer")
    description = COMMANDS[path].description
    assert description, f"{' '.join(path) or 'summarizer'} has no description"
    assert " ".join(description.split()) in " ".join(out.split())


def test_subcommands_are_listed_with_help_in_their_parent(capsys) -> None:
    for path, parser in COMMANDS.items():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helped = {a.dest for a in action._choices_actions if a.help}
                assert helped == set(action.choices), path


def test_every_argument_has_help_text() -> None:
    missing = [
        (" ".join(path), action.dest)
        for path, parser in COMMANDS.items()
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction) and not action.help
    ]
    assert missing == []


def test_version(capsys) -> None:
    code, out, _ = cli(capsys, "--version")
    declared = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert code == 0
    assert out == f"summarizer {summarizer.__version__}\n"
    assert declared is not None and summarizer.__version__ == declared[1]


# -- a real (hosted) backend failing after the input was decoded -------------------------


@pytest.fixture(scope="module")
def hosted_failure(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess:
    """One CLI run in a fresh process: litellm with no key and an unreachable base URL.

    It fails before any network traffic (no credentials), after the article was read.
    """
    folder = tmp_path_factory.mktemp("hosted")
    path = folder / "cp1252.txt"
    path.write_bytes(CP1252)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_TOKEN")) and not k.startswith(("SUMMARIZER_", "OPENAI"))
    }
    env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", SUMMARIZER_CACHE_DIR=str(folder / "cache"))
    argv = [
        sys.executable, "-m", "summarizer.cli.main", "summarize", str(path),
        "--model", "openai/x", "--api-base", "http://127.0.0.1:9",
        "--transport-attempts", "1", "--max-reasks", "0", "--no-cache", "--timeout", "5",
    ]  # fmt: skip
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_provider_failure_after_decoding_is_one_error_line(hosted_failure) -> None:
    assert hosted_failure.returncode == 1
    lines = hosted_failure.stderr.strip().splitlines()
    assert "Traceback" not in hosted_failure.stderr
    assert len(lines) == 2, hosted_failure.stderr
    assert "not valid UTF-8" in lines[0] and "decoded as Windows-1252" in lines[0]
    assert lines[1].startswith("summarizer: error: provider failed")


def test_provider_failure_writes_nothing_to_stdout(hosted_failure) -> None:
    assert hosted_failure.stdout == ""


def test_strategy_is_a_documented_choice(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "summarize", "--help")
    assert code == 0 and "--strategy" in out
    code, _, err = cli(capsys, "summarize", "x.txt", "--strategy", "bogus")
    assert code == 2 and "invalid choice" in err


def test_each_model_family_gets_its_default_strategy() -> None:
    from summarizer.strategies import default_strategy

    assert default_strategy("local") == "staged"
    assert default_strategy("local:/m/x.gguf") == "staged"
    assert default_strategy("openai/gpt-4o-mini") == "single"
    assert default_strategy("llamacpp") == "single"


def test_verbose_after_the_command_shows_the_phases() -> None:
    import io

    from summarizer.cli.summarize_cmd import phase_printer

    out = io.StringIO()
    show = phase_printer(out)
    show("loading", "model.gguf")
    for _ in range(8):
        show("judging", "")
    show("done", "100 tokens read")
    text = out.getvalue()
    assert "loading the model model.gguf" in text
    assert "judged 2 sentence(s)" in text
    assert "done: 100 tokens read" in text


def test_verbose_is_accepted_after_the_command() -> None:
    from summarizer.cli.main import build_parser

    assert build_parser().parse_args(["summarize", "a.txt", "-v"]).verbose == 1
    assert build_parser().parse_args(["-v", "summarize", "a.txt"]).verbose == 1
    assert build_parser().parse_args(["summarize", "a.txt"]).verbose == 0
