"""Speed of the CHES / log-prob forward pass: our batched path against the naive way, in one run.

The naive way is what the paper's script does: one pair at a time, each side run separately, asking the model
for every layer's hidden states and the full logits. Ours (workbench/lm_scoring.py): each distinct prompt once
with its keys/values kept, responses in length-sorted micro-batches by token budget on those keys, only the
final hidden state, log-softmax only at response positions, float32 accumulation.

  python benchmarks/bench_likelihood.py cpu [--pairs 64] [--data FILE]
                                                                  # embedded SmolLM2 on the first pairs of the
                                                                  # sample (or any dataset file), this CPU
  python benchmarks/bench_likelihood.py sample                    # the ches job on all of sample_data, timed,
                                                                  # and how many planted near-duplicates rank top
  python benchmarks/bench_likelihood.py gpu [--shapes 0.5b,1.5b,8b] [--pairs 2000]
                                                                  # random-weight Llama shapes in bf16 on CUDA
Prints its figures and writes them as JSON under benchmarks/results/.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
SAMPLE = ROOT / "sample_data" / "preferences.jsonl"

# Llama-shaped configurations of common sizes (GQA, SwiGLU); weights are random. "tiny" smoke-tests the script.
SHAPES = {
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, vocab_size=1000, tie_word_embeddings=True),
    "0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                 num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True),
    "1.5b": dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12,
                 num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True),
    "8b": dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
               num_key_value_heads=8, vocab_size=128256, tie_word_embeddings=False),
}
# Dense bf16 tensor-core peaks (no sparsity), FLOP/s.
GPU_PEAKS = {"H100 SXM": 989.4e12, "H100 PCIe": 756.0e12, "H100": 989.4e12, "H200": 989.4e12, "A100": 312e12}


def naive_side(model, input_ids: list[int], response_start: int):
    """The paper's way for one sequence: all hidden states and full logits, then sums in float32."""
    import torch

    with torch.inference_mode():
        out = model(torch.tensor([input_ids], device=model.device), output_hidden_states=True)
    states = out.hidden_states[-1][0].float()
    logits = out.logits[0].float()
    positions = torch.arange(response_start - 1, len(input_ids) - 1, device=model.device)
    targets = torch.tensor(input_ids[response_start:], device=model.device)
    logprob = torch.log_softmax(logits[positions], dim=-1).gather(1, targets[:, None]).sum()
    return states[positions].sum(0), float(logprob)


def naive_ln_ches(model, pairs_of_sequences) -> tuple[np.ndarray, float]:
    import torch

    values = []
    start = time.perf_counter()
    for chosen, rejected in pairs_of_sequences:
        plus, _ = naive_side(model, chosen.input_ids, chosen.response_start)
        minus, _ = naive_side(model, rejected.input_ids, rejected.response_start)
        plus, minus = plus.double() / chosen.n_predicted, minus.double() / rejected.n_predicted
        values.append(float(plus @ minus - plus @ plus))
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return np.array(values), time.perf_counter() - start


def batched_ln_ches(loaded, sequences_chosen, sequences_rejected, options) -> tuple[np.ndarray, float]:
    import torch

    from analyzers.ches import ches_scores
    from workbench.lm_scoring import score_sequences

    start = time.perf_counter()
    scores = score_sequences(loaded, sequences_chosen + sequences_rejected, options, want_vectors=True)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    n = len(sequences_chosen)
    _, ln = ches_scores(scores.hidden_sum[:n], scores.hidden_sum[n:], scores.n_tokens[:n], scores.n_tokens[n:])
    return ln, elapsed


def work_ratio(model, chosen, rejected) -> float:
    """Model FLOPs of the naive way over the least our path can do: no padding, each distinct prompt once, the
    prompts' common prefix once, the LM head only where a response token is predicted (attention left out).
    The measured speedup over this ratio is how much faster than the naive way each FLOP runs."""
    from workbench.lm_scoring import common_prefix_length, prompt_groups

    head = model.get_output_embeddings().weight.numel()
    body = sum(p.numel() for p in model.parameters()) - model.get_input_embeddings().weight.numel()
    body -= 0 if model.config.tie_word_embeddings else head
    sequences = chosen + rejected
    naive = sum(len(s.input_ids) for s in sequences) * 2 * (body + head)
    prompts = [prompt for prompt, _ in prompt_groups(sequences)]
    prompt_tokens = sum(len(prompt) for prompt in prompts) - (len(prompts) - 1) * common_prefix_length(prompts)
    predicted = sum(s.n_predicted for s in sequences)
    least = (prompt_tokens + predicted) * 2 * body + predicted * 2 * head
    return naive / least


def report(name: str, figures: dict) -> None:
    figures = {"benchmark": name, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores", **figures}
    print(json.dumps(figures, indent=2))
    folder = ROOT / "benchmarks" / "results"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"likelihood-{name}.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")


# ---------------------------------------------------------------- CPU: the embedded model on sample pairs

