"""Malformed input: one clear sentence naming file, line and field; --on-error skip loses nothing;
a failed load leaves the workspace as it was; each edge case has a defined behaviour."""
from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, canonical, write_jsonl
from workbench.errors import RowError, WorkbenchError
from workbench.loading import LoadOptions


def test_malformed_row_fails_naming_file_line_and_field(store):
    with pytest.raises(RowError) as caught:
        store.load(str(FIXTURES / "malformed.jsonl"))
    assert str(caught.value) == "malformed.jsonl, line 2, field 'rejected': is missing."
    assert store.n_pairs() == 0 and store.datasets().empty


def test_skip_loads_good_rows_and_writes_rejects_with_reasons(store):
    report = store.load(str(FIXTURES / "malformed.jsonl"), LoadOptions(on_error="skip"))
    assert (report.loaded, report.rejected) == (2, 3)
    assert [p["prompt"] for p in canonical(store)] == ["ok", "ok2"]
    rejects = [json.loads(line) for line in open(report.rejects_path, encoding="utf-8")]
    assert [r["location"] for r in rejects] == ["line 2", "line 3", "line 4"]
    assert rejects[0]["field"] == "rejected" and rejects[0]["row"] == {"prompt": "no rejected", "chosen": "good"}
    assert "not valid JSON" in rejects[1]["reason"]
    assert "not valid UTF-8" in rejects[2]["reason"] and "bad bytes" in rejects[2]["row"]
    assert "3 malformed rows" in report.describe()


def test_failed_load_leaves_the_workspace_as_it_was(store, tmp_path):
    store.load(str(FIXTURES / "trl_standard.jsonl"))
    before = canonical(store), store.fingerprint(), len(store.datasets())
    with pytest.raises(RowError):
        store.load(str(FIXTURES / "malformed.jsonl"))
    assert (canonical(store), store.fingerprint(), len(store.datasets())) == before
    # also when the failure comes late, after whole chunks were staged
    rows = [{"prompt": f"p{i}", "chosen": "c", "rejected": "r"} for i in range(120_000)] + [{"prompt": "x"}]
    big = write_jsonl(tmp_path / "late.jsonl", rows)
    with pytest.raises(RowError, match=r"late\.jsonl, line 120001"):
        store.load(str(big))
    assert (canonical(store), store.fingerprint(), len(store.datasets())) == before


def test_empty_missing_and_wrongly_typed_fields(store, tmp_path):
    path = write_jsonl(tmp_path / "fields.jsonl", [
        {"prompt": "p", "chosen": "", "rejected": "r"},          # empty response: kept, counted
        {"prompt": "p", "chosen": None, "rejected": "r"},        # null: missing
        {"prompt": "p", "chosen": {"x": 1}, "rejected": "r"},    # not text
    ])
    with pytest.raises(RowError, match=r"fields\.jsonl, line 2, field 'chosen': is missing\."):
        store.load(str(path))
    report = store.load(str(path), LoadOptions(on_error="skip"))
    assert (report.loaded, report.rejected, report.stats["empty_responses"]) == (1, 2, 1)
    reasons = [json.loads(line)["reason"] for line in open(report.rejects_path, encoding="utf-8")]
    assert reasons == ["is missing", "must be text, got dict"]


def test_very_large_field_is_rejected_by_the_limit(store, tmp_path):
    path = write_jsonl(tmp_path / "large.jsonl", [{"prompt": "p", "chosen": "x" * 2_000, "rejected": "r"}])
    with pytest.raises(RowError, match=r"field 'chosen': is 2,000 characters, over the limit of 1,000"):
        store.load(str(path), LoadOptions(max_field_chars=1_000))
    assert store.load(str(path)).loaded == 1  # the default limit (1,000,000) admits it


