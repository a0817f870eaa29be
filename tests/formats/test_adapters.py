"""Every registered adapter on its tiny fixture file: detected automatically, fields exact."""
from __future__ import annotations

import pytest

from tests.conftest import FIXTURES, canonical
from workbench.formats import registry
from workbench.loading import LoadOptions


def load(store, name, **options):
    report = store.load(str(FIXTURES / name), LoadOptions(**options))
    return report, canonical(store)


def test_every_registered_format_has_a_fixture_that_detects_as_it(store, tmp_path):
    fixture_of = {
        "trl": "trl_standard.jsonl", "hh-rlhf": "hh_rlhf.jsonl", "pairwise-text": "pairwise_text.csv",
        "alpaca-eval": "alpaca_eval.json", "arena": "arena.csv", "evalbiasbench": "evalbiasbench.json",
        "annotated-pairs": "annotated_pairs.json",
    }
    assert set(fixture_of) == set(registry()), "a new adapter needs a fixture here"
    from workbench.loading import PairReader

    for name, fixture in fixture_of.items():
        assert PairReader(str(FIXTURES / fixture)).adapter.name == name


def test_trl_standard_explicit_prompt(store):
    report, pairs = load(store, "trl_standard.jsonl")
    assert report.format == "trl" and report.loaded == 3
    first = pairs[0]
    assert (first["pair_id"], first["prompt"], first["chosen"], first["rejected"]) == ("q1", "What is the capital of France?", "Paris.", "Lyon.")
    assert (first["label"], first["source"], first["split"]) == ("preferred", "geo", "train")
    assert first["metadata"] == {"annotator": "ann-1"}
    assert first["prompt_messages"] is None
    tie = pairs[2]
    assert tie["label"] == "tie" and tie["chosen"] == "Hi!" and tie["rejected"] == "Hello!"
    assert tie["split"] is None and "tie" not in tie["metadata"]


def test_trl_conversational_explicit_prompt(store):
    _, pairs = load(store, "trl_conversational.jsonl")
    first = pairs[0]
    assert first["prompt_messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What color is the sky?"}]
    assert first["prompt"] == "System: Be brief.\n\nUser: What color is the sky?"
    assert (first["chosen"], first["rejected"]) == ("Blue.", "Green.")
    assert first["chosen_messages"] == [{"role": "assistant", "content": "Blue."}]
    assert pairs[1]["prompt"] == "2+2?"  # a lone user turn is its content
    assert first["metadata"] == {"model": "m1"}
    assert first["source"] == "trl_conversational"  # no source column: the file name


def test_trl_implicit_prompt_conversational_and_standard(store):
    _, pairs = load(store, "trl_implicit.jsonl")
    conversation, text = pairs
    assert conversation["prompt_messages"] == [{"role": "user", "content": "Tell me a fruit."}]
    assert (conversation["chosen"], conversation["rejected"]) == ("An apple.", "A rock.")
    assert text["prompt"] == "The sky is "
    assert (text["chosen"], text["rejected"]) == ("blue.", "green.")
    assert text["prompt"] + text["chosen"] == "The sky is blue."


