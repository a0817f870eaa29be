"""`principles`: Inverse Constitutional AI (Findeis et al.; methods.md section 4) over a seeded sample of pairs.

prepare() does the dataset-level LLM work once: sample up to ``max_pairs`` decided pairs and hold out a
share of them; on the rest, generate principles per pair, embed and cluster them, keep one per cluster,
test every candidate on those pairs (randomized A/B order, several repetitions combined), filter and keep
the top ``constitution_size`` with diversity; then test the constitution on the held-out pairs too and ask
an LLM judge to re-label them with and without the constitution. compute() only looks results up, so every
per-pair column (votes, generated principles, the candidates' votes) is stored, and summarize() rebuilds
the candidate table, the constitution's metrics and the reconstruction agreement from those columns.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analyzers import annotator_metrics as am
from analyzers import icai
from analyzers.base import Analyzer, Column, RunContext
from workbench.errors import AnalyzerError
from workbench.llm import INVALID, Backend, conversation_tokens, get_backend, parse_spec

ROLE_TRAIN, ROLE_HELDOUT, ROLE_NOT_SAMPLED, ROLE_TIE = "train", "heldout", "not_sampled", "tie"
GENERATION_INSTRUCTION_TOKENS = 120


# LLMSettings fields that change how a run goes (speed, where it runs, the key's variable), not what it computes.
LLM_RUNTIME_SETTINGS = ("batch_size", "concurrency", "device", "api_key_env", "max_retries")


@dataclass(frozen=True)
class LLMSettings:
    """Settings every LLM-annotation analyzer shares: which model, how many pairs, how answers are combined."""

    backend: str = "local:default"  # local:default | local:<folder or hub id> | openai:<model>@<base_url>
    api_key_env: str = "OPENAI_API_KEY"  # the NAME of the environment variable holding the key; never the key
    max_pairs: int = 40  # seeded sample of decided (non-tie) pairs the LLM sees; 0 = all of them
    repetitions: int = 2  # times each pair is asked, with reshuffled order and A/B sides
    combine: str = "unanimity"  # unanimity | majority
    principles_per_call: int = 10
    temperature: float = 0.0
    max_chars: int = 2000  # prompt and each response are cut to this many characters in the LLM prompts
    concurrency: int = 4  # parallel HTTP calls (openai backend)
    max_retries: int = 3
    device: str = "auto"  # local backend
    seed: int = 0
    batch_size: int = 512

    def validate_llm(self, name: str) -> None:
        parse_spec(self.backend)
        checks = [
            (self.max_pairs >= 0, "max_pairs", "must be >= 0 (0 = every decided pair)"),
            (self.repetitions >= 1, "repetitions", "must be at least 1"),
            (self.combine in icai.COMBINE_RULES, "combine", f"must be one of {', '.join(icai.COMBINE_RULES)}"),
            (self.principles_per_call >= 1, "principles_per_call", "must be at least 1"),
            (self.temperature >= 0, "temperature", "must be >= 0"),
            (self.max_chars >= 100, "max_chars", "must be at least 100"),
            (self.concurrency >= 1, "concurrency", "must be at least 1"),
            (self.max_retries >= 0, "max_retries", "must be >= 0"),
            (self.batch_size >= 1, "batch_size", "must be positive"),
        ]
        for ok, field_name, message in checks:
            if not ok:
                raise AnalyzerError(f"Setting '{name}.{field_name}' {message}, got {getattr(self, field_name)!r}.")


@dataclass(frozen=True)
class PrinciplesSettings(LLMSettings):
    constitution_size: int = 5  # n: principles kept (paper: 5; 3 for Arena)
    principles_per_pair: int = 3
    clusters: int = 0  # 0 = auto: a fifth of the distinct principles, within 20..160
    min_relevance: float = 0.1
    max_invalid_share: float = 0.5
    diversity: bool = True
    heldout_fraction: float = 0.25  # share of the sample kept out of generation, for the reconstruction check
    encoder: str = "default"

    def validate(self) -> None:
        self.validate_llm("principles")
        checks = [
            (self.constitution_size >= 1, "constitution_size", "must be at least 1"),
            (1 <= self.principles_per_pair <= 10, "principles_per_pair", "must be between 1 and 10"),
            (self.clusters >= 0, "clusters", "must be >= 0 (0 = auto)"),
            (0.0 <= self.min_relevance <= 1.0, "min_relevance", "must be between 0 and 1"),
            (0.0 < self.max_invalid_share <= 1.0, "max_invalid_share", "must be in (0, 1]"),
            (0.0 <= self.heldout_fraction < 1.0, "heldout_fraction", "must be in [0, 1)"),
        ]
        for ok, field_name, message in checks:
            if not ok:
                raise AnalyzerError(f"Setting 'principles.{field_name}' {message}, got {getattr(self, field_name)!r}.")


# ---------------------------------------------------------------- shared by the LLM analyzers

def make_backend(settings: LLMSettings, context: RunContext) -> Backend:
    return get_backend(settings.backend, cache_dir=context.cache_dir, context=context,
                       api_key_env=settings.api_key_env, concurrency=settings.concurrency,
                       max_retries=settings.max_retries, device=settings.device)


def sample_pairs(pairs: pd.DataFrame, max_pairs: int, seed: int) -> list[str]:
    """A seeded sample of decided pairs' ids, independent of the input order (ids are sorted first)."""
    decided = sorted(pairs.loc[pairs["label"] != am.TIE_LABEL, "pair_id"].astype(str))
    if max_pairs == 0 or max_pairs >= len(decided):
        return decided
    picks = icai.seeded_rng(seed, "sample").choice(len(decided), size=max_pairs, replace=False)
    return [decided[i] for i in sorted(picks)]


