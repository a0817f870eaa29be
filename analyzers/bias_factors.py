"""Per-response bias factors, extracted for whole columns of text at once.

Every factor is computed over Arrow string arrays with pyarrow.compute (RE2 regular expressions in C++)
or with numpy over integer word ids, never with a Python loop per response; 100k pairs take well under
a minute on a laptop CPU (benchmarks/bench_bias.py). The only exceptions are the token counts, which
reuse the tokenizer of the ``basic`` analyzer, and the optional embedding relevance, which reuses the
workspace's embedding cache.

Definitions (one line each, shown in the UI) live in ``FACTORS``; docs/bias.md explains them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

# ---------------------------------------------------------------- patterns (RE2 syntax, also valid in Python's re)

LIST_ITEM_PATTERN = r"(?m)^[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+\S"
HEADER_PATTERN = r"(?m)^[ \t]{0,3}#{1,6}[ \t]+\S"
BOLD_PATTERN = r"\*\*[^*\n]+\*\*|__[^_\n]+__"
CODE_FENCE = "```"
LINK_PATTERN = r"\[[^\]\n]*\]\([^)\s]+\)|https?://[^\s)\]>]+"
SENTENCE_END_CHARS = b".!?"  # sentences: runs of these characters
VOWEL_CHARS = b"aeiouy"  # syllables: runs of these (lowercased) characters
WORD_CHARS_SPLIT = r"[^\p{L}\p{N}]+"  # words for overlap and repetition: runs of letters and digits, lowercased
# Unicode ranges counted as emoji (pictographs, emoticons, transport, supplemental symbols, dingbats, flags).
EMOJI_RANGES = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F1E6, 0x1F1FF))
EMOJI_PATTERN = "[" + "".join(f"\\x{{{low:X}}}-\\x{{{high:X}}}" for low, high in EMOJI_RANGES) + "]"

_APOSTROPHE = "['’]"
REFUSAL_PATTERN = (
    r"(?i)\bI(?: can" + _APOSTROPHE + r"?t| cannot| won" + _APOSTROPHE + r"t| will not| am not able to| am unable to|"
    + _APOSTROPHE + r"m not able to|" + _APOSTROPHE + r"m unable to)"
    r" (?:help|assist|provide|do that|do this|support|comply|give|share|create|write|answer|fulfil)"
    r"|\bI (?:must|have to|need to) decline\b"
    r"|\bI (?:don" + _APOSTROPHE + r"t|do not) feel comfortable\b"
    r"|\bas an AI\b"
    r"|\bagainst my (?:guidelines|principles|policy|policies)\b"
)
APOLOGY_PATTERN = r"(?i)\b(?:sorry|apologi[sz]e|apologies|my mistake|my bad|forgive me)\b"
HEDGING_PATTERN = (
    r"(?i)\b(?:might|may|perhaps|possibly|probably|likely|unlikely|maybe|seems?|appears? to|"
    r"I think|I believe|I guess|I suppose|generally|usually|typically|often|somewhat|arguably|"
    r"could be|not sure|it depends|in some cases|tends? to)\b"
)
ASSERTIVE_PATTERN = (
    r"(?i)\b(?:definitely|certainly|clearly|always|never|undoubtedly|absolutely|obviously|"
    r"of course|without (?:a|any) doubt|guaranteed|must|surely|no doubt|for sure)\b"
)
FLATTERY_PATTERN = (
    r"(?i)\b(?:(?:great|good|excellent|fantastic|wonderful|insightful|thoughtful|smart|clear|interesting) question"
    r"|thanks? (?:you )?(?:so much )?for (?:asking|the (?:great |good |clear )?question|reaching out)"
    r"|what a (?:great|good|wonderful|fantastic|lovely)"
    r"|you(?:" + _APOSTROPHE + r"re| are) (?:absolutely |totally |so |completely )?(?:right|correct|smart|brilliant)"
    r"|happy to help|glad (?:to help|you asked)|I(?:" + _APOSTROPHE + r"d| would) be (?:happy|glad|delighted) to"
    r"|love (?:this|that) question)"
)
FOLLOW_UP_PATTERN = (
    r"(?i)(?:let me know|would you like|do you want me to|feel free to|happy to (?:help|explain|elaborate) further"
    r"|if you(?:" + _APOSTROPHE + r"d| would)? like|anything else|any other questions|want me to|shall I|should I)"
)
FOLLOW_UP_TAIL_CHARS = 200  # the follow-up offer is looked for in the last 200 characters


@dataclass(frozen=True)
class Factor:
    name: str
    dtype: str  # "int" | "float" | "bool"
    group: str  # "length" | "format" | "tone" | "content" | "position"
    definition: str


FACTORS: tuple[Factor, ...] = (
    Factor("chars", "int", "length", "Characters in the response."),
    Factor("words", "int", "length", "Whitespace-separated words in the response."),
    Factor("tokens", "int", "length", "Tokens in the response (the same tokenizer as the basic analyzer)."),
    Factor("list_items", "int", "format", "Lines that start a markdown list item (-, *, +, • or 1. / 1))."),
    Factor("headers", "int", "format", "Markdown headers (lines starting with 1 to 6 '#')."),
    Factor("bold", "int", "format", "Bold spans (**text** or __text__)."),
    Factor("code_blocks", "int", "format", "Fenced code blocks (``` fences / 2, an unclosed fence counts as a block)."),
    Factor("links", "int", "format", "Markdown links [text](url) and bare http(s) URLs."),
    Factor("emojis", "int", "format", "Emoji characters (pictographs, emoticons, symbols, dingbats, flags)."),
    Factor("ends_with_question", "bool", "tone", "The response's last non-space character is '?'."),
    Factor("follow_up_offer", "bool", "tone", "The last 200 characters offer more help ('let me know', 'would you like', ...)."),
    Factor("refusal_phrases", "int", "tone", "Refusal phrases ('I can't help', 'I'm not able to help', 'as an AI', ...)."),
    Factor("apology_phrases", "int", "tone", "Apology words ('sorry', 'apologize', 'my mistake', ...)."),
    Factor("hedging_rate", "float", "tone", "Hedging words ('might', 'perhaps', 'I think', 'usually', ...) per 100 words."),
    Factor("assertive_rate", "float", "tone", "Assertive words ('definitely', 'clearly', 'always', 'must', ...) per 100 words."),
    Factor("flattery", "int", "tone", "Compliments to the user and flattery openers ('great question', 'happy to help', "
                                      "'you're absolutely right', ...)."),
    Factor("readability_grade", "float", "content", "Flesch-Kincaid grade: 0.39 words/sentence + 11.8 syllables/word "
                                                    "- 15.59 (syllables = vowel groups; 0 for an empty response)."),
    Factor("repetition", "float", "content", "Share of the response's word trigrams that already appeared earlier in it."),
    Factor("prompt_overlap", "float", "content", "Share of the prompt's distinct words (lowercased letters and digits) "
                                                 "that the response uses."),
    Factor("relevance", "float", "content", "Cosine similarity of the prompt's and the response's sentence embeddings."),
)
FACTOR_BY_NAME = {factor.name: factor for factor in FACTORS}
LENGTH_FACTORS = ("chars", "words", "tokens")
EMBEDDING_FACTOR = "relevance"


def factor_names(with_relevance: bool) -> list[str]:
    return [f.name for f in FACTORS if with_relevance or f.name != EMBEDDING_FACTOR]


# ---------------------------------------------------------------- helpers over Arrow arrays

def _arrow(texts):
    """Texts as one Arrow large_string array, missing values as empty strings."""
    import pyarrow as pa

    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if isinstance(texts, pa.Array):
        array = texts
    else:
        values = texts.tolist() if isinstance(texts, (pd.Series, np.ndarray)) else list(texts)
        array = pa.array(["" if v is None else str(v) for v in values], type=pa.large_string())
    return array.cast(pa.large_string()).fill_null("")


def _count(array, pattern: str) -> np.ndarray:
    import pyarrow.compute as pc

    return pc.count_substring_regex(array, pattern).to_numpy(zero_copy_only=False).astype(np.int64)


def _ascii_runs(array, members: bytes) -> np.ndarray:
    """Per text: maximal runs of the given ASCII bytes (equal to counting the regex '[members]+'), from the
    UTF-8 buffer with numpy; multi-byte characters never match since their bytes are >= 0x80."""
    import pyarrow as pa

    array = pa.concat_arrays([array]) if array.offset else array  # a fresh array starts its offsets at 0
    n = len(array)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64, count=n + 1)
    data_buffer = array.buffers()[2]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    table = np.zeros(256, dtype=bool)
    table[list(members)] = True
    member = table[data[: offsets[-1]]] if len(data) else np.zeros(0, dtype=bool)
    starts = member.copy()
    starts[1:] &= ~member[:-1]
    first = offsets[:-1][offsets[1:] > offsets[:-1]]
    starts[first] = member[first]  # a run at a text's first byte starts there, whatever came before
    totals = np.concatenate([[0], np.cumsum(starts, dtype=np.int64)])
    return totals[offsets[1:]] - totals[offsets[:-1]]


def _whitespace_words(array) -> np.ndarray:
    """Whitespace-separated words per text (Unicode whitespace, like Python's str.split)."""
    import pyarrow.compute as pc

    pieces = pc.utf8_split_whitespace(array)
    flat = pc.list_flatten(pieces)
    parents = pc.list_parent_indices(pieces).to_numpy(zero_copy_only=False)
    nonempty = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    return np.bincount(parents[nonempty], minlength=len(array)).astype(np.int64)


def _per_100_words(counts: np.ndarray, words: np.ndarray) -> np.ndarray:
    return np.where(words > 0, 100.0 * counts / np.maximum(words, 1), 0.0)


@dataclass
class WordIds:
    """Every text split into lowercased words, as integer ids over one shared vocabulary."""

    ids: np.ndarray  # word id of each word, texts concatenated
    text_index: np.ndarray  # which text each word belongs to
    n_texts: int
    vocabulary: int


def word_ids(array) -> WordIds:
    import pyarrow as pa
    import pyarrow.compute as pc

    pieces = pc.split_pattern_regex(pc.utf8_lower(array), WORD_CHARS_SPLIT)
    flat = pc.list_flatten(pieces)
    parents = pc.list_parent_indices(pieces).to_numpy(zero_copy_only=False).astype(np.int64)
    keep = pc.not_equal(flat, "")
    flat = pc.filter(flat, keep)
    parents = parents[keep.to_numpy(zero_copy_only=False)]
    encoded = pc.dictionary_encode(flat)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return WordIds(encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), parents, len(array),
                   max(1, len(encoded.dictionary)))


