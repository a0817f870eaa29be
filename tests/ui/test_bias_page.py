"""The Bias page under AppTest: before the analyzer ran (it offers to run it) and after (figures checked
against counts computed here from the sample file, one-click filter into Explore, length-balanced tagging)."""
from __future__ import annotations

import json
import re

import pytest

from tests.ui.conftest import ROOT, open_app

SAMPLE = ROOT / "sample_data" / "preferences.jsonl"
SETTINGS = {"tokenizer": "regex", "relevance_encoder": "none", "bootstrap": 30}


def _text(value) -> str:
    return value[0]["content"] if isinstance(value, list) else value


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_without_a_run_the_page_offers_to_run_it(workspace):
    at = open_app("pages/bias.py")
    assert not at.exception, [e.value for e in at.exception]
    assert any("has not run" in i.value for i in at.info)
    assert any(b.label == "Run" for b in at.button)  # the analyzer panel's settings form


@pytest.fixture(scope="module")
def bias_workspace(tmp_path_factory):
    """The sample data with a bias run, plus the expected figures computed before the app opens it."""
    from analyzers import bias_model
    from workbench import query
    from workbench.jobs import analyze
    from workbench.workspace import WorkspaceStore

    folder = tmp_path_factory.mktemp("bias-page") / "workspace"
    store = WorkspaceStore(folder)
    try:
        store.load(str(SAMPLE))
        analyze(store, "bias", SETTINGS)
        frame = query.fetch(store, columns=["pair_id", "label", "bias.delta_tokens", "bias.style_score"])
    finally:
        store.close()
    decided = frame[frame["label"] != "tie"]
    only_length = int(((decided["bias.delta_tokens"] > 0) & (decided["bias.style_score"] < 0)).sum())
    kept, _ = bias_model.length_balanced_ids(decided["pair_id"], decided["bias.delta_tokens"], seed=0)
    return folder, {"only_length": only_length, "balanced": len(kept)}


def test_with_a_run_figures_filter_and_balancing(bias_workspace, monkeypatch):
    folder, expected = bias_workspace
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(folder))
    at = open_app("pages/bias.py")
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]

    wins = decided = 0
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("tie"):
            continue
        lengths = [len(re.findall(r"\w+|[^\w\s]", _text(row[side]))) for side in ("chosen", "rejected")]
        if lengths[0] != lengths[1]:
            decided += 1
            wins += lengths[0] > lengths[1]
    assert _metric(at, "Longer response wins") == f"{wins / decided:.1%}"
    assert all(m.proto.help for m in at.metric)  # every number carries its definition
    assert any("ties are excluded" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 2

    # A slice: one expander per source.
    at.selectbox(key="wb.bias.slice").set_value("source").run()
    assert not at.exception, [e.value for e in at.exception]
    assert len([e for e in at.expander if e.label.startswith("source = ")]) == 4

    # One click adds the structured filter; Explore then shows exactly those pairs.
    at.button(key="wb.bias.filter.only_length").click().run()
    assert at.session_state["wb.filters"] == [{"column": "bias.wins_only_on_length", "op": "=", "value": True}]
    at.switch_page("pages/explore.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "Matching pairs") == f"{expected['only_length']:,}"

    # Length-balanced tagging: the kept pairs get tag keep / note length-balanced and a filter on the note.
    at.session_state["wb.filters"] = []
    at.switch_page("pages/bias.py").run()
    at.button(key="wb.bias.tag_balanced").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert {"column": "tag_note", "op": "=", "value": "length-balanced"} in at.session_state["wb.filters"]
    at.switch_page("pages/explore.py").run()
    assert _metric(at, "Matching pairs") == f"{expected['balanced']:,}"