def pair_texts(pairs: pd.DataFrame, ids: list[str], max_chars: int) -> list[icai.PairTexts]:
    indexed = pairs.assign(pair_id=pairs["pair_id"].astype(str)).set_index("pair_id")
    return [icai.PairTexts(pair_id, icai.clip_text(indexed.at[pair_id, "prompt"], max_chars),
                           icai.clip_text(indexed.at[pair_id, "chosen"], max_chars),
                           icai.clip_text(indexed.at[pair_id, "rejected"], max_chars)) for pair_id in ids]


def mean_pair_tokens(pairs: pd.DataFrame, ids: list[str], max_chars: int) -> float:
    texts = pair_texts(pairs, ids[:200], max_chars)
    if not texts:
        return 0.0
    return float(np.mean([conversation_tokens(icai.judge_messages(t, True, None)) for t in texts]))


# ---------------------------------------------------------------- the analyzer

def split_heldout_by_prompt(pairs: pd.DataFrame, sample: list[str], fraction: float,
                            seed: int) -> tuple[list[str], list[str]]:
    """(held-out ids, training ids): whole prompt groups go to held-out (seeded) until the fraction is reached,
    so no prompt has pairs on both sides and reconstruction is measured on prompts the constitution never saw."""
    from analyzers.basic import normalize_prompt

    prompt_of = dict(zip(pairs["pair_id"], pairs["prompt"].fillna("").astype(str).map(normalize_prompt)))
    groups: dict[str, list[str]] = {}
    for pair_id in sample:
        groups.setdefault(prompt_of.get(pair_id, pair_id), []).append(pair_id)
    keys = sorted(groups)
    target = int(math.floor(fraction * len(sample)))
    heldout: list[str] = []
    for index in icai.seeded_rng(seed, "heldout").permutation(len(keys)):
        if len(heldout) >= target:
            break
        heldout.extend(groups[keys[index]])
    held = set(heldout)
    return sorted(held), sorted(pair_id for pair_id in sample if pair_id not in held)


