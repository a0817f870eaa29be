"""The Principles page under AppTest: the estimate before a run, and a stored constitution and trait run
(made with the local test server) shown with numbers checked against the run's per-pair columns."""
from __future__ import annotations

import json

import pytest

from tests.fake_openai_server import FakeOpenAIServer
from tests.ui.conftest import open_app
from workbench.llm import clear_memory_cache


def _no_exceptions(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture
def analyzed_workspace(workspace):
    from workbench import jobs
    from workbench.workspace import WorkspaceStore

    clear_memory_cache()
    store = WorkspaceStore(workspace)
    try:
        with FakeOpenAIServer() as server:
            jobs.analyze(store, "principles", {"backend": server.spec(), "max_pairs": 0, "heldout_fraction": 0.3,
                                               "repetitions": 1, "constitution_size": 3})
            jobs.analyze(store, "traits", {"backend": server.spec(), "max_pairs": 0, "repetitions": 1, "bootstrap": 50,
                                           "traits": ("polite: is more polite", "verbose: is longer")})
        frame = store.sql_df("SELECT * FROM result_principles")
        summary = store.active_runs()["principles"].summary
    finally:
        store.close()
    return workspace, frame, summary


def test_run_shows_the_estimate_first(workspace):
    at = open_app("pages/principles.py")
    _no_exceptions(at)
    at.text_input(key="wb.setting.principles.backend").set_value("openai:m@http://127.0.0.1:9/v1")
    at.number_input(key="wb.setting.principles.max_pairs").set_value(4)
    at.button[[b.label for b in at.button].index("Run")].click().run()
    _no_exceptions(at)
    labels = [m.label for m in at.metric]
    assert "LLM calls (at most)" in labels
    calls = [m.value for m in at.metric if m.label == "LLM calls (at most)"][0]
    # 4 sampled pairs: 3 train (generation 3, testing 2 x 3 x 1 with <= 9 candidates), 1 held out (2 + 2 judge calls)
    assert calls == "13"
    assert not any(b.label == "Cancel" for b in at.button)  # nothing started yet


def test_constitution_and_traits_are_shown(analyzed_workspace):
    workspace, frame, summary = analyzed_workspace
    at = open_app("pages/principles.py")
    _no_exceptions(at)
    assert not at.error, [e.value for e in at.error]
    heldout = frame[frame["role"] == "heldout"]
    expected = (heldout["constitution_vote"] == "agree").mean()
    value = [m.value for m in at.metric if m.label == "Reconstruction with constitution"][0]
    assert value == f"{expected:.1%}"
    tables = [df.value for df in at.dataframe]
    constitution_table = next(t for t in tables if "principle" in t.columns and "slot" in t.columns)
    for row in constitution_table.itertuples():
        votes = frame[f"principle_{row.slot}_vote"]
        assert row.agree == (votes == "agree").sum() and row.disagree == (votes == "disagree").sum()
    trait_table = next(t for t in tables if "trait" in t.columns)
    assert set(trait_table["trait"]) == {"polite", "verbose"}


def test_mislabel_filter_goes_to_explore(analyzed_workspace):
    at = open_app("pages/principles.py")
    at.button(key="wb.principles.mislabels").click().run()
    _no_exceptions(at)
    assert at.session_state["wb.filters"][-1] == {"column": "principles.principle_1_vote", "op": "=", "value": "disagree"}
    assert at.title[0].value == "Explore"
