"""Feedback Forensics metrics of an annotator (a principle, a trait, an LLM judge) against the reference labels.

Every annotator gives each pair one vote relative to the reference label:
  agree       it prefers the response the label prefers (the chosen one)
  disagree    it prefers the other response
  abstain     it prefers neither (both / neither / not applicable, or its seeds disagreed)
  invalid     its answer could not be read
  not_tested  it was not asked about this pair (not sampled, or the pair is a tie)
Over the pairs that were asked and whose label names a winner (total = agree + disagree + abstain + invalid):
  relevance       = (agree + disagree) / total
  accuracy        = agree / (agree + disagree), 0.5 when it never picks a side
  adjusted kappa  = 2 * (accuracy - 0.5)
  strength        = adjusted kappa * relevance = (agree - disagree) / total
Strength is the mean of a per-pair score (+1 agree, -1 disagree, 0 otherwise), which is what the
bootstrap intervals resample.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
import pandas as pd

AGREE, DISAGREE, ABSTAIN, INVALID_VOTE, NOT_TESTED = "agree", "disagree", "abstain", "invalid", "not_tested"
VOTES = (AGREE, DISAGREE, ABSTAIN, INVALID_VOTE, NOT_TESTED)
ASKED_VOTES = (AGREE, DISAGREE, ABSTAIN, INVALID_VOTE)
TIE_LABEL = "tie"

METRIC_DEFINITIONS = {
    "agree": "Pairs where it prefers the response the label prefers.",
    "disagree": "Pairs where it prefers the response the label rejected.",
    "abstain": "Pairs where it prefers neither (both, neither, not applicable, or its repeated answers disagreed).",
    "invalid": "Pairs whose answer could not be read (unparseable or a failed call); never counted as a vote.",
    "total": "Pairs it was asked about whose label names a winner (ties and untested pairs left out).",
    "relevance": "(agree + disagree) / total: how often it picks a side at all.",
    "accuracy": "agree / (agree + disagree): how often it sides with the label when it picks a side (0.5 if never).",
    "kappa_adj": "Adjusted kappa = 2 x (accuracy - 0.5): -1 always against the label, 0 chance, 1 always with it.",
    "strength": "Adjusted kappa x relevance = (agree - disagree) / total: how much it explains the labels (-1 to 1).",
    "strength_low": "Lower end of the bootstrap 95% interval of strength (pairs resampled).",
    "strength_high": "Upper end of the bootstrap 95% interval of strength (pairs resampled).",
}


@dataclass(frozen=True)
class AnnotatorMetrics:
    agree: int
    disagree: int
    abstain: int
    invalid: int
    total: int
    relevance: float | None
    accuracy: float | None
    kappa_adj: float | None
    strength: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def metrics_from_counts(agree: int, disagree: int, abstain: int = 0, invalid: int = 0) -> AnnotatorMetrics:
    """The four metrics from vote counts; None for every ratio when the annotator was asked about no pair."""
    total = agree + disagree + abstain + invalid
    if total == 0:
        return AnnotatorMetrics(agree, disagree, abstain, invalid, 0, None, None, None, None)
    decided = agree + disagree
    relevance = decided / total
    accuracy = agree / decided if decided else 0.5
    kappa_adj = 2.0 * (accuracy - 0.5)
    return AnnotatorMetrics(agree, disagree, abstain, invalid, total, relevance, accuracy, kappa_adj, kappa_adj * relevance)


def eligible(votes: Sequence[str | None], labels: Sequence[str | None] | None = None) -> np.ndarray:
    """Mask of pairs that count: asked (a vote other than not_tested / empty) and not labelled a tie."""
    votes_array = np.asarray(pd.Series(list(votes), dtype="object").fillna(NOT_TESTED), dtype=object)
    mask = np.isin(votes_array, ASKED_VOTES)
    if labels is not None:
        mask &= np.asarray([label != TIE_LABEL for label in labels], dtype=bool)
    return mask


def annotator_metrics(votes: Sequence[str | None], labels: Sequence[str | None] | None = None) -> AnnotatorMetrics:
    """Metrics of one annotator's per-pair votes (ties and untested pairs left out)."""
    votes_array = np.asarray(list(votes), dtype=object)[eligible(votes, labels)]
    counts = {vote: int(np.sum(votes_array == vote)) for vote in ASKED_VOTES}
    return metrics_from_counts(counts[AGREE], counts[DISAGREE], counts[ABSTAIN], counts[INVALID_VOTE])