class PrinciplesAnalyzer(Analyzer):
    name = "principles"
    version = "1"
    description = ("Inverse Constitutional AI: an LLM proposes principles that explain the labels, they are clustered, "
                   "tested on every sampled pair and filtered into a short constitution; per-pair votes of each principle.")
    settings_class = PrinciplesSettings
    primary_metric = "reconstruction_agreement"
    default_batch_size = 512
    runtime_settings = LLM_RUNTIME_SETTINGS
    summary_descriptions = {
        "primary_metric": "The summary value this analyzer leads with.",
        "reconstruction_agreement": "Held-out pairs the constitution-following LLM judge labels like the data, over all "
                                    "held-out pairs (unreadable answers count as misses).",
        "baseline_agreement": "The same LLM judge without the constitution, same pairs, same rule.",
        "reconstruction": "Counts behind the two agreements (agree / disagree / invalid per judge).",
        "constitution": "The kept principles with their vote counts and metrics over every pair they were tested on "
                        "(and over the held-out pairs alone).",
        "candidates": "Every tested candidate principle (one per cluster) with its counts and why it was kept or not.",
        "n_pairs": "Pairs in the run.",
        "sampled_pairs": "Decided pairs the LLM saw (max_pairs, seeded).",
        "train_pairs": "Sampled pairs used to generate and select principles.",
        "heldout_pairs": "Sampled pairs kept out of generation and selection, for the reconstruction check.",
        "generation_asked": "Pairs asked to propose principles.",
        "generation_invalid": "Of those, answers with no usable principle (unparseable, or none in the asked form).",
        "llm_answers": "LLM answers used in the run (generation, testing, judging).",
        "llm_invalid_answers": "Of those, answers that failed or could not be read at all.",
        "invalid_answer_rate": "llm_invalid_answers / llm_answers.",
        "candidate_invalid_vote_rate": "Share of candidate-principle votes (after combining repetitions) that are invalid.",
    }

    # ------------------------------------------------------------ columns
    def columns(self, settings: PrinciplesSettings) -> list[Column]:
        columns = [
            Column("role", "str", "train: used to find the principles; heldout: kept out for the reconstruction check; "
                                  "not_sampled: beyond max_pairs; tie: ties are never sampled."),
            Column("generated_principles", "str", "The principles the LLM proposed for this pair (JSON list; train pairs)."),
            Column("generation_valid", "bool", "The generation answer held at least one usable principle (train pairs)."),
            Column("candidate_votes", "str", "Each candidate principle's vote on this pair (JSON object; train pairs)."),
        ]
        for slot in range(1, settings.constitution_size + 1):
            columns.append(Column(f"principle_{slot}", "str", f"Principle {slot} of the constitution (empty when fewer "
                                                              "principles passed the filter)."))
            columns.append(Column(f"principle_{slot}_vote", "str",
                                  f"Principle {slot} on this pair: agree (it selects the chosen response), disagree (it "
                                  "selects the rejected one: a mislabel candidate), abstain, invalid or not_tested."))
        columns += [
            Column("n_agree", "int", "Constitution principles agreeing with the label on this pair."),
            Column("n_disagree", "int", "Constitution principles disagreeing with the label on this pair."),
            Column("n_abstain", "int", "Constitution principles abstaining on this pair."),
            Column("n_invalid", "int", "Constitution principles whose answer on this pair was unreadable."),
            Column("constitution_vote", "str", "Held-out pairs: the LLM judge following the constitution agrees / "
                                               "disagrees with the label, or its answer was invalid; else not_tested."),
            Column("baseline_vote", "str", "Held-out pairs: the same judge without the constitution."),
            Column("llm_answers", "int", "LLM answers about this pair (generation, testing, judging)."),
            Column("llm_invalid_answers", "int", "Of those, failed or unreadable answers."),
        ]
        return columns

    def model_name(self, settings: PrinciplesSettings) -> str | None:
        return settings.backend

    # ------------------------------------------------------------ estimate
    def estimate(self, pairs: pd.DataFrame, settings: PrinciplesSettings) -> dict[str, Any]:
        """Upper bounds on LLM calls and tokens before a run (candidates = the most clusters possible)."""
        sample = sample_pairs(pairs, settings.max_pairs, settings.seed)
        heldout = int(math.floor(settings.heldout_fraction * len(sample)))
        train = len(sample) - heldout
        candidates = icai.cluster_count(train * settings.principles_per_pair, settings.clusters)
        size = min(settings.constitution_size, candidates)
        pair_tokens = mean_pair_tokens(pairs, sample, settings.max_chars)
        per_call = settings.principles_per_call
        test_calls = settings.repetitions * train * math.ceil(candidates / per_call) if candidates else 0
        heldout_calls = settings.repetitions * heldout * math.ceil(size / per_call) if size else 0
        calls = {"generation": train, "testing": test_calls, "heldout testing": heldout_calls, "judging": 2 * heldout}
        principle_tokens = 14
        prompt_tokens = (train * (pair_tokens + GENERATION_INSTRUCTION_TOKENS)
                         + test_calls * (pair_tokens + 80 + principle_tokens * min(per_call, max(candidates, 1)))
                         + heldout_calls * (pair_tokens + 80 + principle_tokens * min(per_call, max(size, 1)))
                         + 2 * heldout * (pair_tokens + 40) + heldout * principle_tokens * size)
        output_tokens = (train * (40 * settings.principles_per_pair + 16)
                         + (test_calls + heldout_calls) * (16 + 8 * min(per_call, max(candidates, 1))) + 2 * heldout * 16)
        return {"calls": int(sum(calls.values())), "calls_by_step": calls, "prompt_tokens": int(prompt_tokens),
                "max_output_tokens": int(output_tokens), "sampled_pairs": len(sample), "train_pairs": train,
                "heldout_pairs": heldout, "max_candidates": candidates}

    # ------------------------------------------------------------ the work
    def prepare(self, pairs: pd.DataFrame, settings: PrinciplesSettings, context: RunContext) -> Any:
        sample = sample_pairs(pairs, settings.max_pairs, settings.seed)
        heldout_ids, train_ids = split_heldout_by_prompt(pairs, sample, settings.heldout_fraction, settings.seed)
        rows: dict[str, dict[str, Any]] = {pair_id: {"role": ROLE_TRAIN} for pair_id in train_ids}
        rows.update({pair_id: {"role": ROLE_HELDOUT} for pair_id in heldout_ids})
        for pair_id in rows:
            rows[pair_id].update(llm_answers=0, llm_invalid_answers=0)
        if not sample:
            return {"rows": rows, "constitution": []}
        backend = make_backend(settings, context)
        train = pair_texts(pairs, train_ids, settings.max_chars)
        heldout = pair_texts(pairs, heldout_ids, settings.max_chars)

        # 1. generation
        sides = [bool(icai.seeded_rng(settings.seed, "generate", p.pair_id).integers(2)) for p in train]
        answers = backend.chat([icai.generation_messages(p, a, settings.principles_per_pair) for p, a in zip(train, sides)],
                               max_tokens=40 * settings.principles_per_pair + 16, temperature=settings.temperature,
                               seed=settings.seed, message="generating principles")
        generated: list[str] = []
        for pair, answer in zip(train, answers):
            found = icai.parse_principles(answer, settings.principles_per_pair)
            row = rows[pair.pair_id]
            row["llm_answers"] += 1
            row["generation_valid"] = found is not INVALID
            if found is INVALID:
                row["llm_invalid_answers"] += 1
                continue
            row["generated_principles"] = json.dumps(found, ensure_ascii=False)
            generated.extend(found)

        # 2-3. cluster the distinct principles, one candidate per cluster
        distinct: dict[str, str] = {}
        for principle in generated:
            distinct.setdefault(icai.normalize_principle(principle), principle)
        unique = sorted(distinct.values(), key=icai.normalize_principle)
        embed = self._embedder(settings, context)
        candidates: list[str] = []
        if unique:
            k = icai.cluster_count(len(unique), settings.clusters)
            labels = icai.cluster_labels(embed(unique), k, settings.seed)
            candidates = icai.pick_per_cluster(unique, labels, settings.seed)

        # 4. test the candidates on the train pairs
        tested = icai.ask_principles(backend, train, candidates, repetitions=settings.repetitions,
                                     per_call=settings.principles_per_call, rule=settings.combine, seed=settings.seed,
                                     temperature=settings.temperature, purpose="candidates",
                                     message="testing candidate principles")
        for index, pair in enumerate(train):
            row = rows[pair.pair_id]
            row["candidate_votes"] = json.dumps({c: str(tested.votes[index, j]) for j, c in enumerate(candidates)},
                                                ensure_ascii=False) if candidates else None
            row["llm_answers"] += int(tested.answers[index])
            row["llm_invalid_answers"] += int(tested.invalid_answers[index])

        # 5. filter, rank, top n with diversity
        ranked = icai.filter_and_rank(icai.vote_table(candidates, tested.votes), min_relevance=settings.min_relevance,
                                      max_invalid_share=settings.max_invalid_share)
        constitution = icai.top_with_diversity(ranked, settings.constitution_size, diversity=settings.diversity,
                                               embed=embed, seed=settings.seed)
        for index, pair in enumerate(train):
            for slot, principle in enumerate(constitution, start=1):
                rows[pair.pair_id][f"principle_{slot}_vote"] = str(tested.votes[index, candidates.index(principle)])

        # 6. the constitution on the held-out pairs, and the judge with and without it
        if heldout and constitution:
            on_heldout = icai.ask_principles(backend, heldout, constitution, repetitions=settings.repetitions,
                                             per_call=settings.principles_per_call, rule=settings.combine,
                                             seed=settings.seed, temperature=settings.temperature, purpose="heldout",
                                             message="testing the constitution on held-out pairs")
            for index, pair in enumerate(heldout):
                row = rows[pair.pair_id]
                for slot in range(len(constitution)):
                    row[f"principle_{slot + 1}_vote"] = str(on_heldout.votes[index, slot])
                row["llm_answers"] += int(on_heldout.answers[index])
                row["llm_invalid_answers"] += int(on_heldout.invalid_answers[index])
        if heldout:
            self._judge(backend, heldout, constitution, settings, rows)
        return {"rows": rows, "constitution": constitution}

    @staticmethod
    def _embedder(settings: PrinciplesSettings, context: RunContext):
        from workbench.embeddings import embed_texts

        def embed(texts: list[str]) -> np.ndarray:
            return embed_texts(texts, settings.encoder, device=settings.device, cache_dir=context.cache_dir,
                               context=context, normalize=True)
        return embed

    @staticmethod
    def _judge(backend: Backend, heldout: list[icai.PairTexts], constitution: list[str],
               settings: PrinciplesSettings, rows: dict[str, dict]) -> None:
        """The LLM judge re-labels the held-out pairs with the constitution and without (same A/B order)."""
        sides = [bool(icai.seeded_rng(settings.seed, "judge", p.pair_id).integers(2)) for p in heldout]
        for column, principles in (("constitution_vote", constitution), ("baseline_vote", None)):
            if column == "constitution_vote" and not constitution:
                continue  # nothing to follow: left not_tested rather than judged without principles
            answers = backend.chat([icai.judge_messages(p, a, principles) for p, a in zip(heldout, sides)],
                                   max_tokens=16, temperature=settings.temperature, seed=settings.seed,
                                   message="judging held-out pairs " + ("with" if principles else "without") +
                                           " the constitution")
            for pair, chosen_is_a, answer in zip(heldout, sides, answers):
                side = icai.parse_judge_answer(answer)
                row = rows[pair.pair_id]
                row[column] = icai.answer_to_vote(side, chosen_is_a)
                row["llm_answers"] += 1
                row["llm_invalid_answers"] += int(side is None)

    def compute(self, batch: pd.DataFrame, settings: PrinciplesSettings, state: Any, context: RunContext) -> pd.DataFrame:
        rows, constitution = state["rows"], state["constitution"]
        records = []
        for pair_id, label in zip(batch["pair_id"].astype(str), batch["label"]):
            found = rows.get(pair_id, {})
            role = found.get("role", ROLE_TIE if label == am.TIE_LABEL else ROLE_NOT_SAMPLED)
            record: dict[str, Any] = {
                "role": role,
                "generated_principles": found.get("generated_principles"),
                "generation_valid": found.get("generation_valid"),
                "candidate_votes": found.get("candidate_votes"),
            }
            slot_votes = []
            for slot in range(1, settings.constitution_size + 1):
                present = slot <= len(constitution)
                vote = found.get(f"principle_{slot}_vote", am.NOT_TESTED) if present else None
                record[f"principle_{slot}"] = constitution[slot - 1] if present else None
                record[f"principle_{slot}_vote"] = vote
                slot_votes.append(vote)
            for name, vote in (("n_agree", am.AGREE), ("n_disagree", am.DISAGREE), ("n_abstain", am.ABSTAIN),
                               ("n_invalid", am.INVALID_VOTE)):
                record[name] = sum(v == vote for v in slot_votes)
            record["constitution_vote"] = found.get("constitution_vote", am.NOT_TESTED)
            record["baseline_vote"] = found.get("baseline_vote", am.NOT_TESTED)
            record["llm_answers"] = int(found.get("llm_answers", 0))
            record["llm_invalid_answers"] = int(found.get("llm_invalid_answers", 0))
            records.append(record)
        out = pd.DataFrame.from_records(records, columns=[c.name for c in self.columns(settings)], index=batch.index)
        out["generation_valid"] = out["generation_valid"].astype("boolean")
        for name in ("n_agree", "n_disagree", "n_abstain", "n_invalid", "llm_answers", "llm_invalid_answers"):
            out[name] = out[name].astype("int64")
        return out

    # ------------------------------------------------------------ summary
    def summarize(self, results: pd.DataFrame, pairs: pd.DataFrame, settings: PrinciplesSettings) -> dict:
        merged = results.merge(pairs[["pair_id", "label"]], on="pair_id", how="left")
        labels = merged["label"].tolist()
        roles = merged["role"]
        answers, invalid = int(merged["llm_answers"].sum()), int(merged["llm_invalid_answers"].sum())
        generation = merged["generation_valid"].dropna()

        candidate_rows = [json.loads(text) for text in merged.loc[roles == ROLE_TRAIN, "candidate_votes"].dropna()]
        candidates = list(dict.fromkeys(name for row in candidate_rows for name in row))
        if candidates:
            votes = np.array([[row.get(name, am.NOT_TESTED) for name in candidates] for row in candidate_rows], dtype=object)
        else:
            votes = np.empty((0, 0), dtype=object)
        ranked = icai.filter_and_rank(icai.vote_table(candidates, votes), min_relevance=settings.min_relevance,
                                      max_invalid_share=settings.max_invalid_share)
        constitution_texts = [merged[f"principle_{slot}"].dropna().iloc[0]
                              for slot in range(1, settings.constitution_size + 1)
                              if merged[f"principle_{slot}"].notna().any()]
        ranked["selected"] = ranked["principle"].isin(constitution_texts)
        heldout_mask = (roles == ROLE_HELDOUT).to_numpy()
        constitution = []
        for slot, text in enumerate(constitution_texts, start=1):
            column = merged[f"principle_{slot}_vote"].tolist()
            metrics = am.annotator_metrics(column, labels).as_dict()
            heldout_metrics = am.annotator_metrics([v for v, h in zip(column, heldout_mask) if h],
                                                   [l for l, h in zip(labels, heldout_mask) if h]).as_dict()
            constitution.append({"slot": slot, "principle": text, **metrics,
                                 "not_tested": int(sum(v == am.NOT_TESTED for v in column)),
                                 "heldout": heldout_metrics})
        reconstruction = {judge: _judge_counts(merged[f"{judge}_vote"]) for judge in ("constitution", "baseline")}
        all_candidate_votes = votes.ravel()
        return {
            "primary_metric": "reconstruction_agreement",
            "reconstruction_agreement": reconstruction["constitution"]["agreement"],
            "baseline_agreement": reconstruction["baseline"]["agreement"],
            "reconstruction": reconstruction,
            "constitution": constitution,
            "candidates": ranked.replace({np.nan: None}).to_dict("records"),
            "n_pairs": int(len(results)),
            "sampled_pairs": int(roles.isin([ROLE_TRAIN, ROLE_HELDOUT]).sum()),
            "train_pairs": int((roles == ROLE_TRAIN).sum()),
            "heldout_pairs": int(heldout_mask.sum()),
            "generation_asked": int(len(generation)),
            "generation_invalid": int((~generation.astype(bool)).sum()),
            "llm_answers": answers,
            "llm_invalid_answers": invalid,
            "invalid_answer_rate": invalid / answers if answers else None,
            "candidate_invalid_vote_rate": (float(np.mean(all_candidate_votes == am.INVALID_VOTE))
                                            if all_candidate_votes.size else None),
        }

    # ------------------------------------------------------------ votes as annotators (AnnotatedPairs export)
    def annotator_votes(self, results: pd.DataFrame, settings: PrinciplesSettings) -> list[tuple[str, str, pd.Series]]:
        """(name, description, votes by pair id) for each constitution principle and the constitution judge."""
        out = []
        for slot in range(1, settings.constitution_size + 1):
            texts = results[f"principle_{slot}"].dropna()
            if texts.empty:
                continue
            out.append((f"principle_{slot}", f"ICAI principle ({settings.backend}): {texts.iloc[0]}",
                        results.set_index("pair_id")[f"principle_{slot}_vote"]))
        if results["constitution_vote"].ne(am.NOT_TESTED).any():
            out.append(("constitution_judge", f"LLM judge following the ICAI constitution ({settings.backend})",
                        results.set_index("pair_id")["constitution_vote"]))
        return out


