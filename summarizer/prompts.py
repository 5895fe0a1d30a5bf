"""Prompt templates as files: loaded and checked once, rendered strictly, hashed.

A prompt is a manifest ``prompts/<name>.yaml`` naming its Jinja2 templates and the
variables they take. Loading fails if a template uses a variable the manifest does
not declare (or declares one no template uses); rendering fails on a missing or
unexpected variable. Every output is stamped with the version and content hash.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import PromptError
from .schema import PromptInfo


class _Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    description: str = ""
    variables: list[str]
    system: str
    user: str


def prompts_dir() -> Path:
    """Where the prompt files live: $SUMMARIZER_PROMPTS_DIR, the wheel, or the checkout."""
    override = os.environ.get("SUMMARIZER_PROMPTS_DIR")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    for candidate in (here / "_prompts", here.parent / "prompts"):
        if candidate.is_dir():
            return candidate
    raise PromptError("prompt folder not found (looked in the package and the checkout)")


@dataclass(frozen=True)
class Prompt:
    """A loaded, validated prompt. ``render`` returns chat messages."""

    name: str
    version: str
    sha256: str
    variables: frozenset[str]
    _templates: dict[str, jinja2.Template]

    @property
    def info(self) -> PromptInfo:
        return PromptInfo(name=self.name, version=self.version, sha256=self.sha256)

    def _render(self, part: str, values: dict[str, Any]) -> str:
        missing = self.variables - values.keys()
        unexpected = values.keys() - self.variables
        if missing or unexpected:
            raise PromptError(
                f"prompt {self.name!r}: missing variables {sorted(missing)}, "
                f"unexpected variables {sorted(unexpected)}",
                prompt=self.name,
            )
        try:
            return self._templates[part].render(**values).strip()
        except jinja2.UndefinedError as exc:  # pragma: no cover - guarded above
            raise PromptError(f"prompt {self.name!r}: {exc}", prompt=self.name) from exc

    def messages(self, **values: Any) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self._render("system", values)},
            {"role": "user", "content": self._render("user", values)},
        ]


def _load(directory: Path, name: str) -> Prompt:
    manifest_path = directory / f"{name}.yaml"
    try:
        raw = manifest_path.read_bytes()
        manifest = _Manifest.model_validate(yaml.safe_load(raw))
    except FileNotFoundError as exc:
        raise PromptError(f"prompt manifest not found: {manifest_path}", prompt=name) from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise PromptError(f"invalid prompt manifest {manifest_path}: {exc}", prompt=name) from exc

    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    digest = hashlib.sha256(raw)
    templates: dict[str, jinja2.Template] = {}
    used: set[str] = set()
    parts = {"system": manifest.system, "user": manifest.user}
    for part, filename in parts.items():
        path = directory / filename
        try:
            source = path.read_text(encoding="utf-8")
            used |= jinja2.meta.find_undeclared_variables(env.parse(source))
            templates[part] = env.from_string(source)
        except FileNotFoundError as exc:
            raise PromptError(f"prompt template not found: {path}", prompt=name) from exc
        except jinja2.TemplateSyntaxError as exc:
            raise PromptError(f"template syntax error in {path}: {exc}", prompt=name) from exc
        digest.update(b"\0" + source.encode("utf-8"))

    declared = set(manifest.variables)
    if used != declared:
        raise PromptError(
            f"prompt {name!r}: templates use {sorted(used)} but the manifest declares "
            f"{sorted(declared)}",
            prompt=name,
        )
    return Prompt(
        name=manifest.name,
        version=manifest.version,
        sha256=digest.hexdigest(),
        variables=frozenset(declared),
        _templates=templates,
    )


@functools.lru_cache(maxsize=16)
def load_prompt(name: str = "extract", directory: str | None = None) -> Prompt:
    """Load and validate a prompt once per process."""
    return _load(Path(directory) if directory else prompts_dir(), name)
