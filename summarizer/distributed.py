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
import math
import os
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from . import errors
from .api import Summarizer
from .archive import COLUMNS, OnRow, RowWriter, summarize_rows
from .backends import resolve_model
from .errors import ConfigError, InputError, SummarizerError, UsageError
from .io.inputs import ARTICLE_SUFFIXES
from .settings import Settings

#: Memory one actor of the embedded model reserves: 3.5 GiB (the staged strategy's actor
#: peaked at 2.99 GiB on the six longest gold articles, bench/notes/ray.md; Ray uses it
#: to place actors, not as a limit).
LOCAL_ACTOR_MEMORY = int(3.5 * 1024**3)
#: Reading is light: it must never wait for CPUs the actors hold (2 actors on 2 CPUs).
_LIGHT_CPUS = 0.1
#: CPUs the actors leave free for reading: the read tasks and the file-row map.
_READ_ROOM = 2 * _LIGHT_CPUS
#: Model prefixes that run in the actor's own process (CPU-bound, one model per actor).
_IN_PROCESS = ("local", "llamacpp")
#: A hosted model's actor mostly waits on the network.
HOSTED_ACTOR_CPUS = 0.5
#: At most this many blocks from ``read_articles`` (each block is an object in Ray's store).
_MAX_BLOCKS = 4096

log = logging.getLogger("summarizer")


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(
            f"the Ray engine needs the [ray] extra: pip install 'summarizer[ray]' ({exc})"
        ) from exc
    return ray


def read_articles(source: str | Path, *, rows_per_block: int | None = None) -> Any:
    """A Ray ``Dataset`` of ``id``, ``text``, ``title`` rows: from a folder of article
    files (id: file name), a JSONL file (``id``, ``text``, optional ``title``) or a
    Parquet file or folder (same columns). ``rows_per_block``: cut the rows into blocks
    of about that many (counted here first), so that every actor gets work and each
    actor call fills its slots; Ray's default is a few large blocks (a 1,000-line JSONL
    file is 4 blocks of 250: 4 actors at most, and 6 articles are 1 block: 1 actor)."""
    ray = _ray()
    path = Path(source)
    if not path.exists():
        raise InputError(f"{source}: no such file or folder")
    blocks: dict[str, int] = {}
    if path.is_dir() and not any(path.glob("*.parquet")):
        files = sorted(
            str(f) for f in path.iterdir() if f.is_file() and f.suffix.lower() in ARTICLE_SUFFIXES
        )
        if not files:
            raise InputError(f"{source}: no article files ({', '.join(ARTICLE_SUFFIXES)})")
        blocks = _blocks(len(files), rows_per_block)
        ds = ray.data.read_binary_files(files, include_paths=True, num_cpus=_LIGHT_CPUS, **blocks)
        return ds.map(_file_row, num_cpus=_LIGHT_CPUS)
    if path.suffix == ".jsonl":
        if rows_per_block:
            with path.open("rb") as fh:
                blocks = _blocks(sum(1 for line in fh if line.strip()), rows_per_block)
        return ray.data.read_json(str(path), lines=True, num_cpus=_LIGHT_CPUS, **blocks)
    if path.suffix == ".parquet" or path.is_dir():
        return _read_parquet(
            ray, [path] if path.is_file() else sorted(path.glob("*.parquet")), rows_per_block
        )
    raise InputError(f"{source}: give a folder of articles, a .jsonl or a .parquet file")


def _read_parquet(ray: Any, files: list[Path], rows_per_block: int | None) -> Any:
    """Parquet files, one read task (``_LIGHT_CPUS``) per row group, cut into blocks of
    about ``rows_per_block`` rows. Not ``ray.data.read_parquet``: in Ray 2.60 it reads
    a file as one block (one actor would get every article) and lists the files in a
    task that needs a whole CPU (it waits forever when the actors hold the CPUs)."""
    import pyarrow.parquet as pq

    parts = []
    for f in files:
        meta = pq.ParquetFile(f).metadata
        parts += [{"path": str(f), "row_group": g} for g in range(meta.num_row_groups)]
    if not parts:
        raise InputError(f"{', '.join(map(str, files)) or 'the folder'}: no rows")
    context = ray.data.DataContext.get_current()
    saved = context.target_max_block_size
    if rows_per_block:  # blocks are cut by size: about rows_per_block rows' worth
        context.target_max_block_size = max(1, int(_row_bytes(files[0]) * rows_per_block))
    try:  # a dataset keeps the context it was made in
        ds = ray.data.from_items(parts, override_num_blocks=len(parts))
        return ds.map_batches(
            _read_row_groups, batch_size=1, batch_format="pyarrow", num_cpus=_LIGHT_CPUS
        )
    finally:
        context.target_max_block_size = saved


def _row_bytes(path: Path) -> float:
    """Bytes per row in memory, from the first rows of ``path``."""
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    names = [c for c in ("id", "text", "title") if c in file.schema_arrow.names]
    first = next(file.iter_batches(batch_size=64, columns=names), None)
    return first.nbytes / max(1, first.num_rows) if first is not None else 1024.0


