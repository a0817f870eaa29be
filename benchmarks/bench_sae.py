"""Speed of the features analyzer's heavy parts; prints its figures.

1. SAE training on synthetic differences (default 100,000 x 384 on the CPU; `--device cuda --n 1000000 --dim 1024`
   on a GPU), with the analyzer's defaults (M = 32, K = 4, prefixes [8, 32], batch 256, early stopping).
2. The naive way on a subset: one optimizer step per sample with a per-sample top-k (no batching), timed on
   `--naive-steps` samples and compared per sample with the batched trainer.
3. Embedding throughput of the default encoder (all-MiniLM-L6-v2), texts per second (skip with --no-embeddings).

    python benchmarks/bench_sae.py                       # CPU figures
    python benchmarks/bench_sae.py --device cuda --n 1000000 --dim 1024 --no-embeddings
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzers import sae  # noqa: E402


def synthetic_differences(n: int, dim: int, n_concepts: int = 64, seed: int = 0) -> np.ndarray:
    """Sparse signed combinations of random concept directions plus noise (like embedding differences)."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(n_concepts, dim)).astype(np.float32)
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        rows = min(100_000, n - start)
        codes = rng.normal(size=(rows, n_concepts)).astype(np.float32) * (rng.random((rows, n_concepts)) < 4 / n_concepts)
        out[start:start + rows] = codes @ directions + 0.05 * rng.normal(size=(rows, dim)).astype(np.float32)
    return out


def naive_training_seconds_per_sample(data: np.ndarray, steps: int, config: sae.SAEConfig) -> float:
    """One sample per Adam step, top-k picked with a Python loop over that sample's latents."""
    import torch

    train = torch.from_numpy(data[:steps])
    params = {k: v.requires_grad_(True) for k, v in
              sae._initial_parameters(train, config, torch.Generator().manual_seed(0)).items()}
    optimizer = torch.optim.Adam(list(params.values()), lr=config.learning_rate)
    start = time.perf_counter()
    for row in train:
        pre = sae.pre_activations(row[None], params["pre_bias"], params["encoder_weight"], params["encoder_bias"])[0]
        values = pre.detach()
        magnitudes = [(abs(float(values[j])), j) for j in range(values.shape[0])]
        keep = [j for _, j in sorted(magnitudes, reverse=True)[:config.k]]
        mask = torch.zeros_like(pre)
        mask[keep] = 1.0
        loss = sae.matryoshka_loss(row[None], (pre * mask)[None], params["decoder_weight"], params["pre_bias"],
                                   config.prefixes)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        sae.normalize_decoder(params["decoder_weight"].data)
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--max-epochs", type=int, default=300)
    parser.add_argument("--naive-steps", type=int, default=2000)
    parser.add_argument("--no-embeddings", action="store_true")
    args = parser.parse_args()

    data = synthetic_differences(args.n, args.dim)
    validation = synthetic_differences(max(args.n // 5, 2), args.dim, seed=1)
    config = sae.SAEConfig(device=args.device, max_epochs=args.max_epochs, patience=3)
    start = time.perf_counter()
    trained = sae.train_sae(data, validation, config)
    seconds = time.perf_counter() - start
    samples = 2 * args.n * trained.epochs  # sign-flipped copies included
    print(f"SAE training ({args.device}): {args.n:,} x {args.dim} differences (+ flipped copies), M={config.n_features}, "
          f"K={config.k}: {seconds:.1f} s, {trained.epochs} epochs (best {trained.best_epoch}), "
          f"{samples / seconds:,.0f} samples/s, final validation loss {trained.history[trained.best_epoch - 1]['val_loss']:.4f}")
    if args.naive_steps:
        naive = naive_training_seconds_per_sample(data, args.naive_steps, config)
        batched = seconds / samples
        print(f"naive (one sample per step, per-sample top-k loop) on {args.naive_steps:,} samples: "
              f"{naive * 1e3:.3f} ms/sample vs batched {batched * 1e6:.2f} us/sample: batched is {naive / batched:,.0f}x faster; "
              f"the naive way would need {naive * samples / 60:,.1f} min for the same epochs")
    if not args.no_embeddings:
        from workbench.embeddings import embed_texts

        rng = np.random.default_rng(0)
        vocabulary = "the a response helps you with cooking travel code money health plants careers safety".split()
        texts = [" ".join(rng.choice(vocabulary, rng.integers(15, 60))) + f" #{i}" for i in range(2000)]
        embed_texts(texts[:16], device=args.device)  # load the model first
        start = time.perf_counter()
        embed_texts(texts, device=args.device)
        seconds = time.perf_counter() - start
        print(f"embedding throughput (all-MiniLM-L6-v2, {args.device}, no cache): {len(texts) / seconds:,.0f} texts/s "
              f"({len(texts):,} texts of 15-60 words in {seconds:.1f} s)")


if __name__ == "__main__":
    main()
