"""Every page of the app under AppTest, on the small fixture workspace; numbers are checked against
counts computed here from the fixture rows, not read back from the library."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.ui.conftest import FIXTURE_ROWS, ROOT, open_app
from workbench.ui.navigation import PAGES


def _text(value) -> str:
    """The canonical text of a fixture field (a lone chat message is its content)."""
    return value[0]["content"] if isinstance(value, list) else value


def _rows(**where) -> list[dict]:
    return [row for row in FIXTURE_ROWS if all(row.get(k) == v for k, v in where.items())]


def _metric(at, label: str) -> str:
    matches = [m.value for m in at.metric if m.label == label]
    assert matches, f"no metric {label!r}; metrics: {[m.label for m in at.metric]}"
    return matches[0]


def _no_exceptions(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _add_filter(at, column: str, op: str, value) -> None:
    """Add a filter through the builder's widgets (a picker for categorical and true/false columns)."""
    at.selectbox(key="wb.new_filter.column").set_value(column).run()
    at.selectbox(key="wb.new_filter.op").set_value(op).run()
    key = f"wb.new_filter.value.{column}.{'set' if op in ('in', 'not in') else 'one'}"
    if any(w.key == key for w in at.selectbox):
        at.selectbox(key=key).set_value(value).run()
    elif any(w.key == key for w in at.multiselect):
        at.multiselect(key=key).set_value(list(value)).run()
    else:
        at.text_input(key=f"{key}.text").set_value(str(value)).run()
    at.button(key="wb.add_filter").click().run()
    _no_exceptions(at)


# ---------------------------------------------------------------- registration and smoke