def repetition_share(words: WordIds) -> np.ndarray:
    """Per text: repeated word trigrams / all word trigrams (0 when a text has fewer than 3 words)."""
    ids, rows = words.ids, words.text_index
    if len(ids) < 3:
        return np.zeros(words.n_texts)
    same_text = rows[:-2] == rows[2:]
    first, second, third = ids[:-2][same_text], ids[1:-1][same_text], ids[2:][same_text]
    trigram_rows = rows[:-2][same_text]
    bigram = pd.factorize(first * words.vocabulary + second)[0].astype(np.int64)
    trigram = pd.factorize(bigram * words.vocabulary + third)[0].astype(np.int64)
    # A trigram is repeated when the same (text, trigram) occurred before in that text.
    repeated = pd.Series(trigram_rows * (int(trigram.max()) + 1) + trigram).duplicated().to_numpy()
    totals = np.bincount(trigram_rows, minlength=words.n_texts)
    repeats = np.bincount(trigram_rows, weights=repeated, minlength=words.n_texts)
    return np.where(totals > 0, repeats / np.maximum(totals, 1), 0.0)


def prompt_coverage(words: WordIds, prompt_rows: np.ndarray, response_rows: np.ndarray) -> np.ndarray:
    """For each (prompt text, response text) row pair: share of the prompt's distinct words in the response."""
    vocabulary = words.vocabulary
    n = len(prompt_rows)
    owner = np.full(words.n_texts, -1, dtype=np.int64)
    owner[prompt_rows] = np.arange(n)
    prompt_keys = _distinct_keys(words, owner, vocabulary)
    owner = np.full(words.n_texts, -1, dtype=np.int64)
    owner[response_rows] = np.arange(n)
    response_keys = _distinct_keys(words, owner, vocabulary)
    shared = pd.Series(prompt_keys).isin(pd.Series(response_keys)).to_numpy()
    prompt_pair = prompt_keys // vocabulary
    distinct = np.bincount(prompt_pair, minlength=n)
    used = np.bincount(prompt_pair, weights=shared, minlength=n)
    return np.where(distinct > 0, used / np.maximum(distinct, 1), 0.0)


