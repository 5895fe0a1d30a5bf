"""Archives of articles: rows in (a folder of files, JSONL or Parquet), summary rows
out (JSONL appended and fsynced, or Parquet), resumable by run key. Shared by the
single-process engine (``summarizer batch``) and the Ray engine (``distributed.py``),
so both write the same rows.

Each output row is one article: ``id``, ``run_key`` (article hash + model, strategy,
prompt and settings: the cache key), ``status`` (ok | failed), ``summary`` (JSON),
``error`` (JSON: type and reason), ``seconds``. A failed article is a row with its
reason and never stops the run. A rerun skips the run keys already ``ok`` in the
output and retries failures; an article is never written ``ok`` twice. A JSONL output
is only appended to, so an article that failed and then succeeded on a rerun has its
``failed`` row followed by its ``ok`` row (read the last row per ``run_key``, or the
``ok`` one); a Parquet output is rewritten whole, with the ``ok`` rows of the earlier
runs and this run's rows, so it holds one row per article. Two articles with the same
text (and title) have the same run key and are written once, under the first id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

from .api import Summarizer
from .batch import JsonlWriter, error_info
from .errors import InputError, SummarizerError
from .io.inputs import ARTICLE_SUFFIXES, make_article, read_bytes

COLUMNS = ("id", "run_key", "status", "summary", "error", "seconds")
OnRow = Callable[[dict[str, Any]], None]


def iter_input_rows(source: str | Path) -> Iterator[dict[str, Any]]:
    """``id``, ``text``, ``title`` rows from a folder of article files (id: file name),
    a JSONL file or a Parquet file, one at a time."""
    path = Path(source)
    if not path.exists():
        raise InputError(f"{source}: no such file or folder")
    if path.is_dir():
        files = sorted(
            f for f in path.iterdir() if f.is_file() and f.suffix.lower() in ARTICLE_SUFFIXES
        )
        if not files:
            raise InputError(f"{source}: no article files ({', '.join(ARTICLE_SUFFIXES)})")
        for f in files:
            yield {"id": f.name, "text": f.read_bytes(), "title": None}
    elif path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise InputError(f"{source}:{n}: not JSON ({exc.msg})") from exc
                    if not isinstance(row, dict) or "id" not in row or "text" not in row:
                        raise InputError(f"{source}:{n}: a row needs an 'id' and a 'text'")
                    yield row
    elif path.suffix == ".parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=64):
            yield from batch.to_pylist()
    else:
        raise InputError(f"{source}: give a folder of articles, a .jsonl or a .parquet file")


def summarize_rows(
    summarizer: Summarizer,
    rows: list[dict[str, Any]],
    done: Collection[str] = (),
    concurrency: int = 1,
) -> list[dict[str, Any]]:
    """Summarize ``rows`` (skipping run keys in ``done``): one output row each."""
    out: list[dict[str, Any]] = []
    todo: list[tuple[dict[str, Any], Any, str]] = []
    for row in rows:
        started = time.perf_counter()
        row = {**row, "id": str(row["id"])}  # both engines: a JSONL id 7 is "7"
        try:
            text = row["text"]
            if isinstance(text, bytes):
                article = read_bytes(text, name=row["id"], max_chars=summarizer.settings.max_chars)
            elif text is None:
                raise InputError(f"{row['id']}: no text", source=row["id"])
            else:
                article = make_article(
                    str(text),
                    name=row["id"],
                    title=row.get("title"),
                    max_chars=summarizer.settings.max_chars,
                )
        except SummarizerError as exc:
            out.append(_row(row["id"], "", None, exc, time.perf_counter() - started))
            continue
        key = summarizer.pipeline.cache_key(article)
        if key not in done:
            todo.append((row, article, key))
    started = time.perf_counter()
    outcomes = summarizer.summarize_many([a for _, a, _ in todo], concurrency=concurrency)
    seconds = (time.perf_counter() - started) / max(1, len(todo))
    for (row, _, key), outcome in zip(todo, outcomes, strict=True):
        if isinstance(outcome, SummarizerError):
            out.append(_row(row["id"], key, None, outcome, seconds))
        else:
            out.append(_row(row["id"], key, outcome.model_dump(mode="json"), None, seconds))
    return out


def _row(
    article_id: str,
    key: str,
    summary: dict[str, Any] | None,
    error: BaseException | None,
    seconds: float,
) -> dict[str, Any]:
    return {
        "id": article_id,
        "run_key": key,
        "status": "ok" if error is None else "failed",
        "summary": json.dumps(summary, ensure_ascii=False) if summary is not None else None,
        "error": json.dumps(error_info(error)) if error is not None else None,
        "seconds": round(seconds, 3),
    }


def read_done(output: Path) -> dict[str, dict[str, Any]]:
    """Rows already in ``output`` by run key (ok rows only: failures are retried)."""
    if not output.exists():
        return {}
    rows: list[dict[str, Any]]
    if output.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(output).to_pylist()
    else:
        rows = []
        for line in output.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # an interrupted last line
    return {r["run_key"]: r for r in rows if r.get("status") == "ok" and r.get("run_key")}


def _write_parquet(output: Path, rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([{c: r.get(c) for c in COLUMNS} for r in rows])
    tmp = output.with_name(output.name + ".tmp")
    pq.write_table(table, tmp)
    tmp.replace(output)


class RowWriter:
    """The output file: JSONL (each row on disk as it comes) or Parquet (at the end)."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.done = read_done(output)
        self.seen = set(self.done)
        self.rows: list[dict[str, Any]] = list(self.done.values())
        self.counts = {"ok": 0, "failed": 0, "skipped": len(self.done)}
        self._jsonl = None if output.suffix == ".parquet" else JsonlWriter(output)

    def add(self, raw: dict[str, Any]) -> bool:
        """Write one row unless its article is already written; True if written."""
        row = {c: raw.get(c) for c in COLUMNS}
        key = row["run_key"] or f"failed:{row['id']}"
        if key in self.seen:
            return False
        self.seen.add(key)
        self.counts[str(row["status"])] += 1
        if self._jsonl is not None:
            self._jsonl.append_line(json.dumps(row, ensure_ascii=False))
        else:
            self.rows.append(row)
        return True

    def close(self) -> None:
        if self._jsonl is not None:
            self._jsonl.close()
        else:
            _write_parquet(self.output, self.rows)

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_local(
    source: str | Path,
    output: Path,
    summarizer: Summarizer,
    *,
    chunk: int = 8,
    on_row: OnRow | None = None,
) -> dict[str, int]:
    """The single-process engine: rows in, summary rows out, ``chunk`` at a time."""
    with RowWriter(output) as writer:
        pending: list[dict[str, Any]] = []

        def flush() -> None:
            for row in summarize_rows(summarizer, pending, writer.done, chunk):
                if writer.add(row) and on_row is not None:
                    on_row(row)
            pending.clear()

        for row in iter_input_rows(source):
            pending.append(row)
            if len(pending) >= chunk:
                flush()
        flush()
    return writer.counts
