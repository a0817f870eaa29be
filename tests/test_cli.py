"""The CLI contract: the documented commands, exit status non-zero with one sentence on stderr."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import FIXTURES, ROOT
from workbench.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_load_analyze_summary_query_tag_export(tmp_path, capsys):
    ws = str(tmp_path / "ws")
    assert main(["load", str(FIXTURES / "trl_standard.jsonl"), "--workspace", ws]) == 0
    assert "Loaded 3 pairs from trl_standard.jsonl as trl" in capsys.readouterr().out
    assert main(["analyze", "basic", "--workspace", ws, "--set", "tokenizer=regex"]) == 0
    assert "Finished run" in capsys.readouterr().out
    assert main(["analyze", "basic", "--workspace", ws, "--set", "tokenizer=regex"]) == 0
    assert "Reused the stored run" in capsys.readouterr().out
    assert main(["summary", "--workspace", ws, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["pairs"] == 3 and summary["ties"] == 1 and "basic" in summary["analyzers"]
    assert main(["query", "--workspace", ws, "--filter", "source = geo", "--json", "--columns", "pair_id,prompt"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"pair_id": "q1", "prompt": "What is the capital of France?"}]
    assert main(["tag", "drop", "--workspace", ws, "--where", "source = 'math'", "--note", "wrong math"]) == 0
    assert "Tagged 1 pairs 'drop'" in capsys.readouterr().out
    out = tmp_path / "clean.jsonl"
    assert main(["export", str(out), "--workspace", ws, "--filter", "tag is null", "--format", "trl", "--with-scores"]) == 0
    rows = [json.loads(line) for line in open(out, encoding="utf-8")]
    assert [r["id"] for r in rows] == ["q1", "q3"] and "basic.length_delta_words" in rows[0]
    manifest = json.loads((tmp_path / "clean.jsonl.manifest.json").read_text())
    assert manifest["counts"] == {"total": 3, "kept": 2, "removed": 1}


@pytest.mark.parametrize("args, message", [
    (["load", "missing.jsonl"], "error: File not found: 'missing.jsonl'."),
    (["load", str(FIXTURES / "malformed.jsonl")], "error: malformed.jsonl, line 2, field 'rejected': is missing."),
    (["analyze", "nope"], "error: Unknown analyzer 'nope'"),
    (["export", "x.jsonl", "--where", "1=1; DROP TABLE pairs"], "error: The WHERE clause is not valid"),
    (["query", "--filter", "nonsense"], "error: Cannot read filter 'nonsense'"),
])
def test_errors_exit_non_zero_with_one_sentence(tmp_path, args, message):
    ws = str(tmp_path / "ws")
    assert run_cli("load", str(FIXTURES / "trl_standard.jsonl"), "--workspace", ws).returncode == 0
    result = run_cli(*args, "--workspace", ws)
    assert result.returncode != 0
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_max_field_chars_and_memory_limit_options(tmp_path):
    result = run_cli("load", str(FIXTURES / "trl_standard.jsonl"), "--max-field-chars", "5", "--workspace", str(tmp_path / "a"))
    assert result.returncode == 1
    assert result.stderr.startswith("error: trl_standard.jsonl, line 1, field 'prompt': is 30 characters, over the limit of 5")
    import os

    env = {**os.environ, "WORKBENCH_MEMORY_LIMIT": "lots'; DROP TABLE pairs; --"}
    bad = subprocess.run([sys.executable, "-m", "workbench.cli", "load", str(FIXTURES / "trl_standard.jsonl"), "--workspace", str(tmp_path / "b")],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert bad.returncode == 1 and "Invalid memory limit" in bad.stderr


def test_skip_reports_rejects(tmp_path):
    result = run_cli("load", str(FIXTURES / "malformed.jsonl"), "--on-error", "skip", "--workspace", str(tmp_path / "ws"))
    assert result.returncode == 0
    assert "Loaded 2 pairs" in result.stdout and "skipped 3 malformed rows" in result.stdout


def test_list_names_every_format_and_analyzer(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("trl", "hh-rlhf", "pairwise-text", "alpaca-eval", "arena", "evalbiasbench", "annotated-pairs", "basic"):
        assert f"  {name} " in out


def test_column_mapping_on_the_command_line(tmp_path, capsys):
    data = tmp_path / "odd.csv"
    pd.DataFrame([{"q": "Q?", "good": "yes", "bad": "no"}]).to_csv(data, index=False)
    ws = str(tmp_path / "ws")
    assert main(["load", str(data), "--workspace", ws, "--format", "trl", "--map", "prompt=q", "--map", "chosen=good",
                 "--map", "rejected=bad"]) == 0
    capsys.readouterr()
    assert main(["query", "--workspace", ws, "--json", "--columns", "prompt,chosen,rejected"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"prompt": "Q?", "chosen": "yes", "rejected": "no"}]
