"""Series gold files (evals/SERIES_FORMAT.md): loaded and checked against the article
golds they name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import EvalError
from ..tracking.model import CHANGE_KINDS
from .evidence import locate
from .gold import Gold, GoldParty

_PARTY_KINDS = {
    "new_demand",
    "demand_met",
    "demand_not_mentioned",
    "new_concession",
    "concession_advanced",
}
_STATUSES = {"offered", "agreed", "implemented"}


@dataclass(frozen=True)
class GoldChange:
    article: str
    kind: str
    text: str
    party: str | None = None
    to: str | None = None
    evidence: str | None = None
    answers: str | None = None
    from_status: str | None = None
    to_status: str | None = None
    optional: bool = False


@dataclass(frozen=True)
class GoldRef:
    article: str
    party: str | None
    text: str


@dataclass(frozen=True)
class GoldLink:
    concession: GoldRef
    demand: GoldRef
    reason: str = ""
    optional: bool = False


@dataclass(frozen=True)
class SeriesGold:
    id: str
    path: Path
    title: str | None
    articles: tuple[str, ...]
    parties: tuple[GoldParty, ...]
    changes: tuple[GoldChange, ...]
    links: tuple[GoldLink, ...]


def _ref(raw: Any, where: str, problems: list[str]) -> GoldRef:
    if not isinstance(raw, dict) or "text" not in raw or "article" not in raw:
        problems.append(f"{where}: needs article and text")
        return GoldRef("", None, "")
    return GoldRef(str(raw["article"]), raw.get("party"), str(raw["text"]))


def load_series(path: Path, golds: dict[str, Gold]) -> SeriesGold:
    """One series file, checked: articles are gold articles, kinds are known, names are
    declared parties, and each evidence quote is in its own article."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise EvalError(f"cannot read series gold {path}: {exc}", path=str(path)) from exc
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise EvalError(f"{path}: not a mapping", path=str(path))
    if raw.get("id") != path.stem:
        problems.append(f"id {raw.get('id')!r} should equal the file stem {path.stem!r}")
    articles = tuple(str(a) for a in raw.get("articles") or [])
    problems += [f"article {a!r} has no gold file" for a in articles if a not in golds]
    parties = tuple(
        GoldParty(
            name=str(p["name"]),
            aliases=tuple(str(a) for a in p.get("aliases") or []),
            optional=bool(p.get("optional", False)),
        )
        for p in raw.get("parties") or []
    )
    names = {p.name for p in parties}
    changes = []
    for i, c in enumerate(raw.get("changes") or []):
        where = f"changes[{i}]"
        kind = c.get("kind")
        if kind not in CHANGE_KINDS:
            problems.append(f"{where}: unknown kind {kind!r}")
        if c.get("article") not in articles[1:]:
            problems.append(f"{where}: article {c.get('article')!r} is not a later article")
        for key in ("party", "to"):
            if c.get(key) is not None and c[key] not in names:
                problems.append(f"{where}: {key} {c[key]!r} is not a declared party")
        if kind in _PARTY_KINDS and not c.get("party"):
            problems.append(f"{where}: {kind} needs a party")
        if kind == "concession_advanced" and not (
            c.get("from") in _STATUSES and c.get("to_status") in _STATUSES
        ):
            problems.append(f"{where}: concession_advanced needs from and to_status")
        evidence = c.get("evidence")
        gold = golds.get(str(c.get("article")))
        if evidence and gold is not None and locate(gold.article, str(evidence)) is None:
            problems.append(f"{where}: evidence not found in {c.get('article')}")
        changes.append(
            GoldChange(
                article=str(c.get("article")),
                kind=str(kind),
                text=str(c.get("text", "")),
                party=c.get("party"),
                to=c.get("to"),
                evidence=evidence,
                answers=c.get("answers"),
                from_status=c.get("from"),
                to_status=c.get("to_status"),
                optional=bool(c.get("optional", False)) or kind == "restated",
            )
        )
    links = tuple(
        GoldLink(
            concession=_ref(link.get("concession"), f"links[{i}].concession", problems),
            demand=_ref(link.get("demand"), f"links[{i}].demand", problems),
            reason=str(link.get("reason", "")),
            optional=bool(link.get("optional", False)),
        )
        for i, link in enumerate(raw.get("links") or [])
    )
    if problems:
        raise EvalError(f"{path}: " + "; ".join(problems), path=str(path))
    return SeriesGold(
        id=path.stem,
        path=path,
        title=raw.get("title"),
        articles=articles,
        parties=parties,
        changes=tuple(changes),
        links=links,
    )


def load_series_dir(directory: Path, golds: dict[str, Gold]) -> list[SeriesGold]:
    """Every ``*.yaml`` series file of ``directory``, sorted by name."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise EvalError(f"no series gold files in {directory}", path=str(directory))
    return [load_series(f, golds) for f in files]
