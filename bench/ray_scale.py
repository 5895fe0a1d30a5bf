"""The Ray engine against the built-in batch runner, the embedded model on one Ray
actor, and a projection to 10 and 100 nodes built from those figures.

    python bench/ray_scale.py hosted    # fake provider, 1,000 articles
    python bench/ray_scale.py local     # embedded model, the 6 shortest gold articles
    python bench/ray_scale.py hosted --skip-local --actors 4 --articles 300   # and 3000:
        # the driver's CPU per row (copy each hosted.json to driver-N.json)
    python bench/ray_scale.py project   # the projection, from the files above
    python bench/ray_scale.py local --longest --skip-local --out-file local-longest.json
        # the actor's memory on the 6 longest gold articles (Ray only)

(results in ``--out-dir``, default ``bench/results/ray``)

``hosted``: ``--articles`` distinct short articles (a JSONL file) through
``summarizer batch`` with ``--model openai/gpt-4o-mini`` against the fake provider
(``tests/fault_server.py`` in its own process, answering every call after ``--delay``
seconds): once with ``--engine local`` (the single-process runner, its default 8
articles in flight) and once per ``--actors`` N with ``--engine ray --actors N
--per-actor K``. Each run is a fresh ``summarizer`` process (a fresh local Ray) and a
fresh provider. Checks: every article exactly one ``ok`` row, ids as given, each
summary quoting its own article's tag, one provider call per article.

``local``: the ``--local-articles`` shortest gold articles (``evals/*.txt``) through
``--engine local --model local`` and ``--engine ray --actors 1 --model local``, one
after the other (never two embedded models at once); run it on an idle machine.
``--longest`` takes the longest articles instead, ``--skip-local`` runs Ray only, and
``--out-file`` names the result file (``local.json``, which ``project`` reads).

Rates: ``end_to_end`` is articles / wall time of the command (process start, Ray
start, actor start or model load included); ``steady`` (hosted) is the rate between
the rows at 10 % and 90 % of the run, from the command's own per-row progress lines.
For the embedded model (one article at a time), ``steady`` is 60 / the mean of the
rows' own ``seconds`` (each article's time in the engine or actor): the Ray driver
receives rows in bursts, so row times there are coarse. ``busy_cores`` is the
machine's CPU time (all processes) over the run / wall time.

``project`` writes ``projection.json``: a model, not a measurement; its parameters
and assumptions are in the file and in ``bench/notes/ray.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from summarizer.distributed import LOCAL_ACTOR_MEMORY

ROOT = Path(__file__).resolve().parent.parent
FAKE_PROVIDER = ROOT / "tests" / "fault_server.py"
FAKE_KEY = "sk-test-000000000000000"
MODEL = "openai/gpt-4o-mini"
TAG = re.compile(r"\bA(\d{4})X([0-9a-f]{6})\b")
ROW = re.compile(r"^summarizer: \[(\d+)\] (.+?): (ok|failed.*) \(([\d.]+) s\)$")


# -- articles --------------------------------------------------------------------------
def article(i: int, run: str) -> dict[str, Any]:
    """Article ``i``: short, distinct (its first line is the fake provider's key), and
    traceable by its tag, which the fake provider's answer quotes."""
    tag = f"A{i:04d}X{run}"
    places = ["Leeds", "Turin", "Lyon", "Gdansk", "Porto", "Graz", "Ghent"]
    text = (
        f"Round {tag} of the talks opened in {places[i % len(places)]} on Monday.\n"
        f"The union demanded a {3 + i % 7} percent pay rise for all plant workers. "
        f"The company offered {1 + i % 3} percent and a one-off bonus of {100 + i} euros. "
        "Both sides agreed to meet again next week to discuss shift lengths."
    )
    return {"id": f"art-{i:04d}", "text": text, "title": None, "tag": tag}


# -- processes -------------------------------------------------------------------------
def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        OPENAI_API_KEY=FAKE_KEY,
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    env.pop("RAY_ADDRESS", None)  # always a fresh local Ray
    return env


class Provider:
    """The fake provider in its own process (``tests/fault_server.py --delay S``)."""

    def __init__(self, delay: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(FAKE_PROVIDER), "--delay", str(delay)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            env=_env(),
        )
        assert self.proc.stdout is not None
        box: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: box.put(self.proc.stdout.readline()), daemon=True).start()
        line = box.get(timeout=30)
        if not line.startswith("URL "):
            raise RuntimeError(f"the fake provider did not start: {line!r}")
        self.url = line.split()[1]
        self.cpu_start = self.cpu_seconds()

    def cpu_seconds(self) -> float:
        t = psutil.Process(self.proc.pid).cpu_times()
        return float(t.user + t.system)

    def stop(self) -> dict[str, Any]:
        """``calls``, ``max_in_flight`` and the provider's own CPU seconds."""
        cpu = self.cpu_seconds() - self.cpu_start
        out, _ = self.proc.communicate(input="", timeout=30)
        m = re.search(r"CALLS (\d+) MAX_IN_FLIGHT (\d+)", out)
        return {
            "calls": int(m.group(1)) if m else None,
            "max_in_flight": int(m.group(2)) if m else None,
            "cpu_seconds": round(cpu, 2),
        }


