"""The pieces of Inverse Constitutional AI (methods.md section 4), each a plain function tested on its own:
prompts and answer parsing, clustering and one principle per cluster, testing principles on pairs with
randomized A/B order over several repetitions, combining the repetitions, filtering, and the top-n with
diversity. ``analyzers/principles.py`` chains them; ``analyzers/traits.py`` reuses the testing step.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from analyzers.annotator_metrics import ABSTAIN, AGREE, DISAGREE, INVALID_VOTE
from workbench.errors import AnalyzerError
from workbench.llm import INVALID, Backend, parse_json_answer

PRINCIPLE_PREFIX = "Select the response that"
COMBINE_RULES = ("unanimity", "majority")
MAX_PRINCIPLE_WORDS = 25  # the prompt asks for at most 10; longer answers are dropped, not trimmed
SYSTEM_MESSAGE = "You are a careful annotator of AI assistant responses. You answer in JSON only."
_ANSWER_WORDS = {
    "a": "a", "response a": "a", "b": "b", "response b": "b", "both": "both", "neither": "neither",
    "none": "neither", "n/a": "neither", "na": "neither", "not applicable": "neither",
}


@dataclass(frozen=True)
class PairTexts:
    """The texts of one pair as the prompts show them (already truncated)."""

    pair_id: str
    prompt: str
    chosen: str
    rejected: str


def seeded_rng(*parts: object) -> np.random.Generator:
    """A generator that depends only on ``parts`` (seed, pair id, purpose), never on batch order."""
    digest = hashlib.md5("\x00".join(map(str, parts)).encode("utf-8")).hexdigest()
    return np.random.default_rng(int(digest[:16], 16))


def clip_text(text: str | None, max_chars: int) -> str:
    text = text or ""
    return text if len(text) <= max_chars else text[:max_chars] + " [...]"


def _pair_block(prompt: str, text_a: str, text_b: str) -> str:
    return (f"A user sent this prompt to an AI assistant:\n<prompt>\n{prompt}\n</prompt>\n\n"
            f"Response A:\n<response_a>\n{text_a}\n</response_a>\n\n"
            f"Response B:\n<response_b>\n{text_b}\n</response_b>\n\n")


def _sides(pair: PairTexts, chosen_is_a: bool) -> tuple[str, str]:
    return (pair.chosen, pair.rejected) if chosen_is_a else (pair.rejected, pair.chosen)


# ---------------------------------------------------------------- 1. generation

def generation_messages(pair: PairTexts, chosen_is_a: bool, n_principles: int) -> list[dict[str, str]]:
    """Ask for ``n_principles`` short general principles explaining why the preferred response won."""
    text_a, text_b = _sides(pair, chosen_is_a)
    preferred = "A" if chosen_is_a else "B"
    instruction = (
        f"A human annotator preferred Response {preferred}. Write {n_principles} short, general principles (at most 10 "
        "words each, not about this specific topic) that would explain this preference. Each principle must start "
        f"with \"{PRINCIPLE_PREFIX}\". Answer with a JSON list of strings only, for example: "
        f"[\"{PRINCIPLE_PREFIX} is more polite.\", \"{PRINCIPLE_PREFIX} answers the question directly.\"]")
    return [{"role": "system", "content": SYSTEM_MESSAGE},
            {"role": "user", "content": _pair_block(pair.prompt, text_a, text_b) + instruction}]


def normalize_principle(text: str) -> str:
    """The key two principles are the same under: case, spacing and a final period ignored."""
    return " ".join(text.lower().split()).rstrip(".").strip()


def parse_principles(answer: str | None, limit: int) -> list[str] | object:
    """The principles in a generation answer (at most ``limit``), or INVALID when none is usable.

    A usable principle is a string starting with "Select the response that" of at most 25 words; others are
    dropped, never rewritten."""
    value = parse_json_answer(answer, expect=list)
    if value is INVALID:
        return INVALID
    principles: list[str] = []
    seen: set[str] = set()
    for item in value:
        if isinstance(item, dict) and len(item) == 1:
            item = next(iter(item.values()))
        if not isinstance(item, str):
            continue
        text = " ".join(item.split())
        if not text.lower().startswith(PRINCIPLE_PREFIX.lower()) or len(text.split()) > MAX_PRINCIPLE_WORDS:
            continue
        if len(text.split()) <= len(PRINCIPLE_PREFIX.split()):
            continue  # the prefix alone says nothing
        key = normalize_principle(text)
        if key not in seen:
            seen.add(key)
            principles.append(text)
        if len(principles) == limit:
            break
    return principles if principles else INVALID


# ---------------------------------------------------------------- 2-3. clustering and one per cluster

def cluster_count(n_principles: int, requested: int = 0) -> int:
    """Clusters for ``n_principles`` distinct principles: the requested number, or (0 = auto) a fifth of them
    kept within the paper's 20 to 160, and never more clusters than principles."""
    if n_principles <= 0:
        return 0
    if requested > 0:
        return min(requested, n_principles)
    return min(n_principles, max(20, min(160, math.ceil(n_principles / 5))))