def test_hh_rlhf_splits_the_shared_turns_off(store):
    report, pairs = load(store, "hh_rlhf.jsonl")
    assert report.format == "hh-rlhf"
    one, two = pairs
    assert one["prompt"] == "How do I boil an egg?"
    assert (one["chosen"], one["rejected"]) == ("Put it in boiling water for nine minutes.", "I don't know.")
    assert two["prompt_messages"] == [
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Tell me a joke."}]
    assert two["chosen"].startswith("Why did the chicken") and two["rejected"] == "No."


def test_pairwise_text_csv_positions_and_ties(store):
    _, pairs = load(store, "pairwise_text.csv")
    b_wins, a_wins, tie = pairs
    assert (b_wins["chosen"], b_wins["rejected"], b_wins["chosen_position"]) == ("A much longer, more detailed answer.", "Short answer.", "b")
    assert (a_wins["chosen_position"], a_wins["label"]) == ("a", "preferred")
    assert (tie["label"], tie["chosen"], tie["chosen_position"]) == ("tie", "Same quality A", None)
    assert b_wins["metadata"] == {"model_a": "small", "model_b": "large"}


def test_alpaca_eval_preferences(store):
    _, pairs = load(store, "alpaca_eval.json")
    two, one, tie = pairs
    assert two["chosen"].startswith("Rain falls softly") and two["chosen_position"] == "b"
    assert one["prompt"] == "Translate to French:\n\ncat" and one["chosen"] == "chat"
    assert tie["label"] == "tie"
    assert two["metadata"] == {"generator_1": "gpt-a", "generator_2": "gpt-b"}


def test_arena_one_hot_winner_and_json_turns(store):
    _, pairs = load(store, "arena.csv")
    a, b, tie = pairs
    assert a["pair_id"] == "30192" and a["prompt"] == "Is it morally right to kill mosquitoes?"
    assert (a["chosen"], a["rejected"], a["chosen_position"]) == ("It is a complex question.", "Yes.", "a")
    assert (b["chosen"], b["chosen_position"]) == ("4", "b")
    assert tie["label"] == "tie"
    assert a["metadata"] == {"model_a": "gpt-4", "model_b": "llama"}


def test_arena_conversation_logs(store):
    _, pairs = load(store, "arena_conversations.jsonl")
    first, tie = pairs
    assert first["prompt"] == "Name a planet." and first["chosen"] == "Mars." and first["chosen_position"] == "b"
    assert tie["label"] == "tie"
    assert first["metadata"]["model_b"] == "alpaca" and first["metadata"]["question_id"] == "c1"


def test_evalbiasbench_document_keeps_categories(store):
    report, pairs = load(store, "evalbiasbench.json")
    assert report.format == "evalbiasbench" and len(pairs) == 3
    assert [p["metadata"]["category"] for p in pairs] == ["length bias", "concreteness", "concreteness"]
    assert pairs[1]["chosen"] == "It ended in 1945." and pairs[1]["chosen_position"] == "b"


def test_annotated_pairs_keeps_every_annotator(store):
    report, pairs = load(store, "annotated_pairs.json")
    assert report.format == "annotated-pairs"
    first, second, tie = pairs
    assert first["pair_id"] == "ap1" and first["chosen"] == "DNS maps names to IP addresses."
    # the default annotator's vote is the label; every other annotator is kept
    assert first["metadata"]["annotations"] == {"0f1e2d3c": {"pref": "b"}}
    assert second["metadata"]["annotations"] == {"0f1e2d3c": {"pref": None, "no_pref_reason": "not_applicable"}}
    assert first["metadata"]["topic"] == "networking"
    assert second["chosen_position"] == "b" and second["chosen"] == "Hello there, friend!"
    assert tie["label"] == "tie" and tie["prompt"] == ""


def test_column_mapping_and_format_override(store, tmp_path):
    from tests.conftest import write_jsonl

    path = write_jsonl(tmp_path / "odd.jsonl", [{"question": "Q?", "good": "yes", "bad": "no", "grader": "g1"}])
    report = store.load(str(path), LoadOptions(format="trl", column_map={"prompt": "question", "chosen": "good", "rejected": "bad"}))
    pair = canonical(store)[0]
    assert report.loaded == 1 and (pair["prompt"], pair["chosen"], pair["rejected"]) == ("Q?", "yes", "no")
    assert pair["metadata"] == {"grader": "g1"}
    original = store.sql_rows("SELECT original FROM pairs")[0][0]
    assert '"question"' in original  # the original row keeps the file's own column names


def test_undetectable_file_names_its_columns(store, tmp_path):
    from tests.conftest import write_jsonl
    from workbench.errors import FormatError

    path = write_jsonl(tmp_path / "mystery.jsonl", [{"foo": 1, "bar": 2}])
    with pytest.raises(FormatError, match=r"mystery\.jsonl.*\['foo', 'bar'\].*--format"):
        store.load(str(path))
