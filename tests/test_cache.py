"""The on-disk cache: same model, prompt, article and settings -> no request; failures
are never cached; ``--no-cache`` bypasses it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import MODEL
from fault_server import Fault, FaultServer

from summarizer.cli.main import main
from summarizer.errors import ExtractionError, ProviderError
from summarizer.io.cache import Cache
from summarizer.io.inputs import make_article
from summarizer.schema import NegotiationSummary

Build = Callable[..., Any]
TEXT = (
    "Talks resumed in Geneva\n"
    "The union is demanding a 20% raise over four years. Management has offered a 12% raise."
)
ARTICLE = make_article(TEXT)


def entries(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.json") if p.is_file())


def test_the_second_run_is_served_from_the_cache(
    server: FaultServer, hosted: Build, tmp_path: Path
) -> None:
    cache = Cache(tmp_path / "c")
    first = hosted(cache=cache).summarize(ARTICLE)
    assert len(server.calls) == 1 and not first.run.cached
    second = hosted(cache=cache).summarize(ARTICLE)  # a new Summarizer, same settings
    assert len(server.calls) == 1  # no request
    assert second.run.cached
    assert second.model_dump(exclude={"run"}) == first.model_dump(exclude={"run"})
    assert len(entries(tmp_path / "c")) == 1


async def test_the_async_path_uses_the_cache_too(
    server: FaultServer, hosted: Build, tmp_path: Path
) -> None:
    cache = Cache(tmp_path / "c")
    await hosted(cache=cache).asummarize(ARTICLE)
    again = await hosted(cache=cache).asummarize(ARTICLE)
    assert again.run.cached and len(server.calls) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"temperature": 0.5},
        {"max_tokens": 999},
        {"max_reasks": 0},
        {"chunk_chars": 5000},
    ],
    ids=lambda c: next(iter(c)),
)
def test_a_setting_that_can_change_the_output_misses(
    change: dict[str, Any], server: FaultServer, hosted: Build, tmp_path: Path
) -> None:
    cache = Cache(tmp_path / "c")
    hosted(cache=cache).summarize(ARTICLE)
    hosted(cache=cache, **change).summarize(ARTICLE)
    assert len(server.calls) == 2


def test_other_articles_and_titles_miss_and_transport_attempts_do_not_matter(
    server: FaultServer, hosted: Build, tmp_path: Path
) -> None:
    cache = Cache(tmp_path / "c")
    hosted(cache=cache, attempts=3).summarize(ARTICLE)
    hosted(cache=cache, attempts=5).summarize(ARTICLE)  # not an output setting
    assert len(server.calls) == 1
    hosted(cache=cache).summarize(make_article(TEXT + " Talks go on."))
    hosted(cache=cache).summarize(make_article(TEXT, title="Another title"))
    assert len(server.calls) == 3


def test_a_change_to_the_faithfulness_checks_misses(
    server: FaultServer, hosted: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks decide re-asks and drops in every strategy, and no prompt hash
    changes with them."""
    from summarizer.grounding import faithfulness

    cache = Cache(tmp_path / "c")
    hosted(cache=cache).summarize(ARTICLE)
    monkeypatch.setattr(faithfulness, "REVISION", faithfulness.REVISION + "-next")
    hosted(cache=cache).summarize(ARTICLE)
    assert len(server.calls) == 2


def test_another_model_misses(server: FaultServer, tmp_path: Path) -> None:
    from summarizer import Summarizer

    cache = Cache(tmp_path / "c")
    for model in (MODEL, "openai/other-model", MODEL):
        Summarizer(model, api_base=server.api_base, cache=cache).summarize(ARTICLE)
    assert [c.body["model"] for c in server.calls] == ["fake-model", "other-model"]


@pytest.mark.parametrize(
    "faults, error",
    [
        ([Fault.status(400)], ProviderError),
        ([Fault.status(503)] * 3, ProviderError),
        ([Fault.ungrounded()] * 3, ExtractionError),
    ],
    ids=["bad request", "server errors", "invalid answers"],
)
def test_failures_are_never_cached(
    faults: list[Any], error: type[Exception], server: FaultServer, hosted: Build, tmp_path: Path
) -> None:
    cache = Cache(tmp_path / "c")
    server.script(*faults)
    with pytest.raises(error):
        hosted(cache=cache, attempts=3, max_reasks=2).summarize(ARTICLE)
    assert entries(tmp_path / "c") == []
    failed_calls = len(server.calls)

    summary = hosted(cache=cache, attempts=3, max_reasks=2).summarize(ARTICLE)  # asks again
    assert not summary.run.cached
    assert len(server.calls) == failed_calls + 1
    assert len(entries(tmp_path / "c")) == 1
    assert hosted(cache=cache, attempts=3, max_reasks=2).summarize(ARTICLE).run.cached
    assert len(server.calls) == failed_calls + 1


def test_an_unreadable_entry_is_ignored_and_replaced(
    server: FaultServer, hosted: Build, tmp_path: Path
) -> None:
    cache = Cache(tmp_path / "c")
    hosted(cache=cache).summarize(ARTICLE)
    (entry,) = entries(tmp_path / "c")
    entry.write_text('{"summary": "half a', encoding="utf-8")
    summary = hosted(cache=cache).summarize(ARTICLE)
    assert not summary.run.cached and len(server.calls) == 2
    NegotiationSummary.model_validate_json(entry.read_text(encoding="utf-8"))


def _cli(path: Path, server: FaultServer, *extra: str) -> list[str]:
    return ["summarize", str(path), "--model", MODEL, "--api-base", server.api_base, *extra]


def test_the_cli_caches_in_the_cache_dir_and_no_cache_bypasses_it(
    server: FaultServer, tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "a.txt"
    article.write_text(TEXT, encoding="utf-8")

    assert main(_cli(article, server)) == 0
    first = NegotiationSummary.model_validate_json(capsys.readouterr().out)
    assert len(server.calls) == 1 and len(entries(cache_dir)) == 1

    assert main(_cli(article, server)) == 0
    second = NegotiationSummary.model_validate_json(capsys.readouterr().out)
    assert len(server.calls) == 1  # zero requests the second time
    assert second.run.cached and second.demands == first.demands

    assert main(_cli(article, server, "--no-cache")) == 0
    assert not NegotiationSummary.model_validate_json(capsys.readouterr().out).run.cached
    assert len(server.calls) == 2  # --no-cache asks the model...
    assert len(entries(cache_dir)) == 1  # ...and does not write the cache


def test_a_cached_batch_makes_no_requests(
    server: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(5):
        (folder / f"{i}.txt").write_text(f"Case {i}\n{TEXT}", encoding="utf-8")
    assert main(_cli(folder, server, "-o", str(tmp_path / "one.jsonl"))) == 0
    assert len(server.calls) == 5
    # a new output file: nothing to resume from, so every article comes from the cache
    assert main(_cli(folder, server, "-o", str(tmp_path / "two.jsonl"))) == 0
    assert len(server.calls) == 5
    assert "5 summarized, 0 failed" in capsys.readouterr().err
    assert main(_cli(folder, server, "-o", str(tmp_path / "three.jsonl"), "--no-cache")) == 0
    assert len(server.calls) == 10


def test_a_failure_is_not_cached_by_the_cli(
    server: FaultServer, tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "a.txt"
    article.write_text(TEXT, encoding="utf-8")
    server.script(Fault.status(400))
    assert main(_cli(article, server)) == 1
    assert "bad_request" in capsys.readouterr().err
    assert entries(cache_dir) == []
    assert main(_cli(article, server)) == 0
    assert len(server.calls) == 2