class Sampler:
    """Peak RSS of a process tree (the command, its Ray, its actors), every 0.5 s."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_total, self.peak_one = pid, 0, 0
        self.driver_cpu = 0.0  # the command's own CPU seconds (last seen)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                root = psutil.Process(self.pid)
                procs = [root, *root.children(recursive=True)]
                t = root.cpu_times()
                self.driver_cpu = float(t.user + t.system)
            except psutil.Error:
                continue
            rss = []
            for p in procs:
                try:
                    rss.append(p.memory_info().rss)
                except psutil.Error:
                    pass
            self.peak_total = max(self.peak_total, sum(rss))
            self.peak_one = max(self.peak_one, max(rss, default=0))

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {
            "peak_rss_tree_gib": round(self.peak_total / 1024**3, 2),
            "peak_rss_one_process_gib": round(self.peak_one / 1024**3, 2),
            "driver_cpu_seconds": round(self.driver_cpu, 2),
        }


def busy_seconds() -> float:
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0))


def run_batch(cmd: list[str], log: Path, timeout: float) -> dict[str, Any]:
    """Run one ``summarizer batch``; its wall time, exit code, CPU use and progress."""
    busy0, started = busy_seconds(), time.perf_counter()
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT, env=_env())
        sampler = Sampler(proc.pid)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = None
    wall = time.perf_counter() - started
    memory = sampler.stop()
    times = []
    for line in log.read_text(errors="replace").splitlines():
        m = ROW.match(line)
        if m:
            times.append(float(m.group(4)))
    return {
        "command": " ".join(cmd[1:]).replace(str(ROOT) + "/", ""),
        "exit_code": code,
        "wall_seconds": round(wall, 2),
        "busy_cores": round((busy_seconds() - busy0) / wall, 2),
        "row_times": times,
        **memory,
    }


def rates(n: int, result: dict[str, Any], *, steady_from: float, steady_to: float) -> None:
    """Add ``end_to_end`` and ``steady`` articles/s to ``result`` (from its row times)."""
    times = sorted(result.pop("row_times"))
    result["end_to_end_per_s"] = round(n / result["wall_seconds"], 3)
    result["first_row_s"] = times[0] if times else None
    result["last_row_s"] = times[-1] if times else None
    if len(times) >= 2:
        a = times[min(len(times) - 1, int(steady_from * (len(times) - 1)))]
        b = times[min(len(times) - 1, int(math.ceil(steady_to * (len(times) - 1))))]
        count = int(math.ceil(steady_to * (len(times) - 1))) - int(steady_from * (len(times) - 1))
        result["steady_per_s"] = round(count / (b - a), 3) if b > a else None
    else:
        result["steady_per_s"] = None


def read_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "ray": _version("ray"),
        "summarizer": _version("summarizer"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


# -- hosted: 1,000 articles, fake provider ---------------------------------------------------
def check_hosted(rows: list[dict[str, Any]], articles: list[dict[str, Any]]) -> dict[str, Any]:
    """Every article exactly once, ok, with its own tag in its summary."""
    tags = {a["id"]: a["tag"] for a in articles}
    ids = [r["id"] for r in rows]
    problems = []
    if len(ids) != len(set(ids)):
        problems.append(f"{len(ids) - len(set(ids))} duplicate ids")
    if set(ids) != set(tags):
        problems.append(f"{len(set(tags) - set(ids))} missing, {len(set(ids) - set(tags))} extra")
    not_ok = [r["id"] for r in rows if r["status"] != "ok"]
    if not_ok:
        problems.append(f"{len(not_ok)} not ok (first: {not_ok[0]})")
    wrong = [
        r["id"]
        for r in rows
        if r["status"] == "ok" and tags.get(r["id"], "?") not in (r["summary"] or "")
    ]
    if wrong:
        problems.append(f"{len(wrong)} summaries without their article's tag")
    return {
        "rows": len(rows),
        "ok": len(rows) - len(not_ok),
        "unique_ids": len(set(ids)),
        "passed": not problems,
        "problems": problems,
    }


def cmd_hosted(args: argparse.Namespace) -> int:
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    host = machine()  # the load average before the runs
    run_tag = os.urandom(3).hex()
    articles = [article(i, run_tag) for i in range(args.articles)]
    work = Path(tempfile.mkdtemp(prefix="ray-scale-"))
    source = work / "articles.jsonl"
    source.write_text(
        "".join(json.dumps({k: a[k] for k in ("id", "text", "title")}) + "\n" for a in articles),
        encoding="utf-8",
    )
    configs: list[tuple[str, int | None]] = [] if args.skip_local else [("local", None)]
    configs += [("ray", n) for n in args.actors]
    results = []
    try:
        for repeat in range(args.repeat):
            for engine, actors in configs:
                name = engine if actors is None else f"ray-{actors}"
                output = work / f"{name}-{repeat}.jsonl"
                provider = Provider(args.delay)
                cmd = [sys.executable, "-m", "summarizer", "batch", str(source), str(output)]
                cmd += ["--engine", engine, "--model", MODEL, "--api-base", provider.url]
                cmd += ["--no-cache"]
                if actors is not None:
                    cmd += ["--actors", str(actors), "--per-actor", str(args.per_actor)]
                print(f"ray_scale: {name} (repeat {repeat + 1}) ...", file=sys.stderr, flush=True)
                try:
                    result = run_batch(cmd, work / f"{name}-{repeat}.log", args.timeout)
                finally:
                    served = provider.stop()
                rates(len(articles), result, steady_from=0.1, steady_to=0.9)
                result["command"] = result["command"].replace(str(work), "$WORK")
                result["command"] = result["command"].replace(provider.url, "$PROVIDER")
                check = check_hosted(read_rows(output), articles)
                check["provider_calls"] = served["calls"]
                check["passed"] = check["passed"] and served["calls"] == len(articles)
                if served["calls"] != len(articles):
                    check["problems"].append(f"{served['calls']} provider calls")
                results.append(
                    {
                        "name": name,
                        "engine": engine,
                        "actors": actors,
                        "per_actor": args.per_actor if actors else 8,
                        "repeat": repeat,
                        **result,
                        "provider": served,
                        "check": check,
                    }
                )
                r = results[-1]
                print(
                    f"ray_scale: {name}: {r['end_to_end_per_s']} articles/s end to end, "
                    f"{r['steady_per_s']} steady, busy cores {r['busy_cores']}, "
                    f"max in flight {served['max_in_flight']}, check "
                    f"{'passed' if check['passed'] else check['problems']}",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    summary = {}
    for name in dict.fromkeys(r["name"] for r in results):
        mine = [r for r in results if r["name"] == name]
        summary[name] = {
            "end_to_end_per_s": statistics.median(r["end_to_end_per_s"] for r in mine),
            "steady_per_s": statistics.median(r["steady_per_s"] or 0 for r in mine),
            "busy_cores": statistics.median(r["busy_cores"] for r in mine),
            "all_checks_passed": all(r["check"]["passed"] for r in mine),
        }
    data = {
        "bench": "ray_scale hosted",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": host,
        "articles": args.articles,
        "provider_delay_s": args.delay,
        "per_actor": args.per_actor,
        "hosted_actor_cpus": 0.5,
        "summary": summary,
        "runs": results,
    }
    (out_dir / "hosted.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))
    return 0 if all(s["all_checks_passed"] for s in summary.values()) else 1


# -- local: the embedded model, 1 actor ------------------------------------------------------
def cmd_local(args: argparse.Namespace) -> int:
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    host = machine()  # the load average before the runs
    gold = sorted((ROOT / "evals").glob("*.txt"), key=lambda p: (p.stat().st_size, p.name))
    if args.longest:
        gold.reverse()
    chosen = gold[: args.local_articles]
    work = Path(tempfile.mkdtemp(prefix="ray-scale-local-"))
    folder = work / "articles"
    folder.mkdir()
    for p in chosen:
        shutil.copy(p, folder / p.name)
    results = []
    try:
        for engine in ("ray",) if args.skip_local else ("local", "ray"):
            output = work / f"{engine}.jsonl"
            cmd = [sys.executable, "-m", "summarizer", "batch", str(folder), str(output)]
            cmd += ["--engine", engine, "--model", "local", "--no-cache"]
            if engine == "ray":
                cmd += ["--actors", "1"]
            print(f"ray_scale: local model, --engine {engine} ...", file=sys.stderr, flush=True)
            result = run_batch(cmd, work / f"{engine}.log", args.timeout)
            rates(len(chosen), result, steady_from=0.0, steady_to=1.0)
            result["command"] = result["command"].replace(str(work), "$WORK")
            rows = read_rows(output)
            # One article per call here (1 in flight): a row's ``seconds`` is its own time.
            seconds = [r["seconds"] for r in rows if r["status"] == "ok"]
            window = result.pop("steady_per_s")
            per_min = {
                "end_to_end_per_min": round(60 * result["end_to_end_per_s"], 2),
                "article_seconds": seconds,
                "steady_per_min": round(60 * len(seconds) / sum(seconds), 2) if seconds else None,
                "first_to_last_row_per_min": round(60 * window, 2) if window else None,
            }
            if seconds:
                per_min["warm_per_min"] = _warm_per_min({"article_seconds": seconds})
            results.append(
                {
                    "engine": engine,
                    "actors": 1 if engine == "ray" else None,
                    **result,
                    **per_min,
                    "rows": len(rows),
                    "ok": sum(r["status"] == "ok" for r in rows),
                    "errors": [json.loads(r["error"]) for r in rows if r["status"] != "ok"],
                    "model_seconds": [
                        json.loads(r["summary"])["run"]["model_seconds"]
                        for r in rows
                        if r["status"] == "ok"
                    ],
                }
            )
            r = results[-1]
            print(
                f"ray_scale: {engine}: {r['end_to_end_per_min']} articles/min end to end, "
                f"{r['steady_per_min']} steady, {r['ok']}/{len(chosen)} ok",
                file=sys.stderr,
                flush=True,
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    data = {
        "bench": "ray_scale local",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": host,
        "articles": [p.name for p in chosen],
        "article_chars": [p.stat().st_size for p in chosen],
        "runs": results,
    }
    (out_dir / args.out_file).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r["ok"] == len(chosen) and r["exit_code"] == 0 for r in results) else 1


# -- the projection: a model ---------------------------------------------------------------
ASSUMPTIONS: dict[str, Any] = {
    "nodes": [1, 10, 100],
    "node_memory_gib": 24.0,
    "node_memory_reserved_gib": 2.0,  # OS, raylet, object store headroom
    # what the engine reserves per embedded-model actor (its actor peaked at 2.64 GiB on
    # the 6 shortest gold articles, 2.99 GiB on the 6 longest)
    "local_actor_memory_gib": LOCAL_ACTOR_MEMORY / 1024**3,
    "local_cores_per_actor": 2,  # what the measured actor had; llama.cpp uses every core
    "node_cores": [2, 16],  # a node like this machine, and a 16-core node
    "efficiency": {"1": 1.0, "10": 0.9, "100": 0.8},  # scheduling, stragglers, one driver
    "hosted_actor_cpus": 0.5,
    "hosted_per_actor": [8, 64],
    "hosted_latency_s": [0.2, 5.0],  # the fake provider; a plausible hosted answer time
    "calls_per_article": 1,  # the single strategy, no re-asks
    "provider_rpm": [500, 10_000, 30_000],  # example account limits, not a claim
    "driver_rows_per_s": None,  # filled from the measured driver CPU per row
}


def _warm_per_min(run: dict[str, Any]) -> float:
    """Articles/min of one actor once warm: 60 / the mean time of every article but
    the first (which loads the model)."""
    seconds = run["article_seconds"][1:] or run["article_seconds"]
    return round(60 * len(seconds) / sum(seconds), 2)


def driver_seconds_per_row(files: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The Ray driver's CPU seconds per row: the least-squares slope of its CPU time
    against the article count over the Ray runs of ``files`` (hosted runs of different
    sizes), so that Ray's start and planning (the intercept) are left out. It still
    counts the executor's polling, which grows with the run's length: an upper bound."""
    points = [
        (f["articles"], r["driver_cpu_seconds"])
        for f in files
        for r in f["runs"]
        if r["engine"] == "ray" and r.get("driver_cpu_seconds")
    ]
    if len({n for n, _ in points}) < 2:
        return None
    mx = sum(n for n, _ in points) / len(points)
    my = sum(c for _, c in points) / len(points)
    slope = sum((n - mx) * (c - my) for n, c in points) / sum((n - mx) ** 2 for n, _ in points)
    return {
        "points": points,
        "seconds_per_row": round(slope, 6),
        "intercept_s": round(my - slope * mx, 2),
    }