def _judge_counts(votes: pd.Series) -> dict[str, Any]:
    asked = votes[votes != am.NOT_TESTED]
    agree, disagree = int((asked == am.AGREE).sum()), int((asked == am.DISAGREE).sum())
    invalid = int(len(asked) - agree - disagree)
    return {"pairs": int(len(asked)), "agree": agree, "disagree": disagree, "invalid": invalid,
            "agreement": agree / len(asked) if len(asked) else None,
            "agreement_valid_only": agree / (agree + disagree) if agree + disagree else None}


# ---------------------------------------------------------------- constitution export

def constitution_json(summary: dict, settings: dict) -> str:
    """The constitution, its metrics and the run's settings as a JSON document."""
    document = {"constitution": [item["principle"] for item in summary.get("constitution", [])],
                "principles": summary.get("constitution", []),
                "reconstruction": summary.get("reconstruction"),
                "settings": settings,
                "definitions": am.METRIC_DEFINITIONS}
    return json.dumps(document, indent=2, ensure_ascii=False, default=str)


def constitution_markdown(summary: dict, settings: dict) -> str:
    """The constitution as a Markdown document: the principles, a metrics table and how it was made."""
    lines = ["# Constitution", "", "Principles that explain this dataset's preference labels, found by Inverse "
             "Constitutional AI (Preference Workbench).", ""]
    items = summary.get("constitution", [])
    if not items:
        lines.append("_No principle passed the filter._")
    for item in items:
        lines.append(f"{item['slot']}. {item['principle']}")
    lines += ["", "| # | for | against | abstain | invalid | relevance | accuracy | strength |",
              "|---|---|---|---|---|---|---|---|"]

    def number(value: Any) -> str:
        return "n/a" if value is None else f"{value:.3f}"
    for item in items:
        lines.append(f"| {item['slot']} | {item['agree']} | {item['disagree']} | {item['abstain']} | {item['invalid']} | "
                     f"{number(item['relevance'])} | {number(item['accuracy'])} | {number(item['strength'])} |")
    rec = summary.get("reconstruction") or {}
    if rec.get("constitution", {}).get("pairs"):
        lines += ["", f"Reconstruction on {rec['constitution']['pairs']} held-out pairs: "
                      f"{number(rec['constitution']['agreement'])} with the constitution, "
                      f"{number(rec.get('baseline', {}).get('agreement'))} without it."]
    lines += ["", "Definitions: " + "; ".join(f"**{k}**: {v}" for k, v in am.METRIC_DEFINITIONS.items()
                                              if k in ("relevance", "accuracy", "strength")),
              "", "Settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items()), ""]
    return "\n".join(lines)
