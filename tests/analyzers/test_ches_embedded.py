"""The ches analyzer with the embedded SmolLM2-135M-Instruct on sample pairs: the planted near-duplicates
(chosen and rejected differing in a few words) get the highest ln-CHES, as the method predicts."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analyzers import get_analyzer
from analyzers.base import RunContext

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_near_duplicates_rank_highest_by_ln_ches():
    truth = json.loads((ROOT / "sample_data" / "ground_truth.json").read_text(encoding="utf-8"))
    near = set(truth["near_duplicate_ids"])
    rows = [json.loads(line) for line in open(ROOT / "sample_data" / "preferences.jsonl", encoding="utf-8")]
    plain = [r for r in rows if isinstance(r["prompt"], str)]
    picked = [r for r in plain if r["id"] in near][:15] + [r for r in plain if r["id"] not in near][:25]
    pairs = pd.DataFrame({"pair_id": [r["id"] for r in picked], "prompt": [r["prompt"] for r in picked],
                          "chosen": [r["chosen"] for r in picked], "rejected": [r["rejected"] for r in picked],
                          "label": "preferred", "prompt_messages": None, "metadata": "{}"})
    analyzer = get_analyzer("ches")
    settings = analyzer.settings_from_dict({"model": "default", "device": "cpu"})
    seen = []
    context = RunContext(report=lambda done, total, message: seen.append(message))
    state = analyzer.prepare(pairs, settings, context)
    out = analyzer.compute(pairs, settings, state, context)
    out.insert(0, "pair_id", pairs["pair_id"].to_numpy())
    top = out.nlargest(15, "ln_ches")["pair_id"]
    assert top.isin(near).sum() >= 12, out.sort_values("ln_ches", ascending=False).head(20)
    assert not out["truncated"].any()
