"""`features`: sparse preference features (WIMHF-style SAE) or decomposed preference axes (DRM-style PCA).

Each pair is put in an A/B frame: A is the side shown first when the data recorded positions, else a seeded
coin per pair id decides whether A is the chosen or the rejected response (so "A preferred" has both values
and a logistic model can be fit; ties are kept but left out of everything that needs a winner).
d = e(A) - e(B) with e a text encoder (see workbench/embeddings.py).

Training is dataset-level work done in ``prepare`` on every pair: the split into training and validation by
prompt (a prompt never crosses), the sparse autoencoder (analyzers/sae.py) or the PCA, the average preference
direction and a reference probe on the raw difference. ``compute`` then only returns each pair's precomputed
encoding, so results do not depend on batching. The summary (per-feature statistics, descriptions, signal
captured) is derived from the per-pair columns and the pair texts (analyzers/feature_stats.py).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analyzers import feature_stats
from analyzers.base import Analyzer, Column, RunContext
from analyzers.basic import normalize_prompt
from workbench.errors import AnalyzerError

MODES = ("sae", "pca")
KEYWORDS = "keywords"
REFERENCE_PROBE_MAX_PAIRS = 50_000  # the raw-difference probe is fit on at most this many training pairs
KEYWORD_EXAMPLES = 20  # top-activating pairs the keyword description reads
LLM_DESCRIBE_EXAMPLES = 8
LLM_FIDELITY_PAIRS = 20  # judged per feature: half top-activating, half inactive


@dataclass(frozen=True)
class FeaturesSettings:
    mode: str = "sae"  # "sae" (sparse autoencoder features) or "pca" (decomposed preference axes)
    encoder: str = "default"  # "default" (all-MiniLM-L6-v2), a sentence-transformers folder / hub id, or "lm:<model>"
    include_prompt: bool = False  # embed "prompt + response" instead of the response alone
    unit_differences: bool = True  # scale each e(A) - e(B) to unit length before fitting (style-only pairs count too)
    n_features: int = 32
    k: int = 4
    matryoshka_prefixes: str = "8"  # nested prefix sizes below n_features, comma-separated ("" for none)
    learning_rate: float = 5e-4
    sae_batch_size: int = 256
    max_epochs: int = 300  # small datasets need many epochs; early stopping ends large ones sooner
    patience: int = 10
    dead_latent_loss: float = 1 / 32  # weight of the AuxK loss on latents that stopped firing (0 = off)
    validation_fraction: float = 0.2
    seed: int = 0
    describer: str = KEYWORDS  # "keywords", or an LLM backend spec (workbench.llm.get_backend)
    describer_api_key_env: str = "OPENAI_API_KEY"  # the NAME of the variable holding the describer's key
    top_pairs: int = 10
    device: str = "auto"
    batch_size: int = 4096

    def prefixes(self) -> tuple[int, ...]:
        text = (self.matryoshka_prefixes or "").strip().strip("[]()")
        try:
            sizes = [int(part) for part in text.replace(" ", ",").split(",") if part.strip()]
        except ValueError:
            raise AnalyzerError(f"Setting 'features.matryoshka_prefixes' must be whole numbers separated by commas, "
                                f"got '{self.matryoshka_prefixes}'.") from None
        return tuple(size for size in sizes if size != self.n_features) + (self.n_features,)  # the full size always last

    def validate(self) -> None:
        if self.mode not in MODES:
            raise AnalyzerError(f"Setting 'features.mode' must be one of {', '.join(MODES)}, got '{self.mode}'.")
        if self.n_features < 1 or self.n_features > 4096:
            raise AnalyzerError("Setting 'features.n_features' must be between 1 and 4096.")
        if not 1 <= self.k <= self.n_features:
            raise AnalyzerError(f"Setting 'features.k' must be between 1 and n_features ({self.n_features}).")
        prefixes = self.prefixes()
        if self.mode == "sae" and (list(prefixes) != sorted(set(prefixes)) or prefixes[0] < 1):
            raise AnalyzerError(f"Setting 'features.matryoshka_prefixes' must be increasing sizes between 1 and "
                                f"n_features - 1 ({self.n_features - 1}), got '{self.matryoshka_prefixes}'.")
        if not self.learning_rate > 0:
            raise AnalyzerError("Setting 'features.learning_rate' must be positive.")
        if self.sae_batch_size < 2:
            raise AnalyzerError("Setting 'features.sae_batch_size' must be at least 2.")
        if self.dead_latent_loss < 0:
            raise AnalyzerError("Setting 'features.dead_latent_loss' must not be negative (0 turns it off).")
        if self.max_epochs < 1 or self.patience < 1:
            raise AnalyzerError("Settings 'features.max_epochs' and 'features.patience' must be at least 1.")
        if not 0 <= self.validation_fraction < 1:
            raise AnalyzerError("Setting 'features.validation_fraction' must be at least 0 and below 1.")
        if self.top_pairs < 1:
            raise AnalyzerError("Setting 'features.top_pairs' must be at least 1.")
        if self.batch_size < 1:
            raise AnalyzerError("Setting 'features.batch_size' must be positive.")
        if not (self.encoder or "").strip():
            raise AnalyzerError("Setting 'features.encoder' is empty; use 'default', a model folder or 'lm:<model>'.")
        if not (self.describer or "").strip():
            raise AnalyzerError("Setting 'features.describer' is empty; use 'keywords' or an LLM backend spec.")


# ---------------------------------------------------------------- the A/B frame and the split

def seeded_unit(seed: int, *parts: str) -> float:
    """A number in [0, 1) fixed by the seed and the parts (a hash, so independent of row order and batching)."""
    digest = hashlib.blake2b("\x00".join([str(seed), *parts]).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def a_is_chosen(pairs: pd.DataFrame, seed: int) -> np.ndarray:
    """A = the side shown first when positions are recorded, else a seeded coin per pair id."""
    positions = pairs["chosen_position"] if "chosen_position" in pairs else pd.Series([None] * len(pairs))
    out = []
    for pair_id, position in zip(pairs["pair_id"], positions):
        if isinstance(position, str) and position.lower() in ("a", "b"):
            out.append(position.lower() == "a")
        else:
            out.append(seeded_unit(seed, "orientation", str(pair_id)) < 0.5)
    return np.array(out, dtype=bool)


def validation_mask(prompts: pd.Series, fraction: float, seed: int) -> np.ndarray:
    """Validation pairs: whole prompt groups (connected components of pairs sharing a prompt, case and spacing
    ignored), the first ceil(fraction * groups) of them in seeded-hash order; at least one group stays in training."""
    keys = prompts.fillna("").map(normalize_prompt)
    groups = sorted(set(keys), key=lambda key: (seeded_unit(seed, "split", key), key))
    n_validation = min(math.ceil(fraction * len(groups)), len(groups) - 1) if fraction > 0 else 0
    chosen_groups = set(groups[:max(n_validation, 0)])
    return keys.isin(chosen_groups).to_numpy()


def response_texts(pairs: pd.DataFrame, include_prompt: bool) -> tuple[list[str], list[str]]:
    """The texts embedded for the chosen and rejected sides."""
    chosen = pairs["chosen"].fillna("").astype(str).tolist()
    rejected = pairs["rejected"].fillna("").astype(str).tolist()
    if include_prompt:
        prompts = pairs["prompt"].fillna("").astype(str).tolist()
        chosen = [f"{p}\n\n{c}" for p, c in zip(prompts, chosen)]
        rejected = [f"{p}\n\n{r}" for p, r in zip(prompts, rejected)]
    return chosen, rejected


def distinct_pairs(pairs: pd.DataFrame, candidates: np.ndarray, include_prompt: bool,
                   exclude: np.ndarray | None = None) -> np.ndarray:
    """Of the ``candidates`` rows: those whose two texts differ, first of each unordered {text, text} pair,
    leaving out any unordered pair that also occurs in the ``exclude`` rows (so no pair sits in two splits)."""
    chosen, rejected = response_texts(pairs, include_prompt)
    seen: set[tuple[str, str]] = set()
    if exclude is not None:
        seen.update((min(chosen[row], rejected[row]), max(chosen[row], rejected[row]))
                    for row in np.flatnonzero(exclude))
    mask = np.zeros(len(pairs), dtype=bool)
    for row, (first, second) in enumerate(zip(chosen, rejected)):
        key = (min(first, second), max(first, second))
        if not candidates[row] or first == second or key in seen:
            continue
        seen.add(key)
        mask[row] = True
    return mask


def repeats_training_pair(pairs: pd.DataFrame, training: np.ndarray, include_prompt: bool) -> np.ndarray:
    """Rows whose unordered {text, text} pair is also a training row's."""
    chosen, rejected = response_texts(pairs, include_prompt)
    keys = [(min(a, b), max(a, b)) for a, b in zip(chosen, rejected)]
    trained = {keys[row] for row in np.flatnonzero(training)}
    return np.array([key in trained for key in keys], dtype=bool) & ~np.asarray(training, dtype=bool)


