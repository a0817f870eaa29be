"""`bias`: every factor against a plain per-response loop and hand examples; the analyzer on the sample data
(the planted length-biased source) and on HH-RLHF (share-longer-wins against an independent count)."""
from __future__ import annotations

import gzip
import json
import re

import numpy as np
import pandas as pd
import pytest

from analyzers import bias_factors
from analyzers.bias_factors import pair_factors
from tests.conftest import ROOT, SHARED_DATA, needs_shared, write_jsonl
from workbench import query
from workbench.errors import AnalyzerError
from workbench.jobs import analyze

FAST = {"tokenizer": "regex", "relevance_encoder": "none"}

TEXTS = [
    "Great question! Here is a list:\n- first item\n  * nested item\n1. numbered\n2) also numbered\n-not a list\n"
    "## A header\n####### not a header\n**bold** and __also bold__ and **unclosed\n"
    "```python\nprint('x')\n```\nSee [the docs](https://example.org/a) or https://example.com/b.\n"
    "Let me know if you want more details?",
    "I'm not able to help with that. Sorry, I apologize. As an AI I must decline. I can't wait though.",
    "",
    "the cat sat the cat sat the cat sat on the mat",
    "Naïve café 😀🎉 costs €5 — it might be fine, perhaps. It is definitely, absolutely certain!",
    "You're absolutely right, thanks for asking. I think it may usually work.  \n\n",
    "Why?",
    "   ",
]
PROMPTS = ["What is a list of cats?", "Help me pick a lock", "Empty?", "Where did the cat sit?",
           "Is the café naïve?", "Am I right?", "", "Blank"]


# ---------------------------------------------------------------- the per-response loop (written separately)

def loop_words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text.lower()).split()


def loop_factors(text: str, prompt: str) -> dict:
    lines = text.split("\n")
    list_items = 0
    headers = 0
    for line in lines:
        body = line.lstrip(" \t")
        marker = re.match(r"([-*+•]|\d{1,3}[.)])[ \t]+\S", body)
        list_items += marker is not None
        spaces = len(line) - len(line.lstrip(" \t"))
        hashes = len(body) - len(body.lstrip("#"))
        headers += spaces <= 3 and 1 <= hashes <= 6 and body[hashes:hashes + 1] in (" ", "\t") and bool(body[hashes:].strip())
    words = text.split()
    emojis = sum(any(low <= ord(c) <= high for low, high in bias_factors.EMOJI_RANGES) for c in text)
    sentences = max(1, len(re.findall(r"[.!?]+", text)))
    syllables = len(re.findall(r"[aeiouy]+", text.lower()))
    grade = 0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59 if words else 0.0
    tokens = loop_words(text)
    trigrams = list(zip(tokens, tokens[1:], tokens[2:]))
    seen, repeats = set(), 0
    for trigram in trigrams:
        repeats += trigram in seen
        seen.add(trigram)
    prompt_words = set(loop_words(prompt))
    return {
        "chars": len(text), "words": len(words), "list_items": list_items, "headers": headers,
        "bold": len(re.findall(bias_factors.BOLD_PATTERN, text)), "code_blocks": (text.count("```") + 1) // 2,
        "links": len(re.findall(bias_factors.LINK_PATTERN, text)), "emojis": emojis,
        "ends_with_question": text.rstrip().endswith("?"),
        "follow_up_offer": re.search(bias_factors.FOLLOW_UP_PATTERN, text.rstrip()[-200:]) is not None,
        "refusal_phrases": len(re.findall(bias_factors.REFUSAL_PATTERN, text)),
        "apology_phrases": len(re.findall(bias_factors.APOLOGY_PATTERN, text)),
        "hedging_rate": 100 * len(re.findall(bias_factors.HEDGING_PATTERN, text)) / len(words) if words else 0.0,
        "assertive_rate": 100 * len(re.findall(bias_factors.ASSERTIVE_PATTERN, text)) / len(words) if words else 0.0,
        "flattery": len(re.findall(bias_factors.FLATTERY_PATTERN, text)),
        "readability_grade": grade, "repetition": repeats / len(trigrams) if trigrams else 0.0,
        "prompt_overlap": len(prompt_words & set(tokens)) / len(prompt_words) if prompt_words else 0.0,
    }


