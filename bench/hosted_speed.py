"""Hosted-path speed: 100 short articles at concurrency 16 against a 200 ms fake provider.

Starts the fault server (tests/fault_server.py) answering every call after 200 ms,
runs the articles through the library batch runner (``arun_batch``, no cache) on
the real litellm + instructor route, prints the wall time and requests/s, and
writes the figure to bench/results/hosted_speed.json. Target: under 3 s.

The server runs in its own process by default (like a real provider: it does not
share this process's GIL); ``--server thread`` runs it in-process instead. One
warm-up article (not timed) pays for importing litellm and instructor.

    /work/venv/bin/python bench/hosted_speed.py [--articles 100] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "hosted_speed.json"
TARGET_SECONDS = 3.0


def _article(i: int) -> str:
    return (
        f"Case B{i:03d}\n"
        f"The union is demanding a raise of {i + 1} percent over four years. "
        "Management has offered a smaller raise. Health-care costs remain unresolved.\n"
    )


class _ServerProcess:
    def __init__(self, delay: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "fault_server.py"), "--delay", str(delay)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "URL":
            raise SystemExit("the fault server did not start")
        self.url = line[1]
        self.calls = 0
        self.max_in_flight = 0

    def stop(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        words = self.proc.stdout.readline().split()
        if len(words) == 4:
            self.calls, self.max_in_flight = int(words[1]), int(words[3])
        self.proc.wait(timeout=10)


async def _run(api_base: str, n: int, concurrency: int, out_dir: Path) -> dict[str, Any]:
    from summarizer.backends.hosted import HostedBackend
    from summarizer.backends.transport import RetryPolicy
    from summarizer.batch import BatchItem, arun_batch
    from summarizer.io.inputs import make_article
    from summarizer.pipeline import Pipeline
    from summarizer.settings import Settings

    backend = HostedBackend(
        model="openai/fake-model",
        api_base=api_base,
        timeout=30.0,
        concurrency=concurrency,
        retry=RetryPolicy(attempts=2, base_delay=0.05),
    )
    summarizer = Pipeline(backend, Settings(max_reasks=1), cache=None)

    warm = make_article(_article(999))
    started = time.perf_counter()
    await summarizer.asummarize(warm)
    warmup = time.perf_counter() - started

    items = [BatchItem(key=f"b{i:03d}", article=make_article(_article(i))) for i in range(n)]
    started = time.perf_counter()
    result = await arun_batch(summarizer, items, out_dir / "out.jsonl", concurrency=concurrency)
    wall = time.perf_counter() - started
    return {"wall": wall, "warmup": warmup, "ok": result.ok, "failed": result.failed}


def main() -> int:
    parser = argparse.ArgumentParser(description="hosted-path speed against a fake provider")
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--delay", type=float, default=0.2, help="server seconds per call")
    parser.add_argument("--server", choices=("process", "thread"), default="process")
    parser.add_argument("--no-write", action="store_true", help="do not update the results")
    args = parser.parse_args()

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-real-key-000000")
    sys.path.insert(0, str(ROOT / "tests"))
    from fault_server import FaultServer

    thread_server: FaultServer | None = None
    process_server: _ServerProcess | None = None
    if args.server == "thread":
        thread_server = FaultServer(delay=args.delay).start()
        url = thread_server.url
    else:
        process_server = _ServerProcess(args.delay)
        url = process_server.url
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run = asyncio.run(_run(url + "/v1", args.articles, args.concurrency, Path(tmp)))
    finally:
        if thread_server is not None:
            thread_server.stop()
            calls, max_in_flight = len(thread_server.calls), thread_server.max_in_flight
        else:
            assert process_server is not None
            process_server.stop()
            calls, max_in_flight = process_server.calls, process_server.max_in_flight

    wall = run["wall"]
    timed_calls = calls - 1  # the warm-up call is not timed
    floor = -(-args.articles // args.concurrency) * args.delay  # waves x delay
    figure = {
        "articles": args.articles,
        "concurrency": args.concurrency,
        "server_delay_s": args.delay,
        "server": args.server,
        "wall_s": round(wall, 3),
        "requests": timed_calls,
        "requests_per_s": round(timed_calls / wall, 1),
        "ideal_wall_s": round(floor, 3),
        "overhead_s": round(wall - floor, 3),
        "max_in_flight": max_in_flight,
        "ok": run["ok"],
        "failed": run["failed"],
        "warmup_s": round(run["warmup"], 3),
        "target_s": TARGET_SECONDS,
        "met": wall < TARGET_SECONDS and run["failed"] == 0,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    print(
        f"{args.articles} articles, concurrency {args.concurrency}, {args.delay * 1000:.0f} ms "
        f"per call: {wall:.2f} s wall ({figure['requests_per_s']} requests/s; ideal "
        f"{floor:.2f} s), {run['ok']} ok, {run['failed']} failed, max in flight "
        f"{max_in_flight} -> {'met' if figure['met'] else 'MISSED'} (< {TARGET_SECONDS} s)"
    )
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(figure, indent=2) + "\n", encoding="utf-8")
    return 0 if figure["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