def training_mask(pairs: pd.DataFrame, in_validation: np.ndarray, include_prompt: bool) -> np.ndarray:
    """Training rows: outside the validation prompts, distinct unordered pairs with different texts."""
    return distinct_pairs(pairs, ~np.asarray(in_validation, dtype=bool), include_prompt)


def decided_mask(pairs: pd.DataFrame) -> np.ndarray:
    return (pairs["label"].fillna("preferred") != "tie").to_numpy()


def words(text: str) -> int:
    return len((text or "").split())


# ---------------------------------------------------------------- the analyzer

class FeaturesAnalyzer(Analyzer):
    name = "features"
    version = "2"  # 2: dead-latent loss, keywords over texts without function words
    description = ("Sparse preference features: a sparse autoencoder (or PCA) on embedding differences e(A) - e(B); "
                   "per feature its prevalence, length-controlled effect on which side wins, and a description.")
    settings_class = FeaturesSettings
    primary_metric = "signal_auc"
    default_batch_size = 4096
    runtime_settings = ("batch_size", "describer_api_key_env")
    summary_descriptions = {
        "primary_metric": "The summary value this analyzer leads with.",
        "signal_auc": "Held-out ROC-AUC of 'A preferred' from a logistic model on all features + length delta, "
                      "trained on the training prompts, scored on the validation prompts' decided pairs.",
        "reference_auc": "The same held-out ROC-AUC for a logistic probe on the raw embedding difference e(A) - e(B).",
        "length_only_auc": "Held-out ROC-AUC of the word-length difference A - B alone.",
        "signal_share": "(signal_auc - 0.5) / (reference_auc - 0.5): the share of the probe's signal the features keep.",
        "mean_direction_accuracy": "Held-out share of decided pairs whose chosen side scores higher on the average "
                                   "preference direction (mean of e(chosen) - e(rejected) over training pairs).",
        "mode": "sae (sparse autoencoder) or pca (decomposed preference axes).",
        "n_pairs": "Pairs analyzed.",
        "n_training_pairs": "Pairs the features were fit on (training prompts, distinct unordered pairs, different texts).",
        "n_validation_decided": "Decided (non-tie) pairs of the validation prompts: the AUCs are computed over these.",
        "features": "Per feature: prevalence, coefficient, p_value, win_rate_active, delta_win_rate, description, "
                    "top_pairs (and for PCA: explained_variance_ratio, axis_accuracy, axis_sign, bottom_pairs).",
    }

    # ------------------------------------------------------------ columns
    def columns(self, settings: FeaturesSettings) -> list[Column]:
        if settings.mode == "pca":
            feature_text = "Projection of e(A) - e(B) on principal axis {j} of the chosen-minus-rejected differences."
        else:
            feature_text = ("Signed activation of sparse feature {j} on e(A) - e(B): 0 = inactive, positive = more of "
                            "the feature in response A, negative = more in B.")
        columns = [Column(f"feature_{j}", "float", feature_text.format(j=j)) for j in range(settings.n_features)]
        return columns + [
            Column("n_active", "int", "How many features are active (nonzero) for this pair."),
            Column("top_feature", "int", "The feature with the largest |activation| (-1 when none is active)."),
            Column("a_is_chosen", "bool", "Response A is the chosen one (A is the side shown first when positions "
                                          "are recorded, else a seeded coin per pair)."),
            Column("length_delta_words", "int", "Words in response A minus words in response B."),
            Column("difference_norm", "float", "Euclidean norm of e(A) - e(B) (before any scaling to unit length): "
                                               "how far apart the two responses embed."),
            Column("mean_direction_score", "float", "e(A) - e(B) (unit length when unit_differences is on) projected on "
                                                    "the average preference direction (unit mean of e(chosen) - "
                                                    "e(rejected) over training pairs)."),
            Column("reference_score", "float", "Log-odds that A is preferred from a logistic probe on the raw "
                                               "difference, fit on the training prompts (in-sample for those)."),
            Column("in_validation", "bool", "The pair's prompt is in the validation split (never in training)."),
        ]

    def model_name(self, settings: FeaturesSettings) -> str | None:
        from workbench.embeddings import embedding_label

        return embedding_label(settings.encoder)

    # ------------------------------------------------------------ dataset-level work
    def prepare(self, pairs: pd.DataFrame, settings: FeaturesSettings, context: RunContext) -> Any:
        from workbench.embeddings import embed_texts
        from workbench.models import resolve_device

        if settings.describer.strip() != KEYWORDS:
            load_llm_backend(settings, context)  # fail before the long work when the backend cannot be used
        device = resolve_device(settings.device)
        pairs = pairs.reset_index(drop=True)
        chosen_texts, rejected_texts = response_texts(pairs, settings.include_prompt)
        embeddings = embed_texts(chosen_texts + rejected_texts, settings.encoder, device=device,
                                 cache_dir=context.cache_dir, context=context)
        chosen_vectors, rejected_vectors = embeddings[:len(pairs)], embeddings[len(pairs):]
        chosen_minus_rejected = (chosen_vectors - rejected_vectors).astype(np.float32)
        del embeddings, chosen_vectors, rejected_vectors
        raw_norm = np.linalg.norm(chosen_minus_rejected, axis=1).astype(np.float64)
        if settings.unit_differences:
            chosen_minus_rejected /= np.maximum(raw_norm, 1e-12).astype(np.float32)[:, None]
        orientation = a_is_chosen(pairs, settings.seed)
        sign = np.where(orientation, 1.0, -1.0).astype(np.float32)
        differences = chosen_minus_rejected * sign[:, None]  # e(A) - e(B)

        in_validation = validation_mask(pairs["prompt"], settings.validation_fraction, settings.seed)
        training = training_mask(pairs, in_validation, settings.include_prompt)
        # A validation pair whose two responses also form a training pair (under another prompt) is no held-out
        # evidence: leave it out of validation.
        in_validation = in_validation & ~repeats_training_pair(pairs, training, settings.include_prompt)
        decided = decided_mask(pairs)
        validation_rows = distinct_pairs(pairs, in_validation, settings.include_prompt, exclude=training)
        if not training.any():
            raise AnalyzerError("The features analyzer needs pairs whose two responses differ in the training split; "
                                "there are none.")

        mean_direction = mean_preference_direction(chosen_minus_rejected, training & decided)
        if settings.mode == "pca":
            activations, fit_info = fit_pca_axes(chosen_minus_rejected[training & decided], differences,
                                                 settings.n_features)
        else:
            activations, fit_info = fit_sparse_features(differences, training, validation_rows, settings, device,
                                                        context)
        context.check_cancelled()
        context.progress(0, len(pairs), "scoring the reference probe")
        reference = reference_probe_scores(differences, orientation, training & decided, settings.seed)

        active = activations != 0
        magnitude = np.abs(activations)
        table = pd.DataFrame(activations, columns=[f"feature_{j}" for j in range(settings.n_features)])
        table["n_active"] = active.sum(axis=1).astype(np.int64)
        table["top_feature"] = np.where(active.any(axis=1), magnitude.argmax(axis=1), -1).astype(np.int64)
        table["a_is_chosen"] = orientation
        a_texts = np.where(orientation, pairs["chosen"].fillna("").astype(str), pairs["rejected"].fillna("").astype(str))
        b_texts = np.where(orientation, pairs["rejected"].fillna("").astype(str), pairs["chosen"].fillna("").astype(str))
        table["length_delta_words"] = np.array([words(a) - words(b) for a, b in zip(a_texts, b_texts)], dtype=np.int64)
        table["difference_norm"] = raw_norm
        table["mean_direction_score"] = (differences.astype(np.float64) @ mean_direction) if mean_direction is not None \
            else np.full(len(pairs), np.nan)
        table["reference_score"] = reference
        table["in_validation"] = in_validation
        table.index = pairs["pair_id"].astype(str)
        return {"table": table, "fit": fit_info}

    def compute(self, batch: pd.DataFrame, settings: FeaturesSettings, state: Any, context: RunContext) -> pd.DataFrame:
        table: pd.DataFrame = state["table"]
        ids = batch["pair_id"].astype(str)
        missing = ids[~ids.isin(table.index)]
        if len(missing):
            raise AnalyzerError(f"Pair '{missing.iloc[0]}' was not among the pairs the features were fit on; run the "
                                "analyzer again.")
        out = table.loc[ids.tolist()].reset_index(drop=True)
        out.index = batch.index
        return out[[column.name for column in self.columns(settings)]]

    # ------------------------------------------------------------ summary from the columns
    def summarize(self, results: pd.DataFrame, pairs: pd.DataFrame, settings: FeaturesSettings) -> dict:
        merged, activations, orientation, a_texts, b_texts = feature_frame(results, pairs, settings.n_features)
        n_features = settings.n_features
        decided = decided_mask(merged)
        in_validation = merged["in_validation"].astype(bool).to_numpy()
        length_delta = merged["length_delta_words"].to_numpy(dtype=np.float64)
        signal = feature_stats.signal_captured(activations, length_delta, orientation, decided, in_validation,
                                               merged["reference_score"].to_numpy(dtype=np.float64))
        effects = feature_stats.feature_effects(activations, orientation, decided, length_delta)
        training = training_mask(merged, in_validation, settings.include_prompt)
        sign = np.where(orientation, 1.0, -1.0)

        features = []
        for j in range(n_features):
            z = activations[:, j]
            record = {key: _plain(value) for key, value in effects.iloc[j].items()}
            top = [i for i in np.argsort(-np.abs(z), kind="stable")[:max(settings.top_pairs, KEYWORD_EXAMPLES)] if z[i] != 0]
            feature_side = [a_texts[i] if z[i] > 0 else b_texts[i] for i in top[:KEYWORD_EXAMPLES]]
            other_side = [b_texts[i] if z[i] > 0 else a_texts[i] for i in top[:KEYWORD_EXAMPLES]]
            keywords = feature_stats.contrastive_keywords(feature_side, other_side)
            record["keywords"] = [token for token, _ in keywords]
            record["description"] = feature_stats.keyword_description(keywords)
            record["top_pairs"] = [{"pair_id": str(merged["pair_id"].iloc[i]), "activation": float(z[i])}
                                   for i in top[:settings.top_pairs]]
            if settings.mode == "pca":
                record.update(pca_axis_report(z, sign, decided, training, in_validation, merged["pair_id"],
                                              settings.top_pairs))
            features.append(record)
        if settings.mode == "pca":
            norms = merged["difference_norm"].to_numpy(dtype=np.float64)
            if settings.unit_differences:  # the axes were fit on unit-length differences
                norms = (norms > 0).astype(np.float64)
            total = total_variance(norms,
                                   merged["mean_direction_score"].to_numpy(dtype=np.float64) * sign, training & decided)
            for record in features:
                record["explained_variance_ratio"] = (record.pop("_axis_variance") / total) if total else None

        validation_decided = decided & in_validation
        mean_scores = merged["mean_direction_score"].to_numpy(dtype=np.float64)
        usable = validation_decided & np.isfinite(mean_scores) & (mean_scores != 0)
        return {
            "primary_metric": "signal_auc",
            **signal,
            "mean_direction_accuracy": float(((mean_scores[usable] > 0) == orientation[usable]).mean()) if usable.any() else None,
            "mode": settings.mode,
            "n_pairs": int(len(results)),
            "n_training_pairs": int(training.sum()),
            "n_validation_decided": int(validation_decided.sum()),
            "features": features,
        }

    def finish(self, summary: dict, results: pd.DataFrame, pairs: pd.DataFrame, settings: FeaturesSettings,
               context: RunContext) -> dict:
        """With an LLM describer: each active feature's description and its fidelity, through the workspace's
        LLM cache, with progress and cancellation."""
        if settings.describer.strip() == KEYWORDS:
            return summary
        _, activations, _, a_texts, b_texts = feature_frame(results, pairs, settings.n_features)
        describe_features_with_llm(load_llm_backend(settings, context), summary["features"], activations, a_texts,
                                   b_texts, context=context)
        return summary


