"""Choosing a backend from a model string, lazily (no SDK import, no model load)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from summarizer.backends import (
    DEFAULT_MODEL,
    MockBackend,
    make_backend,
    register_backend,
    resolve_model,
)
from summarizer.backends.engine import compact_json_grammar
from summarizer.backends.hosted import HostedBackend
from summarizer.backends.local import LocalBackend
from summarizer.backends.transport import RetryPolicy
from summarizer.errors import UsageError
from summarizer.grounding.extraction import Extraction
from summarizer.grounding.sentences import split_sentences
from summarizer.settings import Settings
from summarizer.strategies.structured import Meter, Request, schema_of, structured

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUMMARIZER_MODEL", raising=False)


def test_default_is_the_embedded_model() -> None:
    assert DEFAULT_MODEL == "local"
    assert resolve_model(None) == "local"
    assert resolve_model("") == "local"


def test_environment_chooses_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARIZER_MODEL", "  ollama/qwen2.5 ")
    assert resolve_model(None) == "ollama/qwen2.5"
    assert resolve_model("openai/gpt-4o-mini") == "openai/gpt-4o-mini"  # explicit wins


def test_blank_model_string_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="empty") as info:
        resolve_model("   ")
    assert info.value.exit_code == 2


def test_local_backend_is_built_without_loading_a_model() -> None:
    backend = make_backend()
    assert isinstance(backend, LocalBackend)
    assert backend.name == "local"
    assert backend.concurrency == 1
    assert backend.context_chars >= 2_000


def test_local_path_names_a_gguf_file(tmp_path: Path) -> None:
    path = tmp_path / "my model.gguf"
    backend = make_backend(f"local:{path}")
    assert isinstance(backend, LocalBackend)
    assert backend.name == f"local:{path}"


def test_local_path_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARIZER_MODEL", "local:/models/x.gguf")
    assert make_backend().name == "local:/models/x.gguf"


def test_local_without_a_path_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="'local:' needs an argument"):
        make_backend("local:")


@pytest.mark.parametrize("model", ["openai/gpt-4o-mini", "ollama/qwen2.5", "anthropic/claude-x"])
def test_other_strings_are_litellm_models(model: str) -> None:
    settings = Settings(
        api_base="http://127.0.0.1:9", timeout=3.0, concurrency=3, transport_attempts=2
    )
    backend = make_backend(model, settings)
    assert isinstance(backend, HostedBackend)
    assert backend.name == model
    assert backend.api_base == "http://127.0.0.1:9" and backend.timeout == 3.0
    assert backend.concurrency == 3
    assert backend.retry == RetryPolicy(attempts=2)


def test_settings_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        Settings(concurrency=0)
    with pytest.raises(ValueError, match="extra"):
        Settings(modle="local")  # type: ignore[call-arg]


def test_registry_maps_a_prefix_to_a_factory() -> None:
    seen: list[str | None] = []

    def factory(argument: str | None, settings: Settings, progress: object) -> MockBackend:
        seen.append(argument)
        return MockBackend([], name=f"mine:{argument}")

    register_backend("mine", factory)
    assert make_backend("mine:abc").name == "mine:abc"
    assert make_backend("mine").name == "mine:None"
    assert seen == ["abc", None]
    with pytest.raises(UsageError):
        register_backend("bad:prefix", factory)


def test_hosted_cost_comes_from_the_offline_price_map() -> None:
    from summarizer.schema import Usage

    usage = Usage(prompt_tokens=1_000_000, completion_tokens=0)
    cost = make_backend("openai/gpt-4o-mini").cost_usd(usage)
    assert cost is not None and 0.01 < cost < 10.0
    assert make_backend("openai/no-such-model-xyz").cost_usd(usage) is None
    assert make_backend("local").cost_usd(usage) == 0.0


def test_hosted_context_is_larger_than_local() -> None:
    assert make_backend("openai/x").context_chars > make_backend("local").context_chars


def test_importing_summarizer_loads_no_model_sdk() -> None:
    code = (
        "import sys, summarizer\n"
        "from summarizer.backends import make_backend\n"
        "make_backend('local'); make_backend('openai/x')\n"
        "print('xllamacpp' in sys.modules, 'litellm' in sys.modules, 'instructor' in sys.modules)"
    )
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    env.pop("SUMMARIZER_MODEL", None)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "False"]


# -- the schema the engine is given ---------------------------------------------------


def test_the_json_schema_of_instructors_response_format() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    response_format = {"type": "json_schema", "json_schema": {"name": "X", "schema": schema}}
    assert schema_of(response_format) == schema
    assert schema_of({"type": "json_object", "schema": schema}) == schema


@pytest.mark.parametrize("value", [None, {}, {"type": "json_object"}])
def test_no_schema_is_none(value) -> None:
    assert schema_of(value) is None


def test_the_grammar_allows_no_free_whitespace() -> None:
    # llama.cpp's own conversion allows newlines and indentation, which the 1.5B model
    # then writes (52 tokens against 33 for the same answer, measured).
    schema = {"type": "object", "properties": {"a": {"enum": ["x", "y"]}}, "required": ["a"]}
    grammar = compact_json_grammar(schema)
    assert grammar.startswith("%llguidance {}\nstart: %json {")
    body = json.loads(grammar.split("%json ", 1)[1])
    assert body["x-guidance"] == {"whitespace_flexible": False}
    assert body["properties"] == schema["properties"]


def test_the_grammar_closes_every_object() -> None:
    # An open object lets the model write keys of its own after the last field, until
    # the token limit cuts the answer off.
    item = {"type": "object", "properties": {"b": {"type": "string"}}}
    schema = {
        "type": "object",
        "properties": {"a": {"type": "array", "items": {"$ref": "#/$defs/Item"}}},
        "$defs": {"Item": item, "Free": {"type": "object", "additionalProperties": True}},
    }
    body = json.loads(compact_json_grammar(schema).split("%json ", 1)[1])
    assert body["additionalProperties"] is False
    assert body["$defs"]["Item"]["additionalProperties"] is False
    assert body["$defs"]["Free"]["additionalProperties"] is True  # said otherwise: kept
    assert "additionalProperties" not in item  # the caller's schema is not changed


def test_a_backend_is_given_the_extraction_schema() -> None:
    # The JSON schema instructor builds for Extraction reaches the backend as a plain dict.
    answer = {"parties": [], "demands": [], "concessions": [], "open_issues": [], "summary": "No."}
    backend = MockBackend([answer])
    request = Request(
        messages=[{"role": "user", "content": "Article:\nNo."}],
        response_model=Extraction,
        sentences=tuple(split_sentences("No.")),
        max_reasks=0,
        max_tokens=8,
    )
    structured(backend, request, Meter())
    reshaped = backend.calls[0].schema
    assert reshaped is not None
    assert set(reshaped["properties"]) == {
        "parties",
        "demands",
        "concessions",
        "open_issues",
        "summary",
    }