def _distinct_keys(words: WordIds, owner: np.ndarray, vocabulary: int) -> np.ndarray:
    pair = owner[words.text_index]
    mine = pair >= 0
    keys = pair[mine] * vocabulary + words.ids[mine]
    return pd.unique(keys)


# ---------------------------------------------------------------- the extraction

def response_factors(texts, count_tokens: Callable[[list[str]], list[int]] | None) -> pd.DataFrame:
    """Every text-only factor for a column of responses (one row per text; no prompt factors)."""
    import pyarrow.compute as pc

    array = _arrow(texts)
    lower = pc.utf8_lower(array)
    out: dict[str, np.ndarray] = {}
    out["chars"] = pc.utf8_length(array).to_numpy(zero_copy_only=False).astype(np.int64)
    words = _whitespace_words(array)
    out["words"] = words
    if count_tokens is not None:
        out["tokens"] = np.asarray(count_tokens(array.to_pylist()), dtype=np.int64)
    out["list_items"] = _count(array, LIST_ITEM_PATTERN)
    out["headers"] = _count(array, HEADER_PATTERN)
    out["bold"] = _count(array, BOLD_PATTERN)
    fences = pc.count_substring(array, CODE_FENCE).to_numpy(zero_copy_only=False).astype(np.int64)
    out["code_blocks"] = (fences + 1) // 2
    out["links"] = _count(array, LINK_PATTERN)
    out["emojis"] = _count(array, EMOJI_PATTERN)
    stripped = pc.utf8_rtrim_whitespace(array)
    out["ends_with_question"] = pc.ends_with(stripped, "?").to_numpy(zero_copy_only=False).astype(bool)
    tail = pc.utf8_slice_codeunits(stripped, start=-FOLLOW_UP_TAIL_CHARS)
    out["follow_up_offer"] = pc.match_substring_regex(tail, FOLLOW_UP_PATTERN).to_numpy(zero_copy_only=False).astype(bool)
    out["refusal_phrases"] = _count(array, REFUSAL_PATTERN)
    out["apology_phrases"] = _count(array, APOLOGY_PATTERN)
    out["hedging_rate"] = _per_100_words(_count(array, HEDGING_PATTERN), words)
    out["assertive_rate"] = _per_100_words(_count(array, ASSERTIVE_PATTERN), words)
    out["flattery"] = _count(array, FLATTERY_PATTERN)
    sentences = np.maximum(_ascii_runs(array, SENTENCE_END_CHARS), 1)
    syllables = _ascii_runs(lower, VOWEL_CHARS)
    safe_words = np.maximum(words, 1)
    grade = 0.39 * words / sentences + 11.8 * syllables / safe_words - 15.59
    out["readability_grade"] = np.where(words > 0, grade, 0.0)
    out["repetition"] = repetition_share(word_ids(array))
    return pd.DataFrame(out)