def feature_frame(results: pd.DataFrame, pairs: pd.DataFrame, n_features: int):
    """The per-pair columns joined to the pairs, the activation matrix, the A/B orientation and A's and B's texts."""
    merged = results.merge(pairs, on="pair_id", how="left", suffixes=("", "_pair"))
    activations = merged[[f"feature_{j}" for j in range(n_features)]].to_numpy(dtype=np.float64)
    orientation = merged["a_is_chosen"].astype(bool).to_numpy()
    a_texts = np.where(orientation, merged["chosen"].fillna(""), merged["rejected"].fillna("")).astype(str)
    b_texts = np.where(orientation, merged["rejected"].fillna(""), merged["chosen"].fillna("")).astype(str)
    return merged, activations, orientation, a_texts, b_texts


def _plain(value: Any) -> Any:
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    return value


# ---------------------------------------------------------------- fitting helpers

def mean_preference_direction(chosen_minus_rejected: np.ndarray, rows: np.ndarray) -> np.ndarray | None:
    """The unit mean of e(chosen) - e(rejected) over ``rows`` (None when it is zero or there are no rows)."""
    if not rows.any():
        return None
    mean = chosen_minus_rejected[rows].astype(np.float64).mean(axis=0)
    norm = np.linalg.norm(mean)
    return mean / norm if norm > 0 else None


