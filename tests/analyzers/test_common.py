"""Checks every registered analyzer must pass (in the spirit of scikit-learn's common checks):
deterministic, row-aligned with its input, declared columns only, empty texts and ties handled,
settings round-trip through their dict form."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from analyzers import analyzer_names, get_analyzer
from analyzers.base import INPUT_COLUMNS, RunContext

from tests.tiny_models import tiny_model_folder

# Settings that keep each analyzer fast and offline in the common checks.
FAST_SETTINGS = {
    "basic": {"tokenizer": "regex"},
    "features": {"n_features": 4, "k": 1, "matryoshka_prefixes": "", "max_epochs": 5, "device": "cpu"},
    "bias": {"tokenizer": "regex", "relevance_encoder": "none", "bootstrap": 20},
    "ches": {"model": str(tiny_model_folder("causal"))},
    "logprob": {"model": str(tiny_model_folder("causal")), "policy_model": str(tiny_model_folder("causal-no-template"))},
    "reward": {"reward_models": (str(tiny_model_folder("reward")), str(tiny_model_folder("reward-2")))},
    "direction": {"model": str(tiny_model_folder("causal")), "contrast_field": "label",
                  "positive_value": "preferred", "negative_value": "tie"},
    # LLM analyzers: an endpoint nobody listens on, no retries: every call fails at once and counts as invalid
    # (their real answers are tested in tests/analyzers/test_principles.py against a local test server).
    "principles": {"backend": "openai:offline@http://127.0.0.1:9/v1", "max_retries": 0},
    "traits": {"backend": "openai:offline@http://127.0.0.1:9/v1", "max_retries": 0, "bootstrap": 20},
}


def sample_pairs() -> pd.DataFrame:
    rows = [
        ("p1", "Explain rain.", "Water falls from clouds.", "It rains.", "preferred"),
        ("p2", "Explain rain.", "", "Something.", "preferred"),            # empty chosen, shared prompt
        ("p3", "", "Same text here.", "Same text here.", "preferred"),     # empty prompt, identical sides
        ("p4", "Tie?", "Side A.", "Side B.", "tie"),
        ("p5", "Unicode ✓", "naïve café – ok", "naive cafe - ok", "preferred"),
    ]
    frame = pd.DataFrame(rows, columns=["pair_id", "prompt", "chosen", "rejected", "label"])
    for column in INPUT_COLUMNS:
        if column not in frame:
            frame[column] = None
    frame["metadata"] = "{}"
    return frame[list(INPUT_COLUMNS)]


def run(analyzer, settings, pairs):
    context = RunContext()
    state = analyzer.prepare(pairs, settings, context)
    return analyzer.compute(pairs, settings, state, context)


@pytest.fixture(params=analyzer_names())
def analyzer_and_settings(request):
    analyzer = get_analyzer(request.param)
    return analyzer, analyzer.settings_from_dict(FAST_SETTINGS.get(analyzer.name, {}))


def test_row_aligned_with_declared_columns(analyzer_and_settings):
    analyzer, settings = analyzer_and_settings
    pairs = sample_pairs()
    out = run(analyzer, settings, pairs)
    assert len(out) == len(pairs)
    assert list(out.columns) == [c.name for c in analyzer.columns(settings)]
    # computing in two batches gives the same rows as one batch
    state = analyzer.prepare(pairs, settings, RunContext())
    halves = pd.concat([analyzer.compute(pairs.iloc[:2], settings, state, RunContext()),
                        analyzer.compute(pairs.iloc[2:], settings, state, RunContext())])
    # Float columns within 1e-4: model forward passes over batches of other shapes differ in the last float32 bits.
    pd.testing.assert_frame_equal(halves.reset_index(drop=True), out.reset_index(drop=True), check_exact=False,
                                  rtol=1e-4, atol=1e-4)


def test_deterministic(analyzer_and_settings):
    analyzer, settings = analyzer_and_settings
    first, second = run(analyzer, settings, sample_pairs()), run(analyzer, settings, sample_pairs())
    pd.testing.assert_frame_equal(first, second)


def test_summary_from_columns_alone(analyzer_and_settings):
    analyzer, settings = analyzer_and_settings
    pairs = sample_pairs()
    out = run(analyzer, settings, pairs).reset_index(drop=True)
    out.insert(0, "pair_id", pairs["pair_id"])
    summary = analyzer.summarize(out, pairs, settings)
    assert summary["primary_metric"] == analyzer.primary_metric and analyzer.primary_metric in summary


def test_settings_round_trip(analyzer_and_settings):
    analyzer, settings = analyzer_and_settings
    as_dict = analyzer.settings_dict(settings)
    assert analyzer.settings_from_dict(as_dict) == settings
    as_text = {key: str(value) for key, value in as_dict.items()}
    assert analyzer.settings_from_dict(as_text) == settings
    assert dataclasses.is_dataclass(settings) and analyzer.name and analyzer.version and analyzer.description