def test_duplicate_ids_in_a_file_and_across_loads(store, tmp_path):
    path = write_jsonl(tmp_path / "dup.jsonl", [
        {"id": "a", "prompt": "p", "chosen": "c", "rejected": "r"},
        {"id": "a", "prompt": "q", "chosen": "c", "rejected": "r"},
    ])
    with pytest.raises(RowError, match=r"line 2, field 'id': duplicate id 'a' \(first used at line 1\)"):
        store.load(str(path))
    store.load(str(FIXTURES / "trl_standard.jsonl"))
    clash = write_jsonl(tmp_path / "clash.jsonl", [{"id": "q1", "prompt": "other", "chosen": "c", "rejected": "r"}])
    with pytest.raises(WorkbenchError, match="pair id 'q1' is already in the workspace"):
        store.load(str(clash))
    with pytest.raises(WorkbenchError, match="already loaded"):
        store.load(str(FIXTURES / "trl_standard.jsonl"))


def test_content_hash_ids_are_stable_and_duplicates_numbered(store, tmp_path):
    row = {"prompt": "p", "chosen": "c", "rejected": "r"}
    path = write_jsonl(tmp_path / "same.jsonl", [row, row, {"prompt": "p", "chosen": "c", "rejected": "r2"}])
    report = store.load(str(path))
    ids = [p["pair_id"] for p in canonical(store)]
    from workbench.schema import content_hash

    assert ids[0] == content_hash("p", "c", "r", "preferred") and ids[1] == ids[0] + "-2"
    assert report.stats["duplicate_content"] == 1


def test_identical_chosen_and_rejected_and_ties_are_kept_and_counted(store, tmp_path):
    path = write_jsonl(tmp_path / "edge.jsonl", [
        {"prompt": "p", "chosen": "same", "rejected": "same"},
        {"prompt": "p2", "chosen": "a", "rejected": "b", "tie": True},
    ])
    report = store.load(str(path))
    assert report.loaded == 2 and report.stats["identical_responses"] == 1 and report.stats["ties"] == 1
    assert [p["label"] for p in canonical(store)] == ["preferred", "tie"]


def test_bad_values_in_ab_formats_name_the_field(store, tmp_path):
    path = tmp_path / "ab.csv"
    path.write_text("text_a,text_b,preferred_text\nx,y,text_c\n", encoding="utf-8")
    with pytest.raises(RowError, match=r"ab\.csv, line 2, field 'preferred_text': must be 'text_a', 'text_b' or 'tie', got 'text_c'"):
        store.load(str(path))
    alpaca = tmp_path / "alpaca.json"
    alpaca.write_text(json.dumps([{"instruction": "i", "output_1": "a", "output_2": "b", "preference": 3}]))
    with pytest.raises(RowError, match=r"item 0, field 'preference': must be a number between 1 and 2"):
        store.load(str(alpaca))


def test_csv_with_invalid_utf8_and_extra_cells(store, tmp_path):
    path = tmp_path / "bytes.csv"
    path.write_bytes(b"prompt,chosen,rejected\nok,a,b\nbad \xff,a,b\nx,a,b,extra\n")
    report = store.load(str(path), LoadOptions(on_error="skip"))
    assert (report.loaded, report.rejected) == (1, 2)
    reasons = [json.loads(line) for line in open(report.rejects_path, encoding="utf-8")]
    assert reasons[0]["field"] == "prompt" and "UTF-8" in reasons[0]["reason"]
    assert "more cells" in reasons[1]["reason"]


def test_bad_options_are_one_sentence(store):
    from workbench.errors import FormatError

    with pytest.raises(FormatError, match="--on-error must be 'fail' or 'skip'"):
        LoadOptions(on_error="ignore")
    with pytest.raises(FormatError, match="Unknown format 'nope'; choose one of"):
        store.load(str(FIXTURES / "trl_standard.jsonl"), LoadOptions(format="nope"))
    with pytest.raises(FormatError, match="one JSON object, which format 'trl' does not read"):
        store.load(str(FIXTURES / "evalbiasbench.json"), LoadOptions(format="trl"))