def vote_scores(votes: Sequence[str | None]) -> np.ndarray:
    """+1 agree, -1 disagree, 0 otherwise: strength is their mean over the eligible pairs."""
    array = np.asarray(list(votes), dtype=object)
    return (array == AGREE).astype(np.float64) - (array == DISAGREE).astype(np.float64)


def strength_interval(votes: Sequence[str | None], labels: Sequence[str | None] | None = None, *,
                      n_resamples: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of strength, resampling the eligible pairs with replacement."""
    scores = vote_scores(np.asarray(list(votes), dtype=object)[eligible(votes, labels)])
    if len(scores) == 0 or n_resamples <= 0:
        return None, None
    rng = np.random.default_rng(seed)
    means = np.empty(n_resamples)
    chunk = max(1, 2_000_000 // len(scores))  # bounded memory for large sets
    for start in range(0, n_resamples, chunk):
        stop = min(n_resamples, start + chunk)
        picks = rng.integers(0, len(scores), size=(stop - start, len(scores)))
        means[start:stop] = scores[picks].mean(axis=1)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return float(low), float(high)


def metrics_table(votes: pd.DataFrame, labels: Sequence[str | None], *, n_resamples: int = 1000,
                  seed: int = 0) -> pd.DataFrame:
    """One row per annotator (a column of ``votes``): counts, metrics and the strength interval."""
    rows = []
    for name in votes.columns:
        column = votes[name].tolist()
        low, high = strength_interval(column, labels, n_resamples=n_resamples, seed=seed)
        rows.append({"annotator": name, **annotator_metrics(column, labels).as_dict(),
                     "strength_low": low, "strength_high": high})
    return pd.DataFrame(rows, columns=["annotator", "agree", "disagree", "abstain", "invalid", "total", "relevance",
                                       "accuracy", "kappa_adj", "strength", "strength_low", "strength_high"])


def strength_by_slice(votes: pd.DataFrame, labels: Sequence[str | None], slices: Sequence[object]) -> pd.DataFrame:
    """Strength of each annotator (rows) within each slice of the pairs (columns), e.g. per source."""
    slice_values = pd.Series(list(slices), dtype="object").fillna("(none)").astype(str).to_numpy()
    labels = list(labels)
    table = {}
    for value in sorted(set(slice_values)):
        inside = slice_values == value
        table[value] = {name: annotator_metrics(votes[name][inside].tolist(),
                                                [label for label, keep in zip(labels, inside) if keep]).strength
                        for name in votes.columns}
    return pd.DataFrame(table, index=list(votes.columns), dtype="float64")


def agreement_matrix(votes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(share, pairs): for two annotators, among pairs where both pick a side (agree or disagree), the share where
    they pick the same side, and how many such pairs there are. The diagonal is 1 where an annotator ever picks."""
    names = list(votes.columns)
    decided = {name: votes[name].isin([AGREE, DISAGREE]).to_numpy() for name in names}
    sides = {name: (votes[name] == AGREE).to_numpy() for name in names}
    share = pd.DataFrame(np.nan, index=names, columns=names)
    counts = pd.DataFrame(0, index=names, columns=names, dtype="int64")
    for first in names:
        for second in names:
            both = decided[first] & decided[second]
            n = int(both.sum())
            counts.loc[first, second] = n
            if n:
                share.loc[first, second] = float(np.mean(sides[first][both] == sides[second][both]))
    return share, counts
