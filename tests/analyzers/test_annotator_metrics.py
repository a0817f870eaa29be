"""Feedback Forensics metrics on hand-made vote tables, checked against counts written out by hand and a
per-resample loop for the bootstrap."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzers import annotator_metrics as am

VOTES = ["agree", "agree", "agree", "disagree", "abstain", "invalid", "not_tested", "agree", None]
LABELS = ["preferred", "preferred", "preferred", "preferred", "preferred", "preferred", "preferred", "tie", "preferred"]


def test_metrics_on_a_hand_made_table():
    metrics = am.annotator_metrics(VOTES, LABELS)
    # eligible: the first six (not_tested, the tie and the empty vote are left out)
    assert (metrics.agree, metrics.disagree, metrics.abstain, metrics.invalid, metrics.total) == (3, 1, 1, 1, 6)
    assert metrics.relevance == pytest.approx(4 / 6)
    assert metrics.accuracy == pytest.approx(3 / 4)
    assert metrics.kappa_adj == pytest.approx(0.5)
    assert metrics.strength == pytest.approx((3 - 1) / 6)
    assert metrics.strength == pytest.approx(metrics.kappa_adj * metrics.relevance)


def test_edge_cases():
    never_decides = am.metrics_from_counts(0, 0, 4, 1)
    assert never_decides.accuracy == 0.5 and never_decides.kappa_adj == 0 and never_decides.strength == 0
    assert am.metrics_from_counts(0, 0).relevance is None
    always_against = am.metrics_from_counts(0, 5)
    assert always_against.kappa_adj == -1 and always_against.strength == -1


def test_bootstrap_interval_matches_a_loop():
    rng = np.random.default_rng(1)
    votes = list(rng.choice(["agree", "disagree", "abstain", "invalid"], size=60, p=[0.5, 0.2, 0.2, 0.1]))
    low, high = am.strength_interval(votes, n_resamples=300, seed=7)
    scores = np.array([1.0 if v == "agree" else -1.0 if v == "disagree" else 0.0 for v in votes])
    loop_rng = np.random.default_rng(7)
    picks = loop_rng.integers(0, len(scores), size=(300, len(scores)))
    means = [float(np.mean([scores[i] for i in row])) for row in picks]
    assert (low, high) == pytest.approx(tuple(np.percentile(means, [2.5, 97.5])))
    point = am.annotator_metrics(votes).strength
    assert low <= point <= high
    assert am.strength_interval(["not_tested"]) == (None, None)


def test_strength_by_slice_and_table():
    votes = pd.DataFrame({"x": ["agree", "agree", "disagree", "agree"], "y": ["disagree", "abstain", "agree", "agree"]})
    labels = ["preferred"] * 4
    by_slice = am.strength_by_slice(votes, labels, ["s1", "s1", "s2", "s2"])
    assert by_slice.loc["x", "s1"] == 1.0 and by_slice.loc["x", "s2"] == 0.0
    assert by_slice.loc["y", "s1"] == -0.5 and by_slice.loc["y", "s2"] == 1.0
    table = am.metrics_table(votes, labels, n_resamples=50)
    assert table.set_index("annotator").loc["x", "strength"] == pytest.approx(0.5)


def test_agreement_matrix_by_hand():
    votes = pd.DataFrame({
        "x": ["agree", "agree", "disagree", "abstain", "agree"],
        "y": ["agree", "disagree", "disagree", "agree", "invalid"],
    })
    share, counts = am.agreement_matrix(votes)
    # both pick a side on rows 0, 1, 2; same side on rows 0 and 2
    assert counts.loc["x", "y"] == 3 and share.loc["x", "y"] == pytest.approx(2 / 3)
    assert share.loc["x", "x"] == 1.0 and counts.loc["y", "y"] == 4
