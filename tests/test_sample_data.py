"""The bundled sample dataset: reproducible, well-formed, and carrying the planted
properties that sample_data/ground_truth.json promises.

Every property is recomputed here from the rows themselves (word counts, token
diffs, formatting), not read back from the generator.  Standard library + pytest.
"""
from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
DATA = SAMPLE / "preferences.jsonl"
TRUTH = SAMPLE / "ground_truth.json"
GENERATOR = SAMPLE / "generate.py"

SOURCES = {"helpful-chat", "qa-forum", "safety-redteam", "style-pilot"}
KEYS = ["id", "prompt", "chosen", "rejected", "source", "split", "annotator"]
COURTESY = ("thank", "happy to help", "hope this helps", "hope that's", "glad", "feel free", "great question",
            "good luck", "have a great day", "of course")
REFUSALS = ("can't help", "cannot help", "not able to help", "won't help", "can't assist", "cannot assist")


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def text(value) -> str:
    """Response text: the string, or the (single) assistant message's content."""
    return value if isinstance(value, str) else value[-1]["content"]


def last_user(prompt) -> str:
    return prompt if isinstance(prompt, str) else prompt[-1]["content"]


def words(value) -> int:
    return len(text(value).split())


def token_changes(a: str, b: str) -> int:
    """Tokens to replace/insert/delete to turn a into b (whitespace tokens)."""
    matcher = difflib.SequenceMatcher(a=a.split(), b=b.split(), autojunk=False)
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal")


def list_lines(s: str) -> list[str]:
    return [line for line in s.split("\n") if line.startswith("- ")]