def fit_pca_axes(training_differences: np.ndarray, differences: np.ndarray, n_axes: int) -> tuple[np.ndarray, dict]:
    """PCA of the (chosen-oriented) training differences, centred; every pair's e(A) - e(B) projected on the axes.

    Axes beyond the data's rank are zero columns."""
    centred = training_differences.astype(np.float64) - training_differences.astype(np.float64).mean(axis=0)
    _, singular_values, components = np.linalg.svd(centred, full_matrices=False)
    components = components[:n_axes]
    # A fixed sign per axis (largest-magnitude loading positive), so reruns agree whatever LAPACK returns.
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    components = components * np.where(signs == 0, 1, signs)[:, None]
    projections = np.zeros((len(differences), n_axes), dtype=np.float64)
    projections[:, :len(components)] = differences.astype(np.float64) @ components.T
    return projections, {"components": components, "singular_values": singular_values[:n_axes]}


def fit_sparse_features(differences: np.ndarray, training: np.ndarray, validation: np.ndarray,
                        settings: FeaturesSettings, device: str, context: RunContext) -> tuple[np.ndarray, dict]:
    from analyzers import sae

    config = sae.SAEConfig(n_features=settings.n_features, k=settings.k, prefixes=settings.prefixes(),
                           learning_rate=settings.learning_rate, batch_size=settings.sae_batch_size,
                           max_epochs=settings.max_epochs, patience=settings.patience, seed=settings.seed,
                           aux_coefficient=settings.dead_latent_loss, device=device)
    trained = sae.train_sae(differences[training], differences[validation], config, progress=context.progress,
                            check_cancelled=context.check_cancelled)
    codes = sae.encode(differences, trained, device=device)
    return codes.astype(np.float64), {"sae": trained}


