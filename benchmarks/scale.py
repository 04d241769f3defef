"""One hourly metadata cycle for 100, 1,000 and 5,000 tracked movies: batched runs vs one run per movie.

Everything real except IMDb: a throw-away IMDB_TRACKER_HOME (embedded PostgreSQL, the PostgreSQL
Dagster instance of ``dagster.yaml`` with its run queue: at most 5 scraping runs), ``imdb-tracker
ui`` (``dagster dev``: webserver, daemon, code server), real Chromium per run, the production
politeness budget (the default ``IMDB_REQUESTS_PER_SECOND``, 2/s shared through the database) and
the default ``METADATA_BATCH_SIZE``. IMDb is the replica (in this process, not measured) serving
synthetic movies (``synthetic_range``) with IMDb's page structure.

A cycle is what the hourly tick asks for, launched the way the daemon launches it: the schedule
(``movie_metadata_batch_hourly``; for the baseline the former one-request-per-movie schedule) is
evaluated on the instance, each run request is submitted to the run queue (GraphQL ``launchRun``,
queued), and the daemon's queued-run coordinator starts them through the default run launcher.
Every other schedule and sensor of the code location is stopped first, so the figures are the
metadata cycle's own (the reception automation would otherwise follow every materialization; see
README "Scale"). Posters are seeded as already stored (the steady state: an unchanged poster
costs no request).

Measured per cycle: wall time (first submit to last run finished), CPU seconds of every process of
the deployment (the ``dagster dev`` tree incl. run workers, Playwright drivers and Chromium, and
the PostgreSQL server), peak resident memory (sum of RSS of those processes, sampled each second;
shared pages are counted once per process, so it overstates), runs created, the request rate the
replica (IMDb) saw, and the load average of this shared machine.

    .venv/bin/python benchmarks/scale.py                      # 100 (both ways), 1,000, 5,000
    .venv/bin/python benchmarks/scale.py --sizes 20 --baseline 10   # a quick look
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil

from imdb_tracker_dev.processes import stop_process_group

REPO = Path(__file__).resolve().parent.parent
PR_SET_CHILD_SUBREAPER = 36
CORES = 2
HOUR_S = 3600
IDLE_S = 30
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


@dataclass
class Cycle:
    """The figures of one hourly metadata cycle."""

    mode: str
    movies: int
    runs: int
    failed_runs: int
    materializations: int
    wall_s: float
    cpu_s: float
    cpu_share_of_2_cores: float
    cpu_s_per_movie: float
    idle_cpu_per_s: float
    """CPU the deployment uses per second with nothing to run (webserver, daemon, code server, PostgreSQL)."""
    hour_cpu_share_of_2_cores: float
    """The cycle's CPU plus idle CPU for the rest of the hour, over 2 cores for an hour."""
    peak_rss_mb: float
    idle_rss_mb: float
    title_requests: int
    request_rate_per_s: float
    max_requests_in_1s: int
    load_avg_start: float
    load_avg_mean: float
    load_avg_end: float
    cpu_s_by_part: dict[str, float]
    """CPU seconds by part of the deployment, sampled each second (approximate; ``cpu_s`` is exact)."""


