"""The `principles` and `traits` analyzers end to end against the local OpenAI-compatible test server, whose
rule-following responder (tests/fake_openai_server.py) makes the right answers known: per-pair votes are
checked against the rules applied here directly, summary metrics against a loop over the columns, and the
AnnotatedPairs export against the stored votes."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import write_jsonl
from tests.fake_openai_server import FakeOpenAIServer, rule_side
from workbench.llm import clear_memory_cache

ROOT = Path(__file__).resolve().parents[2]
BULLETED = "Select the response that uses a bulleted list."


def sample_rows() -> list[dict]:
    truth = json.loads((ROOT / "sample_data" / "ground_truth.json").read_text())
    rows = {r["id"]: r for r in map(json.loads, (ROOT / "sample_data" / "preferences.jsonl").read_text().splitlines())}
    ids = (truth["principles"]["bulleted_list"]["ids"][:10] + truth["principles"]["polite"]["ids"][:6]
           + [i for i in truth["length_bias_ids"][:6]] + truth["tie_ids"][:1])
    return [rows[i] for i in ids]


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory):
    from workbench import jobs
    from workbench.workspace import WorkspaceStore

    clear_memory_cache()
    folder = tmp_path_factory.mktemp("icai")
    store = WorkspaceStore(folder / "ws")
    store.load(str(write_jsonl(folder / "pairs.jsonl", sample_rows())))
    with FakeOpenAIServer() as server:
        settings = {"backend": server.spec(), "max_pairs": 20, "repetitions": 2, "heldout_fraction": 0.25,
                    "constitution_size": 3, "principles_per_call": 2, "seed": 3}
        info, reused = jobs.analyze(store, "principles", settings)
        trait_info, _ = jobs.analyze(store, "traits", {
            "backend": server.spec(), "max_pairs": 0, "repetitions": 1, "bootstrap": 200,
            "traits": ("uses_lists: uses a bulleted list", "polite: is more polite", "verbose: is longer", "odd: rhymes")})
        n_requests = len(server.requests)
    yield store, info, trait_info, n_requests
    store.close()


def results(store, analyzer: str) -> pd.DataFrame:
    run = store.active_runs()[analyzer]
    frame = store.sql_df(f"SELECT r.*, p.chosen, p.rejected, p.label FROM result_{analyzer} r JOIN pairs p USING (pair_id) "
                         "WHERE run_id = ?", [run.run_id])
    return frame


def expected_vote(principle: str, chosen: str, rejected: str) -> str:
    side = rule_side(principle, chosen, rejected)  # chosen shown as A
    return {"A": "agree", "B": "disagree", "neither": "abstain"}[side]


def test_roles_and_sample(analyzed):
    store, info, _, _ = analyzed
    frame = results(store, "principles")
    roles = frame.set_index("pair_id")["role"]
    assert (roles[frame.set_index("pair_id")["label"] == "tie"] == "tie").all()
    assert (roles == "train").sum() == 15 and (roles == "heldout").sum() == 5 and (roles == "not_sampled").sum() == 2
    assert info.summary["sampled_pairs"] == 20 and info.summary["heldout_pairs"] == 5


def test_constitution_recovers_the_planted_list_principle(analyzed):
    store, info, _, _ = analyzed
    constitution = [item["principle"] for item in info.summary["constitution"]]
    assert BULLETED in constitution
    candidates = {c["principle"]: c for c in info.summary["candidates"]}
    assert all(candidates[p]["passed"] and candidates[p]["selected"] for p in constitution)


def test_votes_follow_the_rules_pair_by_pair(analyzed):
    store, info, _, _ = analyzed
    frame = results(store, "principles")
    for slot, item in enumerate(info.summary["constitution"], start=1):
        for row in frame.itertuples():
            vote = getattr(row, f"principle_{slot}_vote")
            if row.role in ("train", "heldout"):
                assert vote == expected_vote(item["principle"], row.chosen, row.rejected), (row.pair_id, item)
            else:
                assert vote == "not_tested"
        counted = frame[f"principle_{slot}_vote"].value_counts()
        tested = frame[frame["role"].isin(["train", "heldout"])]
        assert item["agree"] == counted.get("agree", 0)
        assert item["strength"] == pytest.approx((counted.get("agree", 0) - counted.get("disagree", 0)) / len(tested))
    assert (frame["n_agree"] == sum((frame[f"principle_{s}_vote"] == "agree")
                                    for s in range(1, len(info.summary["constitution"]) + 1))).all()


def test_reconstruction_with_and_without_the_constitution(analyzed):
    store, info, _, _ = analyzed
    frame = results(store, "principles")
    heldout = frame[frame["role"] == "heldout"]
    # The stand-in judge follows the first deciding principle; without principles it always answers A.
    assert info.summary["reconstruction"]["constitution"]["pairs"] == len(heldout)
    by_loop = sum(v == "agree" for v in heldout["constitution_vote"]) / len(heldout)
    assert info.summary["reconstruction_agreement"] == pytest.approx(by_loop)
    assert set(heldout["baseline_vote"]) <= {"agree", "disagree"}
    assert info.summary["llm_invalid_answers"] == 0 and info.summary["invalid_answer_rate"] == 0


def test_a_second_run_asks_nothing_new(analyzed, tmp_path):
    store, info, _, n_requests = analyzed
    from workbench import jobs

    again, reused = jobs.analyze(store, "principles", info.settings)
    assert reused and again.run_id == info.run_id


def test_traits_strengths_match_hand_counts(analyzed):
    store, _, trait_info, _ = analyzed
    frame = results(store, "traits")
    decided = frame[frame["label"] != "tie"]
    traits = {t["annotator"]: t for t in trait_info.summary["traits"]}
    for name, principle in (("uses_lists", "uses a bulleted list"), ("polite", "is more polite"), ("verbose", "is longer")):
        expected = [expected_vote(principle, c, r) for c, r in zip(decided["chosen"], decided["rejected"])]
        assert decided[f"trait_{name}"].tolist() == expected
        strength = (expected.count("agree") - expected.count("disagree")) / len(expected)
        assert traits[name]["strength"] == pytest.approx(strength)
        assert traits[name]["strength_low"] <= strength <= traits[name]["strength_high"]
    assert traits["odd"]["relevance"] == 0
    assert trait_info.summary["traits"][0]["strength"] == max(t["strength"] for t in traits.values())
    assert set(trait_info.summary["by_slice"]["uses_lists"]) == {"style-pilot", "helpful-chat"}


def test_annotated_pairs_export_carries_the_votes(analyzed, tmp_path):
    from workbench.export import export
    from workbench.formats.annotated_pairs import annotator_id

    store, info, trait_info, _ = analyzed
    export(store, str(tmp_path / "out.json"), format="annotated-pairs")
    document = json.loads((tmp_path / "out.json").read_text())
    frame = results(store, "principles").set_index("pair_id")
    first = info.summary["constitution"][0]["principle"]
    description = f"ICAI principle ({info.settings['backend']}): {first}"
    key = annotator_id(description)
    assert document["annotators"][key]["description"] == description
    for comparison in document["comparisons"]:
        vote = frame.loc[comparison["id"], "principle_1_vote"]
        chosen_side = "b" if comparison["response_b"]["text"] == frame.loc[comparison["id"], "chosen"] and \
            comparison["response_a"]["text"] != comparison["response_b"]["text"] else "a"
        annotation = comparison["annotations"].get(key)
        if vote == "not_tested":
            assert annotation is None
        elif vote == "agree":
            assert annotation == {"pref": chosen_side}
        elif vote == "disagree":
            assert annotation == {"pref": "a" if chosen_side == "b" else "b"}
        else:
            assert annotation["pref"] is None
    trait_key = annotator_id(f"Trait annotator ({trait_info.settings['backend']}): Select the response that is more polite.")
    assert trait_key in document["annotators"]
    # and the file opens here again, every annotator kept
    from workbench.workspace import WorkspaceStore
    reopened = WorkspaceStore(tmp_path / "ws2")
    try:
        reopened.load(str(tmp_path / "out.json"))
        metadata = json.loads(reopened.scalar("SELECT metadata FROM pairs WHERE pair_id = ?", [comparison["id"]]))
        assert key in metadata.get("annotations", {}) or comparison["annotations"].get(key) is None
    finally:
        reopened.close()


def test_settings_errors_name_the_option():
    from analyzers.principles import PrinciplesAnalyzer
    from workbench.errors import AnalyzerError

    analyzer = PrinciplesAnalyzer()
    for values, option in (({"combine": "mean"}, "combine"), ({"backend": "gpt4"}, "backend"),
                           ({"heldout_fraction": 1.0}, "heldout_fraction"), ({"max_pairs": -1}, "max_pairs")):
        with pytest.raises(AnalyzerError, match=option):
            analyzer.settings_from_dict(values)


def test_estimate_counts_calls():
    from analyzers.principles import PrinciplesAnalyzer
    from tests.analyzers.test_common import sample_pairs

    analyzer = PrinciplesAnalyzer()
    settings = analyzer.settings_from_dict({"max_pairs": 4, "heldout_fraction": 0.25, "principles_per_pair": 3,
                                            "repetitions": 2, "principles_per_call": 10, "constitution_size": 5})
    estimate = analyzer.estimate(sample_pairs(), settings)
    # 4 decided pairs: 3 train, 1 held out; at most 9 candidates (3 x 3, under 20: one cluster each)
    assert estimate["calls_by_step"] == {"generation": 3, "testing": 2 * 3 * 1, "heldout testing": 2 * 1 * 1, "judging": 2}
    assert estimate["calls"] == 13 and estimate["prompt_tokens"] > 0


def test_heldout_split_keeps_each_prompt_on_one_side():
    from analyzers.principles import split_heldout_by_prompt

    pairs = pd.DataFrame({"pair_id": [f"p{i}" for i in range(40)],
                          "prompt": [f"Prompt {i // 4}" if i < 32 else f"  prompt {i // 4} " for i in range(40)]})
    heldout, train = split_heldout_by_prompt(pairs, pairs["pair_id"].tolist(), 0.25, seed=3)
    assert sorted(heldout + train) == sorted(pairs["pair_id"]) and not set(heldout) & set(train)
    prompt_of = dict(zip(pairs["pair_id"], pairs["prompt"].str.strip().str.lower()))
    assert not {prompt_of[p] for p in heldout} & {prompt_of[p] for p in train}
    assert 10 <= len(heldout) <= 13  # whole groups of 4 until a quarter is reached
    assert split_heldout_by_prompt(pairs, pairs["pair_id"].tolist(), 0.25, seed=3) == (heldout, train)
