from __future__ import annotations

import os

# Never wait on the Hugging Face hub in tests: everything they load is local.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
SHARED_DATA = ROOT.parent / "shared" / "data"

needs_shared = pytest.mark.skipif(not SHARED_DATA.exists(), reason="../shared/data is absent (fresh clone)")


@pytest.fixture
def store(tmp_path):
    from workbench.workspace import WorkspaceStore

    workspace = WorkspaceStore(tmp_path / "ws")
    yield workspace
    workspace.close()


def write_jsonl(path: Path, rows: list) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def canonical(store) -> list[dict]:
    """Every pair as comparable plain values, in file order."""
    frame = store.sql_df(
        "SELECT pair_id, prompt, chosen, rejected, label, chosen_position, source, split, "
        "prompt_messages, chosen_messages, rejected_messages, metadata FROM pairs ORDER BY dataset_id, row_index")
    records = frame.to_dict("records")
    for record in records:
        for name in ("prompt_messages", "chosen_messages", "rejected_messages", "metadata"):
            record[name] = json.loads(record[name]) if isinstance(record[name], str) else None
        for name in ("chosen_position", "split"):
            if record[name] is not None and not isinstance(record[name], str):
                record[name] = None
    return records
