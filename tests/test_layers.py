"""The package's module-level imports form no cycle, and the pipeline never imports
the eval harness or the command line (imports inside functions are lazy loads)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "summarizer"


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = _module(path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        edges: set[str] = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # module level only
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    target = ".".join([*base, node.module] if node.module else base)
                else:
                    target = node.module or ""
                if target.startswith("summarizer"):
                    if node.module:  # "from . import x" imports x, not the package
                        edges.add(target)
                    edges.update(f"{target}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name.startswith("summarizer"))
        graph[name] = edges
    known = set(graph)
    return {k: {e for e in v if e in known and e != k} for k, v in graph.items()}


def test_no_import_cycle() -> None:
    graph = _imports()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_the_pipeline_does_not_import_the_harness_or_the_cli() -> None:
    graph = _imports()
    entry = ("summarizer.evaluation", "summarizer.cli", "summarizer.__main__")
    lower = [m for m in graph if not m.startswith(entry)]
    for module in lower:
        upward = {
            e for e in graph[module] if e.startswith(("summarizer.evaluation", "summarizer.cli"))
        }
        assert not upward, f"{module} imports {sorted(upward)}"


#: The package's layers, low to high (README, "Development"). A module may import its
#: own layer and lower ones, never a higher one.
LAYERS = (
    ("summarizer.errors", "summarizer.schema", "summarizer.settings", "summarizer.redaction"),
    ("summarizer.prompts",),
    ("summarizer.grounding", "summarizer.io"),
    ("summarizer.backends",),
    ("summarizer.strategies",),
    ("summarizer.similarity",),
    ("summarizer.pipeline",),
    ("summarizer.batch", "summarizer.api"),
    ("summarizer.archive",),
    ("summarizer.tracking", "summarizer.service", "summarizer.distributed"),
    ("summarizer.evaluation",),
    ("summarizer.cli", "summarizer.__main__"),
)


def _layer(module: str) -> int:
    if module == "summarizer":
        return len(LAYERS)  # the package's __init__ re-exports the public surface
    for level, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return level
    raise AssertionError(f"{module} is in no layer; add it to LAYERS")


def test_no_module_imports_a_higher_layer() -> None:
    graph = _imports()
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if _layer(target) > _layer(module)
    )
    assert not upward, "upward imports: " + "; ".join(upward)


def test_the_report_renderers_depend_on_data_not_on_the_runner() -> None:
    graph = _imports()
    for renderer in ("summarizer.evaluation.report_md", "summarizer.evaluation.report_html"):
        assert "summarizer.evaluation.runs" not in graph[renderer]
