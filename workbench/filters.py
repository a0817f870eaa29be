"""Structured filters -> parameterized SQL, and the read-only advanced WHERE box.

A ``Filter`` is (column, op, value) over any column of the workspace's joined view (pair columns,
``analyzer.column`` results, ``tag``). Values always travel as SQL parameters; column names are checked
against the view. The advanced WHERE text is parsed by DuckDB and accepted only when it is a single
boolean expression that reads workspace tables and nothing else (no files, no table functions).
"""
from __future__ import annotations

import json
import re
import shlex
from dataclasses import asdict, dataclass, field
from typing import Any

from workbench.errors import FilterError

NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "UTINYINT",
                 "USMALLINT", "UINTEGER", "UBIGINT", "REAL")
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
TEXT_OPS = ("contains", "not contains", "regex")
NULL_OPS = ("is null", "is not null")
SET_OPS = ("in", "not in")
RANK_OPS = ("top k", "bottom k", "top %", "bottom %")
OPS = (*COMPARISONS, "between", *SET_OPS, *TEXT_OPS, *NULL_OPS, *RANK_OPS)

# Functions that reach outside the workspace's tables; table functions are refused wholesale.
_FORBIDDEN_FUNCTIONS = {"query", "query_table", "getenv", "read_text", "read_blob", "glob", "current_setting",
                        "read_csv", "read_csv_auto", "read_json", "read_json_auto", "read_parquet", "parquet_scan"}
_ALLOWED_TABLE = re.compile(r"^(pairs|tags|runs|datasets|result_[a-z0-9_]+)$")
_PLACEHOLDER = "__workbench_view__"


@dataclass
class Filter:
    column: str
    op: str
    value: Any = None

    def describe(self) -> str:
        if self.op in NULL_OPS:
            return f"{self.column} {self.op}"
        if self.op in RANK_OPS:
            unit = "%" if self.op.endswith("%") else ""
            return f"{self.column} {self.op.split()[0]} {self.value}{unit}"
        return f"{self.column} {self.op} {json.dumps(self.value, ensure_ascii=False)}"


@dataclass
class FilterSpec:
    """Everything that narrows the pairs: structured filters (ANDed) and an optional WHERE text."""

    filters: list[Filter] = field(default_factory=list)
    where: str | None = None

    def describe(self) -> list[str]:
        parts = [f.describe() for f in self.filters]
        if self.where and self.where.strip():
            parts.append(f"WHERE {self.where.strip()}")
        return parts

    def as_dict(self) -> dict:
        return {"filters": [asdict(f) for f in self.filters], "where": self.where}

    @classmethod
    def from_dict(cls, data: dict) -> "FilterSpec":
        return cls([Filter(**f) for f in data.get("filters", [])], data.get("where"))


def is_numeric_type(kind: str) -> bool:
    """True for DuckDB numeric column types."""
    return kind.upper().startswith(NUMERIC_TYPES)


def _number(value: Any, filter_: Filter) -> float:
    if isinstance(value, bool):
        raise FilterError(f"Filter on '{filter_.column}': '{filter_.op}' needs a number, got {value!r}.")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise FilterError(f"Filter on '{filter_.column}': '{filter_.op}' needs a number, got {value!r}.") from None


