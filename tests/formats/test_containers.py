"""The same pairs arrive identically from every container: JSONL, JSONL.gz, JSON, CSV, Parquet, save_to_disk."""
from __future__ import annotations

import gzip
import json
import shutil

import pandas as pd
import pytest

from tests.conftest import FIXTURES, canonical
from workbench.errors import FormatError
from workbench.workspace import WorkspaceStore

ROWS = [json.loads(line) for line in open(FIXTURES / "trl_standard.jsonl", encoding="utf-8")]
STANDARD = [{k: v for k, v in row.items() if k != "tie"} for row in ROWS[:2]]  # CSV/Parquet need flat, uniform rows


def _texts(store):
    return [(p["pair_id"], p["prompt"], p["chosen"], p["rejected"], p["source"]) for p in canonical(store)]


@pytest.mark.parametrize("container", ["jsonl", "jsonl.gz", "json", "csv", "parquet"])
def test_containers_give_the_same_pairs(tmp_path, container):
    path = tmp_path / f"data.{container}"
    frame = pd.DataFrame(STANDARD)
    if container == "jsonl":
        frame.to_json(path, orient="records", lines=True)
    elif container == "jsonl.gz":
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(frame.to_json(orient="records", lines=True))
    elif container == "json":
        frame.to_json(path, orient="records")
    elif container == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    store = WorkspaceStore(tmp_path / "ws")
    report = store.load(str(path))
    assert report.loaded == 2 and report.container == container.split(".")[0]
    assert _texts(store) == [(r["id"], r["prompt"], r["chosen"], r["rejected"], r["source"]) for r in STANDARD]
    store.close()


def test_hugging_face_save_to_disk_folder_with_splits(tmp_path):
    datasets = pytest.importorskip("datasets")
    folder = tmp_path / "hf"
    datasets.DatasetDict({
        "train": datasets.Dataset.from_list([{"prompt": "p1", "chosen": "c1", "rejected": "r1"}]),
        "test": datasets.Dataset.from_list([{"prompt": "p2", "chosen": "c2", "rejected": "r2"}]),
    }).save_to_disk(str(folder))
    store = WorkspaceStore(tmp_path / "ws")
    report = store.load(str(folder))
    pairs = canonical(store)
    assert report.container == "hf-disk" and report.loaded == 2
    assert [(p["prompt"], p["split"]) for p in pairs] == [("p1", "train"), ("p2", "test")]
    store.close()


def test_a_plain_folder_is_not_a_dataset(tmp_path, store):
    (tmp_path / "folder").mkdir()
    with pytest.raises(FormatError, match="not a Hugging Face save_to_disk dataset"):
        store.load(str(tmp_path / "folder"))


def test_hub_id_offline_says_so(store, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(FormatError, match="Anthropic/hh-rlhf.*offline"):
        store.load("Anthropic/hh-rlhf")


def test_missing_file_and_unknown_extension(store, tmp_path):
    with pytest.raises(FormatError, match="File not found: 'nope.jsonl'"):
        store.load("nope.jsonl")
    odd = tmp_path / "data.txt"
    odd.write_text("x")
    with pytest.raises(FormatError, match=r"data\.txt.*\.jsonl"):
        store.load(str(odd))


def test_save_to_disk_fixture_copy_is_independent(tmp_path):
    # The fixture folder is never modified by a load.
    before = sorted(p.name for p in FIXTURES.iterdir())
    shutil.copy(FIXTURES / "trl_standard.jsonl", tmp_path / "copy.jsonl")
    store = WorkspaceStore(tmp_path / "ws")
    store.load(str(tmp_path / "copy.jsonl"))
    store.close()
    assert sorted(p.name for p in FIXTURES.iterdir()) == before
