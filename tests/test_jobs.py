"""The job runner: results per batch, cancel, resume after a crash, a separate process, cached re-runs."""
from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd
import pytest

import analyzers
from analyzers.base import Analyzer, Column
from tests.conftest import write_jsonl
from workbench import jobs
from workbench.errors import AnalyzerError, JobCancelled
from workbench.workspace import WorkspaceStore

ROWS = [{"id": f"p{i:03d}", "prompt": f"prompt {i}", "chosen": "yes " * (i % 5 + 1), "rejected": "no"} for i in range(50)]


@dataclass(frozen=True)
class CountingSettings:
    batch_size: int = 10
    fail_at_batch: int = -1


class CountingAnalyzer(Analyzer):
    """Records every pair it computes; can crash at a given batch, like a killed process."""

    name = "counting"
    settings_class = CountingSettings
    computed: list[str] = []
    batches_seen = 0

    def columns(self, settings):
        return [Column("chosen_len", "int", "len(chosen)")]

    def compute(self, batch, settings, state, context):
        type(self).batches_seen += 1
        if type(self).batches_seen == settings.fail_at_batch:
            raise RuntimeError("simulated crash")
        type(self).computed.extend(batch["pair_id"])
        return pd.DataFrame({"chosen_len": batch["chosen"].str.len().to_numpy()})

    def summarize(self, results, pairs, settings):
        return {"total_len": int(results["chosen_len"].sum())}


@pytest.fixture
def counting():
    analyzer = CountingAnalyzer()
    analyzers._REGISTRY[analyzer.name] = analyzer
    CountingAnalyzer.computed, CountingAnalyzer.batches_seen = [], 0
    yield analyzer
    del analyzers._REGISTRY[analyzer.name]


@pytest.fixture
def loaded(store, tmp_path):
    store.load(str(write_jsonl(tmp_path / "rows.jsonl", ROWS)))
    return store


def stored(store, analyzer):
    return store.sql_df(f"SELECT pair_id, * EXCLUDE (pair_id, run_id) FROM result_{analyzer} ORDER BY pair_id")


def test_resume_after_a_crash_computes_only_the_missing_pairs(loaded, counting):
    with pytest.raises(RuntimeError, match="simulated crash"):
        jobs.analyze(loaded, "counting", {"fail_at_batch": 3})
    assert len(CountingAnalyzer.computed) == 20  # two batches stored before the crash
    job_dir, info = jobs.prepare_job(loaded, "counting", {"fail_at_batch": 3})
    assert job_dir is not None and len(list((job_dir / "batches").glob("*.parquet"))) == 2
    jobs.run_job(job_dir)  # batches_seen is past 3 now: no crash
    assert sorted(CountingAnalyzer.computed) == sorted(r["id"] for r in ROWS)  # each pair exactly once
    run = jobs.ingest(loaded, job_dir)
    results = stored(loaded, "counting")
    assert len(results) == 50 and results.set_index("pair_id")["chosen_len"].to_dict() == {
        r["id"]: len(r["chosen"]) for r in ROWS}
    assert run.summary == {"total_len": sum(len(r["chosen"]) for r in ROWS)}


def test_cancel_keeps_finished_batches_and_resumes(loaded, counting):
    job_dir, _ = jobs.prepare_job(loaded, "counting", {})

    def cancel_after_two_batches(done, total, message):
        if done >= 20:
            jobs.cancel(job_dir)

    with pytest.raises(JobCancelled):
        jobs.run_job(job_dir, cancel_after_two_batches)
    assert jobs.status(job_dir).state == "cancelled" and jobs.status(job_dir).done == 20
    again, _ = jobs.prepare_job(loaded, "counting", {})
    assert again == job_dir  # the same job resumes
    jobs.run_job(again)
    assert len(CountingAnalyzer.computed) == 50
    jobs.ingest(loaded, again)
    assert jobs.status(again).state == "ingested"


