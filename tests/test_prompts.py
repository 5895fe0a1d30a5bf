"""Prompts: loaded and checked up front, rendered strictly, stamped with version and hash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from fakes import FakeBackend, empty_answer

from summarizer.errors import PromptError
from summarizer.io.inputs import make_article
from summarizer.pipeline import Pipeline
from summarizer.prompts import load_prompt, prompts_dir

CHECKOUT_PROMPTS = Path(__file__).resolve().parents[1] / "prompts"


@pytest.fixture
def prompt_copy(tmp_path: Path) -> Path:
    """A private copy of the prompt folder that a test may break."""
    folder = tmp_path / "prompts"
    shutil.copytree(CHECKOUT_PROMPTS, folder)
    return folder


def load(folder: Path):
    return load_prompt("extract", str(folder))


def test_checkout_prompt_loads_with_its_manifest_version() -> None:
    manifest = yaml.safe_load((CHECKOUT_PROMPTS / "extract.yaml").read_text())
    prompt = load(CHECKOUT_PROMPTS)
    assert prompt.name == "extract"
    assert prompt.version == str(manifest["version"])
    assert prompt.variables == frozenset(manifest["variables"])
    assert prompt.info.sha256 == prompt.sha256 and len(prompt.sha256) == 64


@pytest.mark.parametrize("filename", ["extract.yaml", "extract.system.j2", "extract.user.j2"])
def test_hash_covers_the_manifest_and_every_template(prompt_copy: Path, filename: str) -> None:
    original = load(CHECKOUT_PROMPTS).sha256
    assert load(prompt_copy).sha256 == original, "same content, same hash"
    path = prompt_copy / filename
    path.write_text(
        path.read_text() + "\n# an edit\n"
        if filename.endswith(".yaml")
        else path.read_text() + "\n"
    )
    load_prompt.cache_clear()
    assert load(prompt_copy).sha256 != original


def test_render_returns_system_then_user_with_the_article() -> None:
    messages = load(CHECKOUT_PROMPTS).messages(
        article="Acme offered a raise.", title="Talks", chunk_note=""
    )
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "Acme offered a raise." in messages[1]["content"]
    assert "Title: Talks" in messages[1]["content"]
    assert "Acme offered a raise." not in messages[0]["content"]


def test_system_part_does_not_depend_on_the_article() -> None:
    prompt = load(CHECKOUT_PROMPTS)
    a = prompt.messages(article="One.", title=None, chunk_note="")
    b = prompt.messages(article="Two.", title="T", chunk_note="part 2 of 3")
    assert a[0] == b[0]  # a fixed prefix, so the local backend can reuse its KV cache
    assert "Title:" not in a[1]["content"] and "part 2 of 3" in b[1]["content"]


def test_missing_variable_is_an_error() -> None:
    prompt = load(CHECKOUT_PROMPTS)
    with pytest.raises(PromptError, match=r"missing variables \['chunk_note'\]"):
        prompt.messages(article="x", title=None)


def test_unexpected_variable_is_an_error() -> None:
    prompt = load(CHECKOUT_PROMPTS)
    with pytest.raises(PromptError, match=r"unexpected variables \['language'\]"):
        prompt.messages(article="x", title=None, chunk_note="", language="fr")


def test_template_using_an_undeclared_variable_fails_to_load(prompt_copy: Path) -> None:
    user = prompt_copy / "extract.user.j2"
    user.write_text(user.read_text() + "\nAudience: {{ audience }}\n")
    with pytest.raises(PromptError, match="templates use .*'audience'.* but the manifest declares"):
        load(prompt_copy)


def test_declared_variable_no_template_uses_fails_to_load(prompt_copy: Path) -> None:
    manifest = prompt_copy / "extract.yaml"
    data = yaml.safe_load(manifest.read_text())
    data["variables"].append("audience")
    manifest.write_text(yaml.safe_dump(data))
    with pytest.raises(PromptError, match="manifest declares .*'audience'"):
        load(prompt_copy)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda d: (d / "extract.system.j2").unlink(), "prompt template not found"),
        (lambda d: (d / "extract.yaml").unlink(), "prompt manifest not found"),
        (lambda d: (d / "extract.user.j2").write_text("{% if x %}unclosed"), "syntax error"),
        (lambda d: (d / "extract.yaml").write_text("name: extract\nversion: [\n"), "invalid"),
        (lambda d: (d / "extract.yaml").write_text("name: extract\n"), "invalid prompt manifest"),
    ],
    ids=["no-template", "no-manifest", "bad-jinja", "bad-yaml", "incomplete-manifest"],
)
def test_broken_prompt_folders_fail_to_load(prompt_copy: Path, breakage, message: str) -> None:
    breakage(prompt_copy)
    with pytest.raises(PromptError, match=message):
        load(prompt_copy)


def test_hash_changes_when_a_template_changes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(CHECKOUT_PROMPTS, a)
    shutil.copytree(CHECKOUT_PROMPTS, b)
    assert load(a).sha256 == load(b).sha256
    system = b / "extract.system.j2"
    system.write_text(system.read_text().replace("Rules:", "Rules (strict):"))
    load_prompt.cache_clear()  # prompts load once per process; a new process sees the change
    changed = load(b)
    assert changed.sha256 != load(a).sha256
    assert changed.version == load(a).version  # the hash catches what the version may not


def test_prompts_dir_honours_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SUMMARIZER_PROMPTS_DIR", str(tmp_path))
    assert prompts_dir() == tmp_path
    monkeypatch.delenv("SUMMARIZER_PROMPTS_DIR")
    assert (prompts_dir() / "extract.yaml").is_file()


def test_summarizer_checks_the_prompt_before_any_model_call(
    monkeypatch: pytest.MonkeyPatch, prompt_copy: Path
) -> None:
    (prompt_copy / "extract.user.j2").write_text("{{ article }} {{ undeclared }}")
    monkeypatch.setenv("SUMMARIZER_PROMPTS_DIR", str(prompt_copy))
    load_prompt.cache_clear()
    backend = FakeBackend(lambda article, call: empty_answer())
    try:
        with pytest.raises(PromptError):
            Pipeline(backend)
    finally:
        load_prompt.cache_clear()
    assert backend.requests == []


def test_output_is_stamped_with_prompt_version_and_hash() -> None:
    prompt = load(CHECKOUT_PROMPTS)
    backend = FakeBackend(lambda article, call: empty_answer())
    summary = Pipeline(backend).summarize(make_article("Acme offered a raise."))
    assert summary.run.prompt.name == "extract"
    assert summary.run.prompt.version == prompt.version
    assert summary.run.prompt.sha256 == prompt.sha256
