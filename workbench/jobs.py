"""Running analyzers outside the UI process, with progress, cancel and resume after a crash.

A job is a folder ``<workspace>/jobs/<run_id>/``:
  job.json        what to run (analyzer, settings, cache key, dataset fingerprint)
  input.parquet   the pairs, exported once by the process that owns the workspace
  batches/        one parquet file per finished batch; a restarted job skips the pairs in them
  progress.json   {done, total, message}, rewritten after every batch
  summary.json    written when every batch is done; then ``done`` appears
  cancel          created to ask the job to stop after the current batch
  error.txt       why the job failed
The process that owns the workspace database ingests a finished job (``ingest``); the job process
itself never opens the database, because DuckDB allows one writer process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

from analyzers import get_analyzer
from analyzers.base import INPUT_COLUMNS, RunContext
from workbench.errors import AnalyzerError, JobCancelled, WorkbenchError
from workbench.workspace import RunInfo, WorkspaceStore, cache_key

Progress = Callable[[int, int, str], None]


@dataclass
class JobStatus:
    state: str  # "pending" | "running" | "complete" | "failed" | "cancelled" | "interrupted" | "ingested"
    done: int
    total: int
    message: str = ""
    error: str | None = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def jobs_folder(store: WorkspaceStore) -> Path:
    return store.folder / "jobs"


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# ---------------------------------------------------------------- preparing (workspace owner)

def prepare_job(store: WorkspaceStore, analyzer_name: str, settings_values: dict | None = None) -> tuple[Path | None, RunInfo]:
    """A job folder ready to run, or (None, run) when a complete run with these settings on these pairs exists.

    An unfinished job with the same cache key is reused, so a crashed or cancelled run resumes.
    """
    analyzer = get_analyzer(analyzer_name)
    settings = analyzer.settings_from_dict(settings_values or {})
    settings_dict = analyzer.settings_dict(settings)
    if store.n_pairs() == 0:
        raise AnalyzerError("The workspace has no pairs yet; load a dataset first.")
    fingerprint = store.fingerprint()
    key = cache_key(analyzer.name, analyzer.version, analyzer.result_settings(settings), fingerprint)
    cached = store.completed_run(key)
    if cached is not None:
        return None, cached
    folder = jobs_folder(store)
    for job_dir in sorted(folder.glob("*")) if folder.exists() else []:
        spec = _read_json(job_dir / "job.json")
        if spec.get("cache_key") == key and not (job_dir / "ingested").exists():
            (job_dir / "cancel").unlink(missing_ok=True)
            (job_dir / "error.txt").unlink(missing_ok=True)
            return job_dir, store.run(spec["run_id"]) or _run_from_spec(spec, "running")
    run_id = uuid.uuid4().hex[:16]
    job_dir = folder / run_id
    (job_dir / "batches").mkdir(parents=True)
    store.copy_to_parquet(f"SELECT {', '.join(INPUT_COLUMNS)} FROM pairs ORDER BY dataset_id, row_index", job_dir / "input.parquet")
    spec = {
        "run_id": run_id, "analyzer": analyzer.name, "version": analyzer.version, "settings": settings_dict,
        "model": analyzer.model_name(settings), "dataset_fingerprint": fingerprint, "cache_key": key,
        "created_at": _now().isoformat(), "n_pairs": store.n_pairs(),
        "columns": analyzer.column_descriptions(settings),
    }
    _write_json(job_dir / "job.json", spec)
    info = _run_from_spec(spec, "running")
    store.record_run(info)
    return job_dir, info


def _run_from_spec(spec: dict, status: str) -> RunInfo:
    return RunInfo(
        run_id=spec["run_id"], analyzer=spec["analyzer"], version=spec["version"], settings=spec["settings"],
        model=spec.get("model"), dataset_fingerprint=spec["dataset_fingerprint"], cache_key=spec["cache_key"],
        status=status, created_at=datetime.fromisoformat(spec["created_at"]), finished_at=None,
        n_pairs=spec.get("n_pairs"), summary={}, columns=spec.get("columns", {}), error=None,
    )


# ---------------------------------------------------------------- running (any process)

def _done_ids(job_dir: Path) -> set[str]:
    done: set[str] = set()
    for batch_file in sorted((job_dir / "batches").glob("batch-*.parquet")):
        done.update(pd.read_parquet(batch_file, columns=["pair_id"])["pair_id"])
    return done


def run_job(job_dir: Path | str, progress: Progress | None = None) -> None:
    """Run (or resume) a job to completion in this process. Raises JobCancelled when cancelled."""
    job_dir = Path(job_dir)
    spec = _read_json(job_dir / "job.json")
    analyzer = get_analyzer(spec["analyzer"])
    settings = analyzer.settings_from_dict(spec["settings"])
    pairs = pd.read_parquet(job_dir / "input.parquet")
    total = len(pairs)

    def report(done: int, total_: int, message: str) -> None:
        _write_json(job_dir / "progress.json", {"done": done, "total": total_, "message": message, "pid": os.getpid(),
                                                "updated": time.time()})
        if progress:
            progress(done, total_, message)

    context = RunContext(report=report, should_cancel=lambda: (job_dir / "cancel").exists(),
                         cache_dir=job_dir.parent.parent / "cache")
    try:
        done_ids = _done_ids(job_dir)
        report(len(done_ids), total, "preparing")
        state = analyzer.prepare(pairs, settings, context)
        todo = pairs[~pairs["pair_id"].isin(done_ids)] if done_ids else pairs
        batch_size = getattr(settings, "batch_size", analyzer.default_batch_size)
        next_index = len(list((job_dir / "batches").glob("batch-*.parquet")))
        done = len(done_ids)
        for start in range(0, len(todo), batch_size):
            context.check_cancelled()
            batch = todo.iloc[start:start + batch_size]
            out = analyzer.compute(batch, settings, state, context)
            if len(out) != len(batch):
                raise AnalyzerError(f"Analyzer '{analyzer.name}' returned {len(out)} rows for a batch of {len(batch)}.")
            out = out.reset_index(drop=True)
            out.insert(0, "pair_id", batch["pair_id"].to_numpy())
            next_index += 1
            target = job_dir / "batches" / f"batch-{next_index:06d}.parquet"
            out.to_parquet(target.with_suffix(".tmp"), index=False)
            os.replace(target.with_suffix(".tmp"), target)
            done += len(batch)
            report(done, total, f"{done:,} of {total:,} pairs")
        results = collect_results(job_dir)
        summary = analyzer.finish(analyzer.summarize(results, pairs, settings), results, pairs, settings, context)
        _write_json(job_dir / "summary.json", summary)
        (job_dir / "done").touch()
        report(total, total, "finished")
    except JobCancelled:
        (job_dir / "cancelled").touch()
        raise
    except BaseException as error:
        message = str(error) if isinstance(error, WorkbenchError) else f"{type(error).__name__}: {error}"
        (job_dir / "error.txt").write_text(message + "\n\n" + traceback.format_exc(), encoding="utf-8")
        raise


def collect_results(job_dir: Path) -> pd.DataFrame:
    files = sorted((job_dir / "batches").glob("batch-*.parquet"))
    if not files:
        return pd.DataFrame(columns=["pair_id"])
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True).drop_duplicates("pair_id", keep="last")


def start_process(job_dir: Path) -> subprocess.Popen:
    """Run the job in a separate Python process (the app does this so the UI stays responsive)."""
    for marker in ("cancel", "cancelled", "error.txt"):
        (job_dir / marker).unlink(missing_ok=True)
    log = open(job_dir / "log.txt", "ab")
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    process = subprocess.Popen([sys.executable, "-m", "workbench.jobs", str(job_dir)], stdout=log, stderr=log,
                               stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    _write_json(job_dir / "process.json", {"pid": process.pid, "started": time.time()})
    return process


def cancel(job_dir: Path) -> None:
    (Path(job_dir) / "cancel").touch()


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except (OSError, ProcessLookupError):
        return False
    try:  # a finished child that nobody waited for is a zombie: not running
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


def status(job_dir: Path) -> JobStatus:
    job_dir = Path(job_dir)
    progress = _read_json(job_dir / "progress.json")
    spec = _read_json(job_dir / "job.json")
    done, total = int(progress.get("done", 0)), int(progress.get("total", spec.get("n_pairs", 0)))
    message = progress.get("message", "")
    if (job_dir / "ingested").exists():
        return JobStatus("ingested", total, total, "stored in the workspace")
    if (job_dir / "done").exists():
        return JobStatus("complete", total, total, "finished")
    if (job_dir / "error.txt").exists():
        error = (job_dir / "error.txt").read_text(encoding="utf-8").split("\n\n")[0]
        return JobStatus("failed", done, total, message, error)
    if (job_dir / "cancelled").exists():
        return JobStatus("cancelled", done, total, "cancelled")
    pid = _read_json(job_dir / "process.json").get("pid") or progress.get("pid")
    if _alive(pid):
        return JobStatus("running", done, total, message)
    if progress or (job_dir / "process.json").exists():
        return JobStatus("interrupted", done, total, "stopped before finishing; resume to continue")
    return JobStatus("pending", done, total, "not started")


def unfinished_jobs(store: WorkspaceStore) -> list[tuple[Path, dict, JobStatus]]:
    """Jobs not yet ingested, newest first: running, interrupted, failed or waiting to be ingested."""
    folder = jobs_folder(store)
    found = []
    for job_dir in folder.glob("*") if folder.exists() else []:
        if (job_dir / "ingested").exists() or not (job_dir / "job.json").exists():
            continue
        found.append((job_dir, _read_json(job_dir / "job.json"), status(job_dir)))
    return sorted(found, key=lambda item: item[1].get("created_at", ""), reverse=True)


# ---------------------------------------------------------------- ingesting (workspace owner)

def ingest(store: WorkspaceStore, job_dir: Path) -> RunInfo:
    """Store a finished job's results and summary in the workspace; the run becomes the active one."""
    job_dir = Path(job_dir)
    if not (job_dir / "done").exists():
        raise WorkbenchError(f"Job {job_dir.name} has not finished.")
    spec = _read_json(job_dir / "job.json")
    info = _run_from_spec(spec, "complete")
    info.summary = _read_json(job_dir / "summary.json")
    info.finished_at = _now()
    results = collect_results(job_dir)
    info.n_pairs = len(results)
    store.store_results(info, results)
    (job_dir / "ingested").touch()
    (job_dir / "input.parquet").unlink(missing_ok=True)
    return info


def settle(store: WorkspaceStore, job_dir: Path) -> RunInfo | None:
    """Record a stopped job's state (failed, cancelled, interrupted) on its run; returns the run."""
    info = store.run(Path(job_dir).name)
    current = status(job_dir)
    if info is None or current.state not in ("failed", "cancelled", "interrupted", "running"):
        return info
    if (info.status, info.error) != (current.state, current.error):
        info.status, info.error = current.state, current.error
        store.record_run(info)
    return info


def analyze(store: WorkspaceStore, analyzer_name: str, settings_values: dict | None = None,
            progress: Progress | None = None) -> tuple[RunInfo, bool]:
    """Run an analyzer in this process and store its results. Returns (run, reused_from_cache)."""
    job_dir, info = prepare_job(store, analyzer_name, settings_values)
    if job_dir is None:
        return info, True
    try:
        run_job(job_dir, progress)
    except BaseException:
        settle(store, job_dir)
        raise
    return ingest(store, job_dir), False


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m workbench.jobs JOB_DIR", file=sys.stderr)
        return 2
    try:
        run_job(Path(args[0]))
    except JobCancelled:
        return 3
    except WorkbenchError as error:
        print(str(error), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
