"""The vectorized Parquet path gives exactly the pairs, ids and counts of the row-by-row path."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import canonical
from workbench import columnar_load
from workbench.errors import RowError
from workbench.loading import LoadOptions
from workbench.workspace import WorkspaceStore

ROWS = [
    {"id": "x1", "prompt": "Hi ✓", "chosen": "Hello", "rejected": "Yo", "source": "s1", "split": "train", "tie": False,
     "chosen_position": "a", "score": 3, "model": "m", "flag": True},
    {"id": None, "prompt": "Dup", "chosen": "same", "rejected": "other", "source": "", "split": None, "tie": False,
     "chosen_position": None, "score": None, "model": "", "flag": None},
    {"id": "", "prompt": "Dup", "chosen": "same", "rejected": "other", "source": None, "split": "test", "tie": None,
     "chosen_position": "", "score": 5, "model": "m2", "flag": False},
    {"id": None, "prompt": "Tie", "chosen": "a", "rejected": "a", "source": "s2", "split": None, "tie": True,
     "chosen_position": "b", "score": 1, "model": "q\"uote", "flag": True},
    {"id": "x5", "prompt": "", "chosen": "  ", "rejected": "r", "source": "s1", "split": "", "tie": False,
     "chosen_position": None, "score": -2, "model": None, "flag": None},
]


def write(tmp_path, rows, name="data.parquet"):
    path = tmp_path / name
    pq.write_table(pa.Table.from_pylist(rows), path)
    return str(path)


def load_both(tmp_path, path, **options):
    results = []
    for columnar in (True, False):
        store = WorkspaceStore(tmp_path / f"ws-{columnar}")
        report = store.load(path, LoadOptions(columnar=columnar, **options))
        originals = [r[0] for r in store.sql_rows("SELECT original::VARCHAR FROM pairs ORDER BY row_index")]
        results.append((report, canonical(store), store.sql_rows("SELECT location, row_index FROM pairs ORDER BY row_index"),
                        [json.loads(o) for o in originals]))
        store.close()
    return results


def test_same_pairs_ids_originals_and_stats(tmp_path):
    path = write(tmp_path, ROWS)
    probe = WorkspaceStore(tmp_path / "probe")
    assert columnar_load.plan(probe.con, path, LoadOptions(), "data") is not None  # really the fast path
    probe.close()
    (fast_report, fast, fast_locations, fast_originals), (row_report, rows, row_locations, row_originals) = load_both(tmp_path, path)
    assert fast == rows
    assert fast_locations == row_locations
    assert fast_originals == row_originals
    assert fast_report.stats == row_report.stats
    assert fast[2]["pair_id"] == fast[1]["pair_id"] + "-2"  # duplicate content numbered like the row path
    assert fast[1]["source"] == "data" and fast[0]["metadata"] == {"score": 3, "model": "m", "flag": True}


@pytest.mark.parametrize("change", [
    {"chosen": None},                  # a missing field: the row path names it
    {"chosen": "[{\"role\": \"assistant\", \"content\": \"x\"}]"},   # messages in a text cell, text on the other side
    {"id": "x1"},                      # duplicate explicit id
    {"chosen_position": "left"},
])
def test_unusual_files_take_the_row_path(tmp_path, change):
    rows = [dict(ROWS[0]), {**ROWS[4], **change}]
    path = write(tmp_path, rows)
    probe = WorkspaceStore(tmp_path / "probe")
    assert columnar_load.plan(probe.con, path, LoadOptions(), "data") is None
    field = next(iter(change))
    with pytest.raises(RowError, match=rf"data\.parquet, row 2, field '{field}'"):
        probe.load(path)
    probe.close()


def test_over_long_fields_take_the_row_path(tmp_path):
    path = write(tmp_path, [{**ROWS[0], "chosen": "x" * 50}])
    probe = WorkspaceStore(tmp_path / "probe")
    assert columnar_load.plan(probe.con, path, LoadOptions(max_field_chars=10), "data") is None
    with pytest.raises(RowError, match="over the limit of 10"):
        probe.load(path, LoadOptions(max_field_chars=10))
    probe.close()