def pairs_of(data: Path, count: int):
    """The first ``count`` preferred pairs of a dataset file, read through the workbench's own loader."""
    from workbench.workspace import WorkspaceStore

    with tempfile.TemporaryDirectory() as folder:
        store = WorkspaceStore(Path(folder) / "workspace")
        store.load(str(data))
        frame = store.sql_df("SELECT prompt, prompt_messages, chosen, rejected FROM pairs WHERE label = 'preferred' "
                             "ORDER BY dataset_id, row_index LIMIT ?", [count])
        store.close()
    return frame


def run_cpu(pairs: int, data: Path) -> None:
    from workbench.lm_scoring import ScoringOptions, encode_pairs
    from workbench.models import load_causal_lm

    frame = pairs_of(data, pairs)
    loaded = load_causal_lm("default", device="cpu")
    options = ScoringOptions()
    chosen = encode_pairs(loaded.tokenizer, frame, options, "chosen")
    rejected = encode_pairs(loaded.tokenizer, frame, options, "rejected")
    tokens = sum(len(s.input_ids) for s in chosen + rejected)
    batched_ln_ches(loaded, chosen[:4], rejected[:4], options)  # warm-up
    ours, ours_s = batched_ln_ches(loaded, chosen, rejected, options)
    naive, naive_s = naive_ln_ches(loaded.model, list(zip(chosen, rejected)))
    scale = np.abs(naive).max()
    prompt_tokens = sum(s.response_start for s in chosen)
    report("cpu" if data == SAMPLE else f"cpu-{data.name.split('.')[0]}", {
        "model": loaded.name, "data": data.name, "pairs": len(frame), "tokens": tokens,
        "mean_prompt_tokens": round(prompt_tokens / len(frame), 1),
        "mean_response_tokens": round((tokens - 2 * prompt_tokens) / (2 * len(frame)), 1),
        "naive_seconds": round(naive_s, 2), "batched_seconds": round(ours_s, 2),
        "naive_pairs_per_s": round(len(frame) / naive_s, 2), "batched_pairs_per_s": round(len(frame) / ours_s, 2),
        "naive_tokens_per_s": round(tokens / naive_s), "batched_tokens_per_s": round(tokens / ours_s),
        "speedup": round(naive_s / ours_s, 2), "work_ratio": round(work_ratio(loaded.model, chosen, rejected), 2),
        "max_ln_ches_difference_relative": float(np.abs(ours - naive).max() / scale),
    })


# ---------------------------------------------------------------- the ches job on all of sample_data

def run_sample() -> None:
    from workbench import jobs
    from workbench.workspace import WorkspaceStore

    truth = json.loads((ROOT / "sample_data" / "ground_truth.json").read_text(encoding="utf-8"))
    near_duplicates = set(truth["near_duplicate_ids"])
    with tempfile.TemporaryDirectory() as folder:
        store = WorkspaceStore(Path(folder) / "workspace")
        store.load(str(ROOT / "sample_data" / "preferences.jsonl"))
        last = [0.0]

        def progress(done: int, total: int, message: str) -> None:
            if time.perf_counter() - last[0] > 10 or done == total:
                last[0] = time.perf_counter()
                print(f"  {done}/{total} {message}", flush=True)

        start = time.perf_counter()
        info, _ = jobs.analyze(store, "ches", {"model": "default", "device": "cpu"}, progress=progress)
        elapsed = time.perf_counter() - start
        frame = store.sql_df(f"SELECT pair_id, ln_ches FROM result_ches WHERE run_id = '{info.run_id}'")
        store.close()
    from sklearn.metrics import roc_auc_score

    is_near = frame["pair_id"].isin(near_duplicates)
    ranks = frame["ln_ches"].rank(ascending=False)[is_near]
    hits = {f"near_duplicates_in_top_{k}_ln_ches": int(frame.nlargest(k, "ln_ches")["pair_id"].isin(near_duplicates).sum())
            for k in (25, 50, 100, 150)}
    report("sample", {
        "model": "SmolLM2-135M-Instruct (embedded)", "pairs": len(frame), "seconds": round(elapsed, 1),
        "near_duplicates_planted": len(near_duplicates),
        **hits, "worst_rank_of_a_near_duplicate": int(ranks.max()),
        "near_duplicate_auc_ln_ches": round(float(roc_auc_score(is_near, frame["ln_ches"])), 3),
        "median_ln_ches_near_duplicates": round(float(frame.loc[is_near, "ln_ches"].median()), 3),
        "median_ln_ches_others": round(float(frame.loc[~is_near, "ln_ches"].median()), 3),
        "base_rate": round(len(near_duplicates) / len(frame), 3),
    })


# ---------------------------------------------------------------- GPU: Llama shapes with random weights

@dataclass
class _Tokenizer:
    pad_token_id: int = 0
    eos_token_id: int = 2