def become_subreaper() -> None:
    """Orphaned descendants (processes whose parent exited first) become ours, so their CPU time
    reaches this process's ``RUSAGE_CHILDREN`` when :func:`reap_orphans` collects them."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def reap_orphans(keep: set[int]) -> None:
    """Collect every exited child except ``keep`` (the processes this script waits for itself)."""
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is None or info.si_pid in keep:
            return
        os.waitpid(info.si_pid, 0)


def tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_cpu(roots: list[psutil.Process]) -> float:
    """CPU seconds of the processes under ``roots`` so far: each live process's own time and the
    time of the children it has reaped (each exited process counts exactly once)."""
    total = 0.0
    for root in roots:
        for proc in tree(root):
            try:
                t = proc.cpu_times()
            except psutil.Error:
                continue
            total += t.user + t.system + t.children_user + t.children_system
    return total


def reaped_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_rss(roots: list[psutil.Process]) -> float:
    total = 0
    for root in roots:
        for proc in tree(root):
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                continue
    return total / 2**20


def wait_for_webserver(port: int, timeout: float = 240) -> None:
    """Wait until the Dagster webserver on ``port`` serves the code location."""
    deadline = time.monotonic() + timeout
    query = json.dumps({"query": "{ repositoriesOrError { __typename } }"}).encode()
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/graphql", data=query, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=5) as answer:
                if "RepositoryConnection" in answer.read().decode():
                    return
        except OSError:
            pass
        time.sleep(1)
    raise TimeoutError(f"the webserver on port {port} did not come up in {timeout:g} s")


def postmaster(data_dir: Path) -> psutil.Process:
    pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    return psutil.Process(pid)


def process_kind(proc: psutil.Process) -> str:
    """Which part of the deployment a process is, from its command line."""
    try:
        command = " ".join(proc.cmdline())
    except psutil.Error:
        return "other"
    kinds = (
        ("chrom", "chromium"),
        ("playwright", "playwright driver"),
        ("postgres", "postgresql"),
        ("multiprocessing", "run workers"),  # the code server starts each run in a spawned process
        ("dagster._daemon", "daemon"),
        ("dagster_webserver", "webserver"),
        ("dagster api grpc", "code server"),
        ("code-server", "code server"),
    )
    return next((kind for marker, kind in kinds if marker in command), "other")


class Sampler(threading.Thread):
    """Peak RSS, mean load average and CPU by part of the deployment (each process's own CPU,
    sampled each second, so a process's last second is missed), and reaping of orphans, while a
    cycle runs."""

    def __init__(self, roots: list[psutil.Process], keep: set[int]) -> None:
        super().__init__(daemon=True)
        self.roots, self.keep = roots, keep
        self.peak_rss = 0.0
        self.loads: list[float] = []
        self.stop_event = threading.Event()
        self._seen: dict[int, tuple[str, float, float]] = {}
        """pid -> (kind, CPU when first seen (0 when born during the cycle), CPU when last seen)."""
        self._first = True

    def sample_cpu(self) -> None:
        for root in self.roots:
            for proc in tree(root):
                try:
                    times = proc.cpu_times()
                except psutil.Error:
                    continue
                cpu = times.user + times.system
                if proc.pid in self._seen:
                    kind, first, _ = self._seen[proc.pid]
                    self._seen[proc.pid] = (kind, first, cpu)
                else:
                    self._seen[proc.pid] = (process_kind(proc), cpu if self._first else 0.0, cpu)
        self._first = False

    def cpu_by_kind(self) -> dict[str, float]:
        """CPU seconds of the cycle by part of the deployment (sampled, see the class)."""
        totals: dict[str, float] = {}
        for kind, first, last in self._seen.values():
            totals[kind] = totals.get(kind, 0.0) + last - first
        return {kind: round(cpu, 1) for kind, cpu in sorted(totals.items(), key=lambda kv: -kv[1])}

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.peak_rss = max(self.peak_rss, tree_rss(self.roots))
            self.loads.append(os.getloadavg()[0])
            self.sample_cpu()
            reap_orphans(self.keep)
            self.stop_event.wait(1.0)


def stop_automation(instance, keep: set[str]) -> list[str]:
    """Stop every schedule and sensor of the code location except ``keep``; the names stopped."""
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget

    stopped = []
    with WorkspaceProcessContext(instance, WorkspaceFileTarget([str(REPO / "workspace.yaml")])) as ctx:
        location = ctx.create_request_context().get_code_location("imdb_tracker")
        for repo in location.get_repositories().values():
            for sensor in repo.get_sensors():
                if sensor.name not in keep:
                    instance.stop_sensor(sensor.get_remote_origin_id(), sensor.selector_id, sensor)
                    stopped.append(sensor.name)
            for schedule in repo.get_schedules():
                if schedule.name not in keep:
                    instance.stop_schedule(schedule.get_remote_origin_id(), schedule.selector_id, schedule)
                    stopped.append(schedule.name)
    return stopped


def request_stats(log: list, since: float) -> tuple[int, float, int]:
    """Title requests since ``since``: count, mean rate over their span, most in one second."""
    times = sorted(entry.at for entry in log if entry.route == "title" and entry.at >= since)
    if len(times) < 2:
        return len(times), 0.0, len(times)
    peak, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        peak = max(peak, end - start + 1)
    return len(times), (len(times) - 1) / (times[-1] - times[0]), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--baseline", type=int, default=100, help="movies of the one-run-per-movie cycle")
    parser.add_argument("--port", type=int, default=3390)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--extrapolate",
        type=int,
        nargs="*",
        default=[],
        help="also project batched cycles of these sizes from the largest measured one (printed as such)",
    )
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="imdb-tracker-scale-"))
    os.environ["IMDB_TRACKER_HOME"] = str(home)
    for key in ("DATABASE_URL", "DB_HOST", "IMDB_REQUESTS_PER_SECOND", "METADATA_BATCH_SIZE"):
        os.environ.pop(key, None)

    from dagster import AssetRecordsFilter, DagsterInstance, RunsFilter, build_schedule_context
    from dagster_graphql import DagsterGraphQLClient
    from sqlalchemy import create_engine

    from imdb_tracker.db.movies import register_movie, save_poster
    from imdb_tracker.db.server import stop_embedded_server
    from imdb_tracker.defs.movies.automation import movie_metadata_batch_hourly
    from imdb_tracker.defs.partitions import MOVIES_PARTITION, PARTITION_TAG
    from imdb_tracker.defs.resources import build_resources
    from imdb_tracker.imdb.posters import Poster
    from imdb_tracker.instance import prepare
    from imdb_tracker.settings import get_settings
    from imdb_tracker_dev.replica.render import poster_png, poster_url
    from imdb_tracker_dev.replica.server import start_replica

    settings = get_settings()
    urls = prepare(settings)
    engine = create_engine(urls.tracker)
    instance = DagsterInstance.get()
    pgdata = settings.database_config().pgdata
    pg = postmaster(pgdata) if (pgdata / "postmaster.pid").exists() else None
    stopped = stop_automation(instance, keep={"batch_failures_sensor"})

    phases = [("one run per movie", args.baseline)] if args.baseline else []
    phases += [("batched", n) for n in args.sizes]
    first_id = 9_100_000
    ranges = []
    for _, n in phases:
        ranges.append([f"tt{first_id + i:07d}" for i in range(n)])
        first_id += 100_000
    replica = start_replica(synthetic_range=(ranges[0][0], f"tt{first_id:07d}"))
    with engine.begin() as conn:  # the steady state: every poster already stored
        for ids in ranges:
            for movie_id in ids:
                register_movie(conn, movie_id)
                save_poster(
                    conn,
                    movie_id,
                    Poster("image/png", poster_png(movie_id), poster_url(replica.base_url, movie_id)),
                )

    become_subreaper()
    ui = subprocess.Popen(
        [sys.executable, "-m", "imdb_tracker", "ui", "--port", str(args.port)],
        env={**os.environ, "IMDB_BASE_URL": replica.base_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    roots = [psutil.Process(ui.pid)] + ([pg] if pg is not None else [])
    batching = build_resources(settings)["batching"]
    print(
        f"scale benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {psutil.cpu_count()} cores, "
        f"budget {settings.imdb_requests_per_second:g} requests/s, "
        f"METADATA_BATCH_SIZE {settings.metadata_batch_size}, home {home}\n"
        f"stopped for the measurement: {', '.join(sorted(stopped))}",
        flush=True,
    )
    cycles: list[Cycle] = []
    try:
        wait_for_webserver(args.port)
        client = DagsterGraphQLClient("127.0.0.1", port_number=args.port)
        time.sleep(10)  # let the code server and daemon settle; idle figures below
        for (mode, n), ids in zip(phases, ranges, strict=True):
            for old in instance.get_dynamic_partitions(MOVIES_PARTITION):
                instance.delete_dynamic_partition(MOVIES_PARTITION, old)
            instance.add_dynamic_partitions(MOVIES_PARTITION, ids)
            reap_orphans({ui.pid})
            idle_rss = tree_rss(roots)
            idle_from = tree_cpu(roots) + reaped_cpu()
            time.sleep(IDLE_S)
            reap_orphans({ui.pid})
            idle_cpu_per_s = (tree_cpu(roots) + reaped_cpu() - idle_from) / IDLE_S
            started_at = datetime.now(UTC)
            t0, cpu0, reaped0, load0 = time.time(), tree_cpu(roots), reaped_cpu(), os.getloadavg()[0]
            sampler = Sampler(roots, {ui.pid})
            sampler.start()
            tick = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
            if mode == "batched":
                context = build_schedule_context(
                    instance=instance, scheduled_execution_time=tick, resources={"batching": batching}
                )
                for request in movie_metadata_batch_hourly(context):
                    client.submit_job_execution(
                        "movie_metadata_batch_job",
                        repository_location_name="imdb_tracker",
                        run_config=request.run_config,
                        tags=dict(request.tags),
                    )
            else:  # the former schedule: one movie_metadata_job run per movie
                for movie_id in ids:
                    client.submit_job_execution(
                        "movie_metadata_job",
                        repository_location_name="imdb_tracker",
                        tags={PARTITION_TAG: movie_id},
                    )
            while True:
                runs = instance.get_runs(RunsFilter(created_after=started_at))
                if runs and all(r.status.value in FINISHED for r in runs):
                    time.sleep(3)  # the last run worker and its browser exit
                    reap_orphans({ui.pid})
                    cpu = tree_cpu(roots) - cpu0 + reaped_cpu() - reaped0
                    time.sleep(35)  # batch_failures_sensor may still ask for retries
                    again = instance.get_runs(RunsFilter(created_after=started_at))
                    if len(again) == len(runs) and all(r.status.value in FINISHED for r in again):
                        break
                time.sleep(2)
            records = instance.get_run_records(RunsFilter(created_after=started_at))
            ended = max(r.end_time or 0 for r in records)
            sampler.stop_event.set()
            sampler.join()
            wall = ended - t0
            materialized = instance.fetch_materializations(
                AssetRecordsFilter(asset_key=_metadata_key(), asset_partitions=ids, after_timestamp=t0),
                limit=n + 10,
            ).records
            count, rate, peak = request_stats(replica.request_log, t0)
            cycle = Cycle(
                mode=mode,
                movies=n,
                runs=len(records),
                failed_runs=sum(r.dagster_run.status.value != "SUCCESS" for r in records),
                materializations=len(materialized),
                wall_s=round(wall, 1),
                cpu_s=round(cpu, 1),
                cpu_share_of_2_cores=round(cpu / (wall * CORES), 3),
                cpu_s_per_movie=round(cpu / n, 3),
                idle_cpu_per_s=round(idle_cpu_per_s, 3),
                hour_cpu_share_of_2_cores=round(
                    (cpu + idle_cpu_per_s * max(HOUR_S - wall, 0)) / (HOUR_S * CORES), 3
                ),
                peak_rss_mb=round(sampler.peak_rss),
                idle_rss_mb=round(idle_rss),
                title_requests=count,
                request_rate_per_s=round(rate, 2),
                max_requests_in_1s=peak,
                load_avg_start=round(load0, 2),
                load_avg_mean=round(sum(sampler.loads) / max(len(sampler.loads), 1), 2),
                load_avg_end=round(os.getloadavg()[0], 2),
                cpu_s_by_part=sampler.cpu_by_kind(),
            )
            cycles.append(cycle)
            print(json.dumps(asdict(cycle)), flush=True)
            time.sleep(20)  # the run workers' last processes end; the next cycle starts from idle
    finally:
        stop_process_group(ui, timeout=60)
        for orphan in psutil.Process().children(recursive=True):  # e.g. a code server dagster dev left
            orphan.kill()
        time.sleep(1)
        reap_orphans(set())
        replica.stop()
        instance.dispose()
        engine.dispose()
        stop_embedded_server(settings.database_config())
    report(cycles, args.extrapolate, settings.imdb_requests_per_second, settings.metadata_batch_size)
    if args.json:
        args.json.write_text(json.dumps([asdict(c) for c in cycles], indent=2))


def split_into_batches(movie_ids: list[str], max_size: int, min_batches: int) -> list[list[str]]:
    from imdb_tracker.defs.movies.batches import split_into_batches as split

    return split(movie_ids, max_size, min_batches)


def _metadata_key():
    from imdb_tracker.defs.movies.assets import movie_metadata

    return movie_metadata.key


def report(cycles: list[Cycle], extrapolate: list[int], budget: float, batch_size: int) -> None:
    """The table, the one-run-per-movie figures extrapolated (said so) to the batched sizes, and
    batched cycles of the ``extrapolate`` sizes projected (said so) from the largest measured one."""
    header = (
        f"{'mode':<20}{'movies':>7}{'runs':>6}{'mat.':>6}{'wall s':>8}{'CPU s':>8}{'CPU % of 2':>11}"
        f"{'CPU s/movie':>12}{'hour CPU %':>11}{'peak MB':>9}{'req/s':>7}{'max/1s':>7}{'load':>6}"
    )
    print("\n" + header)
    for c in cycles:
        print(
            f"{c.mode:<20}{c.movies:>7}{c.runs:>6}{c.materializations:>6}{c.wall_s:>8.0f}{c.cpu_s:>8.0f}"
            f"{100 * c.cpu_share_of_2_cores:>10.1f}%{c.cpu_s_per_movie:>12.2f}"
            f"{100 * c.hour_cpu_share_of_2_cores:>10.1f}%{c.peak_rss_mb:>9.0f}"
            f"{c.request_rate_per_s:>7.2f}{c.max_requests_in_1s:>7}{c.load_avg_mean:>6.2f}"
        )
    batched = [c for c in cycles if c.mode == "batched"]
    if extrapolate and batched:
        big = max(batched, key=lambda c: c.movies)
        print(
            f"\nEXTRAPOLATED, not measured: batched cycles projected from the measured "
            f"{big.movies}-movie cycle "
            f"({big.cpu_s_per_movie:.3f} CPU s per movie incl. its share of run start-up, idle "
            f"{big.idle_cpu_per_s:.3f} CPU s/s); wall = the budget's pace ({budget:g} requests/s) or the "
            f"measured pace, whichever is slower"
        )
        for n in extrapolate:
            cpu = big.cpu_s_per_movie * n
            wall = max(n / budget, big.wall_s / big.movies * n)
            hour = (cpu + big.idle_cpu_per_s * max(HOUR_S - wall, 0)) / (HOUR_S * CORES)
            runs = len(split_into_batches([str(i) for i in range(n)], batch_size, 5))
            print(
                f"  {n:>6} movies: {runs} runs, ~{cpu:,.0f} CPU s, ~{wall / 60:.0f} min wall, "
                f"~{100 * hour:.0f} % of 2 cores over the hour"
            )
    base = next((c for c in cycles if c.mode == "one run per movie"), None)
    if base is None:
        return
    print(
        f"\nEXTRAPOLATED, not measured: one run per movie at the batched sizes, linear in the movies from "
        f"the measured {base.movies}-movie cycle ({base.cpu_s_per_movie:.2f} CPU s and "
        f"{base.wall_s / base.movies:.2f} s wall per movie)"
    )
    for c in cycles:
        if c.mode != "batched":
            continue
        cpu = base.cpu_s_per_movie * c.movies
        wall_min = base.wall_s / base.movies * c.movies / 60
        print(
            f"  {c.movies:>6} movies: {c.movies} runs, ~{cpu:,.0f} CPU s = "
            f"{100 * cpu / 3600 / CORES:.0f} % of 2 cores for an hour, ~{wall_min:,.0f} min wall (batched, "
            f"measured: {c.runs} runs, {c.cpu_s:,.0f} CPU s, {c.wall_s / 60:.1f} min)"
        )


if __name__ == "__main__":
    main()
