"""Bias factor extraction speed: 100k synthetic pairs of realistic lengths, vectorized path vs a naive loop.

    python benchmarks/bench_bias.py [--pairs 100000] [--naive-pairs 2000] [--tokenizer regex]

The vectorized path is ``analyzers.bias_factors.pair_factors`` (what the analyzer runs; token counts with
the given tokenizer, no embeddings). The naive path computes the same factors with one Python loop per
response (the reference loop of tests/analyzers/test_bias.py) on a subset; its time is extrapolated to all
pairs and the ratio printed. Target: under 60 s for 100k pairs on a laptop CPU.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SENTENCES = [
    "Here is a practical way to think about it.", "It might depend on your budget and how much time you have.",
    "Preheat the oven to 200 degrees and let the pan get hot.", "I'm not able to help with that request.",
    "Great question, thanks for asking!", "The function returns a list of the matching rows.",
    "You should definitely check the documentation first.", "Sorry, I misread the question.",
    "Let me know if you would like more details.", "Water boils at a lower temperature at high altitude.",
    "See https://example.org/guide for the full list.", "This is **important** for beginners.",
]
MARKDOWN = ["- {s}", "1. {s}", "## {s}", "{s}", "{s}", "{s}"]


def synthetic_pairs(n: int, seed: int = 0) -> tuple[list[str], list[str], list[str]]:
    """Prompts of ~15 words and responses of 10-400 words (log-normal, median ~90), with some markdown."""
    rng = np.random.default_rng(seed)

    def response(words: int) -> str:
        lines, count = [], 0
        while count < words:
            sentence = SENTENCES[rng.integers(len(SENTENCES))]
            lines.append(MARKDOWN[rng.integers(len(MARKDOWN))].format(s=sentence))
            count += len(sentence.split())
        return "\n".join(lines) if rng.random() < 0.4 else " ".join(lines)

    lengths = np.clip(rng.lognormal(4.5, 0.8, size=(n, 2)), 10, 400).astype(int)
    prompts = [" ".join(SENTENCES[i] for i in rng.integers(len(SENTENCES), size=2)) for _ in range(n)]
    return prompts, [response(w) for w in lengths[:, 0]], [response(w) for w in lengths[:, 1]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--naive-pairs", type=int, default=2_000)
    parser.add_argument("--tokenizer", default="regex", help="'regex', 'all-MiniLM-L6-v2' or a tokenizer folder")
    args = parser.parse_args()

    from analyzers.basic import load_tokenizer
    from analyzers.bias_factors import pair_factors
    from tests.analyzers.test_bias import loop_factors

    started = time.perf_counter()
    prompts, chosen, rejected = synthetic_pairs(args.pairs)
    characters = sum(map(len, chosen)) + sum(map(len, rejected))
    print(f"generated {args.pairs:,} pairs ({characters / 2 / args.pairs:,.0f} characters per response on average) "
          f"in {time.perf_counter() - started:.1f} s")

    count_tokens = load_tokenizer(args.tokenizer)
    started, cpu_started = time.perf_counter(), time.process_time()
    pair_factors(prompts, chosen, rejected, count_tokens)
    vectorized, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"vectorized factors ({args.tokenizer} tokens): {vectorized:.1f} s wall, {cpu:.1f} s CPU for "
          f"{args.pairs:,} pairs ({args.pairs / vectorized:,.0f} pairs/s); target < 60 s")

    subset = min(args.naive_pairs, args.pairs)
    started, cpu_started = time.perf_counter(), time.process_time()
    for i in range(subset):
        for text in (chosen[i], rejected[i]):
            loop_factors(text, prompts[i])
    count_tokens(chosen[:subset] + rejected[:subset])
    naive = (time.perf_counter() - started) * args.pairs / subset
    naive_cpu = (time.process_time() - cpu_started) * args.pairs / subset
    print(f"naive per-response loop: {naive:.1f} s wall, {naive_cpu:.1f} s CPU, extrapolated from {subset:,} pairs")
    print(f"ratio naive / vectorized: {naive / vectorized:.1f}x wall, {naive_cpu / cpu:.1f}x CPU")


if __name__ == "__main__":
    main()
