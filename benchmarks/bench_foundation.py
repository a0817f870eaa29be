"""Foundation benchmark: synthetic pairs -> Parquet -> workspace load -> filter + page latency -> memory,
against a naive pandas baseline on the same file.

    .venv/bin/python benchmarks/bench_foundation.py                 # 1,000,000 pairs (the target size)
    .venv/bin/python benchmarks/bench_foundation.py --pairs 20000   # quick smoke run
    .venv/bin/python benchmarks/bench_foundation.py --profile-load 100000   # cProfile of one load

Each measured part runs in its own fresh Python process, so that one part's memory never shows in
another's peak RSS:

* the parent generates the Parquet file (timed, not a target) and orchestrates;
* ``load`` child: ``WorkspaceStore(folder).load(path)``; load time, rows/s, peak RSS;
* ``serve`` child: opens the loaded workspace like the app and runs ``query.count`` + ``query.page``
  for every query case (one warm-up, then ``--repeats`` timed runs); latencies and peak RSS;
* ``naive`` child: ``pandas.read_parquet`` and the same queries as boolean masks + sort + head(50).

Figures are printed as tables and written to ``benchmarks/results/foundation.json`` (``--json``).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_JSON = HERE / "results" / "foundation.json"

# ---------------------------------------------------------------- targets
LOAD_TARGET_S = 30.0
QUERY_TARGET_MS = 300.0
SERVE_RSS_TARGET_BYTES = 2_000_000_000  # "2 GB", decimal
TARGET_PAIRS = 1_000_000  # the size the targets are stated for

EXPLORE_COLUMNS = ["pair_id", "source", "label", "prompt", "chosen", "rejected"]  # the Explore table's defaults
PAGE_SIZE = 50

# ---------------------------------------------------------------- synthetic data
SOURCES = ["ultrafeedback", "hh-rlhf", "helpsteer2", "chatbot-arena", "shp", "synthetic-math"]
SOURCE_WEIGHTS = [0.35, 0.25, 0.15, 0.12, 0.08, 0.05]
SPLITS = ["train", "test", "validation"]
SPLIT_WEIGHTS = [0.90, 0.05, 0.05]
TIE_RATE = 0.02
SHARED_PROMPT_RATE = 0.10  # pairs that reuse another pair's prompt (several pairs per prompt)
IDENTICAL_RATE = 0.001  # pairs whose two responses are the same text

FILTER_SOURCE = "helpsteer2"
FILTER_WORD = "python"

# Frequent English words first (roughly by frequency), then topical words, then a generated long tail.
_COMMON = """the of and to a in is it you that he was for on are with as I his they be at one have this
from or had by not word but what some we can out other were all there when up use your how said an each
she which do their time if will way about many then them write would like so these her long make thing
see him two has look more day could go come did number sound no most people my over know water than call
first who may down side been now find any new work part take get place made live where after back little
only round man year came show every good me give our under name very through just form sentence great
think say help low line differ turn cause much mean before move right boy old too same tell does set three
want air well also play small end put home read hand port large spell add even land here must big high such
follow act why ask men change went light kind off need house picture try us again animal point mother world
near build self earth father head stand own page should country found answer school grow study still learn
plant cover food sun four between state keep eye never last let thought city tree cross farm hard start
might story saw far sea draw left late run don't while press close night real life few north open seem
together next white children begin got walk example ease paper group always music those both mark often
letter until mile river car feet care second book carry took science eat room friend began idea fish
mountain stop once base hear horse cut sure watch color face wood main enough plain girl usual young ready
above ever red list though feel talk bird soon body dog family direct pose leave song measure door product
black short numeral class wind question happen complete ship area half rock order fire south problem piece
told knew pass since top whole king space heard best hour better true during hundred five remember step
early hold west ground interest reach fast verb sing listen six table travel less morning ten simple several
vowel toward war lay against pattern slow center love person money serve appear road map rain rule govern
pull cold notice voice unit power town fine certain fly fall lead cry dark machine note wait plan figure
star box noun field rest correct able pound done beauty drive stood contain front teach week final gave
green oh quick develop ocean warm free minute strong special mind behind clear tail produce fact street
inch multiply nothing course stay wheel full force blue object decide surface deep moon island foot system
busy test record boat common gold possible plane stead dry wonder laugh thousand ago ran check game shape
equate hot miss brought heat snow tire bring yes distant fill east paint language among"""
_TOPICAL = """code function error data model python javascript recipe budget email essay poem summary travel
health exercise sleep diet history physics chemistry biology algebra equation theorem proof database query
server network security password account invoice contract lawyer doctor symptom medicine garden weather
climate energy battery engine vehicle market stock investment salary resume interview manager meeting
schedule project deadline customer product review translation grammar vocabulary novel character plot
chapter movie album guitar piano painting museum restaurant coffee breakfast dinner birthday wedding
holiday vacation hotel flight airport ticket passport visa museum galaxy planet telescope rocket satellite
algorithm matrix vector gradient neural training dataset benchmark latency memory thread process kernel
compiler syntax variable loop array string integer float boolean dictionary library framework package"""
_SYLLABLES = ["ka", "lo", "mi", "ren", "to", "va", "sel", "dor", "an", "bri", "che", "fu", "gan", "hil", "ix",
              "jo", "kel", "lun", "mor", "nes", "ol", "pra", "qui", "ros", "sta", "tur", "um", "vex", "wal", "zen"]
PROMPT_STARTERS = ["How do I", "Can you explain", "Write a short story about", "What is the best way to",
                   "Summarize the following:", "Why does", "Give me three tips on", "Translate to French:",
                   "Is it true that", "Compare", "Help me fix this", "What are the pros and cons of",
                   "Draft an email about", "List the steps to", "Explain like I'm five:", "Rewrite this text:"]
RESPONSE_STARTERS = ["Sure!", "Certainly.", "Here is a short answer:", "I'm sorry, but", "Great question.",
                     "The answer is", "Step 1:", "In short,", "Let me explain.", "Here are a few ideas:",
                     "As an AI,", "Of course.", "Yes,", "No,", "It depends:", "Absolutely."]


def build_vocabulary(seed: int = 7, tail: int = 3000):
    """(tokens, sampling table): Zipf-Mandelbrot weights over common -> topical -> generated words,
    each also as 'word,' and 'word.' variants. The table maps uniform 20-bit integers to token ids."""
    import numpy as np

    rng = np.random.default_rng(seed)
    words, seen = [], set()
    for word in _COMMON.split() + _TOPICAL.split():
        if word not in seen:
            seen.add(word)
            words.append(word)
    wanted = len(words) + tail
    while len(words) < wanted:
        parts = rng.integers(0, len(_SYLLABLES), size=rng.integers(2, 5))
        word = "".join(_SYLLABLES[i] for i in parts)
        if word not in seen:
            seen.add(word)
            words.append(word)
    n = len(words)
    ranks = np.arange(n, dtype=np.float64)
    weights = 1.0 / (ranks + 2.7) ** 1.05
    # Topical words get a boost so that prompts read as being about something.
    topical = {w for w in _TOPICAL.split()}
    weights *= np.array([4.0 if w in topical else 1.0 for w in words])
    weights /= weights.sum()
    punctuation = np.array([0.90, 0.06, 0.04])  # none, ',', '.'
    tokens = words + [w + "," for w in words] + [w + "." for w in words]
    joint = (punctuation[:, None] * weights[None, :]).ravel()
    size = 1 << 20
    counts = np.floor(joint * size).astype(np.int64)
    counts[0] += size - counts.sum()  # rounding remainder to the most frequent token
    table = np.repeat(np.arange(len(tokens), dtype=np.int32), counts)
    return tokens, table


def _texts(rng, vocab, table, n_words):
    """One string per entry of ``n_words``: that many tokens drawn from the table, space-joined."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    offsets = np.zeros(len(n_words) + 1, dtype=np.int32)
    np.cumsum(n_words, out=offsets[1:])
    token_ids = table[rng.integers(0, len(table), size=int(offsets[-1]))]
    words = vocab.take(pa.array(token_ids))
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), words), " ")


