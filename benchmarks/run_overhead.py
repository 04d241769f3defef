"""What a run costs with the code location's in-process executor, side by side with Dagster's default.

A run here is one movie's step or two (``movie_metadata_job``: one title page). Dagster's default
executor (``multiprocess``) starts a second process for every step, which loads the code location
again; the code location's ``in_process_executor`` runs the step in the run's own process. Both are
measured in one run of this script, in alternating rounds, on the same throw-away IMDB_TRACKER_HOME
(embedded PostgreSQL, the PostgreSQL Dagster instance of ``dagster.yaml``), real Chromium, the
replica as IMDb (in this process, not measured).

A round starts ``--runs`` (5: the run queue's limit of scrapes at once) ``movie_metadata_job`` runs
at once, each with ``dagster job execute`` on a code location built by
:func:`imdb_tracker.definitions.build_definitions` with the executor under test: the process a run
worker is (it loads the code location and executes the job with its executor). Measured per
round: wall time (all started to all finished), CPU seconds of the runs' process trees (Chromium
included), peak resident memory (sum of RSS of every process of those trees, sampled every 0.1 s;
shared pages count once per process, so it overstates both sides alike) and the most Python
processes at once (run processes, step workers, Dagster's compute-log capture).

    .venv/bin/python benchmarks/run_overhead.py [--runs 5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
EXECUTORS = ("in_process_executor", "multiprocess_executor")
CODE_LOCATION = """import dagster as dg
from imdb_tracker.definitions import build_definitions
defs = build_definitions(dg.{executor})
"""


@dataclass
class Round:
    """The figures of one round of simultaneous runs."""

    executor: str
    runs: int
    failed: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    peak_python_processes: int


def is_python_process(process: psutil.Process) -> bool:
    """A Python process of a run (``dagster job execute``, a step worker, the compute-log capture);
    the rest of a run's tree is Playwright's driver (Node) and Chromium."""
    try:
        return process.name().startswith("python")
    except psutil.Error:
        return False


def sample_trees(pids: list[int], stop: threading.Event, peak: dict[str, float]) -> None:
    """Keep the peak summed RSS and the peak count of Python processes of the trees under ``pids``."""
    while not stop.is_set():
        processes: list[psutil.Process] = []
        for pid in pids:
            try:
                root = psutil.Process(pid)
                processes += [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
        rss = 0
        for process in processes:
            try:
                rss += process.memory_info().rss
            except psutil.Error:
                continue
        peak["rss"] = max(peak["rss"], rss)
        peak["python"] = max(peak["python"], sum(is_python_process(p) for p in processes))
        time.sleep(0.1)


def run_round(executor: str, location: Path, movie_ids: list[str]) -> Round:
    """Start one ``movie_metadata_job`` run per movie at once with ``executor`` and wait for them all."""
    dagster = REPO / ".venv" / "bin" / "dagster"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [
                str(dagster),
                "job",
                "execute",
                "-f",
                str(location),
                "-a",
                "defs",
                "-j",
                "movie_metadata_job",
                "--tags",
                json.dumps({"dagster/partition": movie_id}),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for movie_id in movie_ids
    ]
    stop, peak = threading.Event(), {"rss": 0.0, "python": 0.0}
    sampler = threading.Thread(target=sample_trees, args=([p.pid for p in processes], stop, peak))
    sampler.start()
    errors = [p.communicate(timeout=900)[1] for p in processes]
    wall = time.monotonic() - started
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    failed = [e[-500:] for p, e in zip(processes, errors, strict=True) if p.returncode != 0]
    for error in failed:
        print(f"  a run failed: {error}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Round(
        executor.removesuffix("_executor"),
        len(movie_ids),
        len(failed),
        round(wall, 1),
        round(cpu, 1),
        round(peak["rss"] / 2**20),
        int(peak["python"]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs at once (the run queue's limit: 5)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per executor, alternating")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="imdb-tracker-bench-"))
    os.environ["IMDB_TRACKER_HOME"] = str(home)

    from dagster import DagsterInstance

    from imdb_tracker.db.server import stop_embedded_server
    from imdb_tracker.defs.partitions import MOVIES_PARTITION
    from imdb_tracker.instance import prepare
    from imdb_tracker.settings import get_settings
    from imdb_tracker_dev.replica.server import start_replica

    prepare(get_settings())
    replica = start_replica()
    os.environ.update(IMDB_BASE_URL=replica.base_url, IMDB_REQUESTS_PER_SECOND="50")
    movie_ids = [f"tt{9_200_000 + n:07d}" for n in range(args.runs)]
    for movie_id in movie_ids:
        replica.add_synthetic_movie(movie_id, 0)
    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions(MOVIES_PARTITION, movie_ids)
    locations = {}
    for executor in EXECUTORS:
        locations[executor] = home / f"{executor}.py"
        locations[executor].write_text(CODE_LOCATION.format(executor=executor))
    rounds: list[Round] = []
    try:
        for number in range(args.rounds):
            for executor in EXECUTORS if number % 2 == 0 else reversed(EXECUTORS):
                rounds.append(run_round(executor, locations[executor], movie_ids))
                print(rounds[-1])
    finally:
        replica.stop()
        stop_embedded_server(get_settings().database_config())
    load = os.getloadavg()[0]
    print(
        f"\n{args.runs} movie_metadata_job runs at once, {args.rounds} rounds each (1-minute load {load:.1f})"
    )
    print(
        f"{'executor':<14}{'failed':>7}{'wall s':>9}{'CPU s':>8}{'CPU s/run':>11}"
        f"{'peak RSS MB':>13}{'Python processes':>18}"
    )
    for executor in EXECUTORS:
        mine = [r for r in rounds if r.executor == executor.removesuffix("_executor")]
        cpu = statistics.median(r.cpu_s for r in mine)
        print(
            f"{mine[0].executor:<14}{sum(r.failed for r in mine):>7}"
            f"{statistics.median(r.wall_s for r in mine):>9.1f}{cpu:>8.1f}{cpu / args.runs:>11.1f}"
            f"{statistics.median(r.peak_rss_mb for r in mine):>13.0f}"
            f"{max(r.peak_python_processes for r in mine):>18}"
        )
    print("(medians over the rounds; Python processes: the most at once, over the rounds)")


if __name__ == "__main__":
    main()
