"""Structured filters equal an independent pandas computation; hostile SQL is refused and changes nothing."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.conftest import write_jsonl
from workbench import query
from workbench.errors import FilterError
from workbench.filters import Filter, FilterSpec, parse_filter
from workbench.jobs import analyze

ROWS = [
    {"id": f"r{i:02d}", "prompt": f"question {i} about {'cats' if i % 3 == 0 else 'dogs'}",
     "chosen": "word " * (i % 7 + 1), "rejected": "word " * (i % 5 + 1), "source": ["alpha", "beta", "gamma"][i % 3],
     "split": "train" if i % 4 else "test"}
    for i in range(40)
]


@pytest.fixture
def loaded(store, tmp_path):
    store.load(str(write_jsonl(tmp_path / "rows.jsonl", ROWS)))
    analyze(store, "basic", {"tokenizer": "regex"})
    frame = pd.DataFrame(ROWS)
    frame["delta"] = frame.chosen.str.split().str.len() - frame.rejected.str.split().str.len()
    return store, frame


def ids(store, *filters, where=None):
    return set(query.matching_ids(store, FilterSpec(list(filters), where)))


@pytest.mark.parametrize("filter_, expected", [
    (Filter("source", "=", "beta"), lambda f: f.source == "beta"),
    (Filter("source", "!=", "beta"), lambda f: f.source != "beta"),
    (Filter("source", "in", ["alpha", "gamma"]), lambda f: f.source.isin(["alpha", "gamma"])),
    (Filter("source", "not in", ["alpha"]), lambda f: ~f.source.isin(["alpha"])),
    (Filter("prompt", "contains", "CATS"), lambda f: f.prompt.str.contains("cats")),
    (Filter("prompt", "not contains", "cats"), lambda f: ~f.prompt.str.contains("cats")),
    (Filter("prompt", "contains", "_"), lambda f: f.prompt.str.contains("_", regex=False)),      # LIKE wildcards are literal
    (Filter("prompt", "contains", "1%"), lambda f: f.prompt.str.contains("1%", regex=False)),
    (Filter("prompt", "contains", "n 1"), lambda f: f.prompt.str.contains("n 1", regex=False)),
    (Filter("prompt", "regex", r"question [12]\d "), lambda f: f.prompt.str.contains(r"question [12]\d ")),
    (Filter("basic.length_delta_words", ">", 2), lambda f: f.delta > 2),
    (Filter("basic.length_delta_words", "<=", -1), lambda f: f.delta <= -1),
    (Filter("basic.length_delta_words", "between", [-1, 1]), lambda f: f.delta.between(-1, 1)),
    (Filter("basic.length_delta_words", "=", "0"), lambda f: f.delta == 0),
    (Filter("split", "is null"), lambda f: f.split.isna()),
    (Filter("tag", "is null"), lambda f: f.source.notna()),
])
def test_filters_match_pandas(loaded, filter_, expected):
    store, frame = loaded
    assert ids(store, filter_) == set(frame[expected(frame)].id)


def test_rank_filters_match_pandas(loaded):
    store, frame = loaded
    ranked = frame.sort_values(["delta", "id"], ascending=[False, True])
    assert ids(store, Filter("basic.length_delta_words", "top k", 5)) == set(ranked.id[:5])
    ascending = frame.sort_values(["delta", "id"])
    assert ids(store, Filter("basic.length_delta_words", "bottom k", 3)) == set(ascending.id[:3])
    assert ids(store, Filter("basic.length_delta_words", "top %", 10)) == set(ranked.id[:4])  # ceil(40 * 10%)
    assert len(ids(store, Filter("basic.length_delta_words", "bottom %", 12.5))) == 5


def test_filters_compose_across_pairs_results_and_tags(loaded):
    store, frame = loaded
    store.set_tag(["r00", "r03", "r06"], "drop", "bad")
    got = ids(store, Filter("source", "=", "alpha"), Filter("tag", "=", "drop"), Filter("basic.length_delta_words", ">=", 0))
    assert got == set(frame[(frame.source == "alpha") & frame.id.isin(["r00", "r03", "r06"]) & (frame.delta >= 0)].id)
    assert ids(store, where="tag = 'drop' AND basic.length_delta_words >= 0 AND source = 'alpha'") == got
    # the WHERE box and structured filters are ANDed
    assert ids(store, Filter("split", "=", "test"), where="source = 'alpha'") == set(frame[(frame.split == "test") & (frame.source == "alpha")].id)


def test_page_and_count_agree_with_separate_queries(loaded):
    store, frame = loaded
    spec = FilterSpec([Filter("source", "in", ["alpha", "beta"])])
    for offset in (0, 10, 26, 40):
        page, total = query.page_and_count(store, spec, columns=["pair_id", "prompt"], limit=7, offset=offset)
        assert total == query.count(store, spec) == int(frame.source.isin(["alpha", "beta"]).sum())
        expected = frame[frame.source.isin(["alpha", "beta"])].id.tolist()[offset:offset + 7]
        assert page["pair_id"].tolist() == expected


def test_kept_matches_follow_every_write(loaded, tmp_path):
    store, frame = loaded
    dropped = FilterSpec([Filter("tag", "=", "drop")])
    assert query.count(store, dropped) == 0 and query.page(store, dropped).empty
    store.set_tag(["r01", "r02"], "drop")
    assert query.count(store, dropped) == 2
    assert query.page(store, dropped, columns=["pair_id"])["pair_id"].tolist() == ["r01", "r02"]
    store.set_tag(["r01"], None)
    assert query.page_and_count(store, dropped, columns=["pair_id"])[1] == 1
    more = [{"id": "z1", "prompt": "question about cats", "chosen": "a", "rejected": "b", "source": "alpha"}]
    store.load(str(write_jsonl(tmp_path / "more.jsonl", more)))
    cats = FilterSpec([Filter("prompt", "contains", "cats")])
    assert query.count(store, cats) == int(frame.prompt.str.contains("cats").sum()) + 1
    for spec_number in range(12):  # more filters than are kept: old ones are dropped, answers stay right
        spec = FilterSpec([Filter("basic.length_delta_words", ">=", spec_number - 6)])
        assert query.count(store, spec) == int((frame.delta >= spec_number - 6).sum())
    assert len(store.match_tables) <= query.MATCH_TABLES_KEPT


def test_page_sorting_and_offsets(loaded):
    store, frame = loaded
    page = query.page(store, FilterSpec([Filter("source", "=", "beta")]), columns=["pair_id", "basic.length_delta_words"],
                      order_by="basic.length_delta_words", descending=True, limit=4, offset=2)
    expected = frame[frame.source == "beta"].sort_values(["delta"], ascending=False, kind="stable")
    assert page["basic.length_delta_words"].tolist() == expected.delta.tolist()[2:6]
    assert query.count(store, FilterSpec([Filter("source", "=", "beta")])) == int((frame.source == "beta").sum())


@pytest.mark.parametrize("bad, message", [
    (Filter("nope", "=", 1), "Unknown column 'nope'"),
    (Filter("source", "~", 1), "Unknown operator '~'"),
    (Filter("basic.length_delta_words", ">", "ten"), "needs a number, got 'ten'"),
    (Filter("basic.length_delta_words", "between", [1]), "needs two values"),
    (Filter("basic.length_delta_words", "top %", 150), "percent must be in"),
    (Filter("prompt", "contains", ""), "needs some text"),
])
def test_bad_structured_filters_say_what_is_wrong(loaded, bad, message):
    store, _ = loaded
    with pytest.raises(FilterError, match=re.escape(message)):
        query.count(store, FilterSpec([bad]))


HOSTILE = [
    "1=1; DROP TABLE pairs",
    "1=1); DROP TABLE pairs; --",
    "1=1) UNION ALL (SELECT * FROM pairs",
    "pair_id IN (SELECT column0 FROM read_csv('/etc/passwd'))",
    "pair_id IN (SELECT * FROM '/etc/passwd')",
    "EXISTS (SELECT 1 FROM read_text('/etc/hostname'))",
    "pair_id IN (SELECT * FROM glob('/*'))",
    "getenv('HOME') IS NOT NULL",
    "pair_id IN (SELECT 1 FROM query('SELECT 1'))",
    "1=1 ORDER BY 1",
    "1=1 LIMIT 1",
    "pair_id IN (SELECT pair_id FROM other_db.main.pairs)",
    "pair_id IN (SELECT name FROM duckdb_settings())",
    "1=1) GROUP BY pair_id HAVING (1=1",
    "pair_id IN (WITH x AS (SELECT 1) SELECT * FROM x) OR 1=1; COPY pairs TO '/tmp/x.csv'",
    "1=1\x00",
]


@pytest.mark.parametrize("where", HOSTILE)
def test_hostile_where_is_refused_and_changes_nothing(loaded, where, tmp_path):
    store, _ = loaded
    before = store.fingerprint()
    with pytest.raises(FilterError):
        query.count(store, FilterSpec(where=where))
    assert store.fingerprint() == before and store.n_pairs() == 40


def test_friendly_where_features_work(loaded):
    store, frame = loaded
    dup_prompt_sources = ids(store, where="source IN (SELECT source FROM pairs GROUP BY source HAVING count(*) > 13)")
    counts = frame.source.value_counts()
    assert dup_prompt_sources == set(frame[frame.source.isin(counts[counts > 13].index)].id)
    assert ids(store, where="length(chosen) > length(rejected) -- a comment") == set(frame[frame.chosen.str.len() > frame.rejected.str.len()].id)


@pytest.mark.parametrize("text, expected", [
    ("basic.length_delta_words > 10", Filter("basic.length_delta_words", ">", 10)),
    ("source in alpha, beta", Filter("source", "in", ["alpha", "beta"])),
    ('prompt contains "two words"', Filter("prompt", "contains", "two words")),
    ("basic.length_delta_words top 5%", Filter("basic.length_delta_words", "top %", 5)),
    ("basic.length_delta_words bottom 7", Filter("basic.length_delta_words", "bottom k", 7)),
    ("tag is null", Filter("tag", "is null")),
    ("x between 1 and 2.5", Filter("x", "between", [1, 2.5])),
    ("source != a=b", Filter("source", "!=", "a=b")),
])
def test_parse_filter_text(text, expected):
    assert parse_filter(text) == expected


def test_parse_filter_refuses_gibberish():
    with pytest.raises(FilterError, match="Cannot read filter"):
        parse_filter("just words")