def _starter(rng, starters, n, empty_rate=0.0):
    import numpy as np
    import pyarrow as pa

    choices = pa.array(starters + [""])
    idx = rng.integers(0, len(starters), size=n)
    if empty_rate:
        idx[rng.random(n) < empty_rate] = len(starters)
    return choices.take(pa.array(idx.astype(np.int32)))


def _response_lengths(rng, n, median):
    import numpy as np

    return np.clip(np.rint(np.exp(rng.normal(math.log(median), 0.45, size=n))), 20, 120).astype(np.int32)


def generate_chunk(rng, vocab, table, start: int, n: int):
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    # prompt: starter (2-5 words) + body, 15-40 words in all
    starters = _starter(rng, PROMPT_STARTERS, n)
    starter_words = pc.add(pc.count_substring(starters, " "), 1).to_numpy()
    body = _texts(rng, vocab, table, np.maximum(rng.integers(15, 41, size=n) - starter_words, 1))
    ends = pa.array(["?", ".", "?"]).take(pa.array(rng.integers(0, 3, size=n)))
    prompt = pc.binary_join_element_wise(pc.binary_join_element_wise(starters, body, " "), ends, "")
    if n > 1:
        shared = np.nonzero(rng.random(n) < SHARED_PROMPT_RATE)[0]
        shared = shared[shared > 0]
        take = np.arange(n)
        take[shared] = rng.integers(0, shared)  # reuse an earlier pair's prompt
        prompt = prompt.take(pa.array(take))

    def response(median):
        text = _texts(rng, vocab, table, _response_lengths(rng, n, median))
        lead = _starter(rng, RESPONSE_STARTERS, n, empty_rate=0.4)
        joined = pc.binary_join_element_wise(lead, pc.utf8_capitalize(text), " ")
        return pc.utf8_ltrim_whitespace(joined)

    chosen = response(62)  # chosen answers run a little longer, as in real preference data
    rejected = response(52)
    identical = rng.random(n) < IDENTICAL_RATE
    if identical.any():
        rejected = pc.if_else(pa.array(identical), chosen, rejected)
    ids = pc.binary_join_element_wise(
        "pair-", pc.utf8_lpad(pc.cast(pa.array(np.arange(start, start + n, dtype=np.int64)), pa.string()), 8, "0"), "")
    source = pa.array(SOURCES).take(pa.array(rng.choice(len(SOURCES), size=n, p=SOURCE_WEIGHTS)))
    split = pa.array(SPLITS).take(pa.array(rng.choice(len(SPLITS), size=n, p=SPLIT_WEIGHTS)))
    tie = pa.array(rng.random(n) < TIE_RATE)
    return pa.table({"id": ids, "prompt": prompt, "chosen": chosen, "rejected": rejected,
                     "source": source, "split": split, "tie": tie})


