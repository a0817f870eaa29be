"""Export: every format round-trips (export everything, load again, identical pairs); filters, scores
and the manifest are honoured; the file is written in the requested container."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import FIXTURES, canonical
from workbench.errors import WorkbenchError
from workbench.export import export
from workbench.filters import Filter, FilterSpec
from workbench.jobs import analyze
from workbench.loading import LoadOptions
from workbench.workspace import WorkspaceStore

FIXTURE_FILES = ["trl_standard.jsonl", "trl_conversational.jsonl", "trl_implicit.jsonl", "hh_rlhf.jsonl",
                 "pairwise_text.csv", "alpaca_eval.json", "arena.csv", "arena_conversations.jsonl",
                 "evalbiasbench.json", "annotated_pairs.json"]
FLAT_FILES = ["trl_standard.jsonl", "pairwise_text.csv", "alpaca_eval.json", "arena.csv", "evalbiasbench.json"]


def _reload(path: Path, tmp_path: Path, **options) -> list[dict]:
    store = WorkspaceStore(tmp_path / f"reload-{path.name}")
    try:
        store.load(str(path), LoadOptions(**options))
        return canonical(store)
    finally:
        store.close()


def _original_extension(fixture: str) -> str:
    return fixture.split(".", 1)[1]


@pytest.mark.parametrize("fixture", FIXTURE_FILES)
@pytest.mark.parametrize("fmt", ["original", "trl", "annotated-pairs"])
def test_export_everything_and_reload_gives_identical_pairs(store, tmp_path, fixture, fmt):
    store.load(str(FIXTURES / fixture))
    before = canonical(store)
    extension = {"original": _original_extension(fixture), "trl": "jsonl", "annotated-pairs": "json"}[fmt]
    out = tmp_path / f"out.{extension}"
    report = export(store, str(out), format=fmt)
    assert report.kept == len(before) and report.removed == 0
    # the source name is part of the pair: load under the original file's name
    after = _reload(out, tmp_path, source=before[0]["source"])
    assert after == before


@pytest.mark.parametrize("fixture", FLAT_FILES)
@pytest.mark.parametrize("container", ["parquet", "csv", "json"])
def test_trl_export_round_trips_through_every_container(store, tmp_path, fixture, container):
    store.load(str(FIXTURES / fixture))
    before = canonical(store)
    out = tmp_path / f"out.{container}"
    export(store, str(out), format="trl")
    after = _reload(out, tmp_path)
    keys = ("pair_id", "prompt", "chosen", "rejected", "label", "chosen_position", "source", "split")
    assert [{k: p[k] for k in keys} for p in after] == [{k: p[k] for k in keys} for p in before]
    if container != "csv":  # CSV cells are text: metadata values come back as strings
        assert [p["metadata"] for p in after] == [p["metadata"] for p in before]


def test_original_export_reproduces_the_input_rows_exactly(store, tmp_path):
    source = FIXTURES / "trl_standard.jsonl"
    store.load(str(source))
    out = tmp_path / "same.jsonl"
    export(store, str(out), format="original")
    rows = [json.loads(line) for line in open(out, encoding="utf-8")]
    assert rows == [json.loads(line) for line in open(source, encoding="utf-8")]
    out_csv = tmp_path / "same.csv"
    store2 = WorkspaceStore(tmp_path / "csv-ws")
    store2.load(str(FIXTURES / "arena.csv"))
    export(store2, str(out_csv))
    assert pd.read_csv(out_csv, dtype=str).equals(pd.read_csv(FIXTURES / "arena.csv", dtype=str))
    store2.close()


def test_filtered_export_with_scores_and_manifest(store, tmp_path):
    store.load(str(FIXTURES / "trl_standard.jsonl"))
    run, _ = analyze(store, "basic", {"tokenizer": "regex"})
    spec = FilterSpec([Filter("label", "=", "preferred")], where="basic.length_delta_words >= 0")
    out = tmp_path / "clean.parquet"
    report = export(store, str(out), spec, format="trl", with_scores=True)
    frame = pd.read_parquet(out)
    assert report.kept == len(frame) == 2 and report.removed == 1
    assert frame["basic.length_delta_words"].tolist() == [0, 0]  # "Paris."/"Lyon.", "7 is prime."/"8 is prime."
    assert frame["basic.length_delta_chars"].tolist() == [1, 0]
    manifest = json.loads(Path(report.manifest_path).read_text())
    assert manifest["counts"] == {"total": 3, "kept": 2, "removed": 1}
    assert manifest["filters"]["where"] == "basic.length_delta_words >= 0"
    assert manifest["filters_readable"] == ['label = "preferred"', "WHERE basic.length_delta_words >= 0"]
    assert [r["run_id"] for r in manifest["analyzer_runs"]] == [run.run_id]
    assert manifest["analyzer_runs"][0]["settings"]["tokenizer"] == "regex"
    assert manifest["sources"][0]["format"] == "trl" and manifest["workspace_fingerprint"] == store.fingerprint()
    assert "basic.length_delta_words" in manifest["score_columns"]


def test_export_refusals_are_one_sentence(store, tmp_path):
    store.load(str(FIXTURES / "evalbiasbench.json"))
    with pytest.raises(WorkbenchError, match="one JSON document; give an output path ending in .json"):
        export(store, str(tmp_path / "x.csv"))
    with pytest.raises(WorkbenchError, match="Unknown export format 'xml'"):
        export(store, str(tmp_path / "x.json"), format="xml")
    store.load(str(FIXTURES / "trl_standard.jsonl"))
    with pytest.raises(WorkbenchError, match="several input formats \\(evalbiasbench, trl\\)"):
        export(store, str(tmp_path / "mixed.jsonl"))
    report = export(store, str(tmp_path / "mixed-trl.jsonl"), format="trl")
    assert report.kept == 6


def test_annotated_pairs_export_keeps_annotators_and_metadata(store, tmp_path):
    store.load(str(FIXTURES / "annotated_pairs.json"))
    out = tmp_path / "ap.json"
    export(store, str(out), format="annotated-pairs")
    document = json.loads(out.read_text())
    original = json.loads((FIXTURES / "annotated_pairs.json").read_text())
    assert document["annotators"] == original["annotators"]
    assert document["metadata"]["default_annotator"] == original["metadata"]["default_annotator"]
    assert document["metadata"]["version"] == "2.0"
    for written, source in zip(document["comparisons"], original["comparisons"]):
        assert written["annotations"] == source["annotations"]
        assert written["response_a"] == source["response_a"] and written["response_b"] == source["response_b"]
