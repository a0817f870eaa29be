"""Per-feature statistics of preference features, the signal they capture, and their descriptions (methods.md §5).

Everything here works from per-pair arrays (activations on e(A) - e(B), whether A is the chosen side, the
length difference A - B), so the analyzer's summary is recomputable from its columns.
- ``logistic_wald``: unpenalized logistic regression by Newton-Raphson with Wald standard errors and p-values.
- ``feature_effects``: prevalence, length-controlled coefficient and p-value, win rate when active.
- ``signal_captured``: held-out ROC-AUC of a logistic model on the features + length vs a reference probe.
- ``contrastive_keywords``: words over-represented on the side that has more of a feature (log-odds, with a prior).
- ``describe_feature_with_llm`` / ``llm_fidelity``: an LLM description of a feature and how well it fits.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol, Sequence

import numpy as np
import pandas as pd


class ChatBackend(Protocol):
    def chat(self, conversations: list[list[dict]], max_tokens: int = ..., temperature: float = ...) -> list[str | None]:
        ...


# ---------------------------------------------------------------- logistic regression with Wald tests

@dataclass
class LogisticFit:
    coefficients: np.ndarray  # intercept first
    standard_errors: np.ndarray
    p_values: np.ndarray
    converged: bool


def logistic_wald(features: np.ndarray, labels: np.ndarray, *, max_iter: int = 100, tol: float = 1e-10) -> LogisticFit:
    """Fit P(label = 1) = sigmoid(b0 + X b) by Newton-Raphson (no penalty); Wald SEs from the inverse Hessian.

    ``converged`` is False when the fit did not settle (e.g. a feature separates the labels perfectly, where the
    maximum-likelihood coefficient is infinite); the last iterate is returned then."""
    from scipy.special import expit
    from scipy.stats import norm

    X = np.column_stack([np.ones(len(labels)), np.asarray(features, dtype=np.float64).reshape(len(labels), -1)])
    y = np.asarray(labels, dtype=np.float64)
    beta = np.zeros(X.shape[1])
    converged = False
    for _ in range(max_iter):
        p = expit(X @ beta)
        gradient = X.T @ (y - p)
        hessian = (X * (p * (1 - p))[:, None]).T @ X
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
            converged = True
            break
    p = expit(X @ beta)
    hessian = (X * (p * (1 - p))[:, None]).T @ X
    try:
        covariance = np.linalg.inv(hessian)
        errors = np.sqrt(np.clip(np.diag(covariance), 0, None))
    except np.linalg.LinAlgError:
        errors = np.full_like(beta, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_values = 2 * norm.sf(np.abs(beta / errors))
    return LogisticFit(beta, errors, p_values, converged and bool(np.all(np.isfinite(errors))))


def standardize(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)


# ---------------------------------------------------------------- per-feature effects

def feature_effects(activations: np.ndarray, a_is_chosen: np.ndarray, decided: np.ndarray,
                    length_delta: np.ndarray) -> pd.DataFrame:
    """One row per feature, over the decided (non-tie) pairs:

    prevalence: share of all pairs where the feature is active (nonzero);
    coefficient / p_value: logistic "A preferred ~ 1 + length_delta + z_j" on standardized predictors (Wald test);
    win_rate_active: among decided active pairs, the share where the side with more of the feature was chosen;
    delta_win_rate: win_rate_active - 0.5 (the win rate of a side whose features do not matter).
    """
    activations = np.asarray(activations, dtype=np.float64)
    decided = np.asarray(decided, dtype=bool)
    labels = np.asarray(a_is_chosen, dtype=bool)[decided]
    length = standardize(np.asarray(length_delta, dtype=np.float64)[decided])
    rows = []
    for j in range(activations.shape[1]):
        z = activations[:, j]
        active = z != 0
        row: dict[str, Any] = {"feature": j, "n_active": int(active.sum()),
                               "prevalence": float(active.mean()) if len(z) else float("nan")}
        z_decided = z[decided]
        active_decided = z_decided != 0
        if active_decided.any():
            favoured_side_won = (z_decided[active_decided] > 0) == labels[active_decided]
            row["win_rate_active"] = float(favoured_side_won.mean())
            row["delta_win_rate"] = row["win_rate_active"] - 0.5
        else:
            row["win_rate_active"] = row["delta_win_rate"] = float("nan")
        if z_decided.std() > 0 and len(np.unique(labels)) == 2:
            fit = logistic_wald(np.column_stack([length, standardize(z_decided)]), labels)
            row.update(coefficient=float(fit.coefficients[2]), standard_error=float(fit.standard_errors[2]),
                       p_value=float(fit.p_values[2]), converged=fit.converged)
        else:
            row.update(coefficient=float("nan"), standard_error=float("nan"), p_value=float("nan"), converged=False)
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- signal captured

def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """ROC-AUC (ties count half); None when the labels have one class only or there are no finite scores."""
    from sklearn.metrics import roc_auc_score

    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=bool)
    keep = np.isfinite(scores)
    if keep.sum() == 0 or len(np.unique(labels[keep])) < 2:
        return None
    return float(roc_auc_score(labels[keep], scores[keep]))


def signal_captured(activations: np.ndarray, length_delta: np.ndarray, a_is_chosen: np.ndarray, decided: np.ndarray,
                    in_validation: np.ndarray, reference_score: np.ndarray) -> dict[str, float | None]:
    """Held-out ROC-AUC of "A preferred" from a logistic model on all features + length_delta (fit on the training
    split, L2-penalized, standardized with training statistics) versus the reference probe's scores, both on the
    validation split's decided pairs; share = (AUC_feat - 0.5) / (AUC_ref - 0.5)."""
    from sklearn.linear_model import LogisticRegression

    decided = np.asarray(decided, dtype=bool)
    validation = np.asarray(in_validation, dtype=bool)
    train_rows, val_rows = decided & ~validation, decided & validation
    labels = np.asarray(a_is_chosen, dtype=bool)
    X = np.column_stack([np.asarray(activations, dtype=np.float64), np.asarray(length_delta, dtype=np.float64)])
    result: dict[str, float | None] = {"signal_auc": None, "reference_auc": None, "length_only_auc": None,
                                       "signal_share": None}
    if val_rows.sum() == 0:
        return result
    result["reference_auc"] = roc_auc(np.asarray(reference_score, dtype=np.float64)[val_rows], labels[val_rows])
    result["length_only_auc"] = roc_auc(X[val_rows, -1], labels[val_rows])
    if train_rows.sum() >= 2 and len(np.unique(labels[train_rows])) == 2:
        mean, spread = X[train_rows].mean(axis=0), X[train_rows].std(axis=0)
        spread[spread == 0] = 1.0
        model = LogisticRegression(C=1.0, max_iter=2000)
        model.fit((X[train_rows] - mean) / spread, labels[train_rows])
        result["signal_auc"] = roc_auc(model.decision_function((X[val_rows] - mean) / spread), labels[val_rows])
    if result["signal_auc"] is not None and result["reference_auc"] is not None and result["reference_auc"] > 0.5:
        result["signal_share"] = (result["signal_auc"] - 0.5) / (result["reference_auc"] - 0.5)
    return result