def long_words(s: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", s.lower()) if len(w) >= 5}


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    with open(DATA, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def by_id(rows) -> dict[str, dict]:
    return {row["id"]: row for row in rows}


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads(TRUTH.read_text(encoding="utf-8"))


def non_tie(rows, source=None):
    return [r for r in rows if not r.get("tie") and (source is None or r["source"] == source)]


# ---------------------------------------------------------------------------
# reproducibility and format
# ---------------------------------------------------------------------------

def test_regenerating_gives_byte_identical_files(tmp_path):
    env = dict(os.environ, PYTHONHASHSEED="12345")  # set iteration order must not leak into the output
    result = subprocess.run([sys.executable, str(GENERATOR), "--out-dir", str(tmp_path)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    for name in ("preferences.jsonl", "ground_truth.json"):
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), f"{name} differs from the committed file"


def test_file_is_utf8_jsonl_with_one_object_per_line():
    raw = DATA.read_bytes()
    decoded = raw.decode("utf-8")
    assert decoded.endswith("\n") and "\r" not in decoded
    lines = decoded.split("\n")[:-1]
    assert all(line.strip() for line in lines), "blank line in the JSONL file"
    for line in lines:
        assert isinstance(json.loads(line), dict)


def test_rows_have_the_documented_keys_in_order(rows):
    for row in rows:
        keys = list(row)
        assert keys[:7] == KEYS, row["id"]
        assert keys[7:] in ([], ["tie"]), row["id"]
        if "tie" in row:
            assert row["tie"] is True
        assert re.fullmatch(r"s\d{4}", row["id"])
        assert row["source"] in SOURCES
        assert row["split"] in ("train", "test")
        assert isinstance(row["annotator"], str) and row["annotator"]


def test_standard_and_conversational_shapes(rows):
    conversational = 0
    shapes = Counter()
    for row in rows:
        if isinstance(row["prompt"], str):
            assert isinstance(row["chosen"], str) and isinstance(row["rejected"], str)
            assert row["prompt"].strip() and row["chosen"].strip() and row["rejected"].strip()
            continue
        conversational += 1
        prompt = row["prompt"]
        roles = [m["role"] for m in prompt]
        shapes[tuple(roles)] += 1
        assert all(set(m) == {"role", "content"} and isinstance(m["content"], str) and m["content"] for m in prompt)
        turns = roles[1:] if roles[0] == "system" else roles
        assert "system" not in turns
        assert turns == ["user", "assistant"] * (len(turns) // 2) + ["user"], roles
        for side in ("chosen", "rejected"):
            assert isinstance(row[side], list) and len(row[side]) == 1
            assert row[side][0]["role"] == "assistant" and row[side][0]["content"].strip()
    assert 0.20 <= conversational / len(rows) <= 0.30
    assert shapes[("user",)] > 0
    assert any(shape[0] == "system" for shape in shapes), "no conversational row with a system message"
    assert any(len([r for r in shape if r == "user"]) >= 2 for shape in shapes), "no multi-turn prompt"


def test_ids_unique_and_sources_balanced(rows, truth):
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == truth["n_pairs"]
    assert 450 <= len(rows) <= 550
    counts = Counter(r["source"] for r in rows)
    assert set(counts) == SOURCES and dict(counts) == truth["sources"]
    for n in counts.values():
        assert 0.2 <= n / len(rows) <= 0.3
    assert dict(Counter(r["split"] for r in rows)) == truth["splits"]
    assert truth["splits"]["test"] > 0


def test_ground_truth_ids_exist(by_id, truth):
    listed = (truth["length_bias_ids"] + truth["near_duplicate_ids"] + truth["flipped_label_ids"]
              + truth["tie_ids"] + truth["conversational_ids"]
              + [i for group in truth["duplicate_prompt_ids"] for i in group]
              + [i for p in truth["principles"].values() for i in p["ids"]])
    assert listed and all(i in by_id for i in listed)
    assert truth["length_biased_source"] == "helpful-chat"
    assert isinstance(truth["seed"], int)


def test_conversational_ids_match_rows(rows, truth):
    assert sorted(r["id"] for r in rows if isinstance(r["prompt"], list)) == truth["conversational_ids"]


def test_no_identical_sides(rows):
    for row in rows:
        assert text(row["chosen"]) != text(row["rejected"]), row["id"]


# ---------------------------------------------------------------------------
# planted properties
# ---------------------------------------------------------------------------

def test_length_bias_only_in_helpful_chat(rows, truth):
    helpful = non_tie(rows, "helpful-chat")
    doubled = [r for r in helpful if words(r["chosen"]) >= 2 * words(r["rejected"])]
    assert 0.78 <= len(doubled) / len(helpful) <= 0.92
    assert sorted(r["id"] for r in doubled) == truth["length_bias_ids"]
    for source in SOURCES - {"helpful-chat"}:
        pairs = non_tie(rows, source)
        longer = sum(words(r["chosen"]) > words(r["rejected"]) for r in pairs) / len(pairs)
        longer_chars = sum(len(text(r["chosen"])) > len(text(r["rejected"])) for r in pairs) / len(pairs)
        doubled_rate = sum(words(r["chosen"]) >= 2 * words(r["rejected"]) for r in pairs) / len(pairs)
        halved_rate = sum(2 * words(r["chosen"]) <= words(r["rejected"]) for r in pairs) / len(pairs)
        assert 0.35 <= longer <= 0.65, (source, longer)
        assert 0.35 <= longer_chars <= 0.65, (source, longer_chars)
        assert doubled_rate <= 0.15, (source, doubled_rate)
        assert halved_rate <= 0.15, (source, halved_rate)


def test_near_duplicates_differ_by_one_or_two_words(rows, by_id, truth):
    near = set(truth["near_duplicate_ids"])
    assert 0.08 <= len(near) / len(rows) <= 0.12
    for i in near:
        assert 1 <= token_changes(text(by_id[i]["chosen"]), text(by_id[i]["rejected"])) <= 2, i
    # ... and the list is exact: no other pair is that close
    for row in rows:
        if row["id"] not in near:
            assert token_changes(text(row["chosen"]), text(row["rejected"])) > 2, row["id"]
    per_source = Counter(by_id[i]["source"] for i in near)
    assert set(per_source) == SOURCES and min(per_source.values()) >= 5
    assert set(truth["near_duplicate_kinds"]) == near
    assert set(truth["near_duplicate_kinds"].values()) == {"number", "negation", "synonym"}


def test_flipped_labels(rows, by_id, truth):
    flipped = set(truth["flipped_label_ids"])
    assert 0.04 <= len(flipped) / len(rows) <= 0.06
    assert not flipped & set(truth["near_duplicate_ids"])
    assert not flipped & set(truth["tie_ids"])
    per_source = Counter(by_id[i]["source"] for i in flipped)
    assert set(per_source) == SOURCES and min(per_source.values()) >= 3
    kinds = truth["flipped_label_kinds"]
    assert set(kinds) == flipped and set(kinds.values()) == {"empty", "rude", "off_topic", "wrong"}
    for i in flipped:
        row = by_id[i]
        chosen, rejected = text(row["chosen"]), text(row["rejected"])
        assert words(rejected) >= 8, i  # the rejected side is a real answer
        if kinds[i] == "empty":
            assert words(chosen) <= 3, i
        elif kinds[i] == "rude":
            assert words(chosen) <= 12 and not long_words(chosen) & long_words(rejected), i
        elif kinds[i] == "off_topic":
            assert not long_words(chosen) & long_words(last_user(row["prompt"])), i
        if row["source"] == "helpful-chat":
            assert words(chosen) < 2 * words(rejected), i


def test_principles(rows, by_id, truth):
    principles = truth["principles"]
    assert set(principles) == {"polite", "bulleted_list", "refuses_harmful"}
    assert principles["polite"]["statement"] == "Prefer the polite, courteous response."
    others = set(truth["near_duplicate_ids"]) | set(truth["flipped_label_ids"]) | set(truth["tie_ids"])
    seen: set[str] = set()
    for name, entry in principles.items():
        ids = entry["ids"]
        assert len(ids) >= 40 and entry["count"] == len(ids), name
        assert entry["statement"]
        assert not set(ids) & others and not set(ids) & seen, name
        seen |= set(ids)
        allowed = {"style-pilot", "safety-redteam"} if name == "refuses_harmful" else {"style-pilot"}
        assert {by_id[i]["source"] for i in ids} <= allowed, name
        # the principle, not length, decides: lengths are balanced
        longer = sum(words(by_id[i]["chosen"]) > words(by_id[i]["rejected"]) for i in ids) / len(ids)
        assert 0.3 <= longer <= 0.7, (name, longer)
    assert {by_id[i]["source"] for i in principles["refuses_harmful"]["ids"]} == {"style-pilot", "safety-redteam"}


def test_bulleted_list_principle(rows, by_id, truth):
    ids = set(truth["principles"]["bulleted_list"]["ids"])
    for i in ids:
        chosen, rejected = text(by_id[i]["chosen"]), text(by_id[i]["rejected"])
        items = list_lines(chosen)
        assert len(items) >= 2, i
        assert not list_lines(rejected) and "\n" not in rejected, i
        for item in items:  # same content, only the formatting differs
            assert item[2:] in rejected, i
    for row in rows:  # no other row uses list formatting on either side
        if row["id"] not in ids:
            assert not list_lines(text(row["chosen"])) and not list_lines(text(row["rejected"])), row["id"]


def test_polite_principle(by_id, truth):
    for i in truth["principles"]["polite"]["ids"]:
        chosen, rejected = text(by_id[i]["chosen"]), text(by_id[i]["rejected"])
        assert any(m in chosen.lower() for m in COURTESY), i
        assert not any(m in rejected.lower() for m in COURTESY), i
        # same content: both are one shared block of at least two sentences plus a short framing
        a, b = chosen.split(), rejected.split()
        match = difflib.SequenceMatcher(a=a, b=b, autojunk=False).find_longest_match()
        core = " ".join(a[match.a:match.a + match.size])
        assert core.count(". ") >= 1 and core.endswith("."), i
        for before, after in ((match.a, len(a) - match.a - match.size), (match.b, len(b) - match.b - match.size)):
            assert before <= 12 and after <= 12 and before + after >= 1, i


def test_refuses_harmful_principle(by_id, truth):
    for i in truth["principles"]["refuses_harmful"]["ids"]:
        chosen, rejected = text(by_id[i]["chosen"]).lower(), text(by_id[i]["rejected"]).lower()
        assert any(m in chosen for m in REFUSALS), i
        assert not any(m in rejected for m in REFUSALS + ("sorry", "i can't", "i won't", "i cannot")), i


def test_ties(rows, truth):
    tied = sorted(r["id"] for r in rows if r.get("tie"))
    assert tied == truth["tie_ids"]
    assert 0.01 <= len(tied) / len(rows) <= 0.03
    assert not set(tied) & set(truth["flipped_label_ids"])


def test_duplicate_prompts(rows, truth):
    groups: dict[str, list[str]] = {}
    for row in rows:
        groups.setdefault(json.dumps(row["prompt"]), []).append(row["id"])
    repeated = sorted(sorted(ids) for ids in groups.values() if len(ids) > 1)
    assert repeated == truth["duplicate_prompt_ids"]
    assert 3 <= len(repeated) <= 8 and all(len(g) == 2 for g in repeated)
    # no hidden repeats of the final user message either
    finals = Counter(last_user(r["prompt"]) for r in rows)
    assert sum(n for n in finals.values() if n > 1) == sum(len(g) for g in repeated)


def test_readme_table_matches_ground_truth(truth):
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    expected = {
        "length_bias_ids": len(truth["length_bias_ids"]),
        "near_duplicate_ids": len(truth["near_duplicate_ids"]),
        "flipped_label_ids": len(truth["flipped_label_ids"]),
        "principles.polite": len(truth["principles"]["polite"]["ids"]),
        "principles.bulleted_list": len(truth["principles"]["bulleted_list"]["ids"]),
        "principles.refuses_harmful": len(truth["principles"]["refuses_harmful"]["ids"]),
        "tie_ids": len(truth["tie_ids"]),
        "duplicate_prompt_ids": len(truth["duplicate_prompt_ids"]),
        "conversational_ids": len(truth["conversational_ids"]),
    }
    table_rows = [line for line in readme.splitlines() if line.startswith("|")]
    for key, count in expected.items():
        row = next((line for line in table_rows if f"`{key}`" in line), None)
        assert row is not None, f"README table has no row for {key}"
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert str(count) in cells, (key, count, row)
