"""Summarize an archive on Ray Data, beyond one machine (the ``[ray]`` extra).

    import ray, summarizer.distributed as d

    ds = d.read_articles("archive/")                  # a folder, JSONL or Parquet
    out = d.summarize_dataset(ds, settings=Settings(model="local"), actors=4)
    out.write_parquet("summaries/")

``summarize_dataset`` maps the rows (``id``, ``text``, optional ``title``) through an
actor class: each actor builds one ``Summarizer`` (the embedded model is loaded once
per actor; a hosted model's calls run with bounded concurrency inside the actor).
Each output row is one article, in the columns of ``archive.py`` (``id``, ``run_key``,
``status``, ``summary``, ``error``, ``seconds``), made by the same function as the
single-process engine's, so the two engines give the same rows. A failed article is
a row with its reason and never fails the job. Rows whose ``run_key`` is in ``done``
are skipped, which is how a rerun resumes.

``run(input, output, ...)`` is ``summarizer batch --engine ray``: the driver streams
the rows as actors finish them into one output file (``archive.RowWriter``: JSONL
appended and fsynced, or Parquet written at the end), skips articles already done,
and never writes an article twice.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from . import errors
from .api import Summarizer
from .archive import COLUMNS, OnRow, RowWriter, summarize_rows
from .backends import resolve_model
from .errors import ConfigError, InputError, SummarizerError
from .io.inputs import ARTICLE_SUFFIXES
from .settings import Settings

#: Memory one actor of the embedded model needs (peak RSS about 2.2 GB).
LOCAL_ACTOR_MEMORY = int(2.5 * 1024**3)
#: Reading is light: it must never wait for CPUs the actors hold (2 actors on 2 CPUs).
_LIGHT_CPUS = 0.1
#: Model prefixes that run in the actor's own process (CPU-bound, one model per actor).
_IN_PROCESS = ("local", "llamacpp")
#: A hosted model's actor mostly waits on the network.
HOSTED_ACTOR_CPUS = 0.5


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(
            f"the Ray engine needs the [ray] extra: pip install 'summarizer[ray]' ({exc})"
        ) from exc
    return ray


def read_articles(source: str | Path) -> Any:
    """A Ray ``Dataset`` of ``id``, ``text``, ``title`` rows: from a folder of article
    files (id: file name), a JSONL file (``id``, ``text``, optional ``title``) or a
    Parquet file or folder (same columns)."""
    ray = _ray()
    path = Path(source)
    if not path.exists():
        raise InputError(f"{source}: no such file or folder")
    if path.is_dir() and not any(path.glob("*.parquet")):
        files = sorted(
            str(f) for f in path.iterdir() if f.is_file() and f.suffix.lower() in ARTICLE_SUFFIXES
        )
        if not files:
            raise InputError(f"{source}: no article files ({', '.join(ARTICLE_SUFFIXES)})")
        ds = ray.data.read_binary_files(files, include_paths=True, num_cpus=_LIGHT_CPUS)
        return ds.map(_file_row, num_cpus=_LIGHT_CPUS)
    if path.suffix == ".jsonl":
        return ray.data.read_json(str(path), lines=True, num_cpus=_LIGHT_CPUS)
    if path.suffix == ".parquet" or path.is_dir():
        return ray.data.read_parquet(str(path), num_cpus=_LIGHT_CPUS)
    raise InputError(f"{source}: give a folder of articles, a .jsonl or a .parquet file")


def _file_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": Path(row["path"]).name, "text": row["bytes"], "title": None}


class SummarizeActor:
    """One actor: one ``Summarizer`` for its lifetime; ``__call__`` summarizes a batch."""

    def __init__(self, settings: Settings, done: Collection[str] = (), per_actor: int = 1) -> None:
        self.summarizer = Summarizer(settings=settings)
        self.done = set(done)
        self.per_actor = per_actor

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        rows = summarize_rows(self.summarizer, _rows(batch), self.done, self.per_actor)
        return {c: [r[c] for r in rows] for c in COLUMNS}


def _rows(batch: dict[str, Any]) -> list[dict[str, Any]]:
    missing = [c for c in ("id", "text") if c not in batch]
    if missing:
        raise InputError(f"the articles have no {' or '.join(missing)} column")
    ids = list(batch["id"])
    texts = list(batch["text"])
    titles = list(batch["title"]) if "title" in batch else [None] * len(ids)
    return [
        {"id": str(i), "text": t, "title": (str(h) if h is not None and h == h else None)}
        for i, t, h in zip(ids, texts, titles, strict=True)
    ]


def summarize_dataset(
    ds: Any,
    *,
    settings: Settings | None = None,
    actors: int = 1,
    per_actor: int | None = None,
    actor_cpus: float | None = None,
    actor_memory: int | None = None,
    batch_size: int | None = None,
    done: Collection[str] = (),
) -> Any:
    """``ds`` (rows ``id``, ``text``, ``title``) mapped to summary rows (see the module
    doc) by ``actors`` actors. ``per_actor`` bounds the articles in flight inside one
    actor (default: the model's own bound: 1 for the embedded model, 8 for hosted).
    ``actor_memory`` (bytes) reserves memory per actor: the embedded model needs about
    2.2 GB (``LOCAL_ACTOR_MEMORY`` by default for ``local``). ``batch_size`` (default
    ``per_actor``) is the rows one actor call gets: the rows are cut into blocks of
    that size first, so that every actor gets work and every call fills its slots."""
    s = settings or Settings()
    # The driver's model, not whatever $SUMMARIZER_MODEL each worker has.
    model = resolve_model(s.model)
    s = s.model_copy(update={"model": model})
    local = model.partition(":")[0] in _IN_PROCESS
    memory = actor_memory if actor_memory is not None else (LOCAL_ACTOR_MEMORY if local else None)
    inflight = per_actor or s.concurrency or (1 if local else 8)
    size = batch_size or inflight
    cpus = actor_cpus if actor_cpus is not None else (1.0 if local else HOSTED_ACTOR_CPUS)
    options: dict[str, Any] = {"num_cpus": cpus}
    if memory:
        options["memory"] = memory
    ray = _ray()
    return ds.repartition(target_num_rows_per_block=size).map_batches(
        SummarizeActor,
        fn_constructor_kwargs={
            "settings": s,  # pickled as is: model_dump would mask the API key
            "done": sorted(done),
            "per_actor": inflight,
        },
        compute=ray.data.ActorPoolStrategy(size=actors),
        batch_size=size,
        batch_format="numpy",
        **options,
    )


# -- the command: one output file, resumable -----------------------------------------------
def run(
    source: str | Path,
    output: Path,
    *,
    settings: Settings,
    actors: int = 1,
    per_actor: int | None = None,
    actor_cpus: float | None = None,
    actor_memory: int | None = None,
    on_row: OnRow | None = None,
) -> dict[str, int]:
    """``summarizer batch --engine ray``: rows stream from the actors into one output
    file (``archive.RowWriter``: resumable, each article once). Connects to the cluster
    at ``RAY_ADDRESS``, or starts a local Ray."""
    ray = _ray()
    _check_source(Path(source))  # before starting Ray for nothing
    if not ray.is_initialized():
        ray.init(
            address=os.environ.get("RAY_ADDRESS"),
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # our own progress line per article instead
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    with RowWriter(output) as writer:
        ds = summarize_dataset(
            read_articles(source),
            settings=settings,
            actors=actors,
            per_actor=per_actor,
            actor_cpus=actor_cpus,
            actor_memory=actor_memory,
            done=writer.done,
        )
        try:
            for row in ds.iter_rows():
                if writer.add(row) and on_row is not None:
                    on_row(row)
        except Exception as exc:
            cause = _summarizer_error(exc)
            if cause is None:
                raise
            raise cause from exc
    return writer.counts


def _check_source(path: Path) -> None:
    """The input exists and (JSONL: its first row; Parquet: its schema) has an ``id``
    and a ``text``."""
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    names: Collection[str] = ("id", "text")
    if path.suffix == ".jsonl" and path.is_file():
        with path.open(encoding="utf-8") as fh:
            first = next((line for line in fh if line.strip()), "{}")
        try:
            row = json.loads(first)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: the first row is not JSON ({exc.msg})") from exc
        names = row.keys() if isinstance(row, dict) else ()
    elif path.suffix == ".parquet" and path.is_file():
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
    if "id" not in names or "text" not in names:
        raise InputError(f"{path}: the rows need an 'id' and a 'text'")


#: How a remote ``SummarizerError`` reads in the text of the Ray error that carries it
#: (Ray passes an actor's exception to the driver as text, not as the object).
_REMOTE_ERROR = re.compile(r"^summarizer\.errors\.(\w+): (.+)$", re.MULTILINE)


def _summarizer_error(exc: BaseException) -> SummarizerError | None:
    """The ``SummarizerError`` behind a Ray error (an actor that could not start, such
    as a bad model string), so that the command reports it as its own: one line."""
    match = _REMOTE_ERROR.search(str(exc))
    if match is None:
        return None
    cls = getattr(errors, match.group(1), None)
    message = match.group(2).strip()
    if isinstance(cls, type) and issubclass(cls, SummarizerError):
        try:
            return cls(message)
        except TypeError:  # needs more than a message (ProviderError, ...)
            pass
    return SummarizerError(message)