def compile_filter(filter_: Filter, columns: dict[str, dict], view_sql: str) -> tuple[str, list]:
    """SQL condition and parameters for one structured filter."""
    if filter_.column not in columns:
        raise FilterError(f"Unknown column '{filter_.column}' in filter; available: {', '.join(list(columns)[:40])}.")
    if filter_.op not in OPS:
        raise FilterError(f"Unknown operator '{filter_.op}' in filter on '{filter_.column}'; use one of: {', '.join(OPS)}.")
    info = columns[filter_.column]
    column_sql, numeric, op, value = info["sql"], is_numeric_type(info["type"]), filter_.op, filter_.value
    if info["type"].upper() == "JSON":
        column_sql = f"CAST({column_sql} AS VARCHAR)"
    if op in NULL_OPS:
        return f"{column_sql} {op.upper()}", []
    if op in COMPARISONS:
        if numeric:
            value = _number(value, filter_)
        elif info["type"].upper() == "BOOLEAN":
            value = _boolean(value, filter_)
        elif value is None:
            raise FilterError(f"Filter on '{filter_.column}': '{op}' needs a value.")
        else:
            value = str(value)
        return f"{column_sql} {op} ?", [value]
    if op == "between":
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise FilterError(f"Filter on '{filter_.column}': 'between' needs two values [low, high].")
        low, high = (_number(v, filter_) for v in value) if numeric else (str(v) for v in value)
        return f"{column_sql} BETWEEN ? AND ?", [low, high]
    if op in SET_OPS:
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if not values:
            raise FilterError(f"Filter on '{filter_.column}': '{op}' needs at least one value.")
        values = [_number(v, filter_) for v in values] if numeric else [str(v) for v in values]
        marks = ", ".join("?" for _ in values)
        negate = "NOT " if op == "not in" else ""
        return f"{column_sql} {negate}IN ({marks})", values
    if op in TEXT_OPS:
        if value is None or str(value) == "":
            raise FilterError(f"Filter on '{filter_.column}': '{op}' needs some text.")
        text_sql = column_sql if not numeric else f"CAST({column_sql} AS VARCHAR)"
        if op == "regex":
            return f"regexp_matches({text_sql}, ?)", [str(value)]
        negate = "NOT " if op == "not contains" else ""
        if re.search(r"[\\%_]", str(value)):  # LIKE wildcards in the text: match it literally
            return f"{negate}contains(lower({text_sql}), lower(?))", [str(value)]
        return f"{negate}({text_sql} ILIKE ?)", [f"%{value}%"]  # the fastest case-insensitive scan in DuckDB
    # Rank filters: the top or bottom k (or percent) of the whole view by this column, NULLs excluded.
    direction = "DESC" if op.startswith("top") else "ASC"
    present = f"FROM {view_sql} WHERE {column_sql} IS NOT NULL"
    if op.endswith("%"):
        percent = _number(value, filter_)
        if not 0 < percent <= 100:
            raise FilterError(f"Filter on '{filter_.column}': percent must be in (0, 100], got {value!r}.")
        limit_sql, params = f"(SELECT CAST(ceil(count(*) * ? / 100.0) AS BIGINT) {present})", [percent]
    else:
        count = _number(value, filter_)
        if count < 0 or count != int(count):
            raise FilterError(f"Filter on '{filter_.column}': k must be a whole number >= 0, got {value!r}.")
        limit_sql, params = "?", [int(count)]
    ranked = f"SELECT pairs.pair_id {present} ORDER BY {column_sql} {direction}, pairs.pair_id LIMIT {limit_sql}"
    return f"pairs.pair_id IN ({ranked})", params


def _boolean(value: Any, filter_: Filter) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise FilterError(f"Filter on '{filter_.column}': needs true or false, got {value!r}.")


def compile_spec(spec: FilterSpec, columns: dict[str, dict], view_sql: str, con) -> tuple[str, list]:
    """One WHERE condition (without the keyword) and its parameters; 'TRUE' when nothing filters."""
    conditions, params = [], []
    for filter_ in spec.filters:
        sql, values = compile_filter(filter_, columns, view_sql)
        conditions.append(f"({sql})")
        params.extend(values)
    if spec.where and spec.where.strip():
        conditions.append(f"({check_where(spec.where, con)}\n)")
    return (" AND ".join(conditions) if conditions else "TRUE"), params


