"""The UI helpers that need no running app: workspace resolution, value parsing, the word diff."""
from __future__ import annotations

from pathlib import Path

import pytest

from workbench.errors import WorkbenchError
from workbench.ui.diff import changed_word_counts, word_diff_html
from workbench.ui.filters import parse_value
from workbench.ui.loading import parse_column_map
from workbench.ui.state import workspace_from_args


def test_workspace_from_args_precedence(tmp_path):
    env = {"WORKBENCH_WORKSPACE": str(tmp_path / "from-env")}
    assert workspace_from_args(["--workspace", str(tmp_path / "cli")], env) == tmp_path / "cli"
    assert workspace_from_args([f"--workspace={tmp_path / 'cli'}"], env) == tmp_path / "cli"
    assert workspace_from_args(["-q", "tests/ui"], env) == tmp_path / "from-env"
    assert workspace_from_args([], {}) == Path(".workspace").resolve()


def test_parse_value_per_operator():
    assert parse_value("=", "12", numeric=True) == 12
    assert parse_value(">", "0.5", numeric=True) == 0.5
    assert parse_value("=", "12", numeric=False) == "12"
    assert parse_value("between", "1, 10", numeric=True) == [1, 10]
    assert parse_value("between", "1 and 10", numeric=True) == [1, 10]
    assert parse_value("in", "a, b ,c", numeric=False) == ["a", "b", "c"]
    assert parse_value("in", ["a", "b"], numeric=False) == ["a", "b"]
    assert parse_value("top %", "5", numeric=True) == 5
    assert parse_value("is null", "ignored", numeric=False) is None
    assert parse_value(">", "many", numeric=True) == "many"  # left for the filter compiler to reject by name


def test_parse_column_map():
    assert parse_column_map("prompt=question\n\n chosen = good \n") == {"prompt": "question", "chosen": "good"}
    with pytest.raises(WorkbenchError, match="line 1"):
        parse_column_map("prompt question")
    with pytest.raises(WorkbenchError, match="line 2"):
        parse_column_map("prompt=q\nchosen=")


def test_word_diff_marks_only_the_changed_words():
    chosen, rejected = word_diff_html("The cat sat on the mat.", "The dog sat on the mat.")
    assert chosen == 'The <ins class="wb-only">cat</ins> sat on the mat.'
    assert rejected == 'The <del class="wb-only">dog</del> sat on the mat.'
    assert changed_word_counts("The cat sat on the mat.", "The dog sat on the mat.") == (1, 1)


def test_word_diff_escapes_markup_and_keeps_spacing():
    chosen, rejected = word_diff_html("a <script>alert(1)</script>\n\n b", "a & b")
    assert "<script>" not in chosen and "&lt;script&gt;alert(1)&lt;/script&gt;" in chosen
    assert "&amp;" in rejected
    assert "\n\n" in chosen  # line breaks survive for the pre-wrapped box
    assert word_diff_html("same text", "same text") == ("same text", "same text")
    assert word_diff_html("", "  ") == ("", "  ")


def test_word_diff_insertions_and_deletions():
    chosen, rejected = word_diff_html("one two three four", "one four")
    assert chosen == 'one <ins class="wb-only">two three</ins> four'
    assert rejected == "one four"