def test_factors_equal_the_per_response_loop():
    chosen, rejected = pair_factors(PROMPTS, TEXTS, TEXTS[::-1], None)
    for side, texts in ((chosen, TEXTS), (rejected, TEXTS[::-1])):
        for row, (text, prompt) in enumerate(zip(texts, PROMPTS)):
            expected = loop_factors(text, prompt)
            for name, value in expected.items():
                assert side.loc[row, name] == pytest.approx(value), (name, text)


def test_factors_hand_examples():
    chosen, _ = pair_factors(PROMPTS, TEXTS, TEXTS, None)
    first = chosen.loc[0]
    assert (first["list_items"], first["headers"], first["bold"], first["code_blocks"], first["links"]) == (4, 1, 2, 1, 2)
    assert first["ends_with_question"] and first["follow_up_offer"] and first["flattery"] == 1
    refusal = chosen.loc[1]
    assert refusal["refusal_phrases"] == 3 and refusal["apology_phrases"] == 2  # "can't wait" is not a refusal
    assert chosen.loc[3, "repetition"] == pytest.approx(4 / 10)  # 10 trigrams; "the cat sat" x2, "cat sat the", "sat the cat" repeat
    assert chosen.loc[4, "emojis"] == 2
    assert chosen.loc[4, "hedging_rate"] == pytest.approx(100 * 2 / 16)  # might, perhaps; 16 words
    assert chosen.loc[4, "assertive_rate"] == pytest.approx(100 * 2 / 16)  # definitely, absolutely
    assert chosen.loc[3, "prompt_overlap"] == pytest.approx(2 / 5)  # where did the cat sit: the, cat
    empty = chosen.loc[2]
    assert empty[["chars", "words", "list_items", "readability_grade", "repetition"]].tolist() == [0, 0, 0, 0.0, 0.0]


def test_position_delta():
    values = pd.Series(["a", "B", None, "", "x"])
    assert bias_factors.position_delta(values).tolist() == [1.0, -1.0, 0.0, 0.0, 0.0]


def test_embedding_relevance_is_the_cosine(monkeypatch):
    vectors = {"p": [1.0, 0.0], "on topic": [2.0, 0.1], "off topic": [0.0, 3.0]}

    def fake_embed(texts, encoder, **kwargs):
        matrix = np.array([vectors[t] for t in texts], dtype=np.float32)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True) if kwargs.get("normalize") else matrix

    monkeypatch.setattr("workbench.embeddings.embed_texts", fake_embed)
    chosen, rejected = bias_factors.embedding_relevance(["p"], ["on topic"], ["off topic"], "default", device="cpu",
                                                        cache_dir=None, context=None)
    assert chosen[0] == pytest.approx(2.0 / np.hypot(2.0, 0.1), rel=1e-6) and rejected[0] == pytest.approx(0.0, abs=1e-7)


def test_settings_errors_name_the_option():
    from analyzers import get_analyzer

    analyzer = get_analyzer("bias")
    with pytest.raises(AnalyzerError, match="bias.bootstrap"):
        analyzer.settings_from_dict({"bootstrap": -1})
    with pytest.raises(AnalyzerError, match="bias.l2_penalty"):
        analyzer.settings_from_dict({"l2_penalty": 0})
    assert [c.name for c in analyzer.columns(analyzer.settings_from_dict(FAST)) if "relevance" in c.name] == []
    assert "delta_relevance" in [c.name for c in analyzer.columns(analyzer.default_settings())]


# ---------------------------------------------------------------- the analyzer on the sample data