def generate(path: Path, n_pairs: int, seed: int = 0, chunk_rows: int = 100_000) -> dict:
    """Write ``n_pairs`` TRL standard-format rows (id, prompt, chosen, rejected, source, split, tie)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    start = time.perf_counter()
    tokens, table = build_vocabulary()
    vocab = pa.array(tokens)
    rng = np.random.default_rng(seed)
    writer = None
    try:
        for begin in range(0, n_pairs, chunk_rows):
            chunk = generate_chunk(rng, vocab, table, begin, min(chunk_rows, n_pairs - begin))
            if writer is None:
                writer = pq.ParquetWriter(str(path), chunk.schema)
            writer.write_table(chunk)
    finally:
        if writer is not None:
            writer.close()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "pairs": n_pairs, "pairs_per_s": n_pairs / seconds if seconds else None,
            "parquet_bytes": path.stat().st_size, "vocabulary_tokens": len(tokens)}


# ---------------------------------------------------------------- query cases
def query_cases(n_pairs: int) -> list[dict]:
    """Representative Explore queries: filter (structured or WHERE), optional sort, page offset."""
    deep = (n_pairs // 2) // PAGE_SIZE * PAGE_SIZE
    return [
        {"name": "no filter, first page", "filters": [], "where": None, "order_by": None, "descending": False, "offset": 0},
        {"name": f"source = {FILTER_SOURCE}", "filters": [{"column": "source", "op": "=", "value": FILTER_SOURCE}],
         "where": None, "order_by": None, "descending": False, "offset": 0},
        {"name": f"prompt contains '{FILTER_WORD}'", "filters": [{"column": "prompt", "op": "contains", "value": FILTER_WORD}],
         "where": None, "order_by": None, "descending": False, "offset": 0},
        {"name": "WHERE length(chosen) > length(rejected)", "filters": [], "where": "length(chosen) > length(rejected)",
         "order_by": None, "descending": False, "offset": 0},
        {"name": "row_index top 10%", "filters": [{"column": "row_index", "op": "top %", "value": 10}],
         "where": None, "order_by": None, "descending": False, "offset": 0},
        {"name": "sorted by source desc", "filters": [], "where": None, "order_by": "source", "descending": True, "offset": 0},
        {"name": "sorted by prompt", "filters": [], "where": None, "order_by": "prompt", "descending": False, "offset": 0},
        {"name": f"source = {FILTER_SOURCE}, sorted by chosen",
         "filters": [{"column": "source", "op": "=", "value": FILTER_SOURCE}], "where": None, "order_by": "chosen",
         "descending": False, "offset": 0},
        {"name": f"deep page, offset {deep:,}", "filters": [], "where": None, "order_by": None, "descending": False,
         "offset": deep},
    ]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _stats_ms(seconds: list[float]) -> dict:
    ms = [s * 1000.0 for s in seconds]
    return {"median_ms": _percentile(ms, 50), "p95_ms": _percentile(ms, 95), "min_ms": min(ms), "max_ms": max(ms),
            "runs": len(ms)}


def _rss_now() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


# ---------------------------------------------------------------- child roles
def role_load(args) -> dict:
    from workbench.workspace import WorkspaceStore

    before = _peak_rss()
    start = time.perf_counter()
    store = WorkspaceStore(args.workspace)
    opened = time.perf_counter()
    report = store.load(args.parquet)
    loaded = time.perf_counter()
    store.close()
    closed = time.perf_counter()
    folder_bytes = sum(p.stat().st_size for p in Path(args.workspace).rglob("*") if p.is_file())
    load_s = loaded - opened
    return {"open_s": opened - start, "load_s": load_s, "close_s": closed - loaded, "total_s": closed - start,
            "loaded": report.loaded, "rejected": report.rejected, "format": report.format, "stats": report.stats,
            "rows_per_s": report.loaded / load_s if load_s else None, "peak_rss_bytes": _peak_rss(),
            "rss_after_imports_bytes": before, "workspace_bytes": folder_bytes}


def role_serve(args) -> dict:
    from workbench import query
    from workbench.filters import Filter, FilterSpec
    from workbench.workspace import WorkspaceStore

    cases = json.loads(Path(args.cases).read_text())
    start = time.perf_counter()
    store = WorkspaceStore(args.workspace, read_only=args.read_only)
    open_s = time.perf_counter() - start
    rss_after_open = _rss_now()
    n_pairs = store.n_pairs()
    results = []
    for case in cases:
        spec = FilterSpec([Filter(**f) for f in case["filters"]], case["where"])

        def once():
            # A filter's first read: nothing kept from an earlier run of the same filter.
            if hasattr(query, "forget_matches"):
                query.forget_matches(store)
            t0 = time.perf_counter()
            matched = query.count(store, spec)
            t1 = time.perf_counter()
            frame = query.page(store, spec, columns=EXPLORE_COLUMNS, order_by=case["order_by"],
                               descending=case["descending"], limit=PAGE_SIZE, offset=case["offset"])
            t2 = time.perf_counter()
            return matched, frame, t1 - t0, t2 - t1

        matched, frame, *_ = once()  # warm-up
        counts, pages, totals = [], [], []
        for _ in range(args.repeats):
            _, _, count_s, page_s = once()
            counts.append(count_s)
            pages.append(page_s)
            totals.append(count_s + page_s)
        entry = {"name": case["name"], "matched": matched, "page_rows": len(frame),
                 "page_ids": frame["pair_id"].tolist(), "count": _stats_ms(counts), "page": _stats_ms(pages),
                 "total": _stats_ms(totals)}
        if hasattr(query, "forget_matches"):  # the next page of the same filter (page flips in Explore)
            def next_page():
                t0 = time.perf_counter()
                query.page(store, spec, columns=EXPLORE_COLUMNS, order_by=case["order_by"], descending=case["descending"],
                           limit=PAGE_SIZE, offset=case["offset"] + PAGE_SIZE)
                return time.perf_counter() - t0
            entry["next_page"] = _stats_ms([next_page() for _ in range(args.repeats)])
        if hasattr(query, "page_and_count"):  # the one-scan variant, where the core has it (informational)
            def combined():
                t0 = time.perf_counter()
                frame, total = query.page_and_count(store, spec, columns=EXPLORE_COLUMNS, order_by=case["order_by"],
                                                    descending=case["descending"], limit=PAGE_SIZE, offset=case["offset"])
                return frame, total, time.perf_counter() - t0
            frame2, total2, _ = combined()
            entry["page_and_count"] = _stats_ms([combined()[2] for _ in range(args.repeats)])
            entry["page_and_count"]["same_rows"] = total2 == matched and frame2["pair_id"].tolist() == entry["page_ids"]
        entry["breakdown"] = _statement_breakdown(query, store, once)
        entry["rss_after_bytes"] = _rss_now()
        results.append(entry)
    store.close()
    return {"open_s": open_s, "n_pairs": n_pairs, "read_only": args.read_only, "rss_after_open_bytes": rss_after_open,
            "peak_rss_bytes": _peak_rss(), "cases": results}


def _statement_breakdown(query, store, once, runs: int = 3) -> dict | None:
    """Where one count + page spends its time: each SQL statement that ``query._run`` executes, and the
    rest (Python: compiling the filter, reading the view's metadata). Benchmark-side instrumentation:
    ``query._run`` is wrapped in this process only, and put back afterwards."""
    original = getattr(query, "_run", None)
    if original is None:
        return None
    log: list[tuple[str, float]] = []

    def timed(*args, **kwargs):
        sql = args[1] if len(args) > 1 else kwargs.get("sql", "?")
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            log.append((sql, time.perf_counter() - start))

    query._run = timed
    samples = []
    try:
        for _ in range(runs):
            log.clear()
            start = time.perf_counter()
            once()
            samples.append((time.perf_counter() - start, list(log)))
    finally:
        query._run = original
    if len({len(statements) for _, statements in samples}) != 1:
        return None
    import re

    view = store.view_sql()
    select_list = store.select_list(EXPLORE_COLUMNS)
    statements = []
    for index, (sql, _) in enumerate(samples[0][1]):
        text = " ".join(sql.replace(view, "<view>").replace(select_list, "<page columns>").split())
        text = re.sub(r"\((\d+(, )?)+\)", lambda m: f"(<{m.group(0).count(',') + 1} ids>)", text)
        statements.append({"sql": text, "median_ms": _percentile([s[1][index][1] * 1000 for s in samples], 50)})
    total = _percentile([t * 1000 for t, _ in samples], 50)
    python = _percentile([(t - sum(x for _, x in st)) * 1000 for t, st in samples], 50)
    return {"runs": runs, "total_ms": total, "python_ms": python, "statements": statements}


def _naive_mask(df, case):
    """Boolean mask for a case, written the way a pandas user would."""
    import pandas as pd

    if not case["filters"] and not case["where"]:
        return pd.Series(True, index=df.index)
    mask = pd.Series(True, index=df.index)
    for f in case["filters"]:
        column, op, value = f["column"], f["op"], f["value"]
        if op == "=":
            mask &= df[column] == value
        elif op == "contains":
            mask &= df[column].str.contains(value, case=False, regex=False)
        elif op == "top %":
            k = math.ceil(len(df) * value / 100.0)
            top = df.sort_values([column, "pair_id"], ascending=[False, True]).head(k).index
            mask &= df.index.isin(top)
        else:
            raise ValueError(f"naive baseline has no implementation of '{op}'")
    if case["where"]:
        if case["where"] != "length(chosen) > length(rejected)":
            raise ValueError(f"naive baseline has no implementation of WHERE {case['where']}")
        mask &= df["chosen"].str.len() > df["rejected"].str.len()
    return mask


def role_naive(args) -> dict:
    import numpy as np
    import pandas as pd

    cases = json.loads(Path(args.cases).read_text())
    start = time.perf_counter()
    df = pd.read_parquet(args.parquet)
    df = df.rename(columns={"id": "pair_id"})
    df["label"] = np.where(df["tie"].to_numpy(), "tie", "preferred")
    df["row_index"] = np.arange(len(df), dtype=np.int64)
    load_s = time.perf_counter() - start
    rss_after_load = _rss_now()
    results = []
    for case in cases:
        def once():
            t0 = time.perf_counter()
            mask = _naive_mask(df, case)
            matched = int(mask.sum())
            selected = df[mask]
            if case["order_by"]:
                # stable sort keeps file order among equal keys, as the workspace's tie-break does
                selected = selected.sort_values(case["order_by"], ascending=not case["descending"], kind="stable")
            frame = selected.iloc[case["offset"]:case["offset"] + PAGE_SIZE][EXPLORE_COLUMNS]
            return matched, frame, time.perf_counter() - t0

        matched, frame, _ = once()  # warm-up
        totals = [once()[2] for _ in range(args.repeats)]
        results.append({"name": case["name"], "matched": matched, "page_rows": len(frame),
                        "page_ids": frame["pair_id"].tolist(), "total": _stats_ms(totals)})
    return {"load_s": load_s, "rows": len(df), "rss_after_load_bytes": rss_after_load, "peak_rss_bytes": _peak_rss(),
            "string_dtype": str(df["prompt"].dtype), "cases": results}


class _TimedConnection:
    """Delegates to a DuckDB connection and adds up the seconds each kind of statement takes."""

    def __init__(self, con):
        self._con = con
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def _add(self, key: str, seconds: float) -> None:
        self.seconds[key] = self.seconds.get(key, 0.0) + seconds
        self.calls[key] = self.calls.get(key, 0) + 1

    def execute(self, sql, *args, **kwargs):
        key = " ".join(str(sql).split())[:90]
        start = time.perf_counter()
        try:
            result = self._con.execute(sql, *args, **kwargs)
            if key.upper().startswith(("SELECT", "WITH")):
                rows = result.fetchall()  # fetch inside the timer, then hand back an equivalent result
                self._add(key, time.perf_counter() - start)
                return _Rows(rows)
            return result
        finally:
            if not key.upper().startswith(("SELECT", "WITH")):
                self._add(key, time.perf_counter() - start)

    def register(self, name, value):
        start = time.perf_counter()
        try:
            return self._con.register(name, value)
        finally:
            self._add("register(chunk arrow table)", time.perf_counter() - start)

    def __getattr__(self, name):
        return getattr(self._con, name)


class _Rows:
    def __init__(self, rows):
        self._rows = rows

    def fetchall(self):
        return self._rows


def role_profile_load(args) -> dict:
    """Three passes over the same file: the reader alone, a load with every SQL statement timed, and a
    load under cProfile (each into its own fresh workspace)."""
    import cProfile
    import io
    import pstats

    from workbench import loading
    from workbench.loading import PairReader, to_columns
    from workbench.workspace import WorkspaceStore

    # 0. which path will the load take? Flat TRL Parquet may go through a vectorized loader
    #    (workbench/columnar_load.py, where the core has it) instead of the row-by-row PairReader.
    path_used = "row-by-row PairReader"
    try:
        import duckdb

        from workbench import columnar_load
        from workbench.loading import LoadOptions, default_source_name

        scratch = duckdb.connect()
        try:
            if columnar_load.plan(scratch, args.parquet, LoadOptions(), default_source_name(args.parquet)) is not None:
                path_used = "vectorized columnar_load"
        finally:
            scratch.close()
    except Exception:  # no columnar loader in this core, or its interface changed
        pass

    # 1. the Python reader alone (file -> canonical pair dicts -> column lists), no database
    start = time.perf_counter()
    reader = PairReader(args.parquet)
    init_s = time.perf_counter() - start
    chunk_s = columns_s = 0.0
    mark = time.perf_counter()
    for chunk in reader.chunks():
        chunk_s += time.perf_counter() - mark
        t0 = time.perf_counter()
        to_columns(chunk)
        columns_s += time.perf_counter() - t0
        mark = time.perf_counter()
    t0 = time.perf_counter()
    loading.file_fingerprint(args.parquet)
    fingerprint_s = time.perf_counter() - t0
    reader_phase = {"PairReader() (open + sniff)": init_s, "reader.chunks() (rows -> pair dicts)": chunk_s,
                    "to_columns() (pair dicts -> column lists, JSON dumps)": columns_s,
                    "file_fingerprint() (blake2b of the file)": fingerprint_s}
    del reader

    # 2. a real load with each SQL statement timed
    store = WorkspaceStore(Path(args.workspace) / "timed")
    timed = _TimedConnection(store.con)
    store.con = timed
    start = time.perf_counter()
    report = store.load(args.parquet)
    timed_load_s = time.perf_counter() - start
    store.con = timed._con
    store.close()
    sql = sorted(({"statement": k, "seconds": v, "calls": timed.calls[k]} for k, v in timed.seconds.items()),
                 key=lambda item: -item["seconds"])

    # 3. cProfile
    store = WorkspaceStore(Path(args.workspace) / "profiled")
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    store.load(args.parquet)
    profiler.disable()
    seconds = time.perf_counter() - start
    store.close()
    texts = {}
    for key in ("tottime", "cumulative"):
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats(key).print_stats(args.profile_top)
        texts[key] = stream.getvalue()
    return {"loaded": report.loaded, "timed_load_s": timed_load_s, "reader_phase": reader_phase, "sql": sql,
            "path_used": path_used,
            "seconds_under_profiler": seconds, "tottime": texts["tottime"], "cumulative": texts["cumulative"],
            "peak_rss_bytes": _peak_rss()}


ROLES = {"load": role_load, "serve": role_serve, "naive": role_naive, "profile-load": role_profile_load}


def run_child(role: str, out: Path, **options) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--role", role, "--role-out", str(out)]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            if value:
                command.append(flag)
        else:
            command += [flag, str(value)]
    completed = subprocess.run(command, cwd=str(REPO), text=True, capture_output=True)
    if completed.returncode != 0:
        raise RuntimeError(f"'{role}' step failed (exit {completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    return json.loads(out.read_text())


class _Contention:
    """Measures how much CPU other processes used during a phase: machine-wide busy time from
    /proc/stat minus this process's and its children's CPU time."""

    def __init__(self, into: dict, name: str):
        self.into, self.name = into, name

    @staticmethod
    def _machine_busy_s() -> float:
        try:
            with open("/proc/stat") as handle:
                fields = [int(v) for v in handle.readline().split()[1:]]
        except OSError:
            return float("nan")
        user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _ours_s() -> float:
        total = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            usage = resource.getrusage(who)
            total += usage.ru_utime + usage.ru_stime
        return total

    def __enter__(self):
        self.wall, self.busy, self.ours = time.perf_counter(), self._machine_busy_s(), self._ours_s()
        return self

    def __exit__(self, *exc):
        wall = time.perf_counter() - self.wall
        other = max((self._machine_busy_s() - self.busy) - (self._ours_s() - self.ours), 0.0)
        self.into[self.name] = {"wall_s": wall, "other_cpu_s": other, "cores": other / wall if wall else 0.0}
        return False


# ---------------------------------------------------------------- report
def _mb(value: float) -> str:
    return f"{value / 1e6:,.0f} MB"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths)), line]
    for row in rows:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    return "\n".join(out)


def summarize(results: dict) -> str:
    n = results["pairs"]
    gen, load, serve, naive = results["generation"], results["load"], results["serve"], results.get("naive")
    lines = [f"Preference Workbench foundation benchmark: {n:,} pairs, {results['machine']['cpus']} CPUs, "
             f"python {results['machine']['python']}, duckdb {results['machine']['duckdb']}, "
             f"pandas {results['machine']['pandas']}, pyarrow {results['machine']['pyarrow']}; core "
             f"{results['machine']['core']['commit']}{' + local changes' if results['machine']['core']['workbench_dirty'] else ''} "
             f"(workbench digest {results['machine']['core']['workbench_digest']})",
             f"repeats per query: {results['repeats']} after 1 warm-up; serve process opens the workspace "
             f"{'read-only' if serve['read_only'] else 'read-write (like the app)'}"]
    other = results.get("other_cpu", {})
    if other:
        busiest = max(item["cores"] for item in other.values())
        lines.append("CPU used by OTHER processes on this machine during each phase (cores, average): "
                     + ", ".join(f"{name} {item['cores']:.2f}" for name, item in other.items())
                     + ("  <- WARNING: the machine was shared; timings are inflated" if busiest > 0.25 else ""))
    lines.append("")
    lines.append(f"Generation (not a target): {gen['seconds']:.1f} s, {gen['pairs_per_s']:,.0f} pairs/s, "
                 f"Parquet {_mb(gen['parquet_bytes'])}")
    lines.append(f"Load: {load['load_s']:.2f} s for {load['loaded']:,} pairs ({load['rows_per_s']:,.0f} rows/s); "
                 f"open {load['open_s']:.2f} s, close {load['close_s']:.2f} s; workspace on disk "
                 f"{_mb(load['workspace_bytes'])}; load process peak RSS {_mb(load['peak_rss_bytes'])}")
    lines.append(f"Serve: open {serve['open_s'] * 1000:.0f} ms, RSS after open {_mb(serve['rss_after_open_bytes'])}, "
                 f"peak RSS after all queries {_mb(serve['peak_rss_bytes'])}")
    if naive:
        lines.append(f"Naive pandas: read_parquet {naive['load_s']:.2f} s (strings as {naive['string_dtype']}), "
                     f"RSS after load {_mb(naive['rss_after_load_bytes'])}, peak RSS {_mb(naive['peak_rss_bytes'])}")
    lines.append("")

    rows = []
    naive_by_name = {c["name"]: c for c in naive["cases"]} if naive else {}
    for case in serve["cases"]:
        other = naive_by_name.get(case["name"])
        ratio = (f"{case['total']['median_ms'] / other['total']['median_ms']:.2f}" if other and other["total"]["median_ms"] else "-")
        agree = "-"
        if other:
            agree = "yes" if (other["matched"] == case["matched"] and other["page_ids"] == case["page_ids"]) else "NO"
        rows.append([case["name"], f"{case['matched']:,}", f"{case['count']['median_ms']:.1f}", f"{case['page']['median_ms']:.1f}",
                     f"{case['total']['median_ms']:.1f}", f"{case['total']['p95_ms']:.1f}",
                     f"{other['total']['median_ms']:.1f}" if other else "-", f"{other['total']['p95_ms']:.1f}" if other else "-",
                     ratio, agree])
    lines.append("Filter + page latency (ms; ours = query.count + query.page of 50 rows with the Explore columns, the "
                 "filter's first read (kept matches dropped before each run); naive = pandas mask + sort + slice):")
    lines.append(_table(rows, ["query", "matched", "count med", "page med", "ours med", "ours p95", "naive med",
                               "naive p95", "ours/naive", "same rows"]))
    lines.append("")
    flips = [[c["name"], f"{c['next_page']['median_ms']:.1f}", f"{c['next_page']['p95_ms']:.1f}"]
             for c in serve["cases"] if "next_page" in c]
    if flips:
        lines.append("Next page of the same filter (query.page at offset + 50, the filter's matches kept; ms):")
        lines.append(_table(flips, ["query", "median", "p95"]))
        lines.append("")
    combined = [[c["name"], f"{c['page_and_count']['median_ms']:.1f}", f"{c['page_and_count']['p95_ms']:.1f}",
                 "yes" if c["page_and_count"]["same_rows"] else "NO"] for c in serve["cases"] if "page_and_count" in c]
    if combined:
        lines.append("Informational: query.page_and_count (one call returning the page and the total; ms):")
        lines.append(_table(combined, ["query", "median", "p95", "same rows as count + page"]))
        lines.append("")

    broken = [c for c in serve["cases"] if c.get("breakdown")]
    if broken:
        lines.append("Where the time of one count + page goes (median of 3 instrumented runs; <view> is store.view_sql(); "
                     "<page columns> its select list; 'python' is everything outside SQL: filter compilation, view metadata, "
                     "DataFrames):")
        for case in broken:
            item = case["breakdown"]
            parts = " + ".join(f"{st['median_ms']:.0f}" for st in item["statements"])
            lines.append(f"  {case['name']}: {item['total_ms']:.0f} ms = python {item['python_ms']:.0f} + SQL {parts}")
            for st in item["statements"]:
                text = st["sql"] if len(st["sql"]) <= 150 else st["sql"][:147] + "..."
                lines.append(f"      {st['median_ms']:7.1f} ms  {text}")
        lines.append("")

    lines.append(f"Targets (stated for {TARGET_PAIRS:,} pairs on this 2-core machine"
                 + ("" if n == TARGET_PAIRS else f"; this run has {n:,} pairs, so PASS/FAIL is indicative only") + "):")
    lines.append(_table([[t["target"], t["measured"], t["goal"], t["result"]] for t in results["targets"]],
                        ["target", "measured", "goal", "result"]))
    return "\n".join(lines)


def evaluate_targets(results: dict) -> list[dict]:
    load, serve = results["load"], results["serve"]
    targets = [{"target": f"load {load['loaded']:,} pairs", "measured": f"{load['load_s']:.2f} s ({load['rows_per_s']:,.0f} rows/s)",
                "goal": f"< {LOAD_TARGET_S:.0f} s", "value": load["load_s"],
                "result": "PASS" if load["load_s"] < LOAD_TARGET_S else "FAIL"}]
    for case in serve["cases"]:
        p95 = case["total"]["p95_ms"]
        targets.append({"target": f"filter+page: {case['name']}",
                        "measured": f"p95 {p95:.1f} ms (median {case['total']['median_ms']:.1f})",
                        "goal": f"p95 < {QUERY_TARGET_MS:.0f} ms", "value": p95,
                        "result": "PASS" if p95 < QUERY_TARGET_MS else "FAIL"})
    targets.append({"target": "serve process peak RSS", "measured": _mb(serve["peak_rss_bytes"]),
                    "goal": "< 2 GB", "value": serve["peak_rss_bytes"],
                    "result": "PASS" if serve["peak_rss_bytes"] < SERVE_RSS_TARGET_BYTES else "FAIL"})
    targets.append({"target": "load process peak RSS", "measured": _mb(load["peak_rss_bytes"]),
                    "goal": "(reported, no target)", "value": load["peak_rss_bytes"], "result": "info"})
    return targets


def core_version() -> dict:
    """Which core code was measured: the git commit and a digest of workbench/**/*.py as it is on disk
    (the core changes under active development, so the commit alone may not say)."""
    import hashlib

    digest = hashlib.blake2b(digest_size=8)
    for path in sorted((REPO / "workbench").rglob("*.py")):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=str(REPO), text=True,
                                capture_output=True).stdout.strip() or None
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "workbench"], cwd=str(REPO), text=True,
                               capture_output=True).stdout.strip() != ""
    except OSError:
        commit, dirty = None, None
    return {"commit": commit, "workbench_dirty": dirty, "workbench_digest": digest.hexdigest()}


def machine_info() -> dict:
    import duckdb
    import numpy
    import pandas
    import pyarrow

    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "core": core_version(),
            "duckdb": duckdb.__version__, "pandas": pandas.__version__, "pyarrow": pyarrow.__version__,
            "numpy": numpy.__version__,
            "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")}


def wait_for_idle(max_wait_s: float, threshold_cores: float = 0.25, window_s: float = 5.0) -> float:
    """Wait (up to ``max_wait_s``) until other processes use under ``threshold_cores`` for ``window_s``;
    returns the seconds waited."""
    start = time.perf_counter()
    while True:
        sample: dict = {}
        with _Contention(sample, "idle"):
            time.sleep(window_s)
        waited = time.perf_counter() - start
        if sample["idle"]["cores"] < threshold_cores or waited >= max_wait_s:
            print(f"[bench] other processes used {sample['idle']['cores']:.2f} cores over the last {window_s:.0f} s "
                  f"(waited {waited:.0f} s)", flush=True)
            return waited
        time.sleep(1.0)


def main_benchmark(args) -> int:
    workdir = Path(args.workdir).resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="wb-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    created_parquet = False
    try:
        parquet = workdir / f"pairs-{args.pairs}.parquet"
        workspace = workdir / "workspace"
        if workspace.exists():
            shutil.rmtree(workspace)  # a fresh workspace every run
        print(f"[bench] work folder {workdir}", flush=True)
        contention = {}
        if args.wait_idle:
            wait_for_idle(args.wait_idle)
        print(f"[bench] generating {args.pairs:,} pairs -> {parquet.name}", flush=True)
        with _Contention(contention, "generate"):
            generation = generate(parquet, args.pairs, seed=args.seed)
        created_parquet = True
        print(f"[bench]   {generation['seconds']:.1f} s", flush=True)
        cases_path = workdir / "cases.json"
        cases_path.write_text(json.dumps(query_cases(args.pairs)))

        print("[bench] loading into a fresh workspace (child process)", flush=True)
        with _Contention(contention, "load"):
            load = run_child("load", workdir / "load.json", parquet=parquet, workspace=workspace)
        print(f"[bench]   {load['load_s']:.2f} s", flush=True)
        print(f"[bench] serving {len(query_cases(args.pairs))} query cases x {args.repeats} (child process)", flush=True)
        with _Contention(contention, "serve"):
            serve = run_child("serve", workdir / "serve.json", workspace=workspace, cases=cases_path,
                              repeats=args.repeats, read_only=args.serve_read_only)
        naive = None
        if not args.no_naive:
            print("[bench] naive pandas baseline (child process)", flush=True)
            with _Contention(contention, "naive"):
                naive = run_child("naive", workdir / "naive.json", parquet=parquet, cases=cases_path, repeats=args.repeats)
        results = {"benchmark": "foundation", "other_cpu": contention, "pairs": args.pairs, "repeats": args.repeats, "seed": args.seed,
                   "page_size": PAGE_SIZE, "columns": EXPLORE_COLUMNS, "machine": machine_info(),
                   "generation": generation, "load": load, "serve": serve, "naive": naive,
                   "cases": json.loads(cases_path.read_text())}
        results["targets"] = evaluate_targets(results)
        for case in serve["cases"]:
            other = next((c for c in (naive or {}).get("cases", []) if c["name"] == case["name"]), None)
            if other:
                case["ratio_to_naive"] = case["total"]["median_ms"] / other["total"]["median_ms"] if other["total"]["median_ms"] else None
                case["same_rows_as_naive"] = other["matched"] == case["matched"] and other["page_ids"] == case["page_ids"]
        print()
        print(summarize(results))
        json_path = Path(args.json)
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=1, default=str))
        print(f"\nWrote {json_path}")
        if args.keep:
            print(f"Kept {workdir} (Parquet file and workspace)")
        return 0 if all(t["result"] != "FAIL" for t in results["targets"]) else 1
    finally:
        if not args.keep:
            if args.workdir:
                # only remove what this run made inside a folder the user named
                for name in ("workspace", "cases.json", "load.json", "serve.json", "naive.json"):
                    target = workdir / name
                    if target.is_dir():
                        shutil.rmtree(target, ignore_errors=True)
                    elif target.exists():
                        target.unlink()
                if created_parquet:
                    (workdir / f"pairs-{args.pairs}.parquet").unlink(missing_ok=True)
            else:
                shutil.rmtree(workdir, ignore_errors=True)


def main_profile(args) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="wb-bench-profile-"))
    try:
        parquet = workdir / "pairs.parquet"
        generate(parquet, args.profile_load, seed=args.seed)
        result = run_child("profile-load", workdir / "profile.json", parquet=parquet, workspace=workdir / "workspace",
                           profile_top=args.profile_top)
        lines = [f"Load of {result['loaded']:,} generated pairs: {result['timed_load_s']:.2f} s "
                 f"(no profiler; SQL statements timed); load path: {result['path_used']}", "",
                 "Row-by-row reader alone, no database (same file, separate pass"
                 + ("; NOT the path this load takes)" if result["path_used"] != "row-by-row PairReader" else "):")]
        lines += [f"  {seconds:8.2f} s  {name}" for name, seconds in result["reader_phase"].items()]
        lines += ["", "SQL statements inside WorkspaceStore.load (seconds, calls):"]
        lines += [f"  {item['seconds']:8.2f} s  x{item['calls']:<4} {item['statement']}" for item in result["sql"]]
        sql_total = sum(item["seconds"] for item in result["sql"])
        lines += [f"  {sql_total:8.2f} s  all SQL; the rest of the load "
                  f"({result['timed_load_s'] - sql_total:.2f} s) is Python (reading, parsing, building columns)", ""]
        lines += [f"cProfile of a third load: {result['seconds_under_profiler']:.2f} s under the profiler "
                  "(DuckDB calls are not shown as their own entries; their time lands in the caller's tottime)", "",
                  f"== sorted by own time (tottime) ==\n{result['tottime']}",
                  f"== sorted by cumulative time ==\n{result['cumulative']}"]
        text = "\n".join(lines)
        print(text)
        out = HERE / "results" / f"profile_load_{args.profile_load}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        print(f"Wrote {out}")
        return 0
    finally:
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=TARGET_PAIRS, help="synthetic pairs to generate (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per query after one warm-up (default 15)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the Parquet file and the workspace")
    parser.add_argument("--workdir", help="folder for the Parquet file and workspace (default: a temp folder)")
    parser.add_argument("--json", default=str(DEFAULT_JSON), help=f"where to write the figures (default {DEFAULT_JSON})")
    parser.add_argument("--no-naive", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                        help="before starting, wait up to SECONDS for other processes to leave the CPUs idle")
    parser.add_argument("--serve-read-only", action="store_true",
                        help="open the workspace read-only in the serve process (the app opens it read-write)")
    parser.add_argument("--profile-load", type=int, metavar="N",
                        help="instead of the benchmark: cProfile one load of N generated pairs")
    parser.add_argument("--profile-top", type=int, default=30, help=argparse.SUPPRESS)
    # internal: child process roles
    parser.add_argument("--role", choices=sorted(ROLES), help=argparse.SUPPRESS)
    parser.add_argument("--role-out", help=argparse.SUPPRESS)
    parser.add_argument("--parquet", help=argparse.SUPPRESS)
    parser.add_argument("--workspace", help=argparse.SUPPRESS)
    parser.add_argument("--cases", help=argparse.SUPPRESS)
    parser.add_argument("--read-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.role:
        result = ROLES[args.role](args)
        Path(args.role_out).write_text(json.dumps(result, default=str))
        return 0
    if args.profile_load:
        return main_profile(args)
    return main_benchmark(args)


if __name__ == "__main__":
    sys.exit(main())