def test_every_file_in_pages_is_registered():
    on_disk = {f"pages/{path.name}" for path in (ROOT / "pages").glob("*.py")}
    registered = {script for script, _, _ in PAGES}
    assert on_disk == registered
    assert "st.navigation" in (ROOT / "app.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("page", [script for script, _, _ in PAGES])
def test_every_page_renders_without_errors(workspace, page):
    # switch_page raises ValueError for a file st.navigation did not register.
    at = open_app(page)
    _no_exceptions(at)
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == dict((s, t) for s, t, _ in PAGES)[page]
    assert any(str(workspace) in c.proto.help for c in at.sidebar.caption)


def test_workspace_folder_comes_from_env(workspace):
    at = open_app("pages/load.py")
    assert any(str(workspace) in m.value for m in at.markdown)


def test_empty_workspace_pages_point_to_load(empty_workspace):
    for page in ("pages/overview.py", "pages/explore.py", "pages/export.py"):
        at = open_app(page)
        _no_exceptions(at)
        assert any("load a dataset first" in i.value for i in at.info)


# ---------------------------------------------------------------- Load

def test_load_page_loads_a_file_by_path(empty_workspace, fixture_file):
    at = open_app("pages/load.py")
    at.text_input(key="wb.load.path").set_value(str(fixture_file)).run()
    at.button(key="wb.load.path_button").click().run()
    _no_exceptions(at)
    assert any(f"Loaded {len(FIXTURE_ROWS)} pairs from prefs.jsonl" in s.value for s in at.success)
    table = at.dataframe[0].value
    assert table["n_pairs"].tolist() == [len(FIXTURE_ROWS)]
    assert any(f"{len(FIXTURE_ROWS)} pairs loaded" in c.value for c in at.sidebar.caption)


def test_load_page_errors_are_one_sentence(empty_workspace, tmp_path, fixture_file):
    at = open_app("pages/load.py")
    at.text_input(key="wb.load.path").set_value(str(tmp_path / "missing.jsonl")).run()
    at.button(key="wb.load.path_button").click().run()
    _no_exceptions(at)
    assert len(at.error) == 1 and "missing.jsonl" in at.error[0].value

    # Loading the same file twice is refused, and the workspace keeps one copy.
    at.text_input(key="wb.load.path").set_value(str(fixture_file)).run()
    at.button(key="wb.load.path_button").click().run()
    at.button(key="wb.load.path_button").click().run()
    _no_exceptions(at)
    assert any("already loaded" in e.value for e in at.error)
    assert at.dataframe[0].value["n_pairs"].tolist() == [len(FIXTURE_ROWS)]


def test_load_page_skips_malformed_rows_when_asked(empty_workspace, tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(FIXTURE_ROWS[0]) + "\n{not json\n" + json.dumps({"id": "x", "chosen": "a"}) + "\n",
                      encoding="utf-8")
    at = open_app("pages/load.py")
    at.text_input(key="wb.load.path").set_value(str(broken)).run()
    at.button(key="wb.load.path_button").click().run()
    assert len(at.error) == 1 and "broken.jsonl" in at.error[0].value  # on-error = fail names the row
    at.radio(key="wb.load.on_error").set_value("skip").run()
    at.button(key="wb.load.path_button").click().run()
    _no_exceptions(at)
    assert any("Loaded 1 pairs" in w.value and "skipped 2" in w.value for w in at.warning)


def test_load_page_bad_column_mapping(empty_workspace, fixture_file):
    at = open_app("pages/load.py")
    at.text_area(key="wb.load.column_map").set_value("prompt question").run()
    at.text_input(key="wb.load.path").set_value(str(fixture_file)).run()
    at.button(key="wb.load.path_button").click().run()
    _no_exceptions(at)
    assert len(at.error) == 1 and "FIELD=COLUMN" in at.error[0].value


def test_load_page_uploads_a_file(empty_workspace, fixture_file):
    at = open_app("pages/load.py")
    at.file_uploader(key="wb.load.upload").upload("prefs.jsonl", fixture_file.read_bytes(), "application/jsonl").run()
    at.button(key="wb.load.upload_button").click().run()
    _no_exceptions(at)
    assert any(f"Loaded {len(FIXTURE_ROWS)} pairs" in s.value for s in at.success)
    assert list((empty_workspace / "uploads").rglob("prefs.jsonl"))


# ---------------------------------------------------------------- Overview

def test_overview_metrics_match_the_fixture(workspace):
    at = open_app("pages/overview.py")
    _no_exceptions(at)
    contents = {json.dumps([_text(r["prompt"]), _text(r["chosen"]), _text(r["rejected"])]) for r in FIXTURE_ROWS}
    assert _metric(at, "Pairs") == str(len(FIXTURE_ROWS))
    assert _metric(at, "Sources") == str(len({r["source"] for r in FIXTURE_ROWS}))
    assert _metric(at, "Ties") == str(sum(bool(r.get("tie")) for r in FIXTURE_ROWS))
    assert _metric(at, "Identical responses") == str(sum(_text(r["chosen"]) == _text(r["rejected"]) for r in FIXTURE_ROWS))
    assert _metric(at, "Duplicate pairs") == str(len(FIXTURE_ROWS) - len(contents))

    decided = [r for r in FIXTURE_ROWS if not r.get("tie") and len(_text(r["chosen"])) != len(_text(r["rejected"]))]
    longer = sum(len(_text(r["chosen"])) > len(_text(r["rejected"])) for r in decided)
    share = f"{longer / len(decided):.1%}"
    assert _metric(at, "Longer response wins") == share
    assert any(f"Longer response wins: {share}** of {len(decided)} pairs" in m.value for m in at.markdown)
    assert any("Ties and pairs whose responses have equal length are excluded" in c.value for c in at.caption)
    # Every metric carries its definition.
    assert all(m.proto.help for m in at.metric)


def test_overview_per_source_longer_wins_table(workspace):
    at = open_app("pages/overview.py")
    table = next(d.value for d in at.dataframe if "longer_wins_share" in d.value.columns).set_index("source")
    for source in {r["source"] for r in FIXTURE_ROWS}:
        rows = [r for r in _rows(source=source) if not r.get("tie")]
        decided = [r for r in rows if len(_text(r["chosen"])) != len(_text(r["rejected"]))]
        assert table.loc[source, "decided"] == len(decided)
        assert table.loc[source, "longer_won"] == sum(len(_text(r["chosen"])) > len(_text(r["rejected"])) for r in decided)


def test_overview_length_unit_switch(workspace):
    at = open_app("pages/overview.py")
    at.segmented_control(key="wb.overview.unit").set_value("words").run()
    _no_exceptions(at)
    assert any("in words" in c.value for c in at.caption)


# ---------------------------------------------------------------- Explore

def test_explore_filter_count_matches_fixture(workspace):
    at = open_app("pages/explore.py")
    assert _metric(at, "Matching pairs") == str(len(FIXTURE_ROWS))
    _add_filter(at, "source", "=", "alpha")
    assert _metric(at, "Matching pairs") == str(len(_rows(source="alpha")))
    table = at.dataframe(key="wb.explore.table").value
    assert sorted(table["pair_id"]) == sorted(r["id"] for r in _rows(source="alpha"))
    # A second filter is ANDed; removing a chip drops just that filter.
    _add_filter(at, "split", "=", "train")
    assert _metric(at, "Matching pairs") == str(len(_rows(source="alpha", split="train")))
    at.button(key="wb.chip.0").click().run()
    assert _metric(at, "Matching pairs") == str(len(_rows(split="train")))


def test_explore_text_and_number_filters(workspace):
    at = open_app("pages/explore.py")
    _add_filter(at, "prompt", "contains", "capital")
    assert _metric(at, "Matching pairs") == str(sum("capital" in _text(r["prompt"]).lower() for r in FIXTURE_ROWS))
    at.button(key="wb.chip.clear").click().run()
    _add_filter(at, "source", "in", ["beta", "gamma"])
    assert _metric(at, "Matching pairs") == str(len(_rows(source="beta")) + len(_rows(source="gamma")))


def test_explore_bad_filter_value_shows_one_sentence(workspace):
    at = open_app("pages/explore.py")
    _add_filter(at, "row_index", ">", "many")
    assert len(at.error) == 1 and "row_index" in at.error[0].value
    assert _metric(at, "Matching pairs") == str(len(FIXTURE_ROWS))


@pytest.mark.parametrize("where", [
    "1=1; DROP TABLE pairs",
    "pair_id IN (SELECT content FROM read_text('/etc/passwd'))",
    "getenv('HOME') IS NOT NULL",
    "true) UNION SELECT * FROM pairs --",
    "pair_id IN (SELECT name FROM duckdb_tables())",
])
def test_hostile_where_shows_an_error_and_changes_nothing(workspace, where):
    at = open_app("pages/explore.py")
    at.text_area(key="wb.where_input").set_value(where).run()
    at.button(key="wb.apply_where").click().run()
    _no_exceptions(at)
    assert len(at.error) == 1
    assert "Traceback" not in at.error[0].value
    assert _metric(at, "Matching pairs") == str(len(FIXTURE_ROWS))
    at = open_app("pages/overview.py")
    assert _metric(at, "Pairs") == str(len(FIXTURE_ROWS))


def test_where_condition_filters(workspace):
    at = open_app("pages/explore.py")
    at.text_area(key="wb.where_input").set_value("length(chosen) > 20 AND label <> 'tie'").run()
    at.button(key="wb.apply_where").click().run()
    _no_exceptions(at)
    expected = sum(len(_text(r["chosen"])) > 20 and not r.get("tie") for r in FIXTURE_ROWS)
    assert _metric(at, "Matching pairs") == str(expected)
    assert at.button(key="wb.chip.where").label.startswith("WHERE length(chosen) > 20")


def test_explore_paging_and_sorting(workspace):
    at = open_app("pages/explore.py")
    at.selectbox(key="wb.explore.page_size").set_value(10).run()
    assert len(at.dataframe(key="wb.explore.table").value) == 10
    at.number_input(key="wb.explore.page").set_value(2).run()
    assert len(at.dataframe(key="wb.explore.table").value) == len(FIXTURE_ROWS) - 10
    at.selectbox(key="wb.explore.sort").set_value("pair_id").run()
    at.toggle(key="wb.explore.descending").set_value(True).run()
    ids = at.dataframe(key="wb.explore.table").value["pair_id"].tolist()
    assert ids == sorted((r["id"] for r in FIXTURE_ROWS), reverse=True)[:10]  # sorting goes back to page 1


def test_selecting_a_row_opens_the_pair_view_and_tags_it(workspace):
    at = open_app("pages/explore.py")
    _add_filter(at, "source", "=", "alpha")
    at.session_state["wb.explore.table"] = {"selection": {"rows": [2], "columns": [], "cells": []}}
    at.run()
    _no_exceptions(at)
    row = _rows(source="alpha")[2]
    assert any(f"Pair `{row['id']}`" in m.value for m in at.markdown)
    # Texts are escaped: the fixture's <script> and <b> show as text, never as markup.
    html = "".join(e.proto.body for e in at.get("html"))
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert 'class="wb-only"' in html

    at.segmented_control(key=f"wb.pair.tag.{row['id']}").set_value("drop").run()
    at.text_input(key=f"wb.pair.note.{row['id']}").set_value("markup in the answer").run()
    at.button(key=f"wb.pair.save.{row['id']}").click().run()
    _no_exceptions(at)
    assert any(f"Tagged pair {row['id']} 'drop'" in s.value for s in at.success)
    at.button(key="wb.chip.0").click().run()
    _add_filter(at, "tag", "=", "drop")
    assert _metric(at, "Matching pairs") == "1"


def test_bulk_tag_all_matching_pairs(workspace):
    at = open_app("pages/explore.py")
    _add_filter(at, "source", "=", "gamma")
    at.segmented_control(key="wb.bulk.tag").set_value("flag").run()
    at.button(key="wb.bulk.apply").click().run()
    _no_exceptions(at)
    assert any(f"Tagged 'flag': {len(_rows(source='gamma'))} pairs" in s.value for s in at.success)
    at.button(key="wb.chip.clear").click().run()
    _add_filter(at, "tag", "=", "flag")
    assert _metric(at, "Matching pairs") == str(len(_rows(source="gamma")))


# ---------------------------------------------------------------- Analyzers

def _run_basic(at, timeout_s: float = 90) -> None:
    # Form widgets: set the values and submit in the same run.
    at.text_input(key="wb.setting.basic.tokenizer").set_value("regex")
    next(b for b in at.button if b.label == "Run").click().run()
    _no_exceptions(at)
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if any(h.value.startswith("Result of run") for h in at.subheader) or any("Reused" in i.value for i in at.info):
            return
        assert not at.error, [e.value for e in at.error]
        time.sleep(0.5)
        at.run()
        _no_exceptions(at)
    raise AssertionError("the basic analyzer did not finish in time")


def test_analyzers_page_runs_basic_to_completion(workspace):
    at = open_app("pages/analyzers.py")
    assert at.selectbox(key="wb.analyzer.name").value == "basic"
    _run_basic(at)
    assert any(f"finished on {len(FIXTURE_ROWS)} pairs" in s.value for s in at.success)
    table = next(d.value for d in at.dataframe if "meaning" in d.value.columns)
    summary = {key: json.loads(value) if value not in ("None",) else None for key, value in table["value"].items()
               if key != "primary_metric"}
    assert table.loc["longer_wins_share", "meaning"].startswith("Share of decided pairs")  # every key is defined
    decided = [r for r in FIXTURE_ROWS if not r.get("tie")]
    assert summary["n_pairs"] == len(FIXTURE_ROWS)
    assert summary["ties"] == len(FIXTURE_ROWS) - len(decided)
    assert summary["identical_responses"] == sum(_text(r["chosen"]) == _text(r["rejected"]) for r in FIXTURE_ROWS)
    runs = next(d.value for d in at.dataframe if "status" in d.value.columns)
    assert runs["status"].tolist() == ["complete"] and runs["active"].tolist() == [True]

    # The same settings on the same pairs reuse the stored result.
    at.text_input(key="wb.setting.basic.tokenizer").set_value("regex")
    next(b for b in at.button if b.label == "Run").click().run()
    assert any("Reused the stored result" in i.value for i in at.info)

    # The analyzer's columns are now filterable in Explore.
    at.switch_page("pages/explore.py").run()
    _add_filter(at, "basic.identical_responses", "=", "true")
    assert _metric(at, "Matching pairs") == "1"


def test_analyzer_bad_setting_shows_one_sentence(workspace):
    at = open_app("pages/analyzers.py")
    at.number_input(key="wb.setting.basic.batch_size").set_value(0)
    next(b for b in at.button if b.label == "Run").click().run()
    _no_exceptions(at)
    assert len(at.error) == 1 and "batch_size" in at.error[0].value


# ---------------------------------------------------------------- Export

def test_export_writes_the_filtered_pairs_and_a_manifest(workspace, tmp_path):
    at = open_app("pages/explore.py")
    _add_filter(at, "source", "=", "beta")
    at.switch_page("pages/export.py").run()
    _no_exceptions(at)
    expected = len(_rows(source="beta"))
    assert _metric(at, "Kept") == str(expected)
    assert _metric(at, "Removed") == str(len(FIXTURE_ROWS) - expected)

    out = tmp_path / "out" / "clean.jsonl"
    at.radio(key="wb.export.format").set_value("trl").run()
    at.text_input(key="wb.export.path.trl").set_value(str(out)).run()
    at.button(key="wb.export.run").click().run()
    _no_exceptions(at)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == expected and {r["source"] for r in rows} == {"beta"}
    manifest = Path(str(out) + ".manifest.json")
    assert manifest.exists()
    assert json.loads(manifest.read_text())["counts"] == {"total": len(FIXTURE_ROWS), "kept": expected,
                                                           "removed": len(FIXTURE_ROWS) - expected}
    assert any(f"Wrote {expected} pairs" in s.value for s in at.success)
    assert at.get("download_button")

    # Exporting again to the same path needs the overwrite box.
    at.button(key="wb.export.run").click().run()
    assert any("exists already" in e.value for e in at.error)


def test_export_leaves_out_pairs_tagged_drop(workspace, tmp_path):
    at = open_app("pages/explore.py")
    at.session_state["wb.explore.table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    first = FIXTURE_ROWS[0]["id"]
    at.segmented_control(key=f"wb.pair.tag.{first}").set_value("drop").run()
    at.button(key=f"wb.pair.save.{first}").click().run()
    at.switch_page("pages/export.py").run()
    assert at.checkbox(key="wb.export.leave_out_dropped").value is True
    assert _metric(at, "Kept") == str(len(FIXTURE_ROWS) - 1)
    out = tmp_path / "kept.jsonl"
    at.text_input(key="wb.export.path.original").set_value(str(out)).run()
    at.button(key="wb.export.run").click().run()
    _no_exceptions(at)
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(ids) == len(FIXTURE_ROWS) - 1 and first not in ids


def test_export_annotated_pairs_needs_a_json_path(workspace, tmp_path):
    at = open_app("pages/export.py")
    at.radio(key="wb.export.format").set_value("annotated-pairs").run()
    at.text_input(key="wb.export.path.annotated-pairs").set_value(str(tmp_path / "x.jsonl")).run()
    at.button(key="wb.export.run").click().run()
    _no_exceptions(at)
    assert len(at.error) == 1 and ".json" in at.error[0].value


def test_a_cancelled_job_resumes_from_its_batches(workspace):
    from workbench import jobs
    from workbench.errors import JobCancelled
    from workbench.workspace import WorkspaceStore

    store = WorkspaceStore(workspace)
    try:
        job_dir, _ = jobs.prepare_job(store, "basic", {"tokenizer": "regex", "batch_size": 5})
    finally:
        store.close()
    # Cancel after the first batch, as the Cancel button would.
    with pytest.raises(JobCancelled):
        jobs.run_job(job_dir, progress=lambda done, total, message: jobs.cancel(job_dir) if done >= 5 else None)
    assert len(list((job_dir / "batches").glob("*.parquet"))) == 1

    at = open_app("pages/analyzers.py")
    assert any(h.value == "Unfinished jobs" for h in at.subheader)
    assert any("cancelled" in m.value and "5 of 12 pairs done" in m.value for m in at.markdown)
    at.button(key=f"wb.job.resume.{job_dir.name}").click().run()
    deadline = time.time() + 90
    while not any(h.value.startswith("Result of run") for h in at.subheader):
        assert time.time() < deadline, "the resumed job did not finish"
        assert not at.error, [e.value for e in at.error]
        time.sleep(0.5)
        at.run()
    _no_exceptions(at)
    assert any(f"Run {job_dir.name} of 'basic' finished on {len(FIXTURE_ROWS)} pairs" in s.value for s in at.success)
    assert len(list((job_dir / "batches").glob("*.parquet"))) == 3  # 5 + 5 + 2: the first batch was kept
    assert not any(h.value == "Unfinished jobs" for h in at.subheader)


def test_workspace_open_in_another_process_is_one_sentence(workspace):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from workbench.workspace import WorkspaceStore; "
                               "s = WorkspaceStore(sys.argv[1]); print('open', flush=True); time.sleep(60)", str(workspace)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "open"
        at = open_app()
        _no_exceptions(at)
        assert len(at.error) == 1 and "open in another process" in at.error[0].value
    finally:
        holder.kill()
        holder.wait()
