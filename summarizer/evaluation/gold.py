"""Load and strictly validate gold files (the contract in GOLD_FORMAT.md).

A folder holds ``<id>.yaml`` hand labels, each beside its article ``<id>.txt``.
Every problem of every file is collected, each naming the file (and line), the
item and the problem; a folder with any problem raises one ``GoldFormatError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import GoldFormatError, InputError
from ..io.inputs import decode
from ..schema import FIELDS, ITEM_FIELDS
from .evidence import locate

STATUSES = ("offered", "agreed", "implemented")

_TOP_KEYS = {"id", "title", *FIELDS}
_KEYS = {
    "parties": {"name", "aliases", "optional"},
    "demands": {"party", "to", "text", "evidence", "optional"},
    "concessions": {"party", "to", "text", "status", "evidence", "optional"},
    "open_issues": {"text", "parties", "evidence", "optional"},
}
_REQUIRED = {"parties": ("name",), "demands": ("party", "text"), "concessions": ("party", "text")}


@dataclass(frozen=True)
class GoldParty:
    name: str
    aliases: tuple[str, ...] = ()
    optional: bool = False


@dataclass(frozen=True)
class GoldItem:
    """A gold demand, concession or open issue; ``span`` locates ``evidence`` in the article."""

    field: str
    index: int
    text: str
    party: str | None = None
    to: str | None = None
    parties: tuple[str, ...] = ()
    status: str | None = None
    evidence: str | None = None
    span: tuple[int, int] | None = None
    optional: bool = False


@dataclass(frozen=True)
class Gold:
    """One validated gold file with its article text."""

    id: str
    path: Path
    article: str
    title: str | None
    parties: tuple[GoldParty, ...]
    demands: tuple[GoldItem, ...]
    concessions: tuple[GoldItem, ...]
    open_issues: tuple[GoldItem, ...]

    @property
    def article_path(self) -> Path:
        return self.path.with_suffix(".txt")

    def items(self, field: str) -> tuple[GoldItem, ...]:
        """The items of ``demands``, ``concessions`` or ``open_issues``."""
        items: tuple[GoldItem, ...] = getattr(self, field)
        return items


def _lines(node: yaml.Node | None) -> dict[tuple[str, int], int]:
    """1-based line of each list item, keyed by (field, index), from the YAML node tree."""
    lines: dict[tuple[str, int], int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.SequenceNode):
            for i, item in enumerate(value.value):
                lines[(str(key.value), i)] = item.start_mark.line + 1
    return lines


class _Checker:
    """Validates one parsed gold file, collecting problems."""

    def __init__(
        self, path: Path, data: dict[str, Any], node: yaml.Node | None, article: str | None
    ) -> None:
        self.path, self.data, self.article = path, data, article
        self.lines = _lines(node)
        self.problems: list[str] = []

    def problem(self, where: str, message: str, key: tuple[str, int] | None = None) -> None:
        line = self.lines.get(key) if key else None
        loc = f"{self.path}:{line}" if line else str(self.path)
        self.problems.append(f"{loc}: {where}: {message}" if where else f"{loc}: {message}")

    def _str(self, value: Any, where: str, key_name: str, key: tuple[str, int] | None) -> bool:
        if not isinstance(value, str) or not value.strip():
            self.problem(where, f"{key_name!r} must be a non-empty string, got {value!r}", key)
            return False
        return True

    def _names(self, value: Any, where: str, key_name: str, key: tuple[str, int]) -> list[str]:
        if not isinstance(value, list):
            self.problem(where, f"{key_name!r} must be a list of names, got {value!r}", key)
            return []
        return [v for v in value if self._str(v, where, f"{key_name} entry", key)]

    def check_top(self) -> None:
        for k in sorted(set(self.data) - _TOP_KEYS, key=str):
            self.problem("", f"unknown key {k!r} (allowed: {', '.join(sorted(_TOP_KEYS))})")
        ident = self.data.get("id")
        if ident is None:
            self.problem("", "missing key 'id'")
        elif ident != self.path.stem:
            self.problem("", f"id {ident!r} does not equal the file stem {self.path.stem!r}")
        title = self.data.get("title")
        if title is not None and not isinstance(title, str):
            self.problem("", f"'title' must be a string, got {title!r}")

    def list_of(self, field: str) -> list[Any]:
        if field not in self.data:
            self.problem("", f"missing key {field!r} (write `{field}: []` for none)")
            return []
        value = self.data[field]
        if not isinstance(value, list):
            self.problem("", f"{field!r} must be a list, got {type(value).__name__}")
            return []
        return value

    def item(self, field: str, i: int, raw: Any) -> dict[str, Any] | None:
        key = (field, i)
        label = f"{field}[{i}]"
        if not isinstance(raw, dict):
            self.problem(label, f"must be a mapping, got {raw!r}", key)
            return None
        text = raw.get("text") or raw.get("name")
        if isinstance(text, str):
            label += f" ({text[:60]!r})"
        for k in sorted(set(raw) - _KEYS[field], key=str):
            self.problem(label, f"unknown key {k!r} (allowed: {', '.join(sorted(_KEYS[field]))})")
        for k in _REQUIRED.get(field, ("text",)):
            if k not in raw:
                self.problem(label, f"missing key {k!r}", key)
        ok = True
        for k in ("name", "party", "text"):
            if k in raw:
                ok &= self._str(raw[k], label, k, key)
        for k in ("to", "status", "evidence"):
            if raw.get(k) is not None:
                ok &= self._str(raw[k], label, k, key)
        if not isinstance(raw.get("optional", False), bool):
            self.problem(label, f"'optional' must be true or false, got {raw['optional']!r}", key)
            ok = False
        status = raw.get("status")
        if isinstance(status, str) and status not in STATUSES:
            self.problem(label, f"bad status {status!r} (allowed: {', '.join(STATUSES)})", key)
            ok = False
        raw = dict(raw, _label=label)
        return raw if ok else None

    def party(self, i: int, raw: Any) -> GoldParty | None:
        checked = self.item("parties", i, raw)
        if checked is None:
            return None
        aliases = self._names(
            checked.get("aliases", []), checked["_label"], "aliases", ("parties", i)
        )
        optional: bool = checked.get("optional", False)
        return GoldParty(checked["name"].strip(), tuple(a.strip() for a in aliases), optional)

    def gold_item(self, field: str, i: int, raw: Any, declared: set[str]) -> GoldItem | None:
        checked = self.item(field, i, raw)
        if checked is None or any(k not in checked for k in _REQUIRED.get(field, ("text",))):
            return None
        label, key = checked["_label"], (field, i)
        names = [checked[k] for k in ("party", "to") if checked.get(k) is not None]
        parties = self._names(checked.get("parties", []), label, "parties", key)
        for name in [*names, *parties]:
            if name.strip() not in declared:
                self.problem(
                    label, f"undeclared party {name!r} (declared: {sorted(declared)})", key
                )
        evidence: str | None = checked.get("evidence")
        span = locate(self.article, evidence) if evidence and self.article is not None else None
        if evidence and self.article is not None and span is None:
            self.problem(label, f"evidence not in the article: {evidence!r}", key)
        party, to = checked.get("party"), checked.get("to")
        return GoldItem(
            field=field,
            index=i,
            text=checked["text"].strip(),
            party=party.strip() if party else None,
            to=to.strip() if to else None,
            parties=tuple(p.strip() for p in parties),
            status=checked.get("status"),
            evidence=evidence,
            span=span,
            optional=checked.get("optional", False),
        )


def _parse(path: Path) -> tuple[Any, yaml.Node | None, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, None, [f"{path}: cannot read: {exc}"]
    try:
        return yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        detail = " ".join(str(exc).split())
        return None, None, [f"{where}: YAML syntax error: {detail}"]


def check_gold_file(path: Path) -> tuple[Gold | None, list[str]]:
    """Validate one gold file: the Gold (when valid) and the list of problems."""
    data, node, problems = _parse(path)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [f"{path}: the file must hold a mapping (id, parties, ...), got {data!r}"]
    article_path = path.with_suffix(".txt")
    article: str | None = None
    if not article_path.is_file():
        problems.append(f"{path}: missing article {article_path.name} beside the gold file")
    else:
        try:
            article = decode(article_path.read_bytes(), str(article_path))
        except (OSError, InputError) as exc:
            problems.append(f"{path}: unreadable article {article_path.name}: {exc}")
    check = _Checker(path, data, node, article)
    check.check_top()
    parties = [check.party(i, raw) for i, raw in enumerate(check.list_of("parties"))]
    declared: set[str] = set()
    for i, p in enumerate(parties):
        if p is not None and p.name in declared:
            check.problem(f"parties[{i}] ({p.name!r})", "duplicate party name", ("parties", i))
        if p is not None:
            declared.add(p.name)
    items: dict[str, list[GoldItem | None]] = {}
    for field in ITEM_FIELDS:
        raws = check.list_of(field)
        items[field] = [check.gold_item(field, i, raw, declared) for i, raw in enumerate(raws)]
    problems += check.problems
    if problems or article is None:
        return None, problems
    title = data.get("title")
    return Gold(
        id=str(data["id"]),
        path=path,
        article=article,
        title=title.strip() if isinstance(title, str) else None,
        parties=tuple(p for p in parties if p is not None),
        demands=tuple(x for x in items["demands"] if x is not None),
        concessions=tuple(x for x in items["concessions"] if x is not None),
        open_issues=tuple(x for x in items["open_issues"] if x is not None),
    ), []


def gold_files(directory: Path) -> list[Path]:
    """The gold files of a folder, sorted (``*.yaml``)."""
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def load_gold_dir(directory: str | Path) -> list[Gold]:
    """Every gold file of ``directory``, validated; raises one GoldFormatError listing all
    problems of the folder."""
    folder = Path(directory)
    if not folder.is_dir():
        raise GoldFormatError(f"{folder}: not a folder", problems=[f"{folder}: not a folder"])
    paths = gold_files(folder)
    if not paths:
        msg = f"{folder}: no gold files (*.yaml)"
        raise GoldFormatError(msg, problems=[msg])
    golds: list[Gold] = []
    problems: list[str] = []
    files = 0
    for path in paths:
        gold, found = check_gold_file(path)
        problems += found
        files += bool(found)
        if gold is not None:
            golds.append(gold)
    if problems:
        head = f"{len(problems)} problem(s) in {files} gold file(s) of {folder}"
        raise GoldFormatError(head + ":\n  " + "\n  ".join(problems), problems=problems)
    return golds
