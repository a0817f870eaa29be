"""The real public data in ../shared/data (skipped in a fresh clone without it)."""
from __future__ import annotations

import gzip
import json

import pytest

from tests.conftest import SHARED_DATA, canonical, needs_shared
from workbench import query
from workbench.jobs import analyze

pytestmark = [needs_shared, pytest.mark.shared]
HH = SHARED_DATA / "hh-rlhf-harmless-base-test.jsonl.gz"
EBB = SHARED_DATA / "offsetbias-evalbiasbench.json"


def test_hh_rlhf_harmless_all_rows_with_the_prompt_split_off(store):
    report = store.load(str(HH))
    rows = [json.loads(line) for line in gzip.open(HH, "rt", encoding="utf-8")]
    assert report.format == "hh-rlhf" and report.loaded == len(rows) == 2312 and report.rejected == 0
    pairs = canonical(store)
    for row, pair in zip(rows, pairs):
        chosen, rejected = row["chosen"], row["rejected"]
        # Independent check: both transcripts are "<shared part>\n\nAssistant: <reply>", and the reply
        # found by the loader is exactly what follows the shared part.
        for transcript, response in ((chosen, pair["chosen"]), (rejected, pair["rejected"])):
            assert transcript.endswith(response)
            head = transcript[: len(transcript) - len(response)]
            assert head.endswith("\n\nAssistant:") or head.endswith("\n\nAssistant: ")
        shared_chosen = chosen[: len(chosen) - len(pair["chosen"])]
        shared_rejected = rejected[: len(rejected) - len(pair["rejected"])]
        assert shared_chosen == shared_rejected
        last_human = shared_chosen.rfind("\n\nHuman:")
        assert pair["prompt_messages"][-1]["role"] == "user"
        assert shared_chosen[last_human + len("\n\nHuman:"):].strip().startswith(pair["prompt_messages"][-1]["content"].strip()[:50])
    normal = [p for p in pairs if not p["metadata"].get("hh_multi_turn_response")]
    assert len(normal) == 2312 - 5  # five real rows carry a stray 'Human:' inside the final reply
    for pair in normal:
        assert "\n\nHuman:" not in pair["chosen"] and "\n\nHuman:" not in pair["rejected"]


def test_evalbiasbench_all_rows_and_categories(store):
    document = json.loads(EBB.read_text())
    report = store.load(str(EBB))
    pairs = canonical(store)
    assert report.loaded == sum(len(v) for v in document.values()) == 80
    expected = [(cat, r["response1"] if r["label"] == 1 else r["response2"]) for cat, rs in document.items() for r in rs]
    assert [(p["metadata"]["category"], p["chosen"]) for p in pairs] == expected


def test_hh_share_longer_wins_equals_an_independent_count(store):
    store.load(str(HH))
    run, _ = analyze(store, "basic", {"tokenizer": "regex"})
    import re

    wins = decided = 0
    for pair in canonical(store):
        c, r = (len(re.findall(r"\w+|[^\w\s]", t)) for t in (pair["chosen"], pair["rejected"]))
        if c != r:
            decided += 1
            wins += c > r
    assert run.summary["longer_wins_pairs"] == decided
    assert run.summary["longer_wins_share"] == pytest.approx(wins / decided)
    assert query.count(store) == 2312


@pytest.mark.slow
def test_hh_multi_turn_prompts_score_the_same_with_shared_prompts_as_one_sequence_each(store):
    """Real multi-turn HH-RLHF conversations through the embedded SmolLM2's chat template: the shared-prompt
    path (prompts' keys kept, responses batched on them) gives the plain path's log-probs and hidden sums."""
    import numpy as np

    from workbench.lm_scoring import ScoringOptions, score_pairs
    from workbench.models import load_causal_lm

    store.load(str(HH))
    pairs = store.sql_df("SELECT prompt, prompt_messages, chosen, rejected FROM pairs ORDER BY row_index LIMIT 12")
    assert pairs["prompt_messages"].map(lambda m: len(json.loads(m)) > 1).sum() >= 6  # mostly multi-turn
    loaded = load_causal_lm("default", device="cpu")
    shared = score_pairs(loaded, pairs, ScoringOptions(share_prompt=True, token_budget=2048), want_vectors=True)
    plain = score_pairs(loaded, pairs, ScoringOptions(share_prompt=False, token_budget=2048), want_vectors=True)
    for mine, theirs in ((shared.chosen, plain.chosen), (shared.rejected, plain.rejected)):
        np.testing.assert_allclose(mine.logprob_sum, theirs.logprob_sum, rtol=1e-4)
        np.testing.assert_allclose(mine.hidden_sum, theirs.hidden_sum, rtol=1e-4, atol=1e-2)
    assert not shared.chosen.truncated.any()
