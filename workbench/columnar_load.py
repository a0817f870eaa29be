"""Vectorized load of flat TRL-standard Parquet files: DuckDB computes the same pairs as the row path.

Large datasets usually arrive as Parquet with string prompt/chosen/rejected columns. For those, reading
row by row in Python is the bottleneck, so DuckDB reads the file and builds every canonical column in
SQL: content-hash ids (the same md5 as ``schema.content_hash``, numbered the same way for duplicates),
metadata from the other columns, the original row as JSON. Anything unusual (nulls, message lists,
over-long fields, duplicate ids, exotic column types, a column mapping) is left to the row path, which
gives the precise per-row errors; ``plan`` returns None for those files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workbench.loading import COMMON_FIELDS, LoadOptions, LoadStats
from workbench.schema import PAIR_FIELD_PLACEHOLDER

_TEXT = ("prompt", "chosen", "rejected")
_OPTIONAL = {"tie": ("BOOLEAN",), "chosen_position": ("VARCHAR",), "source": ("VARCHAR",), "split": ("VARCHAR",)}
_ID_TYPES = ("VARCHAR", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT")
_METADATA_TYPES = ("VARCHAR", "BOOLEAN", *_ID_TYPES[1:])
_SEP = "chr(31)"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class ColumnarLoad:
    """A Parquet file that the vectorized path can load, with what it learned while checking it."""

    path: str
    label: str
    default_source: str
    columns: dict[str, str]
    stats: LoadStats = field(default_factory=LoadStats)
    adapter_name: str = "trl"
    container: str = "parquet"
    dataset_info: dict = field(default_factory=dict)
    rejected: list = field(default_factory=list)
    rows_without_id: int = 0

    @property
    def _source(self) -> str:
        return f"read_parquet({_literal(self.path)}, file_row_number = true)"

    def _id_expression(self) -> str:
        explicit = [f"nullif(CAST({_q(c)} AS VARCHAR), '')" for c in ("id", "pair_id") if c in self.columns]
        return f"coalesce({', '.join(explicit)})" if explicit else "CAST(NULL AS VARCHAR)"

    def _metadata_expression(self) -> str:
        others = [c for c in self.columns if c not in (*_TEXT, *_OPTIONAL, *COMMON_FIELDS)]
        fragments = []
        for column in others:
            present = f"{_q(column)} IS NOT NULL"
            if self.columns[column] == "VARCHAR":
                present += f" AND {_q(column)} <> ''"
            fragments.append(f"CASE WHEN {present} THEN {_literal(_json_key(column))} || ':' || to_json({_q(column)}) END")
        if not fragments:
            return "'{}'"
        return "'{' || concat_ws(',', " + ", ".join(fragments) + ") || '}'"

    def insert(self, con, dataset_id: int, progress=None) -> None:
        """One INSERT ... SELECT over the file. Content hashes are computed only for rows without an id,
        and occurrence numbers (``-2``, ``-3``) only when such rows repeat, since both cost a pass."""
        label = "CASE WHEN tie THEN 'tie' ELSE 'preferred' END" if "tie" in self.columns else "'preferred'"
        position = "nullif(chosen_position, '')" if "chosen_position" in self.columns else "CAST(NULL AS VARCHAR)"
        source = f"coalesce(nullif(source, ''), {_literal(self.default_source)})" if "source" in self.columns else _literal(self.default_source)
        split = "nullif(split, '')" if "split" in self.columns else "CAST(NULL AS VARCHAR)"
        # prompt/chosen/rejected are stored once, in the pair's columns (see schema.compact_original)
        original = "to_json(struct_pack(" + ", ".join(
            f"{_q(c)} := {{{_literal(PAIR_FIELD_PLACEHOLDER)}: {_literal(c)}}}" if c in _TEXT else f"{_q(c)} := {_q(c)}"
            for c in self.columns) + "))"
        digest = f"substr(md5(prompt || {_SEP} || chosen || {_SEP} || rejected || {_SEP} || {label} || {_SEP}), 1, 16)"
        hashed = f"SELECT file_row_number, {digest} AS hash FROM {self._source} WHERE {self._id_expression()} IS NULL"
        repeats = 0
        if self.rows_without_id:
            repeats = int(con.execute(f"SELECT count(*) - count(DISTINCT hash) FROM ({hashed})").fetchall()[0][0])
        if repeats:
            numbering = (f"LEFT JOIN (SELECT file_row_number, hash || CASE WHEN occurrence > 1 THEN '-' || occurrence ELSE '' END AS content_id "
                         f"FROM (SELECT *, row_number() OVER (PARTITION BY hash ORDER BY file_row_number) AS occurrence FROM ({hashed}))) "
                         "AS numbered USING (file_row_number)")
            content_id = "numbered.content_id"
        else:
            numbering, content_id = "", f"CASE WHEN {self._id_expression()} IS NULL THEN {digest} END"
        con.execute(f"""
            INSERT INTO pairs
            SELECT coalesce({self._id_expression()}, {content_id}), {int(dataset_id)}, file_row_number,
                   'row ' || (file_row_number + 1), prompt, chosen, rejected, {label}, {position}, {source}, {split},
                   NULL, NULL, NULL, ({self._metadata_expression()})::JSON, ({original})::JSON
            FROM {self._source} {numbering}""")
        self.stats.duplicate_content = repeats
        if progress:
            progress(self.stats.loaded)


def _json_key(name: str) -> str:
    import json

    return json.dumps(name, ensure_ascii=False)


def plan(con, path: str, options: LoadOptions, default_source: str) -> ColumnarLoad | None:
    """A ColumnarLoad when the file qualifies for the vectorized path, else None (use the row path)."""
    target = Path(path)
    if not options.columnar or not (target.is_file() and path.lower().endswith(".parquet")):
        return None
    if options.column_map or options.format not in (None, "trl"):
        return None
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_literal(path)})").fetchall()
    except Exception:  # unreadable here: the row path reports it properly
        return None
    columns = {name: kind for name, kind, *_ in described}
    if any(columns.get(name) != "VARCHAR" for name in _TEXT):
        return None
    for name, kinds in _OPTIONAL.items():
        if name in columns and columns[name] not in kinds:
            return None
    for name in ("id", "pair_id"):
        if name in columns and columns[name] not in _ID_TYPES:
            return None
    if any(kind not in _METADATA_TYPES for name, kind in columns.items() if name not in (*_TEXT, *_OPTIONAL, "id", "pair_id")):
        return None
    load = ColumnarLoad(path, target.name, default_source, columns)
    limit = int(options.max_field_chars)  # compared with UTF-8 bytes (>= characters): over-long rows go to the row path
    position_ok = "chosen_position IS NULL OR chosen_position IN ('', 'a', 'b')" if "chosen_position" in columns else "TRUE"
    problems, duplicate_ids, ties, identical, empty, without_id, total = con.execute(f"""
        SELECT count(*) FILTER (WHERE prompt IS NULL OR chosen IS NULL OR rejected IS NULL
                                   OR greatest(strlen(prompt), strlen(chosen), strlen(rejected)) > {limit}
                                   OR ltrim(prompt) LIKE '[{{%' OR ltrim(chosen) LIKE '[{{%' OR ltrim(rejected) LIKE '[{{%'
                                   OR NOT ({position_ok})),
               count({load._id_expression()}) - count(DISTINCT {load._id_expression()}),
               {"count(*) FILTER (WHERE tie)" if "tie" in columns else "0"},
               count(*) FILTER (WHERE chosen = rejected),
               count(*) FILTER (WHERE regexp_full_match(chosen, '[\\s\\v]*') OR regexp_full_match(rejected, '[\\s\\v]*')),
               count(*) - count({load._id_expression()}), count(*)
        FROM {load._source}""").fetchall()[0]
    if problems or duplicate_ids:
        return None
    load.rows_without_id = int(without_id)
    load.stats = LoadStats(loaded=int(total), ties=int(ties), identical_responses=int(identical), empty_responses=int(empty))
    return load
