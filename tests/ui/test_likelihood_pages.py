"""AppTest of the Displacement and Margins pages on a workspace scored by tiny random-weight models."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.tiny_models import tiny_model_folder
from tests.ui.conftest import FIXTURE_ROWS, open_app


@pytest.fixture(scope="module")
def _scored_template(tmp_path_factory):
    """The UI fixture workspace with ches, logprob and reward runs (tiny models, in-process jobs), built once."""
    from tests.ui.conftest import write_fixture
    from workbench import jobs
    from workbench.workspace import WorkspaceStore

    base = tmp_path_factory.mktemp("scored")
    store = WorkspaceStore(base / "workspace")
    try:
        store.load(str(write_fixture(base / "prefs.jsonl")))
        causal = str(tiny_model_folder("causal"))
        jobs.analyze(store, "ches", {"model": causal})
        jobs.analyze(store, "logprob", {"model": causal, "ideal_betas": "0.1,1"})
        jobs.analyze(store, "reward", {"reward_models": f"{tiny_model_folder('reward')},{tiny_model_folder('reward-2')}",
                                       "ambiguous_margin": 0.01})
        frame = store.sql_df("SELECT r.*, p.label FROM result_ches r JOIN pairs p USING (pair_id)")
        logprob = store.sql_df("SELECT r.*, p.label FROM result_logprob r JOIN pairs p USING (pair_id)")
    finally:
        store.close()
    return base / "workspace", frame, logprob


@pytest.fixture
def scored_workspace(_scored_template, tmp_path, monkeypatch):
    """A fresh copy of the scored workspace per test, opened by the app through $WORKBENCH_WORKSPACE."""
    template, frame, logprob = _scored_template
    folder = tmp_path / "workspace"
    shutil.copytree(template, folder)
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(folder))
    return folder, frame, logprob


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _filters(at) -> list[dict]:
    return at.session_state["wb.filters"]


def test_displacement_page_without_a_run_offers_to_run(workspace):
    at = open_app("pages/displacement.py")
    assert not at.exception
    assert any("Run the `ches` analyzer" in i.value for i in at.info)
    assert any(b.label == "Run" for b in at.button)


def test_displacement_page_metrics_and_filters(scored_workspace):
    _, frame, _ = scored_workspace
    at = open_app("pages/displacement.py")
    assert not at.exception, at.exception
    assert float(_metric(at, "Median ln-CHES")) == pytest.approx(frame["ln_ches"].median(), rel=1e-3)
    assert int(_metric(at, "Truncated pairs")) == int(frame["truncated"].sum())

    at.number_input(key="wb.ches.drop_top").set_value(25.0)
    at.button(key="wb.ches.drop_top.apply").click().run()
    assert _filters(at) == [{"column": "ches.ln_ches", "op": "bottom %", "value": 75.0}]
    at.switch_page("pages/explore.py").run()
    kept = int(_metric(at, "Matching pairs").replace(",", ""))
    assert kept == int(np.floor(len(FIXTURE_ROWS) * 0.75)) or kept == int(np.ceil(len(FIXTURE_ROWS) * 0.75))

    at.switch_page("pages/displacement.py").run()
    at.number_input(key="wb.ches.window_n").set_value(4)
    at.slider(key="wb.ches.window_q").set_value(0.5)
    at.button(key="wb.ches.window.apply").click().run()
    (only,) = _filters(at)  # the window replaced the earlier ln-CHES filter
    assert only["column"] == "ches.ln_ches" and only["op"] == "between"
    low, high = only["value"]
    ordered = np.sort(frame["ln_ches"].to_numpy())
    centre = int(round(0.5 * (len(ordered) - 1)))
    start = min(max(0, centre - 2), len(ordered) - 4)
    assert (low, high) == (pytest.approx(ordered[start]), pytest.approx(ordered[start + 3]))

    at.button(key="wb.ches.bottom_k.apply").click().run()
    assert _filters(at)[0]["op"] == "bottom k"


def test_displacement_page_shows_the_highest_pair_side_by_side(scored_workspace):
    _, frame, _ = scored_workspace
    at = open_app("pages/displacement.py")
    top_id = frame.loc[frame["ln_ches"].idxmax(), "pair_id"]
    assert any(f"Pair `{top_id}`" in m.value for m in at.markdown)


def test_margins_page_accuracies_and_mislabel_filter(scored_workspace):
    _, _, logprob = scored_workspace
    at = open_app("pages/margins.py")
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "R" in d.value.columns)
    decided = logprob[logprob["label"] != "tie"]
    overall = table[table["source"] == "(all)"].iloc[0]
    assert overall["R"] == pytest.approx(float((decided["reference_margin"] >= 0).mean()))
    alpha = 0.75
    expected = float(((decided["reference_margin"] + np.log(alpha / (1 - alpha)) / 0.1) > 0).mean())
    assert overall["R* (beta=0.1)"] == pytest.approx(expected)
    assert overall["gap (beta=0.1)"] == pytest.approx(expected - overall["R"])

    at.number_input(key="wb.margins.at_least").set_value(1)
    at.run()
    candidates = int(_metric(at, "Candidates").replace(",", ""))
    at.button(key="wb.margins.suspects.apply").click().run()
    assert "reward.margin_mean < 0" in at.session_state["wb.where"]
    at.switch_page("pages/explore.py").run()
    assert int(_metric(at, "Matching pairs").replace(",", "")) == candidates


def test_mislabel_candidates_count_only_sources_with_values(scored_workspace):
    """logprob's DPO and density-ratio margins are empty without a policy / strong model: they are no sources,
    so the default threshold is reachable and the list is not empty by construction."""
    from workbench.ui.likelihood_view import PREFERENCE_MARGINS

    _, _, logprob = scored_workspace
    at = open_app("pages/margins.py")
    assert not at.exception, at.exception
    at_least = at.number_input(key="wb.margins.at_least")
    assert at_least.max == 2  # logprob.reference_margin_mean and reward.margin_mean; not the two empty ones
    help_text = at_least.help
    assert "logprob.dpo_margin" not in help_text and "reward.margin_mean" in help_text
    assert "logprob.dpo_margin" in PREFERENCE_MARGINS


def test_histograms_show_the_central_99_percent_when_outliers_stretch_the_range():
    import pandas as pd

    from workbench.ui.likelihood_view import distribution_figure

    values = np.r_[np.linspace(-10, 10, 400), [-2000.0, 1500.0]]
    frame = pd.DataFrame({"x": values, "source": "s"})
    figure = distribution_figure(frame, "x", "x", by_source=False)
    shown = np.concatenate([np.asarray(trace.x) for trace in figure.data])
    low, high = np.quantile(values, [0.005, 0.995])
    expected = values[(values >= low) & (values <= high)]
    assert np.array_equal(np.sort(shown), np.sort(expected)) and shown.min() >= -10 and shown.max() <= 10
    assert f"{len(values) - len(expected)} pairs outside" in figure.layout.title.text
    plain = distribution_figure(pd.DataFrame({"x": np.linspace(-10, 10, 400), "source": "s"}), "x", "x", False)
    assert len(np.concatenate([np.asarray(t.x) for t in plain.data])) == 400 and "outside" not in plain.layout.title.text