def _read_row_groups(parts: Any) -> Any:
    """The ``id``, ``text`` and ``title`` columns of the row groups in ``parts``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = []
    for path, group in zip(parts["path"].to_pylist(), parts["row_group"].to_pylist(), strict=True):
        file = pq.ParquetFile(path)
        names = [c for c in ("id", "text", "title") if c in file.schema_arrow.names]
        tables.append(file.read_row_group(group, columns=names))
    return pa.concat_tables(tables, promote_options="default")


def _blocks(rows: int, rows_per_block: int | None) -> dict[str, int]:
    """Ray's ``override_num_blocks`` for ``rows`` rows in blocks of ``rows_per_block``
    (split inside the read tasks: no extra step, no extra CPU)."""
    if not rows_per_block or rows <= 0:
        return {}
    return {"override_num_blocks": max(1, min(_MAX_BLOCKS, math.ceil(rows / rows_per_block)))}


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
    ``actor_memory`` (bytes) reserves memory per actor (``LOCAL_ACTOR_MEMORY``, 3.5 GiB,
    by default for ``local``: its actor peaked at 2.99 GiB). ``batch_size``
    (default ``per_actor``) is the rows of one actor call. An actor call takes a whole block
    of ``ds`` (in batches): for every actor to get work, give ``ds`` blocks of about
    ``per_actor`` rows (``read_articles(..., rows_per_block=)``, or
    ``ds.repartition(target_num_rows_per_block=)``, whose tasks need 1 CPU free).

    The actors' CPU reservations must leave room for reading: when they would not
    on the running Ray, the default reservation shrinks to fit (a warning), and an
    explicit ``actor_cpus`` is a ``UsageError`` (Ray would wait forever)."""
    plan = _plan(settings, actors, per_actor, actor_cpus, actor_memory)
    ray = _ray()
    options: dict[str, Any] = {"num_cpus": plan["cpus"]}
    if plan["memory"]:
        options["memory"] = plan["memory"]
    return ds.map_batches(
        SummarizeActor,
        fn_constructor_kwargs={
            "settings": plan["settings"],  # pickled as is: model_dump would mask the key
            "done": sorted(done),
            "per_actor": plan["inflight"],
        },
        compute=ray.data.ActorPoolStrategy(size=actors),
        batch_size=batch_size or plan["inflight"],
        batch_format="numpy",
        **options,
    )


def _plan(
    settings: Settings | None,
    actors: int,
    per_actor: int | None,
    actor_cpus: float | None,
    actor_memory: int | None,
) -> dict[str, Any]:
    """The actors' settings (the driver's model, not each worker's $SUMMARIZER_MODEL),
    articles in flight, CPUs and memory."""
    s = settings or Settings()
    model = resolve_model(s.model)
    s = s.model_copy(update={"model": model})
    local = _in_process(model)
    memory = actor_memory if actor_memory is not None else (LOCAL_ACTOR_MEMORY if local else None)
    inflight = _inflight(s, per_actor)
    cpus = actor_cpus if actor_cpus is not None else (1.0 if local else HOSTED_ACTOR_CPUS)
    cpus = _fit_cpus(cpus, actors, explicit=actor_cpus is not None)
    return {"settings": s, "inflight": inflight, "cpus": cpus, "memory": memory}


def _in_process(model: str) -> bool:
    return model.partition(":")[0] in _IN_PROCESS


def _inflight(settings: Settings, per_actor: int | None) -> int:
    """Articles in flight per actor: ``per_actor``, else the model's own bound."""
    local = _in_process(resolve_model(settings.model))
    return per_actor or settings.concurrency or (1 if local else 8)


def _fit_cpus(cpus: float, actors: int, *, explicit: bool) -> float:
    """``cpus`` per actor, or less so that ``actors`` actors leave ``_READ_ROOM`` CPUs
    of the running Ray free: Ray starts every actor of the pool first, and a read
    task that finds no CPU left waits forever (4 hosted actors × 0.5 on 2 CPUs)."""
    ray = _ray()
    if not ray.is_initialized():
        return cpus
    total = float(ray.cluster_resources().get("CPU", 0.0))
    room = total - _READ_ROOM
    if total <= 0 or actors * cpus <= room:
        return cpus
    if explicit or room <= 0:
        raise UsageError(
            f"{actors} actor(s) × {cpus:g} CPU leave no CPU for reading the articles on "
            f"this Ray ({total:g} CPUs): use fewer --actors or a smaller --actor-cpus"
        )
    fitted = math.floor(100 * room / actors) / 100
    log.warning(
        "%d actors × %g CPU do not fit this Ray (%g CPUs) with room to read: "
        "reserving %g CPU per actor",
        actors,
        cpus,
        total,
        fitted,
    )
    return fitted


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
            read_articles(source, rows_per_block=_inflight(settings, per_actor)),
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
