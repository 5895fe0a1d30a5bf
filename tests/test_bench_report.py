"""bench/report.py: which targets it marks met or missed, and from which run."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPORT = Path(__file__).resolve().parents[1] / "bench" / "report.py"


@pytest.fixture
def report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_report", REPORT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "ROOT", tmp_path)  # no notes
    monkeypatch.setattr(module, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(module, "SPEED_WORK", tmp_path / "results" / "speed_work")
    return module


def _entry(median: float, total: float, f1: float | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "articles": 2,
        "failed": 0,
        "median_wall_s": median,
        "total_wall_s": total,
        "prompt_tokens": 100,
        "completion_tokens": 50,
        "peak_rss_mb": 2000.0,
    }
    if f1 is not None:
        fields = ("parties", "demands", "concessions", "open_issues")
        metrics = {"headline": f1, "grounding_rate": 1.0} | {f"{f}.f1": f1 for f in fields}
        entry |= {"model_s": total, "pipeline_s": 0.0}
        entry["score"] = {"metrics": metrics, "ci": {"headline": [f1 - 0.1, f1 + 0.1]}}
    return entry


def _summary(table: dict[str, Any], deltas: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "table": table,
        "deltas": deltas or {},
        "per_article": {k: {"x": v["median_wall_s"]} for k, v in table.items()},
        "rows": {k: [{"id": "x", "status": "ok"}] for k in table},
        "machine": "test machine",
        "seconds": 60.0,
        "command": "python bench/run.py",
        "commit": "abc1234",
    }


def _row(lines: list[str], start: str) -> str:
    return next(line for line in lines if line.startswith(start))


def test_targets_marks_each_figure(report: ModuleType) -> None:
    run1 = _summary(
        {"a": _entry(25.0, 100.0, 0.30), "b": _entry(60, 300, 0.32), "c": _entry(30, 90)}
    )
    lines = report.targets(run1)
    assert _row(lines, "| median wall").endswith("| met |")
    assert _row(lines, "| ≤ 1.15×").startswith(
        "| ≤ 1.15× the hardware floor for the same work | 1.11×"
    )
    assert _row(lines, "| ≤ 1.15×").endswith("| met |")
    assert _row(lines, "| F1 ≥ the naive").endswith("| **missed** |")
    assert not [line for line in lines if "before the speed work" in line]  # no (d): no row


def test_peak_rss_is_printed_in_decimal_gigabytes(report: ModuleType) -> None:
    # bench.json holds MiB (ru_maxrss / 1024): 3,119.91 MiB is 3.27 GB (3.05 GiB)
    assert round(report.gigabytes(3119.91), 2) == 3.27
    over = _entry(25.0, 100.0, 0.30) | {"peak_rss_mb": 2900.0}  # 3.04 GB, 2.83 GiB
    lines = report.targets(_summary({"a": over, "c": _entry(30, 90)}))
    assert _row(lines, "| peak RSS ≤ 3 GB") == "| peak RSS ≤ 3 GB | 3.04 GB | **missed** |"


def test_speed_work_row_comes_from_the_second_run_with_its_paired_interval(
    report: ModuleType,
) -> None:
    run1 = _summary({"a": _entry(45.0, 100.0, 0.30), "c": _entry(40, 80)})
    run2 = _summary(
        {"a": _entry(59.0, 120.0, 0.31), "d": _entry(90, 180, 0.30)},
        {"a-d": {"headline": [0.01, -0.02, 0.04]}},
    )
    lines = report.targets(run1, run2)
    row = _row(lines, "| F1 no lower than before the speed work (d) (run 2)")
    assert "0.310 vs 0.300; (a) − (d) +0.010, paired 95% CI [-0.020, +0.040] | met |" in row
    assert "run 2: 59.0 s" in _row(lines, "| median wall")
    assert _row(lines, "| median wall").endswith("| **missed** |")
    assert _row(lines, "| ≤ 1.15×").endswith("| **missed** |")  # 1.25×


def test_write_markdown_includes_both_runs_and_the_separate_figures(
    report: ModuleType, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    (results / "speed_work").mkdir(parents=True)
    run2 = _summary({"a": _entry(59.0, 120.0, 0.31), "d": _entry(90, 180, 0.30)})
    (results / "speed_work" / "summary.json").write_text(json.dumps(run2))
    (results / "score_speed.json").write_text(
        json.dumps({"pairs": 1000, "cold_s": 12.5, "warm_s": 1.0, "target_s": 10.0})
    )
    out = tmp_path / "BENCHMARKS.md"
    report.write_markdown(_summary({"a": _entry(25.0, 100.0, 0.30)}), out)
    text = out.read_text()
    assert "## Run 1" in text and "## Run 2" in text
    assert "| (d) before the speed work | 0.300 | 0.300 | 0.300 | 0.300 | 1.000 |" in text
    assert "12.5 s with cold embedding caches (1.0 s warm) | **missed** |" in text
    assert "hosted path" not in text  # no figure, no row


def test_a_run_with_d_in_it_ignores_an_older_second_run(report: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "results" / "speed_work").mkdir(parents=True)
    stale = _summary({"a": _entry(59.0, 120.0, 0.31), "d": _entry(90, 180, 0.30)})
    (tmp_path / "results" / "speed_work" / "summary.json").write_text(json.dumps(stale))
    out = tmp_path / "BENCHMARKS.md"
    report.write_markdown(
        _summary({"a": _entry(25.0, 100.0, 0.30), "d": _entry(50, 200, 0.2)}), out
    )
    text = out.read_text()
    assert "## Run 2" not in text and "run 2: 59.0 s" not in text
    assert "| F1 no lower than before the speed work (d) | 0.300 vs 0.200 | met |" in text