def pair_factors(prompts, chosen, rejected, count_tokens: Callable[[list[str]], list[int]] | None,
                 relevance: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Factors of the chosen and the rejected side (two frames, one row per pair, same columns).

    ``relevance`` is the precomputed (chosen, rejected) prompt-response cosine, when embeddings are used.
    """
    import pyarrow as pa

    prompts, chosen, rejected = _arrow(prompts), _arrow(chosen), _arrow(rejected)
    n = len(prompts)
    both = pa.concat_arrays([chosen, rejected])
    sides = response_factors(both, count_tokens)
    words = word_ids(pa.concat_arrays([prompts, both]))
    prompt_rows = np.arange(n)
    sides["prompt_overlap"] = np.concatenate([prompt_coverage(words, prompt_rows, n + prompt_rows),
                                              prompt_coverage(words, prompt_rows, 2 * n + prompt_rows)])
    if relevance is not None:
        sides["relevance"] = np.concatenate([np.asarray(relevance[0], float), np.asarray(relevance[1], float)])
    return sides.iloc[:n].reset_index(drop=True), sides.iloc[n:].reset_index(drop=True)


def embedding_relevance(prompts: list[str], chosen: list[str], rejected: list[str], encoder: str, *, device: str,
                        cache_dir, context) -> tuple[np.ndarray, np.ndarray]:
    """Cosine of prompt and response embeddings per side, through the workspace's embedding cache."""
    from workbench.embeddings import embed_texts

    n = len(prompts)
    vectors = embed_texts(list(prompts) + list(chosen) + list(rejected), encoder, device=device, cache_dir=cache_dir,
                          context=context, normalize=True)
    prompt_vectors = vectors[:n]
    return (np.einsum("ij,ij->i", prompt_vectors, vectors[n:2 * n]).astype(float),
            np.einsum("ij,ij->i", prompt_vectors, vectors[2 * n:]).astype(float))


def position_delta(chosen_position: pd.Series) -> np.ndarray:
    """+1 when the chosen response was shown as A, -1 as B, 0 when the data does not record it."""
    values = chosen_position.astype("object").where(chosen_position.notna(), "").astype(str).str.strip().str.lower()
    return np.where(values == "a", 1.0, np.where(values == "b", -1.0, 0.0))