def synthetic_sequences(rng, pairs: int, vocab: int, prompt_mean: int = 100, response_mean: int = 300):
    from workbench.lm_scoring import EncodedSequence

    def lengths(mean: int) -> np.ndarray:
        return np.clip(rng.normal(mean, mean * 0.3, pairs).astype(int), 8, mean * 3)

    prompts, chosen, rejected = lengths(prompt_mean), lengths(response_mean), lengths(response_mean)
    out = []
    for index in range(pairs):
        prompt = rng.integers(3, vocab, prompts[index]).tolist()
        sides = []
        for length in (chosen[index], rejected[index]):
            sides.append(EncodedSequence(prompt + rng.integers(3, vocab, length).tolist() + [2], len(prompt), False, False))
        out.append(tuple(sides))
    return out


def run_gpu(shapes: list[str], pairs: int, naive_pairs: int, token_budget: int, device: str = "cuda") -> None:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from workbench.lm_scoring import ScoringOptions
    from workbench.models import LoadedModel

    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("The gpu benchmark needs CUDA (use --device cpu --shapes tiny to smoke-test the script).")
    name = torch.cuda.get_device_name() if device == "cuda" else "cpu (smoke test)"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    peak = next((value for key, value in GPU_PEAKS.items() if key.replace(" ", "").lower() in name.replace(" ", "").lower()),
                989.4e12)
    results = {"gpu": name, "peak_bf16_flops": peak, "pairs": pairs, "shapes": {}}
    rng = np.random.default_rng(0)
    for shape in shapes:
        config = LlamaConfig(**SHAPES[shape], max_position_embeddings=4096, pad_token_id=0, eos_token_id=2,
                             bos_token_id=1)
        torch.manual_seed(0)
        with torch.device(device):
            model = LlamaForCausalLM(config).to(dtype).eval()
        params = sum(p.numel() for p in model.parameters())
        non_embedding = params - model.get_input_embeddings().weight.numel()
        loaded = LoadedModel(model, _Tokenizer(), device, dtype, f"random-llama-{shape}")
        sequences = synthetic_sequences(rng, pairs, config.vocab_size)
        chosen = [c for c, _ in sequences]
        rejected = [r for _, r in sequences]
        tokens = sum(len(s.input_ids) for s in chosen + rejected)
        options = ScoringOptions(max_length=4096, token_budget=token_budget)
        batched_ln_ches(loaded, chosen[:8], rejected[:8], options)  # warm-up
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        ours, ours_s = batched_ln_ches(loaded, chosen, rejected, options)
        peak_memory = torch.cuda.max_memory_allocated() if device == "cuda" else 0
        subset = sequences[:naive_pairs]
        naive_ln_ches(model, subset[:2])  # warm-up
        naive, naive_s = naive_ln_ches(model, subset)
        naive_total = naive_s * pairs / len(subset)
        flops = 2 * params * tokens  # the definition: 2 x parameters x tokens
        results["shapes"][shape] = {
            "parameters": params, "non_embedding_parameters": non_embedding, "tokens": tokens,
            "batched_seconds": round(ours_s, 2), "batched_pairs_per_s": round(pairs / ours_s, 1),
            "batched_tokens_per_s": round(tokens / ours_s), "mfu": round(flops / ours_s / peak, 3),
            "mfu_non_embedding": round(2 * non_embedding * tokens / ours_s / peak, 3),
            "naive_seconds_extrapolated": round(naive_total, 1), "naive_pairs_measured": len(subset),
            "speedup": round(naive_total / ours_s, 1), "work_ratio": round(work_ratio(model, chosen, rejected), 2),
            "peak_gpu_memory_gib": round(peak_memory / 2**30, 2),
            "max_ln_ches_difference_relative": float(np.abs(ours[:len(subset)] - naive).max() / max(np.abs(naive).max(), 1e-12)),
        }
        print(shape, results["shapes"][shape], flush=True)
        del model, loaded
        if device == "cuda":
            torch.cuda.empty_cache()
    report("gpu" if device == "cuda" else "gpu-smoke", results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["cpu", "sample", "gpu"])
    parser.add_argument("--pairs", type=int, default=None)
    parser.add_argument("--data", type=Path, default=SAMPLE, help="cpu: the dataset file whose first pairs run")
    parser.add_argument("--naive-pairs", type=int, default=100, help="gpu: pairs the naive way runs (extrapolated)")
    parser.add_argument("--shapes", default="0.5b,1.5b,8b")
    parser.add_argument("--token-budget", type=int, default=65536)
    parser.add_argument("--device", default="cuda", help="gpu mode: cuda, or cpu with --shapes tiny to smoke-test")
    args = parser.parse_args()
    if args.mode == "cpu":
        run_cpu(args.pairs or 64, args.data)
    elif args.mode == "sample":
        run_sample()
    else:
        run_gpu(args.shapes.split(","), args.pairs or 2000, args.naive_pairs, args.token_budget, args.device)


if __name__ == "__main__":
    main()
