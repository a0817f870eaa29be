"""The Features page under AppTest: before a run (it offers the run form) and after one (table, detail, filter)."""
from __future__ import annotations

import pytest

from tests.analyzers.test_features import fake_embed
from tests.ui.conftest import open_app

PAGE = "pages/features.py"
SETTINGS = {"n_features": 4, "k": 1, "matryoshka_prefixes": "", "max_epochs": 20, "device": "cpu"}


def _no_exceptions(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_page_offers_a_run_before_the_analyzer_ran(workspace):
    at = open_app(PAGE)
    _no_exceptions(at)
    assert any("has not run" in info.value for info in at.info)
    assert any(button.label == "Run" for button in at.button)  # the shared settings form
    assert any(field.label == "Encoder" for field in at.text_input)


@pytest.fixture
def analyzed_workspace(workspace, monkeypatch):
    import workbench.embeddings
    from workbench.jobs import analyze
    from workbench.workspace import WorkspaceStore

    monkeypatch.setattr(workbench.embeddings, "embed_texts", fake_embed)
    store = WorkspaceStore(workspace)
    try:
        run, _ = analyze(store, "features", SETTINGS)
    finally:
        store.close()
    return workspace, run


def test_page_shows_features_detail_and_adds_a_filter(analyzed_workspace):
    _, run = analyzed_workspace
    at = open_app(PAGE)
    _no_exceptions(at)
    assert not at.error, [e.value for e in at.error]
    labels = {metric.label: metric for metric in at.metric}
    summary = run.summary
    expected_auc = "—" if summary["signal_auc"] is None else f"{summary['signal_auc']:.3f}"
    assert labels["Features AUC"].value == expected_auc
    assert labels["Features AUC"].proto.help  # every number carries its definition
    shown = at.session_state["wb.features.feature"]
    record = next(f for f in summary["features"] if f["feature"] == shown)
    assert labels["Prevalence"].value == f"{record['prevalence']:.1%}"
    button = next(b for b in at.button if b.key == f"wb.features.filter.{shown}")
    button.click().run()
    _no_exceptions(at)
    filters = at.session_state["wb.filters"]
    assert {"column": f"features.feature_{shown}", "op": "!=", "value": 0} in filters
    assert any("feature" in s.value and "active" in s.value for s in at.success)