def cluster_labels(embeddings: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Seeded k-means labels (sklearn, 10 initialisations); every point its own cluster when k = n."""
    n = len(embeddings)
    if k <= 0 or n == 0:
        return np.zeros(n, dtype=int)
    if k >= n:
        return np.arange(n)
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, random_state=seed, n_init=10).fit_predict(np.asarray(embeddings, dtype=np.float64))


def pick_per_cluster(principles: Sequence[str], labels: Sequence[int], seed: int) -> list[str]:
    """One principle drawn at random (seeded) from each cluster, in cluster order."""
    labels = np.asarray(labels)
    picked = []
    for cluster in sorted(set(labels.tolist())):
        members = [p for p, label in zip(principles, labels) if label == cluster]
        picked.append(members[int(seeded_rng(seed, "cluster", cluster, len(members)).integers(len(members)))])
    return picked


# ---------------------------------------------------------------- 4. testing

def testing_messages(pair: PairTexts, chosen_is_a: bool, principles: Sequence[str]) -> list[dict[str, str]]:
    """Ask which response each principle selects: A, B, both or neither."""
    text_a, text_b = _sides(pair, chosen_is_a)
    listing = "\n".join(f"{i}. {principle}" for i, principle in enumerate(principles, start=1))
    instruction = (
        "For each principle below, say which response it selects: \"A\", \"B\", \"both\" (both satisfy it equally) or "
        "\"neither\" (it does not apply, or neither satisfies it).\n\n"
        f"Principles:\n{listing}\n\n"
        "Answer with a JSON object mapping each principle's number to its answer and nothing else, for example: "
        "{\"1\": \"A\", \"2\": \"neither\"}")
    return [{"role": "system", "content": SYSTEM_MESSAGE},
            {"role": "user", "content": _pair_block(pair.prompt, text_a, text_b) + instruction}]


def _answer_word(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return _ANSWER_WORDS.get(value.strip().strip(".").strip().lower())


def parse_test_answer(answer: str | None, n_principles: int) -> list[str | None] | object:
    """Per principle 'a' / 'b' / 'both' / 'neither', None where that entry is missing or unreadable; INVALID
    when the answer has no JSON object (or list of n answers) at all."""
    value = parse_json_answer(answer, expect=(dict, list))
    if value is INVALID:
        return INVALID
    if isinstance(value, list):
        if len(value) != n_principles:
            return INVALID
        return [_answer_word(item) for item in value]
    by_number: dict[int, object] = {}
    for key, item in value.items():
        match = re.fullmatch(r"\s*(?:principle\s*)?(\d+)\s*", str(key), flags=re.IGNORECASE)
        if match:
            by_number[int(match.group(1))] = item
    return [_answer_word(by_number.get(i)) for i in range(1, n_principles + 1)]


def answer_to_vote(answer: str | None, chosen_is_a: bool) -> str:
    """Undo the A/B order: a side becomes agree / disagree with the label; both / neither abstain."""
    if answer in ("a", "b"):
        return AGREE if (answer == "a") == chosen_is_a else DISAGREE
    if answer in ("both", "neither"):
        return ABSTAIN
    return INVALID_VOTE


def combine_votes(votes: Sequence[str], rule: str) -> str:
    """One vote from several repetitions.

    unanimity: every repetition gave the same valid vote -> that vote; valid votes differ -> abstain; otherwise
    (some invalid, the valid ones alike, or none valid) -> invalid.
    majority: the valid vote given by more than half of the valid repetitions; a tie -> abstain; none valid ->
    invalid."""
    if rule not in COMBINE_RULES:
        raise AnalyzerError(f"Setting 'combine' must be one of {', '.join(COMBINE_RULES)}, got '{rule}'.")
    valid = [vote for vote in votes if vote != INVALID_VOTE]
    if not valid:
        return INVALID_VOTE
    distinct = set(valid)
    if rule == "unanimity":
        if len(distinct) > 1:
            return ABSTAIN
        return valid[0] if len(valid) == len(votes) else INVALID_VOTE
    counts = {vote: valid.count(vote) for vote in distinct}
    best = max(counts.values())
    winners = [vote for vote, count in counts.items() if count == best]
    return winners[0] if len(winners) == 1 and best * 2 > len(valid) else ABSTAIN


@dataclass
class PrincipleVotes:
    """Combined votes (pairs x principles) and per pair how many answers were asked and how many unreadable."""

    votes: np.ndarray
    answers: np.ndarray
    invalid_answers: np.ndarray
    per_repetition: list[np.ndarray] = field(default_factory=list)


def ask_principles(backend: Backend, pairs: Sequence[PairTexts], principles: Sequence[str], *, repetitions: int,
                    per_call: int, rule: str, seed: int, temperature: float = 0.0, purpose: str = "test",
                    message: str = "testing principles") -> PrincipleVotes:
    """Ask, for every pair and principle, which response the principle selects.

    Each repetition reshuffles the principles into calls of at most ``per_call`` and draws a fresh A/B order per
    call (both seeded by pair id), then the repetitions are combined by ``rule``."""
    n_pairs, n_principles = len(pairs), len(principles)
    answers_asked = np.zeros(n_pairs, dtype=np.int64)
    answers_invalid = np.zeros(n_pairs, dtype=np.int64)
    if n_pairs == 0 or n_principles == 0:
        empty = np.empty((n_pairs, n_principles), dtype=object)
        return PrincipleVotes(empty, answers_asked, answers_invalid)
    per_repetition = []
    for repetition in range(repetitions):
        conversations, plan = [], []
        for row, pair in enumerate(pairs):
            rng = seeded_rng(seed, purpose, pair.pair_id, repetition)
            order = rng.permutation(n_principles)
            for start in range(0, n_principles, per_call):
                chunk = order[start:start + per_call]
                chosen_is_a = bool(rng.integers(2))
                conversations.append(testing_messages(pair, chosen_is_a, [principles[i] for i in chunk]))
                plan.append((row, chunk, chosen_is_a))
        max_tokens = 16 + 8 * min(per_call, n_principles)
        texts = backend.chat(conversations, max_tokens=max_tokens, temperature=temperature, seed=seed + repetition,
                             message=f"{message}, repetition {repetition + 1} of {repetitions}")
        votes = np.full((n_pairs, n_principles), INVALID_VOTE, dtype=object)
        for text, (row, chunk, chosen_is_a) in zip(texts, plan):
            parsed = parse_test_answer(text, len(chunk))
            answers_asked[row] += 1
            if parsed is INVALID:
                answers_invalid[row] += 1
                continue
            for index, answer in zip(chunk, parsed):
                votes[row, index] = answer_to_vote(answer, chosen_is_a)
        per_repetition.append(votes)
    combined = np.empty((n_pairs, n_principles), dtype=object)
    for row in range(n_pairs):
        for column in range(n_principles):
            combined[row, column] = combine_votes([votes[row, column] for votes in per_repetition], rule)
    return PrincipleVotes(combined, answers_asked, answers_invalid, per_repetition)


# ---------------------------------------------------------------- 5. filtering and the top n with diversity

def vote_table(principles: Sequence[str], votes: np.ndarray) -> pd.DataFrame:
    """Counts per principle (columns of ``votes``): agree (for), disagree (against), abstain, invalid."""
    rows = []
    for index, principle in enumerate(principles):
        column = votes[:, index] if len(votes) else np.array([], dtype=object)
        rows.append({"principle": principle, **{vote: int(np.sum(column == vote))
                                                for vote in (AGREE, DISAGREE, ABSTAIN, INVALID_VOTE)}})
    return pd.DataFrame(rows, columns=["principle", AGREE, DISAGREE, ABSTAIN, INVALID_VOTE])


def filter_and_rank(table: pd.DataFrame, *, min_relevance: float, max_invalid_share: float) -> pd.DataFrame:
    """Add total, relevance, invalid_share, score = agree - disagree, passed and a reason; sorted by score.

    A principle passes when agree > disagree, relevance = (agree + disagree) / total >= min_relevance, and
    invalid / total < max_invalid_share (invalid answers are a minority)."""
    out = table.copy()
    out["total"] = out[[AGREE, DISAGREE, ABSTAIN, INVALID_VOTE]].sum(axis=1)
    safe_total = out["total"].where(out["total"] > 0)
    out["relevance"] = (out[AGREE] + out[DISAGREE]) / safe_total
    out["invalid_share"] = out[INVALID_VOTE] / safe_total
    out["score"] = out[AGREE] - out[DISAGREE]
    reasons = []
    for row in out.itertuples():
        if row.total == 0:
            reasons.append("never tested")
        elif row.agree <= row.disagree:
            reasons.append("against >= for")
        elif row.relevance < min_relevance:
            reasons.append(f"relevance below {min_relevance:g}")
        elif row.invalid_share >= max_invalid_share:
            reasons.append(f"invalid share at or above {max_invalid_share:g}")
        else:
            reasons.append("")
    out["passed"] = [reason == "" for reason in reasons]
    out["reason"] = reasons
    return out.sort_values(["passed", "score", AGREE, "principle"], ascending=[False, False, False, True],
                           kind="mergesort").reset_index(drop=True)


def top_with_diversity(ranked: pd.DataFrame, size: int, *, diversity: bool,
                       embed: Callable[[list[str]], np.ndarray] | None, seed: int) -> list[str]:
    """The constitution: the top ``size`` passing principles; with diversity, the top ceil(1.5 size) are
    clustered into ``size`` groups and the best of each group is kept, ordered by score."""
    passing = ranked[ranked["passed"]]
    if size <= 0 or passing.empty:
        return []
    if not diversity or len(passing) <= size:
        return passing["principle"].head(size).tolist()
    if embed is None:
        raise AnalyzerError("Diversity needs principle embeddings; set 'diversity' to false or give an encoder.")
    pool = passing.head(math.ceil(1.5 * size)).reset_index(drop=True)
    labels = cluster_labels(embed(pool["principle"].tolist()), size, seed)
    # ``pool`` is sorted best first, so the first row of each cluster is its best principle.
    best_rows = sorted({int(label): index for index, label in reversed(list(enumerate(labels)))}.values())
    return pool.loc[best_rows, "principle"].tolist()


# ---------------------------------------------------------------- 6. the constitution-following annotator

def judge_messages(pair: PairTexts, chosen_is_a: bool, constitution: Sequence[str] | None) -> list[dict[str, str]]:
    """Ask which response is better, following ``constitution`` when given (the baseline has none)."""
    text_a, text_b = _sides(pair, chosen_is_a)
    rules = ""
    if constitution:
        rules = "Judge only by these principles, in this order of importance:\n" + "\n".join(
            f"{i}. {p}" for i, p in enumerate(constitution, start=1)) + "\n\n"
    instruction = rules + "Which response is better? Answer with JSON only: {\"preferred\": \"A\"} or {\"preferred\": \"B\"}"
    return [{"role": "system", "content": SYSTEM_MESSAGE},
            {"role": "user", "content": _pair_block(pair.prompt, text_a, text_b) + instruction}]


def parse_judge_answer(answer: str | None) -> str | None:
    """'a' or 'b', or None when the answer names no side (a bare "A" or "B" is read too)."""
    if answer is not None and re.fullmatch(r"\s*[\"']?([AaBb])[\"']?\.?\s*", answer):
        return answer.strip().strip("\"'.").lower()
    value = parse_json_answer(answer, expect=dict)
    if value is INVALID:
        return None
    for key, item in value.items():
        if str(key).strip().lower() in ("preferred", "better", "answer", "choice"):
            side = _answer_word(item)
            return side if side in ("a", "b") else None
    return None