def test_same_settings_on_same_data_reuse_the_stored_run(loaded, counting):
    first, cached = jobs.analyze(loaded, "counting", {})
    assert not cached
    again, cached = jobs.analyze(loaded, "counting", {"batch_size": "10"})
    assert cached and again.run_id == first.run_id and len(CountingAnalyzer.computed) == 50
    faster, cached = jobs.analyze(loaded, "counting", {"batch_size": 25})  # batch size changes nothing computed
    assert cached and faster.run_id == first.run_id
    other, cached = jobs.analyze(loaded, "counting", {"fail_at_batch": 99})
    assert not cached and other.run_id != first.run_id
    assert loaded.active_runs()["counting"].run_id == other.run_id


def test_results_survive_reopening_the_workspace(loaded, counting, tmp_path):
    run, _ = jobs.analyze(loaded, "counting", {})
    folder = loaded.folder
    loaded.close()
    reopened = WorkspaceStore(folder)
    try:
        assert reopened.active_runs()["counting"].run_id == run.run_id
        assert "counting.chosen_len" in reopened.available_columns()
        assert len(stored(reopened, "counting")) == 50
        _, cached = jobs.analyze(reopened, "counting", {})
        assert cached
    finally:
        reopened.close()


def test_job_in_a_separate_process_matches_in_process(loaded):
    job_dir, _ = jobs.prepare_job(loaded, "basic", {"tokenizer": "regex", "batch_size": 16})
    process = jobs.start_process(job_dir)
    assert process.wait(timeout=120) == 0, (job_dir / "log.txt").read_text()
    assert jobs.status(job_dir).state == "complete"
    jobs.ingest(loaded, job_dir)
    from_process = stored(loaded, "basic")
    expected = pd.DataFrame({"pair_id": [r["id"] for r in ROWS],
                             "chosen_words": [len(r["chosen"].split()) for r in ROWS]}).sort_values("pair_id")
    assert from_process["chosen_words"].tolist() == expected["chosen_words"].tolist()
    assert len(list((job_dir / "batches").glob("*.parquet"))) == 4  # 50 pairs in batches of 16


def test_process_cancelled_before_its_first_batch(loaded):
    job_dir, _ = jobs.prepare_job(loaded, "basic", {"tokenizer": "regex", "batch_size": 16})
    process = jobs.start_process(job_dir)
    jobs.cancel(job_dir)
    process.wait(timeout=120)
    state = jobs.status(job_dir).state
    assert state in ("cancelled", "complete")  # it may have finished all 4 tiny batches before noticing
    deadline = time.time() + 5
    while process.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    assert process.returncode in (0, 3)


def test_interrupted_process_is_reported_and_listed(loaded, counting):
    job_dir, _ = jobs.prepare_job(loaded, "counting", {})
    (job_dir / "process.json").write_text('{"pid": 999999999}')
    (job_dir / "progress.json").write_text('{"done": 10, "total": 50}')
    status = jobs.status(job_dir)
    assert status.state == "interrupted" and status.done == 10
    assert [d for d, _, _ in jobs.unfinished_jobs(loaded)] == [job_dir]


def test_failed_run_is_recorded_and_a_quoted_workspace_path_works(tmp_path, counting):
    from workbench.workspace import WorkspaceStore

    store = WorkspaceStore(tmp_path / "it's a workspace")
    store.load(str(write_jsonl(tmp_path / "rows.jsonl", ROWS)))
    with pytest.raises(RuntimeError):
        jobs.analyze(store, "counting", {"fail_at_batch": 2})
    run = store.runs("counting")[-1]
    assert run.status == "failed" and "simulated crash" in run.error
    store.close()


def test_bad_settings_and_names(loaded):
    with pytest.raises(AnalyzerError, match="Unknown analyzer 'nope'; available: basic"):
        jobs.analyze(loaded, "nope")
    with pytest.raises(AnalyzerError, match="Unknown setting 'colour' for analyzer 'basic'"):
        jobs.analyze(loaded, "basic", {"colour": "red"})
    with pytest.raises(AnalyzerError, match="Setting 'basic.near_identical_max_words' must be a whole number, got 'many'"):
        jobs.analyze(loaded, "basic", {"near_identical_max_words": "many"})


def test_analyzing_an_empty_workspace_is_an_error(store):
    with pytest.raises(AnalyzerError, match="no pairs yet"):
        jobs.analyze(store, "basic")
