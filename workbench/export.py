"""Writers for the filtered pairs: the input's own format, TRL preference rows, or AnnotatedPairs JSON,
each optionally with the active analyzers' score columns, always with a manifest beside the file.

Exporting everything and loading the file again gives the same pairs (ids, texts, labels, sources,
splits, positions and metadata) for every format.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

import workbench
from workbench import query
from workbench.errors import WorkbenchError
from workbench.filters import FilterSpec
from workbench.formats import get_adapter
from workbench.formats.annotated_pairs import AnnotatedPairsAdapter
from workbench.formats.containers import container_of, write_document, write_rows
from workbench.schema import JSON_COLUMNS, LABEL_TIE, PAIR_COLUMN_NAMES, restore_original
from workbench.workspace import WorkspaceStore

EXPORT_FORMATS = ("original", "trl", "annotated-pairs")


@dataclass
class ExportReport:
    path: str
    manifest_path: str
    format: str
    kept: int
    removed: int

    def describe(self) -> str:
        return f"Wrote {self.kept:,} pairs ({self.removed:,} filtered out) to {self.path} as {self.format}; manifest: {self.manifest_path}."


def _pairs_as_dicts(frame: pd.DataFrame) -> list[dict]:
    records = frame.to_dict("records")
    for record in records:
        for name in JSON_COLUMNS:
            value = record.get(name)
            record[name] = json.loads(value) if isinstance(value, str) else None
        record["original"] = restore_original(record["original"], record)
        for name, value in list(record.items()):
            if isinstance(value, float) and math.isnan(value):
                record[name] = None
            elif hasattr(value, "item") and not isinstance(value, (list, dict, str)):
                record[name] = value.item()  # numpy scalars -> Python
    return records


def export(store: WorkspaceStore, out: str, spec: FilterSpec | None = None, *, format: str = "original",
           with_scores: bool = False) -> ExportReport:
    if format not in EXPORT_FORMATS:
        raise WorkbenchError(f"Unknown export format '{format}'; choose one of: {', '.join(EXPORT_FORMATS)}.")
    spec = spec or FilterSpec()
    score_columns = list(store.result_columns()) if with_scores else []
    frame = query.fetch(store, spec, columns=list(PAIR_COLUMN_NAMES) + score_columns)
    pairs = _pairs_as_dicts(frame)
    total = store.n_pairs()
    out_path = Path(out)
    if format == "original":
        _write_original(store, pairs, out_path, score_columns)
    elif format == "trl":
        write_rows([trl_row(pair, score_columns) for pair in pairs], str(out_path), _row_container(out_path))
    else:
        if _row_container(out_path) != "json":
            raise WorkbenchError(f"AnnotatedPairs is one JSON document; give an output path ending in .json, not '{out}'.")
        info = _single_dataset_info(store, pairs, "annotated-pairs")
        pairs = [_with_scores_in_metadata(p, score_columns) for p in pairs]
        info = add_vote_annotators(store, pairs, info)
        document = AnnotatedPairsAdapter().build_document(pairs, info)
        write_document(document, str(out_path))
    manifest_path = out_path.with_name(out_path.name + ".manifest.json")
    write_document(_manifest(store, spec, format, out_path, len(pairs), total, score_columns), str(manifest_path))
    return ExportReport(str(out_path), str(manifest_path), format, len(pairs), total - len(pairs))


def add_vote_annotators(store: WorkspaceStore, pairs: list[dict], info: dict) -> dict:
    """Add the per-pair votes of active runs whose analyzer defines ``annotator_votes`` (principles, traits) as
    extra AnnotatedPairs annotators: ids are md5(description)[:8]; agree -> the chosen side, disagree -> the
    other side, abstain -> no preference (not_applicable), invalid -> no preference (invalid), not_tested -> no
    annotation. Changes ``pairs`` in place and returns the dataset info with the annotators added."""
    from analyzers import get_analyzer
    from analyzers.annotator_metrics import ABSTAIN, AGREE, DISAGREE, INVALID_VOTE
    from workbench.formats.annotated_pairs import annotator_id
    from workbench.workspace import result_table

    annotators = dict(info.get("annotators") or {})
    added = False
    for name, run in sorted(store.active_runs().items()):
        analyzer = get_analyzer(name) if name in _registered_names() else None
        if analyzer is None or not hasattr(analyzer, "annotator_votes"):
            continue
        results = store.sql_df(f"SELECT * EXCLUDE (run_id) FROM {result_table(name)} WHERE run_id = ?", [run.run_id])
        settings = analyzer.settings_from_dict(run.settings)
        for short_name, description, votes in analyzer.annotator_votes(results, settings):
            key = annotator_id(description)
            annotators[key] = {"name": f"{name}.{short_name}", "description": description, "type": "principle"}
            added = True
            lookup = votes.to_dict()
            for pair in pairs:
                vote = lookup.get(pair["pair_id"])
                if vote not in (AGREE, DISAGREE, ABSTAIN, INVALID_VOTE) or pair["label"] == LABEL_TIE:
                    continue
                chosen_side = "b" if pair["chosen_position"] == "b" else "a"
                if vote == AGREE:
                    annotation = {"pref": chosen_side}
                elif vote == DISAGREE:
                    annotation = {"pref": "a" if chosen_side == "b" else "b"}
                else:
                    annotation = {"pref": None, "no_pref_reason": "invalid" if vote == INVALID_VOTE else "not_applicable"}
                metadata = dict(pair.get("metadata") or {})
                metadata["annotations"] = {**(metadata.get("annotations") or {}), key: annotation}
                pair["metadata"] = metadata
    return {**info, "annotators": annotators} if added else info


def _registered_names() -> set[str]:
    from analyzers import analyzer_names

    return set(analyzer_names())


def _row_container(path: Path) -> str:
    return container_of(str(path))


def _scores(pair: dict, score_columns: list[str]) -> dict:
    return {name: pair.get(name) for name in score_columns}


def _with_scores_in_metadata(pair: dict, score_columns: list[str]) -> dict:
    if not score_columns:
        return pair
    return {**pair, "metadata": {**(pair["metadata"] or {}), **_scores(pair, score_columns)}}


def trl_row(pair: dict, score_columns: list[str] = ()) -> dict:
    """A TRL preference row: conversational when the pair has messages, else standard strings."""
    conversational = pair["chosen_messages"] is not None and pair["rejected_messages"] is not None
    row = {"id": pair["pair_id"]}
    if conversational:
        row["prompt"] = pair["prompt_messages"] or []
        row["chosen"], row["rejected"] = pair["chosen_messages"], pair["rejected_messages"]
    else:
        row["prompt"], row["chosen"], row["rejected"] = pair["prompt"], pair["chosen"], pair["rejected"]
    row["source"], row["split"] = pair["source"], pair["split"]
    if pair["chosen_position"]:
        row["chosen_position"] = pair["chosen_position"]
    if pair["label"] == LABEL_TIE:
        row["tie"] = True
    for key, value in (pair["metadata"] or {}).items():
        row.setdefault(key, value)
    row.update(_scores(pair, list(score_columns)))
    return row


def _single_dataset_info(store: WorkspaceStore, pairs: list[dict], format_name: str) -> dict:
    datasets = store.datasets()
    used = datasets[datasets["dataset_id"].isin({p["dataset_id"] for p in pairs})]
    if len(used) == 1 and used["format"].iloc[0] == format_name:
        return store.dataset_info(int(used["dataset_id"].iloc[0]))
    return {"name": ", ".join(used["name"]) or "preference-workbench export"}


def _write_original(store: WorkspaceStore, pairs: list[dict], out_path: Path, score_columns: list[str]) -> None:
    datasets = store.datasets()
    formats = sorted(set(datasets[datasets["dataset_id"].isin({p["dataset_id"] for p in pairs})]["format"]))
    if len(formats) > 1:
        raise WorkbenchError(f"The selected pairs come from several input formats ({', '.join(formats)}); "
                             "export them with --format trl or --format annotated-pairs.")
    if not formats:
        formats = sorted(set(datasets["format"])) or ["trl"]
        if len(formats) > 1:
            formats = ["trl"]
    adapter = get_adapter(formats[0])
    if adapter.is_document_format:
        if _row_container(out_path) != "json":
            raise WorkbenchError(f"Format '{adapter.name}' is one JSON document; give an output path ending in .json.")
        info = _single_dataset_info(store, pairs, adapter.name)
        if isinstance(adapter, AnnotatedPairsAdapter):
            pairs = [_with_scores_in_metadata(p, score_columns) for p in pairs]
        else:
            pairs = [{**p, "original": {**p["original"], **_scores(p, score_columns)}} for p in pairs]
        write_document(adapter.build_document(pairs, info), str(out_path))
        return
    rows = [{**pair["original"], **_scores(pair, score_columns)} for pair in pairs]
    write_rows(rows, str(out_path), _row_container(out_path))


def _manifest(store: WorkspaceStore, spec: FilterSpec, format: str, out_path: Path, kept: int, total: int,
              score_columns: list[str]) -> dict:
    datasets = store.datasets()
    referenced = {name.split(".")[0] for name in score_columns}
    referenced |= {f.column.split(".")[0] for f in spec.filters if "." in f.column}
    where = spec.where or ""
    active = store.active_runs()
    referenced |= {name for name in active if f"{name}." in where}
    runs = [
        {"run_id": info.run_id, "analyzer": info.analyzer, "version": info.version, "settings": info.settings,
         "model": info.model, "dataset_fingerprint": info.dataset_fingerprint,
         "finished_at": str(info.finished_at)}
        for name, info in active.items() if name in referenced
    ]
    return {
        "tool": "preference-workbench",
        "tool_version": workbench.__version__,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "output": str(out_path),
        "format": format,
        "sources": [
            {"name": row["name"], "path": row["path"], "format": row["format"], "file_fingerprint": row["file_fingerprint"],
             "pairs": int(row["n_pairs"])}
            for row in datasets.to_dict("records")
        ],
        "workspace_fingerprint": store.fingerprint(),
        "filters": spec.as_dict(),
        "filters_readable": spec.describe(),
        "analyzer_runs": runs,
        "score_columns": score_columns,
        "counts": {"total": total, "kept": kept, "removed": total - kept},
    }
