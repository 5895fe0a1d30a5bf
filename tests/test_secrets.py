"""API keys never appear in logs, error messages, reports or saved runs.

The fault server answers 401 with a body that echoes the key it was sent (as some
providers do), so the key is really on its way back at us in every test here.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import pytest
from conftest import FAKE_KEY, MODEL
from fault_server import Call, Fault, FaultServer

from summarizer.api import asummarize, summarize
from summarizer.cli.main import main
from summarizer.errors import ProviderError
from summarizer.redaction import RedactingFilter, redact

#: Not shaped like a key (no sk- prefix): only registration can catch it.
UNSHAPED_KEY = "UNSHAPED0123456789abcdefFAKE"
TEXT = (
    "Talks resumed in Geneva\n"
    "The union is demanding a 20% raise over four years. Management has offered a 12% raise."
)


def _echo_everything(server: FaultServer) -> None:
    server.default = lambda call: Fault.echo_auth()


def _sent(server: FaultServer, key: str) -> bool:
    return any(c.headers.get("authorization") == f"Bearer {key}" for c in server.calls)


def _all_text(path: Path) -> str:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


def test_the_cli_never_prints_the_key_even_with_sdk_debug_logs(
    server: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _echo_everything(server)
    article = tmp_path / "a.txt"
    article.write_text(TEXT, encoding="utf-8")
    code = main(
        ["-vvv", "summarize", str(article), "--model", MODEL, "--api-base", server.api_base]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert _sent(server, FAKE_KEY)  # the key went out and came back in the 401 body
    assert "provider failed (auth)" in err
    assert "Incorrect API key provided" in err  # the echo was logged, redacted
    assert FAKE_KEY not in err and FAKE_KEY not in out


def test_batch_records_and_the_cache_never_hold_the_key(
    server: FaultServer, tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.txt").write_text(f"Case {i}\n{TEXT}", encoding="utf-8")
    server.script_for("Case 1", Fault.echo_auth())
    out = tmp_path / "out.jsonl"
    code = main(
        ["summarize", str(folder), "-o", str(out), "--model", MODEL, "--api-base", server.api_base]
    )
    err = capsys.readouterr().err
    assert code == 1 and "2 summarized, 1 failed" in err
    saved = out.read_text(encoding="utf-8")
    assert "Incorrect API key provided" in saved  # the failure is recorded, with its reason
    assert FAKE_KEY not in saved and FAKE_KEY not in err
    assert list(cache_dir.rglob("*.json")), "the successes were cached"
    assert FAKE_KEY not in _all_text(cache_dir)


def test_a_key_passed_as_an_option_is_kept_out_of_errors_and_logs(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    _echo_everything(server)
    caplog.set_level(logging.DEBUG)  # every logger, the SDKs' included
    with pytest.raises(ProviderError) as info:
        summarize(TEXT, model=MODEL, api_base=server.api_base, api_key=UNSHAPED_KEY)
    assert _sent(server, UNSHAPED_KEY)
    exc = info.value
    assert exc.provider_cause == "auth"
    shown = str(exc) + repr(exc.context) + "".join(traceback.format_exception(exc))
    assert UNSHAPED_KEY not in shown
    assert "Incorrect API key provided" in caplog.text  # litellm logged the echoed body...
    assert UNSHAPED_KEY not in caplog.text  # ...redacted


async def test_the_async_api_keeps_the_key_out_too(server: FaultServer) -> None:
    _echo_everything(server)
    with pytest.raises(ProviderError) as info:
        await asummarize(TEXT, model=MODEL, api_base=server.api_base)
    assert _sent(server, FAKE_KEY)
    assert FAKE_KEY not in str(info.value) + repr(info.value.context)


def test_the_key_goes_only_to_the_provider(server: FaultServer) -> None:
    seen: list[Call] = []

    def record(call: Call) -> object:
        seen.append(call)
        return Fault.ok()

    server.default = record  # type: ignore[assignment]
    summary = summarize(TEXT, model=MODEL, api_base=server.api_base)
    assert [c.headers["authorization"] for c in seen] == [f"Bearer {FAKE_KEY}"]
    assert FAKE_KEY not in str(seen[0].body)  # not in the prompt or any other field
    assert FAKE_KEY not in summary.model_dump_json()


def test_the_redacting_filter_covers_tracebacks() -> None:
    from summarizer.redaction import register_secret

    secret = "traceback-secret-not-key-shaped-7"
    register_secret(secret)
    logger = logging.getLogger("summarizer.test_secrets")
    logger.propagate = False
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"provider said: bad key {secret}")
        except RuntimeError:
            logger.exception("call failed with %s", FAKE_KEY)
    finally:
        logger.removeHandler(handler)
    assert len(records) == 1
    assert "call failed with sk-***" in records[0]
    assert "RuntimeError: provider said: bad key ***" in records[0]  # the traceback
    assert secret not in records[0] and FAKE_KEY not in records[0]


def test_registered_and_environment_keys_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    from summarizer.redaction import register_secret

    monkeypatch.setenv("ANTHROPIC_API_KEY", "plainvalue-not-key-shaped-42")
    register_secret("opt-value-not-key-shaped-43")
    text = "a plainvalue-not-key-shaped-42 b opt-value-not-key-shaped-43 c sk-abcdefghijklmnop"
    assert redact(text) == "a *** b *** c sk-***"