# ---------------------------------------------------------------- keyword descriptions

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Lower-cased words and single punctuation marks (so markdown markers such as '-' or '*' count too)."""
    return _TOKEN.findall((text or "").lower())


# Words that say nothing about a feature on their own: articles, prepositions, conjunctions, pronouns and
# auxiliaries. Negations (not, no, never, cannot, can't...) and politeness words stay: they carry refusals and tone.
FUNCTION_WORDS = frozenset("""
a an the and or but nor so yet for of to in on at by with from into onto over under about above below between
through during before after than then as if because while though although whether that this these those there
here it its it's is are was were be been being am do does did doing have has had having will would shall should
can could may might must i me my mine we us our ours you your yours he him his she her hers they them their
theirs who whom whose which what when where why how all any both each few more most other some such only own
same just also very too up down out off again further once s t d ll m o re ve y
""".split())
# Punctuation that marks formatting or tone (lists, emphasis, headers, code, tables, quotes, questions,
# exclamations); other punctuation is left out of keyword lists.
MEANINGFUL_PUNCTUATION = frozenset("-*#`|>!?")


def is_keyword_candidate(token: str) -> bool:
    if token[0].isalnum():
        return token not in FUNCTION_WORDS
    return token in MEANINGFUL_PUNCTUATION


def contrastive_keywords(feature_side: Sequence[str], other_side: Sequence[str], *, top: int = 8,
                         prior_strength: float = 10.0, min_count: int = 2) -> list[tuple[str, float]]:
    """Tokens over-represented in ``feature_side`` texts versus ``other_side`` texts.

    Log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008) over the number of texts
    each token appears in (not its count, so a longer side does not make every common word distinctive): the
    prior is the pooled frequency times ``prior_strength``; each token's z-score is its log-odds difference
    over its approximate standard deviation. Function words and plain punctuation are left out
    (``is_keyword_candidate``). Returns (token, z) for the ``top`` tokens with z > 0, highest first."""
    counts_a = Counter(token for text in feature_side for token in set(tokenize(text)) if is_keyword_candidate(token))
    counts_b = Counter(token for text in other_side for token in set(tokenize(text)) if is_keyword_candidate(token))
    total_a, total_b = sum(counts_a.values()), sum(counts_b.values())
    if total_a == 0:
        return []
    pooled = counts_a + counts_b
    pooled_total = sum(pooled.values())
    scored = []
    for token, count in pooled.items():
        if counts_a[token] < min_count:
            continue
        prior = prior_strength * count / pooled_total
        ya, yb = counts_a[token], counts_b[token]
        log_odds_a = math.log((ya + prior) / (total_a + prior_strength - ya - prior))
        log_odds_b = math.log((yb + prior) / (total_b + prior_strength - yb - prior))
        z = (log_odds_a - log_odds_b) / math.sqrt(1.0 / (ya + prior) + 1.0 / (yb + prior))
        if z > 0:
            scored.append((token, z))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:top]


def keyword_description(keywords: list[tuple[str, float]]) -> str:
    if not keywords:
        return "(no distinctive words)"
    return "more: " + ", ".join(token for token, _ in keywords)


# ---------------------------------------------------------------- LLM descriptions and fidelity

DESCRIBE_INSTRUCTIONS = (
    "Each example below is a pair of responses to the same prompt. In every pair, response A has more of one "
    "property than response B. Name that property in at most 10 words (e.g. 'uses a bulleted list', "
    "'refuses the request'). Reply with the property only.")
JUDGE_INSTRUCTIONS = ("Property: {concept}\n\nDoes response A have this property more than response B? "
                      "Answer with one word: yes or no.")


def _clip(text: str, limit: int = 600) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def describe_prompt(examples: Sequence[tuple[str, str]]) -> list[dict]:
    """The chat messages asking for a feature's description; ``examples`` are (feature side, other side) texts."""
    blocks = [f"Example {i}:\nResponse A: {_clip(a)}\nResponse B: {_clip(b)}" for i, (a, b) in enumerate(examples, 1)]
    return [{"role": "user", "content": DESCRIBE_INSTRUCTIONS + "\n\n" + "\n\n".join(blocks)}]


