"""The ICAI pieces on hand-made inputs: answer parsing, A/B undoing, combining repetitions, filtering and
the top n with diversity, clustering, and testing principles through a scripted backend."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzers import icai
from workbench.errors import AnalyzerError
from workbench.llm import INVALID, Backend


def test_parse_principles_keeps_only_the_asked_form():
    answer = 'Sure:\n```json\n["Select the response that is polite.", "Be nice", "select the response that IS polite", ' \
             '"Select the response that", 42]\n```'
    assert icai.parse_principles(answer, 3) == ["Select the response that is polite."]
    assert icai.parse_principles('["Be nice"]', 3) is INVALID
    assert icai.parse_principles("no json here", 3) is INVALID
    many = '["Select the response that a.", "Select the response that b.", "Select the response that c."]'
    assert len(icai.parse_principles(many, 2)) == 2


def test_parse_test_answer():
    assert icai.parse_test_answer('{"1": "A", "2": "b", "3": "Neither", "4": "both"}', 4) == ["a", "b", "neither", "both"]
    assert icai.parse_test_answer("{'1': 'A', '3': 'maybe'}", 3) == ["a", None, None]
    assert icai.parse_test_answer('["A", "B"]', 2) == ["a", "b"]
    assert icai.parse_test_answer('["A"]', 2) is INVALID
    assert icai.parse_test_answer("I think A", 1) is INVALID
    assert icai.parse_judge_answer('{"preferred": "B"}') == "b"
    assert icai.parse_judge_answer(" A. ") == "a"
    assert icai.parse_judge_answer('{"preferred": "both"}') is None
    assert icai.parse_judge_answer("Response A is better") is None


def test_answer_to_vote_undoes_the_order():
    assert icai.answer_to_vote("a", chosen_is_a=True) == "agree"
    assert icai.answer_to_vote("a", chosen_is_a=False) == "disagree"
    assert icai.answer_to_vote("b", chosen_is_a=False) == "agree"
    assert icai.answer_to_vote("both", True) == icai.answer_to_vote("neither", False) == "abstain"
    assert icai.answer_to_vote(None, True) == "invalid"


@pytest.mark.parametrize("votes, unanimity, majority", [
    (["agree", "agree", "agree"], "agree", "agree"),
    (["agree", "disagree", "agree"], "abstain", "agree"),
    (["agree", "disagree"], "abstain", "abstain"),
    (["agree", "invalid", "agree"], "invalid", "agree"),
    (["agree", "invalid", "disagree"], "abstain", "abstain"),
    (["invalid", "invalid"], "invalid", "invalid"),
    (["abstain", "abstain"], "abstain", "abstain"),
    (["disagree"], "disagree", "disagree"),
])
def test_combine_votes(votes, unanimity, majority):
    assert icai.combine_votes(votes, "unanimity") == unanimity
    assert icai.combine_votes(votes, "majority") == majority
    with pytest.raises(AnalyzerError, match="combine"):
        icai.combine_votes(votes, "average")


def test_filter_and_rank_by_hand():
    table = pd.DataFrame([
        # principle, agree, disagree, abstain, invalid
        ("strong", 8, 1, 1, 0),      # passes, score 7
        ("weak", 2, 0, 18, 0),       # relevance 0.1 -> passes (>=), score 2
        ("rare", 1, 0, 19, 0),       # relevance 0.05 -> fails
        ("against", 3, 5, 2, 0),     # against >= for -> fails
        ("noisy", 4, 0, 0, 6),       # invalid 0.6 -> fails
        ("tied", 3, 3, 4, 0),        # for == against -> fails
        ("untested", 0, 0, 0, 0),
    ], columns=["principle", "agree", "disagree", "abstain", "invalid"])
    ranked = icai.filter_and_rank(table, min_relevance=0.1, max_invalid_share=0.5)
    assert ranked.loc[ranked["passed"], "principle"].tolist() == ["strong", "weak"]
    reasons = dict(zip(ranked["principle"], ranked["reason"]))
    assert reasons["rare"].startswith("relevance") and reasons["against"] == reasons["tied"] == "against >= for"
    assert reasons["noisy"].startswith("invalid") and reasons["untested"] == "never tested"
    assert ranked.set_index("principle").loc["strong", "relevance"] == pytest.approx(0.9)


def test_top_with_diversity_keeps_the_best_of_each_group():
    ranked = pd.DataFrame({"principle": ["p1", "p1 again", "p2", "p3"], "passed": [True] * 4, "score": [9, 8, 7, 1]})
    vectors = {"p1": [1, 0], "p1 again": [0.99, 0.01], "p2": [0, 1], "p3": [-1, 0]}

    def embed(texts):
        return np.array([vectors[t] for t in texts], dtype=float)
    # size 2: the pool is the top ceil(3) = p1, p1 again, p2; two groups -> p1 (best of its group) and p2
    assert icai.top_with_diversity(ranked, 2, diversity=True, embed=embed, seed=0) == ["p1", "p2"]
    assert icai.top_with_diversity(ranked, 2, diversity=False, embed=None, seed=0) == ["p1", "p1 again"]
    assert icai.top_with_diversity(ranked, 5, diversity=True, embed=embed, seed=0) == ["p1", "p1 again", "p2", "p3"]


def test_cluster_count_and_pick_per_cluster():
    assert icai.cluster_count(0) == 0
    assert icai.cluster_count(12) == 12          # fewer than 20: every principle its own cluster
    assert icai.cluster_count(90) == 20          # paper's lower end
    assert icai.cluster_count(500) == 100        # a fifth
    assert icai.cluster_count(5000) == 160       # paper's upper end
    assert icai.cluster_count(50, requested=7) == 7
    points = np.array([[0, 0], [0, 0.1], [5, 5], [5, 5.1], [9, 0]], dtype=float)
    labels = icai.cluster_labels(points, 3, seed=0)
    assert labels[0] == labels[1] and labels[2] == labels[3] and len(set(labels)) == 3
    picked = icai.pick_per_cluster(["a", "b", "c", "d", "e"], labels, seed=0)
    assert len(picked) == 3 and "e" in picked and len({"a", "b"} & set(picked)) == 1
    assert picked == icai.pick_per_cluster(["a", "b", "c", "d", "e"], labels, seed=0)


class ScriptedBackend(Backend):
    """Answers testing prompts: principle 'likes A' always says A, 'likes chosen' names the chosen side."""

    kind = "scripted"

    def __init__(self, chosen_marker: str):
        super().__init__("scripted")
        self.chosen_marker = chosen_marker
        self.calls = 0

    def _generate(self, conversations, *, max_tokens, temperature, seed, message):
        import re
        out = []
        for conversation in conversations:
            self.calls += 1
            text = conversation[-1]["content"]
            chosen_side = "A" if re.search(r"<response_a>\n" + self.chosen_marker, text) else "B"
            listing = re.findall(r"^(\d+)\. (.*)$", text, flags=re.MULTILINE)
            answer = {}
            for number, principle in listing:
                if "likes A" in principle:
                    answer[number] = "A"
                elif "likes chosen" in principle:
                    answer[number] = chosen_side
                elif "garbled" in principle:
                    answer[number] = "perhaps"
                else:
                    answer[number] = "neither"
            out.append(str(answer))
        return out


def test_ask_principles_undoes_order_and_combines():
    pairs = [icai.PairTexts(f"p{i}", f"q{i}", "CHOSEN text", "other text") for i in range(12)]
    principles = ["Select the response that likes chosen", "Select the response that likes A",
                  "Select the response that is odd", "Select the response that is garbled"]
    backend = ScriptedBackend("CHOSEN")
    result = icai.ask_principles(backend, pairs, principles, repetitions=3, per_call=3, rule="unanimity", seed=1)
    # per pair: 3 repetitions x ceil(4 / 3) calls; a repeated identical prompt is answered from the cache
    assert (result.answers == 6).all() and backend.calls <= 12 * 3 * 2
    assert (result.votes[:, 0] == "agree").all()
    assert (result.votes[:, 2] == "abstain").all()
    assert (result.votes[:, 3] == "invalid").all()
    # "likes A" follows the random side: per repetition it agrees exactly when the chosen response was A
    for repetition in result.per_repetition:
        assert set(repetition[:, 1]) <= {"agree", "disagree"}
    expected = [icai.combine_votes([rep[row, 1] for rep in result.per_repetition], "unanimity") for row in range(12)]
    assert result.votes[:, 1].tolist() == expected
    assert "abstain" in expected  # the sides were really randomized
    assert (result.answers == 6).all() and (result.invalid_answers == 0).all()
