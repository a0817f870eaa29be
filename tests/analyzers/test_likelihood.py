"""CHES, ln-CHES and log-probs from the batched path against a straightforward per-pair computation written
here independently (batch of one, no padding, the model asked for all hidden states and full logits), and the
properties of methods.md sections 1 and 2."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from analyzers import get_analyzer
from analyzers.base import RunContext
from analyzers.ches import ches_scores
from analyzers.margins import idealized_ranking_accuracy, margin_buckets, ranking_accuracy
from tests.tiny_models import tiny_model_folder
from workbench.errors import AnalyzerError
from workbench.lm_scoring import ScoringOptions, encode_pairs, score_pairs
from workbench.models import load_causal_lm

PAIRS = pd.DataFrame({
    "pair_id": ["p1", "p2", "p3", "p4", "p5"],
    "prompt": ["Explain rain.", "Hello there, how are you today?", "Tie?", "Paris is the capital.", "Unicode ✓"],
    "chosen": ["Water falls from clouds.", "I cannot help with that.", "Side A.",
               "Sure! Here is a list: - one - two - three. Thank you for asking, great question.", "naïve café – ok"],
    "rejected": ["It rains.", "The quick brown fox jumps over the lazy dog. " * 3, "Side A.", "Paris.", "naive cafe - ok"],
    "label": ["preferred", "preferred", "tie", "preferred", "preferred"],
    "prompt_messages": [None] * 5, "metadata": ["{}"] * 5,
})


def naive_side(loaded, prompt: str, response: str, template: bool):
    """One sequence, no padding, every layer's states requested, the way the paper's script does it."""
    tokenizer, model = loaded.tokenizer, loaded.model
    if template:
        prompt_text = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                                    add_generation_prompt=True)
        special = False
    else:
        prompt_text, special = prompt, True
    prompt_ids = tokenizer(prompt_text, add_special_tokens=special)["input_ids"]
    full_ids = tokenizer(prompt_text + response, add_special_tokens=special)["input_ids"] + [tokenizer.eos_token_id]
    assert full_ids[:len(prompt_ids)] == prompt_ids
    with torch.no_grad():
        out = model(torch.tensor([full_ids]), output_hidden_states=True)
    states = out.hidden_states[-1][0].double()
    logits = out.logits[0].double()
    predicting = range(len(prompt_ids) - 1, len(full_ids) - 1)
    hidden_sum = sum(states[k] for k in predicting)
    logprob = sum(torch.log_softmax(logits[k], dim=-1)[full_ids[k + 1]] for k in predicting)
    return hidden_sum.numpy(), float(logprob), len(predicting), states[-1].numpy()


def naive_ches(loaded, prompt, chosen, rejected, template):
    plus, lp_plus, n_plus, last_plus = naive_side(loaded, prompt, chosen, template)
    minus, lp_minus, n_minus, last_minus = naive_side(loaded, prompt, rejected, template)
    ches = plus @ minus - plus @ plus
    ln = (plus / n_plus) @ (minus / n_minus) - (plus / n_plus) @ (plus / n_plus)
    scale = max(plus @ plus, (plus / n_plus) @ (plus / n_plus))
    return dict(ches=ches, ln_ches=ln, chosen_logprob=lp_plus, rejected_logprob=lp_minus, chosen_tokens=n_plus,
                rejected_tokens=n_minus, last=last_plus @ last_minus, scale=scale)


@pytest.mark.parametrize("padding_side,share_prompt", [("left", False), ("right", False), ("right", True)])
@pytest.mark.parametrize("kind", ["causal", "causal-no-template"])
def test_batched_equals_per_pair(padding_side, share_prompt, kind):
    loaded = load_causal_lm(str(tiny_model_folder(kind)))
    template = kind == "causal"
    # A small token budget forces several micro-batches with mixed lengths and padding inside each.
    options = ScoringOptions(max_length=256, use_chat_template=True, token_budget=256, padding_side=padding_side,
                             share_prompt=share_prompt)
    scores = score_pairs(loaded, PAIRS, options, want_vectors=True)
    ches, ln_ches = ches_scores(scores.chosen.hidden_sum, scores.rejected.hidden_sum, scores.chosen.n_tokens,
                                scores.rejected.n_tokens)
    for row, pair in PAIRS.iterrows():
        expected = naive_ches(loaded, pair["prompt"], pair["chosen"], pair["rejected"], template)
        # CHES is a difference of large inner products: compare relative to their size.
        assert abs(ches[row] - expected["ches"]) <= 1e-4 * expected["scale"] + 1e-6
        assert abs(ln_ches[row] - expected["ln_ches"]) <= 1e-4 * expected["scale"] + 1e-6
        assert scores.chosen.logprob_sum[row] == pytest.approx(expected["chosen_logprob"], rel=1e-4)
        assert scores.rejected.logprob_sum[row] == pytest.approx(expected["rejected_logprob"], rel=1e-4)
        assert scores.chosen.n_tokens[row] == expected["chosen_tokens"]
        assert scores.rejected.n_tokens[row] == expected["rejected_tokens"]
        last = float(scores.chosen.last_hidden[row].astype(np.float64) @ scores.rejected.last_hidden[row])
        assert last == pytest.approx(expected["last"], rel=1e-4)
    assert not scores.chosen.truncated.any() and not scores.chosen.boundary_mismatch.any()


def test_ches_of_identical_responses_is_exactly_zero():
    loaded = load_causal_lm(str(tiny_model_folder("causal")))
    scores = score_pairs(loaded, PAIRS, ScoringOptions(token_budget=1024), want_vectors=True)
    ches, ln_ches = ches_scores(scores.chosen.hidden_sum, scores.rejected.hidden_sum, scores.chosen.n_tokens,
                                scores.rejected.n_tokens)
    assert ches[2] == 0.0 and ln_ches[2] == 0.0  # p3: chosen == rejected
    assert (ches[[0, 1, 3, 4]] != 0).all()


def test_orthogonal_and_asymmetry_properties():
    plus, minus = np.array([[3.0, 0.0, 0.0]]), np.array([[0.0, 5.0, 1.0]])
    ches, ln = ches_scores(plus, minus, np.array([2]), np.array([4]))
    assert ches[0] == -9.0 and ln[0] == -(1.5 ** 2)  # s- orthogonal to s+: CHES = -||s+||^2
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(20, 8)), rng.normal(size=(20, 8))
    n_a, n_b = rng.integers(1, 30, 20), rng.integers(1, 30, 20)
    forward, _ = ches_scores(a, b, n_a, n_b)
    backward, _ = ches_scores(b, a, n_b, n_a)
    # The chosen side is the centre: swapping sides changes CHES by ||s+||^2 - ||s-||^2.
    np.testing.assert_allclose(forward - backward, (b * b).sum(1) - (a * a).sum(1), rtol=1e-10)
    assert not np.allclose(forward, backward)


def test_truncation_is_reported_per_pair():
    loaded = load_causal_lm(str(tiny_model_folder("causal")))
    scores = score_pairs(loaded, PAIRS, ScoringOptions(max_length=16, token_budget=64), want_vectors=True)
    for side, result in (("chosen", scores.chosen), ("rejected", scores.rejected)):
        full_lengths = [len(seq.input_ids) for seq in encode_pairs(loaded.tokenizer, PAIRS, ScoringOptions(), side)]
        np.testing.assert_array_equal(result.truncated, [length > 16 for length in full_lengths])
        kept = [len(seq.input_ids) for seq in encode_pairs(loaded.tokenizer, PAIRS, ScoringOptions(max_length=16), side)]
        assert max(kept) <= 16 and (result.n_tokens >= 1).all()
    assert scores.rejected.truncated[1] and not scores.chosen.truncated[2]


def run_analyzer(name: str, settings: dict, pairs: pd.DataFrame = PAIRS, cache_dir=None) -> tuple[pd.DataFrame, dict]:
    analyzer = get_analyzer(name)
    parsed = analyzer.settings_from_dict(settings)
    context = RunContext(cache_dir=cache_dir)
    state = analyzer.prepare(pairs, parsed, context)
    out = analyzer.compute(pairs, parsed, state, context).reset_index(drop=True)
    out.insert(0, "pair_id", pairs["pair_id"].to_numpy())
    return out, analyzer.summarize(out, pairs, parsed)


def test_ches_analyzer_columns_match_the_scoring_pass():
    out, summary = run_analyzer("ches", {"model": str(tiny_model_folder("causal"))})
    loaded = load_causal_lm(str(tiny_model_folder("causal")))
    for row, pair in PAIRS.iterrows():
        expected = naive_ches(loaded, pair["prompt"], pair["chosen"], pair["rejected"], True)
        assert abs(out.loc[row, "ln_ches"] - expected["ln_ches"]) <= 1e-4 * expected["scale"] + 1e-6
        assert out.loc[row, "chosen_logprob"] == pytest.approx(expected["chosen_logprob"], rel=1e-4)
    assert out.loc[2, "edit_similarity"] == 0.0 and (out["edit_similarity"] <= 0).all()
    assert summary["ln_ches_median"] == pytest.approx(out["ln_ches"].median())


def test_logprob_analyzer_margins_and_accuracies():
    folder = str(tiny_model_folder("causal"))
    out, summary = run_analyzer("logprob", {"model": folder, "policy_model": folder, "strong_model": folder,
                                            "weak_model": folder, "ideal_betas": "0.1,1"})
    # policy == reference and strong == weak: both margins are exactly zero
    assert (out["dpo_margin"] == 0).all() and (out["density_ratio_margin"] == 0).all()
    decided = out[PAIRS["label"] != "tie"]
    margins = decided["chosen_logprob"] - decided["rejected_logprob"]
    assert summary["ranking_accuracy"] == pytest.approx(float(np.mean([m >= 0 for m in margins])))
    alpha = 0.75
    for beta in (0.1, 1.0):
        expected = np.mean([(m + (np.log(alpha) - np.log(1 - alpha)) / beta) > 0 for m in margins])
        assert summary["idealized_accuracy"][f"{beta:g}"] == pytest.approx(expected)
    np.testing.assert_allclose(out["chosen_logprob_mean"], out["chosen_logprob"] / out["chosen_tokens"])


def test_logprob_reuses_the_log_probs_of_a_ches_pass(tmp_path, monkeypatch):
    folder = str(tiny_model_folder("causal"))
    ches_out, _ = run_analyzer("ches", {"model": folder}, cache_dir=tmp_path)
    import workbench.lm_scoring as lm_scoring

    def no_forward(*args, **kwargs):
        raise AssertionError("a second forward pass ran")

    monkeypatch.setattr(lm_scoring, "score_sequences", no_forward)
    logprob_out, _ = run_analyzer("logprob", {"model": folder}, cache_dir=tmp_path)
    np.testing.assert_array_equal(logprob_out["chosen_logprob"], ches_out["chosen_logprob"])


def test_idealized_accuracy_in_log_space_and_alpha_clipping():
    margin = np.array([-3.0, -0.5, 0.2, 2.0])
    alpha = np.array([1.0, 0.6, 0.5, 0.2])
    beta = 0.5
    clipped = np.array([1 - 1e-3, 0.6, 0.5, 0.2])
    expected = np.mean([m + (1 / beta) * np.log(a / (1 - a)) > 0 for m, a in zip(margin, clipped)])
    assert idealized_ranking_accuracy(margin, alpha, beta) == expected
    assert ranking_accuracy(np.array([0.0, -1.0, np.nan, 2.0])) == pytest.approx(2 / 3)


def test_reward_margins_match_unpadded_calls_and_buckets():
    folders = [str(tiny_model_folder("reward")), str(tiny_model_folder("reward-2"))]
    out, summary = run_analyzer("reward", {"reward_models": ",".join(folders), "token_budget": 64,
                                           "max_length": 64, "ambiguous_margin": 0.05})
    from workbench.models import load_reward_model

    for number, folder in enumerate(folders, start=1):
        loaded = load_reward_model(folder)
        tokenizer = loaded.tokenizer
        for row, pair in PAIRS.iterrows():
            rewards = []
            for side in ("chosen", "rejected"):
                text = tokenizer.apply_chat_template([{"role": "user", "content": pair["prompt"]},
                                                      {"role": "assistant", "content": pair[side]}], tokenize=False)
                ids = tokenizer(text, add_special_tokens=False)["input_ids"][-64:]
                with torch.no_grad():
                    rewards.append(float(loaded.model(torch.tensor([ids])).logits[0, 0]))
            assert out.loc[row, f"margin_{number}"] == pytest.approx(rewards[0] - rewards[1], rel=1e-4, abs=1e-5)
    stacked = out[["margin_1", "margin_2"]].to_numpy()
    np.testing.assert_allclose(out["margin_mean"], stacked.mean(1))
    np.testing.assert_allclose(out["margin_std"], stacked.std(1))
    assert list(out["bucket"]) == list(margin_buckets(stacked.mean(1), 0.05))
    assert sum(summary["bucket_counts"].values()) == len(PAIRS)


def test_margin_buckets_boundaries():
    assert list(margin_buckets(np.array([-2.0, -0.5, 0.0, 0.5, 0.6, np.nan]), 0.5)) == [
        "likely_flipped", "ambiguous", "ambiguous", "ambiguous", "strong", None]


def test_direction_margin_is_the_projection_difference(tmp_path):
    positive = tmp_path / "refusals.txt"
    negative = tmp_path / "answers.txt"
    positive.write_text("I cannot help with that.\nSorry, I cannot do that.\n", encoding="utf-8")
    negative.write_text("Sure! Here is a list.\nParis is the capital.\n", encoding="utf-8")
    folder = str(tiny_model_folder("causal"))
    out, _ = run_analyzer("direction", {"model": folder, "positive_texts": str(positive),
                                        "negative_texts": str(negative)})
    loaded = load_causal_lm(folder)
    set1 = np.stack([naive_side(loaded, "", text, True)[3] for text in ["I cannot help with that.", "Sorry, I cannot do that."]])
    set2 = np.stack([naive_side(loaded, "", text, True)[3] for text in ["Sure! Here is a list.", "Paris is the capital."]])
    direction = set1.mean(0) - set2.mean(0)
    unit = direction / np.linalg.norm(direction)
    for row, pair in PAIRS.iterrows():
        chosen = naive_side(loaded, pair["prompt"], pair["chosen"], True)[3]
        rejected = naive_side(loaded, pair["prompt"], pair["rejected"], True)[3]
        assert out.loc[row, "direction_margin"] == pytest.approx((chosen - rejected) @ unit, rel=1e-4, abs=1e-4)


def test_missing_model_and_bad_settings_say_what_to_do():

    with pytest.raises(AnalyzerError, match="does not exist"):
        run_analyzer("ches", {"model": "./no/such/model"})
    with pytest.raises(AnalyzerError, match="strong_model"):
        get_analyzer("logprob").settings_from_dict({"strong_model": "x"})
    with pytest.raises(AnalyzerError, match="contrast"):
        get_analyzer("direction").settings_from_dict({})
    with pytest.raises(AnalyzerError, match="reward_models"):
        get_analyzer("reward").settings_from_dict({})


def test_shared_system_prefix_matches_the_plain_path():
    """Prompts that start with the same system block (run once) give the same scores as full sequences."""
    from workbench.lm_scoring import common_prefix_length, encode_pairs

    loaded = load_causal_lm(str(tiny_model_folder("causal")))
    system = [{"role": "system", "content": "You are a helpful assistant. Thank you for asking, great question."}]
    pairs = PAIRS.assign(prompt_messages=[
        json.dumps(system + [{"role": "user", "content": prompt}]) for prompt in PAIRS["prompt"]])
    prompts = [s.input_ids[:s.response_start] for s in encode_pairs(loaded.tokenizer, pairs, ScoringOptions(), "chosen")]
    assert common_prefix_length(prompts) > 10
    shared = score_pairs(loaded, pairs, ScoringOptions(share_prompt=True, token_budget=512), want_vectors=True)
    plain = score_pairs(loaded, pairs, ScoringOptions(share_prompt=False, token_budget=512), want_vectors=True)
    for mine, theirs in ((shared.chosen, plain.chosen), (shared.rejected, plain.rejected)):
        np.testing.assert_allclose(mine.logprob_sum, theirs.logprob_sum, rtol=1e-4)
        np.testing.assert_allclose(mine.hidden_sum, theirs.hidden_sum, rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(mine.last_hidden, theirs.last_hidden, rtol=1e-4, atol=1e-4)


def _varied_pairs(count: int) -> pd.DataFrame:
    """Pairs with prompts of many lengths (some prompts repeated) and responses of many lengths."""
    rng = np.random.default_rng(7)
    words = "water cloud rain sun wind river stone light tree bird".split()
    text = lambda n: " ".join(rng.choice(words, n))
    prompts = [text(int(rng.integers(1, 30))) for _ in range(count // 2)]
    return pd.DataFrame({
        "pair_id": [f"v{i}" for i in range(count)],
        "prompt": [prompts[i % len(prompts)] for i in range(count)],
        "chosen": [text(int(rng.integers(0, 25))) for _ in range(count)],
        "rejected": [text(int(rng.integers(0, 25))) for _ in range(count)],
        "label": ["preferred"] * count, "prompt_messages": [None] * count, "metadata": ["{}"] * count,
    })


def test_shared_prompt_chunks_and_sorted_response_batches_match_the_plain_path(monkeypatch):
    """Several chunks, several prompt and response micro-batches per chunk, prompts of different lengths in one
    response batch (its cache cropped to the widest): the same numbers as one plain sequence at a time."""
    import workbench.lm_scoring as scoring

    loaded = load_causal_lm(str(tiny_model_folder("causal")))
    pairs = _varied_pairs(30)
    options = dict(max_length=128, token_budget=128)
    sequences = encode_pairs(loaded.tokenizer, pairs, ScoringOptions(**options), "chosen")
    units = scoring.prompt_groups(sequences)
    monkeypatch.setattr(scoring, "CHUNK_BUDGETS", 2)
    assert len(scoring.prompt_length_chunks(units, 2 * 128)) > 1
    assert len(scoring.length_sorted_batches([len(p) for p, _ in units], 128)) > 1
    shared = score_pairs(loaded, pairs, ScoringOptions(share_prompt=True, **options), want_vectors=True)
    plain = score_pairs(loaded, pairs, ScoringOptions(share_prompt=False, **options), want_vectors=True)
    for mine, theirs in ((shared.chosen, plain.chosen), (shared.rejected, plain.rejected)):
        np.testing.assert_allclose(mine.logprob_sum, theirs.logprob_sum, rtol=1e-4)
        np.testing.assert_allclose(mine.hidden_sum, theirs.hidden_sum, rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(mine.last_hidden, theirs.last_hidden, rtol=1e-4, atol=1e-4)
    whole = [row for row in range(len(pairs)) if not (shared.chosen.truncated[row] or shared.rejected.truncated[row])]
    assert len(whole) >= 10
    for row in whole[:3]:
        expected = naive_ches(loaded, pairs["prompt"][row], pairs["chosen"][row], pairs["rejected"][row], True)
        assert shared.chosen.logprob_sum[row] == pytest.approx(expected["chosen_logprob"], rel=1e-4)
        assert shared.rejected.logprob_sum[row] == pytest.approx(expected["rejected_logprob"], rel=1e-4)


def test_length_sorted_batches_respect_both_budgets():
    from workbench.lm_scoring import length_sorted_batches

    lengths = [5, 40, 7, 40, 39, 1, 12, 12]
    context = [100, 10, 10, 10, 10, 300, 10, 10]
    batches = length_sorted_batches(lengths, 80, context)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        widest, deepest = max(lengths[i] for i in batch), max(context[i] for i in batch)
        assert len(batch) == 1 or (len(batch) * widest <= 80 and len(batch) * (widest + deepest) <= 160)
    assert [lengths[i] for batch in batches for i in batch] == sorted(lengths, reverse=True)


def test_out_of_memory_halves_the_work_and_the_run_goes_on(monkeypatch):
    import workbench.lm_scoring as scoring

    loaded = load_causal_lm(str(tiny_model_folder("causal")))
    pairs = _varied_pairs(12)
    options = ScoringOptions(max_length=64, token_budget=512)
    expected = score_pairs(loaded, pairs, options, want_vectors=True)
    real, calls = scoring._forward_shared, []

    def failing_once(loaded, units, want_vectors, outputs, token_budget, check_cancelled=None):
        calls.append((len(units), token_budget))
        if len(calls) == 1:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(loaded, units, want_vectors, outputs, token_budget, check_cancelled)

    monkeypatch.setattr(scoring, "_forward_shared", failing_once)
    got = score_pairs(loaded, pairs, options, want_vectors=True)
    assert calls[0][1] == 512 and calls[1][1] == 256 and calls[1][0] < calls[0][0]
    np.testing.assert_allclose(got.chosen.logprob_sum, expected.chosen.logprob_sum, rtol=1e-5)
    np.testing.assert_allclose(got.rejected.hidden_sum, expected.rejected.hidden_sum, rtol=1e-4, atol=1e-4)

    def always_failing(loaded, units, *args):
        raise RuntimeError("CUDA out of memory.")

    monkeypatch.setattr(scoring, "_forward_shared", always_failing)
    with pytest.raises(AnalyzerError, match="does not fit in memory"):
        score_pairs(loaded, pairs.head(1), ScoringOptions(max_length=64, token_budget=64), want_vectors=True)


def test_models_whose_cache_is_more_than_full_keys_and_values_take_the_plain_path():
    from transformers import (JambaConfig, JambaForCausalLM, LlamaConfig, LlamaForCausalLM, MistralConfig,
                              MistralForCausalLM)

    from workbench.lm_scoring import supports_shared_prompts

    small = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, vocab_size=100)
    assert supports_shared_prompts(LlamaForCausalLM(LlamaConfig(**small)))
    assert not supports_shared_prompts(MistralForCausalLM(MistralConfig(**small, sliding_window=8)))
    hybrid = JambaConfig(**small, attn_layer_period=2, attn_layer_offset=1, expert_layer_period=100, num_experts=1,
                         mamba_d_state=4, mamba_expand=2, mamba_dt_rank=4, use_mamba_kernels=False)
    assert not supports_shared_prompts(JambaForCausalLM(hybrid))  # state-space layers


def test_padding_positions_stay_within_each_rows_length():
    """A long prompt with a short response batched with a short prompt and a long response, on a model with a
    learned position table exactly max_length long: padding must not index past it."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from workbench.lm_scoring import EncodedSequence, score_sequences
    from workbench.models import LoadedModel

    tokenizer = load_causal_lm(str(tiny_model_folder("causal"))).tokenizer
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_positions=128, n_embd=32, n_layer=2,
                                       n_head=4)).eval()
    loaded = LoadedModel(model, tokenizer, "cpu", torch.float32, "tiny-gpt2")
    rng = np.random.default_rng(0)
    ids = lambda n: [int(x) for x in rng.integers(5, len(tokenizer), n)]
    long_prompt, short_prompt = [1] + ids(120), [1] + ids(20)
    sequences = [EncodedSequence(long_prompt + ids(3), len(long_prompt), False, False),
                 EncodedSequence(short_prompt + ids(100), len(short_prompt), False, False)]
    options = dict(max_length=128, token_budget=8192)  # a budget large enough to batch the two responses together
    shared = score_sequences(loaded, sequences, ScoringOptions(share_prompt=True, **options), want_vectors=True)
    plain = score_sequences(loaded, sequences, ScoringOptions(share_prompt=False, **options), want_vectors=True)
    np.testing.assert_allclose(shared.logprob_sum, plain.logprob_sum, rtol=1e-5)
    np.testing.assert_allclose(shared.hidden_sum, plain.hidden_sum, rtol=1e-4, atol=1e-4)


def test_a_chunks_kept_keys_are_bounded_padding_included():
    """One long prompt among many short ones: a chunk never keeps (prompts x longest prompt) above its limit."""
    from workbench.lm_scoring import prompt_length_chunks

    units = [([1] * 500, [(0, [2] * 5)])] + [([1] * 5 + [i], [(i, [2] * 3)]) for i in range(1, 2000)]
    chunks = prompt_length_chunks(units, 4096)
    assert sorted(i for chunk in chunks for i in chunk) == list(range(len(units)))
    for chunk in chunks:
        widest = max(len(units[i][0]) for i in chunk)
        real = sum(len(units[i][0]) + sum(len(r) for _, r in units[i][1]) for i in chunk)
        assert len(chunk) == 1 or (len(chunk) * widest <= 4096 and real <= 4096)