def project(
    hosted: dict[str, Any] | None,
    local: dict[str, Any] | None,
    driver: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The projection, a model (see ASSUMPTIONS and bench/notes/ray.md):

    local:  nodes × actors_per_node × per_actor × efficiency, with
            actors_per_node = min(node_cores // cores_per_actor,
                                  (node_memory - reserved) // actor_memory)
    hosted: min(nodes × efficiency × min(cpu_ceiling, slot_ceiling), rate_limit, driver)
            cpu_ceiling  = node_cores / cpu_seconds_per_article   (measured)
            slot_ceiling = actors_per_node × per_actor / (latency + overhead)
                           (overhead measured: per_actor / one actor's rate - delay)
            rate_limit   = rpm / 60 / calls_per_article
            driver       = 1 / driver CPU seconds per row   (one driver writes every row)
    """
    a = dict(ASSUMPTIONS)
    out: dict[str, Any] = {"assumptions": a}
    if local:
        ray_run = next(r for r in local["runs"] if r["engine"] == "ray")
        per_actor_min = _warm_per_min(ray_run)
        rows = []
        for cores in a["node_cores"]:
            by_cores = max(1, cores // a["local_cores_per_actor"])
            by_memory = int(
                (a["node_memory_gib"] - a["node_memory_reserved_gib"])
                // a["local_actor_memory_gib"]
            )
            actors = min(by_cores, by_memory)
            for nodes in a["nodes"]:
                eff = a["efficiency"][str(nodes)]
                per_min = nodes * actors * per_actor_min * eff
                rows.append(
                    {
                        "node_cores": cores,
                        "actors_per_node": actors,
                        "nodes": nodes,
                        "actors": nodes * actors,
                        "efficiency": eff,
                        "articles_per_min": round(per_min, 1),
                        "articles_per_day": round(per_min * 60 * 24),
                    }
                )
        out["local"] = {"per_actor_per_min_measured_warm": per_actor_min, "rows": rows}
    if hosted:
        delay, k_measured = hosted["provider_delay_s"], hosted["per_actor"]
        one = hosted["summary"]["ray-1"]["steady_per_s"]
        overhead = k_measured / one - delay  # seconds an article holds a slot beyond the call
        # CPU per article: the busiest run's machine CPU minus the fake provider's.
        best = max(hosted["runs"], key=lambda r: r["steady_per_s"] or 0)
        provider_cores = best["provider"]["cpu_seconds"] / best["wall_seconds"]
        cpu_per_article = (best["busy_cores"] - provider_cores) / best["steady_per_s"]
        per_row = driver["seconds_per_row"] if driver else None
        driver_rate = 1 / per_row if per_row else None
        a["driver_rows_per_s"] = round(driver_rate) if driver_rate else None
        rows = []
        for cores in a["node_cores"]:
            actors = int(cores / a["hosted_actor_cpus"])
            cpu_ceiling = cores / cpu_per_article
            for latency in a["hosted_latency_s"]:
                for k in a["hosted_per_actor"]:
                    slot_ceiling = actors * k / (latency + overhead)
                    node = min(cpu_ceiling, slot_ceiling)
                    for nodes in a["nodes"]:
                        eff = a["efficiency"][str(nodes)]
                        compute = nodes * eff * node
                        bound = min(compute, driver_rate) if driver_rate else compute
                        rows.append(
                            {
                                "node_cores": cores,
                                "actors_per_node": actors,
                                "per_actor": k,
                                "latency_s": latency,
                                "nodes": nodes,
                                "node_bound": "cpu" if cpu_ceiling < slot_ceiling else "slots",
                                "compute_per_s": round(compute, 1),
                                "with_driver_per_s": round(bound, 1),
                                "with_rate_limit_per_s": {
                                    str(rpm): round(
                                        min(bound, rpm / 60 / a["calls_per_article"]), 1
                                    )
                                    for rpm in a["provider_rpm"]
                                },
                            }
                        )
        # The one configuration measured: this node, 4 actors × 8, the fake provider.
        measured = hosted["summary"].get("ray-4", {}).get("steady_per_s")
        cores_here = hosted["machine"]["cpus"]
        modelled = min(
            cores_here / cpu_per_article,
            int(cores_here / a["hosted_actor_cpus"]) * k_measured / (delay + overhead),
        )
        out["hosted_check"] = {
            "config": f"1 node of {cores_here} cores, 4 actors x {k_measured}, {delay} s",
            "model_per_s": round(modelled, 1),
            "measured_per_s": measured,
            "measured_over_model": round(measured / modelled, 2) if measured else None,
        }
        out["hosted"] = {
            "one_actor_per_s_measured": one,
            "slot_overhead_s_measured": round(overhead, 3),
            "cpu_seconds_per_article_measured": round(cpu_per_article, 4),
            "driver_measured": driver,
            "rows": rows,
        }
    return out


def cmd_project(args: argparse.Namespace) -> int:
    def load(name: str) -> dict[str, Any] | None:
        path = args.out_dir / name
        return json.loads(path.read_text()) if path.exists() else None

    hosted = load("hosted.json")
    runs = [hosted] if hosted else []
    runs += [json.loads(p.read_text()) for p in sorted(args.out_dir.glob("driver-*.json"))]
    data = project(hosted, load("local.json"), driver_seconds_per_row(runs))
    (args.out_dir / "projection.json").write_text(json.dumps(data, indent=2) + "\n")
    print(json.dumps(data, indent=2))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("what", choices=("hosted", "local", "project"))
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench" / "results" / "ray")
    parser.add_argument("--articles", type=int, default=1000, help="hosted: articles (1000)")
    parser.add_argument("--delay", type=float, default=0.2, help="hosted: provider delay (0.2)")
    parser.add_argument("--actors", type=int, nargs="+", default=[1, 2, 4], help="(1 2 4)")
    parser.add_argument("--per-actor", type=int, default=8, help="hosted: in flight/actor (8)")
    parser.add_argument("--repeat", type=int, default=1, help="hosted: runs of each (1)")
    parser.add_argument("--skip-local", action="store_true", help="Ray runs only")
    parser.add_argument("--longest", action="store_true", help="local: the longest articles")
    parser.add_argument("--out-file", default="local.json", help="local: the result file")
    parser.add_argument("--local-articles", type=int, default=6, help="local: articles (6)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per command")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    return {"hosted": cmd_hosted, "local": cmd_local, "project": cmd_project}[args.what](args)


if __name__ == "__main__":
    sys.exit(main())