def judge_prompt(concept: str, response_a: str, response_b: str) -> list[dict]:
    return [{"role": "user", "content": JUDGE_INSTRUCTIONS.format(concept=concept) +
             f"\n\nResponse A: {_clip(response_a)}\nResponse B: {_clip(response_b)}"}]


def parse_yes_no(answer: str | None) -> int | None:
    """1 for yes, 0 for no, None for anything else (an unparseable answer is never a vote)."""
    if not answer:
        return None
    words = re.findall(r"[a-z]+", answer.lower())
    if not words:
        return None
    return {"yes": 1, "no": 0}.get(words[0])


def describe_feature_with_llm(backend: ChatBackend, examples: Sequence[tuple[str, str]], *,
                              max_tokens: int = 32) -> str | None:
    """One short description of what the feature side has more of; None when the backend gave no answer."""
    answer = backend.chat([describe_prompt(examples)], max_tokens=max_tokens, temperature=0.0)[0]
    if not answer or not answer.strip():
        return None
    return answer.strip().splitlines()[0].strip().strip('"').strip()


def llm_fidelity(backend: ChatBackend, concept: str, judged_pairs: Sequence[tuple[str, str, float]], *,
                 max_tokens: int = 4) -> tuple[float | None, int]:
    """Pearson r between |activation| and the LLM's 0/1 judgement that response A has the concept more than B.

    ``judged_pairs``: (response A, response B, |activation|) with active pairs already swapped so the feature is in
    A. Unparseable answers are left out. Returns (r or None when undefined, number of judgements used)."""
    answers = backend.chat([judge_prompt(concept, a, b) for a, b, _ in judged_pairs], max_tokens=max_tokens,
                           temperature=0.0)
    votes = [(parse_yes_no(answer), activation) for answer, (_, _, activation) in zip(answers, judged_pairs)]
    votes = [(vote, activation) for vote, activation in votes if vote is not None]
    if len(votes) < 3:
        return None, len(votes)
    judgement = np.array([vote for vote, _ in votes], dtype=np.float64)
    activation = np.array([value for _, value in votes], dtype=np.float64)
    if judgement.std() == 0 or activation.std() == 0:
        return None, len(votes)
    return float(np.corrcoef(activation, judgement)[0, 1]), len(votes)