def check_where(where: str, con) -> str:
    """The WHERE text unchanged if it is one read-only boolean expression over workspace tables.

    DuckDB parses ``SELECT * FROM <placeholder> WHERE (<text>)``; anything but a plain SELECT with that
    single WHERE (a second statement, UNION, ORDER/LIMIT, CTEs) or any table function, file read or
    table outside the workspace is refused with a FilterError.
    """
    if "\x00" in where:
        raise FilterError("The WHERE clause contains a NUL character.")
    wrapped = f"SELECT * FROM {_PLACEHOLDER} WHERE ({where}\n)"
    try:
        parsed = json.loads(con.execute("SELECT json_serialize_sql(?)", [wrapped]).fetchall()[0][0])
    except Exception as error:  # the parser itself failing
        raise FilterError(f"The WHERE clause could not be parsed: {error}.") from None
    if parsed.get("error"):
        message = parsed.get("error_message", "not a single SELECT condition")
        if "Only SELECT" in message:
            message = "only one condition is allowed (no ';' or other statements)"
        raise FilterError(f"The WHERE clause is not valid: {message}.")
    statements = parsed.get("statements", [])
    if len(statements) != 1:
        raise FilterError("The WHERE clause must be one condition, not several statements.")
    node = statements[0]["node"]
    shape_ok = (
        node.get("type") == "SELECT_NODE"
        and not node.get("modifiers")
        and not (node.get("cte_map") or {}).get("map")
        and not node.get("group_expressions")
        and node.get("having") is None
        and node.get("qualify") is None
        and (node.get("from_table") or {}).get("table_name") == _PLACEHOLDER
        and len(node.get("select_list", [])) == 1
        and node["select_list"][0].get("class") == "STAR"
    )
    if not shape_ok:
        raise FilterError("The WHERE clause must be a single condition (no UNION, ORDER BY, LIMIT, GROUP BY or WITH).")
    _check_tree(node.get("where_clause"))
    return where


def _check_tree(tree: Any) -> None:
    if isinstance(tree, dict):
        kind = tree.get("type")
        if kind == "TABLE_FUNCTION":
            name = (tree.get("function") or {}).get("function_name", "?")
            raise FilterError(f"The WHERE clause may not call the table function '{name}'; it can only read the workspace's tables.")
        if kind == "BASE_TABLE":
            name = str(tree.get("table_name", ""))
            if tree.get("schema_name") or tree.get("catalog_name") or not _ALLOWED_TABLE.match(name):
                raise FilterError(f"The WHERE clause may only read the workspace's tables (pairs, tags, runs, datasets, "
                                  f"result_*), not '{name}'.")
        if tree.get("class") == "FUNCTION" and str(tree.get("function_name", "")).lower() in _FORBIDDEN_FUNCTIONS:
            raise FilterError(f"The WHERE clause may not call '{tree['function_name']}'.")
        for value in tree.values():
            _check_tree(value)
    elif isinstance(tree, list):
        for item in tree:
            _check_tree(item)


# ---------------------------------------------------------------- text form, for the CLI

_TEXT_OPS_ORDER = ("is not null", "is null", "not contains", "contains", "regex", "between", "not in", "in",
                   "!=", "<=", ">=", "=", "<", ">", "top", "bottom")


def parse_filter(text: str) -> Filter:
    """'COLUMN OP VALUE' as typed on the CLI, e.g. 'basic.length_delta_words > 10', 'source in a,b',
    'prompt contains "pen"', 'basic.length_delta_words top 5%', 'tag is null'."""
    stripped = text.strip()
    lowered = stripped.lower()
    for op in _TEXT_OPS_ORDER:
        symbolic = not op[0].isalpha()
        pattern = re.escape(op) if symbolic else r"\s" + re.escape(op) + r"(\s|$)"
        match = re.search(pattern, lowered)
        if not match or match.start() == 0:
            continue
        column = stripped[: match.start()].strip()
        rest = stripped[match.end():].strip()
        if op in NULL_OPS:
            return Filter(column, op)
        if op in ("top", "bottom"):
            percent = rest.endswith("%") or rest.startswith("%")  # '95%' or the op's own spelling '% 95'
            number = rest.strip("%").strip()
            return Filter(column, f"{op} {'%' if percent else 'k'}", _literal(number))
        if op == "between":
            parts = re.split(r"\s+and\s+|,", rest, flags=re.IGNORECASE)
            return Filter(column, op, [_literal(p.strip()) for p in parts])
        if op in SET_OPS:
            return Filter(column, op, [_literal(p.strip()) for p in rest.split(",")])
        return Filter(column, op, _literal(rest))
    raise FilterError(f"Cannot read filter '{text}': write COLUMN OP VALUE with OP one of {', '.join(_TEXT_OPS_ORDER)}.")


def _literal(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return shlex.split(text)[0] if text[0] == '"' else text[1:-1]
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number