@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    from workbench.workspace import WorkspaceStore

    store = WorkspaceStore(tmp_path_factory.mktemp("bias") / "ws")
    store.load(str(ROOT / "sample_data" / "preferences.jsonl"))
    run, _ = analyze(store, "bias", FAST)
    columns = ["pair_id", "label", "source", "chosen", "rejected"] + [f"bias.{c}" for c in run.columns]
    frame = query.fetch(store, columns=columns)
    frame.columns = [c.replace("bias.", "") for c in frame.columns]
    yield store, run, frame
    store.close()


def test_planted_length_bias_shows_only_in_its_source(sample_run):
    _, run, _ = sample_run
    truth = json.loads((ROOT / "sample_data" / "ground_truth.json").read_text())
    biased = truth["length_biased_source"]
    by_source = run.summary["by_source"]
    assert set(by_source) == set(truth["sources"])
    assert by_source[biased]["length_effect_low"] > 0
    for source, figures in by_source.items():
        if source != biased:
            assert figures["length_effect_low"] < 0 < figures["length_effect_high"], source


def test_columns_match_the_texts_and_the_definitions(sample_run):
    _, run, frame = sample_run
    for row in frame.head(60).itertuples():
        tokens = [len(re.findall(r"\w+|[^\w\s]", t)) for t in (row.chosen, row.rejected)]  # basic's regex tokenizer
        assert (row.chosen_tokens, row.rejected_tokens, row.delta_tokens) == (tokens[0], tokens[1], tokens[0] - tokens[1])
        assert row.delta_words == len(row.chosen.split()) - len(row.rejected.split())
    decided = frame["label"] != "tie"
    expected = (frame["delta_tokens"] > 0) & (frame["style_score"] < 0)
    assert (frame.loc[decided, "wins_only_on_length"].astype(bool) == expected[decided]).all()
    assert frame.loc[~decided, "wins_only_on_length"].isna().all()
    assert run.summary["wins_only_on_length_pairs"] == int(expected[decided].sum())
    # The planted bulleted-list principle: chosen has list items, rejected none, in every such pair.
    truth = json.loads((ROOT / "sample_data" / "ground_truth.json").read_text())
    listed = frame[frame["pair_id"].isin(truth["principles"]["bulleted_list"]["ids"])]
    assert (listed["chosen_list_items"] > 0).all() and (listed["rejected_list_items"] == 0).all()
    assert "list_items" in [f["factor"] for f in run.summary["top_factors"]]


def test_summary_is_recomputable_from_the_columns(sample_run):
    _, run, frame = sample_run
    decided = frame[frame["label"] != "tie"]
    unequal = decided[decided["delta_tokens"] != 0]
    assert run.summary["longer_wins_share"] == pytest.approx((unequal["delta_tokens"] > 0).mean())
    assert run.summary["mean_chosen_tokens"] == pytest.approx(decided["chosen_tokens"].mean())
    assert run.summary["ties"] == int((frame["label"] == "tie").sum())


# ---------------------------------------------------------------- real data

@needs_shared
def test_hh_share_longer_wins_equals_an_independent_count(store):
    path = SHARED_DATA / "hh-rlhf-harmless-base-test.jsonl.gz"
    store.load(str(path))
    run, _ = analyze(store, "bias", {**FAST, "bootstrap": 0})
    wins = decided = 0
    for line in gzip.open(path, "rt", encoding="utf-8"):
        row = json.loads(line)
        chosen, rejected = row["chosen"], row["rejected"]
        shared = 0  # the transcripts share everything up to the last "\n\nAssistant:" marker
        while shared < min(len(chosen), len(rejected)) and chosen[shared] == rejected[shared]:
            shared += 1
        cut = chosen.rfind("\n\nAssistant:", 0, shared + 1) + len("\n\nAssistant:")
        lengths = [len(re.findall(r"\w+|[^\w\s]", text[cut:].strip())) for text in (chosen, rejected)]
        if lengths[0] != lengths[1]:
            decided += 1
            wins += lengths[0] > lengths[1]
    assert run.summary["longer_wins_pairs"] == decided
    assert run.summary["longer_wins_share"] == pytest.approx(wins / decided)