def reference_probe_scores(differences: np.ndarray, orientation: np.ndarray, rows: np.ndarray, seed: int) -> np.ndarray:
    """Log-odds that A is preferred from an L2 logistic probe (C = 1) on standardized e(A) - e(B), fit on ``rows``
    (at most REFERENCE_PROBE_MAX_PAIRS of them, a seeded sample); NaN when the rows hold one class only."""
    from sklearn.linear_model import LogisticRegression

    index = np.flatnonzero(rows)
    if len(index) > REFERENCE_PROBE_MAX_PAIRS:
        index = np.sort(np.random.default_rng(seed).choice(index, REFERENCE_PROBE_MAX_PAIRS, replace=False))
    if len(index) < 2 or len(np.unique(orientation[index])) < 2:
        return np.full(len(differences), np.nan)
    X = differences.astype(np.float64)
    mean, spread = X[index].mean(axis=0), X[index].std(axis=0)
    spread[spread == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit((X[index] - mean) / spread, orientation[index])
    return model.decision_function((X - mean) / spread)


def total_variance(difference_norm: np.ndarray, chosen_mean_score: np.ndarray, rows: np.ndarray) -> float | None:
    """Total variance of the chosen-oriented training differences, from columns: mean ||d||^2 - ||mean d||^2,
    where ||mean d|| is the mean projection on the (unit) average direction."""
    if not rows.any():
        return None
    value = float(np.mean(difference_norm[rows] ** 2) - np.mean(chosen_mean_score[rows]) ** 2)
    return value if value > 0 else None


def pca_axis_report(z: np.ndarray, sign: np.ndarray, decided: np.ndarray, training: np.ndarray,
                    in_validation: np.ndarray, pair_ids: pd.Series, top_pairs: int) -> dict:
    """An axis (or its negation) as a standalone preference direction: sign chosen on the training pairs
    (the orientation that ranks more chosen responses higher), accuracy on the validation pairs; the pairs it
    favours the chosen side most (top) and least (bottom); chosen_score = the signed axis on e(chosen) - e(rejected)."""
    chosen_score = z * sign  # projection of e(chosen) - e(rejected)
    train_rows = training & decided
    axis_sign = 1.0 if not train_rows.any() or (chosen_score[train_rows] > 0).mean() >= 0.5 else -1.0
    val_rows = decided & in_validation & (chosen_score != 0)
    order = np.argsort(-axis_sign * chosen_score, kind="stable")
    usable = [i for i in order if decided[i]]
    return {
        "axis_sign": int(axis_sign),
        "axis_accuracy": float((axis_sign * chosen_score[val_rows] > 0).mean()) if val_rows.any() else None,
        "_axis_variance": float(np.var(chosen_score[train_rows])) if train_rows.any() else 0.0,
        "top_pairs": [{"pair_id": str(pair_ids.iloc[i]), "activation": float(z[i]),
                       "chosen_score": float(axis_sign * chosen_score[i])} for i in usable[:top_pairs]],
        "bottom_pairs": [{"pair_id": str(pair_ids.iloc[i]), "activation": float(z[i]),
                          "chosen_score": float(axis_sign * chosen_score[i])} for i in usable[::-1][:top_pairs]],
    }


# ---------------------------------------------------------------- LLM descriptions

def load_llm_backend(settings: FeaturesSettings, context: RunContext | None = None):
    """The describer's LLM backend (workbench/llm.py), answers cached in the workspace, the key read from the
    environment variable named in ``describer_api_key_env``."""
    from workbench.llm import get_backend

    options = {"cache_dir": context.cache_dir, "context": context} if context is not None else {}
    return get_backend(settings.describer, api_key_env=settings.describer_api_key_env, device=settings.device,
                       **options)


def describe_features_with_llm(backend, features: list[dict], activations: np.ndarray, a_texts: np.ndarray,
                               b_texts: np.ndarray, seed: int = 0, context: RunContext | None = None) -> None:
    """Add 'llm_description', 'fidelity' and 'fidelity_judgements' to each active feature's record, in place.

    Fidelity judges up to LLM_FIDELITY_PAIRS pairs: the top-activating half (swapped so the feature is in A)
    and a seeded sample of inactive pairs."""
    rng = np.random.default_rng(seed)
    for done, record in enumerate(features):
        if context is not None:
            context.check_cancelled()
            context.progress(done, len(features), f"describing feature {done + 1} of {len(features)} with the LLM")
        z = activations[:, record["feature"]]
        top = [i for i in np.argsort(-np.abs(z), kind="stable") if z[i] != 0]
        if not top:
            record.update(llm_description=None, fidelity=None, fidelity_judgements=0)
            continue
        examples = [(a_texts[i], b_texts[i]) if z[i] > 0 else (b_texts[i], a_texts[i]) for i in top[:LLM_DESCRIBE_EXAMPLES]]
        concept = feature_stats.describe_feature_with_llm(backend, examples)
        record["llm_description"] = concept
        if concept is None:
            record.update(fidelity=None, fidelity_judgements=0)
            continue
        half = LLM_FIDELITY_PAIRS // 2
        inactive = np.flatnonzero(z == 0)
        sampled = rng.choice(inactive, min(half, len(inactive)), replace=False) if len(inactive) else []
        judged = [(a_texts[i], b_texts[i], abs(z[i])) if z[i] > 0 else (b_texts[i], a_texts[i], abs(z[i]))
                  for i in top[:half]]
        judged += [(a_texts[i], b_texts[i], 0.0) for i in sampled]
        record["fidelity"], record["fidelity_judgements"] = feature_stats.llm_fidelity(backend, concept, judged)
